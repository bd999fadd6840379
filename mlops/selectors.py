"""Model registry reads: the active artifact, loaded once per process and checksum-verified."""

import hashlib
import io
import logging
import threading
from dataclasses import dataclass
from typing import Any

import joblib
from django.core.cache import cache

from mlops.models import ModelVersion

logger = logging.getLogger(__name__)


class ArtifactIntegrityError(Exception):
    """The stored artifact's bytes do not match the checksum recorded at registration."""


@dataclass(frozen=True)
class LoadedModel:
    capability: str
    version_id: int
    version: int
    artifact: Any
    metrics: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.capability}-v{self.version}"


_loaded: dict[str, LoadedModel] = {}
_lock = threading.Lock()
_NONE = 0  # cached marker for "no active version"
NO_MODEL_CACHE_SECONDS = 10


def _active_version_id(capability: str) -> int | None:
    from mlops.services import active_cache_key

    key = active_cache_key(capability)
    cached = cache.get(key)
    if cached is None:
        pk = (
            ModelVersion.objects.filter(capability=capability, status=ModelVersion.Status.ACTIVE)
            .values_list("pk", flat=True)
            .first()
        )
        cached = pk or _NONE
        # "no model yet" is kept briefly: with a per-process cache (make demo) a model that
        # background training activates elsewhere is served within seconds, not 5 minutes
        cache.set(key, cached, 300 if pk else NO_MODEL_CACHE_SECONDS)
    return cached or None


def model_active_version(*, capability: str) -> int | None:
    """The active version's number, or None before one is trained: one uncached read, no
    artifact load (dashboard panels, whose query count is pinned, and training reports)."""
    return (
        ModelVersion.objects.filter(capability=capability, status=ModelVersion.Status.ACTIVE)
        .values_list("version", flat=True)
        .first()
    )


def model_version_load(*, version_id: int) -> LoadedModel:
    """Load an artifact, refusing it when the checksum does not match."""
    version = ModelVersion.objects.get(pk=version_id)
    with version.artifact.open("rb") as handle:
        payload = handle.read()
    if hashlib.sha256(payload).hexdigest() != version.sha256:
        raise ArtifactIntegrityError(
            f"{version.capability} v{version.version}: artifact checksum mismatch"
        )
    return LoadedModel(
        capability=version.capability,
        version_id=version.pk,
        version=version.version,
        artifact=joblib.load(io.BytesIO(payload)),
        metrics=dict(version.metrics),
    )


def model_active_get(*, capability: str) -> LoadedModel | None:
    """The active model for a capability, or None (no version, or it cannot be loaded).

    Callers must fall back when this returns None. The artifact is loaded once per process
    and reloaded when another process activates a different version.
    """
    try:
        version_id = _active_version_id(capability)
    except Exception:  # cache or DB down: the store keeps selling on fallbacks
        logger.exception("registry lookup failed for %s", capability)
        return None
    if version_id is None:
        return None
    current = _loaded.get(capability)
    if current is not None and current.version_id == version_id:
        return current
    with _lock:
        current = _loaded.get(capability)
        if current is not None and current.version_id == version_id:
            return current
        try:
            loaded = model_version_load(version_id=version_id)
        except Exception as exc:
            logger.error("cannot load %s model %s: %s", capability, version_id, exc)
            _alert(
                capability, f"Active model v{version_id} failed to load ({exc}); serving fallback"
            )
            return None
        _loaded[capability] = loaded
        return loaded


def _alert(capability: str, message: str) -> None:
    try:
        from mlops.services import alert_raise

        alert_raise(capability=capability, message=message[:500], level="error")
    except Exception:
        logger.exception("could not record alert")


def model_cache_clear() -> None:
    """Forget loaded artifacts (tests, and after a rollback in this process)."""
    with _lock:
        _loaded.clear()


def model_versions_list(*, capability: str | None = None) -> list[ModelVersion]:
    qs = ModelVersion.objects.all()
    if capability:
        qs = qs.filter(capability=capability)
    return list(qs.order_by("capability", "-version"))
