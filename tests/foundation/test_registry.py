import pytest
from sklearn.linear_model import LogisticRegression

from mlops import facade as mlops
from mlops.models import Alert, ModelVersion
from mlops.selectors import ArtifactIntegrityError, model_cache_clear, model_version_load
from storefront.api_errors import ServiceError

pytestmark = pytest.mark.django_db


def register(value: float, **kwargs: object) -> mlops.ModelVersionInfo:
    return mlops.model_version_register_and_activate(
        capability="fraud",
        artifact={"threshold": value},
        metrics={"ap": value},
        primary_metric="ap",
        higher_is_better=True,
        **kwargs,
    )


def test_first_version_is_activated_and_loaded() -> None:
    model = LogisticRegression().fit([[0], [1]], [0, 1])
    info = mlops.model_version_register_and_activate(
        capability="fraud", artifact=model, metrics={"ap": 0.5}, primary_metric="ap"
    )
    assert info.activated and info.version == 1
    loaded = mlops.model_active_get(capability="fraud")
    assert loaded is not None and loaded.version == 1
    assert loaded.artifact.predict([[1]])[0] == 1


def test_worse_candidate_is_not_activated_unless_forced() -> None:
    register(0.6)
    worse = register(0.4)
    assert not worse.activated
    assert mlops.model_active_get(capability="fraud").artifact == {"threshold": 0.6}
    assert mlops.model_version_activate(version_id=worse.id, force=True)
    assert mlops.model_active_get(capability="fraud").artifact == {"threshold": 0.4}


def test_lower_is_better_metrics_compare_the_right_way() -> None:
    first = mlops.model_version_register_and_activate(
        capability="forecasting",
        artifact=1,
        metrics={"mase": 0.9},
        primary_metric="mase",
        higher_is_better=False,
    )
    better = mlops.model_version_register_and_activate(
        capability="forecasting",
        artifact=2,
        metrics={"mase": 0.7},
        primary_metric="mase",
        higher_is_better=False,
    )
    assert first.activated and better.activated


def test_rollback_restores_previous_version() -> None:
    register(0.5)
    register(0.7)
    mlops.model_version_rollback(capability="fraud")
    assert mlops.model_active_get(capability="fraud").artifact == {"threshold": 0.5}
    statuses = dict(ModelVersion.objects.values_list("version", "status"))
    assert statuses == {1: "active", 2: "retired"}


def test_rollback_without_history_is_a_clear_error() -> None:
    register(0.5)
    with pytest.raises(ServiceError, match="no earlier version"):
        mlops.model_version_rollback(capability="fraud")


def test_only_one_active_version_per_capability() -> None:
    for value in (0.1, 0.2, 0.3):
        register(value)
    assert ModelVersion.objects.filter(capability="fraud", status="active").count() == 1


def test_tampered_artifact_refuses_to_load_and_falls_back_with_alert() -> None:
    info = register(0.5)
    version = ModelVersion.objects.get(pk=info.id)
    with version.artifact.open("wb") as handle:
        handle.write(b"not the model that was trained")
    model_cache_clear()
    with pytest.raises(ArtifactIntegrityError):
        model_version_load(version_id=info.id)
    assert mlops.model_active_get(capability="fraud") is None
    assert Alert.objects.filter(capability="fraud", level="error").exists()


def test_active_get_reloads_when_another_process_activates() -> None:
    register(0.5)
    assert mlops.model_active_get(capability="fraud").version == 1
    register(0.9)  # activation updates the shared cache key on commit
    assert mlops.model_active_get(capability="fraud").version == 2


def test_a_model_activated_by_another_process_is_served_within_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # make demo: the web process asks before background training (another process, its own
    # cache) activates a model; the "no model" answer must not pin the fallback for minutes.
    from mlops import selectors

    timeouts: list[object] = []
    real_set = selectors.cache.set
    monkeypatch.setattr(
        selectors.cache, "set", lambda k, v, t=None: (timeouts.append(t), real_set(k, v, t))
    )
    assert mlops.model_active_get(capability="fraud") is None
    assert timeouts and timeouts[-1] is not None and int(timeouts[-1]) <= 10  # type: ignore[call-overload]
