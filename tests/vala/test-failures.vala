// SPDX-License-Identifier: MIT
// test-failures.vala: libbgservice from Vala, through bgservice-1.vapi.
//
// A Bgs.Service subclass whose start makes two tasks that fail, in two
// error domains. Stopping it must throw a Bgs.Error.TASKS_FAILED group,
// and get_last_failures () must give back each failure: its service, task,
// domain, code and message. Any difference is printed and fails the test
// (exit status 1).

errordomain ProbeError {
    UNREACHABLE = 11
}

// TwoFailures: two tasks that fail as soon as they are made.
class TwoFailures : Bgs.Service {
    public int starts = 0;

    public TwoFailures () {
        Object (name: "two-failures");
    }

    public override void start () {
        starts++;

        var alpha = task_new ("alpha");
        alpha.return_error (new ProbeError.UNREACHABLE ("alpha: no route to the probe"));

        var beta = task_new ("beta");
        beta.return_error (new IOError.CONNECTION_REFUSED ("beta: connection refused"));
    }
}

// Expected: what one failure must look like.
struct Expected {
    string task;
    string domain;
    int code;
    string message;
}

int mismatches = 0;

void check (bool ok, string what) {
    if (!ok) {
        stderr.printf ("FAIL: %s\n", what);
        mismatches++;
    }
}

void check_string (string? got, string? want, string what) {
    check (got == want, "%s is “%s”, not “%s”".printf (what, got ?? "(null)", want ?? "(null)"));
}

int main () {
    var service = new TwoFailures ();
    // Domains as g_quark_to_string () gives them, as on D-Bus.
    var expected = new Expected[] {
        { "alpha", "probe-error-quark", ProbeError.UNREACHABLE, "alpha: no route to the probe" },
        { "beta", "g-io-error-quark", IOError.CONNECTION_REFUSED, "beta: connection refused" },
    };

    service.start ();
    check (service.starts == 1, "start () ran %d times, not once".printf (service.starts));
    check (service.is_running, "the service does not run after start ()");
    check (service.get_n_tasks () == 2, "the service tracks %u tasks, not 2".printf (service.get_n_tasks ()));

    // The stop completes once both tasks have ended, and throws their group.
    var thrown = false;
    try {
        service.stop ("end of the test", null);
    } catch (Bgs.Error.TASKS_FAILED group) {
        thrown = true;
        check (group.message.contains ("alpha: no route to the probe") &&
               group.message.contains ("beta: connection refused"),
               "the group's message names not both failures: %s".printf (group.message));
        unowned GenericArray<Error>? errors = Bgs.Error.get_errors (group);
        check (errors != null && errors.length == 2, "the group does not hold 2 errors");
    } catch (Error other) {
        check (false, "stop () threw %s %d “%s”, not Bgs.Error.TASKS_FAILED".printf (
            other.domain.to_string (), other.code, other.message));
    }
    check (thrown, "stop () did not throw the failures");
    check (!service.is_running, "the service still runs after stop ()");

    // Every failure of the run, as values: reading them twice gives the same.
    for (var reading = 1; reading <= 2; reading++) {
        var failures = service.get_last_failures ();
        var label = "reading %d: ".printf (reading);

        check (failures.length == expected.length,
               label + "%u failures, not %d".printf (failures.length, expected.length));
        for (var i = 0; i < failures.length && i < expected.length; i++) {
            unowned Bgs.Failure failure = failures[i];
            var want = expected[i];
            var what = label + "failure %d ".printf (i);

            check_string (failure.get_service (), "two-failures", what + "service");
            check_string (failure.get_task (), want.task, what + "task");
            check_string (failure.get_domain (), want.domain, what + "domain");
            check (failure.get_code () == want.code,
                   what + "code is %d, not %d".printf (failure.get_code (), want.code));
            check_string (failure.get_message (), want.message, what + "message");

            var error = failure.to_error ();
            check (error.domain.to_string () == want.domain && error.code == want.code &&
                   error.message == want.message,
                   what + "to_error () is %s %d “%s”".printf (error.domain.to_string (),
                                                             error.code, error.message));
        }
    }

    if (mismatches > 0) {
        stderr.printf ("%d checks failed\n", mismatches);
        return 1;
    }
    print ("two failures thrown by stop () and read back with get_last_failures ()\n");
    return 0;
}
