# SPDX-License-Identifier: MIT
"""Bad input: calls with the wrong signature get InvalidArgs and change
nothing; an unknown service name gets org.bgservice1.Error.NoSuchService
(the error name, as GDBus and python3-dbus see it); names that need
escaping (spaces, dots, slashes, non-ASCII UTF-8, a leading digit, '_',
'-', the longest name) get the sd_bus_path_encode() path, which works for
reading and calling, and ListServices and GetService agree on it."""

import harness
import ifacetest
from harness import BUS_NAME, MANAGER_IFACE, ROOT_PATH, SERVICE_IFACE
from ifacetest import (INVALID_ARGS, NO_SUCH_SERVICE, PROPERTIES_IFACE, SERVICE_PREFIX,
                       path_encode, service_path)

CONFIG = """\
[Service sleeper]
Type=exec
Exec=sleep 600
Instances=2
"""

SLEEPER = service_path("sleeper")

# (path, interface, method, signature, args): each must be refused.
WRONG_SIGNATURES = [
    (ROOT_PATH, MANAGER_IFACE, "GetService", "", ()),
    (ROOT_PATH, MANAGER_IFACE, "GetService", "ss", ("sleeper", "sleeper")),
    (ROOT_PATH, MANAGER_IFACE, "GetService", "i", (1,)),
    (ROOT_PATH, MANAGER_IFACE, "ListServices", "s", ("x",)),
    (ROOT_PATH, MANAGER_IFACE, "StartAll", "b", (True,)),
    (ROOT_PATH, MANAGER_IFACE, "StopAll", "", ()),
    (ROOT_PATH, MANAGER_IFACE, "StopAll", "u", (7,)),
    (SLEEPER, SERVICE_IFACE, "Start", "s", ("x",)),
    (SLEEPER, SERVICE_IFACE, "Stop", "i", (5,)),
    (SLEEPER, SERVICE_IFACE, "Stop", "", ()),
    (SLEEPER, SERVICE_IFACE, "Stop", "as", (["a", "b"],)),
    (SLEEPER, SERVICE_IFACE, "Cancel", "i", (5,)),
    (SLEEPER, SERVICE_IFACE, "Cancel", "", ()),
    (SLEEPER, SERVICE_IFACE, "Wait", "s", ("x",)),
    (SLEEPER, SERVICE_IFACE, "Restart", "x", (5,)),
    (SLEEPER, SERVICE_IFACE, "Restart", "ss", ("a", "b")),
    (SLEEPER, SERVICE_IFACE, "ResetFailed", "s", ("x",)),
    (SLEEPER, SERVICE_IFACE, "ResetFailed", "b", (True,)),
]

# Names that need escaping in an object path, and some that do not.
ODD_NAMES = [
    "with space", "a.b", "a/b", "/", "..", "ünïcødé", "日本", "1leading", "007", "_under",
    "-dash", "a_2f", "_2f", "x" * 255, "tab-less\u00a0nbsp", "Mixed.Case-9_",
]


class WrongSignatureTest(ifacetest.IfaceTestCase):
    def check_refused(self, client):
        daemon = self.start_daemon(CONFIG)
        before = ifacetest.wait_children(daemon.process.pid, 2)
        for path, interface, method, signature, args in WRONG_SIGNATURES:
            with self.subTest(method=method, signature=signature):
                name, message = client.call_error(path, interface, method, signature, args)
                self.assertEqual(name, INVALID_ARGS)
                self.assertIn(method, message)
        # Nothing stopped, nothing restarted, and the daemon still answers.
        self.assert_healthy(client)
        self.assertEqual(client.get_all(SLEEPER, SERVICE_IFACE)["NTasks"], 2)
        self.assertEqual(ifacetest.children(daemon.process.pid), before)
        self.assertEqual(client.call(SLEEPER, SERVICE_IFACE, "Stop", "s", ("now",)), ([],))

    def test_with_gdbus(self):
        self.check_refused(self.gdbus())

    def test_with_python_dbus(self):
        self.check_refused(self.pydbus())

    def test_with_busctl(self):
        self.start_daemon(CONFIG)
        for args in (("Stop", "i", "5"), ("Cancel", "u", "1"), ("Restart", "b", "true"),
                     ("ResetFailed", "s", "x")):
            result = harness.busctl(self.bus, "call", BUS_NAME, SLEEPER, SERVICE_IFACE, *args,
                                    check=False)
            self.assertNotEqual(result.returncode, 0)
            self.assertIn("Invalid arguments", result.stderr)
        self.assertEqual(harness.get_property(self.bus, SLEEPER, "State"), "running")

    def test_properties_interface_misuse(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        cases = [
            (PROPERTIES_IFACE, "Get", "s", (SERVICE_IFACE,), INVALID_ARGS),
            (PROPERTIES_IFACE, "Get", "ss", (SERVICE_IFACE, "Nope"),
             "org.freedesktop.DBus.Error.UnknownProperty"),
            (PROPERTIES_IFACE, "Set", "ssv", (SERVICE_IFACE, "State",
                                              ifacetest.GLib.Variant("s", "stopped")),
             "org.freedesktop.DBus.Error.PropertyReadOnly"),
            (PROPERTIES_IFACE, "Set", "ssv", (SERVICE_IFACE, "IsRunning",
                                              ifacetest.GLib.Variant("b", False)),
             "org.freedesktop.DBus.Error.PropertyReadOnly"),
            (PROPERTIES_IFACE, "Set", "ssv", (SERVICE_IFACE, "Restart",
                                              ifacetest.GLib.Variant("s", "always")),
             "org.freedesktop.DBus.Error.PropertyReadOnly"),
            (PROPERTIES_IFACE, "Set", "ssv", (SERVICE_IFACE, "NRestarts",
                                              ifacetest.GLib.Variant("u", 0)),
             "org.freedesktop.DBus.Error.PropertyReadOnly"),
            (SERVICE_IFACE, "Explode", "", (), "org.freedesktop.DBus.Error.UnknownMethod"),
            ("org.bgservice1.Nope", "Start", "", (),
             "org.freedesktop.DBus.Error.UnknownMethod"),
        ]
        for interface, method, signature, args, error in cases:
            with self.subTest(method=method, args=args):
                self.assertEqual(client.call_error(SLEEPER, interface, method, signature, args)[0],
                                 error)
        self.assertEqual(client.get(SLEEPER, SERVICE_IFACE, "State"), "running")
        self.assert_healthy(client)


class NoSuchServiceTest(ifacetest.IfaceTestCase):
    def test_error_name_with_gdbus_and_python_dbus(self):
        self.start_daemon(CONFIG)
        for client in (self.gdbus(), self.pydbus()):
            for name in ("nosuch", "", "Sleeper", "sleeper ", "x" * 300, "ünï"):
                with self.subTest(client=type(client).__name__, name=name):
                    error, message = client.call_error(ROOT_PATH, MANAGER_IFACE, "GetService",
                                                       "s", (name,))
                    self.assertEqual(error, NO_SUCH_SERVICE)
                    self.assertIn(name, message)
            self.assert_healthy(client)

    def test_error_name_from_another_process(self):
        self.start_daemon(CONFIG)
        for library in ("gdbus", "dbus"):
            answer = ifacetest.run_client(self.bus, library, ROOT_PATH, MANAGER_IFACE,
                                          "GetService", "s", "nosuch")
            self.assertEqual(answer["error"], NO_SUCH_SERVICE)

    def test_object_of_an_unknown_service(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        for path in (service_path("nosuch"), SERVICE_PREFIX + "/_", SERVICE_PREFIX + "/sleeper/x"):
            with self.subTest(path=path):
                self.assertEqual(client.call_error(path, SERVICE_IFACE, "Stop", "s", ("x",))[0],
                                 "org.freedesktop.DBus.Error.UnknownObject")
                self.assertEqual(client.call_error(path, PROPERTIES_IFACE, "GetAll", "s",
                                                   (SERVICE_IFACE,))[0],
                                 "org.freedesktop.DBus.Error.UnknownObject")
        self.assertEqual(client.get(SLEEPER, SERVICE_IFACE, "NTasks"), 2)


class EscapingTest(ifacetest.IfaceTestCase):
    def setUp(self):
        super().setUp()
        self.start_host("--tasks=2", *[f"--service={name}" for name in ODD_NAMES])

    def test_encoding_we_expect(self):
        # The rule, checked on examples sd-bus's documentation gives.
        self.assertEqual(path_encode("foobar"), "foobar")
        self.assertEqual(path_encode("foo.bar"), "foo_2ebar")
        self.assertEqual(path_encode(""), "_")
        self.assertEqual(path_encode("1a"), "_31a")
        self.assertEqual(path_encode("a1"), "a1")
        self.assertEqual(path_encode("ü"), "_c3_bc")

    def test_list_services_and_get_service_agree(self):
        client = self.gdbus()
        services = self.list_services(client)
        self.assertEqual(sorted(services), sorted(ODD_NAMES + ["failing", "many", "slow"]))
        self.assertEqual(list(services), sorted(services, key=lambda n: n.encode()),
                         "ListServices is not by name")
        for name in ODD_NAMES:
            with self.subTest(name=name):
                path = services[name][2]
                self.assertEqual(path, service_path(name))
                self.assertEqual(client.call(ROOT_PATH, MANAGER_IFACE, "GetService", "s", (name,)),
                                 (path,))

    def test_paths_work_for_reading(self):
        gdbus, pydbus = self.gdbus(), self.pydbus()
        for name in ODD_NAMES:
            with self.subTest(name=name):
                # "--": a name may start with a dash.
                path = harness.busctl_json(self.bus, "call", "--", BUS_NAME, ROOT_PATH,
                                           MANAGER_IFACE, "GetService", "s", name)[0]
                self.assertEqual(harness.get_property(self.bus, path, "Name"), name)
                self.assertEqual(gdbus.get(path, SERVICE_IFACE, "Name"), name)
                self.assert_properties(pydbus.get_all(path, SERVICE_IFACE),
                                       ifacetest.service_properties(name, True, 1, "running"))

    def test_paths_work_for_calling(self):
        client = self.gdbus()
        for name in ODD_NAMES:
            with self.subTest(name=name):
                path = client.call(ROOT_PATH, MANAGER_IFACE, "GetService", "s", (name,))[0]
                self.assertEqual(client.call(path, SERVICE_IFACE, "Stop", "s", ("x",)), ([],))
                self.assertEqual(client.get(path, SERVICE_IFACE, "State"), "stopped")
        # Each stopped only itself.
        running = {name for name, (up, _, _) in self.list_services(client).items() if up}
        self.assertEqual(running, {"many", "slow"})

    def test_signals_carry_the_escaped_path(self):
        client = self.gdbus()
        changed = client.subscribe(PROPERTIES_IFACE, "PropertiesChanged")
        for name in ODD_NAMES:
            client.call(service_path(name), SERVICE_IFACE, "Cancel", "s", ("x",))
        ifacetest.run_until(lambda: {p for p, _ in changed} >= {service_path(n) for n in ODD_NAMES},
                            "a PropertiesChanged from every service")
        objects = client.call(ROOT_PATH, ifacetest.OBJECT_MANAGER_IFACE, "GetManagedObjects")[0]
        for name in ODD_NAMES:
            self.assertEqual(objects[service_path(name)][SERVICE_IFACE]["Name"], name)


if __name__ == "__main__":
    harness.main()
