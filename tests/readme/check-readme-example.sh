#!/bin/sh
# SPDX-License-Identifier: MIT
# The README's complete examples must compile and behave as the README says.
# Each is a C block of README.md that defines main(); it is built against
# the uninstalled pkg-config file of this build, and run.
#   check-readme-example.sh SOURCE_ROOT BUILD_ROOT
# 1. The API tour: the fifth ping fails, so it exits 1 and prints the
#    aggregated error.
# 2. Supervision: a service fails at its first two starts, restarts, runs,
#    and is stopped: it exits 0 and prints its states and failures.
set -eu
source_root="$1"
build_root="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The NUMBER-th ```c block that defines main(), into FILE.
extract () {
  awk -v wanted="$1" '
    /^```c$/ { in_block = 1; block = ""; next }
    /^```$/ && in_block {
      in_block = 0
      if (block ~ /\nmain \(void\)/ && ++found == wanted) { printf "%s", block; exit }
      next
    }
    in_block { block = block $0 "\n" }
  ' "$source_root/README.md" > "$2"
  test -s "$2" || { echo "no example number $1 in README.md"; exit 1; }
}

export PKG_CONFIG_PATH="$build_root/meson-uninstalled"
# A sanitized library needs a sanitized program (its runtime comes first).
sanitize=""
case "${BGS_SANITIZE:-none}" in
  none|"") ;;
  *) sanitize="-fsanitize=$BGS_SANITIZE" ;;
esac

# Builds and runs example NUMBER; its output goes to $work/out and $work/err,
# and it must exit with STATUS.
run_example () {
  extract "$1" "$work/example.c"
  # shellcheck disable=SC2046,SC2086
  cc $sanitize -Wall -Wextra -Werror -Wno-unused-parameter -o "$work/example" "$work/example.c" \
    $(pkg-config --cflags --libs bgservice-1)
  status=0
  LD_LIBRARY_PATH="$build_root/src" "$work/example" > "$work/out" 2> "$work/err" || status=$?
  cat "$work/out" "$work/err"
  test "$status" = "$2" || { echo "example $1: expected exit status $2, got $status"; exit 1; }
}

expect () {
  grep -q -- "$2" "$work/$1" || { echo "expected in std$1: $2"; exit 1; }
}

run_example 1 1
expect out '^ping 4$'
expect err 'Pinger\[pinger\]: 1 task failed'
expect err 'ping: no answer after 5 pings'
expect err '1 task(s) failed, first: no answer after 5 pings'

run_example 2 0
expect out '^state: restarting$'
expect out '^2 restarts, 2 failures$'
expect out '^  work: start 1: server not up yet$'
expect out '^  work: start 2: server not up yet$'
expect out 'Flaky\[flaky\]: 2 tasks failed'
expect out '^state: stopped$'
echo "README examples: OK"
