#!/bin/sh
# Installs the headless browser the report tests drive (test/report/browser.test.ts,
# npm run bench:report): Debian's `chromium` package. Does nothing when a Chromium is already
# there ($CHROMIUM_PATH, /usr/bin/chromium or /usr/bin/chromium-browser), so it is safe to run
# on every CI start. Needs root (or sudo) only when it installs.
set -eu
for candidate in "${CHROMIUM_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    echo "chromium: $candidate ($("$candidate" --version 2>/dev/null || echo 'version unknown'))"
    exit 0
  fi
done
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else echo "setup-chromium: chromium is missing and this is not root (no sudo): apt-get install -y chromium" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "chromium: $(command -v chromium) ($(chromium --version 2>/dev/null || echo 'version unknown'))"
