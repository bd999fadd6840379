import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Customer, Event

logger = logging.getLogger(__name__)


def customer_for_user(*, user: AbstractBaseUser | AnonymousUser | None) -> Customer | None:
    """The customer profile of a logged-in user, created on first use."""
    if user is None or not user.is_authenticated:
        return None
    customer, _ = Customer.objects.get_or_create(user_id=user.pk)
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
            type=type,
            session_id=session_id[:64],
            customer_id=customer_id,
            product_id=product_id,
            order_id=order_id,
            query=query[:200],
            metadata=metadata or {},
        )
    except Exception:
        logger.exception("event %s not recorded", type)


def event_record_on_commit(**kwargs: Any) -> None:
    transaction.on_commit(lambda: event_record(**kwargs))


# --- accounts ------------------------------------------------------------------------------------


def _email_normalised(email: str) -> str:
    return email.strip().lower()


def customer_register(
    *, email: str, password: str, first_name: str = "", marketing_consent: bool = False
) -> Customer:
    """A shopper account: a Django user (username = e-mail) and its customer profile."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from storefront.api_errors import ServiceError

    user_model = get_user_model()
    email = _email_normalised(email)
    taken = ServiceError("an account with this e-mail already exists", field="email")
    if user_model.objects.filter(username__iexact=email).exists():
        raise taken
    candidate = user_model(username=email, email=email, first_name=first_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), field="password") from None
    # Hashing takes ~0.5 s of CPU: done before the transaction, so the write lock is held for
    # two inserts only (on SQLite, concurrent sign-ups queued behind hashes and hit the
    # lock timeout: "database is locked", a 500).
    candidate.set_password(password)
    try:
        with transaction.atomic():
            if user_model.objects.filter(username__iexact=email).exists():
                raise taken  # registered by a racing request since the check above
            candidate.save()
            return Customer.objects.create(
                user=candidate,
                marketing_consent=marketing_consent,
                consent_updated_at=timezone.now() if marketing_consent else None,
            )
    except IntegrityError:  # the same race, caught by the unique username on PostgreSQL
        raise taken from None


def _app_hooks(name: str) -> list[Any]:
    """``<app>.facade.<name>`` of every ML app that offers it (personal data they hold)."""
    import importlib

    from django.conf import settings

    hooks = []
    for app in settings.ML_CAPABILITIES:
        try:
            facade = importlib.import_module(f"{app}.facade")
        except ImportError:
            continue
        hook = getattr(facade, name, None)
        if callable(hook):
            hooks.append(hook)
    return hooks


@transaction.atomic
def customer_erase(*, customer: Customer) -> Customer:
    """GDPR erasure: remove the person, keep the shop's books.

    The login, addresses and tokens go; orders stay (totals, lines, status, for accounting and
    the ML history) but lose e-mail, addresses and the payment's IP/device; reviews stay
    anonymous; behavioural events keep only the random customer id, which no longer leads
    to a person.
    """
    from rest_framework.authtoken.models import Token

    from catalog.models import Review
    from orders.models import Order, Payment

    placeholder = f"erased-{customer.public_id.hex[:12]}@invalid.example"
    Order.objects.filter(customer=customer).update(
        email=placeholder, shipping_address={}, billing_address={}
    )
    Payment.objects.filter(order__customer=customer).update(ip_address=None, device_id="")
    Review.objects.filter(customer=customer).update(customer=None)
    from catalog import facade as catalog

    # back-in-stock alerts, also those they left as a visitor with the account's address
    catalog.stock_alerts_erase(
        customer_id=customer.pk, emails=[customer.user.email] if customer.user else []
    )
    customer.addresses.all().delete()
    user = customer.user
    if user is not None:
        Token.objects.filter(user=user).delete()
        customer.user = None
        customer.save(update_fields=["user"])
        user.delete()
    for hook in _app_hooks("customer_data_erase"):
        hook(customer_id=customer.pk)  # e.g. support tickets: e-mail and message text
    customer.marketing_consent = False
    customer.erased_at = timezone.now()
    customer.save(update_fields=["marketing_consent", "erased_at"])
    logger.info("customer %s erased", customer.pk)
    return customer


@transaction.atomic
def review_create(
    *, customer_id: int, product_id: int, rating: int, title: str = "", body: str = ""
) -> Any:
    """A published product review by a logged-in customer (one per product; a second one
    replaces the first so a shopper cannot stuff the rating)."""
    from catalog.models import Product, Review
    from storefront.api_errors import ServiceError

    if not Product.objects.filter(pk=product_id, is_active=True).exists():
        raise ServiceError("no such product", field="product_id", status=404, code="not_found")
    if not 1 <= rating <= 5:
        raise ServiceError("rating must be 1 to 5", field="rating")
    review, _ = Review.objects.update_or_create(
        customer_id=customer_id,
        product_id=product_id,
        defaults={"rating": rating, "title": title, "body": body, "is_published": True},
    )
    return review


ADDRESS_FIELDS = ("full_name", "line1", "line2", "city", "postal_code", "country")


@transaction.atomic
def address_remember(*, customer_id: int, address: dict[str, Any]) -> None:
    """Keep the last delivery address as the customer's default (no duplicates)."""
    from customers.models import Address

    values = {f: str(address.get(f, "") or "") for f in ADDRESS_FIELDS}
    Address.objects.filter(customer_id=customer_id, is_default=True).update(is_default=False)
    existing = Address.objects.filter(customer_id=customer_id, **values).first()
    if existing is not None:
        Address.objects.filter(pk=existing.pk).update(is_default=True)
    else:
        Address.objects.create(customer_id=customer_id, is_default=True, **values)
