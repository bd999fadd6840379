"""Pure numpy simulation of a year or two of a store's life (no Django imports).

The world is built in this order, each stage with its own random stream so that changing
one stage does not reshuffle the others:

1. catalogue: products with a true price elasticity, base demand, cost, supplier lead time;
2. prices: list-price reviews, per-product promotions and store-wide sales events;
3. demand: ``units ~ Poisson(base * (price / reference) ** elasticity * season * trend)``,
   censored by stock (restocks arrive after the supplier's lead time, some are late);
4. customers: segments, latent tastes over leaf categories, sign-up and churn dates;
5. orders: the day's units become order lines assigned to active customers by taste,
   consumables are re-bought by the same customer, accessories join their partner's order;
6. fraud: stolen cards on compromised devices, card testing bursts, account takeovers,
   amount outliers, with chargebacks arriving weeks later;
7. sessions and events (views, searches with typos, carts, abandoned carts), reviews.

Timestamps are int64 microseconds since the epoch (UTC). Table rows refer to each other by
position; the writer turns positions into primary keys.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from demo import texts, vocab

US_PER_DAY = 86_400_000_000
US_PER_MIN = 60_000_000


@dataclass(frozen=True)
class Scale:
    products: int
    customers: int
    days: int
    daily_units: float  # store-wide expected units per day at reference prices
    browse_per_order: float  # browse-only sessions per order
    abandoned_per_order: float


SCALES: dict[str, Scale] = {
    "small": Scale(160, 600, 365, 18.0, 0.6, 0.8),
    "medium": Scale(3000, 15000, 365, 300.0, 0.6, 0.8),
    "large": Scale(10000, 80000, 730, 1350.0, 0.6, 0.8),
}

SEGMENTS = ["loyal", "regular", "bargain_hunter", "occasional", "one_off"]
SEGMENT_SHARE = np.array([0.10, 0.28, 0.17, 0.33, 0.12])
SEGMENT_RATE = np.array([14.0, 6.0, 4.5, 2.0, 1.5])  # relative order rate per year
SEGMENT_CHURN = np.array([0.08, 0.25, 0.35, 0.45, 1.0])
SEGMENT_REPEAT = np.array([0.85, 0.6, 0.45, 0.25, 0.0])  # re-buy consumables when due

FRAUD_SCENARIOS = ["stolen_card", "card_testing", "account_takeover", "amount_outlier"]
# Latest orders written "pending" for the store's checkout risk step to decide (demo.checkouts).
# A count, not a time span, so every scale's review queue holds a handful: the demo's rules
# hold about 5 % of orders (shoppers abroad, big baskets to new addresses).
UNDECIDED_CHECKOUTS = 240


def _random_ids(r: np.random.Generator, n: int) -> list[bytes]:
    """n random 16-byte ids (UUID material) from one draw."""
    raw = r.bytes(16 * n)
    return [raw[i : i + 16] for i in range(0, 16 * n, 16)]


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass
class World:
    anchor_us: int
    days: int
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (kind, key_ref, value): key_ref is ("sku", str) | ("order", idx) | ("customer", idx)
    truth: list[tuple[str, tuple[str, Any], Any]] = field(default_factory=list)
    categories: list[dict[str, Any]] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    suppliers: list[tuple[str, int, int]] = field(default_factory=list)

    def count(self) -> dict[str, int]:
        out = {}
        for name, cols in self.tables.items():
            first = next(iter(cols.values()))
            out[name] = len(first)
        return out


class Simulator:
    def __init__(self, *, seed: int, scale: str, anchor: dt.datetime) -> None:
        self.seed = seed
        self.scale_name = scale
        self.cfg = SCALES[scale]
        self.anchor_us = int(anchor.timestamp() * 1_000_000)
        self._streams = np.random.SeedSequence(seed).spawn(12)

    def rng(self, i: int) -> np.random.Generator:
        return np.random.default_rng(self._streams[i])

    # ------------------------------------------------------------------ calendar
    def _calendar(self) -> None:
        D = self.cfg.days
        # Day d covers (anchor - (D-d) days, anchor - (D-1-d) days]; the last day ends now.
        self.day_end_us = self.anchor_us - (D - 1 - np.arange(D, dtype=np.int64)) * US_PER_DAY
        mid = (self.day_end_us - US_PER_DAY // 2) // US_PER_DAY
        self.dates = mid.astype("datetime64[D]")
        months = self.dates.astype("datetime64[M]").astype(int) % 12
        dom = (self.dates - self.dates.astype("datetime64[M]")).astype(int)
        self.month = months
        self.dow = (self.dates.astype(int) + 3) % 7  # 0 = Monday
        self.dom = dom
        # smooth month profiles: interpolate between mid-months
        frac = months + (dom + 0.5) / 30.5 - 0.5
        self.month_frac = frac
        weekly = np.array([1.06, 1.0, 0.98, 0.97, 0.9, 0.88, 1.2])
        holiday = np.ones(D)
        self.events: dict[str, np.ndarray] = {}
        years = sorted({int(str(x)[:4]) for x in self.dates})
        for y in years:
            nov1 = np.datetime64(f"{y}-11-01")
            first_fri = nov1 + ((4 - (nov1.astype(int) + 3) % 7) % 7)
            black_friday = first_fri + 21
            marks = {
                black_friday - 1: 1.3,
                black_friday: 2.4,
                black_friday + 1: 1.6,
                black_friday + 2: 1.5,
                black_friday + 3: 2.0,
                np.datetime64(f"{y}-12-24"): 0.6,
                np.datetime64(f"{y}-12-25"): 0.35,
                np.datetime64(f"{y}-12-26"): 1.7,
                np.datetime64(f"{y}-01-01"): 0.6,
                np.datetime64(f"{y}-02-13"): 1.25,
            }
            for day, m in marks.items():
                holiday[self.dates == day] *= m
            late = (self.dates >= np.datetime64(f"{y}-12-12")) & (
                self.dates <= np.datetime64(f"{y}-12-20")
            )
            holiday[late] *= 1.3
            self.events.setdefault("black_friday", np.zeros(D, bool))
            self.events["black_friday"] |= (self.dates >= black_friday) & (
                self.dates <= black_friday + 3
            )
            self.events.setdefault("january_sale", np.zeros(D, bool))
            self.events["january_sale"] |= (self.dates >= np.datetime64(f"{y}-12-26")) & (
                self.dates <= np.datetime64(f"{y + 1}-01-10")
            )
            self.events.setdefault("summer_sale", np.zeros(D, bool))
            self.events["summer_sale"] |= (self.dates >= np.datetime64(f"{y}-07-01")) & (
                self.dates <= np.datetime64(f"{y}-07-14")
            )
        self.store_daily = weekly[self.dow] * holiday
        # the store grows ~25 % a year
        self.trend = np.exp(np.log(1.25) * (np.arange(D) - D + 1) / 365.0)

    def _season(self, name: str) -> np.ndarray:
        prof = np.array(vocab.SEASONS[name])
        f = self.month_frac
        lo = np.floor(f).astype(int)
        w = f - lo
        return prof[lo % 12] * (1 - w) + prof[(lo + 1) % 12] * w

    # ------------------------------------------------------------------ catalogue
    def _catalog(self, w: World) -> None:
        r = self.rng(0)
        P = self.cfg.products
        leaves: list[tuple[str, str, dict[str, Any]]] = []
        for di, (dept, leafs) in enumerate(vocab.CATALOG.items()):
            w.categories.append(
                {
                    "name": dept,
                    "slug": slugify(dept),
                    "parent": None,
                    "position": di,
                    "description": f"{dept}: {', '.join(leafs)}.",
                }
            )
            parent = len(w.categories) - 1
            for li, (leaf_name, spec) in enumerate(leafs.items()):
                w.categories.append(
                    {
                        "name": leaf_name,
                        "slug": slugify(f"{dept} {leaf_name}"),
                        "parent": parent,
                        "position": li,
                        "description": f"{leaf_name} from {dept.lower()}.",
                    }
                )
                leaves.append((dept, leaf_name, spec))
        self.leaf_cat = np.array([i for i, c in enumerate(w.categories) if c["parent"] is not None])
        self.leaves = leaves
        L = len(leaves)
        self.leaf_dept = np.array([[*vocab.CATALOG].index(d) for d, _, _ in leaves])
        w.brands = list(vocab.BRANDS)
        w.suppliers = list(vocab.SUPPLIERS)
        leaf_w = r.dirichlet(np.full(L, 4.0))
        leaf = np.sort(r.choice(L, size=P, p=leaf_w))
        leaf[:L] = np.arange(L) if P >= L else leaf[:L]
        leaf = np.sort(leaf)
        # each leaf has 3-6 brands, each brand a supplier
        leaf_brands = [
            r.choice(len(w.brands), size=int(r.integers(3, 7)), replace=False) for _ in range(L)
        ]
        brand_supplier = r.integers(0, len(w.suppliers), size=len(w.brands))
        names, skus, slugs, descs, attrs, nouns = [], [], [], [], [], []
        brand = np.zeros(P, int)
        lo_p = np.array([s["price"][0] for _, _, s in leaves], float)
        hi_p = np.array([s["price"][1] for _, _, s in leaves], float)
        u = r.random(P)
        raw = np.exp(np.log(lo_p[leaf]) + u * (np.log(hi_p[leaf]) - np.log(lo_p[leaf])))
        ending = r.choice([0.01, 0.05, 0.5, 0.0], size=P, p=[0.6, 0.15, 0.15, 0.1])
        list_price = np.maximum(np.round(raw) - ending, 0.99)
        list_price = np.where(raw < 10, np.round(raw * 2) / 2 - 0.01, list_price)
        list_price = np.round(np.maximum(list_price, 0.99), 2)
        seen: set[str] = set()
        for i in range(P):
            dept, leafname, spec = leaves[leaf[i]]
            b = int(r.choice(leaf_brands[leaf[i]]))
            brand[i] = b
            noun = spec["nouns"][int(r.integers(len(spec["nouns"])))]
            own = spec.get("noun_overrides", {}).get(noun, {})
            # one draw per field whatever the noun, so overrides never shift the random stream
            pick = int(r.integers(len(spec["adjs"])))
            adjs = own.get("adjs") or spec["adjs"]
            adj = adjs[pick % len(adjs)]
            attr = {}
            for k, v in spec["attrs"].items():
                pick = int(r.integers(len(v)))
                values = own.get(k, v)
                if values:  # None: the field does not describe this noun
                    attr[k] = values[pick % len(values)]
            variant = ", ".join(
                str(v)
                for k, v in attr.items()
                if k in ("size", "colour", "weight", "volume", "capacity", "pack", "pieces")
            )
            name = f"{w.brands[b]} {adj} {noun}" + (f", {variant}" if variant else "")
            if name in seen:
                name = f"{name} ({['Mk II', 'Edition 2', 'Classic', 'Plus', 'Pro', 'Mini'][i % 6]})"
            seen.add(name)
            sku = f"NW-{leaf[i]:02d}{i:05d}"
            attr_phrase = " and ".join(f"{v}" for v in list(attr.values())[:2])
            fmt = {
                "adj_l": adj.lower(),
                "noun_l": noun.lower(),
                "brand": w.brands[b],
                "attr_phrase": attr_phrase,
                "leaf_l": leafname.lower(),
            }
            opener = vocab.DESCRIPTION_OPENERS[int(r.integers(len(vocab.DESCRIPTION_OPENERS)))]
            picks = r.choice(len(vocab.DESCRIPTION_DETAILS), size=2, replace=False)
            # copy only: the product page renders ``attributes`` as its spec table, so a
            # "Specification: ..." line here showed every attribute twice
            desc = " ".join(
                [opener.format(**fmt)] + [vocab.DESCRIPTION_DETAILS[j].format(**fmt) for j in picks]
            )
            attr["material_or_style"] = adj
            names.append(name)
            skus.append(sku)
            slugs.append(f"{slugify(name)[:190]}-{sku.lower()}")
            descs.append(desc)
            attrs.append(json.dumps(attr, ensure_ascii=False))
            nouns.append(noun)
        consumable = np.array([leaves[x][2]["consumable"] for x in leaf])
        # a few nouns are consumable in otherwise durable leaves
        noun_arr = np.array(nouns)
        consumable |= np.isin(
            noun_arr,
            ["Bird Seed", "Charcoal Bag", "Firelighters", "Gel Pens", "Tealights", "AA Batteries"],
        )
        el_lo = np.array([s["elasticity"][0] for _, _, s in leaves])
        el_hi = np.array([s["elasticity"][1] for _, _, s in leaves])
        elasticity = np.round(el_lo[leaf] + r.random(P) * (el_hi[leaf] - el_lo[leaf]), 3)
        cost = np.round(list_price * r.uniform(0.32, 0.62, P), 2)
        pop = np.exp(r.normal(0, 1.5, P)) * (list_price / np.median(list_price)) ** -0.35
        pop *= np.where(consumable, 1.6, 1.0)
        season = np.stack([self._season(leaves[x][2]["season"]) for x in range(L)])  # L x D
        self.season_leaf = season
        cycle = np.array([leaves[x][2].get("cycle", 0) for x in leaf], float)
        cycle = np.where(consumable & (cycle == 0), 45, cycle)
        # launches: 85 % exist before the window; others launch during it
        D = self.cfg.days
        launch = np.where(r.random(P) < 0.85, -r.integers(30, 900, P), r.integers(0, D - 7, P))
        mean_mult = (season[leaf] * self.store_daily * self.trend).mean(axis=1)
        active_frac = np.clip((D - np.maximum(launch, 0)) / D, 0.05, 1)
        base = pop / (pop * mean_mult * active_frac).sum() * self.cfg.daily_units
        supplier = brand_supplier[brand]
        lead = np.array([s[1] for s in w.suppliers])[supplier]
        moq = np.array([s[2] for s in w.suppliers])[supplier]
        quality = np.clip(r.normal(4.0, 0.55, P), 1.6, 4.9)
        self.p = {
            "leaf": leaf,
            "brand": brand,
            "supplier": supplier,
            "list_price0": list_price,
            "cost": cost,
            "elasticity": elasticity,
            "base": base,
            "consumable": consumable,
            "cycle": cycle,
            "launch": launch,
            "lead": lead,
            "moq": moq,
            "quality": quality,
            "noun": noun_arr,
            "dept": self.leaf_dept[leaf],
        }
        self.names, self.skus = names, skus
        hue = r.integers(0, 360, P)
        w.tables["products"] = {
            "sku": skus,
            "name": names,
            "slug": slugs,
            "description": descs,
            "category": self.leaf_cat[leaf],
            "brand": brand,
            "supplier": supplier,
            "attributes": attrs,
            "cost": cost,
            "is_consumable": consumable,
            "image_hue": hue,
            "created_at": self.day_end_us[0] + launch * US_PER_DAY - US_PER_DAY // 2,
        }
        # planted co-purchase pairs: for each (A, B) noun pair, A products get a B partner
        partner = np.full(P, -1)
        rate = np.zeros(P)
        for a_noun, b_noun in vocab.COMPLEMENTS:
            a_idx = np.flatnonzero(noun_arr == a_noun)
            b_idx = np.flatnonzero(noun_arr == b_noun)
            if len(a_idx) == 0 or len(b_idx) == 0:
                continue
            # partners favour the same brand, else the most popular B
            for a in a_idx.tolist():
                same = b_idx[brand[b_idx] == brand[a]]
                cand = same if len(same) else b_idx[np.argsort(-pop[b_idx])[:3]]
                partner[a] = int(cand[int(r.integers(len(cand)))])
                rate[a] = round(float(r.uniform(0.25, 0.45)), 2)
        self.partner, self.partner_rate = partner, rate
        for a in np.flatnonzero(partner >= 0).tolist():
            w.truth.append(
                (
                    "copurchase",
                    ("sku", skus[a]),
                    {"partner_sku": skus[partner[a]], "rate": float(rate[a])},
                )
            )

    # ------------------------------------------------------------------ prices
    def _prices(self, w: World) -> None:
        r = self.rng(1)
        P, D = self.cfg.products, self.cfg.days
        lp = self.p["list_price0"]
        list_path = np.repeat(lp[:, None], D, axis=1)
        n_rev = r.poisson(1.0, P)
        for i in np.flatnonzero(n_rev).tolist():
            for day in np.sort(r.integers(5, D - 2, n_rev[i])):
                f = float(r.choice([0.9, 0.93, 0.95, 1.05, 1.08, 1.1, 1.12]))
                new = max(0.99, round(float(np.round(list_path[i, day] * f)) - 0.01, 2))
                list_path[i, day:] = new
        factor = np.ones((P, D))
        reason = np.zeros((P, D), dtype=np.int8)  # 0 list, 1 promo, 2 store event
        # per-product promotions: 3-7 a year, 3-14 days, 10-35 % off
        n_promo = r.poisson(7.0 * D / 365, P)
        pr_i = np.repeat(np.arange(P), n_promo)
        pr_start = r.integers(0, D - 1, len(pr_i)).tolist()
        pr_len = r.integers(3, 15, len(pr_i)).tolist()
        pr_off = r.choice([0.15, 0.2, 0.25, 0.3, 0.35, 0.4], size=len(pr_i)).tolist()
        for i, st, ln, off in zip(pr_i.tolist(), pr_start, pr_len, pr_off, strict=True):
            factor[i, st : st + ln] = 1 - off
            reason[i, st : st + ln] = 1
        for name, off in (("black_friday", 0.25), ("january_sale", 0.3), ("summer_sale", 0.2)):
            mask = self.events[name]
            if not mask.any():
                continue
            chosen = r.random(P) < 0.3
            sel = np.ix_(chosen, mask)
            factor[sel] = np.minimum(factor[sel], 1 - off)
            reason[sel] = 2
        price = np.round(np.maximum(list_path * factor, 0.5), 2)
        # round promo prices to .x9 endings
        price = np.where(factor < 1, np.maximum(np.floor(price * 10) / 10 - 0.01, 0.49), price)
        price = np.round(price, 2)
        self.price, self.list_path = price, list_path
        launch = self.p["launch"]
        # price history rows at each change, plus the opening price
        ph_prod, ph_day, ph_price, ph_reason = [], [], [], []
        diff = np.diff(price, axis=1) != 0
        for i in range(P):
            first = max(int(launch[i]), 0)
            ph_prod.append(i)
            ph_day.append(first)
            ph_price.append(price[i, first])
            ph_reason.append("opening price" if launch[i] < 0 else "launch price")
            for day in np.flatnonzero(diff[i]) + 1:
                if day <= first:
                    continue
                rs = reason[i, day]
                ph_prod.append(i)
                ph_day.append(int(day))
                ph_price.append(price[i, day])
                if rs == 2:
                    ph_reason.append("store-wide sale")
                elif rs == 1:
                    ph_reason.append("promotion")
                elif reason[i, day - 1] > 0:
                    ph_reason.append("promotion ended")
                else:
                    ph_reason.append("list price review")
        day = np.array(ph_day)
        # a new price applies from the start of its day
        t = self.day_end_us[day] - US_PER_DAY + r.integers(1, 60, len(day)) * 1_000_000
        t = np.where(
            day == 0, np.minimum(t, w.tables["products"]["created_at"][ph_prod] + US_PER_MIN), t
        )
        w.tables["price_history"] = {
            "product": np.array(ph_prod),
            "price": np.array(ph_price),
            "changed_at": t,
            "reason": ph_reason,
        }

    # ------------------------------------------------------------------ demand & stock
    def _demand(self, w: World) -> None:
        r = self.rng(2)
        P, D = self.cfg.products, self.cfg.days
        pp = self.p
        ref = pp["list_price0"]
        days = np.arange(D)
        launched = days[None, :] >= pp["launch"][:, None]
        lam = (
            pp["base"][:, None]
            * (self.price / ref[:, None]) ** pp["elasticity"][:, None]
            * self.season_leaf[pp["leaf"]]
            * (self.store_daily * self.trend)[None, :]
            * launched
        )
        self.lam = lam
        demand = r.poisson(lam)
        daily_mean = lam.mean(axis=1) + 1e-6
        lead = pp["lead"].astype(float)
        cover = r.uniform(25, 50, P)
        on_hand = np.ceil(daily_mean * cover + r.integers(2, 12, P)).astype(np.int64)
        on_hand = np.where(pp["launch"] > 0, 0, on_hand)
        rop = np.ceil(daily_mean * (lead + r.uniform(2, 8, P))).astype(np.int64) + 1
        order_qty = np.maximum(np.ceil(daily_mean * r.uniform(25, 50, P)), pp["moq"]).astype(
            np.int64
        )
        pending_day = np.full(P, -1)
        pending_qty = np.zeros(P, np.int64)
        pending_ordered = np.full(P, -1)  # the day each pending restock was ordered
        sales = np.zeros((P, D), np.int32)
        extra = np.zeros((P, D), np.int32)  # co-purchase units
        censored = np.zeros((P, D), bool)
        mv_prod, mv_day, mv_qty, mv_kind = [], [], [], []
        opening = on_hand.copy()
        launch_day = pp["launch"]
        # launched products get their first delivery on launch day
        first_delivery = np.ceil(daily_mean * 30 + 5).astype(np.int64)
        partner = self.partner
        has_p = np.flatnonzero(partner >= 0)
        self._extra_src: list[tuple[int, int, int, int]] = []
        for d in range(D):
            arrive = pending_day == d
            if d > 0:
                launching = launch_day == d
                arrive_l = launching & ~arrive
                on_hand[arrive_l] += first_delivery[arrive_l]
                for i in np.flatnonzero(arrive_l).tolist():
                    mv_prod.append(i)
                    mv_day.append(d)
                    mv_qty.append(int(first_delivery[i]))
                    mv_kind.append(1)
            if arrive.any():
                on_hand[arrive] += pending_qty[arrive]
                for i in np.flatnonzero(arrive).tolist():
                    mv_prod.append(i)
                    mv_day.append(d)
                    mv_qty.append(int(pending_qty[i]))
                    mv_kind.append(1)
                pending_day[arrive] = -1
            dem = demand[:, d]
            s = np.minimum(dem, on_hand)
            censored[:, d] = (dem > on_hand) | ((on_hand == 0) & (lam[:, d] > 0.05))
            on_hand -= s
            sales[:, d] = s
            if len(has_p):
                want = r.binomial(s[has_p], self.partner_rate[has_p])
                b = partner[has_p]
                # several A products may share a partner: take in order while stock lasts
                for a_i, bi, q in zip(has_p[want > 0], b[want > 0], want[want > 0], strict=True):
                    q = min(int(q), int(on_hand[bi]))
                    if q > 0:
                        on_hand[bi] -= q
                        extra[bi, d] += q
                        self._extra_src.append((d, int(a_i), int(bi), q))
            need = (on_hand <= rop) & (pending_day < 0) & (d >= launch_day)
            if need.any():
                idx = np.flatnonzero(need)
                lt = np.ceil(lead[idx] * r.uniform(0.8, 1.4, len(idx)))
                late = r.random(len(idx)) < 0.1
                lt = np.where(late, lt * r.uniform(2.0, 3.5, len(idx)), lt).astype(int)
                pending_day[idx] = d + np.maximum(lt, 1)
                pending_qty[idx] = order_qty[idx]
                pending_ordered[idx] = d
        self.sales, self.extra, self.censored = sales, extra, censored
        self.final_on_hand = on_hand
        self.opening, self.rop = opening, rop
        # restocks still on their way when the history ends (the demo's open purchase orders)
        self.pending = (pending_day, pending_qty, pending_ordered)
        self.order_qty = order_qty
        self.restocks = (np.array(mv_prod, int), np.array(mv_day, int), np.array(mv_qty, int))
        for i in range(P):
            cd = np.flatnonzero(censored[i] & launched[i])
            if len(cd):
                w.truth.append(
                    ("stockout", ("sku", self.skus[i]), [str(self.dates[x]) for x in cd])
                )
            w.truth.append(
                (
                    "elasticity",
                    ("sku", self.skus[i]),
                    {
                        "elasticity": float(pp["elasticity"][i]),
                        "base_daily_units": round(float(pp["base"][i]), 5),
                        "reference_price": float(ref[i]),
                        "cost": float(pp["cost"][i]),
                        "season": self.leaves[pp["leaf"][i]][2]["season"],
                        "lead_time_days": int(pp["lead"][i]),
                    },
                )
            )

    # ------------------------------------------------------------------ customers
    def _customers(self, w: World) -> None:
        r = self.rng(3)
        C, D = self.cfg.customers, self.cfg.days
        seg = r.choice(len(SEGMENTS), size=C, p=SEGMENT_SHARE)
        # sign-up: 35 % before the window, the rest growing over it
        before = r.random(C) < 0.35
        signup = np.where(before, -r.integers(1, 700, C), (D * np.sqrt(r.random(C))).astype(int))
        signup = np.minimum(signup, D - 1)
        start = np.maximum(signup, 0)
        churns = r.random(C) < SEGMENT_CHURN[seg]
        life = r.exponential(150, C) + 20
        churn_day = np.where(churns & (seg != 4), start + life.astype(int), 10**9)
        churn_day = np.where(churn_day >= D, 10**9, churn_day)
        L = len(self.leaves)
        taste = r.dirichlet(np.full(L, 0.25), size=C) * 0.8 + 0.2 / L
        rate = SEGMENT_RATE[seg] * np.exp(r.normal(0, 0.4, C))
        countries = list(vocab.COUNTRIES)
        cw = np.array([vocab.COUNTRIES[c]["w"] for c in countries])
        country = r.choice(len(countries), size=C, p=cw / cw.sum())
        first = r.integers(0, len(vocab.FIRST_NAMES), C)
        last = r.integers(0, len(vocab.LAST_NAMES), C)
        self.c = {
            "seg": seg,
            "signup": signup,
            "start": start,
            "churn": churn_day,
            "taste": taste,
            "rate": rate,
            "country": country,
            "repeat": SEGMENT_REPEAT[seg],
        }
        # cards and devices: one or two of each, stable per customer
        self.c["card"] = r.integers(1, 2**62, size=(C, 2))
        self.c["ncard"] = np.where(r.random(C) < 0.2, 2, 1)
        self.c["device"] = r.integers(1, 2**62, size=(C, 2))
        self.c["brand"] = r.choice(3, size=C, p=[0.6, 0.35, 0.05])
        created = self.day_end_us[0] + signup * US_PER_DAY - r.integers(0, US_PER_DAY, C)
        names = [
            (vocab.FIRST_NAMES[a], vocab.LAST_NAMES[b]) for a, b in zip(first, last, strict=True)
        ]
        emails = [
            f"{slugify(f)}.{slugify(lname).replace('-', '')}{i}@example.com"
            for i, (f, lname) in enumerate(names)
        ]
        self.emails = emails
        w.tables["users"] = {
            "username": [f"demo-{i:06d}" for i in range(C)],
            "email": emails,
            "first_name": [n[0] for n in names],
            "last_name": [n[1] for n in names],
            "date_joined": created,
        }
        consent = r.random(C) < 0.45
        w.tables["customers"] = {
            "user": np.arange(C),
            "public_id": _random_ids(r, C),
            "created_at": created,
            "marketing_consent": consent,
            "consent_updated_at": np.where(consent, created, -1),
        }
        addr = self._addresses(
            r, [countries[x] for x in country.tolist()], [f"{a} {b}" for a, b in names]
        )
        self.addr_json = [json.dumps(a, ensure_ascii=False) for a in addr]
        w.tables["addresses"] = {
            "customer": list(range(C)),
            "full_name": [a["full_name"] for a in addr],
            "line1": [a["line1"] for a in addr],
            "city": [a["city"] for a in addr],
            "postal_code": [a["postal_code"] for a in addr],
            "country": [a["country"] for a in addr],
            "is_default": [True] * C,
            "created_at": list(created),
        }
        for i in range(C):
            top = np.argsort(-taste[i])[:3]
            w.truth.append(
                (
                    "segment",
                    ("customer", i),
                    {
                        "segment": SEGMENTS[seg[i]],
                        "order_rate": round(float(rate[i]), 3),
                        "top_categories": [self.leaves[t][1] for t in top],
                    },
                )
            )
            cd = churn_day[i]
            w.truth.append(
                (
                    "churn",
                    ("customer", i),
                    {
                        "churned": bool(cd < D) or bool(seg[i] == 4),
                        "churn_date": str(self.dates[cd]) if cd < D else None,
                        "one_off": bool(seg[i] == 4),
                    },
                )
            )

    def _address(self, r: np.random.Generator, country: str, full_name: str) -> dict[str, str]:
        return self._addresses(r, [country], [full_name])[0]

    def _addresses(
        self, r: np.random.Generator, countries: list[str], names: list[str]
    ) -> list[dict[str, str]]:
        n = len(countries)
        u = r.random((n, 2))
        num = r.integers(1, 240, n).tolist()
        letters = r.integers(65, 91, (n, 8)).tolist()
        digits = r.integers(0, 10, (n, 8)).tolist()
        parts = {k: re.split(r"(\{[Ad]\})", v["postcode"]) for k, v in vocab.COUNTRIES.items()}
        out = []
        for i in range(n):
            spec = vocab.COUNTRIES[countries[i]]
            cities, streets = spec["cities"], spec["streets"]
            pc, a, dd = [], 0, 0
            for part in parts[countries[i]]:
                if part == "{A}":
                    pc.append(chr(letters[i][a]))
                    a += 1
                elif part == "{d}":
                    pc.append(str(digits[i][dd]))
                    dd += 1
                else:
                    pc.append(part)
            out.append(
                {
                    "full_name": names[i],
                    "line1": f"{num[i]} {streets[int(u[i, 1] * len(streets))]}",
                    "city": cities[int(u[i, 0] * len(cities))],
                    "postal_code": "".join(pc),
                    "country": countries[i],
                }
            )
        return out

    # ------------------------------------------------------------------ orders
    def _orders(self, w: World) -> None:
        r = self.rng(4)
        D = self.cfg.days
        c = self.c
        pp = self.p
        C = self.cfg.customers
        leaf = pp["leaf"]
        consumable = pp["consumable"]
        active_w = np.zeros(C)
        due: dict[int, list[tuple[int, int]]] = {}
        o_day: list[int] = []
        o_cust: list[int] = []
        l_order: list[np.ndarray] = []
        l_prod: list[np.ndarray] = []
        l_qty: list[np.ndarray] = []
        one_off_done = np.zeros(C, bool)
        extra_by_day: dict[int, list[tuple[int, int, int]]] = {}
        for d_, a_, b_, q_ in self._extra_src:
            extra_by_day.setdefault(d_, []).append((a_, b_, q_))
        discounted = self.price < self.list_path - 0.005
        for d in range(D):
            units = self.sales[:, d]
            prods = np.repeat(np.arange(len(units)), units)
            if len(prods) == 0:
                continue
            # consumables: consecutive units of one product often share a line (qty > 1)
            stick = np.zeros(len(prods), bool)
            same = np.r_[False, prods[1:] == prods[:-1]]
            stick = same & consumable[prods] & (r.random(len(prods)) < 0.45)
            stick |= same & ~consumable[prods] & (r.random(len(prods)) < 0.08)
            group = np.cumsum(~stick) - 1
            g_prod = prods[~stick]
            G = len(g_prod)
            g_order = np.full(G, -1)
            day_orders: dict[int, int] = {}  # customer -> local order index
            local_cust: list[int] = []
            # re-buys: consumable groups go to a customer whose supply runs out now
            for gi in np.flatnonzero(consumable[g_prod]).tolist():
                heap = due.get(int(g_prod[gi]))
                while heap and heap[0][0] <= d + 2:
                    _, cu = heapq.heappop(heap)
                    if c["churn"][cu] > d:
                        if cu not in day_orders:
                            day_orders[cu] = len(local_cust)
                            local_cust.append(cu)
                        g_order[gi] = day_orders[cu]
                        break
            rest = np.flatnonzero(g_order < 0)
            if len(rest):
                active = (c["start"] <= d) & (c["churn"] > d) & ~one_off_done
                active_w[:] = np.where(active, c["rate"], 0.0)
                n_new = max(1, int(round(len(rest) / 1.7)))
                n_guest = int(r.binomial(n_new, 0.08))
                tot = active_w.sum()
                picks = (
                    r.choice(C, size=n_new - n_guest, p=active_w / tot)
                    if tot > 0
                    else np.array([], int)
                )
                start_local = len(local_cust)
                new_cust = []
                for cu in picks.tolist():
                    if cu not in day_orders:
                        day_orders[cu] = len(local_cust)
                        local_cust.append(cu)
                        new_cust.append(cu)
                for _ in range(n_guest):
                    local_cust.append(-1)
                    new_cust.append(-1)
                cand = np.arange(start_local, len(local_cust))
                if len(cand) == 0:
                    cand = np.arange(len(local_cust))
                cust_arr = np.array(local_cust)[cand]
                mean_taste = c["taste"].mean(axis=0)
                tmat = np.where(
                    cust_arr[:, None] >= 0, c["taste"][np.maximum(cust_arr, 0)], mean_taste[None, :]
                )
                wts = tmat[:, leaf[g_prod[rest]]].T  # rest x cand
                bargain = (cust_arr >= 0) & (c["seg"][np.maximum(cust_arr, 0)] == 2)
                disc = discounted[g_prod[rest], d]
                wts = wts * (1 + 3.0 * np.outer(disc, bargain))
                # spread lines: every order gets at least one before baskets grow
                first = min(len(rest), len(cand))
                perm = r.permutation(len(rest))
                choice = np.empty(len(rest), int)
                cdf = np.cumsum(wts, axis=1)
                u = r.random(len(rest)) * cdf[:, -1]
                choice[:] = (cdf < u[:, None]).sum(axis=1)
                # every new order gets at least one line before baskets grow
                choice[perm[:first]] = r.permutation(len(cand))[:first]
                g_order[rest] = cand[np.minimum(choice, len(cand) - 1)]
            # accessories bought because of their partner join the partner's order
            ep, eo, eq = [], [], []
            if d in extra_by_day:
                first_order_of: dict[int, int] = {}
                for gi, p in enumerate(g_prod.tolist()):
                    first_order_of.setdefault(p, g_order[gi])
                for a_, b_, q_ in extra_by_day[d]:
                    o = first_order_of.get(a_)
                    if o is None:
                        o = int(r.integers(len(local_cust)))
                    ep.append(b_)
                    eo.append(o)
                    eq.append(q_)
            gq = np.bincount(group, minlength=G)
            lp = np.r_[g_prod, np.array(ep, int)]
            lo = np.r_[g_order, np.array(eo, int)]
            lq = np.r_[gq, np.array(eq, int)]
            used = np.unique(lo)
            remap = np.full(len(local_cust), -1)
            remap[used] = np.arange(len(used)) + len(o_day)
            for li in used.tolist():
                o_day.append(d)
                o_cust.append(local_cust[li])
            l_order.append(remap[lo])
            l_prod.append(lp)
            l_qty.append(lq)
            # schedule re-buys and retire one-off shoppers
            for li in used.tolist():
                cu = local_cust[li]
                if cu < 0:
                    continue
                if c["seg"][cu] == 4:
                    one_off_done[cu] = True
                    w.truth.append(
                        ("churn_observed", ("customer", cu), {"last_order_day": str(self.dates[d])})
                    )
            mask = consumable[lp]
            draws = r.random((int(mask.sum()), 2)).tolist()
            for (u1, u2), p_, o_ in zip(draws, lp[mask].tolist(), lo[mask].tolist(), strict=True):
                cu = local_cust[o_]
                if cu >= 0 and u1 < c["repeat"][cu]:
                    nxt = d + int(pp["cycle"][p_] * (0.75 + 0.55 * u2))
                    if nxt < D and nxt < c["churn"][cu]:
                        heapq.heappush(due.setdefault(p_, []), (nxt, cu))
        self.o_day = np.array(o_day, int)
        self.o_cust = np.array(o_cust, int)
        lo_all = np.concatenate(l_order)
        lp_all = np.concatenate(l_prod)
        lq_all = np.concatenate(l_qty)
        # merge duplicate (order, product) lines
        key = lo_all.astype(np.int64) * (self.cfg.products + 1) + lp_all
        uk, inv = np.unique(key, return_inverse=True)
        self.l_order = (uk // (self.cfg.products + 1)).astype(int)
        self.l_prod = (uk % (self.cfg.products + 1)).astype(int)
        self.l_qty = np.bincount(inv, weights=lq_all).astype(int)
        self.l_fraud_extra = np.zeros(len(self.l_order), bool)

    # ------------------------------------------------------------------ time helpers
    def _times_in_day(self, r: np.random.Generator, days: np.ndarray) -> np.ndarray:
        """Timestamps inside each day's 24 h window, busier in the evening."""
        hourly = np.array(
            [3, 2, 1, 1, 1, 2, 4, 7, 9, 10, 10, 10, 11, 11, 10, 10, 10, 11, 13, 15, 16, 15, 11, 6],
            float,
        )
        n = len(days)
        best = np.zeros(n, np.int64)
        done = np.zeros(n, bool)
        for _ in range(6):
            off = r.integers(0, US_PER_DAY, n)
            t = self.day_end_us[days] - off
            hour = (t // 3_600_000_000) % 24
            ok = r.random(n) < hourly[hour] / hourly.max()
            take = ok & ~done
            best[take] = t[take]
            done |= ok
        best[~done] = (self.day_end_us[days] - r.integers(0, US_PER_DAY, n))[~done]
        return best

    # ------------------------------------------------------------------ fraud
    def _fraud(self, w: World) -> None:
        r = self.rng(5)
        N = len(self.o_day)
        C = self.cfg.customers
        price = self.price
        line_val = price[self.l_prod, self.o_day[self.l_order]] * self.l_qty
        o_val = np.bincount(self.l_order, weights=line_val, minlength=N)
        scenario = np.full(N, -1)
        registered = self.o_cust >= 0
        # stolen cards: high-value orders, guest checkout, a few compromised devices
        n_sc = max(2, int(N * 0.0045))
        p = o_val / o_val.sum()
        sc = r.choice(N, size=min(n_sc, N), replace=False, p=p)
        scenario[sc] = 0
        # account takeover: a registered customer with earlier orders
        prior = np.zeros(N, bool)
        seen_c: set[int] = set()
        for i in np.argsort(self.o_day, kind="stable"):
            cu = int(self.o_cust[i])
            if cu >= 0:
                prior[i] = cu in seen_c
                seen_c.add(cu)
        cand = np.flatnonzero(prior & (scenario < 0))
        ato = (
            r.choice(cand, size=min(max(2, int(N * 0.0025)), len(cand)), replace=False)
            if len(cand)
            else np.array([], int)
        )
        scenario[ato] = 2
        cand = np.flatnonzero(registered & (scenario < 0))
        ao = (
            r.choice(cand, size=min(max(2, int(N * 0.002)), len(cand)), replace=False)
            if len(cand)
            else np.array([], int)
        )
        scenario[ao] = 3
        # amount outliers: the same basket bought 6-15 times over (resale), new address
        fraud_extra: dict[int, int] = {}
        for o in ao.tolist():
            lines = np.flatnonzero(self.l_order == o)
            mult = int(r.integers(6, 16))
            for li in lines.tolist():
                add = self.l_qty[li] * (mult - 1)
                self.l_qty[li] += add
                fraud_extra[int(self.l_prod[li])] = fraud_extra.get(int(self.l_prod[li]), 0) + add
        # card testing bursts: many tiny guest orders, one device, many cards, most declined
        n_bursts = max(2, int(N * 0.003 / 10))
        cheap = np.argsort(price[:, -1])[: max(5, self.cfg.products // 50)]
        ct_day, ct_prod, ct_burst = [], [], []
        for b in range(n_bursts):
            d = int(r.integers(self.cfg.days // 6, self.cfg.days))
            for _ in range(int(r.integers(6, 21))):
                ct_day.append(d)
                ct_prod.append(int(r.choice(cheap)))
                ct_burst.append(b)
        n_ct = len(ct_day)
        base = N
        self.o_day = np.r_[self.o_day, np.array(ct_day, int)]
        self.o_cust = np.r_[self.o_cust, np.full(n_ct, -1)]
        self.l_order = np.r_[self.l_order, np.arange(base, base + n_ct)]
        self.l_prod = np.r_[self.l_prod, np.array(ct_prod, int)]
        self.l_qty = np.r_[self.l_qty, np.ones(n_ct, int)]
        scenario = np.r_[scenario, np.full(n_ct, 1)]
        declined = np.zeros(len(self.o_day), bool)
        declined[base:] = r.random(n_ct) < 0.75
        for i in np.flatnonzero(~declined[base:]) + base:
            p_ = int(self.l_prod[self.l_order == i][0])
            fraud_extra[p_] = fraud_extra.get(p_, 0) + 1
        self.o_cust[sc] = -1
        # fraud units leave the final stock (lines trimmed if stock cannot cover them)
        for p_, q in fraud_extra.items():
            if self.final_on_hand[p_] >= q:
                self.final_on_hand[p_] -= q
            else:
                short = q - int(self.final_on_hand[p_])
                self.final_on_hand[p_] = 0
                for li in np.flatnonzero(
                    (self.l_prod == p_)
                    & np.isin(self.l_order, np.r_[ao, np.flatnonzero(scenario == 1)])
                )[::-1].tolist():
                    if short <= 0:
                        break
                    if self.l_order[li] >= base and declined[self.l_order[li]]:
                        continue
                    cut = min(short, int(self.l_qty[li]) - 1)
                    self.l_qty[li] -= cut
                    short -= cut
        self.scenario = scenario
        self.declined = declined
        self.ct_burst = np.r_[np.full(N, -1), np.array(ct_burst, int)]
        # order ids change order below; keep per-order arrays aligned
        order = np.lexsort((np.arange(len(self.o_day)), self.o_day))
        inv = np.empty_like(order)
        inv[order] = np.arange(len(order))
        self.o_day, self.o_cust = self.o_day[order], self.o_cust[order]
        self.scenario, self.declined, self.ct_burst = (
            scenario[order],
            declined[order],
            self.ct_burst[order],
        )
        self.l_order = inv[self.l_order]
        lorder = np.lexsort((self.l_prod, self.l_order))
        self.l_order, self.l_prod, self.l_qty = (
            self.l_order[lorder],
            self.l_prod[lorder],
            self.l_qty[lorder],
        )
        self._ato_idx = np.flatnonzero(self.scenario == 2)
        self._ao_idx = np.flatnonzero(self.scenario == 3)
        _ = C

    # ------------------------------------------------------------------ order tables
    def _order_tables(self, w: World) -> None:
        r = self.rng(6)
        N = len(self.o_day)
        c = self.c
        placed = self._times_in_day(r, self.o_day)
        # card testing: a burst within ~40 minutes
        ct = self.ct_burst >= 0
        if ct.any():
            first_t: dict[int, int] = {}
            for i in np.flatnonzero(ct).tolist():
                b = int(self.ct_burst[i])
                first_t.setdefault(b, int(placed[i]))
                placed[i] = first_t[b] + int(r.integers(0, 40 * US_PER_MIN))
            placed = np.minimum(placed, self.anchor_us - US_PER_MIN)
        ts_order = np.lexsort((np.arange(N), placed))
        # keep placement order chronological (ids increase with time)
        inv = np.empty_like(ts_order)
        inv[ts_order] = np.arange(N)
        for name in ("o_day", "o_cust", "scenario", "declined", "ct_burst"):
            setattr(self, name, getattr(self, name)[ts_order])
        placed = placed[ts_order]
        self.l_order = inv[self.l_order]
        lorder = np.lexsort((self.l_prod, self.l_order))
        self.l_order, self.l_prod, self.l_qty = (
            self.l_order[lorder],
            self.l_prod[lorder],
            self.l_qty[lorder],
        )
        self.placed = placed
        unit = self.price[self.l_prod, self.o_day[self.l_order]]
        line_total = np.round(unit * self.l_qty, 2)
        subtotal = np.round(np.bincount(self.l_order, weights=line_total, minlength=N), 2)
        shipping = np.where(subtotal >= 50, 0.0, 4.95)
        total = np.round(subtotal + shipping, 2)
        self.total = total
        yymm = placed.astype("datetime64[us]").astype("datetime64[M]").astype(str)
        hexes = r.integers(0, 2**32, N)
        numbers: list[str] = []
        seen: set[str] = set()
        for m, h in zip(yymm.tolist(), hexes.tolist(), strict=True):
            number = f"{m[2:4]}{m[5:7]}-{h:08X}"
            while number in seen:  # rare at large scale (birthday collisions); stay unique
                h = (h + 1) % 2**32
                number = f"{m[2:4]}{m[5:7]}-{h:08X}"
            seen.add(number)
            numbers.append(number)
        self.numbers = numbers
        age_days = (self.anchor_us - placed) / US_PER_DAY
        scen = self.scenario
        # chargebacks on approved fraud (weeks later) and a little friendly fraud
        fraud_ok = (scen >= 0) & ~self.declined
        cb_delay = r.uniform(5, 75, N) * US_PER_DAY
        friendly = (scen < 0) & (r.random(N) < 0.0012) & (age_days > 10)
        has_cb = ((fraud_ok & (r.random(N) < 0.9)) | friendly) & (
            placed + cb_delay < self.anchor_us
        )
        # returns: about 3 % of delivered, non-fraud orders
        returned = (scen < 0) & (age_days > 6) & (r.random(N) < 0.03)
        # The latest checkouts are left undecided (pending, card authorised, no refund or
        # chargeback yet): demo.checkouts runs them through the store's own checkout risk
        # decision, which captures, holds for review or declines them.
        undecided = np.zeros(N, bool)
        placed_ok = np.flatnonzero(~self.declined)
        undecided[placed_ok[max(len(placed_ok) - UNDECIDED_CHECKOUTS, 0) :]] = True
        returned &= ~undecided
        has_cb &= ~undecided
        status = np.where(age_days < 1.5, "paid", "fulfilled").astype(object)
        status[undecided] = "pending"
        status[self.declined] = "cancelled"
        ref_delay = r.uniform(4, 25, N) * US_PER_DAY
        ref_time = np.minimum(placed + ref_delay, self.anchor_us - US_PER_MIN)
        first_line = np.r_[0, np.flatnonzero(np.diff(self.l_order)) + 1]
        one_line = np.bincount(self.l_order, minlength=N) == 1
        full_ref = returned & one_line
        status[full_ref] = "refunded"
        # addresses and payment context
        ship_new = np.zeros(N, bool)
        cards = np.empty(N, dtype=np.int64)
        devices = np.empty(N, dtype=np.int64)
        brands = np.empty(N, int)
        countries = list(vocab.COUNTRIES)
        compromised = r.integers(1, 2**62, size=max(3, int((scen == 0).sum() // 5) + 1))
        ct_device = r.integers(1, 2**62, size=int(self.ct_burst.max()) + 2 if N else 1)
        new_addr_rows: list[tuple[int, dict[str, str], int]] = []
        cw = np.array([v["w"] for v in vocab.COUNTRIES.values()])
        reg = self.o_cust >= 0
        cu_ = np.maximum(self.o_cust, 0)
        home_i = np.where(reg, c["country"][cu_], r.choice(len(countries), size=N, p=cw / cw.sum()))
        home = [countries[x] for x in home_i.tolist()]
        guest_no = r.integers(10**8, size=N).tolist()
        emails = [
            self.emails[cu] if cu >= 0 else f"guest{g}@example.org"
            for cu, g in zip(self.o_cust.tolist(), guest_no, strict=True)
        ]
        which_card = (r.random(N) * c["ncard"][cu_]).astype(int)
        cards[:] = np.where(reg, c["card"][cu_, which_card], r.integers(1, 2**62, N))
        devices[:] = np.where(
            reg, c["device"][cu_, (r.random(N) < 0.25).astype(int)], r.integers(1, 2**62, N)
        )
        brands[:] = np.where(reg, c["brand"][cu_], r.choice(3, size=N, p=[0.6, 0.35, 0.05]))
        guests = np.flatnonzero(~reg)
        g_names = [
            f"{vocab.FIRST_NAMES[a]} {vocab.LAST_NAMES[b]}"
            for a, b in zip(
                r.integers(len(vocab.FIRST_NAMES), size=len(guests)).tolist(),
                r.integers(len(vocab.LAST_NAMES), size=len(guests)).tolist(),
                strict=True,
            )
        ]
        g_addr = self._addresses(r, [home[i] for i in guests.tolist()], g_names)
        addr = [self.addr_json[cu] if cu >= 0 else "" for cu in self.o_cust.tolist()]
        for gi, a in zip(guests.tolist(), g_addr, strict=True):
            addr[gi] = json.dumps(a, ensure_ascii=False)
        travel = r.random(N) < 0.04
        travel_c = r.integers(len(countries), size=N)
        ip_c = [
            countries[t] if tr else h
            for h, tr, t in zip(home, travel.tolist(), travel_c.tolist(), strict=True)
        ]
        bin_c = list(home)
        for i in np.flatnonzero(scen >= 0).tolist():
            cu = int(self.o_cust[i])
            s = int(scen[i])
            if s == 0:  # stolen card, compromised device, forwarder address
                devices[i] = int(compromised[int(r.integers(len(compromised)))])
                ip_c[i] = vocab.FRAUD_COUNTRIES[int(r.integers(len(vocab.FRAUD_COUNTRIES)))]
                bin_c[i] = str(r.choice(["GB", "US", "DE", "FR"]))
                fn = vocab.FIRST_NAMES[int(r.integers(len(vocab.FIRST_NAMES)))]
                addr[i] = json.dumps(
                    self._address(
                        r, "GB", fn + " " + vocab.LAST_NAMES[int(r.integers(len(vocab.LAST_NAMES)))]
                    ),
                    ensure_ascii=False,
                )
                ship_new[i] = True
            elif s == 1:  # card testing
                devices[i] = int(ct_device[int(self.ct_burst[i])])
                ip_c[i] = vocab.FRAUD_COUNTRIES[int(self.ct_burst[i]) % len(vocab.FRAUD_COUNTRIES)]
                bin_c[i] = str(r.choice(["US", "GB", "BR", "MX", "TR"]))
            elif s in (2, 3) and cu >= 0:  # takeover / outlier: new device and shipping address
                devices[i] = int(r.integers(1, 2**62))
                if s == 2:
                    ip_c[i] = vocab.FRAUD_COUNTRIES[int(r.integers(len(vocab.FRAUD_COUNTRIES)))]
                else:
                    cards[i] = int(r.integers(1, 2**62))
                fn, ln = w.tables["users"]["first_name"][cu], w.tables["users"]["last_name"][cu]
                na = self._address(r, str(r.choice(["GB", "GB", "NL", "DE"])), f"{fn} {ln}")
                addr[i] = json.dumps(na, ensure_ascii=False)
                new_addr_rows.append((cu, na, int(placed[i] - r.integers(5, 90) * US_PER_MIN)))
                ship_new[i] = True
        for cu, na, t in new_addr_rows:
            t_ = w.tables["addresses"]
            t_["customer"].append(cu)
            t_["full_name"].append(na["full_name"])
            t_["line1"].append(na["line1"])
            t_["city"].append(na["city"])
            t_["postal_code"].append(na["postal_code"])
            t_["country"].append(na["country"])
            t_["is_default"].append(False)
            t_["created_at"].append(t)
        session = [f"s{x:016x}" for x in r.integers(0, 2**63, N).tolist()]
        self.o_session = session
        idem = [f"demo-{x:012x}" for x in r.integers(0, 2**47, N).tolist()]
        w.tables["carts"] = {
            "customer": self.o_cust.copy(),
            "session_id": list(session),
            "status": ["ordered"] * N,
            "created_at": placed - r.integers(3, 40, N) * US_PER_MIN,
            "updated_at": placed.copy(),
            "token": _random_ids(r, N),
        }
        w.tables["cartlines"] = {
            "cart": self.l_order.copy(),
            "product": self.l_prod.copy(),
            "quantity": self.l_qty.copy(),
            "added_at": placed[self.l_order] - r.integers(1, 3 * US_PER_MIN, len(self.l_order)),
        }
        w.tables["orders"] = {
            "number": numbers,
            "customer": self.o_cust,
            "cart": np.arange(N),
            "idempotency_key": idem,
            "status": list(status),
            "email": emails,
            "currency": ["GBP"] * N,
            "subtotal": subtotal,
            "shipping": shipping,
            "total": total,
            "shipping_address": addr,
            "billing_address": addr,
            "placed_at": placed,
        }
        w.tables["orderlines"] = {
            "order": self.l_order,
            "product": self.l_prod,
            "sku": [self.skus[p] for p in self.l_prod.tolist()],
            "name": [self.names[p] for p in self.l_prod.tolist()],
            "unit_price": unit,
            "quantity": self.l_qty,
            "line_total": line_total,
        }
        brand_names = np.array(["visa", "mastercard", "amex"])
        first_digit = np.array(["4", "5", "3"])
        last4 = [f"{x % 10000:04d}" for x in cards.tolist()]
        pay_status = np.where(
            status == "fulfilled",
            "captured",
            np.where(status == "refunded", "refunded", "authorized"),
        ).astype(object)
        pay_status[self.declined] = "declined"
        ip = [
            f"{int(a)}.{int(b)}.{int(cc)}.{int(dd)}"
            for a, b, cc, dd in r.integers(1, 255, size=(N, 4)).tolist()
        ]
        w.tables["payments"] = {
            "order": np.arange(N),
            "amount": total,
            "status": list(pay_status),
            "card_fingerprint": [
                f"{x:016x}{(x * 2654435761) % 2**64:016x}" for x in cards.tolist()
            ],
            "card_last4": last4,
            "card_brand": list(brand_names[brands]),
            "bin_country": bin_c,
            "ip_address": ip,
            "ip_country": ip_c,
            "device_id": [f"dev-{x:015x}" for x in devices.tolist()],
            "created_at": placed + 1_000_000,
        }
        _ = first_digit
        # refunds
        rf = np.flatnonzero(returned)
        lt = w.tables["orderlines"]["line_total"]
        reasons = ["arrived damaged", "not as described", "changed my mind", "wrong size", "faulty"]
        w.tables["refunds"] = {
            "order": rf,
            "payment": rf,
            "amount": np.where(full_ref[rf], total[rf], lt[first_line[rf]]),
            "reason": [reasons[int(x)] for x in r.integers(0, len(reasons), len(rf))],
            "created_at": ref_time[rf],
        }
        cb = np.flatnonzero(has_cb)
        w.tables["chargebacks"] = {
            "order": cb,
            "payment": cb,
            "amount": total[cb],
            "reason_code": ["fraud" if scen[i] >= 0 else "not_received" for i in cb.tolist()],
            "received_at": placed[cb] + cb_delay[cb].astype(np.int64),
        }
        # status history
        h_o, h_s, h_n, h_t = [], [], [], []
        fulfil_t = np.minimum(
            placed + (r.uniform(0.4, 2.5, N) * US_PER_DAY).astype(np.int64), self.anchor_us - 1
        )
        for i in range(N):
            h_o.append(i)
            h_s.append("pending")
            h_n.append("placed")
            h_t.append(placed[i])
            st = status[i]
            if st == "cancelled":
                h_o.append(i)
                h_s.append("cancelled")
                h_n.append("payment declined by the card issuer")
                h_t.append(placed[i] + 1_500_000)
                continue
            if st == "pending":
                continue
            h_o.append(i)
            h_s.append("paid")
            h_n.append("approved")
            h_t.append(placed[i] + 1_500_000)
            if st in ("fulfilled", "refunded"):
                h_o.append(i)
                h_s.append("fulfilled")
                h_n.append("dispatched")
                h_t.append(fulfil_t[i])
            if st == "refunded":
                h_o.append(i)
                h_s.append("refunded")
                h_n.append("returned and refunded")
                h_t.append(max(ref_time[i], fulfil_t[i] + 1))
        w.tables["history"] = {
            "order": np.array(h_o),
            "status": h_s,
            "note": h_n,
            "created_at": np.array(h_t),
        }
        # ground truth: planted fraud
        for i in np.flatnonzero(scen >= 0).tolist():
            w.truth.append(
                (
                    "fraud",
                    ("order", i),
                    {
                        "scenario": FRAUD_SCENARIOS[int(scen[i])],
                        "declined": bool(self.declined[i]),
                        "chargeback": bool(has_cb[i]),
                        "new_shipping_address": bool(ship_new[i]),
                    },
                )
            )
        self.status = status

    # ------------------------------------------------------------------ stock tables
    def _stock_tables(self, w: World) -> None:
        r = self.rng(7)
        P = self.cfg.products
        rp, rd, rq = self.restocks
        sold = ~self.declined[self.l_order]
        lp, lq, lo = self.l_prod[sold], self.l_qty[sold], self.l_order[sold]
        pre = self.p["launch"] < 0
        t_open = np.full(P, self.day_end_us[0] - US_PER_DAY)
        prod = np.r_[np.flatnonzero(pre), rp, lp]
        qty = np.r_[self.opening[pre], rq, -lq]
        reason = ["adjustment"] * int(pre.sum()) + ["restock"] * len(rp) + ["sale"] * len(lp)
        ref = (
            ["opening stock"] * int(pre.sum())
            # not "PO-...": only the deliveries the demo writes a purchase order for name one
            + [f"delivery {1000 + i}" for i in range(len(rp))]
            + [self.numbers[o] for o in lo.tolist()]
        )
        t = np.r_[
            t_open[pre],
            self.day_end_us[rd] - US_PER_DAY + r.integers(7 * 60, 10 * 60, len(rd)) * US_PER_MIN,
            self.placed[lo],
        ]
        # consistency: opening + restocks - sales == on hand now
        net = np.bincount(prod, weights=qty, minlength=P).astype(np.int64)
        adj = self.final_on_hand - net
        fix = np.flatnonzero(adj != 0)
        if len(fix):
            prod = np.r_[prod, fix]
            qty = np.r_[qty, adj[fix]]
            reason += ["adjustment"] * len(fix)
            ref += ["stock count"] * len(fix)
            t = np.r_[t, np.full(len(fix), self.anchor_us - 3_600_000_000)]
        w.tables["movements"] = {
            "product": prod,
            "quantity": qty,
            "reason": reason,
            "reference": ref,
            "created_at": t,
        }
        w.tables["stock"] = {
            "product": np.arange(P),
            "on_hand": self.final_on_hand.copy(),
            "reserved": np.zeros(P, int),
            "reorder_point": self.rop,
        }
        recent = self.sales[:, -30:].sum(axis=1) + self.extra[:, -30:].sum(axis=1)
        tp = w.tables["products"]
        tp["list_price"] = self.list_path[:, -1]
        tp["price"] = self.price[:, -1]
        tp["popularity"] = np.round(recent / 30.0, 4)

    # ------------------------------------------------------------------ sessions & events
    def _events(self, w: World) -> None:
        r = self.rng(8)
        c = self.c
        P = self.cfg.products
        N = len(self.o_day)
        L = len(self.leaves)
        leaf = self.p["leaf"]
        popw = self.lam.mean(axis=1) + 1e-4
        order_by_leaf = np.lexsort((np.arange(P), leaf))
        leaf_start = np.searchsorted(leaf[order_by_leaf], np.arange(L))
        leaf_end = np.searchsorted(leaf[order_by_leaf], np.arange(L), side="right")
        cdf = np.zeros(P)
        for li in range(L):
            seg = order_by_leaf[leaf_start[li] : leaf_end[li]]
            cs = np.cumsum(popw[seg])
            cdf[leaf_start[li] : leaf_end[li]] = cs / cs[-1]
        key = leaf[order_by_leaf] + cdf  # increasing
        key = key - 1e-12 * (cdf >= 1)

        def pick_in_leaf(lv: np.ndarray) -> np.ndarray:
            pos = np.searchsorted(key, lv + r.random(len(lv)) * 0.999999)
            return order_by_leaf[np.clip(pos, 0, P - 1)]

        global_leaf = np.bincount(leaf, weights=popw, minlength=L).astype(float)
        global_leaf = global_leaf / global_leaf.sum()

        def pick_leaf(cust: np.ndarray) -> np.ndarray:
            out = r.choice(L, size=len(cust), p=global_leaf)
            reg = cust >= 0
            if reg.any():
                t = c["taste"][cust[reg]]
                cs = np.cumsum(t, axis=1)
                u = r.random(reg.sum()) * cs[:, -1]
                out[reg] = np.minimum((cs < u[:, None]).sum(axis=1), L - 1)
            return out

        ev: dict[str, list[np.ndarray]] = {
            k: [] for k in ("type", "session", "customer", "product", "order", "query", "t")
        }

        def emit(
            types: np.ndarray,
            sess: np.ndarray,
            cust: np.ndarray,
            prod: np.ndarray,
            order: np.ndarray,
            query: np.ndarray,
            t: np.ndarray,
        ) -> None:
            ev["type"].append(types)
            ev["session"].append(sess)
            ev["customer"].append(cust)
            ev["product"].append(prod)
            ev["order"].append(order)
            ev["query"].append(query)
            ev["t"].append(t)

        TYPES = np.array(
            ["view", "search", "add_to_cart", "remove_from_cart", "checkout_start", "purchase"]
        )
        queries: list[str] = []

        def make_queries(prods: np.ndarray) -> np.ndarray:
            out = np.empty(len(prods), dtype=np.int64)
            forms = r.random(len(prods)).tolist()
            typos = (r.random(len(prods)) < 0.17).tolist()
            nouns = self.p["noun"]
            for k, p in enumerate(prods.tolist()):
                noun = str(nouns[p]).lower()
                form = forms[k]
                if form < 0.5:
                    q = noun
                elif form < 0.75:
                    q = self.names[p].split(",")[0].lower().split(" ", 1)[-1]
                elif form < 0.9:
                    q = f"{self.names[p].split(' ')[0].lower()} {noun.split(' ')[-1]}"
                else:
                    q = f"cheap {noun}" if form < 0.95 else f"{noun} gift"
                if typos[k]:
                    words = q.split(" ")
                    j = int(r.integers(len(words)))
                    words[j] = texts.typo(words[j], r)
                    q = " ".join(words)
                queries.append(q)
                out[k] = len(queries) - 1
            return out

        # 1) purchase sessions
        start = self.placed - r.integers(4, 45, N) * US_PER_MIN
        o_sess_idx = np.arange(N)
        n_lines = np.bincount(self.l_order, minlength=N)
        dur = self.placed - start
        # searches
        has_s = r.random(N) < 0.6
        si = np.flatnonzero(has_s)
        first_line_prod = self.l_prod[np.r_[0, np.flatnonzero(np.diff(self.l_order)) + 1]]
        emit(
            np.full(len(si), 1),
            si,
            self.o_cust[si],
            np.full(len(si), -1),
            np.full(len(si), -1),
            make_queries(first_line_prod[si]),
            start[si] + 1_000_000,
        )
        # views of bought products and alternatives in the same leaf
        lo, lp = self.l_order, self.l_prod
        emit(
            np.zeros(len(lo), int),
            lo,
            self.o_cust[lo],
            lp,
            np.full(len(lo), -1),
            np.full(len(lo), -1),
            start[lo] + (r.random(len(lo)) * 0.5 * dur[lo]).astype(np.int64),
        )
        n_alt = r.poisson(1.1, len(lo))
        ao = np.repeat(lo, n_alt)
        ap = pick_in_leaf(np.repeat(leaf[lp], n_alt))
        emit(
            np.zeros(len(ao), int),
            ao,
            self.o_cust[ao],
            ap,
            np.full(len(ao), -1),
            np.full(len(ao), -1),
            start[ao] + (r.random(len(ao)) * 0.6 * dur[ao]).astype(np.int64),
        )
        emit(
            np.full(len(lo), 2),
            lo,
            self.o_cust[lo],
            lp,
            np.full(len(lo), -1),
            np.full(len(lo), -1),
            start[lo] + ((0.6 + 0.2 * r.random(len(lo))) * dur[lo]).astype(np.int64),
        )
        emit(
            np.full(N, 4),
            o_sess_idx,
            self.o_cust,
            np.full(N, -1),
            np.full(N, -1),
            np.full(N, -1),
            start + (0.9 * dur).astype(np.int64),
        )
        ok = ~self.declined
        emit(
            np.full(ok.sum(), 5),
            o_sess_idx[ok],
            self.o_cust[ok],
            np.full(ok.sum(), -1),
            o_sess_idx[ok],
            np.full(ok.sum(), -1),
            self.placed[ok] + 2_000_000,
        )
        sess_names = list(self.o_session)
        _ = n_lines
        # 2) abandoned carts and 3) browse-only sessions
        day_w = np.bincount(self.o_day, minlength=self.cfg.days).astype(float) + 0.5
        day_w /= day_w.sum()
        n_ab = int(N * self.cfg.abandoned_per_order)
        n_br = int(N * self.cfg.browse_per_order)
        M = n_ab + n_br
        s_day = r.choice(self.cfg.days, size=M, p=day_w)
        s_start = self._times_in_day(r, s_day) - 40 * US_PER_MIN
        s_cust = np.full(M, -1)
        logged = r.random(M) < 0.55
        # registered sessions come from customers active that day
        order_cust_by_day = self.o_cust[self.o_cust >= 0]
        if len(order_cust_by_day):
            s_cust[logged] = order_cust_by_day[r.integers(0, len(order_cust_by_day), logged.sum())]
            alive = (c["start"][np.maximum(s_cust, 0)] <= s_day) & (
                c["churn"][np.maximum(s_cust, 0)] > s_day
            )
            s_cust[(s_cust >= 0) & ~alive] = -1
        base_sess = N
        s_idx = np.arange(M) + base_sess
        sess_names += [f"s{x:016x}" for x in r.integers(0, 2**63, M).tolist()]
        s_leaf = pick_leaf(s_cust)
        n_view = r.poisson(2.8, M) + 1
        vs = np.repeat(np.arange(M), n_view)
        vp = pick_in_leaf(np.repeat(s_leaf, n_view))
        vt = s_start[vs] + r.integers(0, 30 * US_PER_MIN, len(vs))
        emit(
            np.zeros(len(vs), int),
            s_idx[vs],
            s_cust[vs],
            vp,
            np.full(len(vs), -1),
            np.full(len(vs), -1),
            vt,
        )
        srch = np.flatnonzero(r.random(M) < 0.45)
        emit(
            np.full(len(srch), 1),
            s_idx[srch],
            s_cust[srch],
            np.full(len(srch), -1),
            np.full(len(srch), -1),
            make_queries(pick_in_leaf(s_leaf[srch])),
            s_start[srch],
        )
        # abandoned carts: the first n_ab sessions add 1-3 products and leave
        ab = np.arange(n_ab)
        n_add = np.minimum(r.geometric(0.55, n_ab), 4)
        cs = np.repeat(ab, n_add)
        cp = pick_in_leaf(np.repeat(s_leaf[ab], n_add))
        ct = s_start[cs] + r.integers(30 * US_PER_MIN, 40 * US_PER_MIN, len(cs))
        emit(
            np.full(len(cs), 2),
            s_idx[cs],
            s_cust[cs],
            cp,
            np.full(len(cs), -1),
            np.full(len(cs), -1),
            ct,
        )
        rem = np.flatnonzero(r.random(len(cs)) < 0.08)
        emit(
            np.full(len(rem), 3),
            s_idx[cs[rem]],
            s_cust[cs[rem]],
            cp[rem],
            np.full(len(rem), -1),
            np.full(len(rem), -1),
            ct[rem] + 60_000_000,
        )
        chk = np.flatnonzero(r.random(n_ab) < 0.25)
        emit(
            np.full(len(chk), 4),
            s_idx[chk],
            s_cust[chk],
            np.full(len(chk), -1),
            np.full(len(chk), -1),
            np.full(len(chk), -1),
            s_start[chk] + 41 * US_PER_MIN,
        )
        # cart rows for abandoned sessions (one line per distinct product)
        key_ = np.unique(cs.astype(np.int64) * (P + 1) + cp)
        ucs, ucp = key_ // (P + 1), key_ % (P + 1)
        recent = (self.anchor_us - s_start[ab]) < US_PER_DAY
        carts = w.tables["carts"]
        carts["customer"] = np.r_[carts["customer"], s_cust[ab]]
        carts["session_id"] = carts["session_id"] + [sess_names[base_sess + i] for i in ab.tolist()]
        carts["status"] = carts["status"] + ["open" if x else "abandoned" for x in recent.tolist()]
        carts["created_at"] = np.r_[carts["created_at"], s_start[ab] + 30 * US_PER_MIN]
        carts["updated_at"] = np.r_[carts["updated_at"], s_start[ab] + 40 * US_PER_MIN]
        carts["token"] = carts["token"] + _random_ids(r, n_ab)
        cl = w.tables["cartlines"]
        cl["cart"] = np.r_[cl["cart"], N + ucs]
        cl["product"] = np.r_[cl["product"], ucp]
        cl["quantity"] = np.r_[
            cl["quantity"], np.where(self.p["consumable"][ucp], r.integers(1, 3, len(ucp)), 1)
        ]
        cl["added_at"] = np.r_[cl["added_at"], s_start[ucs] + 31 * US_PER_MIN]
        # assemble, sorted by time; nothing after the anchor
        cat = {k: np.concatenate(v) for k, v in ev.items()}
        cat["t"] = np.minimum(cat["t"], self.anchor_us - 1)
        order = np.argsort(cat["t"], kind="stable")
        cat = {k: v[order] for k, v in cat.items()}
        sess_arr = np.array(sess_names)
        qarr = np.array(queries + [""], dtype=object)
        w.tables["events"] = {
            "type": TYPES[cat["type"]],
            "session_id": sess_arr[cat["session"]],
            "customer": cat["customer"],
            "product": cat["product"],
            "order": cat["order"],
            "query": qarr[cat["query"]],
            "created_at": cat["t"],
        }
        # purchase metadata like the checkout writes it
        self._ev_meta_orders = cat["order"]

    # ------------------------------------------------------------------ reviews
    def _reviews(self, w: World) -> None:
        r = self.rng(9)
        done = np.isin(self.status[self.l_order], ["fulfilled", "refunded"]) & (
            self.o_cust[self.l_order] >= 0
        )
        pick = np.flatnonzero(
            done
            & (
                r.random(len(self.l_order))
                < np.where(self.p["consumable"][self.l_prod], 0.03, 0.07)
            )
        )
        t = self.placed[self.l_order[pick]] + (r.uniform(4, 30, len(pick)) * US_PER_DAY).astype(
            np.int64
        )
        keep = t < self.anchor_us
        pick, t = pick[keep], t[keep]
        prod = self.l_prod[pick]
        rating = np.clip(
            np.round(self.p["quality"][prod] + r.normal(0, 0.9, len(pick))), 1, 5
        ).astype(int)
        titles, bodies = [], []
        for p, k in zip(prod.tolist(), rating.tolist(), strict=True):
            noun = str(self.p["noun"][p]).lower()
            titles.append(texts.REVIEW_TITLES[k][int(r.integers(len(texts.REVIEW_TITLES[k])))])
            bodies.append(
                texts.REVIEW_BODIES[k][int(r.integers(len(texts.REVIEW_BODIES[k])))].format(
                    noun=noun
                )
            )
        w.tables["reviews"] = {
            "product": prod,
            "customer": self.o_cust[self.l_order[pick]],
            "rating": rating,
            "title": titles,
            "body": bodies,
            "created_at": t,
        }
        # product quality is ground truth the review models can be checked against
        for i in range(self.cfg.products):
            w.truth.append(
                (
                    "quality",
                    ("sku", self.skus[i]),
                    {"mean_rating": round(float(self.p["quality"][i]), 3)},
                )
            )

    # ------------------------------------------------------------------ run
    def run(self) -> World:
        w = World(anchor_us=self.anchor_us, days=self.cfg.days)
        self._calendar()
        self._catalog(w)
        self._prices(w)
        self._demand(w)
        self._customers(w)
        self._orders(w)
        self._fraud(w)
        self._order_tables(w)
        self._stock_tables(w)
        self._events(w)
        self._reviews(w)
        return w
