#!/usr/bin/env bash
# CI entry for the Rust SDK: installs the Debian crates, builds the service the integration tests
# start (dist/main.js), then runs every test of the crate offline: unit, integration, doc.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

bash "$here/ci-deps.sh"

# Built every time: a dist/ left from another commit would test the wrong service.
(cd "$root" && npm run build --silent)

cd "$here"
cargo test --offline
