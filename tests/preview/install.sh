#!/usr/bin/env bash
# Install what the preview browser test needs: Debian's Chromium at /usr/bin/chromium
# (plus text and colour emoji fonts, so screenshots show the text and emoji as followers see them).
#
# Idempotent: does nothing when both are installed. Needs root (CI runs as root);
# non-interactive. The test drives Chromium with Python Playwright (pip package
# `playwright`, in the project's test extras); it never runs `playwright install`.
set -euo pipefail

want=()
[[ -x /usr/bin/chromium ]] || want+=(chromium)
# Text fonts (Chromium only recommends them) and colour emoji for faithful screenshots.
for font in fonts-liberation fonts-dejavu-core fonts-noto-color-emoji; do
    dpkg -s "$font" >/dev/null 2>&1 || want+=("$font")
done

if [[ ${#want[@]} -eq 0 ]]; then
    echo "tests/preview: chromium and fonts already installed"
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "tests/preview/install.sh: need root to apt-get install ${want[*]} (try: sudo $0)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "tests/preview: apt-get install ${want[*]} ..."
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
/usr/bin/chromium --version 2>/dev/null
