from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Stock
from recommendations import facade
from recommendations.models import MerchandisingRule, RecommendationList
from recommendations.services import merchandising_rule_set
from tests.factories import CategoryFactory, CustomerFactory, ProductFactory
from tests.recommendations.factories import purchase

pytestmark = pytest.mark.django_db


def test_train_on_an_empty_store_is_skipped() -> None:
    assert "skipped" in facade.train()


def test_train_registers_a_version_and_precomputes_lists(trained) -> None:  # type: ignore[no-untyped-def]
    summary = trained["summary"]
    assert summary["lists_written"] == 24
    assert summary["ndcg@10"] > summary["popularity_ndcg@10"]
    customer = trained["customers"][0]
    recs = facade.for_you(customer_id=customer.pk, limit=6)
    assert len(recs) == 6
    assert recs[0].model_version == summary["version"]
    assert recs[0].source != "fallback"
    # customer 0 is in the Tea group: the list is mostly tea
    tea = {p.pk for p in trained["groups"][0]}
    assert sum(r.product_id in tea for r in recs) >= 3


def test_no_out_of_stock_and_nothing_in_the_cart(trained) -> None:  # type: ignore[no-untyped-def]
    customer = trained["customers"][0]
    first = facade.for_you(customer_id=customer.pk, limit=5)
    sold_out, in_cart = first[0].product_id, first[1].product_id
    Stock.objects.filter(product_id=sold_out).update(on_hand=0)
    again = facade.for_you(customer_id=customer.pk, limit=5, exclude_product_ids=[in_cart])
    ids = {r.product_id for r in again}
    assert sold_out not in ids and in_cart not in ids
    assert len(again) == 5
    cart = facade.cart_recommendations(product_ids=[in_cart], limit=5)
    assert in_cart not in {r.product_id for r in cart}
    assert sold_out not in {r.product_id for r in cart}


def test_durable_just_bought_is_not_recommended_again(trained) -> None:  # type: ignore[no-untyped-def]
    customer = trained["customers"][0]
    sofa = ProductFactory(category=trained["categories"][0], name="Sofa", is_consumable=False)
    purchase(customer=customer, products=[sofa], when=timezone.now() - timedelta(days=2))
    MerchandisingRule.objects.create(product=sofa, kind="pin", position=1)
    from recommendations.selectors import cache_bump

    cache_bump()
    assert sofa.pk not in {r.product_id for r in facade.for_you(customer_id=customer.pk)}
    other = CustomerFactory()
    assert facade.for_you(customer_id=other.pk)[0].product_id == sofa.pk


def test_merchant_pins_and_blocks(trained) -> None:  # type: ignore[no-untyped-def]
    customer = trained["customers"][0]
    before = facade.for_you(customer_id=customer.pk, limit=6)
    blocked = before[0].product_id
    pinned = trained["groups"][1][7]
    merchandising_rule_set(product_id=blocked, kind="block")
    merchandising_rule_set(product_id=pinned.pk, kind="pin", slot="for_you", position=2)
    after = facade.for_you(customer_id=customer.pk, limit=6)
    assert blocked not in {r.product_id for r in after}
    assert after[1].product_id == pinned.pk and after[1].source == "pinned"


def test_lists_are_diverse_across_categories(trained) -> None:  # type: ignore[no-untyped-def]
    customer = trained["customers"][0]
    recs = facade.for_you(customer_id=customer.pk, limit=6)
    cats = [r.product_id in {p.pk for p in trained["groups"][0]} for r in recs]
    assert 0 < sum(cats) <= 4  # at most ceil(6/3)=2 per category unless nothing else is left


def test_cold_start_customer_and_new_product_get_sensible_lists(trained) -> None:  # type: ignore[no-untyped-def]
    newcomer = CustomerFactory()
    recs = facade.for_you(customer_id=newcomer.pk, limit=5)
    assert len(recs) == 5 and all(r.source in ("popular", "fallback", "session") for r in recs)
    tea = trained["categories"][0]
    new_tea = ProductFactory(category=tea, name="Tea item new blend")
    facade.train(force=True)
    similar = facade.similar_products(product_id=new_tea.pk, limit=4)
    tea_ids = {p.pk for p in trained["groups"][0]}
    assert similar and sum(r.product_id in tea_ids for r in similar) >= 3


def test_fallback_without_a_trained_model(db) -> None:  # type: ignore[no-untyped-def]
    cat = CategoryFactory()
    hot = ProductFactory(category=cat, popularity=10)
    ProductFactory(category=cat, popularity=5)
    gone = ProductFactory(category=cat, popularity=20, with_stock=0)
    other = ProductFactory(popularity=1)
    recs = facade.for_you(customer_id=None, session_id="s1", limit=3)
    assert recs[0].product_id == hot.pk
    assert all(r.source == "fallback" and r.model_version is None for r in recs)
    assert gone.pk not in {r.product_id for r in recs}
    similar = facade.similar_products(product_id=other.pk, limit=2)
    assert other.pk not in {r.product_id for r in similar}
    assert facade.bought_together(product_id=hot.pk, limit=2)
    assert facade.cart_recommendations(product_ids=[hot.pk], limit=2)
    assert RecommendationList.objects.count() == 0


def test_anonymous_session_gets_neighbours_of_what_it_viewed(trained) -> None:  # type: ignore[no-untyped-def]
    from customers.services import event_record

    garden = trained["groups"][1]
    for p in garden[:2]:
        event_record(type="view", session_id="anon-1", product_id=p.pk)
    recs = facade.for_you(customer_id=None, session_id="anon-1", limit=4)
    garden_ids = {p.pk for p in garden}
    assert sum(r.product_id in garden_ids for r in recs) >= 2
    assert recs[0].source == "session"


def test_bought_together_and_similar_use_the_model(trained) -> None:  # type: ignore[no-untyped-def]
    tea = trained["groups"][0]
    together = facade.bought_together(product_id=tea[0].pk, limit=3)
    assert {r.source for r in together} <= {"bought_together", "item_knn", "content"}
    assert {r.product_id for r in together} <= {p.pk for p in tea}
    similar = facade.similar_products(product_id=tea[0].pk, limit=3)
    assert similar[0].source == "item_knn"


def test_precomputed_for_you_read_is_one_query_when_the_list_is_cached(
    trained, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    customer = trained["customers"][1]
    facade.for_you(customer_id=customer.pk, limit=12)  # warm: list, rules, variant cached
    with django_assert_max_num_queries(1):  # product/stock rows with the durable flag
        recs = facade.for_you(customer_id=customer.pk, limit=12)
    assert len(recs) == 12


def test_ab_switch_serves_each_shopper_one_strategy(trained) -> None:  # type: ignore[no-untyped-def]
    from mlops.models import Experiment

    Experiment.objects.create(
        key=facade.EXPERIMENT_KEY, name="blend vs popular", variants=["blend", "popular"]
    )
    sources: dict[str, list[str]] = {"blend": [], "popular": []}
    for customer in trained["customers"]:
        result = facade.for_you_set(customer_id=customer.pk, limit=4)
        again = facade.for_you_set(customer_id=customer.pk, limit=4)
        assert again.variant == result.variant  # sticky per shopper
        sources[result.variant] += [r.source for r in result.items]
    assert sources["blend"] and sources["popular"]  # both arms get traffic
    assert set(sources["popular"]) == {"fallback"}
    # the model arm: mostly model sources (diversity may pull in a popular other category)
    assert sources["blend"].count("fallback") < len(sources["blend"]) / 2


def test_admin_report_counts_coverage_and_sources_of_the_precomputed_lists(
    trained, admin_client
) -> None:  # type: ignore[no-untyped-def]
    from recommendations import selectors

    lists = list(RecommendationList.objects.values_list("items", flat=True))
    top10 = [item for items in lists for item in items[:10]]
    report = selectors.precomputed_lists_report()
    assert report["lists"] == len(lists) == 24
    assert report["products_shown"] == len({i["product_id"] for i in top10})
    assert 0 < report["coverage"] <= 1
    assert sum(n for _, n in report["sources"]) == len(top10)
    counts = [n for _, n in report["sources"]]
    assert counts == sorted(counts, reverse=True)

    html = admin_client.get("/admin/recommendations/recommendationlist/").content.decode()
    name, n = report["sources"][0]
    assert f'<span title="{name}">{facade.source_label(name)}</span> {n}' in html


def test_a_cart_with_a_new_product_gets_its_category_before_the_store_bestsellers(trained) -> None:  # type: ignore[no-untyped-def]
    tea, garden = trained["groups"]
    for n, p in enumerate(tea):
        p.popularity = 1000 + n  # tea sells best store-wide
        p.save(update_fields=["popularity"])
    new_garden = ProductFactory(category=trained["categories"][1], popularity=0)  # after training
    from recommendations.selectors import cache_bump

    cache_bump()
    recs = facade.cart_recommendations(product_ids=[new_garden.pk], limit=4)
    garden_ids = {p.pk for p in garden}
    assert [r.product_id in garden_ids for r in recs[:2]] == [True, True]
    assert new_garden.pk not in {r.product_id for r in recs}
    # an out-of-stock neighbour list falls back to the anchor's category, not the bestsellers
    Stock.objects.filter(product__in=garden[4:]).update(on_hand=0)
    cache_bump()
    similar = facade.similar_products(product_id=garden[0].pk, limit=2)
    assert {r.product_id for r in similar} <= garden_ids


@pytest.fixture
def kitchen(db):  # type: ignore[no-untyped-def]
    """A cast-iron pan with alike and unalike cookware, tableware next door, garden far off,
    and a few orders with the pan; no model is trained."""
    from decimal import Decimal

    from orders.models import Order

    home = CategoryFactory(name="Home")
    cookware = CategoryFactory(name="Cookware", parent=home)
    tableware = CategoryFactory(name="Tableware", parent=home)
    garden = CategoryFactory(name="Garden")

    def make(cat, price, popularity, stock=10, **attrs):  # type: ignore[no-untyped-def]
        return ProductFactory(
            category=cat,
            price=Decimal(price),
            popularity=popularity,
            attributes=attrs,
            with_stock=stock,
        )

    pan = make(cookware, "30.00", 10, material="Cast Iron", colour="Sage")
    p = {
        "twin": make(cookware, "28.00", 1, material="Cast Iron", colour="Sage"),
        "iron": make(cookware, "35.00", 5, material="Cast Iron", colour="Blue"),
        "steel": make(cookware, "29.00", 20, material="Steel", colour="Red"),
        "pricey": make(cookware, "300.00", 50, material="Steel", colour="Red"),
        "sold_out": make(cookware, "30.00", 100, stock=0, material="Cast Iron", colour="Sage"),
        "plate": make(tableware, "12.00", 30),
        "bowl": make(tableware, "9.00", 40),
        "hose": make(garden, "25.00", 60),
        "spade": make(garden, "25.00", 70),
    }
    purchase(customer=None, products=[pan, p["plate"]])
    purchase(customer=None, products=[pan, p["plate"], p["iron"]])
    purchase(customer=None, products=[pan, p["sold_out"]])
    cancelled = purchase(customer=None, products=[pan, p["spade"]])
    Order.objects.filter(pk=cancelled.pk).update(status=Order.Status.CANCELLED)
    return {"pan": pan, **p}


def test_before_training_similar_and_bought_together_differ_and_each_makes_sense(
    kitchen,
) -> None:  # type: ignore[no-untyped-def]
    # both widgets used to show the same popular-in-category items before any training
    pan, k = kitchen["pan"], kitchen
    similar = facade.similar_products(product_id=pan.pk, limit=4)
    together = facade.bought_together(product_id=pan.pk, limit=4)
    # similar: the pan's category, alike in attributes and price first, not by popularity
    assert [r.product_id for r in similar] == [k[n].pk for n in ("twin", "iron", "steel", "pricey")]
    assert {r.source for r in similar} == {"same_category"}
    # bought together: from the pan's (not cancelled) orders, then complements from other
    # categories, the pan's department first; never the sold-out one
    assert [(r.product_id, r.source) for r in together] == [
        (k["plate"].pk, "co_purchase"),
        (k["iron"].pk, "co_purchase"),
        (k["bowl"].pk, "complement"),
        (k["spade"].pk, "complement"),
    ]
    assert [r.product_id for r in similar] != [r.product_id for r in together]
    assert all(r.model_version is None for r in similar + together)
    for recs in (similar, together):
        ids = {r.product_id for r in recs}
        assert pan.pk not in ids and k["sold_out"].pk not in ids


def test_no_model_fallbacks_leave_out_the_cart_and_fill_up_when_short(kitchen) -> None:  # type: ignore[no-untyped-def]
    pan, k = kitchen["pan"], kitchen
    cart = [k["plate"].pk, k["twin"].pk]
    together = facade.bought_together(product_id=pan.pk, limit=4, exclude_product_ids=cart)
    similar = facade.similar_products(product_id=pan.pk, limit=8, exclude_product_ids=cart)
    assert not {r.product_id for r in together + similar} & set(cart)
    assert together[0].product_id == k["iron"].pk and together[0].source == "co_purchase"
    # the category has three more sellable items, its department one (the plate is in the
    # cart); the store's bestsellers fill the rest
    sources = ["same_category"] * 3 + ["same_department"] + ["fallback"] * 2
    assert [r.source for r in similar] == sources
    assert [r.product_id for r in similar[3:]] == [k[n].pk for n in ("bowl", "spade", "hose")]
    # a product nobody bought yet still gets complements, never its own category
    together = facade.bought_together(product_id=k["steel"].pk, limit=3)
    assert {r.source for r in together} == {"complement"}
    assert [r.product_id for r in together] == [k["bowl"].pk, k["plate"].pk, k["spade"].pk]
