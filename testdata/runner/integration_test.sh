#!/usr/bin/env bash
# Integration test of `slipway run/ps/logs/stop/rm` driving the real binary as root: exit statuses,
# isolation attempts that must fail, limits (pids, memory, timeout), the detached lifecycle with
# clean-up checks, and interoperability with crun (umoci-unpacked bundle) on a busybox image made
# with umoci and an image built by buildah. Skips (exit 0 with a message) when not root.
set -uo pipefail

if [[ $(id -u) -ne 0 ]]; then echo "SKIP: needs root"; exit 0; fi
SLIPWAY=$(realpath "$1")
BUSYBOX=$(realpath "$2")
SPEC=$(realpath "$3")
BAD_SPEC=$(realpath "$4")
T=$(mktemp -d "${TEST_TMPDIR:-/tmp}/slipway-it.XXXXXX")
export SLIPWAY_STATE_ROOT=$T/state SLIPWAY_LAYER_CACHE=$T/cache
failures=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; failures=$((failures + 1)); }
expect_eq() { if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1: expected [$3], got [$2]"; fi; }
expect_ne() { if [[ "$2" != "$3" ]]; then pass "$1"; else fail "$1: got [$2], must differ"; fi; }
cleanup() {
  [[ -n "${NC_PID:-}" ]] && kill "$NC_PID" 2>/dev/null
  "$SLIPWAY" ps -q 2>/dev/null | while read -r id; do "$SLIPWAY" rm -f "$id" >/dev/null 2>&1; done
  rm -rf "$T"
}
trap cleanup EXIT

# --- a busybox rootfs and an OCI image of it (umoci) ------------------------------------------
R=$T/rootfs
mkdir -p "$R"/{bin,etc,tmp,root,home/app}
chmod 1777 "$R/tmp"
cp "$BUSYBOX" "$R/bin/busybox"; chmod 0755 "$R/bin/busybox"
for a in $("$R/bin/busybox" --list); do [[ $a == busybox ]] || ln -sf busybox "$R/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\napp:x:1000:\nextra:x:2000:app\n' >"$R/etc/group"
printf 'not executable\n' >"$R/bin/notexec"; chmod 0644 "$R/bin/notexec"
ln -s / "$R/escape"
echo 'removed in layer 2' >"$R/removed"
echo mine >"$R/home/app/owned"; chown 1000:1000 "$R/home/app/owned"
IMG=$T/img
umoci init --layout "$IMG" >/dev/null
umoci new --image "$IMG:latest" >/dev/null
umoci insert --image "$IMG:latest" "$R" / >/dev/null
umoci config --image "$IMG:latest" --config.cmd sh --config.cmd -c --config.cmd 'echo default-cmd' \
  --config.env GREETING=hello --config.workingdir /home/app >/dev/null
umoci config --image "$IMG:latest" --tag stopsig --config.stopsignal SIGUSR1 >/dev/null
run() { "$SLIPWAY" run --rm "$@"; }
I=oci:$IMG:latest

# --- command, env, user, exit statuses ---------------------------------------------------------
expect_eq "default CMD" "$(run "$I")" "default-cmd"
expect_eq "image env + workdir" "$(run "$I" sh -c 'echo $GREETING $PWD $HOME')" "hello /home/app /root"
expect_eq "-e override" "$(run -e GREETING=bye "$I" sh -c 'echo $GREETING')" "bye"
expect_eq "--entrypoint drops CMD" "$(run --entrypoint /bin/echo "$I")" ""
expect_eq "-u app" "$(run -u app "$I" id)" "uid=1000(app) gid=1000(app) groups=1000(app),2000(extra)"
run "$I" true; expect_eq "exit 0" "$?" 0
run "$I" false; expect_eq "exit 1" "$?" 1
run "$I" sh -c 'exit 42'; expect_eq "exit 42" "$?" 42
run --init "$I" sh -c 'kill -KILL $$'; expect_eq "killed by signal -> 137" "$?" 137
run "$I" no-such-command 2>/dev/null; expect_eq "not found -> 127" "$?" 127
run "$I" /bin/notexec 2>/dev/null; expect_eq "not executable -> 126" "$?" 126

# --- isolation: each attempt must fail ---------------------------------------------------------
sleep 300 & HOST_SLEEP=$!
# sh (PID 1) and ls: the only processes in view.
expect_eq "cannot see host processes" "$(run "$I" sh -c "ls /proc >/tmp/p; grep -c '^[0-9]' /tmp/p")" "2"
expect_eq "host pid not visible" "$(run "$I" sh -c "test -d /proc/$HOST_SLEEP && echo seen || echo hidden")" "hidden"
kill $HOST_SLEEP
echo "host-secret" >"$T/secret"
expect_eq "cannot read a host file" "$(run "$I" cat "$T/secret" 2>/dev/null)" ""
expect_eq "symlink in the image stays inside" "$(run "$I" cat "/escape$T/secret" 2>/dev/null)" ""
PORT=$((20000 + RANDOM % 20000))
"$BUSYBOX" nc -l -p "$PORT" >/dev/null 2>&1 & NC_PID=$!
sleep 0.2
run "$I" sh -c "echo x | nc -w 1 127.0.0.1 $PORT" >/dev/null 2>&1
expect_ne "--network none cannot reach a host port" "$?" 0
run --network host "$I" sh -c "echo x | nc -w 1 127.0.0.1 $PORT" >/dev/null 2>&1
expect_eq "--network host can (control)" "$?" 0
expect_eq "--network none has only lo" "$(run "$I" ls /sys/class/net)" "lo"
run "$I" mount -t tmpfs none /tmp 2>/dev/null; expect_ne "mount fails" "$?" 0
printf '\x7fELF' >"$T/evil.ko"
run -v "$T/evil.ko:/evil.ko:ro" "$I" insmod /evil.ko 2>/dev/null; expect_ne "module load fails" "$?" 0
before=$(hostname)
run "$I" hostname evil 2>/dev/null; expect_ne "sethostname fails" "$?" 0
expect_eq "host hostname unchanged" "$(hostname)" "$before"
run "$I" sh -c 'echo 1 >/proc/sys/vm/drop_caches' 2>/dev/null; expect_ne "write /proc/sys fails" "$?" 0
expect_eq "caps = Docker's default" "$(run "$I" sh -c 'grep CapBnd /proc/self/status')" "CapBnd:	00000000a80425fb"
expect_eq "non-root has no effective caps" "$(run -u app "$I" sh -c 'grep CapEff /proc/self/status')" "CapEff:	0000000000000000"
expect_eq "seccomp filter on" "$(run "$I" sh -c 'grep Seccomp: /proc/self/status')" "Seccomp:	2"
run "$I" sh -c 'unshare -m true' 2>/dev/null; expect_ne "unshare fails" "$?" 0
run "$I" sh -c 'touch /proc/sysrq-trigger' 2>/dev/null; expect_ne "sysrq-trigger read-only" "$?" 0
run --read-only "$I" touch /x 2>/dev/null; expect_ne "--read-only" "$?" 0

# --- docker run flags: capabilities, ulimits, terminal, stdin, host names, env files ----------
run "$I" sh -c 'touch /tmp/f && chown 1000 /tmp/f'; expect_eq "chown works by default (control)" "$?" 0
run --cap-drop CHOWN "$I" sh -c 'touch /tmp/f && chown 1000 /tmp/f' 2>/dev/null; expect_ne "--cap-drop CHOWN: chown fails" "$?" 0
run --cap-drop cap_chown "$I" sh -c 'touch /tmp/f && chown 1000 /tmp/f' 2>/dev/null; expect_ne "--cap-drop cap_chown (any spelling)" "$?" 0
expect_eq "--cap-add NET_ADMIN: CapEff has bit 12" "$(run --cap-add NET_ADMIN "$I" grep CapEff /proc/self/status)" "CapEff:	00000000a80435fb"
run "$I" ip link set lo mtu 1400 2>/dev/null; expect_ne "ip link set fails without NET_ADMIN" "$?" 0
run --cap-add net_admin "$I" ip link set lo mtu 1400; expect_eq "--cap-add net_admin: ip link set works" "$?" 0
expect_eq "--cap-drop ALL: no capabilities" "$(run --cap-drop ALL "$I" sh -c 'grep -E "Cap(Eff|Prm|Bnd)" /proc/self/status | tr "\n" " "')" "CapPrm:	0000000000000000 CapEff:	0000000000000000 CapBnd:	0000000000000000 "
expect_eq "--cap-drop ALL --cap-add CHOWN: only CHOWN" "$(run --cap-drop ALL --cap-add CHOWN "$I" grep CapEff /proc/self/status)" "CapEff:	0000000000000001"
expect_eq "--cap-add CHOWN wins over --cap-drop CHOWN" "$(run --cap-add CHOWN --cap-drop CHOWN "$I" grep CapEff /proc/self/status)" "CapEff:	00000000a80425fb"
# The seccomp filter follows the capabilities (as docker's profile): mount needs SYS_ADMIN.
expect_eq "--cap-add SYS_ADMIN: mount allowed (capability and seccomp)" "$(run --cap-add SYS_ADMIN "$I" sh -c 'mount -t tmpfs none /tmp && grep -c " /tmp tmpfs " /proc/mounts')" "1"
# ALL: every capability slipway has to give (its own bounding set; drops do not count).
expect_eq "--cap-add ALL: slipway's own bounding set" "$(run --cap-add ALL --cap-drop KILL "$I" grep CapBnd /proc/self/status)" "$(grep CapBnd /proc/self/status)"
err=$(run --cap-add NET_ADMINN "$I" true 2>&1); rc=$?
expect_eq "unknown capability is a usage error" "$rc" 2
if [[ "$err" == *"unknown capability \`CAP_NET_ADMINN\`"* ]]; then pass "unknown capability named"; else fail "unknown capability message: [$err]"; fi
expect_eq "--ulimit nofile=512:1024" "$(run --ulimit nofile=512:1024 "$I" sh -c 'echo $(ulimit -n) $(ulimit -Hn)')" "512 1024"
expect_eq "--ulimit soft only sets both" "$(run --ulimit nofile=300 "$I" sh -c 'echo $(ulimit -n) $(ulimit -Hn)')" "300 300"
expect_eq "--ulimit -1 is unlimited, a later flag wins" "$(run --ulimit core=0 --ulimit core=-1 --ulimit nproc=50:60 "$I" sh -c 'echo $(ulimit -c) $(ulimit -u) $(ulimit -Hu)')" "unlimited 50 60"
run --ulimit nofile=20:10 "$I" true 2>/dev/null; expect_eq "--ulimit soft > hard is a usage error" "$?" 2
run --ulimit files=10 "$I" true 2>/dev/null; expect_eq "--ulimit unknown name is a usage error" "$?" 2
# A terminal, through script(1) so that slipway itself runs on one.
tty_run() { script -qec "$1" /dev/null | tr -d '\r'; }
expect_eq "-t: tty, stdin and stdout are the terminal" "$(tty_run "$SLIPWAY run --rm -t $I sh -c 'tty; test -t 0 && echo in-tty; test -t 1 && echo out-tty; test -t 2 && echo err-tty'")" "/dev/pts/0
in-tty
out-tty
err-tty"
# Without -t stdout and stderr are slipway's own (here script's terminal; a pipe under docker).
expect_eq "no -t: stdin is no terminal even when slipway has one" "$(tty_run "$SLIPWAY run --rm $I sh -c 'test -t 0 || echo stdin-no-tty'")" "stdin-no-tty"
expect_eq "-t: the terminal is the controlling one, also /dev/console" "$(tty_run "$SLIPWAY run --rm -t $I sh -c 'echo via-dev-tty >/dev/tty; ls -l /dev/console | cut -c1'")" "via-dev-tty
c"
expect_eq "-t sets TERM=xterm (as docker), -e overrides it" "$(run -t "$I" sh -c 'echo $TERM' | tr -d '\r') $(run -t -e TERM=vt100 "$I" sh -c 'echo $TERM' | tr -d '\r') [$(run "$I" sh -c 'echo $TERM')]" "xterm vt100 []"
expect_eq "-t: exit status comes back" "$(tty_run "$SLIPWAY run --rm -t $I sh -c 'exit 7'; echo rc=\$?")" "rc=7"
expect_eq "-t: initial size is the host terminal's" "$(tty_run "stty rows 40 cols 100; $SLIPWAY run --rm -t $I stty size")" "40 100"
expect_eq "-t: SIGWINCH passes the new size on" "$(tty_run "stty rows 10 cols 20; $SLIPWAY run --rm -t $I sh -c 'stty size; sleep 2; stty size' & p=\$!; sleep 1; stty rows 50 cols 120; kill -WINCH \$p; wait \$p")" "10 20
50 120"
expect_eq "-t -u app: the terminal belongs to the user" "$(tty_run "$SLIPWAY run --rm -t -u app $I sh -c 'stat -c %u \$(tty)'")" "1000"
# -it: keystrokes go in (raw mode: ^C is a byte the container's terminal turns into SIGINT), the
# host terminal's settings are the same afterwards.
start=$(date +%s)
out=$( (sleep 1; printf 'echo in-$((6*7))\n'; sleep 0.5; printf 'sleep 30; echo not-$((1+1))-interrupted\n'; sleep 0.7; printf '\003'; sleep 0.5; printf 'exit 3\n'; sleep 1.5) |
  tty_run "stty -g >$T/stty.before; $SLIPWAY run --rm -it $I sh; echo exit=\$?; stty -g >$T/stty.after")
secs=$(( $(date +%s) - start ))
if [[ "$out" == *"in-42"* ]]; then pass "-it: input reaches the shell"; else fail "-it input: [$out]"; fi
if [[ "$out" != *"not-2-interrupted"* ]] && (( secs < 20 )); then pass "-it: ^C interrupts the container's command (${secs}s)"; else fail "-it ^C (${secs}s): [$out]"; fi
if [[ "$out" == *"exit=3"* ]]; then pass "-it: exit status"; else fail "-it exit: [$out]"; fi
if [[ -s $T/stty.before ]] && cmp -s "$T/stty.before" "$T/stty.after"; then pass "-it: host terminal restored"; else fail "-it: terminal settings changed: $(cat "$T/stty.before") -> $(cat "$T/stty.after" 2>/dev/null)"; fi
# Killed by --timeout while in raw mode: the terminal is still restored.
tty_run "stty -g >$T/stty.before; $SLIPWAY run --rm -it --timeout 1 --stop-timeout 1 $I sleep 30; stty -g >$T/stty.after" </dev/null >/dev/null
if cmp -s "$T/stty.before" "$T/stty.after"; then pass "-it --timeout: host terminal restored"; else fail "-it --timeout: terminal settings changed"; fi
echo x | "$SLIPWAY" run --rm -it "$I" true 2>/dev/null; expect_eq "-it without a terminal on stdin: usage error" "$?" 2
expect_eq "no -i: stdin is /dev/null" "$(echo piped | run "$I" cat)" ""
expect_eq "-i: stdin is passed on" "$(echo piped | run -i "$I" cat)" "piped"
id=$("$SLIPWAY" run -d -t "$I" sh -c 'tty; echo detached')
sleep 0.5
expect_eq "-d -t: the terminal's output is logged" "$("$SLIPWAY" logs "$id" | tr -d '\r')" "/dev/pts/0
detached"
"$SLIPWAY" rm -f "$id" >/dev/null
expect_eq "--hostname" "$(run --hostname web.example "$I" sh -c 'hostname; cat /etc/hostname; echo $HOSTNAME; grep -c "web.example" /etc/hosts')" "web.example
web.example
web.example
1"
expect_eq "-h NAME" "$(run -h short "$I" hostname)" "short"
run --hostname bad_name "$I" true 2>/dev/null; expect_eq "invalid --hostname is a usage error" "$?" 2
expect_eq "--add-host appends to /etc/hosts" "$(run --add-host db:10.1.2.3 --add-host v6:2001:db8::1 "$I" tail -2 /etc/hosts)" "10.1.2.3	db
2001:db8::1	v6"
expect_eq "--add-host with --network host" "$(run --network host --add-host db.example:10.9.9.9 "$I" tail -1 /etc/hosts)" "10.9.9.9	db.example"
run --add-host db:not-an-ip "$I" true 2>/dev/null; expect_eq "--add-host with a bad IP is a usage error" "$?" 2
printf '# settings for CI\n\nPLAIN=1\nSPACED= a b \nQUOTED="q"\n  INDENTED=yes\nFROM_HOST\nNOT_SET_ANYWHERE\nOVERRIDDEN=file\n' >"$T/ci.env"
export FROM_HOST=host-value
expect_eq "--env-file: Docker's format, -e wins" "$(run --env-file "$T/ci.env" -e OVERRIDDEN=flag "$I" sh -c 'echo "[$PLAIN][$SPACED][$QUOTED][$INDENTED][$FROM_HOST][${NOT_SET_ANYWHERE-unset}][$OVERRIDDEN]"')" "[1][ a b ][\"q\"][yes][host-value][unset][flag]"
unset FROM_HOST
printf 'GOOD=1\nBAD KEY=2\n' >"$T/bad.env"
err=$(run --env-file "$T/bad.env" "$I" true 2>&1); rc=$?
expect_eq "--env-file bad line: the user's error" "$rc" 1
if [[ "$err" == *"$T/bad.env:2: variable \`BAD KEY\` contains whitespace"* ]]; then pass "--env-file names the file and line"; else fail "--env-file message: [$err]"; fi
run --env-file "$T/missing.env" "$I" true 2>/dev/null; expect_eq "--env-file missing file: the user's error" "$?" 1
expect_eq "docker run flags: no containers left" "$(ls "$SLIPWAY_STATE_ROOT" | wc -l)" "0"

# --- limits -------------------------------------------------------------------------------------
host_pids=$(ls /proc | grep -c '^[0-9]')
# Spawn 100 sleepers under --pids-limit 20 and count the container's processes from the host.
run --pids-limit 20 "$I" sh -c '(i=0; while [ $i -lt 100 ]; do sleep 3 & i=$((i+1)); done) 2>/dev/null; sleep 3' >/dev/null 2>&1 &
RUN_PID=$!
sleep 1.5
out=$(find /sys/fs/cgroup -path '*/slipway/*' -name pids.current -exec cat {} + 2>/dev/null | head -1)
wait $RUN_PID
if [[ "$out" =~ ^[0-9]+$ && "$out" -ge 10 && "$out" -le 20 ]]; then pass "fork bomb held at --pids-limit ($out procs)"; else fail "pids limit: [$out]"; fi
# The bomb starts in a subshell: the container's own shell forks once, before the limit is
# reached, then only loops (were its own `b | b &` to fail to fork, it would exit 2 at once).
run --pids-limit 30 --timeout 3 --stop-timeout 1 "$I" sh -c 'b() { b | b & }; (b); while :; do :; done' >/dev/null 2>&1
expect_eq "real fork bomb ends by timeout" "$?" 124
now_pids=$(ls /proc | grep -c '^[0-9]')
if (( now_pids <= host_pids + 10 )); then pass "no leftover processes"; else fail "processes leaked: $host_pids -> $now_pids"; fi
err=$(run --memory 32m "$I" dd if=/dev/zero of=/dev/null bs=128M count=1 2>&1 >/dev/null)
rc=$?
expect_eq "memory hog killed -> 137" "$rc" 137
if [[ "$err" == *"out of memory"* ]]; then pass "reported as OOM"; else fail "OOM message: [$err]"; fi
start=$(date +%s%N)
err=$(run --timeout 1 --stop-timeout 1 "$I" sh -c 'trap "" TERM; (trap "" TERM; sleep 30) & sleep 30' 2>&1)
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "--timeout kills a SIGTERM-ignoring tree -> 124" "$rc" 124
if (( ms < 6000 )); then pass "timeout took ${ms}ms"; else fail "timeout took ${ms}ms"; fi
if [[ "$err" == *"timed out"* ]]; then pass "timeout reported"; else fail "timeout message: [$err]"; fi

# --- detached lifecycle --------------------------------------------------------------------------
# No limit: no cgroup at all (the PID namespace bounds the container).
id=$("$SLIPWAY" run -d "$I" sleep 300)
expect_eq "no limits -> no cgroup" "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id" 2>/dev/null | wc -l)" "0"
"$SLIPWAY" rm -f "$id" >/dev/null
# A detached run whose command cannot start leaves no cgroup or state behind (commit d6b5684).
"$SLIPWAY" run -d --pids-limit 50 "$I" no-such-command >/dev/null 2>&1
expect_eq "run -d of a missing command -> 127" "$?" 127
expect_eq "run -d failed start: no cgroup, no state" "$(find /sys/fs/cgroup -maxdepth 6 -path '*/slipway/*' -type d 2>/dev/null | wc -l) $(ls "$SLIPWAY_STATE_ROOT" | wc -l)" "0 0"
id=$("$SLIPWAY" run -d --pids-limit 50 "$I" sh -c 'echo started; sleep 300')
expect_eq "run -d prints an id" "${#id}" 64
sleep 0.3
expect_eq "logs" "$("$SLIPWAY" logs "${id:0:12}")" "started"
if "$SLIPWAY" ps | grep -q "${id:0:12}.*running"; then pass "ps shows running"; else fail "ps: $("$SLIPWAY" ps)"; fi
cg_dirs=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id" 2>/dev/null | wc -l)
if (( cg_dirs > 0 )); then pass "container has cgroups ($cg_dirs)"; else fail "no cgroup found"; fi
start=$(date +%s%N)
"$SLIPWAY" stop -t 1 "$id" >/dev/null   # sh as PID 1 ignores SIGTERM: SIGKILL after 1s
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if (( ms >= 900 && ms < 4000 )); then pass "stop waited the grace period (${ms}ms)"; else fail "stop took ${ms}ms"; fi
if "$SLIPWAY" ps | grep -q "${id:0:12}.*exited (137)"; then pass "exited (137) after SIGKILL"; else fail "ps after stop: $("$SLIPWAY" ps)"; fi
"$SLIPWAY" rm "$id" >/dev/null
expect_eq "rm: no state" "$(ls "$SLIPWAY_STATE_ROOT" | grep -c "$id")" "0"
expect_eq "rm: no cgroup" "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id" 2>/dev/null | wc -l)" "0"
expect_eq "rm: no mount" "$(grep -c "$id" /proc/self/mountinfo)" "0"
# STOPSIGNAL from the image: SIGUSR1 ends it at once (no grace wait).
id=$("$SLIPWAY" run -d "oci:$IMG:stopsig" sh -c 'trap "echo got-usr1; exit 0" USR1; while :; do sleep 0.1; done')
sleep 0.3
start=$(date +%s%N)
"$SLIPWAY" stop -t 10 "$id" >/dev/null
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if (( ms < 3000 )); then pass "stop used STOPSIGNAL (${ms}ms)"; else fail "STOPSIGNAL stop took ${ms}ms"; fi
expect_eq "STOPSIGNAL handler ran" "$("$SLIPWAY" logs "$id")" "got-usr1"
"$SLIPWAY" rm "$id" >/dev/null
"$SLIPWAY" run --rm "$I" true
expect_eq "--rm leaves no state" "$(ls "$SLIPWAY_STATE_ROOT" | wc -l)" "0"

# --- volumes, --cpus, docker-archive, corrupted blobs ---------------------------------------------
mkdir -p "$T/vol"; echo from-host >"$T/vol/in"
expect_eq "-v rw: read and write" "$(run -v "$T/vol:/data" "$I" sh -c 'cat /data/in; echo from-ctr >/data/out')" "from-host"
expect_eq "-v rw: write visible on the host" "$(cat "$T/vol/out" 2>/dev/null)" "from-ctr"
run -v "$T/vol:/data:ro" "$I" sh -c 'echo x >/data/ro' 2>/dev/null; expect_ne "-v ro: write fails" "$?" 0
expect_eq "-v ro: still readable, host untouched" "$(run -v "$T/vol:/data:ro" "$I" cat /data/in) $(ls "$T/vol" | tr '\n' ' ')" "from-host in out "
run --cpus 0.5 "$I" sh -c 'sleep 1' & CPID=$!; sleep 0.5
quota=$(find /sys/fs/cgroup \( -path '*/slipway/*/cpu.cfs_quota_us' -o -path '*/slipway/*/cpu.max' \) -exec cat {} + 2>/dev/null | head -1)
wait $CPID
if [[ "$quota" == "50000" || "$quota" == "50000 100000" ]]; then pass "--cpus 0.5 sets the CPU quota ($quota)"; else fail "--cpus quota: [$quota]"; fi
"$SLIPWAY" run --rm --cpus abc "$I" true 2>/dev/null; expect_eq "--cpus abc is a usage error" "$?" 2
skopeo copy -q "oci:$IMG:latest" "docker-archive:$T/img.tar:busybox:it" >/dev/null 2>&1
expect_eq "docker-archive: image" "$(run "docker-archive:$T/img.tar" sh -c 'echo $GREETING')" "hello"
cp -r "$IMG" "$T/corrupt"
big=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]+"/index.json")); print(m["manifests"][0]["digest"])' "$T/corrupt")
layer=$(python3 -c 'import json,sys; d=sys.argv[1]; i=json.load(open(d+"/index.json"))["manifests"][0]["digest"].split(":")[1]; m=json.load(open(d+"/blobs/sha256/"+i)); print(m["layers"][0]["digest"].split(":")[1])' "$T/corrupt")
printf 'X' | dd of="$T/corrupt/blobs/sha256/$layer" bs=1 seek=100 conv=notrunc 2>/dev/null
err=$(SLIPWAY_LAYER_CACHE=$T/cache2 "$SLIPWAY" run --rm "oci:$T/corrupt:latest" true 2>&1); rc=$?
if [[ $rc -ne 0 && "$err" == *"has digest"* ]]; then pass "a corrupted layer blob is refused"; else fail "corrupted blob: rc=$rc [$err]"; fi
expect_eq "corrupted blob: nothing cached" "$(ls "$T/cache2" 2>/dev/null | grep -vc '^\.')" "0"

# --- structure tests ------------------------------------------------------------------------------
# A second tag with a second layer (a new file, a whiteout), a label and an exposed port.
umoci config --image "$IMG:latest" --tag structure --config.label org.example.team=ci \
  --config.exposedports 8080/tcp >/dev/null
# umoci 0.4.7 ends its layer tars without the last entry's padding or the end-of-archive blocks
# (GNU tar says "Unexpected EOF"): an empty directory sorted last keeps layer2's data whole.
mkdir -p "$T/layer2/etc/zz-pad"; echo 'second layer' >"$T/layer2/etc/layer2"
umoci insert --image "$IMG:structure" "$T/layer2" / >/dev/null
umoci insert --image "$IMG:structure" --whiteout /removed >/dev/null
out=$("$SLIPWAY" test "oci:$IMG:structure" --spec "$SPEC" --junit "$T/junit.xml" 2>&1)
rc=$?
expect_eq "slipway test exits 1 when a test fails" "$rc" 1
# Every "pass:" test passed and every "fail:" test failed (names from the spec).
npass=$(grep -c '^PASS \[[a-z_]*\] pass: ' <<<"$out"); nfail=$(grep -c '^FAIL \[[a-z_]*\] fail: ' <<<"$out")
expect_eq "structure: passing cases pass" "$npass" "$(grep -c 'name: "pass: ' "$SPEC")"
expect_eq "structure: failing cases fail" "$nfail" "$(grep -c 'name: "fail: ' "$SPEC")"
expect_eq "structure: no pass/fail mix-up" "$(grep -cE '^(FAIL .*\] pass:|PASS .*\] fail:)' <<<"$out")" "0"
expect_eq "structure: metadata passes" "$(grep -c '^PASS \[metadata\] metadata' <<<"$out")" "1"
expect_eq "structure: summary" "$(tail -1 <<<"$out")" "24 tests: 13 passed, 11 failed"
reason() {  # test name, expected reason (a substring of the line after it)
  local got; got=$(grep -A1 -F "] $1" <<<"$out" | sed -n 2p)
  if [[ "$got" == *"$2"* ]]; then pass "structure: '$1' fails for the right reason"; else fail "structure: '$1': [$got] lacks [$2]"; fi
}
reason "fail: exit status" "exit status 1, expected 0"
reason "fail: expected output" 'expected output to match `^hello`'
reason "fail: excluded output" 'output matches the excluded `FATAL`'
reason "fail: not found" "exit status 127, expected 0"
reason "fail: missing" '`/bin/bash` does not exist'
reason "fail: permissions" "has permissions -rwxr-xr-x, expected -rw-r--r--"
reason "fail: owner" "is owned by uid 0, expected 1000"
reason "fail: should not exist" '`/etc/passwd` exists but should not'
reason "fail: expected contents" 'expected contents of `/etc/passwd` to match `^nobody:`'
reason "fail: excluded contents" 'contents of `/etc/group` matches the excluded `extra`'
reason "fail: symlink to a host file stays inside" "No such file"
python3 - "$T/junit.xml" <<'PY' && pass "structure: JUnit XML is valid" || fail "structure: JUnit XML"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
suites = root.findall("testsuite"); assert len(suites) == 1
s = suites[0]; cases = s.findall("testcase")
assert s.get("tests") == "24" and s.get("failures") == "11", s.attrib
assert len(cases) == 24
failed = [c.get("name") for c in cases if c.find("failure") is not None]
assert len(failed) == 11 and all(n.startswith("fail: ") for n in failed), failed
assert all(c.get("classname").startswith("structure.") and float(c.get("time")) >= 0 for c in cases)
PY
"$SLIPWAY" test "oci:$IMG:structure" --spec "$BAD_SPEC" --json >"$T/bad.json"
expect_eq "structure: bad metadata exits 1" "$?" 1
python3 - "$T/bad.json" <<'PY' && pass "structure: --json lists every metadata mismatch" || fail "structure: --json $(cat "$T/bad.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["passed"] == 0 and j["failed"] == 1, j
f = j["tests"][0]["failures"]
want = ['env `GREETING=hello`, expected `GREETING=bye`', 'cmd is ["sh","-c","echo default-cmd"], expected ["sh"]',
        'entrypoint is [], expected ["/bin/sh"]', 'workdir is "/home/app", expected "/"', 'port 9090/tcp is not exposed',
        'port 8080/tcp is exposed but should not be', 'label `org.example.team` is "ci", expected "web"',
        'user is "", expected "app"']
assert sorted(f) == sorted(want), f
PY
printf 'command_tests { name: "x" }\n' >"$T/invalid.textproto"
"$SLIPWAY" test "oci:$IMG:structure" --spec "$T/invalid.textproto" >/dev/null 2>&1
expect_eq "structure: invalid spec is the user's error" "$?" 1
"$SLIPWAY" test "oci:$IMG:structure" 2>/dev/null; expect_eq "structure: --spec required" "$?" 2
expect_eq "structure: no containers or mounts left" "$(ls "$SLIPWAY_STATE_ROOT" | wc -l) $(grep -c "$T" /proc/self/mountinfo)" "0 0"

# --- interoperability: same output as crun on the umoci-unpacked bundle --------------------------
probe='id -u; id -g; pwd; echo $GREETING; ls /; cat /etc/passwd; ls /proc/self/ns | sort | tr "\n" " "'
umoci unpack --image "$IMG:latest" "$T/bundle" >/dev/null 2>&1
crun_probe() {
  local b=$1; shift
  python3 - "$b/config.json" "$@" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = sys.argv[2:]
c["linux"].pop("uidMappings", None); c["linux"].pop("gidMappings", None)
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "user"]
c["linux"].pop("resources", None)
json.dump(c, open(p, "w"))
PY
  # crun refuses hybrid cgroup layouts ("cgroups in hybrid mode not supported") even with
  # --cgroup-manager=disabled: hide the empty unified mount from it in a private mount namespace.
  unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun --cgroup-manager=disabled run -b "$0" "$1" </dev/null' "$b" "slipway-it-$$"
}
want=$(crun_probe "$T/bundle" sh -c "$probe" 2>&1)
got=$(run "$I" sh -c "$probe" 2>&1)
expect_eq "busybox image: slipway = crun" "$got" "$want"
# An image built by buildah (vfs driver, chroot isolation, temp storage).
B="buildah --storage-driver vfs --root $T/broot --runroot $T/brunroot"
ctr=$($B from scratch 2>/dev/null)
$B copy "$ctr" "$R" / >/dev/null 2>&1
$B config --cmd '/bin/sh -c "echo built-by-buildah"' --env GREETING=buildah --workingdir / "$ctr" >/dev/null 2>&1
$B commit "$ctr" "oci:$T/bimg:latest" >/dev/null 2>&1
$B rm "$ctr" >/dev/null 2>&1
expect_eq "buildah image default CMD" "$(run "oci:$T/bimg:latest")" "built-by-buildah"
umoci unpack --image "$T/bimg:latest" "$T/bbundle" >/dev/null 2>&1
want=$(crun_probe "$T/bbundle" sh -c "$probe" 2>&1)
got=$(run "oci:$T/bimg:latest" sh -c "$probe" 2>&1)
expect_eq "buildah image: slipway = crun" "$got" "$want"
$B rm --all >/dev/null 2>&1; $B rmi --all >/dev/null 2>&1

echo "failures: $failures"
exit $(( failures > 0 ))
