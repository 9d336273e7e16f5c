/* SPDX-License-Identifier: MIT */
/* bgs-wire.h: the names of bgservice's D-Bus interface, defined once.
 *
 * The library exports services under these names, bgservicectl calls
 * them, and any other client may use them. Only macros: a client that
 * does not link the library can include this header alone.
 */
#pragma once

/**
 * BGS_BUS_NAME:
 *
 * The well-known bus name of bgserviced.
 *
 * Since: 0.1
 */
#define BGS_BUS_NAME "org.bgservice1"

/**
 * BGS_BUS_ROOT_PATH:
 *
 * The object path of the exported manager.
 *
 * Since: 0.1
 */
#define BGS_BUS_ROOT_PATH "/org/bgservice1"

/**
 * BGS_BUS_SERVICE_PATH_PREFIX:
 *
 * The object path under which each service lives, as
 * `BGS_BUS_SERVICE_PATH_PREFIX/<label>`, the label being the service's
 * name escaped with sd_bus_path_encode().
 *
 * Since: 0.1
 */
#define BGS_BUS_SERVICE_PATH_PREFIX BGS_BUS_ROOT_PATH "/service"

/**
 * BGS_BUS_MANAGER_INTERFACE:
 *
 * The interface of the manager object.
 *
 * Since: 0.1
 */
#define BGS_BUS_MANAGER_INTERFACE "org.bgservice1.Manager"

/**
 * BGS_BUS_SERVICE_INTERFACE:
 *
 * The interface of each service object.
 *
 * Since: 0.1
 */
#define BGS_BUS_SERVICE_INTERFACE "org.bgservice1.Service"

/**
 * BGS_BUS_ERROR_NO_SUCH_SERVICE:
 *
 * The D-Bus error name for a service name nobody exports.
 *
 * Since: 0.1
 */
#define BGS_BUS_ERROR_NO_SUCH_SERVICE "org.bgservice1.Error.NoSuchService"

/**
 * BGS_BUS_ERROR_SHUTTING_DOWN:
 *
 * The D-Bus error name of a call that would change state while the
 * program shuts down: nothing changes (see bgs_bus_refuse_changes()).
 *
 * Since: 0.1
 */
#define BGS_BUS_ERROR_SHUTTING_DOWN "org.bgservice1.Error.ShuttingDown"

/**
 * BGS_BUS_ERROR_ENTRY_TYPE:
 *
 * The D-Bus signature of one failure in an error list: what failed (a task,
 * or a service for the manager's lists), the GError domain as
 * g_quark_to_string() gives it, the code and the message.
 *
 * Since: 0.1
 */
#define BGS_BUS_ERROR_ENTRY_TYPE "(ssis)"

/**
 * BGS_BUS_ERROR_LIST_TYPE:
 *
 * The D-Bus signature of an error list: an array of
 * %BGS_BUS_ERROR_ENTRY_TYPE.
 *
 * Since: 0.1
 */
#define BGS_BUS_ERROR_LIST_TYPE "a" BGS_BUS_ERROR_ENTRY_TYPE

/**
 * BGS_BUS_STATE_STOPPED:
 *
 * The word of the `State` property for %BGS_SERVICE_STATE_STOPPED, and the
 * nick of that #BgsServiceState value.
 *
 * Since: 0.1
 */
#define BGS_BUS_STATE_STOPPED    "stopped"

/**
 * BGS_BUS_STATE_RUNNING:
 *
 * The word of the `State` property for %BGS_SERVICE_STATE_RUNNING, and the
 * nick of that #BgsServiceState value.
 *
 * Since: 0.1
 */
#define BGS_BUS_STATE_RUNNING    "running"

/**
 * BGS_BUS_STATE_STOPPING:
 *
 * The word of the `State` property for %BGS_SERVICE_STATE_STOPPING, and the
 * nick of that #BgsServiceState value.
 *
 * Since: 0.1
 */
#define BGS_BUS_STATE_STOPPING   "stopping"

/**
 * BGS_BUS_STATE_RESTARTING:
 *
 * The word of the `State` property for %BGS_SERVICE_STATE_RESTARTING, and the
 * nick of that #BgsServiceState value.
 *
 * Since: 0.1
 */
#define BGS_BUS_STATE_RESTARTING "restarting"

/**
 * BGS_BUS_STATE_FAILED:
 *
 * The word of the `State` property for %BGS_SERVICE_STATE_FAILED, and the
 * nick of that #BgsServiceState value.
 *
 * Since: 0.1
 */
#define BGS_BUS_STATE_FAILED     "failed"

/**
 * BGS_BUS_RESTART_NO:
 *
 * The word of the `Restart` property for %BGS_RESTART_NO, the nick of
 * that #BgsRestartMode value, and a value of bgserviced's `Restart=` key.
 *
 * Since: 0.1
 */
#define BGS_BUS_RESTART_NO         "no"

/**
 * BGS_BUS_RESTART_ON_FAILURE:
 *
 * The word of the `Restart` property for %BGS_RESTART_ON_FAILURE, the nick of
 * that #BgsRestartMode value, and a value of bgserviced's `Restart=` key.
 *
 * Since: 0.1
 */
#define BGS_BUS_RESTART_ON_FAILURE "on-failure"

/**
 * BGS_BUS_RESTART_ALWAYS:
 *
 * The word of the `Restart` property for %BGS_RESTART_ALWAYS, the nick of
 * that #BgsRestartMode value, and a value of bgserviced's `Restart=` key.
 *
 * Since: 0.1
 */
#define BGS_BUS_RESTART_ALWAYS     "always"
