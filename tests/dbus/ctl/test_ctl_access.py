# SPDX-License-Identifier: MIT
"""bgservicectl run as nobody against bgserviced run as root: checks 4,
16 to 18, 26, 27, 34, 38 and 56 of tests/ctl/README-integration.md.
Reading is open to everyone; changing takes root, the daemon's user, or a
user or group of ControlUsers=/ControlGroups=. A refusal exits 2 with a
message that says what to do, and changes nothing."""

import ctltest
import harness
from ctltest import (ACCESS_HINT, FAILER_LINES, FAILURE, IDLE, NOT_FAILED, NOT_RUNNING, OK,
                     TASKS_FAILED, mask_since, sorted_lines, status_block)


def refused(action, name, method, hint=True):
    """The line bgservicectl prints when the daemon refuses method."""
    return (f"bgservicectl: not allowed to {action} “{name}”: UID 65534 may not call {method}: "
            "only root, the daemon's own user and the users and groups in ControlUsers= and "
            "ControlGroups= of its configuration may change services"
            + (" " + ACCESS_HINT if hint else "") + "\n")


class ReadingTest(ctltest.CtlTestCase):
    def test_reading_is_open_to_everyone(self):
        # 4, 38
        self.start_standard_daemon()
        self.assertResult(self.ctl("list", user="nobody"), OK, stdout=self.ctl("list").stdout,
                          stderr="")
        self.assertStatus(self.ctl("status", "clock", user="nobody"), OK,
                          status_block("clock", "running", 1))
        self.assertResult(self.ctl("status", IDLE, user="nobody"), NOT_RUNNING, stderr="")
        result = self.ctl("wait", "failer", user="nobody")
        self.assertResult(result, TASKS_FAILED, stderr="")
        self.assertEqual(sorted_lines(result.stdout), FAILER_LINES, result.describe())
        # 56
        self.assertResult(self.ctl("is-failed", "failer", user="nobody"), OK,
                          stdout="failed\n", stderr="")
        self.assertResult(self.ctl("is-failed", "failer", "clock", user="nobody"), NOT_FAILED,
                          stdout="failed\nrunning\n", stderr="")


class RefusedTest(ctltest.CtlTestCase):
    def setUp(self):
        super().setUp()
        self.daemon = self.start_standard_daemon()
        self.before = self.services()

    def assertUnchanged(self):
        self.assertEqual(self.services(), self.before)

    def test_start_refused(self):
        # 16
        self.assertResult(self.ctl("start", IDLE, user="nobody"), FAILURE, stdout="",
                          stderr=refused("start", IDLE, "Start"))
        self.assertResult(self.ctl("start", "clock", user="nobody"), FAILURE, stdout="",
                          stderr=refused("start", "clock", "Start"))
        self.assertUnchanged()

    def test_stop_refused(self):
        # 26: clock still runs; failer is still failed, with its errors.
        failer_before = self.ctl("status", "failer")
        self.assertResult(self.ctl("stop", "clock", user="nobody"), FAILURE, stdout="",
                          stderr=refused("stop", "clock", "Stop"))
        self.assertResult(self.ctl("stop", "--message=x", "failer", user="nobody"), FAILURE,
                          stdout="", stderr=refused("stop", "failer", "Stop"))
        self.assertUnchanged()
        self.assertNotIn("cancelling", self.daemon.read_log())
        self.assertStatus(self.ctl("status", "failer"), NOT_RUNNING,
                          mask_since(failer_before.stdout))

    def test_reset_failed_refused(self):
        # 56: failer stays failed, with its errors and its since-time.
        before = self.properties("failer")
        self.assertEqual(before["State"], "failed")
        self.assertEqual(len(before["LastErrors"]), 2)
        status_before = self.ctl("status", "failer")
        self.assertResult(self.ctl("reset-failed", "failer", user="nobody"), FAILURE, stdout="",
                          stderr=refused("reset the failed state of", "failer", "ResetFailed"))
        # Refused whatever the state: a running service too.
        self.assertResult(self.ctl("reset-failed", "clock", user="nobody"), FAILURE, stdout="",
                          stderr=refused("reset the failed state of", "clock", "ResetFailed"))
        self.assertEqual(self.properties("failer"), before)
        self.assertStatus(self.ctl("status", "failer"), NOT_RUNNING,
                          mask_since(status_before.stdout))
        self.assertResult(self.ctl("is-failed", "failer"), OK, stdout="failed\n", stderr="")
        self.assertUnchanged()

    def test_refused_beats_no_such_service(self):
        # 27: 2 beats 4; both messages; the hint once, after the first refusal.
        result = self.ctl("stop", "clock", "nosuch", "sleeper", user="nobody")
        self.assertResult(result, FAILURE, stdout="", stderr=(
            "bgservicectl: no such service: nosuch\n"
            + refused("stop", "clock", "Stop")
            + refused("stop", "sleeper", "Stop", hint=False)))
        self.assertUnchanged()

    def test_restart_refused(self):
        # 34: the same processes go on.
        pids = self.wait_for_task_pids(self.daemon, ["sleep", "1000"], 3)
        self.assertResult(self.ctl("restart", "sleeper", user="nobody"), FAILURE, stdout="",
                          stderr=refused("restart", "sleeper", "Restart"))
        self.assertUnchanged()
        self.assertEqual(self.task_pids(self.daemon, ["sleep", "1000"]), pids)


class AllowedTest(ctltest.CtlTestCase):
    def check_nobody_may_change(self, groups=None):
        self.assertResult(self.ctl("start", IDLE, user="nobody", groups=groups), OK,
                          stdout="", stderr="")
        self.assertEqual(self.services()[IDLE], (True, 1))
        self.assertResult(self.ctl("stop", "clock", user="nobody", groups=groups), OK,
                          stdout="", stderr="")
        self.assertEqual(self.services()["clock"], (False, 0))
        # 56: failer, failed, becomes stopped.
        self.assertResult(self.ctl("reset-failed", "failer", user="nobody", groups=groups), OK,
                          stdout="", stderr="")
        self.assertStatus(self.ctl("status", "failer"), NOT_RUNNING,
                          status_block("failer", "stopped", 0))
        # Restarting it (not running: no errors to print) runs it again; it
        # fails again, as wait tells.
        self.assertResult(self.ctl("restart", "failer", user="nobody", groups=groups), OK,
                          stdout="", stderr="")
        result = self.ctl("wait", "failer", user="nobody", groups=groups)
        self.assertResult(result, TASKS_FAILED, stderr="")
        self.assertEqual(sorted_lines(result.stdout), FAILER_LINES, result.describe())

    def test_control_users(self):
        # 17
        self.start_daemon_with("ControlUsers=", "ControlUsers=nobody")
        self.check_nobody_may_change()

    def test_control_users_by_uid(self):
        self.start_daemon_with("ControlUsers=", "ControlUsers=65534")
        self.check_nobody_may_change()

    def test_control_groups_supplementary(self):
        # 18: a group that lists the caller as a member in the user
        # database, not its primary one; the groups its process holds do
        # not count.
        group, gid = harness.temporary_group(self)
        self.start_daemon_with("ControlUsers=", f"ControlGroups={group}")
        self.assertResult(self.ctl("start", IDLE, user="nobody", groups=[gid]), FAILURE,
                          stdout="", stderr=refused("start", IDLE, "Start"))
        self.assertEqual(self.services()[IDLE], (False, 0))
        harness.add_group_member(group, "nobody")
        self.check_nobody_may_change()

    def start_daemon_with(self, old, new):
        """bgserviced with old replaced by new in CONFIG."""
        config = ctltest.CONFIG.replace(old, new)
        self.assertNotEqual(config, ctltest.CONFIG)
        self.start_daemon(config)
        self.wait_for_state("failer", "failed")


if __name__ == "__main__":
    harness.main()
