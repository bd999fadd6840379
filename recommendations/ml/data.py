"""Interaction encoding shared by every candidate source.

A "basket" is one (user, timestamp) pair: an invoice in retail data, one visit in grocery
data. Frequency is counted in baskets, not units, so a wholesaler buying 480 pencils once
does not outweigh a household buying milk every week.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class Interactions:
    """Encoded purchase events.

    ``user_ids``/``item_ids`` map row/column index -> original id; ``events`` has integer
    columns ``u``, ``i``, float ``t`` (days since the first event) and ``q`` (quantity), one
    row per distinct (user, item, basket). ``now`` is the reference time in the same days.
    """

    user_ids: np.ndarray
    item_ids: np.ndarray
    events: pd.DataFrame
    now: float

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def user_index(self) -> dict[object, int]:
        return {u: k for k, u in enumerate(self.user_ids.tolist())}

    def item_index(self) -> dict[object, int]:
        return {it: k for k, it in enumerate(self.item_ids.tolist())}

    def binary(self) -> sparse.csr_matrix:
        """User x item matrix with 1 where the user bought the item at least once."""
        m = sparse.csr_matrix(
            (np.ones(len(self.events), dtype=np.float32), (self.events.u, self.events.i)),
            shape=(self.n_users, self.n_items),
        )
        m.data[:] = 1.0  # duplicates were summed
        return m

    def basket_counts(self) -> sparse.csr_matrix:
        """User x item matrix of the number of baskets containing the item."""
        return sparse.csr_matrix(
            (np.ones(len(self.events), dtype=np.float32), (self.events.u, self.events.i)),
            shape=(self.n_users, self.n_items),
        )

    def subset(self, mask: np.ndarray) -> Interactions:
        """The same id space restricted to some events (``now`` unchanged)."""
        return Interactions(self.user_ids, self.item_ids, self.events[mask], self.now)


def encode(
    frame: pd.DataFrame,
    *,
    user_col: str = "user_id",
    item_col: str = "item_id",
    time_col: str = "timestamp",
    quantity_col: str | None = "quantity",
    now: pd.Timestamp | None = None,
) -> Interactions:
    """Encode a purchase log; rows with non-positive quantity (returns) are dropped.

    ``now`` defaults to the last timestamp in the frame, so the same data always gives the
    same model (nothing reads the clock).
    """
    df = frame[[user_col, item_col, time_col] + ([quantity_col] if quantity_col else [])].copy()
    if quantity_col:
        df = df[df[quantity_col].fillna(1) > 0]
    else:
        df["quantity"] = 1.0
        quantity_col = "quantity"
    ts = pd.to_datetime(df[time_col], utc=True)
    if len(df) == 0:
        return Interactions(
            np.array([], dtype=object),
            np.array([], dtype=object),
            pd.DataFrame({"u": [], "i": [], "t": [], "q": []}),
            0.0,
        )
    origin = ts.min()
    t = (ts - origin).dt.total_seconds().to_numpy() / SECONDS_PER_DAY
    u_codes, u_ids = pd.factorize(df[user_col], sort=True)
    i_codes, i_ids = pd.factorize(df[item_col], sort=True)
    events = (
        pd.DataFrame(
            {"u": u_codes, "i": i_codes, "t": t, "q": df[quantity_col].astype(float).to_numpy()}
        )
        .groupby(["u", "i", "t"], as_index=False)["q"]
        .sum()
    )
    if now is None:
        ref = float(t.max())
    else:
        ref = (
            pd.Timestamp(now).tz_localize("UTC")
            if pd.Timestamp(now).tzinfo is None
            else pd.Timestamp(now)
        )
        ref = (ref - origin).total_seconds() / SECONDS_PER_DAY
    return Interactions(
        np.asarray(u_ids, dtype=object), np.asarray(i_ids, dtype=object), events, float(ref)
    )
