#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (never a downloaded browser).
# Install it when it is missing and we may (root with apt-get); otherwise the
# browser tests skip and say why.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the browser tests"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
else
  echo "chromium is missing and cannot be installed here: browser tests will skip" >&2
fi
