# SPDX-License-Identifier: MIT
"""bgservicectl show, is-active, cancel, start --all and stop --all, and
the options --quiet, --no-legend and --no-pager, against bgserviced:
checks 63 to 71 of tests/ctl/README-integration.md. What the client
prints is compared with what busctl reads from the daemon; what it
changed is read back with busctl too."""

import datetime
import time

import ctltest
import harness
from ctltest import (FAILER_LINES, FAILURE, IDLE, NO_SUCH_SERVICE, NOT_FAILED, NOT_RUNNING, OK,
                     RETRIER, RETRIER_LINES, TASKS_FAILED, sorted_lines)
from test_ctl_list import PIPE_LIST, TTY_LIST

NOT_ACTIVE = NOT_RUNNING   # is-active: 3, as systemctl's


def show_block(p):
    """What show prints for a service whose properties busctl read as p
    (values without controls: nothing to escape), the client in UTC."""
    def error_text(task, domain, code, message):
        return f"{task + ': ' if task else ''}{message} ({domain} {code})"

    stamp = p["StateTimestamp"]
    text = (datetime.datetime.fromtimestamp(stamp // 1_000_000, datetime.timezone.utc)
            .strftime("%a %Y-%m-%d %H:%M:%S UTC") if stamp else "")
    return "".join(line + "\n" for line in [
        f"Name={p['Name']}",
        f"IsRunning={'yes' if p['IsRunning'] else 'no'}",
        f"NTasks={p['NTasks']}",
        "LastErrors=" + "; ".join(error_text(*e) for e in p["LastErrors"]),
        f"State={p['State']}",
        f"StateTimestamp={stamp}",
        f"StateTimestampText={text}",
        f"NRestarts={p['NRestarts']}",
        f"Restart={p['Restart']}",
    ])


class ShowTest(ctltest.CtlTestCase):
    def setUp(self):
        super().setUp()
        self.start_standard_daemon()

    def test_every_property_a_blank_line_between_services(self):
        # 63: exit 0 whatever the state.
        result = self.ctl("show", "failer", "clock", IDLE, env={"TZ": "UTC"})
        self.assertResult(result, OK, stderr="", stdout="\n".join(
            show_block(self.properties(name)) for name in ("failer", "clock", IDLE)))
        self.assertIn("LastErrors=instance-", result.stdout)
        self.assertIn("StateTimestampText=\n", result.stdout)   # idle never changed

    def test_property_picks(self):
        # 64: in the interface's order; unknown names print nothing.
        failer = self.properties("failer")
        self.assertResult(self.ctl("show", "-p", "NRestarts,Nope", "--property=State", "failer"),
                          OK, stderr="",
                          stdout=f"State={failer['State']}\nNRestarts={failer['NRestarts']}\n")
        self.assertResult(self.ctl("show", "-p", "Nope", "-p", "state", "failer", "clock"), OK,
                          stdout="\n", stderr="")
        self.assertResult(self.ctl("show", "-p", "Name", "clock", "nosuch", IDLE),
                          NO_SUCH_SERVICE, stdout=f"Name=clock\n\nName={IDLE}\n",
                          stderr="bgservicectl: no such service: nosuch\n")


class IsActiveTest(ctltest.CtlTestCase):
    def setUp(self):
        super().setUp()
        self.start_standard_daemon(RETRIER)
        self.wait_for_state("retrier", "restarting")

    def test_states_and_exit_status(self):
        # 65: active = a run under way (running, stopping, restarting).
        self.assertResult(self.ctl("is-active", "clock", "retrier"), OK,
                          stdout="running\nrestarting\n", stderr="")
        self.assertResult(self.ctl("is-active", "clock", "failer", IDLE), NOT_ACTIVE,
                          stdout="running\nfailed\nstopped\n", stderr="")
        self.assertResult(self.ctl("is-active", "failer", "nosuch"), NO_SUCH_SERVICE,
                          stdout="failed\n", stderr="bgservicectl: no such service: nosuch\n")
        # Reading is open to everyone.
        self.assertResult(self.ctl("is-active", "clock", user="nobody"), OK,
                          stdout="running\n", stderr="")

    def test_stopping_is_active(self):
        # 65: while stubborn stops, as status says.
        stop = self.ctl_background("stop", "stubborn")
        self.wait_for_state("stubborn", "stopping")
        self.assertResult(self.ctl("is-active", "stubborn"), OK, stdout="stopping\n", stderr="")
        self.assertResult(stop.finish(), OK, stdout="", stderr="")
        self.assertResult(self.ctl("is-active", "stubborn"), NOT_ACTIVE, stdout="stopped\n",
                          stderr="")

    def test_quiet(self):
        # 69: only the exit status, the errors of bgservicectl still said.
        self.assertResult(self.ctl("-q", "is-active", "clock"), OK, stdout="", stderr="")
        self.assertResult(self.ctl("is-active", "--quiet", IDLE), NOT_ACTIVE, stdout="",
                          stderr="")
        self.assertResult(self.ctl("is-active", "-q", "nosuch"), NO_SUCH_SERVICE, stdout="",
                          stderr="bgservicectl: no such service: nosuch\n")
        self.assertResult(self.ctl("-q", "is-failed", "failer"), OK, stdout="", stderr="")
        self.assertResult(self.ctl("-q", "is-failed", "clock"), NOT_FAILED, stdout="", stderr="")


class CancelTest(ctltest.CtlTestCase):
    def setUp(self):
        super().setUp()
        self.daemon = self.start_standard_daemon(RETRIER)
        self.wait_for_state("retrier", "restarting")

    def test_cancel_replies_at_once(self):
        # 66: stubborn takes 2 s to stop; cancel does not wait for it.
        started = time.monotonic()
        self.assertResult(self.ctl("cancel", "--message=bye now", "stubborn", "sleeper"), OK,
                          stdout="", stderr="")
        self.assertLess(time.monotonic() - started, 1.5)
        self.assertEqual(self.state("stubborn"), "stopping")
        harness.wait_until(lambda: "stubborn: cancelling 1 tasks: bye now" in self.daemon.read_log(),
                           "the daemon to log the message")
        self.wait_for_state("stubborn", "stopped")
        self.wait_for_state("sleeper", "stopped")
        self.assertEqual(self.services()["sleeper"], (False, 0))

    def test_cancel_drops_a_pending_restart(self):
        # 66: the failures of the run stay; nothing restarts it.
        errors = self.properties("retrier")["LastErrors"]
        self.assertResult(self.ctl("cancel", "retrier"), OK, stdout="", stderr="")
        self.wait_for_state("retrier", "stopped")
        self.assertEqual(self.properties("retrier")["LastErrors"], errors)
        self.assertEqual(self.properties("retrier")["IsRunning"], False)

    def test_default_message(self):
        # 66
        self.assertResult(self.ctl("cancel", "sleeper"), OK, stdout="", stderr="")
        harness.wait_until(
            lambda: "sleeper: cancelling 3 tasks: cancelled with bgservicectl" in self.daemon.read_log(),
            "the daemon to log the default message")

    def test_cancel_unknown_and_refused(self):
        # 66
        self.assertResult(self.ctl("cancel", "nosuch", "clock"), NO_SUCH_SERVICE, stdout="",
                          stderr="bgservicectl: no such service: nosuch\n")
        self.wait_for_state("clock", "stopped")
        result = self.ctl("cancel", "sleeper", user="nobody")
        self.assertResult(result, FAILURE, stdout="")
        self.assertTrue(result.stderr.startswith(
            "bgservicectl: not allowed to cancel “sleeper”: UID 65534 may not call Cancel"),
            result.describe())
        self.assertEqual(self.services()["sleeper"], (True, 3))


class AllTest(ctltest.CtlTestCase):
    def setUp(self):
        super().setUp()
        self.daemon = self.start_standard_daemon(RETRIER)
        self.wait_for_state("retrier", "restarting")

    def test_stop_all_then_start_all(self):
        # 67: stop --all prints the failures of the runs it ended by
        # service, as stop does, and stops every service.
        result = self.ctl("stop", "--all", "--message=all of them")
        self.assertResult(result, TASKS_FAILED, stdout="\n".join(RETRIER_LINES) + "\n", stderr="")
        self.assertEqual({name: running for name, (running, _) in self.services().items()},
                         dict.fromkeys(self.services(), False))
        self.assertEqual(self.state("failer"), "failed")
        self.assertEqual(self.state("retrier"), "stopped")
        harness.wait_until(lambda: "sleeper: cancelling 3 tasks: all of them" in self.daemon.read_log(),
                           "the daemon to log the message")
        # Nothing left to stop: nothing printed.
        self.assertResult(self.ctl("stop", "--all"), OK, stdout="", stderr="")

        # 68: start --all starts every service that does not run, idle too.
        failer_changed = self.properties("failer")["StateTimestamp"]
        r = harness.busctl(self.bus, "--timeout=5", "call", "org.bgservice1", "/org/bgservice1", "org.bgservice1.Manager", "StartAll", check=False); import subprocess as sp; print(sp.run(["gdb","-p",str(self.daemon.process.pid),"-batch","-ex","thread apply all bt"],capture_output=True,text=True).stdout[-6000:]); print(self.daemon.read_log()[-2500:]); self.assertResult(self.ctl("start", "--all", timeout=5), OK, stdout="", stderr="")
        services = self.services()
        for name in ("clock", "sleeper", "stubborn", "lingerer", IDLE, "retrier"):
            self.assertTrue(services[name][0], f"{name} does not run: {services}")
        self.assertEqual(services["sleeper"], (True, 3))
        # failer ran again, and failed again.
        harness.wait_until(lambda: self.properties("failer")["StateTimestamp"] > failer_changed,
                           "failer to run again")
        self.wait_for_state("failer", "failed")

    def test_quiet_keeps_the_errors_of_tasks(self):
        # 69: -q drops normal output, not the failures stop reports.
        result = self.ctl("-q", "stop", "--all")
        self.assertResult(result, TASKS_FAILED, stdout="\n".join(RETRIER_LINES) + "\n", stderr="")
        result = self.ctl("--quiet", "wait", "failer")
        self.assertResult(result, TASKS_FAILED, stderr="")
        self.assertEqual(sorted_lines(result.stdout), FAILER_LINES)
        for args in (("list",), ("status", "failer"), ("show", "clock")):
            with self.subTest(args=args):
                self.assertEqual(self.ctl("-q", *args).stdout, "")

    def test_refused(self):
        # 67, 68: as nobody: not allowed, nothing changes.
        before = self.services()
        result = self.ctl("stop", "--all", user="nobody")
        self.assertResult(result, FAILURE, stdout="")
        self.assertTrue(result.stderr.startswith(
            "bgservicectl: not allowed to stop every service: UID 65534 may not call StopAll"),
            result.describe())
        result = self.ctl("start", "--all", user="nobody")
        self.assertResult(result, FAILURE, stdout="")
        self.assertIn("not allowed to start every service", result.stderr)
        self.assertEqual(self.services(), before)


class LegendAndPagerTest(ctltest.CtlTestCase):
    def test_no_legend(self):
        # 70: on a terminal, the columns only; in a pipe, as ever.
        self.start_standard_daemon()
        status, output = self.ctl_tty("list", "--no-legend")
        self.assertEqual(status, OK, output)
        self.assertEqual(output, "".join(TTY_LIST.splitlines(keepends=True)[1:-2]))
        self.assertResult(self.ctl("--no-legend", "list"), OK, stdout=PIPE_LIST, stderr="")
        self.assertResult(self.ctl("list", "--no-pager"), OK, stdout=PIPE_LIST, stderr="")
        status, output = self.ctl_tty("--no-pager", "list")
        self.assertEqual((status, output), (OK, TTY_LIST))

    def test_no_legend_without_services(self):
        # 70: no "No services." either.
        self.start_daemon("[Daemon]\n")
        self.assertEqual(self.ctl_tty("list", "--no-legend"), (OK, ""))
        self.assertEqual(self.ctl_tty("list"), (OK, "No services.\n"))


class TypoTest(ctltest.CtlTestCase):
    def test_suggestions_change_nothing(self):
        # 71: a typo is a usage error that suggests, and calls nothing.
        self.start_standard_daemon()
        before = self.services()
        self.assertResult(self.ctl("stpo", "clock"), FAILURE, stdout="", stderr=(
            "bgservicectl: unknown command “stpo”; did you mean “stop”?\n"
            "Run “bgservicectl --help” for the commands and options.\n"))
        self.assertResult(self.ctl("stop", "--mesage=x", "clock"), FAILURE, stdout="", stderr=(
            "bgservicectl: unknown option “--mesage”; did you mean “--message”?\n"
            "Run “bgservicectl stop --help” for its usage.\n"))
        self.assertResult(self.ctl("-o", "jsn", "stop", "clock"), FAILURE, stdout="", stderr=(
            "bgservicectl: --output: unknown mode “jsn”; did you mean “json”?\n"
            "Run “bgservicectl stop --help” for its usage.\n"))
        self.assertEqual(self.services(), before)


if __name__ == "__main__":
    harness.main()
