"""Model registry writes: register, activate (only if better), roll back, training runs."""

import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import joblib
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from mlops import gates
from mlops.models import Alert, ModelVersion, TrainingRun
from storefront.api_errors import ServiceError

logger = logging.getLogger(__name__)


def active_cache_key(capability: str) -> str:
    return f"mlops:active:{capability}"


@dataclass(frozen=True)
class ActivationResult:
    activated: bool
    reason: str
    gate_refused: bool = False  # the capability's gate, not the active version, said no


def _serialize(artifact: Any) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(artifact, buffer, compress=3)
    return buffer.getvalue()


def model_version_register(
    *,
    capability: str,
    artifact: Any,
    params: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    primary_metric: str = "",
    higher_is_better: bool = True,
    train_window: tuple[datetime | None, datetime | None] = (None, None),
    data_fingerprint: str = "",
    note: str = "",
) -> ModelVersion:
    """Store a trained artifact (joblib, through Django storage) as a new candidate version."""
    payload = _serialize(artifact)
    digest = hashlib.sha256(payload).hexdigest()
    for _attempt in range(5):  # two trainers finishing together race for the next number
        try:
            with transaction.atomic():
                last = ModelVersion.objects.filter(capability=capability).aggregate(
                    m=Max("version")
                )["m"]
                number = (last or 0) + 1
                version = ModelVersion(
                    capability=capability,
                    version=number,
                    sha256=digest,
                    size_bytes=len(payload),
                    params=params or {},
                    metrics=metrics or {},
                    primary_metric=primary_metric,
                    higher_is_better=higher_is_better,
                    train_window_start=train_window[0],
                    train_window_end=train_window[1],
                    data_fingerprint=data_fingerprint,
                    note=note,
                )
                version.artifact.save(
                    f"{capability}-v{number}-{digest[:12]}.joblib", ContentFile(payload), save=False
                )
                version.save()
                return version
        except IntegrityError:
            continue
    raise ServiceError(f"could not allocate a version number for {capability}")


def _publish_active(capability: str, version_id: int) -> None:
    # Forget now (this transaction reads the DB), publish for other processes once committed.
    cache.delete(active_cache_key(capability))
    transaction.on_commit(lambda: cache.set(active_cache_key(capability), version_id, None))


def _is_better(candidate: ModelVersion, active: ModelVersion) -> bool:
    new, old = candidate.primary_value, active.primary_value
    if new is None:
        return False
    if old is None:
        return True
    return new >= old if candidate.higher_is_better else new <= old


def _gate_refusal(candidate: ModelVersion, active: ModelVersion | None, *, enforce: bool) -> str:
    """Check the capability's gate and record its verdict on the candidate (also when forced,
    so the page shows what was overruled); the refusal text, "" when it passes or is not
    enforced. A refusal also goes to the version's note and to a de-duplicated alert."""
    verdict = gates.gate_check(capability=candidate.capability, metrics=candidate.metrics)
    candidate.gate = verdict.as_dict()
    if verdict.passed or not enforce:
        candidate.save(update_fields=["gate"])
        return ""
    reason = gates.refusal_text(
        capability=candidate.capability,
        verdict=verdict,
        keeps_version=active.version if active else None,
        gate=gates.gate_for(candidate.capability),
    )
    candidate.note = reason[:300]
    candidate.save(update_fields=["gate", "note"])
    alert_raise(
        capability=candidate.capability,
        message=f"{candidate.capability}-v{candidate.version} {reason}"[:500],
        key=f"gate:{verdict.code}",
    )
    return reason


@transaction.atomic
def model_version_activate(
    *, version_id: int, force: bool = False, replace: bool = False, user_id: int | None = None
) -> ActivationResult:
    """Promote a version if it passes its capability's gate (``mlops.gates``) and beats the
    active one on its primary metric. ``replace`` skips only the comparison with the active
    version (trainers whose scores are not comparable between runs); ``force`` skips both.
    A refused version stays a candidate with the reason in its ``note``."""
    candidate = ModelVersion.objects.select_for_update().get(pk=version_id)
    active = (
        ModelVersion.objects.select_for_update()
        .filter(capability=candidate.capability, status=ModelVersion.Status.ACTIVE)
        .first()
    )
    if active is not None and active.pk == candidate.pk:
        return ActivationResult(False, "already active")
    if refusal := _gate_refusal(candidate, active, enforce=not force):
        return ActivationResult(False, refusal, gate_refused=True)
    if active is not None and not force and not replace and not _is_better(candidate, active):
        reason = (
            f"{candidate.primary_metric}={candidate.primary_value} does not beat "
            f"active v{active.version} ({active.primary_value})"
        )
        candidate.note = f"not activated: {reason}"[:300]
        candidate.save(update_fields=["note"])
        return ActivationResult(False, reason)
    if active is not None:
        active.status = ModelVersion.Status.RETIRED
        active.save(update_fields=["status"])
    candidate.status = ModelVersion.Status.ACTIVE
    candidate.activated_at = timezone.now()
    candidate.activated_by_id = user_id
    candidate.previous = active
    fields = ["status", "activated_at", "activated_by", "previous"]
    if candidate.note.startswith("not activated"):  # the refusal is history now
        candidate.note = f"forced past: {candidate.note}"[:300] if force else ""
        fields.append("note")
    candidate.save(update_fields=fields)
    _publish_active(candidate.capability, candidate.pk)
    return ActivationResult(True, "activated" if active is None or not force else "forced")


@transaction.atomic
def model_version_rollback(*, capability: str, user_id: int | None = None) -> ModelVersion:
    """Re-activate the version that was active before the current one."""
    active = (
        ModelVersion.objects.select_for_update()
        .filter(capability=capability, status=ModelVersion.Status.ACTIVE)
        .first()
    )
    if active is None:
        raise ServiceError(f"{capability} has no active version to roll back")
    previous = active.previous
    if previous is None:
        previous = (
            ModelVersion.objects.filter(capability=capability, version__lt=active.version)
            .exclude(status=ModelVersion.Status.ACTIVE)
            .order_by("-version")
            .first()
        )
    if previous is None:
        raise ServiceError(f"{capability} v{active.version} has no earlier version")
    active.status = ModelVersion.Status.RETIRED
    active.save(update_fields=["status"])
    previous.status = ModelVersion.Status.ACTIVE
    previous.activated_at = timezone.now()
    previous.activated_by_id = user_id
    previous.save(update_fields=["status", "activated_at", "activated_by"])
    _publish_active(capability, previous.pk)
    return previous


def alert_raise(
    *, capability: str, message: str, level: str = Alert.Level.WARNING, key: str = ""
) -> Alert:
    """Record an alert once. A repeat while it is open (same ``key``, or without a key the
    same message) updates that alert: latest message and level, ``count`` + 1, ``last_seen_at``.
    A different key, or a repeat after the alert was resolved, makes a new alert."""
    now = timezone.now()
    for _attempt in range(3):  # two workers raising the same new alert: one insert wins
        try:
            with transaction.atomic():
                same = Alert.objects.filter(capability=capability, resolved_at__isnull=True)
                same = same.filter(key=key) if key else same.filter(key="", message=message)
                existing = same.select_for_update().order_by("pk").first()
                if existing is None:
                    return Alert.objects.create(
                        capability=capability,
                        message=message,
                        level=level,
                        key=key,
                        last_seen_at=now,
                    )
                existing.message, existing.level = message, level
                existing.count += 1
                existing.last_seen_at = now
                existing.save(update_fields=["message", "level", "count", "last_seen_at"])
                return existing
        except IntegrityError:
            continue
    raise ServiceError(f"could not record the alert for {capability}")


def training_run_start(*, capability: str, triggered_by_id: int | None = None) -> TrainingRun:
    return TrainingRun.objects.create(
        capability=capability,
        status=TrainingRun.Status.RUNNING,
        started_at=timezone.now(),
        triggered_by_id=triggered_by_id,
    )


def _training_run_claim(
    *, capability: str, run_id: int | None, task_id: str, triggered_by_id: int | None
) -> TrainingRun:
    with transaction.atomic():
        if run_id is not None:
            run = TrainingRun.objects.select_for_update().get(pk=run_id)
        elif task_id:
            run, _ = TrainingRun.objects.select_for_update().get_or_create(
                capability=capability,
                task_id=task_id,
                defaults={"triggered_by_id": triggered_by_id},
            )
        else:
            run = TrainingRun.objects.create(capability=capability, triggered_by_id=triggered_by_id)
        if run.finished_at is None:
            if run.attempts:
                logger.warning(
                    "training run %s of %s restarted (attempt %s): its worker was lost",
                    run.pk,
                    capability,
                    run.attempts + 1,
                )
            run.status = TrainingRun.Status.RUNNING
            run.started_at = timezone.now()
            run.attempts += 1
            if task_id and not run.task_id:
                run.task_id = task_id
            run.save(update_fields=["status", "started_at", "attempts", "task_id"])
    return run


def training_run_progress(*, run_id: int, progress: int, message: str = "") -> None:
    TrainingRun.objects.filter(pk=run_id).update(
        progress=min(max(progress, 0), 100), message=message
    )


def training_run_finish(
    *,
    run_id: int,
    status: str,
    summary: dict[str, Any] | None = None,
    message: str = "",
    model_version_id: int | None = None,
) -> None:
    TrainingRun.objects.filter(pk=run_id).update(
        status=status,
        progress=100,
        summary=summary or {},
        message=message[:2000],
        model_version_id=model_version_id,
        finished_at=timezone.now(),
    )


def capability_train(
    *,
    capability: str,
    force: bool = False,
    run_id: int | None = None,
    triggered_by_id: int | None = None,
    task_id: str = "",
) -> TrainingRun:
    """Run one capability's ``facade.train`` under a TrainingRun record (admin, beat, demo).

    Safe to redeliver: a Celery task that comes back after its worker died (acks_late)
    finds its run by ``run_id`` or ``task_id`` and trains again under that same record; a run
    that already finished is returned as it is, so nothing is trained or applied twice."""
    from importlib import import_module

    from django.conf import settings

    if capability not in settings.ML_CAPABILITIES:
        raise ServiceError(f"unknown capability {capability!r}", field="capability")
    run = _training_run_claim(
        capability=capability, run_id=run_id, task_id=task_id, triggered_by_id=triggered_by_id
    )
    if run.finished_at is not None:
        return run
    try:
        facade = import_module(f"{capability}.facade")
        train = getattr(facade, "train", None)
        if train is None:
            training_run_finish(
                run_id=run.pk, status=TrainingRun.Status.SKIPPED, message="no trainer yet"
            )
        else:
            from mlops.facade import jsonable

            summary = jsonable(train(force=force) or {})
            status = (
                TrainingRun.Status.SKIPPED if "skipped" in summary else TrainingRun.Status.SUCCEEDED
            )
            latest = (
                ModelVersion.objects.filter(capability=capability, created_at__gte=run.started_at)
                .order_by("-version")
                .first()
            )
            training_run_finish(
                run_id=run.pk,
                status=status,
                summary=summary,
                message=str(summary.get("skipped", "")),
                model_version_id=latest.pk if latest else None,
            )
    except Exception as exc:
        logger.exception("training %s failed", capability)
        training_run_finish(run_id=run.pk, status=TrainingRun.Status.FAILED, message=repr(exc))
        alert_raise(capability=capability, message=f"Training failed: {exc!r}"[:500], level="error")
    run.refresh_from_db()
    return run
