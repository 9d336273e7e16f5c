/* SPDX-License-Identifier: MIT */
/* bgsd-timespan.c: time spans written as systemd writes them.
 *
 * The `…Sec=` keys of bgserviced take what systemd's unit files take: a
 * span is one or more parts added up, each a number (fractions allowed)
 * and a unit, with or without a space between them: "250ms", "5 min",
 * "1min 30s", "1min30s", "2h 1min 3s 250ms". A number without a unit is
 * seconds ("1.5", ".5"). Spans count whole microseconds: what a fraction
 * gives below one microsecond is dropped.
 */
#include "bgsd-timespan.h"

#include <string.h>

#define USEC_PER_MSEC   G_GUINT64_CONSTANT (1000)
#define USEC_PER_SEC    (1000 * USEC_PER_MSEC)
#define USEC_PER_MINUTE (60 * USEC_PER_SEC)
#define USEC_PER_HOUR   (60 * USEC_PER_MINUTE)
#define USEC_PER_DAY    (24 * USEC_PER_HOUR)
#define USEC_PER_WEEK   (7 * USEC_PER_DAY)
#define USEC_PER_MONTH  (2629800 * USEC_PER_SEC)  /* 30.44 days */
#define USEC_PER_YEAR   (31557600 * USEC_PER_SEC) /* 365.25 days */

/* Every unit name, case-sensitive: "m" is a minute, "M" a month. */
static const struct {
  const char *name;
  guint64     usec;
} units[] = {
  { "us", 1 }, { "usec", 1 },
  { "\u00b5s", 1 },  /* µs, MICRO SIGN */
  { "\u03bcs", 1 },  /* μs, GREEK SMALL LETTER MU */
  { "ms", USEC_PER_MSEC }, { "msec", USEC_PER_MSEC },
  { "s", USEC_PER_SEC }, { "sec", USEC_PER_SEC },
  { "second", USEC_PER_SEC }, { "seconds", USEC_PER_SEC },
  { "m", USEC_PER_MINUTE }, { "min", USEC_PER_MINUTE },
  { "minute", USEC_PER_MINUTE }, { "minutes", USEC_PER_MINUTE },
  { "h", USEC_PER_HOUR }, { "hr", USEC_PER_HOUR },
  { "hour", USEC_PER_HOUR }, { "hours", USEC_PER_HOUR },
  { "d", USEC_PER_DAY }, { "day", USEC_PER_DAY }, { "days", USEC_PER_DAY },
  { "w", USEC_PER_WEEK }, { "week", USEC_PER_WEEK }, { "weeks", USEC_PER_WEEK },
  { "M", USEC_PER_MONTH }, { "month", USEC_PER_MONTH }, { "months", USEC_PER_MONTH },
  { "y", USEC_PER_YEAR }, { "year", USEC_PER_YEAR }, { "years", USEC_PER_YEAR },
};

/* What a span looks like, for the messages about one that does not. */
#define FORM_HINT "write seconds (like 1.5) or numbers with units (like 250ms or 1min 30s)"

#define UNIT_NAMES "us, ms, s, min, h, d, w, M (months) or y, or their long names like “minutes”"

static void G_GNUC_PRINTF (2, 3)
set_error (GError    **error,
           const char *format,
           ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (G_KEY_FILE_ERROR,
                                                G_KEY_FILE_ERROR_INVALID_VALUE,
                                                format, args));
  va_end (args);
}

/* The word that starts at @text, for messages: up to the next space. */
static char *
word_at (const char *text)
{
  return g_strndup (text, strcspn (text, " \t\n\r\f\v"));
}

static const char *
skip_spaces (const char *text)
{
  while (g_ascii_isspace (*text))
    text++;
  return text;
}

/* A unit's name runs as long as letters do; µ and μ are not ASCII. */
static gboolean
is_unit_byte (char c)
{
  return g_ascii_isalpha (c) || (guchar) c >= 0x80;
}

static gboolean
lookup_unit (const char *name,
             gsize       length,
             guint64    *out_usec)
{
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    if (strlen (units[i].name) == length && strncmp (units[i].name, name, length) == 0)
      {
        *out_usec = units[i].usec;
        return TRUE;
      }

  return FALSE;
}

/* @a + @b, unless the sum would reach BGSD_TIMESPAN_INFINITY. */
static gboolean
add_usec (guint64  a,
          guint64  b,
          guint64 *out_sum)
{
  if (b >= BGSD_TIMESPAN_INFINITY - a)
    return FALSE;

  *out_sum = a + b;
  return TRUE;
}

/* @count × @unit, unless the product would reach BGSD_TIMESPAN_INFINITY. */
static gboolean
multiply_usec (guint64  count,
               guint64  unit,
               guint64 *out_product)
{
  if (unit != 0 && count > (BGSD_TIMESPAN_INFINITY - 1) / unit)
    return FALSE;

  *out_product = count * unit;
  return TRUE;
}

/*
 * @unit × 0.DIGITS, rounded down, for the @n_digits digits at @digits.
 * Taken from the last digit to the first, each step adds a digit's worth
 * of @unit to what the later digits gave and divides by ten: no step can
 * overflow, and rounding down at each step gives the same result as
 * rounding down once at the end.
 */
static guint64
fraction_of_unit (const char *digits,
                  gsize       n_digits,
                  guint64     unit)
{
  guint64 usec = 0;

  for (gsize i = n_digits; i > 0; i--)
    usec = ((guint64) (digits[i - 1] - '0') * unit + usec) / 10;

  return usec;
}

/* The whole number at *@text, moving *@text past its digits; FALSE (with
 * *@text moved all the same) when it does not fit a guint64. */
static gboolean
read_whole_number (const char **text,
                   guint64     *out_value)
{
  gboolean fits = TRUE;
  guint64 value = 0;

  for (; g_ascii_isdigit (**text); (*text)++)
    {
      guint digit = (guint) (**text - '0');

      if (value > (G_MAXUINT64 - digit) / 10)
        fits = FALSE;
      else
        value = value * 10 + digit;
    }

  *out_value = value;
  return fits;
}

/*
 * Reads one part, "NUMBER[ ]UNIT" or a bare "NUMBER" (seconds), from
 * *@text (at no space), and moves *@text past it.
 */
static gboolean
read_part (const char **text,
           guint64     *out_usec,
           GError     **error)
{
  const char *start = *text;
  const char *fraction = "";
  gsize n_fraction_digits = 0;
  const char *unit_name;
  gsize unit_length;
  guint64 whole, unit = USEC_PER_SEC, usec;
  gboolean fits;

  if (**text == '-')
    {
      set_error (error, "negative spans are not allowed; drop the “-”");
      return FALSE;
    }

  if (!g_ascii_isdigit (**text) && !(**text == '.' && g_ascii_isdigit ((*text)[1])))
    {
      g_autofree char *word = word_at (*text);

      set_error (error, "“%s” does not start with a number; " FORM_HINT, word);
      return FALSE;
    }

  fits = read_whole_number (text, &whole);
  if (**text == '.')
    {
      fraction = ++(*text);
      while (g_ascii_isdigit (**text))
        (*text)++;
      n_fraction_digits = (gsize) (*text - fraction);
    }

  unit_name = skip_spaces (*text);
  for (unit_length = 0; is_unit_byte (unit_name[unit_length]); unit_length++)
    ;

  if (unit_length > 0)
    {
      if (!lookup_unit (unit_name, unit_length, &unit))
        {
          g_autofree char *name = g_strndup (unit_name, unit_length);

          set_error (error, "unknown unit “%s”; use " UNIT_NAMES, name);
          return FALSE;
        }
      *text = unit_name + unit_length;
    }
  else if (unit_name == *text && **text != '\0')
    {
      /* Something that is neither a unit nor a space right after a number. */
      g_autofree char *number = g_strndup (start, (gsize) (*text - start));
      g_autofree char *rest = word_at (*text);

      set_error (error, "unexpected “%s” after “%s”; " FORM_HINT, rest, number);
      return FALSE;
    }

  if (!fits || !multiply_usec (whole, unit, &usec) ||
      !add_usec (usec, fraction_of_unit (fraction, n_fraction_digits, unit), &usec))
    {
      g_autofree char *part = g_strndup (start, (gsize) (*text - start));

      set_error (error, "“%s” is too long to count", part);
      return FALSE;
    }

  *out_usec = usec;
  return TRUE;
}

/**
 * bgsd_timespan_parse:
 * @text: the span, as systemd writes one; spaces around it are ignored
 * @allow_infinity: whether "infinity" is allowed
 * @out_usec: (out): the span in microseconds; BGSD_TIMESPAN_INFINITY for
 *   "infinity", and always less than it otherwise
 * @error: a G_KEY_FILE_ERROR_INVALID_VALUE saying what is wrong (without
 *   quoting all of @text: the caller knows where it came from)
 *
 * Reads a time span: one or more parts, added up, each a number of 0 or
 * more, possibly with a fraction ("1.5", ".5"), followed by a unit, with
 * or without a space between. A number without a unit is seconds. The
 * units are us, usec, µs; ms, msec; s, sec, second, seconds; m, min,
 * minute, minutes; h, hr, hour, hours; d, day, days; w, week, weeks; M,
 * month, months (30.44 days); y, year, years (365.25 days).
 *
 * Refused: an empty @text, negative numbers, unknown units, anything else
 * that is not a part, and spans of BGSD_TIMESPAN_INFINITY microseconds or
 * more (about 584542 years): nothing wraps around.
 *
 * Returns: whether @text is a span; *@out_usec is set only when it is.
 */
gboolean
bgsd_timespan_parse (const char  *text,
                     gboolean     allow_infinity,
                     guint64     *out_usec,
                     GError     **error)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  const char *cursor = stripped;
  guint64 total = 0;

  if (*stripped == '\0')
    {
      set_error (error, "it is empty; " FORM_HINT);
      return FALSE;
    }

  if (g_str_equal (stripped, "infinity"))
    {
      if (!allow_infinity)
        {
          set_error (error, "“infinity” is not allowed here; give a finite span");
          return FALSE;
        }
      *out_usec = BGSD_TIMESPAN_INFINITY;
      return TRUE;
    }

  while (*cursor != '\0')
    {
      guint64 part;

      if (!read_part (&cursor, &part, error))
        return FALSE;
      if (!add_usec (total, part, &total))
        {
          set_error (error, "the sum is too long to count");
          return FALSE;
        }
      cursor = skip_spaces (cursor);
    }

  *out_usec = total;
  return TRUE;
}
