# SPDX-License-Identifier: MIT
"""How bgservicectl finds bgserviced, and what it says when it cannot or
when the daemon goes away: checks 40 to 44 of
tests/ctl/README-integration.md."""

import os
import time

import ctltest
import harness
from ctltest import FAILURE, NO_SUCH_SERVICE, OK

CONFIG = """\
[Service clock]
Type=clock
IntervalSec=1

[Service sleeper]
Type=exec
Exec=sleep 1000
Instances=3
TimeoutStopSec=3

[Service stubborn]
Type=exec
Exec=sh -c "trap '' TERM; while :; do sleep 0.2; done"
TimeoutStopSec=2
"""

LIST = "clock\trunning\t1\t0\nsleeper\trunning\t3\t0\nstubborn\trunning\t1\t0\n"
OTHER = "org.example.Other"
BUS_VARIABLES = ("DBUS_SESSION_BUS_ADDRESS", "DBUS_SYSTEM_BUS_ADDRESS", "XDG_RUNTIME_DIR")


class BusNameTest(ctltest.CtlTestCase):
    def check_other_name(self):
        result = self.ctl("list")
        self.assertResult(result, FAILURE, stdout="", stderr=(
            f"bgservicectl: no bgserviced on the bus at {self.bus.address} (org.bgservice1 has "
            "no owner); is it running on that bus, under that name (see --bus-name)?\n"))
        # Not "no such service": the daemon was not reached at all.
        self.assertResult(self.ctl("status", "clock"), FAILURE, stdout="")
        self.assertResult(self.ctl(f"--bus-name={OTHER}", "list"), OK, stdout=LIST, stderr="")
        self.assertResult(self.ctl("list", f"--bus-name={OTHER}"), OK, stdout=LIST, stderr="")
        self.assertResult(self.ctl(f"--bus-name={OTHER}", "stop", "clock"), OK,
                          stdout="", stderr="")
        self.assertEqual(self.services(OTHER)["clock"], (False, 0))
        self.assertResult(self.ctl("start", "clock", f"--bus-name={OTHER}"), OK,
                          stdout="", stderr="")
        self.assertEqual(self.services(OTHER)["clock"], (True, 1))
        self.assertResult(self.ctl(f"--bus-name={OTHER}", "status", "nosuch"), NO_SUCH_SERVICE,
                          stdout="", stderr="bgservicectl: no such service: nosuch\n")

    def test_daemon_option(self):
        # 40: bgserviced --bus-name
        self.start_daemon(CONFIG, args=[f"--bus-name={OTHER}"], name=OTHER)
        self.check_other_name()

    def test_daemon_config(self):
        # 40: BusName= in [Daemon]
        self.start_daemon(f"[Daemon]\nBusName={OTHER}\n\n" + CONFIG, name=OTHER)
        self.check_other_name()

    def test_invalid_bus_name(self):
        self.start_daemon(CONFIG)
        result = self.ctl("--bus-name=not a name", "list")
        self.assertResult(result, FAILURE, stdout="")
        self.assertTrue(result.stderr.startswith(
            "bgservicectl: --bus-name: “not a name” is not a valid D-Bus bus name"),
            result.describe())


class DefaultBusTest(ctltest.CtlTestCase):
    """Without --address: the system bus for root, the session bus for
    others, found through the usual variables."""

    def setUp(self):
        super().setUp()
        self.start_daemon(CONFIG)
        self.nowhere = "unix:path=" + os.path.join(self.directory, "nothing-here")
        empty_directory = os.path.join(self.directory, "empty")
        os.mkdir(empty_directory)
        self.empty_bus = harness.Bus(empty_directory)
        self.addCleanup(self.empty_bus.close)

    def ctl_env(self, *args, user=None, **variables):
        return self.ctl(*args, user=user, address=False, drop_env=BUS_VARIABLES, env=variables)

    def test_root_uses_the_system_bus(self):
        # 41
        self.assertResult(self.ctl_env("list", DBUS_SYSTEM_BUS_ADDRESS=self.bus.address),
                          OK, stdout=LIST, stderr="")
        # Not the session bus, though there is one.
        result = self.ctl_env("list", DBUS_SYSTEM_BUS_ADDRESS=self.nowhere,
                              DBUS_SESSION_BUS_ADDRESS=self.bus.address)
        self.assertResult(result, FAILURE, stdout="")
        self.assertTrue(result.stderr.startswith(
            f"bgservicectl: cannot connect to the system bus at {self.nowhere}: "),
            result.describe())
        self.assertTrue(result.stderr.endswith(
            "; is the D-Bus system bus running? For a daemon on your session bus use "
            "--session\n"), result.describe())
        # 42: as it says.
        self.assertResult(self.ctl_env("--session", "list", DBUS_SYSTEM_BUS_ADDRESS=self.nowhere,
                                       DBUS_SESSION_BUS_ADDRESS=self.bus.address),
                          OK, stdout=LIST, stderr="")

    def test_user_uses_the_session_bus(self):
        # 41
        self.assertResult(self.ctl_env("list", user="nobody",
                                       DBUS_SESSION_BUS_ADDRESS=self.bus.address,
                                       DBUS_SYSTEM_BUS_ADDRESS=self.empty_bus.address),
                          OK, stdout=LIST, stderr="")
        # 42: --system, where no bgserviced runs.
        self.assertResult(
            self.ctl_env("--system", "list", user="nobody",
                         DBUS_SESSION_BUS_ADDRESS=self.bus.address,
                         DBUS_SYSTEM_BUS_ADDRESS=self.empty_bus.address),
            FAILURE, stdout="", stderr=(
                "bgservicectl: no bgserviced on the system bus (org.bgservice1 has no owner); "
                "is it running? Start it with “systemctl start bgserviced”; for a daemon on "
                "your session bus use --session\n"))
        self.assertResult(self.ctl_env("--system", "list", user="nobody",
                                       DBUS_SYSTEM_BUS_ADDRESS=self.bus.address),
                          OK, stdout=LIST, stderr="")

    def test_session_bus_elsewhere_or_unknown(self):
        # 42
        self.assertResult(
            self.ctl_env("--session", "list", DBUS_SESSION_BUS_ADDRESS=self.empty_bus.address),
            FAILURE, stdout="", stderr=(
                "bgservicectl: no bgserviced on the session bus (org.bgservice1 has no owner); "
                "is it running? For the system daemon use --system\n"))
        self.assertResult(self.ctl_env("--session", "list"), FAILURE, stdout="", stderr=(
            "bgservicectl: cannot connect to the session bus: neither "
            "DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set; for the system daemon "
            "use --system\n"))

    def test_one_bus_at_a_time(self):
        result = self.ctl("--session", "list")
        self.assertResult(result, FAILURE, stdout="")
        self.assertIn("--session and --address exclude each other", result.stderr)


class DaemonGoneTest(ctltest.CtlTestCase):
    def setUp(self):
        super().setUp()
        self.daemon = self.start_daemon(CONFIG)

    def check_lost(self, client, action, killed):
        """client ends at once, exit 2, saying bgserviced did not reply."""
        result = client.finish()
        self.assertLess(time.monotonic() - killed, 3, "the client did not notice at once")
        self.assertResult(result, FAILURE, stdout="", stderr=(
            f"bgservicectl: no reply from bgserviced (org.bgservice1 on the bus at "
            f"{self.bus.address}) to {action}: Message recipient disconnected from message "
            "bus without replying\n"))

    def test_killed_during_wait(self):
        # 43
        monitor = self.monitor("Wait")
        client = self.ctl_background("wait", "sleeper")
        monitor.wait_for_call()
        killed = time.monotonic()
        self.kill_daemon(self.daemon)
        self.check_lost(client, "wait for “sleeper”", killed)

    def test_killed_during_stop(self):
        # 43
        client = self.ctl_background("stop", "stubborn", "sleeper")
        self.wait_for_state("stubborn", "stopping")
        killed = time.monotonic()
        self.kill_daemon(self.daemon)
        # Said once, about stubborn, whose stop had not ended (sleeper's
        # had, or failed the same way: the connection is the same).
        self.check_lost(client, "stop “stubborn”", killed)

    def test_errors_that_arrived_are_printed(self):
        # 43, and 25 with a daemon that went away: retrier's Stop ends its
        # run (a pending restart) at once and is answered with its
        # failure; stubborn's never is.
        self.kill_daemon(self.daemon)
        for names in (("retrier", "stubborn"), ("stubborn", "retrier")):
            with self.subTest(names=names):
                daemon = self.start_standard_daemon(ctltest.RETRIER)
                self.wait_for_state("retrier", "restarting")
                client = self.ctl_background("stop", *names)
                self.wait_for_state("stubborn", "stopping")
                # The run's failures are announced before the reply is sent.
                self.wait_for_state("retrier", "stopped")
                retrier = harness.service_path(self.bus, "retrier")
                harness.wait_until(lambda: harness.get_property(self.bus, retrier, "LastErrors"),
                                   "the daemon to answer the Stop of retrier")
                self.kill_daemon(daemon)
                result = client.finish()
                self.assertResult(result, FAILURE, stderr=(
                    f"bgservicectl: no reply from bgserviced (org.bgservice1 on the bus at "
                    f"{self.bus.address}) to stop “stubborn”: Message recipient disconnected "
                    "from message bus without replying\n"))
                self.assertEqual(result.stdout, "\n".join(ctltest.RETRIER_LINES) + "\n",
                                 result.describe())

    def test_gone_between_commands(self):
        self.assertResult(self.ctl("list"), OK, stdout=LIST)
        self.kill_daemon(self.daemon)
        harness.wait_until(lambda: not harness.name_has_owner(self.bus, harness.BUS_NAME),
                           "the name to lose its owner")
        self.assertResult(self.ctl("list"), FAILURE, stdout="", stderr=(
            f"bgservicectl: no bgserviced on the bus at {self.bus.address} (org.bgservice1 has "
            "no owner); is it running on that bus, under that name (see --bus-name)?\n"))

    def test_restarted_between_commands(self):
        # 44: the client keeps nothing from one command to the next.
        self.assertResult(self.ctl("list"), OK, stdout=LIST, stderr="")
        self.assertResult(self.ctl("stop", "stubborn"), OK)
        self.assertEqual(self.daemon.stop(), 0, self.daemon.read_log())
        self.start_daemon("[Service sleeper]\nType=exec\nExec=sleep 1000\nAutoStart=false\n")
        self.assertResult(self.ctl("list"), OK, stdout="sleeper\tstopped\t0\t0\n", stderr="")
        self.assertResult(self.ctl("start", "sleeper"), OK, stdout="", stderr="")
        self.assertStatus(self.ctl("status", "sleeper"), OK,
                          ctltest.status_block("sleeper", "running", 1))
        self.assertResult(self.ctl("status", "clock"), NO_SUCH_SERVICE, stdout="",
                          stderr="bgservicectl: no such service: clock\n")


if __name__ == "__main__":
    harness.main()
