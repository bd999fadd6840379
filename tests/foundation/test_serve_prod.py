"""`make serve-prod` path: gunicorn + Celery worker + beat on PostgreSQL and Redis."""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback only)
        return response.status, response.read()


@pytest.mark.integration
@pytest.mark.postgres
def test_serve_prod_serves_pages_api_and_runs_a_worker() -> None:
    port = _free_port()
    name = f"sp{os.getpid()}"
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    env = {
        **os.environ,
        "DATABASE_URL": f"{base}/mlstore_serveprod_{os.getpid()}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "CELERY_WORKER_NAME": name,
        "CELERY_CONCURRENCY": "1",
        "BEAT_SCHEDULE_FILE": f"/tmp/beat-{name}",
    }
    env.pop("PYTEST_XDIST_WORKER", None)
    proc = subprocess.Popen(
        ["bash", "scripts/serve-prod.sh"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 150
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.time() < deadline, "serve-prod did not come up"
            time.sleep(1)
        assert _get(f"http://127.0.0.1:{port}/")[0] == 200
        assert _get(f"http://127.0.0.1:{port}/api/v1/products/")[0] == 200
        status, schema = _get(f"http://127.0.0.1:{port}/api/schema/")
        assert status == 200 and b"openapi" in schema

        from storefront.celery import app

        replies: list[dict] = []
        for _ in range(30):
            replies = app.control.ping(destination=[f"{name}@{socket.gethostname()}"], timeout=1)
            if replies:
                break
        assert replies, "the Celery worker started by serve-prod did not answer"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        subprocess.run(
            [
                "psql",
                f"{base}/postgres",
                "-qc",
                f"DROP DATABASE IF EXISTS mlstore_serveprod_{os.getpid()} WITH (FORCE)",
            ],
            capture_output=True,
        )
