"""``manage.py ml_eval recommendations``: top-k lists from a purchase CSV (EVALUATION.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

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
    parser.add_argument(
        "--items",
        help="item_id,category,price (optional; unused by the models; items absent from TRAIN "
        "complete lists shorter than k)",
    )
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
        empty_allowed=["quantity"],
        ids=["user_id", "item_id"],
    )
    if "quantity" in train.columns:
        train["quantity"] = train["quantity"].fillna(1.0)  # an empty quantity: one unit
    if train.empty:
        raise EvalInputError(f"{args.train}: no rows")
    catalogue: list[str] = []
    if args.items:
        items = read_csv(args.items, required=["item_id"], ids=["item_id"])
        catalogue = list(dict.fromkeys(items["item_id"]))
    users = read_users(args.users)
    recs, _info = recommend_frame(
        train,
        users,
        k=args.k,
        exclude_purchased=args.exclude_purchased,
        method=args.method,
        seed=args.seed,
    )
    recs, short, empty = complete_lists(recs, users, train, catalogue, k=args.k)
    if short:
        print(
            f"ml_eval recommendations: {short} of {len(users)} users have fewer than k={args.k} "
            f"items they may get; their lists are shorter ({empty} with no item at all: one row "
            "with rank 1 and an empty item_id)",
            file=sys.stderr,
        )
    write_csv(recs[["user_id", "rank", "item_id", "score", "source"]], args.out)
    return (
        f"recommendations: {len(users)} users, {len(recs)} rows, k={args.k}, method={args.method}"
        f"{', exclude-purchased' if args.exclude_purchased else ''} -> {args.out}"
    )


def complete_lists(
    recs: pd.DataFrame, users: list[str], train: pd.DataFrame, catalogue: list[str], *, k: int
) -> tuple[pd.DataFrame, int, int]:
    """Lists the model left short of k (the catalogue, or with --exclude-purchased the items
    new to the user, has fewer than k items) end with ITEMS.csv items nobody has in TRAIN,
    in file order; these are new to every user. A user still without any item gets one row
    with rank 1 and an empty item_id, so every requested user has a row and no list names
    an item the user has in TRAIN. Returns (recs, users with fewer than k rows, users with
    no item). Full lists are not touched."""
    counts = recs.groupby("user_id", sort=False).size()
    short_users = [u for u in users if counts.get(u, 0) < k]
    if not short_users:
        return recs, 0, 0
    in_train = set(train["item_id"])
    unseen = [i for i in catalogue if i not in in_train]
    extra: list[dict[str, object]] = []
    empty = 0
    for u in short_users:
        have = int(counts.get(u, 0))
        pad = unseen[: k - have]  # never listed already: the models only know TRAIN's items
        for rank, item in enumerate(pad, start=have + 1):
            extra.append(
                {"user_id": u, "rank": rank, "item_id": item, "score": 0.0, "source": "catalogue"}
            )
        if have + len(pad) == 0:
            empty += 1
            extra.append(
                {"user_id": u, "rank": 1, "item_id": "", "score": float("nan"), "source": "none"}
            )
    short = sum(1 for u in short_users if counts.get(u, 0) + len(unseen) < k)
    if extra:
        order = {u: n for n, u in enumerate(users)}
        recs = pd.concat([recs, pd.DataFrame(extra)], ignore_index=True)
        recs = recs.sort_values(
            ["user_id", "rank"],
            key=lambda c: c.map(order) if c.name == "user_id" else c,
            kind="stable",
        ).reset_index(drop=True)
    return recs, short, empty


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
