#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks one manual page: rst2man renders its reStructuredText without a
# single warning, and man(1) shows the rendered page without a warning
# from groff and with its NAME and SYNOPSIS.
#
#   test-man-page.sh RST2MAN PAGE.rst PAGE.N
#
# Without man(1) (man-db), only the first check runs.
set -eu

rst2man=$1
rst=$2
page=$3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

if ! "$rst2man" --halt=warning --report=info "$rst" "$out/page" 2>"$out/rst2man.err"; then
  echo "rst2man failed on $rst:" >&2
  cat "$out/rst2man.err" >&2
  exit 1
fi
if [ -s "$out/rst2man.err" ]; then
  echo "rst2man reported on $rst:" >&2
  cat "$out/rst2man.err" >&2
  exit 1
fi

if ! command -v man >/dev/null; then
  echo "man(1) is not installed: the page was not rendered" >&2
  exit 0
fi

# A fixed width and language, so that the rendering does not depend on the
# terminal; --warnings passes groff's own warnings on to standard error.
if ! MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings --encoding=UTF-8 -l "$page" \
     >"$out/rendered" 2>"$out/man.err"; then
  echo "man -l failed on $page:" >&2
  cat "$out/man.err" >&2
  exit 1
fi
if [ -s "$out/man.err" ]; then
  echo "man -l warned about $page:" >&2
  cat "$out/man.err" >&2
  exit 1
fi
for heading in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
  if ! grep -q "^$heading\$" "$out/rendered"; then
    echo "$page: no $heading section in what man -l shows:" >&2
    cat "$out/rendered" >&2
    exit 1
  fi
done
echo "$page: rendered by rst2man and man without warnings"
