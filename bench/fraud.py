"""Fraud benchmark on the Fraud Detection Handbook's simulated transactions.

    nice -n 10 .venv/bin/python bench/fraud.py [--data ../shared/data/fraud/...parquet]

Split (by calendar day): everything before the gap is labelled training history (the first
`--warmup-days` only feed the windows), then a `--delay-days` gap whose labels are not known
yet, then the last `--test-days` days are scored. The model sees the gap and test rows
without labels, exactly as `ml_eval fraud` would. Baselines in the same run on the same
split: the amount rule (score = amount) and random forests on the same windowed features
(the standard customer/terminal set, and our extended set). TX_FRAUD_SCENARIO is never used.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fraud.ml.features import EXTENDED_FEATURES, STANDARD_FEATURES  # noqa: E402
from fraud.ml.pipeline import TransactionFraudModel, history_features, warm_rows  # noqa: E402
from mlops.metrics.fraud import (  # noqa: E402
    average_precision,
    card_precision_at_k_per_day,
    roc_auc,
)

DEFAULT_DATA = "../shared/data/fraud/transactions_2018-04-01_2018-07-31.parquet"


def load(path: str, sample_customers: float) -> pd.DataFrame:
    cols = ["TRANSACTION_ID", "TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT", "TX_FRAUD"]
    raw = pd.read_parquet(path, columns=cols)
    tx = pd.DataFrame(
        {
            "transaction_id": raw.TRANSACTION_ID,
            "timestamp": raw.TX_DATETIME,
            "customer_id": raw.CUSTOMER_ID,
            "terminal_id": raw.TERMINAL_ID,
            "amount": raw.TX_AMOUNT,
            "label": raw.TX_FRAUD.astype(np.float64),
        }
    )
    if sample_customers < 1:
        rng = np.random.default_rng(0)
        cust = tx.customer_id.unique()
        keep = rng.choice(cust, int(len(cust) * sample_customers), replace=False)
        tx = tx[tx.customer_id.isin(keep)]
    return tx.sort_values(["timestamp", "transaction_id"]).reset_index(drop=True)


def metrics(test: pd.DataFrame, score: np.ndarray) -> dict[str, float]:
    y = test["label"].to_numpy()
    return {
        "AP": average_precision(y, score),
        "ROC AUC": roc_auc(y, score),
        "card P@100/day": card_precision_at_k_per_day(
            test["timestamp"].dt.floor("D").to_numpy(), test["customer_id"].to_numpy(), y, score
        ),
    }


def random_forest(X: pd.DataFrame, y: np.ndarray, seed: int):  # noqa: ANN201
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=100, max_depth=20, n_jobs=2, random_state=seed).fit(
        X.fillna(-1).to_numpy(), y
    )


OURS = "LightGBM, extended windowed features (ours)"
RF_STANDARD = "random forest (100 trees, depth 20), standard windowed features"
RF_EXTENDED = "random forest (100 trees, depth 20), extended windowed features (ours)"
LGB_STANDARD = "LightGBM, standard windowed features"
JOB_KEYS = {OURS: "ours", RF_STANDARD: "rf-standard", RF_EXTENDED: "rf-extended"}
JOB_KEYS[LGB_STANDARD] = "lgb-standard"
_JOB: dict[str, Any] = {}  # inherited by forked workers (no pickling of the feature frames)


def _run_job(job: tuple[str, str, list[str]]) -> tuple[str, np.ndarray, float]:
    name, kind, cols = job
    d = _JOB
    t0 = time.perf_counter()
    if kind == "lgb":
        model = TransactionFraudModel(
            delay_days=d["delay"], features=cols, random_state=d["seed"], n_jobs=d["threads"]
        ).fit_features(d["X"], d["y"], d["times"])
        s = model.classifier_.predict_proba(d["T"])
    else:
        rf = random_forest(d["X"][cols], d["y"], d["seed"])
        s = rf.predict_proba(d["T"][cols].fillna(-1).to_numpy())[:, 1]
    return name, s, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--test-days", type=int, default=14)
    ap.add_argument("--delay-days", type=int, default=7)
    ap.add_argument("--warmup-days", type=int, default=37)
    ap.add_argument("--sample-customers", type=float, default=1.0)
    ap.add_argument("--skip-rf-extended", action="store_true")
    ap.add_argument(
        "--skip-lgb-standard",
        action="store_true",
        help="skip the extra LightGBM-on-standard-features row",
    )
    ap.add_argument(
        "--features-cache",
        default="",
        metavar="DIR",
        help="reuse the windowed features computed by an earlier run with the same split "
        "(parquet files in DIR, e.g. /tmp/fraud-features; never inside the repo)",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--features-only", action="store_true", help="fill --features-cache, stop")
    ap.add_argument(
        "--lgb-threads",
        type=int,
        default=1,
        help="LightGBM threads (1 on a shared box: OpenMP barriers stall when cores are busy)",
    )
    ap.add_argument(
        "--only",
        default="",
        metavar="KEYS",
        help="comma-separated rows to fit: " + ",".join(sorted(set(JOB_KEYS.values()))),
    )
    ap.add_argument(
        "--latency",
        type=int,
        default=0,
        metavar="N",
        help="instead: time N checkout decisions at the service layer on a synthetic store",
    )
    ap.add_argument(
        "--demo-store",
        action="store_true",
        help="instead: decisions on the populated demo store (MLSTORE_VAR_DIR/DATABASE_URL) "
        "vs its planted fraud",
    )
    args = ap.parse_args()
    if Path(args.data).is_dir():  # bench/run_all.py passes the shared data folder
        args.data = str(Path(args.data) / "fraud" / "transactions_2018-04-01_2018-07-31.parquet")
    if args.demo_store:
        demo_store(args.test_days if args.test_days != 14 else 30)
        return
    if args.latency:
        latency(args.latency, args.seed)
        return

    tx = load(args.data, args.sample_customers)
    last_day = tx["timestamp"].dt.floor("D").max()
    test_start = last_day - pd.Timedelta(days=args.test_days - 1)
    gap_start = test_start - pd.Timedelta(days=args.delay_days)
    train = tx[tx.timestamp < gap_start]
    score = tx[tx.timestamp >= gap_start].drop(columns="label")
    is_test = (score.timestamp >= test_start).to_numpy()
    test = tx.loc[score.index[is_test]]

    rows = []
    t0 = time.perf_counter()
    cache = None
    if args.features_cache:  # keyed by the split and by the feature code itself
        code = b"".join(
            (ROOT / "fraud" / "ml" / f).read_bytes()
            for f in ("features.py", "windows.py", "pipeline.py")
        )
        key = f"{args.test_days}-{args.delay_days}-{args.seed}-{args.sample_customers}"
        digest = hashlib.sha256(code + args.data.encode() + key.encode()).hexdigest()[:12]
        cache = Path(args.features_cache) / f"{Path(args.data).stem}-{digest}"
    if cache is not None and (cache / "score.parquet").exists():
        f_train = pd.read_parquet(cache / "train.parquet")
        f_score = pd.read_parquet(cache / "score.parquet")
        print(f"features read from {cache}", flush=True)
    else:
        f_train, f_score = history_features(
            train, score, delay_days=args.delay_days, random_state=args.seed
        )
        if cache is not None:
            cache.mkdir(parents=True, exist_ok=True)
            f_train.to_parquet(cache / "train.parquet")
            f_score.to_parquet(cache / "score.parquet")
    keep = warm_rows(train["timestamp"], args.warmup_days)
    y = train["label"].to_numpy()[keep]
    t_features = time.perf_counter() - t0
    print(f"features for {len(tx)} rows: {t_features:.0f}s", flush=True)
    if args.features_only:
        return

    _JOB.update(
        X=f_train.loc[keep],
        y=y,
        times=train["timestamp"][keep],
        T=f_score.loc[is_test],
        seed=args.seed,
        delay=args.delay_days,
        threads=args.lgb_threads,
    )
    jobs = [(OURS, "lgb", EXTENDED_FEATURES)]
    jobs.append(
        ("random forest (100 trees, depth 20), standard windowed features", "rf", STANDARD_FEATURES)
    )
    if not args.skip_rf_extended:
        jobs.append(
            (
                "random forest (100 trees, depth 20), extended windowed features (ours)",
                "rf",
                EXTENDED_FEATURES,
            )
        )
    if not args.skip_lgb_standard:
        jobs.append((LGB_STANDARD, "lgb", STANDARD_FEATURES))
    if args.only:  # several invocations side by side on the same cached features
        wanted = set(args.only.split(","))
        jobs = [j for j in jobs if JOB_KEYS[j[0]] in wanted]
    results = [_run_job(job) for job in jobs]
    for name, s, secs in results:
        rows.append((name, metrics(test, s), secs))
        print(rows[-1], flush=True)
        if cache is not None:
            np.save(cache / f"scores-{JOB_KEYS[name]}.npy", s)
    rows.insert(1, ("amount rule (score = amount)", metrics(test, test["amount"].to_numpy()), 0.0))

    n_fit = int(keep.sum())
    print(
        f"data: {args.data}\nsplit: train {train.timestamp.min():%Y-%m-%d}..{gap_start - pd.Timedelta(days=1):%Y-%m-%d} "
        f"({n_fit} rows fitted after {args.warmup_days}-day warm-up, {int(y.sum())} frauds), "
        f"{args.delay_days}-day delay gap, test {test_start:%Y-%m-%d}..{last_day:%Y-%m-%d} "
        f"({len(test)} rows, {int(test.label.sum())} frauds); machine: 2 cores\n"
    )
    print(f"features: {t_features:.0f}s; load average {os.getloadavg()}\n")
    print("| model | AP | ROC AUC | card precision@100/day | fit+score wall time (s) |")
    print("|---|---|---|---|---|")
    for name, m, secs in rows:
        print(
            f"| {name} | {m['AP']:.3f} | {m['ROC AUC']:.3f} | {m['card P@100/day']:.3f} | {secs:.0f} |"
        )


def demo_store(test_days: int) -> None:
    """Train as of `test_days` before the last order (labels known by then only), then
    decide every later order with the default thresholds and no merchant rules; compare with
    the demo's planted fraud (demo ground truth, which the model never reads)."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storefront.settings")
    import django

    django.setup()
    from demo import facade as demo
    from fraud import services
    from fraud.ml.checkout import checkout_features
    from fraud.ml.model import FraudClassifier
    from fraud.models import RiskSettings
    from fraud.selectors import training_frame
    from orders.models import Order

    t0 = time.perf_counter()
    frame = training_frame()
    feats = checkout_features(frame)
    t_feat = time.perf_counter() - t0
    cut = frame["placed_at"].max() - pd.Timedelta(days=test_days)
    known = frame["fraud_known_at"]
    past = frame[frame["placed_at"] <= cut].assign(
        label_fraud=(known.notna() & (known <= cut)).astype(float)
    )
    mask = services.labelled_rows(past, now=cut.to_pydatetime())
    t0 = time.perf_counter()
    clf = FraudClassifier(random_state=0).fit(
        feats.loc[past.index[mask]],
        past.loc[mask, "label_fraud"].to_numpy(),
        times=past.loc[mask, "placed_at"].to_numpy(),
    )
    t_fit = time.perf_counter() - t0
    test = frame[frame["placed_at"] > cut]
    score = clf.predict_proba(feats.loc[test.index])
    settings = RiskSettings()
    numbers = dict(
        Order.objects.filter(pk__in=test["order_id"].tolist()).values_list("pk", "number")
    )
    truth = demo.ground_truth("fraud")
    scenario = np.array(
        [(truth.get(numbers[o]) or {}).get("scenario", "") for o in test["order_id"]], dtype=object
    )
    is_fraud = scenario != ""
    declined_by_issuer = test["declined"].to_numpy() == 1
    level = np.where(
        score >= settings.highest_threshold,
        "highest",
        np.where(score >= settings.elevated_threshold, "elevated", "normal"),
    )
    action = np.where(
        level == "highest", "decline", np.where(level == "elevated", "review", "approve")
    )
    legit = ~is_fraud & ~declined_by_issuer
    print(
        f"demo store: trained on {int(mask.sum())} labelled orders up to {cut:%Y-%m-%d} "
        f"({int(past.loc[mask, 'label_fraud'].sum())} fraud labels known by then), features "
        f"{t_feat:.0f}s for {len(frame)} orders, fit {t_fit:.0f}s; decided {len(test)} later "
        f"orders with default thresholds (review >= {settings.elevated_threshold}, decline >= "
        f"{settings.highest_threshold}), no rules\n"
    )
    print(f"AP {average_precision(is_fraud, score):.3f}, ROC AUC {roc_auc(is_fraud, score):.3f}\n")
    print("| orders | n | declined | held for review | caught (declined or review) |")
    print("|---|---|---|---|---|")

    def row(name: str, m: np.ndarray) -> None:
        n = int(m.sum())
        if n == 0:
            return
        dec = float((action[m] == "decline").mean())
        rev = float((action[m] == "review").mean())
        print(f"| {name} | {n} | {dec:.2%} | {rev:.2%} | {dec + rev:.1%} |")

    row("legitimate (paid by the issuer)", legit)
    row("planted fraud, all", is_fraud & ~declined_by_issuer)
    for name in sorted(set(scenario[is_fraud])):
        row(f"planted fraud: {name}", (scenario == name) & ~declined_by_issuer)
    row("issuer-declined attempts (card testing)", declined_by_issuer)
    fraud_paid = is_fraud & ~declined_by_issuer
    print("\n| threshold | legitimate orders at or above | planted fraud at or above |")
    print("|---|---|---|")
    for th in (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.85):
        print(
            f"| {th} | {(score[legit] >= th).mean():.2%} | {(score[fraud_paid] >= th).mean():.1%} |"
        )


def latency(n: int, seed: int) -> None:
    """p50/p99 of `fraud.facade.order_assess` (features from the DB, model, rules, insert).

    Runs on a throwaway SQLite store (MLSTORE_VAR_DIR in a temp folder) with a bulk-created,
    labelled history, a trained model and three merchant rules.
    """
    import os
    import tempfile

    tmp = tempfile.mkdtemp(prefix="fraud-latency-")
    os.environ["MLSTORE_VAR_DIR"] = tmp
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storefront.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from fraud import facade, services
    from fraud.models import RiskAssessment
    from tests.factories import CustomerFactory
    from tests.fraud.factories import checkout, store_history

    t0 = time.perf_counter()
    stats = store_history(customers=1500, seed=seed)
    summary = facade.train(force=True)
    print(f"store: {stats}; model: {summary}; setup {time.perf_counter() - t0:.0f}s")
    services.risk_rule_create(
        name="big abroad",
        expression="amount > 1000 and ip_country != billing_country",
        action="review",
    )
    services.risk_rule_create(
        name="card testing", expression="card_small_n_1d >= 5", action="block"
    )
    services.risk_rule_create(
        name="loyal", expression="account_age_days > 700 and cust_fraud_known == 0", action="allow"
    )
    rng = np.random.default_rng(seed)
    customers = [CustomerFactory() for _ in range(20)]

    def luhn_card(i: int) -> str:  # a valid, distinct test card per shopper
        body = f"4{i:014d}"
        digits = [int(d) for d in body]
        total = 0
        for k, d in enumerate(reversed(digits)):
            total += sum(divmod(d * 2, 10)) if k % 2 == 0 else d
        return body + str((10 - total % 10) % 10)

    orders = [
        checkout(
            customer=customers[i % 20],
            card=luhn_card(i % 20),
            price=f"{rng.gamma(2, 25):.2f}",
            device_id=f"dev-lat-{i % 20}",
            ip_address=f"10.2.0.{i % 20}",
            ip_country=["GB", "NG"][i % 2],
            key=f"lat-{i}",
        )
        for i in range(n)
    ]
    RiskAssessment.objects.filter(order__in=orders).delete()
    wall, cpu = [], []
    for order in orders:
        with transaction.atomic():  # as inside checkout
            t, c = time.perf_counter(), time.process_time()
            decision = facade.order_assess(order_id=order.pk)
            wall.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    # the first calls load the model; CPU time is what the call costs on an idle machine
    # (the shared 2-core box is usually oversubscribed, which inflates wall time)
    for name, values in (("wall", wall), ("cpu", cpu)):
        ms = np.array(values[5:])
        print(
            f"order_assess {name} time over {ms.size} orders (source={decision.source}): "
            f"p50 {np.percentile(ms, 50):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms, "
            f"p99 {np.percentile(ms, 99):.1f} ms, max {ms.max():.1f} ms"
        )
    print(f"load average during the run: {os.getloadavg()}")


if __name__ == "__main__":
    main()
