"""Block and allow lists: checkout decisions, rules with @alias, reviewer blocks, bulk add."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import Stock
from fraud import selectors, services
from fraud.models import RiskAssessment, RiskList, RiskListItem
from fraud.rules import RuleSyntaxError
from orders.facade import card_fingerprint
from orders.models import Order
from tests.factories import ADDRESS, GOOD_CARD, CustomerFactory, ProductFactory, UserFactory
from tests.fraud.factories import GOOD_CARD_2, checkout

pytestmark = pytest.mark.django_db

EMAIL = "shopper@example.com"  # what tests.fraud.factories.checkout pays with


def add(alias: str, value: str, **kwargs: Any) -> RiskListItem:
    item, _ = services.risk_list_item_add(
        risk_list=RiskList.objects.get(alias=alias), value=value, **kwargs
    )
    return item


class _FakeModel:
    """An active model that scores every order at 0.30 (elevated under the defaults)."""

    def score_one(self, feats: Any, top_k: int = 3) -> tuple[float, list[Any]]:
        self.seen = dict(feats)
        return 0.30, []


def elevated_model() -> Any:
    model = _FakeModel()
    loaded = SimpleNamespace(artifact=model, version=7)
    return mock.patch.object(services.mlops, "model_active_get", return_value=loaded), model


def test_default_radar_lists_are_seeded() -> None:
    assert dict(RiskList.objects.values_list("alias", "kind")) == {
        "blocked_emails": "block",
        "blocked_email_domains": "block",
        "blocked_cards": "block",
        "blocked_ips": "block",
        "allowed_emails": "allow",
        "allowed_cards": "allow",
    }


def test_values_are_normalised_and_invalid_ones_refused() -> None:
    assert add("blocked_emails", "  Fraud@Example.COM ").value == "fraud@example.com"
    assert add("blocked_email_domains", "@Mailinator.com").value == "mailinator.com"
    assert add("blocked_ips", "2001:DB8:0:0::1").value == "2001:db8::1"
    # a card number is stored only as its fingerprint
    assert add("blocked_cards", "4242 4242 4242 4242").value == card_fingerprint(GOOD_CARD)
    again, created = services.risk_list_item_add(
        risk_list=RiskList.objects.get(alias="blocked_emails"), value="FRAUD@example.com"
    )
    assert (
        not created and RiskListItem.objects.filter(risk_list__alias="blocked_emails").count() == 1
    )
    with pytest.raises(services.ServiceError, match="valid IPv4 or IPv6"):
        add("blocked_ips", "10.0.0.300")


def test_blocked_card_is_declined_stock_kept_and_the_shopper_sees_the_usual_decline() -> None:
    add("blocked_cards", card_fingerprint(GOOD_CARD), reason="chargeback last week")
    shopper = CustomerFactory()
    client = Client()
    client.force_login(shopper.user)
    product = ProductFactory(with_stock=5)
    client.post("/api/v1/cart/lines/", {"product_id": product.pk}, content_type="application/json")
    response = client.post(
        "/api/v1/checkout/",
        {"email": "ada@example.com", "shipping_address": ADDRESS, "card_number": GOOD_CARD},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    body = response.json()
    assert response.status_code == 201 and body["outcome"] == "declined"
    order = Order.objects.get(number=body["number"])
    assert order.status == Order.Status.CANCELLED
    assert Stock.objects.get(product=product).on_hand == 5  # nothing taken
    assert order.risk_assessment.rules_triggered == ["on block list Blocked cards"]
    html = client.get(f"/order/{order.number}/").content.decode()
    assert "We could not accept this order" in html and "try another card" in html
    for secret in ("block", "Blocked cards", "blocked_cards"):
        assert secret not in response.content.decode() and secret not in html
    # another card goes through
    other = checkout(card=GOOD_CARD_2, key="k2")
    assert other.status == Order.Status.PAID


@pytest.mark.parametrize(
    ("alias", "value", "kwargs"),
    [
        ("blocked_emails", "SHOPPER@example.com", {}),
        ("blocked_email_domains", "example.com", {}),
        ("blocked_ips", "10.0.0.1", {}),
    ],
)
def test_block_lists_decline_by_email_domain_and_ip(alias: str, value: str, kwargs: Any) -> None:
    add(alias, value)
    order = checkout(**kwargs)
    assert order.status == Order.Status.CANCELLED
    assert order.risk_assessment.rules_triggered[0].startswith("on block list ")
    assert checkout(ip_address="10.0.0.2", key="k2").status == (
        Order.Status.PAID if alias == "blocked_ips" else Order.Status.CANCELLED
    )


def test_allowed_email_with_an_elevated_score_is_approved_without_review() -> None:
    patch, model = elevated_model()
    with patch:
        held = checkout()
        add("allowed_emails", EMAIL)
        allowed = checkout(key="k2")
    assert held.status == Order.Status.ON_HOLD  # the same score without the list
    assert allowed.status == Order.Status.PAID
    a = allowed.risk_assessment
    assert (a.action, a.level, a.score) == ("approve", "elevated", 0.30)  # score recorded
    assert a.rules_triggered == ["on allow list Allowed e-mails"]
    assert [q.order_id for q in selectors.review_queue()] == [held.pk]
    # the model never sees who is paying or whether they are listed
    leaked = {"email", "email_domain", "card_fingerprint", "ip_address", "customer_id"}
    assert not leaked & set(model.seen) and not leaked & set(a.features)
    assert not any("list" in k for k in [*model.seen, *a.features])


def test_block_beats_allow() -> None:
    add("allowed_emails", EMAIL)
    add("blocked_cards", GOOD_CARD)
    order = checkout()
    assert order.status == Order.Status.CANCELLED
    assert order.risk_assessment.rules_triggered == ["on block list Blocked cards"]


def test_expired_items_are_ignored() -> None:
    add("blocked_cards", GOOD_CARD, expires_at=timezone.now() - timedelta(minutes=1))
    assert checkout().status == Order.Status.PAID
    # re-adding an expired value puts it back for good
    _, renewed = services.risk_list_item_add(
        risk_list=RiskList.objects.get(alias="blocked_cards"), value=GOOD_CARD
    )
    assert renewed and checkout(key="k2").status == Order.Status.CANCELLED


def test_rule_with_a_list_compiles_and_fires() -> None:
    watch = RiskList.objects.create(alias="fraud_watch", name="Watch", item_type="email")
    services.risk_list_item_add(risk_list=watch, value=EMAIL)
    assert checkout().status == Order.Status.PAID  # a custom list acts only through a rule
    services.risk_rule_create(
        name="watched e-mails", expression="email in @fraud_watch", action="review"
    )
    services.rules_cache_clear()
    held = checkout(key="k2")
    assert held.status == Order.Status.ON_HOLD
    assert held.risk_assessment.rules_triggered == ["watched e-mails"]


def test_default_block_list_in_a_rule_and_unknown_alias_is_named() -> None:
    compiled = selectors.rule_compile_checked("email in @blocked_emails")
    assert compiled.lists == {"blocked_emails"}
    hits = selectors.ListHits(entries=frozenset({("blocked_emails", EMAIL)}))
    assert compiled.matches({"email": EMAIL}, hits)
    assert not compiled.matches({"email": "other@example.com"}, hits)
    with pytest.raises(RuleSyntaxError, match=r"unknown list '@blocked_emailz' \(column 10\)"):
        selectors.rule_compile_checked("email in @blocked_emailz")
    with pytest.raises(RuleSyntaxError, match="holds card fingerprint values"):
        selectors.rule_compile_checked("email in @blocked_cards")
    with pytest.raises(RuleSyntaxError, match="unknown list '@nope'"):
        services.risk_rule_create(name="x", expression="ip_country in @nope", action="block")


def test_checkout_looks_lists_up_in_two_queries_or_one_while_they_are_empty(
    django_assert_num_queries: Any,
) -> None:
    order = checkout()
    values = {**selectors.checkout_context(order_id=order.pk).identity, "ip_country": "GB"}
    with django_assert_num_queries(1):
        assert selectors.risk_list_hits(values=values) == selectors.ListHits()
    add("blocked_emails", EMAIL)
    add("allowed_cards", GOOD_CARD)
    add("blocked_ips", "203.0.113.9")  # another checkout's value: not a hit
    with django_assert_num_queries(2):
        hits = selectors.risk_list_hits(values=values)
    assert hits.blocked == ("Blocked e-mails",) and hits.allowed == ("Allowed cards",)


def test_reject_and_block_card_declines_the_next_checkout_with_that_card() -> None:
    services.risk_rule_create(name="all", expression="amount > 0", action="review")
    held = checkout()
    reviewer = UserFactory(is_staff=True)
    services.review_decide(
        order_id=held.pk, decision="cancel", user_id=reviewer.pk, block=("card",)
    )
    item = RiskListItem.objects.get(risk_list__alias="blocked_cards")
    assert item.value == card_fingerprint(GOOD_CARD) and item.added_by == reviewer
    assert held.number in item.reason
    nxt = checkout(key="k2")
    assert nxt.status == Order.Status.CANCELLED
    assert nxt.risk_assessment.rules_triggered == ["on block list Blocked cards"]


def test_admin_reject_and_block_email_action(admin_client: Client) -> None:
    services.risk_rule_create(name="all", expression="amount > 0", action="review")
    held = checkout()
    response = admin_client.post(
        "/admin/fraud/reviewqueueitem/",
        {"action": "reject_and_block_email", "_selected_action": [held.risk_assessment.pk]},
        follow=True,
    )
    assert "1 order(s) cancelled as fraud; their e-mail blocked" in response.content.decode()
    held.refresh_from_db()
    assert held.status == Order.Status.CANCELLED
    assert RiskListItem.objects.get(risk_list__alias="blocked_emails").value == EMAIL
    assert checkout(card=GOOD_CARD_2, key="k2").status == Order.Status.CANCELLED


def test_review_api_cancel_can_block_card_and_email(staff_client: APIClient) -> None:
    services.risk_rule_create(name="all", expression="amount > 0", action="review")
    held = checkout()
    url = f"/api/v1/fraud/reviews/{held.pk}/decision/"
    refused = staff_client.post(url, {"decision": "approve", "block_card": True}, format="json")
    assert refused.status_code == 400 and "decision" in refused.json()
    ok = staff_client.post(
        url, {"decision": "cancel", "block_card": True, "block_email": True}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["review_outcome"] == "fraud"
    assert set(RiskListItem.objects.values_list("risk_list__alias", flat=True)) == {
        "blocked_cards",
        "blocked_emails",
    }


def test_csv_bulk_add_reports_bad_lines_and_adds_the_rest(admin_client: Client) -> None:
    blocked = RiskList.objects.get(alias="blocked_emails")
    url = f"/admin/fraud/risklist/{blocked.pk}/bulk-add/"
    text = "a@example.com\nnot-an-email\n\nB@Example.com,extra column\n# comment\nc@\n"
    response = admin_client.post(url, {"values": text, "reason": "import"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 value(s) added to Blocked e-mails" in html
    assert "<td>2</td><td>enter a valid e-mail address</td>" in html
    assert "<td>6</td><td>enter a valid e-mail address</td>" in html
    assert sorted(blocked.items.values_list("value", flat=True)) == [
        "a@example.com",
        "b@example.com",
    ]
    # all good: straight back to the list's items
    ok = admin_client.post(url, {"values": "d@example.com\na@example.com"})
    assert ok.status_code == 302 and blocked.items.count() == 3
    listing = admin_client.get("/admin/fraud/risklist/").content.decode()
    assert ">3 items<" in listing and "@blocked_emails" in listing


def test_bulk_add_is_atomic() -> None:
    blocked = RiskList.objects.get(alias="blocked_emails")
    real = services.risk_list_item_add
    calls = {"n": 0}

    def flaky(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("database went away")
        return real(**kwargs)

    with mock.patch.object(services, "risk_list_item_add", flaky), pytest.raises(RuntimeError):
        services.risk_list_items_bulk_add(risk_list=blocked, lines=["a@x.com", "b@x.com"])
    assert not blocked.items.exists()


def test_admin_item_form_normalises_and_refuses_bad_values(admin_client: Client) -> None:
    ips = RiskList.objects.get(alias="blocked_ips")
    bad = admin_client.post(
        "/admin/fraud/risklistitem/add/", {"risk_list": ips.pk, "value": "999.1.1.1"}
    )
    assert "enter a valid IPv4 or IPv6 address" in bad.content.decode()
    good = admin_client.post(
        "/admin/fraud/risklistitem/add/", {"risk_list": ips.pk, "value": " 10.0.0.9 "}
    )
    assert good.status_code == 302
    assert ips.items.get().value == "10.0.0.9"
    found = admin_client.get("/admin/fraud/risklistitem/?q=10.0.0").content.decode()
    assert "10.0.0.9" in found


def test_list_api(staff_client: APIClient) -> None:
    lists = staff_client.get("/api/v1/fraud/lists/").json()
    assert {row["alias"] for row in lists} >= {"blocked_emails", "allowed_cards"}
    url = "/api/v1/fraud/lists/blocked_emails/items/"
    created = staff_client.post(url, {"value": " X@Example.com", "reason": "spam"}, format="json")
    assert created.status_code == 201 and created.json()["value"] == "x@example.com"
    assert staff_client.post(url, {"value": "x@example.com"}, format="json").status_code == 200
    page = staff_client.get(url + "?q=example").json()
    assert page["count"] == 1 and page["results"][0]["reason"] == "spam"
    counts = {r["alias"]: r["item_count"] for r in staff_client.get("/api/v1/fraud/lists/").json()}
    assert counts["blocked_emails"] == 1
    item_id = created.json()["id"]
    assert staff_client.delete(f"{url}{item_id}/").status_code == 204
    assert staff_client.delete(f"{url}{item_id}/").status_code == 404
    assert staff_client.get("/api/v1/fraud/lists/nope/items/").status_code == 404


@pytest.mark.parametrize(
    ("alias", "value", "message"),
    [
        ("blocked_emails", "not-an-email", "enter a valid e-mail address"),
        ("blocked_ips", "10.0.0.256", "enter a valid IPv4 or IPv6 address"),
        ("blocked_email_domains", "no spaces.com x", "enter a domain"),
        ("blocked_cards", "1234", "card fingerprint"),
    ],
)
def test_list_api_400s_name_the_field(
    staff_client: APIClient, alias: str, value: str, message: str
) -> None:
    response = staff_client.post(
        f"/api/v1/fraud/lists/{alias}/items/", {"value": value}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and message in body["value"][0]
    assert value not in body["detail"]  # list values are personal data: not echoed
    assert not RiskListItem.objects.exists()


def test_country_list_api_400_and_rule(staff_client: APIClient) -> None:
    RiskList.objects.create(alias="risky_countries", name="Risky", item_type="country")
    url = "/api/v1/fraud/lists/risky_countries/items/"
    bad = staff_client.post(url, {"value": "Nigeria"}, format="json")
    assert bad.status_code == 400 and "two-letter ISO country" in bad.json()["value"][0]
    assert staff_client.post(url, {"value": "ng"}, format="json").json()["value"] == "NG"
    missing = staff_client.post(url, {}, format="json")
    assert missing.status_code == 400 and "value" in missing.json()
    services.risk_rule_create(
        name="risky IP country", expression="ip_country in @risky_countries", action="block"
    )
    assert checkout(ip_country="NG").status == Order.Status.CANCELLED
    assert checkout(ip_country="GB", key="k2").status == Order.Status.PAID


def test_list_endpoints_are_staff_only(shopper_client: APIClient) -> None:
    assert shopper_client.get("/api/v1/fraud/lists/").status_code == 403
    url = "/api/v1/fraud/lists/blocked_emails/items/"
    assert shopper_client.post(url, {"value": "a@b.com"}, format="json").status_code == 403
    assert not RiskListItem.objects.exists()
    anonymous = APIClient()
    assert anonymous.get(url).status_code in (401, 403)


def test_list_values_are_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    add("blocked_emails", EMAIL)
    with mock.patch.object(services, "order_risk_assess", side_effect=RuntimeError("boom")):
        checkout()
    checkout(key="k2")
    assert EMAIL not in caplog.text and "blocked_emails" not in caplog.text
    assert RiskAssessment.objects.count() == 1


def test_list_endpoints_queries_do_not_grow(
    staff_client: APIClient, django_assert_num_queries: Any
) -> None:
    blocked = RiskList.objects.get(alias="blocked_emails")
    reviewer = UserFactory(is_staff=True)
    for i in range(30):
        services.risk_list_item_add(risk_list=blocked, value=f"u{i}@x.com", added_by_id=reviewer.pk)
    with django_assert_num_queries(1):
        assert staff_client.get("/api/v1/fraud/lists/").status_code == 200
    with django_assert_num_queries(3):  # the list, the count, the page
        page = staff_client.get("/api/v1/fraud/lists/blocked_emails/items/").json()
    assert page["count"] == 30 and page["results"][0]["added_by"] == reviewer.username


def test_a_list_used_by_a_rule_keeps_its_alias(admin_client: Client) -> None:
    watch = RiskList.objects.create(alias="watch", name="Watch", item_type="email")
    services.risk_rule_create(name="watched", expression="email in @watch", action="review")
    response = admin_client.post(
        f"/admin/fraud/risklist/{watch.pk}/change/",
        {"name": "Watch", "alias": "watch2", "item_type": "email", "kind": "custom"},
    )
    assert "rules use @watch (watched): edit them first" in response.content.decode()
    watch.refresh_from_db()
    assert watch.alias == "watch"
    assert admin_client.post(f"/admin/fraud/risklist/{watch.pk}/delete/", {"post": "yes"})
    assert RiskList.objects.filter(pk=watch.pk).exists()
