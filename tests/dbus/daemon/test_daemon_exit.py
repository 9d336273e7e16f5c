# SPDX-License-Identifier: MIT
"""The command line and the exit statuses of bgserviced: 0 when every
service stopped cleanly, 1 when the last run of a service had failures
(the run the shutdown ended, or one that left the service failed and
nobody reset: a Wait takes nothing away, ResetFailed does), 2 on usage
errors, 78 on a bad configuration; --version and --help."""

import os
import re
import signal

import daemontest
import harness
from daemontest import (EXIT_CONFIG, EXIT_OK, EXIT_TASKS_FAILED, EXIT_USAGE, lines,
                        run_bgserviced, write_file)
from harness import BUS_NAME, MANAGER_IFACE, ROOT_PATH

RUNNING = """\
[Service sleeper]
Type=exec
Exec=sleep 600
Instances=2

[Service clock]
Type=clock
IntervalSec=0.2

[Service ticker]
Type=timer
Exec=true
IntervalSec=0.2
"""

FAILING = """\
[Service failing]
Type=exec
Exec=sh -c 'exit 3'

[Service sleeper]
Type=exec
Exec=sleep 600
"""


# A bus policy that drops every reply a client asked for, the bus's own
# among them (dbus-daemon logs each as "Rejected receive message").
DROPS_REPLIES = """\
  <policy context="mandatory">
    <deny receive_type="method_return" receive_requested_reply="true"/>
  </policy>
"""


class ExitStatusTest(daemontest.DaemonTestCase):
    def test_0_when_every_service_stops_cleanly(self):
        daemon = self.start_daemon(RUNNING)
        self.assertLogMatches(daemon, r"clock: the time is", "a tick of the clock")
        self.assertStopsWith(daemon, EXIT_OK)
        self.assertIn("exiting with status 0", daemon.read_log())

    def test_0_on_sigint_too(self):
        daemon = self.start_daemon(RUNNING)
        daemon.signal(signal.SIGINT)
        self.assertEqual(daemon.wait(), EXIT_OK, daemon.read_log())

    def test_0_when_nothing_runs(self):
        daemon = self.start_daemon("[Service idle]\nType=clock\nAutoStart=false\n")
        self.assertStopsWith(daemon, EXIT_OK)

    def test_0_for_an_empty_config(self):
        daemon = self.start_daemon("# nothing to run\n")
        self.assertEqual(daemontest.list_services(self.bus), {})
        self.assertStopsWith(daemon, EXIT_OK)

    def test_1_when_a_task_failed_and_the_log_names_it(self):
        daemon = self.start_daemon(FAILING)
        harness.wait_until(lambda: not daemontest.is_running(self.bus, "failing"),
                           "the failing command to end")
        self.assertStopsWith(daemon, EXIT_TASKS_FAILED)
        log = daemon.read_log()
        # As it happened, and again at exit: the service, the task, the error.
        self.assertRegex(log, r"failing: task instance-1 failed: .*exited with status 3")
        self.assertRegex(log, r"failing: task instance-1 had failed: .*exited with status 3 "
                              r"\(g-spawn-exit-error-quark 3\)")
        self.assertIn("exiting with status 1", log)
        self.assertNotIn("sleeper: task", log, "a stopped command is not a failure")

    def test_1_on_sigint_when_a_task_failed(self):
        daemon = self.start_daemon(FAILING)
        harness.wait_until(lambda: not daemontest.is_running(self.bus, "failing"),
                           "the failing command to end")
        daemon.signal(signal.SIGINT)
        self.assertEqual(daemon.wait(), EXIT_TASKS_FAILED, daemon.read_log())

    def test_1_even_when_the_failure_was_waited_for(self):
        """Results belong to the run: a Wait (or two, or a Stop of the
        failed service) consumes nothing, the service is still failed."""
        daemon = self.start_daemon(FAILING)
        errors = daemontest.wait(self.bus, "failing")
        self.assertOneError(errors, "instance-1", "g-spawn-exit-error-quark", 3)
        self.assertEqual(daemontest.wait(self.bus, "failing"), errors)
        self.assertEqual(daemontest.stop(self.bus, "failing"), [])
        self.assertEqual(daemontest.get_state(self.bus, "failing"), "failed")
        self.assertStopsWith(daemon, EXIT_TASKS_FAILED)
        self.assertRegex(daemon.read_log(), r"failing: task instance-1 had failed: "
                                            r".*exited with status 3")

    def test_0_when_the_failed_service_was_reset(self):
        """ResetFailed makes the failed service stopped, without failures:
        nothing failed is left behind."""
        daemon = self.start_daemon(FAILING)
        daemontest.wait(self.bus, "failing")
        daemontest.reset_failed(self.bus, "failing")
        self.assertEqual(daemontest.get_state(self.bus, "failing"), "stopped")
        self.assertStopsWith(daemon, EXIT_OK)
        self.assertNotIn("had failed", daemon.read_log())

    def test_0_when_the_last_run_was_clean(self):
        """An earlier failed run no longer counts once a later run of the
        service ended without failures."""
        flag = os.path.join(self.directory, "failed-once")
        script = daemontest.write_script(self.directory, "once",
                                         f"[ -e {flag} ] && exec sleep 600\n"
                                         f": > {flag}\nexit 3\n")
        daemon = self.start_daemon(f"[Service once]\nType=exec\nExec={script}\n")
        self.assertOneError(daemontest.wait(self.bus, "once"), "instance-1",
                            "g-spawn-exit-error-quark", 3)
        daemontest.start(self.bus, "once")
        daemontest.wait_for_children(daemon, 1, "sleep", "600")
        self.assertEqual(daemontest.get_state(self.bus, "once"), "running")
        self.assertStopsWith(daemon, EXIT_OK)

    def test_1_when_the_shutdown_ends_a_run_with_failures(self):
        """A service waiting to restart after a failure is in a run that
        had failures; the shutdown ends it, and they count."""
        daemon = self.start_daemon(FAILING.replace("Exec=sh -c 'exit 3'\n",
                                                   "Exec=sh -c 'exit 3'\nRestart=on-failure\n"
                                                   "RestartSec=10min\n"))
        harness.wait_until(lambda: daemontest.get_state(self.bus, "failing") == "restarting",
                           "the failing service to wait for its restart")
        self.assertStopsWith(daemon, EXIT_TASKS_FAILED)
        self.assertRegex(daemon.read_log(), r"failing: task instance-1 had failed: "
                                            r".*exited with status 3")

    def test_0_when_a_command_exits_with_an_error_status_once_stopped(self):
        """Whatever a command does once told to stop, it was stopped: it
        counts as cancelled, not failed."""
        script = daemontest.write_script(self.directory, "grumpy",
                                         "trap 'exit 9' TERM\nwhile :; do sleep 0.05; done\n")
        daemon = self.start_daemon(f"[Service grumpy]\nType=exec\nExec={script}\n")
        daemontest.wait_for_children(daemon, 1, "/bin/sh", script)
        self.assertStopsWith(daemon, EXIT_OK)

    def test_78_on_a_bad_config(self):
        path = write_file(self.directory, "bad.conf", "[Service a]\nType=clock\nColour=red\n")
        result = run_bgserviced(f"--address={self.bus.address}", f"--config={path}")
        self.assertEqual(result.returncode, EXIT_CONFIG, result.stderr)
        self.assertEqual(len(lines(result.stderr)), 1, result.stderr)
        self.assertTrue(result.stderr.startswith(f"bgserviced: {path}: [Service a] Colour: "),
                        result.stderr)

    def test_usage_errors_exit_2(self):
        config = write_file(self.directory, "good.conf", "[Service a]\nType=clock\n")
        cases = [
            (["--no-such-option"], "--no-such-option"),
            (["--system", "--session"], "--system"),
            (["--session", f"--address={self.bus.address}"], "--address"),
            (["--system", f"--address={self.bus.address}"], "--address"),
            (["stray-argument"], "stray-argument"),
            (["--bus-name=:1.7"], ":1.7"),
            (["--bus-name=no-dots"], "no-dots"),
            (["--bus-name="], "--bus-name"),
            (["--address"], "--address"),
        ]
        for args, words in cases:
            with self.subTest(args):
                result = run_bgserviced(f"--config={config}", *args)
                self.assertEqual(result.returncode, EXIT_USAGE, result.stderr)
                self.assertEqual(result.stdout, "")
                self.assertIn(words, result.stderr)
                self.assertRegex(result.stderr, r"^bgserviced: ")
                self.assertIn("--help", result.stderr)
        self.assertFalse(harness.name_has_owner(self.bus, BUS_NAME))

    def test_usage_error_wins_over_a_bad_config(self):
        path = write_file(self.directory, "bad.conf", "[Nonsense]\n")
        result = run_bgserviced("--system", "--session", f"--config={path}")
        self.assertEqual(result.returncode, EXIT_USAGE, result.stderr)

    def test_version(self):
        result = run_bgserviced("--version")
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        self.assertRegex(result.stdout, r"^bgserviced \d+\.\d+\.\d+\n$")
        self.assertEqual(result.stderr, "")
        # The same version the running daemon reports on the bus.
        self.start_daemon("")
        version = harness.get_property(self.bus, ROOT_PATH, "Version", iface=MANAGER_IFACE)
        self.assertEqual(result.stdout.split()[1], version)

    def test_help(self):
        result = run_bgserviced("--help")
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        for option in ("--system", "--session", "--address=ADDRESS", "--config=FILE",
                       "--bus-name=NAME", "--check-config", "--version", "--verbose"):
            self.assertIn(option, result.stdout)
        for words in ("SIGTERM", "SIGHUP", "78", BUS_NAME):
            self.assertIn(words, result.stdout)

    def test_cannot_reach_the_bus(self):
        nowhere = "unix:path=" + os.path.join(self.directory, "no-bus-here")
        notify = harness.Notify(self.directory)
        self.addCleanup(notify.close)
        result = run_bgserviced(f"--address={nowhere}", "--config=/dev/null",
                                env={"NOTIFY_SOCKET": notify.path})
        self.assertNotIn(result.returncode, (EXIT_OK, EXIT_USAGE, EXIT_CONFIG), result.stderr)
        self.assertIn("no-bus-here", result.stderr)
        self.assertNotIn("READY=1", daemontest.collect(notify, 0.2))

    def test_bus_name_taken(self):
        """A second daemon cannot own the name: it fails, never READY=1."""
        first = self.start_daemon("[Service a]\nType=clock\n")
        other = os.path.join(self.directory, "second")
        os.mkdir(other)
        notify = harness.Notify(other)
        self.addCleanup(notify.close)
        path = write_file(other, "second.conf", "[Service b]\nType=clock\n")
        result = run_bgserviced(f"--address={self.bus.address}", f"--config={path}",
                                env={"NOTIFY_SOCKET": notify.path})
        self.assertNotIn(result.returncode, (EXIT_OK, EXIT_USAGE, EXIT_CONFIG), result.stderr)
        self.assertIn(BUS_NAME, result.stderr)
        self.assertNotIn("READY=1", daemontest.collect(notify, 0.2))
        self.assertEqual(list(daemontest.list_services(self.bus)), ["a"])
        self.assertStopsWith(first, EXIT_OK)

    def test_a_bus_that_drops_its_replies(self):
        """A bus whose policy drops every reply to the daemon: it fails
        after sd-bus's timeout (shortened here) with a message that says
        no answer came and where to look, never READY=1."""
        other = os.path.join(self.directory, "deaf")
        os.mkdir(other)
        deaf_bus = harness.Bus(other, extra=DROPS_REPLIES)
        self.addCleanup(deaf_bus.close)
        notify = harness.Notify(other)
        self.addCleanup(notify.close)
        result = run_bgserviced(f"--address={deaf_bus.address}", "--config=/dev/null",
                                env={"NOTIFY_SOCKET": notify.path, "SYSTEMD_BUS_TIMEOUT": "1"})
        self.assertNotIn(result.returncode, (EXIT_OK, EXIT_USAGE, EXIT_CONFIG), result.stderr)
        self.assertRegex(result.stderr, rf"Cannot own the bus name {re.escape(BUS_NAME)}: "
                                        r"no answer came from the bus .*Rejected receive message")
        self.assertNotIn("READY=1", daemontest.collect(notify, 0.2))

    def test_bus_name_from_config_and_option(self):
        daemon = self.start_daemon("[Daemon]\nBusName=org.example.Configured\n",
                                   name="org.example.Configured")
        self.assertTrue(harness.name_has_owner(self.bus, "org.example.Configured"))
        self.assertFalse(harness.name_has_owner(self.bus, BUS_NAME))
        self.assertStopsWith(daemon, EXIT_OK)

        other = os.path.join(self.directory, "option")
        os.mkdir(other)
        daemon = harness.Daemon(self.bus, other, "[Daemon]\nBusName=org.example.Configured\n",
                                args=["--bus-name=org.example.FromOption"],
                                name="org.example.FromOption")
        self.daemons.append(daemon)
        self.assertFalse(harness.name_has_owner(self.bus, "org.example.Configured"))
        services = harness.busctl_json(self.bus, "call", "org.example.FromOption", ROOT_PATH,
                                       MANAGER_IFACE, "ListServices")
        self.assertEqual(services, [[]])
        self.assertStopsWith(daemon, EXIT_OK)


if __name__ == "__main__":
    harness.main()
