import pandas as pd
from django.core.management import call_command


def test_ml_eval_forecasting_weekly_dates_follow_each_series_and_mixed_offsets(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = ["series_id,date,quantity"]
    for sid, start in (("00123", "2024-01-01"), ("sun", "2024-01-07")):  # Mondays, Sundays
        for w, d in enumerate(pd.date_range(start, periods=12, freq="7D")):
            suffix = ("T00:00:00Z", "T00:00:00+02:00", "")[w % 3]  # mixed UTC offsets
            rows.append(f"{sid},{d:%Y-%m-%d}{suffix},{3 + w % 4}")
    hist = tmp_path / "HIST.csv"
    hist.write_text("\n".join(rows) + "\n")
    out = tmp_path / "FC.csv"
    call_command(
        "ml_eval", "forecasting", "--history", str(hist), "--horizon", "3", "--freq", "W",
        "--out", str(out),
    )  # fmt: skip
    fc = pd.read_csv(out, dtype=str)
    assert fc.groupby("series_id")["date"].apply(list).to_dict() == {
        "00123": ["2024-03-25", "2024-04-01", "2024-04-08"],
        "sun": ["2024-03-31", "2024-04-07", "2024-04-14"],
    }


def test_ml_eval_forecasting_empty_price_cells_are_unknown_not_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest
    from django.core.management.base import CommandError

    rows = ["series_id,date,quantity,price"]
    for sid in ("a", "b"):
        for i, d in enumerate(pd.date_range("2024-01-01", periods=60, freq="D")):
            price = "" if sid == "b" or i % 5 == 0 else f"{2 + i % 3}.5"  # b: no price at all
            rows.append(f"{sid},{d:%Y-%m-%d},{i % 4},{price}")
    hist, out = tmp_path / "HIST.csv", tmp_path / "FC.csv"
    hist.write_text("\n".join(rows) + "\n")
    args = ["ml_eval", "forecasting", "--history", str(hist), "--horizon", "2", "--freq", "D"]
    call_command(*args, "--out", str(out))  # was "column price: not a number (empty)"
    fc = pd.read_csv(out)
    assert fc.groupby("series_id").size().to_dict() == {"a": 2, "b": 2}
    assert fc["forecast"].notna().all()
    hist.write_text("\n".join([*rows, "a,2024-03-01,1,abc"]) + "\n")
    with pytest.raises(CommandError, match="column price: not a number 'abc'"):
        call_command(*args, "--out", str(out))
