# SPDX-License-Identifier: MIT
"""stop, restart and wait wait as long as the tasks take: check 23 of
tests/ctl/README-integration.md.

sd-bus gives a method call 25 s by default; to keep the test short, the
client runs with SYSTEMD_BUS_TIMEOUT=1, which makes that default 1 s, and
the calls last 2 or 3 s. busctl, run the same way at the same time, times
out: the proof that the variable works here and that the client's calls
would have timed out had they used the default."""

import subprocess

import ctltest
import harness
from ctltest import OK

CONFIG = """\
[Service slowstop]
Type=exec
Exec=sh -c "trap 'sleep 3; exit 0' TERM; while :; do sleep 0.2; done"
TimeoutStopSec=30

[Service brief]
Type=exec
Exec=sleep 2
AutoStart=false
"""

SHORT_TIMEOUT = {"SYSTEMD_BUS_TIMEOUT": "1"}


class LongCallTest(ctltest.CtlTestCase):
    def setUp(self):
        super().setUp()
        self.start_daemon(CONFIG)

    def busctl_wait(self, name):
        """busctl calling Wait on name with the short default timeout, in
        the background."""
        path = harness.service_path(self.bus, name)
        process = subprocess.Popen(
            ["busctl", f"--address={self.bus.address}", "call", harness.BUS_NAME, path,
             harness.SERVICE_IFACE, "Wait"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=ctltest.client_env(SHORT_TIMEOUT))
        self.addCleanup(process.wait)
        self.addCleanup(process.kill)
        return process

    def assertTimedOut(self, process):
        out, err = process.communicate(timeout=harness.PATIENCE)
        self.assertNotEqual(process.returncode, 0, out)
        self.assertIn("timed out", err)

    def test_stop_outlasts_the_default_timeout(self):
        control = self.busctl_wait("slowstop")
        result = self.ctl("stop", "slowstop", env=SHORT_TIMEOUT)
        self.assertResult(result, OK, stdout="", stderr="")
        self.assertGreater(result.elapsed, 2.5, "slowstop ends 3 s after its SIGTERM")
        self.assertEqual(self.services()["slowstop"], (False, 0))
        self.assertTimedOut(control)

    def test_restart_outlasts_the_default_timeout(self):
        control = self.busctl_wait("slowstop")
        result = self.ctl("restart", "slowstop", env=SHORT_TIMEOUT)
        self.assertResult(result, OK, stdout="", stderr="")
        self.assertGreater(result.elapsed, 2.5, "slowstop ends 3 s after its SIGTERM")
        self.assertEqual(self.services()["slowstop"], (True, 1))
        self.assertTimedOut(control)

    def test_wait_outlasts_the_default_timeout(self):
        self.assertResult(self.ctl("start", "brief", env=SHORT_TIMEOUT), OK, stdout="", stderr="")
        control = self.busctl_wait("brief")
        result = self.ctl("wait", "brief", env=SHORT_TIMEOUT)
        self.assertResult(result, OK, stdout="", stderr="")
        self.assertGreater(result.elapsed, 1.2, "brief runs for 2 s")
        self.assertEqual(self.services()["brief"], (False, 0))
        self.assertTimedOut(control)


if __name__ == "__main__":
    harness.main()
