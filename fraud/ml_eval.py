"""`manage.py ml_eval fraud`: train on labelled transactions, score later ones.

TRAIN.csv  transaction_id,timestamp,customer_id,terminal_id,amount,label   (label 0/1)
SCORE.csv  the same columns without label
SCORES.csv transaction_id,score                       (higher = more likely fraud)

The scored transactions contribute their behaviour (customer spend windows) to the features
but never a label; labels from TRAIN count only once they are `--delay-days` old.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from fraud.ml.pipeline import TransactionFraudModel
from mlops.ml_eval import EvalCommand, EvalInputError, read_csv, register, write_csv

COLUMNS = ["transaction_id", "timestamp", "customer_id", "terminal_id", "amount"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--train", required=True, help="TRAIN.csv with a 0/1 label column")
    parser.add_argument("--score", required=True, help="SCORE.csv: the same columns, no label")
    parser.add_argument("--out", required=True, help="SCORES.csv to write")
    parser.add_argument("--delay-days", type=float, default=7.0, help="label delay (days)")
    parser.add_argument("--seed", type=int, default=0)


def _read(path: str, *, labelled: bool) -> pd.DataFrame:
    cols = [*COLUMNS, "label"] if labelled else COLUMNS
    frame = read_csv(
        path,
        required=cols,
        parse_dates=["timestamp"],
        numeric=["amount", "label"] if labelled else ["amount"],
        ids=["transaction_id", "customer_id", "terminal_id"],
    )
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    if labelled:
        bad = ~frame["label"].isin([0, 1])
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise EvalInputError(
                f"{path}: row {row + 2}: column label: expected 0 or 1, got {frame['label'].iloc[row].item()!r}"
            )
    return frame


def run(args: argparse.Namespace) -> str:
    train = _read(args.train, labelled=True)
    score = _read(args.score, labelled=False)
    if train.empty:
        raise EvalInputError(f"{args.train}: no rows")
    model = TransactionFraudModel(delay_days=args.delay_days, random_state=args.seed)
    p = model.fit_predict(train, score) if len(score) else np.zeros(0)
    write_csv(pd.DataFrame({"transaction_id": score["transaction_id"], "score": p}), args.out)
    return (
        f"fraud: trained on {len(train)} transactions ({int(train['label'].sum())} fraud), "
        f"scored {len(score)} -> {args.out}"
    )


register(
    EvalCommand(
        name="fraud",
        help="Train the fraud model on TRAIN.csv and score SCORE.csv",
        add_arguments=add_arguments,
        run=run,
    )
)
