# SPDX-License-Identifier: MIT
"""The limit of open files of bgserviced, with real processes: its soft
RLIMIT_NOFILE raised to the hard limit so that a thousand commands and more
fit, the commands getting the soft limit the daemon was started with, and,
once the hard limit is reached, a clear failure of the commands that do not
fit while the daemon goes on."""

import os
import resource
import shutil
import unittest

import daemontest
import harness
from daemontest import EXIT_OK, EXIT_TASKS_FAILED, kill_all, processes_running


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

        def settled():
            """(failed, running) once every service that runs has its
            command: a sleep that never ends, so one that does not run
            failed to start."""
            listed = daemontest.list_services(self.bus)
            running = [name for name, (is_running, _, _) in listed.items() if is_running]
            spawned = daemontest.commands_of(daemon, "sleep", mark)
            return (len(listed) == services and len(spawned) == len(running)
                    and ([(name, path) for name, (is_running, _, path) in listed.items()
                          if not is_running], running))

        failed, running = harness.wait_until(settled, "every service running or failed")
        self.assertGreater(len(running), 0)
        self.assertGreater(len(failed), 0)
        for name, path in failed:
            self.assertEqual(harness.get_property(self.bus, path, "State"), "failed", name)
            errors = harness.get_property(self.bus, path, "LastErrors")
            self.assertEqual(len(errors), 1, errors)
            self.assertIn("Too many open files", errors[0][3], errors)
            self.assertRegex(errors[0][3], r"bgserviced reached its limit of \d+ open "
                                           r"descriptors: .*; raise LimitNOFILE= of its unit")
        # Healthy: it answers, stops what runs, and exits (1: tasks failed).
        self.assertEqual(daemontest.get_state(self.bus, running[0]), "running")
        self.assertEqual(daemontest.stop(self.bus, running[0]), [])
        self.assertEqual(daemontest.get_state(self.bus, running[0]), "stopped")
        self.assertEqual(daemon.stop(), EXIT_TASKS_FAILED, daemon.read_log())
        self.assertEqual(processes_running("sleep", mark), [])


if __name__ == "__main__":
    harness.main()
