"""docs/webhooks.md cannot rot: its verification code accepts a real delivery (and refuses
a forged, a replayed and a stale one), and each example payload has exactly the fields the
store really sends, with values of the same types.

``WEBHOOK_DOCS_PRINT=1 pytest tests/webhooks/test_docs.py -s`` prints the real payloads,
to paste into the guide when an event changes."""

import json
import os
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone

from catalog import services as catalog
from fraud import services as fraud
from orders.models import Order, OrderLine
from returns import services as returns
from returns.models import ReturnLine, ReturnRequest
from support import services as support
from support.models import Ticket
from tests.factories import ProductFactory, UserFactory
from tests.orders.factories import order_placed
from tests.webhooks.conftest import Receiver
from webhooks import services
from webhooks.models import Event

pytestmark = pytest.mark.django_db

GUIDE = Path(settings.BASE_DIR) / "docs" / "webhooks.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE.read_text(), flags=re.DOTALL)


def _verify_function() -> Any:
    (code,) = [b for b in _blocks("python") if "def verify(" in b]
    namespace: dict[str, Any] = {}
    exec(compile(code, str(GUIDE), "exec"), namespace)  # noqa: S102 (our own guide)
    return namespace["verify"]


def _documented_payloads() -> dict[str, dict[str, Any]]:
    examples = [json.loads(b) for b in _blocks("json")]
    return {e["event"]: e for e in examples if isinstance(e, dict) and "event" in e}


def _shape(value: Any) -> Any:
    """The keys and value types, recursively: what a receiver's parser depends on."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    if value is None:
        return "null"
    return type(value).__name__


def _real_payloads(receiver: Receiver, capture: Any) -> dict[str, dict[str, Any]]:
    """One real delivery of every event, each committed on its own (as in the store)."""
    from orders import services as orders

    webhook = services.webhook_create(target_url=receiver.url, events=Event.values)
    product = ProductFactory(
        sku="KETTLE-1", name="Kettle", slug="kettle", price=Decimal("24.50"), with_stock=0
    )
    steps: list[Any] = [
        lambda: order_placed(key="doc", held=True),
        lambda: fraud.review_decide(order_id=held(), decision="approve", user_id=None),
        lambda: orders.order_fulfil(
            order_id=held(), carrier="Royal Mail", tracking_number="RM123456785GB"
        ),
        lambda: orders.refund_create(order_id=held(), amount=Decimal("10.00"), reason="dented"),
        lambda: returns.return_request_create(
            order_id=held(),
            lines=[returns.ReturnLineInput(line_of(held()), 1, "damaged", "cracked lid")],
        ),
        lambda: returns.return_approve(return_id=ReturnRequest.objects.get().pk),
        lambda: returns.return_receive(
            return_id=ReturnRequest.objects.get().pk,
            restock_line_ids=[ReturnLine.objects.get().pk],
        ),
        lambda: orders.order_cancel(order_id=order_placed(key="doc2").pk),
        lambda: support.ticket_create(body="Where is my parcel? It is late", email="a@b.io"),
        lambda: support.ticket_solve(ticket_id=Ticket.objects.get().pk, notify=False),
        lambda: catalog.stock_adjust(product_id=product.pk, quantity=5),
        lambda: catalog.product_price_set(
            product_id=product.pk,
            price=Decimal("19.99"),
            reason="winter sale",
            user_id=UserFactory(is_staff=True).pk,
        ),
        lambda: services.webhook_ping(webhook_id=webhook.pk),
    ]

    def line_of(order_id: int) -> int:
        return OrderLine.objects.get(order_id=order_id).pk

    def held() -> int:
        return Order.objects.get(number__isnull=False, lines__sku="TEA-doc").pk

    for step in steps:
        with capture(execute=True):
            step()
    first: dict[str, dict[str, Any]] = {}
    for payload in (json.loads(r.body) for r in receiver.requests):
        first.setdefault(payload["event"], payload)
    return first


def test_every_documented_payload_has_the_fields_really_sent(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    real = _real_payloads(receiver, django_capture_on_commit_callbacks)
    if os.environ.get("WEBHOOK_DOCS_PRINT"):
        for event, payload in real.items():
            print(f"\n{event}\n{json.dumps(payload, indent=2, ensure_ascii=False)}")
    documented = _documented_payloads()
    assert set(real) == {*Event.values, "ping"}  # every event is sent by the code above
    assert set(documented) == set(real), "the guide documents every event, and only those"
    for event, payload in real.items():
        assert _shape(documented[event]) == _shape(payload), event


def test_the_documented_verification_accepts_a_real_delivery_and_refuses_forgeries(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    verify = _verify_function()
    webhook = services.webhook_create(target_url=receiver.url, events=["order.paid"])
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_ping(webhook_id=webhook.pk)
    (sent,) = receiver.requests

    assert verify(webhook.secret, sent.headers, sent.body) is True
    assert verify("whsec_someone-else", sent.headers, sent.body) is False
    assert verify(webhook.secret, sent.headers, sent.body.replace(b"Test", b"Fake")) is False
    later = timezone.now() + timedelta(minutes=6)  # replayed after the 5-minute window
    with mock.patch("time.time", return_value=later.timestamp()):
        assert verify(webhook.secret, sent.headers, sent.body) is False


def test_the_documented_verification_accepts_either_secret_during_a_rotation(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    verify = _verify_function()
    webhook = services.webhook_create(target_url=receiver.url, events=["order.paid"])
    old = webhook.secret
    new = services.webhook_secret_rotate(webhook_id=webhook.pk).secret
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_ping(webhook_id=webhook.pk)
    (sent,) = receiver.requests
    assert verify(old, sent.headers, sent.body) is True  # the receiver not switched yet
    assert verify(new, sent.headers, sent.body) is True  # the receiver switched
