# SPDX-License-Identifier: MIT
"""Who may change state: a client run as nobody gets
org.freedesktop.DBus.Error.AccessDenied for Start, Stop, Cancel, Restart,
ResetFailed, StartAll and StopAll, and nothing changes, while reading (properties,
ListServices, GetService, Wait, introspection, ObjectManager) works; with
ControlUsers= or ControlGroups= naming it (by name or ID, also after a
SIGHUP reload) it may; the daemon's own user may, whoever that is. A
user's groups are those of the user database (its primary group, the
groups that list it), not those its process holds, and no signal makes
the lookup fail: under a storm of SIGHUPs, root is never turned away.
Clients: busctl, GDBus and python3-dbus, each run as the user with
setpriv."""

import json
import os
import signal
import subprocess
import threading
import time

from gi.repository import GLib

import harness
import ifacetest
from harness import BUS_NAME, MANAGER_IFACE, ROOT_PATH, SERVICE_IFACE
from ifacetest import ACCESS_DENIED, run_client, service_path

SERVICES = """\
[Service sleeper]
Type=exec
Exec=sleep 600
Instances=2

[Service idle]
Type=clock
IntervalSec=60
AutoStart=false

[Service failer]
Type=exec
Exec=sh -c 'exit 3'
AutoStart=false
"""

SLEEPER = service_path("sleeper")
IDLE = service_path("idle")
FAILER = service_path("failer")

# Every state-changing method: (path, interface, method, signature, args).
STATE_CHANGING = [
    (IDLE, SERVICE_IFACE, "Start", "", ()),
    (SLEEPER, SERVICE_IFACE, "Stop", "s", ("not yours",)),
    (SLEEPER, SERVICE_IFACE, "Cancel", "s", ("not yours",)),
    (SLEEPER, SERVICE_IFACE, "Restart", "s", ("not yours",)),
    (FAILER, SERVICE_IFACE, "ResetFailed", "", ()),
    (ROOT_PATH, MANAGER_IFACE, "StartAll", "", ()),
    (ROOT_PATH, MANAGER_IFACE, "StopAll", "s", ("not yours",)),
]


def daemon_section(**keys):
    lines = ["[Daemon]"] + [f"{key}={value}" for key, value in keys.items()]
    return "\n".join(lines) + "\n\n"


class AccessTest(ifacetest.IfaceTestCase):
    def snapshot(self, daemon):
        """What a refused call must leave as it was."""
        client = self.gdbus()
        services = self.list_services(client)
        return ({name: s[:2] for name, s in services.items()},
                {name: [client.get(s[2], SERVICE_IFACE, property)
                        for property in ("State", "StateTimestamp", "LastErrors", "NRestarts")]
                 for name, s in services.items()},
                ifacetest.children(daemon.process.pid))

    def start(self, config):
        daemon = self.start_daemon(config)
        ifacetest.wait_children(daemon.process.pid, 2)
        return daemon

    def assert_refused_everything(self, daemon, user):
        before = self.snapshot(daemon)
        self.assertEqual(before[0]["sleeper"], (True, 2))
        for path, interface, method, signature, args in STATE_CHANGING:
            for library in ("gdbus", "dbus"):
                with self.subTest(user=user, library=library, method=method):
                    answer = run_client(self.bus, library, path, interface, method, signature,
                                        *args, user=user)
                    self.assertEqual(answer.get("error"), ACCESS_DENIED, answer)
                    self.assertIn(method, answer["message"])
            with self.subTest(user=user, client="busctl", method=method):
                result = harness.busctl(self.bus, "call", BUS_NAME, path, interface, method,
                                        *([signature, *args] if signature else []),
                                        user=user, check=False)
                self.assertNotEqual(result.returncode, 0)
                self.assertIn("Access denied", result.stderr)
        self.assertEqual(self.snapshot(daemon), before, "a refused call changed something")

    def assert_allowed_everything(self, daemon, user):
        for path, interface, method, signature, args in STATE_CHANGING:
            with self.subTest(user=user, method=method):
                answer = run_client(self.bus, ("gdbus", "dbus")[len(method) % 2], path,
                                    interface, method, signature, *args, user=user)
                self.assertIn("reply", answer)
        # The last call was StopAll: it did stop everything.
        client = self.gdbus()
        self.assertFalse(any(s[0] for s in self.list_services(client).values()))
        answer = run_client(self.bus, "dbus", SLEEPER, SERVICE_IFACE, "Start", user=user)
        self.assertEqual(answer, {"reply": []})
        self.assertEqual(client.get(SLEEPER, SERVICE_IFACE, "NTasks"), 2)

    def test_nobody_is_refused(self):
        daemon = self.start(SERVICES)
        self.assert_refused_everything(daemon, "nobody")

    def test_nobody_is_refused_with_a_failed_service(self):
        daemon = self.start(SERVICES)
        client = self.gdbus()
        client.call(FAILER, SERVICE_IFACE, "Start")
        self.wait_for_state(client, FAILER, "failed")
        # ResetFailed would change it now: refused, it stays failed.
        self.assert_refused_everything(daemon, "nobody")
        self.assertEqual(client.get(FAILER, SERVICE_IFACE, "State"), "failed")

    def test_nobody_may_read_and_wait(self):
        self.start(SERVICES)
        client = self.gdbus()
        client.call(FAILER, SERVICE_IFACE, "Start")
        self.wait_for_state(client, FAILER, "failed")
        reads = [
            (ROOT_PATH, MANAGER_IFACE, "ListServices", "", ()),
            (ROOT_PATH, MANAGER_IFACE, "GetService", "s", ("sleeper",)),
            (ROOT_PATH, ifacetest.PROPERTIES_IFACE, "Get", "ss", (MANAGER_IFACE, "Version")),
            (SLEEPER, ifacetest.PROPERTIES_IFACE, "Get", "ss", (SERVICE_IFACE, "State")),
            (SLEEPER, ifacetest.PROPERTIES_IFACE, "GetAll", "s", (SERVICE_IFACE,)),
            (ROOT_PATH, ifacetest.OBJECT_MANAGER_IFACE, "GetManagedObjects", "", ()),
            (SLEEPER, ifacetest.INTROSPECTABLE_IFACE, "Introspect", "", ()),
            (ROOT_PATH, ifacetest.PEER_IFACE, "Ping", "", ()),
            (IDLE, SERVICE_IFACE, "Wait", "", ()),
        ]
        for library in ("gdbus", "dbus"):
            for path, interface, method, signature, args in reads:
                with self.subTest(library=library, method=method, path=path):
                    answer = run_client(self.bus, library, path, interface, method, signature,
                                        *args, user="nobody")
                    self.assertIn("reply", answer)
        self.assertEqual(run_client(self.bus, "gdbus", ROOT_PATH, MANAGER_IFACE, "GetService",
                                    "s", "sleeper", user="nobody"), {"reply": [SLEEPER]})
        # Wait, open to all, reports the failures of the last run; it takes
        # nothing from anyone else.
        answer = run_client(self.bus, "dbus", FAILER, SERVICE_IFACE, "Wait", user="nobody")
        self.assertEqual(answer["reply"][0][0][:3], ["instance-1", ifacetest.EXIT_ERROR_DOMAIN, 3])
        last = [list(error) for error in client.get(FAILER, SERVICE_IFACE, "LastErrors")]
        self.assertEqual(answer["reply"][0], last)
        self.assertEqual(run_client(self.bus, "gdbus", FAILER, SERVICE_IFACE, "Wait",
                                    user="nobody"), answer)
        self.assertEqual(client.get(FAILER, SERVICE_IFACE, "State"), "failed")
        self.assertEqual(harness.busctl_json(self.bus, "get-property", BUS_NAME, SLEEPER,
                                             SERVICE_IFACE, "NTasks", user="nobody"), 2)

    def test_control_users_by_name(self):
        daemon = self.start(daemon_section(ControlUsers="nobody") + SERVICES)
        self.assert_allowed_everything(daemon, "nobody")

    def test_control_users_by_uid(self):
        daemon = self.start(daemon_section(ControlUsers="daemon 65534") + SERVICES)
        self.assert_allowed_everything(daemon, "nobody")

    def test_control_users_lets_only_those_named(self):
        daemon = self.start(daemon_section(ControlUsers="nobody") + SERVICES)
        self.assert_refused_everything(daemon, "daemon")

    def test_control_groups_by_name(self):
        daemon = self.start(daemon_section(ControlGroups="nogroup") + SERVICES)
        self.assert_allowed_everything(daemon, "nobody")

    def test_control_groups_by_gid(self):
        daemon = self.start(daemon_section(ControlGroups="65534") + SERVICES)
        self.assert_allowed_everything(daemon, "nobody")

    def test_control_groups_lets_other_groups_not(self):
        daemon = self.start(daemon_section(ControlGroups="daemon") + SERVICES)
        self.assert_refused_everything(daemon, "nobody")

    def client_as(self, user, group, groups, method, *args):
        """Calls method of sleeper through GDBus run by setpriv as user, its
        group and supplementary groups as given (groups: a setpriv
        --groups= list, or None for --clear-groups); returns the answer."""
        group_args = ["--clear-groups"] if groups is None else [f"--groups={groups}"]
        command = ["setpriv", f"--reuid={user}", f"--regid={group}", *group_args,
                   ifacetest.PYTHON, ifacetest.CLIENT, "gdbus", self.bus.address, SLEEPER,
                   SERVICE_IFACE, method, *(["s", *map(json.dumps, args)] if args else [])]
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        return json.loads(result.stdout)

    def test_control_groups_ignores_the_groups_a_process_holds(self):
        # nobody's process holds daemon, as its group and as a
        # supplementary one, but the user database does not make nobody a
        # member of daemon: what counts is the database.
        self.start(daemon_section(ControlGroups="daemon") + SERVICES)
        for group, groups in (("nogroup", "daemon"), ("daemon", "daemon"), ("daemon", None)):
            with self.subTest(group=group, groups=groups):
                answer = self.client_as("nobody", group, groups, "Stop", "not a member")
                self.assertEqual(answer.get("error"), ACCESS_DENIED, answer)
        self.assertEqual(self.gdbus().get(SLEEPER, SERVICE_IFACE, "State"), "running")

    def test_control_groups_by_primary_group_in_the_user_database(self):
        # sync's primary group is nogroup in /etc/passwd; its process here
        # holds neither that nor any other group of it.
        self.start(daemon_section(ControlGroups="nogroup") + SERVICES)
        answer = self.client_as("sync", "daemon", None, "Stop", "primary group")
        self.assertEqual(answer, {"reply": [[]]})
        self.assertEqual(self.gdbus().get(SLEEPER, SERVICE_IFACE, "State"), "stopped")

    def test_control_groups_by_membership_in_the_user_database(self):
        # A group of the test's own lists nobody as a member, once added;
        # nobody's process never holds it.
        group, gid = harness.temporary_group(self)
        self.start(daemon_section(ControlGroups=group) + SERVICES)
        answer = self.client_as("nobody", "nogroup", str(gid), "Stop", "not listed yet")
        self.assertEqual(answer.get("error"), ACCESS_DENIED, answer)
        harness.add_group_member(group, "nobody")
        self.assertEqual(self.client_as("nobody", "nogroup", None, "Stop", "listed"),
                         {"reply": [[]]})
        self.assertEqual(self.gdbus().get(SLEEPER, SERVICE_IFACE, "State"), "stopped")

    def test_reload_changes_who_may(self):
        notify = harness.Notify(self.directory)
        self.addCleanup(notify.close)
        daemon = self.start_daemon(SERVICES, env={"NOTIFY_SOCKET": notify.path})
        notify.wait_for("READY=1")

        def reload(config):
            daemon.rewrite_config(config)
            daemon.signal(signal.SIGHUP)
            notify.wait_for("RELOADING=1")
            notify.wait_for("READY=1")

        def stop_as_nobody():
            return run_client(self.bus, "dbus", SLEEPER, SERVICE_IFACE, "Stop", "s", "x",
                              user="nobody")

        self.assertEqual(stop_as_nobody().get("error"), ACCESS_DENIED)
        reload(daemon_section(ControlUsers="nobody") + SERVICES)
        self.assertEqual(stop_as_nobody(), {"reply": [[]]})
        self.gdbus().call(SLEEPER, SERVICE_IFACE, "Start")
        reload(SERVICES)
        self.assertEqual(stop_as_nobody().get("error"), ACCESS_DENIED)
        self.assertEqual(self.gdbus().get(SLEEPER, SERVICE_IFACE, "State"), "running")

    def test_the_test_host_refuses_nobody_too(self):
        self.start_host("--tasks=2")
        for method, signature, args in (("Stop", "s", ("x",)), ("Cancel", "s", ("x",)),
                                        ("Restart", "s", ("x",)), ("Start", "", ())):
            answer = run_client(self.bus, "gdbus", service_path("many"), SERVICE_IFACE, method,
                                signature, *args, user="nobody")
            self.assertEqual(answer.get("error"), ACCESS_DENIED)
        self.assertEqual(self.gdbus().get(service_path("many"), SERVICE_IFACE, "NTasks"), 2)


class DaemonsOwnUserTest(ifacetest.IfaceTestCase):
    def test_the_daemons_user_may_and_others_not(self):
        daemon = self.start_daemon_as("nobody", SERVICES)
        ifacetest.wait_children(daemon.process.pid, 2)
        with open(f"/proc/{daemon.process.pid}/status") as f:
            self.assertIn("\t65534\t", [line for line in f if line.startswith("Uid:")][0])
        self.assertEqual(run_client(self.bus, "gdbus", SLEEPER, SERVICE_IFACE, "Stop", "s",
                                    "x", user="daemon").get("error"), ACCESS_DENIED)
        self.assertEqual(self.gdbus().get(SLEEPER, SERVICE_IFACE, "NTasks"), 2)
        self.assertEqual(run_client(self.bus, "dbus", SLEEPER, SERVICE_IFACE, "Stop", "s",
                                    "x", user="nobody"), {"reply": [[]]})
        # Root always may.
        self.assertEqual(self.gdbus().call(SLEEPER, SERVICE_IFACE, "Start"), ())
        self.assertEqual(self.gdbus().get(SLEEPER, SERVICE_IFACE, "NTasks"), 2)


class SignalStormTest(ifacetest.IfaceTestCase):
    CALLS = 1000

    def storm(self, pid):
        """Sends SIGHUP to pid, about one every half millisecond, from a
        thread, until the test ends."""
        done = threading.Event()

        def send():
            while not done.is_set():
                os.kill(pid, signal.SIGHUP)
                time.sleep(0.0005)

        thread = threading.Thread(target=send)
        thread.start()
        self.addCleanup(thread.join)
        self.addCleanup(done.set)
        return done

    def test_root_is_never_refused_while_sighups_arrive(self):
        daemon = self.start_daemon(SERVICES)
        client = self.gdbus()
        done = self.storm(daemon.process.pid)
        failures = []
        for number in range(self.CALLS):
            method, signature, args = (("Start", "", ()), ("Cancel", "s", ("storm",)))[number % 2]
            try:
                client.call(IDLE, SERVICE_IFACE, method, signature, args)
            except GLib.Error as error:
                failures.append(f"{method}: {error.message}")
        done.set()
        self.assertEqual(failures, [], f"{len(failures)} of {self.CALLS} calls failed")
        self.assertIn("Configuration reloaded", daemon.read_log())
        self.assert_healthy(client)


if __name__ == "__main__":
    harness.main()
