import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal
from functools import partial
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Customer, Event, WishlistItem, WishlistPriceAlert
from customers.selectors import MARKETING_UNSUBSCRIBE_SALT

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


def marketing_unsubscribe_token(*, customer: Customer) -> str:
    """The signed token of a marketing e-mail's unsubscribe link: the customer's public id,
    signed with SECRET_KEY (no expiry: an old e-mail's link keeps working). URL-safe."""
    return signing.dumps(str(customer.public_id), salt=MARKETING_UNSUBSCRIBE_SALT)


def marketing_unsubscribe(*, customer: Customer) -> Customer:
    """The unsubscribe link's button: marketing consent off (the time moves only on a change)."""
    if not customer.marketing_consent:
        return customer
    return customer_consent_set(customer=customer, marketing=False)


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
    for app in [*settings.ML_CAPABILITIES, "returns"]:  # returns: shoppers' comments
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

    The login, addresses, saved items and tokens go; orders stay (totals, lines, status, for
    accounting and the ML history) but lose e-mail, addresses and the payment's IP/device;
    reviews stay anonymous; behavioural events keep only the random customer id, which no
    longer leads to a person. Issued VAT invoices and credit notes keep their buyer: tax law
    makes the shop keep them unchanged for years (GDPR art. 17(3)(b)), and the export lists
    them.
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
    WishlistItem.objects.filter(customer=customer).delete()
    WishlistPriceAlert.objects.filter(customer=customer).delete()
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


# --- wishlist ("Saved items") and price-drop alerts ----------------------------------------------

# A drop smaller than this is noise (a rounding, a cent): not worth an e-mail.
PRICE_DROP_MIN = Decimal("0.05")
PRICE_ALERT_EVERY = timedelta(days=30)  # at most one price-drop e-mail per product and shopper


@dataclass(frozen=True, slots=True)
class WishlistAdded:
    item: WishlistItem
    created: bool  # False: already saved (a second click or tab), nothing changed


def _active_product(product_id: int) -> Any:
    from catalog import facade as catalog
    from storefront.api_errors import ServiceError

    product = catalog.products_get([product_id]).get(product_id)
    if product is None or not product.is_active:
        raise ServiceError(
            "this product does not exist or is no longer sold", field="product", code="invalid"
        )
    return product


def wishlist_item_add(*, customer_id: int, product_id: int, session_id: str = "") -> WishlistAdded:
    """Save an active product for a signed-in shopper at today's price. Saving it again
    returns the saved item unchanged (the price it was saved at stays, so a later drop is
    measured from the first save). Unknown or inactive product: ServiceError on ``product``."""
    product = _active_product(product_id)
    existing = WishlistItem.objects.filter(customer_id=customer_id, product_id=product_id).first()
    if existing is not None:
        return WishlistAdded(item=existing, created=False)
    try:
        with transaction.atomic():  # a racing twin request hits the unique constraint
            item = WishlistItem.objects.create(
                customer_id=customer_id, product_id=product_id, price_when_added=product.price
            )
    except IntegrityError:
        return WishlistAdded(
            item=WishlistItem.objects.get(customer_id=customer_id, product_id=product_id),
            created=False,
        )
    event_record_on_commit(
        type=Event.Type.WISHLIST,
        session_id=session_id or f"customer-{customer_id}",
        customer_id=customer_id,
        product_id=product_id,
    )
    return WishlistAdded(item=item, created=True)


def wishlist_item_remove(*, customer_id: int, product_id: int) -> int:
    """Un-save a product; removing one that is not saved is fine (0)."""
    deleted, _ = WishlistItem.objects.filter(
        customer_id=customer_id, product_id=product_id
    ).delete()
    return deleted


def wishlist_price_lowered(*, product_id: int) -> None:
    """Called inside the transaction that lowered a product's price: once it commits, e-mail
    the shoppers who saved the product (a rolled-back change sends nothing). Nothing is
    queued when nobody saved it."""
    if not WishlistItem.objects.filter(product_id=product_id).exists():
        return
    from customers.tasks import wishlist_price_alerts_send_task

    # robust: a broker that is down is logged by Django and never undoes the price change
    transaction.on_commit(
        lambda: wishlist_price_alerts_send_task.delay(product_id=product_id), robust=True
    )


def _dropped_enough(saved_at: Decimal, now: Decimal) -> bool:
    return now <= saved_at * (1 - PRICE_DROP_MIN)


def _wishlist_price_alert_send_one(
    *, item_id: int, product: Any, was: Decimal | None, since: Any
) -> bool:
    from django.conf import settings

    from storefront.emails import email_send

    with transaction.atomic():
        # the row lock makes a twin task wait here, then see the alert recorded and skip it
        item = (
            WishlistItem.objects.select_for_update(of=("self",))
            .select_related("customer__user")
            .filter(pk=item_id)
            .first()
        )
        if item is None or not _dropped_enough(item.price_when_added, product.price):
            return False
        customer = item.customer
        user = customer.user
        if not customer.marketing_consent or customer.erased_at or user is None or not user.email:
            return False
        if WishlistPriceAlert.objects.filter(
            customer_id=customer.pk, product_id=product.id, sent_at__gte=since
        ).exists():
            return False
        site = settings.SITE_URL
        token = marketing_unsubscribe_token(customer=customer)
        unsubscribe_url = f"{site}/account/unsubscribe/{token}/"
        context = {
            "product": product,
            "price": product.price,
            "was": was,  # only the storefront's Omnibus "was" price, else None
            "first_name": user.first_name,
            "product_url": f"{site}/p/{product.id}/{product.slug}/",
            "saved_url": f"{site}/account/#saved-h",
            "store_name": settings.STORE_NAME,
            "unsubscribe_url": unsubscribe_url,
        }
        if not email_send(
            subject=f"Price drop: {product.name}",
            template="customers/email/wishlist_price_drop.txt",
            context=context,
            to=user.email,
            what=f"wishlist price alert for item {item.pk}",  # the id, never the address
            headers={
                "List-Unsubscribe": f"<{unsubscribe_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",  # RFC 8058
            },
        ):
            return False  # nothing recorded: the next drop (or a rerun) tries again
        WishlistPriceAlert.objects.create(
            customer_id=customer.pk, product_id=product.id, price=product.price
        )
    return True


def wishlist_price_alerts_send(*, product_id: int) -> int:
    """E-mail the shoppers who saved a product whose price is now at least 5 % below the
    price they saved it at, who agreed to marketing e-mail, and who had no price-drop e-mail
    for it in the last 30 days; the number sent. The "was" price in the mail is the one the
    product page shows (EU Omnibus: lowest price of the 30 days before the reduction), or
    none. Nothing goes out for an inactive product. Safe to run twice."""
    from catalog import facade as catalog

    product = catalog.products_get([product_id]).get(product_id)
    if product is None or not product.is_active:
        return 0
    now = timezone.now()
    since = now - PRICE_ALERT_EVERY
    # saved at or above this (in whole cents): dropped enough; re-checked exactly per item
    threshold = (product.price / (1 - PRICE_DROP_MIN)).quantize(Decimal("0.01"), ROUND_CEILING)
    recently = WishlistPriceAlert.objects.filter(product_id=product_id, sent_at__gte=since)
    item_ids = list(
        WishlistItem.objects.filter(
            product_id=product_id,
            price_when_added__gte=threshold,
            customer__marketing_consent=True,
            customer__erased_at__isnull=True,
            customer__user__isnull=False,
        )
        .exclude(customer_id__in=recently.values("customer_id"))
        .order_by("added_at", "pk")
        .values_list("pk", flat=True)
    )
    if not item_ids:
        return 0
    was = catalog.reference_price_shown(product_id=product_id, price=product.price)
    sent = sum(
        _wishlist_price_alert_send_one(item_id=pk, product=product, was=was, since=since)
        for pk in item_ids
    )
    logger.info("wishlist price alerts for product %s: %s sent", product_id, sent)
    return sent


# --- password reset -----------------------------------------------------------------------------


def password_reset_request(*, email: str) -> None:
    """E-mail a one-time link to set a new password, if an active account with a password
    uses ``email``. Says nothing either way (the caller answers the same), so the form
    cannot be used to find out who shops here. Sent after commit by a task; logged by user
    id only."""
    from django.contrib.auth.forms import PasswordResetForm

    from customers.tasks import password_reset_email_send_task

    # Django's own lookup: active users with a usable password whose e-mail matches,
    # case-insensitively
    for user in PasswordResetForm().get_users(email.strip()):
        send = partial(password_reset_email_send_task.delay, user_id=user.pk)
        transaction.on_commit(send, robust=True)
        logger.info("password reset requested for user %s", user.pk)


def password_reset_email_send(*, user_id: int) -> bool:
    """The reset e-mail: a link to the shop's reset page carrying Django's token, which
    stops working once the password changes, once used, or after PASSWORD_RESET_TIMEOUT."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from storefront.emails import email_send

    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password() or not user.email:
        return False
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return email_send(
        subject=f"Reset your {settings.STORE_NAME} password",
        template="customers/email/password_reset.txt",
        context={
            "first_name": user.first_name,
            "reset_url": f"{settings.SITE_URL}/account/reset/{uid}/{token}/",
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
            "store_name": settings.STORE_NAME,
        },
        to=user.email,
        what=f"password reset for user {user.pk}",
    )


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> Any:
    """Set the new password if ``token`` is valid for the account ``uid`` names. Checked by
    the store's password validators (too short, too common, too like the e-mail: a 400 on
    ``new_password``). The account's API tokens are revoked and its other sessions end (the
    session hash changes), so whoever held the old password is signed out everywhere."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.forms import SetPasswordForm
    from django.utils.http import urlsafe_base64_decode
    from rest_framework.authtoken.models import Token

    from customers.selectors import password_reset_link_valid
    from storefront.api_errors import ServiceError

    if not password_reset_link_valid(uid=uid, token=token):
        raise ServiceError(
            "this reset link is invalid or has expired; ask for a new one", field="token"
        )
    user = get_user_model().objects.get(pk=int(urlsafe_base64_decode(uid).decode()))
    form = SetPasswordForm(user, {"new_password1": new_password, "new_password2": new_password})
    if not form.is_valid():
        messages = [str(m) for errors in form.errors.values() for m in errors]
        raise ServiceError(" ".join(messages), field="new_password")
    form.save()
    Token.objects.filter(user=user).delete()
    logger.info("password reset for user %s", user.pk)
    return user


@transaction.atomic
def password_change(*, user: Any, current_password: str, new_password: str) -> Any:
    """A signed-in shopper's new password: the current one must be right (400 on
    ``current_password``), the new one pass the store's rules (400 on ``new_password``).
    The account's API tokens are revoked and its other sessions end; the caller keeps this
    session with ``update_session_auth_hash``."""
    from django.contrib.auth.forms import PasswordChangeForm
    from rest_framework.authtoken.models import Token

    from storefront.api_errors import ServiceError

    form = PasswordChangeForm(
        user,
        {
            "old_password": current_password,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )
    if not form.is_valid():
        field = "current_password" if "old_password" in form.errors else "new_password"
        messages = form.errors.get("old_password") or [
            m for errors in form.errors.values() for m in errors
        ]
        raise ServiceError(" ".join(str(m) for m in messages), field=field)
    form.save()
    Token.objects.filter(user=user).delete()
    logger.info("password changed for user %s", user.pk)
    return user
