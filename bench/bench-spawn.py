# SPDX-License-Identifier: MIT
"""bench-spawn.py: how fast bgserviced runs commands, and how promptly it
answers D-Bus calls meanwhile.

    bench-spawn.py [--timers=N] [--interval=SECONDS] [--rounds=N]
                   [--window=SECONDS] [--check] [--hold]

Workload: a timer storm. bgserviced (the program named by $BGSERVICED) runs
on a private dbus-daemon with --timers services of Type=timer (1,000 by
default), each running `true` every --interval seconds (0.1): more runs
asked for than two cores can give, so the figure is what the daemon keeps
up with. The floor is the same command started by this program, one at a
time, with posix_spawn() and waitpid(): the rate of a serial spawner with
nothing else to do.

Rounds alternate, so that both see the same neighbours on a shared
machine: each round freezes the daemon (SIGSTOP), counts floor runs for
one window, thaws it (SIGCONT), lets the storm settle for half a window,
then counts the storm for one window while it reads the IsRunning property
of one timer every 10 ms with GDBus and times each read.

Figures (medians over the rounds, latencies over every read):

  floor runs/s      posix_spawn + waitpid of `true`, serially
  storm runs/s      processes the machine started during the storm window
                    (/proc/stat "processes"), less what it started besides
                    during the floor window just before (the neighbours)
  storm/floor       the median of each round's own ratio; target >= 0.8
  Get IsRunning     p50, p95 and max; target p95 <= 50 ms
  daemon CPU        the daemon's share of one core during the storm

With --check the program exits 1 when a target is missed. With --hold it
prints the daemon's PID, runs the storm without rounds until interrupted,
for a profiler (perf record -g -p PID).
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", ImportWarning)
    import gi
    gi.require_version("Gio", "2.0")
    from gi.repository import Gio, GLib

TARGET_RATIO = 0.8
TARGET_P95_MS = 50.0
PROBE_PERIOD = 0.010

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
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


def forks_since_boot():
    """The processes the machine has started since boot."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("processes "):
                return int(line.split()[1])
    raise RuntimeError("no processes line in /proc/stat")


def cpu_seconds(pid):
    """The CPU time of a process so far (user + system, all threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def floor_window(program, seconds):
    """Runs program serially for seconds; returns (runs, other forks)."""
    before = forks_since_boot()
    runs = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pid = os.posix_spawn(program, [program], os.environ)
        os.waitpid(pid, 0)
        runs += 1
    return runs, forks_since_boot() - before - runs


class Storm:
    """bgserviced with the timers, on a dbus-daemon of its own."""

    def __init__(self, daemon_path, timers, interval):
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-spawn-")
        directory = self.tmp.name
        socket = os.path.join(directory, "bus")
        with open(os.path.join(directory, "bus.conf"), "w") as f:
            f.write(BUS_CONFIG.format(socket=socket))
        self.bus = subprocess.Popen(["dbus-daemon", "--config-file",
                                     os.path.join(directory, "bus.conf"), "--nofork",
                                     "--print-address"],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.address = self.bus.stdout.readline().strip()
        config = os.path.join(directory, "bgserviced.conf")
        with open(config, "w") as f:
            for i in range(timers):
                f.write(f"[Service t{i}]\nType=timer\nExec=true\nIntervalSec={interval}\n\n")
        self.log = open(os.path.join(directory, "bgserviced.log"), "w")
        self.daemon = subprocess.Popen([daemon_path, f"--address={self.address}",
                                        f"--config={config}"],
                                       stdout=self.log, stderr=subprocess.STDOUT)
        self.connection = Gio.DBusConnection.new_for_address_sync(
            self.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
            | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        self.wait_ready()
        self.path = self.call("/org/bgservice1", "org.bgservice1.Manager", "GetService",
                              GLib.Variant("(s)", ("t0",)))[0]

    def call(self, path, interface, method, parameters=None):
        return self.connection.call_sync("org.bgservice1", path, interface, method, parameters,
                                         None, Gio.DBusCallFlags.NONE, 60000, None).unpack()

    def wait_ready(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.daemon.poll() is not None:
                raise RuntimeError(f"bgserviced exited with {self.daemon.returncode}")
            owned = self.connection.call_sync(
                "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                "NameHasOwner", GLib.Variant("(s)", ("org.bgservice1",)), None,
                Gio.DBusCallFlags.NONE, -1, None).unpack()[0]
            if owned:
                return
            time.sleep(0.05)
        raise RuntimeError("bgserviced did not own its name within 60 s")

    def read_is_running(self):
        """One Get of IsRunning; returns how long it took, in seconds."""
        started = time.monotonic()
        self.call(self.path, "org.freedesktop.DBus.Properties", "Get",
                  GLib.Variant("(ss)", ("org.bgservice1.Service", "IsRunning")))
        return time.monotonic() - started

    def window(self, seconds):
        """Probes the daemon for seconds; returns (forks, latencies, CPU s)."""
        latencies = []
        before = forks_since_boot()
        cpu_before = cpu_seconds(self.daemon.pid)
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            latencies.append(self.read_is_running())
            time.sleep(max(0.0, PROBE_PERIOD - latencies[-1]))
        elapsed = time.monotonic() - started
        forks = forks_since_boot() - before
        return forks / elapsed, latencies, (cpu_seconds(self.daemon.pid) - cpu_before) / elapsed

    def close(self):
        self.daemon.send_signal(signal.SIGCONT)
        self.daemon.terminate()
        try:
            self.daemon.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.daemon.kill()
            self.daemon.wait()
        self.connection.close_sync(None)
        self.bus.terminate()
        self.bus.wait()
        self.bus.stdout.close()
        self.log.close()
        self.tmp.cleanup()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_rounds(storm, program, rounds, window):
    ratios, floors, storms, cpus, latencies = [], [], [], [], []
    for number in range(rounds):
        storm.daemon.send_signal(signal.SIGSTOP)
        runs, others = floor_window(program, window)
        floor = runs / window
        storm.daemon.send_signal(signal.SIGCONT)
        time.sleep(window / 2)
        forks, got, cpu = storm.window(window)
        rate = forks - others / window
        print(f"round {number + 1}: floor {floor:.0f}/s, storm {rate:.0f}/s "
              f"(neighbours {others / window:.0f}/s), daemon CPU {cpu:.0%}, "
              f"Get p95 {percentile(got, 0.95) * 1000:.1f} ms", flush=True)
        floors.append(floor)
        storms.append(rate)
        ratios.append(rate / floor)
        cpus.append(cpu)
        latencies.extend(got)
    return ratios, floors, storms, cpus, latencies


def main():
    parser = argparse.ArgumentParser(description="Timer storm against a serial spawner.")
    parser.add_argument("--timers", type=int, default=1000)
    parser.add_argument("--interval", default="0.1")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--window", type=float, default=2.0)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--hold", action="store_true")
    args = parser.parse_args()

    daemon_path = os.environ.get("BGSERVICED")
    program = shutil.which("true")
    if not daemon_path:
        sys.exit("BGSERVICED names the daemon to measure (meson sets it)")

    storm = Storm(daemon_path, args.timers, args.interval)
    try:
        if args.hold:
            print(f"bgserviced PID {storm.daemon.pid}; storm running, Ctrl-C ends it", flush=True)
            signal.sigwait([signal.SIGINT, signal.SIGTERM])
            return 0
        ratios, floors, storms, cpus, latencies = run_rounds(storm, program, args.rounds,
                                                             args.window)
    finally:
        storm.close()

    ratio = statistics.median(ratios)
    p95 = percentile(latencies, 0.95) * 1000
    print(f"\n{args.timers} timers at IntervalSec={args.interval}, {args.rounds} rounds "
          f"of {args.window} s")
    print(f"floor runs/s     {statistics.median(floors):8.0f}   (serial posix_spawn of {program})")
    print(f"storm runs/s     {statistics.median(storms):8.0f}")
    print(f"storm/floor      {ratio:8.2f}   (target >= {TARGET_RATIO})")
    print(f"Get IsRunning    p50 {percentile(latencies, 0.5) * 1000:.1f} ms, p95 {p95:.1f} ms, "
          f"max {max(latencies) * 1000:.1f} ms over {len(latencies)} reads "
          f"(target p95 <= {TARGET_P95_MS:.0f} ms)")
    print(f"daemon CPU       {statistics.median(cpus):8.0%}   of one core")
    if args.check and (ratio < TARGET_RATIO or p95 > TARGET_P95_MS):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
