from collections.abc import Sequence
from datetime import datetime

import pandas as pd

from customers.models import Event


def events_frame(*, since: datetime | None = None, types: Sequence[str] | None = None) -> pd.DataFrame:
    """Events as a DataFrame for training (ids only: no personal data)."""
    qs = Event.objects.all()
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if types:
        qs = qs.filter(type__in=list(types))
    columns = ["type", "session_id", "customer_id", "product_id", "order_id", "query", "metadata", "created_at"]
    rows = qs.order_by("created_at", "pk").values_list(*columns)
    return pd.DataFrame.from_records(list(rows), columns=columns)
