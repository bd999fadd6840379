"""Importers for real retail history. ``online_retail_import`` loads UCI Online Retail II.

The file (parquet, CSV or XLSX export) has one row per invoice line: Invoice, StockCode,
Description, Quantity, InvoiceDate, Price, Customer ID, Country. Invoices starting with "C"
are cancellations; they become refunds on the customer's earlier order of that item.
Everything is validated before anything is written, and the write is one transaction.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from catalog.models import Category, PriceHistory, Product, Stock, StockMovement
from customers.models import Address, Customer
from orders.models import Order, OrderLine, OrderStatusHistory, Refund

REQUIRED = [
    "Invoice",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "Price",
    "Customer ID",
    "Country",
]
COUNTRY_CODES = {
    "United Kingdom": "GB",
    "EIRE": "IE",
    "Ireland": "IE",
    "France": "FR",
    "Germany": "DE",
    "Netherlands": "NL",
    "Spain": "ES",
    "Italy": "IT",
    "Belgium": "BE",
    "Switzerland": "CH",
    "Portugal": "PT",
    "Australia": "AU",
    "Norway": "NO",
    "Sweden": "SE",
    "Denmark": "DK",
    "Finland": "FI",
    "Austria": "AT",
    "Poland": "PL",
    "Greece": "GR",
    "Cyprus": "CY",
    "Channel Islands": "JE",
    "Japan": "JP",
    "USA": "US",
    "United Arab Emirates": "AE",
    "Israel": "IL",
    "Lithuania": "LT",
    "Malta": "MT",
    "Iceland": "IS",
    "Singapore": "SG",
    "Canada": "CA",
    "Bahrain": "BH",
    "Brazil": "BR",
    "Korea": "KR",
    "Thailand": "TH",
    "Lebanon": "LB",
    "Czech Republic": "CZ",
    "RSA": "ZA",
    "Nigeria": "NG",
    "Hong Kong": "HK",
    "Saudi Arabia": "SA",
    "Bermuda": "BM",
    "West Indies": "JM",
    "European Community": "EU",
}
# keyword -> leaf category for the gift-ware catalogue
KEYWORD_CATEGORIES = [
    ("Christmas", ["CHRISTMAS", "XMAS", "ADVENT", "SANTA", "REINDEER", "SNOWFLAKE"]),
    ("Bags", ["BAG", "TOTE", "PURSE"]),
    ("Candles & Lights", ["CANDLE", "T-LIGHT", "TEALIGHT", "LIGHT", "LANTERN", "LAMP"]),
    (
        "Kitchen",
        [
            "MUG",
            "CUP",
            "PLATE",
            "BOWL",
            "TEAPOT",
            "JAR",
            "CAKE",
            "BAKING",
            "LUNCH",
            "NAPKIN",
            "TIN",
        ],
    ),
    ("Cards & Wrap", ["CARD", "WRAP", "PAPER", "RIBBON", "TAG", "ENVELOPE"]),
    (
        "Home Decor",
        ["CUSHION", "FRAME", "CLOCK", "SIGN", "HEART", "HOOK", "MIRROR", "DOORMAT", "VASE"],
    ),
    ("Toys & Games", ["TOY", "GAME", "DOLL", "PLAYHOUSE", "SPACEBOY", "PUZZLE"]),
    ("Garden", ["GARDEN", "PLANT", "FLOWER", "BIRD"]),
]


class ImportFileError(ValueError):
    """A one-line description of what is wrong with the file, naming the row."""


@dataclass
class ImportReport:
    rows: int = 0
    products: int = 0
    customers: int = 0
    orders: int = 0
    lines: int = 0
    refunds: int = 0
    unmatched_cancellations: int = 0
    skipped_lines: int = 0
    already_present_orders: int = 0
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        refunds = f"up to {self.refunds:,}" if self.dry_run else f"{self.refunds:,}"
        return (
            f"{verb} {self.rows:,} rows: {self.products:,} products, {self.customers:,} customers, "
            f"{self.orders:,} orders ({self.lines:,} lines), {refunds} refunds; "
            f"skipped {self.skipped_lines:,} lines (zero price or quantity), "
            f"{self.unmatched_cancellations:,} cancellations without an earlier order, "
            f"{self.already_present_orders:,} invoices already in the store"
        )


def read_online_retail(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise ImportFileError(f"{path}: no such file")
    suffix = "".join(path.suffixes[-2:]).lower()
    try:
        if suffix.endswith(".parquet"):
            df = pd.read_parquet(path)
        elif suffix.endswith((".xlsx", ".xls")):
            df = pd.read_excel(path, dtype={"Invoice": str, "StockCode": str})
        else:
            df = pd.read_csv(path, dtype={"Invoice": str, "StockCode": str}, keep_default_na=True)
    except ImportError as exc:
        raise ImportFileError(f"{path.name}: cannot read this format ({exc})") from None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise ImportFileError(
            f"{path.name}: not a readable table ({str(exc).splitlines()[0]})"
        ) from None
    return validate(df, name=path.name)


def validate(df: pd.DataFrame, *, name: str = "file") -> pd.DataFrame:
    """Check and normalise the columns; raise ImportFileError naming the first bad row.

    Rows are numbered from 1 for the first data row (line 2 of a CSV with a header).
    """
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ImportFileError(f"{name}: missing column(s) {', '.join(missing)}")
    df = df[REQUIRED].copy().reset_index(drop=True)
    if df.empty:
        raise ImportFileError(f"{name}: no rows")

    def bad(mask: pd.Series, column: str, why: str) -> None:
        if mask.any():
            i = int(np.flatnonzero(mask.to_numpy())[0])
            raise ImportFileError(
                f"{name}: row {i + 1}, column {column}: {why} ({df.loc[i, column]!r})"
            )

    for col in ("Invoice", "StockCode"):
        s = df[col].astype("string").str.strip()
        bad(s.isna() | (s == ""), col, "is empty")
        df[col] = s.astype(str)
    bad(df["Invoice"].str.len() > 20, "Invoice", "is longer than 20 characters")
    bad(df["StockCode"].str.len() > 30, "StockCode", "is longer than 30 characters")
    dates = df["InvoiceDate"]
    if not pd.api.types.is_datetime64_any_dtype(dates):
        parsed = pd.to_datetime(
            dates.astype("string"), errors="coerce", format="mixed", dayfirst=False
        )
        bad(parsed.isna(), "InvoiceDate", "cannot parse as a date")
        dates = parsed
    else:
        bad(dates.isna(), "InvoiceDate", "is empty")
    df["InvoiceDate"] = dates
    for col in ("Quantity", "Price"):
        num = pd.to_numeric(df[col], errors="coerce")
        bad(num.isna(), col, "is not a number")
        df[col] = num
    bad(df["Quantity"] != np.round(df["Quantity"]), "Quantity", "is not a whole number")
    bad(df["Price"] < 0, "Price", "is negative")
    df["Quantity"] = df["Quantity"].astype("int64")
    cid = pd.to_numeric(df["Customer ID"], errors="coerce")
    bad(df["Customer ID"].notna() & cid.isna(), "Customer ID", "is not a number")
    df["Customer ID"] = cid.astype("Int64")
    df["Description"] = df["Description"].astype("string").fillna("").str.strip()
    df["Country"] = df["Country"].astype("string").fillna("Unspecified")
    return df


def _leaf(description: str) -> str:
    up = description.upper()
    for leaf, words in KEYWORD_CATEGORIES:
        if any(w in up for w in words):
            return leaf
    return "Other Gifts"


def _money(x: float) -> Decimal:
    return Decimal(str(round(float(x) + 1e-9, 2))).quantize(Decimal("0.01"))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:150] or "item"


def online_retail_import(path: str | Path, *, dry_run: bool = False) -> ImportReport:
    df = read_online_retail(path)
    return online_retail_load(df, dry_run=dry_run)


def online_retail_load(df: pd.DataFrame, *, dry_run: bool = False) -> ImportReport:
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    rep = ImportReport(rows=len(df), dry_run=dry_run)
    df = df.rename(columns={"Customer ID": "CustomerID"})
    df["is_cancel"] = df["Invoice"].str.upper().str.startswith("C")
    sales = df[~df["is_cancel"]]
    usable = (sales["Quantity"] > 0) & (sales["Price"] > 0)
    rep.skipped_lines = int((~usable).sum())
    sales = sales[usable]
    cancels = df[df["is_cancel"] & (df["Quantity"] < 0)]
    codes = sorted(set(df["StockCode"]))
    existing_products = dict(Product.objects.filter(sku__in=codes).values_list("sku", "pk"))
    new_codes = [c for c in codes if c not in existing_products]
    invoices = sorted(set(sales["Invoice"]))
    existing_orders = set(
        Order.objects.filter(number__in=invoices).values_list("number", flat=True)
    )
    rep.already_present_orders = len(existing_orders)
    sales = sales[~sales["Invoice"].isin(existing_orders)]
    cust_ids = sorted({int(x) for x in df["CustomerID"].dropna()})
    User = get_user_model()
    usernames = [f"retail-{c}" for c in cust_ids]
    existing_users = dict(User.objects.filter(username__in=usernames).values_list("username", "pk"))
    rep.products = len(new_codes)
    rep.customers = len([u for u in usernames if u not in existing_users])
    rep.orders = sales["Invoice"].nunique()
    rep.lines = int(sales.groupby(["Invoice", "StockCode"]).ngroups)
    if dry_run:
        rep.refunds = len(cancels)
        rep.notes.append("refund matching runs on import")
        return rep
    with transaction.atomic():
        _write(df, sales, cancels, new_codes, existing_products, cust_ids, existing_users, tz, rep)
    return rep


def _write(
    df: pd.DataFrame,
    sales: pd.DataFrame,
    cancels: pd.DataFrame,
    new_codes: list[str],
    product_ids: dict[str, int],
    cust_ids: list[int],
    user_ids: dict[str, int],
    tz: Any,
    rep: ImportReport,
) -> None:
    parent, _ = Category.objects.get_or_create(
        slug="imported-online-retail",
        defaults={"name": "Gift-ware (imported)", "description": "Imported from Online Retail II."},
    )
    leaves: dict[str, int] = {}
    for i, (leaf, _) in enumerate([*KEYWORD_CATEGORIES, ("Other Gifts", [])]):
        cat, _ = Category.objects.get_or_create(
            slug=f"imported-{_slug(leaf)}", defaults={"name": leaf, "parent": parent, "position": i}
        )
        leaves[leaf] = cat.pk
    # products: the most common description, the latest typical price
    by_code = df[df["Price"] > 0].sort_values("InvoiceDate").groupby("StockCode")
    names = df.groupby("StockCode")["Description"].agg(
        lambda s: Counter(x for x in s if x).most_common(1)[0][0] if any(s) else ""
    )
    last_price = by_code["Price"].last()
    max_price = by_code["Price"].max()
    recent = (
        sales[sales["InvoiceDate"] >= sales["InvoiceDate"].max() - pd.Timedelta(days=30)]
        if len(sales)
        else sales
    )
    recent_units = recent.groupby("StockCode")["Quantity"].sum()
    created_at = df.groupby("StockCode")["InvoiceDate"].min()
    new_products = []
    taken = set(
        Product.objects.filter(sku__in=[_slug(c) for c in new_codes] + new_codes).values_list(
            "slug", flat=True
        )
    ) | set(
        Product.objects.filter(attributes__source="online-retail").values_list("slug", flat=True)
    )
    for code in new_codes:
        desc = str(names.get(code, "")) or f"Item {code}"
        price = max(float(last_price.get(code, 0) or 0), 0.01)
        name = desc.title()[:200]
        slug = f"{_slug(name)[:180]}-{_slug(code)}"
        n = 1
        while slug in taken:
            n += 1
            slug = f"{_slug(name)[:180]}-{_slug(code)}-{n}"
        taken.add(slug)
        new_products.append(
            Product(
                sku=code,
                name=name,
                slug=slug,
                description=desc,
                category_id=leaves[_leaf(desc)],
                list_price=_money(max(price, float(max_price.get(code, price) or price), 0.01)),
                price=_money(price),
                cost=_money(price * 0.6),
                attributes={"source": "online-retail"},
                created_at=created_at[code].to_pydatetime().replace(tzinfo=tz),
            )
        )
    Product.objects.bulk_create(new_products, batch_size=2000)
    for p in Product.objects.filter(sku__in=new_codes).values_list("sku", "pk"):
        product_ids[p[0]] = p[1]
    stocks = []
    for code in new_codes:
        on_hand = max(10, int(math.ceil(float(recent_units.get(code, 0)))))
        stocks.append(
            Stock(product_id=product_ids[code], on_hand=on_hand, reorder_point=max(2, on_hand // 4))
        )
    Stock.objects.bulk_create(stocks, batch_size=2000)
    StockMovement.objects.bulk_create(
        [
            StockMovement(
                product_id=s.product_id,
                quantity=s.on_hand,
                reason="adjustment",
                reference="import: opening stock",
            )
            for s in stocks
        ],
        batch_size=2000,
    )
    # price history: daily median price changes
    ph = []
    daily = df[(df["Price"] > 0) & ~df["is_cancel"] & df["StockCode"].isin(new_codes)].copy()
    daily["day"] = daily["InvoiceDate"].dt.floor("D")
    med = daily.groupby(["StockCode", "day"])["Price"].median().reset_index()
    for code, grp in med.groupby("StockCode", sort=False):
        prev = None
        for day, price in zip(grp["day"], grp["Price"], strict=True):
            if price != prev:
                ph.append(
                    PriceHistory(
                        product_id=product_ids[code],
                        price=_money(price),
                        changed_at=day.to_pydatetime().replace(tzinfo=tz),
                        source="import",
                        reason="online-retail daily median",
                    )
                )
                prev = price
    PriceHistory.objects.bulk_create(ph, batch_size=5000)
    # customers
    User = get_user_model()
    known = df.dropna(subset=["CustomerID"])
    country_of = known.groupby("CustomerID")["Country"].agg(lambda s: s.mode().iat[0])
    first_seen = known.groupby("CustomerID")["InvoiceDate"].min()
    new_users = [
        User(
            username=f"retail-{c}",
            email=f"retail-{c}@example.invalid",
            password="!imported",
            date_joined=first_seen[c].to_pydatetime().replace(tzinfo=tz),
        )
        for c in cust_ids
        if f"retail-{c}" not in user_ids
    ]
    User.objects.bulk_create(new_users, batch_size=2000)
    for u, pk in User.objects.filter(username__in=[u.username for u in new_users]).values_list(
        "username", "pk"
    ):
        user_ids[u] = pk
    new_customers = [
        Customer(user_id=user_ids[u.username], created_at=u.date_joined) for u in new_users
    ]
    Customer.objects.bulk_create(new_customers, batch_size=2000)
    customer_of = dict(
        Customer.objects.filter(
            user_id__in=[user_ids[f"retail-{c}"] for c in cust_ids]
        ).values_list("user_id", "pk")
    )
    cust_pk = {c: customer_of[user_ids[f"retail-{c}"]] for c in cust_ids}
    new_ids = {int(u.username.split("-", 1)[1]) for u in new_users}
    Address.objects.bulk_create(
        [
            Address(
                customer_id=cust_pk[c],
                full_name=f"Customer {c}",
                line1="(imported)",
                city=str(country_of[c]),
                postal_code="",
                country=COUNTRY_CODES.get(str(country_of[c]), "ZZ"),
                is_default=True,
            )
            for c in sorted(new_ids)
        ],
        batch_size=2000,
    )
    # orders and lines
    lines = (
        sales.groupby(["Invoice", "StockCode"], sort=False)
        .agg(
            qty=("Quantity", "sum"),
            price=("Price", "first"),
            date=("InvoiceDate", "min"),
            cust=("CustomerID", "first"),
            country=("Country", "first"),
            desc=("Description", "first"),
        )
        .reset_index()
    )
    lines["total"] = (lines["qty"] * lines["price"]).round(2)
    heads = (
        lines.groupby("Invoice", sort=False)
        .agg(
            date=("date", "min"),
            cust=("cust", "first"),
            country=("country", "first"),
            subtotal=("total", "sum"),
        )
        .reset_index()
    )
    orders = []
    for row in heads.itertuples(index=False):
        cust = None if pd.isna(row.cust) else cust_pk[int(row.cust)]
        email = f"retail-{int(row.cust)}@example.invalid" if cust else "guest@example.invalid"
        addr = {"country": COUNTRY_CODES.get(str(row.country), "ZZ"), "city": str(row.country)}
        orders.append(
            Order(
                number=row.Invoice,
                customer_id=cust,
                idempotency_key=f"import-{row.Invoice}",
                status=Order.Status.FULFILLED,
                email=email,
                currency=settings.STORE_CURRENCY,
                subtotal=_money(row.subtotal),
                shipping=Decimal("0.00"),
                total=_money(row.subtotal),
                shipping_address=addr,
                billing_address=addr,
                placed_at=row.date.to_pydatetime().replace(tzinfo=tz),
            )
        )
    Order.objects.bulk_create(orders, batch_size=2000)
    order_pk = dict(
        Order.objects.filter(number__in=list(heads["Invoice"])).values_list("number", "pk")
    )
    names_of = dict(
        Product.objects.filter(pk__in=list(product_ids.values())).values_list("pk", "name")
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order_id=order_pk[inv],
                product_id=product_ids[code],
                sku=code,
                name=names_of.get(product_ids[code], desc)[:200],
                unit_price=_money(price),
                quantity=int(qty),
                line_total=_money(total),
            )
            for inv, code, desc, price, qty, total in zip(
                lines["Invoice"].tolist(),
                lines["StockCode"].tolist(),
                lines["desc"].tolist(),
                lines["price"].tolist(),
                lines["qty"].tolist(),
                lines["total"].tolist(),
                strict=True,
            )
        ],
        batch_size=5000,
    )
    OrderStatusHistory.objects.bulk_create(
        [
            OrderStatusHistory(
                order_id=order_pk[o.number],
                status=Order.Status.FULFILLED,
                note="imported from online-retail",
                created_at=o.placed_at,
            )
            for o in orders
        ],
        batch_size=5000,
    )
    # cancellations -> refunds on the customer's latest earlier order of that item
    refunds = []
    refunded: Counter[int] = Counter()
    if len(cancels):
        import bisect

        hist = lines.dropna(subset=["cust"]).sort_values("date")
        by_key: dict[tuple[int, str], tuple[list[Any], list[str]]] = {}
        for cust, code, when, inv in zip(
            hist["cust"].astype(int).tolist(),
            hist["StockCode"].tolist(),
            hist["date"].tolist(),
            hist["Invoice"].tolist(),
            strict=True,
        ):
            dates, invs = by_key.setdefault((cust, code), ([], []))
            dates.append(when)
            invs.append(inv)
        for cust, code, when, inv, qty, price in zip(
            cancels["CustomerID"].tolist(),
            cancels["StockCode"].tolist(),
            cancels["InvoiceDate"].tolist(),
            cancels["Invoice"].tolist(),
            cancels["Quantity"].tolist(),
            cancels["Price"].tolist(),
            strict=True,
        ):
            found = None if pd.isna(cust) else by_key.get((int(cust), code))
            k = bisect.bisect_right(found[0], when) if found else 0
            if not found or k == 0:
                rep.unmatched_cancellations += 1
                continue
            target = order_pk[found[1][k - 1]]
            refunds.append(
                Refund(
                    order_id=target,
                    amount=_money(abs(qty) * price),
                    reason=f"cancellation {inv}",
                    created_at=when.to_pydatetime().replace(tzinfo=tz),
                )
            )
            refunded[target] += 1
    Refund.objects.bulk_create(refunds, batch_size=5000)
    rep.refunds = len(refunds)
    totals = dict(Order.objects.filter(pk__in=list(refunded)).values_list("pk", "total"))
    sums: dict[int, Decimal] = {}
    for rf in refunds:
        sums[rf.order_id] = sums.get(rf.order_id, Decimal("0")) + rf.amount
    full = [pk for pk, s in sums.items() if s >= totals.get(pk, Decimal("0"))]
    Order.objects.filter(pk__in=full).update(status=Order.Status.REFUNDED)
