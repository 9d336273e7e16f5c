# SPDX-License-Identifier: MIT
"""The bash completion of bgservicectl (completion/bgservicectl, the first
argument), run by bash with bash-completion loaded.

Each check sets COMP_LINE, COMP_POINT, COMP_WORDS and COMP_CWORD as bash
sets them when Tab is pressed at the end of a command line, calls the
completion function as bash calls it, and reads the candidates it left in
COMPREPLY. Service names come from the real bgserviced on the test's
private bus (tests/dbus/harness.py), asked by the built bgservicectl.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import harness

COMPLETION = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else None

# bash-completion's functions, which the completion uses.
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"

# What bash splits a word at: its COMP_WORDBREAKS without the blanks and
# the quotes (which bash splits at only to begin a word).
WORD_BREAKS = "><=;|&(:"

COMMANDS = {"list", "status", "start", "stop", "restart", "wait", "is-failed",
            "reset-failed", "show", "is-active", "cancel", "help"}
BUS_OPTIONS = {"--system", "--session", "--user", "--address=", "--host=", "--machine=",
               "--bus-name="}
COMMON_OPTIONS = {"--output=", "--no-legend", "--no-pager", "--quiet", "--help"}

CONFIG = """\
[Service clock]
Type=clock
IntervalSec=1

[Service sleeper]
Type=exec
Exec=sleep 1000

[Service idle 日本語]
Type=exec
Exec=sleep 1000
AutoStart=false

[Service db:main]
Type=clock
IntervalSec=1
"""
NAMES = {"clock", "sleeper", "idle 日本語", "db:main"}

# Calls the completion as bash does: COMP_* set, then the function with
# the command, the current word and the one before. compopt works only
# while readline completes: here it says what it was asked, on stderr.
DRIVER = r"""
source "$BASH_COMPLETION"
source "$COMPLETION"
compopt() { printf 'compopt %s\n' "$*" >&2; }
COMP_LINE=$1
COMP_POINT=${#COMP_LINE}
shift
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_bgservicectl "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""


def comp_words(line):
    """The words bash makes of line in COMP_WORDS: split at blanks that no
    backslash or quote escapes, and at each run of WORD_BREAKS characters,
    a word of its own; an empty last word when line ends with a blank.
    Quotes and backslashes stay in the words."""
    words, word, i = [], "", 0
    while i < len(line):
        c = line[i]
        if c == "\\" and i + 1 < len(line):
            word += line[i:i + 2]
            i += 2
            continue
        if c in "'\"":
            end = line.find(c, i + 1)
            end = len(line) if end < 0 else end + 1
            word += line[i:end]
            i = end
            continue
        if c == " ":
            if word:
                words.append(word)
            word = ""
        elif c in WORD_BREAKS:
            if word and word[-1] not in WORD_BREAKS:
                words.append(word)
                word = ""
            word += c
        else:
            if word and word[-1] in WORD_BREAKS:
                words.append(word)
                word = ""
            word += c
        i += 1
    words.append(word)
    return words


class CompletionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if COMPLETION is None:
            raise unittest.SkipTest("give the completion file as the first argument "
                                    "(meson test does)")
        if not os.path.exists(BASH_COMPLETION) or shutil.which("bash") is None:
            raise unittest.SkipTest("bash-completion is not installed "
                                    "(scripts/ensure-packages installs it)")
        cls.program = harness.program("BGSERVICECTL")

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="bgs-completion-")
        self.directory = self.tmp.name
        self.addCleanup(self.tmp.cleanup)
        # A home of the test's own: ~/.ssh/config names the hosts that -H
        # completes.
        self.home = os.path.join(self.directory, "home")
        os.makedirs(os.path.join(self.home, ".ssh"))
        with open(os.path.join(self.home, ".ssh", "config"), "w") as f:
            f.write("Host bgs-web-one bgs-web-two\n  HostName 127.0.0.1\n")

    def start_daemon(self):
        """A private bus with bgserviced on it; returns the bus."""
        bus_directory = os.path.join(self.directory, "bus")
        os.mkdir(bus_directory)
        bus = harness.Bus(bus_directory)
        self.addCleanup(bus.close)
        daemon = harness.Daemon(bus, bus_directory, CONFIG)
        self.addCleanup(daemon.close)
        return bus

    def complete(self, line, env=None):
        """The candidates that the completion offers at the end of line
        (a set), and what it asked compopt. The built program stands for
        "bgservicectl", the first word of line."""
        line = self.program + line.removeprefix("bgservicectl")
        words = comp_words(line)
        full_env = {key: value for key, value in os.environ.items()
                    if not key.startswith("DBUS_") and key != "XDG_RUNTIME_DIR"}
        full_env.update({"BASH_COMPLETION": BASH_COMPLETION, "COMPLETION": COMPLETION,
                         "HOME": self.home, "LC_ALL": "C.UTF-8",
                         "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent/bus"})
        full_env.update(env or {})
        result = subprocess.run(["bash", "--norc", "--noprofile", "-c", DRIVER, "bash",
                                 line, *words],
                                capture_output=True, text=True, env=full_env,
                                timeout=harness.PATIENCE)
        self.assertEqual(result.returncode, 0, result.stderr)
        compopt = [line for line in result.stderr.splitlines() if line.startswith("compopt ")]
        others = [line for line in result.stderr.splitlines() if not line.startswith("compopt ")]
        self.assertEqual(others, [], f"{line!r}: {result.stderr}")
        return set(result.stdout.splitlines()) - {""}, compopt

    def candidates(self, line, env=None):
        return self.complete(line, env)[0]

    def test_words_as_bash_splits_them(self):
        # The splitter of this test, against what bash does.
        self.assertEqual(comp_words("bgservicectl --address=unix:path=/b,guid=1 st"),
                         ["bgservicectl", "--address", "=", "unix", ":", "path", "=",
                          "/b,guid", "=", "1", "st"])
        self.assertEqual(comp_words("bgservicectl status idle\\ 日"),
                         ["bgservicectl", "status", "idle\\ 日"])
        self.assertEqual(comp_words("bgservicectl status 'idle 日"),
                         ["bgservicectl", "status", "'idle 日"])
        self.assertEqual(comp_words("bgservicectl "), ["bgservicectl", ""])

    def test_command_word(self):
        self.assertEqual(self.candidates("bgservicectl "), COMMANDS)
        self.assertEqual(self.candidates("bgservicectl st"), {"status", "start", "stop"})
        # Options and their values before the command are skipped.
        self.assertEqual(self.candidates("bgservicectl --session -H web1 -o json is-"),
                         {"is-failed", "is-active"})
        self.assertEqual(self.candidates("bgservicectl --host=admin@web1:2222 res"),
                         {"restart", "reset-failed"})
        # help takes one command.
        self.assertEqual(self.candidates("bgservicectl help re"), {"restart", "reset-failed"})
        self.assertEqual(self.candidates("bgservicectl help stop "), set())

    def test_option_prefix(self):
        candidates, compopt = self.complete("bgservicectl --")
        self.assertEqual(candidates, BUS_OPTIONS | COMMON_OPTIONS | {"--version"})
        self.assertIn("-H", self.candidates("bgservicectl -"))
        self.assertTrue({"-H", "-M", "-o", "-q", "-h"} <= self.candidates("bgservicectl -"))
        # One candidate that takes a value: no space after its "=".
        candidates, compopt = self.complete("bgservicectl --ho")
        self.assertEqual(candidates, {"--host="})
        self.assertEqual(compopt, ["compopt -o nospace"])
        self.assertEqual(self.candidates("bgservicectl --us"), {"--user"})

    def test_options_of_commands(self):
        self.assertEqual(self.candidates("bgservicectl stop --m"), {"--message=", "--machine="})
        self.assertEqual(self.candidates("bgservicectl restart -m"), {"-m"})
        self.assertEqual(self.candidates("bgservicectl list --m"), {"--machine="})
        self.assertEqual(self.candidates("bgservicectl start --a"), {"--all", "--address="})
        self.assertEqual(self.candidates("bgservicectl stop --al"), {"--all"})
        self.assertEqual(self.candidates("bgservicectl status --al"), set())
        self.assertIn("-p", self.candidates("bgservicectl show -"))
        self.assertNotIn("-p", self.candidates("bgservicectl status -"))
        self.assertEqual(self.candidates("bgservicectl list --v"), set())
        self.assertEqual(self.candidates("bgservicectl list --no-"),
                         {"--no-legend", "--no-pager"})

    def test_option_values(self):
        self.assertEqual(self.candidates("bgservicectl -o "), {"json", "json-pretty"})
        self.assertEqual(self.candidates("bgservicectl list --output=json-"), {"json-pretty"})
        self.assertEqual(self.candidates("bgservicectl --address "), set())
        self.assertEqual(self.candidates("bgservicectl stop --message="), set())
        # Hosts from ssh's configuration in the home folder.
        self.assertEqual(self.candidates("bgservicectl -H bgs-web"),
                         {"bgs-web-one", "bgs-web-two"})
        self.assertEqual(self.candidates("bgservicectl status --host=admin@bgs-web-o"),
                         {"admin@bgs-web-one"})

    def test_bus_options_passed_on(self):
        # What the completion gives the `list` that asks for names.
        script = (f'source "$BASH_COMPLETION"; source "$COMPLETION"; '
                  f'words=("$@"); cword=$#; _bgservicectl_bus_arguments')
        args = ["bgservicectl", "-H", "root@h:22", "--machine=box", "-o", "json", "--user",
                "--bus-name", "org.example.B", "status", "--address=unix:path=/b", "clock"]
        result = subprocess.run(["bash", "--norc", "-c", script, "bash", *args],
                                capture_output=True, text=True, check=True,
                                env=dict(os.environ, BASH_COMPLETION=BASH_COMPLETION,
                                         COMPLETION=COMPLETION))
        self.assertEqual(result.stdout.splitlines(),
                         ["-H", "root@h:22", "--machine=box", "--user", "--bus-name",
                          "org.example.B", "--address=unix:path=/b"])

    def test_service_names_from_the_daemon(self):
        bus = self.start_daemon()
        session = {"DBUS_SESSION_BUS_ADDRESS": bus.address}
        candidates, compopt = self.complete("bgservicectl --user status ", session)
        self.assertEqual(candidates, NAMES)
        # Readline quotes them, as file names.
        self.assertEqual(compopt, ["compopt -o filenames"])
        self.assertEqual(self.candidates("bgservicectl stop --session s", session), {"sleeper"})
        # The names of the daemon on the bus given, before or after the
        # command, with its value in the same word or the next.
        self.assertEqual(self.candidates(f"bgservicectl --address={bus.address} restart cl"),
                         {"clock"})
        self.assertEqual(self.candidates(f"bgservicectl wait --address {bus.address} "),
                         NAMES)
        # The system bus by default, for root.
        if os.geteuid() == 0:
            self.assertEqual(self.candidates("bgservicectl start ",
                                             {"DBUS_SYSTEM_BUS_ADDRESS": bus.address}), NAMES)
        # A name with a blank: what was typed of it is unescaped first.
        self.assertEqual(self.candidates("bgservicectl --user start idle\\ 日", session),
                         {"idle 日本語"})
        self.assertEqual(self.candidates("bgservicectl --user start 'idle 日", session),
                         {"idle 日本語"})
        # A name with a colon: bash took the colon for the end of a word,
        # so the candidate is what follows it.
        self.assertEqual(self.candidates("bgservicectl --user stop db:", session), {"main"})

    def test_no_names_where_none_go(self):
        bus = self.start_daemon()
        session = {"DBUS_SESSION_BUS_ADDRESS": bus.address}
        self.assertEqual(self.candidates("bgservicectl --user list ", session), set())
        # No daemon under that name, or no bus: no candidates, and no
        # message in the middle of the command line.
        self.assertEqual(self.candidates("bgservicectl --user --bus-name=org.example.None "
                                         "status ", session), set())
        self.assertEqual(self.candidates("bgservicectl --system status "), set())


if __name__ == "__main__":
    harness.main()
