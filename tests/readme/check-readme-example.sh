#!/bin/sh
# The README's complete example must compile and behave as the README says.
# It is taken from README.md (the C block holding `main`), built against
# the uninstalled pkg-config file of this build, and run: the fifth ping
# fails, so it exits 1 and prints the aggregated error.
#   check-readme-example.sh SOURCE_ROOT BUILD_ROOT
set -eu
source_root="$1"
build_root="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The first ```c block that defines main().
awk '
  /^```c$/ { in_block = 1; block = ""; next }
  /^```$/ && in_block { in_block = 0; if (block ~ /\nmain \(void\)/) { printf "%s", block; exit } next }
  in_block { block = block $0 "\n" }
' "$source_root/README.md" > "$work/example.c"
test -s "$work/example.c" || { echo "no complete example found in README.md"; exit 1; }

export PKG_CONFIG_PATH="$build_root/meson-uninstalled"
# A sanitized library needs a sanitized program (its runtime comes first).
sanitize=""
case "${BGS_SANITIZE:-none}" in
  none|"") ;;
  *) sanitize="-fsanitize=$BGS_SANITIZE" ;;
esac
# shellcheck disable=SC2046,SC2086
cc $sanitize -Wall -Wextra -Werror -Wno-unused-parameter -o "$work/example" "$work/example.c" \
  $(pkg-config --cflags --libs bgservice-1)

status=0
LD_LIBRARY_PATH="$build_root/src" "$work/example" > "$work/out" 2> "$work/err" || status=$?
cat "$work/out" "$work/err"

test "$status" = 1 || { echo "expected exit status 1, got $status"; exit 1; }
grep -q '^ping 4$' "$work/out" || { echo "expected four pings"; exit 1; }
grep -q 'Pinger\[pinger\]: 1 task failed' "$work/err" || { echo "expected the group message"; exit 1; }
grep -q 'ping: no answer after 5 pings' "$work/err" || { echo "expected the task's error"; exit 1; }
grep -q '1 task(s) failed, first: no answer after 5 pings' "$work/err" || { echo "expected bgs_error_get_errors()"; exit 1; }
echo "README example: OK"
