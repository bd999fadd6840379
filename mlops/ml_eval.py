"""The `ml_eval` command framework: each ML app registers a subcommand in `<app>/ml_eval.py`.

Contract: ../shared/docs/EVALUATION.md (plain CSV files in and out, seeded, one-line errors).
"""

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

import numpy as np
import pandas as pd
from pandas._libs.parsers import STR_NA_VALUES


class EvalInputError(Exception):
    """Bad input file or argument; reported as one line and a non-zero exit."""


@dataclass(frozen=True)
class EvalCommand:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], str]


REGISTRY: dict[str, EvalCommand] = {}


def register(command: EvalCommand) -> EvalCommand:
    REGISTRY[command.name] = command
    return command


def load_commands(apps: Sequence[str]) -> dict[str, EvalCommand]:
    for app in apps:
        try:
            import_module(f"{app}.ml_eval")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.ml_eval":
                raise
    return REGISTRY


def read_csv(
    path: str | Path,
    *,
    required: Sequence[str],
    parse_dates: Sequence[str] = (),
    numeric: Sequence[str] = (),
    optional_numeric: Sequence[str] = (),
    empty_allowed: Sequence[str] = (),
    dtype: dict[str, str] | None = None,
    ids: Sequence[str] = (),
    text: Sequence[str] = (),
    wall_clock: bool = False,
) -> pd.DataFrame:
    """Read a CSV and check it, raising EvalInputError naming the file, column and row.

    ``ids`` are identifier columns: read as the literal text ("00123" stays "00123", "NA"
    and "None" are ids like any other), and an empty one is an error; ``text`` columns are
    read literally too, empty allowed. ``optional_numeric`` columns are checked when present;
    in ``empty_allowed`` numeric columns an empty cell is NaN (text that is not a number
    still is an error). Dates with different
    UTC offsets in one column are converted to UTC; with ``wall_clock`` every value keeps
    its own local date and time instead (naive). Either way the column has one type. Numbers must be finite.
    """
    path = Path(path)
    if not path.is_file():
        raise EvalInputError(f"{path}: file not found")
    literal = [*ids, *text]
    # dates as text too, so that 20240131 is a date and not nanoseconds since 1970
    types = {**(dtype or {}), **dict.fromkeys([*literal, *parse_dates], "str")}
    try:
        header = pd.read_csv(path, nrows=0).columns
        # ids keep their text; every other column has pandas' usual missing-value markers
        na_values = {c: sorted(STR_NA_VALUES) for c in header if c not in literal}
        frame = pd.read_csv(path, dtype=types, keep_default_na=False, na_values=na_values)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise EvalInputError(f"{path}: cannot parse CSV ({str(exc).splitlines()[0]})") from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise EvalInputError(
            f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(map(str, frame.columns))}"
        )
    for column in ids:
        if column in frame.columns:
            _first_bad(path, frame, column, frame[column] == "", "empty id")
    for column in parse_dates:
        parsed = _parse_dates(frame[column], wall_clock=wall_clock)
        bad = parsed.isna() & frame[column].notna() | frame[column].isna()
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise EvalInputError(
                f"{path}: row {row + 2}: column {column}: cannot parse date {_shown(frame[column].iloc[row])}"
            )
        frame[column] = parsed
    for column in [*numeric, *(c for c in optional_numeric if c in frame.columns)]:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
        if column in empty_allowed:
            bad &= frame[column].notna().to_numpy()
        if bad.any():
            row = int(bad.nonzero()[0][0])
            raise EvalInputError(
                f"{path}: row {row + 2}: column {column}: not a number {_shown(frame[column].iloc[row])}"
            )
        frame[column] = values
    return frame


_UTC_OFFSET = r"(\d\d:\d\d(?::\d\d(?:\.\d*)?)?)\s*(?:Z|UTC|[+-]\d\d(?::?\d\d)?)$"


def _parse_dates(values: pd.Series, *, wall_clock: bool) -> pd.Series:
    try:
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
        if wall_clock and isinstance(parsed.dtype, pd.DatetimeTZDtype):
            parsed = parsed.dt.tz_localize(None)  # one offset throughout: its local times
        return parsed
    except ValueError:  # different UTC offsets (or some with and some without) in one column
        if wall_clock:
            local = values.astype("str").str.strip().str.replace(_UTC_OFFSET, r"\1", regex=True)
            return pd.to_datetime(local.where(values.notna()), errors="coerce", format="mixed")
        return pd.to_datetime(values, errors="coerce", format="mixed", utc=True)


def _first_bad(path: Path, frame: pd.DataFrame, column: str, bad: pd.Series, what: str) -> None:
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise EvalInputError(f"{path}: row {row + 2}: column {column}: {what}")


def _shown(value: object) -> str:
    if pd.isna(value):
        return "(empty)"
    return repr(value.item() if isinstance(value, np.generic) else value)


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise EvalInputError(f"{path}: output folder does not exist")
    frame.to_csv(path, index=False)
