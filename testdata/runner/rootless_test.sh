#!/usr/bin/env bash
# Rootless `slipway run` / `slipway test`: as root, creates a throwaway user and runs the real binary
# as that user (setpriv), with the state under $XDG_RUNTIME_DIR/slipway: busybox id/echo, a file
# written in the container, a terminal (-t), -u of another user through /etc/subuid ranges (newuidmap), the error
# for limits without a delegated cgroup, and nothing left behind. Skips when not root.
set -uo pipefail
export PATH=$PATH:/usr/sbin:/sbin:/usr/bin:/bin
if [[ $(id -u) -ne 0 ]]; then echo "SKIP: needs root to create the test user"; exit 0; fi
SLIPWAY=$(realpath "$1"); BUSYBOX=$(realpath "$2")
U=slipway-rl-$$
T=$(mktemp -d /tmp/slipway-rootless.XXXXXX)
failures=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; failures=$((failures + 1)); }
expect_eq() { if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1: expected [$3], got [$2]"; fi; }
cp /etc/subuid "$T/subuid.bak" 2>/dev/null; cp /etc/subgid "$T/subgid.bak" 2>/dev/null
cleanup() {
  [[ -f "$T/subuid.bak" ]] && cp "$T/subuid.bak" /etc/subuid; [[ -f "$T/subgid.bak" ]] && cp "$T/subgid.bak" /etc/subgid
  userdel -r "$U" >/dev/null 2>&1; rm -rf "$T"
}
trap cleanup EXIT
useradd -m -s /bin/sh "$U" || { echo "useradd failed"; exit 1; }
chmod 755 "$T"; cp "$SLIPWAY" "$T/slipway"; chmod 755 "$T/slipway"
mkdir -p "$T/r/bin" "$T/r/etc" "$T/r/tmp"; chmod 1777 "$T/r/tmp"
cp "$BUSYBOX" "$T/r/bin/busybox"; chmod 755 "$T/r/bin/busybox"
for a in sh id echo cat touch ls mkdir stat tty; do ln -s busybox "$T/r/bin/$a"; done
mkdir -p "$T/r/home/app"; chown 1000:1000 "$T/r/home/app"
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/:/bin/sh\n' >"$T/r/etc/passwd"
printf 'root:x:0:\napp:x:1000:\n' >"$T/r/etc/group"
umoci init --layout "$T/img" >/dev/null && umoci new --image "$T/img:latest" >/dev/null
umoci insert --image "$T/img:latest" "$T/r" / >/dev/null
printf 'command_tests { name: "id" command: "id" args: "-u" expected_output: "^0\\n$" }\nfile_existence_tests { name: "sh" path: "/bin/busybox" }\n' >"$T/spec.textproto"
chmod -R a+rX "$T"
XDG=$T/xdg; mkdir -p "$XDG"; chown "$U" "$XDG"; chmod 700 "$XDG"
as_user() { setpriv --reuid="$U" --regid="$U" --init-groups env -i PATH=/usr/bin:/bin HOME="/home/$U" XDG_RUNTIME_DIR="$XDG" "$@"; }
I=oci:$T/img:latest

# Single-uid mapping (no /etc/subuid entry for the user).
sed -i "/^$U:/d" /etc/subuid /etc/subgid 2>/dev/null
expect_eq "rootless id (root inside = the user)" "$(as_user "$T/slipway" run --rm "$I" id 2>&1)" "uid=0(root) gid=0(root) groups=0(root)"
expect_eq "rootless echo" "$(as_user "$T/slipway" run --rm "$I" echo hello 2>&1)" "hello"
expect_eq "rootless uses overlayfs" "$(as_user "$T/slipway" run --rm "$I" sh -c 'grep -c "^overlay / " /proc/mounts' 2>&1)" "1"
# -t: the terminal comes from the devpts instance mounted in the container's user namespace.
expect_eq "rootless -t" "$(as_user script -qec "$T/slipway run --rm -t $I sh -c 'tty; test -t 0 && echo in-tty'" /dev/null 2>&1 | tr -d '\r')" "/dev/pts/0
in-tty"
expect_eq "rootless writes its upper layer" "$(as_user "$T/slipway" run --rm "$I" sh -c 'touch /tmp/x && ls /tmp' 2>&1)" "x"
out=$(as_user "$T/slipway" run --rm -u app "$I" id 2>&1); rc=$?
if [[ $rc -ne 0 && "$out" == *"not mapped"* ]]; then pass "-u without a range is refused clearly"; else fail "-u without range: rc=$rc [$out]"; fi
out=$(as_user "$T/slipway" run --rm --memory 64m "$I" true 2>&1); rc=$?
if [[ $rc -ne 0 && "$out" == *"delegated"* ]]; then pass "limits without a delegated cgroup: clear error"; else fail "rootless limits: rc=$rc [$out]"; fi
as_user "$T/slipway" test "$I" --spec "$T/spec.textproto" >"$T/test.out" 2>&1
expect_eq "rootless slipway test" "$?:$(tail -1 "$T/test.out")" "0:2 tests: 2 passed, 0 failed"
# State lived under $XDG_RUNTIME_DIR/slipway and is gone; the cache is in the user's home.
expect_eq "state under XDG_RUNTIME_DIR, cleaned" "$(test -d "$XDG/slipway" && ls "$XDG/slipway" | wc -l)" "0"
if [[ -d /home/$U/.cache/slipway/layers ]]; then pass "layer cache in the user's home"; else fail "no user layer cache"; fi

# With a subordinate range, other users inside work (newuidmap/newgidmap).
echo "$U:200000:65536" >>/etc/subuid; echo "$U:200000:65536" >>/etc/subgid
expect_eq "rootless -u app via /etc/subuid" "$(as_user "$T/slipway" run --rm -u app "$I" id 2>&1)" "uid=1000(app) gid=1000(app) groups=1000(app)"
expect_eq "rootless root still the user" "$(as_user "$T/slipway" run --rm "$I" id -u 2>&1)" "0"
# Layers are unpacked as root of a user namespace with the same ranges: owners are kept.
expect_eq "rootless with a range keeps owners" "$(as_user "$T/slipway" run --rm "$I" stat -c %u:%g /home/app 2>&1)" "1000:1000"
# What the container's user wrote (host ids of the range) is still removed with the container.
expect_eq "files of subordinate ids removed" "$(as_user "$T/slipway" run --rm -u app "$I" sh -c 'mkdir /tmp/d && touch /tmp/d/f && echo ok' 2>&1):$(ls "$XDG/slipway" | wc -l)" "ok:0"
expect_eq "no mounts left" "$(grep -c "$T" /proc/self/mountinfo)" "0"
expect_eq "no processes of the user left" "$(pgrep -u "$U" | wc -l)" "0"
echo "failures: $failures"
exit $(( failures > 0 ))
