"""Point-in-time features for card transactions (the `ml_eval fraud` contract).

Input: a DataFrame with `timestamp`, `customer_id`, `terminal_id`, `amount` and optionally
`label` (1 fraud, 0 genuine, NaN not known yet). Every feature of a row uses only rows at or
before its timestamp; anything built from labels uses only labels at least `delay_days` old
(and only labels that are present at all), because chargebacks and investigations arrive
late. Rows whose label is NaN (the transactions being scored) never leak a label.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fraud.ml.windows import DAY, EVER, EntityWindows

CUSTOMER_WINDOWS = (1, 7, 30)
TERMINAL_WINDOWS = (1, 7, 30)
BASELINE_GAP = 14 * DAY  # a customer's usual amounts: transactions older than this

# The classic windowed feature set (amount, calendar flags, customer spend windows and
# delayed terminal risk); the random-forest baseline uses exactly these.
STANDARD_FEATURES: list[str] = [
    "amount",
    "is_weekend",
    "is_night",
    *[f"cust_n_{w}d" for w in CUSTOMER_WINDOWS],
    *[f"cust_mean_{w}d" for w in CUSTOMER_WINDOWS],
    *[f"term_n_{w}d" for w in TERMINAL_WINDOWS],
    *[f"term_risk_{w}d" for w in TERMINAL_WINDOWS],
]

# Extra signals: deviation from the customer's usual amount, recency, and fraud already
# confirmed on the same customer or terminal (delayed).
EXTRA_FEATURES: list[str] = [
    "hour",
    "cust_amount_ratio_30d",
    "cust_amount_z_30d",
    "cust_mean_ratio_7d_30d",
    "cust_hours_since_prev",
    "cust_fraud_n_14d",
    "cust_days_since_fraud",
    "term_fraud_n_28d",
    "term_risk_14d",
    "term_days_since_fraud",
    "term_labelled_share_7d",
]

# Behaviour without labels (amount against the customer's baseline from before the last 14
# days, recent far-above-baseline transactions, last hour, the terminal's usual amount, the
# customer-terminal pair) and when the current run of confirmed fraud started.
RECENT_FEATURES: list[str] = [
    "cust_n_1h",
    "cust_base_ratio",
    "cust_base_z",
    "cust_high_n_14d",
    "cust_high_share_14d",
    "term_amount_ratio_30d",
    "pair_n_30d",
    "term_days_since_first_fraud",
    "cust_days_since_first_fraud",
]

EXTENDED_FEATURES: list[str] = STANDARD_FEATURES + EXTRA_FEATURES + RECENT_FEATURES


def _codes(values: pd.Series) -> np.ndarray:
    return pd.factorize(values, sort=False)[0].astype(np.int64)


def transaction_features(tx: pd.DataFrame, *, delay_days: float | np.ndarray = 7.0) -> pd.DataFrame:
    """Return one row of features per transaction, same index and order as `tx`.

    `timestamp` must be datetime-like (naive or aware; only differences matter).
    `delay_days` may be one number or one per row (see `pipeline.history_features`).
    """
    ts = pd.to_datetime(tx["timestamp"])
    secs = (
        (ts - ts.min()).dt.total_seconds().to_numpy(dtype=np.float64) if len(tx) else np.array([])
    )
    amount = tx["amount"].to_numpy(dtype=np.float64)
    if "label" in tx:
        label = pd.to_numeric(tx["label"], errors="coerce").to_numpy(dtype=np.float64)
    else:
        label = np.full(len(tx), np.nan)
    known = ~np.isnan(label)
    fraud = np.where(known, label, 0.0)
    delay = np.asarray(delay_days, dtype=np.float64) * DAY

    out: dict[str, np.ndarray] = {"amount": amount}
    hour = ts.dt.hour.to_numpy()
    out["hour"] = hour.astype(np.float64)
    out["is_weekend"] = (ts.dt.weekday.to_numpy() >= 5).astype(np.float64)
    out["is_night"] = (hour <= 6).astype(np.float64)

    cust = EntityWindows(_codes(tx["customer_id"]), secs)
    ones = np.ones(len(tx))
    for w in CUSTOMER_WINDOWS:
        s = cust.sums(np.column_stack([ones, amount]), lo=w * DAY)
        out[f"cust_n_{w}d"] = s[:, 0]
        out[f"cust_mean_{w}d"] = s[:, 1] / s[:, 0]
    # the customer's usual amount, excluding the current transaction
    s = cust.sums(np.column_stack([ones, amount, amount**2]), lo=30 * DAY)
    n_prev = s[:, 0] - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_prev = (s[:, 1] - amount) / n_prev
        var_prev = (s[:, 2] - amount**2) / n_prev - mean_prev**2
        std_prev = np.sqrt(np.clip(var_prev, 0, None))
        out["cust_amount_ratio_30d"] = np.where(n_prev > 0, amount / mean_prev, np.nan)
        out["cust_amount_z_30d"] = np.where(
            n_prev > 1, (amount - mean_prev) / (std_prev + 1.0), np.nan
        )
        s7 = cust.sums(np.column_stack([ones, amount]), lo=7 * DAY)
        out["cust_mean_ratio_7d_30d"] = np.where(
            n_prev > 0, (s7[:, 1] / s7[:, 0]) / mean_prev, np.nan
        )
    out["cust_hours_since_prev"] = _strictly_previous_gap(cust, secs) / 3600.0
    out["cust_n_1h"] = cust.sums(ones, lo=3600.0)
    # the customer's baseline: every transaction older than 14 days (a recent compromise
    # that inflates amounts does not pollute it)
    b = cust.sums(np.column_stack([ones, amount, amount**2]), lo=EVER, hi=BASELINE_GAP)
    with np.errstate(invalid="ignore", divide="ignore"):
        base_mean = b[:, 1] / b[:, 0]
        base_std = np.sqrt(np.clip(b[:, 2] / b[:, 0] - base_mean**2, 0, None))
        base_z = np.where(b[:, 0] > 1, (amount - base_mean) / (base_std + 1.0), np.nan)
    out["cust_base_ratio"] = np.where(b[:, 0] > 0, amount / base_mean, np.nan)
    out["cust_base_z"] = base_z
    # recent transactions far above that baseline (no labels needed): a compromised card
    high = np.nan_to_num(base_z, nan=0.0) > 3.0
    s14 = cust.sums(np.column_stack([ones, high.astype(np.float64)]), lo=BASELINE_GAP)
    out["cust_high_n_14d"] = s14[:, 1] - high
    with np.errstate(invalid="ignore", divide="ignore"):
        out["cust_high_share_14d"] = np.where(
            s14[:, 0] > 1, (s14[:, 1] - high) / (s14[:, 0] - 1), 0.0
        )
    out["cust_fraud_n_14d"] = cust.sums(fraud, lo=delay + 14 * DAY, hi=delay)
    out["cust_days_since_fraud"] = cust.last_time_where(fraud > 0, hi=delay) / DAY
    out["cust_days_since_first_fraud"] = (
        cust.first_time_where(fraud > 0, lo=delay + 28 * DAY, hi=delay) / DAY
    )

    term_k = _codes(tx["terminal_id"])
    term = EntityWindows(term_k, secs)
    st = term.sums(np.column_stack([ones, amount]), lo=30 * DAY)
    with np.errstate(invalid="ignore", divide="ignore"):
        term_mean_prev = (st[:, 1] - amount) / (st[:, 0] - 1)
        out["term_amount_ratio_30d"] = np.where(st[:, 0] > 1, amount / term_mean_prev, np.nan)
    pair = EntityWindows(
        _codes(tx["customer_id"]) * (int(term_k.max(initial=0)) + 1) + term_k, secs
    )
    out["pair_n_30d"] = pair.sums(ones, lo=30 * DAY) - 1
    lab = np.column_stack([known.astype(np.float64), fraud])
    for w in (*TERMINAL_WINDOWS, 14):
        s = term.sums(lab, lo=delay + w * DAY, hi=delay)
        with np.errstate(invalid="ignore", divide="ignore"):
            risk = np.where(s[:, 0] > 0, s[:, 1] / s[:, 0], 0.0)
        if w in TERMINAL_WINDOWS:
            out[f"term_n_{w}d"] = s[:, 0]
        out[f"term_risk_{w}d"] = risk
    out["term_fraud_n_28d"] = term.sums(fraud, lo=delay + 28 * DAY, hi=delay)
    out["term_days_since_fraud"] = term.last_time_where(fraud > 0, hi=delay) / DAY
    # when the current run of confirmed fraud started (a compromised terminal stays
    # compromised for weeks, then recovers: the start tells how long it has been going)
    out["term_days_since_first_fraud"] = (
        term.first_time_where(fraud > 0, lo=delay + 42 * DAY, hi=delay) / DAY
    )
    # how much of the terminal's recent traffic is labelled yet (drops while scoring ahead)
    s_all = term.sums(ones, lo=delay + 7 * DAY, hi=delay)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["term_labelled_share_7d"] = np.where(
            s_all > 0, term.sums(known.astype(np.float64), lo=delay + 7 * DAY, hi=delay) / s_all, 0
        )

    frame = pd.DataFrame(out, index=tx.index)
    for col in ("cust_mean_1d", "cust_mean_7d", "cust_mean_30d"):
        frame[col] = frame[col].fillna(0.0)
    return frame[EXTENDED_FEATURES]


def _strictly_previous_gap(win: EntityWindows, secs: np.ndarray) -> np.ndarray:
    """Seconds since the previous row of the same key (NaN for the first)."""
    comp_sorted = win.comp_sorted
    pos = np.searchsorted(comp_sorted, win.comp, side="left") - 1
    ok = pos >= 0
    ok[ok] = win.keys_sorted[pos[ok]] == (win.comp[ok] >> 36)
    out = np.full(secs.size, np.nan)
    out[ok] = (win.comp[ok] - comp_sorted[pos[ok]]).astype(np.float64)
    return out
