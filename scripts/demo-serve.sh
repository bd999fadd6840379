#!/usr/bin/env bash
# `make demo`'s last step: train every model in the background while the store is served.
# The store answers at once on fallbacks (popular items, rules-only fraud, default queues)
# and switches to each model as soon as its training run activates it (admin: Model ops).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
mkdir -p var
(
  # dashboard rollups first (about a minute): the merchant's first dashboard visit is then
  # instant instead of building a year of rollups while training holds the CPU
  $BIN/python manage.py shell -c "from mlops.dashboard import dashboard_rollups_refresh as r; r(full=True)" \
    || echo "WARNING: dashboard rollups failed; the dashboard builds them on first visit"
  $BIN/python manage.py train_all || echo "WARNING: some models failed to train; see admin alerts"
  echo "all models trained"
) > var/train.log 2>&1 &
trainer=$!
trap 'kill $trainer 2>/dev/null || true' EXIT INT TERM
echo "Training models in the background (progress: var/train.log, or /admin/ -> Model ops)."
echo "Store: http://$HOST:$PORT/   Admin: http://$HOST:$PORT/admin/   API docs: http://$HOST:$PORT/api/docs/"
$BIN/python manage.py runserver "$HOST:$PORT" --noreload
