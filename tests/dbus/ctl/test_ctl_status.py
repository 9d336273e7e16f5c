"""bgservicectl status against bgserviced: checks 6 to 12 of
tests/ctl/README-integration.md, and the precedence of exit statuses
with several names."""

import ctltest
import harness
from ctltest import FAILER_ERROR, FAILURE, IDLE, NO_SUCH_SERVICE, NOT_RUNNING, OK, TASKS_FAILED

CLOCK_BLOCK = "clock\n  state: running\n  tasks: 1\n  last errors: none\n"
IDLE_BLOCK = f"{IDLE}\n  state: stopped\n  tasks: 0\n  last errors: none\n"
SLEEPER_BLOCK = "sleeper\n  state: running\n  tasks: 3\n  last errors: none\n"


class StatusTest(ctltest.CtlTestCase):
    def setUp(self):
        super().setUp()
        self.start_standard_daemon()

    def test_running(self):
        # 6
        self.assertResult(self.ctl("status", "clock"), OK, stdout=CLOCK_BLOCK, stderr="")
        self.assertResult(self.ctl("status", "sleeper"), OK, stdout=SLEEPER_BLOCK, stderr="")

    def test_not_running(self):
        # 7
        self.assertResult(self.ctl("status", IDLE), NOT_RUNNING, stdout=IDLE_BLOCK, stderr="")

    def test_stopped_by_a_stop(self):
        self.assertResult(self.ctl("stop", "sleeper"), OK, stdout="", stderr="")
        self.assertResult(self.ctl("status", "sleeper"), NOT_RUNNING,
                          stdout="sleeper\n  state: stopped\n  tasks: 0\n  last errors: none\n",
                          stderr="")

    def test_last_errors_of_a_failed_exec_service(self):
        # 8: the errors of the last wait, with their domain and code.
        self.assertResult(self.ctl("wait", "failer"), TASKS_FAILED, stderr="")
        result = self.ctl("status", "failer")
        self.assertResult(result, NOT_RUNNING, stderr="")
        lines = result.stdout.splitlines()
        self.assertEqual(lines[:4], ["failer", "  state: stopped", "  tasks: 0", "  last errors:"],
                         result.describe())
        self.assertEqual(sorted(lines[4:]),
                         [f"    instance-{i}: {FAILER_ERROR}" for i in (1, 2)], result.describe())
        self.assertTrue(result.stdout.endswith("\n"))
        # Reading changes nothing: the same again.
        self.assertResult(self.ctl("status", "failer"), NOT_RUNNING, stdout=result.stdout)

    def test_last_errors_follow_the_last_wait(self):
        # A second wait reports nothing new: the last errors are none again.
        self.assertResult(self.ctl("wait", "failer"), TASKS_FAILED)
        self.assertResult(self.ctl("wait", "failer"), OK, stdout="", stderr="")
        self.assertResult(self.ctl("status", "failer"), NOT_RUNNING,
                          stdout="failer\n  state: stopped\n  tasks: 0\n  last errors: none\n",
                          stderr="")

    def test_unknown_service(self):
        # 9
        self.assertResult(self.ctl("status", "clock", "nosuch"), NO_SUCH_SERVICE,
                          stdout=CLOCK_BLOCK, stderr="bgservicectl: no such service: nosuch\n")
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
        self.assertResult(self.ctl("status", "clock", IDLE), NOT_RUNNING,
                          stdout=CLOCK_BLOCK + "\n" + IDLE_BLOCK, stderr="")
        self.assertResult(self.ctl("status", IDLE, "clock"), NOT_RUNNING,
                          stdout=IDLE_BLOCK + "\n" + CLOCK_BLOCK, stderr="")
        self.assertResult(self.ctl("status", "clock", "sleeper"), OK,
                          stdout=CLOCK_BLOCK + "\n" + SLEEPER_BLOCK, stderr="")

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
        self.assertResult(self.ctl("status", "lingerer"), OK,
                          stdout="lingerer\n  state: stopping\n  tasks: 1\n  last errors: none\n",
                          stderr="")
        # With a stopped one: 3 beats 0.
        self.assertResult(self.ctl("status", "lingerer", IDLE), NOT_RUNNING, stderr="")
        self.assertResult(stop.finish(), OK, stdout="", stderr="")
        self.assertResult(self.ctl("status", "lingerer"), NOT_RUNNING,
                          stdout="lingerer\n  state: stopped\n  tasks: 0\n  last errors: none\n",
                          stderr="")

    def test_status_needs_a_name(self):
        result = self.ctl("status")
        self.assertResult(result, FAILURE, stdout="")
        self.assertIn("status needs the NAME of at least one service", result.stderr)


if __name__ == "__main__":
    harness.main()
