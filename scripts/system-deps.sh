#!/usr/bin/env bash
# Debian packages the full test run needs; installs only what is missing (needs root, as CI is).
set -euo pipefail
packages=(postgresql caddy tor chromium default-jre-headless fonts-dejavu-core
          libreoffice-writer-nogui poppler-utils)
# Browser tests drive Debian's Chromium; the Nu HTML checker runs on Java; DejaVu draws Kazakh
# letters in screenshots; LibreOffice and poppler turn the appendices into PDF and read them
# back. Node.js with npm installs axe-core and vnu.jar; a machine that has its own Node.js
# (npm included) keeps it.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
  exit 1
fi
echo "== installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
