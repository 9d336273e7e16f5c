# SPDX-License-Identifier: MIT
"""flood.py: many calls at once from one connection.

    flood.py ADDRESS COUNT PATH INTERFACE METHOD [SIGNATURE [ARG...]]

Sends COUNT calls of METHOD on PATH to org.bgservice1 with GDBus
(python3-gi), all before the first answer is read, each ARG a JSON value;
then waits for every answer and prints one JSON line:
{"replies": N, "errors": {"D-Bus error name": N, ...}, "seconds": S}, S
from the first call sent to the last answer. PATH may be "long:N": a
valid object path of N bytes under /org/bgservice1/service.

The tests run it as another user (setpriv) to flood the daemon as a user
without rights would, and use Flood in their own process.
"""

import json
import sys
import time

from gi.repository import Gio, GLib

BUS_NAME = "org.bgservice1"
TIMEOUT_MS = 600_000


def object_path(text):
    """text, or for "long:N" a path of N bytes: the service prefix, then
    segments of one "a" (the last may be longer)."""
    if not text.startswith("long:"):
        return text
    length = int(text[len("long:"):])
    prefix = "/org/bgservice1/service"
    segments = "/a" * ((length - len(prefix)) // 2)
    return prefix + segments + "a" * (length - len(prefix) - len(segments))


class Flood:
    """count calls sent at once on connection (a GDBusConnection); the
    answers are counted as the default main context dispatches them."""

    def __init__(self, connection, count, path, interface, method, parameters=None):
        self.count = count
        self.replies = 0
        self.errors = {}
        self.started = time.monotonic()
        self.finished_at = None
        for _ in range(count):
            connection.call(BUS_NAME, path, interface, method, parameters, None,
                            Gio.DBusCallFlags.NONE, TIMEOUT_MS, None, self.on_answer, None)

    def answered(self):
        return self.replies + sum(self.errors.values())

    def on_answer(self, connection, result, user_data):
        try:
            connection.call_finish(result)
            self.replies += 1
        except GLib.Error as error:
            name = Gio.DBusError.get_remote_error(error) or error.message
            self.errors[name] = self.errors.get(name, 0) + 1
        if self.answered() == self.count:
            self.finished_at = time.monotonic()

    def outcome(self):
        seconds = (self.finished_at or time.monotonic()) - self.started
        return {"replies": self.replies, "errors": self.errors, "seconds": seconds}


def main():
    address, count, path, interface, method = sys.argv[1:6]
    signature = sys.argv[6] if len(sys.argv) > 6 else ""
    args = [json.loads(arg) for arg in sys.argv[7:]]
    flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
             Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
    connection = Gio.DBusConnection.new_for_address_sync(address, flags, None, None)
    parameters = GLib.Variant(f"({signature})", tuple(args)) if signature else None
    flood = Flood(connection, int(count), object_path(path), interface, method, parameters)
    context = GLib.MainContext.default()
    while flood.answered() < flood.count:
        context.iteration(True)
    connection.close_sync(None)
    print(json.dumps(flood.outcome()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
