#!/bin/sh
# SPDX-License-Identifier: MIT
# test-unit-verify.sh UNIT DAEMON
#
# Runs `systemd-analyze verify` on the built unit UNIT and fails on any
# complaint about it. verify also checks that ExecStart= names an existing
# program, so it runs on a copy of UNIT whose ExecStart= program is DAEMON
# (the bgserviced of the build tree). While DAEMON is not built, /bin/true
# stands in for it, with a note, so the rest of the unit is still checked.
# Also checks that meson substituted every @variable@ and that the settings
# the daemon relies on are present. Exits 77 without systemd-analyze.

set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 UNIT DAEMON" >&2
    exit 2
fi
unit=$1
daemon=$2

command -v systemd-analyze >/dev/null 2>&1 || { echo "SKIP: no systemd-analyze"; exit 77; }

failures=0
fail() { echo "FAIL - $*"; failures=$((failures + 1)); }

if grep -n '@[A-Za-z_]*@' "$unit"; then
    fail "unsubstituted @variables@ left in $unit"
fi

# Settings the daemon and the packaging depend on.
for line in 'Type=notify' 'BusName=org.bgservice1' 'Restart=on-failure' \
        'ExecReload=/bin/kill -HUP $MAINPID' 'User=bgservice'; do
    grep -qxF "$line" "$unit" || fail "missing line: $line"
done
grep -qx 'ExecStart=/[^ ]*/bgserviced --system' "$unit" ||
    fail "ExecStart= is not '<bindir>/bgserviced --system'"
grep -qx 'WatchdogSec=[1-9][0-9]*s\{0,1\}' "$unit" || fail "no WatchdogSec="

if [ -x "$daemon" ]; then
    program=$daemon
else
    echo "# NOTE: $daemon is not built (yet); verifying with /bin/true as ExecStart="
    program=/bin/true
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# The file name must stay bgserviced.service: verify takes the unit name
# from it.
sed "s|^ExecStart=[^ ]*|ExecStart=$program|" "$unit" > "$tmp/bgserviced.service"
grep '^ExecStart=' "$tmp/bgserviced.service"

# --man=no: the man page the unit names is not installed while testing
# (man/ checks it renders), and man itself may not be installed.
systemd-analyze verify --man=no "$tmp/bgserviced.service" > "$tmp/out" 2>&1
status=$?
cat "$tmp/out"
[ $status -eq 0 ] || fail "systemd-analyze verify exited with $status"
# Complaints about system units the unit pulls in (dbus.socket, ...) are the
# host's business; complaints about this unit are not.
if grep -q 'bgserviced' "$tmp/out"; then
    fail "systemd-analyze verify complains about the unit"
fi

if [ $failures -ne 0 ]; then
    exit 1
fi
echo "ok - systemd-analyze verify is clean for $(basename "$unit")"
