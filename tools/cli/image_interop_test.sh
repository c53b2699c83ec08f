#!/usr/bin/env bash
# Interoperability: an image written by `slipway image` into an oci: folder is accepted by real
# tools — skopeo, umoci (ls and unpack; the layer's file must be in the bundle's rootfs) and
# oci-image-tool. Also checks reproducibility across source folders, mtimes and umasks, and that
# `slipway inspect` reads it back. Runs as root in CI; the peers come from tools/setup.sh.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }

runfiles="${TEST_SRCDIR:-$0.runfiles}"
slipway="$runfiles/slipway/tools/slipway"
[[ -x $slipway ]] || fail "slipway binary not found at $slipway"
for tool in skopeo umoci oci-image-tool; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (run tools/setup.sh)"
done

work="${TEST_TMPDIR:-$(mktemp -d)}/interop"
rm -rf "$work"
mkdir -p "$work"
cd "$work"

# Two copies of the same tree, built under different umasks and with different mtimes.
make_tree() {
  local dir=$1 mask=$2 stamp=$3
  (
    umask "$mask"
    mkdir -p "$dir/etc" "$dir/bin"
    echo "hello from slipway" > "$dir/etc/greeting"
    printf '#!/bin/sh\necho ok\n' > "$dir/bin/tool"
    ln -s tool "$dir/bin/alias"
  )
  chmod 0755 "$dir" "$dir/etc" "$dir/bin" "$dir/bin/tool"
  chmod 0644 "$dir/etc/greeting"
  find "$dir" -exec touch -h -d "$stamp" {} +
}
make_tree tree-a 022 "2001-02-03 04:05:06"
make_tree tree-b 077 "2020-10-10 10:10:10"

export SOURCE_DATE_EPOCH=1700000000
digest_a=$("$slipway" image --layer-dir tree-a:/opt/app --entrypoint /opt/app/bin/tool \
  --env GREETING=hi --label org.example=1 -t oci:layout:v1 | tail -n 1)
digest_b=$("$slipway" image --layer-dir tree-b:/opt/app --entrypoint /opt/app/bin/tool \
  --env GREETING=hi --label org.example=1 -t oci:other:v1 | tail -n 1)
[[ $digest_a == sha256:* ]] || fail "slipway image printed `$digest_a`, not a digest"
[[ $digest_a == "$digest_b" ]] || fail "not reproducible: $digest_a vs $digest_b"

# skopeo: reads the layout and reports our digest.
skopeo inspect "oci:layout:v1" > skopeo.json
grep -q "\"Digest\": \"$digest_a\"" skopeo.json || { cat skopeo.json; fail "skopeo digest differs"; }
grep -q '"org.example": "1"' skopeo.json || fail "skopeo does not show the label"

# umoci: lists the tag and unpacks the layer into a bundle.
umoci ls --layout layout | grep -qx v1 || fail "umoci ls does not list v1"
umoci unpack --image layout:v1 bundle > umoci.log 2>&1 || { cat umoci.log; fail "umoci unpack"; }
[[ $(cat bundle/rootfs/opt/app/etc/greeting) == "hello from slipway" ]] ||
  fail "bundle/rootfs/opt/app/etc/greeting is missing or wrong"
[[ $(readlink bundle/rootfs/opt/app/bin/alias) == tool ]] || fail "symlink not unpacked"
grep -q '"/opt/app/bin/tool"' bundle/config.json || fail "umoci's runtime config lacks the entrypoint"

# oci-image-tool 1.0.0-rc1 (Debian 12): `--type imageLayout` is not implemented by the tool itself
# (it fails with `type "imageLayout" unimplemented` for any folder, valid or not), so that exact
# check is skipped; `--type image` validates the same layout (index, manifests, configs, layers).
if out=$(oci-image-tool validate --type imageLayout layout 2>&1); then
  echo "oci-image-tool validate --type imageLayout: OK"
elif grep -q 'imageLayout.* unimplemented' <<<"$out"; then
  echo "SKIP: oci-image-tool validate --type imageLayout: $out"
else
  fail "oci-image-tool validate --type imageLayout: $out"
fi
oci-image-tool validate --type image --ref name=v1 layout || fail "oci-image-tool validate --type image"

# A second image on top of the first (base from oci:), then our own inspect.
digest_c=$("$slipway" image --base oci:layout:v1 --layer-dir tree-a:/srv --cmd hello -t oci:layout:v2 | tail -n 1)
[[ $digest_c != "$digest_a" ]] || fail "the derived image has the base's digest"
umoci unpack --image layout:v2 bundle2 > /dev/null 2>&1 || fail "umoci unpack v2"
[[ -f bundle2/rootfs/opt/app/etc/greeting && -f bundle2/rootfs/srv/etc/greeting ]] ||
  fail "v2 lacks a layer"
"$slipway" inspect --json oci:layout:v2 > inspect.json
grep -q "\"digest\": \"$digest_c\"" inspect.json || fail "inspect shows another digest"
oci-image-tool validate --type image --ref name=v2 layout || fail "oci-image-tool validate v2"

# --platform sets the config's platform; a base of another platform is refused.
"$slipway" image --platform linux/arm64 --layer-dir tree-a -t oci:arm:v1 > /dev/null
skopeo inspect oci:arm:v1 | grep -q '"Architecture": "arm64"' || fail "--platform linux/arm64 ignored"
if "$slipway" image --base oci:arm:v1 --platform linux/amd64 -t oci:arm:v2 2> mismatch.log; then
  fail "a linux/arm64 base was accepted for --platform linux/amd64"
fi
grep -q "does not match base" mismatch.log || { cat mismatch.log; fail "unclear platform error"; }

# Writing to a plain name (a registry) is refused with a usage error.
set +e
"$slipway" image --layer-dir tree-a -t example.com/app:v1 > /dev/null 2> refused.log
rc=$?
set -e
[[ $rc -eq 2 ]] || { cat refused.log; fail "writing to a registry name exited $rc, want 2"; }

echo "PASS: $digest_a"
