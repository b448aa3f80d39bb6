#!/usr/bin/env bash
# Make sure a Chromium the browser driver can launch exists; print its path.
# Order: $PLAYWRIGHT_CHROMIUM_EXECUTABLE, /usr/bin/chromium, Debian's package (as root), Playwright's build.
set -euo pipefail
if [ -n "${PLAYWRIGHT_CHROMIUM_EXECUTABLE:-}" ] && [ -x "$PLAYWRIGHT_CHROMIUM_EXECUTABLE" ]; then
  echo "$PLAYWRIGHT_CHROMIUM_EXECUTABLE"; exit 0
fi
if [ -x /usr/bin/chromium ]; then echo /usr/bin/chromium; exit 0; fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing Debian's chromium (apt-get)" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  if [ -x /usr/bin/chromium ]; then echo /usr/bin/chromium; exit 0; fi
fi
echo "no system Chromium: trying 'python -m playwright install chromium'" >&2
"${PYTHON:-.venv/bin/python}" -m playwright install chromium >&2
echo playwright-managed
