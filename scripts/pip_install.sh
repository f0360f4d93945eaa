#!/usr/bin/env bash
# pip install with retries: a fresh machine's first install downloads every package, and one broken
# connection (seen in CI: "Connection broken: IncompleteRead") must not fail the whole set-up.
# pip's own --retries covers refused connections, not a download cut off half-way, so the whole
# install is tried again; packages already installed are not downloaded twice.
# usage: scripts/pip_install.sh PIP ARGS...
set -uo pipefail
pip="$1"; shift
for attempt in 1 2 3 4 5; do
    if "$pip" install --retries 10 "$@"; then
        exit 0
    fi
    if [ "$attempt" -lt 5 ]; then
        echo "pip install failed (attempt $attempt of 5); trying again in $((attempt * 5)) s" >&2
        sleep $((attempt * 5))
    fi
done
echo "pip install failed 5 times: $*" >&2
exit 1
