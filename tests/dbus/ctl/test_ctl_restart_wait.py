# SPDX-License-Identifier: MIT
"""bgservicectl restart and wait against bgserviced: checks 30 to 33 and
35 to 37 of tests/ctl/README-integration.md (those as nobody are in
test_ctl_access.py, those with signals in test_ctl_signals.py, waits for
runs that fail while waited for in test_ctl_supervision.py)."""

import ctltest
import harness
from ctltest import (FAILER_LINES, IDLE, NO_SUCH_SERVICE, OK, RETRIER, RETRIER_LINES,
                     TASKS_FAILED, sorted_lines)


class RestartTest(ctltest.CtlTestCase):
    def test_restart_running_service(self):
        # 30: new tasks, new processes.
        daemon = self.start_standard_daemon()
        before = self.wait_for_task_pids(daemon, ["sleep", "1000"], 3)
        self.assertEqual(len(before), 3)
        self.assertResult(self.ctl("restart", "sleeper"), OK, stdout="", stderr="")
        self.assertEqual(self.services()["sleeper"], (True, 3))
        after = self.wait_for_task_pids(daemon, ["sleep", "1000"], 3)
        self.assertEqual(len(after), 3)
        self.assertEqual(set(before) & set(after), set())
        self.assertEqual(self.state("sleeper"), "running")

    def test_restart_stopped_service(self):
        # 31
        self.start_standard_daemon()
        self.assertResult(self.ctl("restart", IDLE), OK, stdout="", stderr="")
        self.assertEqual(self.services()[IDLE], (True, 1))

    def test_restart_failed_service(self):
        # 32: failer's run had ended: the restart stops nothing, prints
        # nothing, and runs it again; it fails again, as wait tells.
        self.start_standard_daemon()
        self.assertResult(self.ctl("restart", "failer"), OK, stdout="", stderr="")
        result = self.ctl("wait", "failer")
        self.assertResult(result, TASKS_FAILED, stderr="")
        self.assertEqual(sorted_lines(result.stdout), FAILER_LINES, result.describe())
        self.assertEqual(self.state("failer"), "failed")

    def test_restart_restarting_service(self):
        # 32: a run under way that had failures: the restart ends it and
        # prints them (exit 1), then starts the service by hand.
        self.start_standard_daemon(RETRIER)
        self.wait_for_state("retrier", "restarting")
        changed = self.properties("retrier")["StateTimestamp"]
        result = self.ctl("restart", "retrier")
        self.assertResult(result, TASKS_FAILED, stdout="\n".join(RETRIER_LINES) + "\n",
                          stderr="")
        # Its new run fails too: restarting again, an hour away.
        harness.wait_until(lambda: self.properties("retrier")["StateTimestamp"] > changed,
                           "retrier to change state")
        self.wait_for_state("retrier", "restarting")

    def test_restart_message(self):
        # 33
        daemon = self.start_standard_daemon()
        self.assertResult(self.ctl("restart", "--message=upgrade", "clock"), OK,
                          stdout="", stderr="")
        harness.wait_until(lambda: "clock: cancelling 1 tasks: upgrade" in daemon.read_log(),
                           "the daemon to log the message")
        self.assertResult(self.ctl("restart", "sleeper"), OK, stdout="", stderr="")
        harness.wait_until(
            lambda: "sleeper: cancelling 3 tasks: restarted with bgservicectl" in daemon.read_log(),
            "the daemon to log the default message")
        self.assertEqual(self.services()["clock"], (True, 1))

    def test_restart_several_with_an_unknown_one(self):
        # 4 beats 1: every known service restarted, retrier's errors printed.
        self.start_standard_daemon(RETRIER)
        self.wait_for_state("retrier", "restarting")
        result = self.ctl("restart", "clock", "nosuch", "retrier", IDLE)
        self.assertResult(result, NO_SUCH_SERVICE, stderr="bgservicectl: no such service: nosuch\n",
                          stdout="\n".join(RETRIER_LINES) + "\n")
        self.assertEqual(self.services()["clock"], (True, 1))
        self.assertEqual(self.services()[IDLE], (True, 1))


class WaitTest(ctltest.CtlTestCase):
    def setUp(self):
        super().setUp()
        self.start_standard_daemon()

    def test_wait_failed_service_reports_errors_every_time(self):
        # 35: failer failed before the call: Wait answers at once with the
        # errors of its last run, to every caller, as often as asked.
        first = self.ctl("wait", "failer")
        self.assertResult(first, TASKS_FAILED, stderr="")
        self.assertEqual(sorted_lines(first.stdout), FAILER_LINES, first.describe())
        self.assertResult(self.ctl("wait", "failer"), TASKS_FAILED, stdout=first.stdout, stderr="")
        self.assertResult(self.ctl("wait", "failer", "failer"), TASKS_FAILED,
                          stdout=first.stdout * 2, stderr="")

    def test_wait_stopped_service(self):
        # 36
        result = self.ctl("wait", IDLE)
        self.assertResult(result, OK, stdout="", stderr="")

    def test_wait_ends_with_a_stop(self):
        # 37: both clients return once the tasks ended.
        monitor = self.monitor("Wait")
        waiting = self.ctl_background("wait", "sleeper")
        monitor.wait_for_call()
        self.assertTrue(waiting.running())
        self.assertResult(self.ctl("stop", "sleeper"), OK, stdout="", stderr="")
        self.assertResult(waiting.finish(), OK, stdout="", stderr="")
        self.assertEqual(self.services()["sleeper"], (False, 0))

    def test_wait_several(self):
        # Every name handled; 4 beats 1.
        result = self.ctl("wait", "failer", IDLE, "nosuch")
        self.assertResult(result, NO_SUCH_SERVICE, stderr="bgservicectl: no such service: nosuch\n")
        self.assertEqual(sorted_lines(result.stdout), FAILER_LINES, result.describe())

    def test_wait_changes_nothing(self):
        monitor = self.monitor("Wait")
        waiting = self.ctl_background("wait", "clock", "sleeper")
        monitor.wait_for_call()
        monitor.wait_for_call()
        self.assertEqual(self.services()["clock"], (True, 1))
        self.assertEqual(self.services()["sleeper"], (True, 3))
        self.assertResult(self.ctl("stop", "clock"), OK)
        self.assertTrue(waiting.running(), "wait returned while sleeper still ran")
        self.assertResult(self.ctl("stop", "sleeper"), OK)
        self.assertResult(waiting.finish(), OK, stdout="", stderr="")


if __name__ == "__main__":
    harness.main()
