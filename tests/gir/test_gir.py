"""The library through GObject-Introspection, from Python (PyGObject).

Loads the Bgs-1 typelib of this build and uses the API the way a binding
would: constructors, properties, a Python subclass overriding the start
vfunc, tasks spawned with Python callbacks, async stop, errors as
GLib.Error in the BgsError domain.
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

    def test_version(self):
        self.assertRegex(Bgs.get_version(), r"^\d+\.\d+\.\d+$")


if __name__ == "__main__":
    unittest.main(verbosity=2)
