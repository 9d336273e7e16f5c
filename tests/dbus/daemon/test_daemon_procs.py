# SPDX-License-Identifier: MIT
"""The processes of bgserviced, with real ones: its guardian, which kills
every command's process group when the daemon dies however it dies, and
its limit of open files, raised for the daemon while its commands get the
one it was started with, and reported as such when it runs out."""

import os
import re
import resource
import shutil
import signal
import subprocess
import time
import unittest

import daemontest
import harness
from daemontest import EXIT_OK, EXIT_TASKS_FAILED, alive, all_pids, cmdline, group_members

# How long the commands of a SIGKILLed daemon may outlive it, in seconds.
KILL_DEADLINE = 1.0

GUARDIAN_STARTED = re.compile(r"The guardian of the commands runs as PID (\d+)")


def processes_running(*argv):
    """The live processes, anyone's, running exactly argv."""
    return [pid for pid in all_pids() if cmdline(pid) == list(argv) and alive(pid)]


def guardians(daemon):
    """The PIDs of the guardians the daemon logged it started, in order."""
    return [int(pid) for pid in GUARDIAN_STARTED.findall(daemon.read_log())]


def kill_all(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def nofile_wrapper(soft, hard):
    """A command that runs the daemon with RLIMIT_NOFILE soft:hard."""
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        raise unittest.SkipTest("prlimit (util-linux) is not installed")
    return (prlimit, f"--nofile={soft}:{hard}", "--")


def nofile_limits(pid):
    """(soft, hard) RLIMIT_NOFILE of a process, from /proc/PID/limits."""
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return int(soft), int(hard)
    raise AssertionError(f"no open files limit for PID {pid}")


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


class OpenFilesTest(daemontest.DaemonTestCase):
    """RLIMIT_NOFILE: raised to the hard limit for the daemon, given back to
    the commands, and a clear failure once the hard limit is reached."""

    SERVICES = 1100
    SOFT = 1024

    def test_soft_limit_does_not_bound_services_and_commands_keep_it(self):
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        if hard != resource.RLIM_INFINITY and hard < 4 * self.SERVICES:
            self.skipTest(f"the hard limit of open files ({hard}) is too low for "
                          f"{self.SERVICES} services")
        hard = min(hard, 1 << 20)
        mark = f"{7000 + os.getpid() % 1000}.5"
        limit_file = os.path.join(self.directory, "limit")
        config = "".join(f"[Service s{i}]\nType=exec\nExec=sleep {mark}\n\n"
                         for i in range(self.SERVICES))
        config += f"[Service limit]\nType=exec\nExec=sh -c 'ulimit -n > {limit_file}'\n"
        daemon = self.start_daemon(config, wrapper=nofile_wrapper(self.SOFT, hard))
        self.addCleanup(lambda: kill_all(processes_running("sleep", mark)))
        harness.wait_until(lambda: len(daemontest.commands_of(daemon, "sleep", mark))
                           == self.SERVICES, f"{self.SERVICES} sleeps", timeout=120)
        self.assertEqual(nofile_limits(daemon.process.pid), (hard, hard))
        self.assertEqual(daemontest.wait(self.bus, "limit"), [])
        with open(limit_file) as f:
            self.assertEqual(f.read().strip(), str(self.SOFT))
        some = daemontest.commands_of(daemon, "sleep", mark)[-1]
        self.assertEqual(nofile_limits(some), (self.SOFT, hard))
        self.assertNotIn("Too many open files", daemon.read_log())
        self.assertEqual(sum(running for running, _, _ in
                             daemontest.list_services(self.bus).values()), self.SERVICES)
        self.assertEqual(daemon.stop(timeout=120), EXIT_OK, daemon.read_log())

    def test_hard_limit_reached_fails_services_clearly_and_daemon_stays_healthy(self):
        mark = f"{8000 + os.getpid() % 1000}.5"
        services = 100
        config = "".join(f"[Service s{i:03}]\nType=exec\nExec=sleep {mark}\n\n"
                         for i in range(services))
        daemon = self.start_daemon(config, wrapper=nofile_wrapper(64, 64))
        self.addCleanup(lambda: kill_all(processes_running("sleep", mark)))
        listed = {}

        def settled():
            listed.update(daemontest.list_services(self.bus))
            failed = [name for name in listed if daemontest.get_state(self.bus, name) == "failed"]
            running = [name for name, (is_running, _, _) in listed.items() if is_running]
            return len(failed) + len(running) == services and (failed, running)

        failed, running = harness.wait_until(settled, "every service running or failed")
        self.assertGreater(len(running), 0)
        self.assertGreater(len(failed), 0)
        self.assertEqual(len(daemontest.commands_of(daemon, "sleep", mark)), len(running))
        for name in failed:
            errors = harness.get_property(self.bus, harness.service_path(self.bus, name),
                                          "LastErrors")
            self.assertEqual(len(errors), 1, errors)
            self.assertIn("Too many open files", errors[0][3], errors)
        # Healthy: it answers, stops what runs, and exits (1: tasks failed).
        self.assertEqual(daemontest.get_state(self.bus, running[0]), "running")
        self.assertEqual(daemontest.stop(self.bus, running[0]), [])
        self.assertEqual(daemontest.get_state(self.bus, running[0]), "stopped")
        self.assertEqual(daemon.stop(), EXIT_TASKS_FAILED, daemon.read_log())
        self.assertEqual(processes_running("sleep", mark), [])


if __name__ == "__main__":
    harness.main()
