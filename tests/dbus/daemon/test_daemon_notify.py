# SPDX-License-Identifier: MIT
"""bgserviced and the sd_notify protocol, over a real AF_UNIX datagram
NOTIFY_SOCKET: READY=1 once the name is owned and the auto-start services
run, STATUS= lines ("N services, R running, F failed"), STOPPING=1 on
SIGTERM and SIGINT, WATCHDOG=1 at half of WATCHDOG_USEC. Reloading is in
test_daemon_reload.py."""

import os
import re
import signal
import socket
import time

import daemontest
import harness
from daemontest import EXIT_CONFIG, EXIT_OK, collect, collect_timed, run_bgserviced, write_file
from harness import BUS_NAME

# Whatever ran the tests, the daemon gets the notify variables a test sets.
for variable in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
    os.environ.pop(variable, None)

CONFIG = """\
[Service workers]
Type=exec
Exec=sleep 600
Instances=2

[Service clock]
Type=clock
IntervalSec=60

[Service ticker]
Type=timer
Exec=true
IntervalSec=60

[Service spare]
Type=exec
Exec=sleep 600
AutoStart=false
"""


# What fill_datagram_queue sends.
FILLER = "filler"


def fill_datagram_queue(path):
    """Sends datagrams to the socket at path until it takes no more, as
    a service manager that stopped reading leaves it; returns the sending
    sockets (each may run out of its own send buffer first, so it takes
    as many as it takes until a new one is refused at once)."""
    fillers = []
    while True:
        filler = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        fillers.append(filler)
        sent = 0
        try:
            while True:
                filler.sendto(FILLER.encode(), socket.MSG_DONTWAIT, path)
                sent += 1
        except BlockingIOError:
            if sent == 0:
                return fillers


def statuses(lines):
    return [line[len("STATUS="):] for line in lines if line.startswith("STATUS=")]


class NotifyTest(daemontest.DaemonTestCase):
    def test_ready_once_the_name_is_owned_and_services_run(self):
        daemon, notify = self.start_with_notify(CONFIG)
        seen = notify.wait_for("READY=1")
        # The daemon frozen as it sent READY=1: the name is owned already,
        # and the commands of the auto-start services run already.
        with daemontest.Frozen(daemon):
            self.assertTrue(harness.name_has_owner(self.bus, BUS_NAME))
            self.assertEqual(len(daemontest.commands_of(daemon, "sleep", "600")), 2)
        services = daemontest.list_services(self.bus)
        self.assertEqual({name: s[:2] for name, s in services.items()}, {
            "clock": (True, 1), "spare": (False, 0), "ticker": (True, 1), "workers": (True, 2)})
        self.assertEqual(len(daemontest.commands_of(daemon, "sleep", "600")), 2)
        self.assertEqual(seen.count("READY=1"), 1)
        self.assertNotIn("STOPPING=1", seen)
        self.assertEqual(statuses(notify.messages)[-1], "4 services, 3 running, 0 failed")
        self.assertStopsWith(daemon, EXIT_OK)

    def test_ready_comes_after_the_status_of_the_started_services(self):
        daemon, notify = self.start_with_notify(CONFIG)
        seen = notify.wait_for("READY=1")
        ready = seen.index("READY=1")
        self.assertIn("STATUS=4 services, 3 running, 0 failed", seen[:ready])
        self.assertStopsWith(daemon, EXIT_OK)

    def test_no_ready_for_a_bad_config(self):
        notify = harness.Notify(self.directory)
        self.addCleanup(notify.close)
        path = write_file(self.directory, "bad.conf", "[Service a]\nType=exec\n")
        result = run_bgserviced(f"--address={self.bus.address}", f"--config={path}",
                                env={"NOTIFY_SOCKET": notify.path})
        self.assertEqual(result.returncode, EXIT_CONFIG, result.stderr)
        self.assertNotIn("READY=1", collect(notify, 0.2))

    def test_status_follows_the_services(self):
        daemon, notify = self.start_with_notify(CONFIG)
        notify.wait_for("READY=1")
        daemontest.stop(self.bus, "workers")
        notify.wait_for("STATUS=4 services, 2 running, 0 failed")
        daemontest.start(self.bus, "spare")
        notify.wait_for("STATUS=4 services, 3 running, 0 failed")
        # A command that ends by itself changes the status too: killed by a
        # signal nobody sent, it failed, and its service with it.
        for pid in daemontest.commands_of(daemon, "sleep", "600"):
            os.kill(pid, signal.SIGKILL)
        notify.wait_for("STATUS=4 services, 2 running, 1 failed")
        self.assertEqual(daemontest.get_state(self.bus, "spare"), "failed")
        for line in statuses(notify.messages):
            self.assertNotIn("\n", line)
            self.assertRegex(line, r"^\d+ services, \d+ running, \d+ failed$")
        # The same status is not sent twice in a row.
        sent = statuses(notify.messages)
        self.assertFalse([a for a, b in zip(sent, sent[1:]) if a == b], sent)
        daemon.stop()

    def test_stopping_on_sigterm(self):
        self.check_stopping(signal.SIGTERM)

    def test_stopping_on_sigint(self):
        self.check_stopping(signal.SIGINT)

    def check_stopping(self, number):
        daemon, notify = self.start_with_notify(CONFIG)
        notify.wait_for("READY=1")
        daemon.signal(number)
        seen = notify.wait_for("STOPPING=1")
        self.assertEqual(daemon.wait(), EXIT_OK, daemon.read_log())
        seen += collect(notify, 0.2)
        stopping = seen.index("STOPPING=1")
        self.assertNotIn("READY=1", seen[stopping:])
        self.assertTrue(any(s.startswith("Stopping") for s in statuses(seen[stopping:])), seen)
        self.assertEqual(daemontest.live_children(daemon.process.pid), [])

    def test_watchdog_pings_at_half_the_period(self):
        daemon, notify = self.start_with_notify(CONFIG, env={"WATCHDOG_USEC": "200000"})
        notify.wait_for("READY=1")
        pings = [at for at, got in collect_timed(notify, 1.5) if "WATCHDOG=1" in got]
        self.assertGreaterEqual(len(pings), 7, f"pings every 100 ms for 1.5 s: {notify.messages}")
        self.assertLessEqual(len(pings), 20, notify.messages)
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        average = sum(gaps) / len(gaps)
        self.assertGreater(average, 0.06, gaps)
        self.assertLess(average, 0.2, gaps)
        self.assertStopsWith(daemon, EXIT_OK)

    def test_watchdog_pings_at_once_at_start(self):
        """With a period of 20 s the first timed ping comes after 10 s; one
        comes at once anyway."""
        daemon, notify = self.start_with_notify(CONFIG, env={"WATCHDOG_USEC": "20000000"})
        seen = notify.wait_for("READY=1")
        if "WATCHDOG=1" not in seen:
            notify.wait_for("WATCHDOG=1", timeout=5)
        self.assertStopsWith(daemon, EXIT_OK)

    def test_no_watchdog_without_watchdog_usec(self):
        daemon, notify = self.start_with_notify(CONFIG)
        seen = notify.wait_for("READY=1") + collect(notify, 0.5)
        self.assertNotIn("WATCHDOG=1", seen)
        self.assertStopsWith(daemon, EXIT_OK)

    def test_no_watchdog_for_another_process(self):
        """WATCHDOG_PID names the process systemd watches: not this one."""
        env = {"WATCHDOG_USEC": "200000", "WATCHDOG_PID": str(os.getpid())}
        daemon, notify = self.start_with_notify(CONFIG, env=env)
        seen = notify.wait_for("READY=1") + collect(notify, 0.5)
        self.assertNotIn("WATCHDOG=1", seen)
        self.assertStopsWith(daemon, EXIT_OK)

    def test_commands_do_not_get_the_notify_socket(self):
        """The messages are the daemon's: its commands must not send any."""
        dump = os.path.join(self.directory, "environment")
        script = daemontest.write_script(self.directory, "dump-env",
                                         f"env > {dump}.tmp && mv {dump}.tmp {dump}\n"
                                         "exec sleep 600\n")
        daemon, notify = self.start_with_notify(f"[Service env]\nType=exec\nExec={script}\n",
                                                env={"WATCHDOG_USEC": "5000000"})
        notify.wait_for("READY=1")
        harness.wait_until(lambda: os.path.exists(dump), "the command to write its environment")
        with open(dump) as f:
            names = [line.split("=", 1)[0] for line in f.read().splitlines()]
        for name in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
            self.assertNotIn(name, names)
        self.assertIn("PATH", names)
        self.assertStopsWith(daemon, EXIT_OK)

    def test_without_notify_socket_nothing_breaks(self):
        daemon = self.start_daemon(CONFIG)
        daemon.signal(signal.SIGHUP)
        self.assertLogMatches(daemon, r"Configuration reloaded", "the reload")
        self.assertStopsWith(daemon, EXIT_OK)
        self.assertNotRegex(daemon.read_log(), re.compile("Cannot notify"))

    def test_a_manager_that_stops_reading_does_not_hold_the_daemon(self):
        """With the notify socket full (the manager reads nothing), the
        daemon still starts and answers on the bus; what it had to say
        waits, and arrives in order, READY=1 included, once the manager
        reads again."""
        notify = harness.Notify(self.directory)
        self.addCleanup(notify.close)
        fillers = fill_datagram_queue(notify.path)
        self.addCleanup(lambda: [filler.close() for filler in fillers])
        daemon = self.start_daemon(CONFIG, env={"NOTIFY_SOCKET": notify.path})
        services = daemontest.list_services(self.bus)
        self.assertEqual(sorted(services), ["clock", "spare", "ticker", "workers"])
        self.assertLogMatches(daemon, r"notification socket is full", "the daemon's warning")

        seen = [line for line in notify.wait_for("READY=1") if line != FILLER]
        # The status flushed before READY=1 came before it, as when nothing waits.
        self.assertEqual(statuses(seen)[-1], "4 services, 3 running, 0 failed")
        self.assertLogMatches(daemon, r"reads its notification socket again",
                              "the daemon's word that the messages went out")
        daemon.signal(signal.SIGTERM)
        self.assertIn("STOPPING=1", notify.wait_for("STOPPING=1"))
        self.assertEqual(daemon.wait(), EXIT_OK, daemon.read_log())

    def test_an_abstract_notify_socket(self):
        """NOTIFY_SOCKET=@name: a socket in the abstract namespace."""
        name = f"bgs-test-notify-{os.getpid()}-{id(self)}"
        receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(receiver.close)
        receiver.bind("\0" + name)
        receiver.settimeout(harness.PATIENCE)
        daemon = self.start_daemon(CONFIG, env={"NOTIFY_SOCKET": "@" + name}, wait_ready=False)
        seen = []
        while "READY=1" not in seen:
            seen += receiver.recv(4096).decode().split("\n")
        self.assertStopsWith(daemon, EXIT_OK)

    def test_ready_timing_is_prompt(self):
        """READY=1 does not wait for anything but start-up."""
        started = time.monotonic()
        daemon, notify = self.start_with_notify(CONFIG)
        notify.wait_for("READY=1")
        self.assertLess(time.monotonic() - started, 10)
        self.assertStopsWith(daemon, EXIT_OK)


if __name__ == "__main__":
    harness.main()
