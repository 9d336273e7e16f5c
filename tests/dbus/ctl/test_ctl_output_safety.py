# SPDX-License-Identifier: MIT
"""What bgservicectl prints of names and messages it does not control:
checks 45 and 46 of tests/ctl/README-integration.md.

A service name cannot hold a control character (bgserviced and the
library refuse one), but it can hold spaces, wide characters, a
right-to-left override (U+202E) or a line separator (U+2028), from a
config file, or brackets and '=' from code (the test host). An error
message can hold anything: an exec service's message quotes its command
line, which a config file can fill with ESC, BEL, CR, TAB and C1
controls. The client must print none of these raw: no terminal escape
sequence, no line it did not mean, one line per error, one line per
service in a pipe."""

import os
import subprocess

import ctltest
import harness
from ctltest import IDLE, NO_SUCH_SERVICE, NOT_FAILED, NOT_RUNNING, OK, TASKS_FAILED, status_block

RLO_NAME = "a\u202eb \u2028c"
RLO_SHOWN = "a\\u{202E}b \\u{2028}c"
SPACED = " spaced "
HOSTILE_ARG = "\x1b[31mred\x07 \x9bx \u202erlo \u2028ls\rcr\tt"
HOSTILE_SHOWN = "\\x1b[31mred\\x07 \\u{009B}x \\u{202E}rlo \\u{2028}ls\\rcr\\tt"

CONFIG = f"""\
[Service {IDLE}]
Type=exec
Exec=sleep 1000
AutoStart=false

[Service {RLO_NAME}]
Type=clock
IntervalSec=60

[Service {SPACED}]
Type=clock
IntervalSec=60

[Service hostile]
Type=exec
Exec=sh -c "exit 3" "{HOSTILE_ARG}"
"""

HOSTILE_ERROR = (f'“sh -c "exit 3" "{HOSTILE_SHOWN}"” exited with status 3 '
                 "(g-spawn-exit-error-quark 3)")

# Raw, none of these may reach the output: C0 controls but the newline,
# DEL, C1 controls, bidirectional overrides and isolates, line and
# paragraph separators.
FORBIDDEN = ([chr(c) for c in range(0x20) if c != 0x0a] + [chr(c) for c in range(0x7f, 0xa0)]
             + [chr(c) for c in range(0x202a, 0x202f)] + [chr(c) for c in range(0x2066, 0x206a)]
             + ["\u2028", "\u2029", "\u200e", "\u200f", "\u061c"])


class OutputSafetyTest(ctltest.CtlTestCase):
    def setUp(self):
        super().setUp()
        self.start_daemon(CONFIG)
        self.wait_for_state("hostile", "failed")

    def assertSafe(self, text):
        for character in FORBIDDEN:
            self.assertNotIn(character, text, f"U+{ord(character):04X} printed raw: {text!r}")

    def ctl_safe(self, *args, **kwargs):
        result = self.ctl(*args, **kwargs)
        self.assertSafe(result.stdout)
        self.assertSafe(result.stderr)
        return result

    def test_list_in_a_pipe(self):
        result = self.ctl("list")
        # Tabs separate the fields; nothing else may be raw.
        self.assertSafe(result.stdout.replace("\t", ""))
        self.assertResult(result, OK, stderr="", stdout=(
            f"{SPACED}\trunning\t1\t0\n"
            f"{RLO_SHOWN}\trunning\t1\t0\n"
            "hostile\tfailed\t0\t0\n"
            f"{IDLE}\tstopped\t0\t0\n"))
        # One line a service, four fields a line.
        lines = result.stdout.split("\n")
        self.assertEqual(lines[-1], "")
        self.assertEqual(len(lines) - 1, len(self.services()))
        self.assertEqual([len(line.split("\t")) for line in lines[:-1]], [4, 4, 4, 4])

    def test_list_on_a_terminal(self):
        # The escapes count for what they take on the screen: RLO_SHOWN
        # takes 20 columns.
        status, output = self.ctl_tty("list")
        self.assertEqual(status, OK, output)
        self.assertSafe(output)
        self.assertEqual(output, (
            "NAME                  STATE       TASKS  RESTARTS\n"
            " spaced               running         1         0\n"
            "a\\u{202E}b \\u{2028}c  running         1         0\n"
            "hostile               failed          0         0\n"
            "idle 日本語           stopped         0         0\n"
            "\n"
            "4 services, 2 running, 1 failed.\n"))

    def test_error_messages_escaped(self):
        # 46: wait, status, stop: one line per error, controls escaped.
        self.assertResult(self.ctl_safe("wait", "hostile"), TASKS_FAILED, stderr="",
                          stdout=f"hostile: instance-1: {HOSTILE_ERROR}\n")
        self.assertStatus(self.ctl_safe("status", "hostile"), NOT_RUNNING, status_block(
            "hostile", "failed", 0, errors=[f"instance-1: {HOSTILE_ERROR}"]))
        self.assertResult(self.ctl_safe("is-failed", "hostile"), OK, stdout="failed\n",
                          stderr="")
        # Run again, failed again: the errors of the new run, as safe.
        changed = self.properties("hostile")["StateTimestamp"]
        self.assertResult(self.ctl_safe("restart", "hostile"), OK, stdout="", stderr="")
        harness.wait_until(lambda: self.properties("hostile")["StateTimestamp"] > changed,
                           "hostile to run again")
        self.wait_for_state("hostile", "failed")
        self.assertResult(self.ctl_safe("wait", "hostile"), TASKS_FAILED, stderr="",
                          stdout=f"hostile: instance-1: {HOSTILE_ERROR}\n")

    def test_every_command_with_names_that_need_escaping(self):
        # 45: the names travel as they are; the client asks GetService.
        for name, shown in ((IDLE, IDLE), (RLO_NAME, RLO_SHOWN), (SPACED, SPACED)):
            with self.subTest(name=shown):
                self.assertResult(self.ctl_safe("start", name), OK, stdout="", stderr="")
                self.assertStatus(self.ctl_safe("status", name), OK,
                                  status_block(shown, "running", 1))
                self.assertResult(self.ctl_safe("is-failed", name), NOT_FAILED,
                                  stdout="running\n", stderr="")
                self.assertResult(self.ctl_safe("reset-failed", name), OK, stdout="", stderr="")
                self.assertResult(self.ctl_safe("restart", name), OK, stdout="", stderr="")
                self.assertEqual(self.services()[name], (True, 1))
                self.assertResult(self.ctl_safe("stop", name), OK, stdout="", stderr="")
                self.assertEqual(self.services()[name], (False, 0))
                self.assertResult(self.ctl_safe("wait", name), OK, stdout="", stderr="")
                self.assertStatus(self.ctl_safe("status", name), NOT_RUNNING,
                                  status_block(shown, "stopped", 0))

    def test_hostile_arguments(self):
        # What the user typed is escaped too when it comes back.
        self.assertResult(self.ctl_safe("status", "\x1b]0;owned\x07"), NO_SUCH_SERVICE,
                          stdout="", stderr="bgservicectl: no such service: \\x1b]0;owned\\x07\n")
        self.assertResult(self.ctl_safe("stop", "a\u202eb"), NO_SUCH_SERVICE, stdout="",
                          stderr="bgservicectl: no such service: a\\u{202E}b\n")
        self.assertResult(self.ctl_safe("status", b"\xff\xfeab"), NO_SUCH_SERVICE, stdout="",
                          stderr="bgservicectl: no such service: \\xff\\xfeab (not valid UTF-8)\n")
        for command in ("is-failed", "reset-failed"):
            self.assertResult(self.ctl_safe(command, "\x1b[2J", b"\xff"), NO_SUCH_SERVICE,
                              stdout="", stderr=(
                                  "bgservicectl: no such service: \\xff (not valid UTF-8)\n"
                                  "bgservicectl: no such service: \\x1b[2J\n"))
        # RLO_NAME with its separator as a newline is another name.
        self.assertResult(self.ctl_safe("status", "a\u202eb \nc"), NO_SUCH_SERVICE, stdout="",
                          stderr="bgservicectl: no such service: a\\u{202E}b \\nc\n")

    def test_control_characters_cannot_name_a_service(self):
        # What the client never meets: bgserviced refuses a config whose
        # service name holds ESC, so no such name reaches the bus.
        path = os.path.join(self.directory, "esc.conf")
        with open(path, "w") as f:
            f.write("[Service a\x1b[31mb]\nType=clock\n")
        result = subprocess.run([harness.program("BGSERVICED"), "--check-config",
                                 f"--config={path}"], capture_output=True, timeout=harness.PATIENCE)
        self.assertEqual(result.returncode, 78, result)


class TestHostNamesTest(ctltest.CtlTestCase):
    """Names only code can give, exported by the test host; errors of
    other domains than an exec service's."""

    LONG = "long-" + "x" * 60

    def setUp(self):
        super().setUp()
        host = harness.TestHost(self.bus, self.directory, args=[
            "--tasks=1000", "--service=[bracketed]", "--service=a=b #c",
            "--service=back\\slash", f"--service={self.LONG}"])
        self.addCleanup(host.close)

    def test_list(self):
        result = self.ctl("list")
        self.assertResult(result, OK, stderr="", stdout=(
            "[bracketed]\trunning\t1\t0\n"
            "a=b #c\trunning\t1\t0\n"
            "back\\slash\trunning\t1\t0\n"
            "failing\tfailed\t0\t0\n"
            f"{self.LONG}\trunning\t1\t0\n"
            "many\trunning\t1000\t0\n"
            "slow\trunning\t1\t0\n"))

    def test_narrow_terminal(self):
        # A name too wide for a 40-column terminal gets a line of its own;
        # the other columns stay aligned below it.
        status, output = self.ctl_tty("list", columns=40)
        self.assertEqual(status, OK, output)
        self.assertEqual(output, (
            "NAME         STATE       TASKS  RESTARTS\n"
            "[bracketed]  running         1         0\n"
            "a=b #c       running         1         0\n"
            "back\\slash   running         1         0\n"
            "failing      failed          0         0\n"
            f"{self.LONG}\n"
            "             running         1         0\n"
            "many         running      1000         0\n"
            "slow         running         1         0\n"
            "\n"
            "7 services, 6 running, 1 failed.\n"))

    def test_errors_of_other_domains(self):
        result = self.ctl("wait", "failing")
        self.assertResult(result, TASKS_FAILED, stderr="")
        self.assertEqual(ctltest.sorted_lines(result.stdout), [
            "failing: custom: the answer was wrong (bgs-test-error-quark 42)",
            "failing: denied: not allowed to do that (g-io-error-quark 14)",
        ])

    def test_commands_on_names_from_code(self):
        for name in ("[bracketed]", "a=b #c", "back\\slash", self.LONG):
            with self.subTest(name=name):
                self.assertResult(self.ctl("stop", name), OK, stdout="", stderr="")
                self.assertStatus(self.ctl("status", name), NOT_RUNNING,
                                  status_block(name, "stopped", 0))
                self.assertResult(self.ctl("restart", name), OK, stdout="", stderr="")
                self.assertEqual(self.services()[name], (True, 1))


if __name__ == "__main__":
    harness.main()
