"""What other apps may use from the catalog: ids and frozen dataclasses, never models."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.db.models import F
from django.db.models.functions import Coalesce

from catalog import selectors, services
from catalog.models import Product, Stock


@dataclass(frozen=True, slots=True)
class ProductInfo:
    id: int
    sku: str
    name: str
    slug: str
    category_id: int
    brand_id: int | None
    price: Decimal
    list_price: Decimal
    cost: Decimal
    is_active: bool
    is_consumable: bool
    available: int
    lead_time_days: int


def _info(product: Product) -> ProductInfo:
    stock = getattr(product, "stock", None)
    supplier = product.supplier
    return ProductInfo(
        id=product.pk,
        sku=product.sku,
        name=product.name,
        slug=product.slug,
        category_id=product.category_id,
        brand_id=product.brand_id,
        price=product.price,
        list_price=product.list_price,
        cost=product.cost,
        is_active=product.is_active,
        is_consumable=product.is_consumable,
        available=stock.available if stock else 0,
        lead_time_days=supplier.lead_time_days if supplier else 7,
    )


def product_get(product_id: int) -> ProductInfo:
    product = Product.objects.select_related("stock", "supplier").get(pk=product_id)
    return _info(product)


def products_get(product_ids: Iterable[int]) -> dict[int, ProductInfo]:
    products = Product.objects.select_related("stock", "supplier").filter(pk__in=list(product_ids))
    return {p.pk: _info(p) for p in products}


def products_frame() -> pd.DataFrame:
    """All products with the columns ML code needs (no personal data here)."""
    rows = Product.objects.values_list(
        "pk",
        "sku",
        "name",
        "description",
        "category_id",
        "category__parent_id",
        "brand_id",
        "price",
        "list_price",
        "cost",
        "is_active",
        "is_consumable",
        "attributes",
        "stock__on_hand",
        "stock__reserved",
        "supplier__lead_time_days",
        "created_at",
    )
    columns = [
        "product_id",
        "sku",
        "name",
        "description",
        "category_id",
        "parent_category_id",
        "brand_id",
        "price",
        "list_price",
        "cost",
        "is_active",
        "is_consumable",
        "attributes",
        "on_hand",
        "reserved",
        "lead_time_days",
        "created_at",
    ]
    frame = pd.DataFrame.from_records(list(rows), columns=columns)
    for column in ("price", "list_price", "cost"):
        frame[column] = frame[column].astype(float)
    return frame


def product_ids_in_stock(product_ids: Iterable[int]) -> set[int]:
    return set(
        Stock.objects.filter(product_id__in=list(product_ids), product__is_active=True)
        .filter(on_hand__gt=F("reserved"))
        .values_list("product_id", flat=True)
    )


def stock_levels() -> dict[int, int]:
    """Available units per product id."""
    return {
        pid: on_hand - reserved
        for pid, on_hand, reserved in Stock.objects.values_list("product_id", "on_hand", "reserved")
    }


def product_price_set(
    *,
    product_id: int,
    price: Decimal,
    source: str = "manual",
    reason: str = "",
    user_id: int | None = None,
) -> None:
    services.product_price_set(
        product_id=product_id, price=price, source=source, reason=reason, user_id=user_id
    )


def reference_price_shown(*, product_id: int, price: Decimal) -> Decimal | None:
    """The "was" price the product page shows next to ``price`` (EU Omnibus: the lowest
    price of the 30 days before the reduction, only when pricing can prove it and it is
    higher), else None: a mail or page must not claim any other "was" price."""
    from catalog.api import reference_price_for  # the product page's own rule, so they agree

    return reference_price_for(product_id, price)


def price_history_frame(product_ids: Iterable[int] | None = None) -> pd.DataFrame:
    return selectors.price_history_frame(product_ids=product_ids)


def stock_movements_frame(product_ids: Iterable[int] | None = None) -> pd.DataFrame:
    return selectors.stock_movements_frame(product_ids=product_ids)


def incoming_quantities(product_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Units on open purchase orders not yet received, per product id (absent: none)."""
    return selectors.purchase_order_incoming(product_ids=product_ids)


@dataclass(frozen=True, slots=True)
class PurchaseOrderDrafted:
    """A draft purchase order that purchase_orders_from_suggestions wrote or added to."""

    id: int
    number: str
    supplier: str
    lines_added: int
    units_added: int


@dataclass(frozen=True, slots=True)
class PurchaseOrdersDrafted:
    purchase_orders: tuple[PurchaseOrderDrafted, ...]
    skipped: dict[int, str]  # product id -> why it was not ordered


def purchase_orders_from_suggestions(
    *, product_ids: Iterable[int] | None = None, user_id: int | None = None
) -> PurchaseOrdersDrafted:
    """Draft purchase orders (one per supplier) from reorder suggestions; see
    ``catalog.services.purchase_orders_create_from_suggestions``."""
    result = services.purchase_orders_create_from_suggestions(
        product_ids=product_ids, user_id=user_id
    )
    drafted = []
    for order in result.purchase_orders:
        added = result.lines_added.get(order.pk, [])
        drafted.append(
            PurchaseOrderDrafted(
                id=order.pk,
                number=order.number,
                supplier=order.supplier.name,
                lines_added=len(added),
                units_added=sum(line.quantity_ordered for line in added),
            )
        )
    return PurchaseOrdersDrafted(purchase_orders=tuple(drafted), skipped=result.skipped)


def stock_add_many(*, lines: Sequence[tuple[int, int]], reason: str, reference: str = "") -> None:
    """Put (product id, units) back in stock, e.g. a cancelled order's lines; shoppers
    waiting for a product that was sold out are e-mailed after commit."""
    services.stock_add_many(lines=lines, reason=reason, reference=reference)


def stock_alerts_waiting_counts(product_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Shoppers waiting for a back-in-stock e-mail, per product id (absent: none)."""
    return selectors.stock_alert_waiting_counts(product_ids=product_ids)


def stock_alerts_waiting_subquery(*, product_ref: str = "product_id") -> Coalesce:
    """The same count as a query expression, so another app's admin list can annotate and
    sort by it without a query per row: ``qs.annotate(waiting=...(product_ref="product_id"))``."""
    return selectors.stock_alert_waiting_subquery(product_ref=product_ref)


def stock_alerts_erase(*, customer_id: int, emails: Iterable[str] = ()) -> None:
    """GDPR erasure: cancel and anonymise a person's back-in-stock alerts (by customer id and
    by the e-mail addresses they subscribed with as a visitor)."""
    services.stock_alerts_erase(customer_id=customer_id, emails=emails)


def stock_alerts_export(*, customer_id: int, emails: Iterable[str] = ()) -> list[dict[str, object]]:
    """A person's back-in-stock alerts as JSON-ready rows (GDPR export); no tokens."""
    return [
        {
            "product_id": a.product_id,
            "product": a.product.name,
            "email": a.email or None,  # None: the account's address is used
            "status": a.status,
            "created_at": a.created_at.isoformat(),
            "sent_at": a.sent_at.isoformat() if a.sent_at else None,
        }
        for a in selectors.stock_alerts_for_person(customer_id=customer_id, emails=emails)
    ]


def stock_alert_subscribe(
    *, product_id: int, customer_id: int | None = None, email: str = ""
) -> bool:
    """Wait for a sold-out product (a customer, or a visitor's ``email``); True when a new
    alert was made, False when that person was already waiting. Raises ServiceError when the
    product is in stock."""
    return services.stock_alert_subscribe(
        product_id=product_id, customer_id=customer_id, email=email
    ).created
