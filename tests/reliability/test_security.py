"""Who changed what is on record; forms and session-authenticated writes need the CSRF token;
uploads are checked by size and content."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from catalog.models import PriceHistory, Product
from fraud.models import RiskRule
from mlops.models import ModelVersion
from mlops.services import model_version_register
from pricing.models import PriceProposal
from support.models import Ticket
from tests.factories import CustomerFactory, ProductFactory, UserFactory
from tests.pricing.factories import PriceProposalFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True, username="merchant"))
    return client


def _entries(obj: object) -> list[LogEntry]:
    from django.contrib.contenttypes.models import ContentType

    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
        ).select_related("user")
    )


def _admin_form_data(context: dict) -> dict[str, object]:  # type: ignore[type-arg]
    """What the browser would post back for an unchanged admin change page."""
    data: dict[str, object] = {}

    def add(form) -> None:  # type: ignore[no-untyped-def]
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            key = form.add_prefix(name)
            if isinstance(value, list | tuple):
                data[key] = [getattr(v, "pk", v) for v in value]
            else:
                data[key] = "on" if value is True else getattr(value, "pk", value)

    add(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        mgmt = inline.formset.management_form
        for name in mgmt.fields:
            data[mgmt.add_prefix(name)] = mgmt[name].value()
        for form in inline.formset.forms:
            add(form)
    return data


def test_price_edit_in_admin_is_logged_with_user_and_field(merchant: Client) -> None:
    product = ProductFactory(price=Decimal("20.00"))
    url = f"/admin/catalog/product/{product.pk}/change/"
    data = _admin_form_data(merchant.get(url).context)
    data.update({"new_price": "17.50", "price_reason": "match the high street"})
    response = merchant.post(url, data)
    assert response.status_code == 302, [
        fs.formset.errors for fs in response.context["inline_admin_formsets"]
    ] + [response.context["adminform"].form.errors]
    product.refresh_from_db()
    assert product.price == Decimal("17.50")
    entry = _entries(product)[-1]
    assert entry.action_flag == CHANGE and entry.user.username == "merchant"
    assert "17.50" in entry.get_change_message()
    change = PriceHistory.objects.filter(product=product).latest("changed_at")
    assert change.price == Decimal("17.50") and change.changed_by.username == "merchant"
    assert change.reason == "match the high street"


def test_bulk_price_approval_is_logged_per_proposal(merchant: Client) -> None:
    proposal = PriceProposalFactory(product=ProductFactory(price=Decimal("20.00")))
    response = merchant.post(
        "/admin/pricing/priceproposal/",
        {"action": "approve_selected", "_selected_action": [proposal.pk]},
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == PriceProposal.Status.APPLIED
    assert proposal.decided_by.username == "merchant" and proposal.decided_at
    (entry,) = _entries(proposal)
    assert entry.user.username == "merchant"
    assert "Approve and apply" in entry.get_change_message()
    applied = PriceHistory.objects.get(product=proposal.product, source="pricing")
    assert applied.changed_by.username == "merchant"


def test_model_activation_records_who_and_when(merchant: Client) -> None:
    version = model_version_register(
        capability="fraud",
        artifact={"w": 1},
        params={},
        metrics={"ap": 0.5},
        primary_metric="ap",
    )
    response = merchant.post(
        "/admin/mlops/modelversion/",
        {"action": "force_activate", "_selected_action": [version.pk]},
    )
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.status == ModelVersion.Status.ACTIVE
    assert version.activated_by.username == "merchant" and version.activated_at
    assert any("Force activate" in e.get_change_message() for e in _entries(version))


def test_new_fraud_rule_is_logged(merchant: Client) -> None:
    response = merchant.post(
        "/admin/fraud/riskrule/add/",
        {
            "name": "big foreign orders",
            "expression": "amount > 1000 and ip_country != billing_country",
            "action": "review",
            "position": 1,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rule = RiskRule.objects.get(name="big foreign orders")
    (entry,) = _entries(rule)
    assert entry.action_flag == ADDITION and entry.user.username == "merchant"


# ------------------------------------------------------------------------------------- CSRF
def test_session_writes_without_csrf_token_are_refused() -> None:
    customer = CustomerFactory()
    product = ProductFactory(with_stock=5)
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer.user)
    path = "/api/v1/cart/lines/"
    refused = client.post(path, {"product_id": product.pk}, content_type="application/json")
    assert refused.status_code == 403
    client.get("/cart/")  # the page sets the CSRF cookie its scripts send back
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        path, {"product_id": product.pk}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201


def test_login_forms_without_csrf_token_are_refused() -> None:
    UserFactory(username="alice", password="pw-123456")
    client = Client(enforce_csrf_checks=True)
    assert (
        client.post("/admin/login/", {"username": "alice", "password": "pw-123456"}).status_code
        == 403
    )
    api_login = client.post(
        "/api/v1/account/login/",
        {"username": "alice", "password": "pw-123456"},
        content_type="application/json",
    )
    assert api_login.status_code in (403, 400)


# ---------------------------------------------------------------------------------- uploads
def test_ticket_import_refuses_oversized_and_binary_files(merchant: Client) -> None:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(UserFactory(is_staff=True))
    big = SimpleUploadedFile("tickets.csv", b"body\n" + b"x" * (5 * 1024 * 1024 + 10))
    assert client.post("/api/v1/support/tickets/import/", {"file": big}).status_code == 400
    png = SimpleUploadedFile("tickets.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    response = client.post("/api/v1/support/tickets/import/", {"file": png})
    assert response.status_code == 400 and "file" in response.json()
    assert not Ticket.objects.exists()


def test_competitor_upload_refuses_non_text(merchant: Client) -> None:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(UserFactory(is_staff=True))
    png = SimpleUploadedFile("feed.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    response = client.post("/api/v1/pricing/competitor-prices/", {"file": png})
    assert response.status_code == 400
    assert "file" in str(response.json())
    big = SimpleUploadedFile("feed.csv", b"sku,competitor,price\n" + b"A,B,1.00\n" * 700_000)
    response = client.post("/api/v1/pricing/competitor-prices/", {"file": big})
    assert response.status_code == 400 and "5 MB" in str(response.json())
    assert Product.objects.count() == 0
