/* SPDX-License-Identifier: MIT */
/* bgsd-authority.h: the one authority over the life of the daemon's
 * services. */
#pragma once

#include "bgsd-config.h"

G_BEGIN_DECLS

typedef struct _BgsdAuthority BgsdAuthority;

/* What the daemon as a whole lets its services do. */
typedef enum {
  BGSD_PHASE_SERVING,   /* reloads apply; services start as asked */
  BGSD_PHASE_STOPPING,  /* shutdown: every service stops, nothing starts */
  BGSD_PHASE_KILLING,   /* asked again: the commands were killed */
} BgsdPhase;

/* Called when no service is left to replace or remove after a reload. */
typedef void (*BgsdSettledFunc) (gpointer user_data);

BgsdAuthority *bgsd_authority_new        (BgsManager        *manager,
                                          BgsdSettledFunc    settled,
                                          gpointer           user_data);
void           bgsd_authority_free       (BgsdAuthority     *self);

gboolean       bgsd_authority_add_all    (BgsdAuthority     *self,
                                          const BgsdConfig  *config,
                                          GError           **error);
void           bgsd_authority_start_auto (BgsdAuthority     *self);
void           bgsd_authority_apply      (BgsdAuthority     *self,
                                          const BgsdConfig  *old,
                                          const BgsdConfig  *config);

void           bgsd_authority_shut_down  (BgsdAuthority     *self,
                                          BgsBus            *bus,
                                          const char        *why,
                                          GAsyncReadyCallback callback,
                                          gpointer           user_data);
guint          bgsd_authority_kill       (BgsdAuthority     *self);
BgsdPhase      bgsd_authority_get_phase  (BgsdAuthority     *self);

G_END_DECLS
