# SPDX-License-Identifier: MIT
"""Concurrency: a long Stop (the test host's slow service, or an exec
command that ignores SIGTERM) does not block the daemon: while it is
pending, ListServices, property reads, other services' Stops, Waits and
introspection are answered promptly, from the same connection and from
others, and every pending call gets its own reply."""

import signal
import time

import harness
import ifacetest
from harness import BUS_NAME, MANAGER_IFACE, ROOT_PATH, SERVICE_IFACE
from ifacetest import run_until, service_path

SLOW_MS = 3000
# What "promptly" means: far below SLOW_MS, far above a loaded machine's
# round trip (sanitizer builds included).
PROMPTLY_S = 1.0

SLOW = service_path("slow")
MANY = service_path("many")

CONFIG = """\
[Service stubborn]
Type=exec
Exec=sh -c 'trap "" TERM; while :; do sleep 0.1; done'
TimeoutStopSec=3

[Service sleeper]
Type=exec
Exec=sleep 600
"""


class LongStopTest(ifacetest.IfaceTestCase):
    def timed(self, call, *args):
        started = time.monotonic()
        result = call(*args)
        elapsed = time.monotonic() - started
        self.assertLess(elapsed, PROMPTLY_S, f"{call.__name__}{args} took {elapsed:.2f} s")
        return result

    def test_calls_answered_while_a_stop_is_pending(self):
        self.start_host(f"--slow-ms={SLOW_MS}", "--tasks=100")
        client, other = self.gdbus(), self.pydbus()
        started = time.monotonic()
        stopping = client.call_async(SLOW, SERVICE_IFACE, "Stop", "s", ("long",))
        for reader in (client, other):
            services = self.timed(reader.call, ROOT_PATH, MANAGER_IFACE, "ListServices")[0]
            self.assertEqual(len(services), 3)
            self.assertEqual(self.timed(reader.get, SLOW, SERVICE_IFACE, "State"), "stopping")
            self.assertEqual(self.timed(reader.get_all, MANY, SERVICE_IFACE)["NTasks"], 100)
            self.timed(reader.call, ROOT_PATH, ifacetest.OBJECT_MANAGER_IFACE, "GetManagedObjects")
            self.timed(reader.call, SLOW, ifacetest.INTROSPECTABLE_IFACE, "Introspect")
            self.timed(reader.call, ROOT_PATH, MANAGER_IFACE, "GetService", "s", ("slow",))
        # A Stop of another service completes while the long one goes on.
        self.assertEqual(self.timed(other.call, MANY, SERVICE_IFACE, "Stop", "s", ("quick",)),
                         ([],))
        result = harness.busctl_json(self.bus, "call", BUS_NAME, ROOT_PATH, MANAGER_IFACE,
                                     "ListServices")[0]
        self.assertEqual([s[0] for s in result], ["failing", "many", "slow"])
        ifacetest.drain()
        self.assertFalse(stopping.done, "the long Stop replied early")
        self.assertEqual(stopping.result(), ([],))
        self.assertGreaterEqual(stopping.finished_at - started, SLOW_MS / 1000 * 0.8)
        self.assertEqual(client.get(SLOW, SERVICE_IFACE, "State"), "stopped")

    def test_many_calls_while_a_stop_is_pending(self):
        self.start_host(f"--slow-ms={SLOW_MS}")
        client = self.gdbus()
        stopping = client.call_async(SLOW, SERVICE_IFACE, "Stop", "s", ("long",))
        started = time.monotonic()
        # dbus-daemon allows a connection 128 pending calls by default.
        calls = [client.call_async(ROOT_PATH, MANAGER_IFACE, "ListServices")
                 for _ in range(60)]
        calls += [client.call_async(SLOW, ifacetest.PROPERTIES_IFACE, "GetAll", "s",
                                    (SERVICE_IFACE,)) for _ in range(60)]
        run_until(lambda: all(c.done for c in calls), "120 replies")
        self.assertLess(time.monotonic() - started, SLOW_MS / 1000 / 2)
        ifacetest.drain()
        self.assertFalse(stopping.done)
        self.assertEqual([c.error for c in calls if c.error], [])
        self.assertEqual({c.reply[0]["State"] for c in calls[60:]}, {"stopping"})
        self.assertEqual(stopping.result(), ([],))

    def test_concurrent_stops_waits_and_restarts_all_get_replies(self):
        self.start_host("--slow-ms=1500")
        gdbus, pydbus = self.gdbus(), self.pydbus()
        pending = [gdbus.call_async(SLOW, SERVICE_IFACE, "Wait")]
        pending += [client.call_async(SLOW, SERVICE_IFACE, "Stop", "s", (f"stop {n}",))
                    for n, client in enumerate((gdbus, pydbus, gdbus))]
        pending += [pydbus.call_async(SLOW, SERVICE_IFACE, "Wait")]
        self.assertEqual(self.timed(gdbus.get, SLOW, SERVICE_IFACE, "State"), "stopping")
        # Cancel again while stopping: answered at once, changes nothing.
        self.timed(pydbus.call, SLOW, SERVICE_IFACE, "Cancel", "s", ("again",))
        self.assertEqual([p.result() for p in pending], [([],)] * len(pending))
        self.assertEqual(gdbus.get(SLOW, SERVICE_IFACE, "State"), "stopped")
        # A Restart, then a Stop of the restarted service.
        restart = gdbus.call_async(SLOW, SERVICE_IFACE, "Restart", "s", ("r",))
        self.assertEqual(restart.result(), ([],))
        stop = pydbus.call_async(SLOW, SERVICE_IFACE, "Stop", "s", ("s",))
        self.assertEqual(self.timed(gdbus.get, SLOW, SERVICE_IFACE, "State"), "stopping")
        self.assertEqual(stop.result(), ([],))

    def test_long_exec_stop_on_bgserviced(self):
        daemon = self.start_daemon(CONFIG)
        ifacetest.wait_child_handling(daemon.process.pid, "SigIgn", signal.SIGTERM)
        client, other = self.gdbus(), self.pydbus()
        started = time.monotonic()
        stopping = client.call_async(service_path("stubborn"), SERVICE_IFACE, "Stop", "s",
                                     ("long",))
        run_until(lambda: other.get(service_path("stubborn"), SERVICE_IFACE, "State")
                  == "stopping" or stopping.done, "stubborn to be stopping")
        self.timed(other.call, ROOT_PATH, MANAGER_IFACE, "ListServices")
        self.assertEqual(self.timed(other.call, service_path("sleeper"), SERVICE_IFACE, "Stop",
                                    "s", ("quick",)), ([],))
        self.timed(other.call, service_path("sleeper"), SERVICE_IFACE, "Start")
        ifacetest.drain()
        self.assertFalse(stopping.done)
        # Ended by the SIGKILL after TimeoutStopSec=3: cancelled, no error.
        self.assertEqual(stopping.result(), ([],))
        self.assertGreaterEqual(time.monotonic() - started, 2.5)


if __name__ == "__main__":
    harness.main()
