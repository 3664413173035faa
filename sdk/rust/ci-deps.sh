#!/usr/bin/env bash
# Installs what building and testing sdk/rust needs on a fresh Debian 12 machine, offline from
# crates.io: the Rust crates come as Debian packages into /usr/share/cargo/registry, which
# .cargo/config.toml points cargo at. Safe to run again: apt-get skips what is installed.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

# One package per crate the crate's Cargo.toml names; apt brings their own dependencies.
# libssl-dev and pkg-config: reqwest's default TLS links OpenSSL.
packages=(
  librust-chrono-dev
  librust-flate2-dev
  librust-rand-dev
  librust-reqwest-dev
  librust-serde-dev
  librust-serde-derive-dev
  librust-serde-json-dev
  librust-thiserror-dev
  librust-tokio-dev
  librust-tracing-dev
  librust-uuid-dev
  librust-libc-dev
  librust-tempfile-dev
  libssl-dev
  pkg-config
)

# A machine without a Rust toolchain gets Debian's (cargo depends on rustc).
if ! command -v cargo >/dev/null 2>&1; then
  packages+=(cargo)
fi

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

sudo_if_needed apt-get update -qq
sudo_if_needed apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "sdk/rust: Debian crates installed in /usr/share/cargo/registry"
