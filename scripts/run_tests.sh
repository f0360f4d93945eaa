#!/usr/bin/env bash
# The whole suite twice: on SQLite, then on a real PostgreSQL server started on loopback.
# pytest's exit code 5 ("no tests collected") is a failure here, never a silent pass.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
status=0
run() {
  local label=$1; shift
  echo "=== 测试：$label"
  "$@"
  local rc=$?
  if [ $rc -eq 5 ]; then echo "pytest collected no tests ($label): failing"; rc=1; fi
  [ $rc -eq 0 ] || status=$rc
}
run "SQLite" $PY -m pytest -n 2
run "PostgreSQL" bash scripts/with_postgres.sh $PY -m pytest -n 2
exit $status
