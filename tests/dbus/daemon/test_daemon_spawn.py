# SPDX-License-Identifier: MIT
"""What a command of bgserviced starts with, read from /proc of the real
process: its own process group, no signal ignored or blocked whatever the
daemon inherited, stdin from /dev/null, the daemon's environment and
working directory. Its descriptors and the variables meant for the daemon
alone are in test_daemon_output.py and test_daemon_notify.py."""

import os
import signal
import sys

import daemontest
import harness
from daemontest import EXIT_OK, process_stat, signal_set, wait_for_children

# Runs its arguments with SIGINT, SIGQUIT (as a shell starts a job in the
# background), SIGPIPE and SIGUSR2 ignored, and SIGUSR1 and SIGCHLD blocked:
# both survive exec.
HOSTILE_START = """\
import os, signal, sys
for number in (signal.SIGINT, signal.SIGQUIT, signal.SIGPIPE, signal.SIGUSR2):
    signal.signal(number, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGCHLD})
os.execvp(sys.argv[1], sys.argv[1:])
"""

# The signals glibc keeps for itself (SIGCANCEL, SIGSETXID): its
# posix_spawn() leaves them ignored in the new process, as for every caller,
# and glibc in the program sets its own handlers when it needs them.
GLIBC_INTERNAL = {32, 33}


def ignored(pid):
    """The signals pid ignores, besides glibc's own."""
    return signal_set(pid, "SigIgn") - GLIBC_INTERNAL


def blocked(pid):
    """The signals pid blocks, from SigBlk of /proc/PID/status."""
    return signal_set(pid, "SigBlk")


class SpawnTest(daemontest.DaemonTestCase):
    def start_sleepers(self, **kwargs):
        """The daemon, started with signals ignored and blocked, in a
        working directory of its own, with a variable of its own; returns
        (daemon, the PIDs of its two sleep commands)."""
        wrapper = (sys.executable, "-c", HOSTILE_START)
        workdir = os.path.join(self.directory, "work")
        os.mkdir(workdir)
        previous = os.getcwd()
        os.chdir(workdir)
        try:
            daemon = self.start_daemon("[Service sleepers]\nType=exec\nExec=sleep 600\n"
                                       "Instances=2\n", wrapper=wrapper,
                                       env={"BGS_TEST_VARIABLE": "passed on"})
        finally:
            os.chdir(previous)
        self.workdir = workdir
        # The daemon did inherit them (it handles SIGINT itself): what
        # follows shows it does not pass them on.
        self.assertLessEqual({signal.SIGQUIT, signal.SIGUSR2},
                             signal_set(daemon.process.pid, "SigIgn"))
        return daemon, wait_for_children(daemon, 2, "sleep", "600")

    def test_no_signal_ignored_or_blocked(self):
        daemon, pids = self.start_sleepers()
        for pid in pids:
            self.assertEqual(ignored(pid), set(), pid)
            self.assertEqual(blocked(pid), set(), pid)
        # So SIGINT, which the daemon ignores, ends a command.
        os.kill(pids[0], signal.SIGINT)
        self.assertGone([pids[0]], "a command sent SIGINT")
        # Seen by the daemon before it stops, else it counts as stopped.
        self.assertLogMatches(daemon, r"killed by signal 2\b", "the command's death by SIGINT")
        self.assertStopsWith(daemon, daemontest.EXIT_TASKS_FAILED)

    def test_each_command_leads_a_new_group_in_the_daemons_session(self):
        daemon, pids = self.start_sleepers()
        for pid in pids:
            self.assertEqual(process_stat(pid)[2], pid)
            self.assertEqual(os.getsid(pid), os.getsid(daemon.process.pid))
        self.assertStopsWith(daemon, EXIT_OK)

    def test_stdin_environment_and_working_directory(self):
        daemon, pids = self.start_sleepers()
        for pid in pids:
            self.assertEqual(os.readlink(f"/proc/{pid}/fd/0"), "/dev/null")
            self.assertEqual(os.readlink(f"/proc/{pid}/cwd"), self.workdir)
            with open(f"/proc/{pid}/environ", "rb") as f:
                environment = f.read().split(b"\0")
            self.assertIn(b"BGS_TEST_VARIABLE=passed on", environment)
        self.assertStopsWith(daemon, EXIT_OK)


if __name__ == "__main__":
    harness.main()
