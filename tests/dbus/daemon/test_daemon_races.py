# SPDX-License-Identifier: MIT
"""Races an allowed caller can provoke in bgserviced, each made to happen
for sure: commands that ignore SIGTERM hold a stop open while the race
is run (TimeoutStopSec=infinity, until the test kills them), and a
daemon frozen with SIGSTOP gets several things to do at once.

A Restart racing a reload that changes or removes its service leaves no
untracked process; a Restart pending at SIGTERM does not start anything,
and a Start during shutdown is refused with ShuttingDown (busctl and
bgservicectl); a second SIGTERM or SIGINT kills every process group and
the daemon exits at once, with status 1; a reload that replaces or
removes a service while calls start it removes the right object and
leaves nothing behind; a SIGHUP during a reload is followed by exactly
one more reload; a NUL byte or bytes that are not UTF-8 make a
configuration bad (78), naming its file and line."""

import os
import re
import signal
import subprocess
import time
import warnings

import daemontest
import harness
from daemontest import (EXIT_CONFIG, EXIT_OK, EXIT_TASKS_FAILED, alive, all_pids, cmdline,
                        commands_of, get_state, list_services, run_bgserviced)
from harness import BUS_NAME, MANAGER_IFACE, ROOT_PATH, SERVICE_IFACE

SHUTTING_DOWN = "org.bgservice1.Error.ShuttingDown"
NO_SUCH_SERVICE = "org.bgservice1.Error.NoSuchService"
UNKNOWN_OBJECT = "org.freedesktop.DBus.Error.UnknownObject"

# A command that ignores SIGTERM, and one that ends on it.
DEAF = "trap '' TERM\nwhile :; do sleep 0.05; done\n"
PLAIN = "while :; do sleep 0.05; done\n"

# How long the second signal may take to end a stop that would never end,
# and the status the daemon exits with then.
PROMPTLY = 5
EXIT_KILLED = EXIT_TASKS_FAILED


class Caller:
    """Method calls sent without waiting for their replies, with GDBus (a
    client bgservice did not write) on a main context of its own, so that
    several are pending on bgserviced at once."""

    def __init__(self, bus):
        with warnings.catch_warnings():
            # PyGObject's importer predates Python 3.10's exec_module().
            warnings.simplefilter("ignore", ImportWarning)
            import gi
            gi.require_version("Gio", "2.0")
            from gi.repository import Gio, GLib
        self.Gio, self.GLib = Gio, GLib
        self.context = GLib.MainContext.new()
        flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
                 | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
        self.connection = Gio.DBusConnection.new_for_address_sync(bus.address, flags, None, None)

    def send(self, path, method, signature=None, args=()):
        """Calls method of the service at path; returns a dict that gets
        "reply" (the arguments) or "error" (D-Bus error name, message)."""
        parameters = self.GLib.Variant(signature, args) if signature else None
        pending = {}

        def on_reply(connection, result):
            try:
                pending["reply"] = connection.call_finish(result).unpack()
            except self.GLib.Error as error:
                remote = self.Gio.DBusError.get_remote_error(error)
                self.Gio.DBusError.strip_remote_error(error)
                pending["error"] = (remote, error.message)

        self.context.push_thread_default()
        try:
            self.connection.call(BUS_NAME, path, SERVICE_IFACE, method, parameters, None,
                                 self.Gio.DBusCallFlags.NONE, int(harness.PATIENCE * 1000),
                                 None, on_reply)
        finally:
            self.context.pop_thread_default()
        return pending

    def routed(self):
        """Returns once the bus has routed every call sent so far: it
        answers a call of its own after them."""
        self.connection.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                  "org.freedesktop.DBus", "GetId", None, None,
                                  self.Gio.DBusCallFlags.NONE, -1, None)

    def wait(self, pending, timeout=harness.PATIENCE):
        """The pending call's dict, once its reply or error came."""
        def done():
            while self.context.iteration(False):
                pass
            return pending
        return harness.wait_until(done, "the reply to a call", timeout=timeout)

    def close(self):
        try:
            self.connection.close_sync(None)
        except self.GLib.Error:
            pass


class RaceTestCase(daemontest.DaemonTestCase):
    """What the race tests share: scripts, calls left pending, states."""

    def script(self, name, body):
        """An executable sh script in the test's folder; returns its path."""
        return daemontest.write_script(self.directory, name, body)

    def caller(self):
        """A Caller on the test's bus, closed with the test."""
        caller = Caller(self.bus)
        self.addCleanup(caller.close)
        return caller

    def path(self, name):
        """The object path of service name (GetService)."""
        return harness.service_path(self.bus, name)

    def running(self, script):
        """The live processes running script: its shells, forks included."""
        return [pid for pid in all_pids()
                if script in cmdline(pid) and alive(pid) and pid != os.getpid()]

    def started(self, daemon, script, *args):
        """Waits for the one copy of script args under the daemon and, for
        a script that ignores SIGTERM, for its trap to have run; returns
        its PID."""
        [pid] = daemontest.wait_for_children(daemon, 1, "/bin/sh", script, *args)
        with open(script) as f:
            if "trap '' TERM" in f.read():
                daemontest.wait_handling([pid], signal.SIGTERM)
        return pid

    def wait_for_state(self, name, state):
        """Polls the State property of service name until it is state."""
        harness.wait_until(lambda: get_state(self.bus, name) == state,
                           f"{name} to be {state}")

    def assertExitsLeavingNothing(self, daemon, status, *scripts):
        """The daemon exits with status by itself, and then no process
        runs any of scripts."""
        self.assertEqual(daemon.wait(), status, daemon.read_log())
        self.assertGone([pid for script in scripts for pid in self.running(script)],
                        "the commands, after the daemon exited")

    def assertErrorName(self, pending, *names):
        """The pending call failed with one of the D-Bus error names;
        returns the error's message."""
        self.assertIn("error", pending, pending)
        self.assertIn(pending["error"][0], names, pending)
        return pending["error"][1]


class RestartRacingReloadTest(RaceTestCase):
    """Restart stops a command that ignores SIGTERM; a reload changes or
    removes its service meanwhile: the reload wins, the Restart starts
    what has the name once the stop ended, and nothing runs untracked."""

    def restart_then_reload(self, daemon, notify, old, config):
        """Restart of svc, whose command old ignores SIGTERM for ever; then
        a reload to config; then the end of old, killed by the test once
        the daemon answered a call after RELOADING=1 (the reload has
        applied the file). Returns the pending Restart once READY=1 came."""
        caller = self.caller()
        restart = caller.send(self.path("svc"), "Restart", "(s)", ("the race",))
        self.wait_for_state("svc", "stopping")
        daemon.rewrite_config(config)
        daemon.signal(signal.SIGHUP)
        notify.wait_for("RELOADING=1")
        self.wait_for_state("svc", "stopping")
        os.killpg(old, signal.SIGKILL)
        notify.wait_for("READY=1")
        return caller.wait(restart)

    def test_the_reload_changes_the_command(self):
        deaf = self.script("deaf", DEAF)
        config = f"[Service svc]\nType=exec\nExec={deaf} old\nTimeoutStopSec=infinity\n"
        daemon, notify = self.start_with_notify(config)
        notify.wait_for("READY=1")
        old = self.started(daemon, deaf, "old")
        restart = self.restart_then_reload(
            daemon, notify, old, f"[Service svc]\nType=exec\nExec={deaf} new\nTimeoutStopSec=1\n")
        # The Restart got the (empty) failures of the run it stopped.
        self.assertEqual(restart, {"reply": ([],)})
        new = self.started(daemon, deaf, "new")
        self.assertFalse(alive(old))
        # Nothing started the old command again: the daemon runs none, and
        # what the test killed ends (a child the shell had just forked
        # still shows its command line while it dies).
        self.assertEqual(commands_of(daemon, "/bin/sh", deaf, "old"), [])
        self.assertGone([pid for pid in self.running(deaf) if cmdline(pid)[-1:] == ["old"]],
                        "the processes of the old command, killed by the test")
        self.assertEqual(get_state(self.bus, "svc"), "running")
        self.assertEqual(commands_of(daemon, "/bin/sh", deaf, "new"), [new])
        daemon.signal(signal.SIGTERM)
        self.assertExitsLeavingNothing(daemon, EXIT_OK, deaf)

    def test_the_reload_removes_the_service(self):
        deaf = self.script("deaf", DEAF)
        daemon, notify = self.start_with_notify(
            f"[Service svc]\nType=exec\nExec={deaf}\nTimeoutStopSec=infinity\n\n"
            "[Service clock]\nType=clock\nIntervalSec=60\n")
        notify.wait_for("READY=1")
        old = self.started(daemon, deaf)
        restart = self.restart_then_reload(daemon, notify, old,
                                           "[Service clock]\nType=clock\nIntervalSec=60\n")
        message = self.assertErrorName(restart, NO_SUCH_SERVICE)
        self.assertIn("removed", message)
        self.assertEqual(sorted(list_services(self.bus)), ["clock"])
        self.assertGone(self.running(deaf), "the removed service's command")
        daemon.signal(signal.SIGTERM)
        self.assertExitsLeavingNothing(daemon, EXIT_OK, deaf)


class ShutdownRaceTest(RaceTestCase):
    """Once SIGTERM came, nothing starts: calls that would change a service
    fail at once with ShuttingDown, a pending Restart does not start its
    service, and the daemon exits."""

    def test_a_restart_pending_at_sigterm(self):
        """The Restart's stop lasts until the test kills the command, once
        the daemon has begun to stop."""
        deaf = self.script("deaf", DEAF)
        daemon = self.start_daemon(
            f"[Service deaf]\nType=exec\nExec={deaf}\nTimeoutStopSec=infinity\n")
        old = self.started(daemon, deaf)
        caller = self.caller()
        restart = caller.send(self.path("deaf"), "Restart", "(s)", ("the race",))
        self.wait_for_state("deaf", "stopping")
        daemon.signal(signal.SIGTERM)
        self.assertLogMatches(daemon, "Stopping every service", "the shutdown")
        os.killpg(old, signal.SIGKILL)
        message = self.assertErrorName(caller.wait(restart), SHUTTING_DOWN)
        self.assertIn("not started again", message)
        self.assertExitsLeavingNothing(daemon, EXIT_OK, deaf)
        self.assertEqual(len(re.findall("Stopping every service", daemon.read_log())), 1)

    def test_a_start_during_shutdown_is_refused(self):
        deaf = self.script("deaf", DEAF)
        late = self.script("late", PLAIN)
        # The stop lasts until the test kills the command: time enough for
        # every call, however loaded the machine.
        daemon = self.start_daemon(
            f"[Service deaf]\nType=exec\nExec={deaf}\nTimeoutStopSec=infinity\n\n"
            f"[Service late]\nType=exec\nExec={late}\nAutoStart=false\n")
        deaf_pid = self.started(daemon, deaf)
        late_path = harness.service_path(self.bus, "late")
        daemon.signal(signal.SIGTERM)
        self.wait_for_state("deaf", "stopping")

        refused = harness.busctl(self.bus, "call", BUS_NAME, late_path, SERVICE_IFACE, "Start",
                                 check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("shutting down", refused.stderr)
        caller = self.caller()
        for method in ("Start", "ResetFailed"):
            self.assertErrorName(caller.wait(caller.send(late_path, method)), SHUTTING_DOWN)
        start_all = harness.busctl(self.bus, "call", BUS_NAME, ROOT_PATH, MANAGER_IFACE,
                                   "StartAll", check=False)
        self.assertIn("shutting down", start_all.stderr)

        env = dict(os.environ, LC_ALL="C.UTF-8", NO_COLOR="1")
        ctl = subprocess.run([harness.program("BGSERVICECTL"), f"--address={self.bus.address}",
                              "start", "late"], capture_output=True, text=True, env=env,
                             timeout=harness.PATIENCE)
        self.assertEqual(ctl.returncode, 2, ctl.stderr)
        self.assertIn("late", ctl.stderr)
        self.assertIn("bgserviced is shutting down", ctl.stderr)

        os.killpg(deaf_pid, signal.SIGKILL)
        self.assertExitsLeavingNothing(daemon, EXIT_OK, deaf, late)
        self.assertNotIn("late: started", daemon.read_log())


class SecondSignalTest(RaceTestCase):
    """A stop that would never end (a command and its child that ignore
    SIGTERM, TimeoutStopSec=infinity) ends on a second SIGTERM or SIGINT:
    SIGKILL to the process group, and exit status 1 at once."""

    def start_stubborn(self):
        stubborn = self.script("stubborn", "trap '' TERM\n"
                                           "sh -c 'while :; do sleep 0.05; done' &\n"
                                           "while :; do sleep 0.05; done\n")
        daemon = self.start_daemon(
            f"[Service stubborn]\nType=exec\nExec={stubborn}\nTimeoutStopSec=infinity\n")
        leader = self.started(daemon, stubborn)
        # The leader's own child: the ones that child forks to run sleep
        # show its command line too until they execute, and end soon.
        child = harness.wait_until(
            lambda: [pid for pid in daemontest.live_children(leader)
                     if cmdline(pid)[:2] == ["sh", "-c"]],
            "the command's child")
        return daemon, stubborn, [leader, *child]

    def stop_twice(self, second):
        daemon, stubborn, group = self.start_stubborn()
        daemon.signal(signal.SIGTERM)
        self.wait_for_state("stubborn", "stopping")
        self.assertTrue(all(alive(pid) for pid in group), "SIGTERM ended the command")
        killed = time.monotonic()
        daemon.signal(second)
        self.assertEqual(daemon.wait(timeout=PROMPTLY), EXIT_KILLED, daemon.read_log())
        self.assertLess(time.monotonic() - killed, PROMPTLY)
        self.assertGone(group, "the process group")
        log = daemon.read_log()
        self.assertIn("sent SIGKILL to 1 process group", log)
        self.assertEqual(len(re.findall("Stopping every service", log)), 1)
        # Killed by the daemon: the command was stopped, it did not fail.
        self.assertNotIn("had failed", log)

    def test_a_second_sigterm(self):
        self.stop_twice(signal.SIGTERM)

    def test_sigint_after_sigterm(self):
        self.stop_twice(signal.SIGINT)

    def test_three_signals_at_once(self):
        """Signals that come together: the first stops, a later one kills."""
        daemon, stubborn, group = self.start_stubborn()
        for number in (signal.SIGTERM, signal.SIGTERM, signal.SIGINT):
            daemon.signal(number)
        self.assertEqual(daemon.wait(timeout=PROMPTLY), EXIT_KILLED, daemon.read_log())
        self.assertGone(group, "the process group")
        self.assertEqual(len(re.findall("Stopping every service", daemon.read_log())), 1)


class ReloadRacingCallsTest(RaceTestCase):
    """A reload replaces or removes a service while calls start it. The
    daemon is frozen as the old command dies and the calls arrive, so that
    it meets them all at once, in any order: the right object leaves the
    manager, and nothing is left behind."""

    def race(self, after, *methods):
        """svc runs a command that ignores SIGTERM for ever; the file is
        rewritten to after and SIGHUP sent; frozen, the old command is
        killed and methods are called on svc. Returns (daemon, notify,
        deaf script, pending calls) once the reload ended."""
        deaf = self.script("deaf", DEAF)
        daemon, notify = self.start_with_notify(
            f"[Service svc]\nType=exec\nExec={deaf}\nTimeoutStopSec=infinity\n\n"
            "[Service clock]\nType=clock\nIntervalSec=60\n")
        notify.wait_for("READY=1")
        old = self.started(daemon, deaf)
        caller = self.caller()
        path = self.path("svc")
        daemon.rewrite_config(after.format(plain=self.script("plain", PLAIN)))
        daemon.signal(signal.SIGHUP)
        notify.wait_for("RELOADING=1")
        self.wait_for_state("svc", "stopping")
        with daemontest.Frozen(daemon):
            os.killpg(old, signal.SIGKILL)
            calls = [caller.send(path, method, *args) for method, *args in methods]
            caller.routed()
        notify.wait_for("READY=1")
        return daemon, deaf, [caller.wait(call) for call in calls]

    def test_replaced(self):
        daemon, deaf, replies = self.race(
            "[Service svc]\nType=exec\nExec={plain}\n\n"
            "[Service clock]\nType=clock\nIntervalSec=60\n",
            ("Start",), ("Restart", "(s)", ("the race",)), ("Start",))
        self.assertEqual(replies, [{"reply": ()}, {"reply": ([],)}, {"reply": ()}])
        plain = os.path.join(self.directory, "plain")
        self.started(daemon, plain)
        self.assertEqual(get_state(self.bus, "svc"), "running")
        self.assertGone(self.running(deaf), "the replaced command")
        daemon.signal(signal.SIGTERM)
        self.assertExitsLeavingNothing(daemon, EXIT_OK, deaf, plain)

    def test_removed(self):
        daemon, deaf, replies = self.race(
            "[Service clock]\nType=clock\nIntervalSec=60\n",
            ("Start",), ("Restart", "(s)", ("the race",)), ("Start",))
        # Each call came before the old command's end (it was stopping: a
        # Start does nothing, the Restart finds the service gone) or after
        # (the object was gone).
        for reply in replies:
            if reply != {"reply": ()}:
                self.assertErrorName(reply, NO_SUCH_SERVICE, UNKNOWN_OBJECT)
        self.assertEqual(sorted(list_services(self.bus)), ["clock"])
        self.assertGone(self.running(deaf), "the removed command")
        daemon.signal(signal.SIGTERM)
        self.assertExitsLeavingNothing(daemon, EXIT_OK, deaf)


class SighupDuringReloadTest(RaceTestCase):
    def test_one_more_reload_follows(self):
        """SIGHUPs during a reload that waits for a stubborn command: the
        file changed after the reload read it, and exactly one more reload
        applies it."""
        deaf = self.script("deaf", DEAF)
        plain = self.script("plain", PLAIN)
        daemon, notify = self.start_with_notify(
            f"[Service svc]\nType=exec\nExec={deaf} v1\nTimeoutStopSec=infinity\n")
        notify.wait_for("READY=1")
        v1 = self.started(daemon, deaf, "v1")
        daemon.rewrite_config(f"[Service svc]\nType=exec\nExec={plain} v2\n")
        notify.messages.clear()
        daemon.signal(signal.SIGHUP)
        notify.wait_for("RELOADING=1")
        self.wait_for_state("svc", "stopping")
        daemon.rewrite_config(f"[Service svc]\nType=exec\nExec={plain} v3\n")
        for count in (1, 2, 3):
            daemon.signal(signal.SIGHUP)
            harness.wait_until(
                lambda: len(re.findall("SIGHUP during a reload", daemon.read_log())) == count,
                f"SIGHUP {count} to be seen during the reload")
        os.killpg(v1, signal.SIGKILL)
        # The first reload ends with v2; the second one follows by itself.
        notify.wait_for("READY=1")
        notify.wait_for("RELOADING=1")
        notify.wait_for("READY=1")
        self.started(daemon, plain, "v3")
        self.assertEqual(daemon.stop(), EXIT_OK, daemon.read_log())
        daemontest.collect(notify, 0.2)
        self.assertEqual(notify.messages.count("RELOADING=1"), 2, notify.messages)
        self.assertEqual(notify.messages.count("READY=1"), 2, notify.messages)
        self.assertEqual(len(re.findall("Reloading the configuration", daemon.read_log())), 2)
        self.assertEqual(commands_of(daemon, "/bin/sh", plain, "v2"), [])


class ConfigTextTest(RaceTestCase):
    """GKeyFile would stop reading at a NUL byte: the daemon refuses such a
    file, and one that is not UTF-8, naming the file and the line."""

    def check(self, name, data, line):
        path = os.path.join(self.directory, name)
        with open(path, "wb") as f:
            f.write(data)
        for args in (["--check-config"], [f"--address={self.bus.address}"]):
            result = run_bgserviced(*args, f"--config={path}")
            self.assertEqual(result.returncode, EXIT_CONFIG, result)
            self.assertIn(f"{path}: line {line}, column ", result.stderr)
            self.assertNotIn("OK", result.stdout)
        return path

    def test_a_nul_byte_first(self):
        self.check("nul-first.conf", b"\0[Service a]\nType=clock\n", 1)

    def test_a_nul_byte_after_the_first_group(self):
        self.check("nul-later.conf",
                   b"[Service a]\nType=clock\n\n\0\n[Service b]\nType=clock\n", 4)

    def test_bytes_that_are_not_utf8(self):
        self.check("latin1.conf", b"[Service a]\nType=clock\n# caf\xe9\n", 3)

    def test_a_reload_keeps_the_running_configuration(self):
        config = ("[Service a]\nType=clock\nIntervalSec=60\n\n"
                  "[Service b]\nType=clock\nIntervalSec=60\n")
        daemon, notify = self.start_with_notify(config)
        notify.wait_for("READY=1")
        with open(daemon.config_path, "wb") as f:
            f.write(b"[Service a]\nType=clock\nIntervalSec=60\n\0\n[Service b]\nType=clock\n")
        notify.messages.clear()
        daemon.signal(signal.SIGHUP)
        notify.wait_for("READY=1")
        self.assertIn("STATUS=Reload failed; running the previous configuration", notify.messages)
        self.assertLogMatches(daemon, rf"Reload failed.*{re.escape(daemon.config_path)}: line 4",
                              "the reload's error")
        self.assertEqual({name: s[0] for name, s in list_services(self.bus).items()},
                         {"a": True, "b": True})
        self.assertStopsWith(daemon, EXIT_OK)


if __name__ == "__main__":
    harness.main()
