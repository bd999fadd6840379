"""Own-price elasticity per product from daily price and sales history (no Django).

Model, per product with enough price variation: a log-log Poisson regression (quasi-likelihood,
statsmodels GLM with a log link)

    log E[units_t] = a + e * log(price_t / median price) + promo_t + day-of-week + yearly Fourier
                     + trend

so `e` is the elasticity and zero-sales days are used as they are (an OLS on log(units) has to
drop or fudge them, which biases slow movers towards zero). Stockout days are excluded: a day
flagged `stockout` in the input (e.g. it ended with nothing on hand), or, where that flag is
absent or blank, a run of zero-sales days that is implausible (p < 0.1%) at the product's
usual rate. A store-wide effect per date (holidays, sale weekends), shrunk towards the smooth
calendar, keeps one-day traffic spikes from being credited to prices cut on those days.

Each own estimate is shrunk towards its category (empirical Bayes: a normal prior whose mean
and spread are estimated from the category's own estimates, DerSimonian-Laird), so noisy
estimates move most. A product without price variation (or too little history) gets the
category estimate (or the all-products estimate for a small category) with the category's
spread as its uncertainty: `pooled=True`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Prior:
    mean: float
    sd: float  # between-product spread (tau), plus the uncertainty of the mean for categories
    n_products: int
    mean_se: float = 0.0  # standard error of `mean`


def clean_history(history: pd.DataFrame) -> pd.DataFrame:
    """One row per (product_id, date) with a positive price; returns and bad rows dropped.

    Optional columns kept: `promo` (0/1), `stockout` (0/1, blank = unknown). Quantity is clipped at 0 (returns
    are not negative demand); the day's price is the unit-weighted mean price.
    """
    df = history.copy()
    df["date"] = pd.to_datetime(df["date"]).dt.normalize()
    df["price"] = pd.to_numeric(df["price"], errors="coerce")
    df["quantity"] = pd.to_numeric(df["quantity"], errors="coerce")
    df = df[np.isfinite(df["price"]) & (df["price"] > 0) & np.isfinite(df["quantity"])]
    df["quantity"] = df["quantity"].clip(lower=0)
    if "promo" in df.columns:
        df["promo"] = pd.to_numeric(df["promo"], errors="coerce").fillna(0).astype(float)
        df["promo"] = df["promo"].clip(0, 1)
    if "stockout" in df.columns:  # blank = unknown: inferred from the sales pattern
        df["stockout"] = pd.to_numeric(df["stockout"], errors="coerce").astype(float).clip(0, 1)
    df["_pq"] = df["price"] * df["quantity"]
    agg: dict[str, tuple[str, str]] = {
        "quantity": ("quantity", "sum"),
        "_pq": ("_pq", "sum"),
        "_pmean": ("price", "mean"),
    }
    for flag in ("promo", "stockout"):
        if flag in df.columns:
            agg[flag] = (flag, "max")
    out = df.groupby(["product_id", "date"], sort=True).agg(**agg).reset_index()
    weighted = out["_pq"] / out["quantity"].where(out["quantity"] > 0)
    out["price"] = weighted.fillna(out["_pmean"])
    return out.drop(columns=["_pq", "_pmean"])


def implausible_zero_runs(quantity: np.ndarray, alpha: float = 1e-3) -> np.ndarray:
    """Mask of days inside a zero-sales run too long for the product's usual Poisson rate."""
    q = np.asarray(quantity, dtype=float)
    n = q.size
    mask = np.zeros(n, dtype=bool)
    rate = q.mean() if n else 0.0
    if n == 0 or rate <= 0:
        return mask
    # a run of L zeros has probability exp(-rate * L); flag runs with exp(-rate*L) < alpha
    min_len = max(2, int(np.ceil(-np.log(alpha) / rate)))
    zero = q == 0
    i = 0
    while i < n:
        if zero[i]:
            j = i
            while j < n and zero[j]:
                j += 1
            if j - i >= min_len:
                mask[i:j] = True
            i = j
        else:
            i += 1
    return mask


def infer_promo(
    price: pd.Series, product_id: pd.Series, window: int = 28, depth: float = 0.03
) -> np.ndarray:
    """Temporary price cuts: days priced `depth` below both the highest price of the previous
    `window` rows and the highest of the next `window` rows of the same product (a cut that
    comes back up). A permanent price drop is below the past, not the future: not a promo.
    Rows must be sorted by product, then date."""
    p = pd.Series(np.asarray(price, dtype=float))
    key = pd.Series(np.asarray(product_id))
    past = p.groupby(key, sort=False).rolling(window + 1, min_periods=1).max()
    past = past.reset_index(level=0, drop=True).sort_index().to_numpy()
    rp, rk = p[::-1].reset_index(drop=True), key[::-1].reset_index(drop=True)
    fut = rp.groupby(rk, sort=False).rolling(window + 1, min_periods=1).max()
    fut = fut.reset_index(level=0, drop=True).sort_index().to_numpy()[::-1]
    return (p.to_numpy() < np.minimum(past, fut) * (1 - depth)).astype(float)


def _calendar(dates: np.ndarray, start: np.datetime64, span: float, with_dow: bool) -> np.ndarray:
    days = (dates - start).astype("timedelta64[D]").astype(float)
    cols = [np.ones(dates.size)]
    if with_dow:
        dow = ((dates.astype("datetime64[D]").astype(np.int64) + 3) % 7).astype(int)  # Mon=0
        cols += [(dow == d).astype(float) for d in range(1, 7)]
    if span >= 300:
        doy = 2 * np.pi * days / 365.25
        cols += [f(k * doy) for k in (1, 2, 3) for f in (np.sin, np.cos)]
    if span >= 90:
        cols.append(days / 365.25)
    return np.column_stack(cols)


def _with_price_expectation(d: pd.DataFrame, elasticity: pd.Series | float) -> pd.DataFrame:
    """Add `_exp`: each row's mean units at its price relative to the product's median price."""
    g = d.groupby("product_id")
    d["_ref"] = g["price"].transform("median")
    d["_rate"] = g["quantity"].transform("mean")
    if isinstance(elasticity, pd.Series):
        e = d["product_id"].map(elasticity).astype(float).fillna(-1.5).to_numpy()
    else:
        e = np.full(len(d), float(elasticity))
    d["_exp"] = d["_rate"] * (d["price"] / d["_ref"]) ** e
    return d


def seasonal_index(
    panel: pd.DataFrame, elasticity: float | pd.Series = -1.5, min_products: int = 20
) -> dict[str, pd.Series]:
    """Log seasonal index per group (column `group`) and date: a Poisson regression of the
    group's daily units on weekday, yearly Fourier terms and trend, offset by what each
    product would sell at its mean rate and that day's price (elasticity assumed common).

    panel: product_id, group, date, price, quantity, usable (no stockout, no promo).
    Pooling many products makes the calendar effect precise where one product's history is
    not, and keeps it from absorbing the product's own price moves.
    """
    d = panel[panel["usable"]].copy()
    if d.empty:
        return {}
    d = _with_price_expectation(d, elasticity)
    out: dict[str, pd.Series] = {}
    for grp, gd in d.groupby("group"):
        if gd["product_id"].nunique() < min_products:
            continue
        agg = gd.groupby("date").agg(q=("quantity", "sum"), e=("_exp", "sum"))
        agg = agg[agg["e"] > 0]
        if len(agg) < 14:
            continue
        dates = agg.index.to_numpy().astype("datetime64[D]")
        span = float((dates.max() - dates.min()).astype(int))
        x = _calendar(dates, dates.min(), span, with_dow=len(agg) >= 28)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                res = sm.GLM(
                    agg["q"].to_numpy(float),
                    x,
                    family=sm.families.Poisson(),
                    offset=np.log(agg["e"].to_numpy(float)),
                ).fit(maxiter=50)
            except (ValueError, np.linalg.LinAlgError, OverflowError):
                continue
        full = pd.date_range(dates.min(), dates.max(), freq="D").to_numpy().astype("datetime64[D]")
        xf = _calendar(full, dates.min(), span, with_dow=len(agg) >= 28)
        lin = xf @ res.params
        out[str(grp)] = pd.Series(lin - lin.mean(), index=full)
    return out


def shrunk_seasonal_index(
    panel: pd.DataFrame, elasticity: float | pd.Series = -1.5
) -> tuple[dict[str, pd.Series], pd.Series | None]:
    """Per group, the all-products calendar plus the group's own deviation from it, shrunk by
    empirical Bayes: each deviation coefficient (weekday, yearly Fourier terms, trend) is
    multiplied by tau^2 / (tau^2 + se^2), tau^2 being how much the groups' true deviations
    vary (method of moments over all groups). A category of five slow sellers keeps close to
    the store's calendar, a large one follows its own season, and none is left with the
    store's calendar only because it is small (a gift category's January dip would otherwise
    be read as customers shunning January's sale prices).

    Returns (index per group, all-products index); groups whose deviation cannot be fitted
    use the all-products index."""
    allp = panel.assign(group="__all__")
    overall = seasonal_index(allp, elasticity).get("__all__")
    if overall is None:
        return {}, None
    d = panel[panel["usable"]].copy()
    d = _with_price_expectation(d, elasticity)
    full = overall.index.to_numpy()
    start = full.min()
    span = float((full.max() - start).astype(int))
    with_dow = len(full) >= 28
    fits: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for grp, gd in d.groupby("group"):
        agg = gd.groupby("date").agg(q=("quantity", "sum"), e=("_exp", "sum"))
        agg = agg[agg["e"] > 0]
        if len(agg) < 28 or agg["q"].sum() < 10:
            continue
        dates = agg.index.to_numpy().astype("datetime64[D]")
        x = _calendar(dates, start, span, with_dow=with_dow)
        off = np.log(agg["e"].to_numpy(float)) + overall.reindex(dates).fillna(0.0).to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                res = sm.GLM(
                    agg["q"].to_numpy(float), x, family=sm.families.Poisson(), offset=off
                ).fit(maxiter=50)
                cov = np.asarray(res.cov_params())
            except (ValueError, np.linalg.LinAlgError, OverflowError):
                continue
        beta = np.asarray(res.params, float)
        var = np.diag(cov).astype(float)
        if np.all(np.isfinite(beta)) and np.all(np.isfinite(var)):
            fits[str(grp)] = (beta, var)
    out: dict[str, pd.Series] = {}
    if len(fits) < 3:
        return out, overall
    b = np.stack([f[0] for f in fits.values()])
    v = np.stack([f[1] for f in fits.values()])
    w = 1.0 / np.maximum(v, 1e-12)
    mean = (w * b).sum(axis=0) / w.sum(axis=0)  # ~0: deviations from the pooled calendar
    tau2 = np.maximum(0.0, ((b - mean) ** 2 - v).mean(axis=0))
    xf = _calendar(full, start, span, with_dow=with_dow)
    for grp, (beta, var) in fits.items():
        shrink = tau2 / (tau2 + var)
        shrink[0] = 0.0  # the level is each product's own intercept
        dev = xf @ (beta * shrink)
        lin = overall.to_numpy() + dev
        out[grp] = pd.Series(lin - lin.mean(), index=full)
    return out, overall


def day_effects(
    panel: pd.DataFrame, elasticity: float | pd.Series = -1.5, min_products: int = 30
) -> np.ndarray:
    """Store-wide log effect of each row's date beyond the smooth calendar (holidays, a sale
    weekend's traffic, an outage): units sold that day by the other products at their regular
    price against what their rate, price and calendar (`offset`) predict, shrunk towards 0.

    A smooth yearly curve cannot follow a one-day spike; when a store-wide sale falls on such a
    day, the discounted products' extra units would otherwise be credited to their price cut
    (or to the promotion). Shrinkage is empirical Bayes (gamma prior on the day's multiplier,
    its variance estimated from the days' excess dispersion), so a small store's noisy days
    move little and a calendar without spikes gives effects near 0. A row's own units are
    left out of its day's effect, so a product cannot explain its own price response away.
    panel: product_id, date, price, quantity, usable, offset. Returns one value per row."""
    out = np.zeros(len(panel))
    use = panel["usable"].to_numpy(bool)
    d = panel[use]
    if d["product_id"].nunique() < min_products:  # too few to tell the day from the products
        return out
    g = d.groupby("product_id")
    ref = g["price"].transform("median").to_numpy(float)
    if isinstance(elasticity, pd.Series):
        e = d["product_id"].map(elasticity).astype(float).fillna(-1.5).to_numpy()
    else:
        e = np.full(len(d), float(elasticity))
    shape = np.exp(d["offset"].to_numpy(float)) * (d["price"].to_numpy(float) / ref) ** e
    # each product's rate: its units over the sum of its predicted shape
    rate = g["quantity"].transform("sum").to_numpy(float) / np.maximum(
        pd.Series(shape).groupby(d["product_id"].to_numpy()).transform("sum").to_numpy(), 1e-12
    )
    q_row = d["quantity"].to_numpy(float)
    m_row = rate * shape
    day = pd.DataFrame({"date": d["date"].to_numpy(), "q": q_row, "m": m_row}).groupby("date").sum()
    day = day[day["m"] > 0]
    if len(day) < 28:
        return out
    q, m = day["q"].to_numpy(float), day["m"].to_numpy(float)
    # variance of the true day multipliers beyond Poisson noise (method of moments)
    tau2 = max(0.0, float(np.sum((q - m) ** 2 - q) / np.sum(m**2)))
    if tau2 <= 1e-4:
        return out
    alpha = 1.0 / tau2
    center = float(np.mean(np.log((q + alpha) / (m + alpha))))
    dates = panel["date"].to_numpy()
    big_q = day["q"].reindex(dates).to_numpy(float)
    big_m = day["m"].reindex(dates).to_numpy(float)
    own_q = np.zeros(len(panel))
    own_m = np.zeros(len(panel))
    own_q[use], own_m[use] = q_row, m_row
    qx, mx = big_q - own_q, big_m - own_m
    ok = np.isfinite(qx) & np.isfinite(mx) & (mx > -alpha)
    out[ok] = np.log((np.maximum(qx[ok], 0) + alpha) / (np.maximum(mx[ok], 0) + alpha)) - center
    return out


def period_effects(
    panel: pd.DataFrame, elasticity: float | pd.Series = -1.5, days: int = 28
) -> np.ndarray:
    """Each group's log effect per block of `days` days beyond its smooth calendar (`offset`):
    `day_effects` with (group, block) in place of the date, so the same gamma-Poisson
    shrinkage towards 0 and the same leave-own-units-out rule apply.

    A few Fourier terms cannot follow a category's sharp season (a December peak twice its
    November level); the misfit lands on whatever else moves in those weeks, and the
    store-wide sales (Black Friday, the January sale) put many products' price cuts there, so
    it reads as a weak price response or a promotion lift. With few units the effects are
    shrunk towards 0 (the smooth calendar); with many they follow the category's real season.
    panel: product_id, group, date, price, quantity, usable, offset. One value per row."""
    block = panel["date"].to_numpy().astype("datetime64[D]").astype(np.int64) // days
    key = panel["group"].astype(str).to_numpy() + "|" + block.astype(str)
    return day_effects(panel.assign(date=key), elasticity)


def poisson_irls(
    y: np.ndarray,
    x: np.ndarray,
    offset: np.ndarray,
    mask: np.ndarray,
    *,
    max_iter: int = 50,
    tol: float = 1e-8,
    ridge: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poisson GLM (log link) for many small regressions at once, by IRLS.

    y, offset, mask: (P, T); x: (P, T, k); rows where mask is False are padding. Returns
    coefficients (P, k), their quasi-Poisson covariance (P, k, k; Pearson chi2 dispersion) and
    a converged flag (P,). Same estimates as statsmodels `GLM(..., Poisson()).fit(scale="X2")`
    per product (tests check it), without a Python loop over 10k products. A column that is
    all zero for a product (no promo ever) gets a 0 coefficient through the tiny ridge.
    """
    w = mask.astype(float)
    n = w.sum(axis=1)
    ybar = (y * w).sum(axis=1) / np.maximum(n, 1)
    mu = np.where(mask, (y + ybar[:, None]) / 2, 1.0)
    mu = np.maximum(mu, 1e-3)
    eta = np.log(mu)
    k = x.shape[2]
    beta = np.zeros((x.shape[0], k))
    eye = np.eye(k)[None, :, :]
    converged = np.zeros(x.shape[0], dtype=bool)
    a = np.zeros((x.shape[0], k, k))
    for _ in range(max_iter):
        z = eta - offset + (y - mu) / mu
        wt = mu * w
        xw = x * wt[:, :, None]
        a = np.einsum("ptk,ptl->pkl", xw, x)
        scale = np.maximum(np.einsum("pkk->pk", a).max(axis=1), 1.0)
        a = a + ridge * scale[:, None, None] * eye
        rhs = np.einsum("ptk,pt->pk", xw, z)
        new = np.linalg.solve(a, rhs[:, :, None])[:, :, 0]
        step = np.abs(new - beta).max(axis=1)
        beta = new
        eta = np.clip(np.einsum("ptk,pk->pt", x, beta) + offset, -30, 30)
        mu = np.maximum(np.exp(eta), 1e-10)
        converged = step < tol
        if converged.all():
            break
    wt = mu * w
    a = np.einsum("ptk,ptl->pkl", x * wt[:, :, None], x)
    scale = np.maximum(np.einsum("pkk->pk", a).max(axis=1), 1.0)
    a = a + ridge * scale[:, None, None] * eye
    active = (np.abs(x) * w[:, :, None]).max(axis=1) > 0  # columns this product really has
    dof = np.maximum(n - active.sum(axis=1), 1)
    phi = np.where(mask, (y - mu) ** 2 / mu, 0.0).sum(axis=1) / dof
    cov = np.linalg.inv(a) * phi[:, None, None]
    return beta, cov, converged


def _meta_prior(b: np.ndarray, se: np.ndarray, min_sd: float, level_sd: float = 0.0) -> Prior:
    """DerSimonian-Laird random-effects mean and between-product sd of estimates b +- se.

    level_sd: the mean weights the estimates by 1 / (se^2 + max(tau^2, level_sd^2)), so with
    a small estimated spread the mean is not set by the few most precise estimates alone (in a
    store the busiest products, which need not be typical of the thin ones that lean on the
    prior). The spread and `mean_se` stay the DerSimonian-Laird ones."""
    k = b.size
    if k == 0:
        return Prior(mean=np.nan, sd=np.nan, n_products=0)
    if k == 1:
        return Prior(
            mean=float(b[0]), sd=max(float(se[0]), min_sd), n_products=1, mean_se=float(se[0])
        )
    w = 1.0 / se**2
    mean_fe = np.sum(w * b) / w.sum()
    # standardised deviations capped at 3: one over-confident outlier must not set the spread
    q_stat = np.sum(np.clip((b - mean_fe) / se, -3.0, 3.0) ** 2)
    denom = w.sum() - np.sum(w**2) / w.sum()
    tau2 = max(0.0, (q_stat - (k - 1)) / denom) if denom > 0 else 0.0
    w_re = 1.0 / (se**2 + tau2)
    w_lvl = 1.0 / (se**2 + max(tau2, level_sd**2))
    mean_re = float(np.sum(w_lvl * b) / w_lvl.sum())
    return Prior(
        mean=mean_re,
        sd=max(float(np.sqrt(tau2)), min_sd),
        n_products=k,
        mean_se=float(np.sqrt(1.0 / w_re.sum())),
    )


class ElasticityEstimator:
    """Per-product own-price elasticity with empirical-Bayes shrinkage and 95% intervals.

    Parameters
    ----------
    seasonality: "shrunk" (each category's calendar = the store's plus its own deviation,
        shrunk by empirical Bayes), "category" (own calendar for categories of 20+ products,
        the store's for the rest) or "none".
    day_effects: add a shrunk store-wide effect per date (see `day_effects`).
    period_days: add each category's shrunk effect per block of this many days on top of its
        smooth calendar (see `period_effects`); 0 = off, the default (docs/results/pricing.md:
        it cuts the demo's small store's error at ten times its demand, is neutral on the
        medium store and the simulator, and costs a little on the small store as it is).
    min_obs: fewer usable days than this -> pooled estimate.
    min_price_cv: std of log price below this -> "no price variation" -> pooled estimate.
    min_group: a category needs this many own estimates to get its own prior, else the
        all-products prior is used.
    default_elasticity, default_sd: prior when no product at all has an own estimate.
    bounds: own estimates are clipped here before pooling (a wild estimate from a
        near-collinear history must not drag its category).
    recent_days: window (days) for the demand level at the last price.
    prior_level_sd: the mean of a prior (all products, or a category) weights the own
        estimates as if their true spread were at least this (see `_meta_prior`); 0 = plain
        DerSimonian-Laird weights.
    shrink_lift: the pooled promo lift is shrunk towards 0 by its own standard error
        (positive-part empirical Bayes), so a lift the data cannot tell from 0 does not shift
        the elasticities of products whose price moved mostly in promotions.
    """

    def __init__(
        self,
        *,
        seasonality: str = "shrunk",
        min_obs: int = 21,
        min_price_cv: float = 0.01,
        min_group: int = 5,
        default_elasticity: float = -1.5,
        default_sd: float = 1.0,
        min_prior_sd: float = 0.15,
        bounds: tuple[float, float] = (-10.0, 3.0),
        recent_days: int = 28,
        detect_stockouts: bool = True,
        detect_promos: bool = True,
        product_trend: bool = False,
        chunk_size: int = 1000,
        backfit_passes: int = 1,
        promo_effect: str = "pooled",
        day_effects: bool = True,
        period_days: int = 0,
        prior_level_sd: float = 1.0,
        shrink_lift: bool = True,
    ) -> None:
        self.seasonality = seasonality
        self.min_obs = min_obs
        self.min_price_cv = min_price_cv
        self.min_group = min_group
        self.default_elasticity = default_elasticity
        self.default_sd = default_sd
        self.min_prior_sd = min_prior_sd
        self.bounds = bounds
        self.recent_days = recent_days
        self.detect_stockouts = detect_stockouts
        self.detect_promos = detect_promos
        self.product_trend = product_trend
        self.chunk_size = chunk_size
        self.backfit_passes = backfit_passes
        self.promo_effect = promo_effect
        self.day_effects = day_effects
        self.period_days = period_days
        self.prior_level_sd = prior_level_sd
        self.shrink_lift = shrink_lift

    def fit(
        self, history: pd.DataFrame, products: pd.DataFrame | None = None
    ) -> ElasticityEstimator:
        """history: product_id, date, price, quantity[, promo, stockout] (daily; promo and
        stockout 0/1, inferred from the price and sales pattern when absent);
        products (optional): product_id[, category]. Every product in either frame gets a row
        in `estimates_`."""
        if self.seasonality not in ("shrunk", "category", "none"):
            raise ValueError("seasonality must be 'shrunk', 'category' or 'none'")
        hist = clean_history(history)
        ids = pd.Index(hist["product_id"].unique())
        if products is not None and len(products):
            ids = ids.union(pd.Index(products["product_id"].unique()), sort=False)
        category = pd.Series("", index=ids, dtype=object)
        if products is not None and "category" in products.columns:
            cat = products.drop_duplicates("product_id").set_index("product_id")["category"]
            category.loc[cat.index] = cat.fillna("").astype(str).to_numpy()

        hist = self._flags(hist)
        hist["group"] = category.reindex(hist["product_id"]).fillna("").to_numpy()
        est, self._recent = self._describe(hist, ids)
        est["category"] = category.reindex(est["product_id"]).fillna("").to_numpy()
        eligible = (
            (est["n_obs"] >= self.min_obs)
            & (est["price_cv"] >= self.min_price_cv)
            & (est["units"] > 0)
        )
        rows = eligible.to_numpy().nonzero()[0]
        fit_ids = est.loc[eligible, "product_id"].to_numpy()
        # backfitting: the category's calendar effect is estimated with everyone's price effect
        # taken out, first with a common guess, then with each product's own estimate
        current: pd.Series | None = None
        has_promo = bool((hist["promo"] > 0.5).any())
        pool_promo = has_promo and self.promo_effect == "pooled"
        lift: np.ndarray | None = None  # pooled promo lift per history row, once known
        passes = 1 + (self.backfit_passes if self.seasonality != "none" else 0)
        passes = max(passes, 2 if pool_promo else 1)
        for k in range(passes):
            if self.seasonality != "none":
                hist["offset"] = self._offsets(hist, current)
            else:
                hist["offset"] = 0.0
            if lift is not None:
                hist["offset"] += lift * hist["promo"].to_numpy(float)
            used = hist[hist["usable_day"]].reset_index(drop=True)
            b, se, g, gse = self._fit_products(used, fit_ids, with_promo=has_promo and lift is None)
            if pool_promo and lift is None and k + 1 < passes:
                # one promo lift per category (or store): a per-product promo dummy would eat
                # the promotions' price variation, often most of what a product has
                lift = self._pooled_lift(est.loc[rows, "category"].to_numpy(), g, gse, hist)
            est["own_elasticity"] = np.nan
            est["own_se"] = np.nan
            ok = np.isfinite(b) & np.isfinite(se) & (se > 0)
            est.loc[rows[ok], "own_elasticity"] = np.clip(b[ok], *self.bounds)
            est.loc[rows[ok], "own_se"] = se[ok]
            self.priors_, self.global_prior_ = self._priors(est)
            # own (unshrunk) estimates: shrinkage bias would feed back into the calendar
            post = self._posterior(est)[0]
            own = est["own_elasticity"].to_numpy(float)
            current = pd.Series(
                np.where(np.isfinite(own), own, post), index=est["product_id"].to_numpy()
            )
        self.estimates_ = self._shrink(est)
        return self

    def _describe(self, hist: pd.DataFrame, ids: pd.Index) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Per-product counts and price variation, and the recent non-promo usable days
        (price, units) from which the demand level at any price is computed."""
        g = hist.groupby("product_id", sort=False)
        last = g.agg(last_price=("price", "last"), last_date=("date", "last"))
        u = hist[hist["usable_day"]].copy()
        u["_lp"] = np.log(u["price"].to_numpy(float))
        u["_promo"] = u["promo"] > 0.5
        gu = u.groupby("product_id", sort=False)
        stats = gu.agg(
            n_obs=("quantity", "size"),
            units=("quantity", "sum"),
            price_cv=("_lp", "std"),
            n_promo_days=("_promo", "sum"),
        )
        stats["price_cv"] = (
            stats["price_cv"] * np.sqrt((stats["n_obs"] - 1) / stats["n_obs"])
        ).fillna(0.0)
        est = pd.DataFrame(index=pd.Index(ids, name="product_id"))
        est = est.join(last).join(stats)
        est["n_stockout_days"] = (
            g.size().reindex(est.index).fillna(0) - est["n_obs"].fillna(0)
        ).astype(int)
        est[["n_obs", "n_promo_days"]] = est[["n_obs", "n_promo_days"]].fillna(0).astype(int)
        est[["units", "price_cv"]] = est[["units", "price_cv"]].fillna(0.0)
        est = est.reset_index()
        # recent window: the last `recent_days` usable days, promo days left out where possible
        start = gu["date"].transform("max") - pd.Timedelta(days=self.recent_days - 1)
        rec = u[u["date"] >= start]
        has_regular = (~rec["_promo"]).groupby(rec["product_id"]).transform("any")
        rec = rec[~rec["_promo"] | ~has_regular]
        return est, rec[["product_id", "price", "quantity"]]

    def _fit_products(
        self, used: pd.DataFrame, fit_ids: np.ndarray, with_promo: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Own elasticity and its standard error for each id in fit_ids (NaN when unusable),
        and the product's own promo lift and its standard error (NaN without a promo column)."""
        b = np.full(len(fit_ids), np.nan)
        se = np.full(len(fit_ids), np.nan)
        g = np.full(len(fit_ids), np.nan)
        gse = np.full(len(fit_ids), np.nan)
        if len(fit_ids) == 0:
            return b, se, g, gse
        d = used[used["product_id"].isin(fit_ids)].copy()
        order = {pid: i for i, pid in enumerate(fit_ids)}
        d["_row"] = d["product_id"].map(order).to_numpy()
        d["_pos"] = d.groupby("_row").cumcount().to_numpy()
        d["_lp"] = np.log(d["price"].to_numpy(float))
        d["_lp"] -= d.groupby("_row")["_lp"].transform("median")
        days = (d["date"] - d.groupby("_row")["date"].transform("min")).dt.days.to_numpy(float)
        d["_t"] = days / 365.25
        d["_t"] -= d.groupby("_row")["_t"].transform("mean")
        cols = ["_lp"] + (["promo"] if with_promo else []) + (["_t"] if self.product_trend else [])
        for lo in range(0, len(fit_ids), self.chunk_size):
            hi = min(lo + self.chunk_size, len(fit_ids))
            c = d[(d["_row"] >= lo) & (d["_row"] < hi)]
            r = c["_row"].to_numpy() - lo
            pos = c["_pos"].to_numpy()
            t_max = int(pos.max()) + 1
            shape = (hi - lo, t_max)
            y = np.zeros(shape)
            off = np.zeros(shape)
            mask = np.zeros(shape, dtype=bool)
            x = np.zeros((*shape, 1 + len(cols)))
            y[r, pos] = c["quantity"].to_numpy(float)
            off[r, pos] = c["offset"].to_numpy(float)
            mask[r, pos] = True
            x[r, pos, 0] = 1.0
            for j, col in enumerate(cols, start=1):
                x[r, pos, j] = c[col].to_numpy(float)
            beta, cov, _ = poisson_irls(y, x, off, mask)
            b[lo:hi] = beta[:, 1]
            se[lo:hi] = np.sqrt(np.maximum(cov[:, 1, 1], 0.0))
            if with_promo:
                g[lo:hi] = beta[:, 2]
                gse[lo:hi] = np.sqrt(np.maximum(cov[:, 2, 2], 0.0))
        return b, se, g, gse

    def _flags(self, hist: pd.DataFrame) -> pd.DataFrame:
        """Add `promo` and `usable_day` (not a stockout day), from the input or inferred."""
        pid = hist["product_id"].to_numpy()
        cuts = np.r_[0, np.flatnonzero(pid[1:] != pid[:-1]) + 1, len(hist)]
        flag = (
            hist["stockout"].to_numpy(float)
            if "stockout" in hist.columns
            else np.full(len(hist), np.nan)
        )
        usable = ~(flag >= 0.5)
        if self.detect_stockouts:
            # days without a stockout record: runs of zero sales too long for the usual rate
            q = hist["quantity"].to_numpy(float)
            unknown = np.isnan(flag)
            for s, e in zip(cuts[:-1], cuts[1:], strict=True):
                if unknown[s:e].any():
                    usable[s:e] &= ~(implausible_zero_runs(q[s:e]) & unknown[s:e])
        if "promo" not in hist.columns:
            hist["promo"] = (
                infer_promo(hist["price"], hist["product_id"]) if self.detect_promos else 0.0
            )
        hist["usable_day"] = usable
        return hist

    def _offsets(self, hist: pd.DataFrame, elasticity: pd.Series | None) -> np.ndarray:
        """Per-row log seasonal index of the row's category (all products for a category with
        too few products)."""
        panel = hist[["product_id", "group", "date", "price", "quantity"]].copy()
        panel["usable"] = hist["usable_day"].to_numpy() & (hist["promo"].to_numpy() < 0.5)
        e: float | pd.Series = self.default_elasticity if elasticity is None else elasticity
        if self.seasonality == "shrunk":
            by_group, overall = shrunk_seasonal_index(panel, e)
        else:
            by_group = seasonal_index(panel, e)
            overall = seasonal_index(panel.assign(group="__all__"), e).get("__all__")
        off = np.zeros(len(hist))
        dates = hist["date"].to_numpy().astype("datetime64[D]")
        codes, uniq = pd.factorize(hist["group"].to_numpy())
        for j, grp in enumerate(uniq):
            idx = by_group.get(str(grp), overall)
            if idx is None:
                continue
            m = codes == j
            off[m] = idx.reindex(dates[m]).fillna(0.0).to_numpy()
        if self.period_days > 0:
            off += period_effects(panel.assign(offset=off), e, self.period_days)
        if self.day_effects:
            off += day_effects(panel.assign(offset=off), e)
        return off

    def _pooled_lift(
        self, cats: np.ndarray, g: np.ndarray, gse: np.ndarray, hist: pd.DataFrame
    ) -> np.ndarray:
        """Promo lift (log units beyond the price effect) per history row: the random-effects
        mean over the category's products (categories with 50+ promoted products), else over
        all products."""
        ok = np.isfinite(g) & np.isfinite(gse) & (gse > 0) & (gse < 5)
        glob = _meta_prior(g[ok], gse[ok], 0.0)
        if glob.n_products == 0:
            return np.zeros(len(hist))
        by_cat = {}
        for cat in np.unique(cats[ok]):
            m = ok & (cats == cat)
            if m.sum() >= 50:  # a few products' promo weeks mostly measure their season
                by_cat[str(cat)] = self._lift_value(_meta_prior(g[m], gse[m], 0.0))
        overall = self._lift_value(glob)
        self.promo_lift_ = {"__all__": overall, **by_cat}
        groups = hist["group"].astype(str)
        return groups.map(by_cat).fillna(overall).to_numpy(float)

    def _lift_value(self, p: Prior) -> float:
        """The pooled lift, shrunk towards 0 by its standard error when `shrink_lift`:
        m * max(0, 1 - se^2 / m^2), the posterior mean under a N(0, tau^2) prior whose tau^2 =
        m^2 - se^2 is estimated from the lift itself (0 when |m| <= se)."""
        m, s = float(p.mean), float(p.mean_se)
        if not self.shrink_lift or m == 0.0 or not np.isfinite(s):
            return m
        return m * max(0.0, 1.0 - s**2 / m**2)

    def _priors(self, est: pd.DataFrame) -> tuple[dict[str, Prior], Prior]:
        """All-products prior, and per category a prior whose mean is itself shrunk towards
        the all-products mean (a category of five noisy products says little on its own)."""
        has = est["own_elasticity"].notna()
        b = est.loc[has, "own_elasticity"].to_numpy(float)
        se = est.loc[has, "own_se"].to_numpy(float)
        glob = _meta_prior(b, se, self.min_prior_sd, self.prior_level_sd)
        if glob.n_products < 2:
            glob = Prior(self.default_elasticity, self.default_sd, glob.n_products)
        raw: dict[str, Prior] = {}
        for cat, grp in est[has].groupby("category"):
            if len(grp) >= self.min_group:
                raw[str(cat)] = _meta_prior(
                    grp["own_elasticity"].to_numpy(float),
                    grp["own_se"].to_numpy(float),
                    self.min_prior_sd,
                    self.prior_level_sd,
                )
        if not raw:
            return {}, glob
        means = np.array([p.mean for p in raw.values()])
        mean_se = np.array([max(p.mean_se, 1e-6) for p in raw.values()])
        between = _meta_prior(means, mean_se, 0.0)  # spread of true category means
        tau2 = between.sd**2
        priors: dict[str, Prior] = {}
        for (cat, p), m, s in zip(raw.items(), means, mean_se, strict=True):
            if tau2 > 0:
                prec = 1 / s**2 + 1 / tau2
                mean = (m / s**2 + glob.mean / tau2) / prec
                var_mean = 1 / prec
            else:
                mean, var_mean = glob.mean, glob.mean_se**2
            sd = float(np.sqrt(p.sd**2 + var_mean))
            priors[cat] = Prior(float(mean), sd, p.n_products, float(np.sqrt(var_mean)))
        return priors, glob

    def _posterior(
        self, est: pd.DataFrame
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Posterior mean and sd per product, prior mean and source, has-own-estimate mask."""
        prior_mean = np.empty(len(est))
        prior_sd = np.empty(len(est))
        prior_src = np.empty(len(est), dtype=object)
        cats = est["category"].astype(str).to_numpy()
        codes, uniq = pd.factorize(cats)
        for j, cat in enumerate(uniq):
            pr = self.priors_.get(str(cat))
            src = "category"
            if pr is None:
                pr, src = self.global_prior_, "global"
            m = codes == j
            prior_mean[m], prior_sd[m], prior_src[m] = pr.mean, pr.sd, src
        b = est["own_elasticity"].to_numpy(float)
        se = est["own_se"].to_numpy(float)
        has = np.isfinite(b) & np.isfinite(se)
        prec = np.where(has, 1.0 / np.where(has, se, 1.0) ** 2, 0.0) + 1.0 / prior_sd**2
        post = (
            np.where(has, b, 0.0) * np.where(has, 1.0 / np.where(has, se, 1.0) ** 2, 0.0)
            + prior_mean / prior_sd**2
        ) / prec
        post_sd = 1.0 / np.sqrt(prec)
        return post, post_sd, prior_mean, prior_src, has

    def _shrink(self, est: pd.DataFrame) -> pd.DataFrame:
        post, post_sd, prior_mean, prior_src, has = self._posterior(est)
        out = est.copy()
        out["elasticity"] = post
        out["elasticity_sd"] = post_sd
        out["elasticity_lo"] = post - Z95 * post_sd
        out["elasticity_hi"] = post + Z95 * post_sd
        out["pooled"] = ~has
        out["source"] = np.where(has, "own+" + prior_src.astype(str), prior_src.astype(str))
        out["prior_elasticity"] = prior_mean
        # mean recent daily units, each day moved to the last price along the elasticity
        rec = self._recent
        e_map = pd.Series(post, index=est["product_id"].to_numpy())
        last_map = pd.Series(est["last_price"].to_numpy(float), index=est["product_id"].to_numpy())
        moved = rec["quantity"].to_numpy(float) * (
            rec["product_id"].map(last_map).to_numpy(float) / rec["price"].to_numpy(float)
        ) ** rec["product_id"].map(e_map).to_numpy(float)
        level = pd.Series(moved).groupby(rec["product_id"].to_numpy()).mean()
        out["base_daily_units"] = level.reindex(est["product_id"].to_numpy()).to_numpy()
        del self._recent
        return out

    def predict(self, product_ids: np.ndarray | list[object]) -> pd.DataFrame:
        """Estimates for these products; an unseen product gets the all-products prior."""
        est = self.estimates_.set_index("product_id")
        out = est.reindex(pd.Index(product_ids, name="product_id"))
        miss = out["elasticity"].isna()
        if miss.any():
            g = self.global_prior_
            out.loc[miss, "elasticity"] = g.mean
            out.loc[miss, "elasticity_sd"] = g.sd
            out.loc[miss, "elasticity_lo"] = g.mean - Z95 * g.sd
            out.loc[miss, "elasticity_hi"] = g.mean + Z95 * g.sd
            out.loc[miss, "pooled"] = True
            out.loc[miss, "source"] = "global"
        return out.reset_index()
