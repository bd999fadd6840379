"""Recommendation impressions and clicks for the demo's last days (numpy and scipy; no Django).

The store's widgets are replayed over the simulated sessions: a "for you" list when a
session starts (the A/B variant of the shopper decides between the personal blend and
popular products), "similar" and "bought together" on every product page viewed, "cart"
after every add to cart. The lists are built the way the recommender builds them, from the
orders placed before the window: item-to-item cosine over customers ("item_knn"), basket
co-occurrence ("bought_together"), re-buys of consumables ("rebuy"), popular products.

Whether a shopper clicks a card depends on whether they went on to buy that product (in
this session or a later order) and on its position, so the click-through of a slot, source
or variant is as good as its lists are at predicting purchases: nothing fixes it per slot.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

US_PER_DAY = 86_400_000_000
US_PER_S = 1_000_000
LIMITS = {"for_you": 8, "similar": 8, "bought_together": 4, "cart": 4}  # cards the pages show
NEIGHBOURS = 20
# A card at position k is looked at with chance 1 / (1 + 0.4 (k - 1)); a looked-at card is
# clicked if the shopper wants it (bought it later) far more often than out of curiosity.
P_WANTED = 0.35
P_CURIOUS = 0.012
POPULAR_DAYS = 60


@dataclass
class Feedback:
    """Event rows (positions into the simulator's tables) plus the experiment's units."""

    type: list[str] = field(default_factory=list)
    session: list[str] = field(default_factory=list)
    customer: list[int] = field(default_factory=list)  # simulator index, -1 guest
    product: list[int] = field(default_factory=list)  # simulator index, -1 for impressions
    t: list[int] = field(default_factory=list)
    metadata: list[str] = field(default_factory=list)
    # unit id -> (variant, first exposure, first for-you click or -1)
    units: dict[str, tuple[str, int, int]] = field(default_factory=dict)


def _top_k(scores: sparse.csr_matrix, k: int) -> list[np.ndarray]:
    """Per row, the columns of the k highest positive scores, best first (ties by index)."""
    out: list[np.ndarray] = []
    for i in range(scores.shape[0]):
        lo, hi = scores.indptr[i], scores.indptr[i + 1]
        cols, vals = scores.indices[lo:hi], scores.data[lo:hi]
        keep = (vals > 0) & (cols != i)
        cols, vals = cols[keep], vals[keep]
        order = np.lexsort((cols, -vals))[:k]
        out.append(cols[order])
    return out


def _fill(
    picked: list[tuple[int, str]],
    ids: np.ndarray,
    source: str,
    limit: int,
    banned: set[int],
) -> None:
    seen = {p for p, _ in picked}
    # no more candidates are needed than the free places plus those that may be skipped
    for p in ids[: limit + len(seen) + len(banned)].tolist():
        if len(picked) >= limit:
            return
        if p not in seen and p not in banned:
            picked.append((p, source))
            seen.add(p)


def feedback_simulate(
    *,
    seed: int,
    anchor_us: int,
    days: int,
    events: dict[str, np.ndarray],
    line_order: np.ndarray,
    line_prod: np.ndarray,
    order_customer: np.ndarray,
    order_placed: np.ndarray,
    order_ok: np.ndarray,
    order_session: list[str],
    prod_leaf: np.ndarray,
    prod_consumable: np.ndarray,
    product_pk: Callable[[int], int],
    unit_of: Callable[[int, str], str],
    variant_of: Callable[[str], str],
) -> Feedback:
    """Impressions and clicks of the last ``days`` days before ``anchor_us``.

    ``events`` holds the simulator's event columns (type, session_id, customer, product,
    created_at); ``unit_of(customer, session)`` names the experiment unit and ``variant_of``
    assigns its variant, both as the store does."""
    r = np.random.default_rng(np.random.SeedSequence([seed, 31]))
    P = len(prod_leaf)
    cut = anchor_us - days * US_PER_DAY
    ok_line = order_ok[line_order]
    train = ok_line & (order_placed[line_order] < cut)
    recent = train & (order_placed[line_order] >= cut - POPULAR_DAYS * US_PER_DAY)
    pop = np.bincount(line_prod[recent], minlength=P) + 0.01 * np.bincount(
        line_prod[train], minlength=P
    )
    popular = np.lexsort((np.arange(P), -pop))
    leaf_popular = {
        int(leaf): popular[prod_leaf[popular] == leaf] for leaf in np.unique(prod_leaf).tolist()
    }

    # item-to-item cosine over the customers who bought both
    tl = np.flatnonzero(train & (order_customer[line_order] >= 0))
    cust = order_customer[line_order[tl]]
    n_cust = int(order_customer.max()) + 1 if len(order_customer) else 0
    xc = sparse.csr_matrix((np.ones(len(tl)), (cust, line_prod[tl])), shape=(max(n_cust, 1), P))
    xc.data[:] = 1.0
    norms = np.sqrt(np.asarray(xc.sum(axis=0)).ravel()) + 1e-9
    inv = sparse.diags(1.0 / norms)
    knn = _top_k((inv @ (xc.T @ xc) @ inv).tocsr(), NEIGHBOURS)
    # basket co-occurrence, shrunk so that one shared basket is not a strong signal
    bl = np.flatnonzero(train)
    xo = sparse.csr_matrix(
        (np.ones(len(bl)), (line_order[bl], line_prod[bl])), shape=(len(order_placed), P)
    )
    xo.data[:] = 1.0
    co = (xo.T @ xo).tocsr()
    co.data = np.where(co.data >= 2, co.data, 0.0)
    counts = np.asarray(xo.sum(axis=0)).ravel() + 5.0
    inv_b = sparse.diags(1.0 / np.sqrt(counts))
    together = _top_k((inv_b @ co @ inv_b).tocsr(), NEIGHBOURS)

    # what each customer had bought before the window (for-you lists and the durable rule)
    history: dict[int, list[int]] = {}
    for o, p in zip(line_order[tl].tolist(), line_prod[tl].tolist(), strict=True):
        history.setdefault(int(order_customer[o]), []).append(p)  # chronological

    def durables_of(c: int) -> set[int]:
        return {p for p in history.get(c, []) if not prod_consumable[p]}

    similar_lists: dict[int, list[tuple[int, str]]] = {}
    together_lists: dict[int, list[tuple[int, str]]] = {}

    def similar(p: int) -> list[tuple[int, str]]:
        if p not in similar_lists:
            picked: list[tuple[int, str]] = []
            _fill(picked, knn[p], "item_knn", LIMITS["similar"], {p})
            _fill(picked, leaf_popular[int(prod_leaf[p])], "same_category", LIMITS["similar"], {p})
            _fill(picked, popular, "fallback", LIMITS["similar"], {p})
            similar_lists[p] = picked
        return similar_lists[p]

    def bought_together(p: int) -> list[tuple[int, str]]:
        if p not in together_lists:
            picked: list[tuple[int, str]] = []
            limit = LIMITS["bought_together"]
            _fill(picked, together[p], "bought_together", limit, {p})
            other = popular[prod_leaf[popular] != prod_leaf[p]]
            _fill(picked, other, "complement", limit, {p})
            together_lists[p] = picked
        return together_lists[p]

    for_you_lists: dict[tuple[int, str], list[tuple[int, str]]] = {}

    def for_you(c: int, variant: str) -> list[tuple[int, str]]:
        # the nightly batch: one list per customer for the whole window
        if (c, variant) not in for_you_lists:
            for_you_lists[(c, variant)] = for_you_build(c, variant)
        return for_you_lists[(c, variant)]

    def for_you_build(c: int, variant: str) -> list[tuple[int, str]]:
        limit = LIMITS["for_you"]
        banned = durables_of(c) if c >= 0 else set()
        picked: list[tuple[int, str]] = []
        if variant != "blend":
            _fill(picked, popular, "fallback", limit, banned)
            return picked
        bought = history.get(c, []) if c >= 0 else []
        if bought:
            rebuy = [p for p in reversed(bought) if prod_consumable[p]]
            _fill(picked, np.array(list(dict.fromkeys(rebuy)), int), "rebuy", 3, banned)
            score = np.zeros(P)
            for p in set(bought):
                neigh = knn[p]
                score[neigh] += 1.0 / (1.0 + np.arange(len(neigh)))
            score[list(set(bought))] = 0.0
            hits = np.flatnonzero(score > 0)
            _fill(picked, hits[np.lexsort((hits, -score[hits]))], "item_knn", limit, banned)
        _fill(picked, popular, "popular", limit, banned)
        return picked

    cart_lists: dict[tuple[int, ...], list[tuple[int, str]]] = {}

    def cart(items: list[int]) -> list[tuple[int, str]]:
        if tuple(items) not in cart_lists:
            cart_lists[tuple(items)] = cart_build(items)
        return cart_lists[tuple(items)]

    def cart_build(items: list[int]) -> list[tuple[int, str]]:
        limit = LIMITS["cart"]
        banned = set(items)
        picked: list[tuple[int, str]] = []
        _fill(
            picked,
            np.array(list(dict.fromkeys(q for p in items for q in together[p].tolist())), int),
            "bought_together",
            limit,
            banned,
        )
        _fill(picked, knn[items[-1]], "item_knn", limit, banned)
        _fill(picked, popular, "fallback", limit, banned)
        return picked

    # 1) the lists each session saw
    etype, esess = events["type"], events["session_id"]
    ecust, eprod, et = events["customer"], events["product"], events["created_at"]
    window = np.flatnonzero(et >= cut)
    window = window[np.lexsort((et[window], esess[window]))]
    if not len(window):
        return Feedback()
    sessions = esess[window]
    starts = np.r_[0, np.flatnonzero(sessions[1:] != sessions[:-1]) + 1, len(window)]
    list_ids: dict[tuple[str, str, tuple[tuple[int, str], ...]], int] = {}
    lists: list[tuple[str, str, list[tuple[int, str]]]] = []
    shown: list[tuple[int, int, int, int]] = []  # (list, session, customer, time)
    session_names: list[str] = []
    unit_names: list[str] = []

    def show(
        slot: str, variant: str, items: list[tuple[int, str]], si: int, c: int, t: int
    ) -> None:
        if not items or not cut <= t < anchor_us:
            return
        key = (slot, variant, tuple(items))
        if key not in list_ids:
            list_ids[key] = len(lists)
            lists.append((slot, variant, items))
        shown.append((list_ids[key], si, c, t))

    for a, b in zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True):
        rows = window[a:b]
        si = len(session_names)
        s = str(esess[rows[0]])
        c = int(ecust[rows[0]])
        session_names.append(s)
        unit = unit_of(c, s)
        unit_names.append(unit)
        variant = variant_of(unit)
        # the home page, before the first view or search
        show("for_you", variant, for_you(c, variant), si, c, int(et[rows[0]]) - 20 * US_PER_S)
        in_cart: list[int] = []
        for kind, p, t in zip(
            etype[rows].tolist(), eprod[rows].tolist(), et[rows].tolist(), strict=True
        ):
            if kind == "view" and p >= 0:
                show("similar", "", similar(p), si, c, t + 2 * US_PER_S)
                show("bought_together", "", bought_together(p), si, c, t + 2 * US_PER_S)
            elif kind == "add_to_cart" and p >= 0:
                if p not in in_cart:
                    in_cart.append(p)
                show("cart", "", cart(in_cart), si, c, t + 3 * US_PER_S)

    out = Feedback()
    if not shown:
        return out
    imp = np.array(shown, dtype=np.int64)
    imp_list, imp_sess, imp_cust, imp_t = imp.T
    list_len = np.array([len(items) for _, _, items in lists])
    list_prod = [np.array([p for p, _ in items], dtype=np.int64) for _, _, items in lists]

    # 2) one row per card shown: was it bought afterwards by the shopper (customer; a guest
    # only in the session), and was it clicked
    n_cards = list_len[imp_list]
    card = np.repeat(np.arange(len(imp)), n_cards)
    pos = np.arange(len(card)) - np.repeat(np.cumsum(n_cards) - n_cards, n_cards)
    prod = np.concatenate([list_prod[i] for i in imp_list.tolist()])
    ok = np.flatnonzero(ok_line & (order_customer[line_order] >= 0))
    bought_at = _latest(
        order_customer[line_order[ok]],
        line_prod[ok],
        order_placed[line_order[ok]],
        P,
        imp_cust[card],
        prod,
    )
    index = {s: i for i, s in enumerate(session_names)}
    guest = np.flatnonzero(
        ok_line & (order_customer[line_order] < 0) & (order_placed[line_order] >= cut)
    )
    sess_of = np.array([index.get(order_session[o], -1) for o in line_order[guest].tolist()], int)
    guest_at = _latest(
        sess_of, line_prod[guest], order_placed[line_order[guest]], P, imp_sess[card], prod
    )
    bought_at = np.where(imp_cust[card] >= 0, bought_at, guest_at)
    at = imp_t[card]
    wanted = bought_at >= at
    examine = 1.0 / (1.0 + 0.4 * pos)
    clicked = r.random(len(card)) < examine * np.where(wanted, P_WANTED, P_CURIOUS)
    click_at = at + r.integers(2, 40, len(card)) * US_PER_S
    # a click comes before the purchase it led to, and before now
    clicked &= (click_at < anchor_us) & ~(wanted & (click_at > bought_at))

    # 3) event rows
    list_text = [
        json.dumps(
            {
                "slot": slot,
                "variant": variant,
                "items": [product_pk(p) for p, _ in items],
                "sources": [src for _, src in items],
            }
        )
        for slot, variant, items in lists
    ]
    n = len(imp)
    out.type = ["rec_impression"] * n
    out.session = [session_names[i] for i in imp_sess.tolist()]
    out.customer = imp_cust.tolist()
    out.product = [-1] * n
    out.t = imp_t.tolist()
    out.metadata = [list_text[i] for i in imp_list.tolist()]
    for li, si, t in zip(imp_list.tolist(), imp_sess.tolist(), out.t, strict=True):
        if lists[li][0] == "for_you":  # the experiment's exposure: the first for-you list
            unit = unit_names[si]
            if unit not in out.units or t < out.units[unit][1]:
                out.units[unit] = (lists[li][1], t, -1)
    for k in np.flatnonzero(clicked).tolist():
        li = int(imp_list[card[k]])
        slot, variant, items = lists[li]
        si = int(imp_sess[card[k]])
        out.type.append("rec_click")
        out.session.append(session_names[si])
        out.customer.append(int(imp_cust[card[k]]))
        out.product.append(int(prod[k]))
        out.t.append(int(click_at[k]))
        out.metadata.append(
            json.dumps(
                {
                    "slot": slot,
                    "variant": variant,
                    "source": items[pos[k]][1],
                    "position": int(pos[k]) + 1,
                }
            )
        )
        if slot == "for_you":
            unit = unit_names[si]
            v, first, conv = out.units[unit]
            if conv < 0 or click_at[k] < conv:
                out.units[unit] = (v, first, int(click_at[k]))
    return out


def _latest(
    owner: np.ndarray,
    product: np.ndarray,
    placed: np.ndarray,
    n_products: int,
    ask_owner: np.ndarray,
    ask_product: np.ndarray,
) -> np.ndarray:
    """For each asked (owner, product): the latest ``placed`` of that pair, -1 if none."""
    keep = owner >= 0
    key = owner[keep].astype(np.int64) * (n_products + 1) + product[keep]
    when = placed[keep]
    order = np.lexsort((when, key))
    key, when = key[order], when[order]
    last = np.r_[key[1:] != key[:-1], True] if len(key) else np.zeros(0, bool)
    key, when = key[last], when[last]
    ask = ask_owner.astype(np.int64) * (n_products + 1) + ask_product
    i = np.clip(np.searchsorted(key, ask), 0, max(len(key) - 1, 0))
    if not len(key):
        return np.full(len(ask), -1, dtype=np.int64)
    return np.where((key[i] == ask) & (ask_owner >= 0), when[i], -1)
