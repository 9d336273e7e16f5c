# SPDX-License-Identifier: MIT
"""bgservicectl --output=json and json-pretty against bgserviced: checks 57
to 62 of tests/ctl/README-integration.md.

Every command's JSON is parsed by Python's json module (strict: a raw
control character in a string fails the parse) and compared with what
the daemon says through busctl, not with what the client printed
otherwise. Hostile names and error messages come back exactly, with
nothing on the output a terminal would act on."""

import datetime
import json

import ctltest
import harness
from ctltest import (FAILURE, IDLE, NO_SUCH_SERVICE, NOT_RUNNING, OK, RETRIER, TASKS_FAILED)
from harness import BUS_NAME, MANAGER_IFACE, ROOT_PATH, busctl_json
from test_ctl_output_safety import CONFIG as HOSTILE_CONFIG, FORBIDDEN, RLO_NAME, SPACED

MODES = ("json", "json-pretty")


def error_objects(entries):
    """An a(ssis) as busctl gives it, as the ERROR objects of the schema."""
    return [{"task": task, "domain": domain, "code": code, "message": message}
            for task, domain, code, message in entries]


def iso8601(usec):
    """StateTimestamp as the schema writes it: UTC, to the µs."""
    if usec == 0:
        return None
    when = datetime.datetime.fromtimestamp(usec // 1_000_000, datetime.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{usec % 1_000_000:06d}Z"


def timestamp_text(usec):
    """StateTimestamp as status and show write it, in UTC (the client runs
    with TZ=UTC)."""
    if usec == 0:
        return None
    when = datetime.datetime.fromtimestamp(usec // 1_000_000, datetime.timezone.utc)
    return when.strftime("%a %Y-%m-%d %H:%M:%S UTC")


class JsonTestCase(ctltest.CtlTestCase):
    def ctl_json(self, *args, mode="json", status=OK, stderr=""):
        """Runs bgservicectl --output=MODE with args; checks its exit status,
        stderr and that its output is one safe JSON document (one line for
        json); returns it parsed."""
        result = self.ctl(f"--output={mode}", *args, env={"TZ": "UTC"})
        self.assertEqual(result.status, status, result.describe())
        if stderr is not None:
            self.assertEqual(result.stderr, stderr, result.describe())
        self.assertTrue(result.stdout.endswith("\n"), result.describe())
        if mode == "json":
            self.assertEqual(result.stdout.count("\n"), 1, result.describe())
        self.assertNotIn("\x1b", result.stdout)
        for character in FORBIDDEN:
            self.assertNotIn(character, result.stdout.replace("\n", "").replace(" ", ""),
                             f"U+{ord(character):04X} raw in {result.stdout!r}")
        return json.loads(result.stdout)

    def listed(self):
        """ListServices as {name: path}."""
        services = busctl_json(self.bus, "call", BUS_NAME, ROOT_PATH, MANAGER_IFACE,
                               "ListServices")[0]
        return {name: path for name, _, _, path in services}

    def expected_list(self):
        return [{"name": name, "state": (p := self.properties(name))["State"],
                 "is_running": p["IsRunning"], "n_tasks": p["NTasks"],
                 "n_restarts": p["NRestarts"], "path": path}
                for name, path in self.listed().items()]

    def expected_status(self, name):
        p = self.properties(name)
        return {"name": p["Name"], "state": p["State"], "is_running": p["IsRunning"],
                "state_timestamp": p["StateTimestamp"],
                "state_timestamp_iso": iso8601(p["StateTimestamp"]), "restart": p["Restart"],
                "n_restarts": p["NRestarts"], "n_tasks": p["NTasks"],
                "last_errors": error_objects(p["LastErrors"]), "path": self.listed()[name]}

    def expected_show(self, name):
        p = self.properties(name)
        return {"Name": p["Name"], "IsRunning": p["IsRunning"], "NTasks": p["NTasks"],
                "LastErrors": error_objects(p["LastErrors"]), "State": p["State"],
                "StateTimestamp": p["StateTimestamp"],
                "StateTimestampText": timestamp_text(p["StateTimestamp"]),
                "NRestarts": p["NRestarts"], "Restart": p["Restart"]}


class JsonTest(JsonTestCase):
    def setUp(self):
        super().setUp()
        self.start_standard_daemon(RETRIER)
        self.wait_for_state("retrier", "restarting")

    def test_list(self):
        # 57
        for mode in MODES:
            with self.subTest(mode=mode):
                printed = self.ctl_json("list", mode=mode)
                self.assertEqual(printed, self.expected_list())
                self.assertEqual([s["name"] for s in printed], sorted(self.listed()))

    def test_status(self):
        # 58: the exit status is status's: 3 for a service that does not run.
        for mode in MODES:
            with self.subTest(mode=mode):
                self.assertEqual(self.ctl_json("status", "clock", "retrier", mode=mode),
                                 [self.expected_status("clock"), self.expected_status("retrier")])
                printed = self.ctl_json("status", "failer", IDLE, mode=mode, status=NOT_RUNNING)
                self.assertEqual(printed, [self.expected_status("failer"),
                                           self.expected_status(IDLE)])
        # failer's failures, task by task; idle never changed state.
        failer, idle = printed
        self.assertEqual(sorted(e["task"] for e in failer["last_errors"]),
                         ["instance-1", "instance-2"])
        self.assertEqual(failer["last_errors"][0]["code"], 3)
        self.assertEqual((idle["state_timestamp"], idle["state_timestamp_iso"]), (0, None))

    def test_status_of_unknown_names(self):
        # 58: what was found, as JSON; the rest on stderr; exit 4.
        printed = self.ctl_json("status", "nosuch", "clock", status=NO_SUCH_SERVICE,
                                stderr="bgservicectl: no such service: nosuch\n")
        self.assertEqual(printed, [self.expected_status("clock")])
        self.assertEqual(self.ctl_json("status", "nosuch", status=NO_SUCH_SERVICE, stderr=None),
                         [])

    def test_show(self):
        # 59: keyed by D-Bus property name, every property; -p picks.
        for mode in MODES:
            with self.subTest(mode=mode):
                self.assertEqual(self.ctl_json("show", "failer", IDLE, "retrier", mode=mode),
                                 [self.expected_show(n) for n in ("failer", IDLE, "retrier")])
        picked = self.ctl_json("show", "-p", "State,Nope", "--property=LastErrors", "failer")
        expected = self.expected_show("failer")
        self.assertEqual(picked, [{"LastErrors": expected["LastErrors"],
                                   "State": expected["State"]}])

    def test_stop_restart_wait(self):
        # 60: one object a service reached, its errors (maybe none); exit
        # statuses unchanged.
        errors = error_objects(self.properties("failer")["LastErrors"])
        printed = self.ctl_json("wait", "failer", IDLE, status=TASKS_FAILED)
        self.assertEqual(printed, [{"service": "failer", "errors": errors},
                                   {"service": IDLE, "errors": []}])
        retrier = error_objects(self.properties("retrier")["LastErrors"])
        self.assertEqual(len(retrier), 1)
        self.assertEqual(self.ctl_json("stop", "retrier", "clock", mode="json-pretty",
                                       status=TASKS_FAILED),
                         [{"service": "retrier", "errors": retrier},
                          {"service": "clock", "errors": []}])
        self.assertEqual(self.state("retrier"), "stopped")
        self.assertEqual(self.ctl_json("restart", "sleeper", "nosuch", status=NO_SUCH_SERVICE,
                                       stderr="bgservicectl: no such service: nosuch\n"),
                         [{"service": "sleeper", "errors": []}])
        self.assertEqual(self.services()["sleeper"], (True, 3))

    def test_stop_all(self):
        # 61: the services whose runs it ended with failures; all stopped.
        retrier = error_objects(self.properties("retrier")["LastErrors"])
        printed = self.ctl_json("stop", "--all", "--message=json", status=TASKS_FAILED)
        self.assertEqual(printed, [{"service": "retrier", "errors": retrier}])
        self.assertFalse(any(running for running, _ in self.services().values()))
        self.assertEqual(self.ctl_json("stop", "--all"), [])

    def test_refused_and_unreachable_print_no_json(self):
        # 62: a command that could not run prints nothing on stdout.
        result = self.ctl("-o", "json", "stop", "--all", user="nobody")
        self.assertResult(result, FAILURE, stdout="")
        self.assertIn("not allowed to stop every service", result.stderr)
        self.assertEqual(self.services()["clock"], (True, 1))
        result = self.ctl("-o", "json", "--bus-name=org.example.Nobody", "list")
        self.assertResult(result, FAILURE, stdout="")


class HostileJsonTest(JsonTestCase):
    """Names and messages that need escaping, from a configuration and
    from the test host."""

    def test_names_and_messages_come_back_exactly(self):
        # 57 to 60 with hostile strings.
        self.start_daemon(HOSTILE_CONFIG)
        self.wait_for_state("hostile", "failed")
        self.assertEqual(self.ctl_json("list"), self.expected_list())
        for name in (RLO_NAME, SPACED, "hostile"):
            with self.subTest(name=name):
                status = OK if self.services()[name][0] else NOT_RUNNING
                self.assertEqual(self.ctl_json("status", name, status=status),
                                 [self.expected_status(name)])
                self.assertEqual(self.ctl_json("show", name), [self.expected_show(name)])
        # The error message holds ESC, BEL, C1, RLO, LS, CR and TAB.
        errors = error_objects(self.properties("hostile")["LastErrors"])
        self.assertIn("\x1b[31mred\x07", errors[0]["message"])
        self.assertIn("\u202e", errors[0]["message"])
        self.assertEqual(self.ctl_json("wait", "hostile", status=TASKS_FAILED),
                         [{"service": "hostile", "errors": errors}])

    def test_names_from_code(self):
        names = ['quo"te', "back\\slash", "a=b #c", "new\u2028line", "{\"json\": [1]}"]
        host = harness.TestHost(self.bus, self.directory,
                                args=[f"--service={name}" for name in names])
        self.addCleanup(host.close)
        self.assertEqual(self.ctl_json("list"), self.expected_list())
        self.assertEqual(self.ctl_json("status", *names),
                         [self.expected_status(name) for name in names])
        self.assertEqual(self.ctl_json("show", *names, mode="json-pretty"),
                         [self.expected_show(name) for name in names])
        self.assertEqual(self.ctl_json("stop", *names),
                         [{"service": name, "errors": []} for name in names])


if __name__ == "__main__":
    harness.main()
