# SPDX-License-Identifier: MIT
"""Type=timer, Type=clock and Type=module services in the running daemon,
and AutoStart=false for each type. Exec services are in
test_daemon_exec.py."""

import os
import re
import time

import daemontest
import harness
from daemontest import (EXIT_ERROR_DOMAIN, EXIT_OK, EXIT_TASKS_FAILED, SignalRecorder,
                        commands_of, list_services, stop, wait, wait_for_children)
from harness import SERVICE_IFACE


def read_lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


class TimerTest(daemontest.DaemonTestCase):
    def test_runs_the_command_every_interval(self):
        runs = os.path.join(self.directory, "runs")
        script = daemontest.write_script(self.directory, "stamp",
                                         f"date +%s.%N >> {runs}\n")
        daemon = self.start_daemon(f"[Service ticker]\nType=timer\nExec={script}\n"
                                   "IntervalSec=0.3\n")
        self.assertEqual(list_services(self.bus)["ticker"][:2], (True, 1))
        harness.wait_until(lambda: len(read_lines(runs)) >= 5, "five runs")
        stamps = [float(line) for line in read_lines(runs)]
        gaps = [b - a for a, b in zip(stamps, stamps[1:])]
        for gap in gaps:
            self.assertGreater(gap, 0.2, f"runs came too close: {gaps}")
            self.assertLess(gap, 3, f"runs came too far apart: {gaps}")
        self.assertLess(sum(gaps) / len(gaps), 0.6, gaps)
        # The timer is still one running task, and stops cleanly.
        self.assertEqual(list_services(self.bus)["ticker"][:2], (True, 1))
        self.assertEqual(stop(self.bus, "ticker"), [])
        self.assertStopsWith(daemon, EXIT_OK)

    def test_a_failing_run_fails_the_service(self):
        runs = os.path.join(self.directory, "runs")
        script = daemontest.write_script(self.directory, "third-fails",
                                         f"echo run >> {runs}\n"
                                         f"test $(wc -l < {runs}) -lt 3 || exit 3\n")
        daemon = self.start_daemon(f"[Service ticker]\nType=timer\nExec={script}\n"
                                   "IntervalSec=0.1\nAutoStart=false\n")
        recorder = SignalRecorder(self.bus, SERVICE_IFACE, "TaskFailed")
        self.addCleanup(recorder.close)
        daemontest.start(self.bus, "ticker")
        errors = wait(self.bus, "ticker")
        self.assertOneError(errors, "timer", EXIT_ERROR_DOMAIN, 3)
        self.assertEqual(len(read_lines(runs)), 3)
        self.assertEqual(list_services(self.bus)["ticker"][:2], (False, 0))
        [(path, signal)] = recorder.wait_for(1)
        self.assertEqual(list(signal), errors[0])
        self.assertEqual(daemontest.get_state(self.bus, "ticker"), "failed")
        # No more runs once the service failed.
        time.sleep(0.4)
        self.assertEqual(len(read_lines(runs)), 3)
        # Waited for or not, the failed run counts at exit.
        self.assertStopsWith(daemon, EXIT_TASKS_FAILED)

    def test_a_failed_timer_makes_the_exit_status_1(self):
        daemon = self.start_daemon("[Service ticker]\nType=timer\nExec=false\nIntervalSec=0.1\n")
        harness.wait_until(lambda: not daemontest.is_running(self.bus, "ticker"),
                           "the timer to fail")
        self.assertStopsWith(daemon, EXIT_TASKS_FAILED)
        self.assertRegex(daemon.read_log(), r"ticker: task timer had failed: .*"
                                            r"\(g-spawn-exit-error-quark 1\)")

    def test_stop_during_a_run_ends_the_run(self):
        daemon = self.start_daemon("[Service slow]\nType=timer\nExec=sleep 600\n"
                                   "IntervalSec=0.1\n")
        [pid] = wait_for_children(daemon, 1, "sleep", "600")
        self.assertEqual(stop(self.bus, "slow"), [])
        self.assertFalse(daemontest.alive(pid))
        self.assertEqual(commands_of(daemon, "sleep", "600"), [])
        self.assertStopsWith(daemon, EXIT_OK)

    def test_a_long_run_delays_the_next_one(self):
        """Runs never overlap: one command at a time."""
        runs = os.path.join(self.directory, "runs")
        script = daemontest.write_script(self.directory, "slow",
                                         f"echo start >> {runs}\nsleep 0.5\n"
                                         f"echo end >> {runs}\n")
        daemon = self.start_daemon(f"[Service slow]\nType=timer\nExec={script}\n"
                                   "IntervalSec=0.1\n")
        harness.wait_until(lambda: len(read_lines(runs)) >= 6, "three runs")
        self.assertEqual(stop(self.bus, "slow"), [])
        marks = read_lines(runs)
        for i, mark in enumerate(marks):
            self.assertEqual(mark, "start" if i % 2 == 0 else "end", marks)
        self.assertStopsWith(daemon, EXIT_OK)

    def test_commands_that_end_at_once_many_times(self):
        """A command that ends before the daemon looks at it: many runs, and
        the daemon survives every one of them."""
        runs = os.path.join(self.directory, "runs")
        daemon = self.start_daemon(f"[Service quick]\nType=timer\nExec=true\nIntervalSec=0.01\n\n"
                                   f"[Service marker]\nType=timer\n"
                                   f"Exec=sh -c 'echo >> {runs}'\nIntervalSec=0.01\n")
        harness.wait_until(lambda: len(read_lines(runs)) >= 100 or daemon.process.poll(),
                           "a hundred runs")
        self.assertIsNone(daemon.process.poll(), daemon.read_log())
        self.assertEqual({name: s[0] for name, s in list_services(self.bus).items()},
                         {"marker": True, "quick": True})
        self.assertStopsWith(daemon, EXIT_OK)


    def test_stop_while_quick_commands_come_and_go(self):
        """Twenty timers whose runs end at once, stopped while runs come and
        go: some run has always just ended as the stop comes, and the stop
        still completes (it once hung, when a run ended by itself after
        the cancellation)."""
        runs = os.path.join(self.directory, "runs")
        config = "".join(f"[Service quick-{n}]\nType=timer\nExec=true\nIntervalSec=0.001\n\n"
                         for n in range(20))
        config += f"[Service marker]\nType=timer\nExec=sh -c 'echo >> {runs}'\nIntervalSec=0.001\n"
        for attempt in range(3):
            with self.subTest(attempt=attempt):
                if os.path.exists(runs):
                    os.unlink(runs)
                daemon = self.start_daemon(config)
                try:
                    harness.wait_until(lambda: len(read_lines(runs)) >= 30, "runs under way")
                    self.assertStopsWith(daemon, EXIT_OK)
                finally:
                    daemon.close()


class ClockTest(daemontest.DaemonTestCase):
    def test_logs_the_time_every_interval(self):
        daemon = self.start_daemon("[Service tick]\nType=clock\nIntervalSec=0.2\n")
        self.assertEqual(list_services(self.bus)["tick"][:2], (True, 1))
        pattern = r"tick: the time is (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)"
        harness.wait_until(lambda: len(re.findall(pattern, daemon.read_log())) >= 3,
                           "three times in the log")
        stamp = re.findall(pattern, daemon.read_log())[0]
        then = time.mktime(time.strptime(stamp, "%Y-%m-%d %H:%M:%S"))
        self.assertLess(abs(time.time() - then), 60, f"{stamp} is not now")
        self.assertEqual(stop(self.bus, "tick"), [])
        count = len(re.findall(pattern, daemon.read_log()))
        time.sleep(0.5)
        self.assertEqual(len(re.findall(pattern, daemon.read_log())), count,
                         "a stopped clock still ticks")
        self.assertStopsWith(daemon, EXIT_OK)


class ModuleTest(daemontest.DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.module = harness.program("BGS_HELLO_MODULE")

    def test_the_example_module_greets(self):
        daemon = self.start_daemon(f"[Service greeter]\nType=module\nModule={self.module}\n"
                                   "Greeting=hello from the daemon tests\nPeriodSec=0.1\n")
        self.assertEqual(list_services(self.bus)["greeter"][:2], (True, 1))
        self.assertLogMatches(daemon, r"greeter: hello from the daemon tests \(3\)",
                              "the third greeting")
        self.assertEqual(stop(self.bus, "greeter"), [])
        self.assertStopsWith(daemon, EXIT_OK)

    def test_module_path_relative_to_the_config_file(self):
        os.symlink(self.module, os.path.join(self.directory, "hello.so"))
        daemon = self.start_daemon("[Service greeter]\nType=module\nModule=hello.so\n"
                                   "Greeting=relative\nPeriodSec=0.1\n")
        self.assertLogMatches(daemon, r"greeter: relative \(1\)", "a greeting")
        self.assertStopsWith(daemon, EXIT_OK)

    def test_fail_after_makes_wait_return_the_error(self):
        daemon = self.start_daemon(f"[Service greeter]\nType=module\nModule={self.module}\n"
                                   "Greeting=hi\nPeriodSec=0.1\nFailAfter=2\nAutoStart=false\n")
        recorder = SignalRecorder(self.bus, SERVICE_IFACE, "TaskFailed")
        self.addCleanup(recorder.close)
        daemontest.start(self.bus, "greeter")
        errors = wait(self.bus, "greeter")
        message = self.assertOneError(errors, "greet", "g-io-error-quark", 0)
        self.assertIn("FailAfter=2", message)
        self.assertEqual(len(recorder.wait_for(1)), 1)
        log = daemon.read_log()
        self.assertIn("greeter: hi (1)", log)
        self.assertNotIn("greeter: hi (2)", log)
        self.assertFalse(daemontest.is_running(self.bus, "greeter"))
        self.assertEqual(daemontest.get_state(self.bus, "greeter"), "failed")
        # Started again, it counts again from the start: the new run's one
        # failure, not the old one too.
        daemontest.start(self.bus, "greeter")
        self.assertEqual(len(wait(self.bus, "greeter")), 1)
        self.assertStopsWith(daemon, EXIT_TASKS_FAILED)

    def test_two_services_from_one_module(self):
        daemon = self.start_daemon(f"[Service one]\nType=module\nModule={self.module}\n"
                                   "Greeting=first\nPeriodSec=0.1\n\n"
                                   f"[Service two]\nType=module\nModule={self.module}\n"
                                   "Greeting=second\nPeriodSec=0.1\n")
        self.assertLogMatches(daemon, r"one: first \(2\)", "the first module's greeting")
        self.assertLogMatches(daemon, r"two: second \(2\)", "the second module's greeting")
        self.assertStopsWith(daemon, EXIT_OK)


class AutoStartTest(daemontest.DaemonTestCase):
    def test_autostart_false_for_every_type(self):
        module = harness.program("BGS_HELLO_MODULE")
        daemon = self.start_daemon(f"""\
            [Service exec]
            Type=exec
            Exec=sleep 600
            AutoStart=false

            [Service timer]
            Type=timer
            Exec=sleep 600
            IntervalSec=0.05
            AutoStart=false

            [Service clock]
            Type=clock
            IntervalSec=0.05
            AutoStart=false

            [Service module]
            Type=module
            Module={module}
            Greeting=should not be seen
            PeriodSec=0.05
            AutoStart=0

            [Service on]
            Type=clock
            IntervalSec=60
            AutoStart=true
            """)
        services = list_services(self.bus)
        self.assertEqual({name: s[:2] for name, s in services.items()}, {
            "clock": (False, 0), "exec": (False, 0), "module": (False, 0),
            "on": (True, 1), "timer": (False, 0)})
        time.sleep(0.3)  # several intervals of the idle timer, clock and module
        self.assertEqual(daemontest.live_children(daemon.process.pid), [])
        log = daemon.read_log()
        self.assertNotIn("should not be seen", log)
        self.assertNotIn("clock: the time is", log)
        for name in ("exec", "timer", "clock", "module"):
            daemontest.start(self.bus, name)
        self.assertTrue(all(s[0] for s in list_services(self.bus).values()))
        self.assertLogMatches(daemon, "should not be seen", "the module, once started")
        self.assertStopsWith(daemon, EXIT_OK)


if __name__ == "__main__":
    harness.main()
