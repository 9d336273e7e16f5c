# SPDX-License-Identifier: MIT
"""The library through GObject-Introspection, from Python (PyGObject).

Loads the Bgs-1 typelib of this build and uses the API the way a binding
would: constructors, properties, a Python subclass overriding the start
vfunc, tasks spawned with Python callbacks, async stop, errors as
GLib.Error in the BgsError domain, and supervision: restart policies,
the failed state, and every failure of a run as Bgs.Failure values.
"""

import unittest

import gi

gi.require_version("Bgs", "1")
gi.require_version("GLib", "2.0")
from gi.repository import Bgs, GLib, GObject  # noqa: E402


class Ticker(Bgs.Service):
    """A Python service: one periodic task that ends after three ticks."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.ticks = 0

    def do_start(self):
        self.spawn_periodic("tick", 10, self.tick, None)

    def tick(self, service, user_data):
        self.ticks += 1
        return self.ticks < 3


PY_ERROR = GLib.quark_from_string("py-test-error")


class TwoFailures(Bgs.Service):
    """A Python service whose start fails two tasks, with its own domain
    and codes: what PyGObject's GLib.Error cannot carry as a group."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.starts = 0

    def do_start(self):
        self.starts += 1
        for name, code in (("alpha", 11), ("beta", 12)):
            task = self.task_new(name)
            task.return_error(GLib.Error.new_literal(PY_ERROR, f"{name} broke", code))


def iterate_until(condition, seconds=10):
    context = GLib.MainContext.default()
    deadline = GLib.get_monotonic_time() + seconds * 1_000_000
    while not condition():
        if GLib.get_monotonic_time() > deadline:
            raise AssertionError("timed out")
        context.iteration(True)


class IntrospectionTest(unittest.TestCase):
    def test_manager_from_python(self):
        manager = Bgs.Manager.new("root")
        ticker = Ticker(name="ticker")
        self.assertTrue(manager.add(ticker))
        self.assertEqual([s.get_name() for s in manager.list()], ["ticker"])
        self.assertIs(manager.lookup("ticker"), ticker)
        # The GType name PyGObject registers: "__main__+Ticker".
        self.assertEqual(ticker.to_string(), GObject.type_name(ticker) + "[ticker]")
        self.assertFalse(manager.props.is_running)

    def test_invalid_names_raise_bgs_errors(self):
        manager = Bgs.Manager.new("root")
        with self.assertRaises(GLib.Error) as caught:
            manager.add(Ticker(name=""))
        self.assertEqual(caught.exception.domain, "BgsError")
        self.assertEqual(caught.exception.code, Bgs.Error.INVALID_ARGUMENT)
        with self.assertRaises(GLib.Error) as caught:
            manager.remove("nobody")
        self.assertEqual(caught.exception.code, Bgs.Error.NOT_FOUND)

    def test_python_subclass_runs_and_stops(self):
        ticker = Ticker(name="ticker")
        notified = []
        ticker.connect("notify::is-running", lambda obj, pspec: notified.append(obj.props.is_running))
        ticker.start()
        self.assertTrue(ticker.is_running())
        self.assertEqual(ticker.props.state, Bgs.ServiceState.RUNNING)
        iterate_until(lambda: not ticker.is_running())
        self.assertEqual(ticker.ticks, 3)
        self.assertEqual(notified, [True, False])

        results = []
        ticker.stop_async("done", None, lambda obj, result: results.append(obj.stop_finish(result)))
        iterate_until(lambda: results)
        self.assertEqual(results, [True])

    def test_every_failure_of_a_run_reaches_python(self):
        service = TwoFailures(name="two")
        ended = []
        service.connect("run-ended", lambda obj, failures: ended.append(failures))
        service.start()
        iterate_until(lambda: service.props.state == Bgs.ServiceState.FAILED)
        self.assertFalse(service.is_running())
        self.assertEqual(len(ended), 1)

        failures = service.get_last_failures()
        self.assertEqual([(f.get_service(), f.get_task(), f.get_domain(), f.get_code(),
                           f.get_message()) for f in failures],
                         [("two", "alpha", "py-test-error", 11, "alpha broke"),
                          ("two", "beta", "py-test-error", 12, "beta broke")])
        # The same failures as the GError, with domain and code kept.
        copy = failures[1].to_error()
        self.assertEqual((copy.domain, copy.code, copy.message),
                         ("py-test-error", 12, "beta broke"))

        # The group reaches Python as a GLib.Error: domain, code, message,
        # which names both tasks; reading failures consumed nothing.
        with self.assertRaises(GLib.Error) as caught:
            service.stop("done", None)
        self.assertEqual((caught.exception.domain, caught.exception.code),
                         ("BgsError", Bgs.Error.TASKS_FAILED))
        self.assertIn("alpha: alpha broke", caught.exception.message)
        self.assertIn("beta: beta broke", caught.exception.message)
        self.assertEqual(len(service.get_last_failures()), 2)

        service.reset_failed()
        self.assertEqual(service.props.state, Bgs.ServiceState.STOPPED)
        self.assertEqual(service.get_last_failures(), [])

    def test_restart_policy_from_python(self):
        service = TwoFailures(name="restarting", restart=Bgs.RestartMode.ON_FAILURE,
                              restart_delay_ms=1, start_limit_burst=2)
        self.assertEqual(service.get_restart(), Bgs.RestartMode.ON_FAILURE)
        service.start()
        iterate_until(lambda: service.props.state == Bgs.ServiceState.FAILED)
        self.assertEqual(service.starts, 3)
        self.assertEqual(service.props.n_restarts, 2)
        failures = service.get_last_failures()
        self.assertEqual([f.get_task() for f in failures], ["alpha", "beta"] * 3)
        self.assertGreater(service.get_state_timestamp(), 0)

    def test_manager_failures_name_the_member(self):
        manager = Bgs.Manager.new("root")
        manager.add(TwoFailures(name="member"))
        manager.start()
        iterate_until(lambda: not manager.is_running())
        self.assertEqual([(f.get_service(), f.get_task()) for f in manager.get_last_failures()],
                         [("member", "alpha"), ("member", "beta")])

    def test_version(self):
        self.assertRegex(Bgs.get_version(), r"^\d+\.\d+\.\d+$")


if __name__ == "__main__":
    unittest.main(verbosity=2)
