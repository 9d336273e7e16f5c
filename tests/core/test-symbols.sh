#!/bin/sh
# SPDX-License-Identifier: MIT
# test-symbols.sh LIBRARY: checks what libbgservice exports.
#
# - Every defined dynamic symbol starts with bgs_: nothing internal (the
#   task set, the error collector, GLib's macros' helpers) leaks out.
# - Every function of the public API is exported.
set -eu

lib=${1:?usage: test-symbols.sh LIBRARY}
status=0

symbols=$(nm -D --defined-only "$lib" | awk '{ print $NF }' | sort)
if [ -z "$symbols" ]; then
  echo "FAIL: $lib exports nothing"
  exit 1
fi

stray=$(printf '%s\n' "$symbols" | grep -v '^bgs_' || true)
if [ -n "$stray" ]; then
  echo "FAIL: exported symbols without the bgs_ prefix:"
  printf '  %s\n' $stray
  status=1
fi

for required in \
  bgs_error_quark bgs_error_get_errors bgs_error_get_names \
  bgs_service_get_type bgs_service_get_name bgs_service_is_running \
  bgs_service_get_n_tasks bgs_service_get_tasks bgs_service_to_string \
  bgs_service_start bgs_service_cancel \
  bgs_service_wait_async bgs_service_wait_finish bgs_service_wait \
  bgs_service_stop_async bgs_service_stop_finish bgs_service_stop \
  bgs_service_get_context bgs_service_dup_last_error \
  bgs_service_task_new bgs_service_spawn_thread bgs_service_spawn_periodic \
  bgs_service_guard_new bgs_service_guard_end bgs_service_guard_free \
  bgs_manager_get_type bgs_manager_new bgs_manager_add bgs_manager_remove \
  bgs_manager_lookup bgs_manager_list bgs_service_name_validate \
  bgs_get_version
do
  if ! printf '%s\n' "$symbols" | grep -qx "$required"; then
    echo "FAIL: $required is not exported"
    status=1
  fi
done

if [ "$status" -eq 0 ]; then
  echo "ok: $(printf '%s\n' "$symbols" | wc -l) symbols, all bgs_, public API complete"
fi
exit "$status"
