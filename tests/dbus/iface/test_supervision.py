# SPDX-License-Identifier: MIT
"""Supervision on the wire, against the real bgserviced with
commands that count their starts in the test's folder, through clients
bgservice did not write (busctl, GDBus, python3-dbus): results belong to
the run, so concurrent Wait callers, LastErrors and a later Wait all see
the same failures; ResetFailed (as root, refused to nobody, allowed to a
ControlUsers= user, a no-op on services that are not failed, InvalidArgs
with arguments); StateTimestamp, NRestarts, Restart and LastErrors as
properties and in PropertiesChanged through restarts; Restart and Stop of
a service waiting to restart; calls pending or made while the daemon
stops."""

import json
import os
import subprocess

import harness
import ifacetest
from harness import BUS_NAME, PATIENCE, SERVICE_IFACE
from ifacetest import (ACCESS_DENIED, EXIT_ERROR_DOMAIN, INVALID_ARGS, PROPERTIES_IFACE,
                       run_client, run_until, service_path)


def write_script(directory, name, body):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(path, 0o755)
    return path


def counting_script(directory, name, exits, then="exit 0", before_exit=None):
    """A script that notes each of its starts as a line of DIR/name.starts
    and exits with exits[n - 1] on its n-th start, running then once those
    are used up. before_exit: {n: shell line} run on start n before its
    exit. Returns (path, starts file)."""
    starts = os.path.join(directory, f"{name}.starts")
    before_exit = before_exit or {}
    cases = "".join(f"  {n}) {before_exit.get(n, ':')}; exit {status} ;;\n"
                    for n, status in enumerate(exits, 1))
    body = (f"echo start >> {starts}\n"
            f"n=$(wc -l < {starts})\n"
            f"case $((n)) in\n{cases}esac\n"
            f"{then}\n")
    return write_script(directory, name, body), starts


def count_lines(path):
    try:
        with open(path) as f:
            return len(f.read().splitlines())
    except FileNotFoundError:
        return 0


# The error of a call that would change state while the daemon stops.
SHUTTING_DOWN = "org.bgservice1.Error.ShuttingDown"


def exit_error(script, status):
    return ("instance-1", EXIT_ERROR_DOMAIN, status, f"“{script}” exited with status {status}")


class SupervisionTestCase(ifacetest.IfaceTestCase):
    def get(self, path, name):
        return self.gdbus_client.get(path, SERVICE_IFACE, name)

    def setUp(self):
        super().setUp()
        self.gdbus_client = None

    def start(self, config):
        daemon = self.start_daemon(config)
        self.gdbus_client = self.gdbus()
        return daemon


class ConcurrentWaitsTest(SupervisionTestCase):
    def test_every_caller_sees_the_same_failures(self):
        """Two python3-dbus clients wait on their own connections (and
        busctl in a process of its own) while the run is under way; they
        all get the run's three failures, restarts included, and so do
        LastErrors and a later Wait on the failed service."""
        go = os.path.join(self.directory, "go")
        script, starts = counting_script(
            self.directory, "held", [21, 22, 23],
            before_exit={3: f"while [ ! -e {go} ]; do sleep 0.02; done"})
        self.start(f"[Service held]\nType=exec\nExec={script}\nRestart=on-failure\n"
                   "RestartSec=50ms\nStartLimitBurst=2\nAutoStart=false\n")
        held = service_path("held")
        client = self.gdbus_client
        client.call(held, SERVICE_IFACE, "Start")
        # The third start waits for the test: the run is under way, with two
        # failures in LastErrors already (set at each restart).
        harness.wait_until(lambda: self.get(held, "NRestarts") == 2, "the second restart")
        self.assertEqual(self.get(held, "State"), "running")
        self.assertEqual(self.get(held, "LastErrors"),
                         [exit_error(script, 21), exit_error(script, 22)])

        first, second = self.pydbus(), self.pydbus()
        waits = [first.call_async(held, SERVICE_IFACE, "Wait"),
                 second.call_async(held, SERVICE_IFACE, "Wait")]
        busctl_wait = subprocess.Popen(
            ["busctl", f"--address={self.bus.address}", "--json=short", f"--timeout={PATIENCE}",
             "call", BUS_NAME, held, SERVICE_IFACE, "Wait"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(busctl_wait.kill)
        # Each connection's Wait was taken in before its Ping was answered.
        first.round_trip()
        second.round_trip()
        self.assertEqual([w.done for w in waits], [False, False], "Wait replied during the run")

        with open(go, "w"):
            pass
        expected = [exit_error(script, status) for status in (21, 22, 23)]
        self.assertEqual([w.result() for w in waits], [(expected,), (expected,)])
        output, errors = busctl_wait.communicate(timeout=PATIENCE + 5)
        self.assertEqual(busctl_wait.returncode, 0, errors)
        wire = [[list(e) for e in expected]]
        self.assertEqual(json.loads(output)["data"], wire)
        self.assertEqual(harness.busctl_json(self.bus, "get-property", BUS_NAME, held,
                                             SERVICE_IFACE, "LastErrors"), wire[0])
        self.assertEqual(self.get(held, "State"), "failed")
        self.assertEqual(count_lines(starts), 3)
        # The run is over: a Wait now replies at once, with the same list.
        later = harness.busctl_json(self.bus, "--timeout=5", "call", BUS_NAME, held,
                                    SERVICE_IFACE, "Wait")
        self.assertEqual(later, wire)
        self.assertEqual(first.call(held, SERVICE_IFACE, "Wait"), (expected,))


class ResetFailedTest(SupervisionTestCase):
    """"doomed" fails, restarts once and fails again: failed, with two
    failures and NRestarts 1. "sleeper" runs."""

    def config(self, daemon_section=""):
        self.script, self.starts = counting_script(self.directory, "doomed", [], then="exit 3")
        return (daemon_section +
                f"[Service doomed]\nType=exec\nExec={self.script}\nRestart=on-failure\n"
                "RestartSec=10ms\nStartLimitBurst=1\n\n"
                "[Service sleeper]\nType=exec\nExec=sleep 600\n")

    def start_failed(self, daemon_section=""):
        daemon = self.start(self.config(daemon_section))
        self.doomed = service_path("doomed")
        self.wait_for_state(self.gdbus_client, self.doomed, "failed")
        self.failures = [exit_error(self.script, 3)] * 2
        self.assertEqual(self.get(self.doomed, "LastErrors"), self.failures)
        self.assertEqual(self.get(self.doomed, "NRestarts"), 1)
        return daemon

    def assert_reset(self, since):
        every = self.gdbus_client.get_all(self.doomed, SERVICE_IFACE)
        rest, stamp = ifacetest.without_timestamp(every)
        self.assertEqual(rest, ifacetest.service_properties("doomed", False, 0, "stopped",
                                                            restart="on-failure"))
        self.assert_state_time(stamp, since)

    def test_as_root(self):
        self.start_failed()
        client = self.gdbus_client
        changes = client.subscribe(PROPERTIES_IFACE, "PropertiesChanged", self.doomed)
        failed_at = self.get(self.doomed, "StateTimestamp")
        before = ifacetest.now_us()
        self.assertEqual(client.call(self.doomed, SERVICE_IFACE, "ResetFailed"), ())
        self.assert_reset(before)
        self.assertGreater(self.get(self.doomed, "StateTimestamp"), failed_at)
        # Nothing left for a Wait either.
        self.assertEqual(client.call(self.doomed, SERVICE_IFACE, "Wait"), ([],))
        # Announced: State (with its time), LastErrors, NRestarts.
        run_until(lambda: any(args[1].get("State") == "stopped" for _, args in changes),
                  "PropertiesChanged State=stopped")
        client.round_trip()
        announced = {}
        for _, (_, changed, _) in changes:
            announced.update(changed)
        self.assertEqual({name: announced.get(name)
                          for name in ("State", "LastErrors", "NRestarts", "StateTimestamp")},
                         {"State": "stopped", "LastErrors": [], "NRestarts": 0,
                          "StateTimestamp": self.get(self.doomed, "StateTimestamp")})
        # Again: it is not failed any more, so nothing happens.
        harness.busctl(self.bus, "call", BUS_NAME, self.doomed, SERVICE_IFACE, "ResetFailed")
        self.assert_reset(before)
        # And it starts as before: two more starts, failed again.
        client.call(self.doomed, SERVICE_IFACE, "Start")
        self.assertEqual(client.call(self.doomed, SERVICE_IFACE, "Wait"), (self.failures,))
        self.assertEqual(self.get(self.doomed, "State"), "failed")
        self.assertEqual(count_lines(self.starts), 4)

    def test_nobody_is_refused_and_nothing_changes(self):
        self.start_failed()
        before = self.gdbus_client.get_all(self.doomed, SERVICE_IFACE)
        for library in ("gdbus", "dbus"):
            with self.subTest(library=library):
                answer = run_client(self.bus, library, self.doomed, SERVICE_IFACE, "ResetFailed",
                                    user="nobody")
                self.assertEqual(answer.get("error"), ACCESS_DENIED, answer)
                self.assertIn("ResetFailed", answer["message"])
        result = harness.busctl(self.bus, "call", BUS_NAME, self.doomed, SERVICE_IFACE,
                                "ResetFailed", user="nobody", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("Access denied", result.stderr)
        self.assertEqual(self.gdbus_client.get_all(self.doomed, SERVICE_IFACE), before)
        self.assertEqual(before["State"], "failed")

    def test_a_control_user_may(self):
        self.start_failed("[Daemon]\nControlUsers=nobody\n\n")
        before = ifacetest.now_us()
        answer = run_client(self.bus, "dbus", self.doomed, SERVICE_IFACE, "ResetFailed",
                            user="nobody")
        self.assertEqual(answer, {"reply": []})
        self.assert_reset(before)

    def test_a_service_that_is_not_failed_is_left_alone(self):
        daemon = self.start_failed()
        client = self.gdbus_client
        sleeper = service_path("sleeper")
        children = ifacetest.children(daemon.process.pid)
        running = client.get_all(sleeper, SERVICE_IFACE)
        self.assertEqual(client.call(sleeper, SERVICE_IFACE, "ResetFailed"), ())
        self.assertEqual(client.get_all(sleeper, SERVICE_IFACE), running)
        self.assertEqual(ifacetest.children(daemon.process.pid), children)

    def test_a_service_waiting_to_restart_is_left_alone(self):
        script, _ = counting_script(self.directory, "patient", [], then="exit 4")
        self.start(f"[Service patient]\nType=exec\nExec={script}\nRestart=on-failure\n"
                   "RestartSec=10min\n")
        patient = service_path("patient")
        self.wait_for_state(self.gdbus_client, patient, "restarting")
        before = self.gdbus_client.get_all(patient, SERVICE_IFACE)
        self.gdbus_client.call(patient, SERVICE_IFACE, "ResetFailed")
        self.assertEqual(self.gdbus_client.get_all(patient, SERVICE_IFACE), before)
        # Stopped by hand, its run's failure kept: stopped, not failed, so
        # ResetFailed leaves that alone too.
        self.assertEqual(self.gdbus_client.call(patient, SERVICE_IFACE, "Stop", "s", ("test",)),
                         ([exit_error(script, 4)],))
        stopped = self.gdbus_client.get_all(patient, SERVICE_IFACE)
        self.assertEqual((stopped["State"], stopped["LastErrors"]),
                         ("stopped", [exit_error(script, 4)]))
        self.gdbus_client.call(patient, SERVICE_IFACE, "ResetFailed")
        self.assertEqual(self.gdbus_client.get_all(patient, SERVICE_IFACE), stopped)

    def test_arguments_are_invalid(self):
        self.start_failed()
        result = harness.busctl(self.bus, "call", BUS_NAME, self.doomed, SERVICE_IFACE,
                                "ResetFailed", "s", "extra", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("Invalid arguments", result.stderr)
        for client in (self.gdbus_client, self.pydbus()):
            name, message = client.call_error(self.doomed, SERVICE_IFACE, "ResetFailed", "u",
                                              (1,))
            self.assertEqual(name, INVALID_ARGS)
            self.assertIn("ResetFailed", message)
        # Refused: the service is still failed.
        self.assertEqual(self.get(self.doomed, "State"), "failed")
        self.assertEqual(self.get(self.doomed, "LastErrors"), self.failures)


class PropertiesTest(SupervisionTestCase):
    def test_restart_shows_the_configured_mode(self):
        config = "".join(f"[Service {name}]\nType=exec\nExec=sleep 600\nAutoStart=false\n{key}\n"
                         for name, key in (("plain", ""), ("on-failure", "Restart=on-failure\n"),
                                           ("always", "Restart=always\n"),
                                           ("never", "Restart=no\n")))
        self.start(config)
        for name, mode in (("plain", "no"), ("on-failure", "on-failure"), ("always", "always"),
                           ("never", "no")):
            with self.subTest(name=name):
                path = service_path(name)
                self.assertEqual(harness.get_property(self.bus, path, "Restart"), mode)
                self.assertEqual(self.gdbus_client.get_all(path, SERVICE_IFACE)["Restart"], mode)
                self.assertEqual(self.pydbus().get(path, SERVICE_IFACE, "Restart"), mode)

    def test_state_timestamp_is_the_time_of_the_last_state_change(self):
        self.start("[Service failer]\nType=exec\nExec=sh -c 'exit 3'\nAutoStart=false\n")
        client = self.gdbus_client
        failer = service_path("failer")
        self.assertEqual(self.get(failer, "StateTimestamp"), 0, "never changed")
        before = ifacetest.now_us()
        client.call(failer, SERVICE_IFACE, "Start")
        self.wait_for_state(client, failer, "failed")
        failed_at = self.get(failer, "StateTimestamp")
        self.assert_state_time(failed_at, before)
        # Reading, waiting and a Stop that ends no run change no State.
        client.call(failer, SERVICE_IFACE, "Wait")
        client.call(failer, SERVICE_IFACE, "Stop", "s", ("test",))
        self.assertEqual(harness.get_property(self.bus, failer, "StateTimestamp"), failed_at)
        # The next run moves it on.
        again = ifacetest.now_us()
        client.call(failer, SERVICE_IFACE, "Start")
        client.call(failer, SERVICE_IFACE, "Wait")
        self.assertEqual(self.get(failer, "State"), "failed")
        moved = self.get(failer, "StateTimestamp")
        self.assert_state_time(moved, again)
        self.assertGreater(moved, failed_at)

    def test_properties_changed_through_restarts(self):
        """A command that fails twice, then runs: State goes running,
        restarting, running, restarting, running, each with its
        StateTimestamp; NRestarts 1 then 2; LastErrors one failure, then
        two, set at each restart."""
        script, _ = counting_script(self.directory, "twice", [11, 12], then="exec sleep 600")
        self.start(f"[Service twice]\nType=exec\nExec={script}\nRestart=on-failure\n"
                   "RestartSec=100ms\nAutoStart=false\n")
        client = self.gdbus_client
        twice = service_path("twice")
        signals = client.subscribe(PROPERTIES_IFACE, "PropertiesChanged", twice)

        def changes():
            return [dict(changed) for _, (_, changed, _) in signals]

        def values(name):
            return [c[name] for c in changes() if name in c]

        before = ifacetest.now_us()
        client.call(twice, SERVICE_IFACE, "Start")
        run_until(lambda: values("NRestarts") == [1, 2] and values("State")[-1:] == ["running"],
                  lambda: f"two restarts; got {changes()}")
        client.round_trip()
        self.assertEqual(values("State"),
                         ["running", "restarting", "running", "restarting", "running"])
        self.assertEqual(values("NRestarts"), [1, 2])
        first, second = exit_error(script, 11), exit_error(script, 12)
        self.assertEqual(values("LastErrors"), [[first], [first, second]])
        # StateTimestamp with every State, moving on each time, in the test.
        self.assertEqual([("State" in c) for c in changes() if "StateTimestamp" in c],
                         [True] * 5)
        stamps = values("StateTimestamp")
        self.assertEqual(len(stamps), 5)
        self.assertEqual(stamps, sorted(set(stamps)))
        for stamp in stamps:
            self.assert_state_time(stamp, before)
        # What was sent is what a Get gives.
        for name in ("State", "StateTimestamp", "NRestarts", "LastErrors"):
            self.assertEqual(self.get(twice, name), values(name)[-1])

        self.assertEqual(client.call(twice, SERVICE_IFACE, "Stop", "s", ("test",)),
                         ([first, second],))
        client.round_trip()
        self.assertEqual(values("State")[-2:], ["stopping", "stopped"])
        self.assertEqual(values("LastErrors")[-1], [first, second])
        self.assertGreater(values("StateTimestamp")[-1], stamps[-1])


class MethodsWhileRestartingTest(SupervisionTestCase):
    def setUp(self):
        super().setUp()
        self.script, self.starts = counting_script(self.directory, "patient", [], then="exit 4")
        self.start(f"[Service patient]\nType=exec\nExec={self.script}\nRestart=on-failure\n"
                   "RestartSec=10min\n")
        self.patient = service_path("patient")
        self.wait_for_state(self.gdbus_client, self.patient, "restarting")
        self.failure = exit_error(self.script, 4)

    def test_restart_ends_the_run_and_starts_a_new_one(self):
        client = self.pydbus()
        self.assertEqual(client.call(self.patient, SERVICE_IFACE, "Restart", "s", ("test",)),
                         ([self.failure],))
        harness.wait_until(lambda: count_lines(self.starts) == 2, "the Restart's start")
        self.wait_for_state(self.gdbus_client, self.patient, "restarting")
        self.assertEqual(self.get(self.patient, "NRestarts"), 0)
        self.assertEqual(self.get(self.patient, "LastErrors"), [self.failure])

    def test_wait_waits_for_the_pending_restart(self):
        """A run waiting to restart is under way: a Wait stays pending until
        a Stop ends it, then gets the same failure as the Stop."""
        client = self.pydbus()
        waiting = client.call_async(self.patient, SERVICE_IFACE, "Wait")
        client.round_trip()
        self.assertFalse(waiting.done, "Wait replied while a restart was pending")
        self.assertTrue(self.get(self.patient, "IsRunning"))
        self.assertEqual(self.gdbus_client.call(self.patient, SERVICE_IFACE, "Stop", "s",
                                                ("test",)), ([self.failure],))
        self.assertEqual(waiting.result(), ([self.failure],))
        self.assertEqual(self.get(self.patient, "State"), "stopped")


class ShutdownTest(SupervisionTestCase):
    def test_calls_pending_at_sigterm_are_answered(self):
        """SIGTERM ends every run: the Waits and the Stop that were pending
        get their replies, each with the failures of its run, before the
        daemon exits (1: patient's run had a failure)."""
        script, _ = counting_script(self.directory, "patient", [], then="exit 4")
        deaf = write_script(self.directory, "deaf", "trap '' TERM\nwhile :; do sleep 0.05; done\n")
        daemon = self.start(
            f"[Service patient]\nType=exec\nExec={script}\nRestart=on-failure\n"
            "RestartSec=10min\n\n"
            "[Service sleeper]\nType=exec\nExec=sleep 600\n\n"
            f"[Service deaf]\nType=exec\nExec={deaf}\nTimeoutStopSec=0.5\n")
        self.wait_for_state(self.gdbus_client, service_path("patient"), "restarting")
        ifacetest.wait_child_handling(daemon.process.pid, "SigIgn", ifacetest.signal.SIGTERM)
        client = self.pydbus()
        waits = {name: client.call_async(service_path(name), SERVICE_IFACE, "Wait")
                 for name in ("patient", "sleeper")}
        stopping = client.call_async(service_path("deaf"), SERVICE_IFACE, "Stop", "s", ("test",))
        client.round_trip()
        self.assertFalse(any(w.done for w in waits.values()) or stopping.done)
        daemon.signal(ifacetest.signal.SIGTERM)
        run_until(lambda: all(w.done for w in waits.values()) and stopping.done, "the replies")
        self.assertEqual({name: (w.reply, w.error) for name, w in waits.items()},
                         {"patient": (([exit_error(script, 4)],), None),
                          "sleeper": (([],), None)})
        self.assertEqual((stopping.reply, stopping.error), (([],), None))
        self.assertEqual(daemon.wait(), 1, daemon.read_log())
        self.daemons.remove(daemon)
        daemon.close()

    def running_script(self, script):
        """The PIDs of the live processes running script (its shell)."""
        found = []
        for pid in (int(entry) for entry in os.listdir("/proc") if entry.isdigit()):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
                with open(f"/proc/{pid}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if script.encode() in argv and state != "Z":
                found.append(pid)
        return found

    def assert_exits_leaving_nothing(self, daemon, status, *scripts):
        """The daemon exits with status, within PATIENCE, and no process
        runs any of scripts any more (those found are killed, so that a
        failing test leaves nothing behind either)."""
        try:
            self.assertEqual(daemon.wait(), status, daemon.read_log())
        finally:
            left = [pid for script in scripts for pid in self.running_script(script)]
            for pid in left:
                os.kill(pid, ifacetest.signal.SIGKILL)
        self.assertEqual(left, [], "commands left running after the daemon exited")
        self.daemons.remove(daemon)
        daemon.close()

    def deaf_service(self, name="deaf"):
        script = write_script(self.directory, name, "trap '' TERM\nwhile :; do sleep 0.05; done\n")
        return script, f"[Service {name}]\nType=exec\nExec={script}\nTimeoutStopSec=1\n\n"

    def test_a_restart_pending_at_sigterm_starts_nothing_that_outlives_the_daemon(self):
        """The Restart's stop ends as the daemon stops: it is answered with
        ShuttingDown, its start does not happen, and the daemon exits."""
        script, config = self.deaf_service()
        daemon = self.start(config)
        ifacetest.wait_child_handling(daemon.process.pid, "SigIgn", ifacetest.signal.SIGTERM)
        client = self.pydbus()
        restarting = client.call_async(service_path("deaf"), SERVICE_IFACE, "Restart", "s",
                                       ("test",))
        client.round_trip()
        daemon.signal(ifacetest.signal.SIGTERM)
        run_until(lambda: restarting.done, "the reply to Restart")
        self.assertEqual(restarting.error[0], SHUTTING_DOWN, restarting.error)
        self.assert_exits_leaving_nothing(daemon, 0, script)

    def test_a_start_while_stopping_is_refused(self):
        """A Start that comes while the daemon stops (a slow command holds
        the stop for a second) fails at once with ShuttingDown; nothing
        starts, and the daemon exits."""
        script, config = self.deaf_service()
        late = write_script(self.directory, "late", "while :; do sleep 0.05; done\n")
        daemon = self.start(config + f"[Service late]\nType=exec\nExec={late}\nAutoStart=false\n")
        ifacetest.wait_child_handling(daemon.process.pid, "SigIgn", ifacetest.signal.SIGTERM)
        daemon.signal(ifacetest.signal.SIGTERM)
        self.wait_for_state(self.gdbus_client, service_path("deaf"), "stopping")
        name, message = self.pydbus().call_error(service_path("late"), SERVICE_IFACE, "Start")
        self.assertEqual(name, SHUTTING_DOWN)
        self.assertIn("shutting down", message)
        self.assert_exits_leaving_nothing(daemon, 0, script, late)


if __name__ == "__main__":
    harness.main()
