# SPDX-License-Identifier: MIT
"""ifacetest.py: what the tests of the D-Bus interface share.

Three clients bgservice did not write, each used the way its own users use
it: GDBus (python3-gi), python3-dbus and busctl (see harness.py). Signals
and asynchronous replies of the first two arrive on the default GLib main
context; run_until() iterates it until what the test waits for has come,
and fails the test at a deadline.

IfaceTestCase stops every program the test started (bgserviced, the test
host) with SIGTERM at the end and fails the test when one had died on its
own, crashed, or left a sanitizer report or a GLib critical in its log, so
that a product bug shows up even in a test that only watched the bus.
"""

import json
import os
import re
import signal
import subprocess
import time
import unittest.mock
import xml.etree.ElementTree as ElementTree

import dbus
import dbus.lowlevel
import dbus.mainloop.glib
from gi.repository import Gio, GLib

import harness
from harness import BUS_NAME, MANAGER_IFACE, PATIENCE, ROOT_PATH, SERVICE_IFACE

PROPERTIES_IFACE = "org.freedesktop.DBus.Properties"
OBJECT_MANAGER_IFACE = "org.freedesktop.DBus.ObjectManager"
INTROSPECTABLE_IFACE = "org.freedesktop.DBus.Introspectable"
PEER_IFACE = "org.freedesktop.DBus.Peer"
SERVICE_PREFIX = ROOT_PATH + "/service"

# Error names of the interface.
NO_SUCH_SERVICE = "org.bgservice1.Error.NoSuchService"
ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied"
INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"
LIMITS_EXCEEDED = "org.freedesktop.DBus.Error.LimitsExceeded"
UNKNOWN_OBJECT = "org.freedesktop.DBus.Error.UnknownObject"


def library_default_limits():
    """(per caller, in all): the library's default limits on calls that
    wait for their answer, read from include/bgs-bus.h."""
    header = os.path.join(harness.program("BGS_DATA_DIR"), "..", "include", "bgs-bus.h")
    with open(header) as f:
        text = f.read()
    return tuple(int(re.search(rf"#define {name} (\d+)", text).group(1))
                 for name in ("BGS_BUS_DEFAULT_MAX_PENDING_PER_CALLER",
                              "BGS_BUS_DEFAULT_MAX_PENDING"))


# A bus whose own limits (those of a stock system bus are 128 pending
# replies a connection, 256 connections a user, 512 match rules a
# connection) stay out of the way of the daemon's.
ROOMY_BUS_CONFIG = harness.bus_config_with_limits(
    max_replies_per_connection=50000, max_connections_per_user=5000,
    max_completed_connections=5000, max_match_rules_per_connection=50000,
    max_incoming_bytes=1000000000, max_outgoing_bytes=1000000000, reply_timeout=600000)

# Error domains as g_quark_to_string() names them, and codes, from GLib
# itself rather than typed in.
EXIT_ERROR_DOMAIN = GLib.quark_to_string(GLib.spawn_exit_error_quark())
SPAWN_ERROR_DOMAIN = GLib.quark_to_string(GLib.spawn_error_quark())
SPAWN_ERROR_FAILED = int(GLib.SpawnError.FAILED)
IO_ERROR_DOMAIN = GLib.quark_to_string(Gio.io_error_quark())
IO_ERROR_PERMISSION_DENIED = int(Gio.IOErrorEnum.PERMISSION_DENIED)
IO_ERROR_CANCELLED = int(Gio.IOErrorEnum.CANCELLED)

# The two tasks of the test host's "failing" service, as the wire gives
# them in a Service error list: (task, domain, code, message).
HOST_FAILURES = sorted([
    ("denied", IO_ERROR_DOMAIN, IO_ERROR_PERMISSION_DENIED, "not allowed to do that"),
    ("custom", "bgs-test-error-quark", 42, "the answer was wrong"),
])

# Run as other users too: copies they can read wherever the tree is.
CLIENT = harness.readable_by_all(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                              "client.py"))
FLOOD = harness.readable_by_all(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                             "flood.py"))
PYTHON = "/usr/bin/python3"


# ---- names and paths ---------------------------------------------------------

def path_encode(name):
    """The label sd_bus_path_encode() makes of name, written down from its
    documentation: every byte that is not an ASCII letter, nor a digit
    after the first byte, becomes _ and two lower-case hex digits; the
    empty name becomes _."""
    if name == "":
        return "_"
    label = []
    for index, byte in enumerate(name.encode()):
        char = chr(byte)
        if (char.isascii() and char.isalpha()) or (index > 0 and char.isascii() and char.isdigit()):
            label.append(char)
        else:
            label.append(f"_{byte:02x}")
    return "".join(label)


def service_path(name):
    return f"{SERVICE_PREFIX}/{path_encode(name)}"


def errors(entries):
    """An error list as sorted tuples, whichever client decoded it."""
    return sorted(tuple(entry) for entry in entries)


# ---- properties ----------------------------------------------------------------

# Every property of org.bgservice1.Service.
SERVICE_PROPERTY_NAMES = ["Name", "IsRunning", "NTasks", "LastErrors", "State",
                          "StateTimestamp", "NRestarts", "Restart"]


def service_properties(name, running, n_tasks, state, last_errors=(), n_restarts=0,
                       restart="no"):
    """The properties of a service as GetAll gives them, but for
    StateTimestamp, which a test checks with IfaceTestCase.assert_state_time()
    (see without_timestamp())."""
    return {"Name": name, "IsRunning": running, "NTasks": n_tasks,
            "LastErrors": list(last_errors), "State": state, "NRestarts": n_restarts,
            "Restart": restart}


def without_timestamp(properties):
    """properties (a GetAll answer, a dict) without StateTimestamp, and that
    timestamp."""
    rest = dict(properties)
    return rest, rest.pop("StateTimestamp")


def now_us():
    """The wall-clock time, in µs since the epoch: the clock of StateTimestamp."""
    return time.time_ns() // 1000


# ---- the main loop -------------------------------------------------------------

def run_until(condition, what, timeout=PATIENCE):
    """Iterates the default main context until condition() is true; returns
    its value. Fails the test after timeout, saying what (a string, or a
    function giving one then) did not come."""
    context = GLib.MainContext.default()
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            what = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        wake = GLib.timeout_source_new(max(1, int(remaining * 1000)))
        wake.set_callback(lambda *args: GLib.SOURCE_REMOVE)
        wake.attach(context)
        try:
            context.iteration(True)
        finally:
            wake.destroy()


def drain():
    """Dispatches whatever the default main context holds, without blocking."""
    context = GLib.MainContext.default()
    while context.iteration(False):
        pass


# ---- GDBus ---------------------------------------------------------------------

class Pending:
    """A method call sent without waiting; reply or error once done."""

    def __init__(self, what):
        self.what = what
        self.done = False
        self.reply = None
        self.error = None      # (error name, message)
        self.finished_at = None

    def finish(self, reply=None, error=None):
        self.reply, self.error, self.done = reply, error, True
        self.finished_at = time.monotonic()

    def result(self, timeout=PATIENCE):
        """Runs the loop until the reply came; returns it, or fails on an error."""
        run_until(lambda: self.done, f"the reply to {self.what}", timeout)
        if self.error is not None:
            raise AssertionError(f"{self.what} failed: {self.error}")
        return self.reply


class GDBusClient:
    """A GDBus connection to the test's bus, as an application makes one."""

    def __init__(self, address):
        flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
                 Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
        self.connection = Gio.DBusConnection.new_for_address_sync(address, flags, None, None)
        self.subscriptions = []

    @staticmethod
    def parameters(signature, args):
        return GLib.Variant(f"({signature})", tuple(args)) if signature else None

    def call(self, path, interface, method, signature="", args=(), timeout=PATIENCE,
             destination=BUS_NAME):
        """Calls and waits; returns the reply's arguments as a tuple."""
        reply = self.connection.call_sync(destination, path, interface, method,
                                          self.parameters(signature, args), None,
                                          Gio.DBusCallFlags.NONE, int(timeout * 1000), None)
        return reply.unpack()

    def call_error(self, path, interface, method, signature="", args=(), timeout=PATIENCE):
        """Calls a method that must fail; returns (error name, message)."""
        try:
            reply = self.call(path, interface, method, signature, args, timeout)
        except GLib.Error as error:
            name = Gio.DBusError.get_remote_error(error)
            Gio.DBusError.strip_remote_error(error)
            return name, error.message
        raise AssertionError(f"{interface}.{method} on {path} succeeded with {reply}")

    def call_async(self, path, interface, method, signature="", args=(), timeout=PATIENCE):
        """Sends a call; returns a Pending the main loop completes."""
        pending = Pending(f"{method} on {path}")

        def on_reply(connection, result, user_data):
            try:
                pending.finish(reply=connection.call_finish(result).unpack())
            except GLib.Error as error:
                name = Gio.DBusError.get_remote_error(error)
                Gio.DBusError.strip_remote_error(error)
                pending.finish(error=(name, error.message))

        self.connection.call(BUS_NAME, path, interface, method, self.parameters(signature, args),
                             None, Gio.DBusCallFlags.NONE, int(timeout * 1000), None,
                             on_reply, None)
        return pending

    def get(self, path, interface, name):
        return self.call(path, PROPERTIES_IFACE, "Get", "ss", (interface, name))[0]

    def get_all(self, path, interface):
        return self.call(path, PROPERTIES_IFACE, "GetAll", "s", (interface,))[0]

    def subscribe(self, interface, member, path=None):
        """Collects the signals that match, as (path, args tuple), in order."""
        received = []

        def on_signal(connection, sender, signal_path, signal_interface, signal_name,
                      parameters, user_data):
            received.append((signal_path, parameters.unpack()))

        self.subscriptions.append(self.connection.signal_subscribe(
            BUS_NAME, interface, member, path, None, Gio.DBusSignalFlags.NONE, on_signal, None))
        # The match rule reaches the bus before anything the test does next.
        self.call("/org/freedesktop/DBus", "org.freedesktop.DBus", "GetId",
                  destination="org.freedesktop.DBus")
        return received

    def round_trip(self):
        """Pings the service twice, dispatching what arrived before each
        reply: every signal it sent before answering has been received.
        Twice, because PropertiesChanged goes out from an idle callback:
        one the first ping's iteration scheduled has run by the second."""
        for _ in range(2):
            self.call(ROOT_PATH, PEER_IFACE, "Ping")
            drain()

    def close(self):
        for subscription in self.subscriptions:
            self.connection.signal_unsubscribe(subscription)
        self.subscriptions = []
        if not self.connection.is_closed():
            self.connection.close_sync(None)


# ---- python3-dbus --------------------------------------------------------------

def plain(value):
    """python3-dbus values as plain Python values."""
    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, (dbus.String, dbus.ObjectPath, dbus.Signature)):
        return str(value)
    if isinstance(value, (dbus.Byte, dbus.Int16, dbus.Int32, dbus.Int64, dbus.UInt16,
                          dbus.UInt32, dbus.UInt64)):
        return int(value)
    if isinstance(value, dbus.Double):
        return float(value)
    if isinstance(value, dbus.Struct):
        return tuple(plain(item) for item in value)
    if isinstance(value, dbus.Dictionary):
        return {plain(key): plain(item) for key, item in value.items()}
    if isinstance(value, (dbus.Array, list)):
        return [plain(item) for item in value]
    return value


class PyDBusClient:
    """A python3-dbus connection to the test's bus, on the GLib main loop."""

    def __init__(self, address):
        self.connection = dbus.bus.BusConnection(
            address, mainloop=dbus.mainloop.glib.DBusGMainLoop())
        self.receivers = []

    @staticmethod
    def message(path, interface, method, signature, args):
        message = dbus.lowlevel.MethodCallMessage(BUS_NAME, path, interface, method)
        if signature:
            message.append(*args, signature=signature)
        return message

    def call(self, path, interface, method, signature="", args=(), timeout=PATIENCE):
        """Calls and waits; returns the reply's arguments as a tuple."""
        reply = self.connection.send_message_with_reply_and_block(
            self.message(path, interface, method, signature, args), timeout)
        return tuple(plain(arg) for arg in reply.get_args_list())

    def call_error(self, path, interface, method, signature="", args=(), timeout=PATIENCE):
        """Calls a method that must fail; returns (error name, message)."""
        try:
            reply = self.call(path, interface, method, signature, args, timeout)
        except dbus.exceptions.DBusException as error:
            return error.get_dbus_name(), error.get_dbus_message()
        raise AssertionError(f"{interface}.{method} on {path} succeeded with {reply}")

    def call_async(self, path, interface, method, signature="", args=(), timeout=PATIENCE):
        """Sends a call; returns a Pending the main loop completes."""
        pending = Pending(f"{method} on {path}")

        def on_reply(message):
            if isinstance(message, dbus.lowlevel.ErrorMessage):
                args = message.get_args_list()
                pending.finish(error=(message.get_error_name(), str(args[0]) if args else ""))
            else:
                pending.finish(reply=tuple(plain(arg) for arg in message.get_args_list()))

        self.connection.send_message_with_reply(
            self.message(path, interface, method, signature, args), on_reply, timeout,
            require_main_loop=True)
        return pending

    def get(self, path, interface, name):
        return self.call(path, PROPERTIES_IFACE, "Get", "ss", (interface, name))[0]

    def get_all(self, path, interface):
        return self.call(path, PROPERTIES_IFACE, "GetAll", "s", (interface,))[0]

    def subscribe(self, interface, member, path=None):
        """Collects the signals that match, as (path, args tuple), in order."""
        received = []

        def on_signal(*args, **keywords):
            received.append((str(keywords["path"]), tuple(plain(arg) for arg in args)))

        self.receivers.append(self.connection.add_signal_receiver(
            on_signal, signal_name=member, dbus_interface=interface, path=path,
            path_keyword="path"))
        # add_signal_receiver sends AddMatch without waiting: a round trip
        # to the bus makes sure the rule is in place.
        self.connection.send_message_with_reply_and_block(
            dbus.lowlevel.MethodCallMessage("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "GetId"), PATIENCE)
        return received

    def round_trip(self):
        """As GDBusClient.round_trip()."""
        for _ in range(2):
            self.call(ROOT_PATH, PEER_IFACE, "Ping")
            drain()

    def close(self):
        for receiver in self.receivers:
            receiver.remove()
        self.receivers = []
        self.connection.close()


# ---- a client in a process of its own --------------------------------------------

def run_client(bus, library, path, interface, method, signature="", *args, user=None,
               leave=None, timeout=PATIENCE):
    """Runs client.py (library "gdbus" or "dbus") as user (None: root);
    returns its JSON answer: {"reply": [...]}, {"error": NAME, "message": ...}
    or, with leave ("pending" or "at-once", see client.py), {"left": true}
    once the client closed its connection without waiting for the reply."""
    command = [PYTHON, CLIENT, library, bus.address, path, interface, method]
    if signature:
        command += [signature, *[json.dumps(arg) for arg in args]]
    if leave is not None:
        command.insert(2, f"--leave={leave}")
    if user is not None:
        harness.require_root()
        command = ["setpriv", f"--reuid={user}", f"--regid={harness.user_group(user)}",
                   "--clear-groups", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout + 5)
    if result.returncode != 0 or not result.stdout.strip():
        raise AssertionError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr}")
    return json.loads(result.stdout)


def rss_kib(pid):
    """The resident memory of process pid in KiB, or None where it says
    little: under valgrind, or in a build with AddressSanitizer, whose
    allocator keeps freed memory in quarantine."""
    if os.environ.get("BGS_UNDER_VALGRIND"):
        return None
    with open(f"/proc/{pid}/maps") as f:
        if "libasan" in f.read():
            return None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def wait_for_drops(daemon, count):
    """Waits until bgserviced (run with --verbose) has dropped the pending
    calls of count callers that left the bus, by its log."""
    harness.wait_until(lambda: daemon.read_log().count(" left the bus: dropping ") >= count,
                       f"the calls of {count} callers that left to be dropped")


# ---- introspection -------------------------------------------------------------

EMITS_CHANGED = "org.freedesktop.DBus.Property.EmitsChangedSignal"


def annotation(element, name, default):
    for child in element.findall("annotation"):
        if child.get("name") == name:
            return child.get("value")
    return default


def describe_interface(xml_text, name):
    """What a client relies on in interface name of an introspection
    document, or None when the document lacks it: methods with their
    arguments (name, type, direction), properties with type, access and
    EmitsChangedSignal (absent: the interface's, else "true"), signals with
    their arguments (name, type)."""
    root = ElementTree.fromstring(xml_text)
    for interface in root.findall("interface"):
        if interface.get("name") != name:
            continue
        emits_default = annotation(interface, EMITS_CHANGED, "true")
        return {
            "methods": {
                method.get("name"): [(arg.get("name"), arg.get("type"), arg.get("direction", "in"))
                                     for arg in method.findall("arg")]
                for method in interface.findall("method")},
            "properties": {
                prop.get("name"): (prop.get("type"), prop.get("access"),
                                   annotation(prop, EMITS_CHANGED, emits_default))
                for prop in interface.findall("property")},
            "signals": {
                sig.get("name"): [(arg.get("name"), arg.get("type")) for arg in sig.findall("arg")]
                for sig in interface.findall("signal")},
        }
    return None


def interface_names(xml_text):
    return sorted(i.get("name") for i in ElementTree.fromstring(xml_text).findall("interface"))


def child_nodes(xml_text):
    return sorted(n.get("name") for n in ElementTree.fromstring(xml_text).findall("node"))


def shipped_xml(file_name):
    with open(os.path.join(harness.program("BGS_DATA_DIR"), file_name)) as f:
        return f.read()


# ---- processes -------------------------------------------------------------------

def children(pid):
    """The PIDs whose parent is pid, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name, in parentheses, may hold spaces.
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def wait_children(pid, count):
    """The children of pid once there are count of them (a service may
    still be starting its commands when its daemon owns its name)."""
    found = []

    def enough():
        found[:] = children(pid)
        return len(found) == count

    harness.wait_until(enough, f"{count} children of {pid}")
    return found


def signal_mask(pid, field):
    """The signals of field ("SigIgn": ignored, "SigCgt": caught) in
    /proc/pid/status, as a set of numbers; empty when pid is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    mask = int(line.split()[1], 16)
                    return {number for number in range(1, 65) if mask & (1 << (number - 1))}
    except OSError:
        pass
    return set()


def wait_child_handling(pid, field, number):
    """Waits until a child of pid lists signal number in field (see
    signal_mask()): a shell has run its trap command and from then on
    reacts to the signal the way the test wants to see."""
    harness.wait_until(lambda: any(number in signal_mask(child, field)
                                   for child in children(pid)),
                       f"a child of {pid} with signal {number} in {field}")


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "-CRITICAL **")


def end_and_check(program, what):
    """Stops program (a harness Daemon or TestHost) with SIGTERM; returns a
    list of problems: it had died, it crashed, it did not exit, its log
    holds a sanitizer report or a GLib critical."""
    problems = []
    if program.process.poll() is not None:
        problems.append(f"{what} had exited with {program.process.returncode} before the end")
    else:
        program.process.send_signal(signal.SIGTERM)
    try:
        status = program.wait(PATIENCE)
    except subprocess.TimeoutExpired:
        problems.append(f"{what} did not exit within {PATIENCE} s of SIGTERM")
        status = None
    if status is not None and status not in (0, 1):
        problems.append(f"{what} ended with status {status}")
    log = program.read_log()
    for mark in SANITIZER_MARKS:
        if mark in log:
            problems.append(f"{what} logged {mark!r}")
    if problems:
        problems.append(f"--- log of {what} ---\n{log[-6000:]}")
    return problems


class IfaceTestCase(harness.DBusTestCase):
    """A test with its own bus; start_daemon() runs bgserviced,
    start_host() the test host, gdbus() and pydbus() connect clients."""

    def setUp(self):
        # Before anything of the test ran: every State change it causes
        # comes later (StateTimestamp, CLOCK_REALTIME).
        self.began_us = now_us()
        super().setUp()
        self.clients = []

    def assert_state_time(self, stamp, since=None):
        """stamp, a StateTimestamp, is a moment of this test (or, with since,
        of the time after since, in µs) up to now: the State changed then."""
        since = self.began_us if since is None else since
        self.assertGreaterEqual(stamp, since, "StateTimestamp before the change")
        self.assertLessEqual(stamp, now_us(), "StateTimestamp in the future")

    def assert_properties(self, properties, expected, changed=True):
        """properties (a GetAll answer) are expected (see service_properties())
        and StateTimestamp is a moment of this test, or 0 when the State
        never changed (changed False)."""
        rest, stamp = without_timestamp(properties)
        self.assertEqual(rest, expected)
        if changed:
            self.assert_state_time(stamp)
        else:
            self.assertEqual(stamp, 0, "StateTimestamp of a State that never changed")

    def tearDown(self):
        problems = []
        try:
            for client in self.clients:
                client.close()
            for number, program in enumerate(self.daemons):
                problems += end_and_check(program, f"{type(program).__name__} #{number}")
        finally:
            super().tearDown()
        if problems:
            self.fail("\n".join(problems))

    def start_host(self, *args):
        """The test host, once its start-up is over: it prints READY before
        its main loop runs, and the tasks of "failing" fail in there. Their
        run ends on its own with failures: "failing" is then failed (7), or
        restarting with --failing-restart-ms."""
        host = harness.TestHost(self.bus, self.directory, args)
        self.daemons.append(host)
        client = self.gdbus()
        restarts = any(arg.startswith("--failing-restart-ms=") for arg in args)
        self.wait_for_state(client, service_path("failing"), "restarting" if restarts else "failed")
        client.round_trip()
        return host

    def start_daemon_as(self, user, config, **kwargs):
        """bgserviced run as user (setpriv execs it: same PID, so signals
        reach it)."""
        harness.require_root()
        daemon = harness.program("BGSERVICED")
        # The user may not reach the build tree (a private checkout): it
        # loads the library from a copy it can read.
        wrapper = os.path.join(self.directory, "bgserviced-as-user")
        with open(wrapper, "w") as f:
            f.write(f'#!/bin/sh\nLD_LIBRARY_PATH="{harness.library_for_others()}" '
                    f'exec setpriv --reuid={user} --regid={harness.user_group(user)} '
                    f'--clear-groups "{daemon}" "$@"\n')
        os.chmod(wrapper, 0o755)
        with unittest.mock.patch.dict(os.environ, {"BGSERVICED": wrapper}):
            return self.start_daemon(config, **kwargs)

    def gdbus(self):
        client = GDBusClient(self.bus.address)
        self.clients.append(client)
        return client

    def pydbus(self):
        client = PyDBusClient(self.bus.address)
        self.clients.append(client)
        return client

    # Shortcuts through GDBus, the client most tests read with.

    def list_services(self, client=None):
        """ListServices as {name: (is_running, n_tasks, path)}."""
        client = client or self.gdbus()
        services = client.call(ROOT_PATH, MANAGER_IFACE, "ListServices")[0]
        return {name: (running, n_tasks, path) for name, running, n_tasks, path in services}

    def wait_for_state(self, client, path, state, timeout=PATIENCE):
        harness.wait_until(lambda: client.get(path, SERVICE_IFACE, "State") == state,
                           f"{path} to be {state}", timeout)

    def assert_healthy(self, client):
        """The service still answers, its manager included."""
        self.assertIsInstance(client.call(ROOT_PATH, MANAGER_IFACE, "ListServices")[0], list)
        for program in self.daemons:
            self.assertIsNone(program.process.poll(), "a bus service exited")
