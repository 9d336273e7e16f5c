# SPDX-License-Identifier: MIT
"""bgserviced with a couple of thousand services: the STATUS= figures stay
exact, the bus shows every service (and one service's introspection
none of the others), and stopping, by StopAll sent while the daemon
starts or by SIGTERM, ends every run and leaves nothing running.

The services are mostly clocks and timers, which cost little to run, and
some exec services whose commands must all be gone at the end. Nothing
here times the daemon: bench/bench-scale does."""

import os
import signal
import subprocess
import threading
import xml.etree.ElementTree as ElementTree

import daemontest
import harness
from daemontest import EXIT_OK
from harness import BUS_NAME, MANAGER_IFACE, ROOT_PATH

# Whatever ran the tests, the daemon gets the notify variables a test sets.
for variable in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
    os.environ.pop(variable, None)

N_CLOCKS = 1500
N_TIMERS = 400
N_EXECS = 100
N_SERVICES = N_CLOCKS + N_TIMERS + N_EXECS
# Calls that walk every service get more time than the usual patience,
# on the bus as in the test.
LONG = harness.PATIENCE * 6
CALL_TIMEOUT = f"--timeout={LONG}"


def many_services():
    groups = [f"[Service clock{i:04d}]\nType=clock\nIntervalSec=1h\n" for i in range(N_CLOCKS)]
    groups += [f"[Service timer{i:04d}]\nType=timer\nExec=true\nIntervalSec=10\n"
               for i in range(N_TIMERS)]
    groups += [f"[Service exec{i:04d}]\nType=exec\nExec=sleep 600\n" for i in range(N_EXECS)]
    return "\n".join(groups)


class Drained:
    """Reads a harness.Notify all the time, as systemd does: the kernel
    keeps only a few unread datagrams, and the daemon would wait for room
    while the test talks to it over the bus."""

    def __init__(self, notify):
        self.notify = notify
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while True:
            try:
                lines = self.notify.receive(timeout=LONG)
            except OSError:
                return
            if "READY=1" in lines:
                self.ready.set()
            if "STOPPING=1" in lines:
                self.stopping.set()

    def statuses(self):
        return [line[len("STATUS="):] for line in list(self.notify.messages)
                if line.startswith("STATUS=")]

    def wait_ready(self, daemon):
        harness.wait_until(lambda: self.ready.is_set() or daemon.process.poll() is not None,
                           "READY=1", timeout=LONG)
        if daemon.process.poll() is not None:
            raise AssertionError(f"bgserviced exited with {daemon.process.returncode}:\n"
                                 + daemon.read_log())


class ScaleTest(daemontest.DaemonTestCase):
    def start_many(self):
        daemon, notify = self.start_with_notify(many_services())
        drained = Drained(notify)
        return daemon, drained

    def assertNothingRuns(self, daemon):
        services = daemontest.list_services(self.bus)
        self.assertEqual(len(services), N_SERVICES)
        self.assertEqual([name for name, s in services.items() if s[0]], [])
        harness.wait_until(lambda: daemontest.live_children(daemon.process.pid) == [],
                           "every command to end")

    def wait_for_commands(self, daemon):
        """The commands of the exec services, once every one runs: a
        service runs from its start, its process comes when the daemon's
        spawn budget lets it, after READY=1 for some of a few thousand."""
        harness.wait_until(
            lambda: len(daemontest.commands_of(daemon, "sleep", "600")) == N_EXECS,
            f"the {N_EXECS} commands of the exec services", timeout=LONG)
        return daemontest.commands_of(daemon, "sleep", "600")

    def test_status_and_bus_with_thousands_of_services(self):
        daemon, drained = self.start_many()
        drained.wait_ready(daemon)
        ready = drained.notify.messages.index("READY=1")
        self.assertEqual(drained.statuses()[-1] if drained.statuses() else None,
                         f"{N_SERVICES} services, {N_SERVICES} running, 0 failed")
        self.assertIn(f"STATUS={N_SERVICES} services, {N_SERVICES} running, 0 failed",
                      drained.notify.messages[:ready])
        self.wait_for_commands(daemon)

        # busctl tree says on stdout which object it could not introspect.
        listing = harness.busctl(self.bus, CALL_TIMEOUT, "--list", "tree", BUS_NAME, timeout=LONG,
                                 check=False)
        self.assertEqual(listing.returncode, 0, listing.stdout[-2000:])
        tree = listing.stdout
        services = [line for line in tree.splitlines()
                    if line.startswith(ROOT_PATH + "/service/")]
        self.assertEqual(len(services), N_SERVICES)

        # The prefix lists every service; one service lists none.
        prefix = ElementTree.fromstring(harness.busctl(
            self.bus, CALL_TIMEOUT, "introspect", "--xml-interface", BUS_NAME,
            ROOT_PATH + "/service", timeout=LONG).stdout)
        self.assertEqual(len(prefix.findall("node")), N_SERVICES)
        one = ElementTree.fromstring(harness.busctl(
            self.bus, CALL_TIMEOUT, "introspect", "--xml-interface", BUS_NAME, services[0],
            timeout=LONG).stdout)
        self.assertEqual(one.findall("node"), [])
        self.assertIn("org.bgservice1.Service", [i.get("name") for i in one.findall("interface")])

        managed = harness.busctl_json(self.bus, CALL_TIMEOUT, "call", BUS_NAME, ROOT_PATH,
                                      "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                      timeout=LONG)[0]
        self.assertEqual(len(managed), N_SERVICES)

        # A change moves the figures by one.
        daemontest.stop(self.bus, "exec0000")
        harness.wait_until(
            lambda: f"{N_SERVICES} services, {N_SERVICES - 1} running, 0 failed"
            in drained.statuses(), "the status after one stop")
        self.assertStopsWith(daemon, EXIT_OK)

    def test_stop_all_sent_during_start_up(self):
        daemon, drained = self.start_many()
        harness.wait_until(lambda: daemon.process.poll() is not None or
                           harness.name_has_owner(self.bus, BUS_NAME),
                           "bgserviced to own its name", timeout=LONG)
        # Sent as soon as the name is owned: the daemon may still be
        # starting its services; the call waits for it.
        stop_all = subprocess.Popen(
            ["busctl", f"--address={self.bus.address}", CALL_TIMEOUT, "--json=short",
             "call", BUS_NAME, ROOT_PATH, MANAGER_IFACE, "StopAll", "s", "stopped early"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = stop_all.communicate(timeout=LONG)
        self.assertEqual(stop_all.returncode, 0, err)
        self.assertIn('"data":[[]]', out)
        drained.wait_ready(daemon)
        self.assertNothingRuns(daemon)
        harness.wait_until(
            lambda: f"{N_SERVICES} services, 0 running, 0 failed" in drained.statuses(),
            "the status after StopAll", timeout=LONG)
        self.assertStopsWith(daemon, EXIT_OK)

    def test_sigterm_with_thousands_of_services(self):
        daemon, drained = self.start_many()
        drained.wait_ready(daemon)
        commands = self.wait_for_commands(daemon)
        daemon.signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(timeout=LONG), EXIT_OK, daemon.read_log())
        self.assertGone(commands, "the commands of the exec services")
        harness.wait_until(drained.stopping.is_set, "STOPPING=1")
        harness.wait_until(
            lambda: drained.statuses()[-1] == f"Stopping: 0 of {N_SERVICES} services still running",
            "the last status to say that nothing runs")


if __name__ == "__main__":
    harness.main()
