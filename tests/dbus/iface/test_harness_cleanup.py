# SPDX-License-Identifier: MIT
"""The harness itself: a test whose setUp() fails after it started the
bus, bgserviced or the test host leaves none of them running, and no
folder behind, although unittest does not call its tearDown()."""

import io
import os
import unittest

import harness
import ifacetest


class SetUpFailsTest(unittest.TestCase):
    def run_failing_setup(self, start):
        """Runs a test whose setUp() calls start(test), then fails; returns
        what it had started: (bus, programs, folder)."""
        started = {}

        class FailingSetUp(ifacetest.IfaceTestCase):
            def setUp(self):
                super().setUp()
                start(self)
                started.update(bus=self.bus, programs=list(self.daemons), folder=self.directory)
                raise RuntimeError("setUp fails after starting things")

            def test_nothing(self):
                pass

        result = unittest.TextTestRunner(stream=io.StringIO()).run(FailingSetUp("test_nothing"))
        self.assertEqual(len(result.errors), 1)
        self.assertIn("setUp fails", result.errors[0][1])
        return started["bus"], started["programs"], started["folder"]

    def assert_all_ended(self, bus, programs, folder):
        self.assertIsNotNone(bus.process.poll(), "dbus-daemon still runs")
        for program in programs:
            self.assertIsNotNone(program.process.poll(), f"{program.name} still runs")
        self.assertFalse(os.path.exists(folder), "the test's folder is still there")

    def test_the_test_host_and_the_bus_end(self):
        self.assert_all_ended(*self.run_failing_setup(lambda test: test.start_host("--tasks=2")))

    def test_bgserviced_and_the_bus_end(self):
        config = "[Service sleeper]\nType=exec\nExec=sleep 600\n"
        self.assert_all_ended(*self.run_failing_setup(lambda test: test.start_daemon(config)))


if __name__ == "__main__":
    harness.main()
