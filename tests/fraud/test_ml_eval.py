import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def _transactions(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2024-01-01")
    tx = pd.DataFrame(
        {
            "transaction_id": [f"t{i}" for i in range(n)],
            "timestamp": t0 + pd.to_timedelta(np.sort(rng.uniform(0, 50, n)), unit="D"),
            "customer_id": rng.integers(0, 100, n),
            "terminal_id": [f"term-{k}" for k in rng.integers(0, 40, n)],
            "amount": rng.gamma(2, 20, n).round(2),
        }
    )
    bad = (tx.terminal_id.isin(["term-1", "term-2"])) & (tx.timestamp > t0 + pd.Timedelta(days=8))
    tx["label"] = bad.astype(int)
    return tx


def test_ml_eval_fraud_scores_every_transaction_and_is_seeded(tmp_path):
    tx = _transactions()
    cut = pd.Timestamp("2024-02-05")
    tx[tx.timestamp < cut].to_csv(tmp_path / "train.csv", index=False)
    score = tx[tx.timestamp >= cut]
    score.drop(columns="label").to_csv(tmp_path / "score.csv", index=False)
    args = ["--train", str(tmp_path / "train.csv"), "--score", str(tmp_path / "score.csv")]
    call_command("ml_eval", "fraud", *args, "--out", str(tmp_path / "a.csv"))
    call_command("ml_eval", "fraud", *args, "--out", str(tmp_path / "b.csv"))
    out = pd.read_csv(tmp_path / "a.csv")
    assert list(out.columns) == ["transaction_id", "score"]
    assert out["transaction_id"].tolist() == score["transaction_id"].tolist()
    assert out.equals(pd.read_csv(tmp_path / "b.csv"))
    # the compromised terminals, known from TRAIN's labels, rank above everything else
    truth = score["label"].to_numpy() == 1
    assert out["score"].to_numpy()[truth].min() > np.quantile(out["score"].to_numpy()[~truth], 0.99)


def test_ml_eval_fraud_reports_bad_input_in_one_line(tmp_path):
    tx = _transactions(200)
    tx.drop(columns="amount").to_csv(tmp_path / "train.csv", index=False)
    tx.drop(columns="label").to_csv(tmp_path / "score.csv", index=False)
    args = ["--score", str(tmp_path / "score.csv"), "--out", str(tmp_path / "o.csv")]
    with pytest.raises(CommandError, match="missing column.*amount"):
        call_command("ml_eval", "fraud", "--train", str(tmp_path / "train.csv"), *args)
    tx.assign(label="yes").to_csv(tmp_path / "train2.csv", index=False)
    with pytest.raises(CommandError, match="row 2: column label"):
        call_command("ml_eval", "fraud", "--train", str(tmp_path / "train2.csv"), *args)
    tx.assign(label=2).to_csv(tmp_path / "train3.csv", index=False)
    # the value as written, not numpy's repr (was "got np.int64(2)")
    with pytest.raises(CommandError, match=r"column label: expected 0 or 1, got 2$"):
        call_command("ml_eval", "fraud", "--train", str(tmp_path / "train3.csv"), *args)
