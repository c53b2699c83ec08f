#!/usr/bin/env bash
# build_bench: slipway build vs `buildah bud` on the same workloads, same disk, same run.
#
# Workloads: tiny (one RUN on busybox), copy (COPY of N files totalling SIZE_MB), multistage (two
# stages, COPY --from). For each: cold build (empty caches/storage), warm no-change rebuild, and a
# rebuild after one context file changed. Prints min and median of REPS runs in seconds, wall clock
# and CPU (user+sys of the tool and its children: on a busy machine the CPU column is the fairer
# comparison). With --push, a fourth phase: a cold build pushed to a local docker-registry
# (`build --push` vs `buildah bud` + `buildah push`), the CI step that matters since buildah
# compresses only when it pushes.
#
# Usage: tools/bench/build_bench.sh [--reps N] [--dir DIR] [--files N] [--size-mb M] [--no-buildah]
#                                   [--workloads "tiny copy multistage"] [--push]
# Needs: root, a built //tools:slipway (SLIPWAY=path overrides), busybox-static, buildah.
set -euo pipefail

REPS=5 DIR=/var/tmp/slipway-build-bench FILES=5000 SIZE_MB=200 BUILDAH=1
WORKLOADS="tiny copy multistage" PUSH=0
DRIVER=${BUILDAH_DRIVER:-overlay}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --reps) REPS=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --files) FILES=$2; shift 2 ;;
    --size-mb) SIZE_MB=$2; shift 2 ;;
    --no-buildah) BUILDAH=0; shift ;;
    --workloads) WORKLOADS=$2; shift 2 ;;
    --push) PUSH=1; shift ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done
SLIPWAY=${SLIPWAY:-$(cd "$(dirname "$0")/../.." && pwd)/bazel-bin/tools/slipway}
[[ -x $SLIPWAY ]] || { echo "build //tools:slipway first (or set SLIPWAY)" >&2; exit 2; }

rm -rf "$DIR"; mkdir -p "$DIR"
trap '[[ -n ${KEEP:-} ]] || rm -rf "$DIR"' EXIT

# Base image: static busybox in an OCI layout.
mkdir -p "$DIR/bb/bin" "$DIR/bb/etc" "$DIR/bb/tmp"
cp /bin/busybox "$DIR/bb/bin/busybox"
for a in sh cat echo mkdir cp ls true; do ln -s busybox "$DIR/bb/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$DIR/bb/etc/passwd"
echo 'root:x:0:' > "$DIR/bb/etc/group"
"$SLIPWAY" image --layer-dir "$DIR/bb" --env PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  -t "oci:$DIR/base:latest" > /dev/null
BASE="oci:$DIR/base:latest"

# Contexts.
mkdir -p "$DIR/w/tiny" "$DIR/w/copy/data" "$DIR/w/multistage/src"
printf 'FROM %s\nRUN echo hello > /hello.txt\n' "$BASE" > "$DIR/w/tiny/Dockerfile"
echo marker > "$DIR/w/tiny/marker.txt"
printf 'FROM %s\nCOPY marker.txt /marker.txt\nRUN echo hello > /hello.txt\n' "$BASE" \
  > "$DIR/w/tiny/Dockerfile"
per=$(( SIZE_MB * 1024 * 1024 / FILES ))
python3 - "$DIR/w/copy/data" "$FILES" "$per" <<'PY'
import os, sys
d, n, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    sub = os.path.join(d, "d%03d" % (i % 100))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "f%05d.bin" % i), "wb") as f:
        f.write(os.urandom(per))
PY
printf 'FROM %s\nCOPY data/ /data/\n' "$BASE" > "$DIR/w/copy/Dockerfile"
for i in $(seq 1 50); do echo "source $i" > "$DIR/w/multistage/src/s$i.txt"; done
cat > "$DIR/w/multistage/Dockerfile" <<DF
FROM $BASE AS build
COPY src/ /src/
RUN cat /src/* > /bundle.txt
FROM $BASE AS test
RUN echo tested > /tested
FROM $BASE
COPY --from=build /bundle.txt /app/bundle.txt
COPY --from=test /tested /app/tested
DF

stats() {  # prints "min median" of the numbers on stdin
  sort -g | awk '{a[NR]=$1} END {printf "%.3f %.3f\n", a[1], (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}
changed_file() {
  case "$1" in
    tiny) echo "$DIR/w/tiny/marker.txt" ;;
    copy) echo "$DIR/w/copy/data/d007/f00007.bin" ;;
    multistage) echo "$DIR/w/multistage/src/s7.txt" ;;
  esac
}

timed() {  # log command... -> "wall cpu" seconds (cpu = user+sys of the command and children)
  local log=$1; shift
  /usr/bin/time -f '%e %U %S' -o "$DIR/time.out" "$@" > /dev/null 2>"$log" \
    || { cat "$log" >&2; return 1; }
  awk '{printf "%s %.2f\n", $1, $2 + $3}' "$DIR/time.out"
}
run_slipway() {  # workload -> "wall cpu"
  SOURCE_DATE_EPOCH=0 XDG_DATA_HOME="$DIR/store" timed "$DIR/slipway.log" "$SLIPWAY" build \
    --progress plain --cache-dir "$DIR/slipway-cache-$1" -t "bench-$1" "$DIR/w/$1"
}
run_buildah() {
  timed "$DIR/buildah.log" buildah --storage-driver "$DRIVER" --root "$DIR/buildah-root-$1" \
    --runroot "$DIR/buildah-run-$1" bud --isolation chroot --timestamp 0 --layers -q \
    -t "bench-$1" "$DIR/w/$1"
}

REGHOST=
if [[ $PUSH == 1 ]]; then
  # A plain-HTTP docker-registry on an ephemeral port; it stops when its stdin closes.
  coproc REG { python3 "$(dirname "$0")/../testing/registry/registry_env.py" --kind plain; }
  read -r reg_json <&"${REG[0]}"
  REGHOST=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["host"])' "$reg_json")
  trap 'exec {REG[1]}>&-; wait; [[ -n ${KEEP:-} ]] || rm -rf "$DIR"' EXIT
fi
push_slipway() {  # workload rep -> "wall cpu"
  rm -rf "$DIR/slipway-cache-$1"
  SOURCE_DATE_EPOCH=0 XDG_DATA_HOME="$DIR/store" timed "$DIR/slipway.log" "$SLIPWAY" build \
    --progress plain --cache-dir "$DIR/slipway-cache-$1" --push -t "$REGHOST/s-$1-$2:1" "$DIR/w/$1"
}
push_buildah() {
  local b="buildah --storage-driver $DRIVER --root $DIR/buildah-root-$1 --runroot $DIR/buildah-run-$1"
  $b rm -a > /dev/null 2>&1 || true
  umount -R "$DIR/buildah-root-$1" 2>/dev/null || true
  rm -rf "$DIR/buildah-root-$1" "$DIR/buildah-run-$1"
  timed "$DIR/buildah.log" sh -c "$b bud --isolation chroot --timestamp 0 --layers -q \
    -t bench-$1 $DIR/w/$1 && $b push -q --tls-verify=false bench-$1 docker://$REGHOST/b-$1-$2:1"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-11s %-8s %-6s %10s %10s %10s %10s\n' workload tool phase "wall min" "wall med" \
  "cpu min" "cpu med"
for w in $WORKLOADS; do
  for tool in slipway buildah; do
    [[ $tool == buildah && $BUILDAH == 0 ]] && continue
    cold=() warm=() one=() push=()
    for r in $(seq 1 "$REPS"); do
      rm -rf "$DIR/slipway-cache-$w" "$DIR/store"
      if [[ $tool == buildah ]]; then
        buildah --storage-driver "$DRIVER" --root "$DIR/buildah-root-$w" \
          --runroot "$DIR/buildah-run-$w" rm -a > /dev/null 2>&1 || true
        umount -R "$DIR/buildah-root-$w" 2>/dev/null || true
        rm -rf "$DIR/buildah-root-$w" "$DIR/buildah-run-$w"
      fi
      sync
      r1=$(run_$tool "$w") || exit 1; cold+=("$r1")
      r2=$(run_$tool "$w") || exit 1; warm+=("$r2")
      echo "change $r $tool" >> "$(changed_file "$w")"
      r3=$(run_$tool "$w") || exit 1; one+=("$r3")
      if [[ $PUSH == 1 ]]; then r4=$(push_$tool "$w" "$r") || exit 1; push+=("$r4"); fi
    done
    phases="cold warm one"; [[ $PUSH == 1 ]] && phases+=" push"
    for phase in $phases; do
      eval "vals=(\"\${$phase[@]}\")"
      read -r wmn wmd < <(printf '%s\n' "${vals[@]}" | cut -d' ' -f1 | stats)
      read -r cmn cmd < <(printf '%s\n' "${vals[@]}" | cut -d' ' -f2 | stats)
      printf '%-11s %-8s %-6s %10s %10s %10s %10s\n' "$w" "$tool" "$phase" "$wmn" "$wmd" "$cmn" "$cmd"
    done
  done
  umount -R "$DIR"/buildah-root-"$w" 2>/dev/null || true
done
