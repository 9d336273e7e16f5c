# SPDX-License-Identifier: MIT
"""The guardian of bgserviced, with real processes: when the daemon dies
without stopping its commands (SIGKILL), every command's process group is
killed within a second, grandchildren and a start under way included; a
guardian that dies is replaced; and none is left once the daemon exits."""

import os
import re
import signal
import subprocess
import time

import daemontest
import harness
from daemontest import EXIT_OK, alive, cmdline, group_members, kill_all, processes_running

# How long the commands of a SIGKILLed daemon may outlive it, in seconds.
KILL_DEADLINE = 1.0

GUARDIAN_STARTED = re.compile(r"The guardian of the commands runs as PID (\d+)")


def guardians(daemon):
    """The PIDs of the guardians the daemon logged it started, in order."""
    return [int(pid) for pid in GUARDIAN_STARTED.findall(daemon.read_log())]


class GuardianTest(daemontest.DaemonTestCase):
    """bgserviced SIGKILLed: no command outlives it by more than a second."""

    def setUp(self):
        super().setUp()
        # Arguments no other test's commands have: this test finds them
        # wherever they ended up once their parent died.
        self.mark = f"{9000 + os.getpid() % 1000}.{time.monotonic_ns() % 1000}"

    def sleeps(self, number):
        """A sleep command line of this test; number tells them apart."""
        return ["sleep", f"{number}{self.mark}"]

    def ours(self):
        """Every live process running a command of this test."""
        return [pid for number in range(1, 5) for pid in processes_running(*self.sleeps(number))]

    def config(self):
        plain, child, grandchild, burst = (" ".join(self.sleeps(n)) for n in range(1, 5))
        return (f"[Service plain]\nType=exec\nExec={plain}\nInstances=3\n\n"
                f"[Service family]\nType=exec\nExec=sh -c '{child} & {grandchild} & wait'\n"
                f"Instances=2\n\n"
                f"[Service burst]\nType=exec\nExec={burst}\nInstances=400\nAutoStart=false\n")

    def start_family(self):
        """The daemon with its commands running, grandchildren included;
        returns (daemon, the process groups of its commands)."""
        daemon = self.start_daemon(self.config())
        self.addCleanup(lambda: kill_all(self.ours()))
        harness.wait_until(lambda: len(self.ours()) == 3 + 2 * 2,
                           "three sleeps and two families of two")
        groups = {os.getpgid(pid) for pid in self.ours()}
        self.assertEqual(len(groups), 3 + 2, "each command leads a group of its own")
        return daemon, groups

    def assertAllGoneWithin(self, killed_at, groups):
        """No command of this test, and no member of groups, is alive
        KILL_DEADLINE after killed_at."""
        def left():
            return set(self.ours()) | {pid for group in groups for pid in group_members(group)}

        while left() and time.monotonic() - killed_at < KILL_DEADLINE:
            time.sleep(0.01)
        remaining = left()
        self.assertEqual(remaining, set(),
                         f"commands alive {time.monotonic() - killed_at:.2f} s after the daemon "
                         f"was killed: {[(pid, cmdline(pid)) for pid in remaining]}")

    def kill_daemon(self, daemon):
        """SIGKILL; returns when it was sent (monotonic)."""
        killed_at = time.monotonic()
        daemon.process.kill()
        daemon.process.wait()
        return killed_at

    def test_sigkill_of_the_daemon_kills_every_command(self):
        daemon, groups = self.start_family()
        guardian = guardians(daemon)[-1]
        self.assertTrue(alive(guardian))
        # A start of many instances spawns over several iterations of the
        # daemon's loop: the kill comes while it spawns.
        service = harness.service_path(self.bus, "burst")
        starter = subprocess.Popen(
            ["busctl", f"--address={self.bus.address}", "call", harness.BUS_NAME, service,
             harness.SERVICE_IFACE, "Start"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(starter.wait)
        harness.wait_until(lambda: processes_running(*self.sleeps(4)), "a burst command",
                           interval=0.001)
        killed_at = self.kill_daemon(daemon)
        self.assertAllGoneWithin(killed_at, groups)
        # Its work done, the guardian exits.
        self.assertGone([guardian], "the guardian")
        self.assertIn(f"the daemon (PID {daemon.process.pid}) has died", daemon.read_log())

    def test_a_killed_guardian_is_replaced_and_still_protects(self):
        daemon, groups = self.start_family()
        first = guardians(daemon)[-1]
        os.kill(first, signal.SIGKILL)
        harness.wait_until(lambda: len(guardians(daemon)) == 2, "a second guardian")
        second = guardians(daemon)[-1]
        self.assertNotEqual(second, first)
        self.assertTrue(alive(second))
        self.assertRegex(daemon.read_log(), rf"guardian of the commands \(PID {first}\) has gone")
        # The commands still run: losing the guardian is no reason to stop them.
        self.assertEqual(len(self.ours()), 3 + 2 * 2)
        killed_at = self.kill_daemon(daemon)
        self.assertAllGoneWithin(killed_at, groups)
        self.assertGone([second], "the second guardian")

    def test_a_clean_stop_leaves_no_guardian(self):
        daemon, groups = self.start_family()
        guardian = guardians(daemon)[-1]
        self.assertStopsWith(daemon, EXIT_OK)
        stopped_at = time.monotonic()
        while alive(guardian) and time.monotonic() - stopped_at < KILL_DEADLINE:
            time.sleep(0.01)
        self.assertFalse(alive(guardian), "the guardian outlived a daemon that stopped")
        self.assertEqual(self.ours(), [])

    def test_the_guardian_is_not_a_child_of_the_daemon(self):
        """The daemon's children are its commands; the guardian leads a
        group of its own, out of reach of a signal to the daemon's."""
        daemon, groups = self.start_family()
        guardian = guardians(daemon)[-1]
        stat = daemontest.process_stat(guardian)
        self.assertNotEqual(stat[1], daemon.process.pid)
        self.assertEqual(stat[2], guardian)
        self.assertNotIn(guardian, daemontest.live_children(daemon.process.pid))
        self.assertStopsWith(daemon, EXIT_OK)

    def test_guardian_argument_alone_is_refused(self):
        """`bgserviced --guardian` run by hand has no daemon to guard."""
        result = daemontest.run_bgserviced("--guardian")
        self.assertEqual(result.returncode, daemontest.EXIT_USAGE, result)
        self.assertIn("--guardian", result.stderr)


if __name__ == "__main__":
    harness.main()
