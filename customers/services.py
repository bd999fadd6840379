import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone

from customers.models import Customer, Event

logger = logging.getLogger(__name__)


def customer_for_user(*, user: AbstractBaseUser | AnonymousUser | None) -> Customer | None:
    """The customer profile of a logged-in user, created on first use."""
    if user is None or not user.is_authenticated:
        return None
    customer, _ = Customer.objects.get_or_create(user=user)
    return customer


def customer_consent_set(*, customer: Customer, marketing: bool) -> Customer:
    customer.marketing_consent = marketing
    customer.consent_updated_at = timezone.now()
    customer.save(update_fields=["marketing_consent", "consent_updated_at"])
    return customer


def event_record(
    *,
    type: str,
    session_id: str,
    customer_id: int | None = None,
    product_id: int | None = None,
    order_id: int | None = None,
    query: str = "",
    metadata: dict[str, Any] | None = None,
) -> None:
    """Log a behavioural event. Never raises: analytics must not break shopping."""
    try:
        Event.objects.create(
            type=type, session_id=session_id[:64], customer_id=customer_id,
            product_id=product_id, order_id=order_id, query=query[:200], metadata=metadata or {},
        )
    except Exception:
        logger.exception("event %s not recorded", type)


def event_record_on_commit(**kwargs: Any) -> None:
    transaction.on_commit(lambda: event_record(**kwargs))
