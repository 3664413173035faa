#!/usr/bin/env bash
# What `npm test` needs beyond npm packages: Debian's Chromium for the browser SDK tests, and
# the Rust toolchain with Debian's packaged crates for the Rust SDK (there is no crates.io here).
# On a Debian machine where we are root (CI, a fresh VM) they are installed with apt; anywhere
# else this says what is missing and how to get it, and fails rather than skipping tests.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -d sdk/typescript ] && [ ! -x "$chromium" ]; then
  missing+=(chromium)
fi
if [ -d sdk/rust ] && { ! command -v cargo >/dev/null 2>&1 || [ ! -d /usr/share/cargo/registry ] \
  || ! ls /usr/share/cargo/registry | grep -q '^reqwest-'; }; then
  missing+=(rust-crates)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing test prerequisites with apt: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  for item in "${missing[@]}"; do
    case "$item" in
      chromium) apt-get install -y -qq --no-install-recommends chromium >/dev/null ;;
      rust-crates) bash sdk/rust/ci-deps.sh ;;
    esac
  done
  exit 0
fi

cat >&2 <<MESSAGE
npm test needs: ${missing[*]}
  chromium:    Debian/Ubuntu: sudo apt-get install chromium  (or set CHROMIUM_PATH to a Chromium binary)
  rust-crates: Debian 12: sudo bash sdk/rust/ci-deps.sh  (Rust toolchain and packaged crates)
MESSAGE
exit 1
