# SPDX-License-Identifier: MIT
"""daemontest.py: what the tests of bgserviced share.

bgserviced run to its end, its services over busctl, the processes it
started (read from /proc), the signals it emits (received with GDBus, a
client bgservice did not write) and the datagrams it sends to a real
NOTIFY_SOCKET. Nothing here stands in for a part of the product.
"""

import os
import re
import signal
import socket
import subprocess
import time
import warnings

import harness
from harness import BUS_NAME, MANAGER_IFACE, ROOT_PATH, SERVICE_IFACE, busctl, busctl_json

# The domain and code of a cancellation, which must never travel as an error.
CANCELLED = ("g-io-error-quark", 19)
EXIT_ERROR_DOMAIN = "g-spawn-exit-error-quark"

# Exit statuses of bgserviced (bgserviced(8), EXIT STATUS).
EXIT_OK = 0
EXIT_TASKS_FAILED = 1
EXIT_USAGE = 2
EXIT_CONFIG = 78


# ---- bgserviced run to its end ---------------------------------------------

def run_bgserviced(*args, env=None, timeout=harness.PATIENCE):
    """Runs bgserviced with args until it exits; returns the CompletedProcess
    (text). A daemon still running after timeout fails the test: every
    caller expects it to exit by itself."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    command = [harness.program("BGSERVICED"), *args]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              env=full_env)
    except subprocess.TimeoutExpired as error:
        raise AssertionError(f"{' '.join(command)} still ran after {timeout} s "
                             f"(stdout {error.stdout!r}, stderr {error.stderr!r})")


def write_file(directory, name, text, mode=0o644):
    """Writes text to directory/name with mode; returns the path."""
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def write_script(directory, name, body):
    """An executable /bin/sh script; returns its path."""
    return write_file(directory, name, "#!/bin/sh\n" + body, 0o755)


def lines(text):
    return [line for line in text.splitlines() if line.strip()]


# ---- services over the bus ---------------------------------------------------

def list_services(bus):
    """ListServices as {name: (is_running, n_tasks, path)}."""
    services = busctl_json(bus, "call", BUS_NAME, ROOT_PATH, MANAGER_IFACE, "ListServices")[0]
    return {name: (running, n_tasks, path) for name, running, n_tasks, path in services}


def service_call(bus, name, method, *signature_and_args, **kwargs):
    """Calls a method of org.bgservice1.Service on service name; returns
    the decoded reply (a list)."""
    path = harness.service_path(bus, name)
    return busctl_json(bus, "call", BUS_NAME, path, SERVICE_IFACE, method,
                       *signature_and_args, **kwargs)


def start(bus, name):
    path = harness.service_path(bus, name)
    busctl(bus, "call", BUS_NAME, path, SERVICE_IFACE, "Start")


def reset_failed(bus, name, **kwargs):
    """Service.ResetFailed (no reply arguments); returns busctl's
    CompletedProcess (with check=False, to look at a refusal)."""
    path = harness.service_path(bus, name)
    return busctl(bus, "call", BUS_NAME, path, SERVICE_IFACE, "ResetFailed", **kwargs)


def stop(bus, name, message="stopped by the test"):
    """Service.Stop; returns its errors, as [task, domain, code, message] lists."""
    return service_call(bus, name, "Stop", "s", message)[0]


def wait(bus, name, timeout=harness.PATIENCE):
    """Service.Wait (it replies when no task remains); returns its errors."""
    path = harness.service_path(bus, name)
    return busctl_json(bus, f"--timeout={int(timeout)}", "call", BUS_NAME, path,
                       SERVICE_IFACE, "Wait", timeout=timeout + 5)[0]


def is_running(bus, name):
    return list_services(bus)[name][0]


def get_state(bus, name):
    """The State property: "stopped", "running", "stopping", "restarting"
    or "failed"."""
    return harness.get_property(bus, harness.service_path(bus, name), "State")


# ---- processes ---------------------------------------------------------------

def process_stat(pid):
    """(state, ppid, pgrp) of a process, or None once it has gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[2])


def alive(pid):
    """True while pid runs; a zombie has ended (nobody here reaps orphans
    that init inherits, so they may linger as zombies)."""
    info = process_stat(pid)
    return info is not None and info[0] != "Z"


def describe_process(pid):
    """pid, its state, parent, group and command line, for a message."""
    info = process_stat(pid)
    if info is None:
        return f"{pid} (gone)"
    state, parent, group = info
    return f"{pid} (state {state}, parent {parent}, group {group}: {' '.join(cmdline(pid))})"


def all_pids():
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def live_children(pid):
    """The PIDs of the live processes whose parent is pid."""
    found = []
    for child in all_pids():
        info = process_stat(child)
        if info is not None and info[1] == pid and info[0] != "Z":
            found.append(child)
    return sorted(found)


def group_members(pgid):
    """The PIDs of the live processes of process group pgid."""
    found = []
    for pid in all_pids():
        info = process_stat(pid)
        if info is not None and info[2] == pgid and info[0] != "Z":
            found.append(pid)
    return sorted(found)


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [part.decode() for part in f.read().split(b"\0") if part]
    except (FileNotFoundError, ProcessLookupError):
        return []


def commands_of(daemon, *argv):
    """The live children of the daemon running exactly argv."""
    return [pid for pid in live_children(daemon.process.pid) if cmdline(pid) == list(argv)]


def processes_running(*argv):
    """The live processes, anyone's, running exactly argv: commands found
    wherever they ended up once their parent died."""
    return [pid for pid in all_pids() if cmdline(pid) == list(argv) and alive(pid)]


def kill_all(pids):
    """SIGKILL to each of pids that still runs."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def signal_set(pid, field):
    """The signals of field of /proc/pid/status ("SigIgn": ignored,
    "SigCgt": caught), as numbers; empty once pid has gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    mask = int(line.split()[1], 16)
                    return {n for n in range(1, 65) if mask & (1 << (n - 1))}
    except OSError:
        pass
    return set()


def wait_handling(pids, number, field="SigIgn"):
    """Polls until every process of pids lists signal number in field: a
    shell has run its trap (`trap '' SIG` for SigIgn, `trap CMD SIG` for
    SigCgt) and from then on meets the signal the way the test wants."""
    harness.wait_until(lambda: all(number in signal_set(pid, field) for pid in pids),
                       f"{pids} to have signal {number} in {field}")


def wait_for_children(daemon, count, *argv, what=None):
    """Polls until the daemon has count live children running argv."""
    return harness.wait_until(lambda: (pids := commands_of(daemon, *argv)) and len(pids) == count
                              and pids,
                              what or f"{count} × {' '.join(argv)} under bgserviced")


# ---- notify ------------------------------------------------------------------

def collect(notify, seconds):
    """Every line the daemon sends within seconds from now."""
    received = []
    deadline = time.monotonic() + seconds
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return received
        try:
            received.extend(notify.receive(remaining))
        except socket.timeout:
            return received


def collect_timed(notify, seconds):
    """Every datagram within seconds from now, as (monotonic time, lines)."""
    received = []
    deadline = time.monotonic() + seconds
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return received
        try:
            got = notify.receive(remaining)
        except socket.timeout:
            return received
        received.append((time.monotonic(), got))


class Frozen:
    """with Frozen(daemon): the daemon is stopped (SIGSTOP) inside the block,
    so that what it had done at a moment can be looked at before it does
    more; the bus daemon and /proc still answer."""

    def __init__(self, daemon):
        self.pid = daemon.process.pid

    def __enter__(self):
        os.kill(self.pid, signal.SIGSTOP)
        return self

    def __exit__(self, *exception):
        os.kill(self.pid, signal.SIGCONT)
        return False


# ---- signals -----------------------------------------------------------------

class SignalRecorder:
    """Records a signal of the bus with GDBus, on a main context of its own.
    Subscribed when constructed: the bus has answered a call made after the
    match rule, so every later emission reaches it."""

    def __init__(self, bus, interface, member, path=None):
        with warnings.catch_warnings():
            # PyGObject's importer predates Python 3.10's exec_module().
            warnings.simplefilter("ignore", ImportWarning)
            import gi
            gi.require_version("Gio", "2.0")
            from gi.repository import Gio, GLib

        self.signals = []
        self.context = GLib.MainContext.new()
        self.context.push_thread_default()
        try:
            flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
                     | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
            self.connection = Gio.DBusConnection.new_for_address_sync(bus.address, flags, None, None)
            self.subscription = self.connection.signal_subscribe(
                None, interface, member, path, None, Gio.DBusSignalFlags.NONE, self._on_signal)
        finally:
            self.context.pop_thread_default()
        self.connection.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                  "org.freedesktop.DBus", "GetId", None, None,
                                  Gio.DBusCallFlags.NONE, -1, None)

    def _on_signal(self, connection, sender, path, interface, member, parameters, *user_data):
        self.signals.append((path, parameters.unpack()))

    def poll(self):
        while self.context.iteration(False):
            pass
        return self.signals

    def wait_for(self, count, timeout=harness.PATIENCE):
        harness.wait_until(lambda: len(self.poll()) >= count,
                           f"{count} signal(s); got {self.signals}", timeout=timeout)
        return self.signals

    def close(self):
        """Unsubscribes and closes; the bus may have gone first."""
        from gi.repository import GLib

        self.connection.signal_unsubscribe(self.subscription)
        try:
            self.connection.close_sync(None)
        except GLib.Error:
            pass


# ---- test cases --------------------------------------------------------------

class DaemonTestCase(harness.DBusTestCase):
    """A DBusTestCase with the checks the daemon tests share. A test that
    fails with its daemon running leaves no command behind: the process
    groups of the daemon's children are killed with it."""

    def tearDown(self):
        groups = set()
        for daemon in self.daemons:
            if daemon.process.poll() is None:
                for pid in live_children(daemon.process.pid):
                    info = process_stat(pid)
                    if info is not None:
                        groups.add(info[2])
        logs = []
        try:
            for daemon in self.daemons:
                daemon.close()
                with open(daemon.log_path) as f:
                    logs.append(f.read())
            super().tearDown()
        finally:
            for pgid in groups:
                if pgid > 1 and pgid != os.getpgid(0):
                    try:
                        os.killpg(pgid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        for log in logs:
            self.assertNoSanitizerReport(log)

    def assertNoSanitizerReport(self, log):
        """In a sanitizer build, a report fails the test even when the
        daemon went on (UBSan does by default)."""
        for mark in ("runtime error:", "AddressSanitizer", "LeakSanitizer"):
            self.assertNotIn(mark, log)

    def start_with_notify(self, config, env=None, **kwargs):
        """bgserviced with a NOTIFY_SOCKET; returns (daemon, notify), READY=1
        not yet read."""
        notify = harness.Notify(self.directory)
        self.addCleanup(notify.close)
        full_env = {"NOTIFY_SOCKET": notify.path}
        full_env.update(env or {})
        daemon = self.start_daemon(config, env=full_env, wait_ready=False, **kwargs)
        return daemon, notify

    def assertStopsWith(self, daemon, status):
        self.assertEqual(daemon.stop(), status, daemon.read_log())

    def assertOneError(self, errors, task, domain, code=None):
        """errors (a(ssis)) holds exactly one error, of task in domain
        (and code); returns its message."""
        self.assertEqual(len(errors), 1, errors)
        name, error_domain, error_code, message = errors[0]
        self.assertEqual(name, task, errors)
        self.assertEqual(error_domain, domain, errors)
        if code is not None:
            self.assertEqual(error_code, code, errors)
        self.assertNotEqual((error_domain, error_code), CANCELLED, errors)
        return message

    def assertGone(self, pids, what):
        harness.wait_until(lambda: not any(alive(pid) for pid in pids),
                           lambda: f"{what} ({pids}) to end; still alive: "
                                   f"{[describe_process(pid) for pid in pids if alive(pid)]}")

    def assertLogMatches(self, daemon, pattern, what):
        harness.wait_until(lambda: re.search(pattern, daemon.read_log(), re.MULTILINE),
                           f"{what} in the log of bgserviced")
