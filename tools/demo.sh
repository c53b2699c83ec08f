#!/usr/bin/env bash
# slipway's main job, end to end, on the local store with no registry (README quick start #1):
#
#   1. bazel build //tools:slipway
#   2. slipway image ... -t local:busybox:latest      a base image from Debian's busybox-static
#   3. slipway build -t app testdata/e2e/app           multi-stage: build, unit tests, final image
#   4. slipway test app --spec testdata/e2e/spec.textproto
#   5. slipway run --rm app                            prints "hello, production"
#   6. the same build again with --no-cache from a copy of the context in another folder: the
#      digest is identical (and identical on every rerun of this script, on any machine).
#
# The registry version of this flow (build --push to a dev registry, test by digest, copy to a
# TLS + auth prod registry, run from there) is testdata/e2e/e2e_test.sh.
#
# Needs what tools/setup.sh installs (bazel-bootstrap, busybox-static) and root, for the RUN steps
# and the container (namespaces). Environment:
#   SLIPWAY_BAZEL_FLAGS   extra Bazel startup flags (e.g. --output_base=DIR)
#   SOURCE_DATE_EPOCH     the image timestamp (default 0); the digest depends on it, not on the clock
#   XDG_DATA_HOME         where the local store lives (default ~/.local/share; store = .../slipway)
set -euo pipefail
cd "$(dirname "$0")/.."

busybox=/bin/busybox
[[ -x $busybox ]] || { echo "demo: $busybox is missing; run tools/setup.sh" >&2; exit 1; }
if [[ $(id -u) -ne 0 ]]; then
  echo "demo: run as root (sudo tools/demo.sh): RUN steps and containers use Linux namespaces" >&2
  exit 1
fi

# shellcheck disable=SC2086  # the flags are meant to split
bazel_cmd=(bazel ${SLIPWAY_BAZEL_FLAGS:-})

echo "==> bazel build //tools:slipway"
"${bazel_cmd[@]}" build --symlink_prefix=/ //tools:slipway 2>&1 | tail -n 1
slipway="$("${bazel_cmd[@]}" info bazel-bin 2>/dev/null)/tools/slipway"
[[ -x $slipway ]] || { echo "demo: $slipway was not built" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "==> a busybox root filesystem -> slipway image -t local:busybox:latest"
root=$work/rootfs
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
chmod 0755 "$root" "$root/bin" "$root/bin/busybox" "$root/etc" "$root/root"
chmod 0644 "$root/etc/passwd" "$root/etc/group"
chmod 1777 "$root/tmp"
"$slipway" image --layer-dir "$root" --env PATH=/bin --cmd sh -t local:busybox:latest | tail -n 1

echo "==> slipway build -t app testdata/e2e/app   (stages: build, test = the unit tests, final)"
digest=$("$slipway" build -t app --progress plain testdata/e2e/app | tail -n 1)

echo "==> slipway test app --spec testdata/e2e/spec.textproto"
"$slipway" test app --spec testdata/e2e/spec.textproto

echo "==> slipway run --rm app"
"$slipway" run --rm app

echo "==> again: --no-cache, from a copy of the context in another folder"
cp -r testdata/e2e/app "$work/app-copy"
touch "$work/app-copy/src/greet.sh"  # other mtimes do not matter either
again=$("$slipway" build -t app --no-cache --progress plain "$work/app-copy" 2>/dev/null | tail -n 1)

echo
echo "first build:  $digest"
echo "second build: $again"
if [[ $digest != "$again" ]]; then
  echo "demo: the two builds differ: slipway is not reproducible here" >&2
  exit 1
fi
echo "identical: app:latest in ${XDG_DATA_HOME:-$HOME/.local/share}/slipway is reproducible"
echo "$digest"
