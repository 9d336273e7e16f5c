# SPDX-License-Identifier: MIT
"""Error lists, a(ssis), as they travel: the real domain, code and message
of each failed task in Stop, Wait, Restart, StopAll and LastErrors;
cancelled exec tasks never in them, however the command reacts to its
SIGTERM; each failure belongs to the run that had it:
every Wait, Stop and LastErrors shows it as long as that run is the last,
none takes it away, and a new run starts afresh."""

import signal
import time

import harness
import ifacetest
from harness import MANAGER_IFACE, ROOT_PATH, SERVICE_IFACE
from ifacetest import EXIT_ERROR_DOMAIN, HOST_FAILURES, errors, service_path

CONFIG = """\
[Service sleeper]
Type=exec
Exec=sleep 600
Instances=3

[Service exit3]
Type=exec
Exec=sh -c 'exit 3'
AutoStart=false

[Service trapper]
Type=exec
Exec=sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'

[Service stubborn]
Type=exec
Exec=sh -c 'trap "" TERM; while :; do sleep 0.1; done'
TimeoutStopSec=0.5

[Service mixed]
Type=exec
Exec=sh -c 'mkdir {directory}/first 2>/dev/null && exit 4; exec sleep 600'
Instances=2
AutoStart=false

[Service late]
Type=exec
Exec=sh -c 'sleep 1; exit 6'
AutoStart=false

[Service crowd]
Type=exec
Exec=sh -c 'exit 3'
Instances=50
AutoStart=false
"""

EXIT3 = ("instance-1", EXIT_ERROR_DOMAIN, 3, "“sh -c 'exit 3'” exited with status 3")


class CancelledIsNotAnErrorTest(ifacetest.IfaceTestCase):
    def setUp(self):
        super().setUp()
        daemon = self.start_daemon(CONFIG.format(directory=self.directory))
        # The shells of trapper and stubborn have set their traps: a SIGTERM
        # from now on meets them.
        ifacetest.wait_child_handling(daemon.process.pid, "SigCgt", signal.SIGTERM)
        ifacetest.wait_child_handling(daemon.process.pid, "SigIgn", signal.SIGTERM)
        self.client = self.gdbus()
        self.failed = self.client.subscribe(SERVICE_IFACE, "TaskFailed")

    def assert_stops_cleanly(self, name, method="Stop"):
        path = service_path(name)
        self.assertEqual(self.client.call(path, SERVICE_IFACE, method, "s", ("test",)), ([],))
        if method == "Restart":
            self.assertEqual(self.client.call(path, SERVICE_IFACE, "Stop", "s", ("test",)), ([],))
        self.assertEqual(self.client.get_all(path, SERVICE_IFACE)["LastErrors"], [])
        self.assertEqual(self.client.call(path, SERVICE_IFACE, "Wait"), ([],))
        self.client.round_trip()
        self.assertEqual(self.failed, [])

    def test_stop_of_sleep(self):
        self.assert_stops_cleanly("sleeper")

    def test_restart_of_sleep(self):
        self.assert_stops_cleanly("sleeper", "Restart")

    def test_command_exiting_non_zero_on_sigterm(self):
        self.assert_stops_cleanly("trapper")

    def test_command_ignoring_sigterm_until_sigkill(self):
        started = time.monotonic()
        self.assert_stops_cleanly("stubborn")
        self.assertGreaterEqual(time.monotonic() - started, 0.4, "stopped before the SIGKILL")

    def test_cancel_then_wait(self):
        for name in ("sleeper", "trapper", "stubborn"):
            self.client.call(service_path(name), SERVICE_IFACE, "Cancel", "s", ("test",))
        for name in ("sleeper", "trapper", "stubborn"):
            self.assertEqual(self.client.call(service_path(name), SERVICE_IFACE, "Wait"), ([],))
        self.client.round_trip()
        self.assertEqual(self.failed, [])

    def test_stop_all(self):
        self.assertEqual(self.client.call(ROOT_PATH, MANAGER_IFACE, "StopAll", "s", ("test",)),
                         ([],))
        self.client.round_trip()
        self.assertEqual(self.failed, [])

    def test_failed_and_cancelled_tasks_in_one_service(self):
        mixed = service_path("mixed")
        self.client.call(mixed, SERVICE_IFACE, "Start")
        ifacetest.run_until(lambda: self.failed, "the first instance to fail")
        self.assertEqual(self.client.get(mixed, SERVICE_IFACE, "NTasks"), 1)
        [(task, domain, code, message)] = self.client.call(mixed, SERVICE_IFACE, "Stop", "s",
                                                           ("test",))[0]
        self.assertEqual((domain, code), (EXIT_ERROR_DOMAIN, 4))
        self.assertIn(task, ("instance-1", "instance-2"))
        self.assertIn("exited with status 4", message)
        self.assertEqual([args for _, args in self.failed], [(task, domain, code, message)])


class BelongsToTheRunTest(ifacetest.IfaceTestCase):
    def setUp(self):
        super().setUp()
        self.start_daemon(CONFIG.format(directory=self.directory))
        self.client = self.gdbus()
        self.exit3 = service_path("exit3")

    def fail_once(self):
        self.client.call(self.exit3, SERVICE_IFACE, "Start")
        self.wait_for_state(self.client, self.exit3, "failed")

    def call(self, method, *args):
        signature = "s" if args else ""
        return self.client.call(self.exit3, SERVICE_IFACE, method, signature, args)[0]

    def last_errors(self):
        return self.client.get(self.exit3, SERVICE_IFACE, "LastErrors")

    def test_wait_then_wait(self):
        self.fail_once()
        self.assertEqual(self.call("Wait"), [EXIT3])
        self.assertEqual(self.call("Wait"), [EXIT3])
        self.assertEqual(self.last_errors(), [EXIT3])

    def test_stop_then_wait(self):
        self.fail_once()
        # The run had ended: the Stop ended none, and reports none.
        self.assertEqual(self.call("Stop", "test"), [])
        self.assertEqual(self.call("Wait"), [EXIT3])
        self.assertEqual(self.last_errors(), [EXIT3])

    def test_each_run_has_its_own_failures(self):
        self.fail_once()
        self.fail_once()
        # Two runs, one failure each: the last run's, not both.
        self.assertEqual(self.call("Wait"), [EXIT3])
        self.assertEqual(self.last_errors(), [EXIT3])

    def test_restart_of_a_failed_service(self):
        self.fail_once()
        self.assertEqual(self.call("Restart", "test"), [])
        # The restarted command failed again: that run's one failure.
        self.wait_for_state(self.client, self.exit3, "failed")
        self.assertEqual(self.call("Wait"), [EXIT3])
        self.assertEqual(self.call("Wait"), [EXIT3])

    def test_stop_all_ends_no_run_of_a_failed_service(self):
        self.fail_once()
        self.assertEqual(self.client.call(ROOT_PATH, MANAGER_IFACE, "StopAll", "s", ("test",))[0],
                         [])
        self.assertEqual(self.call("Wait"), [EXIT3])
        self.assertEqual(self.last_errors(), [EXIT3])

    def test_last_errors_is_the_last_runs(self):
        self.assertEqual(self.last_errors(), [])
        self.fail_once()
        # Set when the run ended, before anyone waited.
        self.assertEqual(self.last_errors(), [EXIT3])
        self.call("Wait")
        # Reading it, or waiting, takes nothing away.
        self.assertEqual(self.last_errors(), [EXIT3])
        self.assertEqual(self.last_errors(), [EXIT3])
        self.call("Stop", "test")
        self.assertEqual(self.last_errors(), [EXIT3])

    def test_a_clean_run_clears_last_errors(self):
        mixed = service_path("mixed")
        self.client.call(mixed, SERVICE_IFACE, "Start")
        self.wait_for_state(self.client, mixed, "running")
        harness.wait_until(lambda: self.client.get(mixed, SERVICE_IFACE, "NTasks") == 1,
                           "the first instance of mixed to fail")
        [failure] = self.client.call(mixed, SERVICE_IFACE, "Stop", "s", ("test",))[0]
        self.assertEqual(self.client.get(mixed, SERVICE_IFACE, "LastErrors"), [failure])
        # The next run: both instances sleep (the folder exists now) and are
        # stopped, cleanly. That run had no failures.
        self.client.call(mixed, SERVICE_IFACE, "Start")
        self.assertEqual(self.client.call(mixed, SERVICE_IFACE, "Stop", "s", ("test",)), ([],))
        self.assertEqual(self.client.get(mixed, SERVICE_IFACE, "LastErrors"), [])
        self.assertEqual(self.client.call(mixed, SERVICE_IFACE, "Wait"), ([],))
        self.assertEqual(self.client.get(mixed, SERVICE_IFACE, "State"), "stopped")

    def test_every_pending_wait_gets_the_same_failures(self):
        late = service_path("late")
        self.client.call(late, SERVICE_IFACE, "Start")
        waits = [self.client.call_async(late, SERVICE_IFACE, "Wait") for _ in range(3)]
        error = ("instance-1", EXIT_ERROR_DOMAIN, 6,
                 "“sh -c 'sleep 1; exit 6'” exited with status 6")
        self.assertEqual([w.result() for w in waits], [([error],)] * 3)
        self.assertEqual(self.client.call(late, SERVICE_IFACE, "Wait"), ([error],))
        self.assertEqual(self.client.get(late, SERVICE_IFACE, "LastErrors"), [error])


class ManyAtOnceTest(ifacetest.IfaceTestCase):
    def test_fifty_instances_failing_at_once(self):
        # Commands that end as soon as they start, many at a time: each
        # may be gone before the daemon has looked at its process.
        self.start_daemon(CONFIG.format(directory=self.directory))
        client = self.gdbus()
        crowd = service_path("crowd")
        failed = client.subscribe(SERVICE_IFACE, "TaskFailed", crowd)
        expected = sorted((f"instance-{n}", EXIT_ERROR_DOMAIN, 3, EXIT3[3]) for n in range(1, 51))
        for _ in range(3):
            client.call(crowd, SERVICE_IFACE, "Start")
            self.assertEqual(errors(client.call(crowd, SERVICE_IFACE, "Wait")[0]), expected)
            # Each run's 50, however often asked; the next run starts afresh.
            self.assertEqual(errors(client.call(crowd, SERVICE_IFACE, "Wait")[0]), expected)
            self.assertEqual(errors(client.get(crowd, SERVICE_IFACE, "LastErrors")), expected)
        client.round_trip()
        self.assertEqual(errors(args for _, args in failed), sorted(expected * 3))
        self.assert_healthy(client)


class TestHostErrorsTest(ifacetest.IfaceTestCase):
    def test_every_method_keeps_domain_code_and_message(self):
        self.start_host()
        client = self.pydbus()
        failing = service_path("failing")
        self.assertEqual(errors(client.call(failing, SERVICE_IFACE, "Wait")[0]), HOST_FAILURES)
        self.assertEqual(errors(client.get(failing, SERVICE_IFACE, "LastErrors")), HOST_FAILURES)
        client.call(failing, SERVICE_IFACE, "Start")
        self.assertEqual(errors(client.call(failing, SERVICE_IFACE, "Wait")[0]), HOST_FAILURES)
        self.assertEqual(errors(client.call(failing, SERVICE_IFACE, "Wait")[0]), HOST_FAILURES)
        self.assertEqual(errors(client.get(failing, SERVICE_IFACE, "LastErrors")), HOST_FAILURES)

    def test_stop_and_restart_keep_domain_code_and_message(self):
        # "failing" waits to restart after its start-up's failures: a run
        # under way for Stop and Restart to end.
        self.start_host("--failing-restart-ms=600000")
        client = self.pydbus()
        failing = service_path("failing")
        self.assertEqual(errors(client.call(failing, SERVICE_IFACE, "Restart", "s", ("t",))[0]),
                         HOST_FAILURES)
        # The restart's start failed again: a new run, restarting in turn.
        self.wait_for_state(client, failing, "restarting")
        self.assertEqual(errors(client.call(failing, SERVICE_IFACE, "Stop", "s", ("t",))[0]),
                         HOST_FAILURES)
        self.assertEqual(errors(client.get(failing, SERVICE_IFACE, "LastErrors")), HOST_FAILURES)
        self.assertEqual(errors(client.call(failing, SERVICE_IFACE, "Wait")[0]), HOST_FAILURES)
        self.assertEqual(client.get(failing, SERVICE_IFACE, "State"), "stopped")


if __name__ == "__main__":
    harness.main()
