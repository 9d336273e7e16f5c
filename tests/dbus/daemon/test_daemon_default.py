# SPDX-License-Identifier: MIT
"""bgserviced's defaults: the built-in configuration when no --config is
given and the default file does not exist, and the default bus (the system
bus as root, else the session bus)."""

import os
import re
import signal
import subprocess

import daemontest
import harness
from daemontest import EXIT_OK, list_services, run_bgserviced
from harness import BUS_NAME

SMALL = "[Service tick]\nType=clock\nIntervalSec=60\n"


def default_config_path():
    """The default path, as --help names it."""
    result = run_bgserviced("--help")
    match = re.search(r"\(default: (/\S+), or the built-in one", result.stdout)
    if match is None:
        raise AssertionError(f"--help does not name the default file: {result.stdout}")
    return match.group(1)


def services_of_file(path):
    with open(path) as f:
        return sorted(re.findall(r"^\[Service (.+)\]$", f.read(), re.MULTILINE))


class BuiltInConfigTest(daemontest.DaemonTestCase):
    def setUp(self):
        super().setUp()
        path = default_config_path()
        if os.path.exists(path):
            self.skipTest(f"{path} exists: the built-in configuration would not run")
        self.default_file = os.path.join(harness.program("BGS_DATA_DIR"),
                                         "bgserviced-default.conf")

    def test_check_config_without_config_checks_the_built_in_one(self):
        result = run_bgserviced("--check-config")
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        self.assertEqual(result.stdout, "(built-in default configuration): OK, 3 services\n")

    def test_runs_the_built_in_services(self):
        daemon, notify = self.start_with_notify(None)
        notify.wait_for("READY=1")
        services = list_services(self.bus)
        self.assertEqual(sorted(services), ["clock", "heartbeat", "uptime"])
        self.assertEqual(sorted(services), services_of_file(self.default_file))
        self.assertEqual({name: s[:2] for name, s in services.items()},
                         {"clock": (True, 1), "heartbeat": (True, 1), "uptime": (True, 1)})
        [heartbeat] = daemontest.wait_for_children(
            daemon, 1, "/bin/sh", "-c", 'while sleep 30; do echo "bgserviced heartbeat: alive"; done')
        self.assertIn("(built-in default configuration)", daemon.read_log())
        # It stops cleanly, the heartbeat's sleep with it.
        self.assertStopsWith(daemon, EXIT_OK)
        self.assertFalse(daemontest.alive(heartbeat))

    def test_sighup_keeps_the_built_in_config(self):
        daemon, notify = self.start_with_notify(None)
        notify.wait_for("READY=1")
        before = daemontest.live_children(daemon.process.pid)
        notify.messages.clear()
        daemon.signal(signal.SIGHUP)
        notify.wait_for("READY=1")
        self.assertIn("RELOADING=1", notify.messages)
        self.assertEqual(sorted(list_services(self.bus)), ["clock", "heartbeat", "uptime"])
        self.assertEqual(daemontest.live_children(daemon.process.pid), before)
        self.assertStopsWith(daemon, EXIT_OK)


class DefaultBusTest(daemontest.DaemonTestCase):
    """The bus chosen without --address: sd-bus honours
    DBUS_SYSTEM_BUS_ADDRESS and DBUS_SESSION_BUS_ADDRESS, so both can be
    private buses of the test, told apart by who owns the name."""

    def setUp(self):
        super().setUp()
        session_directory = os.path.join(self.directory, "session")
        os.mkdir(session_directory)
        self.session_bus = harness.Bus(session_directory)
        self.addCleanup(self.session_bus.close)
        self.config = daemontest.write_file(self.directory, "small.conf", SMALL)
        self.env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.bus.address,
                        DBUS_SESSION_BUS_ADDRESS=self.session_bus.address)

    def spawn(self, *args, user=None):
        config, env = self.config, self.env
        if user is not None:
            # What the user reads must be readable wherever the tree is.
            config = harness.readable_by_all(self.config)
            env = dict(env, LD_LIBRARY_PATH=harness.library_for_others())
        command = [harness.program("BGSERVICED"), f"--config={config}", *args]
        if user is not None:
            command = ["setpriv", f"--reuid={user}", f"--regid={harness.user_group(user)}",
                       "--clear-groups", *command]
        log = open(os.path.join(self.directory, "default-bus.log"), "w")
        self.addCleanup(log.close)
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(self.end, process)
        return process

    def end(self, process):
        if process.poll() is None:
            process.kill()
            process.wait()

    def owner_of_the_name(self, process):
        def found():
            if process.poll() is not None:
                raise AssertionError(f"bgserviced exited with {process.returncode}")
            for bus, which in ((self.bus, "system"), (self.session_bus, "session")):
                if harness.name_has_owner(bus, BUS_NAME):
                    return which
            return None
        return harness.wait_until(found, "bgserviced to own its name on one of the buses")

    def check(self, expected, *args, user=None):
        process = self.spawn(*args, user=user)
        self.assertEqual(self.owner_of_the_name(process), expected)
        process.send_signal(signal.SIGTERM)
        self.assertEqual(process.wait(timeout=harness.PATIENCE), EXIT_OK)

    def test_root_uses_the_system_bus(self):
        if os.geteuid() != 0:
            self.skipTest("the tests do not run as root")
        self.check("system")

    def test_session_option(self):
        self.check("session", "--session")

    def test_system_option(self):
        self.check("system", "--system")

    def test_other_users_use_the_session_bus(self):
        if os.geteuid() != 0:
            self.skipTest("running as another user needs root")
        probe = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                harness.program("BGSERVICED"), "--version"],
                               env=dict(os.environ, LD_LIBRARY_PATH=harness.library_for_others()),
                               capture_output=True)
        if probe.returncode != 0:
            self.skipTest("nobody cannot run the built daemon")
        self.check("session", user="nobody")


if __name__ == "__main__":
    harness.main()
