#!/bin/sh
# SPDX-License-Identifier: MIT
# test-bus-policy.sh POLICY ACTIVATION_FILE STANDIN
#
# Checks the system-bus policy data/org.bgservice1.conf on a private
# dbus-daemon whose own config mimics the system bus (deny owning and method
# calls unless a rule allows them) and <include>s the policy:
#   - the bus starts with the policy (the file parses) and lists
#     org.bgservice1 as activatable from ACTIVATION_FILE;
#   - nobody may not own org.bgservice1;
#   - with a stand-in owner (STANDIN, a test-only Python program, not the
#     daemon) on the name: nobody may call the reading methods, is refused
#     the state-changing ones by the bus itself (AccessDenied, "Rejected
#     send message"), and receives the name's signals; root may call all;
#   - the user `bgservice` may own the name and change state; members of
#     the group `bgservice` may change state but not own the name. Where
#     this machine lacks that user or group, these checks run on a second
#     bus with a copy of the policy in which existing names stand in for
#     them (user daemon, group users), so those rules are exercised anyway.
# Needs root (for setpriv), dbus-daemon, dbus-send and Debian's
# /usr/bin/python3 with python3-dbus and python3-gi; exits 77 without them.

set -u

if [ $# -ne 3 ]; then
    echo "usage: $0 POLICY ACTIVATION_FILE STANDIN" >&2
    exit 2
fi

abspath() { (cd "$(dirname "$1")" && printf '%s/%s\n' "$(pwd -P)" "$(basename "$1")"); }
policy=$(abspath "$1")
activation=$(abspath "$2")
standin=$(abspath "$3")
python=/usr/bin/python3

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root to run clients as other users"
for tool in dbus-daemon dbus-send setpriv getent; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool not installed"
done
"$python" -c 'import dbus, dbus.mainloop.glib, gi.repository.GLib' 2>/dev/null ||
    skip "$python lacks python3-dbus or python3-gi"
id nobody >/dev/null 2>&1 || skip "no user nobody"
nogroup=$(id -gn nobody)

tmp=$(mktemp -d) || exit 1
bus_pid=
owner_pid=
listener_pid=
cleanup() {
    for pid in $listener_pid $owner_pid $bus_pid; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# Other users have to reach the socket inside.
chmod 755 "$tmp"
# ...and to read the stand-in, which the source tree may keep in a private
# folder (a checkout in a mktemp -d folder is mode 700).
cp "$standin" "$tmp/bus-policy-standin.py"
chmod 644 "$tmp/bus-policy-standin.py"
standin="$tmp/bus-policy-standin.py"
mkdir "$tmp/services"
cp "$activation" "$tmp/services/org.bgservice1.service"

failures=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; failures=$((failures + 1)); }

# send CMD...: runs CMD; its output (stdout and stderr) goes to $out, its
# status is the function's status.
send() {
    out=$("$@" 2>&1)
}
dsend() { dbus-send --bus="$address" --print-reply "$@"; }

# Run a command as another user: nobody, nobody with one extra group, or
# any user with only its primary group.
as_nobody() { setpriv --reuid=nobody --regid="$nogroup" --clear-groups "$@"; }
as_member() { setpriv --reuid=nobody --regid="$nogroup" --groups="$member_gid" "$@"; }
as_owner() { setpriv --reuid="$owner_user" --regid="$(id -g "$owner_user")" --clear-groups "$@"; }

# expect_ok DESCRIPTION WHO DBUS-SEND-ARGS...: the call must succeed. WHO is
# as_nobody, as_member, as_owner, or - for root.
expect_ok() {
    desc=$1 who=$2
    shift 2
    if [ "$who" = - ]; then
        send dsend "$@"
    else
        send "$who" dbus-send --bus="$address" --print-reply "$@"
    fi
    if [ $? -eq 0 ]; then pass "$desc"; else fail "$desc: $out"; fi
}

# expect_denied DESCRIPTION WHO DBUS-SEND-ARGS...: the bus (not the
# stand-in, which never refuses) must answer AccessDenied.
expect_denied() {
    desc=$1 who=$2
    shift 2
    if [ "$who" = - ]; then
        send dsend "$@"
    else
        send "$who" dbus-send --bus="$address" --print-reply "$@"
    fi
    case $out in
        *org.freedesktop.DBus.Error.AccessDenied*"Rejected send message"*)
            pass "$desc" ;;
        *)  fail "$desc: expected AccessDenied from the bus, got: $out" ;;
    esac
}

# request_name WHO: WHO asks for org.bgservice1 (flag 4 = DO_NOT_QUEUE).
request_name() {
    send "$1" dbus-send --bus="$address" --print-reply \
        --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.RequestName string:org.bgservice1 uint32:4
}

# start_bus POLICY: starts a private bus that includes POLICY and sets
# $address and $bus_pid; ends the test if the bus does not start.
start_bus() {
    # The defaults of the system bus, restated: every user may connect;
    # nothing may be owned and no method called unless a rule allows it;
    # replies and signals flow.
    cat > "$tmp/bus.conf" <<END_OF_CONFIG
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$tmp/bus</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$tmp/services</servicedir>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <include>$1</include>
</busconfig>
END_OF_CONFIG
    rm -f "$tmp/bus" "$tmp/address"
    # In the background rather than --fork, so this script reaps it.
    dbus-daemon --config-file="$tmp/bus.conf" --nofork --print-address=3 \
        3>"$tmp/address" 2>"$tmp/bus.log" &
    bus_pid=$!
    address=
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        address=$(head -n 1 "$tmp/address" 2>/dev/null)
        [ -n "$address" ] && break
        kill -0 "$bus_pid" 2>/dev/null || break
        sleep 0.5
    done
    if [ -z "$address" ]; then
        echo "FAIL - dbus-daemon does not start with $1 included:"
        cat "$tmp/bus.log"
        exit 1
    fi
    pass "dbus-daemon starts with $(basename "$1") included"
    # The bus ignores unknown user and group names in a policy, with a
    # warning; show what it said.
    if [ -s "$tmp/bus.log" ]; then
        sed 's/^/#    dbus-daemon: /' "$tmp/bus.log"
    fi
}

# start_owner: runs the stand-in as root and waits until it owns
# org.bgservice1; ends the test if it cannot.
start_owner() {
    "$python" "$standin" own "$address" >"$tmp/owner.log" 2>&1 &
    owner_pid=$!
    owned=no
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        send dsend --dest=org.freedesktop.DBus /org/freedesktop/DBus \
            org.freedesktop.DBus.NameHasOwner string:org.bgservice1
        case $out in *"boolean true"*) owned=yes; break ;; esac
        kill -0 "$owner_pid" 2>/dev/null || break
        sleep 0.5
    done
    if [ $owned = yes ]; then
        pass "root may own org.bgservice1 (stand-in owner running)"
    else
        fail "the stand-in (as root) could not own org.bgservice1:"
        cat "$tmp/owner.log"
        exit 1
    fi
}

stop_bus() {
    for pid in $owner_pid $bus_pid; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    owner_pid=
    bus_pid=
}

M=org.bgservice1.Manager
S=org.bgservice1.Service
R=/org/bgservice1
D=/org/bgservice1/service/demo

# role_checks LABEL: the rights of $owner_user (the daemon's user) and of a
# member of the group $member_gid (an operator), on a bus with an owner.
role_checks() {
    # The name is taken, so an allowed request gets EXISTS (3); the policy
    # is checked first, so a refused one gets AccessDenied.
    request_name as_owner
    case $out in
        *"uint32 3"*) pass "$1 user may own org.bgservice1" ;;
        *) fail "$1 user may not own org.bgservice1: $out" ;;
    esac
    expect_ok "$1 user: Manager.StopAll" as_owner --dest=org.bgservice1 $R $M.StopAll string:x
    expect_ok "$1 user: Service.Restart" as_owner --dest=org.bgservice1 $D $S.Restart string:x
    expect_ok "$1 user: Service.ResetFailed" as_owner --dest=org.bgservice1 $D $S.ResetFailed
    expect_ok "$1 user: Manager.ListServices" as_owner --dest=org.bgservice1 $R $M.ListServices

    request_name as_member
    case $out in
        *org.freedesktop.DBus.Error.AccessDenied*) pass "$1 group member may not own org.bgservice1" ;;
        *) fail "$1 group member may own org.bgservice1: $out" ;;
    esac
    expect_ok "$1 group: Manager.StartAll" as_member --dest=org.bgservice1 $R $M.StartAll
    expect_ok "$1 group: Manager.StopAll" as_member --dest=org.bgservice1 $R $M.StopAll string:x
    expect_ok "$1 group: Service.Start" as_member --dest=org.bgservice1 $D $S.Start
    expect_ok "$1 group: Service.Stop" as_member --dest=org.bgservice1 $D $S.Stop string:x
    expect_ok "$1 group: Service.Cancel" as_member --dest=org.bgservice1 $D $S.Cancel string:x
    expect_ok "$1 group: Service.Restart" as_member --dest=org.bgservice1 $D $S.Restart string:x
    expect_ok "$1 group: Service.ResetFailed" as_member --dest=org.bgservice1 $D $S.ResetFailed
    expect_ok "$1 group: Service.Wait" as_member --dest=org.bgservice1 $D $S.Wait
    expect_denied "$1 group: Properties.Set refused" as_member --dest=org.bgservice1 $D \
        org.freedesktop.DBus.Properties.Set string:$S string:Name variant:string:x
}

# === The policy as shipped =================================================
start_bus "$policy"

send dsend --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.ListActivatableNames
case $out in
    *'"org.bgservice1"'*) pass "org.bgservice1 is activatable (activation file parses)" ;;
    *) fail "org.bgservice1 not activatable: $out" ;;
esac

request_name as_nobody
case $out in
    *org.freedesktop.DBus.Error.AccessDenied*) pass "nobody may not own org.bgservice1" ;;
    *) fail "nobody may own org.bgservice1: $out" ;;
esac

start_owner

# Reading: open to everyone.
expect_ok "nobody: Manager.ListServices" as_nobody --dest=org.bgservice1 $R $M.ListServices
expect_ok "nobody: Manager.GetService" as_nobody --dest=org.bgservice1 $R $M.GetService string:demo
expect_ok "nobody: Introspect" as_nobody --dest=org.bgservice1 $R \
    org.freedesktop.DBus.Introspectable.Introspect
expect_ok "nobody: Properties.Get" as_nobody --dest=org.bgservice1 $R \
    org.freedesktop.DBus.Properties.Get string:$M string:Version
expect_ok "nobody: Properties.GetAll" as_nobody --dest=org.bgservice1 $D \
    org.freedesktop.DBus.Properties.GetAll string:$S
expect_ok "nobody: Peer.Ping" as_nobody --dest=org.bgservice1 $R org.freedesktop.DBus.Peer.Ping
expect_ok "nobody: ObjectManager.GetManagedObjects" as_nobody --dest=org.bgservice1 $R \
    org.freedesktop.DBus.ObjectManager.GetManagedObjects
expect_ok "nobody: Service.Wait" as_nobody --dest=org.bgservice1 $D $S.Wait

# Changing state: refused to nobody by the bus.
expect_denied "nobody: Manager.StartAll refused" as_nobody --dest=org.bgservice1 $R $M.StartAll
expect_denied "nobody: Manager.StopAll refused" as_nobody --dest=org.bgservice1 $R $M.StopAll string:x
expect_denied "nobody: Service.Start refused" as_nobody --dest=org.bgservice1 $D $S.Start
expect_denied "nobody: Service.Stop refused" as_nobody --dest=org.bgservice1 $D $S.Stop string:x
expect_denied "nobody: Service.Cancel refused" as_nobody --dest=org.bgservice1 $D $S.Cancel string:x
expect_denied "nobody: Service.Restart refused" as_nobody --dest=org.bgservice1 $D $S.Restart string:x
expect_denied "nobody: Service.ResetFailed refused" as_nobody --dest=org.bgservice1 $D $S.ResetFailed
expect_denied "nobody: Properties.Set refused" as_nobody --dest=org.bgservice1 $D \
    org.freedesktop.DBus.Properties.Set string:$S string:Name variant:string:x
expect_denied "nobody: unknown method refused" as_nobody --dest=org.bgservice1 $R $M.Frobnicate

# Changing state: allowed to root.
expect_ok "root: Manager.StopAll" - --dest=org.bgservice1 $R $M.StopAll string:x
expect_ok "root: Service.Restart" - --dest=org.bgservice1 $D $S.Restart string:x
expect_ok "root: Service.ResetFailed" - --dest=org.bgservice1 $D $S.ResetFailed
expect_ok "root: Service.Cancel" - --dest=org.bgservice1 $D $S.Cancel string:x

# Signals reach everyone: nobody listens, root's StartAll makes the stand-in
# emit TaskFailed.
as_nobody "$python" "$standin" listen "$address" >"$tmp/listener.log" 2>&1 &
listener_pid=$!
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    grep -q '^listening' "$tmp/listener.log" && break
    kill -0 "$listener_pid" 2>/dev/null || break
    sleep 0.5
done
expect_ok "root: Manager.StartAll" - --dest=org.bgservice1 $R $M.StartAll
if wait "$listener_pid"; then
    pass "nobody receives TaskFailed from org.bgservice1"
else
    fail "nobody did not receive TaskFailed:"
    cat "$tmp/listener.log"
fi
listener_pid=

# The daemon's user and the operators' group, where this machine has them.
owner_user=
member_gid=
if id bgservice >/dev/null 2>&1; then
    owner_user=bgservice
fi
if getent group bgservice >/dev/null 2>&1; then
    member_gid=$(getent group bgservice | cut -d: -f3)
fi
if [ -n "$owner_user" ] && [ -n "$member_gid" ]; then
    role_checks "bgservice"
fi
stop_bus

# === The user and group rules, with stand-in names ===========================
# Only when this machine lacks the user or the group bgservice: a copy of the
# policy names the existing user daemon and group users instead, so that the
# rules of those two <policy> blocks still get exercised.
if [ -z "$owner_user" ] || [ -z "$member_gid" ]; then
    if id daemon >/dev/null 2>&1 && getent group users >/dev/null 2>&1; then
        echo "#    no user or group bgservice here: checking their rules on a copy"
        echo "#    of the policy with user bgservice -> daemon, group bgservice -> users"
        sed -e 's/user="bgservice"/user="daemon"/' \
            -e 's/group="bgservice"/group="users"/' \
            "$policy" > "$tmp/renamed-policy.conf"
        grep -q 'user="daemon"' "$tmp/renamed-policy.conf" &&
            grep -q 'group="users"' "$tmp/renamed-policy.conf" ||
            fail "the policy has no user=\"bgservice\" or group=\"bgservice\" block"
        owner_user=daemon
        member_gid=$(getent group users | cut -d: -f3)
        start_bus "$tmp/renamed-policy.conf"
        start_owner
        role_checks "stand-in bgservice"
        expect_denied "nobody still refused: Service.Stop" as_nobody \
            --dest=org.bgservice1 $D $S.Stop string:x
        stop_bus
    else
        echo "#    no user or group bgservice, and no user daemon or group users:"
        echo "#    the user and group rules are not checked"
    fi
fi

if [ $failures -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all bus-policy checks passed"
exit 0
