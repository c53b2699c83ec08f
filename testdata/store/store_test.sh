#!/usr/bin/env bash
# Integration test of `slipway images`, `rmi` and `prune` with the real binary, as root: builds two
# images on a busybox base in a private local store, lists them, removes one, prunes, and checks
# that exactly the removed image's blobs and cached layer went while the other image still lists
# and runs. Skips (exit 0 with a message) when not root (RUN steps and `run` need namespaces).
set -uo pipefail

if [[ $(id -u) -ne 0 ]]; then echo "SKIP: needs root"; exit 0; fi
SLIPWAY=$(realpath "$1")
BUSYBOX=$(realpath "$2")
T=$(mktemp -d "${TEST_TMPDIR:-/tmp}/slipway-store.XXXXXX")
export XDG_DATA_HOME=$T/data XDG_CACHE_HOME=$T/cache SLIPWAY_STATE_ROOT=$T/state \
  SLIPWAY_LAYER_CACHE=$T/layers SOURCE_DATE_EPOCH=0
STORE=$XDG_DATA_HOME/slipway
failures=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; failures=$((failures + 1)); }
expect_eq() { if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1: expected [$3], got [$2]"; fi; }
contains() { if [[ "$2" == *"$3"* ]]; then pass "$1"; else fail "$1: [$2] lacks [$3]"; fi; }
cleanup() { [[ -n "${KEEP_TMP:-}" ]] || rm -rf "$T"; }
trap cleanup EXIT
blobs() { ls "$STORE/blobs/sha256" | sort; }
# The diff_ids (hex) of a stored image, from its config.
diff_ids() {
  "$SLIPWAY" inspect --json "local:$1" | tr -d ' \n' | grep -o '"diff_ids":\[[^]]*\]' | grep -o 'sha256:[0-9a-f]*' |
    sed 's/sha256://'
}

# --- a busybox base image and two images built on it ------------------------------------------
R=$T/rootfs
mkdir -p "$R"/{bin,etc,tmp,root}
cp "$BUSYBOX" "$R/bin/busybox"; chmod 0755 "$R/bin/busybox"
for a in $("$R/bin/busybox" --list); do [[ $a == busybox ]] || ln -sf busybox "$R/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\n' >"$R/etc/group"
"$SLIPWAY" image --layer-dir "$R" --env PATH=/bin --cmd sh -t local:busybox:latest >/dev/null ||
  { echo "FAIL - slipway image"; exit 1; }
for name in keep gone; do
  mkdir -p "$T/ctx-$name"
  printf 'FROM busybox\nRUN echo %s-content >/%s.txt\nCMD ["cat", "/%s.txt"]\n' \
    "$name" "$name" "$name" >"$T/ctx-$name/Dockerfile"
  "$SLIPWAY" build -t "$name" --progress plain "$T/ctx-$name" >"$T/build-$name.log" 2>&1 ||
    { cat "$T/build-$name.log"; echo "FAIL - build $name"; exit 1; }
done
expect_eq "keep runs before" "$("$SLIPWAY" run --rm keep)" "keep-content"
expect_eq "gone runs before" "$("$SLIPWAY" run --rm gone)" "gone-content"

# --- images ------------------------------------------------------------------------------------
listing=$("$SLIPWAY" images)
expect_eq "images lists three tags, sorted by name" \
  "$(echo "$listing" | awk 'NR > 1 {print $1}' | tr '\n' ' ')" "busybox:latest gone:latest keep:latest "
keep_digest=$(tail -n 1 "$T/build-keep.log")
gone_digest=$(tail -n 1 "$T/build-gone.log")
contains "images shows keep's short digest" "$(echo "$listing" | grep '^keep:latest')" \
  "${keep_digest:7:12}"
contains "images shows the config's created time" "$(echo "$listing" | grep '^keep:latest')" \
  "1970-01-01T00:00:00Z"
json=$("$SLIPWAY" images --format json)
contains "images --format json has keep's full digest" "$json" "\"digest\": \"$keep_digest\""
expect_eq "images -q prints one short digest per image" "$("$SLIPWAY" images -q | wc -l)" "3"

# --- rmi ---------------------------------------------------------------------------------------
"$SLIPWAY" rmi no-such-image >/dev/null 2>"$T/rmi.err"
expect_eq "rmi of a missing image exits 1" "$?" "1"
contains "rmi names the missing image" "$(cat "$T/rmi.err")" "no such image: \`no-such-image\`"
gone_layers=$(diff_ids gone)
keep_layers=$(diff_ids keep)
gone_top=$(echo "$gone_layers" | tail -n 1)
keep_top=$(echo "$keep_layers" | tail -n 1)
base_layer=$(echo "$keep_layers" | head -n 1)
expect_eq "keep and gone have two layers each, the base shared" \
  "$(echo $keep_layers $gone_layers | wc -w) $(echo "$gone_layers" | head -n 1)" "4 $base_layer"
[[ -d $SLIPWAY_LAYER_CACHE/$gone_top && -d $SLIPWAY_LAYER_CACHE/$keep_top ]] &&
  pass "both top layers are cached" || fail "layer cache lacks $gone_top or $keep_top"
before=$(blobs)
expect_eq "rmi prints what it untagged" "$("$SLIPWAY" rmi gone)" "untagged: gone:latest"
expect_eq "rmi removes no blob by itself" "$(blobs)" "$before"
expect_eq "images no longer lists gone" \
  "$("$SLIPWAY" images | awk 'NR > 1 {print $1}' | tr '\n' ' ')" "busybox:latest keep:latest "

# --- prune -------------------------------------------------------------------------------------
# Another process writing to the store (it holds .writers shared, as every blob writer does):
# prune must not collect its untagged blobs, so it stops at once and removes nothing.
flock -s -o "$STORE/.writers" sleep 30 & WRITER=$!
sleep 0.5
"$SLIPWAY" prune >/dev/null 2>"$T/prune.err"
expect_eq "prune while another process writes exits 1" "$?" "1"
contains "prune says another process is writing" "$(cat "$T/prune.err")" \
  "another slipway process is writing to $STORE; try again when it is done"
expect_eq "prune removed nothing meanwhile" "$(blobs)" "$before"
kill "$WRITER" 2>/dev/null; wait "$WRITER" 2>/dev/null
# A running container's layers are mounted: the layer cache is left alone while one runs (the
# blobs are still collected).
cid=$("$SLIPWAY" run -d keep sleep 60)
out=$("$SLIPWAY" prune --layers)
expect_eq "prune exits 0" "$?" "0"
contains "prune says how many blobs it removed" "$out" "removed 3 blobs"
contains "prune --layers leaves the cache while a container runs" "$out" "layer cache left as it is"
[[ -d $SLIPWAY_LAYER_CACHE/$gone_top ]] && pass "gone's cached layer stays while keep runs" ||
  fail "gone's cached layer removed while a container ran"
"$SLIPWAY" rm -f "$cid" >/dev/null
# A container still being set up has its directory but no state.json yet: it may be between
# unpacking its layers and mounting them, so it counts as using the cache too.
starting=$(printf 'c%.0s' $(seq 64))
mkdir "$SLIPWAY_STATE_ROOT/$starting"
contains "ps lists a container being set up as created" "$("$SLIPWAY" ps)" "created"
contains "prune --layers leaves the cache while a container starts" "$("$SLIPWAY" prune --layers)" \
  "layer cache left as it is"
"$SLIPWAY" rm "${starting:0:12}" >/dev/null
expect_eq "rm removes a container left half set up" "$(ls "$SLIPWAY_STATE_ROOT" | wc -l)" "0"
out=$("$SLIPWAY" prune --layers)
contains "no blobs left to collect" "$out" "removed 0 blobs"
contains "prune --layers, nothing running: says how many cached layers it removed" "$out" \
  "removed 1 cached layers"
after=$(blobs)
removed=$(comm -23 <(echo "$before") <(echo "$after") | tr '\n' ' ')
expect_eq "blob count went down by three (gone's manifest, config, top layer)" \
  "$(echo "$after" | wc -l)" "$(($(echo "$before" | wc -l) - 3))"
contains "gone's manifest blob is removed" "$removed" "${gone_digest#sha256:}"
[[ ! -e $STORE/blobs/sha256/${keep_digest#sha256:} ]] && fail "keep's manifest was removed" ||
  pass "keep's manifest blob stays"
[[ -d $SLIPWAY_LAYER_CACHE/$gone_top ]] && fail "gone's cached layer is still there" ||
  pass "prune --layers removed gone's cached layer"
[[ -d $SLIPWAY_LAYER_CACHE/$keep_top && -d $SLIPWAY_LAYER_CACHE/$base_layer ]] &&
  pass "keep's cached layers stay" || fail "prune --layers removed a layer keep uses"
expect_eq "keep still runs" "$("$SLIPWAY" run --rm keep)" "keep-content"
expect_eq "images still lists keep" "$("$SLIPWAY" images | awk '$1 == "keep:latest" {print $2}')" \
  "${keep_digest:7:12}"
"$SLIPWAY" run --rm gone >/dev/null 2>&1
expect_ne_gone=$?
[[ $expect_ne_gone -ne 0 ]] && pass "gone no longer runs from the store" || fail "gone still runs"
out=$("$SLIPWAY" prune)
contains "a second prune has nothing left to do" "$out" "removed 0 blobs"

# --- rmi by digest, with --prune ----------------------------------------------------------------
out=$("$SLIPWAY" rmi --prune "${keep_digest:7:12}")
contains "rmi by short digest untags keep" "$out" "untagged: keep:latest"
contains "rmi --prune collects right away" "$out" "removed 3 blobs"
expect_eq "only busybox is left" "$("$SLIPWAY" images -q | wc -l)" "1"

if [[ $failures -ne 0 ]]; then echo "$failures check(s) failed"; exit 1; fi
echo "all checks passed"
