#!/usr/bin/env bash
# slipway's main job, end to end, on the local store with no registry (README quick start #1).
#
# Today: build slipway, turn a busybox-static folder into the image `local:demo:latest`, inspect it,
# and show that building it again from a fresh copy (another path, other mtimes) gives the same
# digest. Later this grows into `slipway build` + `slipway run`.
#
# Needs what tools/setup.sh installs (bazel-bootstrap, busybox-static). Environment:
#   SLIPWAY_BAZEL_FLAGS   extra Bazel startup flags (e.g. --output_base=DIR)
#   SOURCE_DATE_EPOCH     the image timestamp (default 0); the digest depends on it, not on the clock
#   XDG_DATA_HOME         where the local store lives (default ~/.local/share; store = .../slipway)
set -euo pipefail
cd "$(dirname "$0")/.."

busybox=/bin/busybox
[[ -x $busybox ]] || { echo "demo: $busybox is missing; run tools/setup.sh" >&2; exit 1; }

# shellcheck disable=SC2086  # the flags are meant to split
bazel_cmd=(bazel ${SLIPWAY_BAZEL_FLAGS:-})

echo "==> bazel build //tools:slipway"
"${bazel_cmd[@]}" build --symlink_prefix=/ //tools:slipway 2>&1 | tail -n 1
slipway="$("${bazel_cmd[@]}" info bazel-bin 2>/dev/null)/tools/slipway"
[[ -x $slipway ]] || { echo "demo: $slipway was not built" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A root filesystem: /bin/busybox plus the applets as symlinks. Modes are set explicitly, so the
# caller's umask does not matter; mtimes do not matter either (the layer uses SOURCE_DATE_EPOCH).
make_rootfs() {
  local root=$1
  mkdir -p "$root/bin" "$root/tmp"
  cp "$busybox" "$root/bin/busybox"
  for applet in sh echo ls cat env pwd uname id mkdir rm sleep; do
    ln -s busybox "$root/bin/$applet"
  done
  chmod 0755 "$root" "$root/bin" "$root/bin/busybox"
  chmod 1777 "$root/tmp"
}

build_image() {
  "$slipway" image \
    --layer-dir "$1" \
    --entrypoint /bin/sh --entrypoint=-c \
    --cmd 'echo "hello from a slipway image"; ls /bin' \
    --env PATH=/bin \
    --workdir / \
    --label org.opencontainers.image.title=slipway-demo \
    -t local:demo:latest | tail -n 1
}

echo "==> building a busybox root filesystem in $work/rootfs-1"
make_rootfs "$work/rootfs-1"
echo "==> slipway image --layer-dir ... -t local:demo:latest"
first=$(build_image "$work/rootfs-1")

echo "==> slipway inspect local:demo"
"$slipway" inspect local:demo

echo "==> again, from a fresh copy in another folder, five seconds later"
sleep 5
make_rootfs "$work/rootfs-2"
second=$(build_image "$work/rootfs-2")

echo
echo "first build:  $first"
echo "second build: $second"
if [[ $first != "$second" ]]; then
  echo "demo: the two builds differ: slipway is not reproducible here" >&2
  exit 1
fi
echo "identical: the image is reproducible (stored as local:demo:latest in ${XDG_DATA_HOME:-$HOME/.local/share}/slipway)"
echo "$first"
