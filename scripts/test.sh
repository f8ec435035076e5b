#!/usr/bin/env bash
# Runs every test suite. Called by `make test` after deps and build.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
if [ ! -d ../shared/vectors ] && [ -z "${TEECLOUD_SHARED_DIR:-}" ]; then
  echo "note: ../shared/vectors not found: vector tests will be skipped (CI always has it)"
fi
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" --timeout 300
