/* SPDX-License-Identifier: MIT */
/* test-timespan.c: bgsd_timespan_parse(), time spans in systemd's syntax.
 *
 * Each accepted span is checked to the microsecond; each refused one for
 * its error, and for leaving the output alone.
 */
#include <string.h>

#include "bgsd-timespan.h"

#define SEC    G_GUINT64_CONSTANT (1000000)
#define MINUTE (60 * SEC)
#define HOUR   (60 * MINUTE)
#define DAY    (24 * HOUR)

typedef struct
{
  const char *text;
  guint64     usec;
} Accepted;

typedef struct
{
  const char *text;
  const char *words;  /* what the message must hold */
} Refused;

static void
assert_accepted (const Accepted *cases,
                 gsize           n_cases,
                 gboolean        allow_infinity)
{
  for (gsize i = 0; i < n_cases; i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 usec = 42;

      g_test_message ("“%s”", cases[i].text);
      g_assert_true (bgsd_timespan_parse (cases[i].text, allow_infinity, &usec, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (usec, ==, cases[i].usec);
    }
}

static void
assert_refused (const Refused *cases,
                gsize          n_cases,
                gboolean       allow_infinity)
{
  for (gsize i = 0; i < n_cases; i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 usec = 42;

      g_test_message ("“%s”", cases[i].text);
      g_assert_false (bgsd_timespan_parse (cases[i].text, allow_infinity, &usec, &error));
      g_assert_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE);
      g_test_message ("  %s", error->message);
      g_assert_nonnull (strstr (error->message, cases[i].words));
      g_assert_cmpuint (usec, ==, 42);
    }
}

static void
test_bare_numbers_are_seconds (void)
{
  static const Accepted cases[] = {
    { "0", 0 },
    { "1", SEC },
    { "10", 10 * SEC },
    { "1.5", 1500000 },
    { "0.25", 250000 },
    { ".5", 500000 },
    { "5.", 5 * SEC },
    { "007", 7 * SEC },
    { "0.000001", 1 },
    { "0.0000019", 1 },          /* below a microsecond: dropped */
    { "0.0000001", 0 },
    { "  2  ", 2 * SEC },
    { "\t3\n", 3 * SEC },
  };

  assert_accepted (cases, G_N_ELEMENTS (cases), FALSE);
}

static void
test_every_unit (void)
{
  static const Accepted cases[] = {
    { "7us", 7 }, { "7usec", 7 }, { "7µs", 7 }, { "7μs", 7 },
    { "7ms", 7000 }, { "7msec", 7000 },
    { "7s", 7 * SEC }, { "7sec", 7 * SEC }, { "7second", 7 * SEC }, { "7seconds", 7 * SEC },
    { "7m", 7 * MINUTE }, { "7min", 7 * MINUTE }, { "7minute", 7 * MINUTE },
    { "7minutes", 7 * MINUTE },
    { "7h", 7 * HOUR }, { "7hr", 7 * HOUR }, { "7hour", 7 * HOUR }, { "7hours", 7 * HOUR },
    { "7d", 7 * DAY }, { "7day", 7 * DAY }, { "7days", 7 * DAY },
    { "1w", 7 * DAY }, { "1week", 7 * DAY }, { "2weeks", 14 * DAY },
    { "1M", 2629800 * SEC }, { "1month", 2629800 * SEC }, { "2months", 5259600 * SEC },
    { "1y", 31557600 * SEC }, { "1year", 31557600 * SEC }, { "2years", 63115200 * SEC },
  };

  assert_accepted (cases, G_N_ELEMENTS (cases), FALSE);
}

static void
test_number_and_unit_with_or_without_space (void)
{
  static const Accepted cases[] = {
    { "250ms", 250000 },
    { "250 ms", 250000 },
    { "250\tms", 250000 },
    { "2s", 2 * SEC },
    { "5 min", 5 * MINUTE },
    { "1.5ms", 1500 },
    { "0.5 min", 30 * SEC },
    { ".25h", 15 * MINUTE },
    { "1.5us", 1 },               /* below a microsecond: dropped */
    { "0.1M", 262980 * SEC },
    { "0.5y", 15778800 * SEC },
    { "0.123456789y", 3895999964546 },  /* 31557600 s × 0.123456789, rounded down */
  };

  assert_accepted (cases, G_N_ELEMENTS (cases), FALSE);
}

static void
test_parts_add_up (void)
{
  static const Accepted cases[] = {
    { "1min 30s", 90 * SEC },
    { "1min30s", 90 * SEC },
    { "2h 1min 3s 250ms", 2 * HOUR + MINUTE + 3 * SEC + 250000 },
    { "2h1min3s250ms", 2 * HOUR + MINUTE + 3 * SEC + 250000 },
    { "1 min  30 s", 90 * SEC },
    { "1s 1s", 2 * SEC },
    { "1 2", 3 * SEC },           /* as systemd: bare numbers are seconds */
    { "1.5s.5", 2 * SEC },        /* as systemd: ".5" after a unit is a part */
    { "1d 1us", DAY + 1 },
  };

  assert_accepted (cases, G_N_ELEMENTS (cases), FALSE);
}

static void
test_infinity_only_when_allowed (void)
{
  static const Accepted allowed[] = {
    { "infinity", BGSD_TIMESPAN_INFINITY },
    { " infinity ", BGSD_TIMESPAN_INFINITY },
    { "5s", 5 * SEC },
  };
  static const Refused refused[] = {
    { "infinity", "infinity" },
  };
  static const Refused never[] = {
    { "Infinity", "does not start with a number" },
    { "infinite", "does not start with a number" },
    { "1 infinity", "unknown unit “infinity”" },
  };

  assert_accepted (allowed, G_N_ELEMENTS (allowed), TRUE);
  assert_refused (refused, G_N_ELEMENTS (refused), FALSE);
  assert_refused (never, G_N_ELEMENTS (never), TRUE);
}

static void
test_refused (void)
{
  static const Refused cases[] = {
    { "", "empty" },
    { "   ", "empty" },
    { "-1", "negative" },
    { "-5s", "negative" },
    { "1min -5s", "negative" },
    { "-0", "negative" },
    { "+5", "“+5” does not start with a number" },
    { "5 parsecs", "unknown unit “parsecs”" },
    { "5x", "unknown unit “x”" },
    { "5sx", "unknown unit “sx”" },
    { "5 S", "unknown unit “S”" },
    { "5µ", "unknown unit “µ”" },
    { "abc", "“abc” does not start with a number" },
    { "s", "“s” does not start with a number" },
    { ".", "“.” does not start with a number" },
    { "1..5", "unexpected “.5” after “1.”" },
    { "1.5.5", "unexpected “.5” after “1.5”" },
    { "5s garbage", "“garbage” does not start with a number" },
    { "5%", "unexpected “%” after “5”" },
    { "1e3", "unknown unit “e”" },
    { "0x10", "unknown unit “x”" },
    { "1,5", "unexpected “,5” after “1”" },
    { "nan", "“nan” does not start with a number" },
  };

  assert_refused (cases, G_N_ELEMENTS (cases), FALSE);
}

static void
test_overflow_is_refused_not_wrapped (void)
{
  static const Accepted largest[] = {
    /* G_MAXUINT64 is infinity; one less is the longest finite span. */
    { "18446744073709551614us", G_MAXUINT64 - 1 },
    { "18446744073709.551614s", G_MAXUINT64 - 1 },
    { "584542y", 584542 * (31557600 * SEC) },
  };
  static const Refused cases[] = {
    { "99999999999999999999y", "too long" },
    { "99999999999999999999", "too long" },
    { "18446744073709551615us", "too long" },   /* G_MAXUINT64: infinity */
    { "18446744073709551616us", "too long" },   /* wraps to 0 */
    { "584543y", "too long" },
    { "18446744073709.551615s", "too long" },
    { "18446744073709551614us 1us", "too long" },
    { "584542y 584542y", "too long" },
  };

  assert_accepted (largest, G_N_ELEMENTS (largest), TRUE);
  assert_refused (cases, G_N_ELEMENTS (cases), TRUE);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/timespan/bare-numbers-are-seconds", test_bare_numbers_are_seconds);
  g_test_add_func ("/timespan/every-unit", test_every_unit);
  g_test_add_func ("/timespan/number-and-unit-with-or-without-space",
                   test_number_and_unit_with_or_without_space);
  g_test_add_func ("/timespan/parts-add-up", test_parts_add_up);
  g_test_add_func ("/timespan/infinity-only-when-allowed", test_infinity_only_when_allowed);
  g_test_add_func ("/timespan/refused", test_refused);
  g_test_add_func ("/timespan/overflow-is-refused-not-wrapped",
                   test_overflow_is_refused_not_wrapped);

  return g_test_run ();
}
