from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pandas as pd
from django.core import signing
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from customers.models import Customer, Event, WishlistItem, WishlistPriceAlert

MARKETING_UNSUBSCRIBE_SALT = "customers.marketing-unsubscribe"


def marketing_unsubscribe_customer(*, token: str) -> Customer | None:
    """The customer a marketing e-mail's unsubscribe token was made for (see
    ``services.marketing_unsubscribe_token``); None for a forged or mangled token."""
    try:
        public_id = signing.loads(token, salt=MARKETING_UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return Customer.objects.filter(public_id=public_id).first()


def events_frame(
    *, since: datetime | None = None, types: Sequence[str] | None = None
) -> pd.DataFrame:
    """Events as a DataFrame for training (ids only: no personal data)."""
    qs = Event.objects.all()
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if types:
        qs = qs.filter(type__in=list(types))
    columns = [
        "type",
        "session_id",
        "customer_id",
        "product_id",
        "order_id",
        "query",
        "metadata",
        "created_at",
    ]
    rows = qs.order_by("created_at", "pk").values_list(*columns)
    return pd.DataFrame.from_records(list(rows), columns=columns)


def customer_data_export(*, customer_id: int) -> dict[str, object]:
    """Everything the shop holds about a person, as JSON-ready data (GDPR art. 15/20)."""
    from catalog import facade as catalog_facade
    from catalog.models import Review
    from customers.models import Address, Customer
    from orders.models import Order, OrderLine

    customer = Customer.objects.select_related("user").get(pk=customer_id)
    user = customer.user
    orders = Order.objects.filter(customer_id=customer_id).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("pk")), "invoices"
    )
    from customers.services import _app_hooks

    extra = {}
    for hook in _app_hooks("customer_data_export"):  # e.g. support tickets
        extra[hook.__module__.split(".")[0]] = hook(customer_id=customer_id)
    return {
        **extra,
        "account": {
            "email": user.email if user else None,
            "first_name": user.first_name if user else None,
            "joined": user.date_joined.isoformat() if user else None,
            "customer_id": str(customer.public_id),
            "marketing_consent": customer.marketing_consent,
        },
        "addresses": list(
            Address.objects.filter(customer_id=customer_id).values(
                "full_name", "line1", "line2", "city", "postal_code", "country"
            )
        ),
        "orders": [
            {
                "number": order.number,
                "status": order.status,
                "placed_at": order.placed_at.isoformat(),
                "email": order.email,
                "total": str(order.total),
                "currency": order.currency,
                "shipping_address": order.shipping_address,
                "lines": [
                    {
                        "sku": line.sku,
                        "name": line.name,
                        "quantity": line.quantity,
                        "unit_price": str(line.unit_price),
                    }
                    for line in order.lines.all()
                ],
                "invoices": [
                    {
                        "number": invoice.number,
                        "kind": invoice.kind,
                        "issued_at": invoice.issued_at.isoformat(),
                        "buyer": invoice.buyer,
                        "total_gross": str(invoice.total_gross),
                        "total_tax": str(invoice.total_tax),
                    }
                    for invoice in order.invoices.all()
                ],
            }
            for order in orders
        ],
        "reviews": [
            {
                "product_id": r["product_id"],
                "rating": r["rating"],
                "title": r["title"],
                "body": r["body"],
                "created_at": r["created_at"].isoformat(),
            }
            for r in Review.objects.filter(customer_id=customer_id).values(
                "product_id", "rating", "title", "body", "created_at"
            )
        ],
        "wishlist": [
            {
                "product_id": w.product_id,
                "product": w.name,
                "added_at": w.added_at.isoformat(),
                "price_when_added": str(w.price_when_added),
            }
            for w in wishlist_rows(wishlist_items_for_customer(customer_id=customer_id))
        ],
        "wishlist_price_alerts": [
            {
                "product_id": a["product_id"],
                "price": str(a["price"]),
                "sent_at": a["sent_at"].isoformat(),
            }
            for a in WishlistPriceAlert.objects.filter(customer_id=customer_id)
            .order_by("-sent_at", "-pk")
            .values("product_id", "price", "sent_at")
        ],
        "stock_alerts": catalog_facade.stock_alerts_export(
            customer_id=customer_id, emails=[user.email] if user else []
        ),
        "events": [
            {
                "type": e["type"],
                "product_id": e["product_id"],
                "query": e["query"],
                "at": e["created_at"].isoformat(),
            }
            for e in Event.objects.filter(customer_id=customer_id)
            .order_by("-created_at")
            .values("type", "product_id", "query", "created_at")[:5000]
        ],
    }


def rebuy_list_for_customer(*, customer_id: int, limit: int = 12) -> list[dict[str, object]]:
    """Products this customer bought before, consumables first, most recent first."""
    from django.db.models import Count, Max, Sum

    from orders.models import Order, OrderLine

    rows = (
        OrderLine.objects.filter(order__customer_id=customer_id, product__is_active=True)
        .exclude(order__status=Order.Status.CANCELLED)
        .values("product_id", "product__name", "product__price", "product__is_consumable")
        .annotate(
            last=Max("order__placed_at"), times=Count("order", distinct=True), units=Sum("quantity")
        )
        .order_by("-product__is_consumable", "-last")[:limit]
    )
    return [
        {
            "product_id": r["product_id"],
            "name": r["product__name"],
            "price": r["product__price"],
            "is_consumable": r["product__is_consumable"],
            "last_bought": r["last"],
            "times": r["times"],
        }
        for r in rows
    ]


# --- wishlist ("Saved items") ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SavedItem:
    """A saved product as the shopper sees it: the price now against the price when saved
    (store currency), and whether it can be bought."""

    product_id: int
    name: str
    slug: str
    added_at: datetime
    price_when_added: Decimal
    price: Decimal
    is_active: bool
    available: int

    @property
    def price_drop(self) -> Decimal:
        """How much less it costs than when saved (negative: it costs more now)."""
        return self.price_when_added - self.price


def wishlist_items_for_customer(*, customer_id: int) -> QuerySet[WishlistItem]:
    """The shopper's saved items, newest first."""
    return WishlistItem.objects.filter(customer_id=customer_id).order_by("-added_at", "-pk")


def wishlist_rows(items: Iterable[WishlistItem]) -> list[SavedItem]:
    """Saved items with today's product data, one catalog query for all of them."""
    from catalog import facade as catalog

    items = list(items)
    products = catalog.products_get([i.product_id for i in items])
    rows = []
    for item in items:
        product = products.get(item.product_id)
        if product is None:
            continue
        rows.append(
            SavedItem(
                product_id=product.id,
                name=product.name,
                slug=product.slug,
                added_at=item.added_at,
                price_when_added=item.price_when_added,
                price=product.price,
                is_active=product.is_active,
                available=max(product.available, 0) if product.is_active else 0,
            )
        )
    return rows


def wishlist_product_ids(*, customer_id: int, product_ids: Iterable[int] | None = None) -> set[int]:
    """Which products (of ``product_ids``, or all) the shopper saved: the filled hearts."""
    qs = WishlistItem.objects.filter(customer_id=customer_id)
    if product_ids is not None:
        qs = qs.filter(product_id__in=list(product_ids))
    return set(qs.values_list("product_id", flat=True))


def wishlist_count_subquery(*, product_ref: str) -> Coalesce:
    """How many shoppers saved the product ``OuterRef(product_ref)`` names (0, never NULL),
    to annotate a list with."""
    saved = (
        WishlistItem.objects.filter(product_id=OuterRef(product_ref))
        .order_by()
        .values("product_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(saved, output_field=IntegerField()), 0)


def password_reset_link_valid(*, uid: str, token: str) -> bool:
    """Whether an e-mailed reset link still works (its page says so before the shopper
    types a new password)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.http import urlsafe_base64_decode

    try:
        user_pk = int(urlsafe_base64_decode(uid).decode())
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
        return False
    user = get_user_model().objects.filter(pk=user_pk, is_active=True).first()
    return user is not None and default_token_generator.check_token(user, token)
