# SPDX-License-Identifier: MIT
"""bgservicectl against bgserviced hosting 1,000 services, on a bus that
limits the replies one connection may wait for (dbus-daemon's
max_replies_per_connection, 128 on the system bus): checks 76 to 83 of
tests/ctl/README-integration.md.

Every state printed is the one busctl reads; at most 64 calls wait for
their reply at a time, as busctl monitor sees the bus route them; calls
the bus refuses are sent again; and when no answer can be had,
bgservicectl says so, exits 2 and prints nothing. The daemon is held
(SIGSTOP) while a command sends its first calls, so that they pile up at
the bus as they do at a busy daemon."""

import json
import os
import re
import signal

import dbus

import ctltest
import harness
from busrecord import BusRecord
from ctltest import FAILURE, NOT_FAILED, NOT_RUNNING, OK
from harness import BUS_NAME, MANAGER_IFACE, ROOT_PATH, SERVICE_IFACE

OBJECT_MANAGER_IFACE = "org.freedesktop.DBus.ObjectManager"

# How many calls bgservicectl lets wait for their reply at a time, and
# how long it waits before it sends again a call that the bus refused (10
# ms, then twice as long each time, 8 sends in all), as bgservicectl(1)
# says.
IN_FLIGHT = 64
RETRY_DELAYS = [0.010 * 2 ** k for k in range(7)]

# The default timeout of the client's calls, short for the tests where the
# daemon does not answer (see test_ctl_long_calls.py).
SHORT_TIMEOUT = {"SYSTEMD_BUS_TIMEOUT": "2"}

# 996 clocks, a third of them never started, and one service in each of
# the other states: failer failed at start-up, retrier restarting for an
# hour, sleeper running two tasks, lingerer stopping for ten minutes once
# cancelled (its task ends 600 s after its SIGTERM).
CLOCKS = [f"clock-{i:04d}" for i in range(996)]
OTHERS = """
[Service failer]
Type=exec
Exec=sh -c "exit 3"

[Service retrier]
Type=exec
Exec=sh -c "exit 6"
Restart=on-failure
RestartSec=1h

[Service sleeper]
Type=exec
Exec=sleep 1000
Instances=2

[Service lingerer]
Type=exec
Exec=sh -c "trap 'sleep 600; exit 0' TERM; while :; do sleep 0.2; done"
TimeoutStopSec=20min
"""
CONFIG = "".join(f"[Service {name}]\nType=clock\nIntervalSec=1h\n"
                 + ("AutoStart=false\n" if i % 3 == 0 else "")
                 for i, name in enumerate(CLOCKS)) + OTHERS
NAMES = sorted(CLOCKS + ["failer", "retrier", "sleeper", "lingerer"])
STATES = {"running", "stopped", "failed", "restarting", "stopping"}
# 300 names in an order of their own, every state among them.
SOME = ["lingerer", "retrier", "failer", "sleeper"] + CLOCKS[::-1][:296]


class QuotaTestCase(ctltest.CtlTestCase):
    """bgserviced with CONFIG's 1,000 services, each state among them."""

    bus_extra = harness.bus_limits(max_replies_per_connection=128)

    def setUp(self):
        super().setUp()
        self.daemon = self.start_daemon(CONFIG)
        self.wait_for_state("failer", "failed")
        self.wait_for_state("retrier", "restarting")
        harness.busctl(self.bus, "call", BUS_NAME, harness.service_path(self.bus, "lingerer"),
                       SERVICE_IFACE, "Cancel", "s", "a stop that lasts")
        self.wait_for_state("lingerer", "stopping")

    def record(self):
        record = BusRecord(self.bus)
        self.addCleanup(record.close)
        return record

    def truth(self):
        """Every service's properties, as busctl reads them, by name (with
        its "path")."""
        objects = harness.busctl_json(self.bus, "call", BUS_NAME, ROOT_PATH,
                                      OBJECT_MANAGER_IFACE, "GetManagedObjects")[0]
        found = {}
        for path, interfaces in objects.items():
            properties = {key: value["data"] for key, value in interfaces[SERVICE_IFACE].items()}
            properties["path"] = path
            found[properties["Name"]] = properties
        self.assertEqual(sorted(found), NAMES)
        self.assertEqual({p["State"] for p in found.values()}, STATES)
        return found

    def held(self, member, count, *args, env=None):
        """Runs bgservicectl with args while the daemon is held: the daemon
        goes on once count calls of member have passed the bus, waiting
        for it. Returns the Result and the BusRecord of the run."""
        record = self.record()
        os.kill(self.daemon.process.pid, signal.SIGSTOP)
        try:
            client = self.ctl_background(*args, env=env)
            record.wait_for_calls(member, count)
        finally:
            os.kill(self.daemon.process.pid, signal.SIGCONT)
        result = client.finish()
        record.catch_up()
        return result, record


def pipe_list(truth):
    """What list prints in a pipe for the services of truth."""
    return "".join(f"{name}\t{p['State']}\t{p['NTasks']}\t{p['NRestarts']}\n"
                   for name, p in sorted(truth.items()))


def status_fields(text):
    """{name: (state, restarts, policy, tasks)} of status's blocks."""
    found = {}
    for block in text.split("\n\n"):
        lines = block.splitlines()
        state = re.fullmatch(r"  state: (\S+)(?: since .*)?", lines[1]).group(1)
        restarts, policy = re.fullmatch(r"  restarts: (\d+) \(Restart=(\S+)\)", lines[2]).groups()
        tasks = re.fullmatch(r"  tasks: (\d+)", lines[3]).group(1)
        found[lines[0]] = (state, int(restarts), policy, int(tasks))
    return found


class ReadUnderQuotaTest(QuotaTestCase):
    """76-79: under the system bus's limit, every command that reads
    prints what busctl reads, with the daemon held as the calls go out."""

    def test_list(self):
        # 76
        truth = self.truth()
        result, record = self.held("GetManagedObjects", 1, "list")
        self.assertResult(result, OK, stdout=pipe_list(truth), stderr="")
        # One call read every service, and nothing else was asked.
        self.assertEqual([call["member"] for call in record.calls()], ["GetManagedObjects"])

        for output in ("json", "json-pretty"):
            result, _ = self.held("GetManagedObjects", 1, "list", f"--output={output}")
            self.assertResult(result, OK, stderr="")
            self.assertEqual(json.loads(result.stdout), [
                {"name": name, "state": p["State"], "is_running": p["IsRunning"],
                 "n_tasks": p["NTasks"], "n_restarts": p["NRestarts"], "path": p["path"]}
                for name, p in sorted(truth.items())])

    def test_status_and_show_of_300(self):
        # 77
        truth = self.truth()
        result, _ = self.held("GetService", IN_FLIGHT, "status", *SOME)
        self.assertResult(result, NOT_RUNNING, stderr="")
        fields = status_fields(result.stdout)
        self.assertEqual(list(fields), SOME)
        for name in SOME:
            p = truth[name]
            self.assertEqual(fields[name], (p["State"], p["NRestarts"], p["Restart"], p["NTasks"]),
                             name)

        result, _ = self.held("GetService", IN_FLIGHT, "status", "--output=json", *SOME)
        self.assertResult(result, NOT_RUNNING, stderr="")
        printed = json.loads(result.stdout)
        self.assertEqual([service["name"] for service in printed], SOME)
        for service in printed:
            p = truth[service["name"]]
            self.assertEqual(
                (service["state"], service["is_running"], service["n_tasks"],
                 service["n_restarts"], service["restart"], service["state_timestamp"],
                 service["path"], [e["message"] for e in service["last_errors"]]),
                (p["State"], p["IsRunning"], p["NTasks"], p["NRestarts"], p["Restart"],
                 p["StateTimestamp"], p["path"], [e[3] for e in p["LastErrors"]]),
                service["name"])

        # 78
        result, _ = self.held("GetService", IN_FLIGHT, "show", "-p", "Name,State,NTasks", *SOME)
        self.assertResult(result, OK, stderr="", stdout="\n".join(
            f"Name={name}\nNTasks={truth[name]['NTasks']}\nState={truth[name]['State']}\n"
            for name in SOME))

        result, _ = self.held("GetService", IN_FLIGHT, "show", "--output=json", *SOME)
        self.assertResult(result, OK, stderr="")
        printed = json.loads(result.stdout)
        self.assertEqual([service["Name"] for service in printed], SOME)
        for service in printed:
            p = truth[service["Name"]]
            for key in ("IsRunning", "NTasks", "State", "StateTimestamp", "NRestarts", "Restart"):
                self.assertEqual(service[key], p[key], (service["Name"], key))

    def test_is_active_and_is_failed_of_every_service(self):
        # 79
        truth = self.truth()
        states = "".join(f"{truth[name]['State']}\n" for name in NAMES)
        result, _ = self.held("GetService", IN_FLIGHT, "is-active", *NAMES)
        self.assertResult(result, NOT_RUNNING, stdout=states, stderr="")
        result, _ = self.held("GetService", IN_FLIGHT, "is-failed", *NAMES)
        self.assertResult(result, NOT_FAILED, stdout=states, stderr="")
        result, _ = self.held("GetService", 1, "is-failed", "failer")
        self.assertResult(result, OK, stdout="failed\n", stderr="")


class InFlightTest(QuotaTestCase):
    """80: never more calls waiting than the bound, which a bus allowing
    exactly that many shows: it would refuse one more."""

    bus_extra = harness.bus_limits(max_replies_per_connection=IN_FLIGHT)

    def test_at_most_64_calls_wait(self):
        truth = self.truth()
        result, record = self.held("GetService", IN_FLIGHT, "is-active", *NAMES)
        self.assertResult(result, NOT_RUNNING, stderr="",
                          stdout="".join(f"{truth[name]['State']}\n" for name in NAMES))
        self.assertEqual(len(record.calls("GetService")), len(NAMES))
        self.assertEqual(len(record.calls("GetAll")), len(NAMES))
        self.assertEqual(record.refusals(), [])
        self.assertEqual(record.most_in_flight(), IN_FLIGHT)


class SmallQuotaTest(QuotaTestCase):
    """81: a bus that lets one call wait at a time: the first calls beyond
    are refused, sent again, and the client sends one call at a time from
    then on."""

    bus_extra = harness.bus_limits(max_replies_per_connection=1)

    def test_one_call_at_a_time(self):
        truth = self.truth()
        result, record = self.held("GetService", 1, "is-active", *SOME)
        self.assertResult(result, NOT_RUNNING, stderr="",
                          stdout="".join(f"{truth[name]['State']}\n" for name in SOME))
        # The first window went out whole while the daemon was held, and
        # the bus let one of its calls through; from then on the calls went
        # one at a time, and none was refused.
        self.assertEqual(len(record.refusals()), IN_FLIGHT - 1)
        self.assertEqual(record.most_in_flight(), 1)

        result, record = self.held("GetManagedObjects", 1, "list")
        self.assertResult(result, OK, stdout=pipe_list(truth), stderr="")

        status, _ = self.held("GetService", 1, "status", "--output=json", *SOME)
        self.assertResult(status, NOT_RUNNING, stderr="")
        self.assertEqual([(s["name"], s["state"]) for s in json.loads(status.stdout)],
                         [(name, truth[name]["State"]) for name in SOME])


class RefusingBusTest(QuotaTestCase):
    """82: a bus that refuses every call to the daemon: each command says
    that the bus refused it, after a few attempts, and prints nothing."""

    bus_extra = harness.bus_limits(max_replies_per_connection=0)

    def setUp(self):
        # No busctl call reaches the daemon either: CONFIG's services are
        # not needed, nor their states.
        ctltest.CtlTestCase.setUp(self)
        self.daemon = self.start_daemon(CONFIG)

    def test_every_call_refused(self):
        for args, member, first, action in (
                (["list"], "GetManagedObjects", None, "list the services"),
                (["status", "--output=json", *SOME], "GetService", SOME[0],
                 f"look up “{SOME[0]}”"),
                (["is-active", *NAMES], "GetService", NAMES[0], f"look up “{NAMES[0]}”")):
            with self.subTest(args=args[:2]):
                record = self.record()
                result = self.ctl(*args)
                record.catch_up()
                self.assertEqual(result.status, FAILURE, result.describe())
                self.assertEqual(result.stdout, "", result.describe())
                attempts = re.fullmatch(
                    f"bgservicectl: the bus at {re.escape(self.bus.address)} refused "
                    fr"(\d+) times to pass on the call to {re.escape(action)} to bgserviced "
                    r"\(org.bgservice1\): The maximum number of pending replies per connection "
                    r"has been reached \(org.freedesktop.DBus.Error.LimitsExceeded\)\n",
                    result.stderr)
                self.assertIsNotNone(attempts, result.describe())
                # The call was sent as many times as the message says, the
                # delays between elapsed.
                sent = [m for m in record.calls(member)
                        if m["payload"]["data"] == ([first] if first is not None else [])]
                self.assertEqual(len(sent), int(attempts.group(1)))
                self.assertEqual(len(sent), len(RETRY_DELAYS) + 1)
                self.assertGreater(result.elapsed, sum(RETRY_DELAYS), result.describe())


class DaemonNotAnsweringTest(QuotaTestCase):
    """83: a daemon that stops answering, before a command or in the middle
    of one: the command times out, says so, exits 2 and prints nothing."""

    def no_reply(self, action):
        return (f"bgservicectl: no reply from bgserviced (org.bgservice1 on the bus at "
                f"{self.bus.address}) to {action}: Method call timed out\n")

    def test_held_throughout(self):
        commands = [
            (["list"], "list the services"),
            (["list", "--output=json"], "list the services"),
            (["status", *SOME], f"look up “{SOME[0]}”"),
            (["status", "--output=json", *SOME], f"look up “{SOME[0]}”"),
            (["show", *SOME], f"look up “{SOME[0]}”"),
            (["show", "--output=json", *SOME], f"look up “{SOME[0]}”"),
            (["is-active", *NAMES], f"look up “{NAMES[0]}”"),
            (["is-failed", *NAMES], f"look up “{NAMES[0]}”"),
        ]
        os.kill(self.daemon.process.pid, signal.SIGSTOP)
        try:
            # All at once: they wait out the same timeout.
            clients = [(self.ctl_background(*args, env=SHORT_TIMEOUT), action)
                       for args, action in commands]
            results = [(client.finish(), action) for client, action in clients]
        finally:
            os.kill(self.daemon.process.pid, signal.SIGCONT)
        for result, action in results:
            self.assertResult(result, FAILURE, stdout="", stderr=self.no_reply(action))
            # Once a call timed out, the calls not sent yet are not sent:
            # one timeout (2 s), not one for each window of 64 calls (5
            # windows and more here; list makes one call).
            if result.command[2] != "list":
                self.assertLess(result.elapsed, 4 * 2, result.describe())

    def answer_then_hold(self, record, client, count):
        """Lets the daemon answer the first count calls of client, then
        holds it: the client, held meanwhile, goes on once the daemon no
        longer answers."""
        record.wait_for_calls(None, count)
        os.kill(client.pid, signal.SIGSTOP)
        os.kill(self.daemon.process.pid, signal.SIGCONT)
        record.wait_for_answers(count)
        os.kill(self.daemon.process.pid, signal.SIGSTOP)
        os.kill(client.pid, signal.SIGCONT)

    def test_held_in_the_middle(self):
        # 100 names: 64 GetService, 36 more, then 64 GetAll and 36 more;
        # each window goes out once the one before is answered.
        names = SOME[:100]
        windows = [IN_FLIGHT, 100, 100 + IN_FLIGHT]
        for args, answered, action in (
                (["status"], IN_FLIGHT, f"look up “{names[IN_FLIGHT]}”"),
                (["status", "--output=json"], 100, f"get the status of “{names[0]}”"),
                (["show", "--output=json"], 100 + IN_FLIGHT,
                 f"get the properties of “{names[IN_FLIGHT]}”")):
            with self.subTest(args=args, answered=answered):
                record = self.record()
                os.kill(self.daemon.process.pid, signal.SIGSTOP)
                try:
                    client = self.ctl_background(*args, *names, env=SHORT_TIMEOUT)
                    for count in windows[:windows.index(answered) + 1]:
                        self.answer_then_hold(record, client, count)
                    result = client.finish()
                finally:
                    os.kill(self.daemon.process.pid, signal.SIGCONT)
                self.assertResult(result, FAILURE, stdout="", stderr=self.no_reply(action))

    def test_killed_in_the_middle(self):
        # The daemon dies while the command waits for its replies: the bus
        # answers each call in flight that its recipient left.
        gone = "Message recipient disconnected from message bus without replying"
        for args, member, count, action in (
                (["list"], "GetManagedObjects", 1, "list the services"),
                (["status", *SOME], "GetService", IN_FLIGHT, f"look up “{SOME[0]}”")):
            with self.subTest(args=args[:1]):
                record = self.record()
                os.kill(self.daemon.process.pid, signal.SIGSTOP)
                client = self.ctl_background(*args)
                record.wait_for_calls(member, count)
                self.kill_daemon(self.daemon)
                result = client.finish()
                self.assertResult(result, FAILURE, stdout="", stderr=(
                    f"bgservicectl: no reply from bgserviced (org.bgservice1 on the bus at "
                    f"{self.bus.address}) to {action}: {gone}\n"))
                self.daemon = self.start_daemon(CONFIG)


class NoObjectManagerTest(QuotaTestCase):
    """list when the bus's policy does not let GetManagedObjects through
    (76 again): ListServices, then a GetAll a service, under the limit."""

    bus_extra = (harness.bus_limits(max_replies_per_connection=128)
                 + '<policy context="mandatory"><deny send_destination="org.bgservice1" '
                 f'send_interface="{OBJECT_MANAGER_IFACE}" send_member="GetManagedObjects"/>'
                 "</policy>")

    def truth(self):
        """What python3-dbus reads with GetAll (busctl's GetManagedObjects
        is refused too)."""
        connection = dbus.bus.BusConnection(self.bus.address)
        self.addCleanup(connection.close)
        manager = dbus.Interface(connection.get_object(BUS_NAME, ROOT_PATH), MANAGER_IFACE)
        found = {}
        for name, _, _, path in manager.ListServices():
            service = connection.get_object(BUS_NAME, path)
            properties = service.GetAll(SERVICE_IFACE, dbus_interface=dbus.PROPERTIES_IFACE)
            found[str(name)] = {"State": str(properties["State"]),
                                "NTasks": int(properties["NTasks"]),
                                "NRestarts": int(properties["NRestarts"])}
        self.assertEqual(sorted(found), NAMES)
        return found

    def test_list_falls_back(self):
        truth = self.truth()
        result, record = self.held("GetManagedObjects", 1, "list")
        self.assertResult(result, OK, stdout=pipe_list(truth), stderr="")
        self.assertEqual(len(record.calls("ListServices")), 1)
        self.assertEqual(len(record.calls("GetAll")), len(NAMES))
        self.assertEqual(record.refusals(), [])
        self.assertLessEqual(record.most_in_flight(), IN_FLIGHT)


if __name__ == "__main__":
    harness.main()
