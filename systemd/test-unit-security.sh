#!/bin/sh
# SPDX-License-Identifier: MIT
# test-unit-security.sh UNIT MAX
#
# Runs `systemd-analyze security --offline=true` on the built unit, prints
# the settings it counts against the unit and its overall exposure, and
# fails when that exposure is above MAX (e.g. 1.5; systemd-timesyncd scores
# 2.3). Exits 77 without systemd-analyze.

set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 UNIT MAX" >&2
    exit 2
fi
unit=$1
max=$2

command -v systemd-analyze >/dev/null 2>&1 || { echo "SKIP: no systemd-analyze"; exit 77; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

systemd-analyze security --offline=true --no-pager "$unit" > "$tmp/out" 2>&1
status=$?
if [ $status -ne 0 ]; then
    cat "$tmp/out"
    echo "FAIL - systemd-analyze security exited with $status"
    exit 1
fi

# Lines marked ✗ are the settings that add to the exposure.
echo "# settings that still count against the unit:"
grep '✗' "$tmp/out"
overall=$(grep 'Overall exposure level' "$tmp/out")
echo "$overall"

level=$(printf '%s\n' "$overall" | sed -n 's/.*: *\([0-9][0-9]*\.[0-9]*\).*/\1/p')
if [ -z "$level" ]; then
    cat "$tmp/out"
    echo "FAIL - no overall exposure figure found"
    exit 1
fi
if awk -v l="$level" -v m="$max" 'BEGIN { exit !(l + 0 <= m + 0) }'; then
    echo "ok - overall exposure $level <= $max"
else
    echo "FAIL - overall exposure $level > $max"
    exit 1
fi
