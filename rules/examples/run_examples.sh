#!/usr/bin/env bash
# Runs the example user repository end to end, as CI does:
#  1. builds the slipway binary (oci_pull runs it at fetch time: SLIPWAY_BIN),
#  2. starts a registry on 127.0.0.1 (ephemeral port; tools/testing/registry/registry_env.py),
#  3. builds a busybox base image from Debian's busybox-static, pushes it there as
#     library/busybox:1.35 and makes that registry the docker.io mirror for slipway,
#  4. runs `bazel test //...` in rules/examples (oci_pull, oci_image, dockerfile_image, oci_test...),
#  5. pushes both images with `bazel run //...:push` and checks the registry serves their digests,
#  6. checks reproducibility: a rebuild runs no action; a build from a second clean output base gives
#     the same digests; image outputs hold no absolute path, user name or build time.
# Stops the registry by its PID on exit. Exit status 0 only if every step passed.
# Env: EXAMPLES_OUTPUT_BASE (default /root/.cache/bazel-rules-examples), SLIPWAY_OUTPUT_BASE (the
# main workspace's, default /root/.cache/bazel-rules), SKIP_REPRO=1 skips the second clean build.
set -euo pipefail

examples="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$examples/../.." && pwd)"
main_ob="${SLIPWAY_OUTPUT_BASE:-/root/.cache/bazel-rules}"
ex_ob="${EXAMPLES_OUTPUT_BASE:-/root/.cache/bazel-rules-examples}"
work="$(mktemp -d "${TMPDIR:-/tmp}/slipway-examples.XXXXXX")"
registry_pid=""
cleanup() {
  if [[ -n $registry_pid ]]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
step() { echo; echo "=== run_examples: $*"; }
die() { echo "run_examples: FAIL: $*" >&2; exit 1; }
ebazel() { (cd "$examples" && bazel --output_base="$1" "${@:2}"); }

step "building //tools:slipway (for oci_pull and the base image)"
(cd "$root" && bazel --output_base="$main_ob" build --experimental_convenience_symlinks=ignore //tools:slipway)
slipway="$(cd "$root" && bazel --output_base="$main_ob" info bazel-bin 2>/dev/null)/tools/slipway"
[[ -x $slipway ]] || die "no slipway binary at $slipway"
export SLIPWAY_BIN="$slipway"

step "starting a registry on 127.0.0.1"
python3 "$root/tools/testing/registry/registry_env.py" --kind plain --until-signal \
  --workdir "$work/registry" >"$work/registry.json" 2>"$work/registry.log" &
registry_pid=$!
for _ in $(seq 1 100); do [[ -s $work/registry.json ]] && break; sleep 0.1; done
host=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("host") or sys.exit(d.get("error","no host")))' "$work/registry.json") \
  || { cat "$work/registry.log" >&2; die "the registry did not start"; }
echo "registry at $host (pid $registry_pid)"

step "pushing a busybox base built from busybox-static as $host/library/busybox:1.35"
busybox=$(command -v busybox || true)
[[ -n $busybox ]] || die "busybox-static is not installed (tools/setup.sh installs it)"
mkdir -p "$work/rootfs/bin"
cp "$busybox" "$work/rootfs/bin/busybox"
chmod 0755 "$work/rootfs" "$work/rootfs/bin" "$work/rootfs/bin/busybox"
for applet in sh cat echo ls test mkdir wc tail cut tr readlink stat id env sleep true false; do
  ln -s busybox "$work/rootfs/bin/$applet"
done
# An uncompressed layer made with fixed metadata, so the digest pinned in WORKSPACE does not depend
# on any compressor's version.
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu \
  -C "$work/rootfs" -cf "$work/busybox.tar" bin
SOURCE_DATE_EPOCH=0 "$slipway" image --layer-tar "$work/busybox.tar" --platform linux/amd64 \
  --env PATH=/usr/local/bin:/usr/bin:/bin --cmd sh -t "oci:$work/busybox:1.35" >"$work/base.digest" 2>/dev/null
base_digest=$(tail -n 1 "$work/base.digest")
"$slipway" push --progress quiet "oci:$work/busybox:1.35" "$host/library/busybox:1.35" >/dev/null
pinned=$(grep -o 'sha256:[0-9a-f]\{64\}' "$examples/WORKSPACE" | head -n 1)
if [[ $pinned != "$base_digest" ]]; then
  die "the base image is $base_digest but rules/examples/WORKSPACE pins $pinned (busybox-static or slipway image changed): update the digest"
fi
mkdir -p "$work/config/slipway"
printf '{"registry-mirrors": ["http://%s"]}\n' "$host" >"$work/config/slipway/config.json"
export XDG_CONFIG_HOME="$work/config"

step "bazel test //... in rules/examples"
if ! ebazel "$ex_ob" test //... 2>&1 | tee "$work/test.log"; then
  die "bazel test //... failed in rules/examples"
fi
bin=$(ebazel "$ex_ob" info bazel-bin 2>/dev/null)

step "the images pass skopeo inspect and run under crun (umoci-unpacked bundles)"
run_crun() {  # DIR EXPECTED ARGS...: unpack the layout, run ARGS (default: the image's own command)
  local dir=$1 expected=$2 name; shift 2
  name="slipway-examples-$$-$RANDOM"
  rm -rf "$work/crun"; mkdir -p "$work/crun"
  cp -r "$dir" "$work/crun/layout"; chmod -R u+w "$work/crun/layout"
  skopeo inspect "oci:$work/crun/layout:latest" >/dev/null || die "skopeo cannot inspect $dir"
  umoci unpack --image "$work/crun/layout:latest" "$work/crun/bundle" >/dev/null 2>&1 || die "umoci cannot unpack $dir"
  python3 - "$work/crun/bundle/config.json" "$@" <<'PY'
import json, sys
path, args = sys.argv[1], sys.argv[2:]
c = json.load(open(path))
c["process"]["terminal"] = False
if args:
    c["process"]["args"] = args
json.dump(c, open(path, "w"))
PY
  # crun refuses hybrid cgroups even with --cgroup-manager=disabled: hide the unified mount from it.
  local out
  out=$(unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun --cgroup-manager=disabled run -b "$0" "$1"' \
        "$work/crun/bundle" "$name" 2>&1) || die "crun failed on $dir: $out"
  [[ $out == *"$expected"* ]] || die "crun on $dir printed \`$out\`, expected \`$expected\`"
  echo "crun $dir: $out"
}
run_crun "$bin/hello/image" "hello from world"
run_crun "$bin/hello/image" "self-test ok" /app/hello --self-test
run_crun "$bin/dockerfile/image" "hello from a Dockerfile"

step "oci_push to $host"
for pkg in hello dockerfile; do
  ebazel "$ex_ob" run "//$pkg:push" -- --repository "$host/examples/$pkg" --tag v1 | tee "$work/push.$pkg"
  want=$(cat "$bin/$pkg/image.digest")
  got=$("$slipway" digest "$host/examples/$pkg:v1" | tail -n 1)
  [[ $got == "$want" ]] || die "$host/examples/$pkg:v1 is $got, built $want"
  got=$("$slipway" digest "$host/examples/$pkg:latest" | tail -n 1)
  [[ $got == "$want" ]] || die "$host/examples/$pkg:latest is $got, built $want"
  skopeo inspect --tls-verify=false "docker://$host/examples/$pkg:v1" >/dev/null || die "skopeo cannot inspect the pushed $pkg"
  echo "$pkg: pushed $want, tags v1 and latest"
done

step "a second build with nothing changed runs no action"
ebazel "$ex_ob" build //... 2>&1 | tee "$work/rebuild.log" >/dev/null
procs=$(grep -E 'INFO: [0-9]+ process' "$work/rebuild.log" | tail -n 1 || true)
echo "${procs:-no process line}"
if [[ -n $procs ]] && echo "$procs" | grep -qvE 'INFO: (0 processes|[0-9]+ process(es)?: [0-9]+ internal)\.$'; then
  die "the rebuild ran actions: $procs"
fi

step "image outputs hold no absolute path, user name or build time"
user=$(id -un)
check_dir() {  # every blob of a layout: JSON as is, layers decompressed
  local dir=$1 blob
  for blob in "$dir"/blobs/sha256/*; do
    case "$(head -c 2 "$blob" | od -An -tx1 | tr -d ' ')" in
      1f8b) gzip -dc "$blob" ;;
      28b5) zstd -dc "$blob" ;;
      *) cat "$blob" ;;
    esac >"$work/blob"
    if grep -aqF -e "$examples" -e "$root" -e "$ex_ob" -e "$main_ob" -e "$work" "$work/blob"; then
      die "$blob (in $dir) contains an absolute path of this machine"
    fi
    if head -c 1 "$work/blob" | grep -q '{'; then
      grep -qE "\"$(date -u +%Y)-" "$work/blob" && die "$blob (in $dir) contains this year's date"
      grep -qE "[\"/]$user[\"/:]" "$work/blob" && [[ $user != root ]] && die "$blob (in $dir) contains the user name $user"
    elif tar tvf "$work/blob" >"$work/listing" 2>/dev/null; then
      grep -v ' 1970-01-01 00:00 ' "$work/listing" && die "$blob (in $dir) has entries with a build-time mtime"
      awk '{print $2}' "$work/listing" | grep -v '^[0-9]*/[0-9]*$' && die "$blob (in $dir) names owners instead of numbers"
    fi
  done
  return 0
}
for d in hello/image hello/index dockerfile/image; do check_dir "$bin/$d"; echo "ok: $d"; done
tar tvf "$bin/hello/tarball.tar" | grep -v ' 1970-01-01 00:00 ' && die "hello/tarball.tar has build-time mtimes"
echo "ok: hello/tarball.tar"

for pkg in hello dockerfile; do cat "$bin/$pkg/image.digest"; done >"$work/digests.1"
cat "$bin/hello/index.digest" >>"$work/digests.1"
if [[ ${SKIP_REPRO:-0} != 1 ]]; then
  step "building again from a second clean output base: the digests must match"
  ob2="$work/output_base_2"
  ebazel "$ob2" build //hello:image //hello:index //dockerfile:image 2>&1 | tail -n 3
  bin2=$(ebazel "$ob2" info bazel-bin 2>/dev/null)
  for pkg in hello dockerfile; do cat "$bin2/$pkg/image.digest"; done >"$work/digests.2"
  cat "$bin2/hello/index.digest" >>"$work/digests.2"
  ebazel "$ob2" shutdown
  diff "$work/digests.1" "$work/digests.2" || die "the digests differ between two clean builds"
  echo "identical digests:"; cat "$work/digests.1"
  chmod -R u+w "$ob2" 2>/dev/null || true
fi

echo
echo "run_examples: all checks passed"
