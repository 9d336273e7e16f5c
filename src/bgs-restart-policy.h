/* SPDX-License-Identifier: MIT */
/* bgs-restart-policy.h: when a service starts itself again, and how often. */
#pragma once

#include "bgs-service.h"

G_BEGIN_DECLS

/*
 * BgsRestartPolicy: the restart settings of one service, as its restart*
 * and start-limit-* properties hold them. Pure values: the lifecycle
 * (bgs-lifecycle.c) applies them.
 */
typedef struct
{
  BgsRestartMode mode;
  guint          delay_ms;         /* before the first restart */
  guint          max_delay_ms;     /* 0: no backoff; else the doubling stops here */
  guint          burst;            /* restarts allowed within ... */
  guint          interval_ms;      /* ... this window; 0: no limit */
} BgsRestartPolicy;

#define BGS_RESTART_POLICY_DEFAULT \
  ((BgsRestartPolicy) { BGS_RESTART_NO, 100, 0, 5, 10000 })

guint    bgs_restart_policy_delay_ms (const BgsRestartPolicy *self,
                                      guint                   restart_number);

/*
 * BgsStartLimit: when the automatic restarts of the current run happened
 * (monotonic µs), the newest last, as many as the limit needs to look at.
 */
typedef struct
{
  GArray *times;  /* (element-type gint64) (owned) (nullable) */
} BgsStartLimit;

gboolean bgs_start_limit_allows (BgsStartLimit          *self,
                                 const BgsRestartPolicy *policy,
                                 gint64                  when);
void     bgs_start_limit_record (BgsStartLimit          *self,
                                 const BgsRestartPolicy *policy,
                                 gint64                  when);
void     bgs_start_limit_clear  (BgsStartLimit          *self);

G_END_DECLS
