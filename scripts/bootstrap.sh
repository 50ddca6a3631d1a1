#!/usr/bin/env bash
# Installs what the stack and the tests need on a fresh machine, then syncs the workspace.
# Safe to run again: each step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}

if ! "$PYTHON" -m uv --version >/dev/null 2>&1; then
    echo "bootstrap: installing uv (the workspace's package manager) with pip" >&2
    "$PYTHON" -m pip install --quiet "uv>=0.9,<0.14"
fi

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ -z "${PG_BIN:-}" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "bootstrap: installing PostgreSQL server binaries from Debian's packages" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
        echo "bootstrap: PostgreSQL server binaries (initdb, pg_ctl) are missing." >&2
        echo "  Install Debian's 'postgresql' package, or set PG_BIN to their folder." >&2
        exit 1
    fi
fi

"$PYTHON" -m uv sync --frozen --all-packages --quiet
