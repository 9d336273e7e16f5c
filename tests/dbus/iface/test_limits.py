# SPDX-License-Identifier: MIT
"""Limits on calls that wait for their answer (Wait, and Stop, Restart and
StopAll while the runs they stop end): a caller (a connection) may have
MaxPendingCallsPerCaller= of them, all callers together MaxPendingCalls=;
the call beyond fails at once with org.freedesktop.DBus.Error.LimitsExceeded
and changes nothing, calls answered at once do not count, and the calls of
a caller that leaves the bus are dropped, which frees their places; Waits
leave one caller's share of the places in all to the calls that change
state; only
callers with calls waiting are watched (a match rule each, counted by the
bus's Debug.Stats). The
test host keeps the library's defaults (include/bgs-bus.h). Clients:
GDBus and python3-dbus, on a bus whose own limits are far above these."""

import os
import subprocess

import harness
import ifacetest
from harness import MANAGER_IFACE, ROOT_PATH, SERVICE_IFACE
from ifacetest import LIMITS_EXCEEDED, service_path

SERVICES = """\
[Service sleeper]
Type=exec
Exec=sleep 600
Instances=2

[Service idle]
Type=clock
IntervalSec=60
AutoStart=false
"""

SLEEPER = service_path("sleeper")
IDLE = service_path("idle")
MANY = service_path("many")


def limits(per_caller=None, total=None):
    """A [Daemon] group setting the limits given."""
    lines = ["[Daemon]"]
    if per_caller is not None:
        lines.append(f"MaxPendingCallsPerCaller={per_caller}")
    if total is not None:
        lines.append(f"MaxPendingCalls={total}")
    return "\n".join(lines) + "\n\n"


class LimitsTest(ifacetest.IfaceTestCase):
    bus_config = ifacetest.ROOMY_BUS_CONFIG

    def waits(self, client, count, path=SLEEPER):
        """count Waits sent at once; returns their Pendings, once the
        daemon has taken every one in."""
        pending = [client.call_async(path, SERVICE_IFACE, "Wait") for _ in range(count)]
        client.call(ROOT_PATH, ifacetest.PEER_IFACE, "Ping")
        return pending

    def assert_refused(self, pending, what):
        """pending (a Pending) failed with LimitsExceeded, whose message
        says what limit."""
        ifacetest.run_until(lambda: pending.done, f"the answer to {pending.what}")
        self.assertIsNotNone(pending.error, f"{pending.what} was not refused")
        self.assertEqual(pending.error[0], LIMITS_EXCEEDED, pending.error)
        self.assertIn(what, pending.error[1])

    def test_a_call_beyond_the_callers_limit_changes_nothing(self):
        daemon = self.start_daemon(limits(per_caller=2) + SERVICES)
        pids = ifacetest.wait_children(daemon.process.pid, 2)
        client, other = self.gdbus(), self.pydbus()
        waiting = self.waits(client, 2)
        for method in ("Stop", "Restart"):
            self.assert_refused(client.call_async(SLEEPER, SERVICE_IFACE, method, "s", ("no",)),
                                "one caller")
        self.assert_refused(client.call_async(ROOT_PATH, MANAGER_IFACE, "StopAll", "s", ("no",)),
                            "one caller")
        self.assert_refused(client.call_async(SLEEPER, SERVICE_IFACE, "Wait"), "one caller")
        self.assertEqual(client.get(SLEEPER, SERVICE_IFACE, "State"), "running")
        self.assertEqual(ifacetest.children(daemon.process.pid), pids)
        # Calls answered at once count for nothing: Wait and Stop of a
        # service that does not run.
        self.assertEqual(client.call(IDLE, SERVICE_IFACE, "Wait"), ([],))
        self.assertEqual(client.call(IDLE, SERVICE_IFACE, "Stop", "s", ("not running",)), ([],))
        self.assertFalse(any(pending.done for pending in waiting))
        # Another caller has places of its own.
        self.assertEqual(other.call(SLEEPER, SERVICE_IFACE, "Stop", "s", ("other",)), ([],))
        for pending in waiting:
            self.assertEqual(pending.result(), ([],))

    def test_a_call_beyond_the_limit_in_all(self):
        self.start_daemon(limits(total=3) + SERVICES)
        clients = [self.gdbus() for _ in range(4)]
        waiting = [self.waits(client, 1)[0] for client in clients[:3]]
        self.assert_refused(clients[3].call_async(SLEEPER, SERVICE_IFACE, "Wait"),
                            "all callers")
        self.assert_refused(clients[0].call_async(SLEEPER, SERVICE_IFACE, "Stop", "s", ("no",)),
                            "all callers")
        self.assertEqual(clients[3].get(SLEEPER, SERVICE_IFACE, "State"), "running")
        # Cancel does not wait; once answered, the Waits free their places.
        clients[3].call(SLEEPER, SERVICE_IFACE, "Cancel", "s", ("full",))
        for pending in waiting:
            self.assertEqual(pending.result(), ([],))
        clients[3].call(SLEEPER, SERVICE_IFACE, "Start")
        waiting = self.waits(clients[3], 3)
        clients[0].call(SLEEPER, SERVICE_IFACE, "Cancel", "s", ("again",))
        for pending in waiting:
            self.assertEqual(pending.result(), ([],))

    def test_waits_leave_one_callers_share_to_stops(self):
        # Total 6, one caller 2: Waits, which anyone may send, fill 4
        # places; the last 2 are kept for calls that change state.
        daemon = self.start_daemon(limits(per_caller=2, total=6) + SERVICES)
        pids = ifacetest.wait_children(daemon.process.pid, 2)
        clients = [self.gdbus() for _ in range(3)]
        waiting = self.waits(clients[0], 2) + self.waits(clients[1], 2)
        self.assert_refused(clients[2].call_async(SLEEPER, SERVICE_IFACE, "Wait"),
                            "all callers")
        self.assertEqual(ifacetest.children(daemon.process.pid), pids)
        stopper = self.pydbus()
        stop = stopper.call_async(SLEEPER, SERVICE_IFACE, "Stop", "s", ("kept for me",))
        self.assertEqual(stop.result(), ([],))
        for pending in waiting:
            self.assertEqual(pending.result(), ([],))

    def test_calls_of_callers_that_left_free_their_places(self):
        daemon = self.start_daemon(limits(total=5) + SERVICES)
        for number in range(20):
            library = ("gdbus", "dbus")[number % 2]
            answer = ifacetest.run_client(self.bus, library, SLEEPER, SERVICE_IFACE, "Wait",
                                          leave="pending")
            self.assertEqual(answer, {"left": True})
        ifacetest.wait_for_drops(daemon, 20)
        waiting = self.waits(self.gdbus(), 5)
        self.pydbus().call(SLEEPER, SERVICE_IFACE, "Cancel", "s", ("now",))
        for pending in waiting:
            self.assertEqual(pending.result(), ([],))

    def test_callers_gone_before_their_call_was_seen(self):
        # The call may reach the daemon after its caller left: the bus
        # says so when asked, and the call is dropped all the same.
        daemon = self.start_daemon(limits(total=5) + SERVICES)
        for number in range(12):
            ifacetest.run_client(self.bus, ("gdbus", "dbus")[number % 2], SLEEPER, SERVICE_IFACE,
                                 "Wait", leave="at-once")
        ifacetest.wait_for_drops(daemon, 12)
        self.assertEqual(len(self.waits(self.gdbus(), 5)), 5)

    def test_a_stop_whose_caller_left_still_stops(self):
        # The command ignores SIGTERM for a second: its stop surely ends
        # after its caller left, whose call is dropped first.
        stubborn = ("[Service stubborn]\nType=exec\nTimeoutStopSec=1\n"
                    "Exec=sh -c 'trap \"\" TERM; while :; do sleep 0.05; done'\n\n")
        daemon = self.start_daemon(limits(total=1) + stubborn + SERVICES)
        path = service_path("stubborn")
        answer = ifacetest.run_client(self.bus, "dbus", path, SERVICE_IFACE, "Stop", "s",
                                      "leaving", leave="pending")
        self.assertEqual(answer, {"left": True})
        ifacetest.wait_for_drops(daemon, 1)
        client = self.gdbus()
        self.wait_for_state(client, path, "stopped")
        client.call(SLEEPER, SERVICE_IFACE, "Start")
        self.assertEqual(len(self.waits(client, 1)), 1)

    def match_rules(self, client):
        """How many match rules bgserviced's connection has, from the bus's
        own statistics."""
        bus = ("org.freedesktop.DBus", "/org/freedesktop/DBus")
        owner = client.call(bus[1], bus[0], "GetNameOwner", "s", (harness.BUS_NAME,),
                            destination=bus[0])[0]
        stats = client.call(bus[1], bus[0] + ".Debug.Stats", "GetConnectionStats", "s",
                            (owner,), destination=bus[0])[0]
        return stats["MatchRules"]

    def test_only_callers_with_waiting_calls_are_watched(self):
        self.start_daemon(SERVICES)
        client, other = self.gdbus(), self.gdbus()
        client.round_trip()
        baseline = self.match_rules(client)
        # Calls answered at once: nobody to watch.
        for _ in range(5):
            self.assertEqual(client.call(IDLE, SERVICE_IFACE, "Wait"), ([],))
        self.assertEqual(self.match_rules(client), baseline)
        # One rule for each caller with calls waiting, however many it has.
        waiting = self.waits(client, 3) + self.waits(other, 2)
        harness.wait_until(lambda: self.match_rules(client) == baseline + 2,
                           "a rule for each caller that waits")
        other.call(SLEEPER, SERVICE_IFACE, "Cancel", "s", ("answered",))
        for pending in waiting:
            self.assertEqual(pending.result(), ([],))
        harness.wait_until(lambda: self.match_rules(client) == baseline,
                           "the rules gone with the calls")

    def test_limits_are_checked_in_the_config(self):
        config = os.path.join(self.directory, "limits.conf")
        for key, value, status in (("MaxPendingCallsPerCaller", "0", 78),
                                   ("MaxPendingCalls", "-1", 78),
                                   ("MaxPendingCalls", "many", 78),
                                   ("MaxPendingCallsPerCaller", "1", 0),
                                   ("MaxPendingCalls", "100000", 0)):
            with self.subTest(key=key, value=value):
                with open(config, "w") as f:
                    f.write(f"[Daemon]\n{key}={value}\n")
                result = subprocess.run([harness.program("BGSERVICED"), "--check-config",
                                         f"--config={config}"], capture_output=True, text=True)
                self.assertEqual(result.returncode, status, result.stderr)
                if status != 0:
                    self.assertIn(key, result.stderr)

    def test_the_library_default_per_caller_on_the_test_host(self):
        self.start_host("--tasks=2")
        per_caller, _ = ifacetest.library_default_limits()
        client = self.gdbus()
        waiting = self.waits(client, per_caller, MANY)
        self.assert_refused(client.call_async(MANY, SERVICE_IFACE, "Wait"), "one caller")
        self.assertEqual(self.pydbus().call(MANY, SERVICE_IFACE, "Stop", "s", ("now",)), ([],))
        for pending in waiting:
            self.assertEqual(pending.result(), ([],))


if __name__ == "__main__":
    harness.main()
