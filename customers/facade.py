"""Customers as other apps see them: ids, events, consent, saved items."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from django.db.models.functions import Coalesce

from customers import selectors, services
from customers.models import Customer


def event_record(**kwargs: Any) -> None:
    services.event_record(**kwargs)


def event_record_on_commit(**kwargs: Any) -> None:
    services.event_record_on_commit(**kwargs)


def events_frame(
    *, since: datetime | None = None, types: Sequence[str] | None = None
) -> pd.DataFrame:
    return selectors.events_frame(since=since, types=types)


def customers_frame() -> pd.DataFrame:
    """customer_id, created_at, marketing_consent (no names or e-mails)."""
    rows = Customer.objects.values_list("pk", "created_at", "marketing_consent")
    return pd.DataFrame.from_records(
        list(rows), columns=["customer_id", "created_at", "marketing_consent"]
    )


def wishlist_price_lowered(*, product_id: int) -> None:
    """Call inside the transaction that lowers a product's price: after commit, shoppers who
    saved it (with marketing consent) get a price-drop e-mail if it fell at least 5 % below
    the price they saved it at (once per product and shopper in 30 days)."""
    services.wishlist_price_lowered(product_id=product_id)


def wishlist_count_subquery(*, product_ref: str = "pk") -> Coalesce:
    """Shoppers who saved the product, as a query expression for another app's admin list:
    ``qs.annotate(saved=wishlist_count_subquery(product_ref="pk"))``."""
    return selectors.wishlist_count_subquery(product_ref=product_ref)
