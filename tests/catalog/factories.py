"""Purchasing test data: reorder suggestions as the nightly forecast writes them."""

from __future__ import annotations

from catalog.models import Product
from forecasting.models import ReorderSuggestion


def suggest(
    product: Product, *, order: int, on_hand: int = 2, reorder_point: float = 10.0
) -> ReorderSuggestion:
    """A reorder suggestion for ``product``: ``order`` units, stock ``on_hand`` vs its point."""
    suggestion, _ = ReorderSuggestion.objects.update_or_create(
        product=product,
        defaults={
            "on_hand": on_hand,
            "lead_time_days": 7,
            "service_level": 0.95,
            "lead_time_demand": reorder_point * 0.7,
            "safety_stock": reorder_point * 0.3,
            "reorder_point": reorder_point,
            "order_quantity": order,
            "stockout_risk": 0.9 if on_hand <= reorder_point else 0.05,
            "model_version": "forecasting-v1",
        },
    )
    return suggestion
