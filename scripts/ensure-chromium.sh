#!/usr/bin/env bash
# Make sure a Chromium the browser driver can launch exists; print its path.
# Every launch is headless, so Debian's headless shell (chromium-headless-shell: the same engine
# without the browser UI, what Playwright launches for headless Chromium) is preferred.
# Order: $PLAYWRIGHT_CHROMIUM_EXECUTABLE, /usr/bin/chromium-headless-shell, Debian's package
# (as root), /usr/bin/chromium, Debian's chromium package (as root), Playwright's build.
set -euo pipefail
if [ -n "${PLAYWRIGHT_CHROMIUM_EXECUTABLE:-}" ] && [ -x "$PLAYWRIGHT_CHROMIUM_EXECUTABLE" ]; then
  echo "$PLAYWRIGHT_CHROMIUM_EXECUTABLE"; exit 0
fi
apt_install() {
  command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] || return 1
  echo "installing Debian's $1 (apt-get)" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1"; } >&2 || return 1
}
shell=/usr/bin/chromium-headless-shell
if [ -x "$shell" ] || { apt_install chromium-headless-shell && [ -x "$shell" ]; }; then
  echo "$shell"; exit 0
fi
if [ -x /usr/bin/chromium ] || { apt_install chromium && [ -x /usr/bin/chromium ]; }; then
  echo /usr/bin/chromium; exit 0
fi
echo "no system Chromium: trying 'python -m playwright install chromium'" >&2
"${PYTHON:-.venv/bin/python}" -m playwright install chromium >&2
echo playwright-managed
