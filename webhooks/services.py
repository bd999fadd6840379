"""Writes of the webhooks app: webhooks themselves, and sending their deliveries.

A delivery is a POST of JSON to the webhook's URL, signed with its secret::

    X-Mlstore-Event: order.paid
    X-Mlstore-Delivery: <uuid, the same on every retry: the receiver's idempotency key>
    X-Mlstore-Timestamp: <unix seconds of this attempt>
    X-Mlstore-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>
                         (for a day after a rotation: sha256=<new>,sha256=<old>)

docs/webhooks.md is the receiver's guide (events, payloads, verification).

A 2xx answer within ``TIMEOUT_SECONDS`` is a success; anything else (another status, a
redirect, a timeout, no connection) is retried after ``BACKOFF`` and given up after
``MAX_ATTEMPTS``. Deliveries are at least once: a worker lost mid-send sends again.
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from storefront.api_errors import ServiceError
from webhooks import selectors, transport
from webhooks.models import PING, Event, Webhook, WebhookDelivery, secret_generate

if TYPE_CHECKING:
    from orders.facade import OrderSnapshot

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5
# Waits after the 1st, 2nd, ... failed attempt; the attempt after the last wait is the last.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
URL_MAX_LENGTH = 500
# After a rotation, how long the old secret also signs every delivery.
SECRET_OVERLAP = timedelta(hours=24)
# How long the delivery log keeps a delivery, by how it ended (pending ones are kept).
KEEP_SUCCEEDED = timedelta(days=30)
KEEP_FAILED = timedelta(days=90)
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


# --- webhooks --------------------------------------------------------------------------------


def _local_http_allowed() -> bool:
    # a receiver on the developer's own machine: in DEBUG, or where the tests turn it on
    return bool(getattr(settings, "WEBHOOKS_ALLOW_LOCAL_HTTP", settings.DEBUG))


def _internal_host(host: str) -> bool:
    if host in _LOCAL_HOSTS or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: what it resolves to is checked by _addresses_vetted
    return transport.address_refused(host)


class UrlRefused(ServiceError):
    """The URL names, or resolves to, a place events may not go: never worth a retry."""


def _url_parts_clean(url: str) -> tuple[str, str, int, bool]:
    """The stripped URL, its host, port, and whether it is a local receiver (DEBUG);
    ``UrlRefused`` on ``target_url`` if events may not go there by its text alone."""
    url = url.strip()
    if len(url) > URL_MAX_LENGTH:
        raise UrlRefused(f"at most {URL_MAX_LENGTH} characters", field="target_url")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise UrlRefused(
            "enter a full URL such as https://example.com/hooks/mlstore", field="target_url"
        ) from None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.username or parts.password:
        raise UrlRefused(
            "leave the user name and password out of the URL: every delivery is signed "
            "with the webhook's secret instead",
            field="target_url",
        )
    local = host in _LOCAL_HOSTS and _local_http_allowed()
    if parts.scheme != "https" and not local:
        raise UrlRefused("the URL must start with https://", field="target_url")
    if _internal_host(host) and not local:
        raise UrlRefused(
            "this address is on the store's own network; give the receiver's public address",
            field="target_url",
        )
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return url, host, port, local


def _addresses_vetted(host: str, addresses: list[str], *, local: bool) -> list[str]:
    """``addresses`` if every one may be sent to, else ``UrlRefused`` naming the first
    that may not: one bad address among good ones is enough (the connect may pick it)."""
    for address in addresses:
        # the DEBUG receiver on this machine: loopback only, whatever localhost says
        bad = (
            not ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
            if local
            else (transport.address_refused(address))
        )
        if bad:
            raise UrlRefused(
                f"{host} resolves to {address}, an address on the store's own network "
                "(private, loopback, link-local or reserved); give the receiver's public "
                "address",
                field="target_url",
            )
    return addresses


def webhook_url_clean(url: str) -> str:
    """``url`` stripped if events may go there: https, or http to this machine in DEBUG
    (and tests); never an address on the store's own network, nor a host name that
    resolves to one, nor a URL carrying a user name or password. Else a ``ServiceError``
    on ``target_url``.

    A name that cannot be resolved now (DNS down, a record not published yet) is let
    through: every delivery resolves and checks it again before it connects."""
    url, host, port, local = _url_parts_clean(url)
    try:
        addresses = transport.resolve(host, port)
    except (OSError, UnicodeError):
        return url
    _addresses_vetted(host, addresses, local=local)
    return url


def _target_vet(url: str) -> tuple[str, list[str]]:
    """The URL and the vetted addresses a delivery connects to, resolved now, for this
    attempt only. ``UrlRefused`` when it may not be sent to; ``OSError`` when the name
    does not resolve (worth a retry: DNS trouble passes)."""
    url, host, port, local = _url_parts_clean(url)  # DEBUG may be off since it was saved
    return url, _addresses_vetted(host, transport.resolve(host, port), local=local)


def webhook_events_clean(events: Iterable[str]) -> list[str]:
    """The subscribed event names, each once, in catalogue order; refuses an unknown one."""
    names = [str(e) for e in events]
    unknown = [name for name in names if name not in Event.values]
    if unknown:
        raise ServiceError(
            f"unknown event {', '.join(unknown)}; choose from {', '.join(Event.values)}",
            field="events",
        )
    if not names:
        raise ServiceError("choose at least one event", field="events")
    return [name for name in Event.values if name in names]


def _subscriptions_changed() -> None:
    transaction.on_commit(lambda: cache.delete(selectors.SUBSCRIPTIONS_CACHE_KEY))


def webhook_create(
    *, target_url: str, events: Iterable[str], name: str = "", is_active: bool = True
) -> Webhook:
    """A new webhook with a freshly generated signing secret."""
    url = webhook_url_clean(target_url)  # a DNS lookup: before the transaction, not in it
    with transaction.atomic():
        webhook = Webhook.objects.create(
            name=name.strip()[:100],
            target_url=url,
            events=webhook_events_clean(events),
            is_active=is_active,
        )
        _subscriptions_changed()
    return webhook


def webhook_update(
    *,
    webhook_id: int,
    target_url: str | None = None,
    events: Iterable[str] | None = None,
    name: str | None = None,
    is_active: bool | None = None,
) -> Webhook:
    """Change what is given; the secret stays (receivers keep verifying with it)."""
    # a DNS lookup: before the row is locked, not while it is
    url = webhook_url_clean(target_url) if target_url is not None else None
    with transaction.atomic():
        webhook = Webhook.objects.select_for_update().get(pk=webhook_id)
        if url is not None:
            webhook.target_url = url
        if events is not None:
            webhook.events = webhook_events_clean(events)
        if name is not None:
            webhook.name = name.strip()[:100]
        if is_active is not None:
            webhook.is_active = is_active
        webhook.save()
        _subscriptions_changed()
    return webhook


@transaction.atomic
def webhook_secret_rotate(*, webhook_id: int) -> Webhook:
    """A new signing secret for the webhook; the old one keeps signing deliveries too
    (a second ``sha256=`` in ``X-Mlstore-Signature``) for ``SECRET_OVERLAP``, so the
    receiver can switch to the new one without refusing an event. Rotating again in that
    time retires the older secret at once: only the last two ever sign."""
    webhook = Webhook.objects.select_for_update().get(pk=webhook_id)
    webhook.previous_secret = webhook.secret
    webhook.previous_secret_expires_at = timezone.now() + SECRET_OVERLAP
    webhook.secret = secret_generate()
    webhook.save(
        update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"]
    )
    logger.info("webhook %s: signing secret rotated", webhook.pk)  # never the secret
    return webhook


@transaction.atomic
def webhook_delete(*, webhook_id: int) -> None:
    """Delete the webhook and its delivery log; nothing more is sent to it."""
    Webhook.objects.filter(pk=webhook_id).delete()
    _subscriptions_changed()


# --- events ----------------------------------------------------------------------------------


def _iso(value: datetime) -> str:
    return timezone.localtime(value).isoformat()  # ISO 8601 with the offset, never naive


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _order_data(order: "OrderSnapshot") -> dict[str, Any]:
    refunded = sum((r.amount for r in order.refunds), Decimal("0"))
    return {
        "number": order.number,
        "status": order.status,
        "currency": order.currency,
        "subtotal": _money(order.subtotal),
        "discount": _money(order.discount),
        "voucher_code": order.voucher_code,
        "shipping": _money(order.shipping),
        "shipping_method": order.shipping_method,
        "total": _money(order.total),
        "refunded": _money(refunded),
        "email": order.email,
        "placed_at": _iso(order.placed_at),
        "updated_at": _iso(order.updated_at),
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": _money(line.unit_price),
                "line_total": _money(line.line_total),
            }
            for line in order.lines
        ],
        "fulfilments": [
            {
                "carrier": f.carrier,
                "tracking_number": f.tracking_number,
                "shipped_at": _iso(f.shipped_at),
            }
            for f in order.fulfilments
        ],
    }


def _payload(
    event: str, event_id: uuid.UUID, now: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    return {"id": str(event_id), "event": event, "created_at": _iso(now), "data": data}


def _order_event(
    *, order_id: int, refund_id: int | None, context: dict[str, str | None]
) -> dict[str, Any] | None:
    from orders import facade as orders  # orders imports this app's facade

    order = orders.order_snapshot(order_id)
    if order is None:
        return None
    data: dict[str, Any] = {"order": _order_data(order)}
    if refund_id is not None:
        refund = next((r for r in order.refunds if r.id == refund_id), None)
        if refund is not None:
            data["refund"] = {
                "id": refund.id,
                "amount": _money(refund.amount),
                "reason": refund.reason,
                "created_at": _iso(refund.created_at),
            }
    return data


def _review_event(
    *, order_id: int, refund_id: int | None, context: dict[str, str | None]
) -> dict[str, Any] | None:
    """The verdict on a held order. The reviewer is staff and stays unnamed; the order is
    its number and status only (``order.paid``/``order.cancelled`` carry the rest)."""
    from fraud import facade as fraud
    from orders import facade as orders

    review = fraud.order_review(order_id=order_id)
    order = orders.order_snapshot(order_id)
    if review is None or order is None:
        return None
    return {
        "order": {"number": order.number, "status": order.status},
        "review": {
            "decision": review.decision,
            "reviewer": "staff",
            "decided_at": _iso(review.reviewed_at),
            "risk_level": review.level,
            "risk_score": round(review.score, 4),
        },
    }


def _ticket_event(
    *, ticket_id: int, refund_id: int | None, context: dict[str, str | None]
) -> dict[str, Any] | None:
    """Routing facts only: never the message text, the subject or the shopper's e-mail.
    What a shopper writes to support is personal data (names, addresses, health, money
    trouble); it stays in the store, where it is redacted before ML and erased on request.
    The receiver uses the id to open the ticket in the admin."""
    from support import facade as support

    ticket = support.ticket_event_info(ticket_id=ticket_id)
    if ticket is None:
        return None
    return {
        "ticket": {
            "id": ticket.id,
            "status": ticket.status,
            "channel": ticket.channel,
            "queue": ticket.queue,
            "intent": ticket.intent,
            "priority": ticket.priority,
            "language": ticket.language,
            "created_at": _iso(ticket.created_at),
            "solved_at": _iso(ticket.solved_at) if ticket.solved_at else None,
        }
    }


def _product_event(
    *, product_id: int, refund_id: int | None, context: dict[str, str | None]
) -> dict[str, Any] | None:
    from catalog import facade as catalog

    product = catalog.products_get([product_id]).get(product_id)
    if product is None:
        return None
    data: dict[str, Any] = {
        "product": {
            "id": product.id,
            "sku": product.sku,
            "name": product.name,
            "slug": product.slug,
            "currency": settings.STORE_CURRENCY,
            "price": _money(product.price),
            "list_price": _money(product.list_price),
            "available": product.available,
            "is_active": product.is_active,
        }
    }
    if context:
        keys = ("old_price", "new_price", "source", "reason", "set_by")
        data["price_change"] = {key: context.get(key) for key in keys}
    return data


def _return_event(
    *, return_id: int, refund_id: int | None, context: dict[str, str | None]
) -> dict[str, Any] | None:
    """The return's facts: never the shopper's comments or e-mail (``order.*`` carries the
    e-mail for whoever serves the order; the order number leads there)."""
    from returns import facade as returns

    info = returns.return_event_info(return_id=return_id)
    if info is None:
        return None
    return {
        "return": {
            "id": info.id,
            "number": info.number,
            "status": info.status,
            "order_number": info.order_number,
            "currency": info.currency,
            "refund_amount": _money(info.refund_amount) if info.refund_amount else None,
            "include_shipping": info.include_shipping,
            "created_at": _iso(info.created_at),
            "refunded_at": _iso(info.refunded_at) if info.refunded_at else None,
            "lines": [
                {
                    "sku": line.sku,
                    "name": line.name,
                    "quantity": line.quantity,
                    "reason": line.reason,
                    "restocked": line.restocked,
                }
                for line in info.lines
            ],
        }
    }


_Builder = Callable[..., dict[str, Any] | None]
# Each event's subject: the name of its id, and what its ``data`` is built from.
_BUILDERS: dict[str, tuple[str, _Builder]] = {
    Event.ORDER_CREATED: ("order_id", _order_event),
    Event.ORDER_PAID: ("order_id", _order_event),
    Event.ORDER_FULFILLED: ("order_id", _order_event),
    Event.ORDER_CANCELLED: ("order_id", _order_event),
    Event.ORDER_REFUNDED: ("order_id", _order_event),
    Event.FRAUD_REVIEW_DECIDED: ("order_id", _review_event),
    Event.TICKET_CREATED: ("ticket_id", _ticket_event),
    Event.TICKET_SOLVED: ("ticket_id", _ticket_event),
    Event.PRODUCT_BACK_IN_STOCK: ("product_id", _product_event),
    Event.PRODUCT_PRICE_CHANGED: ("product_id", _product_event),
    Event.RETURN_REQUESTED: ("return_id", _return_event),
    Event.RETURN_REFUNDED: ("return_id", _return_event),
}


def event_data(
    *,
    event: str,
    subject_id: int,
    refund_id: int | None = None,
    context: dict[str, str | None] | None = None,
) -> dict[str, Any] | None:
    """The ``data`` of ``event`` about ``subject_id``, read now; None if it is gone."""
    id_name, build = _BUILDERS[event]
    return build(**{id_name: subject_id}, refund_id=refund_id, context=context or {})


def event_dispatch(
    *,
    event: str,
    subject_id: int | None = None,
    order_id: int | None = None,
    refund_id: int | None = None,
    context: dict[str, str | None] | None = None,
) -> list[int]:
    """Record and send ``event`` about ``subject_id`` (an order's, ticket's or product's
    id, as the event's prefix says; ``order_id`` is the same for order events) to every
    active webhook subscribed to it; the ids of the deliveries made. Runs after the
    emitting transaction commits (``facade.event_emit``): the payload is read then, from
    what was committed.

    Nobody subscribed: one cache read (one query on a miss) and nothing else.
    """
    webhook_ids = selectors.webhook_ids_subscribed(event=event)
    if not webhook_ids:
        return []
    subject = subject_id if subject_id is not None else order_id
    if subject is None or event not in _BUILDERS:
        return []
    data = event_data(event=event, subject_id=subject, refund_id=refund_id, context=context)
    if data is None:
        return []
    now = timezone.now()
    with transaction.atomic():
        # the cached table can name a webhook deleted or switched off a moment ago
        live = Webhook.objects.filter(pk__in=webhook_ids, is_active=True).values_list(
            "pk", flat=True
        )
        deliveries = []
        for webhook_id in live:
            event_id = uuid.uuid4()
            deliveries.append(
                WebhookDelivery(
                    webhook_id=webhook_id,
                    event=event,
                    event_id=event_id,
                    payload=_payload(event, event_id, now, data),
                    next_attempt_at=now,
                )
            )
        WebhookDelivery.objects.bulk_create(deliveries)
        ids = [d.pk for d in deliveries]
        _send_soon_on_commit(ids)
    return ids


@transaction.atomic
def webhook_ping(*, webhook_id: int) -> WebhookDelivery:
    """Send a test event (``ping``) to the webhook now, switched on or not."""
    webhook = Webhook.objects.get(pk=webhook_id)
    now = timezone.now()
    event_id = uuid.uuid4()
    data = {"webhook_id": webhook.pk, "message": f"Test event from {settings.STORE_NAME}"}
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event=PING,
        event_id=event_id,
        payload=_payload(PING, event_id, now, data),
        next_attempt_at=now,
    )
    _send_soon_on_commit([delivery.pk])
    return delivery


# --- delivery --------------------------------------------------------------------------------


def _send_soon_on_commit(delivery_ids: list[int]) -> None:
    """Hand the deliveries to a worker once the rows are committed; without a broker, to a
    thread of this process (as retraining does), so the checkout that caused them does not
    wait on the merchant's server. A delivery whose hand-off fails stays due for the sweep."""
    if not delivery_ids:
        return

    def hand_off() -> None:
        from storefront.background import run_in_background
        from webhooks.tasks import webhook_delivery_send_task

        def work() -> None:
            for delivery_id in delivery_ids:
                webhook_delivery_send(delivery_id=delivery_id)

        def queue() -> None:
            for delivery_id in delivery_ids:
                webhook_delivery_send_task.delay(delivery_id=delivery_id)

        run_in_background(f"webhook-deliveries-{delivery_ids[0]}", work=work, queue=queue)

    transaction.on_commit(hand_off, robust=True)


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Mlstore-Signature`` value: ``sha256=`` and the hex HMAC of timestamp.body."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def signatures(*, secrets: list[str], timestamp: str, body: bytes) -> str:
    """The header with one ``sha256=`` signature per secret, the current one first,
    comma-separated (two only for a day after a rotation)."""
    return ",".join(signature(secret=s, timestamp=timestamp, body=body) for s in secrets)


def _post(
    *,
    url: str,
    addresses: list[str],
    secrets: list[str],
    event: str,
    event_id: uuid.UUID,
    payload: dict[str, Any],
) -> tuple[int | None, str]:
    """POST the signed payload to ``url``, connecting to one of ``addresses`` (vetted, what
    its host resolved to) only; the answer's status (None without one) and a short error.
    The answer's body is never read: it is not ours to store or log."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = str(int(timezone.now().timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "mlstore-webhooks/1.0",
        "X-Mlstore-Event": event,
        "X-Mlstore-Delivery": str(event_id),
        "X-Mlstore-Timestamp": timestamp,
        "X-Mlstore-Signature": signatures(secrets=secrets, timestamp=timestamp, body=body),
    }
    try:
        # no redirects: a signed event is not sent on to wherever a 3xx points
        with (
            transport.pinned_session(addresses) as session,
            session.post(
                url,
                data=body,
                headers=headers,
                timeout=TIMEOUT_SECONDS,
                allow_redirects=False,
                stream=True,
            ) as response,
        ):
            code = response.status_code
    except requests.Timeout:
        return None, f"no answer within {TIMEOUT_SECONDS} s"
    except requests.exceptions.SSLError:  # a subclass of ConnectionError: before it
        return None, "TLS failed: the certificate is not valid for this host name"
    except requests.ConnectionError:
        return None, "could not connect"
    except requests.RequestException as exc:  # the text would name the URL: the type only
        return None, type(exc).__name__
    if 200 <= code < 300:
        return code, ""
    if 300 <= code < 400:
        return code, f"HTTP {code}: redirects are not followed; use the final URL"
    return code, f"HTTP {code}"


def webhook_delivery_send(*, delivery_id: int) -> str:
    """Make the next attempt at a pending delivery that is due; its status after. A
    delivery not pending or not due yet is left alone (a second worker, an early retry).

    The attempt is claimed first, with its retry time, in its own transaction; the POST
    runs outside any transaction, so no row stays locked while the receiver thinks.
    """
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("webhook")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return "missing"
        if delivery.status != WebhookDelivery.Status.PENDING or (
            delivery.next_attempt_at is not None and delivery.next_attempt_at > now
        ):
            return delivery.status
        attempts = delivery.attempts + 1
        last = attempts >= MAX_ATTEMPTS
        retry_at = None if last else now + BACKOFF[attempts - 1]
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts, next_attempt_at=retry_at, updated_at=now
        )
    webhook = delivery.webhook
    if not webhook.is_active and delivery.event != PING:
        code, error = None, "the webhook is switched off"
        retry_at, last = None, True
    else:
        try:
            # resolved and checked now, at every attempt: DNS may have changed since the
            # save (or DEBUG gone off), and the connection goes to what was checked
            url, addresses = _target_vet(webhook.target_url)
        except UrlRefused as exc:
            code, error = None, f"URL refused: {exc.message}"
            retry_at, last = None, True  # refused is refused: no retries
        except (OSError, UnicodeError):
            code, error = None, "the host name does not resolve"
        else:
            code, error = _post(
                url=url,
                addresses=addresses,
                secrets=webhook.signing_secrets(timezone.now()),
                event=delivery.event,
                event_id=delivery.event_id,
                payload=delivery.payload,
            )
    done = now if not error else None
    if not error:
        status = WebhookDelivery.Status.SUCCEEDED
    elif last:
        status = WebhookDelivery.Status.FAILED
    else:
        status = WebhookDelivery.Status.PENDING
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        last_response_code=code,
        last_error=error[:200],
        next_attempt_at=retry_at if status == WebhookDelivery.Status.PENDING else None,
        delivered_at=done,
        updated_at=timezone.now(),
    )
    # by ids only: the payload (the shopper's e-mail) and the URL stay out of logs
    logger.info(
        "webhook delivery %s (%s to webhook %s), attempt %s: %s%s",
        delivery.pk,
        delivery.event,
        webhook.pk,
        attempts,
        status,
        f" ({error})" if error else "",
    )
    return str(status)


@transaction.atomic
def webhook_delivery_retry(*, delivery_id: int) -> WebhookDelivery:
    """Send a pending or given-up delivery again now (same event id); a delivered one is
    refused. A given-up delivery gets one more attempt."""
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    if delivery.status == WebhookDelivery.Status.SUCCEEDED:
        raise ServiceError("this delivery has already been delivered", field="status")
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at", "updated_at"])
    _send_soon_on_commit([delivery.pk])
    return delivery


def webhook_deliveries_retry_due(*, limit: int = 500) -> int:
    """Hand every due pending delivery (a retry whose wait is over, or a first attempt
    whose hand-off was lost) to the workers; how many. Run by beat every minute."""
    ids = selectors.delivery_ids_due(now=timezone.now(), limit=limit)
    _send_soon_on_commit(ids)
    return len(ids)


def webhook_deliveries_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Delete delivered deliveries older than ``KEEP_SUCCEEDED`` and given-up ones older
    than ``KEEP_FAILED`` (their payloads carry shoppers' e-mails: kept no longer than the
    log is useful); pending ones stay. How many of each. Run by beat daily."""
    now = now or timezone.now()
    Status = WebhookDelivery.Status
    succeeded, _ = WebhookDelivery.objects.filter(
        status=Status.SUCCEEDED, created_at__lt=now - KEEP_SUCCEEDED
    ).delete()
    failed, _ = WebhookDelivery.objects.filter(
        status=Status.FAILED, created_at__lt=now - KEEP_FAILED
    ).delete()
    if succeeded or failed:
        logger.info("webhook deliveries pruned: %s delivered, %s given up", succeeded, failed)
    return {"succeeded": succeeded, "failed": failed}
