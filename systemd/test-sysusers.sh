#!/bin/sh
# SPDX-License-Identifier: MIT
# test-sysusers.sh FILE
#
# Checks the sysusers.d entry with `systemd-sysusers --dry-run` against an
# empty root, so nothing on this machine changes: it must parse and create
# the user and the group bgservice. Exits 77 without systemd-sysusers.

set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 FILE" >&2
    exit 2
fi

command -v systemd-sysusers >/dev/null 2>&1 || { echo "SKIP: no systemd-sysusers"; exit 77; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

out=$(systemd-sysusers --dry-run --root="$tmp" - < "$1" 2>&1)
status=$?
printf '%s\n' "$out"
if [ $status -ne 0 ]; then
    echo "FAIL - systemd-sysusers exited with $status"
    exit 1
fi
case $out in
    *"Creating group 'bgservice'"*"Creating user 'bgservice'"*) ;;
    *) echo "FAIL - the user and group bgservice would not be created"; exit 1 ;;
esac
echo "ok - sysusers entry creates user and group bgservice"
