# SPDX-License-Identifier: MIT
"""bgservicectl list against bgserviced: checks 1 to 5 of
tests/ctl/README-integration.md."""

import ctltest
import harness
from ctltest import FAILURE, IDLE, OK

# NAME, STATE, TASKS, RESTARTS. failer's tasks failed at start-up, and it
# restarts never: failed.
PIPE_LIST = (
    "clock\trunning\t1\t0\n"
    "failer\tfailed\t0\t0\n"
    f"{IDLE}\tstopped\t0\t0\n"
    "lingerer\trunning\t1\t0\n"
    "sleeper\trunning\t3\t0\n"
    "stubborn\trunning\t1\t0\n"
)

# The wide name takes eleven columns: "idle " and three characters of two.
# STATE is as wide as "restarting", the widest state.
TTY_LIST = (
    "NAME         STATE       TASKS  RESTARTS\n"
    "clock        running         1         0\n"
    "failer       failed          0         0\n"
    "idle 日本語  stopped         0         0\n"
    "lingerer     running         1         0\n"
    "sleeper      running         3         0\n"
    "stubborn     running         1         0\n"
    "\n"
    "6 services, 4 running, 1 failed.\n"
)


class ListTest(ctltest.CtlTestCase):
    def test_pipe_one_tab_separated_line_a_service(self):
        # 1
        self.start_standard_daemon()
        result = self.ctl("list")
        self.assertResult(result, OK, stdout=PIPE_LIST, stderr="")
        # `list | cut -f1`: the names, as the daemon knows them.
        names = [line.split("\t")[0] for line in result.stdout.splitlines()]
        self.assertEqual(names, sorted(self.services()))
        for line in result.stdout.splitlines():
            self.assertEqual(len(line.split("\t")), 4, line)

    def test_terminal_header_aligned_columns_and_count(self):
        # 2
        self.start_standard_daemon()
        status, output = self.ctl_tty("list")
        self.assertEqual(status, OK, output)
        self.assertEqual(output, TTY_LIST)

    def test_terminal_counts_what_runs_now(self):
        # 2, after a change: the count and the columns follow the daemon.
        self.start_standard_daemon()
        self.assertResult(self.ctl("start", IDLE), OK, stdout="", stderr="")
        self.assertResult(self.ctl("stop", "sleeper", "clock"), OK, stdout="", stderr="")
        status, output = self.ctl_tty("list")
        self.assertEqual(status, OK, output)
        self.assertEqual(output, (
            "NAME         STATE       TASKS  RESTARTS\n"
            "clock        stopped         0         0\n"
            "failer       failed          0         0\n"
            "idle 日本語  running         1         0\n"
            "lingerer     running         1         0\n"
            "sleeper      stopped         0         0\n"
            "stubborn     running         1         0\n"
            "\n"
            "6 services, 3 running, 1 failed.\n"))

    def test_stopping_while_a_stop_runs(self):
        # 3: lingerer takes 2 s to end after its SIGTERM.
        self.start_standard_daemon()
        stop = self.ctl_background("stop", "lingerer")
        self.wait_for_state("lingerer", "stopping")
        result = self.ctl("list")
        self.assertResult(result, OK, stderr="")
        self.assertIn("lingerer\tstopping\t1\t0\n", result.stdout)
        self.assertIn("sleeper\trunning\t3\t0\n", result.stdout)
        status, output = self.ctl_tty("list")
        self.assertEqual(status, OK, output)
        self.assertIn("lingerer     stopping        1         0\n", output)
        self.assertTrue(output.endswith("\n6 services, 4 running, 1 failed.\n"), output)

        self.assertResult(stop.finish(), OK, stdout="", stderr="")
        result = self.ctl("list")
        self.assertIn("lingerer\tstopped\t0\t0\n", result.stdout)

    def test_reading_is_open_to_nobody(self):
        # 4
        self.start_standard_daemon()
        result = self.ctl("list", user="nobody")
        self.assertResult(result, OK, stdout=PIPE_LIST, stderr="")

    def test_daemon_without_services(self):
        # 5
        self.start_daemon("[Daemon]\n")
        self.assertResult(self.ctl("list"), OK, stdout="", stderr="")
        status, output = self.ctl_tty("list")
        self.assertEqual(status, OK, output)
        self.assertEqual(output, "No services.\n")

    def test_one_service_counts_in_the_singular(self):
        self.start_daemon("[Service clock]\nType=clock\n")
        status, output = self.ctl_tty("list")
        self.assertEqual(status, OK, output)
        self.assertEqual(output, (
            "NAME   STATE       TASKS  RESTARTS\n"
            "clock  running         1         0\n"
            "\n"
            "1 service, 1 running.\n"))

    def test_list_takes_no_name(self):
        self.start_daemon("[Daemon]\n")
        result = self.ctl("list", "clock")
        self.assertResult(result, FAILURE, stdout="")
        self.assertTrue(
            result.stderr.startswith("bgservicectl: list takes no NAME (got “clock”)\n"),
            result.describe())


if __name__ == "__main__":
    harness.main()
