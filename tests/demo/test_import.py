"""import_dataset online-retail: round trip, cancellations as refunds, atomic on bad files."""

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from catalog.models import Product
from customers.models import Customer
from orders.models import Order, OrderLine, Refund

REAL = (
    Path(__file__).resolve().parents[2].parent
    / "shared/data/retail/online_retail_II_partial_2009-12-01_2010-01-31.parquet"
)
HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
ROWS = [
    "489434,85048,15CM CHRISTMAS GLASS BALL 20 LIGHTS,12,2009-12-01 07:45:00,6.95,13085.0,United Kingdom",
    "489434,79323P,PINK CHERRY LIGHTS,12,2009-12-01 07:45:00,6.75,13085.0,United Kingdom",
    "489435,22350,CAT BOWL ,12,2009-12-01 07:46:00,2.55,13085.0,United Kingdom",
    "489436,22350,CAT BOWL ,6,2009-12-02 10:00:00,2.55,,France",
    "C489449,85048,15CM CHRISTMAS GLASS BALL 20 LIGHTS,-2,2009-12-03 10:33:00,6.95,13085.0,United Kingdom",
]


def _csv(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "retail.csv"
    path.write_text(header + "\n".join(rows) + "\n")
    return path


def _counts() -> tuple[int, int, int, int, int]:
    return (
        Product.objects.count(),
        Customer.objects.count(),
        Order.objects.count(),
        OrderLine.objects.count(),
        Refund.objects.count(),
    )


def test_import_round_trip_with_cancellation_as_refund(db, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    call_command("import_dataset", "online-retail", str(_csv(tmp_path, ROWS)))
    assert "imported 5 rows" in capsys.readouterr().out
    assert Product.objects.filter(sku__in=["85048", "79323P", "22350"]).count() == 3
    first = Order.objects.get(number="489434")
    assert first.total == Decimal("164.40")  # 12 x 6.95 + 12 x 6.75
    assert first.customer is not None and first.lines.count() == 2
    guest = Order.objects.get(number="489436")
    assert guest.customer is None
    refund = Refund.objects.get()
    assert refund.order == first and refund.amount == Decimal("13.90")
    assert Customer.objects.count() == 1
    # importing the same file again adds nothing
    before = _counts()
    call_command("import_dataset", "online-retail", str(_csv(tmp_path, ROWS)))
    assert _counts() == before


def test_dry_run_writes_nothing(db, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    call_command("import_dataset", "online-retail", str(_csv(tmp_path, ROWS)), "--dry-run")
    assert "would import 5 rows: 3 products, 1 customers, 3 orders" in capsys.readouterr().out
    assert _counts() == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("rows", "header", "expected"),
    [
        (ROWS, HEADER.replace(",Price", ""), "missing column(s) Price"),
        (
            ROWS[:2] + [ROWS[2].replace("2009-12-01 07:46:00", "yesterday-ish")],
            HEADER,
            "row 3, column InvoiceDate",
        ),
        (
            [ROWS[0], ROWS[1].replace(",6.75,", ",-6.75,")],
            HEADER,
            "row 2, column Price: is negative",
        ),
        ([ROWS[0].replace(",12,", ",twelve,")], HEADER, "row 1, column Quantity"),
    ],
)
def test_bad_file_is_one_line_error_and_changes_nothing(
    db, tmp_path, rows, header, expected
) -> None:  # type: ignore[no-untyped-def]
    call_command(
        "import_dataset",
        "online-retail",
        str(_csv(tmp_path, ROWS[:1], HEADER).rename(tmp_path / "ok.csv")),
    )
    before = _counts()
    with pytest.raises(CommandError) as err:
        call_command("import_dataset", "online-retail", str(_csv(tmp_path, rows, header)))
    assert expected in str(err.value)
    assert "\n" not in str(err.value)
    assert _counts() == before


def test_failure_while_writing_rolls_everything_back(db, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(Refund.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        call_command("import_dataset", "online-retail", str(_csv(tmp_path, ROWS)))
    assert _counts() == (0, 0, 0, 0, 0)


@pytest.mark.skipif(
    not REAL.exists(), reason="the shared Online Retail II file is not on this machine"
)
def test_real_file_slice_round_trips(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    df = pd.read_parquet(REAL).head(3000)
    path = tmp_path / "slice.parquet"
    df.to_parquet(path)
    call_command("import_dataset", "online-retail", str(path))
    sales = df[~df["Invoice"].str.startswith("C") & (df["Quantity"] > 0) & (df["Price"] > 0)]
    assert Order.objects.count() == sales["Invoice"].nunique()
    assert Product.objects.count() == df["StockCode"].nunique()
    assert Customer.objects.count() == df["Customer ID"].dropna().nunique()
    file_total = (sales["Quantity"] * sales["Price"]).sum()
    db_total = sum(OrderLine.objects.values_list("line_total", flat=True))
    assert abs(float(db_total) - file_total) < 0.01 * len(sales)
    assert sum(OrderLine.objects.values_list("quantity", flat=True)) == sales["Quantity"].sum()
