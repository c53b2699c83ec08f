#!/usr/bin/env bash
# Runs one oci_test (written by the rule): a structure-test spec with `slipway test`, or a command
# in the image with `slipway run`. Everything slipway keeps (store, layer cache, container state)
# goes under the test's own TEST_TMPDIR.
set -euo pipefail
runfiles="${RUNFILES_DIR:-${TEST_SRCDIR:-$0.runfiles}}"
resolve() {
  case "$1" in
    ../*) echo "$runfiles/${1#../}" ;;
    *) echo "$runfiles/{workspace}/$1" ;;
  esac
}
slipway=$(resolve "{slipway}")
layout=$(resolve "{layout}")
scratch="${TEST_TMPDIR:-$(mktemp -d)}"
export HOME="$scratch/home" XDG_DATA_HOME="$scratch/data" XDG_CACHE_HOME="$scratch/cache" \
       XDG_RUNTIME_DIR="$scratch/run" XDG_CONFIG_HOME="$scratch/config"
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME"

image="oci:$layout"
{body}
