# SPDX-License-Identifier: MIT
"""Signals as clients receive them: PropertiesChanged for IsRunning,
NTasks, State with StateTimestamp, and LastErrors (with the new values,
coalesced per main-loop iteration; LastErrors when a run ends, not when
someone waits), and TaskFailed with the real domain, code and message of
failing exec tasks and of the test host's tasks. Subscribed with GDBus and
python3-dbus, received on a GLib main loop with a deadline."""

import harness
import ifacetest
from harness import ROOT_PATH, MANAGER_IFACE, SERVICE_IFACE
from ifacetest import (EXIT_ERROR_DOMAIN, HOST_FAILURES, PROPERTIES_IFACE, SPAWN_ERROR_DOMAIN,
                       SPAWN_ERROR_FAILED, errors, run_until, service_path)

CONFIG = """\
[Service sleeper]
Type=exec
Exec=sleep 600
Instances=3

[Service exit3]
Type=exec
Exec=sh -c 'exit 3'
AutoStart=false

[Service killed]
Type=exec
Exec=sh -c 'kill -KILL $$'
AutoStart=false

[Service twice]
Type=exec
Exec=sh -c 'sleep 0.3; exit 5'
Instances=2
AutoStart=false
"""

SLEEPER = service_path("sleeper")


class Changes:
    """The PropertiesChanged of one service object, in order, as dicts of
    changed values; also the state they add up to."""

    def __init__(self, client, path):
        self.signals = client.subscribe(PROPERTIES_IFACE, "PropertiesChanged", path)
        # Only what the test does next: what the start-up announced may
        # still be on its way.
        client.round_trip()
        self.signals.clear()

    def changes(self):
        for _, (interface, changed, invalidated) in self.signals:
            assert interface == SERVICE_IFACE, interface
            assert list(invalidated) == [], f"invalidated instead of sent: {invalidated}"
        return [dict(changed) for _, (_, changed, _) in self.signals]

    def values(self, name):
        return [c[name] for c in self.changes() if name in c]

    def last(self, name):
        values = self.values(name)
        return values[-1] if values else None

    def wait_for(self, name, value, what=None):
        run_until(lambda: self.last(name) == value, what or f"PropertiesChanged {name}={value!r}")


class PropertiesChangedTest(ifacetest.IfaceTestCase):
    def check_is_running_and_state(self, client):
        self.start_daemon(CONFIG)
        changes = Changes(client, SLEEPER)
        client.call(SLEEPER, SERVICE_IFACE, "Stop", "s", ("test",))
        changes.wait_for("IsRunning", False)
        changes.wait_for("State", "stopped")
        client.call(SLEEPER, SERVICE_IFACE, "Start")
        changes.wait_for("IsRunning", True)
        changes.wait_for("State", "running")
        # Every value sent is the one a Get gives afterwards.
        names = ("IsRunning", "NTasks", "State", "StateTimestamp")
        self.assertEqual({name: changes.last(name) for name in names},
                         {name: client.get(SLEEPER, SERVICE_IFACE, name) for name in names})
        # StateTimestamp goes with every State, and moves on with it.
        self.assertEqual([("State" in c, "StateTimestamp" in c) for c in changes.changes()
                          if "State" in c or "StateTimestamp" in c],
                         [(True, True)] * len(changes.values("State")))
        stamps = changes.values("StateTimestamp")
        self.assertEqual(stamps, sorted(stamps))
        self.assertGreater(stamps[-1], stamps[0])
        for stamp in stamps:
            self.assert_state_time(stamp)

    def test_is_running_and_state_with_gdbus(self):
        self.check_is_running_and_state(self.gdbus())

    def test_is_running_and_state_with_python_dbus(self):
        self.check_is_running_and_state(self.pydbus())

    def test_n_tasks(self):
        self.start_host("--tasks=5")
        client = self.pydbus()
        many = service_path("many")
        changes = Changes(client, many)
        client.call(many, SERVICE_IFACE, "Stop", "s", ("test",))
        changes.wait_for("NTasks", 0)
        client.call(many, SERVICE_IFACE, "Start")
        changes.wait_for("NTasks", 5)
        self.assertEqual(client.get(many, SERVICE_IFACE, "NTasks"), 5)

    def test_n_tasks_follows_exec_instances_one_by_one(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        changes = Changes(client, service_path("twice"))
        client.call(service_path("twice"), SERVICE_IFACE, "Start")
        changes.wait_for("State", "failed")
        self.assertEqual(changes.last("NTasks"), 0)
        self.assertIn(2, changes.values("NTasks"))

    def test_state_goes_through_stopping(self):
        self.start_host("--slow-ms=800")
        client = self.gdbus()
        slow = service_path("slow")
        changes = Changes(client, slow)
        stopping = client.call_async(slow, SERVICE_IFACE, "Stop", "s", ("test",))
        changes.wait_for("State", "stopping")
        self.assertFalse(stopping.done)
        self.assertEqual(client.get(slow, SERVICE_IFACE, "IsRunning"), True)
        self.assertEqual(stopping.result(), ([],))
        changes.wait_for("State", "stopped")
        # (What the start-up announced may come first, late.)
        states = changes.values("State")
        self.assertEqual(states[states.index("stopping"):], ["stopping", "stopped"])
        self.assertEqual(changes.values("IsRunning")[-1:], [False])

    def test_last_errors_carries_the_error_list(self):
        self.start_host()
        client = self.gdbus()
        failing = service_path("failing")
        changes = Changes(client, failing)
        # A new run: its end announces its failures, with the State.
        client.call(failing, SERVICE_IFACE, "Start")
        changes.wait_for("State", "failed")
        self.assertEqual(errors(changes.last("LastErrors")), HOST_FAILURES)
        # A client that sees the State failed has the run's failures already.
        announced = changes.changes()
        self.assertLessEqual(max(i for i, c in enumerate(announced) if "LastErrors" in c),
                             max(i for i, c in enumerate(announced) if c.get("State") == "failed"))
        # Waits take nothing: no change to announce, and the same list.
        self.assertEqual(errors(client.call(failing, SERVICE_IFACE, "Wait")[0]), HOST_FAILURES)
        self.assertEqual(errors(client.call(failing, SERVICE_IFACE, "Wait")[0]), HOST_FAILURES)
        client.round_trip()
        self.assertEqual(len(changes.values("LastErrors")), 1, changes.changes())

    def test_last_errors_of_an_exec_service(self):
        self.start_daemon(CONFIG)
        client = self.pydbus()
        exit3 = service_path("exit3")
        changes = Changes(client, exit3)
        client.call(exit3, SERVICE_IFACE, "Start")
        changes.wait_for("State", "failed")
        # Sent when the run ended, nobody having waited.
        self.assertEqual(changes.values("LastErrors"), [[("instance-1", EXIT_ERROR_DOMAIN, 3,
                                                          "“sh -c 'exit 3'” exited with status 3")]])
        client.call(exit3, SERVICE_IFACE, "Wait")
        client.round_trip()
        self.assertEqual(len(changes.values("LastErrors")), 1, changes.changes())

    def test_changes_are_coalesced(self):
        tasks = 5000
        self.start_host(f"--tasks={tasks}")
        client = self.gdbus()
        many = service_path("many")
        changes = Changes(client, many)
        self.assertEqual(client.call(many, SERVICE_IFACE, "Stop", "s", ("test",)), ([],))
        changes.wait_for("State", "stopped")
        client.round_trip()
        # 5000 tasks ended: a handful of signals, not thousands.
        self.assertLessEqual(len(changes.changes()), 3, changes.changes())
        self.assertEqual((changes.last("NTasks"), changes.last("IsRunning")), (0, False))
        client.call(many, SERVICE_IFACE, "Start")
        changes.wait_for("NTasks", tasks)
        client.round_trip()
        self.assertLessEqual(len(changes.changes()), 5, changes.changes())

    def test_no_signal_for_a_start_that_changes_nothing(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        changes = Changes(client, SLEEPER)
        # A change of the test's own, seen arriving: nothing else is on
        # its way after it.
        client.call(SLEEPER, SERVICE_IFACE, "Stop", "s", ("test",))
        changes.wait_for("State", "stopped")
        client.call(SLEEPER, SERVICE_IFACE, "Start")
        changes.wait_for("State", "running")
        changes.signals.clear()
        client.call(SLEEPER, SERVICE_IFACE, "Start")
        client.call(SLEEPER, PROPERTIES_IFACE, "GetAll", "s", (SERVICE_IFACE,))
        client.round_trip()
        self.assertEqual(changes.changes(), [])


class TaskFailedTest(ifacetest.IfaceTestCase):
    def failures_of(self, client, path, count):
        failed = client.subscribe(SERVICE_IFACE, "TaskFailed", path)
        client.call(path, SERVICE_IFACE, "Start")
        run_until(lambda: len(failed) >= count, f"{count} TaskFailed from {path}")
        client.call(path, SERVICE_IFACE, "Wait")
        client.round_trip()
        self.assertEqual(len(failed), count, failed)
        return [args for signal_path, args in failed if signal_path == path]

    def test_exit_status(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        self.assertEqual(self.failures_of(client, service_path("exit3"), 1),
                         [("instance-1", EXIT_ERROR_DOMAIN, 3,
                           "“sh -c 'exit 3'” exited with status 3")])

    def test_exit_status_with_python_dbus(self):
        self.start_daemon(CONFIG)
        client = self.pydbus()
        self.assertEqual(sorted(self.failures_of(client, service_path("twice"), 2)),
                         [(f"instance-{n}", EXIT_ERROR_DOMAIN, 5,
                           "“sh -c 'sleep 0.3; exit 5'” exited with status 5") for n in (1, 2)])

    def test_killed_by_a_signal_nobody_sent(self):
        self.start_daemon(CONFIG)
        client = self.gdbus()
        [(task, domain, code, message)] = self.failures_of(client, service_path("killed"), 1)
        self.assertEqual((task, domain, code), ("instance-1", SPAWN_ERROR_DOMAIN,
                                                SPAWN_ERROR_FAILED))
        self.assertIn("signal 9", message)

    def test_test_host_domains_and_codes(self):
        self.start_host()
        client = self.pydbus()
        failing = service_path("failing")
        self.assertEqual(errors(self.failures_of(client, failing, 2)), HOST_FAILURES)

    def test_task_failed_comes_from_the_service_that_failed(self):
        self.start_host("--service=quiet")
        client = self.gdbus()
        # (The start-up's failures are out: start_host() waits for them.)
        client.call(ROOT_PATH, MANAGER_IFACE, "StopAll", "s", ("reset",))
        failed = client.subscribe(SERVICE_IFACE, "TaskFailed")
        client.call(ROOT_PATH, MANAGER_IFACE, "StartAll")
        run_until(lambda: len(failed) >= 2, "two TaskFailed")
        client.call(ROOT_PATH, MANAGER_IFACE, "StopAll", "s", ("end",))
        client.round_trip()
        self.assertEqual(sorted(path for path, _ in failed), [service_path("failing")] * 2)


if __name__ == "__main__":
    harness.main()
