# SPDX-License-Identifier: MIT
"""ctltest.py: what the tests of bgservicectl against bgserviced share.

Each test runs the built bgservicectl ($BGSERVICECTL) as a program of its
own, against the real bgserviced on the test's private bus (harness.py),
through a pipe or under a pseudo-terminal, as root or as nobody, and checks
its exit status, standard output and standard error. The state of the
services is read back with busctl, a client bgservice did not write, so
that a test never believes the client about what the client did.

The checks are those of tests/ctl/README-integration.md; each test names
the numbers it covers.
"""

import fcntl
import json
import os
import pty
import re
import select
import signal
import socket
import struct
import subprocess
import tempfile
import termios
import threading
import time

import harness
from harness import BUS_NAME, MANAGER_IFACE, ROOT_PATH, busctl_json

# Exit statuses of bgservicectl (bgservicectl(1), EXIT STATUS).
OK = 0
TASKS_FAILED = 1
FAILURE = 2
NOT_RUNNING = 3
NO_SUCH_SERVICE = 4
NOT_FAILED = 1   # is-failed: a named service has not failed

IDLE = "idle 日本語"

# The configuration of README-integration.md, with a shorter
# TimeoutStopSec for stubborn, and "lingerer", whose stop takes a known
# time: it ends 2 s after its SIGTERM, by itself.
CONFIG = """\
[Daemon]
ControlUsers=

[Service clock]
Type=clock
IntervalSec=1

[Service sleeper]
Type=exec
Exec=sleep 1000
Instances=3
TimeoutStopSec=3

[Service failer]
Type=exec
Exec=sh -c "exit 3"
Instances=2

[Service stubborn]
Type=exec
Exec=sh -c "trap '' TERM; while :; do sleep 0.2; done"
TimeoutStopSec=2

[Service lingerer]
Type=exec
Exec=sh -c "trap 'sleep 2; exit 0' TERM; while :; do sleep 0.2; done"
TimeoutStopSec=30

[Service idle 日本語]
Type=exec
Exec=sleep 1000
AutoStart=false
"""

# What `stop failer` and `wait failer` print: one line a failed task.
FAILER_ERROR = '“sh -c "exit 3"” exited with status 3 (g-spawn-exit-error-quark 3)'
FAILER_LINES = sorted(f"failer: instance-{i}: {FAILER_ERROR}" for i in (1, 2))

# A service whose run failed and whose restart is an hour away: it stays
# "restarting" (running, no task) for the whole test, and a stop ends its
# run with its failure. Appended to CONFIG by the tests that need it.
RETRIER = """
[Service retrier]
Type=exec
Exec=sh -c "exit 6"
Restart=on-failure
RestartSec=1h
"""
RETRIER_ERROR = ('instance-1: “sh -c "exit 6"” exited with status 6 '
                 "(g-spawn-exit-error-quark 6)")
RETRIER_LINES = [f"retrier: {RETRIER_ERROR}"]

# What status prints after "state: S" when the state ever changed; see
# mask_since().
SINCE = " since …"
SINCE_PATTERN = re.compile(
    r" since (?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+; "
    r"(?:\d+ms|\d+(?:s|min|h|d)(?: \d+(?:s|min|h))?) ago$", re.MULTILINE)

# The hint that follows the first AccessDenied.
ACCESS_HINT = ("(run bgservicectl as root, with sudo for instance, or have your user or "
               "group named in ControlUsers= or ControlGroups= of the [Daemon] section of "
               "bgserviced.conf)")


def mask_since(text):
    """text with each " since DATE TIME ZONE; SPAN ago" of a status block,
    whose value changes from run to run, made SINCE; anything else, a
    malformed since-time included, stays as it is."""
    return SINCE_PATTERN.sub(SINCE, text)


def status_block(name, state, tasks, restarts=0, policy="no", errors=(), since=True):
    """The block status prints for a service, its since-time masked as
    mask_since() does (since=False: a state that never changed)."""
    lines = [name, f"  state: {state}{SINCE if since else ''}",
             f"  restarts: {restarts} (Restart={policy})", f"  tasks: {tasks}"]
    if errors:
        lines += ["  last errors:"] + [f"    {error}" for error in errors]
    else:
        lines.append("  last errors: none")
    return "\n".join(lines) + "\n"


def sorted_lines(text):
    """The lines of text, sorted: for errors, whose order the interface
    leaves open."""
    return sorted(text.splitlines())


def client_env(extra=None, drop=()):
    """The environment of the client: the test's, in a UTF-8 locale (so
    that its messages keep their quotes), no COLUMNS, NO_COLOR set (so that
    a terminal's output is plain text; test_ctl_colours.py drops it); extra
    set on top, the variables in drop removed."""
    env = dict(os.environ)
    env["LC_ALL"] = "C.UTF-8"
    env["NO_COLOR"] = "1"
    env.pop("COLUMNS", None)
    for name in drop:
        env.pop(name, None)
    env.update(extra or {})
    return env


def as_user(command, user, groups=None):
    """command run by setpriv as user (and its group), with the
    supplementary groups given (none by default)."""
    group_args = ["--clear-groups"] if not groups else [f"--groups={','.join(map(str, groups))}"]
    harness.require_root()
    return ["setpriv", f"--reuid={user}", f"--regid={harness.user_group(user)}",
            *group_args, *command]


def shorten(command, most=12):
    """command for a message: its first arguments, and how many more (a
    command may name thousands of services)."""
    if len(command) <= most:
        return command
    return command[:most] + [f"… {len(command) - most} more"]


class Result:
    """How a run of bgservicectl ended. status: the exit status, or minus
    the signal that killed it (as subprocess tells)."""

    def __init__(self, command, status, out, err, elapsed):
        self.command = command
        self.status = status
        self.out_bytes = out
        self.err_bytes = err
        self.elapsed = elapsed
        # Strict: output that is not UTF-8 fails the test here.
        self.stdout = out.decode("utf-8")
        self.stderr = err.decode("utf-8")

    def describe(self):
        return (f"{' '.join(shorten(self.command))}\n  exit status {self.status} after "
                f"{self.elapsed:.2f} s\n  stdout {self.stdout!r}\n  stderr {self.stderr!r}")


def signals_of(pid, field):
    """The set of signals in field (SigCgt, SigIgn, SigBlk) of
    /proc/PID/status; empty once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    mask = int(line.split()[1], 16)
                    return {n for n in range(1, 65) if mask & (1 << (n - 1))}
    except (FileNotFoundError, ProcessLookupError):
        pass
    return set()


def children_of(pid):
    """The live processes whose parent is pid."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                text = f.read()
        except (FileNotFoundError, ProcessLookupError):
            continue
        fields = text[text.rindex(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return sorted(found)


class CallMonitor:
    """busctl monitor, watching the method calls named member: tells when
    a call passed the bus (so a test knows a client is waiting for the
    reply, without sleeping)."""

    def __init__(self, bus, member):
        self.member = member
        self.process = subprocess.Popen(
            ["busctl", f"--address={bus.address}", "monitor", "--json=short",
             f"--match=type='method_call',member='{member}'"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.buffer = b""
        # busctl says so once it is a monitor.
        err = b""
        deadline = time.monotonic() + harness.PATIENCE
        while b"Monitoring" not in err:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.process.stderr], [], [], remaining)[0]:
                self.close()
                raise AssertionError(f"busctl monitor did not start: {err!r}")
            chunk = os.read(self.process.stderr.fileno(), 4096)
            if not chunk:
                self.close()
                raise AssertionError(f"busctl monitor exited: {err!r}")
            err += chunk

    def wait_for_call(self, path=None, timeout=harness.PATIENCE):
        """Returns the next call of member (on path, if given) that passes
        the bus; fails the test if none comes within timeout."""
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                if not line.strip():
                    continue
                message = json.loads(line)
                if message.get("member") == self.member and path in (None, message.get("path")):
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.process.stdout], [], [], remaining)[0]:
                raise AssertionError(f"no call of {self.member} passed the bus in {timeout} s")
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError(f"busctl monitor exited before a call of {self.member}")
            self.buffer += chunk

    def close(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()


def drain_notify(notify, done, ready):
    """Reads the datagrams of notify until done is set; sets ready once
    one said READY=1."""
    while not done.is_set():
        try:
            if "READY=1" in notify.receive(timeout=0.1):
                ready.set()
        except (socket.timeout, OSError):
            pass


def default_signals():
    """SIGINT and SIGTERM to their default actions, whatever the test
    runner left them as (a program started in the background by a shell
    inherits SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class Background:
    """bgservicectl running while the test goes on (through pipes).
    preexec_fn runs in the child before it executes the client, after
    default_signals()."""

    def __init__(self, command, env, preexec_fn=None):
        def prepare():
            default_signals()
            if preexec_fn is not None:
                preexec_fn()

        self.command = command
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        env=env, preexec_fn=prepare)
        self.pid = self.process.pid

    def signal(self, number):
        self.process.send_signal(number)

    def running(self):
        return self.process.poll() is None

    def finish(self, timeout=harness.PATIENCE):
        """Waits for its end; returns its Result."""
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
            raise AssertionError(f"{' '.join(self.command)} still ran after {timeout} s "
                                 f"(stdout {out!r}, stderr {err!r})")
        return Result(self.command, self.process.returncode, out, err,
                      time.monotonic() - self.started)

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()


class Terminal:
    """bgservicectl on the slave side of a pseudo-terminal of columns
    columns, as in an interactive shell: its standard input, output and
    error, and its controlling terminal, with the process in the
    foreground (so ^C written to the master sends it SIGINT)."""

    def __init__(self, command, env, columns=80):
        self.command = command
        self.started = time.monotonic()
        self.output = b""
        self.wait_status = None
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                signal.signal(signal.SIGPIPE, signal.SIG_DFL)
                default_signals()
                fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
                os.execve(command[0], command, env)
            finally:
                os._exit(127)

    def type(self, data):
        os.write(self.fd, data)

    def finish(self, timeout=harness.PATIENCE):
        """Reads everything until the program exits; returns (wait status
        as os.waitpid gives it, output with \\r\\n made \\n)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.close()
                raise AssertionError(f"{' '.join(self.command)} still ran on a terminal after "
                                     f"{timeout} s; it wrote {self.output!r}")
            if not select.select([self.fd], [], [], remaining)[0]:
                continue
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:   # EIO: the slave side is closed
                chunk = b""
            if not chunk:
                break
            self.output += chunk
        _, self.wait_status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        self.fd = None
        return self.wait_status, self.output.replace(b"\r\n", b"\n").decode("utf-8")

    def close(self):
        if self.wait_status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                _, self.wait_status = os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class CtlTestCase(harness.DBusTestCase):
    """A test with its own bus, a bgserviced on it, and bgservicectl."""

    def setUp(self):
        super().setUp()
        self.clients = []

    def tearDown(self):
        for client in self.clients:
            client.close()
        # bgserviced killed (harness.Daemon.close) would leave the
        # processes of its exec services behind: each runs in a process
        # group of its own, ended here.
        for daemon in self.daemons:
            self.kill_daemon(daemon)
        super().tearDown()

    # -- the daemon ----------------------------------------------------------

    def start_daemon(self, config=CONFIG, **kwargs):
        """bgserviced, once it told systemd READY=1: its name owned and
        its services started. What it tells is read from its start on
        and dropped, as systemd reads it: a datagram socket holds only
        net.unix.max_dgram_qlen (often 10) unread messages, and the
        daemon's sd_notify() blocks once it is full (it tells a STATUS
        for each service it adds)."""
        notify = harness.Notify(tempfile.mkdtemp(dir=self.directory))
        self.addCleanup(notify.close)
        env = dict(kwargs.pop("env", None) or {})
        env["NOTIFY_SOCKET"] = notify.path
        done = threading.Event()
        ready = threading.Event()
        drainer = threading.Thread(target=drain_notify, args=(notify, done, ready), daemon=True)
        drainer.start()
        self.addCleanup(drainer.join)
        self.addCleanup(done.set)
        daemon = super().start_daemon(config, env=env, **kwargs)
        if not ready.wait(harness.PATIENCE):
            raise AssertionError(f"no READY=1 from the daemon; it sent {notify.messages}")
        return daemon

    def start_standard_daemon(self, extra=""):
        """bgserviced with CONFIG (and extra, more services), once failer's
        tasks (started and failed at once) have ended: failer is
        failed."""
        daemon = self.start_daemon(CONFIG + extra)
        self.wait_for_state("failer", "failed")
        return daemon

    def kill_daemon(self, daemon):
        """SIGKILL to bgserviced, and to the process groups of the commands
        it had started."""
        if daemon.process.poll() is None:
            groups = children_of(daemon.process.pid)
            daemon.process.kill()
            daemon.process.wait()
            for group in groups:
                try:
                    os.killpg(group, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    # -- the services, read with busctl ------------------------------------

    def services(self, bus_name=BUS_NAME):
        """ListServices as {name: (is_running, n_tasks)}."""
        services = busctl_json(self.bus, "call", bus_name, ROOT_PATH, MANAGER_IFACE,
                               "ListServices")[0]
        return {name: (running, n_tasks) for name, running, n_tasks, _ in services}

    def state(self, name):
        return harness.get_property(self.bus, harness.service_path(self.bus, name), "State")

    def wait_for_state(self, name, state):
        harness.wait_until(lambda: self.state(name) == state, f"{name} to be {state}")

    def wait_for_task_pids(self, daemon, command, count):
        """Polls until count processes of daemon run command (they may be
        between fork and exec); returns them."""
        return harness.wait_until(
            lambda: len(pids := self.task_pids(daemon, command)) == count and pids,
            f"{count} processes running {command}")

    def task_pids(self, daemon, command):
        """The processes of daemon that run command (argv as a list)."""
        found = []
        for pid in children_of(daemon.process.pid):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = [part.decode() for part in f.read().split(b"\0") if part]
            except (FileNotFoundError, ProcessLookupError):
                continue
            if argv == command:
                found.append(pid)
        return sorted(found)

    # -- the client ----------------------------------------------------------

    def ctl_command(self, args, user=None, groups=None, address=True):
        command = [harness.program("BGSERVICECTL")]
        if address:
            command.append(f"--address={self.bus.address}")
        command += list(args)
        if user is not None:
            command = as_user(command, user, groups)
        return command

    def ctl(self, *args, user=None, groups=None, env=None, drop_env=(), address=True,
            timeout=harness.PATIENCE):
        """Runs bgservicectl with args, through pipes; returns its Result.
        Bytes in args pass as they are."""
        command = self.ctl_command(args, user, groups, address)
        started = time.monotonic()
        try:
            completed = subprocess.run(command, capture_output=True, timeout=timeout,
                                       env=client_env(env, drop_env))
        except subprocess.TimeoutExpired as error:
            raise AssertionError(f"{shorten(command)} still ran after {timeout} s "
                                 f"(stdout {error.stdout!r}, stderr {error.stderr!r})")
        return Result([os.fsdecode(part) for part in command], completed.returncode,
                      completed.stdout, completed.stderr, time.monotonic() - started)

    def ctl_background(self, *args, user=None, env=None, preexec_fn=None):
        command = self.ctl_command(args, user)
        client = Background(command, client_env(env), preexec_fn)
        self.clients.append(client)
        return client

    def ctl_terminal(self, *args, columns=80, env=None):
        command = self.ctl_command(args)
        terminal = Terminal(command, client_env(env), columns)
        self.clients.append(terminal)
        return terminal

    def ctl_tty(self, *args, columns=80):
        """Runs bgservicectl on a terminal to its end; returns (exit
        status, output)."""
        wait_status, output = self.ctl_terminal(*args, columns=columns).finish()
        return os.waitstatus_to_exitcode(wait_status), output

    def monitor(self, member):
        monitor = CallMonitor(self.bus, member)
        self.addCleanup(monitor.close)
        return monitor

    def wait_catching(self, pid, number):
        """Polls until process pid catches signal number (bgservicectl
        catches SIGINT and SIGTERM only while it waits for replies)."""
        harness.wait_until(lambda: number in signals_of(pid, "SigCgt"),
                           f"process {pid} to catch signal {number}")

    def properties(self, name):
        """Every property of service name, read with busctl, as
        {name: value}."""
        path = harness.service_path(self.bus, name)
        found = busctl_json(self.bus, "call", BUS_NAME, path, "org.freedesktop.DBus.Properties",
                            "GetAll", "s", harness.SERVICE_IFACE)[0]
        return {key: value["data"] for key, value in found.items()}

    def assertStatus(self, result, status, stdout):
        """A status run ended with status, printed stdout (its since-times
        masked, see mask_since()) and nothing on stderr."""
        self.assertEqual(result.status, status, result.describe())
        self.assertEqual(mask_since(result.stdout), stdout, result.describe())
        self.assertEqual(result.stderr, "", result.describe())

    def assertResult(self, result, status, stdout=None, stderr=None):
        """result ended with status; stdout and stderr, unless None, are
        exactly those."""
        self.assertEqual(result.status, status, result.describe())
        if stdout is not None:
            self.assertEqual(result.stdout, stdout, result.describe())
        if stderr is not None:
            self.assertEqual(result.stderr, stderr, result.describe())
