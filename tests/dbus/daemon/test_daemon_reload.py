# SPDX-License-Identifier: MIT
"""SIGHUP reloads bgserviced's configuration: RELOADING=1, then the added,
removed and changed services are applied, then READY=1; a broken new file
keeps the running configuration and still ends with READY=1."""

import os
import signal
import time

import daemontest
import harness
from daemontest import EXIT_OK, alive, commands_of, list_services

for variable in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
    os.environ.pop(variable, None)

# Each service runs a command of its own, so that its PIDs can be told apart.
BEFORE = """\
[Service kept]
Type=exec
Exec=sleep 601
Instances=2

[Service changed]
Type=exec
Exec=sleep 602

[Service removed]
Type=exec
Exec=sleep 603

[Service clock]
Type=clock
IntervalSec=60
"""

AFTER = """\
[Service kept]
Type=exec
Exec=sleep 601
Instances=2

[Service changed]
Type=exec
Exec=sleep 612

[Service added]
Type=exec
Exec=sleep 604

[Service idle]
Type=exec
Exec=sleep 605
AutoStart=false

[Service clock]
Type=clock
IntervalSec=60
"""


class ReloadTest(daemontest.DaemonTestCase):
    def reload(self, daemon, notify):
        """SIGHUP; returns the lines from RELOADING=1 to READY=1."""
        notify.messages.clear()
        daemon.signal(signal.SIGHUP)
        seen = notify.wait_for("RELOADING=1")
        start = seen.index("RELOADING=1")
        if "READY=1" not in seen[start:]:
            seen += notify.wait_for("READY=1")
        return seen[start:]

    def start_before(self, config=BEFORE):
        daemon, notify = self.start_with_notify(config)
        notify.wait_for("READY=1")
        if config == BEFORE:
            # READY=1 says every service started; a spawn may still wait in
            # the daemon's queue (one per loop iteration on a busy machine).
            harness.wait_until(lambda: len(daemontest.live_children(daemon.process.pid)) == 4,
                               "the four commands of BEFORE running")
        return daemon, notify

    def test_added_removed_changed_and_kept(self):
        daemon, notify = self.start_before()
        kept = commands_of(daemon, "sleep", "601")
        changed = commands_of(daemon, "sleep", "602")
        removed = commands_of(daemon, "sleep", "603")
        self.assertEqual((len(kept), len(changed), len(removed)), (2, 1, 1))

        daemon.rewrite_config(AFTER)
        self.reload(daemon, notify)

        # READY=1 came: everything is applied already, nothing to poll. The
        # daemon frozen as it sent it: the old commands are gone (it reaped
        # them), the new ones run.
        with daemontest.Frozen(daemon):
            self.assertEqual(commands_of(daemon, "sleep", "601"), kept, "kept tasks restarted")
            self.assertFalse(any(alive(pid) for pid in changed + removed))
            self.assertEqual(len(commands_of(daemon, "sleep", "612")), 1)
            self.assertEqual(len(commands_of(daemon, "sleep", "604")), 1)
        services = list_services(self.bus)
        self.assertEqual(sorted(services), ["added", "changed", "clock", "idle", "kept"])
        self.assertEqual({name: s[:2] for name, s in services.items()}, {
            "added": (True, 1), "changed": (True, 1), "clock": (True, 1),
            "idle": (False, 0), "kept": (True, 2)})
        self.assertEqual(commands_of(daemon, "sleep", "601"), kept, "kept tasks restarted")
        self.assertFalse(any(alive(pid) for pid in changed + removed))
        self.assertEqual(len(commands_of(daemon, "sleep", "612")), 1)
        self.assertEqual(len(commands_of(daemon, "sleep", "604")), 1)
        self.assertEqual(commands_of(daemon, "sleep", "603"), [])
        self.assertEqual(commands_of(daemon, "sleep", "605"), [])
        result = harness.busctl(self.bus, "call", harness.BUS_NAME, harness.ROOT_PATH,
                                harness.MANAGER_IFACE, "GetService", "s", "removed", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("removed", result.stderr)
        # Stopping a service for a reload is not a failure.
        self.assertStopsWith(daemon, EXIT_OK)

    def test_ready_waits_for_a_slow_service_to_be_replaced(self):
        """The old command ignores SIGTERM: READY=1 comes once it was killed
        TimeoutStopSec= later and the new one runs; a SIGHUP meanwhile
        neither says READY=1 early nor breaks the reload."""
        script = daemontest.write_script(self.directory, "deaf",
                                         "trap '' TERM\nwhile :; do sleep 0.1; done\n")
        config = f"[Service deaf]\nType=exec\nExec={script} old\nTimeoutStopSec=1\n"
        daemon, notify = self.start_before(config)
        [old] = daemontest.wait_for_children(daemon, 1, "/bin/sh", script, "old")
        daemontest.wait_handling([old], signal.SIGTERM)
        daemon.rewrite_config(config.replace(" old", " new"))
        notify.messages.clear()
        daemon.signal(signal.SIGHUP)
        notify.wait_for("RELOADING=1")
        reloading = time.monotonic()
        daemon.signal(signal.SIGHUP)
        seen = notify.wait_for("READY=1")
        with daemontest.Frozen(daemon):
            elapsed = time.monotonic() - reloading
            self.assertFalse(alive(old))
            self.assertEqual(len(commands_of(daemon, "/bin/sh", script, "new")), 1)
        self.assertGreaterEqual(elapsed, 0.9, "READY=1 before the old command was gone")
        self.assertLess(elapsed, 10)
        self.assertEqual(seen.count("READY=1"), 1)
        # The daemon is still in order: a further reload works.
        self.assertEqual(self.reload(daemon, notify)[-1], "READY=1")
        self.assertEqual(len(commands_of(daemon, "/bin/sh", script, "new")), 1)
        self.assertStopsWith(daemon, EXIT_OK)

    def test_sigterm_during_a_reload(self):
        """SIGTERM while a reload still replaces a slow service: the daemon
        stops, starts nothing new, says no READY=1 after STOPPING=1, and
        exits."""
        script = daemontest.write_script(self.directory, "deaf",
                                         "trap '' TERM\nwhile :; do sleep 0.1; done\n")
        config = f"[Service deaf]\nType=exec\nExec={script} old\nTimeoutStopSec=1\n"
        daemon, notify = self.start_before(config)
        old = daemontest.wait_for_children(daemon, 1, "/bin/sh", script, "old")
        daemontest.wait_handling(old, signal.SIGTERM)
        daemon.rewrite_config(config.replace(" old", " new"))
        notify.messages.clear()
        daemon.signal(signal.SIGHUP)
        notify.wait_for("RELOADING=1")
        daemon.signal(signal.SIGTERM)
        notify.wait_for("STOPPING=1")
        self.assertEqual(daemon.wait(), EXIT_OK, daemon.read_log())
        after = notify.messages[notify.messages.index("STOPPING=1"):] + daemontest.collect(notify, 0.2)
        self.assertNotIn("READY=1", after)
        self.assertEqual(daemontest.live_children(daemon.process.pid), [])
        self.assertNotIn(f"{script} new", " ".join(
            " ".join(daemontest.cmdline(pid)) for pid in daemontest.all_pids()))

    def test_unchanged_config_keeps_every_task(self):
        daemon, notify = self.start_before()
        before = daemontest.live_children(daemon.process.pid)
        seen = self.reload(daemon, notify)
        self.assertEqual(seen[0], "RELOADING=1")
        self.assertEqual(seen[-1], "READY=1")
        self.assertEqual(daemontest.live_children(daemon.process.pid), before)
        self.assertStopsWith(daemon, EXIT_OK)

    def test_changed_setting_other_than_exec_restarts(self):
        """Any key of the group counts: TimeoutStopSec= changed restarts it."""
        daemon, notify = self.start_before()
        changed = commands_of(daemon, "sleep", "602")
        daemon.rewrite_config(BEFORE.replace("Exec=sleep 602\n",
                                             "Exec=sleep 602\nTimeoutStopSec=3\n"))
        self.reload(daemon, notify)
        now = commands_of(daemon, "sleep", "602")
        self.assertEqual(len(now), 1)
        self.assertNotEqual(now, changed)
        self.assertStopsWith(daemon, EXIT_OK)

    def test_broken_config_keeps_the_old_services(self):
        daemon, notify = self.start_before()
        before = daemontest.live_children(daemon.process.pid)
        daemon.rewrite_config(AFTER + "\n[Service broken]\nType=exec\nExec=sleep 1\n"
                              "Restart=sometimes\n")
        seen = self.reload(daemon, notify)
        self.assertEqual(seen[-1], "READY=1")
        self.assertEqual(sorted(list_services(self.bus)), ["changed", "clock", "kept", "removed"])
        self.assertEqual(daemontest.live_children(daemon.process.pid), before)
        log = daemon.read_log()
        self.assertIn(f"{daemon.config_path}: [Service broken] Restart:", log)
        self.assertIsNone(daemon.process.poll())

        # The next good file applies.
        daemon.rewrite_config(AFTER)
        self.reload(daemon, notify)
        self.assertEqual(sorted(list_services(self.bus)),
                         ["added", "changed", "clock", "idle", "kept"])
        self.assertStopsWith(daemon, EXIT_OK)

    def test_unreadable_config_keeps_the_old_services(self):
        daemon, notify = self.start_before()
        os.unlink(daemon.config_path)
        seen = self.reload(daemon, notify)
        self.assertEqual(seen[-1], "READY=1")
        self.assertEqual(sorted(list_services(self.bus)), ["changed", "clock", "kept", "removed"])
        self.assertStopsWith(daemon, EXIT_OK)

    def test_module_refusing_its_new_config_keeps_the_old_service(self):
        """A mistake only the module sees is a broken file too."""
        module = harness.program("BGS_HELLO_MODULE")
        good = (f"[Service greeter]\nType=module\nModule={module}\nGreeting=hi\n"
                "PeriodSec=60\n")
        daemon, notify = self.start_before(good)
        self.assertTrue(daemontest.is_running(self.bus, "greeter"))
        daemon.rewrite_config(good.replace("Greeting=hi\n", "Greeting=hi\nColour=red\n"))
        seen = self.reload(daemon, notify)
        self.assertEqual(seen[-1], "READY=1")
        self.assertEqual(list(list_services(self.bus)), ["greeter"])
        self.assertTrue(daemontest.is_running(self.bus, "greeter"))
        self.assertIn("Colour", daemon.read_log())
        self.assertStopsWith(daemon, EXIT_OK)

    def test_reload_applies_a_new_bus_name(self):
        daemon, notify = self.start_before()
        daemon.rewrite_config("[Daemon]\nBusName=org.example.Renamed\n\n" + BEFORE)
        self.reload(daemon, notify)
        self.assertTrue(harness.name_has_owner(self.bus, "org.example.Renamed"))
        self.assertFalse(harness.name_has_owner(self.bus, harness.BUS_NAME))
        self.assertStopsWith(daemon, EXIT_OK)

    def test_reload_applies_control_users(self):
        """[Daemon] ControlUsers= changes who may change state, on reload."""
        daemon, notify = self.start_before()
        path = harness.service_path(self.bus, "clock")

        def stop_as_nobody():
            return harness.busctl(self.bus, "call", harness.BUS_NAME, path, harness.SERVICE_IFACE,
                                  "Stop", "s", "nobody", user="nobody", check=False)

        denied = stop_as_nobody()
        self.assertNotEqual(denied.returncode, 0)
        self.assertTrue(daemontest.is_running(self.bus, "clock"))
        daemon.rewrite_config("[Daemon]\nControlUsers=nobody\n\n" + BEFORE)
        self.reload(daemon, notify)
        allowed = stop_as_nobody()
        self.assertEqual(allowed.returncode, 0, allowed.stderr)
        self.assertFalse(daemontest.is_running(self.bus, "clock"))
        self.assertStopsWith(daemon, EXIT_OK)

    def test_sighup_while_stopping_does_not_say_ready(self):
        script = daemontest.write_script(self.directory, "slow",
                                         "trap 'sleep 1; exit 0' TERM\n"
                                         "while :; do sleep 0.05; done\n")
        daemon, notify = self.start_before(f"[Service slow]\nType=exec\nExec={script}\n")
        daemontest.wait_for_children(daemon, 1, "/bin/sh", script)
        daemon.signal(signal.SIGTERM)
        notify.wait_for("STOPPING=1")
        daemon.signal(signal.SIGHUP)
        self.assertEqual(daemon.wait(), EXIT_OK, daemon.read_log())
        stopping = notify.messages.index("STOPPING=1")
        after = notify.messages[stopping:] + daemontest.collect(notify, 0.2)
        self.assertNotIn("READY=1", after)
        self.assertNotIn("RELOADING=1", after)

    def test_many_reloads_in_a_row(self):
        """SIGHUPs that come quickly: every one ends, the last file wins."""
        daemon, notify = self.start_before()
        for config in (AFTER, BEFORE, AFTER):
            daemon.rewrite_config(config)
            self.reload(daemon, notify)
        self.assertEqual(sorted(list_services(self.bus)),
                         ["added", "changed", "clock", "idle", "kept"])
        self.assertEqual(len(commands_of(daemon, "sleep", "601")), 2)
        self.assertEqual(len(commands_of(daemon, "sleep", "612")), 1)
        self.assertStopsWith(daemon, EXIT_OK)


if __name__ == "__main__":
    harness.main()
