"""Point-in-time features of store orders at checkout (online scoring and training alike).

One function, `checkout_features(frame)`, computes the features of every row from the rows
at or before it, sharing its customer, card, device or IP. Training calls it on the whole
order history; checkout calls it on just the rows that share an entity with the order being
placed (plus that order), and takes the last row: the two agree by construction.

Input columns (one row per order with a payment attempt):
  order_id, placed_at (datetime), customer_key (str; guests keyed by card), card, device, ip
  (str, "" unknown), amount (float), n_items (int), account_created_at (datetime or NaT),
  ship_key (hash of the shipping address, never the address), ship_country, bill_country,
  ip_country, bin_country (ISO-2, "" unknown), declined (0/1 issuer decline),
  fraud_known_at (datetime the order was known to be fraud: chargeback or reviewer; NaT
  otherwise). Labels count only from the time they arrived, never earlier.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from fraud.ml.windows import _KEY_STRIDE, DAY, EVER, EntityWindows

HOUR = 3600.0
SMALL_AMOUNT = 10.0  # card testers probe with tiny baskets

CHECKOUT_FEATURES: list[str] = [
    "amount",
    "n_items",
    "hour",
    "cust_n_1h",
    "cust_n_1d",
    "cust_n_7d",
    "cust_n_30d",
    "cust_amount_1d",
    "cust_amount_7d",
    "cust_amount_30d",
    "cust_amount_ratio_30d",
    "card_n_1h",
    "card_n_1d",
    "card_declined_1d",
    "card_small_n_1d",
    "card_accounts",
    "device_accounts",
    "ip_accounts",
    "ip_n_1h",
    "device_n_1d",
    "account_age_days",
    "is_guest",
    "new_ship_address",
    "ship_bill_mismatch",
    "ip_bill_mismatch",
    "bin_bill_mismatch",
    "cust_fraud_known",
    "card_fraud_known",
    "device_fraud_known",
    "ip_fraud_known",
]

INPUT_COLUMNS = [
    "order_id",
    "placed_at",
    "customer_key",
    "card",
    "device",
    "ip",
    "amount",
    "n_items",
    "account_created_at",
    "ship_key",
    "ship_country",
    "bill_country",
    "ip_country",
    "bin_country",
    "declined",
    "fraud_known_at",
]


def _text(frame: pd.DataFrame, col: str) -> np.ndarray:
    """A text column as a numpy object array with "" for missing (pandas string ops are slow
    on the small frames checkout scores)."""
    values = frame[col].to_numpy(dtype=object, na_value="")
    return np.where(pd.isna(values), "", values).astype(str).astype(object)


def _keys(values: np.ndarray, *, blank_is_unique: bool = True) -> np.ndarray:
    v = values
    if blank_is_unique:
        blank = v == ""
        if blank.any():
            # unknown device/IP: never "shared" with another row
            v = v.copy()
            v[blank] = [f"\x00row{i}" for i in np.flatnonzero(blank)]
    return pd.factorize(v)[0].astype(np.int64)


def _ns(col: pd.Series) -> np.ndarray:
    """Nanoseconds since the epoch (NaT -> NaN), UTC."""
    # explicit unit: pandas 3 keeps datetime objects at microsecond resolution, and asi8 is
    # in the index's unit (treating it as ns made every window 1000x too wide)
    idx = pd.DatetimeIndex(pd.to_datetime(col, utc=True)).as_unit("ns")
    out = idx.asi8.astype(np.float64)
    out[idx.isna()] = np.nan
    return out


def _first_of_pair(a: np.ndarray, b: np.ndarray, secs: np.ndarray) -> np.ndarray:
    """1.0 on the first row (in time) of each (a, b) pair, else 0.0."""
    pair = a * (int(b.max()) + 1 if b.size else 1) + b
    order = np.lexsort((secs, pair))
    first = np.ones(pair.size)
    same = pair[order][1:] == pair[order][:-1]
    first[order[1:][same]] = 0.0
    return first


def _known_counts(keys: np.ndarray, query_secs: np.ndarray, event_secs: np.ndarray) -> np.ndarray:
    """For each row, how many rows with the same key had a label event at or before it."""
    has = ~np.isnan(event_secs)
    if not has.any():
        return np.zeros(keys.size)
    origin = min(np.nanmin(event_secs), query_secs.min())
    ev = np.sort(keys[has] * _KEY_STRIDE + np.floor(event_secs[has] - origin).astype(np.int64))
    q = keys * _KEY_STRIDE + np.floor(query_secs - origin).astype(np.int64)
    return (
        np.searchsorted(ev, q, side="right") - np.searchsorted(ev, keys * _KEY_STRIDE, side="left")
    ).astype(np.float64)


def checkout_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Features of every row of `frame` (same index), see the module docstring."""
    if frame.empty:
        return pd.DataFrame(columns=CHECKOUT_FEATURES, index=frame.index, dtype=np.float64)
    placed_ns = _ns(frame["placed_at"])
    secs = (placed_ns - np.nanmin(placed_ns)) / 1e9 + DAY
    origin_ns = np.nanmin(placed_ns) - DAY * 1e9
    amount = frame["amount"].to_numpy(dtype=np.float64)
    ones = np.ones(len(frame))
    out: dict[str, np.ndarray] = {
        "amount": amount,
        "n_items": frame["n_items"].to_numpy(dtype=np.float64),
        "hour": np.floor(placed_ns / 3.6e12) % 24,  # UTC hour
    }
    text = {
        c: _text(frame, c)
        for c in (
            "customer_key",
            "card",
            "device",
            "ip",
            "ship_key",
            "ship_country",
            "bill_country",
            "ip_country",
            "bin_country",
        )
    }

    cust_k = _keys(text["customer_key"])
    cust = EntityWindows(cust_k, secs)
    for name, width in (("1h", HOUR), ("1d", DAY), ("7d", 7 * DAY), ("30d", 30 * DAY)):
        s = cust.sums(np.column_stack([ones, amount]), lo=width)
        out[f"cust_n_{name}"] = s[:, 0]
        if name != "1h":
            out[f"cust_amount_{name}"] = s[:, 1]
    n_prev = out["cust_n_30d"] - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_prev = (out["cust_amount_30d"] - amount) / n_prev
        out["cust_amount_ratio_30d"] = np.where(n_prev > 0, amount / mean_prev, np.nan)

    card_k = _keys(text["card"])
    card = EntityWindows(card_k, secs)
    declined = frame["declined"].to_numpy(dtype=np.float64)
    small = (amount <= SMALL_AMOUNT).astype(np.float64)
    out["card_n_1h"] = card.sums(ones, lo=HOUR)
    s = card.sums(np.column_stack([ones, declined, small]), lo=DAY)
    out["card_n_1d"], out["card_declined_1d"], out["card_small_n_1d"] = s[:, 0], s[:, 1], s[:, 2]

    dev_k = _keys(text["device"])
    ip_k = _keys(text["ip"])
    dev = EntityWindows(dev_k, secs)
    ip = EntityWindows(ip_k, secs)
    out["card_accounts"] = card.sums(_first_of_pair(card_k, cust_k, secs), lo=EVER)
    out["device_accounts"] = dev.sums(_first_of_pair(dev_k, cust_k, secs), lo=EVER)
    out["ip_accounts"] = ip.sums(_first_of_pair(ip_k, cust_k, secs), lo=EVER)
    out["ip_n_1h"] = ip.sums(ones, lo=HOUR)
    out["device_n_1d"] = dev.sums(ones, lo=DAY)
    no_dev, no_ip = text["device"] == "", text["ip"] == ""
    for feat, blank in (
        ("device_accounts", no_dev),
        ("device_n_1d", no_dev),
        ("ip_accounts", no_ip),
        ("ip_n_1h", no_ip),
    ):
        out[feat] = np.where(blank, np.nan, out[feat])

    age = (placed_ns - _ns(frame["account_created_at"])) / 1e9 / DAY
    out["account_age_days"] = np.clip(age, 0, None)
    out["is_guest"] = np.isnan(age).astype(np.float64)
    out["new_ship_address"] = _first_of_pair(cust_k, _keys(text["ship_key"]), secs)

    def mismatch(a: str, b: str) -> np.ndarray:
        x, y = text[a], text[b]
        return np.where((x == "") | (y == ""), np.nan, (x != y).astype(np.float64))

    out["ship_bill_mismatch"] = mismatch("ship_country", "bill_country")
    out["ip_bill_mismatch"] = mismatch("ip_country", "bill_country")
    out["bin_bill_mismatch"] = mismatch("bin_country", "bill_country")

    ev = (_ns(frame["fraud_known_at"]) - origin_ns) / 1e9
    for name, keys in (("cust", cust_k), ("card", card_k), ("device", dev_k), ("ip", ip_k)):
        out[f"{name}_fraud_known"] = _known_counts(keys, secs, ev)

    return pd.DataFrame(out, index=frame.index, columns=CHECKOUT_FEATURES)


# --- one order at checkout: the last row only, plain numpy (no pandas per call) ---------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def datetime_ns(value: datetime | None) -> float:
    """Nanoseconds since the epoch as `_ns` computes them (naive means UTC; None -> NaN)."""
    if value is None:
        return math.nan
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return float((value - _EPOCH) // _US * 1000)


def checkout_features_last(rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Features of the LAST row of `rows` (INPUT_COLUMNS records, datetimes aware or naive
    UTC), equal to `checkout_features(frame).iloc[-1]` on the same rows (up to float
    rounding of the amount sums), at a fraction of its cost for one order at checkout.

    The same arithmetic as the batch path: seconds are floored on the same origin, windows
    are (t - width, t], entities with an unknown ("") key never share anything.
    """
    n = len(rows)
    cur = rows[-1]
    placed_ns = np.array([datetime_ns(r["placed_at"]) for r in rows])
    secs = (placed_ns - placed_ns.min()) / 1e9 + DAY
    rel = np.floor(secs - secs.min()).astype(np.int64)  # EntityWindows' integer seconds
    t = rel[-1]
    amount = np.array([float(r["amount"]) for r in rows])
    a = float(amount[-1])
    only_last = np.zeros(n, dtype=bool)
    only_last[-1] = True

    def same(col: str) -> np.ndarray:
        v = cur[col] or ""
        if v == "":  # unknown: a key of its own
            return only_last
        return np.array([(r[col] or "") == v for r in rows])

    def window(mask: np.ndarray, width: float) -> np.ndarray:
        return mask & (rel > t - np.int64(math.floor(min(width, EVER))))

    out: dict[str, float] = {
        "amount": a,
        "n_items": float(cur["n_items"]),
        "hour": float(np.floor(placed_ns[-1] / 3.6e12) % 24),
    }
    cust = same("customer_key")
    for name, width in (("1h", HOUR), ("1d", DAY), ("7d", 7 * DAY), ("30d", 30 * DAY)):
        m = window(cust, width)
        out[f"cust_n_{name}"] = float(m.sum())
        if name != "1h":
            out[f"cust_amount_{name}"] = float(amount[m].sum())
    n_prev = out["cust_n_30d"] - 1
    ratio = math.nan
    if n_prev > 0:
        mean_prev = (out["cust_amount_30d"] - a) / n_prev
        if mean_prev != 0:
            ratio = a / mean_prev
        elif a != 0:  # numpy's a / 0.0
            ratio = math.copysign(math.inf, a)
    out["cust_amount_ratio_30d"] = ratio

    card = same("card")
    m1d = window(card, DAY)
    declined = np.array([float(r["declined"]) for r in rows])
    out["card_n_1h"] = float(window(card, HOUR).sum())
    out["card_n_1d"] = float(m1d.sum())
    out["card_declined_1d"] = float(declined[m1d].sum())
    out["card_small_n_1d"] = float((amount[m1d] <= SMALL_AMOUNT).sum())

    cust_keys = [r["customer_key"] for r in rows]

    def accounts(mask: np.ndarray) -> float:
        return float(len({cust_keys[i] for i in np.flatnonzero(mask & (rel <= t))}))

    dev, ip = same("device"), same("ip")
    out["card_accounts"] = accounts(card)
    no_dev, no_ip = not cur["device"], not cur["ip"]
    out["device_accounts"] = math.nan if no_dev else accounts(dev)
    out["ip_accounts"] = math.nan if no_ip else accounts(ip)
    out["ip_n_1h"] = math.nan if no_ip else float(window(ip, HOUR).sum())
    out["device_n_1d"] = math.nan if no_dev else float(window(dev, DAY).sum())

    age = (placed_ns[-1] - datetime_ns(cur["account_created_at"])) / 1e9 / DAY
    out["account_age_days"] = max(age, 0.0) if not math.isnan(age) else math.nan
    out["is_guest"] = float(math.isnan(age))
    ship = cur["ship_key"] or ""
    seen_before = ship != "" and any(
        rows[int(i)]["ship_key"] == ship and secs[i] <= secs[-1] for i in np.flatnonzero(cust[:-1])
    )
    out["new_ship_address"] = 0.0 if seen_before else 1.0

    def mismatch(x: str, y: str) -> float:
        u, v = cur[x] or "", cur[y] or ""
        return math.nan if u == "" or v == "" else float(u != v)

    out["ship_bill_mismatch"] = mismatch("ship_country", "bill_country")
    out["ip_bill_mismatch"] = mismatch("ip_country", "bill_country")
    out["bin_bill_mismatch"] = mismatch("bin_country", "bill_country")

    origin_ns = placed_ns.min() - DAY * 1e9
    ev = (np.array([datetime_ns(r["fraud_known_at"]) for r in rows]) - origin_ns) / 1e9
    has = ~np.isnan(ev)
    if has.any():
        origin = min(float(np.nanmin(ev)), float(secs.min()))
        ev_i = np.floor(np.where(has, ev, 0.0) - origin).astype(np.int64)
        q = np.int64(math.floor(secs[-1] - origin))
        known = has & (ev_i <= q)
    else:
        known = np.zeros(n, dtype=bool)
    for name, mask in (("cust", cust), ("card", card), ("device", dev), ("ip", ip)):
        out[f"{name}_fraud_known"] = float((known & mask).sum())
    return {k: out[k] for k in CHECKOUT_FEATURES}
