from collections.abc import Iterable, Iterator

import pandas as pd
from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from catalog.models import (
    Category,
    PriceHistory,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Stock,
    StockAlert,
    StockMovement,
)
from storefront.spreadsheet import cell_text


def product_list_active() -> QuerySet[Product]:
    return (
        Product.objects.filter(is_active=True)
        .select_related("category", "brand", "stock")
        .order_by("-popularity", "pk")
    )


def product_get_active(*, product_id: int) -> Product:
    return Product.objects.select_related("category", "brand", "stock").get(
        pk=product_id, is_active=True
    )


def category_list() -> QuerySet[Category]:
    return Category.objects.select_related("parent").order_by("position", "name")


def category_descendant_ids(*, category_id: int) -> list[int]:
    """The category and all categories below it (the tree is shallow; one query)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    result, frontier = [category_id], [category_id]
    while frontier:
        frontier = [c for p in frontier for c in children.get(p, [])]
        result.extend(frontier)
    return result


def stock_qs_locked(product_ids: Iterable[int]) -> QuerySet[Stock]:
    """Stock rows locked in primary-key order so checkouts sharing SKUs queue, not deadlock."""
    return (
        Stock.objects.filter(product_id__in=list(product_ids))
        .order_by("pk")
        .select_for_update(of=("self",))
    )


def price_history_frame(*, product_ids: Iterable[int] | None = None) -> pd.DataFrame:
    qs = PriceHistory.objects.all()
    if product_ids is not None:
        qs = qs.filter(product_id__in=list(product_ids))
    rows = qs.order_by("product_id", "changed_at").values_list(
        "product_id", "price", "changed_at", "source"
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["product_id", "price", "changed_at", "source"]
    )
    frame["price"] = frame["price"].astype(float)
    return frame


def stock_movements_frame(*, product_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Signed stock movements: product_id, quantity, created_at (stockout reconstruction)."""
    qs = StockMovement.objects.all()
    if product_ids is not None:
        qs = qs.filter(product_id__in=list(product_ids))
    rows = qs.values_list("product_id", "quantity", "created_at")
    return pd.DataFrame.from_records(list(rows), columns=["product_id", "quantity", "created_at"])


def purchase_order_list() -> QuerySet[PurchaseOrder]:
    """Purchase orders newest first, with supplier, creator and lines (one query each)."""
    return (
        PurchaseOrder.objects.select_related("supplier", "created_by")
        .prefetch_related(
            Prefetch("lines", queryset=PurchaseOrderLine.objects.select_related("product"))
        )
        .order_by("-created_at", "-pk")
    )


def purchase_order_get(*, purchase_order_id: int) -> PurchaseOrder:
    return purchase_order_list().get(pk=purchase_order_id)


def purchase_order_incoming(*, product_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Units still to arrive per product id: ordered minus received on open purchase orders."""
    qs = PurchaseOrderLine.objects.filter(
        purchase_order__status__in=PurchaseOrder.OPEN_STATUSES,
        quantity_received__lt=F("quantity_ordered"),
    )
    if product_ids is not None:
        qs = qs.filter(product_id__in=list(product_ids))
    rows = qs.values("product_id").annotate(
        incoming=Sum(F("quantity_ordered") - F("quantity_received"))
    )
    return {int(r["product_id"]): int(r["incoming"]) for r in rows}


def purchase_order_open_by_product(*, product_ids: Iterable[int]) -> dict[int, str]:
    """The open purchase order (its number) each of these products is already on."""
    rows = PurchaseOrderLine.objects.filter(
        product_id__in=list(product_ids),
        purchase_order__status__in=PurchaseOrder.OPEN_STATUSES,
    ).values_list("product_id", "purchase_order_id")
    return {int(pid): PurchaseOrder(pk=po_id).number for pid, po_id in rows}


# --- stock alerts --------------------------------------------------------------------------


def stock_alert_waiting_counts(*, product_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Shoppers waiting for each product id (absent: nobody)."""
    qs = StockAlert.objects.filter(status=StockAlert.Status.WAITING)
    if product_ids is not None:
        qs = qs.filter(product_id__in=list(product_ids))
    return dict(qs.values("product_id").annotate(n=Count("pk")).values_list("product_id", "n"))


def stock_alert_waiting_subquery(*, product_ref: str) -> Coalesce:
    """A count of shoppers waiting for the product ``OuterRef(product_ref)`` names, to
    annotate a list with (0, never NULL)."""
    waiting = (
        StockAlert.objects.filter(product_id=OuterRef(product_ref), status="waiting")
        .order_by()
        .values("product_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(waiting, output_field=IntegerField()), 0)


def stock_alert_is_waiting(*, product_id: int, customer_id: int) -> bool:
    return StockAlert.objects.filter(
        product_id=product_id, customer_id=customer_id, status=StockAlert.Status.WAITING
    ).exists()


def stock_alerts_for_person(
    *, customer_id: int, emails: Iterable[str] = ()
) -> QuerySet[StockAlert]:
    """A person's alerts: as a signed-in customer, or as a visitor with one of ``emails``."""
    addresses = [e.strip().lower() for e in emails if e and e.strip()]
    return (
        StockAlert.objects.filter(Q(customer_id=customer_id) | Q(email__in=addresses))
        .select_related("product")
        .order_by("created_at", "pk")
    )


def purchase_order_waiting_subquery() -> Coalesce:
    """Waiting back-in-stock alerts on the products of the purchase order ``OuterRef("pk")``
    (0, never NULL): the demand the order will meet."""
    waiting = (
        StockAlert.objects.filter(
            status="waiting", product__purchase_order_lines__purchase_order=OuterRef("pk")
        )
        .order_by()
        .values("product__purchase_order_lines__purchase_order")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(waiting, output_field=IntegerField()), 0)


def product_export_rows(*, products: QuerySet[Product]) -> Iterator[list[str]]:
    """``products`` as rows of the import's columns (header first), so an exported file
    edited in a spreadsheet imports back. Streams in chunks."""
    from catalog.services import PRODUCT_COLUMNS

    yield list(PRODUCT_COLUMNS)
    rows = (
        products.order_by("sku")
        .select_related("category__parent__parent", "brand", "stock", "tax_class")
        .iterator(chunk_size=2000)
    )
    for p in rows:
        path: list[str] = []
        category: Category | None = p.category
        while category is not None:
            path.append(category.name)
            category = category.parent
        stock = getattr(p, "stock", None)
        yield [
            cell_text(p.sku),
            cell_text(p.name),
            cell_text(" > ".join(reversed(path))),
            f"{p.price:.2f}",
            f"{p.list_price:.2f}",
            f"{p.cost:.2f}",
            str(stock.on_hand if stock else 0),
            cell_text(p.brand.name) if p.brand else "",
            cell_text(p.description),
            "yes" if p.is_active else "no",
            "yes" if p.is_consumable else "no",
            p.tax_class.code if p.tax_class else "",
        ]
