from pathlib import Path

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from support.seed_data import intent_examples, sentiment_examples


def test_support_intent_eval_writes_one_row_per_text(tmp_path: Path) -> None:
    train = pd.DataFrame(intent_examples(per_intent=10), columns=["text", "intent"])
    train.to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame({"id": ["a", "b"], "text": ["reset my password", "cancel order 123"]}).to_csv(
        tmp_path / "texts.csv", index=False
    )
    call_command(
        "ml_eval",
        "support-intent",
        "--train",
        str(tmp_path / "train.csv"),
        "--score",
        str(tmp_path / "texts.csv"),
        "--out",
        str(tmp_path / "pred.csv"),
    )
    pred = pd.read_csv(tmp_path / "pred.csv")
    assert list(pred.columns) == ["id", "intent", "confidence"]
    assert pred.intent.tolist() == ["recover_password", "cancel_order"]
    assert pred.confidence.between(0, 1).all()


def test_support_sentiment_eval_and_bad_input(tmp_path: Path) -> None:
    train = pd.DataFrame(sentiment_examples(per_label=10), columns=["text", "label"])
    train.to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame({"id": [1], "text": ["I love it, great quality"]}).to_csv(
        tmp_path / "t.csv", index=False
    )
    call_command(
        "ml_eval",
        "support-sentiment",
        "--train",
        str(tmp_path / "train.csv"),
        "--score",
        str(tmp_path / "t.csv"),
        "--out",
        str(tmp_path / "p.csv"),
    )
    assert pd.read_csv(tmp_path / "p.csv").label.tolist() == ["positive"]
    train.loc[3, "label"] = "meh"
    train.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(CommandError, match="row 5: column label"):
        call_command(
            "ml_eval",
            "support-sentiment",
            "--train",
            str(tmp_path / "bad.csv"),
            "--score",
            str(tmp_path / "t.csv"),
            "--out",
            str(tmp_path / "p.csv"),
        )
    with pytest.raises(CommandError, match="missing column"):
        call_command(
            "ml_eval",
            "support-intent",
            "--train",
            str(tmp_path / "t.csv"),
            "--score",
            str(tmp_path / "t.csv"),
            "--out",
            str(tmp_path / "p.csv"),
        )


def test_support_eval_is_seeded_same_inputs_same_bytes(tmp_path: Path) -> None:
    from support.ml.text_model import TextClassifier

    train = pd.DataFrame(intent_examples(per_intent=10), columns=["text", "intent"])
    # liblinear's dual solver shuffles: unseeded, two fits gave different coefficients
    fits = [TextClassifier().fit(train.text.tolist(), train.intent.tolist()) for _ in range(3)]
    for other in fits[1:]:
        assert (other.svm_.coef_ == fits[0].svm_.coef_).all()
    train.to_csv(tmp_path / "train.csv", index=False)
    texts = [f"where is my order {i}, it is late" for i in range(20)] + ["", "refund now"]
    pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(tmp_path / "t.csv", index=False)
    outs = []
    for n in range(2):
        out = tmp_path / f"pred{n}.csv"
        call_command(
            "ml_eval", "support-intent", "--train", str(tmp_path / "train.csv"),
            "--score", str(tmp_path / "t.csv"), "--out", str(out),
        )  # fmt: skip
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
