/*
 * ixb_internal — what the parts of `xjdedup index build` and `index update`
 * share (index_build.c drives them). Not part of the public API.
 *
 * A build is one scan pass 1 over the register with a record hook
 * (ixb_blocks.c) that packs every accepted record into payload blocks and
 * streams them to the file in record order (ix_writer); then the blocks are
 * numbered and the key tables, renumbered, written as the key sections
 * (ixb_keys.c). An update first carries the old index's surviving records
 * over (ixb_update.c). Rejects and --remove numbers that matched nothing go
 * to lists beside the index (ixb_beside.c).
 *
 * While the pass runs, records cannot be numbered yet (workers take chunks
 * in any order), so each worker files its keys under a provisional number,
 * (block id << IXB_POS_BITS | position), block id = worker + workers x its
 * block count. Once all blocks are written (in chunk order, which is record
 * order), each gets its first record number, and every key entry is
 * renumbered with one table lookup. An update writes the old index's
 * surviving records first, under block ids from IXB_OLD_BASE on.
 */
#ifndef XJ_IXB_INTERNAL_H
#define XJ_IXB_INTERNAL_H

#include <pthread.h>

#include "ix_index.h"
#include "scan_internal.h"

#define IXB_POS_BITS 10 /* IX_BLOCK_RECORDS = 1 << 10 */
#define IXB_OLD_BASE (1ull << 36)

typedef struct ixb_block {
    uint64_t id;           /* provisional block id */
    uint32_t n;            /* records */
    uint32_t first;        /* record number, once numbered */
    void *data;            /* ix_payload.h's bytes, until written */
    size_t len;
    uint64_t hash;         /* XXH3-64 of data */
    uint32_t source;       /* the input its records come from */
    uint64_t spill_at;     /* a distributed build: where the bytes are in this process's spill */
} ixb_block;

typedef struct ixb_blocks {
    ixb_block *v;
    size_t n, cap;
} ixb_blocks;

void ixb_blocksFree(ixb_blocks *b);
/* The builder's block, taken over as block `id` (its hash taken here, on
 * the worker, so the writer only writes). */
xj_error ixb_keepBlock(ix_blockBuilder *blk, uint64_t id, ixb_blocks *into);

/* ---- ixb_blocks.c: the pass-1 hook ---- */

typedef struct ixb_worker {
    unsigned t;            /* this worker's number */
    unsigned n_workers;
    ix_blockBuilder blk;   /* the open block */
    uint64_t open_id;
    uint64_t made;         /* blocks this worker opened */
    ixb_blocks chunk;      /* the current chunk's closed blocks */
} ixb_worker;

/* A chunk's blocks, made, waiting for an earlier chunk to be written. */
typedef struct ixb_pending {
    uint64_t seq;
    ixb_blocks blocks;
} ixb_pending;

/* Blocks go to the file in chunk order, which is record order, as soon as
 * the chunks before them are done: whichever worker finishes the next chunk
 * writes it and any finished ones after it, while the others go on parsing.
 * So the payload is never held whole in memory, and the file is the same
 * for any thread count. */
typedef struct ixb_state {
    ixb_worker *workers;
    int n_workers;
    uint32_t source_base;  /* added to every record's input number (an update keeps the old sources first) */
    sc_recordHook hook;    /* what pass 1 calls (run->hook points here) */
    ix_writer *out;
    pthread_mutex_t mu;
    int have_mu;
    uint64_t next_seq;     /* the chunk to write next */
    int writing;           /* a worker is writing (one at a time) */
    ixb_pending *pending;
    size_t n_pending, cap_pending;
    ixb_blocks written;    /* every block written (data freed), in file order */
    int spill_fd;          /* a distributed build: blocks go here first (ixb_dist.c); else -1 */
    char *spill_path;
    uint64_t spill_len;
} ixb_state;

/* Opens the index file at `path` and hooks the state into the run's
 * pass 1 (run->hook). */
xj_error ixb_stateInit(ixb_state *s, sc_run *run, const char *path, uint32_t source_base);
/* Unhooks and frees; removes the file unless it was finished. */
void ixb_stateFree(ixb_state *s, sc_run *run);
/* Writes blocks (in order, with one call for many) and files them as
 * written. The caller is the only writer. */
xj_error ixb_writeBlocks(ixb_state *s, ixb_blocks *b, xj_status *st);

/* ---- ixb_keys.c: numbers and key sections ---- */

/* Everything between the pass and the file: blocks numbered, keys
 * renumbered. */
typedef struct ixb_plan {
    uint32_t *new_first;   /* by new-block id (t + nw * j) */
    size_t n_new_ids;
    uint32_t *old_first;   /* by old block number */
    uint64_t records;
    int numbered;          /* entries already hold final record numbers (a distributed build) */
} ixb_plan;

/* Numbers the blocks, written in record order, and maps their provisional
 * ids to their first record numbers. */
xj_error ixb_planMake(ixb_state *s, ixb_plan *p, xj_status *st);
void ixb_planFree(ixb_plan *p);
/* Shard `sh` of every table in `tabs` (of key kind `kind`, IX_KIND_SLIP
 * for the slips), sorted, renumbered from provisional to final record
 * numbers (equal keys in record order: provisional numbers are not) and
 * laid out as in the file, into *out (m entries); the keys of its fence
 * entries go to `fence`, the shard being entries base.. of the section.
 * -1 when memory runs out. */
int ixb_layShard(gk_table **tabs, size_t n_tabs, unsigned sh, int kind, const ixb_plan *p, size_t base,
                 unsigned char *fence, unsigned char **out, size_t *m);
/* The key sections, from every worker's key tables and `extra` (an
 * update's old entries), renumbered by the plan. */
xj_error ixb_writeKeys(sc_run *run, const ixb_plan *p, gk_table *extra, ix_writer *out);

/* ---- ixb_update.c: what an update carries over ---- */

typedef struct ixb_removal {
    char *student_no;
    size_t line;           /* in the file, 1-based */
    int matched;           /* an old record had it */
} ixb_removal;

/* Student numbers to remove (--remove): one a line, trimmed; sorted for
 * bsearch. Each remembers its line and whether it matched a record, so the
 * numbers that matched nothing can be listed in the file's order. */
typedef struct ixb_removals {
    ixb_removal *v;
    size_t n;
    size_t unmatched;      /* distinct numbers that matched no record */
} ixb_removals;

/* An update's old side: the index, the numbers to remove, and what is
 * carried over of it. All zero for a build. */
typedef struct ixb_old {
    ix_index *ix;          /* NULL for a build */
    const char *path;
    const char *remove_path;
    ixb_removals rm;
    size_t listed;         /* --remove numbers read */
    ixb_blocks blocks;     /* the surviving records, re-encoded under old block ids */
    gk_table extra[IX_KINDS]; /* their key entries */
    uint64_t removed;      /* records removed */
    xj_buf unmatched;      /* --remove numbers that matched nothing, one a line */
} ixb_old;

/* Opens the old index (old_path NULL: a build), reads the numbers to
 * remove, and settles the run date and attribute scope: an update keeps
 * the old index's unless the handle sets them (a warning when a run date
 * set differs: records carried over keep their ID reasons). */
xj_error ixb_oldOpen(ixb_old *o, xj_scan *s, const char *old_path, const char *remove_path);
/* The old records that survive, as blocks and key entries; the removal
 * numbers that matched nothing listed (a warning names `unmatched_path`). */
xj_error ixb_oldCarry(ixb_old *o, sc_run *run, const char *unmatched_path);
void ixb_oldFree(ixb_old *o);

/* ---- ixb_dist.c: a build on several processes (docs/mpi.md) ---- */

/* Every process spills its blocks to `PATH.tmpPID.partR` beside the index
 * (ixb_writeBlocks appends there while spill_fd is open). */
xj_error ixb_distOpen(ixb_state *s, sc_run *run, const char *path);
/* After pass 1 (err_in: how it went here): blocks numbered in input order
 * over all processes, every process's keys renumbered and sent to rank 0
 * with what pass 1 found, and rank 0's file, opened at `path` now, given
 * every block in that order; on rank 0, s->written is then every block and
 * `plan` maps record numbers to themselves. Collective; the error is every
 * process's. */
xj_error ixb_distFinishPass(sc_run *run, ixb_state *s, ixb_plan *plan, size_t first_warning, const char *path,
                            xj_error err_in);
void ixb_distClose(ixb_state *s);
/* The key sections: every key sent to the process that owns its shard,
 * which sorts and lays out its shards; rank 0 writes them in shard order
 * with the fence, holding one process's share at a time. Collective, after
 * ixb_distFinishPass (keys renumbered) and rank 0's META. */
xj_error ixb_distWriteKeys(sc_run *run, ixb_state *s, const ixb_plan *plan);
/* ixb_writeBlocks' way while spilling: the blocks' bytes appended to the
 * spill, each block's place noted in it. */
xj_error ixb_spillBlocks(ixb_state *s, ixb_blocks *b, xj_status *st);

/* ---- ixb_beside.c: lists beside the index ---- */

/* path + suffix, allocated. A list beside the index is written with
 * af_writeFile(path + suffix, suffix, ...), so its temporary keeps the
 * suffix (BASE.tmpPID.SUFFIX). */
char *ixb_besidePath(const char *path, const char *suffix);
/* The rejected rows, in rejects.csv's form and order, at `rp` (removed
 * when there are none, so no list from an earlier build stays). */
xj_error ixb_writeRejects(const sc_run *run, const char *rp, xj_status *st);

#endif
