# SPDX-License-Identifier: MIT
"""org.bgservice1.Manager at /org/bgservice1, through busctl."""

import harness
from harness import BUS_NAME, MANAGER_IFACE, ROOT_PATH, busctl, busctl_json

CONFIG = """\
[Service alpha]
Type=exec
Exec=sleep 600
Instances=2

[Service beta]
Type=clock
IntervalSec=60
AutoStart=false
"""


class ManagerTest(harness.DBusTestCase):
    def test_list_services_sorted_with_state_and_paths(self):
        self.start_daemon(CONFIG)
        services = busctl_json(self.bus, "call", BUS_NAME, ROOT_PATH, MANAGER_IFACE, "ListServices")[0]
        self.assertEqual(services, [
            ["alpha", True, 2, "/org/bgservice1/service/alpha"],
            ["beta", False, 0, "/org/bgservice1/service/beta"],
        ])

    def test_get_service_unknown_is_no_such_service(self):
        self.start_daemon(CONFIG)
        result = busctl(self.bus, "call", BUS_NAME, ROOT_PATH, MANAGER_IFACE, "GetService", "s",
                        "gamma", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("gamma", result.stderr)

    def test_stop_all_then_start_all(self):
        daemon = self.start_daemon(CONFIG)
        errors = busctl_json(self.bus, "call", BUS_NAME, ROOT_PATH, MANAGER_IFACE, "StopAll", "s", "test")
        self.assertEqual(errors, [[]])
        services = busctl_json(self.bus, "call", BUS_NAME, ROOT_PATH, MANAGER_IFACE, "ListServices")[0]
        self.assertEqual([s[1] for s in services], [False, False])
        busctl(self.bus, "call", BUS_NAME, ROOT_PATH, MANAGER_IFACE, "StartAll")
        services = busctl_json(self.bus, "call", BUS_NAME, ROOT_PATH, MANAGER_IFACE, "ListServices")[0]
        self.assertEqual([s[1] for s in services], [True, True])
        self.assertEqual(daemon.stop(), 0)


if __name__ == "__main__":
    harness.main()
