#!/usr/bin/env bash
# Installs the Debian packages BitSweep builds and tests against, only where they are missing.
# Runs `apt-get update` once, first, and only when something must be installed.
set -euo pipefail
needed=(pkg-config libcairo2-dev libdnnl-dev libpng-dev libjpeg62-turbo-dev libsqlite3-dev poppler-utils fonts-dejavu-core python3-venv
        chromium chromium-driver texlive-latex-recommended)
missing=()
for p in "${needed[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
