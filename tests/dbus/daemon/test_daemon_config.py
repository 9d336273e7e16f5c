# SPDX-License-Identifier: MIT
"""The configuration of bgserviced: every mistake stops it with exit status
78 and one line naming the file, the group and the key; --check-config
says the same, or OK, without running anything or touching the bus."""

import os
import subprocess

import daemontest
import harness
from daemontest import EXIT_CONFIG, EXIT_OK, lines, run_bgserviced, write_file

GOOD = """\
[Daemon]
BusName=org.bgservice1
ControlUsers=root nobody 0
ControlGroups=root,nogroup;0

[Service runner]
Type=exec
AutoStart=false
Exec=sleep 600
Instances=2
TimeoutStopSec=1.5

[Service ticker]
Type=timer
Exec=/bin/true
IntervalSec=0.5
TimeoutStopSec=infinity

[Service clock]
Type=clock
IntervalSec=10

[Service greeter]
Type=module
Module={module}
AutoStart=false
Greeting=hello
PeriodSec=2
FailAfter=5
"""

# Every restart key, in systemd's syntax, in every type but module (see
# test_check_config_ok_for_restart_keys_of_a_module).
RESTARTING = """\
[Service runner]
Type=exec
Exec=sleep 600
Restart=on-failure
RestartSec=250ms
RestartMaxDelaySec=1min 30s
StartLimitBurst=3
StartLimitIntervalSec=2min

[Service ticker]
Type=timer
Exec=/bin/true
Restart=always
RestartSec=0
RestartMaxDelaySec=0
StartLimitBurst=0
StartLimitIntervalSec=0

[Service clock]
Type=clock
Restart=no
RestartSec=1.5
StartLimitBurst=10
StartLimitIntervalSec=1h
"""


def shared_object_without_entry_point():
    """A real shared object that any process can load and that does not
    export bgs_module_create_service(): the GLib bgserviced links."""
    ldd = subprocess.run(["ldd", harness.program("BGSERVICED")], capture_output=True, text=True)
    for line in ldd.stdout.splitlines():
        if line.strip().startswith("libglib-2.0.so"):
            return line.split("=>")[1].split()[0]
    raise AssertionError(f"no libglib-2.0 in ldd's output: {ldd.stdout}")


class ConfigTest(daemontest.DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.module = harness.program("BGS_HELLO_MODULE")
        self.not_executable = write_file(self.directory, "not-executable", "#!/bin/sh\n", 0o644)
        self.not_a_module = write_file(self.directory, "not-a-module.so", "not ELF\n")
        self.no_entry_point = shared_object_without_entry_point()

    def error_cases(self):
        """(what, config text, group, key or None, words the problem holds).
        group None: a file that is not a key file at all."""
        module = self.module
        long_name = "n" * 256
        return [
            # Not a key file.
            ("not a key file", "this is not a key file\n", None, None, "this is not a key file"),
            ("bad line", "[Service a]\nType=clock\nno equals sign here\n", None, None,
             "no equals sign here"),
            # Groups.
            ("unknown group", "[Services a]\nType=clock\n", "Services a", None, "unknown group"),
            ("group without name", "[Service]\nType=clock\n", "Service", None, "unknown group"),
            ("invalid service name", "[Service ]\nType=clock\n", "Service ", None, "name"),
            ("name too long", f"[Service {long_name}]\nType=clock\n", f"Service {long_name}",
             None, "name"),
            ("duplicate group", "[Service a]\nType=clock\n\n[Service a]\nIntervalSec=2\n",
             "Service a", None, "twice"),
            # Keys.
            ("unknown key", "[Service a]\nType=clock\nColour=red\n", "Service a", "Colour",
             "unknown key"),
            ("unknown key in Daemon", "[Daemon]\nName=x\n", "Daemon", "Name", "unknown key"),
            ("duplicate key", "[Service a]\nType=clock\nIntervalSec=1\nIntervalSec=2\n",
             "Service a", "IntervalSec", "twice"),
            ("unknown key lists the keys of the type", "[Service a]\nType=clock\nRestartMode=no\n",
             "Service a", "RestartMode",
             "unknown key; a Type=clock service takes Type, AutoStart, IntervalSec, Restart, "
             "RestartSec, RestartMaxDelaySec, StartLimitBurst, StartLimitIntervalSec"),
            ("unknown key on exec", "[Service a]\nType=exec\nExec=sleep 1\nStartLimit=1\n",
             "Service a", "StartLimit",
             "a Type=exec service takes Type, AutoStart, Exec, Instances, TimeoutStopSec, Restart"),
            # Types.
            ("missing Type", "[Service a]\nExec=sleep 1\n", "Service a", "Type", "missing"),
            ("bad Type", "[Service a]\nType=daemon\n", "Service a", "Type", "daemon"),
            ("empty Type", "[Service a]\nType=\n", "Service a", "Type", ""),
            ("Instances on a clock", "[Service a]\nType=clock\nInstances=2\n",
             "Service a", "Instances", "Type=clock"),
            ("Exec on a clock", "[Service a]\nType=clock\nExec=sleep 1\n",
             "Service a", "Exec", "Type=clock"),
            ("Module on exec", "[Service a]\nType=exec\nExec=sleep 1\nModule=x.so\n",
             "Service a", "Module", "Type=exec"),
            ("IntervalSec on exec", "[Service a]\nType=exec\nExec=sleep 1\nIntervalSec=1\n",
             "Service a", "IntervalSec", "Type=exec"),
            ("TimeoutStopSec on a clock", "[Service a]\nType=clock\nTimeoutStopSec=1\n",
             "Service a", "TimeoutStopSec", "Type=clock"),
            ("Instances on a timer", "[Service a]\nType=timer\nExec=true\nInstances=2\n",
             "Service a", "Instances", "Type=timer"),
            ("missing Exec", "[Service a]\nType=exec\n", "Service a", "Exec", "missing"),
            ("missing Exec on a timer", "[Service a]\nType=timer\n", "Service a", "Exec", "missing"),
            ("missing Module", "[Service a]\nType=module\n", "Service a", "Module", "missing"),
            # Values.
            ("Instances=0", "[Service a]\nType=exec\nExec=sleep 1\nInstances=0\n",
             "Service a", "Instances", "0"),
            ("Instances=abc", "[Service a]\nType=exec\nExec=sleep 1\nInstances=abc\n",
             "Service a", "Instances", "abc"),
            ("Instances=-1", "[Service a]\nType=exec\nExec=sleep 1\nInstances=-1\n",
             "Service a", "Instances", "-1"),
            ("Instances too many", "[Service a]\nType=exec\nExec=sleep 1\nInstances=10001\n",
             "Service a", "Instances", "10001"),
            ("IntervalSec=0", "[Service a]\nType=clock\nIntervalSec=0\n",
             "Service a", "IntervalSec", "0"),
            ("IntervalSec=-1", "[Service a]\nType=timer\nExec=true\nIntervalSec=-1\n",
             "Service a", "IntervalSec", "-1"),
            ("IntervalSec=abc", "[Service a]\nType=clock\nIntervalSec=abc\n",
             "Service a", "IntervalSec", "abc"),
            ("IntervalSec=nan", "[Service a]\nType=clock\nIntervalSec=nan\n",
             "Service a", "IntervalSec", "nan"),
            ("IntervalSec=infinity", "[Service a]\nType=clock\nIntervalSec=infinity\n",
             "Service a", "IntervalSec", "infinity"),
            ("TimeoutStopSec=x", "[Service a]\nType=exec\nExec=sleep 1\nTimeoutStopSec=x\n",
             "Service a", "TimeoutStopSec", "x"),
            ("TimeoutStopSec=-1", "[Service a]\nType=exec\nExec=sleep 1\nTimeoutStopSec=-1\n",
             "Service a", "TimeoutStopSec", "-1"),
            # Time spans, as systemd writes them.
            ("IntervalSec empty", "[Service a]\nType=clock\nIntervalSec=\n",
             "Service a", "IntervalSec", "empty"),
            ("IntervalSec=0ms", "[Service a]\nType=clock\nIntervalSec=0ms\n",
             "Service a", "IntervalSec", "“0ms” is zero; give a span above 0"),
            ("IntervalSec below a microsecond", "[Service a]\nType=clock\nIntervalSec=0.0000001\n",
             "Service a", "IntervalSec", "is zero"),
            ("IntervalSec=5 parsecs", "[Service a]\nType=clock\nIntervalSec=5 parsecs\n",
             "Service a", "IntervalSec", "unknown unit “parsecs”; use us, ms, s, min"),
            ("IntervalSec=5x", "[Service a]\nType=clock\nIntervalSec=5x\n",
             "Service a", "IntervalSec", "unknown unit “x”"),
            ("IntervalSec=1..5", "[Service a]\nType=clock\nIntervalSec=1..5\n",
             "Service a", "IntervalSec", "“1..5” is not a time span"),
            ("IntervalSec=5s garbage", "[Service a]\nType=clock\nIntervalSec=5s garbage\n",
             "Service a", "IntervalSec", "“garbage” does not start with a number"),
            ("IntervalSec too long to count",
             "[Service a]\nType=clock\nIntervalSec=99999999999999999999y\n",
             "Service a", "IntervalSec", "too long"),
            ("IntervalSec longer than 49 days", "[Service a]\nType=clock\nIntervalSec=50d\n",
             "Service a", "IntervalSec", "“50d” is too long; the longest span is 4294967294ms"),
            ("TimeoutStopSec=-5s", "[Service a]\nType=exec\nExec=sleep 1\nTimeoutStopSec=-5s\n",
             "Service a", "TimeoutStopSec", "negative"),
            ("TimeoutStopSec=5 min garbage",
             "[Service a]\nType=exec\nExec=sleep 1\nTimeoutStopSec=5 min garbage\n",
             "Service a", "TimeoutStopSec", "“infinity” is allowed too"),
            # The restart keys, in every type; a module's are the daemon's too.
            ("Restart=sometimes", "[Service a]\nType=exec\nExec=sleep 1\nRestart=sometimes\n",
             "Service a", "Restart",
             "“sometimes” is not a restart mode; use no, on-failure or always"),
            ("Restart=on-success", "[Service a]\nType=clock\nRestart=on-success\n",
             "Service a", "Restart", "use no, on-failure or always"),
            ("Restart empty", "[Service a]\nType=timer\nExec=true\nRestart=\n",
             "Service a", "Restart", "use no, on-failure or always"),
            ("Restart=sometimes on a module",
             f"[Service a]\nType=module\nModule={module}\nGreeting=hi\nRestart=sometimes\n",
             "Service a", "Restart", "use no, on-failure or always"),
            ("RestartSec=abc", "[Service a]\nType=exec\nExec=sleep 1\nRestartSec=abc\n",
             "Service a", "RestartSec", "“abc” is not a time span"),
            ("RestartSec=-1", "[Service a]\nType=timer\nExec=true\nRestartSec=-1\n",
             "Service a", "RestartSec", "negative"),
            ("RestartSec=-5s", "[Service a]\nType=clock\nRestartSec=-5s\n",
             "Service a", "RestartSec", "negative"),
            ("RestartSec=5 parsecs", "[Service a]\nType=exec\nExec=sleep 1\nRestartSec=5 parsecs\n",
             "Service a", "RestartSec", "unknown unit “parsecs”"),
            ("RestartSec=infinity", "[Service a]\nType=exec\nExec=sleep 1\nRestartSec=infinity\n",
             "Service a", "RestartSec", "not allowed"),
            ("RestartSec on a module",
             f"[Service a]\nType=module\nModule={module}\nGreeting=hi\nRestartSec=soon\n",
             "Service a", "RestartSec", "“soon” is not a time span"),
            ("RestartMaxDelaySec=abc", "[Service a]\nType=clock\nRestartMaxDelaySec=abc\n",
             "Service a", "RestartMaxDelaySec", "“abc” is not a time span"),
            ("RestartMaxDelaySec=-1", "[Service a]\nType=clock\nRestartMaxDelaySec=-1\n",
             "Service a", "RestartMaxDelaySec", "negative"),
            ("RestartMaxDelaySec below RestartSec",
             "[Service a]\nType=exec\nExec=sleep 1\nRestartSec=1s\nRestartMaxDelaySec=500ms\n",
             "Service a", "RestartMaxDelaySec",
             "“500ms” is shorter than RestartSec (1000ms); it must be at least RestartSec's value"),
            ("RestartMaxDelaySec below the default RestartSec",
             "[Service a]\nType=timer\nExec=true\nRestartMaxDelaySec=50ms\n",
             "Service a", "RestartMaxDelaySec", "must be at least RestartSec's value"),
            ("RestartMaxDelaySec below RestartSec, written first",
             "[Service a]\nType=clock\nRestartMaxDelaySec=1min\nRestartSec=1min 1s\n",
             "Service a", "RestartMaxDelaySec", "must be at least RestartSec's value"),
            ("StartLimitBurst=-1", "[Service a]\nType=exec\nExec=sleep 1\nStartLimitBurst=-1\n",
             "Service a", "StartLimitBurst", "“-1” is not a whole number from 0 to 4294967295"),
            ("StartLimitBurst=abc", "[Service a]\nType=clock\nStartLimitBurst=abc\n",
             "Service a", "StartLimitBurst", "“abc” is not a whole number"),
            ("StartLimitBurst=1.5", "[Service a]\nType=timer\nExec=true\nStartLimitBurst=1.5\n",
             "Service a", "StartLimitBurst", "“1.5” is not a whole number"),
            ("StartLimitBurst too large", "[Service a]\nType=clock\nStartLimitBurst=4294967296\n",
             "Service a", "StartLimitBurst", "4294967296"),
            ("StartLimitIntervalSec=-1", "[Service a]\nType=clock\nStartLimitIntervalSec=-1\n",
             "Service a", "StartLimitIntervalSec", "negative"),
            ("StartLimitIntervalSec=5 parsecs",
             "[Service a]\nType=exec\nExec=sleep 1\nStartLimitIntervalSec=5 parsecs\n",
             "Service a", "StartLimitIntervalSec", "unknown unit “parsecs”"),
            ("StartLimitIntervalSec on a module",
             f"[Service a]\nType=module\nModule={module}\nGreeting=hi\nStartLimitIntervalSec=x\n",
             "Service a", "StartLimitIntervalSec", "“x” is not a time span"),
            ("AutoStart=maybe", "[Service a]\nType=clock\nAutoStart=maybe\n",
             "Service a", "AutoStart", "maybe"),
            # The daemon group.
            ("bad BusName", "[Daemon]\nBusName=not-a-bus-name\n", "Daemon", "BusName",
             "not-a-bus-name"),
            ("unique BusName", "[Daemon]\nBusName=:1.42\n", "Daemon", "BusName", ":1.42"),
            ("unknown ControlUsers", "[Daemon]\nControlUsers=root no-such-user-bgs\n",
             "Daemon", "ControlUsers", "no-such-user-bgs"),
            ("unknown ControlGroups", "[Daemon]\nControlGroups=no-such-group-bgs\n",
             "Daemon", "ControlGroups", "no-such-group-bgs"),
            # Commands.
            ("Exec not found", "[Service a]\nType=exec\nExec=no-such-command-bgs --flag\n",
             "Service a", "Exec", "no-such-command-bgs"),
            ("Exec path not found", "[Service a]\nType=exec\nExec=/no/such/program\n",
             "Service a", "Exec", "/no/such/program"),
            ("Exec not executable", f"[Service a]\nType=exec\nExec={self.not_executable}\n",
             "Service a", "Exec", self.not_executable),
            ("Exec a directory", f"[Service a]\nType=timer\nExec={self.directory}\n",
             "Service a", "Exec", self.directory),
            ("Exec unterminated quote", "[Service a]\nType=exec\nExec=sh -c 'exit 1\n",
             "Service a", "Exec", ""),
            ("Exec empty", "[Service a]\nType=exec\nExec=\n", "Service a", "Exec", ""),
            # Modules.
            ("Module not found", "[Service a]\nType=module\nModule=/no/such/module.so\n",
             "Service a", "Module", "/no/such/module.so"),
            ("Module not a shared object",
             f"[Service a]\nType=module\nModule={self.not_a_module}\nGreeting=hi\n",
             "Service a", "Module", self.not_a_module),
            ("Module without entry point",
             f"[Service a]\nType=module\nModule={self.no_entry_point}\n",
             "Service a", "Module", "bgs_module_create_service"),
            ("Module refuses: no Greeting", f"[Service a]\nType=module\nModule={module}\n",
             "Service a", "Greeting", "missing"),
            ("Module refuses: unknown key",
             f"[Service a]\nType=module\nModule={module}\nGreeting=hi\nColour=red\n",
             "Service a", "Colour", "unknown key"),
            ("Module refuses: bad PeriodSec",
             f"[Service a]\nType=module\nModule={module}\nGreeting=hi\nPeriodSec=soon\n",
             "Service a", "PeriodSec", ""),
            # One bad service among good ones still stops everything.
            ("bad service after good ones",
             "[Service good]\nType=clock\n\n[Service bad]\nType=clock\nIntervalSec=0\n",
             "Service bad", "IntervalSec", "0"),
        ]

    def assertConfigError(self, result, path, group, key, words, what):
        self.assertEqual(result.returncode, EXIT_CONFIG,
                         f"{what}: stdout {result.stdout!r} stderr {result.stderr!r}")
        self.assertEqual(result.stdout, "", what)
        self.assertEqual(len(lines(result.stderr)), 1, f"{what}: not one line: {result.stderr!r}")
        line = result.stderr.strip()
        if group is None:
            prefix = f"bgserviced: {path}: "
        elif key is None:
            prefix = f"bgserviced: {path}: [{group}]: "
        else:
            prefix = f"bgserviced: {path}: [{group}] {key}: "
        self.assertTrue(line.startswith(prefix), f"{what}: {line!r} does not start with {prefix!r}")
        self.assertIn(words, line[len(prefix):], what)

    def test_every_error_exits_78_naming_file_group_and_key(self):
        for number, (what, text, group, key, words) in enumerate(self.error_cases()):
            with self.subTest(what):
                path = write_file(self.directory, f"case-{number}.conf", text)
                result = run_bgserviced(f"--address={self.bus.address}", f"--config={path}",
                                        "--verbose")
                self.assertConfigError(result, path, group, key, words, what)
                self.assertFalse(harness.name_has_owner(self.bus, harness.BUS_NAME), what)

    def test_check_config_reports_every_error_with_78(self):
        for number, (what, text, group, key, words) in enumerate(self.error_cases()):
            with self.subTest(what):
                path = write_file(self.directory, f"case-{number}.conf", text)
                result = run_bgserviced("--check-config", f"--config={path}")
                self.assertConfigError(result, path, group, key, words, what)

    def test_unreadable_file_exits_78(self):
        path = os.path.join(self.directory, "missing.conf")
        for args in ([f"--address={self.bus.address}"], ["--check-config"]):
            result = run_bgserviced(*args, f"--config={path}")
            self.assertEqual(result.returncode, EXIT_CONFIG, result.stderr)
            self.assertEqual(len(lines(result.stderr)), 1, result.stderr)
            self.assertTrue(result.stderr.startswith(f"bgserviced: {path}: "), result.stderr)

    def test_not_utf8_exits_78(self):
        path = os.path.join(self.directory, "latin1.conf")
        with open(path, "wb") as f:
            f.write(b"[Service caf\xe9]\nType=clock\n")
        result = run_bgserviced("--check-config", f"--config={path}")
        self.assertEqual(result.returncode, EXIT_CONFIG, result.stderr)
        self.assertTrue(result.stderr.startswith(f"bgserviced: {path}: "), result.stderr)

    def test_check_config_ok_for_every_key_of_every_type(self):
        path = write_file(self.directory, "good.conf", GOOD.format(module=self.module))
        result = run_bgserviced("--check-config", f"--config={path}")
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        self.assertEqual(result.stdout.strip(), f"{path}: OK, 4 services")
        self.assertEqual(result.stderr, "")

    def test_check_config_ok_for_systemd_time_spans(self):
        """IntervalSec= and TimeoutStopSec= take what systemd's …Sec= keys take
        (1us is rounded up to 1 ms, not down to 0)."""
        for span in ("250ms", "250 ms", "1min 30s", "1min30s", "1.5", ".5", "2h 1min 3s 250ms",
                     "5 min", "1 week", "1M", "1us"):
            with self.subTest(span):
                path = write_file(self.directory, "spans.conf",
                                  f"[Service ticker]\nType=timer\nExec=/bin/true\n"
                                  f"IntervalSec={span}\nTimeoutStopSec={span}\n\n"
                                  f"[Service clock]\nType=clock\nIntervalSec={span}\n")
                result = run_bgserviced("--check-config", f"--config={path}")
                self.assertEqual(result.returncode, EXIT_OK, result.stderr)
                self.assertEqual(result.stdout, f"{path}: OK, 2 services\n")
        for span in ("0", "0ms", "infinity"):
            with self.subTest(span):
                path = write_file(self.directory, "timeout.conf",
                                  f"[Service runner]\nType=exec\nExec=sleep 1\n"
                                  f"TimeoutStopSec={span}\n")
                result = run_bgserviced("--check-config", f"--config={path}")
                self.assertEqual(result.returncode, EXIT_OK, result.stderr)

    def test_check_config_ok_for_restart_keys_of_every_type(self):
        path = write_file(self.directory, "restarting.conf", RESTARTING)
        result = run_bgserviced("--check-config", f"--config={path}")
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        self.assertEqual(result.stdout, f"{path}: OK, 3 services\n")
        self.assertEqual(result.stderr, "")

    def test_check_config_ok_for_restart_keys_of_a_module(self):
        """The daemon reads the restart keys of a module service itself (the
        bad values above are its errors, not the module's); the example
        module knows them as the daemon's."""
        path = write_file(self.directory, "restarting-module.conf",
                          f"[Service greeter]\nType=module\nModule={self.module}\nGreeting=hi\n"
                          "Restart=on-failure\nRestartSec=1s\nRestartMaxDelaySec=1min\n"
                          "StartLimitBurst=3\nStartLimitIntervalSec=1h\n")
        result = run_bgserviced("--check-config", f"--config={path}")
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)

    def test_check_config_ok_for_restart_always_with_no_starts_allowed(self):
        """StartLimitBurst=0 with Restart=always: never restart, as systemd."""
        path = write_file(self.directory, "burst0.conf",
                          "[Service a]\nType=exec\nExec=sleep 1\nRestart=always\n"
                          "StartLimitBurst=0\n")
        result = run_bgserviced("--check-config", f"--config={path}")
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        self.assertEqual(result.stdout, f"{path}: OK, 1 services\n")

    def test_check_config_of_relative_module_path(self):
        """Module= relative to the folder of the file, not the working one."""
        os.symlink(self.module, os.path.join(self.directory, "hello.so"))
        path = write_file(self.directory, "relative.conf",
                          "[Service greeter]\nType=module\nModule=hello.so\nGreeting=hi\n")
        result = subprocess.run([harness.program("BGSERVICED"), "--check-config",
                                 f"--config={path}"], capture_output=True, text=True, cwd="/")
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)

    def test_check_config_ok_for_the_example(self):
        path = harness.program("BGS_CONFIG_EXAMPLE")
        result = run_bgserviced("--check-config", f"--config={path}")
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        self.assertRegex(result.stdout, rf"^{path}: OK, \d+ services\n$")

    def test_check_config_ok_for_the_default_config_file(self):
        path = os.path.join(harness.program("BGS_DATA_DIR"), "bgserviced-default.conf")
        result = run_bgserviced("--check-config", f"--config={path}")
        self.assertEqual(result.returncode, EXIT_OK, result.stderr)
        self.assertEqual(result.stdout, f"{path}: OK, 3 services\n")

    def test_check_config_runs_nothing_and_needs_no_bus(self):
        """No bus to reach, a service that would leave a mark: --check-config
        still says OK, and nothing ran."""
        mark = os.path.join(self.directory, "mark")
        path = write_file(self.directory, "marks.conf",
                          f"[Service marker]\nType=exec\nExec=touch {mark}\n\n"
                          f"[Service greeter]\nType=module\nModule={self.module}\nGreeting=hi\n")
        nowhere = "unix:path=" + os.path.join(self.directory, "no-bus-here")
        env = {"DBUS_SESSION_BUS_ADDRESS": nowhere, "DBUS_SYSTEM_BUS_ADDRESS": nowhere}
        for args in (["--check-config"], ["--check-config", f"--address={nowhere}"],
                     ["--check-config", "--system"], ["--check-config", "--session"]):
            with self.subTest(args):
                result = run_bgserviced(*args, f"--config={path}", env=env)
                self.assertEqual(result.returncode, EXIT_OK, result.stderr)
                self.assertEqual(result.stdout, f"{path}: OK, 2 services\n")
        self.assertFalse(os.path.exists(mark), "--check-config ran a service")

    def test_good_config_runs(self):
        """The file --check-config accepts runs, and stops cleanly."""
        daemon = self.start_daemon(GOOD.format(module=self.module))
        services = daemontest.list_services(self.bus)
        self.assertEqual(sorted(services), ["clock", "greeter", "runner", "ticker"])
        self.assertEqual({name: s[0] for name, s in services.items()},
                         {"clock": True, "greeter": False, "runner": False, "ticker": True})
        self.assertStopsWith(daemon, EXIT_OK)


if __name__ == "__main__":
    harness.main()
