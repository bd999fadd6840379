#!/usr/bin/env bash
# Production mode on this machine: gunicorn + Celery worker + beat on local PostgreSQL/Redis.
# Same processes as docker-compose.yml; stop with Ctrl-C (all three stop together).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export DEBUG=0
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/mlstore}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-$($BIN/python -c "import secrets; print(secrets.token_urlsafe(50))")}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
# Plain HTTP on loopback: behind a TLS proxy, leave these at their secure defaults.
export SECURE_SSL_REDIRECT=${SECURE_SSL_REDIRECT:-0}
export SESSION_COOKIE_SECURE=${SESSION_COOKIE_SECURE:-0}
export CSRF_COOKIE_SECURE=${CSRF_COOKIE_SECURE:-0}
export SECURE_HSTS_SECONDS=${SECURE_HSTS_SECONDS:-0}
PORT=${PORT:-8000}
WORKERS=${WEB_CONCURRENCY:-3}
BEAT_SCHEDULE_FILE=${BEAT_SCHEDULE_FILE:-var/celerybeat-schedule}

dbname=${DATABASE_URL##*/}
if command -v psql >/dev/null && ! psql "${DATABASE_URL%/*}/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$dbname'" | grep -q 1; then
  psql "${DATABASE_URL%/*}/postgres" -c "CREATE DATABASE \"$dbname\"" >/dev/null
fi
$BIN/python manage.py migrate --noinput -v0
$BIN/python manage.py collectstatic --noinput -v0

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
$BIN/celery -A storefront worker --loglevel=INFO --concurrency=${CELERY_CONCURRENCY:-2} \
  -n "${CELERY_WORKER_NAME:-worker}@%h" & pids+=($!)
$BIN/celery -A storefront beat --loglevel=INFO --schedule "$BEAT_SCHEDULE_FILE" & pids+=($!)
$BIN/gunicorn storefront.wsgi:application --bind "${HOST:-127.0.0.1}:$PORT" --workers "$WORKERS" \
  --access-logfile - & pids+=($!)
echo "serve-prod: web http://${HOST:-127.0.0.1}:$PORT (pids ${pids[*]})"
wait -n "${pids[@]}"
