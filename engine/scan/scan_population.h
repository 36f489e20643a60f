/*
 * scan_population — identity verification and formal student numbers in a
 * scan (docs/population.md): the extracts or population indexes loaded
 * before pass 1, each compared record looked up in them, and the `L`
 * records that may receive their formal number.
 *
 * Pass 1 cannot afford to wait for a cache miss a record, so the lookups
 * of a worker wait in two small batches: a lookup asks for its home slot
 * when it joins a batch, and a batch is answered when the other one is
 * full, a whole batch of records later, by when the slots have arrived. A record's id_invalid row is therefore filed when its batch is
 * answered (not_found and name_mismatch come before id_changed).
 */
#ifndef XJ_SCAN_POPULATION_H
#define XJ_SCAN_POPULATION_H

#include <stddef.h>
#include <stdint.h>

#include "ck_record.h"
#include "pop_table.h"
#include "xj_arena.h"
#include "xj_buf.h"
#include "xj_status.h"
#include "xj_text.h"

/* What --population gave, loaded. */
typedef struct sc_population {
    pop_table *tables;        /* one built from every extract, then one per index file */
    size_t n_tables;
    void *index_state;        /* the opened index files (ix_population.h) */
    uint64_t entries, ids, several_names; /* over all tables, as summary.json says */
    char several_example[19]; /* the first number under several names, "" if none */
} sc_population;

/* A formal-number candidate of pass 1 (docs/population.md §3). */
enum { SC_BASIS_NONE, SC_BASIS_ID_VERIFIED, SC_BASIS_NO_ID };
typedef struct sc_assign {
    uint64_t ref;             /* the record */
    uint64_t id;              /* id_pack18 of its number (SC_BASIS_ID_VERIFIED) */
    const char *sno, *school; /* trimmed, in the worker's arena */
    uint32_t sno_len, school_len;
    uint8_t basis;            /* SC_BASIS_*; NONE once its lookup said no */
} sc_assign;

#define SC_POP_BATCH 32
typedef struct sc_popLookup {
    uint64_t ref, id, name;
    size_t assign;            /* its candidate's index + 1, 0 if none */
    uint8_t prior;            /* its reason before the lookup: XJ_ID_OK or XJ_ID_CHANGED */
} sc_popLookup;

/* One worker's share. */
typedef struct sc_popWork {
    sc_popLookup batch[2][SC_POP_BATCH]; /* filling `cur`; the other's entries asked for */
    size_t n_batch[2];
    int cur;
    uint64_t compared;        /* records looked up */
    sc_assign *assign;        /* candidates, in reading order */
    size_t n_assign, cap_assign;
    xj_arena text;
} sc_popWork;

/* Whether a student number (as read) may be a temporary `L` one: pass 1
 * asks it of every record before calling anything. */
static inline int sc_mayBeTemporary(const char *sno, size_t n)
{
    xj_trim(&sno, &n);
    return n > 0 && sno[0] == 'L';
}

#endif
