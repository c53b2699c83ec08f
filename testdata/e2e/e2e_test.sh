#!/usr/bin/env bash
# The develop -> registry -> production flow, end to end, as a CI pipeline runs it (issue 8):
#
#   job "build":   slipway build --push -t DEV/app:ci --metadata-file … --target final   (FROM DEV/busybox)
#   job "test":    slipway test DEV/app@DIGEST --spec … --junit …                        (fresh store)
#   job "promote": slipway login PROD … ; slipway copy DEV/app@DIGEST PROD/app:1.0 --notify URL
#   job "deploy":  slipway run --rm PROD/app:1.0                                          (fresh store)
#
# with two real registries on 127.0.0.1 (dev: plain HTTP behind the fault proxy of
# tools/testing/registry/registry_env.py; prod: TLS with a CA made for the test + htpasswd basic auth)
# and a webhook receiver. Each job gets its own store, cache and state folders, as separate CI jobs
# would. Then the negative paths (a failing unit test in the Dockerfile's `test` stage, a failing
# structure test: exit 1, the failed step named, nothing in prod) and kill -9 at several points
# (base pull, mid-RUN, push, copy, test's own pull) followed by a rerun: same digests, every blob in the local store
# and the cache verifies, both registries serve the image (skopeo copy verifies every blob).
#
# A step whose verb or flag the binary lacks runs in the closest form that exists and prints
# `BLOCKED: …`; everything else is asserted. Needs root (RUN steps and `run` use namespaces).
set -uo pipefail

if [[ $(id -u) -ne 0 ]]; then echo "SKIP: needs root"; exit 0; fi
SLIPWAY=$(realpath "$1")
APP_SRC=$(dirname "$(realpath "$2")")
SPEC=$(realpath "$3")
BAD_SPEC=$(realpath "$4")
REGISTRY_ENV=$(realpath "$5")
WEBHOOK=$(realpath "$6")
BUSYBOX=$(realpath "$7")

T=$(mktemp -d "${TEST_TMPDIR:-/tmp}/slipway-e2e.XXXXXX")
LOGS=$T/logs
mkdir -p "$LOGS"
export HOME=$T/home DOCKER_CONFIG=$T/docker XDG_CONFIG_HOME=$T/config
mkdir -p "$HOME" "$DOCKER_CONFIG/certs.d"
unset SLIPWAY_LAYER_CACHE
export SOURCE_DATE_EPOCH=0
SERVER_PIDS=()
STATE_ROOTS=()
failures=0
blocked=()

pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; failures=$((failures + 1)); }
expect_eq() { if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1: expected [$3], got [$2]"; fi; }
expect_ne() { if [[ "$2" != "$3" ]]; then pass "$1"; else fail "$1: got [$2], must differ"; fi; }
expect_match() { if grep -Eq -- "$3" "$2"; then pass "$1"; else fail "$1: /$3/ not in $2:"; tail -n 20 "$2"; fi; }
block() { echo "BLOCKED: $*"; blocked+=("$*"); }

cleanup() {
  local root id pid
  for root in "${STATE_ROOTS[@]}"; do
    SLIPWAY_STATE_ROOT=$root "$SLIPWAY" ps -q 2>/dev/null | while read -r id; do
      SLIPWAY_STATE_ROOT=$root "$SLIPWAY" rm -f "$id" >/dev/null 2>&1
    done
  done
  for pid in "${SERVER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${SERVER_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT

# A CI job: its own local store, build cache and container state (a fresh runner), shared Docker
# config (credentials and certs.d, as a runner image would have them).
job() {
  local name=$1
  export XDG_DATA_HOME=$T/jobs/$name/data XDG_CACHE_HOME=$T/jobs/$name/cache
  export SLIPWAY_STATE_ROOT=$T/jobs/$name/state
  mkdir -p "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
  STATE_ROOTS+=("$SLIPWAY_STATE_ROOT")
}

# sw LOG ARGS...: runs slipway, stdout to $LOGS/LOG.out, stderr to $LOGS/LOG.err; returns its status.
sw() {
  local log=$1
  shift
  "$SLIPWAY" "$@" >"$LOGS/$log.out" 2>"$LOGS/$log.err"
}
last_line() { tail -n 1 "$LOGS/$1.out"; }
show() { echo "---- $1 (stderr, last lines)"; tail -n "${2:-15}" "$LOGS/$1.err"; }
jget() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); print(eval("v" + sys.argv[2]))' "$@"; }
has_flag() { "$SLIPWAY" "$1" --help 2>&1 | grep -q -- "$2"; }

# ---- servers ---------------------------------------------------------------------------------
start_registry() {  # NAME KIND [--fault-proxy]
  local name=$1 kind=$2
  shift 2
  python3 "$REGISTRY_ENV" --kind "$kind" --until-signal --workdir "$T/registry-$name" "$@" \
    >"$T/registry-$name.json" 2>"$T/registry-$name.err" &
  SERVER_PIDS+=($!)
  local i
  for i in $(seq 600); do [[ -s $T/registry-$name.json ]] && break; sleep 0.1; done
  if ! grep -q '"host"' "$T/registry-$name.json"; then
    echo "could not start the $name registry:"; cat "$T/registry-$name.err" "$T/registry-$name.json"
    exit 1
  fi
}
start_registry dev plain --fault-proxy
start_registry prod basic-tls
DEV=$(jget "$T/registry-dev.json" '["proxy"]')          # everything goes through the fault proxy
PROD=$(jget "$T/registry-prod.json" '["host"]')
PROD_USER=$(jget "$T/registry-prod.json" '["username"]')
PROD_PASSWORD=$(jget "$T/registry-prod.json" '["password"]')
cp -r "$(jget "$T/registry-prod.json" '["certs_dir"]')"/. "$DOCKER_CONFIG/certs.d/"
[[ -f $DOCKER_CONFIG/certs.d/$PROD/ca.crt ]] || { echo "no CA for $PROD in certs.d"; exit 1; }

python3 "$WEBHOOK" "$T/events.jsonl" >"$T/webhook.port" 2>"$T/webhook.err" &
SERVER_PIDS+=($!)
for i in $(seq 100); do [[ -s $T/webhook.port ]] && break; sleep 0.1; done
HOOK="http://127.0.0.1:$(head -n 1 "$T/webhook.port")/hooks/registry"
touch "$T/events.jsonl"
echo "dev registry $DEV (plain HTTP, fault proxy), prod registry $PROD (TLS + basic auth), webhook $HOOK"

proxy() {  # proxy faults JSON | proxy stats | proxy reset
  python3 - "$DEV" "$@" <<'PY'
import json, sys, urllib.request
host, what = sys.argv[1], sys.argv[2]
if what == "faults":
    req = urllib.request.Request("http://%s/__faults" % host, data=sys.argv[3].encode(), method="POST")
elif what == "reset":
    req = urllib.request.Request("http://%s/__stats" % host, method="DELETE")
else:
    req = urllib.request.Request("http://%s/__stats" % host)
print(json.loads(urllib.request.urlopen(req).read()).get("faults", 0))
PY
}
skopeo_dev() { skopeo "$1" --tls-verify=false "${@:2}"; }
skopeo_prod_inspect() {
  skopeo inspect --cert-dir "$DOCKER_CONFIG/certs.d/$PROD" --authfile "$DOCKER_CONFIG/config.json" "$@"
}

# ---- the base image: busybox-static, made with `slipway image`, pushed to dev ------------------
job setup
R=$T/rootfs
mkdir -p "$R"/{bin,etc,tmp,root}
cp "$BUSYBOX" "$R/bin/busybox"
chmod 0755 "$R/bin/busybox"
for a in $("$R/bin/busybox" --list); do [[ $a == busybox ]] || ln -sf busybox "$R/bin/$a"; done
chmod 1777 "$R/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\n' >"$R/etc/group"
sw base-image image --layer-dir "$R" --env PATH=/bin --cmd sh -t "oci:$T/busybox-oci:1"
expect_eq "slipway image: busybox base" "$?" 0
BASE_DIGEST=$(last_line base-image)
sw base-push push --progress plain "oci:$T/busybox-oci:1" "$DEV/busybox:1"
expect_eq "push the base to dev" "$?" 0
expect_eq "base digest in dev" "$(last_line base-push)" "$BASE_DIGEST"

# The application's build context (runfiles are symlinks; COPY takes files as they are).
cp -rL "$APP_SRC" "$T/app"
# The variant whose unit tests fail: one case expects another greeting.
cp -rL "$APP_SRC" "$T/app-broken"
sed -i 's/^check "one name" 0 "hello, world"/check "one name" 0 "goodbye, world"/' \
  "$T/app-broken/test/greet_test.sh"
grep -q goodbye "$T/app-broken/test/greet_test.sh" || { echo "could not break the unit test"; exit 1; }

# ---- the pipeline's steps ----------------------------------------------------------------------
BUILD_PUSH=1
[[ -n ${E2E_PRETEND_NO_BUILD_PUSH:-} ]] && BUILD_PUSH=0 && block "E2E_PRETEND_NO_BUILD_PUSH set"  # exercises the fallback
[[ $BUILD_PUSH == 0 ]] || has_flag build --push || { BUILD_PUSH=0; block "build --push (and registry FROM) missing: built with -t, then 'slipway push' (base pulled first)"; }
BUILD_NOTIFY=1
has_flag build --notify || BUILD_NOTIFY=0
[[ $BUILD_NOTIFY == 1 ]] || block "build has no --notify: the dev push event comes from 'slipway push DEV/REPO:ci --notify URL' after the build"

# step_build LOG CONTEXT REPO: job build; sets DIGEST. Returns the failing status.
step_build() {
  local log=$1 ctx=$2 repo=$3 rc
  local ref=$DEV/$repo:ci
  local args=(build -t "$ref" --build-arg "BASE=$DEV/busybox:1" --metadata-file "$T/$log.meta.json"
              --progress plain --target final)
  if [[ $BUILD_PUSH == 1 ]]; then
    args+=(--push)
    [[ $BUILD_NOTIFY == 1 ]] && args+=(--notify "$HOOK")
    sw "$log" "${args[@]}" "$ctx"; rc=$?
  else
    sw "$log.pull-base" pull "$DEV/busybox:1" || return $?
    sw "$log" "${args[@]}" "$ctx"; rc=$?
    [[ $rc == 0 ]] && { sw "$log.push" push --progress plain "$ref"; rc=$?; }
  fi
  [[ $rc == 0 ]] || return $rc
  DIGEST=$(last_line "$log")
  if [[ $BUILD_NOTIFY == 0 ]]; then sw "$log.notify" push --progress plain "$ref" --notify "$HOOK" || return $?; fi
  return 0
}

step_test() {  # LOG REF SPEC
  sw "$1" test "$2" --spec "$3" --junit "$T/$1.junit.xml"  # a fresh store: pulled by digest
}

step_promote() {  # LOG SRC DEST
  sw "$1.login" login -u "$PROD_USER" --password-stdin "$PROD" <<<"$PROD_PASSWORD" || return $?
  sw "$1" copy --progress plain "$2" "$3" --notify "$HOOK"
}

# flow NAME CONTEXT REPO SPEC PROD_TAG: the whole pipeline; stops at the first failing step and
# names it (FLOW_STEP), like a CI pipeline whose jobs depend on each other.
flow() {
  local name=$1 ctx=$2 repo=$3 spec=$4 ptag=$5 rc
  FLOW_STEP=build; job "$name-build"
  step_build "$name-build" "$ctx" "$repo"; rc=$?
  if [[ $rc == 0 ]]; then
    FLOW_STEP=test; job "$name-test"
    step_test "$name-test" "$DEV/$repo@$DIGEST" "$spec"; rc=$?
  fi
  if [[ $rc == 0 ]]; then
    FLOW_STEP=promote; job "$name-promote"
    step_promote "$name-promote" "$DEV/$repo@$DIGEST" "$PROD/$repo:$ptag"; rc=$?
  fi
  if [[ $rc == 0 ]]; then
    FLOW_STEP=deploy; job "$name-deploy"
    sw "$name-deploy" run --rm "$PROD/$repo:$ptag"; rc=$?  # a fresh store: pulled from prod
  fi
  if [[ $rc != 0 ]]; then echo "flow $name: step $FLOW_STEP failed (exit status $rc)"; return $rc; fi
  FLOW_STEP=""
  echo "flow $name: build, test, promote, deploy passed ($DIGEST)"
}

# ---- 1. the flow that passes -------------------------------------------------------------------
echo "== the flow: build -> test -> promote -> deploy"
flow main "$T/app" app "$SPEC" 1.0
expect_eq "the flow passes" "$?" 0
D=$DIGEST
[[ $D == sha256:* ]] || { fail "no digest from the build"; show main-build 40; exit 1; }

# build
M=$T/main-build.meta.json
expect_eq "metadata digest = printed digest" "$(jget "$M" '["containerimage.digest"]')" "$D"
if [[ $BUILD_PUSH == 1 ]]; then
  expect_eq "metadata: pushed" "$(jget "$M" '["pushed"]')" "['$DEV/app:ci']"
  expect_eq "metadata: the base came from dev, pinned" "$(jget "$M" '["bases"]')" "['$DEV/busybox@$BASE_DIGEST']"
fi
expect_match "the test stage ran the unit tests" "$LOGS/main-build.err" "greet_test: all unit tests passed"
expect_match "progress is plain lines" "$LOGS/main-build.err" '^#[0-9]+ \[test [0-9]/[0-9]\] RUN'
expect_eq "dev serves the digest (skopeo)" \
  "$(skopeo_dev inspect --format '{{.Digest}}' "docker://$DEV/app:ci" 2>&1)" "$D"
expect_eq "slipway digest DEV/app:ci" "$("$SLIPWAY" digest "$DEV/app:ci" 2>&1)" "$D"
# test
expect_match "structure tests passed" "$LOGS/main-test.out" "^7 tests: 7 passed, 0 failed"
expect_match "test pulled DEV/app@DIGEST itself" "$LOGS/main-test.err" "^pulled $DEV/app@$D from "
expect_eq "JUnit report" "$(python3 -c '
import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
print(r.get("tests"), r.get("failures"), r.get("errors"))' "$T/main-test.junit.xml" 2>&1)" "7 0 0"
# promote
expect_match "login succeeded" "$LOGS/main-promote.login.out" "Login Succeeded"
expect_eq "copy printed the same digest" "$(last_line main-promote)" "$D"
expect_eq "prod serves the same digest (skopeo, TLS + auth)" \
  "$(skopeo_prod_inspect --format '{{.Digest}}' "docker://$PROD/app:1.0" 2>&1)" "$D"
expect_eq "nothing rebuilt: prod's manifest is dev's, byte for byte" \
  "$(skopeo_prod_inspect --raw "docker://$PROD/app:1.0" | sha256sum)" \
  "$(skopeo_dev inspect --raw "docker://$DEV/app@$D" | sha256sum)"
[[ -z $(ls -A "$T/jobs/main-promote/cache" 2>/dev/null) ]] && pass "promote built nothing (its cache is empty)" \
  || fail "promote wrote to the build cache: $(ls "$T/jobs/main-promote/cache")"
# deploy
expect_eq "slipway run --rm PROD/app:1.0" "$(cat "$LOGS/main-deploy.out")" "hello, production"
expect_match "run pulled PROD/app:1.0 itself (stderr)" "$LOGS/main-deploy.err" "^pulled $PROD/app:1.0 from "
expect_eq "run: no container left" "$(SLIPWAY_STATE_ROOT=$T/jobs/main-deploy/state "$SLIPWAY" ps -q)" ""
# webhook: the dev push and the promotion
events() { python3 - "$T/events.jsonl" "$@" <<'PY'
import json, sys
want_repo, want_tag = sys.argv[2], sys.argv[3]
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("repository") == want_repo and e.get("tag") == want_tag:
        print(e.get("digest"), e["_content_type"], "time" in e)
PY
}
expect_eq "webhook: dev push event" "$(events "$DEV/app" ci | tail -n 1)" "$D application/json True"
expect_eq "webhook: promotion event" "$(events "$PROD/app" 1.0 | tail -n 1)" "$D application/json True"

# ---- 2. a failing unit test in the `test` stage stops the flow -----------------------------------
echo "== a failing unit test"
flow broken "$T/app-broken" broken "$SPEC" 1.0
expect_eq "flow exit status" "$?" 1
expect_eq "failed step" "$FLOW_STEP" build
expect_match "the error names the Dockerfile step" "$LOGS/broken-build.err" \
  '^slipway build: Dockerfile:[0-9]+: RUN .*greet_test\.sh.*exit code: 1'
expect_match "the progress names the stage" "$LOGS/broken-build.err" '^#[0-9]+ \[test 3/3\] RUN'
expect_match "the unit test output is shown" "$LOGS/broken-build.err" 'FAIL one name'
skopeo_dev inspect "docker://$DEV/broken:ci" >/dev/null 2>&1
expect_ne "nothing pushed to dev" "$?" 0
skopeo_prod_inspect "docker://$PROD/broken:1.0" >/dev/null 2>&1
expect_ne "nothing in prod" "$?" 0

# ---- 3. a failing structure test stops the flow --------------------------------------------------
echo "== a failing structure test"
flow badspec "$T/app" app "$BAD_SPEC" bad
expect_eq "flow exit status" "$?" 1
expect_eq "failed step" "$FLOW_STEP" test
expect_eq "same image as the passing flow" "$DIGEST" "$D"
expect_match "the failing structure test is named" "$LOGS/badspec-test.out" \
  '^FAIL \[file_existence\] production config is present'
expect_eq "JUnit report has the failure" "$(python3 -c '
import sys, xml.etree.ElementTree as E
print(E.parse(sys.argv[1]).getroot().get("failures"))' "$T/badspec-test.junit.xml" 2>&1)" "1"
skopeo_prod_inspect "docker://$PROD/app:bad" >/dev/null 2>&1
expect_ne "nothing in prod" "$?" 0
expect_eq "no prod event for it" "$(events "$PROD/app" bad)" ""

# ---- 4. kill -9 at several points, then rerun ------------------------------------------------------
# verify_store DIR...: every blob under DIR is named by its content's digest; every layout's
# index.json parses and names blobs that exist with the right size; no temp file became a blob.
verify_store() {
  python3 - "$@" <<'PY'
import hashlib, json, os, sys
bad = []
layouts = blobs = 0
for root in sys.argv[1:]:
    for d, _, files in os.walk(root):
        if os.path.basename(d) == "sha256" and os.path.basename(os.path.dirname(d)) == "blobs":
            for f in files:
                h = hashlib.sha256()
                with open(os.path.join(d, f), "rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
                blobs += 1
                if h.hexdigest() != f:
                    bad.append("blob %s/%s hashes to %s" % (d, f, h.hexdigest()))
        if "oci-layout" in files and "index.json" in files:
            layouts += 1
            try:
                index = json.load(open(os.path.join(d, "index.json")))
            except ValueError as e:
                bad.append("%s/index.json: %s" % (d, e))
                continue
            for m in index.get("manifests", []):
                p = os.path.join(d, "blobs", *m["digest"].split(":"))
                if not os.path.exists(p) or os.path.getsize(p) != m["size"]:
                    bad.append("%s/index.json names %s, missing or wrong size" % (d, m["digest"]))
print("%d layouts, %d blobs" % (layouts, blobs) if not bad else "\n".join(bad))
sys.exit(1 if bad or blobs == 0 else 0)
PY
}
# kill_when LOG STATS_AT_LEAST|RE:PATTERN ARGS...: starts `slipway ARGS` in the background and kill -9s
# it when the fault proxy has fired N faults (a stalled request) or when its stderr matches PATTERN.
kill_when() {
  local log=$1 when=$2 pid i
  shift 2
  "$SLIPWAY" "$@" >"$LOGS/$log.out" 2>"$LOGS/$log.err" &
  pid=$!
  for i in $(seq 3000); do
    if [[ $when == RE:* ]]; then
      grep -Eq -- "${when#RE:}" "$LOGS/$log.err" 2>/dev/null && break
    elif (($(proxy stats) >= when)); then
      sleep 0.3
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  if kill -9 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    echo "killed: $log"
    return 0
  fi
  wait "$pid"
  echo "$log finished (status $?) before the kill"
  return 1
}
build_args() {  # REPO CONTEXT
  echo build --push -t "$DEV/$1:ci" --build-arg "BASE=$DEV/busybox:1" --progress plain --target final "$2"
}
echo "== kill -9 and rerun"
if [[ $BUILD_PUSH == 1 ]]; then
  # a) during the base image's pull (the stalled blob download), in a fresh job
  job kill-pull
  proxy reset >/dev/null
  proxy faults '[{"match": "GET /v2/busybox/blobs/", "action": "stall", "seconds": 20, "times": 1}]' >/dev/null
  # shellcheck disable=SC2046
  kill_when kill-pull 1 $(build_args app-k "$T/app")
  expect_eq "killed during the base pull" "$?" 0
  proxy faults '[]' >/dev/null
  sw kill-pull.rerun $(build_args app-k "$T/app")
  expect_eq "rerun after a kill in the base pull" "$?" 0
  expect_eq "same digest" "$(last_line kill-pull.rerun)" "$D"
  verify_store "$XDG_DATA_HOME" "$XDG_CACHE_HOME" >"$LOGS/kill-pull.verify" 2>&1
  expect_eq "store and cache verify: $(cat "$LOGS/kill-pull.verify")" "$?" 0

  # b) in the middle of the build's RUN steps (as soon as the test stage's RUN starts), fresh job
  job kill-run
  # shellcheck disable=SC2046
  kill_when kill-run 'RE:\[(build 4/4|test 3/3)\] RUN' $(build_args app-k "$T/app")
  sw kill-run.rerun $(build_args app-k "$T/app")
  expect_eq "rerun after a kill during RUN" "$?" 0
  expect_eq "same digest" "$(last_line kill-run.rerun)" "$D"
  verify_store "$XDG_DATA_HOME" "$XDG_CACHE_HOME" >"$LOGS/kill-run.verify" 2>&1
  expect_eq "store and cache verify: $(cat "$LOGS/kill-run.verify")" "$?" 0

  # c) during the push: blobs sent, the manifest PUT stalled, to a new repository
  proxy reset >/dev/null
  proxy faults '[{"match": "PUT /v2/app-p/manifests/", "action": "stall", "seconds": 20, "times": 1}]' >/dev/null
  # shellcheck disable=SC2046
  kill_when kill-push 1 $(build_args app-p "$T/app")
  expect_eq "killed during the push" "$?" 0
  proxy faults '[]' >/dev/null
  skopeo_dev inspect "docker://$DEV/app-p:ci" >/dev/null 2>&1
  expect_ne "no tag after the killed push" "$?" 0
  sw kill-push.rerun $(build_args app-p "$T/app")
  expect_eq "rerun after a kill in the push" "$?" 0
  expect_eq "same digest" "$(last_line kill-push.rerun)" "$D"
  expect_eq "dev serves it" "$(skopeo_dev inspect --format '{{.Digest}}' "docker://$DEV/app-p:ci" 2>&1)" "$D"
  verify_store "$XDG_DATA_HOME" "$XDG_CACHE_HOME" >"$LOGS/kill-push.verify" 2>&1
  expect_eq "store and cache verify: $(cat "$LOGS/kill-push.verify")" "$?" 0
else
  block "kill -9 during build/push: needs build --push and registry FROM"
fi

# d) during the promotion: a blob download from dev stalled, prod partly written
job kill-copy
proxy reset >/dev/null
proxy faults '[{"match": "GET /v2/app/blobs/sha256:", "action": "stall", "seconds": 20, "times": 1}]' >/dev/null
kill_when kill-copy 1 copy --progress plain --jobs 1 "$DEV/app@$D" "$PROD/app-k:1.0"
expect_eq "killed during the copy" "$?" 0
proxy faults '[]' >/dev/null
skopeo_prod_inspect "docker://$PROD/app-k:1.0" >/dev/null 2>&1
expect_ne "no prod tag after the killed copy" "$?" 0
sw kill-copy.rerun copy --progress plain "$DEV/app@$D" "$PROD/app-k:1.0" --notify "$HOOK"
expect_eq "rerun after a kill in the copy" "$?" 0
expect_eq "same digest" "$(last_line kill-copy.rerun)" "$D"
expect_eq "webhook: event after the rerun" "$(events "$PROD/app-k" 1.0 | tail -n 1)" "$D application/json True"

# d2) during `slipway test`'s own pull of DEV/app@D (a blob download stalled), in a fresh job
job kill-testpull
proxy reset >/dev/null
proxy faults '[{"match": "GET /v2/app/blobs/sha256:", "action": "stall", "seconds": 20, "times": 1}]' >/dev/null
kill_when kill-testpull 1 test "$DEV/app@$D" --spec "$SPEC"
expect_eq "killed during test's pull" "$?" 0
proxy faults '[]' >/dev/null
sw kill-testpull.rerun test "$DEV/app@$D" --spec "$SPEC"
expect_eq "rerun of test after a kill in its pull" "$?" 0
expect_match "rerun: structure tests passed" "$LOGS/kill-testpull.rerun.out" "^7 tests: 7 passed, 0 failed"
verify_store "$XDG_DATA_HOME" "$XDG_CACHE_HOME" >"$LOGS/kill-testpull.verify" 2>&1
expect_eq "store and cache verify: $(cat "$LOGS/kill-testpull.verify")" "$?" 0

# e) both registries consistent: skopeo copies every image out of them, verifying every blob.
check_registry_image() {  # NAME SKOPEO_SRC_FLAGS... -- REF
  local name=$1
  shift
  local flags=()
  while [[ $1 != -- ]]; do flags+=("$1"); shift; done
  rm -rf "$T/verify"
  if skopeo copy -q "${flags[@]}" "docker://$2" "oci:$T/verify:x" >"$LOGS/verify-$name.log" 2>&1; then
    pass "registry consistent: skopeo copy $2"
  else
    fail "registry consistent: skopeo copy $2: $(cat "$LOGS/verify-$name.log")"
  fi
}
for ref in "$DEV/busybox:1" "$DEV/app:ci" "$DEV/app@$D"; do
  check_registry_image "dev-${ref##*/}" --src-tls-verify=false -- "$ref"
done
[[ $BUILD_PUSH == 1 ]] && check_registry_image dev-app-k --src-tls-verify=false -- "$DEV/app-k:ci"
[[ $BUILD_PUSH == 1 ]] && check_registry_image dev-app-p --src-tls-verify=false -- "$DEV/app-p:ci"
for ref in "$PROD/app:1.0" "$PROD/app-k:1.0"; do
  check_registry_image "prod-${ref##*/}" --src-cert-dir "$DOCKER_CONFIG/certs.d/$PROD" \
    --src-authfile "$DOCKER_CONFIG/config.json" -- "$ref"
done
expect_eq "prod holds only promoted repositories" \
  "$(skopeo_prod_inspect --raw "docker://$PROD/broken:1.0" >/dev/null 2>&1; echo $?)" 1
verify_store "$T"/jobs/*/data "$T"/jobs/*/cache >"$LOGS/all.verify" 2>&1
expect_eq "every job's store and cache verify: $(cat "$LOGS/all.verify")" "$?" 0

# ---- 5. machine-readable output for CI: every verb's JSON parses and says the right thing ----------
echo "== machine-readable output"
job json
# json_check LOG PY_EXPR: parses $LOGS/LOG.out as one JSON document `j`; PY_EXPR must be true.
json_check() {
  local out
  out=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); d=sys.argv[3]
assert eval(sys.argv[2]), sys.argv[2]' "$LOGS/$1.out" "$2" "$D" 2>&1)
  if [[ $? == 0 ]]; then pass "$1: JSON: $2"; else fail "$1: $out"; head -c 600 "$LOGS/$1.out"; fi
}
json_verb() {  # LOG VERB FLAG ARGS... : when VERB has FLAG, run it and keep the status in JSON_RC
  local log=$1 verb=$2 flag=$3
  shift 3
  if ! has_flag "$verb" "$flag"; then block "slipway $verb has no $flag"; return 1; fi
  sw "$log" "$verb" "$flag" "$@"
  JSON_RC=$?
  expect_eq "$log: exit status" "$JSON_RC" 0
}
# build: --metadata-file (checked in the flow above) and plain progress when not on a terminal
[[ $BUILD_PUSH == 1 ]] || sw json-pull-base pull "$DEV/busybox:1"  # no registry FROM without it
sw json-build build -t app --build-arg "BASE=$DEV/busybox:1" "$T/app"
expect_eq "build without --progress, output redirected" "$?" 0
expect_match "progress is plain lines when not a terminal" "$LOGS/json-build.err" '^#1 \['
if grep -q $'\e' "$LOGS/json-build.err"; then fail "terminal escapes in redirected progress"; else pass "no terminal escapes"; fi
expect_eq "local build = registry build" "$(last_line json-build)" "$D"
json_verb json-inspect inspect --json app && json_check json-inspect \
  'j["digest"] == d and j["config"]["config"]["Entrypoint"] == ["greet"] and j["manifest"]["layers"]'
json_verb json-inspect-reg inspect --json "$DEV/app:ci" && json_check json-inspect-reg 'j["digest"] == d'
json_verb json-tags tags --json "$DEV/app" && json_check json-tags '"ci" in j["tags"] and j["repository"].endswith("/app")'
json_verb json-digest digest --json "$DEV/app:ci" && json_check json-digest \
  'j["digest"] == d and j["size"] > 0 and "manifest" in j["mediaType"]'
json_verb json-digest-local digest --json local:app && json_check json-digest-local 'j["digest"] == d'
json_verb json-test test --json app --spec "$SPEC" && json_check json-test \
  'j["passed"] == 7 and j["failed"] == 0 and all(t["passed"] for t in j["tests"])'
sw json-test-bad test --json app --spec "$BAD_SPEC"
expect_eq "test --json: exit 1 on a failure" "$?" 1
json_check json-test-bad 'j["failed"] == 1 and [t["name"] for t in j["tests"] if not t["passed"]] == ["production config is present"]'
sw json-run-d run -d --name e2e-json --entrypoint sleep app 30
expect_eq "run -d" "$?" 0
json_verb json-ps ps --json && json_check json-ps \
  '[c["status"] for c in j if c["name"] == "e2e-json"] == ["running"]'
"$SLIPWAY" rm -f e2e-json >/dev/null 2>&1

# ---- 6. no credentials in any output ---------------------------------------------------------------
if grep -rlF -- "$PROD_PASSWORD" "$LOGS" "$T/events.jsonl" "$T"/*.meta.json 2>/dev/null; then
  fail "the prod password appears in the files above"
else
  pass "the prod password appears in no output ($(ls "$LOGS" | wc -l) logs)"
fi

echo
for b in "${blocked[@]}"; do echo "BLOCKED: $b"; done | sort -u
if ((failures > 0)); then
  echo "$failures check(s) failed; logs:"
  for f in "$LOGS"/*.err; do [[ -s $f ]] && { echo "---- $f"; tail -n 8 "$f"; }; done
  exit 1
fi
echo "all checks passed"
