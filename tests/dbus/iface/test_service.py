# SPDX-License-Identifier: MIT
"""org.bgservice1.Service: Start, Stop, Cancel, Wait, Restart and
ResetFailed, and the properties Name, IsRunning, NTasks, LastErrors, State,
StateTimestamp, NRestarts and Restart read with Get and GetAll, on
bgserviced's exec and clock services and on the test host. Results belong
to the run: Wait, LastErrors and a later Wait all show the
failures of the last run, and none of them takes them away."""

import json

import harness
import ifacetest
from harness import BUS_NAME, ROOT_PATH, SERVICE_IFACE, busctl_json
from ifacetest import (EXIT_ERROR_DOMAIN, HOST_FAILURES, SERVICE_PROPERTY_NAMES, errors,
                       service_path, service_properties)

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
AutoStart=false
"""

SLEEPER = service_path("sleeper")
CLOCK = service_path("clock")
FAILER = service_path("failer")
FAILER_ERROR = ("instance-1", EXIT_ERROR_DOMAIN, 3, "“sh -c 'exit 3'” exited with status 3")


class PropertiesTest(ifacetest.IfaceTestCase):
    def test_get_and_get_all_agree_on_a_running_service(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        every = client.get_all(SLEEPER, SERVICE_IFACE)
        self.assertEqual(sorted(every), sorted(SERVICE_PROPERTY_NAMES))
        self.assert_properties(every, service_properties("sleeper", True, 2, "running"))
        self.assertEqual({name: client.get(SLEEPER, SERVICE_IFACE, name)
                          for name in SERVICE_PROPERTY_NAMES}, every)

    def test_get_and_get_all_on_a_stopped_service(self):
        self.start_daemon(CONFIG)
        client = self.pydbus()
        every = client.get_all(CLOCK, SERVICE_IFACE)
        # Never started: its State never changed, and StateTimestamp says so.
        self.assert_properties(every, service_properties("clock", False, 0, "stopped"),
                               changed=False)
        self.assertEqual({name: client.get(CLOCK, SERVICE_IFACE, name)
                          for name in SERVICE_PROPERTY_NAMES}, every)

    def test_types_on_the_wire(self):
        self.start_daemon(CONFIG)
        typed = {}
        for name in SERVICE_PROPERTY_NAMES:
            result = harness.busctl(self.bus, "--json=short", "get-property", BUS_NAME, SLEEPER,
                                    SERVICE_IFACE, name)
            value = json.loads(result.stdout)
            typed[name] = (value["type"], value["data"])
        stamp = typed.pop("StateTimestamp")
        self.assertEqual(stamp[0], "t")
        self.assert_state_time(stamp[1])
        self.assertEqual(typed, {"Name": ("s", "sleeper"), "IsRunning": ("b", True),
                                 "NTasks": ("u", 2), "LastErrors": ("a(ssis)", []),
                                 "State": ("s", "running"), "NRestarts": ("u", 0),
                                 "Restart": ("s", "no")})

    def test_many_tasks_on_the_test_host(self):
        self.start_host("--tasks=1000")
        client = self.gdbus()
        self.assert_properties(client.get_all(service_path("many"), SERVICE_IFACE),
                               service_properties("many", True, 1000, "running"))


class MethodsTest(ifacetest.IfaceTestCase):
    def test_start_starts_a_stopped_service_and_then_does_nothing(self):
        daemon = self.start_daemon(CONFIG)
        client = self.gdbus()
        self.assertEqual(client.call(CLOCK, SERVICE_IFACE, "Start"), ())
        self.assertEqual((client.get(CLOCK, SERVICE_IFACE, "IsRunning"),
                          client.get(CLOCK, SERVICE_IFACE, "NTasks"),
                          client.get(CLOCK, SERVICE_IFACE, "State")), (True, 1, "running"))
        sleepers = ifacetest.wait_children(daemon.process.pid, 2)
        client.call(SLEEPER, SERVICE_IFACE, "Start")
        client.call(CLOCK, SERVICE_IFACE, "Start")
        self.assertEqual(client.get(CLOCK, SERVICE_IFACE, "NTasks"), 1)
        self.assertEqual(client.get(SLEEPER, SERVICE_IFACE, "NTasks"), 2)
        self.assertEqual(ifacetest.children(daemon.process.pid), sleepers)

    def test_stop_ends_every_task_and_twice_is_fine(self):
        daemon = self.start_daemon(CONFIG)
        client = self.gdbus()
        ifacetest.wait_children(daemon.process.pid, 2)
        self.assertEqual(client.call(SLEEPER, SERVICE_IFACE, "Stop", "s", ("test",)), ([],))
        # Stop replies once the tasks have ended: nothing to poll for.
        self.assert_properties(client.get_all(SLEEPER, SERVICE_IFACE),
                               service_properties("sleeper", False, 0, "stopped"))
        harness.wait_until(lambda: ifacetest.children(daemon.process.pid) == [],
                           "the sleep processes to be reaped")
        self.assertEqual(client.call(SLEEPER, SERVICE_IFACE, "Stop", "s", ("again",)), ([],))

    def test_cancel_replies_at_once_and_the_tasks_end(self):
        self.start_host("--slow-ms=1500")
        client = self.gdbus()
        slow = service_path("slow")
        self.assertEqual(client.call(slow, SERVICE_IFACE, "Cancel", "s", ("test",)), ())
        # The task ends 1.5 s after its cancellation; Cancel did not wait.
        self.assertEqual(client.get(slow, SERVICE_IFACE, "State"), "stopping")
        self.assertTrue(client.get(slow, SERVICE_IFACE, "IsRunning"))
        self.wait_for_state(client, slow, "stopped")
        self.assertEqual(client.call(slow, SERVICE_IFACE, "Wait"), ([],))

    def test_cancel_of_a_stopped_service_does_nothing(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        self.assertEqual(client.call(CLOCK, SERVICE_IFACE, "Cancel", "s", ("test",)), ())
        self.assertEqual(client.get(CLOCK, SERVICE_IFACE, "State"), "stopped")
        client.call(CLOCK, SERVICE_IFACE, "Start")
        self.assertEqual(client.get(CLOCK, SERVICE_IFACE, "State"), "running")

    def test_wait_replies_when_no_task_remains(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        waiting = client.call_async(SLEEPER, SERVICE_IFACE, "Wait")
        client.round_trip()
        self.assertFalse(waiting.done, "Wait replied while tasks ran")
        self.assertEqual(client.get(SLEEPER, SERVICE_IFACE, "NTasks"), 2)
        client.call(SLEEPER, SERVICE_IFACE, "Cancel", "s", ("test",))
        self.assertEqual(waiting.result(), ([],))
        self.assertEqual(client.get(SLEEPER, SERVICE_IFACE, "State"), "stopped")

    def test_wait_on_a_stopped_service_replies_at_once(self):
        self.start_daemon(CONFIG)
        self.assertEqual(self.pydbus().call(CLOCK, SERVICE_IFACE, "Wait"), ([],))

    def test_wait_returns_the_runs_failures_and_consumes_nothing(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        client.call(FAILER, SERVICE_IFACE, "Start")
        self.assertEqual(client.call(FAILER, SERVICE_IFACE, "Wait"), ([FAILER_ERROR],))
        self.assertEqual(client.get(FAILER, SERVICE_IFACE, "LastErrors"), [FAILER_ERROR])
        # The run is over: a later Wait replies at once with the same list,
        # and LastErrors keeps it.
        self.assertEqual(client.call(FAILER, SERVICE_IFACE, "Wait"), ([FAILER_ERROR],))
        self.assertEqual(self.pydbus().call(FAILER, SERVICE_IFACE, "Wait"), ([FAILER_ERROR],))
        self.assertEqual(client.get(FAILER, SERVICE_IFACE, "LastErrors"), [FAILER_ERROR])
        self.assertEqual(client.get(FAILER, SERVICE_IFACE, "State"), "failed")

    def test_stop_of_a_failed_service_ends_no_run_and_keeps_its_failures(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        client.call(FAILER, SERVICE_IFACE, "Start")
        self.wait_for_state(client, FAILER, "failed")
        # The run ended on its own before: Stop ended none, so it has
        # nothing to report, and takes nothing from LastErrors or Wait.
        self.assertEqual(client.call(FAILER, SERVICE_IFACE, "Stop", "s", ("test",)), ([],))
        self.assertEqual(client.call(FAILER, SERVICE_IFACE, "Stop", "s", ("again",)), ([],))
        self.assertEqual(client.get(FAILER, SERVICE_IFACE, "LastErrors"), [FAILER_ERROR])
        self.assertEqual(client.call(FAILER, SERVICE_IFACE, "Wait"), ([FAILER_ERROR],))
        self.assertEqual(client.get(FAILER, SERVICE_IFACE, "State"), "failed")

    def test_a_failed_service_starts_again(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        client.call(FAILER, SERVICE_IFACE, "Start")
        self.wait_for_state(client, FAILER, "failed")
        first = client.get(FAILER, SERVICE_IFACE, "StateTimestamp")
        self.assert_state_time(first)
        # A new run, which fails the same way: its own failure, not two.
        client.call(FAILER, SERVICE_IFACE, "Start")
        self.assertEqual(client.call(FAILER, SERVICE_IFACE, "Wait"), ([FAILER_ERROR],))
        self.assertEqual(client.get(FAILER, SERVICE_IFACE, "LastErrors"), [FAILER_ERROR])
        self.assertEqual(client.get(FAILER, SERVICE_IFACE, "State"), "failed")
        self.assertGreater(client.get(FAILER, SERVICE_IFACE, "StateTimestamp"), first)

    def test_restart_stops_then_starts_new_tasks(self):
        daemon = self.start_daemon(CONFIG)
        client = self.gdbus()
        before = ifacetest.wait_children(daemon.process.pid, 2)
        self.assertEqual(client.call(SLEEPER, SERVICE_IFACE, "Restart", "s", ("test",)), ([],))
        self.assertEqual((client.get(SLEEPER, SERVICE_IFACE, "State"),
                          client.get(SLEEPER, SERVICE_IFACE, "NTasks")), ("running", 2))
        after = ifacetest.children(daemon.process.pid)
        self.assertEqual(len(after), 2)
        self.assertFalse(set(before) & set(after), "the old processes still run")

    def test_restart_of_a_stopped_service_starts_it(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        self.assertEqual(client.call(CLOCK, SERVICE_IFACE, "Restart", "s", ("test",)), ([],))
        self.assertEqual(client.get(CLOCK, SERVICE_IFACE, "State"), "running")

    def test_restart_returns_the_stops_errors(self):
        self.start_host()
        client = self.gdbus()
        failing = service_path("failing")
        # The start-up's run had ended (failed): the Restart ended no run
        # and reports nothing. Its start's run fails again; Wait reports
        # that run's failures, as often as asked.
        self.assertEqual(client.call(failing, SERVICE_IFACE, "Restart", "s", ("t",)), ([],))
        self.assertEqual(errors(client.call(failing, SERVICE_IFACE, "Wait")[0]), HOST_FAILURES)
        self.assertEqual(errors(client.call(failing, SERVICE_IFACE, "Wait")[0]), HOST_FAILURES)
        self.assertEqual(client.get(failing, SERVICE_IFACE, "State"), "failed")

    def test_methods_with_busctl(self):
        self.start_daemon(CONFIG)

        def call(path, method, *args):
            return busctl_json(self.bus, "call", BUS_NAME, path, SERVICE_IFACE, method, *args)

        self.assertEqual(call(SLEEPER, "Stop", "s", "busctl"), [[]])
        self.assertEqual(harness.get_property(self.bus, SLEEPER, "State"), "stopped")
        harness.busctl(self.bus, "call", BUS_NAME, SLEEPER, SERVICE_IFACE, "Start")
        self.assertEqual(harness.get_property(self.bus, SLEEPER, "NTasks"), 2)
        self.assertEqual(call(SLEEPER, "Restart", "s", "busctl"), [[]])
        harness.busctl(self.bus, "call", BUS_NAME, SLEEPER, SERVICE_IFACE, "Cancel", "s", "x")
        self.assertEqual(call(SLEEPER, "Wait"), [[]])
        harness.busctl(self.bus, "call", BUS_NAME, FAILER, SERVICE_IFACE, "Start")
        self.assertEqual(call(FAILER, "Wait"), [[list(FAILER_ERROR)]])
        self.assertEqual(harness.get_property(self.bus, FAILER, "LastErrors"),
                         [list(FAILER_ERROR)])

    def test_every_object_answers_peer(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        machine = client.call(ROOT_PATH, ifacetest.PEER_IFACE, "GetMachineId")[0]
        self.assertRegex(machine, "^[0-9a-f]{32}$")
        for path in (ROOT_PATH, SLEEPER, CLOCK, FAILER):
            self.assertEqual(client.call(path, ifacetest.PEER_IFACE, "Ping"), ())
            self.assertEqual(client.call(path, ifacetest.PEER_IFACE, "GetMachineId"), (machine,))


if __name__ == "__main__":
    harness.main()
