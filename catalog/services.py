from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import PriceHistory, Product, Stock, StockMovement
from catalog.money import q2
from storefront.api_errors import ServiceError


@transaction.atomic
def product_price_set(
    *,
    product_id: int,
    price: Decimal,
    source: str = "manual",
    reason: str = "",
    user_id: int | None = None,
) -> Product:
    """Change a product's selling price and record it in the price history."""
    price = q2(price)
    if price <= 0:
        raise ServiceError("price must be positive", field="price")
    product = Product.objects.select_for_update().get(pk=product_id)
    if product.price != price:
        product.price = price
        product.save(update_fields=["price", "updated_at"])
        PriceHistory.objects.create(
            product=product,
            price=price,
            source=source,
            reason=reason[:200],
            changed_at=timezone.now(),
            changed_by_id=user_id,
        )
    return product


@transaction.atomic
def stock_adjust(
    *,
    product_id: int,
    quantity: int,
    reason: str = StockMovement.Reason.ADJUSTMENT,
    reference: str = "",
) -> Stock:
    """Add (or, negative, remove) on-hand units; refuses to go below zero."""
    stock, _ = Stock.objects.select_for_update().get_or_create(product_id=product_id)
    if stock.on_hand + quantity < stock.reserved:
        raise ServiceError(
            f"only {stock.on_hand - stock.reserved} unreserved units of product {product_id}",
            field="quantity",
        )
    Stock.objects.filter(pk=stock.pk).update(on_hand=F("on_hand") + quantity)
    StockMovement.objects.create(
        product_id=product_id, quantity=quantity, reason=reason, reference=reference
    )
    stock.refresh_from_db()
    return stock
