# SPDX-License-Identifier: MIT
"""org.bgservice1.Manager at /org/bgservice1: ListServices, GetService,
StartAll, StopAll and Version, on bgserviced and on the test host, read
with busctl and GDBus. StopAll reports the failures of the runs it ended,
by service; a run that had ended before (a failed service) is not its to
report, and keeps its failures in LastErrors."""

import subprocess

import harness
import ifacetest
from harness import BUS_NAME, MANAGER_IFACE, ROOT_PATH, SERVICE_IFACE, busctl, busctl_json
from ifacetest import EXIT_ERROR_DOMAIN, HOST_FAILURES, errors

CONFIG = """\
[Service sleeper]
Type=exec
Exec=sleep 600
Instances=2

[Service clock]
Type=clock
IntervalSec=60
AutoStart=false

[Service failer]
Type=exec
Exec=sh -c 'exit 3'
"""

FAILER_MESSAGE = "“sh -c 'exit 3'” exited with status 3"
FAILER_ERROR = ("instance-1", EXIT_ERROR_DOMAIN, 3, FAILER_MESSAGE)

# The failer restarts after its failure, but not before the test is over:
# its run goes on, in the restart delay, holding the failure.
RESTARTING_FAILER = CONFIG + "Restart=on-failure\nRestartSec=10min\n"


class ManagerTest(ifacetest.IfaceTestCase):
    def wait_failer_done(self, client, state="failed"):
        self.wait_for_state(client, ifacetest.service_path("failer"), state)

    def test_list_services_by_name_with_state_tasks_and_path(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        self.wait_failer_done(client)
        services = busctl_json(self.bus, "call", BUS_NAME, ROOT_PATH, MANAGER_IFACE,
                               "ListServices")[0]
        self.assertEqual(services, [
            ["clock", False, 0, "/org/bgservice1/service/clock"],
            ["failer", False, 0, "/org/bgservice1/service/failer"],
            ["sleeper", True, 2, "/org/bgservice1/service/sleeper"],
        ])
        self.assertEqual(client.call(ROOT_PATH, MANAGER_IFACE, "ListServices"),
                         ([tuple(s) for s in services],))

    def test_list_services_agrees_with_each_service(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        self.wait_failer_done(client)
        for name, (running, n_tasks, path) in self.list_services(client).items():
            properties = client.get_all(path, SERVICE_IFACE)
            self.assertEqual((properties["Name"], properties["IsRunning"], properties["NTasks"]),
                             (name, running, n_tasks))

    def test_get_service_gives_the_path_of_list_services(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        for name, (_, _, path) in self.list_services(client).items():
            self.assertEqual(client.call(ROOT_PATH, MANAGER_IFACE, "GetService", "s", (name,)),
                             (path,))
            self.assertEqual(harness.service_path(self.bus, name), path)
            self.assertEqual(client.get(path, SERVICE_IFACE, "Name"), name)

    def test_get_service_of_an_unknown_name_is_no_such_service(self):
        self.start_daemon(CONFIG)
        name, message = self.gdbus().call_error(ROOT_PATH, MANAGER_IFACE, "GetService", "s",
                                                ("nosuch",))
        self.assertEqual(name, ifacetest.NO_SUCH_SERVICE)
        self.assertIn("nosuch", message)
        result = busctl(self.bus, "call", BUS_NAME, ROOT_PATH, MANAGER_IFACE, "GetService", "s",
                        "nosuch", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("nosuch", result.stderr)

    def test_version_is_the_daemons_version(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        printed = subprocess.run([harness.program("BGSERVICED"), "--version"],
                                 capture_output=True, text=True, check=True).stdout.split()
        version = client.get(ROOT_PATH, MANAGER_IFACE, "Version")
        self.assertEqual(printed, ["bgserviced", version])
        self.assertEqual(client.get_all(ROOT_PATH, MANAGER_IFACE),
                         {"Version": version, "LostReplies": 0})
        self.assertEqual(harness.get_property(self.bus, ROOT_PATH, "Version", MANAGER_IFACE),
                         version)

    def test_version_on_the_test_host_is_the_librarys(self):
        self.start_host()
        version = self.gdbus().get(ROOT_PATH, MANAGER_IFACE, "Version")
        printed = subprocess.run([harness.program("BGSERVICED"), "--version"],
                                 capture_output=True, text=True, check=True).stdout.split()
        self.assertEqual(version, printed[1])

    def test_start_all_starts_what_does_not_run(self):
        daemon = self.start_daemon(CONFIG.replace("Exec=sh -c 'exit 3'", "Exec=sleep 600"))
        client = self.gdbus()
        before = ifacetest.wait_children(daemon.process.pid, 3)
        self.assertEqual(client.call(ROOT_PATH, MANAGER_IFACE, "StartAll"), ())
        services = self.list_services(client)
        self.assertEqual({name: s[:2] for name, s in services.items()},
                         {"clock": (True, 1), "failer": (True, 1), "sleeper": (True, 2)})
        # What already ran was left alone.
        self.assertEqual(ifacetest.children(daemon.process.pid), before)

    def test_stop_all_stops_everything_and_reports_failures_by_service(self):
        self.start_daemon(RESTARTING_FAILER)
        client = self.gdbus()
        failer = ifacetest.service_path("failer")
        self.wait_failer_done(client, "restarting")
        reply = busctl_json(self.bus, "call", BUS_NAME, ROOT_PATH, MANAGER_IFACE, "StopAll", "s",
                            "test over")
        self.assertEqual(reply, [[["failer", EXIT_ERROR_DOMAIN, 3,
                                   f"instance-1: {FAILER_MESSAGE}"]]])
        self.assertEqual({name: s[:2] for name, s in self.list_services(client).items()},
                         {"clock": (False, 0), "failer": (False, 0), "sleeper": (False, 0)})
        # A stopped run ends stopped; the member's own last errors are the
        # stop's, task by task.
        self.assertEqual(client.get(failer, SERVICE_IFACE, "State"), "stopped")
        self.assertEqual(client.get(failer, SERVICE_IFACE, "LastErrors"), [FAILER_ERROR])
        # A second StopAll ends no run, so reports nothing, and takes
        # nothing away.
        self.assertEqual(client.call(ROOT_PATH, MANAGER_IFACE, "StopAll", "s", ("again",)), ([],))
        self.assertEqual(client.get(failer, SERVICE_IFACE, "LastErrors"), [FAILER_ERROR])
        self.assertEqual(client.call(failer, SERVICE_IFACE, "Wait"), ([FAILER_ERROR],))

    def test_stop_all_leaves_a_failed_service_failed(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        failer = ifacetest.service_path("failer")
        self.wait_failer_done(client)
        # The failer's run had ended on its own: not one StopAll ended.
        self.assertEqual(client.call(ROOT_PATH, MANAGER_IFACE, "StopAll", "s", ("test",)), ([],))
        self.assertEqual(client.get(failer, SERVICE_IFACE, "State"), "failed")
        self.assertEqual(client.get(failer, SERVICE_IFACE, "LastErrors"), [FAILER_ERROR])
        self.assertFalse(any(s[0] for s in self.list_services(client).values()))

    def test_stop_all_then_start_all_then_stop_all(self):
        self.start_daemon(CONFIG.replace("Exec=sh -c 'exit 3'", "Exec=sleep 600"))
        client = self.pydbus()
        self.assertEqual(client.call(ROOT_PATH, MANAGER_IFACE, "StopAll", "s", ("one",)), ([],))
        client.call(ROOT_PATH, MANAGER_IFACE, "StartAll")
        self.assertTrue(all(s[0] for s in self.list_services().values()))
        self.assertEqual(client.call(ROOT_PATH, MANAGER_IFACE, "StopAll", "s", ("two",)), ([],))
        self.assertFalse(any(s[0] for s in self.list_services().values()))

    def test_stop_all_on_the_test_host_keeps_domains_and_codes(self):
        # "failing" failed at start-up and waits to restart: its run, with
        # the failures, is under way when StopAll ends it.
        self.start_host("--tasks=3", "--failing-restart-ms=600000")
        client = self.gdbus()
        failing = ifacetest.service_path("failing")
        reply = client.call(ROOT_PATH, MANAGER_IFACE, "StopAll", "s", ("test over",))[0]
        self.assertEqual(errors(reply), sorted(
            ("failing", domain, code, f"{task}: {message}")
            for task, domain, code, message in HOST_FAILURES))
        # The cancelled tasks of "many" and "slow" are not in it.
        self.assertNotIn((ifacetest.IO_ERROR_DOMAIN, ifacetest.IO_ERROR_CANCELLED),
                         [(domain, code) for _, domain, code, _ in reply])
        self.assertEqual(client.call(ROOT_PATH, MANAGER_IFACE, "StopAll", "s", ("again",)), ([],))
        self.assertEqual(errors(client.get(failing, SERVICE_IFACE, "LastErrors")), HOST_FAILURES)
        self.assertEqual(client.get(failing, SERVICE_IFACE, "State"), "stopped")


if __name__ == "__main__":
    harness.main()
