#!/usr/bin/env bash
# Install the Debian packages the test suite needs, when they are missing:
#   - PostgreSQL server binaries (the tests start a throwaway cluster on 127.0.0.1);
#   - Debian's chromium (reports and pages are rendered headless in the tests).
# Runs apt-get as root, or through sudo when available. Safe to run repeatedly.
set -euo pipefail

need=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi

if ! command -v chromium >/dev/null 2>&1; then
  need+=(chromium)
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

echo "installing Debian packages: ${need[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "error: need root (or sudo) to install: ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian starts a system cluster on install; the tests use their own, so leave it be.
echo "installed: ${need[*]}"
