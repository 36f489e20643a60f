/*
 * ix_population — the population index (docs/population.md §4): a
 * pop_table written once and mapped by every run that names it.
 *
 *   offset 0    header, IX_POP_HEADER bytes, little-endian:
 *               magic "XJDPOP\r\n"  u32 version  u32 header bytes
 *               u64 entries  u64 distinct numbers  u64 numbers with several names
 *               u32 0  u32 sources
 *               u64 slots offset  u64 their XXH3-64
 *               u64 slots  u64 home slots
 *               u64 meta offset  u64 meta bytes  u64 its XXH3-64
 *               u64 build time (unix seconds)  u64 0
 *               u64 XXH3-64 of the header's first 120 bytes
 *   slots       pop_entry x slots (u64 number or POP_EMPTY, u64 name hash),
 *               laid out as pop_table.h says
 *   meta        per source { u16 name length, name, u64 bytes }, then
 *               u16 length + the xjdedup version that built it
 *
 * Opening checks the header and every checksum, so a damaged or truncated
 * file is refused with a message, never half used; lookups stay within
 * the slots whatever they hold. ix_popInfoOf (`index info`) also checks
 * the order of every entry (pop_tableValid).
 * The file is written beside its final name and renamed into place.
 */
#ifndef XJ_IX_POPULATION_H
#define XJ_IX_POPULATION_H

#include <stddef.h>
#include <stdint.h>

#include "pop_table.h"
#include "xj_status.h"

#define IX_POP_MAGIC "XJDPOP\r\n"
#define IX_POP_VERSION 1u
#define IX_POP_HEADER 128u

/* 1 when `path` starts with the magic, 0 when it does not, -1 when it
 * cannot be opened. */
int ix_popIsIndex(const char *path);

/* Maps `path` into *table; `state` keeps the mapping (pass the same
 * pointer for every file, NULL at first; ix_popClose unmaps them all). */
xj_error ix_popOpen(const char *path, void **state, pop_table *table, xj_status *st);
void ix_popClose(void *state);

typedef struct ix_popSource {
    const char *name;  /* base name */
    uint64_t bytes;    /* size on disk */
} ix_popSource;

/* Writes `t` to `path` (atomically: a temporary beside it, then renamed). */
xj_error ix_popWrite(const char *path, const pop_table *t, const ix_popSource *sources, size_t n_sources,
                     const char *version, xj_status *st);

/* What `index info` prints of a population index. */
typedef struct ix_popInfo {
    uint64_t entries, ids, several_names, build_time, slots;
    size_t n_sources;
    ix_popSource *sources; /* owned (ix_popInfoFree) */
    char version[64];
} ix_popInfo;
xj_error ix_popInfoOf(const char *path, void **state, ix_popInfo *out, xj_status *st);
void ix_popInfoFree(ix_popInfo *info);

#endif
