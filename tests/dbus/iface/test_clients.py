# SPDX-License-Identifier: MIT
"""Three clients bgservice did not write, each the way its users use it:
busctl (a subprocess, --json=short, `busctl monitor` for signals), GDBus
(Gio.DBusProxy and Gio.DBusConnection) and python3-dbus (proxy objects
and Interfaces on a BusConnection). Each calls methods, reads properties
and subscribes to the signals of bgserviced and of the test host."""

import json
import os
import select
import subprocess
import time

import dbus
from gi.repository import Gio

import harness
import ifacetest
from harness import BUS_NAME, MANAGER_IFACE, PATIENCE, ROOT_PATH, SERVICE_IFACE
from ifacetest import EXIT_ERROR_DOMAIN, HOST_FAILURES, errors, run_until, service_path

CONFIG = """\
[Service sleeper]
Type=exec
Exec=sleep 600

[Service failer]
Type=exec
Exec=sh -c 'exit 3'
AutoStart=false
"""

FAILER_ERROR = ("instance-1", EXIT_ERROR_DOMAIN, 3, "“sh -c 'exit 3'” exited with status 3")


class Monitor:
    """`busctl monitor` on the test's bus, filtered by match, its JSON
    messages read as they come."""

    def __init__(self, bus, match):
        self.process = subprocess.Popen(
            ["busctl", f"--address={bus.address}", "--json=short", "monitor", f"--match={match}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.buffers = {}
        # busctl says so once the bus made it a monitor.
        line = self.read_line(self.process.stderr)
        if "Monitoring" not in line:
            raise AssertionError(f"busctl monitor did not start: {line!r}")

    def read_line(self, stream):
        """The next line of stream, read unbuffered so that select() sees
        what is left."""
        buffer = self.buffers.setdefault(stream.fileno(), bytearray())
        deadline = time.monotonic() + PATIENCE
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([stream], [], [], remaining)[0]:
                raise AssertionError(f"busctl monitor said nothing more after {bytes(buffer)!r}")
            data = os.read(stream.fileno(), 65536)
            if not data:
                raise AssertionError(f"busctl monitor ended: {self.process.wait()}")
            buffer += data
        line, _, rest = bytes(buffer).partition(b"\n")
        buffer[:] = rest
        return line.decode()

    def next_message(self):
        return json.loads(self.read_line(self.process.stdout))

    def close(self):
        self.process.kill()
        self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()


class BusctlTest(ifacetest.IfaceTestCase):
    def monitor(self, match):
        monitor = Monitor(self.bus, match)
        self.addCleanup(monitor.close)
        return monitor

    def test_call_read_and_monitor_signals(self):
        self.start_daemon(CONFIG)
        failer = harness.service_path(self.bus, "failer")
        self.assertEqual(failer, service_path("failer"))
        self.assertEqual(harness.get_property(self.bus, failer, "State"), "stopped")
        monitor = self.monitor(f"type='signal',path='{failer}'")
        harness.busctl(self.bus, "call", BUS_NAME, failer, SERVICE_IFACE, "Start")
        seen = []
        while not any(m["member"] == "TaskFailed" for m in seen):
            seen.append(monitor.next_message())
        failed = [m for m in seen if m["member"] == "TaskFailed"][0]
        self.assertEqual((failed["interface"], failed["payload"]),
                         (SERVICE_IFACE, {"type": "ssis", "data": list(FAILER_ERROR)}))
        changes = [m["payload"]["data"] for m in seen if m["member"] == "PropertiesChanged"]
        self.assertTrue(all(c[0] == SERVICE_IFACE for c in changes))
        reply = harness.busctl_json(self.bus, "call", BUS_NAME, failer, SERVICE_IFACE, "Wait")
        self.assertEqual(reply, [[list(FAILER_ERROR)]])
        # The run ended failed, and that was announced, without anyone
        # having to wait for it.
        state = {}
        while state.get("State") != "failed":
            message = monitor.next_message()
            if message["member"] == "PropertiesChanged":
                state.update({name: value["data"]
                              for name, value in message["payload"]["data"][1].items()})
        self.assertEqual(state["LastErrors"], [list(FAILER_ERROR)])

    def test_properties_changed_through_busctl_monitor(self):
        self.start_daemon(CONFIG)
        sleeper = service_path("sleeper")
        monitor = self.monitor(f"type='signal',interface='org.freedesktop.DBus.Properties',"
                               f"member='PropertiesChanged',path='{sleeper}'")
        self.assertEqual(harness.busctl_json(self.bus, "call", BUS_NAME, sleeper, SERVICE_IFACE,
                                             "Stop", "s", "busctl"), [[]])
        state = {}
        while state.get("State") != "stopped":
            message = monitor.next_message()
            interface, changed, _ = message["payload"]["data"]
            self.assertEqual(interface, SERVICE_IFACE)
            state.update({name: value["data"] for name, value in changed.items()})
        self.assertEqual((state["IsRunning"], state["NTasks"]), (False, 0))

    def test_test_host_with_busctl(self):
        self.start_host("--tasks=4")
        many = harness.service_path(self.bus, "many")
        self.assertEqual(harness.get_property(self.bus, many, "NTasks"), 4)
        failing = harness.service_path(self.bus, "failing")
        # The start-up's run has ended: Wait replies at once, with its failures.
        self.assertEqual(len(harness.busctl_json(self.bus, "call", BUS_NAME, failing,
                                                 SERVICE_IFACE, "Wait")[0]), 2)
        monitor = self.monitor(f"type='signal',member='TaskFailed',path='{failing}'")
        harness.busctl(self.bus, "call", BUS_NAME, failing, SERVICE_IFACE, "Start")
        seen = sorted(tuple(monitor.next_message()["payload"]["data"]) for _ in HOST_FAILURES)
        self.assertEqual(seen, HOST_FAILURES)


class GDBusTest(ifacetest.IfaceTestCase):
    def proxy(self, client, path, interface):
        return Gio.DBusProxy.new_sync(client.connection, Gio.DBusProxyFlags.NONE, None,
                                      BUS_NAME, path, interface, None)

    def test_proxy_calls_reads_and_follows_the_service(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        manager = self.proxy(client, ROOT_PATH, MANAGER_IFACE)
        self.assertEqual(manager.get_cached_property("Version").unpack(),
                         client.get(ROOT_PATH, MANAGER_IFACE, "Version"))
        path = manager.call_sync("GetService", ifacetest.GLib.Variant("(s)", ("failer",)),
                                 Gio.DBusCallFlags.NONE, -1, None).unpack()[0]
        failer = self.proxy(client, path, SERVICE_IFACE)
        self.assertEqual(failer.get_cached_property("Name").unpack(), "failer")
        self.assertEqual(failer.get_cached_property("State").unpack(), "stopped")
        self.assertEqual(failer.get_cached_property("Restart").unpack(), "no")

        failures, states = [], []
        failer.connect("g-signal", lambda proxy, sender, name, args:
                       failures.append((name, args.unpack())))
        failer.connect("g-properties-changed", lambda proxy, changed, invalidated:
                       states.append(changed.unpack().get("State")))
        failer.call_sync("Start", None, Gio.DBusCallFlags.NONE, -1, None)
        run_until(lambda: failures and "failed" in states, "TaskFailed and State failed")
        self.assertEqual(failures, [("TaskFailed", FAILER_ERROR)])
        self.assertEqual(failer.get_cached_property("IsRunning").unpack(), False)
        # The run's end set LastErrors, announced with the State: nobody waited.
        self.assertEqual(failer.get_cached_property("LastErrors").unpack(), [FAILER_ERROR])
        self.assert_state_time(failer.get_cached_property("StateTimestamp").unpack())
        waited = failer.call_sync("Wait", None, Gio.DBusCallFlags.NONE, -1, None).unpack()
        self.assertEqual(waited, ([FAILER_ERROR],))
        client.round_trip()
        self.assertEqual(failer.get_cached_property("LastErrors").unpack(), [FAILER_ERROR])

    def test_connection_calls_reads_and_subscribes_on_the_test_host(self):
        self.start_host()
        client = self.gdbus()
        failing = client.call(ROOT_PATH, MANAGER_IFACE, "GetService", "s", ("failing",))[0]
        self.assertEqual(errors(client.call(failing, SERVICE_IFACE, "Wait")[0]), HOST_FAILURES)
        self.assertEqual(errors(client.get(failing, SERVICE_IFACE, "LastErrors")), HOST_FAILURES)
        self.assertEqual(client.get(failing, SERVICE_IFACE, "State"), "failed")
        failed = client.subscribe(SERVICE_IFACE, "TaskFailed", failing)
        client.call(failing, SERVICE_IFACE, "Start")
        run_until(lambda: len(failed) == 2, "two TaskFailed")
        self.assertEqual(errors(args for _, args in failed), HOST_FAILURES)


class PythonDBusTest(ifacetest.IfaceTestCase):
    def test_proxy_objects_call_read_and_receive_signals(self):
        self.start_daemon(CONFIG)
        client = self.pydbus()
        root = client.connection.get_object(BUS_NAME, ROOT_PATH)
        manager = dbus.Interface(root, MANAGER_IFACE)
        path = manager.GetService("failer")
        self.assertEqual(path, service_path("failer"))
        service = client.connection.get_object(BUS_NAME, path)
        properties = dbus.Interface(service, ifacetest.PROPERTIES_IFACE)
        self.assertEqual(properties.Get(SERVICE_IFACE, "Name"), "failer")
        self.assertEqual(ifacetest.plain(properties.GetAll(SERVICE_IFACE))["State"], "stopped")

        failures, changes = [], []
        service.connect_to_signal("TaskFailed", lambda *args: failures.append(
            tuple(ifacetest.plain(a) for a in args)), dbus_interface=SERVICE_IFACE)
        properties.connect_to_signal("PropertiesChanged", lambda iface, changed, invalidated:
                                     changes.append(ifacetest.plain(changed)))
        client.round_trip()  # the match rules are in place
        dbus.Interface(service, SERVICE_IFACE).Start()
        run_until(lambda: failures and any(c.get("State") == "failed" for c in changes),
                  "TaskFailed and State failed")
        self.assertEqual(failures, [FAILER_ERROR])
        self.assertEqual(ifacetest.plain(dbus.Interface(service, SERVICE_IFACE).Wait()),
                         [FAILER_ERROR])
        self.assertEqual(ifacetest.plain(properties.Get(SERVICE_IFACE, "LastErrors")),
                         [FAILER_ERROR])

    def test_bus_connection_on_the_test_host(self):
        self.start_host("--tasks=7")
        client = self.pydbus()
        services = self.list_services(client)
        self.assertEqual(services["many"][:2], (True, 7))
        many = services["many"][2]
        self.assertEqual(client.get(many, SERVICE_IFACE, "NTasks"), 7)
        changed = client.subscribe(ifacetest.PROPERTIES_IFACE, "PropertiesChanged", many)
        self.assertEqual(client.call(many, SERVICE_IFACE, "Stop", "s", ("python3-dbus",)), ([],))
        run_until(lambda: any(args[1].get("NTasks") == 0 for _, args in changed),
                  "NTasks 0 in PropertiesChanged")


if __name__ == "__main__":
    harness.main()
