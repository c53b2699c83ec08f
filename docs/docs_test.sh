#!/usr/bin/env bash
# Bazel entry point of docs_test.py (see there): docs_test.sh SLIPWAY DOCS_TEST_PY
set -euo pipefail
exec python3 "$2" "$1" "$(dirname "$2")"
