"""Held-back validation slice built from the training data alone (used to tune blends)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import Interactions


@dataclass(frozen=True)
class Holdout:
    """``train`` is what the models may see; ``truth`` maps user index -> held-back items."""

    train: Interactions
    truth: dict[int, set[int]]
    mode: str  # "time" (last window) or "basket" (hidden part of the last basket)


def holdout_split(
    data: Interactions,
    *,
    fraction: float = 0.2,
    min_users: int = 30,
    max_users: int = 2000,
    seed: int = 0,
) -> Holdout:
    """Hold back the last ``fraction`` of the time span; users who bought before and after
    the cut are validation users. When fewer than ``min_users`` qualify (one basket per
    customer, as in anonymous till data), hide a random half of the last basket of a random
    ``fraction`` of customers instead, which is the basket-completion task."""
    rng = np.random.default_rng(seed)
    ev = data.events
    if len(ev) == 0:
        return Holdout(data, {}, "time")
    t0, t1 = float(ev.t.min()), float(ev.t.max())
    cut = t1 - fraction * (t1 - t0)
    before = ev.t.to_numpy() < cut
    after_users = np.intersect1d(ev.u[before].unique(), ev.u[~before].unique())
    if len(after_users) >= min_users:
        chosen = after_users
        if len(chosen) > max_users:
            chosen = np.sort(rng.choice(chosen, max_users, replace=False))
        after = ev[~before & ev.u.isin(chosen).to_numpy()]
        truth = {int(u): set(map(int, g)) for u, g in after.groupby("u").i}
        train = Interactions(data.user_ids, data.item_ids, ev[before], cut)
        return Holdout(train, truth, "time")
    last_t = ev.groupby("u").t.transform("max").to_numpy()
    last = ev[ev.t.to_numpy() == last_t]
    sizes = last.groupby("u").size()
    eligible = sizes.index[sizes >= 2].to_numpy()
    n = min(max_users, max(1, int(round(fraction * len(eligible))))) if len(eligible) else 0
    chosen = np.sort(rng.choice(eligible, n, replace=False)) if n else np.array([], dtype=int)
    hidden = np.zeros(len(ev), dtype=bool)
    pos = np.flatnonzero((ev.t.to_numpy() == last_t) & ev.u.isin(chosen).to_numpy())
    users_at = ev.u.to_numpy()[pos]
    hidden_items: dict[int, set[int]] = {}
    for u in chosen:
        rows = pos[users_at == u]
        hide = rng.choice(rows, max(1, len(rows) // 2), replace=False)
        hidden[hide] = True
        hidden_items[int(u)] = set(map(int, ev.i.to_numpy()[hide]))
    return Holdout(
        Interactions(data.user_ids, data.item_ids, ev[~hidden], data.now), hidden_items, "basket"
    )


def holdout_windows(
    data: Interactions,
    *,
    fraction: float = 0.2,
    min_users: int = 30,
    max_users: int = 2000,
    max_windows: int = 3,
    seed: int = 0,
) -> list[Holdout]:
    """Several validation slices from the training data alone, so that small data sets give
    the tuner more customers than one window holds.

    The first slice is ``holdout_split``. While fewer than ``max_users`` validation customers
    are collected, add the window of the same length just before it (rolling cut-offs: train
    on everything before the window, truth = what was bought inside it) or, for basket data,
    hide parts of the last baskets of another random set of customers.
    """
    first = holdout_split(
        data, fraction=fraction, min_users=min_users, max_users=max_users, seed=seed
    )
    out = [first] if first.truth else []
    total = len(first.truth)
    ev = data.events
    if not first.truth or len(ev) == 0:
        return out
    t0, t1 = float(ev.t.min()), float(ev.t.max())
    width = fraction * (t1 - t0)
    for k in range(1, max_windows):
        if total >= max_users:
            break
        if first.mode == "time":
            end = t1 - k * width
            if end - width <= t0 + width:  # keep at least one window of history to learn from
                break
            window = Interactions(data.user_ids, data.item_ids, ev[ev.t.to_numpy() < end], end)
            h = holdout_split(
                window,
                fraction=width / max(end - t0, 1e-9),
                min_users=min_users,
                max_users=max_users - total,
                seed=seed + k,
            )
            if h.mode != "time" or len(h.truth) < min_users:
                break
        else:
            h = holdout_split(
                data,
                fraction=fraction,
                min_users=min_users,
                max_users=max_users - total,
                seed=seed + k,
            )
            if not h.truth:
                break
        out.append(h)
        total += len(h.truth)
    return out
