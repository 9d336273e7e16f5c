/* SPDX-License-Identifier: MIT */
/* fuzz-replay.c: main() of a fuzz target built without libFuzzer.
 *
 * Runs the target's LLVMFuzzerTestOneInput() once on each file named on
 * the command line, and on each file of each folder named (in the order
 * of their names, not recursively), so that the corpora replay as
 * ordinary tests with any compiler. Arguments that start with '-' are
 * libFuzzer's options and are ignored, so that both builds take the same
 * command line. Fails when it ran no input at all: an empty or missing
 * corpus is a mistake, not a pass.
 */
#include "config.h"

#include "fuzz-target.h"

/* Runs the target on the contents of @path; FALSE when it cannot be read. */
static gboolean
replay_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  gsize length;

  if (!g_file_get_contents (path, &data, &length, &error))
    {
      g_printerr ("fuzz-replay: %s\n", error->message);
      return FALSE;
    }

  LLVMFuzzerTestOneInput ((const uint8_t *) data, length);
  return TRUE;
}

/* Orders file names as strcmp() does, for a stable replay order. */
static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* Runs the target on every file of the folder @path; adds to @n_inputs. */
static gboolean
replay_folder (const char *path,
               guint      *n_inputs)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (path, 0, &error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    {
      g_printerr ("fuzz-replay: %s\n", error->message);
      return FALSE;
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      if (g_file_test (names->pdata[i], G_FILE_TEST_IS_DIR))
        continue;
      if (!replay_file (names->pdata[i]))
        return FALSE;
      (*n_inputs)++;
    }

  return TRUE;
}

int
main (int    argc,
      char **argv)
{
  guint n_inputs = 0;

  LLVMFuzzerInitialize (&argc, &argv);

  for (int i = 1; i < argc; i++)
    {
      gboolean ok;

      if (argv[i][0] == '-')
        continue;

      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          ok = replay_folder (argv[i], &n_inputs);
        }
      else
        {
          ok = replay_file (argv[i]);
          n_inputs++;
        }
      if (!ok)
        return 1;
    }

  if (n_inputs == 0)
    {
      g_printerr ("fuzz-replay: no input was replayed; name corpus folders or files\n");
      return 1;
    }

  g_print ("fuzz-replay: %u inputs replayed\n", n_inputs);
  return 0;
}
