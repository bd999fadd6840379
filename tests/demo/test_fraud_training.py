"""A merchant trains fraud on a freshly populated demo store and gets a model that works, at
the anchors and seeds where it used to come out no better than chance (held-out AUC 0.5)."""

import datetime as dt

import numpy as np
import pytest
from django.db import transaction

from demo.models import DemoRun, GroundTruth
from demo.services import demo_populate
from demo.writer import demo_rows_remove
from fraud import selectors, services
from fraud.ml.checkout import checkout_features
from mlops import facade as mlops
from mlops.metrics.fraud import roc_auc

CASES = {
    # the calibration of a perfectly separated held-back slice blew up: one constant score
    "platt": (dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC), 1, dt.timedelta(hours=1)),
    # trained half a year after the history ends: the last weeks' fraud, whose chargebacks
    # never came, counted as genuine and the held-out slice held no fraud at all
    "stale": (dt.datetime(2026, 6, 1, tzinfo=dt.UTC), 2, dt.timedelta(days=185)),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def demo_case(request, django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    anchor, seed, trained_after = CASES[request.param]
    with django_db_blocker.unblock():
        demo_populate(seed=seed, scale="small", anchor=anchor)
        yield anchor + trained_after
        with transaction.atomic():
            demo_rows_remove()
            GroundTruth.objects.all().delete()
            DemoRun.objects.all().delete()


def test_demo_store_trains_an_active_fraud_model_well_above_chance(db, demo_case) -> None:  # type: ignore[no-untyped-def]
    summary = services.fraud_model_train(now=demo_case)
    assert summary["activated"], summary
    assert summary["holdout_fraud"] >= services.MIN_HOLDOUT_FRAUD
    assert summary["roc_auc"] > 0.9, summary
    assert summary["average_precision"] > 5 * summary["holdout_fraud_rate"], summary

    # the model checkout now uses ranks the store's fraud first, with scores that vary
    loaded = mlops.model_active_get(capability=services.CAPABILITY)
    assert loaded is not None
    frame = selectors.training_frame(until=demo_case)
    scores = loaded.artifact.predict_proba(checkout_features(frame))
    assert len(np.unique(scores)) > 100
    assert roc_auc(frame["label_fraud"].to_numpy(), scores) > 0.9
