"""Writes for pricing: training, proposals, the approval workflow, competitor price imports."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from catalog import facade as catalog
from catalog.money import q2
from mlops import facade as mlops
from pricing import selectors
from pricing.ml.elasticity import ElasticityEstimator
from pricing.ml.optimizer import PriceOptimizer, bound_names
from pricing.ml.pipeline import products_with_estimates
from pricing.models import CompetitorPrice, ElasticityEstimate, PriceProposal
from storefront.api_errors import ServiceError

logger = logging.getLogger(__name__)
CAPABILITY = "pricing"
# Automatic repricing moves a product at most once in this window. The nightly cycle is the
# only automatic writer, so a cycle redelivered after its worker died (acks_late) re-proposes
# but does not step an already-moved price a second time.
AUTO_APPLY_COOLDOWN = timedelta(hours=20)
HOLDOUT_DAYS = 28


# ------------------------------------------------------------------------------ training
def _holdout_metrics(hist: pd.DataFrame, categories: pd.DataFrame) -> dict[str, float]:
    """Fit on all but the last HOLDOUT_DAYS, predict each product's units over them at the
    prices actually charged; WAPE of the model and of a no-price-effect baseline."""
    cutoff = hist["date"].max() - pd.Timedelta(days=HOLDOUT_DAYS - 1)
    train, test = hist[hist["date"] < cutoff], hist[hist["date"] >= cutoff]
    if train["date"].nunique() < HOLDOUT_DAYS or test.empty:
        return {}
    est = ElasticityEstimator().fit(train, categories).estimates_.set_index("product_id")
    test = test[test["product_id"].isin(est.index)]
    e = test["product_id"].map(est["elasticity"]).to_numpy(float)
    base = test["product_id"].map(est["base_daily_units"]).to_numpy(float)
    last = test["product_id"].map(est["last_price"]).to_numpy(float)
    ok = np.isfinite(base) & np.isfinite(last)
    test, e, base, last = test[ok], e[ok], base[ok], last[ok]
    if test.empty or test["quantity"].sum() <= 0:
        return {}
    pred = base * (test["price"].to_numpy(float) / last) ** e
    actual = test.groupby("product_id")["quantity"].sum()
    model = pd.Series(pred).groupby(test["product_id"].to_numpy()).sum()
    flat = pd.Series(base).groupby(test["product_id"].to_numpy()).sum()
    denom = float(actual.sum())
    return {
        "holdout_wape": float((model - actual).abs().sum() / denom),
        "holdout_wape_no_price_effect": float((flat - actual).abs().sum() / denom),
    }


def pricing_model_train(*, force: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """Estimate elasticities from the store's sales, register the model, store the estimates of
    the active version and make proposals. Empty store -> {"skipped": reason}."""
    now = now or timezone.now()
    hist = selectors.sales_history_frame(now=now)
    if hist.empty or float(hist["quantity"].sum()) <= 0:
        return {"skipped": "no sales history yet"}
    products = catalog.products_frame()
    categories = products[["product_id", "category_id"]].rename(columns={"category_id": "category"})
    categories["category"] = categories["category"].astype(str)
    metrics = _holdout_metrics(hist, categories)
    est = ElasticityEstimator().fit(hist, categories)
    e = est.estimates_
    metrics.update(
        {
            "n_products": len(e),
            "own_estimates": int((~e["pooled"]).sum()),
            "median_elasticity": float(e["elasticity"].median()),
        }
    )
    fingerprint = hashlib.sha256(
        pd.util.hash_pandas_object(hist, index=False).to_numpy().tobytes()
    ).hexdigest()
    info = mlops.model_version_register_and_activate(
        force=force,
        replace="holdout_wape" not in metrics,  # nothing to compare: newest data wins
        capability=CAPABILITY,
        artifact=est,
        params={k: v for k, v in vars(est).items() if not k.endswith("_")},
        metrics=metrics,
        primary_metric="holdout_wape",
        higher_is_better=False,
        train_window=(
            timezone.make_aware(hist["date"].min().to_pydatetime()),
            timezone.make_aware(hist["date"].max().to_pydatetime()),
        ),
        data_fingerprint=fingerprint,
    )
    summary: dict[str, Any] = {
        **metrics,
        "version": info.label,
        "activated": info.activated,
        "reason": info.reason,
    }
    if info.activated:
        elasticity_estimates_store(estimator=est, model_version=info.label)
    summary.update(price_proposals_generate(now=now))
    return summary


@transaction.atomic
def elasticity_estimates_store(*, estimator: ElasticityEstimator, model_version: str) -> int:
    e = estimator.estimates_
    known = set(catalog.products_frame()["product_id"].tolist())
    rows = []
    for r in e.itertuples(index=False):
        pid = int(r.product_id)  # type: ignore[arg-type]
        if pid not in known:
            continue
        rows.append(
            ElasticityEstimate(
                product_id=pid,
                elasticity=float(r.elasticity),  # type: ignore[arg-type]
                elasticity_low=float(r.elasticity_lo),  # type: ignore[arg-type]
                elasticity_high=float(r.elasticity_hi),  # type: ignore[arg-type]
                own_estimate=None if pd.isna(r.own_elasticity) else float(r.own_elasticity),  # type: ignore[arg-type]
                pooled=bool(r.pooled),
                source=str(r.source),
                n_days=int(r.n_obs),  # type: ignore[call-overload]
                n_stockout_days=int(r.n_stockout_days),  # type: ignore[call-overload]
                base_daily_units=None if pd.isna(r.base_daily_units) else float(r.base_daily_units),  # type: ignore[arg-type]
                model_version=model_version,
            )
        )
    ElasticityEstimate.objects.all().delete()
    ElasticityEstimate.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


# ----------------------------------------------------------------------------- proposals
def _dec(x: float) -> Decimal:
    return q2(Decimal(str(round(float(x), 4))))


def _dec_or_none(x: float | None) -> Decimal | None:
    return None if x is None or not np.isfinite(x) else _dec(x)


def proposal_frame(*, now: datetime) -> pd.DataFrame:
    """Active products with their effective guardrails, in the optimiser's columns."""
    products = catalog.products_frame()
    products = products[products["is_active"]].reset_index(drop=True)
    if products.empty:
        return products
    glob, by_cat = selectors.policies_by_category()
    pol = [by_cat.get(int(c), glob) for c in products["category_id"]]
    ids = products["product_id"].tolist()
    comp = selectors.competitor_lowest(product_ids=ids, since=now - timedelta(days=7))
    bounds = selectors.price_bounds()
    changes = selectors.pricing_changes_since(since=now - timedelta(days=7))

    def num(v: Decimal | int | None) -> float:
        return float(v) if v is not None else np.nan

    today = timezone.localtime(now).date()
    frame = pd.DataFrame(
        {
            "product_id": products["product_id"].astype(int),
            "category": products["category_id"].astype(str),
            "cost": products["cost"].astype(float),
            "current_price": products["price"].astype(float),
            "list_price": products["list_price"].astype(float),
            "stock": (products["on_hand"].fillna(0) - products["reserved"].fillna(0)).clip(lower=0),
            "enabled": [p.enabled for p in pol],
            "objective": [p.objective for p in pol],
            "min_margin": [num(p.min_margin_pct) / 100 for p in pol],
            "max_change_pct": [num(p.max_change_pct) for p in pol],
            "max_discount_pct": [num(p.max_discount_pct) for p in pol],
            "max_changes_per_week": [num(p.max_changes_per_week) for p in pol],
            "competitor_cap_pct": [num(p.competitor_cap_pct) for p in pol],
            "min_change_pct": [num(p.min_change_pct) for p in pol],
            "auto_approve_below_pct": [num(p.auto_approve_below_pct) for p in pol],
            "explore_pct": [num(p.explore_pct) for p in pol],
            "horizon_days": [
                max((p.sell_through_by - today).days, 1)
                if p.objective == "sell_through" and p.sell_through_by
                else p.horizon_days
                for p in pol
            ],
        }
    )
    frame["competitor_price"] = [num(comp.get(pid)) for pid in ids]
    frame.loc[frame["competitor_cap_pct"].isna(), "competitor_price"] = np.nan
    frame["floor_price"] = [num(bounds.get(pid, (None, None))[0]) for pid in ids]
    frame["ceiling_price"] = [num(bounds.get(pid, (None, None))[1]) for pid in ids]
    frame["changes_last_7d"] = [changes.get(pid, 0) for pid in ids]
    return frame[frame["enabled"]].reset_index(drop=True)


def price_proposals_generate(*, now: datetime | None = None) -> dict[str, Any]:
    """Propose a price per active product from the active model; small changes are applied at
    once where the category allows auto-approval. No model -> {"skipped": ...}."""
    now = now or timezone.now()
    loaded = mlops.model_active_get(capability=CAPABILITY)
    if loaded is None:
        return {"skipped": "no active pricing model"}
    frame = proposal_frame(now=now)
    if frame.empty:
        return {"proposals": 0, "auto_applied": 0}
    frame = products_with_estimates(frame, loaded.artifact)
    result = PriceOptimizer().propose(frame)
    result["is_experiment"] = False
    _experiments(frame, result, now)
    label = f"{CAPABILITY}-v{loaded.version}"
    new: list[PriceProposal] = []
    thresholds: list[float] = []
    for row, settings_row in zip(result.to_dict("records"), frame.to_dict("records"), strict=True):
        if not row["changed"]:
            continue
        thresholds.append(float(settings_row["auto_approve_below_pct"]))
        new.append(
            PriceProposal(
                product_id=int(row["product_id"]),
                objective=row["objective"],
                current_price=_dec(row["current_price"]),
                proposed_price=_dec(row["recommended_price"]),
                cost=_dec(settings_row["cost"]),
                allowed_min=_dec(row["allowed_min"]),
                allowed_max=_dec_or_none(row["allowed_max"]),
                elasticity=float(row["elasticity"]),
                elasticity_low=float(row.get("elasticity_lo", row["elasticity"])),
                elasticity_high=float(row.get("elasticity_hi", row["elasticity"])),
                pooled=bool(row.get("pooled", False)),
                units_current=float(np.nan_to_num(row["units_current"])),
                units_new=float(np.nan_to_num(row["units_new"])),
                revenue_current=_dec(np.nan_to_num(row["revenue_current"])),
                revenue_new=_dec(np.nan_to_num(row["revenue_new"])),
                profit_current=_dec(np.nan_to_num(row["profit_current"])),
                profit_new=_dec(np.nan_to_num(row["profit_new"])),
                bound_by=row["bound"][:200],
                conflicts=row["conflicts"][:200],
                model_version=label,
                created_at=now,
                is_experiment=bool(row["is_experiment"]),
                note="price experiment: no usable price history" if row["is_experiment"] else "",
            )
        )
    with transaction.atomic():
        # a new cycle replaces the previous cycle's open proposals (also where it now holds)
        PriceProposal.objects.filter(
            product_id__in=frame["product_id"].astype(int).tolist(),
            status=PriceProposal.Status.PENDING,
        ).update(status=PriceProposal.Status.SUPERSEDED, decided_at=now)
        created = PriceProposal.objects.bulk_create(new, batch_size=1000)
    auto = 0
    recently_moved = set(
        PriceProposal.objects.filter(
            auto_applied=True, decided_at__gte=now - AUTO_APPLY_COOLDOWN
        ).values_list("product_id", flat=True)
    )
    for proposal, threshold in zip(created, thresholds, strict=True):
        change = abs(float(proposal.proposed_price / proposal.current_price - 1)) * 100
        if proposal.product_id in recently_moved:
            continue  # stays pending for a person
        if np.isfinite(threshold) and change < threshold and not proposal.conflicts:
            try:
                price_proposal_apply(proposal_id=proposal.pk, auto=True)
                auto += 1
            except ServiceError as exc:
                logger.info("auto-apply of proposal %s refused: %s", proposal.pk, exc.message)
    return {"proposals": len(created), "auto_applied": auto}


def _experiments(frame: pd.DataFrame, result: pd.DataFrame, now: datetime) -> None:
    """Where the policy allows it, a product without own price history (pooled estimate) gets
    a test price around the model's price: +x% in even ISO weeks, -x% in odd ones, clipped to
    its guardrails (so a guardrail still wins). Updates `result` in place."""
    pct = frame["explore_pct"].to_numpy(float)
    pooled = frame["pooled"].to_numpy(bool)
    todo = np.isfinite(pct) & (pct > 0) & pooled
    todo &= result["conflicts"].to_numpy(str) == ""
    if not todo.any():
        return
    sign = 1.0 if timezone.localtime(now).isocalendar().week % 2 == 0 else -1.0
    p0 = result["current_price"].to_numpy(float)
    centre = result["recommended_price"].to_numpy(float)
    target = np.round(centre * (1 + sign * pct / 100), 2)
    lo = result["allowed_min"].to_numpy(float)
    hi = result["allowed_max"].to_numpy(float)
    test = np.clip(target, lo, hi)
    todo &= np.abs(test - p0) >= 0.005
    e = result["elasticity"].to_numpy(float)
    base = frame["base_daily_units"].to_numpy(float)
    cost = frame["cost"].to_numpy(float)
    units = np.nan_to_num(base) * (test / p0) ** e
    idx = np.flatnonzero(todo)
    result.loc[idx, "recommended_price"] = test[idx]
    result.loc[idx, "units_new"] = units[idx]
    result.loc[idx, "revenue_new"] = (test * units)[idx]
    result.loc[idx, "profit_new"] = ((test - cost) * units)[idx]
    result.loc[idx, "changed"] = True
    result.loc[idx, "is_experiment"] = True
    names = bound_names(frame.iloc[idx], test[idx])
    result.loc[idx, "bound"] = [",".join(n) for n in names]


def price_proposal_apply(
    *, proposal_id: int, user_id: int | None = None, auto: bool = False, note: str = ""
) -> PriceProposal:
    """Approve and apply: the new price goes to the catalogue and its price history.

    Refused (409) when the proposal is no longer pending or the price changed since it was
    made (the proposal is then withdrawn); refused (400) when today's cost and policy no
    longer allow the price, since a guardrail always wins over an earlier proposal."""
    with transaction.atomic():
        proposal = PriceProposal.objects.select_for_update().get(pk=proposal_id)
        if proposal.status != PriceProposal.Status.PENDING:
            raise ServiceError(f"proposal #{proposal_id} is already {proposal.status}", status=409)
        info = catalog.product_get(proposal.product_id)
        if info.price == proposal.current_price:
            policy = selectors.policy_for_category(category_id=info.category_id)
            floor = q2(info.cost * (1 + policy.min_margin_pct / 100))
            if proposal.proposed_price < floor:
                raise ServiceError(
                    f"{proposal.proposed_price} is below the minimum-margin price {floor} "
                    "at today's cost",
                    field="proposed_price",
                )
            catalog.product_price_set(
                product_id=proposal.product_id,
                price=proposal.proposed_price,
                source="pricing",
                reason=f"proposal #{proposal.pk}" + (" (auto)" if auto else ""),
                user_id=user_id,
            )
            proposal.status = PriceProposal.Status.APPLIED
            proposal.decided_at = timezone.now()
            proposal.decided_by_id = user_id
            proposal.auto_applied = auto
            proposal.note = note[:200]
            proposal.save(
                update_fields=["status", "decided_at", "decided_by", "auto_applied", "note"]
            )
            return proposal
        proposal.status = PriceProposal.Status.SUPERSEDED
        proposal.decided_at = timezone.now()
        proposal.note = "price changed since the proposal"
        proposal.save(update_fields=["status", "decided_at", "note"])
    raise ServiceError(
        f"the price of product {proposal.product_id} changed since proposal #{proposal_id}; "
        "it was withdrawn",
        status=409,
        code="stale",
    )


@transaction.atomic
def price_proposal_reject(
    *, proposal_id: int, user_id: int | None = None, note: str = ""
) -> PriceProposal:
    proposal = PriceProposal.objects.select_for_update().get(pk=proposal_id)
    if proposal.status != PriceProposal.Status.PENDING:
        raise ServiceError(f"proposal #{proposal_id} is already {proposal.status}", status=409)
    proposal.status = PriceProposal.Status.REJECTED
    proposal.decided_at = timezone.now()
    proposal.decided_by_id = user_id
    proposal.note = note[:200]
    proposal.save(update_fields=["status", "decided_at", "decided_by", "note"])
    return proposal


def price_proposals_decide(
    *, proposal_ids: Iterable[int], approve: bool, user_id: int | None = None
) -> dict[str, Any]:
    """Bulk approve (apply) or reject; each proposal on its own, so one stale proposal does not
    block the rest. Returns counts and the refusals with their reasons."""
    done, refused = 0, []
    for pid in sorted(set(proposal_ids)):
        try:
            if approve:
                price_proposal_apply(proposal_id=pid, user_id=user_id)
            else:
                price_proposal_reject(proposal_id=pid, user_id=user_id)
            done += 1
        except (ServiceError, PriceProposal.DoesNotExist) as exc:
            refused.append({"id": pid, "reason": getattr(exc, "message", "not found")})
    return {"done": done, "refused": refused}


# ----------------------------------------------------------------------- competitor feed
@dataclass
class ImportReport:
    received: int = 0
    accepted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _parse_when(value: Any, now: datetime) -> tuple[datetime | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return now, None
    dt: datetime | None
    if isinstance(value, datetime):
        dt = value
    else:
        text = str(value).strip()
        dt = parse_datetime(text)
        if dt is None:
            d = parse_date(text) if len(text) == 10 else None
            dt = datetime(d.year, d.month, d.day) if d else None
        if dt is None:
            return None, f"observed_at {text!r} is not an ISO 8601 date or time"
    if timezone.is_naive(dt):
        dt = timezone.make_aware(dt)
    if dt > now + timedelta(hours=1):
        return None, "observed_at is in the future"
    return dt, None


def competitor_prices_import(
    *,
    rows: Iterable[Mapping[str, Any]],
    source: str = "api",
    first_row_number: int = 1,
    now: datetime | None = None,
) -> ImportReport:
    """Store competitor prices (sku, competitor, price[, observed_at]). Each bad row (unknown
    SKU, missing competitor, a price that is not a positive amount, a bad or future time) is
    rejected with its reasons; the valid rows are stored together in one transaction."""
    now = now or timezone.now()
    rows = list(rows)
    report = ImportReport(received=len(rows))
    products = catalog.products_frame()
    by_sku = dict(zip(products["sku"].astype(str), products["product_id"].astype(int), strict=True))
    valid: list[CompetitorPrice] = []
    for number, row in enumerate(rows, start=first_row_number):
        errors: list[str] = []
        sku = str(row.get("sku") or "").strip()
        product_id = by_sku.get(sku)
        if not sku:
            errors.append("sku is missing")
        elif product_id is None:
            errors.append(f"unknown sku {sku!r}")
        competitor = str(row.get("competitor") or "").strip()
        if not competitor:
            errors.append("competitor is missing")
        elif len(competitor) > 80:
            errors.append("competitor is longer than 80 characters")
        raw = row.get("price")
        price: Decimal | None = None
        try:
            price = Decimal(str(raw).strip())
            if not price.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors.append(f"price {raw!r} is not a number")
            price = None
        if price is not None and price <= 0:
            errors.append(f"price {raw!r} must be positive")
        elif price is not None and price >= Decimal("1e10"):
            errors.append(f"price {raw!r} is too large")
        when, err = _parse_when(row.get("observed_at"), now)
        if err:
            errors.append(err)
        if errors or product_id is None or when is None or price is None:
            report.rejected.append({"row": number, "sku": sku, "errors": errors})
            continue
        valid.append(
            CompetitorPrice(
                product_id=product_id,
                competitor=competitor,
                price=q2(price),  # type: ignore[arg-type]
                observed_at=when,
                source=source,
            )
        )
    with transaction.atomic():
        CompetitorPrice.objects.bulk_create(valid, batch_size=1000)
    report.accepted = len(valid)
    return report


def competitor_prices_import_csv(*, text: str, now: datetime | None = None) -> ImportReport:
    """CSV with a header: sku,competitor,price[,observed_at]; rows are numbered as lines."""
    # newline="" lets the csv module handle \r\n, lone \r and newlines inside quoted fields.
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        missing = {"sku", "competitor", "price"} - set(reader.fieldnames or [])
        if missing:
            raise ServiceError(
                "CSV header must contain sku, competitor, price; "
                f"missing {', '.join(sorted(missing))}",
                field="file",
            )
        rows = list(reader)
    except csv.Error as exc:
        raise ServiceError(f"not a readable CSV file: {exc}", field="file") from exc
    return competitor_prices_import(rows=rows, source="csv", first_row_number=2, now=now)
