# SPDX-License-Identifier: MIT
"""Supervision in bgserviced, with real commands that
note each of their starts in a file of the test's folder: Restart=
on-failure and always, RestartSec= with and without RestartMaxDelaySec=
(the gaps between starts), StartLimitBurst= and StartLimitIntervalSec=,
Stop during the restart delay and while the failed run winds down, a
restarted exec service starting every instance again, and what the run
leaves behind: State, NRestarts, LastErrors, Wait, the TaskFailed signals,
STATUS= and the exit status. Read with busctl; signals with GDBus."""

import os
import time

import daemontest
import harness
from daemontest import (EXIT_ERROR_DOMAIN, EXIT_OK, EXIT_TASKS_FAILED, SignalRecorder,
                        commands_of, get_state, live_children, start, stop, wait,
                        wait_for_children)
from harness import SERVICE_IFACE


def read_lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


class RestartTestCase(daemontest.DaemonTestCase):
    def counting_script(self, name, exits, then="exit 0", before=""):
        """An executable script that appends the time of each of its starts
        (ns since the epoch, one line) to DIR/name.starts, then exits with
        exits[n - 1] on its n-th start, and once those are used up runs
        then (a shell line). before runs first on every start."""
        starts = os.path.join(self.directory, f"{name}.starts")
        cases = "".join(f"  {n}) exit {status} ;;\n" for n, status in enumerate(exits, 1))
        body = (f"{before}"
                f"date +%s%N >> {starts}\n"
                f"n=$(wc -l < {starts})\n"
                f"case $((n)) in\n{cases}esac\n"
                f"{then}\n")
        return daemontest.write_script(self.directory, name, body), starts

    def prop(self, name, property_name):
        return harness.get_property(self.bus, harness.service_path(self.bus, name), property_name)

    def exit_error(self, script, status):
        return ["instance-1", EXIT_ERROR_DOMAIN, status, f"“{script}” exited with status {status}"]

    def task_failed_recorder(self):
        recorder = SignalRecorder(self.bus, SERVICE_IFACE, "TaskFailed")
        self.addCleanup(recorder.close)
        return recorder

    def gaps_ms(self, starts):
        """The time between one start and the next, in ms, from a starts file."""
        times = [int(line) for line in read_lines(starts)]
        return [(b - a) / 1e6 for a, b in zip(times, times[1:])]


class OnFailureTest(RestartTestCase):
    def test_fails_twice_then_succeeds(self):
        """Two failures, two restarts, then a clean exit: the run ends on
        its own after failures, so the service is failed (7.1: any run that
        ends on its own with a failure), and LastErrors, Wait and the exit
        status keep both failures."""
        script, starts = self.counting_script("flaky", [11, 12])
        daemon = self.start_daemon(f"[Service flaky]\nType=exec\nExec={script}\n"
                                   "Restart=on-failure\nRestartSec=50ms\nAutoStart=false\n")
        recorder = self.task_failed_recorder()
        start(self.bus, "flaky")
        errors = wait(self.bus, "flaky")
        expected = [self.exit_error(script, 11), self.exit_error(script, 12)]
        self.assertEqual(errors, expected)
        self.assertEqual(len(read_lines(starts)), 3)
        self.assertEqual(self.prop("flaky", "NRestarts"), 2)
        self.assertEqual(self.prop("flaky", "LastErrors"), expected)
        self.assertEqual(get_state(self.bus, "flaky"), "failed")
        self.assertEqual(self.prop("flaky", "Restart"), "on-failure")
        # Nothing was consumed: the same list again, at once.
        self.assertEqual(wait(self.bus, "flaky"), expected)
        self.assertEqual([list(args) for _, args in recorder.wait_for(2)], expected)
        self.assertStopsWith(daemon, EXIT_TASKS_FAILED)

    def test_fails_twice_then_runs(self):
        """The third start keeps running: the run goes on, with NRestarts 2
        and both failures in LastErrors (set at each restart, nobody
        having waited); Stop ends the run and reports both."""
        script, starts = self.counting_script("flaky", [11, 12], then="exec sleep 600")
        daemon = self.start_daemon(f"[Service flaky]\nType=exec\nExec={script}\n"
                                   "Restart=on-failure\nRestartSec=50ms\n")
        [pid] = wait_for_children(daemon, 1, "sleep", "600")
        expected = [self.exit_error(script, 11), self.exit_error(script, 12)]
        self.assertEqual(self.prop("flaky", "NRestarts"), 2)
        self.assertEqual(self.prop("flaky", "LastErrors"), expected)
        self.assertEqual(get_state(self.bus, "flaky"), "running")
        self.assertTrue(daemontest.is_running(self.bus, "flaky"))
        self.assertEqual(stop(self.bus, "flaky"), expected)
        self.assertFalse(daemontest.alive(pid))
        # Stopped by hand: stopped, not failed; the count stays until the
        # next start by hand.
        self.assertEqual(get_state(self.bus, "flaky"), "stopped")
        self.assertEqual(self.prop("flaky", "NRestarts"), 2)
        self.assertEqual(self.prop("flaky", "LastErrors"), expected)
        self.assertEqual(wait(self.bus, "flaky"), expected)
        self.assertEqual(len(read_lines(starts)), 3)
        self.assertStopsWith(daemon, EXIT_TASKS_FAILED)

    def test_a_start_by_hand_counts_afresh(self):
        script, starts = self.counting_script("flaky", [11, 12, 13, 14], then="exec sleep 600")
        # Restarts 500 ms apart: the test reads NRestarts between them.
        self.start_daemon(f"[Service flaky]\nType=exec\nExec={script}\n"
                          "Restart=on-failure\nRestartSec=500ms\nStartLimitBurst=1\n")
        harness.wait_until(lambda: get_state(self.bus, "flaky") == "failed",
                           "the start limit to fail the service")
        self.assertEqual(self.prop("flaky", "NRestarts"), 1)
        # A failed service starts again, with NRestarts 0 and a fresh
        # start limit: one more restart, then failed again.
        start(self.bus, "flaky")
        self.assertEqual(self.prop("flaky", "NRestarts"), 0)
        errors = wait(self.bus, "flaky")
        self.assertEqual(errors, [self.exit_error(script, 13), self.exit_error(script, 14)])
        self.assertEqual(self.prop("flaky", "NRestarts"), 1)
        self.assertEqual(len(read_lines(starts)), 4)

    def test_a_clean_exit_is_not_restarted(self):
        script, starts = self.counting_script("once", [])
        daemon = self.start_daemon(f"[Service once]\nType=exec\nExec={script}\n"
                                   "Restart=on-failure\nRestartSec=10ms\n")
        self.assertEqual(wait(self.bus, "once"), [])
        self.assertEqual(get_state(self.bus, "once"), "stopped")
        self.assertEqual(self.prop("once", "NRestarts"), 0)
        time.sleep(0.3)  # thirty restart delays: none may come
        self.assertEqual(len(read_lines(starts)), 1)
        self.assertStopsWith(daemon, EXIT_OK)

    def test_without_restart_a_failure_ends_the_run(self):
        script, starts = self.counting_script("plain", [3, 3])
        self.start_daemon(f"[Service plain]\nType=exec\nExec={script}\nRestartSec=10ms\n")
        self.assertEqual(wait(self.bus, "plain"), [self.exit_error(script, 3)])
        self.assertEqual((get_state(self.bus, "plain"), self.prop("plain", "NRestarts"),
                          self.prop("plain", "Restart")), ("failed", 0, "no"))
        time.sleep(0.3)  # thirty restart delays: none may come
        self.assertEqual(len(read_lines(starts)), 1)

    def test_a_restarted_exec_service_starts_every_instance(self):
        """Two instances; the first to make the lock directory fails, which
        cancels the other; the restart starts both again (7.3), and both
        run, the lock being there now."""
        lock = os.path.join(self.directory, "lock")
        script = daemontest.write_script(self.directory, "one-fails",
                                         f"mkdir {lock} 2>/dev/null && exit 5\nexec sleep 600\n")
        daemon = self.start_daemon(f"[Service pair]\nType=exec\nExec={script}\nInstances=2\n"
                                   "Restart=on-failure\nRestartSec=50ms\n")
        harness.wait_until(lambda: self.prop("pair", "NRestarts") == 1, "the restart")
        pids = wait_for_children(daemon, 2, "sleep", "600")
        self.assertEqual(self.prop("pair", "NTasks"), 2)
        [(task, domain, code, _)] = self.prop("pair", "LastErrors")
        self.assertIn(task, ("instance-1", "instance-2"))
        self.assertEqual((domain, code), (EXIT_ERROR_DOMAIN, 5))
        self.assertEqual(get_state(self.bus, "pair"), "running")
        self.assertEqual(len(stop(self.bus, "pair")), 1)
        self.assertGone(pids, "the instances")


class StartLimitTest(RestartTestCase):
    def test_always_failing_hits_the_start_limit(self):
        """StartLimitBurst=3: the fourth restart does not happen. Four
        starts, four failures, NRestarts 3, failed; Wait gives the four."""
        script, starts = self.counting_script("doomed", [21, 22, 23, 24, 25, 26])
        daemon = self.start_daemon(f"[Service doomed]\nType=exec\nExec={script}\n"
                                   "Restart=on-failure\nRestartSec=10ms\nStartLimitBurst=3\n")
        errors = wait(self.bus, "doomed")
        expected = [self.exit_error(script, status) for status in (21, 22, 23, 24)]
        self.assertEqual(errors, expected)
        self.assertEqual(get_state(self.bus, "doomed"), "failed")
        self.assertEqual(self.prop("doomed", "NRestarts"), 3)
        self.assertEqual(self.prop("doomed", "LastErrors"), expected)
        self.assertEqual(wait(self.bus, "doomed"), expected)
        time.sleep(0.3)  # thirty restart delays: no fifth start may come
        self.assertEqual(len(read_lines(starts)), 4)
        self.assertFalse(daemontest.is_running(self.bus, "doomed"))
        self.assertStopsWith(daemon, EXIT_TASKS_FAILED)

    def test_the_interval_is_a_sliding_window(self):
        """StartLimitBurst=1 with restarts 200 ms apart: within the default
        10 s window the second restart is refused; within a window of
        100 ms (StartLimitIntervalSec=) every restart is the only one, and
        so is StartLimitIntervalSec=0 (no limit)."""
        config = ""
        scripts = {}
        for name, interval in (("limited", ""), ("windowed", "StartLimitIntervalSec=100ms\n"),
                               ("unlimited", "StartLimitIntervalSec=0\n")):
            scripts[name] = self.counting_script(name, [], then="exit 7")
            config += (f"[Service {name}]\nType=exec\nExec={scripts[name][0]}\n"
                       f"Restart=on-failure\nRestartSec=200ms\nStartLimitBurst=1\n{interval}\n")
        self.start_daemon(config)
        harness.wait_until(lambda: get_state(self.bus, "limited") == "failed", "limited to fail")
        self.assertEqual(self.prop("limited", "NRestarts"), 1)
        self.assertEqual(len(read_lines(scripts["limited"][1])), 2)
        for name in ("windowed", "unlimited"):
            harness.wait_until(lambda: self.prop(name, "NRestarts") >= 3, f"{name} to restart")
            self.assertIn(get_state(self.bus, name), ("running", "restarting"))
            errors = stop(self.bus, name)
            self.assertGreaterEqual(len(errors), 3)
            # One failure a start, but for a start the Stop cancelled.
            self.assertIn(len(read_lines(scripts[name][1])) - len(errors), (0, 1))
            self.assertEqual(get_state(self.bus, name), "stopped")


class AlwaysTest(RestartTestCase):
    def test_always_restarts_a_command_that_exits_0(self):
        """Restart=always restarts clean runs too, up to the start limit,
        which fails the service (7.1) though no task ever failed: failed,
        with empty LastErrors."""
        script, starts = self.counting_script("loop", [])
        daemon = self.start_daemon(f"[Service loop]\nType=exec\nExec={script}\n"
                                   "Restart=always\nRestartSec=20ms\nStartLimitBurst=2\n")
        self.assertEqual(wait(self.bus, "loop"), [])
        self.assertEqual(len(read_lines(starts)), 3)
        self.assertEqual(self.prop("loop", "NRestarts"), 2)
        self.assertEqual(get_state(self.bus, "loop"), "failed")
        self.assertEqual(self.prop("loop", "LastErrors"), [])
        self.assertEqual(self.prop("loop", "Restart"), "always")
        # No task failed: nothing failed for the exit status to report
        # (the exit status follows LastErrors).
        self.assertStopsWith(daemon, EXIT_OK)

    def test_always_without_a_limit_goes_on_until_stopped(self):
        script, starts = self.counting_script("loop", [])
        daemon = self.start_daemon(f"[Service loop]\nType=exec\nExec={script}\n"
                                   "Restart=always\nRestartSec=20ms\nStartLimitIntervalSec=0\n")
        harness.wait_until(lambda: self.prop("loop", "NRestarts") >= 8, "eight restarts")
        self.assertEqual(stop(self.bus, "loop"), [])
        self.assertEqual(get_state(self.bus, "loop"), "stopped")
        count = len(read_lines(starts))
        self.assertGreaterEqual(count, 9)
        time.sleep(0.3)  # fifteen restart delays: none may come after the stop
        self.assertEqual(len(read_lines(starts)), count)
        self.assertStopsWith(daemon, EXIT_OK)

    def test_start_limit_burst_0_never_restarts(self):
        """StartLimitBurst=0 allows no restart at all: the first would pass
        the limit, so the run ends failed after one start."""
        script, starts = self.counting_script("once", [])
        self.start_daemon(f"[Service once]\nType=exec\nExec={script}\n"
                          "Restart=always\nRestartSec=10ms\nStartLimitBurst=0\n")
        self.assertEqual(wait(self.bus, "once"), [])
        self.assertEqual(get_state(self.bus, "once"), "failed")
        self.assertEqual(self.prop("once", "NRestarts"), 0)
        time.sleep(0.3)  # thirty restart delays: none may come
        self.assertEqual(len(read_lines(starts)), 1)


class BackoffTest(RestartTestCase):
    def test_gaps_double_up_to_the_maximum(self):
        """RestartSec=100ms, RestartMaxDelaySec=400ms, the default burst of
        5: restart k waits 100 × 2^(k-1) ms capped at 400, so the gaps
        between the six starts are at least 100, 200, 400, 400, 400 ms (a
        run takes time too: no more than 1 s of it is allowed). Without the
        cap the fifth gap would be 1600 ms."""
        script, starts = self.counting_script("backoff", [], then="exit 1")
        self.start_daemon(f"[Service backoff]\nType=exec\nExec={script}\n"
                          "Restart=on-failure\nRestartSec=100ms\nRestartMaxDelaySec=400ms\n")
        self.assertEqual(len(wait(self.bus, "backoff")), 6)
        self.assertEqual(get_state(self.bus, "backoff"), "failed")
        self.assertEqual(self.prop("backoff", "NRestarts"), 5)
        gaps = self.gaps_ms(starts)
        self.assertEqual(len(gaps), 5, gaps)
        for gap, delay in zip(gaps, (100, 200, 400, 400, 400)):
            self.assertGreaterEqual(gap, delay, gaps)
            self.assertLess(gap, delay + 1000, gaps)

    def test_without_a_maximum_every_gap_is_restart_sec(self):
        """No RestartMaxDelaySec=: every restart waits RestartSec= (300 ms);
        doubling would make the third gap 1200 ms."""
        script, starts = self.counting_script("fixed", [], then="exit 1")
        self.start_daemon(f"[Service fixed]\nType=exec\nExec={script}\n"
                          "Restart=on-failure\nRestartSec=300ms\nStartLimitBurst=3\n")
        self.assertEqual(len(wait(self.bus, "fixed")), 4)
        gaps = self.gaps_ms(starts)
        self.assertEqual(len(gaps), 3, gaps)
        for gap in gaps:
            self.assertGreaterEqual(gap, 300, gaps)
            self.assertLess(gap, 300 + 800, gaps)


class StopWhileRestartingTest(RestartTestCase):
    def test_stop_during_the_restart_delay(self):
        """RestartSec=30s: Stop in the delay replies at once with the run's
        failure, the service is stopped, nothing runs, and a Start by hand
        begins a new run."""
        script, starts = self.counting_script("patient", [4, 4, 4])
        daemon = self.start_daemon(f"[Service patient]\nType=exec\nExec={script}\n"
                                   "Restart=on-failure\nRestartSec=30s\n")
        harness.wait_until(lambda: get_state(self.bus, "patient") == "restarting",
                           "the service to wait for its restart")
        self.assertTrue(daemontest.is_running(self.bus, "patient"))
        self.assertEqual(self.prop("patient", "NRestarts"), 0)
        began = time.monotonic()
        self.assertEqual(stop(self.bus, "patient"), [self.exit_error(script, 4)])
        self.assertLess(time.monotonic() - began, 10, "Stop waited for the restart delay")
        self.assertEqual(get_state(self.bus, "patient"), "stopped")
        self.assertFalse(daemontest.is_running(self.bus, "patient"))
        self.assertEqual(self.prop("patient", "NRestarts"), 0)
        self.assertEqual(self.prop("patient", "LastErrors"), [self.exit_error(script, 4)])
        self.assertEqual(live_children(daemon.process.pid), [])
        self.assertEqual(len(read_lines(starts)), 1)
        # Started by hand (running at once), it fails again and waits to
        # restart: the shutdown ends that run, with its failure.
        start(self.bus, "patient")
        harness.wait_until(lambda: get_state(self.bus, "patient") == "restarting",
                           "the new run to fail")
        self.assertEqual(len(read_lines(starts)), 2)
        self.assertStopsWith(daemon, EXIT_TASKS_FAILED)

    def test_no_restart_comes_after_a_stop_in_the_delay(self):
        script, starts = self.counting_script("patient", [4, 4, 4])
        self.start_daemon(f"[Service patient]\nType=exec\nExec={script}\n"
                          "Restart=on-failure\nRestartSec=1s\n")
        harness.wait_until(lambda: get_state(self.bus, "patient") == "restarting",
                           "the service to wait for its restart")
        failed_by = time.monotonic()
        self.assertEqual(stop(self.bus, "patient"), [self.exit_error(script, 4)])
        self.assertLess(time.monotonic() - failed_by, 1, "the Stop came after the restart")
        # Past the moment the dropped restart was due (and then some).
        time.sleep(max(0.0, failed_by + 1.5 - time.monotonic()))
        self.assertEqual(len(read_lines(starts)), 1)
        self.assertEqual((get_state(self.bus, "patient"), self.prop("patient", "NRestarts")),
                         ("stopped", 0))

    def test_stop_while_the_failed_run_winds_down(self):
        """One instance fails (once the other is ready); the other ignores
        the SIGTERM of the restart and holds the run in restarting until
        its SIGKILL. A Stop then waits for it, reports the one failure (the
        killed instance was cancelled), and no restart follows."""
        lock = os.path.join(self.directory, "lock")
        ready = os.path.join(self.directory, "ready")
        script, starts = self.counting_script(
            "stubborn", [], then=(f"if mkdir {lock} 2>/dev/null; then\n"
                                  f"  while [ ! -e {ready} ]; do sleep 0.01; done\n"
                                  "  exit 6\n"
                                  "fi\n"
                                  f"trap '' TERM\n: > {ready}\n"
                                  "while :; do sleep 0.05; done"))
        daemon = self.start_daemon(f"[Service stubborn]\nType=exec\nExec={script}\nInstances=2\n"
                                   "Restart=on-failure\nRestartSec=50ms\nTimeoutStopSec=1.5\n")
        harness.wait_until(lambda: get_state(self.bus, "stubborn") == "restarting",
                           "the failure")
        [survivor] = live_children(daemon.process.pid)
        self.assertTrue(daemontest.alive(survivor))
        self.assertEqual(self.prop("stubborn", "NTasks"), 1)
        [(task, domain, code, _)] = stop(self.bus, "stubborn")
        self.assertEqual((domain, code), (EXIT_ERROR_DOMAIN, 6))
        self.assertGone([survivor], "the instance that ignored SIGTERM")
        self.assertEqual(get_state(self.bus, "stubborn"), "stopped")
        time.sleep(0.5)  # ten restart delays: none may come
        self.assertEqual(len(read_lines(starts)), 2)
        self.assertEqual(self.prop("stubborn", "NRestarts"), 0)
        self.assertEqual(commands_of(daemon, "/bin/sh", script), [])


class StatusTest(RestartTestCase):
    def test_status_counts_failed_services(self):
        """A restarting service runs; a failed one is counted as failed
        until ResetFailed makes it stopped."""
        doomed, _ = self.counting_script("doomed", [], then="exit 3")
        patient, _ = self.counting_script("patient", [], then="exit 4")
        daemon, notify = self.start_with_notify(
            f"[Service doomed]\nType=exec\nExec={doomed}\nRestart=on-failure\n"
            "RestartSec=10ms\nStartLimitBurst=1\n\n"
            f"[Service patient]\nType=exec\nExec={patient}\nRestart=on-failure\n"
            "RestartSec=10min\n\n"
            "[Service sleeper]\nType=exec\nExec=sleep 600\n")
        notify.wait_for("READY=1")
        notify.wait_for("STATUS=3 services, 2 running, 1 failed")
        self.assertEqual(get_state(self.bus, "doomed"), "failed")
        self.assertEqual(get_state(self.bus, "patient"), "restarting")
        daemontest.reset_failed(self.bus, "doomed")
        notify.wait_for("STATUS=3 services, 2 running, 0 failed")
        self.assertEqual(stop(self.bus, "patient"), [self.exit_error(patient, 4)])
        notify.wait_for("STATUS=3 services, 1 running, 0 failed")
        # The stopped run of patient had a failure: it counts at exit.
        self.assertStopsWith(daemon, EXIT_TASKS_FAILED)


if __name__ == "__main__":
    harness.main()
