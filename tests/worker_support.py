"""Real Celery worker processes for the integration tests (PostgreSQL + Redis)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg2
import psycopg2.extensions
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def test_database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_start(
    queue: str, *, pool: str = "solo", var_dir: str = "", extra_env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """A worker on its own queue against the test database, in its own process group.
    With ``var_dir`` it keeps model artifacts in ``var_dir/media`` (set MEDIA_ROOT to match)."""
    env = {**os.environ, "DATABASE_URL": test_database_url(), **(extra_env or {})}
    # PYTEST_XDIST_WORKER stays: the settings then give the worker the same Redis cache
    # database as this test process, which the test's cache.clear() empties.
    if var_dir:
        env["MLSTORE_VAR_DIR"] = var_dir
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "storefront",
            "worker",
            f"--pool={pool}",
            "--concurrency=1",
            "-Q",
            queue,
            "--loglevel=WARNING",
            f"--hostname={queue}-{time.monotonic_ns()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def worker_stop(worker: subprocess.Popen[str]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


def child_pids(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def wait_until(condition: Callable[[], object], *, timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def lock_holder() -> psycopg2.extensions.connection:
    """A second connection to the test database, to hold row or table locks in a transaction."""
    return psycopg2.connect(test_database_url())


def backend_waiting_on_lock() -> bool:
    """True when some session of the test database is blocked on a lock."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'"
        )
        row = cur.fetchone()
        return bool(row and row[0])
