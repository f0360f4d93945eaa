#!/usr/bin/env bash
# Serve the product with gunicorn plus the one scheduler process, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}; PORT=${PORT:-5000}  # WORKERS (default: one per core) is read by gunicorn.conf.py
$PY -m flask --app wsgi kpi scheduler &
SCHED=$!
$PY -m gunicorn -c gunicorn.conf.py --bind "$HOST:$PORT" wsgi:app &
WEB=$!
stop() { kill -TERM "$WEB" "$SCHED" 2>/dev/null || true; wait "$WEB" "$SCHED" 2>/dev/null || true; }
trap stop INT TERM
wait -n "$WEB" "$SCHED" || true
stop
