# SPDX-License-Identifier: MIT
"""harness.py: real parts for the D-Bus tests of bgservice.

Every test gets its own dbus-daemon (a private configuration written to a
temporary folder), runs the real bgserviced (or the C test host) on it,
and talks to it with clients bgservice did not write: busctl, GDBus
(python3-gi) and python3-dbus. Nothing here is a stand-in for a part of
the product.

Paths of the built programs come from the environment meson sets:
BGSERVICED, BGSERVICECTL, BGS_TEST_HOST, BGS_HELLO_MODULE, BGS_DATA_DIR,
BGS_CONFIG_EXAMPLE.
"""

import atexit
import grp
import json
import os
import re
import select
import signal
import socket
import subprocess
import shutil
import tempfile
import textwrap
import time
import unittest

BUS_NAME = "org.bgservice1"
ROOT_PATH = "/org/bgservice1"
MANAGER_IFACE = "org.bgservice1.Manager"
SERVICE_IFACE = "org.bgservice1.Service"

# How long a test waits for something that should happen at once.
PATIENCE = float(os.environ.get("BGS_TEST_PATIENCE", "20"))
# How long a program left running at the end of a test gets to exit after
# SIGTERM (a stubborn command may hold it up to its TimeoutStopSec=).
END_GRACE = float(os.environ.get("BGS_TEST_END_GRACE", "5"))


def under_valgrind(command, log_path):
    """The command, wrapped in valgrind's memcheck when BGS_UNDER_VALGRIND
    is set (meson test --setup=valgrinddaemon); check with
    valgrind_problems(log_path) once the process has exited."""
    if not os.environ.get("BGS_UNDER_VALGRIND"):
        return command
    suppressions = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "valgrind.supp")
    return ["valgrind", "--leak-check=full", "--show-leak-kinds=definite",
            "--errors-for-leak-kinds=definite", "--track-origins=yes",
            f"--suppressions={suppressions}", f"--log-file={log_path}", *command]


def valgrind_problems(log_path):
    """What memcheck reported for a process run by under_valgrind(): an
    empty string when it found nothing (or did not run)."""
    if not os.environ.get("BGS_UNDER_VALGRIND") or not os.path.exists(log_path):
        return ""
    with open(log_path) as f:
        report = f.read()
    # No summary: the program ran something valgrind does not follow
    # (setpriv, to run as another user) or was killed; nothing to judge.
    summary = re.search(r"ERROR SUMMARY: (\d+) errors", report)
    return report if summary is not None and int(summary.group(1)) > 0 else ""


def child_process_groups(pid):
    """The process groups of the direct children of pid: what bgserviced
    started (each exec instance leads its own group)."""
    groups = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            groups.add(int(fields[2]))
    groups.discard(os.getpgrp())
    return groups


def end_process(process, log=None):
    """SIGTERM, a while to exit, then SIGKILL; when it had to be killed,
    what it started is killed too, so no command outlives a test."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=END_GRACE)
        except subprocess.TimeoutExpired:
            groups = child_process_groups(process.pid)
            process.kill()
            process.wait()
            for group in groups:
                try:
                    os.killpg(group, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def readable_by_all(path):
    """A copy of the file at path that any user can read, for scripts a
    test runs as another user: the source tree may sit in a private folder
    (a checkout in a mktemp -d folder is mode 700). The copies go to a
    folder removed when the test program exits."""
    global _shared_folder
    if _shared_folder is None:
        _shared_folder = tempfile.mkdtemp(prefix="bgs-shared-")
        os.chmod(_shared_folder, 0o755)
        atexit.register(shutil.rmtree, _shared_folder, ignore_errors=True)
    copy = os.path.join(_shared_folder, os.path.basename(path))
    shutil.copyfile(path, copy)
    os.chmod(copy, 0o644)
    return copy


_shared_folder = None


def library_for_others():
    """LD_LIBRARY_PATH under which another user loads libbgservice-1 from a
    readable copy (see readable_by_all()), wherever the build tree is."""
    daemon = program("BGSERVICED")
    library = readable_by_all(os.path.join(os.path.dirname(daemon), "..", "libbgservice-1.so.0"))
    return os.path.dirname(library)


def program(variable):
    path = os.environ.get(variable)
    if not path:
        raise unittest.SkipTest(f"{variable} is not set; run the tests with meson test")
    return path


def wait_until(condition, what, timeout=PATIENCE, interval=0.02):
    """Polls condition() until it is true; fails the test after timeout.
    what says what was awaited; a callable is asked only then, so that it
    can tell what the state was at the end."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for "
                                 f"{what() if callable(what) else what}")
        time.sleep(interval)


SESSION_CONFIG = """\
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
"""


def bus_limits(**limits):
    """dbus-daemon's <limit> elements, name=value, such as
    max_replies_per_connection=128: configuration for Bus's extra."""
    return "".join(f'  <limit name="{name}">{value}</limit>\n' for name, value in limits.items())


def bus_config_with_limits(**limits):
    """SESSION_CONFIG with dbus-daemon's <limit>s set, for a test that must
    meet the limits of bgservice rather than those of the bus."""
    return SESSION_CONFIG.replace("</busconfig>", bus_limits(**limits) + "</busconfig>")


class Bus:
    """A private dbus-daemon, open to every user of the machine (so that a
    client run as nobody reaches it and meets the daemon's own access
    checks). extra: more of its configuration, XML put at the end of the
    <busconfig> element, such as limits
    (<limit name="max_replies_per_connection">128</limit>) or policies."""

    def __init__(self, directory, config=SESSION_CONFIG, extra=""):
        self.directory = directory
        self.socket = os.path.join(directory, "bus")
        config_path = os.path.join(directory, "bus.conf")
        text = config.format(socket=self.socket)
        text = text.replace("</busconfig>", f"{extra}\n</busconfig>")
        with open(config_path, "w") as f:
            f.write(text)
        os.chmod(directory, 0o755)
        self.process = subprocess.Popen(
            ["dbus-daemon", "--config-file", config_path, "--nofork", "--print-address"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.address = self.process.stdout.readline().strip()
        if not self.address:
            self.close()
            raise RuntimeError("dbus-daemon did not start")
        os.chmod(self.socket, 0o777)

    def close(self):
        """Ends dbus-daemon; closing it again, or once it died, does
        nothing."""
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=PATIENCE)
        self.process.stdout.close()


class Notify:
    """A real sd_notify socket: an AF_UNIX datagram socket, as systemd
    makes one, whose path goes in NOTIFY_SOCKET."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify")
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(self.path)
        self.messages = []

    def receive(self, timeout=PATIENCE):
        """Every datagram that arrives within timeout, until one comes;
        returns the new lines (KEY=VALUE)."""
        self.socket.settimeout(timeout)
        data = self.socket.recv(4096).decode()
        lines = [line for line in data.split("\n") if line]
        self.messages.extend(lines)
        return lines

    def wait_for(self, line, timeout=PATIENCE):
        """Receives until a datagram holds line; returns every line seen
        meanwhile, that one included."""
        seen = []
        deadline = time.monotonic() + timeout
        while line not in seen:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {line} from the daemon; it sent {self.messages}")
            try:
                seen.extend(self.receive(remaining))
            except socket.timeout:
                raise AssertionError(f"no {line} from the daemon; it sent {self.messages}")
        return seen

    def close(self):
        self.socket.close()


class Program:
    """A program of the product run by a test (bgserviced, the test host):
    its process, its log, and what valgrind said of it. Subclasses set
    process, log, log_path, valgrind_log and name."""

    def signal(self, number):
        self.process.send_signal(number)

    def stop(self, timeout=PATIENCE):
        """SIGTERM, then the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def wait(self, timeout=PATIENCE):
        try:
            return self.process.wait(timeout=timeout)
        finally:
            if not self.log.closed:
                self.log.flush()

    def read_log(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def close(self):
        """Ends the program (SIGTERM first); fails when valgrind, if it ran
        the program, found errors or leaks. Once only: closing it again
        does nothing."""
        if getattr(self, "closed", False):
            return
        self.closed = True
        end_process(self.process)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.log.close()
        problems = valgrind_problems(self.valgrind_log)
        if problems:
            raise AssertionError(f"valgrind on {self.name}:\n{problems}")


class Daemon(Program):
    """bgserviced on a Bus, with a configuration file of the test's own."""

    name = "bgserviced"

    def __init__(self, bus, directory, config, args=(), env=None, wait_ready=True,
                 name=BUS_NAME, wrapper=()):
        """config None: no --config, the daemon picks its default. name:
        the bus name that wait_ready waits for. wrapper: a command that
        executes the daemon's command line in its own process (prlimit ...),
        so that the PID stays the daemon's."""
        self.config_path = os.path.join(directory, "bgserviced.conf")
        config_args = []
        if config is not None:
            with open(self.config_path, "w") as f:
                f.write(textwrap.dedent(config))
            config_args = [f"--config={self.config_path}"]
        self.log_path = os.path.join(directory, "bgserviced.log")
        self.log = open(self.log_path, "w")
        self.valgrind_log = os.path.join(directory, f"valgrind-bgserviced-{id(self)}.log")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.process = subprocess.Popen(
            [*wrapper, *under_valgrind([program("BGSERVICED"), f"--address={bus.address}",
                                        *config_args, "--verbose", *args], self.valgrind_log)],
            stdout=self.log, stderr=subprocess.STDOUT, env=full_env)
        self.bus = bus
        if wait_ready:
            try:
                wait_until(lambda: self.process.poll() is not None or name_has_owner(bus, name),
                           "bgserviced to own its name")
            except AssertionError:
                self.close()
                raise
            if self.process.poll() is not None:
                log = self.read_log()
                self.close()
                raise AssertionError(f"bgserviced exited with {self.process.returncode}:\n"
                                     + log)

    def rewrite_config(self, config):
        with open(self.config_path, "w") as f:
            f.write(textwrap.dedent(config))



def require_root(why="running a program as another user"):
    """Skips the test unless it runs as root, which setpriv needs to run a
    client or the daemon as another user (CI runs as root)."""
    if os.geteuid() != 0:
        raise unittest.SkipTest(f"{why} needs root")


def temporary_group(test, members=()):
    """A group added to the user database for test (groupadd, as root),
    listing members (user names) as its members; groupdel removes it when
    the test ends. Returns (name, gid)."""
    require_root("adding a group to the user database")
    global _groups_added
    _groups_added += 1
    name = f"bgs-test-{os.getpid()}-{_groups_added}"
    command = ["groupadd", "--system", name]
    if members:
        command[2:2] = ["--users", ",".join(members)]
    subprocess.run(command, check=True, capture_output=True, text=True)
    test.addCleanup(subprocess.run, ["groupdel", name], capture_output=True)
    return name, grp.getgrnam(name).gr_gid


def add_group_member(group, user):
    """Lists user as a member of group in the user database."""
    subprocess.run(["gpasswd", "--add", user, group], check=True, capture_output=True)


_groups_added = 0


def busctl(bus, *args, check=True, user=None, timeout=PATIENCE):
    """Runs busctl on the bus; returns the CompletedProcess. With user,
    runs it as that user with setpriv (the test runs as root)."""
    command = ["busctl", f"--address={bus.address}", *args]
    if user is not None:
        require_root()
        command = ["setpriv", f"--reuid={user}", f"--regid={user_group(user)}",
                   "--clear-groups", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr}")
    return result


def busctl_json(bus, *args, **kwargs):
    """busctl --json=short; returns the decoded "data"."""
    result = busctl(bus, "--json=short", *args, **kwargs)
    return json.loads(result.stdout)["data"]


def user_group(user):
    return "nogroup" if user == "nobody" else user


def name_has_owner(bus, name):
    result = subprocess.run(
        ["busctl", f"--address={bus.address}", "--json=short", "call",
         "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
         "NameHasOwner", "s", name],
        capture_output=True, text=True)
    return result.returncode == 0 and json.loads(result.stdout)["data"][0]


def service_path(bus, name):
    return busctl_json(bus, "call", BUS_NAME, ROOT_PATH, MANAGER_IFACE, "GetService", "s", name)[0]


def get_property(bus, path, name, iface=SERVICE_IFACE):
    return busctl_json(bus, "get-property", BUS_NAME, path, iface, name)


class DBusTestCase(unittest.TestCase):
    """A test with its own folder and bus; start_daemon() runs bgserviced.

    What setUp() starts is also ended by cleanups (addCleanup), which run
    even when setUp() fails after starting the bus, a daemon or the test
    host, when tearDown() does not: nothing a test started outlives it.
    Each cleanup does nothing when tearDown() did its work already.
    bus_config is the configuration of the test's dbus-daemon, bus_extra
    more of it (see Bus)."""

    bus_config = SESSION_CONFIG
    bus_extra = ""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="bgs-test-")
        self.addCleanup(self.tmp.cleanup)
        self.directory = self.tmp.name
        self.bus = Bus(self.directory, self.bus_config, extra=self.bus_extra)
        self.addCleanup(self.bus.close)
        self.daemons = []
        self.addCleanup(self.close_programs)

    def close_programs(self):
        """Ends every program of self.daemons (bgserviced, the test host)."""
        for daemon in self.daemons:
            daemon.close()

    def tearDown(self):
        self.close_programs()
        self.bus.close()
        self.tmp.cleanup()

    def start_daemon(self, config, **kwargs):
        daemon = Daemon(self.bus, self.directory, config, **kwargs)
        self.daemons.append(daemon)
        return daemon


class TestHost(Program):
    """bgs-test-host (BGS_TEST_HOST) on a Bus: services only code can make
    ("many", "failing", "slow", idle ones named by --service), exported by
    the real library. Ready once it printed READY."""

    name = "bgs-test-host"
    started = 0

    def __init__(self, bus, directory, args=(), env=None):
        TestHost.started += 1
        self.log_path = os.path.join(directory, f"bgs-test-host-{TestHost.started}.log")
        self.log = open(self.log_path, "w")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.valgrind_log = os.path.join(directory, f"valgrind-test-host-{TestHost.started}.log")
        self.process = subprocess.Popen(
            under_valgrind([program("BGS_TEST_HOST"), f"--address={bus.address}", *args],
                           self.valgrind_log),
            stdout=subprocess.PIPE, stderr=self.log, env=full_env, text=True)
        self.bus = bus
        readable = select.select([self.process.stdout], [], [], PATIENCE)[0]
        line = self.process.stdout.readline() if readable else ""
        if line.strip() != "READY":
            self.close()
            with open(self.log_path) as f:
                raise AssertionError(f"bgs-test-host did not print READY (got {line!r}):\n"
                                     + f.read())



def main():
    unittest.main(verbosity=2)
