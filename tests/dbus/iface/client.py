# SPDX-License-Identifier: MIT
"""client.py: one D-Bus method call from a process of its own.

    client.py [--leave=pending|at-once] gdbus|dbus ADDRESS PATH INTERFACE METHOD
              [SIGNATURE [ARG...]]

Calls METHOD of org.bgservice1 with GDBus (python3-gi) or python3-dbus,
each ARG a JSON value, and prints one JSON line: {"reply": [args...]} or
{"error": "D-Bus error name", "message": "..."}.

With --leave the client sends the call, closes its connection without
waiting for the reply and prints {"left": true}. --leave=pending first
pings org.bgservice1 on the same connection and waits for that reply: the
service handles a connection's messages in order, so the call has been
taken in and is pending when the client leaves. --leave=at-once leaves
right after sending: the service may see the call after the caller is gone.

The tests run it as another user (setpriv) to meet the access checks, and
to leave in the middle of a call.
"""

import argparse
import json
import sys

BUS_NAME = "org.bgservice1"
TIMEOUT_S = 30


PEER = ("org.freedesktop.DBus.Peer", "Ping")


def gdbus_call(options, args):
    from gi.repository import Gio, GLib

    flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
             Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
    connection = Gio.DBusConnection.new_for_address_sync(options.address, flags, None, None)
    parameters = GLib.Variant(f"({options.signature})", tuple(args)) if options.signature else None
    if options.leave:
        message = Gio.DBusMessage.new_method_call(BUS_NAME, options.path, options.interface,
                                                  options.method)
        if parameters is not None:
            message.set_body(parameters)
        connection.send_message(message, Gio.DBusSendMessageFlags.NONE)
        if options.leave == "pending":
            connection.call_sync(BUS_NAME, options.path, *PEER, None, None,
                                 Gio.DBusCallFlags.NONE, TIMEOUT_S * 1000, None)
        connection.flush_sync(None)
        connection.close_sync(None)
        return {"left": True}
    try:
        reply = connection.call_sync(BUS_NAME, options.path, options.interface, options.method,
                                     parameters, None, Gio.DBusCallFlags.NONE, TIMEOUT_S * 1000,
                                     None)
    except GLib.Error as error:
        name = Gio.DBusError.get_remote_error(error)
        Gio.DBusError.strip_remote_error(error)
        return {"error": name, "message": error.message}
    finally:
        if not connection.is_closed():
            connection.close_sync(None)
    return {"reply": list(reply.unpack())}


def plain(value):
    import dbus

    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, (dbus.String, dbus.ObjectPath, dbus.Signature)):
        return str(value)
    if isinstance(value, (dbus.Dictionary, dict)):
        return {plain(key): plain(item) for key, item in value.items()}
    if isinstance(value, (dbus.Array, dbus.Struct, list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dbus.Double):
        return float(value)
    if isinstance(value, int):
        return int(value)
    return value


def dbus_call(options, args):
    import dbus
    import dbus.lowlevel

    connection = dbus.bus.BusConnection(options.address)
    message = dbus.lowlevel.MethodCallMessage(BUS_NAME, options.path, options.interface,
                                              options.method)
    if options.signature:
        message.append(*args, signature=options.signature)
    if options.leave:
        connection.send_message(message)
        if options.leave == "pending":
            ping = dbus.lowlevel.MethodCallMessage(BUS_NAME, options.path, *PEER)
            connection.send_message_with_reply_and_block(ping, TIMEOUT_S)
        connection.flush()
        connection.close()
        return {"left": True}
    try:
        reply = connection.send_message_with_reply_and_block(message, TIMEOUT_S)
    except dbus.exceptions.DBusException as error:
        return {"error": error.get_dbus_name(), "message": error.get_dbus_message()}
    finally:
        connection.close()
    return {"reply": [plain(arg) for arg in reply.get_args_list()]}


def main():
    parser = argparse.ArgumentParser(description="One D-Bus call to org.bgservice1.")
    parser.add_argument("--leave", choices=["pending", "at-once"],
                        help="send the call and leave without waiting for the reply")
    parser.add_argument("library", choices=["gdbus", "dbus"])
    parser.add_argument("address")
    parser.add_argument("path")
    parser.add_argument("interface")
    parser.add_argument("method")
    parser.add_argument("signature", nargs="?", default="")
    parser.add_argument("args", nargs="*", type=json.loads)
    options = parser.parse_args()

    call = gdbus_call if options.library == "gdbus" else dbus_call
    print(json.dumps(call(options, options.args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
