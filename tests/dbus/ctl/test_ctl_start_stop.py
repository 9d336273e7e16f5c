# SPDX-License-Identifier: MIT
"""bgservicectl start and stop against bgserviced: checks 13 to 15 and
19 to 25 of tests/ctl/README-integration.md (those as nobody are in
test_ctl_access.py)."""

import ctltest
import harness
from ctltest import (IDLE, NO_SUCH_SERVICE, OK, RETRIER, RETRIER_LINES, TASKS_FAILED,
                     status_block)

RETRIER_OUTPUT = "\n".join(RETRIER_LINES) + "\n"

# Two services whose stops take 3 s each: together, 3 s if the stops run
# at once, 6 s one after the other.
PARALLEL_CONFIG = """\
[Service slow-a]
Type=exec
Exec=sh -c "trap 'sleep 3; exit 0' TERM; while :; do sleep 0.2; done"
TimeoutStopSec=30

[Service slow-b]
Type=exec
Exec=sh -c "trap 'sleep 3; exit 0' TERM; while :; do sleep 0.2; done"
TimeoutStopSec=30
"""


class StartTest(ctltest.CtlTestCase):
    def setUp(self):
        super().setUp()
        self.start_standard_daemon()

    def test_start_stopped_service(self):
        # 13
        self.assertEqual(self.services()[IDLE], (False, 0))
        self.assertResult(self.ctl("start", IDLE), OK, stdout="", stderr="")
        self.assertEqual(self.services()[IDLE], (True, 1))
        self.assertIn(f"{IDLE}\trunning\t1\t0\n", self.ctl("list").stdout)

    def test_start_running_service_does_nothing(self):
        # 14
        self.assertResult(self.ctl("start", "clock"), OK, stdout="", stderr="")
        self.assertResult(self.ctl("start", "sleeper"), OK, stdout="", stderr="")
        self.assertEqual(self.services()["clock"], (True, 1))
        self.assertEqual(self.services()["sleeper"], (True, 3))

    def test_start_unknown_and_known(self):
        # 15: the known one starts all the same.
        self.assertResult(self.ctl("start", "nosuch", IDLE), NO_SUCH_SERVICE, stdout="",
                          stderr="bgservicectl: no such service: nosuch\n")
        self.assertEqual(self.services()[IDLE], (True, 1))

    def test_start_several(self):
        self.assertResult(self.ctl("stop", "clock"), OK)
        self.assertResult(self.ctl("start", "clock", IDLE), OK, stdout="", stderr="")
        self.assertEqual(self.services()["clock"], (True, 1))
        self.assertEqual(self.services()[IDLE], (True, 1))


class StopTest(ctltest.CtlTestCase):
    def test_stop_running_service(self):
        # 19, 20
        daemon = self.start_standard_daemon()
        self.wait_for_task_pids(daemon, ["sleep", "1000"], 3)
        self.assertResult(self.ctl("stop", "sleeper"), OK, stdout="", stderr="")
        self.assertEqual(self.services()["sleeper"], (False, 0))
        self.assertEqual(self.task_pids(daemon, ["sleep", "1000"]), [])
        self.assertResult(self.ctl("status", "sleeper"), ctltest.NOT_RUNNING)
        # Not running: nothing to do, nothing printed.
        self.assertResult(self.ctl("stop", "sleeper"), OK, stdout="", stderr="")

    def test_stop_prints_the_errors_of_the_run_it_ended(self):
        # 21: retrier's run failed and waits for its restart; the stop ends
        # that run and prints its failure.
        self.start_standard_daemon(RETRIER)
        self.wait_for_state("retrier", "restarting")
        self.assertResult(self.ctl("stop", "retrier"), TASKS_FAILED, stdout=RETRIER_OUTPUT,
                          stderr="")
        # Stopped by hand: stopped, not failed, and no restart to come.
        self.assertEqual(self.state("retrier"), "stopped")
        self.assertEqual(self.services()["retrier"], (False, 0))
        # The run ended: a second stop has nothing to end, nothing to tell.
        self.assertResult(self.ctl("stop", "retrier"), OK, stdout="", stderr="")

    def test_stop_failed_service_prints_nothing(self):
        # 21: failer's run ended (failed) before the stop: nothing to stop,
        # nothing printed; it stays failed, with its errors.
        self.start_standard_daemon()
        self.assertResult(self.ctl("stop", "failer"), OK, stdout="", stderr="")
        self.assertEqual(self.state("failer"), "failed")
        self.assertEqual(len(self.properties("failer")["LastErrors"]), 2)

    def test_cancelled_tasks_are_not_errors(self):
        # Stopping cancels: clock's task, sleeper's processes killed by
        # SIGTERM, stubborn's killed by SIGKILL after TimeoutStopSec: none
        # of these is an error.
        self.start_standard_daemon()
        result = self.ctl("stop", "clock", "sleeper", "stubborn")
        self.assertResult(result, OK, stdout="", stderr="")
        self.assertGreater(result.elapsed, 1.5, "stubborn ignores SIGTERM for TimeoutStopSec=2")
        services = self.services()
        for name in ("clock", "sleeper", "stubborn"):
            self.assertEqual(services[name], (False, 0), name)
        self.assertStatus(self.ctl("status", "stubborn"), ctltest.NOT_RUNNING,
                          status_block("stubborn", "stopped", 0))

    def test_errors_only_of_the_failed_service(self):
        self.start_standard_daemon(RETRIER)
        self.wait_for_state("retrier", "restarting")
        result = self.ctl("stop", "clock", "retrier", "sleeper", "failer")
        self.assertResult(result, TASKS_FAILED, stdout=RETRIER_OUTPUT, stderr="")
        self.assertEqual(self.services()["clock"], (False, 0))
        self.assertEqual(self.services()["sleeper"], (False, 0))

    def test_message_reaches_the_daemon(self):
        # 22: the daemon logs the reason its tasks are cancelled with.
        daemon = self.start_standard_daemon()
        self.assertResult(self.ctl("stop", "--message=maintenance", "clock"), OK,
                          stdout="", stderr="")
        harness.wait_until(lambda: "clock: cancelling 1 tasks: maintenance" in daemon.read_log(),
                           "the daemon to log the message")
        self.assertResult(self.ctl("stop", "sleeper"), OK, stdout="", stderr="")
        harness.wait_until(
            lambda: "sleeper: cancelling 3 tasks: stopped with bgservicectl" in daemon.read_log(),
            "the daemon to log the default message")
        # After the command too, and spelt -m.
        self.assertResult(self.ctl("stop", IDLE, "lingerer", "-m", "two words"), OK,
                          stdout="", stderr="")
        harness.wait_until(lambda: "lingerer: cancelling 1 tasks: two words" in daemon.read_log(),
                           "the daemon to log the message given with -m")
        self.assertEqual(self.services()["lingerer"], (False, 0))

    def test_stops_run_at_once(self):
        # 24
        self.start_daemon(PARALLEL_CONFIG)
        result = self.ctl("stop", "slow-a", "slow-b")
        self.assertResult(result, OK, stdout="", stderr="")
        self.assertGreater(result.elapsed, 2.8, "each stop takes 3 s")
        self.assertLess(result.elapsed, 5.5, "the two stops ran one after the other")
        self.assertEqual(self.services(), {"slow-a": (False, 0), "slow-b": (False, 0)})

    def test_no_such_service_beats_failed_tasks(self):
        # 25: 4 beats 1; the errors are printed all the same.
        self.start_standard_daemon(RETRIER)
        self.wait_for_state("retrier", "restarting")
        result = self.ctl("stop", "retrier", "nosuch")
        self.assertResult(result, NO_SUCH_SERVICE, stdout=RETRIER_OUTPUT,
                          stderr="bgservicectl: no such service: nosuch\n")


if __name__ == "__main__":
    harness.main()
