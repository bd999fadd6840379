import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def _run(tmp_path, train_rows, users_text, *extra, k=3):  # type: ignore[no-untyped-def]
    train = tmp_path / "TRAIN.csv"
    train.write_text("\n".join(["user_id,item_id,timestamp,quantity", *train_rows]) + "\n")
    users = tmp_path / "USERS.txt"
    users.write_bytes(users_text.encode("utf-8-sig"))
    out = tmp_path / "RECS.csv"
    call_command(
        "ml_eval", "recommendations", "--train", str(train), "--users", str(users),
        "--k", str(k), "--out", str(out), *extra,
    )  # fmt: skip
    return pd.read_csv(out, dtype=str, keep_default_na=False)


def _rows():  # type: ignore[no-untyped-def]
    rows = []
    for u in range(12):
        for d in range(4):
            for item in (u % 3, 3 + u % 3, 6 + (u + d) % 4):
                # mixed UTC offsets and date-only values in one column
                ts = ("2024-01-0{}T10:00:00Z", "2024-01-0{}T12:00:00+02:00", "2024-01-0{}")[d % 3]
                rows.append(f"{u:05d},i{item},{ts.format(d + 1)},1")
    return rows


def test_ml_eval_recommendations_reads_real_world_ids_and_timestamps(tmp_path, db) -> None:  # type: ignore[no-untyped-def]
    rows = [*_rows(), "NA,None,2024-01-02,1", '"Smith, J",i1,2024-01-02,1']
    recs = _run(tmp_path, rows, "00001\r\n\r\n 00002 \r\n00001\r\nNA\r\nSmith, J\r\n")
    # BOM, CRLF, blanks, spaces and repeats in USERS.txt; "00001" stays "00001"; "NA" is an id
    assert recs.groupby("user_id").size().to_dict() == {
        "00001": 3,
        "00002": 3,
        "NA": 3,
        "Smith, J": 3,
    }
    with pytest.raises(CommandError, match="row 2: column item_id: empty id"):
        _run(tmp_path, ["u1,,2024-01-01,1"], "u1\n")
    with pytest.raises(CommandError, match="column quantity: not a number inf"):
        _run(tmp_path, ["u1,i1,2024-01-01,inf"], "u1\n")
    (tmp_path / "TRAIN.csv").write_text("user_id,item_id,timestamp\nu1,i1,2024-01-01\n")
    (tmp_path / "BAD.txt").write_bytes(b"u1\nJos\xe9\n")
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command(
            "ml_eval", "recommendations", "--train", str(tmp_path / "TRAIN.csv"),
            "--users", str(tmp_path / "BAD.txt"), "--k", "3", "--out", str(tmp_path / "o.csv"),
        )  # fmt: skip


@pytest.mark.parametrize("method", ["blend", "unseen_popularity", "rebuy"])
def test_ml_eval_recommendations_default_lists_are_full_when_few_items_are_new(
    tmp_path, db, method
) -> None:  # type: ignore[no-untyped-def]
    rows = _rows() + [f"all,i{i},2024-01-02,1" for i in range(10)]
    rows += [f"most,i{i},2024-01-02,1" for i in range(9)]
    recs = _run(tmp_path, rows, "all\nmost\n", "--method", method, k=5)
    sizes = recs.groupby("user_id").size().to_dict()
    if method == "unseen_popularity":  # the unseen baseline never repeats an item
        assert sizes == {"all": 1, "most": 1}  # "all": one row, empty item_id (nothing new)
        assert recs[recs.user_id == "all"]["item_id"].tolist() == [""]
    else:  # re-buys are allowed: k distinct items, ranks 1..k
        assert sizes == {"all": 5, "most": 5}
        for _, g in recs.groupby("user_id"):
            assert g["rank"].tolist() == ["1", "2", "3", "4", "5"] and g["item_id"].is_unique
    excl = _run(tmp_path, rows, "most\n", "--method", method, "--exclude-purchased", k=5)
    assert excl["item_id"].tolist() == ["i9"]  # never a purchased item, even if short


def test_ml_eval_recommendations_discovery_when_fewer_than_k_items_are_new(tmp_path, db) -> None:  # type: ignore[no-untyped-def]
    # i0..i9 is the whole TRAIN catalogue: "all" bought every item, "most" all but i9
    rows = _rows() + [f"all,i{i},2024-01-02,1" for i in range(10)]
    rows += [f"most,i{i},2024-01-02,1" for i in range(9)]
    recs = _run(tmp_path, rows, "all\nmost\n00001\n", "--exclude-purchased", k=5)
    # every requested user has a row; nothing from the user's TRAIN; ranks 1..n
    assert recs["user_id"].drop_duplicates().tolist() == ["all", "most", "00001"]
    assert recs[recs.user_id == "all"][["rank", "item_id"]].values.tolist() == [["1", ""]]
    assert recs[recs.user_id == "most"][["rank", "item_id"]].values.tolist() == [["1", "i9"]]
    # 00001 has 6 of the 10 items: the 4 others, not 5 rows
    assert sorted(recs[recs.user_id == "00001"]["item_id"]) == ["i0", "i2", "i3", "i5"]
    # ITEMS.csv items nobody has in TRAIN complete the short lists, in file order
    items = tmp_path / "ITEMS.csv"
    items.write_text("item_id,category,price\ni3,a,1\nnew1,a,2\n00007,b,3\nnew1,a,2\n")
    recs = _run(tmp_path, rows, "all\nmost\n", "--exclude-purchased", "--items", str(items), k=5)
    assert recs[recs.user_id == "all"]["item_id"].tolist() == ["new1", "00007"]
    assert recs[recs.user_id == "most"]["item_id"].tolist() == ["i9", "new1", "00007"]
    assert recs[recs.user_id == "most"]["rank"].tolist() == ["1", "2", "3"]


def test_ml_eval_recommendations_empty_quantity_is_one_unit(tmp_path, db) -> None:  # type: ignore[no-untyped-def]
    rows = [r.rsplit(",", 1)[0] + "," for r in _rows()]  # every quantity cell empty
    full = _run(tmp_path, [r + "1" for r in rows], "00001\n00002\n")  # was an error
    assert _run(tmp_path, rows, "00001\n00002\n").equals(full)
    with pytest.raises(CommandError, match="column quantity: not a number 'two'"):
        _run(tmp_path, [*rows, "u1,i1,2024-01-01,two"], "u1\n")
