# SPDX-License-Identifier: MIT
"""Type=exec services with real processes: exit statuses, signals nobody
sent, process groups, SIGTERM then SIGKILL after TimeoutStopSec=, and
instances. A failure leaves the service failed, and the daemon exits 1
for it however often it was waited for. Timer, clock and module services
are in test_daemon_services.py."""

import json
import os
import signal
import subprocess
import time

import daemontest
import harness
from daemontest import (EXIT_ERROR_DOMAIN, EXIT_OK, EXIT_TASKS_FAILED, SignalRecorder, alive,
                        commands_of, group_members, list_services, process_stat, stop, wait,
                        wait_for_children)
from harness import SERVICE_IFACE


class ExecTest(daemontest.DaemonTestCase):
    def task_failed_recorder(self):
        recorder = SignalRecorder(self.bus, SERVICE_IFACE, "TaskFailed")
        self.addCleanup(recorder.close)
        return recorder

    def test_exit_0_ends_the_task_cleanly(self):
        daemon = self.start_daemon("[Service done]\nType=exec\nExec=sh -c 'exit 0'\nInstances=2\n")
        self.assertEqual(wait(self.bus, "done"), [])
        self.assertEqual(list_services(self.bus)["done"][:2], (False, 0))
        self.assertEqual(harness.get_property(self.bus, harness.service_path(self.bus, "done"),
                                              "LastErrors"), [])
        self.assertEqual(daemontest.get_state(self.bus, "done"), "stopped")
        self.assertStopsWith(daemon, EXIT_OK)

    def test_exit_status_fails_the_task_with_its_code(self):
        daemon = self.start_daemon("[Service seven]\nType=exec\nExec=sh -c 'exit 7'\n"
                                   "AutoStart=false\n")
        recorder = self.task_failed_recorder()
        daemontest.start(self.bus, "seven")
        errors = wait(self.bus, "seven")
        message = self.assertOneError(errors, "instance-1", EXIT_ERROR_DOMAIN, 7)
        self.assertIn("7", message)
        # The same error as a signal, in LastErrors, and in the log.
        path = harness.service_path(self.bus, "seven")
        self.assertEqual(recorder.wait_for(1), [(path, tuple(errors[0]))])
        self.assertEqual(harness.get_property(self.bus, path, "LastErrors"), errors)
        self.assertRegex(daemon.read_log(), r"seven: task instance-1 failed: .*status 7")
        self.assertEqual(daemontest.get_state(self.bus, "seven"), "failed")
        # The Wait took nothing: the failed run still counts at exit.
        self.assertStopsWith(daemon, EXIT_TASKS_FAILED)

    def test_every_instance_fails_on_its_own(self):
        daemon = self.start_daemon("[Service three]\nType=exec\nExec=sh -c 'exit 2'\n"
                                   "Instances=3\n")
        errors = wait(self.bus, "three")
        self.assertEqual(sorted(e[0] for e in errors), ["instance-1", "instance-2", "instance-3"])
        self.assertEqual({(e[1], e[2]) for e in errors}, {(EXIT_ERROR_DOMAIN, 2)})
        self.assertStopsWith(daemon, EXIT_TASKS_FAILED)

    def test_stop_returns_the_failure_but_not_the_cancellation(self):
        """Two instances: the first to make the lock directory fails with 5,
        the other runs until stopped."""
        lock = os.path.join(self.directory, "lock")
        script = daemontest.write_script(self.directory, "one-fails",
                                         f"mkdir {lock} 2>/dev/null && exit 5\nexec sleep 600\n")
        daemon = self.start_daemon(f"[Service mixed]\nType=exec\nExec={script}\nInstances=2\n")
        wait_for_children(daemon, 1, "sleep", "600")
        harness.wait_until(lambda: list_services(self.bus)["mixed"][1] == 1,
                           "the failing instance to end")
        errors = stop(self.bus, "mixed")
        self.assertEqual(len(errors), 1, errors)
        self.assertIn(errors[0][0], ("instance-1", "instance-2"))
        self.assertEqual(errors[0][1:3], [EXIT_ERROR_DOMAIN, 5])
        self.assertEqual(commands_of(daemon, "sleep", "600"), [])
        # Stopped, not failed (the Stop ended the run); the run had a
        # failure all the same, which LastErrors keeps and the exit counts.
        self.assertEqual(daemontest.get_state(self.bus, "mixed"), "stopped")
        self.assertEqual(harness.get_property(self.bus, harness.service_path(self.bus, "mixed"),
                                              "LastErrors"), errors)
        self.assertStopsWith(daemon, EXIT_TASKS_FAILED)

    def test_a_signal_nobody_sent_fails_the_task(self):
        daemon = self.start_daemon("[Service victim]\nType=exec\nExec=sleep 600\n")
        recorder = self.task_failed_recorder()
        [pid] = wait_for_children(daemon, 1, "sleep", "600")
        os.kill(pid, signal.SIGKILL)
        errors = wait(self.bus, "victim")
        self.assertEqual(len(errors), 1, errors)
        task, domain, code, message = errors[0]
        self.assertEqual(task, "instance-1")
        self.assertNotEqual((domain, code), daemontest.CANCELLED)
        self.assertIn("signal", message)
        self.assertIn("9", message)
        self.assertEqual(len(recorder.wait_for(1)), 1)
        self.assertFalse(daemontest.is_running(self.bus, "victim"))
        self.assertEqual(daemontest.get_state(self.bus, "victim"), "failed")
        self.assertStopsWith(daemon, EXIT_TASKS_FAILED)

    def test_a_signal_nobody_sent_makes_the_exit_status_1(self):
        daemon = self.start_daemon("[Service victim]\nType=exec\nExec=sleep 600\n")
        [pid] = wait_for_children(daemon, 1, "sleep", "600")
        os.kill(pid, signal.SIGTERM)
        harness.wait_until(lambda: not daemontest.is_running(self.bus, "victim"),
                           "the task to end")
        self.assertStopsWith(daemon, EXIT_TASKS_FAILED)
        self.assertRegex(daemon.read_log(), r"victim: task instance-1 had failed: .*signal 15")

    def test_each_instance_leads_its_own_process_group(self):
        daemon = self.start_daemon("[Service three]\nType=exec\nExec=sleep 600\nInstances=3\n")
        pids = wait_for_children(daemon, 3, "sleep", "600")
        self.assertEqual(list_services(self.bus)["three"][:2], (True, 3))
        for pid in pids:
            self.assertEqual(process_stat(pid)[2], pid, "not the leader of its own group")
        self.assertNotIn(os.getpgid(daemon.process.pid), pids)
        self.assertEqual(stop(self.bus, "three"), [])
        self.assertFalse(any(alive(pid) for pid in pids))
        self.assertStopsWith(daemon, EXIT_OK)

    def test_stop_ends_the_whole_process_group(self):
        daemon = self.start_daemon("[Service family]\nType=exec\n"
                                   "Exec=sh -c 'sleep 600 & sleep 600 & wait'\n"
                                   "TimeoutStopSec=30\n")
        [leader] = wait_for_children(daemon, 1, "sh", "-c", "sleep 600 & sleep 600 & wait")
        harness.wait_until(lambda: len(group_members(leader)) == 3,
                           "the command and its two children")
        members = group_members(leader)
        started = time.monotonic()
        self.assertEqual(stop(self.bus, "family"), [])
        self.assertLess(time.monotonic() - started, 15, "SIGTERM should have been enough")
        self.assertGone(members, "the command and its children")
        self.assertEqual(group_members(leader), [])
        self.assertStopsWith(daemon, EXIT_OK)

    def test_children_that_ignore_sigterm_die_with_their_leader(self):
        """The leader obeys SIGTERM, its child ignores it: once the leader
        has gone, what is left of the group is killed at once."""
        script = daemontest.write_script(self.directory, "stubborn-child",
                                         "sh -c 'trap \"\" TERM; while :; do sleep 0.1; done' &\n"
                                         "wait\n")
        daemon = self.start_daemon(f"[Service family]\nType=exec\nExec={script}\n"
                                   "TimeoutStopSec=30\n")
        [leader] = wait_for_children(daemon, 1, "/bin/sh", script)
        harness.wait_until(lambda: len(group_members(leader)) >= 2, "the stubborn child")
        members = group_members(leader)
        started = time.monotonic()
        self.assertEqual(stop(self.bus, "family"), [])
        self.assertLess(time.monotonic() - started, 15)
        self.assertGone(members, "the command and its stubborn child")
        self.assertStopsWith(daemon, EXIT_OK)

    def test_sigkill_after_timeout_stop_sec(self):
        """A command that ignores SIGTERM (the loop survives whatever its
        sleeps do) is killed TimeoutStopSec= later, and counts as stopped."""
        script = daemontest.write_script(self.directory, "deaf",
                                         "trap '' TERM\nwhile :; do sleep 0.1; done\n")
        daemon = self.start_daemon(f"[Service deaf]\nType=exec\nExec={script}\n"
                                   "TimeoutStopSec=2\n")
        recorder = self.task_failed_recorder()
        [leader] = wait_for_children(daemon, 1, "/bin/sh", script)
        daemontest.wait_handling([leader], signal.SIGTERM)
        started = time.monotonic()
        errors = stop(self.bus, "deaf")
        elapsed = time.monotonic() - started
        self.assertEqual(errors, [], "a command killed by the daemon was stopped, not failed")
        self.assertGreaterEqual(elapsed, 1.9, "SIGKILL came before TimeoutStopSec=")
        self.assertLess(elapsed, 12, "SIGKILL came long after TimeoutStopSec=")
        self.assertEqual(group_members(leader), [])
        self.assertIn("did not end after SIGTERM; sending SIGKILL", daemon.read_log())
        self.assertEqual(recorder.poll(), [])
        self.assertStopsWith(daemon, EXIT_OK)

    def test_timeout_stop_sec_fractions(self):
        script = daemontest.write_script(self.directory, "deaf",
                                         "trap '' TERM\nwhile :; do sleep 0.1; done\n")
        daemon = self.start_daemon(f"[Service deaf]\nType=exec\nExec={script}\n"
                                   "TimeoutStopSec=0.5\n")
        deaf = wait_for_children(daemon, 1, "/bin/sh", script)
        daemontest.wait_handling(deaf, signal.SIGTERM)
        started = time.monotonic()
        self.assertEqual(stop(self.bus, "deaf"), [])
        elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, 0.45)
        self.assertLess(elapsed, 8)
        self.assertStopsWith(daemon, EXIT_OK)

    def test_timeout_stop_sec_0_kills_at_once(self):
        script = daemontest.write_script(self.directory, "deaf",
                                         "trap '' TERM\nwhile :; do sleep 0.1; done\n")
        daemon = self.start_daemon(f"[Service deaf]\nType=exec\nExec={script}\n"
                                   "TimeoutStopSec=0\n")
        [leader] = wait_for_children(daemon, 1, "/bin/sh", script)
        daemontest.wait_handling([leader], signal.SIGTERM)
        started = time.monotonic()
        self.assertEqual(stop(self.bus, "deaf"), [])
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(group_members(leader), [])
        self.assertStopsWith(daemon, EXIT_OK)

    def test_timeout_stop_sec_infinity_never_kills(self):
        """The stop waits for as long as the command lives: here until the
        test kills it, which still counts as stopped."""
        script = daemontest.write_script(self.directory, "deaf",
                                         "trap '' TERM\nwhile :; do sleep 0.1; done\n")
        daemon = self.start_daemon(f"[Service deaf]\nType=exec\nExec={script}\n"
                                   "TimeoutStopSec=infinity\n")
        [leader] = wait_for_children(daemon, 1, "/bin/sh", script)
        daemontest.wait_handling([leader], signal.SIGTERM)
        path = harness.service_path(self.bus, "deaf")
        stopping = subprocess.Popen(["busctl", f"--address={self.bus.address}", "--json=short",
                                     "--timeout=60", "call", harness.BUS_NAME, path,
                                     SERVICE_IFACE, "Stop", "s", "test"],
                                    stdout=subprocess.PIPE, text=True)
        self.addCleanup(stopping.kill)
        harness.wait_until(lambda: daemontest.get_state(self.bus, "deaf") == "stopping",
                           "the service to be stopping")
        time.sleep(1.5)  # long enough for a SIGKILL that should not come
        self.assertTrue(alive(leader), "killed although TimeoutStopSec=infinity")
        self.assertIsNone(stopping.poll())
        os.killpg(leader, signal.SIGKILL)
        output, _ = stopping.communicate(timeout=harness.PATIENCE)
        self.assertEqual(stopping.returncode, 0)
        self.assertEqual(json.loads(output)["data"], [[]])
        self.assertStopsWith(daemon, EXIT_OK)

    def test_a_command_gone_since_the_config_was_read(self):
        """The program was there when the file was checked, not when the
        service starts: the task fails, the daemon goes on."""
        script = daemontest.write_script(self.directory, "vanishing", "exit 0\n")
        daemon = self.start_daemon(f"[Service gone]\nType=exec\nExec={script}\nInstances=2\n"
                                   "AutoStart=false\n\n"
                                   f"[Service gone-timer]\nType=timer\nExec={script}\n"
                                   "IntervalSec=0.1\nAutoStart=false\n")
        os.unlink(script)
        for name, tasks in (("gone", ["instance-1", "instance-2"]), ("gone-timer", ["timer"])):
            daemontest.start(self.bus, name)
            errors = wait(self.bus, name)
            self.assertEqual(sorted(e[0] for e in errors), tasks)
            for error in errors:
                self.assertNotEqual(tuple(error[1:3]), daemontest.CANCELLED)
                self.assertIn(script, error[3])
            self.assertEqual(daemontest.get_state(self.bus, name), "failed")
        self.assertIsNone(daemon.process.poll())
        self.assertStopsWith(daemon, EXIT_TASKS_FAILED)

    def test_a_file_without_interpreter_line_is_not_run_by_a_shell(self):
        """An executable text file without "#!" fails with ENOEXEC, as under
        systemd: nothing runs it with /bin/sh (execvp() would)."""
        marker = os.path.join(self.directory, "ran")
        script = os.path.join(self.directory, "no-interpreter")
        with open(script, "w") as f:
            f.write(f"touch {marker}\n")
        os.chmod(script, 0o755)
        daemon = self.start_daemon(f"[Service plain]\nType=exec\nExec={script}\nAutoStart=false\n")
        daemontest.start(self.bus, "plain")
        [error] = wait(self.bus, "plain")
        self.assertEqual(error[0], "instance-1")
        self.assertIn("Exec format error", error[3])
        self.assertFalse(os.path.exists(marker))
        self.assertStopsWith(daemon, EXIT_TASKS_FAILED)

    def test_a_bare_name_is_looked_up_when_the_config_is_read(self):
        """Exec= with a name finds its file in PATH once, as the file is
        read: a program that appears earlier in PATH later changes nothing
        until a reload, which restarts the service with it."""
        first, second = (os.path.join(self.directory, d) for d in ("first", "second"))
        log = os.path.join(self.directory, "runs")
        for folder in (first, second):
            os.mkdir(folder)
        daemontest.write_script(second, "bgs-greet", f"echo second >> {log}\n")
        path = f"{first}:{second}:{os.environ.get('PATH', '/usr/bin:/bin')}"
        daemon = self.start_daemon("[Service greet]\nType=timer\nExec=bgs-greet\n"
                                   "IntervalSec=0.05\n", env={"PATH": path})

        def runs():
            try:
                with open(log) as f:
                    return f.read().split()
            except FileNotFoundError:
                return []

        harness.wait_until(lambda: len(runs()) >= 1, "a first run")
        daemontest.write_script(first, "bgs-greet", f"echo first >> {log}\n")
        seen = len(runs())
        harness.wait_until(lambda: len(runs()) >= seen + 3, "three more runs")
        self.assertEqual(set(runs()), {"second"})
        daemon.signal(signal.SIGHUP)
        harness.wait_until(lambda: "first" in runs(), "a run of the program found at the reload")
        self.assertLogMatches(daemon, "Restarted service greet with its new settings",
                              "the restart of the service whose program changed")
        self.assertStopsWith(daemon, EXIT_OK)

    def test_sigterm_is_sent_first(self):
        """A command that obeys SIGTERM ends long before TimeoutStopSec=, and
        it did get SIGTERM (its trap ran)."""
        mark = os.path.join(self.directory, "got-term")
        script = daemontest.write_script(self.directory, "polite",
                                         f"trap 'touch {mark}; exit 0' TERM\n"
                                         "while :; do sleep 0.05; done\n")
        daemon = self.start_daemon(f"[Service polite]\nType=exec\nExec={script}\n"
                                   "TimeoutStopSec=30\n")
        polite = wait_for_children(daemon, 1, "/bin/sh", script)
        daemontest.wait_handling(polite, signal.SIGTERM, "SigCgt")
        started = time.monotonic()
        self.assertEqual(stop(self.bus, "polite"), [])
        self.assertLess(time.monotonic() - started, 15)
        self.assertTrue(os.path.exists(mark), "the command did not get SIGTERM")
        self.assertStopsWith(daemon, EXIT_OK)

    def test_daemon_stop_kills_process_groups_too(self):
        """SIGTERM to the daemon: every command, and every child, ends."""
        daemon = self.start_daemon("[Service family]\nType=exec\n"
                                   "Exec=sh -c 'sleep 600 & sleep 600 & wait'\nInstances=2\n")
        leaders = wait_for_children(daemon, 2, "sh", "-c", "sleep 600 & sleep 600 & wait")
        harness.wait_until(lambda: all(len(group_members(pid)) == 3 for pid in leaders),
                           "every command and its children")
        members = [pid for leader in leaders for pid in group_members(leader)]
        self.assertStopsWith(daemon, EXIT_OK)
        self.assertGone(members, "the commands and their children")

    def test_autostart_false_is_not_running_until_started(self):
        daemon = self.start_daemon("[Service later]\nType=exec\nExec=sleep 600\nInstances=2\n"
                                   "AutoStart=false\n")
        self.assertEqual(list_services(self.bus)["later"][:2], (False, 0))
        self.assertEqual(commands_of(daemon, "sleep", "600"), [])
        daemontest.start(self.bus, "later")
        self.assertEqual(list_services(self.bus)["later"][:2], (True, 2))
        wait_for_children(daemon, 2, "sleep", "600")
        self.assertStopsWith(daemon, EXIT_OK)

    def test_restart_runs_new_processes(self):
        daemon = self.start_daemon("[Service again]\nType=exec\nExec=sleep 600\n")
        before = wait_for_children(daemon, 1, "sleep", "600")
        errors = daemontest.service_call(self.bus, "again", "Restart", "s", "test")[0]
        self.assertEqual(errors, [])
        after = wait_for_children(daemon, 1, "sleep", "600")
        self.assertNotEqual(before, after)
        self.assertFalse(alive(before[0]))
        self.assertStopsWith(daemon, EXIT_OK)

    def test_arguments_are_split_like_a_shell_without_one(self):
        out = os.path.join(self.directory, "argv")
        script = daemontest.write_script(self.directory, "show-args",
                                         f'for a in "$@"; do printf "%s\\n" "$a"; done > {out}\n')
        self.start_daemon(f"[Service args]\nType=exec\n"
                          f"Exec={script} 'two words' \"double quoted\" $HOME plain\\ space\n")
        self.assertEqual(wait(self.bus, "args"), [])
        with open(out) as f:
            self.assertEqual(f.read().splitlines(),
                             ["two words", "double quoted", "$HOME", "plain space"])


if __name__ == "__main__":
    harness.main()
