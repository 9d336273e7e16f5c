# SPDX-License-Identifier: MIT
"""bgservicectl interrupted while it waits for bgserviced: checks 28, 29
and 39 of tests/ctl/README-integration.md. The client stops waiting at
once, says what goes on without it, and dies of the signal; the daemon
carries on and stays healthy.

Each test first makes sure the client waits for the reply it means to
interrupt: the call passed the bus (busctl monitor, or the state it
changes) and the client catches the signal (/proc/PID/status)."""

import os
import signal
import time

import ctltest
import harness
from ctltest import OK

CONFIG = """\
[Service clock]
Type=clock
IntervalSec=1

[Service sleeper]
Type=exec
Exec=sleep 1000
Instances=3
TimeoutStopSec=3

[Service stubborn]
Type=exec
Exec=sh -c "trap '' TERM; while :; do sleep 0.2; done"
TimeoutStopSec=3
"""


class SignalTest(ctltest.CtlTestCase):
    def setUp(self):
        super().setUp()
        self.daemon = self.start_daemon(CONFIG)

    def assertDaemonHealthy(self):
        """The daemon answers, changes services, and exits 0 on SIGTERM
        (no task failed)."""
        self.assertResult(self.ctl("status", "clock"), OK, stderr="")
        self.assertResult(self.ctl("restart", "clock"), OK, stdout="", stderr="")
        self.assertEqual(self.daemon.stop(), 0, self.daemon.read_log())
        self.assertNotIn("CRITICAL", self.daemon.read_log())

    def test_ctrl_c_on_a_terminal_during_stop(self):
        # 28: ^C typed on the client's terminal.
        terminal = self.ctl_terminal("stop", "stubborn")
        self.wait_for_state("stubborn", "stopping")
        self.wait_catching(terminal.pid, signal.SIGINT)
        typed = time.monotonic()
        terminal.type(b"\x03")
        wait_status, output = terminal.finish()
        self.assertLess(time.monotonic() - typed, 1.5, "the client did not stop waiting at once")
        self.assertTrue(os.WIFSIGNALED(wait_status), f"wait status {wait_status}: {output!r}")
        self.assertEqual(os.WTERMSIG(wait_status), signal.SIGINT)
        self.assertIn("bgservicectl: interrupted; bgserviced goes on stopping the services\n",
                      output)
        # The stop goes on without the client, and ends.
        self.assertEqual(self.state("stubborn"), "stopping")
        self.wait_for_state("stubborn", "stopped")
        self.assertEqual(self.services()["stubborn"], (False, 0))
        self.assertDaemonHealthy()

    def test_sigterm_during_stop(self):
        # 28, SIGTERM: "terminated"; a shell would report 143.
        client = self.ctl_background("stop", "stubborn")
        self.wait_for_state("stubborn", "stopping")
        self.wait_catching(client.pid, signal.SIGTERM)
        client.signal(signal.SIGTERM)
        self.assertResult(client.finish(), -signal.SIGTERM, stdout="", stderr=(
            "bgservicectl: terminated; bgserviced goes on stopping the services\n"))
        self.wait_for_state("stubborn", "stopped")
        self.assertDaemonHealthy()

    def test_sigint_during_restart(self):
        # The restart goes on: stubborn runs again, with a new task.
        client = self.ctl_background("restart", "stubborn")
        self.wait_for_state("stubborn", "stopping")
        self.wait_catching(client.pid, signal.SIGINT)
        client.signal(signal.SIGINT)
        self.assertResult(client.finish(), -signal.SIGINT, stdout="", stderr=(
            "bgservicectl: interrupted; bgserviced goes on restarting the services\n"))
        self.assertEqual(self.state("stubborn"), "stopping")
        self.wait_for_state("stubborn", "running")
        self.assertEqual(self.services()["stubborn"], (True, 1))
        self.assertResult(self.ctl("stop", "stubborn"), OK, stdout="", stderr="")
        self.assertDaemonHealthy()

    def test_sigint_during_wait(self):
        # 39: the service still runs; its tasks are untouched.
        pids = self.wait_for_task_pids(self.daemon, ["sleep", "1000"], 3)
        monitor = self.monitor("Wait")
        client = self.ctl_background("wait", "sleeper")
        monitor.wait_for_call()
        self.wait_catching(client.pid, signal.SIGINT)
        client.signal(signal.SIGINT)
        result = client.finish()
        self.assertResult(result, -signal.SIGINT, stdout="", stderr="bgservicectl: interrupted\n")
        self.assertEqual(self.services()["sleeper"], (True, 3))
        self.assertEqual(self.task_pids(self.daemon, ["sleep", "1000"]), pids)
        # The wait of a client that left does not get in the way.
        self.assertResult(self.ctl("stop", "sleeper"), OK, stdout="", stderr="")
        self.assertDaemonHealthy()

    def test_ctrl_c_on_a_terminal_during_wait(self):
        # 39, typed.
        monitor = self.monitor("Wait")
        terminal = self.ctl_terminal("wait", "clock")
        monitor.wait_for_call()
        self.wait_catching(terminal.pid, signal.SIGINT)
        terminal.type(b"\x03")
        wait_status, output = terminal.finish()
        self.assertTrue(os.WIFSIGNALED(wait_status), f"wait status {wait_status}: {output!r}")
        self.assertEqual(os.WTERMSIG(wait_status), signal.SIGINT)
        self.assertIn("bgservicectl: interrupted\n", output)
        self.assertEqual(self.services()["clock"], (True, 1))

    def test_sigint_ignored_keeps_waiting(self):
        # 29: run in the background by a non-interactive shell, the client
        # inherits SIGINT ignored, and keeps it so.
        def ignore_sigint():
            signal.signal(signal.SIGINT, signal.SIG_IGN)

        monitor = self.monitor("Wait")
        client = self.ctl_background("wait", "sleeper", preexec_fn=ignore_sigint)
        monitor.wait_for_call()
        self.assertIn(signal.SIGINT, ctltest.signals_of(client.pid, "SigIgn"))
        self.assertNotIn(signal.SIGINT, ctltest.signals_of(client.pid, "SigCgt"))
        client.signal(signal.SIGINT)
        # SIGTERM is caught all the same: the client is in its wait.
        self.wait_catching(client.pid, signal.SIGTERM)
        self.assertIn(signal.SIGINT, ctltest.signals_of(client.pid, "SigIgn"))
        self.assertResult(self.ctl("stop", "sleeper"), OK, stdout="", stderr="")
        self.assertResult(client.finish(), OK, stdout="", stderr="")


if __name__ == "__main__":
    harness.main()
