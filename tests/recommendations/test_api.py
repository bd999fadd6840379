import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from customers.models import Event
from tests.factories import CartFactory, CartLineFactory, CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/recommendations"


@pytest.fixture
def catalogue(db):  # type: ignore[no-untyped-def]
    cat = CategoryFactory()
    return [ProductFactory(category=cat, popularity=10 - n) for n in range(8)]


def test_for_you_anonymous_gets_popular_and_logs_an_impression(api_client, catalogue) -> None:  # type: ignore[no-untyped-def]
    res = api_client.get(f"{URL}/for-you", {"limit": 3})
    assert res.status_code == 200
    body = res.json()
    assert [i["product_id"] for i in body["items"]] == [p.pk for p in catalogue[:3]]
    assert body["items"][0]["source"] == "fallback" and body["items"][0]["model_version"] is None
    assert body["variant"] == "blend"
    impression = Event.objects.get(type="rec_impression")
    assert impression.metadata["slot"] == "for_you"
    assert impression.metadata["items"] == [p.pk for p in catalogue[:3]]


@pytest.mark.parametrize("limit", ["0", "abc", "1000"])
def test_bad_limit_is_a_400_naming_the_field(api_client, catalogue, limit) -> None:  # type: ignore[no-untyped-def]
    res = api_client.get(f"{URL}/for-you/", {"limit": limit})
    assert res.status_code == 400
    assert "limit" in res.json()


def test_similar_and_bought_together_exclude_the_product_itself(api_client, catalogue) -> None:  # type: ignore[no-untyped-def]
    pid = catalogue[0].pk
    for path in (f"{URL}/similar/{pid}", f"{URL}/bought-together/{pid}/"):
        res = api_client.get(path, {"limit": 4})
        assert res.status_code == 200
        ids = [i["product_id"] for i in res.json()["items"]]
        assert ids and pid not in ids


def test_cart_recommendations_never_include_cart_items(api_client, catalogue) -> None:  # type: ignore[no-untyped-def]
    ids = f"{catalogue[0].pk},{catalogue[1].pk}"
    res = api_client.get(f"{URL}/cart", {"product_ids": ids, "limit": 4})
    assert res.status_code == 200
    got = {i["product_id"] for i in res.json()["items"]}
    assert len(got) == 4 and not got & {catalogue[0].pk, catalogue[1].pk}
    assert api_client.get(f"{URL}/cart", {"product_ids": "1,x"}).status_code == 400


def test_cart_recommendations_read_the_shoppers_cart(shopper_client, shopper, catalogue) -> None:  # type: ignore[no-untyped-def]
    cart = CartFactory(customer=shopper)
    CartLineFactory(cart=cart, product=catalogue[0])
    for path in (f"{URL}/cart", f"{URL}/for-you"):
        got = {i["product_id"] for i in shopper_client.get(path).json()["items"]}
        assert got and catalogue[0].pk not in got


def test_click_is_logged_and_shown_in_the_report(api_client, catalogue) -> None:  # type: ignore[no-untyped-def]
    from recommendations.selectors import feedback_by_variant, feedback_report

    api_client.get(f"{URL}/for-you", {"limit": 4})
    res = api_client.post(
        f"{URL}/click",
        {
            "product_id": catalogue[0].pk,
            "slot": "for_you",
            "source": "fallback",
            "variant": "blend",
            "position": 1,
        },
        format="json",
    )
    assert res.status_code == 204
    rows = feedback_report()
    assert rows[0].impressions == 4 and rows[0].clicks == 1 and rows[0].ctr == pytest.approx(0.25)
    assert feedback_by_variant()[0]["variant"] == "blend"
    bad = api_client.post(f"{URL}/click", {"slot": "nowhere"}, format="json")
    assert bad.status_code == 400 and {"product_id", "slot"} <= set(bad.json())


def test_admin_report_page_renders(staff_client, catalogue, client) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw-123-xyz")
    client.force_login(user)
    res = client.get("/admin/recommendations/recommendationlist/")
    assert res.status_code == 200
    assert b"Click-through by A/B variant" in res.content
    assert client.get("/admin/recommendations/merchandisingrule/").status_code == 200


def test_ml_eval_recommendations_writes_k_rows_per_user(tmp_path, db) -> None:  # type: ignore[no-untyped-def]
    train = tmp_path / "TRAIN.csv"
    rows = ["user_id,item_id,timestamp,quantity"]
    for u in range(12):
        for d in range(4):
            for item in (u % 3, 3 + u % 3, 6 + (u + d) % 4):
                rows.append(f"u{u},i{item},2024-01-{d + 1:02d}T10:00:00,1")
    train.write_text("\n".join(rows) + "\n")
    users = tmp_path / "USERS.txt"
    users.write_text("u1\nu2\nnobody\n")
    out = tmp_path / "RECS.csv"
    call_command(
        "ml_eval",
        "recommendations",
        "--train",
        str(train),
        "--users",
        str(users),
        "--k",
        "3",
        "--out",
        str(out),
        "--exclude-purchased",
    )
    import pandas as pd

    recs = pd.read_csv(out, dtype=str)
    assert list(recs.columns[:3]) == ["user_id", "rank", "item_id"]
    assert recs.groupby("user_id").size().to_dict() == {"u1": 3, "u2": 3, "nobody": 3}
    bad = tmp_path / "BAD.csv"
    bad.write_text("user,item_id,timestamp\nu1,i1,2024-01-01\n")
    with pytest.raises(CommandError, match="user_id"):
        call_command(
            "ml_eval",
            "recommendations",
            "--train",
            str(bad),
            "--users",
            str(users),
            "--k",
            "3",
            "--out",
            str(out),
        )


def test_product_widgets_leave_out_the_cart_and_label_their_fallbacks(
    shopper_client, shopper, catalogue
) -> None:  # type: ignore[no-untyped-def]
    from tests.recommendations.factories import purchase

    pid = catalogue[0].pk
    purchase(customer=None, products=[catalogue[0], catalogue[5]])
    cart = CartFactory(customer=shopper)
    CartLineFactory(cart=cart, product=catalogue[1])
    similar = shopper_client.get(f"{URL}/similar/{pid}/", {"limit": 4}).json()["items"]
    together = shopper_client.get(f"{URL}/bought-together/{pid}/", {"limit": 4}).json()["items"]
    for items in (similar, together):
        ids = {i["product_id"] for i in items}
        assert ids and not ids & {pid, catalogue[1].pk}
        assert all(i["model_version"] is None for i in items)
    assert {i["source"] for i in similar} == {"same_category"}
    assert (together[0]["product_id"], together[0]["source"]) == (catalogue[5].pk, "co_purchase")
