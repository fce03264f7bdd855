#!/usr/bin/env bash
# Extract every message of each app into its messages.pot and merge that into the kk, ru and en
# catalogues: new messages arrive untranslated (tests/quality/test_translations.py then names
# them), removed ones are dropped. One fixed set of options, so a re-run changes no message that
# a text change did not. Compile afterwards with scripts/compile-translations.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.venv/bin}
for app in portal handler; do
  "$bin/pybabel" -q extract -F "$app/babel.cfg" -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
    -w 100 --sort-output --no-location --omit-header -o "$app/translations/messages.pot" . \
    >/dev/null
  "$bin/pybabel" -q update -i "$app/translations/messages.pot" -d "$app/translations" -w 100 \
    --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date >/dev/null
done
