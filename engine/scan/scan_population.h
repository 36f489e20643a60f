/*
 * scan_population — identity verification and formal student numbers in a
 * scan (docs/population.md): the extracts or population indexes loaded
 * before pass 1, each compared record looked up in them, and the `L`
 * records that may receive their formal number.
 *
 * Looking each record up as pass 1 reads it costs a cache miss a record
 * (a random line of a table as large as the register). Instead pass 1
 * keeps, beside each entry of the GB key table, a word with the record's
 * name hash (sc_popWork.names, in the table's order), and sc_popJoin looks
 * the entries up shard by shard after pass 1: a shard's entries all fall
 * in one 1/256th of the slot table (both are ordered by the same mixed
 * key), which then stays in the cache. A compared record's id_invalid row
 * is filed by the join (not_found and name_mismatch come before
 * id_changed).
 */
#ifndef XJ_SCAN_POPULATION_H
#define XJ_SCAN_POPULATION_H

#include <stddef.h>
#include <stdint.h>

#include "ck_record.h"
#include "grp_keys.h"
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

/* A GB entry's name word: 0 when its record is not compared, else the
 * record's name hash (pop_nameHash: its two low bits are 0) | 1, | 2 when
 * its reason before the lookup was id_changed. */
#define SC_POP_COMPARED 1u
#define SC_POP_CHANGED 2u

/* One worker's share. */
typedef struct sc_popWork {
    uint64_t *names[GK_SHARDS]; /* per shard of the GB key table, a word an entry (with --population) */
    size_t n_names[GK_SHARDS], cap_names[GK_SHARDS];
    uint64_t word;            /* the current record's, for its own GB entry */
    uint64_t compared;        /* records looked up (by sc_popJoin) */
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
