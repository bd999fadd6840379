"""Fast, backend-aware bulk writes for the demo generator, and removal of earlier demo rows.

Rows are written with explicit primary keys (one contiguous range per table and run) using
``executemany`` on SQLite and ``COPY`` on PostgreSQL; every range is recorded in
``DemoRange`` so a re-run removes exactly the rows it made and nothing a user created.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from django.apps import apps
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

from demo.models import DemoRange

Progress = Callable[[str], None]


def _is_pg() -> bool:
    return connection.vendor == "postgresql"


def timestamps(us: np.ndarray) -> list[str]:
    """int64 microseconds since the epoch (UTC) -> the text each backend stores."""
    text = np.datetime_as_string(np.asarray(us, dtype=np.int64).astype("datetime64[us]"), unit="us")
    suffix = "+00:00" if _is_pg() else ""
    return [t.replace("T", " ") + suffix for t in text.tolist()]


def next_id(model: type[models.Model]) -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT MAX({model._meta.pk.column}) FROM {model._meta.db_table}")  # noqa: S608
        row = cur.fetchone()
    return int(row[0] or 0) + 1


def _column(field: models.Field, values: Any, n: int, id_base: dict[str, int]) -> list[Any]:
    """Turn one generated column into values the database accepts."""
    if isinstance(values, tuple) and values and values[0] == "fk":
        _, target, idx = values
        arr = np.asarray(idx, dtype=np.int64)
        out = np.where(arr >= 0, arr + id_base[target], -1).tolist()
        return [None if v < 0 else v for v in out]
    if isinstance(field, models.DateTimeField):
        arr = np.asarray(values, dtype=np.int64)
        text = timestamps(arr)
        if (arr < 0).any():
            return [None if a < 0 else t for a, t in zip(arr.tolist(), text, strict=True)]
        return text
    if isinstance(field, models.UUIDField):
        return [uuid.UUID(bytes=b).hex for b in values]
    if isinstance(field, models.DecimalField):
        return np.round(np.asarray(values, dtype=float), field.decimal_places).tolist()
    if isinstance(field, models.BooleanField):
        return [bool(v) for v in np.asarray(values).tolist()]
    if isinstance(values, np.ndarray):
        return values.tolist()
    return list(values)


def _slice(values: Any, start: int, stop: int) -> Any:
    if isinstance(values, tuple) and values and values[0] == "fk":
        return (values[0], values[1], values[2][start:stop])
    return values[start:stop]


def _default(field: models.Field, n: int) -> list[Any]:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        value: Any = timezone.now()
    elif field.has_default():
        value = field.get_default()
    elif field.null:
        return [None] * n
    else:
        value = "" if isinstance(field, (models.CharField, models.TextField)) else None
    prep = field.get_db_prep_save(value, connection)
    if isinstance(field, models.JSONField) and not isinstance(prep, str):
        import json

        prep = json.dumps(value)
    if hasattr(prep, "dumps"):  # psycopg Json adapters
        import json

        prep = json.dumps(value)
    return [prep] * n


def insert(
    model: type[models.Model],
    data: dict[str, Any],
    *,
    id_base: dict[str, int],
    key: str,
    progress: Progress | None = None,
    chunk: int = 100_000,
) -> int:
    """Insert rows column-wise with explicit ids from ``id_base[key]``; return the row count."""
    first_col = next(iter(data.values()))
    n = len(first_col[2] if isinstance(first_col, tuple) else first_col)
    if n == 0:
        return 0
    first = id_base[key]
    fields = list(model._meta.concrete_fields)
    cols = [str(f.column) for f in fields]
    nullable = [str(f.column) for f in fields if f.null]
    table = model._meta.db_table
    # convert and write chunk by chunk so a million events never sit in memory as tuples
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        values: list[list[Any]] = []
        for field in fields:
            if field.primary_key:
                values.append(list(range(first + start, first + stop)))
            elif field.name in data:
                values.append(
                    _column(field, _slice(data[field.name], start, stop), stop - start, id_base)
                )
            else:
                values.append(_default(field, stop - start))
        _write(table, cols, list(zip(*values, strict=True)), nullable=nullable)
        del values
        if progress and n > chunk:
            progress(f"  {table}: {stop:,}/{n:,}")
    DemoRange.objects.create(table=table, first_id=first, last_id=first + n - 1)
    return n


def _write(
    table: str, cols: Sequence[str], rows: Sequence[tuple[Any, ...]], nullable: Sequence[str] = ()
) -> None:
    connection.ensure_connection()
    quoted = ", ".join(connection.ops.quote_name(c) for c in cols)
    if _is_pg():
        buf = io.StringIO()
        writer = csv.writer(buf, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        writer.writerows(rows)
        buf.seek(0)
        with connection.cursor() as cur:
            # csv writes None as "" when quoting strings: FORCE_NULL reads it back as NULL
            force = ", ".join(connection.ops.quote_name(c) for c in nullable)
            options = f"FORMAT csv, FORCE_NULL ({force})" if nullable else "FORMAT csv"
            cur.cursor.copy_expert(f"COPY {table} ({quoted}) FROM STDIN WITH ({options})", buf)
    else:
        marks = ", ".join(["?"] * len(cols))
        raw = connection.connection
        # a big page cache keeps the event indexes in memory while they grow
        raw.execute("PRAGMA cache_size = -200000")
        raw.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", rows)  # noqa: S608


def sequences_reset(model_list: Iterable[type[models.Model]]) -> None:
    if not _is_pg():
        return
    from django.core.management.color import no_style

    sql = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    with connection.cursor() as cur:
        for stmt in sql:
            cur.execute(stmt)


# ---------------------------------------------------------------------------- removal


def _model_for_table() -> dict[str, type[models.Model]]:
    return {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}


def _range_q(ranges: list[tuple[int, int]], attname: str = "pk") -> Q:
    q = Q()
    for lo, hi in ranges:
        q |= Q(**{f"{attname}__gte": lo, f"{attname}__lte": hi})
    return q


def demo_rows_remove(progress: Progress | None = None) -> dict[str, int]:
    """Delete every row an earlier ``populate_demo`` wrote, and only those.

    Rows created by people that point at demo rows are treated as Django would on delete
    (cascade, set null); demo rows a user's row protects (a demo category holding a
    merchant's product) are kept.
    """
    by_table: dict[str, list[tuple[int, int]]] = {}
    for t, lo, hi in DemoRange.objects.values_list("table", "first_id", "last_id"):
        by_table.setdefault(t, []).append((lo, hi))
    if not by_table:
        return {}
    models_by_table = _model_for_table()
    existing_tables = set(connection.introspection.table_names())
    keep: dict[str, set[int]] = {}
    # tables holding nothing but demo rows cannot hold a user's reference to a demo row
    only_demo: set[str] = set()
    with connection.cursor() as cur:
        for table, ranges in by_table.items():
            if table not in existing_tables:
                continue
            cur.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
            total = cur.fetchone()[0]
            where = " OR ".join(["id BETWEEN %s AND %s"] * len(ranges))
            cur.execute(
                f"SELECT COUNT(*) FROM {table} WHERE {where}",  # noqa: S608
                [v for r in ranges for v in r],
            )
            if cur.fetchone()[0] == total:
                only_demo.add(table)
    # 1) non-demo rows that reference demo rows
    for table, ranges in by_table.items():
        model = models_by_table.get(table)
        if model is None:
            continue
        for rel in model._meta.related_objects:
            if rel.many_to_many:
                through = rel.through  # type: ignore[attr-defined]
                if through._meta.db_table not in existing_tables:
                    continue
                for f in through._meta.concrete_fields:
                    if f.is_relation and f.related_model is model:
                        through.objects.filter(_range_q(ranges, f.attname)).delete()
                continue
            other = rel.related_model
            if other._meta.db_table not in existing_tables:
                continue  # an app whose migrations have not run yet
            if other._meta.db_table in only_demo:
                continue
            fk = rel.field
            q = _range_q(ranges, fk.attname)
            own = by_table.get(other._meta.db_table)
            if own:
                q &= ~_range_q(own)
            qs = other._base_manager.filter(q)
            on_delete = rel.on_delete
            if on_delete is models.CASCADE:
                qs.delete()
            elif on_delete is models.SET_NULL:
                qs.update(**{fk.attname: None})
            elif on_delete is models.PROTECT:
                keep.setdefault(table, set()).update(qs.values_list(fk.attname, flat=True))
    # a kept category keeps its parents too
    cat_table = apps.get_model("catalog", "Category")._meta.db_table
    if keep.get(cat_table):
        Category = apps.get_model("catalog", "Category")
        frontier = set(keep[cat_table])
        while frontier:
            parents = set(
                Category.objects.filter(pk__in=frontier, parent__isnull=False).values_list(
                    "parent_id", flat=True
                )
            )
            frontier = parents - keep[cat_table]
            keep[cat_table] |= parents
    # 2) the demo rows themselves (FK checks are deferred to commit)
    counts: dict[str, int] = {}
    with connection.cursor() as cur:
        for table, ranges in by_table.items():
            if table not in models_by_table:
                continue
            kept = keep.get(table, set())
            if table in only_demo and not kept:
                cur.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
                counts[table] = cur.fetchone()[0]
                cur.execute(f"DELETE FROM {table}")  # noqa: S608 - SQLite truncates fast
            else:
                n = 0
                for lo, hi in ranges:
                    sql = f"DELETE FROM {table} WHERE id BETWEEN %s AND %s"  # noqa: S608
                    params: list[Any] = [lo, hi]
                    ids = sorted(k for k in kept if lo <= k <= hi)
                    if ids:
                        sql += f" AND id NOT IN ({', '.join(['%s'] * len(ids))})"
                        params += ids
                    cur.execute(sql, params)
                    n += cur.rowcount
                counts[table] = n
            if progress:
                progress(f"  removed {counts[table]:,} demo rows from {table}")
    DemoRange.objects.all().delete()
    return counts
