# SPDX-License-Identifier: MIT
"""Callers that leave while their Stop, Wait, Restart or StopAll is
pending (busctl giving up at its --timeout, GDBus and python3-dbus clients
that send the call and close their connection): the service still does
what was asked, its reply goes nowhere, and the daemon stays healthy and
goes on answering everyone else."""

import signal

import harness
import ifacetest
from harness import BUS_NAME, MANAGER_IFACE, ROOT_PATH, SERVICE_IFACE
from ifacetest import run_client, service_path

SLOW = service_path("slow")
MANY = service_path("many")

# Stops in 5 s: the command ignores SIGTERM, SIGKILL ends it; long enough
# that a StopAll sent after two clients left still finds it stopping.
CONFIG = """\
[Service stubborn]
Type=exec
Exec=sh -c 'trap "" TERM; while :; do sleep 0.1; done'
TimeoutStopSec=5

[Service sleeper]
Type=exec
Exec=sleep 600
"""

STUBBORN = service_path("stubborn")


class CallerLeavesTest(ifacetest.IfaceTestCase):
    def leave(self, library, path, interface, method, *args, when="pending"):
        """A client calls, then leaves while the call is pending (or, when
        "at-once", maybe before the service saw the call)."""
        signature = "s" * len(args)
        answer = run_client(self.bus, library, path, interface, method, signature, *args,
                            leave=when)
        self.assertEqual(answer, {"left": True})

    def test_busctl_times_out_during_stop(self):
        self.start_host("--slow-ms=1500")
        result = harness.busctl(self.bus, "--timeout=0.3", "call", BUS_NAME, SLOW, SERVICE_IFACE,
                                "Stop", "s", "busctl leaves", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("timed out", result.stderr.lower())
        client = self.gdbus()
        self.assert_healthy(client)
        self.assertEqual(client.get(SLOW, SERVICE_IFACE, "State"), "stopping")
        self.wait_for_state(client, SLOW, "stopped")
        self.assertEqual(client.call(SLOW, SERVICE_IFACE, "Stop", "s", ("again",)), ([],))

    def test_busctl_times_out_during_wait(self):
        self.start_host("--tasks=3")
        result = harness.busctl(self.bus, "--timeout=0.2", "call", BUS_NAME, MANY, SERVICE_IFACE,
                                "Wait", check=False)
        self.assertNotEqual(result.returncode, 0)
        client = self.gdbus()
        self.assert_healthy(client)
        self.assertEqual(client.call(MANY, SERVICE_IFACE, "Stop", "s", ("now",)), ([],))

    def test_python_dbus_leaves_during_stop(self):
        self.start_host("--slow-ms=1000")
        self.leave("dbus", SLOW, SERVICE_IFACE, "Stop", "python3-dbus leaves")
        client = self.gdbus()
        self.assert_healthy(client)
        self.wait_for_state(client, SLOW, "stopped")
        self.assert_healthy(client)

    def test_gdbus_leaves_during_wait(self):
        self.start_host("--tasks=5")
        self.leave("gdbus", MANY, SERVICE_IFACE, "Wait")
        self.leave("gdbus", MANY, SERVICE_IFACE, "Wait")
        client = self.pydbus()
        self.assert_healthy(client)
        staying = client.call_async(MANY, SERVICE_IFACE, "Wait")
        self.assertEqual(client.call(MANY, SERVICE_IFACE, "Stop", "s", ("now",)), ([],))
        self.assertEqual(staying.result(), ([],))
        self.assert_healthy(client)

    def test_gdbus_leaves_during_restart(self):
        self.start_host("--slow-ms=800")
        client = self.gdbus()
        changes = client.subscribe(ifacetest.PROPERTIES_IFACE, "PropertiesChanged", SLOW)
        # Not what the start-up announced, if that is still on its way.
        client.round_trip()
        changes.clear()
        self.leave("gdbus", SLOW, SERVICE_IFACE, "Restart", "gdbus leaves")

        def states():
            return [args[1]["State"] for _, args in changes if "State" in args[1]]

        # The restart stops, then starts again, with nobody left to hear
        # the reply.
        ifacetest.run_until(lambda: "stopping" in states() and states()[-1] == "running",
                            lambda: f"the restart to finish (states seen: {states()})")
        self.assertEqual(client.get(SLOW, SERVICE_IFACE, "State"), "running")
        self.assert_healthy(client)

    def test_python_dbus_leaves_during_stop_all(self):
        self.start_host("--slow-ms=800", "--tasks=100")
        self.leave("dbus", ROOT_PATH, MANAGER_IFACE, "StopAll", "python3-dbus leaves")
        client = self.gdbus()
        self.assert_healthy(client)
        self.wait_for_state(client, SLOW, "stopped")
        self.assertFalse(any(s[0] for s in self.list_services(client).values()))

    def test_many_callers_leave(self):
        self.start_host("--slow-ms=1000", "--tasks=10")
        for number in range(10):
            library = ("gdbus", "dbus")[number % 2]
            self.leave(library, MANY, SERVICE_IFACE, "Wait")
            self.leave(library, SLOW, SERVICE_IFACE, "Stop", f"caller {number}")
        client = self.gdbus()
        self.assertEqual(client.call(MANY, SERVICE_IFACE, "Stop", "s", ("now",)), ([],))
        self.assertEqual(client.call(SLOW, SERVICE_IFACE, "Stop", "s", ("now",)), ([],))
        self.assert_healthy(client)

    def test_callers_gone_before_their_call_is_seen(self):
        # Whether the service still sees who called (and obeys) or not (and
        # refuses: it cannot tell who the caller was) depends on timing;
        # either way it stays healthy and consistent.
        self.start_host("--slow-ms=300", "--tasks=3")
        for number in range(6):
            library = ("gdbus", "dbus")[number % 2]
            self.leave(library, SLOW, SERVICE_IFACE, "Stop", "gone", when="at-once")
            self.leave(library, ROOT_PATH, MANAGER_IFACE, "StartAll", when="at-once")
            self.leave(library, MANY, SERVICE_IFACE, "Wait", when="at-once")
        client = self.gdbus()
        self.assert_healthy(client)
        for path in (SLOW, MANY):
            properties = client.get_all(path, SERVICE_IFACE)
            self.assertIn((properties["State"], properties["IsRunning"]),
                          [("running", True), ("stopping", True), ("stopped", False)])
        # Only the test host's failing service has failures to report.
        reported = client.call(ROOT_PATH, MANAGER_IFACE, "StopAll", "s", ("end",))[0]
        self.assertLessEqual({service for service, _, _, _ in reported}, {"failing"})
        self.assert_healthy(client)

    def test_on_bgserviced(self):
        daemon = self.start_daemon(CONFIG)
        ifacetest.wait_child_handling(daemon.process.pid, "SigIgn", signal.SIGTERM)
        self.leave("dbus", STUBBORN, SERVICE_IFACE, "Stop", "leaving")
        self.leave("gdbus", service_path("sleeper"), SERVICE_IFACE, "Wait")
        result = harness.busctl(self.bus, "--timeout=0.2", "call", BUS_NAME, ROOT_PATH,
                                MANAGER_IFACE, "StopAll", "s", "busctl leaves", check=False)
        self.assertNotEqual(result.returncode, 0)
        client = self.gdbus()
        self.assert_healthy(client)
        self.wait_for_state(client, STUBBORN, "stopped")
        self.wait_for_state(client, service_path("sleeper"), "stopped")
        harness.wait_until(lambda: ifacetest.children(daemon.process.pid) == [],
                           "the commands to be reaped")
        client.call(ROOT_PATH, MANAGER_IFACE, "StartAll")
        self.assertEqual(client.get(STUBBORN, SERVICE_IFACE, "State"), "running")


if __name__ == "__main__":
    harness.main()
