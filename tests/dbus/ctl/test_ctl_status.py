# SPDX-License-Identifier: MIT
"""bgservicectl status against bgserviced: checks 6 to 12 of
tests/ctl/README-integration.md, and the precedence of exit statuses
with several names. The since-times are masked (ctltest.mask_since());
test_ctl_supervision.py checks their values."""

import ctltest
import harness
from ctltest import (FAILER_ERROR, FAILURE, IDLE, NO_SUCH_SERVICE, NOT_RUNNING, OK, TASKS_FAILED,
                     mask_since, status_block)

CLOCK_BLOCK = status_block("clock", "running", 1)
# Never started: its state never changed, no since-time.
IDLE_BLOCK = status_block(IDLE, "stopped", 0, since=False)
SLEEPER_BLOCK = status_block("sleeper", "running", 3)


class StatusTest(ctltest.CtlTestCase):
    def setUp(self):
        super().setUp()
        self.start_standard_daemon()

    def test_running(self):
        # 6
        self.assertStatus(self.ctl("status", "clock"), OK, CLOCK_BLOCK)
        self.assertStatus(self.ctl("status", "sleeper"), OK, SLEEPER_BLOCK)

    def test_not_running(self):
        # 7
        self.assertResult(self.ctl("status", IDLE), NOT_RUNNING, stdout=IDLE_BLOCK, stderr="")

    def test_stopped_by_a_stop(self):
        self.assertResult(self.ctl("stop", "sleeper"), OK, stdout="", stderr="")
        self.assertStatus(self.ctl("status", "sleeper"), NOT_RUNNING,
                          status_block("sleeper", "stopped", 0))

    def test_last_errors_of_a_failed_exec_service(self):
        # 8: the errors of the last run, with their domain and code, whether
        # or not anyone waited.
        result = self.ctl("status", "failer")
        self.assertResult(result, NOT_RUNNING, stderr="")
        lines = mask_since(result.stdout).splitlines()
        self.assertEqual(lines[:5], ["failer", "  state: failed" + ctltest.SINCE,
                                     "  restarts: 0 (Restart=no)", "  tasks: 0", "  last errors:"],
                         result.describe())
        self.assertEqual(sorted(lines[5:]),
                         [f"    instance-{i}: {FAILER_ERROR}" for i in (1, 2)], result.describe())
        self.assertTrue(result.stdout.endswith("\n"))
        # Reading changes nothing: the same again, and after a wait.
        self.assertResult(self.ctl("wait", "failer"), TASKS_FAILED, stderr="")
        again = self.ctl("status", "failer")
        self.assertStatus(again, NOT_RUNNING, mask_since(result.stdout))

    def test_waits_consume_nothing(self):
        # The errors belong to the run: a second wait reports them again,
        # and status still shows them.
        first = self.ctl("wait", "failer")
        self.assertResult(first, TASKS_FAILED, stderr="")
        self.assertResult(self.ctl("wait", "failer"), TASKS_FAILED, stdout=first.stdout, stderr="")
        result = self.ctl("status", "failer")
        self.assertResult(result, NOT_RUNNING, stderr="")
        self.assertIn("  last errors:\n    instance-", result.stdout)

    def test_unknown_service(self):
        # 9
        result = self.ctl("status", "clock", "nosuch")
        self.assertResult(result, NO_SUCH_SERVICE, stderr="bgservicectl: no such service: nosuch\n")
        self.assertEqual(mask_since(result.stdout), CLOCK_BLOCK, result.describe())
        self.assertResult(self.ctl("status", "nosuch"), NO_SUCH_SERVICE,
                          stdout="", stderr="bgservicectl: no such service: nosuch\n")

    def test_names_are_exact(self):
        # No prefix, case or trimming: "Clock", "cloc" and " clock" name nothing.
        result = self.ctl("status", "Clock", "cloc", " clock")
        self.assertResult(result, NO_SUCH_SERVICE, stdout="", stderr=(
            "bgservicectl: no such service: Clock\n"
            "bgservicectl: no such service: cloc\n"
            "bgservicectl: no such service:  clock\n"))

    def test_several_blocks_in_the_order_given(self):
        # 10: 3 beats 0.
        self.assertStatus(self.ctl("status", "clock", IDLE), NOT_RUNNING,
                          CLOCK_BLOCK + "\n" + IDLE_BLOCK)
        self.assertStatus(self.ctl("status", IDLE, "clock"), NOT_RUNNING,
                          IDLE_BLOCK + "\n" + CLOCK_BLOCK)
        self.assertStatus(self.ctl("status", "clock", "sleeper"), OK,
                          CLOCK_BLOCK + "\n" + SLEEPER_BLOCK)

    def test_no_such_service_beats_not_running(self):
        # 11: 4 beats 3, whatever the order.
        for names in (("nosuch", IDLE), (IDLE, "nosuch")):
            with self.subTest(names=names):
                self.assertResult(self.ctl("status", *names), NO_SUCH_SERVICE, stdout=IDLE_BLOCK,
                                  stderr="bgservicectl: no such service: nosuch\n")

    def test_stopping_is_still_running(self):
        # 12: a service whose stop has not ended still runs (exit 0).
        stop = self.ctl_background("stop", "lingerer")
        self.wait_for_state("lingerer", "stopping")
        self.assertStatus(self.ctl("status", "lingerer"), OK,
                          status_block("lingerer", "stopping", 1))
        # With a stopped one: 3 beats 0.
        self.assertResult(self.ctl("status", "lingerer", IDLE), NOT_RUNNING, stderr="")
        self.assertResult(stop.finish(), OK, stdout="", stderr="")
        self.assertStatus(self.ctl("status", "lingerer"), NOT_RUNNING,
                          status_block("lingerer", "stopped", 0))

    def test_status_needs_a_name(self):
        result = self.ctl("status")
        self.assertResult(result, FAILURE, stdout="")
        self.assertIn("status needs the NAME of at least one service", result.stderr)


if __name__ == "__main__":
    harness.main()
