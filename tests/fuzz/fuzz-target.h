/* SPDX-License-Identifier: MIT */
/* fuzz-target.h: what every fuzz target defines, and what they share.
 *
 * A target defines LLVMFuzzerInitialize() (once, before any input) and
 * LLVMFuzzerTestOneInput() (each input). libFuzzer calls both when the
 * target is built with -fsanitize=fuzzer; fuzz-replay.c calls them
 * otherwise.
 */
#pragma once

#include <stdint.h>
#include <stddef.h>

#include <glib.h>

G_BEGIN_DECLS

int LLVMFuzzerInitialize   (int            *argc,
                            char         ***argv);
int LLVMFuzzerTestOneInput (const uint8_t  *data,
                            size_t          size);

/* Makes criticals and warnings of GLib and of the code under test fatal,
 * so that a precondition that fails is a crash the fuzzer reports, and
 * drops the messages below them. @allowed_warnings (nullable): the starts
 * of warnings that may happen (NULL-terminated); they are dropped too. */
void fuzz_log_init (const char * const *allowed_warnings);

G_END_DECLS
