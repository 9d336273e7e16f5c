# SPDX-License-Identifier: MIT
"""bgservicectl making 10,000 calls in one command, on a bus with the
system bus's limit of 128 replies a connection may wait for
(max_replies_per_connection): check 84 of tests/ctl/README-integration.md.

Each command that reads names 10,000 services (a few services named over
and over, so that the daemon's own cost stays small: what is measured is
the client): 10,000 GetService calls, then 10,000 GetAll. Every
one must be answered and printed, in the order of the names, with at most
64 calls waiting at a time and none refused by the bus; list still reads
everything with one GetManagedObjects."""

import ctltest
import harness
from busrecord import BusRecord
from ctltest import NOT_RUNNING, OK

CALLS = 10_000
IN_FLIGHT = 64

# Four clocks that run, two that were never started.
RUNNING = [f"tick-{i}" for i in range(4)]
STOPPED = ["idle-0", "idle-1"]
CONFIG = ("".join(f"[Service {name}]\nType=clock\nIntervalSec=1h\n\n" for name in RUNNING)
          + "".join(f"[Service {name}]\nType=clock\nIntervalSec=1h\nAutoStart=false\n\n"
                    for name in STOPPED))
SERVICES = sorted(RUNNING + STOPPED)
# The 10,000 names of each command that reads, every service among them;
# the commands that change states name 1,000 (2,000 calls: the daemon's
# Start and Stop cost more than reading).
NAMES = [SERVICES[i % len(SERVICES)] for i in range(CALLS)]
CHANGES = NAMES[:CALLS // 10]


# How long a command of 10,000 names may take: a few seconds alone, far
# more on a busy machine or under a sanitizer.
LONG = harness.PATIENCE * 6


class ScaleTest(ctltest.CtlTestCase):
    """10,000 calls a command under the system bus's limit."""

    bus_extra = harness.bus_limits(max_replies_per_connection=128)

    def ctl(self, *args, **kwargs):
        return super().ctl(*args, timeout=LONG, **kwargs)

    def setUp(self):
        super().setUp()
        self.start_daemon(CONFIG)

    def record(self):
        record = BusRecord(self.bus)
        self.addCleanup(record.close)
        return record

    def states(self):
        """{name: state} as busctl reads them."""
        return {name: self.state(name) for name in SERVICES}

    def assertBounded(self, record, member, count):
        """count calls of member passed the bus, none refused, never more
        than IN_FLIGHT waiting at a time."""
        record.catch_up()
        self.assertEqual(len(record.calls(member)), count)
        self.assertEqual(record.refusals(), [])
        self.assertLessEqual(record.most_in_flight(), IN_FLIGHT)

    def test_reads(self):
        states = self.states()
        self.assertEqual(set(states.values()), {"running", "stopped"})

        record = self.record()
        result = self.ctl("is-active", *NAMES)
        self.assertResult(result, NOT_RUNNING, stderr="",
                          stdout="".join(f"{states[name]}\n" for name in NAMES))
        self.assertBounded(record, "GetService", CALLS)
        self.assertBounded(record, "GetAll", CALLS)

        result = self.ctl("show", "-p", "Name,State", *NAMES)
        self.assertResult(result, OK, stderr="", stdout="\n".join(
            f"Name={name}\nState={states[name]}\n" for name in NAMES))

        result = self.ctl("status", *NAMES)
        self.assertEqual(result.status, NOT_RUNNING, result.describe())
        self.assertEqual(result.stderr, "", result.describe())
        blocks = result.stdout.split("\n\n")
        self.assertEqual([block.splitlines()[0] for block in blocks], NAMES)
        self.assertEqual([block.splitlines()[1].split()[1] for block in blocks],
                         [states[name] for name in NAMES])

    def test_list_is_one_call(self):
        states = self.states()
        record = self.record()
        result = self.ctl("list")
        self.assertResult(result, OK, stderr="", stdout="".join(
            f"{name}\t{states[name]}\t{1 if states[name] == 'running' else 0}\t0\n"
            for name in SERVICES))
        record.catch_up()
        self.assertEqual([call["member"] for call in record.calls()], ["GetManagedObjects"])

    def test_start_and_stop(self):
        record = self.record()
        result = self.ctl("start", *CHANGES)
        self.assertResult(result, OK, stdout="", stderr="")
        self.assertBounded(record, "Start", len(CHANGES))
        self.assertEqual(self.states(), {name: "running" for name in SERVICES})

        result = self.ctl("stop", *CHANGES)
        self.assertResult(result, OK, stdout="", stderr="")
        self.assertEqual(self.states(), {name: "stopped" for name in SERVICES})

        result = self.ctl("start", "--all")
        self.assertResult(result, OK, stdout="", stderr="")
        self.assertEqual(self.states(), {name: "running" for name in SERVICES})
        result = self.ctl("stop", "--all")
        self.assertResult(result, OK, stdout="", stderr="")
        self.assertEqual(self.states(), {name: "stopped" for name in SERVICES})


if __name__ == "__main__":
    harness.main()
