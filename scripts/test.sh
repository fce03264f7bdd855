#!/usr/bin/env bash
# The whole test run: static checks, then the suite on SQLite, then again on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin

bash scripts/system-deps.sh

echo "== test tools from npm (axe-core, vnu.jar; --ignore-scripts: Debian's Java runs the jar)"
(cd tests/quality && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

echo "== ruff"
"$bin/ruff" check .
"$bin/ruff" format --check .

echo "== bandit (medium and high findings; exceptions are justified inline)"
"$bin/bandit" -q -ll -r crypto hardening store cases installation rules web portal handler documents mail adal_cli

echo "== pip-audit"
"$bin/python" scripts/audit_deps.py

# Two workers: the suite is CPU-bound (key derivation, Chromium) and CI machines have two cores.
# loadgroup keeps each browser test directory on one worker, as its shared site needs.
xdist=(-n "${ADAL_TEST_WORKERS:-2}" --dist loadgroup)

echo "== pytest on SQLite"
"$bin/pytest" -q -p no:cacheprovider "${xdist[@]}" "$@"

echo "== pytest on PostgreSQL"
pgdir=$(mktemp -d /tmp/adal-pg.XXXXXX)
chmod 755 "$pgdir"
trap 'bash scripts/postgres.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
url=$(bash scripts/postgres.sh start "$pgdir")
ADAL_TEST_POSTGRES_URL="$url" "$bin/pytest" -q -p no:cacheprovider "${xdist[@]}" "$@"
