#!/usr/bin/env bash
# The whole test run: static checks, then the suite on SQLite, then again on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin

echo "== ruff"
"$bin/ruff" check .

echo "== pytest on SQLite"
"$bin/pytest" -q -p no:cacheprovider "$@"
