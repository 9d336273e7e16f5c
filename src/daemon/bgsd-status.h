/* SPDX-License-Identifier: MIT */
/* bgsd-status.h: the daemon's one-line summary for systemd (STATUS=). */
#pragma once

#include <bgservice.h>

G_BEGIN_DECLS

typedef struct _BgsdStatus BgsdStatus;

BgsdStatus *bgsd_status_new          (void);
void        bgsd_status_free         (BgsdStatus *self);
void        bgsd_status_add          (BgsdStatus *self,
                                      BgsService *service);
void        bgsd_status_remove       (BgsdStatus *self,
                                      BgsService *service);
void        bgsd_status_set_stopping (BgsdStatus *self);
void        bgsd_status_flush        (BgsdStatus *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BgsdStatus, bgsd_status_free)

G_END_DECLS
