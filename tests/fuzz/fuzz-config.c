/* SPDX-License-Identifier: MIT */
/* fuzz-config.c: bgserviced's configuration parser on arbitrary files.
 *
 * Each input is a whole configuration file, given to
 * bgsd_config_load_data() as the daemon gives the file it read. A file is
 * either refused with one error, valid UTF-8 that names where the problem
 * is, or accepted; an accepted file is UTF-8 text without a NUL byte, and
 * its configuration must hold what the parser promises the daemon
 * (checked below). Nothing is started: the parser
 * only tests that Exec= programs and Module= files exist, it loads no
 * module (bgsd_services_check() does, and is not called here), and
 * relative Module= paths are anchored in a folder that does not exist.
 */
#include "config.h"

#include "bgsd-config.h"
#include "fuzz-target.h"

/* Relative Module= paths land here, where no file is. */
#define FUZZ_BASE_DIR "/nonexistent/bgservice-fuzz"

/* Inputs longer than any real configuration only slow the fuzzer down. */
#define FUZZ_MAX_INPUT (64 * 1024)

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_log_init (NULL);
  return 0;
}

/* What an accepted [Service] group must be for the daemon to use it. */
static void
check_service (const BgsdConfig        *config,
               const BgsdServiceConfig *service)
{
  g_autofree char *group = g_strconcat ("Service ", service->name, NULL);

  g_assert_true (bgs_service_name_validate (service->name, NULL));
  g_assert_cmpstr (service->group, ==, group);
  g_assert_true (bgsd_config_lookup (config, service->name) == service);
  g_assert_cmpint (service->type, >=, BGSD_SERVICE_EXEC);
  g_assert_cmpint (service->type, <=, BGSD_SERVICE_MODULE);
  g_assert_nonnull (service->fingerprint);
  g_assert_cmpuint (service->interval_ms, >, 0);
  g_assert_cmpuint (service->restart_max_delay_ms, >=, service->restart_delay_ms);
  g_assert_cmpint (service->restart, >=, BGS_RESTART_NO);
  g_assert_cmpint (service->restart, <=, BGS_RESTART_ALWAYS);

  switch (service->type)
    {
    case BGSD_SERVICE_EXEC:
      g_assert_cmpuint (service->instances, >=, 1);
      g_assert_cmpuint (service->instances, <=, 10000);
      G_GNUC_FALLTHROUGH;
    case BGSD_SERVICE_TIMER:
      g_assert_nonnull (service->command);
      g_assert_nonnull (service->command->line);
      g_assert_nonnull (service->command->argv[0]);
      g_assert_true (g_file_test (service->command->program, G_FILE_TEST_IS_EXECUTABLE));
      break;
    case BGSD_SERVICE_MODULE:
      g_assert_nonnull (service->module_path);
      g_assert_true (g_path_is_absolute (service->module_path));
      break;
    case BGSD_SERVICE_CLOCK:
      break;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BgsdConfig) config = NULL;

  if (size > FUZZ_MAX_INPUT)
    return 0;

  config = bgsd_config_load_data ((const char *) data, size, "fuzz.conf", FUZZ_BASE_DIR, &error);
  if (config == NULL)
    {
      /* One error, which names the file and can be printed and logged. */
      g_assert_nonnull (error);
      g_assert_true (error->domain == G_KEY_FILE_ERROR);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      g_assert_true (g_str_has_prefix (error->message, "fuzz.conf: "));
      return 0;
    }

  /* A configuration is text: a NUL byte or bytes that are not UTF-8
   * anywhere are refused, never cut short or passed on. */
  g_assert_no_error (error);
  g_assert_true (g_utf8_validate_len ((const char *) data, size, NULL));
  g_assert_cmpstr (config->origin, ==, "fuzz.conf");
  if (config->bus_name != NULL)
    g_assert_true (g_dbus_is_name (config->bus_name) && !g_dbus_is_unique_name (config->bus_name));
  for (guint i = 0; i < config->services->len; i++)
    check_service (config, config->services->pdata[i]);

  return 0;
}
