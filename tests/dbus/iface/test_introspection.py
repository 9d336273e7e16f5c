# SPDX-License-Identifier: MIT
"""Introspection: what /org/bgservice1 and each service object answer
matches the XML shipped in data/ for org.bgservice1.Manager and
org.bgservice1.Service (methods with argument names, types and directions;
properties with type, access and EmitsChangedSignal; signals with their
arguments), read with GDBus, python3-dbus and busctl; every object also
answers Introspectable, Properties and Peer, and the tree lists every
service."""

import xml.etree.ElementTree as ElementTree

import harness
import ifacetest
from harness import BUS_NAME, MANAGER_IFACE, ROOT_PATH, SERVICE_IFACE
from ifacetest import (INTROSPECTABLE_IFACE, OBJECT_MANAGER_IFACE, PEER_IFACE, PROPERTIES_IFACE,
                       SERVICE_PREFIX, child_nodes, describe_interface, interface_names,
                       path_encode, service_path, shipped_xml)

CONFIG = """\
[Service alpha]
Type=exec
Exec=sleep 600

[Service beta]
Type=clock
IntervalSec=60
AutoStart=false
"""

STANDARD = [INTROSPECTABLE_IFACE, PEER_IFACE, PROPERTIES_IFACE]


class ComparisonTest(ifacetest.IfaceTestCase):
    """The comparison itself must see a difference where there is one."""

    def setUp(self):
        super().setUp()
        self.text = shipped_xml("org.bgservice1.Service.xml")
        self.shipped = describe_interface(self.text, SERVICE_IFACE)

    def altered(self, change):
        root = ElementTree.fromstring(self.text)
        change(root.find("interface"))
        return describe_interface(ElementTree.tostring(root, encoding="unicode"), SERVICE_IFACE)

    def test_the_shipped_file_describes_the_interface(self):
        self.assertEqual(sorted(self.shipped["methods"]),
                         ["Cancel", "ResetFailed", "Restart", "Start", "Stop", "Wait"])
        self.assertEqual(self.shipped["properties"], {
            "Name": ("s", "read", "const"),
            "IsRunning": ("b", "read", "true"),
            "NTasks": ("u", "read", "true"),
            "LastErrors": ("a(ssis)", "read", "true"),
            "State": ("s", "read", "true"),
            "StateTimestamp": ("t", "read", "true"),
            "NRestarts": ("u", "read", "true"),
            "Restart": ("s", "read", "true"),
        })
        self.assertEqual(self.shipped["signals"], {
            "TaskFailed": [("task", "s"), ("domain", "s"), ("code", "i"), ("message", "s")]})
        self.assertEqual(self.shipped["methods"]["Stop"],
                         [("message", "s", "in"), ("errors", "a(ssis)", "out")])
        manager = describe_interface(shipped_xml("org.bgservice1.Manager.xml"), MANAGER_IFACE)
        self.assertEqual(manager["methods"], {
            "ListServices": [("services", "a(sbuo)", "out")],
            "GetService": [("name", "s", "in"), ("path", "o", "out")],
            "StartAll": [],
            "StopAll": [("message", "s", "in"), ("errors", "a(ssis)", "out")],
        })
        self.assertEqual(manager["properties"], {"Version": ("s", "read", "const"),
                                                 "LostReplies": ("u", "read", "true")})
        self.assertEqual(manager["signals"], {})

    def test_differences_are_seen(self):
        def rename_arg(interface):
            interface.find("method[@name='Stop']/arg").set("name", "why")

        def retype_property(interface):
            interface.find("property[@name='NTasks']").set("type", "i")

        def drop_annotation(interface):
            prop = interface.find("property[@name='Name']")
            prop.remove(prop.find("annotation"))

        def turn_direction(interface):
            interface.find("method[@name='Wait']/arg").set("direction", "in")

        def drop_signal_arg(interface):
            sig = interface.find("signal[@name='TaskFailed']")
            sig.remove(sig.findall("arg")[-1])

        def emit_invalidates(interface):
            ElementTree.SubElement(interface.find("property[@name='State']"), "annotation",
                                   name=ifacetest.EMITS_CHANGED, value="invalidates")

        for change in (rename_arg, retype_property, drop_annotation, turn_direction,
                       drop_signal_arg, emit_invalidates):
            with self.subTest(change=change.__name__):
                self.assertNotEqual(self.altered(change), self.shipped)
        self.assertEqual(self.altered(lambda interface: None), self.shipped)
        self.assertIsNone(describe_interface(self.text, MANAGER_IFACE))


class IntrospectionTest(ifacetest.IfaceTestCase):
    def introspect(self, client, path):
        return client.call(path, INTROSPECTABLE_IFACE, "Introspect")[0]

    def check_root(self, client):
        text = self.introspect(client, ROOT_PATH)
        self.assertEqual(describe_interface(text, MANAGER_IFACE),
                         describe_interface(shipped_xml("org.bgservice1.Manager.xml"),
                                            MANAGER_IFACE))
        self.assertEqual(interface_names(text),
                         sorted([MANAGER_IFACE, OBJECT_MANAGER_IFACE, *STANDARD]))
        self.assertEqual(child_nodes(text), ["service"])

    def check_service(self, client, path):
        text = self.introspect(client, path)
        self.assertEqual(describe_interface(text, SERVICE_IFACE),
                         describe_interface(shipped_xml("org.bgservice1.Service.xml"),
                                            SERVICE_IFACE))
        self.assertEqual(interface_names(text), sorted([SERVICE_IFACE, *STANDARD]))

    def test_root_with_gdbus(self):
        self.start_daemon(CONFIG)
        self.check_root(self.gdbus())

    def test_services_with_gdbus(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        for name in ("alpha", "beta"):
            self.check_service(client, service_path(name))

    def test_root_and_service_with_python_dbus(self):
        self.start_daemon(CONFIG)
        client = self.pydbus()
        self.check_root(client)
        self.check_service(client, service_path("alpha"))

    def test_busctl_xml_interface(self):
        self.start_daemon(CONFIG)
        for path, interface, file_name in (
                (ROOT_PATH, MANAGER_IFACE, "org.bgservice1.Manager.xml"),
                (service_path("beta"), SERVICE_IFACE, "org.bgservice1.Service.xml")):
            text = harness.busctl(self.bus, "introspect", "--xml-interface", BUS_NAME,
                                  path).stdout
            self.assertEqual(describe_interface(text, interface),
                             describe_interface(shipped_xml(file_name), interface))

    def test_test_host_objects_match_too(self):
        self.start_host("--service=odd name/1")
        client = self.gdbus()
        self.check_root(client)
        for name in ("many", "failing", "slow", "odd name/1"):
            self.check_service(client, service_path(name))

    def test_gio_parses_what_is_answered(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        text = self.introspect(client, service_path("alpha"))
        node = ifacetest.Gio.DBusNodeInfo.new_for_xml(text)
        service = node.lookup_interface(SERVICE_IFACE)
        self.assertEqual(sorted(m.name for m in service.methods),
                         ["Cancel", "ResetFailed", "Restart", "Start", "Stop", "Wait"])
        self.assertEqual(sorted(p.name for p in service.properties),
                         sorted(ifacetest.SERVICE_PROPERTY_NAMES))
        self.assertEqual([a.signature for a in service.lookup_signal("TaskFailed").args],
                         ["s", "s", "i", "s"])

    def test_the_tree_lists_every_service(self):
        self.start_host("--service=with space", "--service=ünï")
        client = self.gdbus()
        text = self.introspect(client, SERVICE_PREFIX)
        names = ["failing", "many", "slow", "with space", "ünï"]
        self.assertEqual(child_nodes(text), sorted(path_encode(n) for n in names))
        self.assertEqual(child_nodes(self.introspect(client, "/org")), ["bgservice1"])
        tree = harness.busctl(self.bus, "tree", "--list", BUS_NAME).stdout.split()
        self.assertEqual(sorted(p for p in tree if p.startswith(SERVICE_PREFIX + "/")),
                         sorted(service_path(n) for n in names))

    def test_no_interface_of_the_other_kind(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        self.assertIsNone(describe_interface(self.introspect(client, ROOT_PATH), SERVICE_IFACE))
        self.assertIsNone(describe_interface(self.introspect(client, service_path("alpha")),
                                             MANAGER_IFACE))
        self.assertIsNone(describe_interface(self.introspect(client, SERVICE_PREFIX),
                                             SERVICE_IFACE))
        self.assertEqual(interface_names(self.introspect(client, SERVICE_PREFIX)),
                         sorted(STANDARD))


if __name__ == "__main__":
    harness.main()
