/* SPDX-License-Identifier: MIT */
/* bgsd-authority.c: the one authority over the life of the daemon's
 * services.
 *
 * Services change from four sides: calls on the bus (Start, Restart,
 * Stop..., served by the library's BgsBus), their own automatic restarts,
 * reloads, and shutdown. Left to themselves, these interleave badly: a
 * reload that removed a service once its stop had ended removed one that
 * a call had started again meanwhile, and left it running untracked. So
 * every service is made, replaced, removed and stopped for good here, and
 * only here.
 *
 * Each service name has a slot, in one of two states:
 *
 *   serving   its object is the member of that name in the manager; calls
 *             act on it as the library says.
 *   retiring  a reload replaces or removes it: it was cancelled (which
 *             drops a pending automatic restart). When its run ends, in
 *             its run-ended signal, so that no call can come in between,
 *             it leaves the manager, if it is still the member of its name,
 *             and the configuration of that moment says what takes its
 *             place: a successor made from the group, or nothing. Until
 *             then a Start does nothing (it runs), and a Restart starts
 *             whatever has the name once the stop ended (BgsBus).
 *
 * and the daemon has a phase (BgsdPhase): serving; stopping, where the
 * bus refuses every change, every service is cancelled, and nothing is
 * made, started, replaced or removed any more (a retiring service stays,
 * stopped); killing, where every command's process group got SIGKILL. A
 * newer request supersedes an older one: a retiring service is succeeded
 * by the configuration current when it stopped, and shutdown supersedes
 * every reload.
 */
#include "config.h"

#include "bgsd-authority.h"
#include "bgsd-child.h"
#include "bgsd-services.h"

struct _BgsdAuthority
{
  BgsManager       *manager;      /* (owned) */
  const BgsdConfig *config;       /* (unowned): the daemon's, current */
  GHashTable       *slots;        /* (element-type utf8 Slot) (owned) */
  guint             n_retiring;   /* slots retiring, + 1 while applying */
  BgsdPhase         phase;
  BgsdSettledFunc   settled;
  gpointer          settled_data;
};

/* Slot: the service of one name. */
typedef struct
{
  BgsdAuthority *authority;
  BgsService    *service;           /* (owned): the member of the name */
  gulong         run_ended_handler;
  gboolean       retiring;          /* a reload replaces or removes it */
} Slot;

static void
slot_free (gpointer data)
{
  Slot *slot = data;

  g_clear_signal_handler (&slot->run_ended_handler, slot->service);
  g_object_unref (slot->service);
  g_free (slot);
}

/* Whether a run of @service is under way, a pending restart included. */
static gboolean
in_run (BgsService *service)
{
  BgsServiceState state = bgs_service_get_state (service);

  return state == BGS_SERVICE_STATE_RUNNING || state == BGS_SERVICE_STATE_STOPPING ||
         state == BGS_SERVICE_STATE_RESTARTING;
}

static void
settle (BgsdAuthority *self)
{
  if (self->n_retiring == 0)
    self->settled (self->settled_data);
}

/* ---- serving ----------------------------------------------------------- */

static void on_run_ended (BgsService   *service,
                          const GError *failures,
                          Slot         *slot);

/* Starts @service when the daemon serves and AutoStart= says so. */
static void
start_as_configured (BgsdAuthority           *self,
                     BgsService              *service,
                     const BgsdServiceConfig *service_config)
{
  if (self->phase == BGSD_PHASE_SERVING && service_config->auto_start)
    bgs_service_start (service);
}

/* Makes the service of @service_config, adds it to the manager in a slot
 * of its own, and with @start, starts it as configured. */
static gboolean
add_service (BgsdAuthority            *self,
             const BgsdServiceConfig  *service_config,
             gboolean                  start,
             GError                  **error)
{
  g_autoptr(BgsService) service = bgsd_service_create (self->config, service_config, error);
  Slot *slot;

  if (service == NULL || !bgs_manager_add (self->manager, service, error))
    return FALSE;

  slot = g_new0 (Slot, 1);
  slot->authority = self;
  slot->service = g_object_ref (service);
  slot->run_ended_handler = g_signal_connect (service, "run-ended", G_CALLBACK (on_run_ended),
                                              slot);
  g_hash_table_insert (self->slots, g_strdup (service_config->name), slot);

  if (start)
    start_as_configured (self, service, service_config);
  return TRUE;
}

/* A service a reload adds, or one an earlier reload could not make. */
static void
add_new_service (BgsdAuthority           *self,
                 const BgsdServiceConfig *service_config)
{
  g_autoptr(GError) error = NULL;

  if (add_service (self, service_config, TRUE, &error))
    g_message ("Added service %s", service_config->name);
  else
    g_warning ("Cannot add service %s: %s", service_config->name, error->message);
}

/* ---- retiring ---------------------------------------------------------- */

/*
 * The retiring service of @slot has stopped. Once shutdown began it stays
 * as it is. Else it leaves the manager, if it is still the member of its
 * name, and its successor in the current configuration, if any, takes its
 * place. Frees @slot.
 */
static void
end_retirement (Slot *slot)
{
  BgsdAuthority *self = slot->authority;
  g_autofree char *name = g_strdup (bgs_service_get_name (slot->service));
  const BgsdServiceConfig *successor = bgsd_config_lookup (self->config, name);
  g_autoptr(GError) error = NULL;

  slot->retiring = FALSE;
  self->n_retiring--;

  if (self->phase != BGSD_PHASE_SERVING)
    g_message ("%s stopped; it stays as it is, since the daemon stops", name);
  else
    {
      if (bgs_manager_lookup (self->manager, name) == slot->service)
        bgs_manager_remove (self->manager, name, NULL);
      g_hash_table_remove (self->slots, name);

      if (successor == NULL)
        g_message ("Removed service %s", name);
      else if (add_service (self, successor, TRUE, &error))
        g_message ("Restarted service %s with its new settings", name);
      else
        g_warning ("%s is not running after the reload: %s", name, error->message);
    }

  settle (self);
}

/* Emitted by the library as the run ends, before anything else can run:
 * nothing can start the service in between. */
static void
on_run_ended (BgsService   *service,
              const GError *failures,
              Slot         *slot)
{
  if (slot->retiring && !in_run (service))
    end_retirement (slot);
}

/* A reload replaces or removes the service of @slot: it stops, then
 * end_retirement() does the rest. */
static void
retire (BgsdAuthority *self,
        Slot          *slot,
        const char    *why)
{
  slot->retiring = TRUE;
  self->n_retiring++;

  if (!in_run (slot->service))
    end_retirement (slot);
  else
    bgs_service_cancel (slot->service, why);
}

/* The group of @name changed or went: the service of that name retires;
 * one that an earlier reload could not make is made now. */
static void
change_service (BgsdAuthority *self,
                const char    *name)
{
  Slot *slot = g_hash_table_lookup (self->slots, name);
  const BgsdServiceConfig *after = bgsd_config_lookup (self->config, name);

  if (slot != NULL)
    retire (self, slot, after != NULL ? "replaced by a reload" : "removed by a reload");
  else if (after != NULL)
    add_new_service (self, after);
}

/* ---- the daemon's calls ------------------------------------------------- */

/* An authority over the members of @manager; @settled is called each time
 * the services a reload replaces or removes have all stopped. */
BgsdAuthority *
bgsd_authority_new (BgsManager      *manager,
                    BgsdSettledFunc  settled,
                    gpointer         user_data)
{
  BgsdAuthority *self = g_new0 (BgsdAuthority, 1);

  self->manager = g_object_ref (manager);
  self->slots = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, slot_free);
  self->phase = BGSD_PHASE_SERVING;
  self->settled = settled;
  self->settled_data = user_data;

  return self;
}

void
bgsd_authority_free (BgsdAuthority *self)
{
  g_hash_table_unref (self->slots);
  g_object_unref (self->manager);
  g_free (self);
}

/* Makes every service of @config, which stays the daemon's, without
 * starting any. */
gboolean
bgsd_authority_add_all (BgsdAuthority     *self,
                        const BgsdConfig  *config,
                        GError           **error)
{
  self->config = config;
  for (guint i = 0; i < config->services->len; i++)
    if (!add_service (self, config->services->pdata[i], FALSE, error))
      return FALSE;

  return TRUE;
}

/* Starts the services AutoStart= marks, in the order of the file. */
void
bgsd_authority_start_auto (BgsdAuthority *self)
{
  for (guint i = 0; i < self->config->services->len; i++)
    {
      const BgsdServiceConfig *service_config = self->config->services->pdata[i];
      Slot *slot = g_hash_table_lookup (self->slots, service_config->name);

      if (slot != NULL)
        start_as_configured (self, slot->service, service_config);
    }
}

/*
 * Makes @config, which replaces @old as the daemon's, the one the services
 * follow: services whose group went are removed, those whose group
 * changed are made again, new ones are added, each once the one it
 * replaces has stopped. Only while serving, once the last reload settled.
 */
void
bgsd_authority_apply (BgsdAuthority    *self,
                      const BgsdConfig *old,
                      const BgsdConfig *config)
{
  g_return_if_fail (self->phase == BGSD_PHASE_SERVING);
  g_return_if_fail (self->n_retiring == 0);

  self->config = config;
  self->n_retiring++;  /* until every change below is under way */

  for (guint i = 0; i < old->services->len; i++)
    {
      const BgsdServiceConfig *before = old->services->pdata[i];
      const BgsdServiceConfig *after = bgsd_config_lookup (config, before->name);

      if (after == NULL || !g_str_equal (after->fingerprint, before->fingerprint))
        change_service (self, before->name);
    }

  for (guint i = 0; i < config->services->len; i++)
    {
      const BgsdServiceConfig *after = config->services->pdata[i];

      if (bgsd_config_lookup (old, after->name) == NULL)
        add_new_service (self, after);
    }

  self->n_retiring--;
  settle (self);
}

/*
 * Shutdown: from now on @bus refuses every change, nothing is made or
 * started, and every service is cancelled, which drops their pending
 * restarts. @callback gets the stop of the manager
 * (bgs_service_stop_finish()) once no service runs.
 */
void
bgsd_authority_shut_down (BgsdAuthority       *self,
                          BgsBus              *bus,
                          const char          *why,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (self->phase == BGSD_PHASE_SERVING);

  self->phase = BGSD_PHASE_STOPPING;
  bgs_bus_refuse_changes (bus, "bgserviced is shutting down");
  bgs_service_stop_async (BGS_SERVICE (self->manager), why, NULL, callback, user_data);
}

/* The grace period of the shutdown is over: SIGKILL to the process group
 * of every command that runs. Returns how many groups were killed. */
guint
bgsd_authority_kill (BgsdAuthority *self)
{
  g_return_val_if_fail (self->phase == BGSD_PHASE_STOPPING, 0);

  self->phase = BGSD_PHASE_KILLING;
  return bgsd_child_kill_all ();
}

BgsdPhase
bgsd_authority_get_phase (BgsdAuthority *self)
{
  return self->phase;
}
