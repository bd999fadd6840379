"""The model registry as other apps use it. See docs/DEVELOPING.md."""

import json
import logging
from dataclasses import dataclass
from typing import Any

from mlops import selectors, services
from mlops.gates import AucAboveChanceGate, BaselineGate
from mlops.selectors import ArtifactIntegrityError, LoadedModel

__all__ = [
    "ArtifactIntegrityError",
    "AucAboveChanceGate",
    "BaselineGate",
    "LoadedModel",
    "ModelVersionInfo",
    "model_active_get",
    "model_version_activate",
    "model_version_register",
    "model_version_register_and_activate",
    "model_version_rollback",
    "training_run_start",
    "training_run_progress",
    "training_run_finish",
    "alert_raise",
    "jsonable",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelVersionInfo:
    id: int
    capability: str
    version: int
    status: str
    metrics: dict[str, Any]
    activated: bool
    reason: str

    @property
    def label(self) -> str:
        return f"{self.capability}-v{self.version}"


def jsonable(value: Any) -> Any:
    """Turn numpy scalars/arrays and Decimals into plain JSON values."""
    return json.loads(json.dumps(value, default=_default))


def _default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return float(obj) if hasattr(obj, "__float__") else str(obj)


def model_active_get(*, capability: str) -> LoadedModel | None:
    return selectors.model_active_get(capability=capability)


def model_active_version(*, capability: str) -> int | None:
    return selectors.model_active_version(capability=capability)


def model_version_register(**kwargs: Any) -> ModelVersionInfo:
    kwargs["metrics"] = jsonable(kwargs.get("metrics") or {})
    kwargs["params"] = jsonable(kwargs.get("params") or {})
    version = services.model_version_register(**kwargs)
    return ModelVersionInfo(
        version.pk,
        version.capability,
        version.version,
        version.status,
        version.metrics,
        False,
        "registered",
    )


def model_version_activate(
    *, version_id: int, force: bool = False, replace: bool = False, user_id: int | None = None
) -> bool:
    return services.model_version_activate(
        version_id=version_id, force=force, replace=replace, user_id=user_id
    ).activated


def model_version_register_and_activate(
    *, force: bool = False, replace: bool = False, **kwargs: Any
) -> ModelVersionInfo:
    """Register a candidate and promote it if it passes its capability's activation gate
    (``activation_gate()`` in the app's facade, see ``mlops.gates``) and beats the active
    version. ``replace``: skip only the comparison with the active version (scores not
    comparable between runs); ``force``: skip the gate too. A refusal by the gate leaves a
    candidate whose ``reason`` (and note) says why, and raises one open alert per reason."""
    info = model_version_register(**kwargs)
    result = services.model_version_activate(version_id=info.id, force=force, replace=replace)
    logger.info("%s: %s", info.label, result.reason)
    return ModelVersionInfo(
        info.id,
        info.capability,
        info.version,
        "active" if result.activated else "candidate",
        info.metrics,
        result.activated,
        result.reason,
    )


def model_version_rollback(*, capability: str, user_id: int | None = None) -> int:
    return services.model_version_rollback(capability=capability, user_id=user_id).pk


def training_run_start(*, capability: str, triggered_by_id: int | None = None) -> int:
    return services.training_run_start(capability=capability, triggered_by_id=triggered_by_id).pk


def training_run_progress(*, run_id: int, progress: int, message: str = "") -> None:
    services.training_run_progress(run_id=run_id, progress=progress, message=message)


def training_run_finish(
    *,
    run_id: int,
    status: str,
    summary: dict[str, Any] | None = None,
    message: str = "",
    model_version_id: int | None = None,
) -> None:
    services.training_run_finish(
        run_id=run_id,
        status=status,
        summary=jsonable(summary or {}),
        message=message,
        model_version_id=model_version_id,
    )


def alert_raise(*, capability: str, message: str, level: str = "warning", key: str = "") -> None:
    """Raise an alert; a repeat of an open one (same ``key``, else same message) bumps its
    count and last-seen time instead of adding another."""
    services.alert_raise(capability=capability, message=message, level=level, key=key)
