"""The `ml_eval` command framework: each ML app registers a subcommand in `<app>/ml_eval.py`.

Contract: ../shared/docs/EVALUATION.md (plain CSV files in and out, seeded, one-line errors).
"""

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

import pandas as pd


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
    dtype: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Read a CSV and check it, raising EvalInputError naming the file, column and row."""
    path = Path(path)
    if not path.is_file():
        raise EvalInputError(f"{path}: file not found")
    try:
        frame = pd.read_csv(path, dtype=dtype or {}, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise EvalInputError(f"{path}: cannot parse CSV ({str(exc).splitlines()[0]})") from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise EvalInputError(
            f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(map(str, frame.columns))}"
        )
    for column in parse_dates:
        parsed = pd.to_datetime(frame[column], errors="coerce", format="mixed")
        bad = parsed.isna() & frame[column].notna() | frame[column].isna()
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise EvalInputError(
                f"{path}: row {row + 2}: column {column}: cannot parse date {frame[column].iloc[row]!r}"
            )
        frame[column] = parsed
    for column in numeric:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna()
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise EvalInputError(
                f"{path}: row {row + 2}: column {column}: not a number {frame[column].iloc[row]!r}"
            )
        frame[column] = values
    return frame


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise EvalInputError(f"{path}: output folder does not exist")
    frame.to_csv(path, index=False)
