"""The cart and bought-together slots leave out other sizes/colours of what is in the cart."""

import pytest

from recommendations import facade
from recommendations.rules import NameKey, name_key, near_copy
from tests.factories import CategoryFactory, ProductFactory

URL = "/api/v1/recommendations"


def test_size_and_colour_variants_are_near_copies() -> None:
    cart = [
        name_key(
            category_id=1,
            name="Kinross Brushed Cotton Duvet Cover, Double, Forest",
            attributes={"size": "Double", "colour": "Forest"},
        )
    ]
    other_size = name_key(
        category_id=1,
        name="Kinross Brushed Cotton Duvet Cover, Super King, Sage",
        attributes={"size": "Super King", "colour": "Sage"},
    )
    pillowcase = name_key(
        category_id=1,
        name="Kinross Brushed Cotton Pillowcase Pair, Double, Forest",
        attributes={"size": "Double", "colour": "Forest"},
    )
    same_name_elsewhere = name_key(
        category_id=2, name="Kinross Brushed Cotton Duvet Cover, Single", attributes={}
    )
    assert near_copy(other_size, cart)
    assert not near_copy(pillowcase, cart)  # 3 of 7 words shared: a different product
    assert not near_copy(same_name_elsewhere, cart)  # another category is another product


def test_near_identical_name_is_a_near_copy() -> None:
    jug = [name_key(category_id=6, name="Cobalt Silicone Measuring Jug", attributes={})]
    assert near_copy(
        name_key(category_id=6, name="Cobalt Silicone Measuring Jug (Classic)", attributes={}), jug
    )
    assert not near_copy(
        name_key(category_id=6, name="Nimbus Professional Measuring Jug", attributes={}), jug
    )


def _demo(name: str, **attributes: str) -> NameKey:
    return name_key(category_id=15, name=name, attributes=attributes)


@pytest.mark.parametrize(
    ("first", "second"),
    [  # pairs the rule took for copies in the demo catalogue (seed 0, small)
        (
            _demo(
                "Ashby & Co Folding Bird Seed, Black", colour="Black", material_or_style="Folding"
            ),
            _demo(
                "Ashby & Co Rust-Resistant Bird Feeder, Green",
                colour="Green",
                material_or_style="Rust-Resistant",
            ),
        ),
        (
            _demo(
                "Juniper Lane Organic Plant Food, 1 kg", weight="1 kg", material_or_style="Organic"
            ),
            _demo(
                "Juniper Lane Tomato Plant Food, 2.5 kg",
                weight="2.5 kg",
                material_or_style="Tomato",
            ),
        ),
        (
            _demo(
                "Oakridge Kids' 3D Puzzle, 100 pieces",
                pieces="100 pieces",
                material_or_style="Kids'",
            ),
            _demo(
                "Oakridge Kids' Jigsaw Puzzle, 100 pieces",
                pieces="100 pieces",
                material_or_style="Kids'",
            ),
        ),
        (
            _demo("Brightwell Marble-Effect Mirror", material_or_style="Marble-Effect"),
            _demo("Brightwell Marble-Effect Cushion", material_or_style="Marble-Effect"),
        ),
    ],
)
def test_another_product_of_the_same_brand_is_not_a_near_copy(first, second) -> None:  # type: ignore[no-untyped-def]
    assert not near_copy(first, [second]) and not near_copy(second, [first])


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            _demo("Sable Aluminium Phone Stand (Mk II)", material_or_style="Aluminium"),
            _demo("Sable Aluminium Phone Stand (Pro)", material_or_style="Aluminium"),
        ),
        (
            _demo("Sable Aluminium Phone Stand", material_or_style="Aluminium"),
            _demo("Sable Aluminium Phone Stand (Mk II)", material_or_style="Aluminium"),
        ),
        (
            _demo("Calder Salmon Dry Dog Food, 2 kg", weight="2 kg", material_or_style="Salmon"),
            _demo("Calder Salmon Dry Dog Food, 6 kg", weight="6 kg", material_or_style="Salmon"),
        ),
        (
            _demo("Glenmore Wi-Fi Security Camera, 2-pack", pack="2-pack"),
            _demo("Glenmore Wi-Fi Security Camera, 4-pack", pack="4-pack"),
        ),
    ],
)
def test_another_size_pack_or_version_is_a_near_copy(first, second) -> None:  # type: ignore[no-untyped-def]
    assert near_copy(first, [second]) and near_copy(second, [first])


@pytest.fixture
def duvets(db):  # type: ignore[no-untyped-def]
    cat = CategoryFactory(name="Bedding")
    in_cart = ProductFactory(
        category=cat,
        name="Kinross Duvet Cover, Double, Navy",
        popularity=1,
        attributes={"size": "Double", "colour": "Navy"},
    )
    variant = ProductFactory(
        category=cat,
        name="Kinross Duvet Cover, King, Stone",
        popularity=9,
        attributes={"size": "King", "colour": "Stone"},
    )
    others = [
        ProductFactory(category=cat, name=f"Pennant Linen Throw {n}", popularity=5 - n)
        for n in range(3)
    ]
    return in_cart, variant, others


def test_cart_api_leaves_out_a_variant_of_a_cart_item(api_client, duvets) -> None:  # type: ignore[no-untyped-def]
    in_cart, variant, others = duvets
    res = api_client.get(f"{URL}/cart", {"product_ids": str(in_cart.pk), "limit": 6})
    assert res.status_code == 200
    ids = [i["product_id"] for i in res.json()["items"]]
    assert variant.pk not in ids  # the most popular product, but the cart has it in Navy
    assert set(ids) == {p.pk for p in others}


def test_bought_together_leaves_out_a_variant_of_the_product(duvets) -> None:  # type: ignore[no-untyped-def]
    in_cart, variant, others = duvets
    ids = [r.product_id for r in facade.bought_together(product_id=in_cart.pk, limit=4)]
    assert variant.pk not in ids and ids
