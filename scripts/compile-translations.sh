#!/usr/bin/env bash
# Compile every Babel catalog (.po -> .mo); the .mo files are build output and not committed.
set -euo pipefail
bin=${1:-.venv/bin}
shopt -s nullglob
for dir in portal/translations handler/translations; do
  [ -d "$dir" ] || continue
  for po in "$dir"/*/LC_MESSAGES/*.po; do
    "$bin/pybabel" compile --statistics -f -i "$po" -o "${po%.po}.mo" >/dev/null 2>&1 \
      || { echo "cannot compile $po" >&2; exit 1; }
  done
done
