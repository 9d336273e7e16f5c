# SPDX-License-Identifier: MIT
"""Faults and floods: the bus daemon killed under bgserviced (its services
stop, no command is left, it exits 1); ten thousand Waits from one client
(those beyond the caller's limit fail at once, every other one is
answered, memory comes back); a thousand clients that call Wait and leave
(their calls are dropped, memory comes back); calls on 64 KiB object paths
from a user without rights (refused at once, the daemon keeps answering
everyone else); exec services whose command is missing, cannot be
executed or exits at once over and over (clear errors, the daemon keeps
answering). bgserviced runs with its default limits; the bus's own
limits are far above them."""

import json
import os
import signal
import subprocess
import time

from gi.repository import Gio

import flood
import harness
import ifacetest
from harness import MANAGER_IFACE, PATIENCE, ROOT_PATH, SERVICE_IFACE
from ifacetest import LIMITS_EXCEEDED, UNKNOWN_OBJECT, service_path

SPAWN_EXIT_ERROR = "g-spawn-exit-error-quark"

SERVICES = """\
[Service sleeper]
Type=exec
Exec=sleep 600
Instances=2

[Service stubborn]
Type=exec
Exec=sh -c 'trap "" TERM; while :; do sleep 0.1; done'
TimeoutStopSec=1

[Service {longest}]
Type=clock
IntervalSec=60
AutoStart=false
"""

# The longest name, each byte of which its object path escapes: the
# longest object path a daemon may have to find.
LONGEST = "-" * 255
SERVICES = SERVICES.format(longest=LONGEST)

SLEEPER = service_path("sleeper")
STUBBORN = service_path("stubborn")

# How much the daemon's resident memory may have grown after a flood,
# over what it was once it was ready.
RSS_SLACK = 0.10

# How long a property read may take while a flood is handled.
PROMPTLY_S = 1.0 * (20 if os.environ.get("BGS_UNDER_VALGRIND") else 1)

LONG_PATH_BYTES = 65000
LONG_PATH_CALLS = 200


def live(pid):
    """Whether a process (not a zombie) has the PID pid."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class FaultTestCase(ifacetest.IfaceTestCase):
    bus_config = ifacetest.ROOMY_BUS_CONFIG

    def start(self):
        daemon = self.start_daemon(SERVICES)
        ifacetest.wait_child_handling(daemon.process.pid, "SigIgn", signal.SIGTERM)
        ifacetest.wait_children(daemon.process.pid, 3)
        return daemon

    def assert_memory_back(self, daemon, before, what):
        """The daemon's resident memory is at most RSS_SLACK above before
        (from ifacetest.rss_kib(), once the daemon was ready), when the
        build lets it be measured."""
        after = ifacetest.rss_kib(daemon.process.pid)
        if before is None or after is None:
            return
        self.assertLessEqual(after, before * (1 + RSS_SLACK),
                             f"{what}: {before} KiB of memory before, {after} KiB after")

    def assert_nothing_lost(self, client, daemon):
        self.assertEqual(client.get(ROOT_PATH, MANAGER_IFACE, "LostReplies"), 0)
        self.assertNotIn("Could not answer", daemon.read_log())


class BusKilledTest(FaultTestCase):
    def test_services_stop_and_the_daemon_exits_1(self):
        daemon = self.start()
        commands = ifacetest.children(daemon.process.pid)
        self.bus.process.kill()
        self.assertEqual(daemon.wait(), 1, daemon.read_log())
        # It was to exit: the end of the test has nothing to stop.
        self.daemons.remove(daemon)
        daemon.close()
        log = daemon.read_log()
        self.assertIn("The D-Bus connection was lost", log)
        for mark in ifacetest.SANITIZER_MARKS:
            self.assertNotIn(mark, log)
        self.assertEqual([pid for pid in commands if live(pid)], [],
                         "commands of the daemon outlived it")


class WaitFloodTest(FaultTestCase):
    def test_ten_thousand_waits_from_one_client(self):
        daemon = self.start()
        before = ifacetest.rss_kib(daemon.process.pid)
        per_caller, _ = ifacetest.library_default_limits()
        client, stopper = self.gdbus(), self.pydbus()
        # A first round, refused beyond the limit, answered after a
        # Restart; then the flood.
        warm_up = flood.Flood(client.connection, 2 * per_caller, SLEEPER, SERVICE_IFACE, "Wait")
        ifacetest.run_until(lambda: warm_up.answered() == per_caller, "the first refusals")
        stopper.call(SLEEPER, SERVICE_IFACE, "Restart", "s", ("first round",))
        ifacetest.run_until(lambda: warm_up.answered() == warm_up.count, "the first answers")

        waits = flood.Flood(client.connection, 10_000, SLEEPER, SERVICE_IFACE, "Wait")
        refusals = waits.count - per_caller
        ifacetest.run_until(lambda: waits.answered() == refusals,
                            lambda: f"{refusals} refusals, got {waits.outcome()}",
                            timeout=10 * PATIENCE)
        self.assertEqual(waits.outcome()["errors"], {LIMITS_EXCEEDED: refusals})
        self.assertEqual(client.get(SLEEPER, SERVICE_IFACE, "State"), "running")

        self.assertEqual(stopper.call(SLEEPER, SERVICE_IFACE, "Stop", "s", ("flood",)), ([],))
        ifacetest.run_until(lambda: waits.answered() == waits.count,
                            lambda: f"every Wait answered, got {waits.outcome()}")
        self.assertEqual(waits.replies, per_caller)
        self.assert_memory_back(daemon, before, "10,000 Waits")
        self.assert_nothing_lost(client, daemon)


class ManyAnswersAtOnceTest(FaultTestCase):
    def test_every_pending_call_of_every_caller_is_answered(self):
        # As many Waits as all callers together may have, ended at once:
        # more answers than sd-bus queues for sending; none is lost.
        # Waits leave one caller's share of the places to the calls that
        # need the right to change state: an operator's Stop still waits.
        daemon = self.start()
        per_caller, total = ifacetest.library_default_limits()
        clients = [self.gdbus() for _ in range(total // per_caller - 1)]
        waits = [flood.Flood(client.connection, per_caller, SLEEPER, SERVICE_IFACE, "Wait")
                 for client in clients]
        for client in clients:
            client.round_trip()
        refused = self.gdbus().call_error(SLEEPER, SERVICE_IFACE, "Wait")
        self.assertEqual(refused[0], LIMITS_EXCEEDED, refused)
        self.assertIn("all callers", refused[1])
        self.assertEqual(sum(each.answered() for each in waits), 0)

        stopper = self.pydbus()
        stop = stopper.call_async(SLEEPER, SERVICE_IFACE, "Stop", "s", ("room kept",))
        ifacetest.run_until(lambda: all(each.answered() == per_caller for each in waits),
                            lambda: f"every Wait answered, got "
                                    f"{[each.outcome() for each in waits if each.errors]}",
                            timeout=10 * PATIENCE)
        self.assertEqual(sum(each.replies for each in waits), total - per_caller)
        self.assertEqual(stop.result(), ([],))
        self.assert_nothing_lost(stopper, daemon)


class LeavingClientsTest(FaultTestCase):
    def wait_and_leave(self, count):
        """count clients, one after the other, each sending Wait, making
        sure the daemon took it in (a Ping answered after it), leaving."""
        flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
                 Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
        for _ in range(count):
            connection = Gio.DBusConnection.new_for_address_sync(self.bus.address, flags,
                                                                 None, None)
            wait = Gio.DBusMessage.new_method_call(harness.BUS_NAME, SLEEPER, SERVICE_IFACE, "Wait")
            connection.send_message(wait, Gio.DBusSendMessageFlags.NONE)
            connection.call_sync(harness.BUS_NAME, ROOT_PATH, ifacetest.PEER_IFACE, "Ping", None,
                                 None, Gio.DBusCallFlags.NONE, int(PATIENCE * 1000), None)
            connection.close_sync(None)

    def test_a_thousand_clients_wait_and_leave(self):
        daemon = self.start()
        before = ifacetest.rss_kib(daemon.process.pid)
        self.wait_and_leave(1000)
        ifacetest.wait_for_drops(daemon, 1000)
        self.assert_memory_back(daemon, before, "1,000 clients that left")
        # Their places are free: a caller may have as many waiting as ever.
        per_caller, _ = ifacetest.library_default_limits()
        client = self.gdbus()
        waiting = [client.call_async(SLEEPER, SERVICE_IFACE, "Wait") for _ in range(per_caller)]
        self.assertEqual(self.pydbus().call(SLEEPER, SERVICE_IFACE, "Stop", "s", ("end",)), ([],))
        for pending in waiting:
            self.assertEqual(pending.result(), ([],))
        self.assert_nothing_lost(client, daemon)


class LongPathTest(FaultTestCase):
    def test_long_paths_from_nobody_are_refused_at_once(self):
        harness.require_root()
        daemon = self.start()
        client = self.gdbus()
        flood = subprocess.Popen(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
             ifacetest.PYTHON, ifacetest.FLOOD, self.bus.address, str(LONG_PATH_CALLS),
             f"long:{LONG_PATH_BYTES}", ifacetest.PROPERTIES_IFACE, "Get", "ss",
             '"org.bgservice1.Service"', '"State"'],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(harness.end_process, flood)
        # Property reads while the flood comes in: each answered promptly.
        slowest = 0.0
        while flood.poll() is None:
            started = time.monotonic()
            self.assertEqual(client.get(SLEEPER, SERVICE_IFACE, "State"), "running")
            slowest = max(slowest, time.monotonic() - started)
        out, err = flood.communicate()
        self.assertEqual(flood.returncode, 0, err)
        outcome = json.loads(out)
        self.assertEqual(outcome["errors"], {UNKNOWN_OBJECT: LONG_PATH_CALLS}, outcome)
        self.assertLess(slowest, PROMPTLY_S, f"a Get took {slowest:.2f} s during the flood")
        # The longest path an object may have is still looked up; one byte
        # more is not.
        longest = service_path(LONGEST)
        self.assertEqual(client.get(longest, SERVICE_IFACE, "Name"), LONGEST)
        self.assertEqual(client.call_error(longest + "a", SERVICE_IFACE, "Wait")[0],
                         UNKNOWN_OBJECT)
        self.assert_healthy(client)


class ExecFaultsTest(FaultTestCase):
    """Commands that cannot run, found when the config is read (it is
    refused, naming the key) or only when the service starts (its tasks
    fail, saying why), and a command that exits at once, restarted with no
    limit."""

    def script(self, name):
        path = os.path.join(self.directory, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\nsleep 600\n")
        os.chmod(path, 0o755)
        return path

    def config(self, name, command):
        return f"[Service {name}]\nType=exec\nExec={command}\nAutoStart=false\n\n"

    def assert_fails_with(self, client, name, *words):
        """Starting name fails each of its tasks with a message holding
        words; the service ends failed."""
        path = service_path(name)
        client.call(path, SERVICE_IFACE, "Start")
        (errors,) = client.call(path, SERVICE_IFACE, "Wait")
        self.assertEqual(len(errors), 1, errors)
        for word in words:
            self.assertIn(word, errors[0][3], errors)
        self.assertEqual(client.get(path, SERVICE_IFACE, "State"), "failed")

    def test_a_missing_or_not_executable_command_is_refused_in_the_config(self):
        missing = os.path.join(self.directory, "missing")
        plain = self.script("plain")
        os.chmod(plain, 0o644)
        for command, words in ((missing, "does not exist"),
                               (plain, "not an executable file"),
                               ("no-such-command-anywhere", "not in PATH")):
            with self.subTest(command=command):
                config = os.path.join(self.directory, "check.conf")
                with open(config, "w") as f:
                    f.write(self.config("bad", command))
                result = subprocess.run([harness.program("BGSERVICED"), "--check-config",
                                         f"--config={config}"], capture_output=True, text=True)
                self.assertEqual(result.returncode, 78, result.stderr)
                for word in ("Exec", "bad", words):
                    self.assertIn(word, result.stderr)

    def test_a_command_gone_or_not_executable_when_started(self):
        gone, plain = self.script("gone"), self.script("plain")
        daemon = self.start_daemon(self.config("gone", gone) + self.config("plain", plain)
                                   + SERVICES)
        os.unlink(gone)
        os.chmod(plain, 0o644)
        client = self.gdbus()
        self.assert_fails_with(client, "gone", gone, "No such file")
        self.assert_fails_with(client, "plain", plain, "ermission denied")
        self.assertEqual(client.get(SLEEPER, SERVICE_IFACE, "State"), "running")
        self.assert_healthy(client)
        self.assertIsNone(daemon.process.poll())

    def test_a_command_that_exits_at_once_restarted_without_limit(self):
        daemon = self.start_daemon("[Service flapping]\nType=exec\nExec=false\n"
                                   "Restart=always\nRestartSec=10ms\n"
                                   "StartLimitIntervalSec=0\n\n" + SERVICES)
        client = self.gdbus()
        flapping = service_path("flapping")
        most_children, slowest = 0, 0.0
        # Restarted again and again; meanwhile the daemon answers promptly
        # and holds no more processes than its services run.
        while client.get(flapping, SERVICE_IFACE, "NRestarts") < 50:
            started = time.monotonic()
            self.assertEqual(client.get(SLEEPER, SERVICE_IFACE, "State"), "running")
            slowest = max(slowest, time.monotonic() - started)
            most_children = max(most_children, len(ifacetest.children(daemon.process.pid)))
        self.assertLess(slowest, PROMPTLY_S, f"a Get took {slowest:.2f} s during the restarts")
        self.assertLessEqual(most_children, 4, "processes pile up under the daemon")
        (errors,) = client.call(flapping, SERVICE_IFACE, "Stop", "s", ("enough",))
        self.assertGreater(len(errors), 0)
        for task, domain, code, message in errors:
            self.assertEqual((domain, code), (SPAWN_EXIT_ERROR, 1), message)
        self.assertEqual(client.get(flapping, SERVICE_IFACE, "State"), "stopped")
        self.assert_healthy(client)


if __name__ == "__main__":
    harness.main()
