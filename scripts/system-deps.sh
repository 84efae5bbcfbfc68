#!/usr/bin/env bash
# Debian packages the test suite runs for real: a PostgreSQL server, the Chromium browser, and the fonts its
# screenshots of the Japanese pages need (Arabic is in the DejaVu fonts Chromium brings).
# Installs only what is missing; needs root (or sudo).
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc >/dev/null 2>&1 || need+=(fonts-noto-cjk)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing ${need[*]} from Debian"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The tests start their own PostgreSQL; the one the package starts is not needed.
$SUDO service postgresql stop >/dev/null 2>&1 || true
