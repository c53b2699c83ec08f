#!/usr/bin/env bash
# slipway starts without libcurl and libarchive (third_party/lazy opens them on first use):
#  - the binary has no NEEDED entry for them, nor for libssl, libcrypto or the C++ runtime, and
#    exports none of their functions (so the real libraries' internal calls can never bind to our
#    forwarders, nor to the private copies of SHA-256 and libstdc++ linked in);
#  - `version`, `ps`, `graph` and, as root, `run` and `test` with the layers cached do not load
#    them; a registry command loads libcurl, and `image --layer-dir` loads libarchive, and both
#    then work;
#  - as root, with each library hidden by a bind mount in a private mount namespace, the command
#    that needs it fails with exit 125 and a message naming the Debian package to install.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
export PATH="$PATH:/usr/sbin:/sbin"  # ldconfig

runfiles="${TEST_SRCDIR:-$0.runfiles}"
slipway="$runfiles/slipway/tools/slipway"
[[ -x $slipway ]] || fail "slipway binary not found at $slipway"
work="${TEST_TMPDIR:-$(mktemp -d)}/lazy"
rm -rf "$work"
mkdir -p "$work/tree" "$work/state"
echo hello > "$work/tree/greeting"
export XDG_DATA_HOME="$work/data" SLIPWAY_STATE_ROOT="$work/state"

needed=$(readelf -d "$slipway" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[[ -n $needed ]] || fail "readelf found no NEEDED entries at all"
if grep -E '^lib(curl|archive|ssl|crypto)\.' <<<"$needed"; then fail "slipway links the library above"; fi
# Everything else is linked in (third_party/linkopts.bzl): a new NEEDED entry costs every start.
extra=$(grep -vxE 'libc\.so\.6|libm\.so\.6|libzstd\.so\.1|ld-linux-x86-64\.so\.2' <<<"$needed" || true)
[[ -z $extra ]] || fail "slipway needs more shared libraries than libc, libm and libzstd: $extra"

exported=$(nm -D --defined-only "$slipway" | awk '{print $3}' | grep -E '^(curl|archive)_|^(SSL|SHA256|X509|BIO|ERR|OPENSSL)_' || true)
[[ -z $exported ]] || fail "slipway exports $exported"

# The C++ runtime is linked in (third_party:libstdcxx_static) and hidden: no libstdc++.so.6 at
# start, and none of its locale facet ids exported, which a libstdc++.so.6 that libarchive's
# dependencies bring in later would otherwise bind to.
if grep -E '^lib(stdc\+\+|gcc_s)\.' <<<"$needed"; then fail "slipway links the C++ runtime above"; fi
exported=$(nm -D --defined-only "$slipway" | awk '{print $3}' | grep -E '^_Z(GV)?NSt.*2idE$' || true)
[[ -z $exported ]] || fail "slipway exports libstdc++'s $exported"

# The libraries the dynamic loader opens while running "$@" (LD_DEBUG=files, one soname a line).
loaded() {
  LD_DEBUG=files LD_DEBUG_OUTPUT="$work/ld" "$@" >/dev/null 2>&1 || true
  cat "$work"/ld.* | sed -n 's/.*file=\([^ ]*\) .*/\1/p' | sort -u
  rm -f "$work"/ld.*
}

# Fails (exit status and output checked) when "$@" loads a library that only network or tar
# work needs.
loads_none() {
  local libs
  libs=$(loaded "$@")
  grep -q '^libc\.so' <<<"$libs" || fail "LD_DEBUG did not list the libraries of \`$*\`"
  if grep -E '^lib(curl|archive|ssl|crypto)\.' <<<"$libs"; then fail "\`$*\` loads the library above"; fi
  return 0
}

mkdir -p "$work/context"
printf 'FROM scratch AS base\nCOPY greeting /etc/\nFROM base\nRUN true\n' >"$work/context/Dockerfile"
cp "$work/tree/greeting" "$work/context/"
for cmd in version ps "graph $work/context"; do
  # shellcheck disable=SC2086
  "$slipway" $cmd >"$work/out" 2>&1 || fail "slipway $cmd failed: $(cat "$work/out")"
  # shellcheck disable=SC2086
  loads_none "$slipway" $cmd
done

# A registry command: nothing listens on port 1, so curl itself must report the failure.
libs=$(loaded "$slipway" tags 127.0.0.1:1/none)
grep -q '^libcurl\.so\.4$' <<<"$libs" || fail "\`slipway tags\` did not load libcurl.so.4"
if "$slipway" tags 127.0.0.1:1/none >"$work/out" 2>&1; then fail "tags of a closed port succeeded"; fi
grep -qi 'connect' "$work/out" || fail "tags did not report curl's connection error: $(cat "$work/out")"

# A layer from a folder goes through libarchive.
libs=$(loaded "$slipway" image --layer-dir "$work/tree" -t "oci:$work/img1:latest")
grep -q '^libarchive\.so\.13$' <<<"$libs" || fail "\`slipway image --layer-dir\` did not load libarchive"
"$slipway" image --layer-dir "$work/tree" -t "oci:$work/img2:latest" >"$work/out" 2>&1 ||
  fail "slipway image failed: $(cat "$work/out")"

if [[ $(id -u) -ne 0 ]] || ! unshare -m true 2>/dev/null; then
  echo "skipping the run/test and missing-library checks: they need root and namespaces"
  exit 0
fi

# `run` and `test` with the layers cached: the first run unpacks them (libarchive), later ones
# must not need it.
mkdir -p "$work/rootfs/bin"
cp /bin/busybox "$work/rootfs/bin/busybox" || fail "busybox-static is not installed (tools/setup.sh)"
ln -s busybox "$work/rootfs/bin/true"
ln -s busybox "$work/rootfs/bin/sh"
"$slipway" image --layer-dir "$work/rootfs" -t "oci:$work/box:latest" >"$work/out" 2>&1 ||
  fail "slipway image of busybox failed: $(cat "$work/out")"
export SLIPWAY_LAYER_CACHE="$work/cache"
"$slipway" run --rm "oci:$work/box:latest" /bin/true >"$work/out" 2>&1 ||
  fail "the first run failed: $(cat "$work/out")"
loads_none "$slipway" run --rm "oci:$work/box:latest" /bin/true
printf 'command_tests { name: "true" command: "true" }\n' >"$work/spec.textproto"
"$slipway" test "oci:$work/box:latest" --spec "$work/spec.textproto" >"$work/out" 2>&1 ||
  fail "slipway test failed: $(cat "$work/out")"
loads_none "$slipway" test "oci:$work/box:latest" --spec "$work/spec.textproto"

# Runs "$@" with the real file behind `soname` replaced by an empty one; prints its output and
# exit status.
without() {
  local soname=$1; shift
  local real
  real=$(ldconfig -p | awk -v s="$soname" '$1 == s && /x86-64/ {print $NF; exit}')
  [[ -n $real ]] || fail "ldconfig does not know $soname"
  : >"$work/empty.so"
  unshare -m sh -c 'mount --bind "$1" "$(readlink -f "$2")" && shift 2 && exec "$@"' \
    sh "$work/empty.so" "$real" "$@" 2>&1 && echo "exit=0" || echo "exit=$?"
}

out=$(without libcurl.so.4 "$slipway" tags 127.0.0.1:1/none)
grep -q 'exit=125' <<<"$out" || fail "tags without libcurl: want exit 125, got: $out"
grep -q 'libcurl.so.4.*install the Debian package libcurl4' <<<"$out" ||
  fail "tags without libcurl does not say what to install: $out"

out=$(without libarchive.so.13 "$slipway" image --layer-dir "$work/tree" -t "oci:$work/img3:latest")
grep -q 'exit=125' <<<"$out" || fail "image without libarchive: want exit 125, got: $out"
grep -q 'libarchive.so.13.*install the Debian package libarchive13' <<<"$out" ||
  fail "image without libarchive does not say what to install: $out"

# What does not need them still works without them.
out=$(without libcurl.so.4 "$slipway" version)
grep -q '^slipway ' <<<"$out" && grep -q 'exit=0' <<<"$out" || fail "version without libcurl: $out"
echo PASS
