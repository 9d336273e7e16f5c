# SPDX-License-Identifier: MIT
"""bgservicectl -H against a real sshd, -M to a machine that is not there,
and --user for --session.

The "remote host" is OpenSSH's sshd, started by the test on 127.0.0.1 on a
free port with a host key, a user key and a configuration of the test's
own, in the test's temporary folder. The systemd-stdio-bridge that
bgservicectl -H runs through ssh reaches the test's private bus, where
the test's bgserviced runs: the same daemon the test also drives locally
with --address, so each answer over SSH is compared with the local one.

sshd runs as root (to log in as root) in a mount namespace of its own
where /run is a folder of the test, so nothing outside the test's folder
changes: it holds sshd's privilege separation folder, /run/sshd (which
may not exist on this machine), and /run/dbus/system_bus_socket, a link
to the test's bus: systemd 252's bridge connects there whatever
DBUS_SYSTEM_BUS_ADDRESS says. Later bridges read that variable; sshd's
SetEnv sets it to the same bus.

OpenSSH's client reads its configuration from the home folder that the
password database gives, never from $HOME: the test puts an "ssh" first
in PATH (sd-bus runs ssh from PATH) that runs OpenSSH's with -F and the
test's client configuration (key, known hosts, batch mode). bgservicectl
itself runs as it does for a user.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
import unittest

import ctltest
import harness
from ctltest import FAILURE, NO_SUCH_SERVICE, NOT_RUNNING, OK, TASKS_FAILED

# A name of the test's ssh configuration for 127.0.0.1 and the port of its
# sshd, and the name its host key is known under, whatever the host is
# called.
HOST_ALIAS = "bgs-remote"
HOST_KEY_ALIAS = "bgs-test-sshd"

# How long bgservicectl may take to say that a host cannot be reached
# where ssh fails at once (a refused port, an unknown name).
QUICKLY = 5

OTHER = "org.example.Other"
NOT_A_BUS = "unix:path=/nonexistent/bus"


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keygen(path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bgs-test",
                    "-f", path], check=True)


class SSHServer:
    """sshd on 127.0.0.1:port, its files in directory, letting in as root
    whoever holds the private half of user_key (a public key file); bus
    (a harness.Bus, or None for none) is the system bus of its sessions.
    Ready once it listens."""

    def __init__(self, directory, user_key, bus):
        self.directory = directory
        os.mkdir(directory)
        self.host_key = os.path.join(directory, "host_key")
        keygen(self.host_key)
        shutil.copyfile(user_key, os.path.join(directory, "authorized_keys"))
        # /run for sshd: its privilege separation folder, owned by root
        # and writable by root only, as sshd demands.
        run = os.path.join(directory, "run")
        os.makedirs(os.path.join(run, "sshd"))
        os.mkdir(os.path.join(run, "dbus"))
        if bus is not None:
            os.symlink(bus.socket, os.path.join(run, "dbus", "system_bus_socket"))
        # The sessions' home: the shell that runs the bridge (bash
        # reads ~/.bashrc when sshd runs it) reads no startup file of
        # this machine's root.
        home = os.path.join(directory, "home")
        os.mkdir(home)
        self.port = free_port()
        config = os.path.join(directory, "sshd_config")
        with open(config, "w") as f:
            f.write(f"""\
ListenAddress 127.0.0.1
Port {self.port}
HostKey {self.host_key}
AuthorizedKeysFile {directory}/authorized_keys
PidFile {directory}/sshd.pid
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
SetEnv HOME={home} DBUS_SYSTEM_BUS_ADDRESS={bus.address if bus is not None else NOT_A_BUS}
""")
        self.log_path = os.path.join(directory, "sshd.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "--",
             "sh", "-c", 'mount --bind "$1" /run && exec "$2" -D -e -f "$3"', "sh",
             run, shutil.which("sshd", path="/usr/sbin:/usr/bin"), config],
            stdout=self.log, stderr=subprocess.STDOUT)
        harness.wait_until(lambda: self.process.poll() is not None or self.listening(),
                           f"sshd to listen on port {self.port}")
        if self.process.poll() is not None:
            raise AssertionError(f"sshd exited with {self.process.returncode}:\n"
                                 + self.read_log())

    def listening(self):
        with open(self.log_path) as f:
            return f"Server listening on 127.0.0.1 port {self.port}." in f.read()

    def read_log(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def close(self):
        harness.end_process(self.process)
        self.log.close()


class SSHClient:
    """OpenSSH's client set up for an SSHServer: a user key, a
    configuration, the server's host key as the one known, and the "ssh"
    that uses them, in a folder to put first in PATH. Make the user key
    (keygen(user_key)) before the server."""

    def __init__(self, directory, user_key, server):
        self.known_hosts = os.path.join(directory, "known_hosts")
        self.trust(server)
        config = os.path.join(directory, "ssh_config")
        with open(config, "w") as f:
            f.write(f"""\
Host {HOST_ALIAS}
  HostName 127.0.0.1
  Port {server.port}
  User root
Host *
  IdentityFile {user_key}
  IdentitiesOnly yes
  HostKeyAlias {HOST_KEY_ALIAS}
  UserKnownHostsFile {self.known_hosts}
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 10
""")
        self.bin = os.path.join(directory, "bin")
        os.mkdir(self.bin)
        wrapper = os.path.join(self.bin, "ssh")
        with open(wrapper, "w") as f:
            f.write(f'#!/bin/sh\nexec {shutil.which("ssh")} -F {config} "$@"\n')
        os.chmod(wrapper, 0o755)
        self.env = {"PATH": f"{self.bin}:{os.environ.get('PATH', '/usr/bin:/bin')}"}

    def trust(self, server):
        """Adds the host key of server to the known ones."""
        with open(server.host_key + ".pub") as f:
            kind, key = f.read().split()[:2]
        with open(self.known_hosts, "a") as f:
            f.write(f"{HOST_KEY_ALIAS} {kind} {key}\n")


def assert_same_result(test, result, expected):
    """Two runs of bgservicectl ended the same way, with the same output
    (status's since-times masked)."""
    both = result.describe() + "\n" + expected.describe()
    test.assertEqual(result.status, expected.status, both)
    test.assertEqual(ctltest.mask_since(result.stdout), ctltest.mask_since(expected.stdout), both)
    test.assertEqual(result.stderr, expected.stderr, both)


def require_sshd():
    """Skips the test where sshd cannot run: not installed, or no root
    (sshd logs in as root, and only root has a mount namespace for it)."""
    harness.require_root("starting sshd, which logs in as root,")
    for program in ("sshd", "ssh", "ssh-keygen", "systemd-stdio-bridge", "unshare"):
        if shutil.which(program, path=f"/usr/sbin:{os.environ.get('PATH', '')}") is None:
            raise unittest.SkipTest(f"{program} is not installed "
                                    "(scripts/ensure-packages installs it)")


class RemoteTestCase(ctltest.CtlTestCase):
    """A test with its bus, bgserviced on it, and an sshd whose sessions
    use that bus as their system bus."""

    def setUp(self):
        require_sshd()
        super().setUp()
        client_directory = os.path.join(self.directory, "ssh")
        os.mkdir(client_directory)
        self.user_key = os.path.join(client_directory, "user_key")
        keygen(self.user_key)
        self.sshd = self.start_sshd("sshd", self.bus)
        self.ssh = SSHClient(client_directory, self.user_key, self.sshd)
        self.host = f"root@127.0.0.1:{self.sshd.port}"

    def start_sshd(self, folder, bus):
        server = SSHServer(os.path.join(self.directory, folder), self.user_key + ".pub", bus)
        self.addCleanup(server.close)
        return server

    def remote(self, *args, host=None, **kwargs):
        """bgservicectl -H HOST (this test's sshd unless host is given),
        then args; returns its Result."""
        return self.ctl("-H", host or self.host, *args, address=False, env=self.ssh.env,
                        **kwargs)

    def assertSameResult(self, remote, local):
        """Over SSH, bgservicectl said what it says locally."""
        assert_same_result(self, remote, local)


class RemoteCommandsTest(RemoteTestCase):
    def setUp(self):
        super().setUp()
        self.start_standard_daemon(ctltest.RETRIER)
        self.wait_for_state("retrier", "restarting")

    def test_reading_commands_say_what_they_say_locally(self):
        for args, status in ((["list"], OK),
                             (["status", "clock", "sleeper"], OK),
                             (["status", "failer"], NOT_RUNNING),
                             (["status", "nosuch", "clock"], NO_SUCH_SERVICE),
                             (["is-failed", "failer"], OK),
                             (["wait", "failer"], TASKS_FAILED)):
            with self.subTest(args=args):
                local = self.ctl(*args)
                self.assertEqual(local.status, status, local.describe())
                self.assertSameResult(self.remote(*args), local)

    def test_options_after_the_command(self):
        self.assertSameResult(self.ctl("status", "clock", "-H", self.host, address=False,
                                       env=self.ssh.env),
                              self.ctl("status", "clock"))

    def test_host_alias_of_the_ssh_configuration(self):
        self.assertSameResult(self.remote("list", host=HOST_ALIAS), self.ctl("list"))

    def test_stop_and_start(self):
        result = self.remote("stop", "sleeper", "clock")
        self.assertResult(result, OK, stdout="", stderr="")
        self.assertEqual(self.state("sleeper"), "stopped")
        self.assertEqual(self.state("clock"), "stopped")
        self.assertSameResult(self.remote("list"), self.ctl("list"))

        result = self.remote("start", "sleeper", "clock")
        self.assertResult(result, OK, stdout="", stderr="")
        self.assertEqual(self.services()["sleeper"], (True, 3))
        self.assertEqual(self.state("clock"), "running")

        # A stop that ends a run with failures prints them, as locally.
        self.assertResult(self.remote("stop", "retrier"), TASKS_FAILED,
                          stdout="".join(line + "\n" for line in ctltest.RETRIER_LINES),
                          stderr="")
        self.assertEqual(self.state("retrier"), "stopped")

    def test_connection_lost_during_a_call(self):
        # The ssh that sd-bus started dies while bgservicectl waits for
        # the reply: bgservicectl tells at once, and names the host.
        monitor = self.monitor("Wait")
        client = ctltest.Background(self.ctl_command(["-H", self.host, "wait", "sleeper"],
                                                     address=False),
                                    ctltest.client_env(self.ssh.env))
        self.clients.append(client)
        monitor.wait_for_call()
        ssh = harness.wait_until(lambda: ctltest.children_of(client.pid), "the client's ssh")
        killed = time.monotonic()
        for pid in ssh:
            os.kill(pid, signal.SIGKILL)
        result = client.finish()
        self.assertLess(time.monotonic() - killed, QUICKLY, result.describe())
        self.assertResult(result, FAILURE, stdout="", stderr=(
            f"bgservicectl: lost the connection to the system bus of {self.host} while trying "
            "to wait for “sleeper”: Connection terminated; the ssh connection or "
            "systemd-stdio-bridge ended\n"))


class RemoteBusNameTest(RemoteTestCase):
    def test_bus_name_applies(self):
        self.start_daemon(ctltest.CONFIG, args=[f"--bus-name={OTHER}"], name=OTHER)
        self.assertResult(self.remote("list"), FAILURE, stdout="", stderr=(
            f"bgservicectl: no bgserviced on the system bus of {self.host} (org.bgservice1 "
            f"has no owner); is it running there? Start it with “systemctl -H {self.host} "
            "start bgserviced”\n"))
        self.assertSameResult(self.remote(f"--bus-name={OTHER}", "list"),
                              self.ctl(f"--bus-name={OTHER}", "list"))


class UnreachableHostTest(RemoteTestCase):
    """Hosts that cannot be reached: exit 2 at once, the host named, ssh's
    own reason on the line before."""

    HINT = ("; the remote host needs sshd and systemd-stdio-bridge (part of systemd), and "
            "ssh must be able to log in there as that user\n")

    def assertUnreachable(self, result, host, ssh_says=None):
        """bgservicectl's message names host, on the last line; before it,
        ssh said ssh_says (unless None)."""
        self.assertResult(result, FAILURE, stdout="")
        lines = result.stderr.splitlines(keepends=True)
        self.assertEqual(lines[-1], f"bgservicectl: cannot reach {host} over SSH: the "
                         "connection ended before the bus answered" + self.HINT,
                         result.describe())
        if ssh_says is not None:
            self.assertIn(ssh_says, "".join(lines[:-1]), result.describe())

    def test_refused_port(self):
        host = f"root@127.0.0.1:{free_port()}"
        result = self.remote("list", host=host)
        self.assertUnreachable(result, host, "Connection refused")
        self.assertLess(result.elapsed, QUICKLY, result.describe())

    def test_unknown_host(self):
        # .invalid never resolves (RFC 6761).
        host = "root@nosuchhost.invalid"
        result = self.remote("status", "clock", host=host)
        self.assertUnreachable(result, host, "Could not resolve hostname nosuchhost.invalid")

    def test_unknown_host_key(self):
        # A host whose key is not the one known: ssh refuses, in batch
        # mode without asking.
        other = self.start_sshd("other-sshd", self.bus)
        host = f"root@127.0.0.1:{other.port}"
        result = self.remote("list", host=host)
        self.assertUnreachable(result, host, "Host key verification failed")

    def test_remote_without_a_bus(self):
        # sshd and the bridge are there, the bus the bridge connects to
        # is not: the bridge exits (systemd 252's without a word).
        lonely = self.start_sshd("lonely-sshd", None)
        self.ssh.trust(lonely)
        host = f"root@127.0.0.1:{lonely.port}"
        result = self.remote("list", host=host)
        self.assertUnreachable(result, host)


class MachineTest(ctltest.CtlTestCase):
    """-M: a container's system bus. No container runs here: the errors."""

    def test_no_such_machine(self):
        result = self.ctl("-M", "nosuchmachine", "list", address=False)
        self.assertResult(result, FAILURE, stdout="")
        self.assertTrue(result.stderr.startswith(
            "bgservicectl: cannot connect to the system bus of machine nosuchmachine: "),
            result.describe())
        self.assertTrue(result.stderr.endswith(
            "; is that container running? “machinectl list” shows those that are\n"),
            result.describe())
        self.assertEqual(len(result.stderr.splitlines()), 1, result.describe())

    def test_invalid_machine_name(self):
        self.assertResult(self.ctl("status", "clock", "--machine=-x y", address=False),
                          FAILURE, stdout="", stderr=(
                              "bgservicectl: --machine: “-x y” is not a valid machine name "
                              "(a host name, as “machinectl list” shows them)\n"))


class UserBusTest(ctltest.CtlTestCase):
    """--user is systemd's spelling of --session."""

    def test_user_is_the_session_bus(self):
        self.start_standard_daemon()
        env = {"DBUS_SESSION_BUS_ADDRESS": self.bus.address,
               "DBUS_SYSTEM_BUS_ADDRESS": NOT_A_BUS}
        for args in (["--user", "list"], ["status", "clock", "--user"],
                     ["--user", "stop", "clock"], ["--user", "start", "clock"]):
            with self.subTest(args=args):
                session = [arg if arg != "--user" else "--session" for arg in args]
                user = self.ctl(*args, address=False, env=env)
                self.assertEqual(user.status, OK, user.describe())
                assert_same_result(self, user, self.ctl(*session, address=False, env=env))
        self.assertEqual(self.state("clock"), "running")


if __name__ == "__main__":
    harness.main()
