"""``manage.py ml_eval recommendations``: top-k lists from a purchase CSV (EVALUATION.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlops.ml_eval import EvalCommand, EvalInputError, read_csv, register, write_csv

METHOD_CHOICES = (
    "blend",
    "popularity",
    "recent_popularity",
    "unseen_popularity",
    "rebuy",
    "als",
    "item_knn",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--train", required=True, help="user_id,item_id,timestamp[,quantity]")
    parser.add_argument("--items", help="item_id,category,price (optional; unused by the blend)")
    parser.add_argument("--users", required=True, help="one user_id per line")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--out", required=True, help="RECS.csv: user_id,rank,item_id")
    parser.add_argument(
        "--exclude-purchased",
        action="store_true",
        help="discovery: never recommend an item the user has in TRAIN",
    )
    parser.add_argument(
        "--method", choices=METHOD_CHOICES, default="blend", help="the model or a baseline"
    )
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> str:
    from recommendations.ml.evaluate import recommend_frame

    if args.k < 1:
        raise EvalInputError("--k must be at least 1")
    train = read_csv(
        args.train,
        required=["user_id", "item_id", "timestamp"],
        parse_dates=["timestamp"],
        optional_numeric=["quantity"],
        ids=["user_id", "item_id"],
    )
    if train.empty:
        raise EvalInputError(f"{args.train}: no rows")
    if args.items:
        read_csv(args.items, required=["item_id"], ids=["item_id"])  # validated only
    users = read_users(args.users)
    recs, _info = recommend_frame(
        train,
        users,
        k=args.k,
        exclude_purchased=args.exclude_purchased,
        method=args.method,
        seed=args.seed,
    )
    write_csv(recs[["user_id", "rank", "item_id", "score", "source"]], args.out)
    return (
        f"recommendations: {len(users)} users, {len(recs)} rows, k={args.k}, method={args.method}"
        f"{', exclude-purchased' if args.exclude_purchased else ''} -> {args.out}"
    )


def read_users(path: str | Path) -> list[str]:
    """USERS.txt: one id a line; blank lines, surrounding spaces, a BOM and repeats ignored."""
    path = Path(path)
    if not path.is_file():
        raise EvalInputError(f"{path}: file not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EvalInputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))


register(
    EvalCommand(
        name="recommendations",
        help="top-k product lists per user from a purchase log",
        add_arguments=add_arguments,
        run=run,
    )
)
