#!/usr/bin/env bash
# Make sure the browser tests can run: Debian's Chromium and fonts for Persian/Thai text.
# Installs them with apt when run as root; otherwise says what to install and fails.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans Thai\|Noto Sans Arabic" || missing+=(fonts-noto-core)
fc-list 2>/dev/null | grep -qi "tlwg\|Loma\|Garuda" || missing+=(fonts-thai-tlwg)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "ensure-browser: installing ${missing[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "ensure-browser: the browser tests need: ${missing[*]}. Install them (Debian: sudo apt-get install ${missing[*]})." >&2
exit 1
