# SPDX-License-Identifier: MIT
"""Where the output of exec and timer commands goes: without a journal (as
on this machine), to the daemon's stderr as "NAME: line", escaped and cut
into lines; with one, to journal streams tagged with the service name,
checked against a real AF_UNIX stream socket at /run/systemd/journal/stdout
in a mount namespace of the daemon's own. The daemon keeps answering on
the bus while a command floods it and while its own stderr is blocked,
gives commands no descriptor but 0, 1 and 2, and holds none once a
command has ended."""

import os
import re
import resource
import select
import socket
import statistics
import subprocess
import textwrap
import threading
import time

import daemontest
import harness
from daemontest import EXIT_CONFIG, EXIT_OK, commands_of, start, stop, wait, wait_for_children
from harness import BUS_NAME

# The longest line bgserviced writes, newline included (PIPE_BUF on Linux).
LINE_MAX = 4096
# How long a bus call may take while output floods the daemon: generous,
# for sanitizers and valgrind; the figures measured are printed.
CALL_BOUND = 5.0
# What a command writes while the daemon reads it, far more than a pipe
# holds (64 KiB): were the daemon stalled, the command would block.
FLOWING = 256 * 1024
JOURNAL_STDOUT = "/run/systemd/journal/stdout"
LOG_INFO = 6
LOG_WARNING = 4
G_IO_ERROR_TOO_MANY_OPEN_FILES = 31


def tagged(text, name):
    """What the lines of text prefixed "name: " say, in order. Split at
    newlines only: a name or a line may hold other line separators of
    Unicode, which bgserviced keeps as the journal would."""
    prefix = f"{name}: "
    return [line[len(prefix):] for line in text.split("\n") if line.startswith(prefix)]


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def fd_targets(pid):
    """{fd: what it points to} of a process."""
    folder = f"/proc/{pid}/fd"
    return {int(fd): os.readlink(os.path.join(folder, fd)) for fd in os.listdir(folder)}


def only_standard_fds(pid):
    """Polls until pid has fds 0, 1 and 2 only (a command may open files
    for a moment as it starts, such as its locale); returns them."""
    harness.wait_until(lambda: set(fd_targets(pid)) == {0, 1, 2},
                       f"{pid} to hold fds 0, 1 and 2 only (it holds {fd_targets(pid)})")
    return fd_targets(pid)


def written_bytes(pid):
    """What a process has written so far (wchar of /proc/pid/io)."""
    with open(f"/proc/{pid}/io") as f:
        return int(re.search(r"^wchar: (\d+)$", f.read(), re.MULTILINE).group(1))


def timed_calls(bus, count):
    """Reads a property count times with busctl; returns each call's time."""
    path = harness.service_path(bus, "flood")
    times = []
    for _ in range(count):
        began = time.monotonic()
        harness.get_property(bus, path, "State")
        times.append(time.monotonic() - began)
    return times


def ensure_journal_absent(test):
    if os.path.exists(JOURNAL_STDOUT):
        test.skipTest(f"{JOURNAL_STDOUT} exists: command output goes to the journal here")


class OutputDaemon(harness.Program):
    """bgserviced as harness.Daemon runs it (stdout to the log), with two
    choices more: where its stderr goes (a pipe the test reads, or does
    not) and a command to run it under (unshare)."""

    name = "bgserviced"

    def __init__(self, bus, directory, config, stderr=None, wrapper=()):
        self.config_path = daemontest.write_file(directory, "bgserviced.conf",
                                                 textwrap.dedent(config))
        self.log_path = os.path.join(directory, "bgserviced.log")
        self.log = open(self.log_path, "w")
        self.valgrind_log = os.path.join(directory, f"valgrind-bgserviced-{id(self)}.log")
        command = harness.under_valgrind([harness.program("BGSERVICED"), f"--address={bus.address}",
                                          f"--config={self.config_path}", "--verbose"],
                                         self.valgrind_log)
        self.process = subprocess.Popen([*wrapper, *command], stdout=self.log,
                                        stderr=self.log if stderr is None else stderr)
        harness.wait_until(lambda: self.process.poll() is not None
                           or harness.name_has_owner(bus, BUS_NAME), "bgserviced to own its name")
        if self.process.poll() is not None:
            raise AssertionError(f"bgserviced exited with {self.process.returncode}:\n"
                                 + self.read_log())


class StderrPipe:
    """A pipe for the daemon's stderr. Nothing reads it until drain()
    starts a thread that reads it to its end, keeping what came."""

    def __init__(self):
        self.read_end, self.write_end = os.pipe()
        self.received = bytearray()
        self.lock = threading.Lock()
        self.thread = None

    def full(self):
        """Whether the pipe takes no more: not writable, as the daemon sees it."""
        return not select.select([], [self.write_end], [], 0)[1]

    def drain(self):
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while data := os.read(self.read_end, 1 << 16):
            with self.lock:
                self.received += data[-(1 << 20):]
                del self.received[:-(1 << 20)]

    def text(self):
        """The last MiB that came (invalid UTF-8 shown as U+FFFD)."""
        with self.lock:
            return self.received.decode(errors="replace")

    def close(self):
        os.close(self.write_end)
        if self.thread is not None:
            self.thread.join(timeout=harness.PATIENCE)
        os.close(self.read_end)


class JournalServer:
    """A real AF_UNIX stream socket where journal streams connect:
    it accepts every stream and keeps what each one sent, in the order
    they came."""

    def __init__(self, path):
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.socket.bind(path)
        self.socket.listen(64)
        self.socket.settimeout(0.05)
        self.closing = False
        self.streams = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.closing:
            try:
                connection, _ = self.socket.accept()
            except socket.timeout:
                continue
            connection.settimeout(None)
            stream = {"data": bytearray(), "ended": False}
            with self.lock:
                self.streams.append(stream)
            threading.Thread(target=self._read, args=(connection, stream), daemon=True).start()

    def _read(self, connection, stream):
        with connection:
            while data := connection.recv(1 << 16):
                with self.lock:
                    stream["data"] += data
        with self.lock:
            stream["ended"] = True

    def ended_streams(self):
        """The streams whose writers have all closed, parsed."""
        with self.lock:
            return [parse_stream(bytes(s["data"])) for s in self.streams if s["ended"]]

    def close(self):
        self.closing = True
        self.thread.join(timeout=harness.PATIENCE)
        self.socket.close()


def fd_status_flags(pid, fd):
    """The status flags (O_NONBLOCK, ...) of descriptor fd of process pid."""
    with open(f"/proc/{pid}/fdinfo/{fd}") as f:
        for line in f:
            if line.startswith("flags:"):
                return int(line.split()[1], 8)
    raise AssertionError(f"no flags for descriptor {fd} of {pid}")


def fill_backlog(path):
    """Connects to the listening socket at path, without waiting, until it
    takes no more connections; returns the connected sockets."""
    connected = []
    while True:
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.setblocking(False)
        try:
            client.connect(path)
        except BlockingIOError:
            client.close()
            return connected
        connected.append(client)


def parse_stream(data):
    """The header a journal stream begins with (identifier, unit id,
    priority, level prefix, forward to syslog, kmsg, console: a line
    each), then the lines of the stream."""
    fields = data.split(b"\n", 7)
    keys = ("identifier", "unit_id", "priority", "level_prefix", "forward_to_syslog",
            "forward_to_kmsg", "forward_to_console")
    stream = {key: fields[i].decode() for i, key in enumerate(keys)}
    stream["lines"] = fields[7].decode().splitlines() if len(fields) > 7 else []
    return stream


class FallbackTest(daemontest.DaemonTestCase):
    """No journald: command output reaches the daemon's stderr (the log)."""

    def setUp(self):
        ensure_journal_absent(self)
        super().setUp()

    def test_stdout_and_stderr_lines_are_prefixed_and_escaped(self):
        script = daemontest.write_script(self.directory, "talk", textwrap.dedent(r"""
            echo "to stdout"
            echo "to stderr" >&2
            printf 'bad bytes \377\376, \033[31mescapes\033[0m, a tab\there, a CR\r\n'
            printf 'valid UTF-8: caf\303\251 \342\230\203\n'
            printf 'never UTF-8: \374\200\200\200\200\200 \300\257 \355\240\200 \342\230\n'
            printf 'a line in two writes'; sleep 0.3; printf ' joined\n'
            printf 'no newline at the end'
            """))
        daemon = self.start_daemon(f"[Service talker]\nType=exec\nExec={script}\n")
        self.assertEqual(wait(self.bus, "talker"), [])
        # One pipe for both streams: the lines keep the order of writing.
        self.assertEqual(tagged(daemon.read_log(), "talker"), [
            "to stdout",
            "to stderr",
            r"bad bytes \xff\xfe, \x1b[31mescapes\x1b[0m, a tab" + "\there, a CR\\x0d",
            "valid UTF-8: café ☃",
            r"never UTF-8: \xfc\x80\x80\x80\x80\x80 \xc0\xaf \xed\xa0\x80 \xe2\x98",
            "a line in two writes joined",
            "no newline at the end",
        ])
        self.assertStopsWith(daemon, EXIT_OK)

    def test_a_partial_line_waits_for_its_end_or_for_the_command_to_end(self):
        script = daemontest.write_script(self.directory, "prompt",
                                         "printf 'half a line'\necho ', ended on stderr' >&2\n"
                                         "printf 'the rest'\nexec sleep 600\n")
        daemon = self.start_daemon(f"[Service prompt]\nType=exec\nExec={script}\n")
        wait_for_children(daemon, 1, "sleep", "600")
        harness.wait_until(lambda: tagged(daemon.read_log(), "prompt"), "the first line")
        # stdout and stderr share the command's pipe, as they would share a
        # terminal: a line may begin on one and end on the other.
        self.assertEqual(tagged(daemon.read_log(), "prompt"), ["half a line, ended on stderr"])
        self.assertEqual(stop(self.bus, "prompt"), [])
        self.assertEqual(tagged(daemon.read_log(), "prompt"),
                         ["half a line, ended on stderr", "the rest"])
        self.assertStopsWith(daemon, EXIT_OK)

    def test_long_lines_are_cut_into_prefixed_lines(self):
        data = daemontest.write_file(self.directory, "long.txt", "")
        with open(data, "wb") as f:
            f.write(b"x" * 10000 + b"\n" + "é".encode() * 3000 + b"\n" + b"\xff" * 3000 + b"\n")
        daemon = self.start_daemon(f"[Service long]\nType=exec\nExec=cat {data}\n")
        self.assertEqual(wait(self.bus, "long"), [])
        pieces = tagged(daemon.read_log(), "long")
        for piece in pieces:
            self.assertLessEqual(len(f"long: {piece}\n".encode()), LINE_MAX)
        # Cut between characters and between escapes, never inside one.
        xs = [p for p in pieces if set(p) == {"x"}]
        es = [p for p in pieces if set(p) == {"é"}]
        ffs = [p for p in pieces if re.fullmatch(r"(\\xff)+", p)]
        self.assertEqual(len(xs) + len(es) + len(ffs), len(pieces), pieces)
        self.assertEqual(("".join(xs), "".join(es), "".join(ffs)),
                         ("x" * 10000, "é" * 3000, "\\xff" * 3000))
        self.assertEqual((len(xs), len(es), len(ffs)), (3, 2, 3))
        self.assertStopsWith(daemon, EXIT_OK)

    def test_two_services_keep_whole_lines_each_with_its_name(self):
        padding = "p" * 150
        config = "".join(f"[Service {name}]\nType=exec\n"
                         f"Exec=seq -f '{name} %g {padding}' 1 3000\n\n" for name in ("alpha", "beta"))
        daemon = self.start_daemon(config)
        self.assertEqual(wait(self.bus, "alpha"), [])
        self.assertEqual(wait(self.bus, "beta"), [])
        log = daemon.read_log()
        for name in ("alpha", "beta"):
            self.assertEqual(tagged(log, name), [f"{name} {n} {padding}" for n in range(1, 3001)])
        mentions = [line for line in log.split("\n") if re.search(r"(alpha|beta) \d+ p", line)]
        self.assertEqual(len(mentions), 6000)
        for line in mentions:
            self.assertRegex(line, rf"^(alpha|beta): \1 \d+ {padding}$")
        self.assertStopsWith(daemon, EXIT_OK)

    def test_a_hostile_name_and_output_bring_no_control_character(self):
        """A name holds what the configuration lets through (no control
        character: see the next test), written as it is; the command's
        control characters are escaped."""
        name = "evil: ‮name\u2028 \\x1b $(id) %s%n ☃ \"q\" 'q' <3>"
        script = daemontest.write_script(self.directory, "hostile", textwrap.dedent(r"""
            printf '\033]0;new title\007\033[2J\033[H\233cleared\n'
            printf 'bell\007 backspace\010 delete\177 nul\000 end\n'
            """))
        daemon = self.start_daemon(f"[Service {name}]\nType=exec\nExec={script}\n")
        self.assertEqual(wait(self.bus, name), [])
        log = daemon.read_log()
        self.assertEqual(tagged(log, name), [
            r"\x1b]0;new title\x07\x1b[2J\x1b[H\x9bcleared",
            r"bell\x07 backspace\x08 delete\x7f nul\x00 end",
        ])
        controls = [c for c in log if (ord(c) < 0x20 and c not in "\n\t") or 0x7f <= ord(c) < 0xa0]
        self.assertEqual(controls, [])
        self.assertStopsWith(daemon, EXIT_OK)

    def test_a_name_with_a_control_character_is_refused(self):
        path = daemontest.write_file(self.directory, "bad.conf",
                                     "[Service bad\u009bname]\nType=exec\nExec=true\n")
        result = daemontest.run_bgserviced("--check-config", f"--config={path}")
        self.assertEqual(result.returncode, EXIT_CONFIG, result.stderr)
        self.assertIn("control character U+009B", result.stderr)

    def test_timer_runs_are_prefixed(self):
        script = daemontest.write_script(self.directory, "tick", "echo tick; echo tock >&2\n")
        daemon = self.start_daemon(f"[Service ticker]\nType=timer\nExec={script}\n"
                                   "IntervalSec=0.05\n")
        harness.wait_until(lambda: tagged(daemon.read_log(), "ticker").count("tock") >= 3,
                           "three runs")
        self.assertEqual(stop(self.bus, "ticker"), [])
        lines = tagged(daemon.read_log(), "ticker")
        self.assertEqual(set(lines), {"tick", "tock"}, lines)
        self.assertStopsWith(daemon, EXIT_OK)


class NotBlockingTest(daemontest.DaemonTestCase):
    """The daemon answers on the bus while a command floods it with output,
    and while nobody reads its stderr."""

    FLOOD = "[Service flood]\nType=exec\nExec=yes\nAutoStart=false\n"

    def setUp(self):
        ensure_journal_absent(self)
        super().setUp()
        self.stderr = StderrPipe()
        self.addCleanup(self.stderr.close)

    def start_flood(self):
        daemon = OutputDaemon(self.bus, self.directory, self.FLOOD, stderr=self.stderr.write_end)
        self.daemons.append(daemon)
        self.assertPrompt(timed_calls(self.bus, 20), "before the flood")
        start(self.bus, "flood")
        [pid] = wait_for_children(daemon, 1, "yes")
        return daemon, pid

    def assertPrompt(self, times, what):
        print(f"{what}: {len(times)} calls, median {statistics.median(times) * 1000:.1f} ms, "
              f"max {max(times) * 1000:.1f} ms")
        self.assertLess(max(times), CALL_BOUND, times)

    def test_a_flood_of_output_leaves_the_bus_answering(self):
        self.stderr.drain()
        daemon, flood = self.start_flood()
        harness.wait_until(lambda: "flood: y\nflood: y\n" in self.stderr.text(), "the flood")
        before = written_bytes(flood)
        self.assertPrompt(timed_calls(self.bus, 100), "flooded")
        flowed = written_bytes(flood) - before
        print(f"the flood wrote {flowed / 1e6:.1f} MB meanwhile")
        self.assertGreater(flowed, FLOWING)
        self.assertNotIn("\\x", self.stderr.text())
        self.assertStopsWith(daemon, EXIT_OK)

    def test_a_blocked_stderr_leaves_the_bus_answering(self):
        daemon, flood = self.start_flood()
        harness.wait_until(self.stderr.full, "the daemon's stderr to fill up")
        before = written_bytes(flood)
        self.assertPrompt(timed_calls(self.bus, 20), "stderr blocked")
        # The daemon kept reading the command, dropping its lines.
        self.assertGreater(written_bytes(flood) - before, FLOWING)
        self.stderr.drain()
        harness.wait_until(lambda: re.search(r"^bgserviced: \d+ lines of command output were "
                                             r"dropped: stderr did not take them$",
                                             self.stderr.text(), re.MULTILINE),
                           "the count of dropped lines")
        self.assertStopsWith(daemon, EXIT_OK)


class JournalTest(daemontest.DaemonTestCase):
    """Journal streams connect to /run/systemd/journal/stdout, a path
    nobody can change. The daemon runs in a mount namespace of its own
    where a folder of the test is /run/systemd, so the socket is there for
    it alone: the machine's /run is left alone, and daemons of other tests
    running meanwhile do not see it."""

    def setUp(self):
        if os.geteuid() != 0 or subprocess.run(["unshare", "--mount", "true"],
                                               capture_output=True).returncode != 0:
            self.skipTest("a mount namespace (unshare --mount) needs root")
        super().setUp()
        self.run_dir = os.path.join(self.directory, "run-systemd")
        os.makedirs(os.path.join(self.run_dir, "journal"))
        self.journal = JournalServer(os.path.join(self.run_dir, "journal", "stdout"))
        self.addCleanup(self.journal.close)

    def start_daemon_with_journal(self, config):
        wrapper = ["unshare", "--mount", "--propagation", "private", "--",
                   "sh", "-c", 'mount --bind "$0" /run/systemd && exec "$@"', self.run_dir]
        daemon = OutputDaemon(self.bus, self.directory, config, wrapper=wrapper)
        self.daemons.append(daemon)
        return daemon

    def test_a_journal_that_accepts_nothing_leaves_the_bus_answering(self):
        """journald stalled, its backlog of connections full: the runs
        write to the daemon's stderr at once and the bus answers (a
        blocking connect would hold the main loop until journald accepted);
        once journald accepts again, later runs stream to it."""
        self.journal.close()
        socket_path = os.path.join(self.run_dir, "journal", "stdout")
        os.unlink(socket_path)
        stalled = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(stalled.close)
        stalled.bind(socket_path)
        stalled.listen(0)
        for waiting in fill_backlog(socket_path):
            self.addCleanup(waiting.close)
        daemon = self.start_daemon_with_journal(
            "[Service ticker]\nType=timer\nExec=echo tick\nIntervalSec=0.05\n")
        harness.wait_until(lambda: len(tagged(daemon.read_log(), "ticker")) >= 3,
                           "three runs written to stderr")
        path = harness.service_path(self.bus, "ticker")
        times = []
        for _ in range(20):
            began = time.monotonic()
            harness.get_property(self.bus, path, "State")
            times.append(time.monotonic() - began)
        self.assertLess(max(times), CALL_BOUND, times)

        stalled.close()
        os.unlink(socket_path)
        self.journal = JournalServer(socket_path)
        self.addCleanup(self.journal.close)
        harness.wait_until(lambda: any(s["identifier"] == "ticker" and s["lines"] == ["tick"]
                                       for s in self.journal.ended_streams()),
                           "a run streamed to the journal")
        self.assertStopsWith(daemon, EXIT_OK)

    def test_each_command_gets_two_streams_tagged_with_its_service(self):
        script = daemontest.write_script(self.directory, "talk",
                                         "echo to stdout\necho to stderr >&2\n"
                                         "echo '<3>an error'\nprintf 'no newline'\n")
        daemon = self.start_daemon_with_journal(
            f"[Service journal talker]\nType=exec\nExec={script}\n")
        self.assertEqual(wait(self.bus, "journal talker"), [])
        streams = harness.wait_until(lambda: len(s := self.journal.ended_streams()) == 2 and s,
                                     "two streams to end")
        header = {"identifier": "journal talker", "unit_id": "", "level_prefix": "1",
                  "forward_to_syslog": "0", "forward_to_kmsg": "0", "forward_to_console": "0"}
        by_priority = {int(s["priority"]): s for s in streams}
        self.assertEqual(set(by_priority), {LOG_INFO, LOG_WARNING}, streams)
        for stream in streams:
            self.assertEqual({k: stream[k] for k in header}, header)
        self.assertEqual(by_priority[LOG_INFO]["lines"], ["to stdout", "<3>an error", "no newline"])
        self.assertEqual(by_priority[LOG_WARNING]["lines"], ["to stderr"])
        log = daemon.read_log()
        self.assertIn("Command output goes to the journal", log)
        self.assertEqual(tagged(log, "journal talker"), [])
        self.assertStopsWith(daemon, EXIT_OK)

    def test_a_journal_that_comes_or_goes_is_seen(self):
        """Without journald, a timer's runs write to the daemon's stderr;
        once the socket is there, later runs stream to the journal (the
        daemon asks again a second after a failed try at the earliest);
        once it has gone, the next run writes to stderr again."""
        self.journal.close()
        socket_path = os.path.join(self.run_dir, "journal", "stdout")
        os.unlink(socket_path)
        daemon = self.start_daemon_with_journal(
            "[Service ticker]\nType=timer\nExec=echo tick\nIntervalSec=0.05\n")
        harness.wait_until(lambda: len(tagged(daemon.read_log(), "ticker")) >= 3,
                           "three runs written to stderr")
        self.journal = JournalServer(socket_path)
        self.addCleanup(self.journal.close)
        harness.wait_until(lambda: any(s["identifier"] == "ticker" and s["lines"] == ["tick"]
                                       for s in self.journal.ended_streams()),
                           "a run streamed to the journal")
        self.assertIn("Command output goes to the journal", daemon.read_log())
        self.journal.close()
        os.unlink(socket_path)
        written = len(tagged(daemon.read_log(), "ticker"))
        harness.wait_until(lambda: len(tagged(daemon.read_log(), "ticker")) > written,
                           "a run written to stderr again")
        self.assertStopsWith(daemon, EXIT_OK)

    def test_timer_runs_and_instances_stream_to_the_journal(self):
        daemon = self.start_daemon_with_journal(
            "[Service ticker]\nType=timer\nExec=echo tick\nIntervalSec=0.05\n\n"
            "[Service sleepers]\nType=exec\nExec=sleep 600\nInstances=2\n")
        sleepers = wait_for_children(daemon, 2, "sleep", "600")
        for pid in sleepers:
            targets = only_standard_fds(pid)
            self.assertRegex(targets[1], r"^socket:")
            self.assertRegex(targets[2], r"^socket:")
            self.assertNotEqual(targets[1], targets[2])
            for fd in (1, 2):  # blocking, as a command expects its output to be
                self.assertFalse(fd_status_flags(pid, fd) & os.O_NONBLOCK, (pid, fd))
        harness.wait_until(lambda: len([s for s in self.journal.ended_streams()
                                        if s["identifier"] == "ticker"]) >= 6, "three runs")
        # The runs that ended on their own; the stop below may cut one short
        # before it printed anything.
        runs = [s for s in self.journal.ended_streams() if s["identifier"] == "ticker"]
        self.assertEqual(stop(self.bus, "ticker"), [])
        self.assertEqual(sorted({(s["priority"], tuple(s["lines"])) for s in runs}),
                         [(str(LOG_WARNING), ()), (str(LOG_INFO), ("tick",))])
        # The streams of running commands are theirs alone.
        streams = {fd_targets(pid)[fd] for pid in sleepers for fd in (1, 2)}
        self.assertEqual(streams & set(fd_targets(daemon.process.pid).values()), set())
        self.assertStopsWith(daemon, EXIT_OK)


class DescriptorTest(daemontest.DaemonTestCase):
    """Commands get stdin, stdout and stderr only; the daemon holds nothing
    of a command once it has ended; no descriptor left is a clear error."""

    def setUp(self):
        ensure_journal_absent(self)
        super().setUp()

    def test_commands_get_only_0_1_and_2(self):
        daemon = self.start_daemon("[Service sleepers]\nType=exec\nExec=sleep 600\nInstances=3\n")
        pipes = set()
        for pid in wait_for_children(daemon, 3, "sleep", "600"):
            targets = only_standard_fds(pid)
            self.assertRegex(targets[1], r"^pipe:")
            self.assertEqual(targets[2], targets[1], "stdout and stderr share a pipe")
            pipes.add(targets[1])
        self.assertEqual(len(pipes), 3, "a pipe for each command")
        self.assertStopsWith(daemon, EXIT_OK)

    def test_200_timer_runs_leave_no_descriptor_behind(self):
        script = daemontest.write_script(self.directory, "tick", "echo tick; echo tock >&2\n")
        daemon = self.start_daemon(f"[Service ticker]\nType=timer\nExec={script}\n"
                                   "IntervalSec=0.005\nAutoStart=false\n")
        pid = daemon.process.pid

        def runs():
            return tagged(daemon.read_log(), "ticker").count("tock")

        # A first run, so that what the first spawn sets up once is there.
        start(self.bus, "ticker")
        harness.wait_until(lambda: runs() >= 1, "a first run")
        self.assertEqual(stop(self.bus, "ticker"), [])
        baseline = fd_count(pid)
        first = runs()
        start(self.bus, "ticker")
        harness.wait_until(lambda: runs() >= first + 200, "200 runs", timeout=harness.PATIENCE * 3)
        self.assertEqual(stop(self.bus, "ticker"), [])
        harness.wait_until(lambda: fd_count(pid) == baseline,
                           f"the daemon's {baseline} descriptors (it has {fd_count(pid)})")
        print(f"{runs() - first} runs; descriptors {baseline} before, {fd_count(pid)} after")
        self.assertStopsWith(daemon, EXIT_OK)

    def test_no_descriptor_left_fails_the_start_with_a_clear_error(self):
        daemon = self.start_daemon("[Service lonely]\nType=exec\nExec=true\nAutoStart=false\n")
        pid = daemon.process.pid
        soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        used = set(fd_targets(pid))
        lowest_free = min(set(range(len(used) + 1)) - used)
        # One descriptor left: not enough for a pipe.
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (lowest_free + 1, hard))
        try:
            start(self.bus, "lonely")
            errors = wait(self.bus, "lonely")
        finally:
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
        message = self.assertOneError(errors, "instance-1", "g-io-error-quark",
                                      G_IO_ERROR_TOO_MANY_OPEN_FILES)
        # The limit as the daemon sees it (valgrind shows it one of its own).
        self.assertRegex(message, r"^Cannot open a pipe for the output of the command: Too many "
                                  r"open files \(bgserviced reached its limit of \d+ open "
                                  r"descriptors: .*; raise LimitNOFILE= of its unit\)$")
        start(self.bus, "lonely")
        self.assertEqual(wait(self.bus, "lonely"), [])
        self.assertStopsWith(daemon, EXIT_OK)


if __name__ == "__main__":
    harness.main()
