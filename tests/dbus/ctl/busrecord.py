# SPDX-License-Identifier: MIT
"""busrecord.py: what passes a test's bus, as the bus routed it, for the
tests that count bgservicectl's calls (how many, how many waiting for
their reply at a time, which ones the bus refused): busctl monitor, a
client bgservice did not write, eavesdropping on the whole bus."""

import json
import os
import select
import subprocess
import time

import harness
from harness import BUS_NAME

LIMITS_EXCEEDED = "org.freedesktop.DBus.Error.LimitsExceeded"


class BusRecord:
    """busctl monitor on the whole bus: the messages in the order the bus
    routed them, decoded from its JSON."""

    def __init__(self, bus):
        self.bus = bus
        self.process = subprocess.Popen(
            ["busctl", f"--address={bus.address}", "monitor", "--json=short"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.buffer = b""
        self.messages = []
        self.marks = 0
        # busctl says so once it is a monitor.
        harness.wait_until(lambda: self.ready(), "busctl monitor to start")

    def ready(self):
        if select.select([self.process.stderr], [], [], 0.1)[0]:
            return b"Monitoring" in os.read(self.process.stderr.fileno(), 4096)
        return False

    def read(self, timeout):
        """Adds the messages busctl printed within timeout, if any."""
        if not select.select([self.process.stdout], [], [], timeout)[0]:
            return
        chunk = os.read(self.process.stdout.fileno(), 1 << 20)
        if not chunk:
            raise AssertionError("busctl monitor exited")
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        self.messages += [json.loads(line) for line in lines if line.strip()]

    def calls(self, member=None):
        """The calls to bgserviced seen so far (of member only, if given)."""
        return [m for m in self.messages if m["type"] == "method_call"
                and m.get("destination") == BUS_NAME and member in (None, m.get("member"))]

    def wait_for_calls(self, member, count):
        """Reads until count calls of member (None: of any) passed the
        bus."""
        deadline = time.monotonic() + harness.PATIENCE
        while len(self.calls(member)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.calls(member))} calls of {member} passed the "
                                     f"bus in {harness.PATIENCE} s, not {count}")
            self.read(0.1)

    def catch_up(self):
        """Reads until what the bus routed before now is read: a signal
        sent now comes after it."""
        self.marks += 1
        path = f"/org/bgservice1/test/mark{self.marks}"
        harness.busctl(self.bus, "emit", path, "org.bgservice1.Test", "Mark")
        deadline = time.monotonic() + harness.PATIENCE
        while not any(m.get("path") == path for m in self.messages):
            if time.monotonic() > deadline:
                raise AssertionError("busctl monitor did not see its mark")
            self.read(0.1)

    def refusals(self):
        """The bus's refusals of calls, for its limits."""
        return [m for m in self.messages
                if m["type"] == "error" and m.get("error_name") == LIMITS_EXCEEDED]

    def most_in_flight(self):
        """The most calls to bgserviced that one connection had waiting
        for their reply at a time, as the bus passed them on (refused calls
        left out)."""
        refused = {(m["destination"], m["reply_cookie"]) for m in self.refusals()}
        waiting = set()
        most = 0
        for message in self.messages:
            if message["type"] == "method_call" and message.get("destination") == BUS_NAME:
                call = (message["sender"], message["cookie"])
                if call not in refused:
                    waiting.add(call)
                    most = max(most, sum(1 for sender, _ in waiting if sender == call[0]))
            elif message["type"] in ("method_return", "error"):
                waiting.discard((message.get("destination"), message.get("reply_cookie")))
        return most

    def answered(self):
        """How many of the calls to bgserviced seen so far have had their
        reply."""
        calls = {(m["sender"], m["cookie"]) for m in self.calls()}
        return sum(1 for m in self.messages if m["type"] in ("method_return", "error")
                   and (m.get("destination"), m.get("reply_cookie")) in calls)

    def wait_for_answers(self, count):
        """Reads until count calls to bgserviced have had their reply."""
        harness.wait_until(lambda: self.read(0.1) or self.answered() >= count,
                           f"{count} calls to bgserviced to be answered")

    def close(self):
        self.process.terminate()
        self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()
