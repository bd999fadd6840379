"""Writes: the checkout risk decision, reviewer verdicts, rules/settings, model training."""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from fraud import selectors
from fraud.lists import DEFAULT_LISTS, looks_like_card_number, value_normalise
from fraud.ml.checkout import CHECKOUT_FEATURES, checkout_features, checkout_features_last
from fraud.ml.model import FraudClassifier, recent_holdout_start
from fraud.models import RiskAssessment, RiskList, RiskListItem, RiskRule, RiskSettings
from mlops import facade as mlops
from mlops.metrics.fraud import average_precision, roc_auc
from storefront.api_errors import ServiceError
from webhooks import facade as webhooks

logger = logging.getLogger(__name__)

CAPABILITY = "fraud"
LABEL_DELAY_DAYS = 30  # an order younger than this may still get a chargeback: not a negative
MIN_FRAUD_LABELS = 10
MIN_LABELLED_ROWS = 100
HOLDOUT_FRACTION = 0.2
MIN_HOLDOUT_FRAUD = 5  # fewer and the held-out AUC says little either way
MIN_HOLDOUT_AUC = 0.6  # below this a model is no better than chance: rules alone decide

Action = Literal["approve", "review", "decline"]
Level = Literal["normal", "elevated", "highest"]


@dataclass(frozen=True)
class Decision:
    action: Action
    score: float | None
    level: Level
    rules: list[str] = field(default_factory=list)
    reasons: list[dict[str, Any]] = field(default_factory=list)
    source: Literal["model", "rules_only"] = "rules_only"
    model_version: str | None = None
    features: dict[str, Any] = field(default_factory=dict)


def _level(score: float | None, settings: RiskSettings) -> Level:
    if score is None:
        return "normal"
    if score >= settings.highest_threshold:
        return "highest"
    if score >= settings.elevated_threshold:
        return "elevated"
    return "normal"


def risk_decide(
    *,
    values: dict[str, Any],
    score: float | None,
    rules: list[tuple[RiskRule, Any]],
    settings: RiskSettings,
    lists: selectors.ListHits | None = None,
) -> tuple[Action, Level, list[str]]:
    """Block lists, allow lists, allow rules, block rules, review rules, then the risk level.

    Returns (action, level, reasons: the lists that matched, "on block list <name>", or the
    names of the rules that fired). A value on a block list declines the order whatever
    else matches (block beats allow); on an allow list, it is approved without review (the
    score is still recorded). Then the first allow rule that fires approves the order;
    otherwise any block rule declines, any review rule holds. Without a score (no model)
    the level is 'normal' and only lists and rules can stop an order.
    """
    level = _level(score, settings)
    if lists is not None and lists.blocked:
        return "decline", level, [f"on block list {name}" for name in lists.blocked]
    if lists is not None and lists.allowed:
        return "approve", level, [f"on allow list {name}" for name in lists.allowed[:1]]
    fired: dict[str, list[str]] = {"allow": [], "block": [], "review": []}
    env = {**values, "score": score}
    for rule, compiled in rules:
        if compiled.matches(env, lists):
            fired[rule.action].append(rule.name)
    if fired["allow"]:
        return "approve", level, fired["allow"][:1]
    if fired["block"]:
        return "decline", level, fired["block"]
    if fired["review"]:
        return "review", level, fired["review"]
    if level == "highest":
        return ("decline" if settings.decline_highest else "review"), level, []
    if level == "elevated" and settings.review_elevated:
        return "review", level, []
    return "approve", level, []


def _jsonable(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else round(float(value), 4)
    return value


def order_risk_evaluate(*, order_id: int) -> Decision:
    """Features, model score (if a model is active) and merchant rules for one order."""
    ctx = selectors.checkout_context(order_id=order_id)
    feats = checkout_features_last(ctx.rows)
    values: dict[str, Any] = {k: _jsonable(v) for k, v in feats.items()}
    values.update(ctx.raw)
    # identity (e-mail, card, IP...) reaches rules and lists only: `features` below keeps
    # CHECKOUT_FEATURES, and the model scored `feats` above, which never held it
    values.update(ctx.identity)
    score: float | None = None
    reasons: list[dict[str, Any]] = []
    model_version: str | None = None
    loaded = mlops.model_active_get(capability=CAPABILITY)
    if loaded is not None:
        try:
            clf: FraudClassifier = loaded.artifact
            score, top = clf.score_one(feats, top_k=3)
            reasons = [
                {
                    "feature": r.feature,
                    "value": _jsonable(r.value),
                    "contribution": round(r.contribution, 3),
                }
                for r in top
            ]
            model_version = f"{CAPABILITY}-v{loaded.version}"
        except Exception:  # a broken artifact must not stop checkout: rules still decide
            logger.exception("fraud model failed on order %s; deciding on rules only", order_id)
            score, reasons, model_version = None, [], None
    action, level, fired = risk_decide(
        values=values,
        score=score,
        rules=selectors.rules_active(),
        settings=selectors.risk_settings_get(),
        lists=selectors.risk_list_hits(values=values),
    )
    return Decision(
        action=action,
        score=score,
        level=level,
        rules=fired,
        reasons=reasons,
        source="model" if score is not None else "rules_only",
        model_version=model_version,
        features={k: values[k] for k in CHECKOUT_FEATURES},
    )


def order_risk_assess(*, order_id: int) -> RiskAssessment:
    """Decide and store the assessment (one INSERT). Call inside a transaction: checkout's,
    through `facade.order_assess`, so the decision commits or rolls back with the order."""
    started = time.perf_counter()
    decision = order_risk_evaluate(order_id=order_id)
    return RiskAssessment.objects.create(
        order_id=order_id,
        score=decision.score,
        level=decision.level,
        action=decision.action,
        source=decision.source,
        model_version=decision.model_version or "",
        rules_triggered=decision.rules,
        reasons=decision.reasons,
        features=decision.features,
        latency_ms=(time.perf_counter() - started) * 1000,
    )


# --- review queue -----------------------------------------------------------------------------


BlockTarget = Literal["card", "email"]


@transaction.atomic
def review_decide(
    *,
    order_id: int,
    decision: Literal["approve", "cancel"],
    user_id: int | None,
    note: str = "",
    block: tuple[BlockTarget, ...] = (),
) -> RiskAssessment:
    """A reviewer's verdict: approve (genuine) or cancel (fraud). Becomes a training label.

    With `block` ("card", "email") a cancel also puts the order's card fingerprint on
    `blocked_cards` and/or its e-mail on `blocked_emails`, with the reviewer and the order
    as the reason: the next checkout with them is declined."""
    from orders import facade as orders

    if block and decision != "cancel":
        raise ServiceError(
            "only a rejected (cancelled) order can block its card or e-mail", field="decision"
        )

    assessment = RiskAssessment.objects.select_for_update().filter(order_id=order_id).first()
    if assessment is None:
        raise ServiceError("this order has no risk assessment", field="order_id", status=404)
    if assessment.review_outcome:
        raise ServiceError(
            f"already reviewed ({assessment.get_review_outcome_display()})", field="decision"
        )
    if decision == "approve":
        orders.order_approve(order_id, note or "approved after fraud review")
        assessment.review_outcome = RiskAssessment.Outcome.GENUINE
    else:
        orders.order_cancel(order_id, note or "cancelled as fraud after review")
        assessment.review_outcome = RiskAssessment.Outcome.FRAUD
    assessment.reviewed_at = timezone.now()
    assessment.reviewed_by_id = user_id
    assessment.save(update_fields=["review_outcome", "reviewed_at", "reviewed_by"])
    if block:
        _block_order_values(order_id=order_id, block=block, user_id=user_id)
    webhooks.event_emit(event="fraud.review_decided", order_id=order_id)
    return assessment


def _block_order_values(
    *, order_id: int, block: tuple[BlockTarget, ...], user_id: int | None
) -> None:
    order = selectors.order_identity(order_id=order_id)
    reason = f"rejected in fraud review (order {order.number})"
    targets = {
        "card": ("blocked_cards", order.card_fingerprint),
        "email": ("blocked_emails", order.email),
    }
    for what in dict.fromkeys(block):
        alias, value = targets[what]
        if not value:
            raise ServiceError(f"this order has no {what} to block", field="block")
        risk_list_item_add(
            risk_list=risk_list_default(alias=alias),
            value=value,
            reason=reason,
            added_by_id=user_id,
        )


# --- block and allow lists --------------------------------------------------------------------
# Values are personal data: no log line here carries one (nor do error messages).


def risk_list_default(*, alias: str) -> RiskList:
    """One of Radar's default lists (seeded by migration; re-created if it was deleted)."""
    for d_alias, name, item_type, kind, description in DEFAULT_LISTS:
        if d_alias == alias:
            found, created = RiskList.objects.get_or_create(
                alias=alias,
                defaults={
                    "name": name,
                    "item_type": item_type,
                    "kind": kind,
                    "description": description,
                },
            )
            if created:
                transaction.on_commit(rules_cache_clear)
            return found
    raise ServiceError(f"no default list @{alias}", field="alias", status=404, code="not_found")


def risk_list_value_normalise(*, risk_list: RiskList, value: object) -> str:
    """The stored form of `value`; ServiceError on `value` naming what is wrong. A card list
    also takes a full card number, stored only as its fingerprint."""
    if risk_list.item_type == RiskList.ItemType.CARD_FINGERPRINT and looks_like_card_number(
        str(value)
    ):
        from orders import facade as orders

        return orders.card_fingerprint(str(value).replace(" ", "").replace("-", ""))
    try:
        return value_normalise(risk_list.item_type, value)
    except ValueError as exc:
        raise ServiceError(str(exc), field="value") from None


@transaction.atomic
def risk_list_item_add(
    *,
    risk_list: RiskList,
    value: object,
    reason: str = "",
    added_by_id: int | None = None,
    expires_at: datetime | None = None,
) -> tuple[RiskListItem, bool]:
    """Put a value on a list: (item, True) when added, (existing item, False) when it was
    already there (its reason, author and expiry are then kept, unless it had expired:
    re-adding renews it)."""
    normalised = risk_list_value_normalise(risk_list=risk_list, value=value)
    item, created = RiskListItem.objects.get_or_create(
        risk_list=risk_list,
        value=normalised,
        defaults={
            "reason": reason[:200],
            "added_by_id": added_by_id,
            "expires_at": expires_at,
        },
    )
    if not created and item.is_expired:
        item.reason, item.added_by_id, item.expires_at = reason[:200], added_by_id, expires_at
        item.created_at = timezone.now()
        item.save(update_fields=["reason", "added_by", "expires_at", "created_at"])
        created = True
    return item, created


@transaction.atomic
def risk_list_item_remove(*, risk_list: RiskList, item_id: int) -> None:
    deleted, _ = RiskListItem.objects.filter(risk_list=risk_list, pk=item_id).delete()
    if not deleted:
        raise ServiceError("no such item on this list", status=404, code="not_found")


@dataclass(frozen=True)
class BulkAddResult:
    added: int
    already: int
    errors: list[tuple[int, str]]  # (line number, message); the message never repeats the value


def risk_list_items_bulk_add(
    *,
    risk_list: RiskList,
    lines: list[str],
    reason: str = "",
    added_by_id: int | None = None,
    expires_at: datetime | None = None,
) -> BulkAddResult:
    """One value per line (in a CSV, the first column; blank lines and lines starting with
    # are skipped). Invalid lines are reported by number; the valid ones are added together
    in one transaction (all or none of them)."""
    import csv

    values: list[str] = []
    errors: list[tuple[int, str]] = []
    for number, row in enumerate(csv.reader(line.lstrip("\ufeff") for line in lines), start=1):
        cell = row[0].strip() if row else ""
        if not cell or cell.startswith("#"):
            continue
        try:
            values.append(risk_list_value_normalise(risk_list=risk_list, value=cell))
        except ServiceError as exc:
            errors.append((number, exc.message))
    added = already = 0
    with transaction.atomic():
        for value in dict.fromkeys(values):
            _, created = risk_list_item_add(
                risk_list=risk_list,
                value=value,
                reason=reason,
                added_by_id=added_by_id,
                expires_at=expires_at,
            )
            added += created
            already += not created
    return BulkAddResult(added=added, already=already, errors=errors)


# --- merchant configuration -------------------------------------------------------------------


def rules_cache_clear() -> None:
    cache.delete(selectors.RULES_CACHE_KEY)
    cache.delete(selectors.SETTINGS_CACHE_KEY)


@transaction.atomic
def risk_rule_create(
    *, name: str, expression: str, action: str, position: int = 100, is_active: bool = True
) -> RiskRule:
    selectors.rule_compile_checked(expression)  # RuleSyntaxError on bad text
    if action not in RiskRule.Action.values:
        raise ServiceError(
            f"action must be one of {', '.join(RiskRule.Action.values)}", field="action"
        )
    rule = RiskRule.objects.create(
        name=name,
        expression=expression.strip(),
        action=action,
        position=position,
        is_active=is_active,
    )
    transaction.on_commit(rules_cache_clear)
    return rule


@transaction.atomic
def risk_rule_ensure(
    *, name: str, expression: str, action: str, position: int = 100
) -> tuple[RiskRule, bool]:
    """The rule called `name`, created if there is none (True) or the existing one as the
    merchant left it, edited or switched off (False)."""
    existing = RiskRule.objects.filter(name=name).order_by("pk").first()
    if existing is not None:
        return existing, False
    rule = risk_rule_create(name=name, expression=expression, action=action, position=position)
    # now as well as on commit: decisions later in this same transaction must see the rule
    rules_cache_clear()
    return rule, True


@transaction.atomic
def risk_settings_update(**changes: Any) -> RiskSettings:
    current = RiskSettings.objects.select_for_update().order_by("pk").first() or RiskSettings()
    for key, value in changes.items():
        setattr(current, key, value)
    current.full_clean()
    current.save()
    transaction.on_commit(rules_cache_clear)
    return current


# --- training ---------------------------------------------------------------------------------


def labelled_rows(
    frame: pd.DataFrame, *, now: datetime, delay_days: int = LABEL_DELAY_DAYS
) -> np.ndarray:
    """Rows whose label can be trusted: fraud (chargeback/reviewer), reviewer-approved, or old
    enough that a chargeback would have arrived by now."""
    old = frame["placed_at"] <= pd.Timestamp(now) - pd.Timedelta(days=delay_days)
    return (frame["label_fraud"].eq(1) | frame["reviewed_genuine"] | old).to_numpy()


def labels_observed_until(frame: pd.DataFrame, *, now: datetime) -> datetime:
    """The latest time the store's data speaks for: its last order or label, at most `now`.

    An order with no chargeback is a negative only once chargebacks have had time to come
    in after it. Chargebacks that would have arrived after the store's data stops (a history
    restored from a backup, a demo anchored in the past) never will, so maturity is counted
    to here, not to the wall clock: else the last weeks' undiscovered fraud became
    "genuine" and the held-out slice had no fraud at all.
    """
    last = frame["placed_at"].max()
    labelled = frame["fraud_known_at"].dropna()
    if not labelled.empty:
        last = max(last, labelled.max())
    return min(pd.Timestamp(now), last).to_pydatetime()


def roc_auc_lower_bound(auc: float, *, positives: int, negatives: int, z: float = 1.96) -> float:
    """Lower end of a ~95% interval around a ROC AUC (Hanley & McNeil 1982 standard error):
    on a dozen held-out frauds an AUC of 0.6 is as likely luck as skill."""
    if positives < 1 or negatives < 1:
        return 0.0
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (
        auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)
    ) / (positives * negatives)
    return auc - z * math.sqrt(max(var, 0.0))


def fraud_model_train(*, force: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """Fit the checkout model on the store's own orders and register it.

    Labels: chargebacks and reviewers' fraud verdicts are positives; reviewer approvals and
    orders older than LABEL_DELAY_DAYS (counted to the store's latest order or label) without
    a chargeback are negatives; younger orders only feed the features. The most recent
    labelled orders (20% of them, reaching back far enough to hold 20% of the frauds and at
    least MIN_HOLDOUT_FRAUD) are held back to measure AP and ROC AUC; the registered model is
    then refitted on all labelled orders. It becomes active only if it beats the active one
    and its held-out ROC AUC reaches MIN_HOLDOUT_AUC with a 95% interval above chance (or
    `force`); otherwise it stays a candidate, checkout keeps the previous model or rules
    only, and an alert on the model-ops page says why.
    """
    now = now or timezone.now()
    frame = selectors.training_frame(until=now)
    if frame.empty:
        return {"skipped": "no orders yet"}
    feats = checkout_features(frame)
    mask = labelled_rows(frame, now=labels_observed_until(frame, now=now))
    X, y = feats[mask], frame.loc[mask, "label_fraud"].to_numpy()
    times = frame.loc[mask, "placed_at"].to_numpy()
    if len(y) < MIN_LABELLED_ROWS or y.sum() < MIN_FRAUD_LABELS:
        return {"skipped": f"too few labels ({len(y)} orders, {int(y.sum())} fraud)"}
    cut = recent_holdout_start(
        y,
        fraction=HOLDOUT_FRACTION,
        min_positives=max(MIN_HOLDOUT_FRAUD, math.ceil(HOLDOUT_FRACTION * y.sum())),
    )
    metrics: dict[str, Any] = {
        "train_rows": int(len(y)),
        "fraud_labels": int(y.sum()),
        "holdout_rows": int(len(y) - cut),
        "holdout_fraud": int(y[cut:].sum()),
    }
    if y[cut:].sum() >= MIN_HOLDOUT_FRAUD and y[:cut].sum() > 0:
        held = FraudClassifier(random_state=0).fit(X.iloc[:cut], y[:cut], times=times[:cut])
        p = held.predict_proba(X.iloc[cut:])
        auc = roc_auc(y[cut:], p)
        metrics.update(
            average_precision=average_precision(y[cut:], p),
            roc_auc=auc,
            roc_auc_lower=roc_auc_lower_bound(
                auc, positives=metrics["holdout_fraud"], negatives=int((y[cut:] == 0).sum())
            ),
            holdout_fraud_rate=float(y[cut:].mean()),  # the AP of a model that ranks at random
        )
    # no measurement, no made-up one (this used to write AUC 0.5, AP 0): the gate refuses it
    clf = FraudClassifier(random_state=0).fit(X, y, times=times)
    fingerprint = hashlib.sha256(
        pd.util.hash_pandas_object(frame[["order_id", "label_fraud"]], index=False)
        .to_numpy()
        .tobytes()
    ).hexdigest()
    register: dict[str, Any] = {
        "capability": CAPABILITY,
        "artifact": clf,
        "params": {
            "features": CHECKOUT_FEATURES,
            "label_delay_days": LABEL_DELAY_DAYS,
            "n_trees": clf.n_trees_,
        },
        "metrics": metrics,
        "primary_metric": "average_precision",
        "higher_is_better": True,
        "train_window": (frame["placed_at"].min().to_pydatetime(), now),
        "data_fingerprint": fingerprint,
    }
    # the registry applies fraud's gate (facade.activation_gate), keeps a refused model as a
    # candidate and raises the alert; checkout keeps the previous model or rules only
    info = mlops.model_version_register_and_activate(**register, force=force)
    return {**metrics, "version": info.label, "activated": info.activated, "reason": info.reason}
