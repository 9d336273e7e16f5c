#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs bgservice's examples as a user would, and checks what they do.

    test-examples.py TEST PROGRAM

TEST names one of the test_* functions below, with dashes for
underscores; PROGRAM is the built example it runs. Exits 0 when the test
passed, and 1 with the reason on stderr when it failed.

Nothing here sleeps to let an example get somewhere: each step waits for
something the example prints or does on the wire, and DEADLINE only
bounds how long a hung example is waited for.
"""

import os
import re
import select
import signal
import socket
import subprocess
import sys
import time

DEADLINE = 20  # seconds

TIME_LINE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\n")
LISTENING_LINE = re.compile(r"Listening on 127\.0\.0\.1:(\d+)\n")


class Failure(Exception):
    """The example did not do what it should."""


def check(condition, message):
    if not condition:
        raise Failure(message)


class Example:
    """One run of an example, whose output can be read as it comes."""

    running = []  # every run not finished, killed when the test ends

    def __init__(self, program, *args):
        self.command = " ".join([os.path.basename(program), *args])
        self.process = subprocess.Popen(
            [program, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.stdout = b""
        Example.running.append(self)

    def readline(self):
        """Waits for the next line the example prints, and returns it."""
        deadline = time.monotonic() + DEADLINE
        fd = self.process.stdout.fileno()
        while b"\n" not in self.stdout:
            remaining = deadline - time.monotonic()
            check(remaining > 0, f"{self.command}: no line after {DEADLINE} s")
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 4096)
                check(chunk, f"{self.command}: exited before printing a line")
                self.stdout += chunk
        line, _, self.stdout = self.stdout.partition(b"\n")
        return line.decode() + "\n"

    def finish(self):
        """Waits for the example to exit: (status, stdout left, stderr)."""
        try:
            out, err = self.process.communicate(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise Failure(f"{self.command}: still running after {DEADLINE} s")
        finally:
            Example.running.remove(self)
        return (self.process.returncode,
                (self.stdout + out).decode(), err.decode())

    def signal(self, signum):
        self.process.send_signal(signum)


def run(program, *args):
    return Example(program, *args).finish()


def check_status(result, expected, command):
    status, out, err = result
    check(status == expected,
          f"{command}: exit status {status}, expected {expected}\n"
          f"stdout: {out!r}\nstderr: {err!r}")


def check_usage(program, option, *errors):
    """--help says what @option does; each of @errors is a usage error."""
    status, out, err = result = run(program, "--help")
    check_status(result, 0, "--help")
    check(option in out, f"--help does not document {option}: {out!r}")
    for args in errors:
        status, out, err = result = run(program, *args)
        check_status(result, 2, " ".join(args))
        check("--help" in err, f"{args}: the usage error is not explained: {err!r}")


# ---- clock ---------------------------------------------------------------

def check_time_lines(out, expected=None):
    lines = out.splitlines(keepends=True)
    check(expected is None or len(lines) == expected,
          f"expected {expected} lines of time, got {out!r}")
    for line in lines:
        check(TIME_LINE.fullmatch(line), f"not a time: {line!r}")


def test_clock_ticks(clock):
    """--ticks=3 prints the time three times, then stops by itself."""
    result = run(clock, "--interval=0.05", "--ticks=3")
    check_status(result, 0, "clock --ticks=3")
    status, out, err = result
    check_time_lines(out, 3)
    check(err == "", f"a clean run printed to stderr: {err!r}")


def test_clock_task_failure(clock):
    """A tick that fails fails the task; the stop hands its error back."""
    result = run(clock, "--interval=0.05", "--ticks=3", "--format=%Q")
    check_status(result, 1, "clock --format=%Q")
    status, out, err = result
    check(out == "", f"printed a time it could not format: {out!r}")
    for part in ("ClockService[clock]: 1 task failed",
                 "tick: Cannot format the time",
                 "g-io-error-quark"):
        check(part in err, f"the error does not say {part!r}: {err!r}")


def check_clock_stops_on(clock, signum):
    example = Example(clock, "--interval=0.05")
    check_time_lines(example.readline(), 1)  # ticking: the handlers are in place
    example.signal(signum)
    result = example.finish()
    check_status(result, 0, f"clock, then {signum.name}")
    status, out, err = result
    check_time_lines(out)
    check(err == "", f"a clean stop printed to stderr: {err!r}")


def test_clock_sigterm(clock):
    """SIGTERM stops the clock cleanly."""
    check_clock_stops_on(clock, signal.SIGTERM)


def test_clock_sigint(clock):
    """SIGINT (Ctrl+C) stops the clock cleanly."""
    check_clock_stops_on(clock, signal.SIGINT)


def test_clock_usage(clock):
    check_usage(clock, "--interval=SECONDS",
                ["--interval=0"], ["--interval=x"], ["--ticks=-1"], ["now"])


# ---- echo-server ---------------------------------------------------------

def listening_port(example):
    line = example.readline()
    match = LISTENING_LINE.fullmatch(line)
    check(match, f"expected 'Listening on 127.0.0.1:PORT', got {line!r}")
    return int(match.group(1))


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)


def test_echo_server_serve(server):
    """--serve=1 echoes one client's lines, then stops by itself."""
    example = Example(server, "--port=0", "--serve=1")
    port = listening_port(example)
    check(port != 0, "--port=0 did not pick a port")

    with connect(port) as client, client.makefile("rb") as replies:
        for line in (b"hello\n", b"a second line, with spaces\n", b"\n"):
            client.sendall(line)
            reply = replies.readline()
            check(reply == line, f"sent {line!r}, got {reply!r} back")

        # The server was done listening when it accepted this connection.
        try:
            connect(port).close()
            raise Failure("--serve=1 accepted a second connection")
        except ConnectionRefusedError:
            pass

        client.shutdown(socket.SHUT_WR)
        check(replies.read() == b"", "the server did not close the connection")

    result = example.finish()
    check_status(result, 0, "echo-server --serve=1")
    check(result[2] == "", f"a clean run printed to stderr: {result[2]!r}")


def test_echo_server_sigterm(server):
    """SIGTERM closes the open connections and stops the server cleanly."""
    example = Example(server, "--port=0")
    port = listening_port(example)

    with connect(port) as client, client.makefile("rb") as replies:
        client.sendall(b"ping\n")
        check(replies.readline() == b"ping\n", "no echo")  # being served
        example.signal(signal.SIGTERM)
        check(replies.read() == b"", "SIGTERM left the connection open")

    result = example.finish()
    check_status(result, 0, "echo-server, then SIGTERM")
    check(result[2] == "", f"a clean stop printed to stderr: {result[2]!r}")


def test_echo_server_port_in_use(server):
    """A start that fails comes back from the stop, as exit status 1."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(server, f"--port={port}")

    check_status(result, 1, f"echo-server --port={port} (in use)")
    status, out, err = result
    check(out == "", f"claims to listen on a port in use: {out!r}")
    check(err.startswith("echo-server: ") and len(err) > len("echo-server: \n"),
          f"the failure is not explained: {err!r}")


def test_echo_server_usage(server):
    check_usage(server, "--port=PORT",
                ["--port=65536"], ["--port=-1"], ["--serve=-1"], ["now"])


# ---------------------------------------------------------------------------

def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2

    name, program = sys.argv[1:]
    test = globals().get("test_" + name.replace("-", "_"))
    if test is None:
        print(f"no test named {name}", file=sys.stderr)
        return 2

    try:
        test(program)
    except (Failure, OSError) as failure:
        print(f"FAIL {name}: {failure}", file=sys.stderr)
        return 1
    finally:
        for example in Example.running:
            example.process.kill()
            example.process.wait()

    print(f"ok {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
