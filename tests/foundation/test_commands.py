import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # Browser tests in the same worker may have set DJANGO_ALLOW_ASYNC_UNSAFE; a deployment
    # would not have it, and check --deploy warns about it.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=120,
    )


def test_production_settings_pass_check_deploy() -> None:
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DEBUG": "0",
            "DJANGO_SECRET_KEY": "x" * 20 + "prod-secret-0123456789-abcdefghijklmnop",
            "ALLOWED_HOSTS": "shop.example.com",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_without_secret_key_refuses_to_start() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env["DEBUG"] = "0"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_ml_eval_unknown_capability_is_a_usage_error() -> None:
    result = run_manage("ml_eval", "astrology")
    assert result.returncode != 0
    assert "invalid choice" in result.stderr


@pytest.mark.django_db
def test_train_all_rejects_unknown_capability() -> None:
    with pytest.raises(CommandError, match="unknown capability"):
        call_command("train_all", "astrology")


def test_migrations_are_committed() -> None:
    result = run_manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
