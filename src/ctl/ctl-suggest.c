/* SPDX-License-Identifier: MIT */
/* ctl-suggest.c: the nearest known word to a mistyped one.
 *
 * The distance is the optimal string alignment distance (Levenshtein's,
 * with the swap of two neighbours counting as one edit, the commonest
 * typo: "stauts"), over Unicode characters. A word is suggested when it is
 * at most a third of the typed word's length away (rounded up; at least 1,
 * at most 3 edits): "stauts" → "status", "is_failed" → "is-failed", but
 * "frobnicate" → nothing. On a tie the first known word wins.
 */
#include "config.h"

#include "ctl-suggest.h"

#define MAX_SUGGESTED_DISTANCE 3

/* The optimal string alignment distance between @a and @b (UTF-8),
 * counted in characters. */
guint
ctl_suggest_distance (const char *a,
                      const char *b)
{
  g_autofree gunichar *x = g_utf8_to_ucs4_fast (a, -1, NULL);
  g_autofree gunichar *y = g_utf8_to_ucs4_fast (b, -1, NULL);
  glong m = g_utf8_strlen (a, -1), n = g_utf8_strlen (b, -1);
  /* Three rows of the table: i - 2, i - 1 and i. */
  g_autofree guint *rows = g_new (guint, 3 * (n + 1));
  guint *before = rows, *previous = rows + n + 1, *current = rows + 2 * (n + 1);

  for (glong j = 0; j <= n; j++)
    previous[j] = j;

  for (glong i = 1; i <= m; i++)
    {
      guint *oldest = before;

      current[0] = i;
      for (glong j = 1; j <= n; j++)
        {
          guint cost = x[i - 1] == y[j - 1] ? 0 : 1;
          guint best = MIN (previous[j] + 1, current[j - 1] + 1);

          best = MIN (best, previous[j - 1] + cost);
          if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1])
            best = MIN (best, before[j - 2] + 1);
          current[j] = best;
        }
      before = previous;
      previous = current;
      current = oldest;
    }

  return previous[n];
}

/*
 * ctl_suggest_nearest:
 * @typed: what the user typed (UTF-8)
 * @known: (array zero-terminated=1): the words it may have meant
 *
 * Returns: (nullable) (transfer none): the word of @known nearest to
 *   @typed when it is near enough (see the top of the file), else %NULL;
 *   never @typed itself
 */
const char *
ctl_suggest_nearest (const char         *typed,
                     const char * const *known)
{
  guint limit = CLAMP ((g_utf8_strlen (typed, -1) + 2) / 3, 1, MAX_SUGGESTED_DISTANCE);
  const char *nearest = NULL;
  guint nearest_distance = G_MAXUINT;

  if (!g_utf8_validate (typed, -1, NULL))
    return NULL;

  for (guint i = 0; known[i] != NULL; i++)
    {
      guint distance = ctl_suggest_distance (typed, known[i]);

      if (distance > 0 && distance <= limit && distance < nearest_distance)
        {
          nearest = known[i];
          nearest_distance = distance;
        }
    }

  return nearest;
}
