# SPDX-License-Identifier: MIT
"""org.freedesktop.DBus.ObjectManager at /org/bgservice1:
GetManagedObjects lists every service with its properties, and services
that a SIGHUP reload of bgserviced adds, removes or replaces come and go
with InterfacesAdded and InterfacesRemoved."""

import signal

import harness
import ifacetest
from harness import MANAGER_IFACE, ROOT_PATH, SERVICE_IFACE
from ifacetest import (OBJECT_MANAGER_IFACE, SERVICE_PROPERTY_NAMES, run_until, service_path,
                       service_properties)

CONFIG = """\
[Service alpha]
Type=exec
Exec=sleep 600

[Service beta]
Type=clock
IntervalSec=60
AutoStart=false

[Service gamma]
Type=exec
Exec=sleep 600
Instances=2
"""

# beta goes, delta comes, gamma changes (replaced), alpha stays.
RELOADED = """\
[Service alpha]
Type=exec
Exec=sleep 600

[Service gamma]
Type=exec
Exec=sleep 601
Instances=2

[Service delta]
Type=clock
IntervalSec=60
"""


def objects(signals):
    """The objects InterfacesAdded or InterfacesRemoved signals name."""
    return sorted(args[0] for _, args in signals)


class ObjectManagerTest(ifacetest.IfaceTestCase):
    def managed(self, client):
        return client.call(ROOT_PATH, OBJECT_MANAGER_IFACE, "GetManagedObjects")[0]

    def check_lists_every_service(self, client):
        objects = self.managed(client)
        services = self.list_services()
        self.assertEqual(sorted(objects), sorted(path for _, _, path in services.values()))
        self.assertNotIn(ROOT_PATH, objects, "the manager lists itself")
        for name, (running, n_tasks, path) in services.items():
            properties = objects[path][SERVICE_IFACE]
            self.assertEqual(properties, client.get_all(path, SERVICE_IFACE))
            self.assertEqual((properties["Name"], properties["IsRunning"], properties["NTasks"]),
                             (name, running, n_tasks))
            # The test host's "failing" failed at its start-up.
            state = "running" if running else "failed" if name == "failing" else "stopped"
            self.assertEqual(properties["State"], state)
            if name != "failing":
                self.assertEqual(properties["LastErrors"], [])

    def test_get_managed_objects_with_gdbus(self):
        self.start_daemon(CONFIG)
        self.check_lists_every_service(self.gdbus())

    def test_get_managed_objects_with_python_dbus(self):
        self.start_daemon(CONFIG)
        self.check_lists_every_service(self.pydbus())

    def test_get_managed_objects_with_busctl(self):
        self.start_daemon(CONFIG)
        objects = harness.busctl_json(self.bus, "call", harness.BUS_NAME, ROOT_PATH,
                                      OBJECT_MANAGER_IFACE, "GetManagedObjects")[0]
        self.assertEqual(sorted(objects), [service_path(n) for n in ("alpha", "beta", "gamma")])
        gamma = objects[service_path("gamma")][SERVICE_IFACE]
        self.assertEqual(gamma["StateTimestamp"]["type"], "t")
        self.assert_properties({name: value["data"] for name, value in gamma.items()},
                               service_properties("gamma", True, 2, "running"))

    def test_get_managed_objects_on_the_test_host(self):
        self.start_host("--tasks=2", "--service=idle one")
        client = self.gdbus()
        self.check_lists_every_service(client)
        self.assertEqual(len(self.managed(client)), 4)

    def test_properties_follow_changes(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        client.call(service_path("alpha"), SERVICE_IFACE, "Stop", "s", ("test",))
        client.call(service_path("beta"), SERVICE_IFACE, "Start")
        objects = self.managed(client)
        self.assertEqual(objects[service_path("alpha")][SERVICE_IFACE]["State"], "stopped")
        self.assertEqual(objects[service_path("beta")][SERVICE_IFACE]["State"], "running")

    def reload(self, daemon, client, config):
        added = client.subscribe(OBJECT_MANAGER_IFACE, "InterfacesAdded", ROOT_PATH)
        removed = client.subscribe(OBJECT_MANAGER_IFACE, "InterfacesRemoved", ROOT_PATH)
        daemon.rewrite_config(config)
        daemon.signal(signal.SIGHUP)
        return added, removed

    def test_reload_adds_removes_and_replaces(self):
        daemon = self.start_daemon(CONFIG)
        client = self.gdbus()
        added, removed = self.reload(daemon, client, RELOADED)
        run_until(lambda: objects(added) == [service_path("delta"), service_path("gamma")] and
                  objects(removed) == [service_path("beta"), service_path("gamma")],
                  "delta and gamma added, beta and gamma removed")
        client.round_trip()
        self.assertEqual(len(added), 2, added)
        self.assertEqual(len(removed), 2, removed)

        for _, (_, interfaces) in removed:
            self.assertIn(SERVICE_IFACE, interfaces)
        announced = {path: interfaces for _, (path, interfaces) in added}
        delta = announced[service_path("delta")][SERVICE_IFACE]
        self.assertEqual(delta["Name"], "delta")
        self.assertEqual(set(delta), set(SERVICE_PROPERTY_NAMES))
        self.assertEqual(announced[service_path("gamma")][SERVICE_IFACE]["Name"], "gamma")

        run_until(lambda: set(self.managed(client)) ==
                  {service_path(n) for n in ("alpha", "gamma", "delta")}, "the new objects")
        self.assertEqual(sorted(self.list_services(client)), ["alpha", "delta", "gamma"])
        self.assertEqual(client.call_error(service_path("beta"), SERVICE_IFACE, "Wait")[0],
                         "org.freedesktop.DBus.Error.UnknownObject")
        self.assertEqual(client.call_error(ROOT_PATH, MANAGER_IFACE, "GetService", "s",
                                           ("beta",))[0], ifacetest.NO_SUCH_SERVICE)
        run_until(lambda: client.get(service_path("delta"), SERVICE_IFACE, "IsRunning"),
                  "delta to run")

    def test_reload_with_python_dbus_sees_the_order_of_a_replacement(self):
        daemon = self.start_daemon(CONFIG)
        client = self.pydbus()
        events = []
        client.connection.add_signal_receiver(
            lambda path, interfaces: events.append(("added", str(path))),
            signal_name="InterfacesAdded", dbus_interface=OBJECT_MANAGER_IFACE, path=ROOT_PATH)
        client.connection.add_signal_receiver(
            lambda path, interfaces: events.append(("removed", str(path))),
            signal_name="InterfacesRemoved", dbus_interface=OBJECT_MANAGER_IFACE, path=ROOT_PATH)
        client.round_trip()
        daemon.rewrite_config(CONFIG.replace("Instances=2", "Instances=3"))
        daemon.signal(signal.SIGHUP)
        run_until(lambda: len(events) >= 2, "gamma removed and added again")
        client.round_trip()
        self.assertEqual(events, [("removed", service_path("gamma")),
                                  ("added", service_path("gamma"))])
        run_until(lambda: client.get(service_path("gamma"), SERVICE_IFACE, "NTasks") == 3,
                  "gamma to run three instances")

    def test_reload_without_changes_announces_nothing(self):
        notify = harness.Notify(self.directory)
        self.addCleanup(notify.close)
        daemon = self.start_daemon(CONFIG, env={"NOTIFY_SOCKET": notify.path})
        notify.wait_for("READY=1")
        client = self.gdbus()
        added, removed = self.reload(daemon, client, CONFIG)
        notify.wait_for("RELOADING=1")
        notify.wait_for("READY=1")
        client.round_trip()
        self.assertEqual((added, removed), ([], []))
        self.assertEqual(sorted(self.managed(client)),
                         [service_path(n) for n in ("alpha", "beta", "gamma")])


if __name__ == "__main__":
    harness.main()
