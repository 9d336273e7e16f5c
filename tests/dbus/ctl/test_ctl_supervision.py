# SPDX-License-Identifier: MIT
"""bgservicectl and supervision against bgserviced: checks 48 to 55 of
tests/ctl/README-integration.md (56, as nobody, is in test_ctl_access.py).
The restarting and failed states and restart counts in list and status,
the since-time of status, wait on runs that fail (restarts included) and
on services that had failed, is-failed and reset-failed."""

import datetime
import os
import re
import time
import zoneinfo

import ctltest
import harness
from ctltest import (FAILURE, NO_SUCH_SERVICE, NOT_FAILED, NOT_RUNNING, OK, TASKS_FAILED,
                     status_block)

# failer fails once and stays failed. flapper fails, is restarted once
# 50 ms later, fails again and hits its start limit: failed, 1 restart.
# retrier (ctltest.RETRIER) failed and waits an hour for its restart:
# restarting. gated, started by the tests, fails once GATE exists, then
# does as flapper does.
CONFIG = """\
[Service clock]
Type=clock
IntervalSec=1

[Service failer]
Type=exec
Exec=sh -c "exit 3"

[Service flapper]
Type=exec
Exec=sh -c "exit 4"
Restart=on-failure
RestartSec=50ms
StartLimitBurst=1

[Service gated]
Type=exec
Exec=sh -c "while [ ! -e '{gate}' ]; do sleep 0.05; done; exit 5"
Restart=on-failure
RestartSec=50ms
StartLimitBurst=1
AutoStart=false

[Service idle]
Type=exec
Exec=sleep 1000
AutoStart=false
""" + ctltest.RETRIER


def error_line(name, command, status):
    """The line wait and stop print for the failed task of service name,
    which ran command (its Exec=) and exited with status."""
    return (f"{name}: instance-1: “{command}” exited with status {status} "
            f"(g-spawn-exit-error-quark {status})")


FAILER_LINE = error_line("failer", 'sh -c "exit 3"', 3)
FLAPPER_LINE = error_line("flapper", 'sh -c "exit 4"', 4)
RETRIER_LINE = ctltest.RETRIER_LINES[0]

PIPE_LIST = (
    "clock\trunning\t1\t0\n"
    "failer\tfailed\t0\t0\n"
    "flapper\tfailed\t0\t1\n"
    "gated\tstopped\t0\t0\n"
    "idle\tstopped\t0\t0\n"
    "retrier\trestarting\t0\t0\n"
)

TTY_LIST = (
    "NAME     STATE       TASKS  RESTARTS\n"
    "clock    running         1         0\n"
    "failer   failed          0         0\n"
    "flapper  failed          0         1\n"
    "gated    stopped         0         0\n"
    "idle     stopped         0         0\n"
    "retrier  restarting      0         0\n"
    "\n"
    "6 services, 2 running, 2 failed.\n"
)

# " since Fri 2026-11-27 12:00:01 UTC; 3min 2s ago", its parts captured.
SINCE = re.compile(r"^  state: (\S+) since (\w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (\S+); "
                   r"(\d+)(ms|s|min|h|d)(?: (\d+)(s|min|h))? ago$", re.MULTILINE)
SPAN_UNITS_USEC = {"ms": 1000, "s": 10**6, "min": 60 * 10**6, "h": 3600 * 10**6,
                   "d": 86400 * 10**6}


class SupervisionTestCase(ctltest.CtlTestCase):
    """bgserviced with CONFIG, once failer and flapper have failed and
    retrier waits for its restart."""

    def setUp(self):
        super().setUp()
        self.gate = os.path.join(self.directory, "gate")
        self.daemon = self.start_daemon(CONFIG.replace("{gate}", self.gate))
        for name, state in (("failer", "failed"), ("flapper", "failed"),
                            ("retrier", "restarting")):
            self.wait_for_state(name, state)

    def gated_line(self):
        command = f"sh -c \"while [ ! -e '{self.gate}' ]; do sleep 0.05; done; exit 5\""
        return error_line("gated", command, 5)


class ListTest(SupervisionTestCase):
    def test_pipe(self):
        # 48: states and restart counts, tab-separated.
        self.assertResult(self.ctl("list"), OK, stdout=PIPE_LIST, stderr="")
        self.assertEqual(self.properties("flapper")["NRestarts"], 1)

    def test_terminal(self):
        # 48: a restarting service counts as running; failed ones apart.
        status, output = self.ctl_tty("list")
        self.assertEqual(status, OK, output)
        self.assertEqual(output, TTY_LIST)

    def test_follows_a_reset(self):
        self.assertResult(self.ctl("reset-failed", "flapper"), OK, stdout="", stderr="")
        result = self.ctl("list")
        self.assertResult(result, OK, stderr="")
        self.assertIn("\nflapper\tstopped\t0\t0\n", result.stdout)
        status, output = self.ctl_tty("list")
        self.assertEqual(status, OK, output)
        self.assertTrue(output.endswith("\n6 services, 2 running, 1 failed.\n"), output)


class StatusTest(SupervisionTestCase):
    def test_failed_with_restarts(self):
        # 49: failed, since when, one restart under Restart=on-failure, the
        # failures of both runs of the last start.
        self.assertStatus(self.ctl("status", "flapper"), NOT_RUNNING, status_block(
            "flapper", "failed", 0, restarts=1, policy="on-failure",
            errors=[FLAPPER_LINE.removeprefix("flapper: ")] * 2))

    def test_restarting_counts_as_running(self):
        # 49: exit 3 for failed and stopped services, not for restarting,
        # which already shows the failure it restarts for.
        retrier = status_block("retrier", "restarting", 0, policy="on-failure",
                               errors=[ctltest.RETRIER_ERROR])
        self.assertStatus(self.ctl("status", "retrier"), OK, retrier)
        self.assertStatus(self.ctl("status", "retrier", "clock"), OK,
                          retrier + "\n" + status_block("clock", "running", 1))
        for other in ("failer", "flapper", "idle"):
            with self.subTest(other=other):
                result = self.ctl("status", "retrier", other)
                self.assertResult(result, NOT_RUNNING, stderr="")
                self.assertTrue(ctltest.mask_since(result.stdout).startswith(retrier + "\n"))

    def test_never_changed_has_no_since(self):
        # 50: StateTimestamp 0, no since-time.
        self.assertEqual(self.properties("idle")["StateTimestamp"], 0)
        self.assertResult(self.ctl("status", "idle"), NOT_RUNNING, stderr="",
                          stdout=status_block("idle", "stopped", 0, since=False))

    def check_since(self, name, zone):
        """status NAME with TZ=zone: its since-time is StateTimestamp in
        that zone, and its age lies between the ages before and after the
        call."""
        stamp = self.properties(name)["StateTimestamp"]
        self.assertGreater(stamp, 0)
        before = time.time_ns() // 1000
        result = self.ctl("status", name, env={"TZ": zone})
        after = time.time_ns() // 1000
        match = SINCE.search(result.stdout)
        self.assertIsNotNone(match, result.describe())
        state, shown, abbreviation, count, unit, rest, rest_unit = match.groups()
        self.assertEqual(state, self.state(name))

        when = datetime.datetime.fromtimestamp(stamp // 10**6, zoneinfo.ZoneInfo(zone))
        self.assertEqual(shown, when.strftime("%a %Y-%m-%d %H:%M:%S"), result.describe())
        self.assertEqual(abbreviation, when.tzname(), result.describe())

        # The span is written rounded down, to its two largest units.
        age = int(count) * SPAN_UNITS_USEC[unit] + (
            int(rest) * SPAN_UNITS_USEC[rest_unit] if rest else 0)
        smallest = SPAN_UNITS_USEC[rest_unit or unit]
        self.assertLessEqual(age, after - stamp, result.describe())
        self.assertGreater(age + 2 * smallest, before - stamp, result.describe())

    def test_since_is_the_state_timestamp(self):
        # 50: local time, as TZ says.
        for zone in ("UTC", "Asia/Tokyo", "America/Los_Angeles"):
            for name in ("flapper", "retrier", "clock"):
                with self.subTest(zone=zone, name=name):
                    self.check_since(name, zone)

    def test_since_follows_a_change(self):
        # 50: a new state, a new since-time.
        stamp = self.properties("clock")["StateTimestamp"]
        self.assertResult(self.ctl("stop", "clock"), OK, stdout="", stderr="")
        self.assertGreater(self.properties("clock")["StateTimestamp"], stamp)
        self.check_since("clock", "UTC")


class WaitTest(SupervisionTestCase):
    def test_wait_after_the_service_failed(self):
        # 51: failed before the call: at once, exit 1, the failures of the
        # last run, restarts included.
        self.assertResult(self.ctl("wait", "flapper"), TASKS_FAILED,
                          stdout=f"{FLAPPER_LINE}\n" * 2, stderr="")
        self.assertResult(self.ctl("wait", "failer", "flapper"), TASKS_FAILED,
                          stdout=f"{FAILER_LINE}\n" + f"{FLAPPER_LINE}\n" * 2, stderr="")
        # And after a reset, the run has no failures left to tell.
        self.assertResult(self.ctl("reset-failed", "flapper"), OK, stdout="", stderr="")
        self.assertResult(self.ctl("wait", "flapper"), OK, stdout="", stderr="")

    def test_wait_for_a_run_that_fails(self):
        # 52: the wait is under way when the run fails, restarts, fails
        # again and gives up; it reports both failures.
        self.assertResult(self.ctl("start", "gated"), OK, stdout="", stderr="")
        monitor = self.monitor("Wait")
        waiting = self.ctl_background("wait", "gated")
        monitor.wait_for_call()
        self.assertEqual(self.state("gated"), "running")
        self.assertTrue(waiting.running(), "wait returned while gated ran")
        with open(self.gate, "w"):
            pass
        self.assertResult(waiting.finish(), TASKS_FAILED,
                          stdout=f"{self.gated_line()}\n" * 2, stderr="")
        self.assertEqual(self.state("gated"), "failed")
        self.assertEqual(self.properties("gated")["NRestarts"], 1)

    def test_wait_for_a_restarting_service_ended_by_a_stop(self):
        # 52: retrier's run had a failure; a stop ends it: the wait reports
        # that failure too, and exits 1.
        monitor = self.monitor("Wait")
        waiting = self.ctl_background("wait", "retrier")
        monitor.wait_for_call()
        self.assertTrue(waiting.running(), "wait returned while retrier was restarting")
        self.assertResult(self.ctl("stop", "retrier"), TASKS_FAILED,
                          stdout=f"{RETRIER_LINE}\n", stderr="")
        self.assertResult(waiting.finish(), TASKS_FAILED, stdout=f"{RETRIER_LINE}\n", stderr="")


class IsFailedTest(SupervisionTestCase):
    def test_every_service_failed(self):
        # 53
        self.assertResult(self.ctl("is-failed", "failer"), OK, stdout="failed\n", stderr="")
        self.assertResult(self.ctl("is-failed", "failer", "flapper"), OK,
                          stdout="failed\nfailed\n", stderr="")

    def test_one_has_not_failed(self):
        # 53: the states in the order given; restarting is not failed.
        self.assertResult(self.ctl("is-failed", "failer", "retrier", "clock", "idle"), NOT_FAILED,
                          stdout="failed\nrestarting\nrunning\nstopped\n", stderr="")
        for name, state in (("retrier", "restarting"), ("clock", "running"),
                            ("idle", "stopped")):
            with self.subTest(name=name):
                self.assertResult(self.ctl("is-failed", name), NOT_FAILED,
                                  stdout=f"{state}\n", stderr="")

    def test_unknown_service(self):
        # 54: 4 beats 1 and 0; the known ones are printed all the same.
        self.assertResult(self.ctl("is-failed", "nosuch"), NO_SUCH_SERVICE, stdout="",
                          stderr="bgservicectl: no such service: nosuch\n")
        self.assertResult(self.ctl("is-failed", "failer", "nosuch"), NO_SUCH_SERVICE,
                          stdout="failed\n", stderr="bgservicectl: no such service: nosuch\n")
        self.assertResult(self.ctl("is-failed", "nosuch", "clock"), NO_SUCH_SERVICE,
                          stdout="running\n", stderr="bgservicectl: no such service: nosuch\n")

    def test_needs_a_name(self):
        result = self.ctl("is-failed")
        self.assertResult(result, FAILURE, stdout="")
        self.assertIn("is-failed needs the NAME of at least one service", result.stderr)


class ResetFailedTest(SupervisionTestCase):
    def test_reset_a_failed_service(self):
        # 55: stopped, no errors, no restarts; it no longer counts as failed.
        self.assertResult(self.ctl("reset-failed", "flapper"), OK, stdout="", stderr="")
        properties = self.properties("flapper")
        self.assertEqual((properties["State"], properties["LastErrors"],
                          properties["NRestarts"], properties["IsRunning"]),
                         ("stopped", [], 0, False))
        self.assertResult(self.ctl("is-failed", "flapper"), NOT_FAILED, stdout="stopped\n",
                          stderr="")
        self.assertStatus(self.ctl("status", "flapper"), NOT_RUNNING,
                          status_block("flapper", "stopped", 0, policy="on-failure"))
        # A second time: nothing to reset, still fine.
        self.assertResult(self.ctl("reset-failed", "flapper"), OK, stdout="", stderr="")
        self.assertEqual(self.state("flapper"), "stopped")

    def test_other_states_are_left_alone(self):
        # 55: running, restarting and stopped services do not change.
        before = {name: self.properties(name) for name in ("retrier", "idle")}
        clock_state = self.state("clock")
        self.assertResult(self.ctl("reset-failed", "clock", "retrier", "idle"), OK,
                          stdout="", stderr="")
        self.assertEqual({name: self.properties(name) for name in before}, before)
        self.assertEqual(self.state("clock"), clock_state)
        self.assertEqual(self.services()["clock"], (True, 1))

    def test_several_with_an_unknown_one(self):
        # 55: every known one reset; exit 4.
        self.assertResult(self.ctl("reset-failed", "failer", "nosuch", "flapper"),
                          NO_SUCH_SERVICE, stdout="",
                          stderr="bgservicectl: no such service: nosuch\n")
        self.assertResult(self.ctl("is-failed", "failer", "flapper"), NOT_FAILED,
                          stdout="stopped\nstopped\n", stderr="")


if __name__ == "__main__":
    harness.main()
