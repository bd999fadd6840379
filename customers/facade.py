"""Customers as other apps see them: ids, events, consent."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd

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
