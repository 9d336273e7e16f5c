# SPDX-License-Identifier: MIT
"""bgservicectl's colours on a pseudo-terminal, against bgserviced: checks
72 to 75 of tests/ctl/README-integration.md. States are coloured in list
and status on a terminal only; NO_COLOR (any value), SYSTEMD_COLORS=0 or
false and TERM=dumb turn colours off; pipes and JSON never have them.
Colours take no column: without them, the output is the plain one."""

import json
import os
import re

import ctltest
import harness
from ctltest import NOT_RUNNING, OK, RETRIER, Terminal, mask_since
from test_ctl_list import TTY_LIST
from test_ctl_output_safety import CONFIG as HOSTILE_CONFIG

GREEN = "\x1b[1;32m"
YELLOW = "\x1b[1;33m"
RED = "\x1b[1;31m"
RESET = "\x1b[0m"
SGR = re.compile(r"\x1b\[[0-9;]*m")


def coloured(text, state, colour):
    """text with the first whole word state wrapped in colour."""
    return re.sub(rf"\b{state}\b", f"{colour}{state}{RESET}", text, count=1)


class ColourTest(ctltest.CtlTestCase):
    def tty(self, *args, env=None, columns=80):
        """bgservicectl on a terminal, NO_COLOR unset, TERM=xterm (env on
        top); returns (exit status, output)."""
        extra = {"TERM": "xterm"}
        extra.update(env or {})
        terminal = Terminal(self.ctl_command(args, None, None, True),
                            ctltest.client_env(extra, drop=("NO_COLOR",)), columns)
        self.clients.append(terminal)
        wait_status, output = terminal.finish()
        return os.waitstatus_to_exitcode(wait_status), output

    def test_list_and_status_in_colour(self):
        # 72
        self.start_standard_daemon()
        status, output = self.tty("list")
        self.assertEqual(status, OK, output)
        expected = "".join(
            coloured(coloured(line, "running", GREEN), "failed", RED)
            for line in TTY_LIST.splitlines(keepends=True)[1:-2])
        lines = TTY_LIST.splitlines(keepends=True)
        self.assertEqual(output, lines[0] + expected + "".join(lines[-2:]))
        # The columns are those of the plain output.
        self.assertEqual(SGR.sub("", output), TTY_LIST)

        status, output = self.tty("status", "clock", "failer")
        self.assertEqual(status, NOT_RUNNING, output)
        self.assertIn(f"  state: {GREEN}running{RESET} since ", output)
        self.assertIn(f"  state: {RED}failed{RESET} since ", output)
        self.assertEqual(mask_since(SGR.sub("", output)),
                         mask_since(self.ctl("status", "clock", "failer").stdout))

    def test_restarting_and_stopping_in_yellow(self):
        # 72
        self.start_standard_daemon(RETRIER)
        self.wait_for_state("retrier", "restarting")
        stop = self.ctl_background("stop", "stubborn")
        self.wait_for_state("stubborn", "stopping")
        status, output = self.tty("list")
        self.assertEqual(status, OK, output)
        self.assertRegex(output, rf"\nretrier +{re.escape(YELLOW)}restarting{re.escape(RESET)} ")
        self.assertRegex(output, rf"\nstubborn +{re.escape(YELLOW)}stopping{re.escape(RESET)} ")
        self.assertEqual(stop.finish().status, OK)

    def test_turned_off(self):
        # 73: NO_COLOR with any value, even empty; SYSTEMD_COLORS false
        # words; a dumb terminal.
        self.start_standard_daemon()
        for env in ({"NO_COLOR": "1"}, {"NO_COLOR": ""}, {"NO_COLOR": "0"},
                    {"SYSTEMD_COLORS": "0"}, {"SYSTEMD_COLORS": "false"},
                    {"SYSTEMD_COLORS": "no"}, {"TERM": "dumb"}):
            with self.subTest(env=env):
                self.assertEqual(self.tty("list", env=env), (OK, TTY_LIST))
                status, output = self.tty("status", "clock", env=env)
                self.assertNotIn("\x1b", output)
        # SYSTEMD_COLORS=1 is no reason to stop.
        self.assertIn(GREEN, self.tty("list", env={"SYSTEMD_COLORS": "1"})[1])

    def test_never_in_pipes_nor_json(self):
        # 74
        self.start_standard_daemon()
        for env in ({}, {"SYSTEMD_COLORS": "1"}, {"SYSTEMD_COLORS": "true"}):
            with self.subTest(env=env):
                for args in (("list",), ("status", "clock"), ("show", "clock"),
                             ("is-active", "clock"), ("wait", "failer")):
                    result = self.ctl(*args, env=dict(env, TERM="xterm"), drop_env=("NO_COLOR",))
                    self.assertNotIn("\x1b", result.stdout + result.stderr, result.describe())
        for mode in ("json", "json-pretty"):
            for args in (("list",), ("status", "failer"), ("show", "clock"), ("wait", "failer")):
                with self.subTest(mode=mode, args=args):
                    status, output = self.tty(f"--output={mode}", *args)
                    self.assertNotIn("\x1b", output)
                    json.loads(output)

    def test_hostile_names_stay_escaped(self):
        # 75: the escapes of hostile names, and columns, as without colours.
        self.start_daemon(HOSTILE_CONFIG)
        self.wait_for_state("hostile", "failed")
        status, output = self.tty("list")
        self.assertEqual(status, OK, output)
        plain = self.tty("list", env={"NO_COLOR": "1"})[1]
        self.assertEqual(SGR.sub("", output), plain)
        self.assertEqual(output.count(GREEN), 2)
        self.assertEqual(output.count(RED), 1)
        # The only escape sequences are the colours'.
        self.assertNotIn("\x1b", SGR.sub("", output))
        self.assertNotIn("\u202e", output)


if __name__ == "__main__":
    harness.main()
