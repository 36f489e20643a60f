/*
 * scan_internal — what the scan's passes share. Not part of the public API.
 *
 * A scan is two passes over the inputs with grouping between them:
 *   pass 1 (scan_pass1.c): read → split → parse → normalize → check, keeping
 *          only keys, invalid-ID references, rejects and anchors (~18 bytes
 *          a record);
 *   group  (grp_keys.c):   runs of equal keys become groups;
 *   pass 2 (scan_pass2.c, scan_fetch.c): read back the few flagged records
 *          (only their stretches, for plain files) and gather their full
 *          fields; decide scope/keeper/hints (grp_decide.c) and hand the
 *          rows to emit.
 * Stages talk through the plain structs below, not through globals.
 */
#ifndef XJ_SCAN_INTERNAL_H
#define XJ_SCAN_INTERNAL_H

#include <stdatomic.h>

#include "ck_record.h"
#include "emit.h"
#include "grp_decide.h"
#include "grp_keys.h"
#include "idcheck.h"
#include "ps_record.h"
#include "rd_split.h"
#include "xj_arena.h"
#include "xj_notes.h"
#include "xjdedup.h"

#define XJ_MAX_COLUMNS 4096         /* columns in a header */
#define XJ_DEFAULT_CHUNK (8u << 20) /* bytes per parse chunk */

struct xj_scan {
    char **inputs;            /* paths as given, "-" for stdin */
    size_t n_inputs;
    char *outdir;             /* output directory */
    int force;                /* replace an existing output directory */
    int threads;              /* 0: one per core */
    uint32_t run_date;        /* 0: today */
    xj_attrScope attr_scope;  /* noid or mixed */
    int attr_scope_set;       /* set by xj_scan_setAttrScope (an update keeps the old index's otherwise) */
    int gbk;                  /* inputs are GB 18030 */
    char **maps;              /* --map texts as given */
    size_t n_maps;
    char *region_path;        /* --region-table, or NULL */
    size_t chunk_size;        /* 0: XJ_DEFAULT_CHUNK */
    int excel;                /* per-school files for Excel (BOM, no formulas) */
    int school_gbk;           /* per-school files in GB 18030 */
    int school_headers_en;    /* per-school files with English headers and codes */
    char *previous;           /* earlier OUTDIR for report.html, or NULL */
    char *against;            /* register index to check against, or NULL */
    xj_progressFn progress;   /* may be NULL */
    void *progress_user;
    xj_scanStats stats;       /* filled by a successful run */
    xj_notes warnings;        /* of the last run, for the CLI to print */
    xj_status st;             /* the last error */
};

typedef struct sc_invalid {
    uint64_t ref;             /* the record */
    uint8_t reason;           /* xj_idReason */
} sc_invalid;

/* Where pass 2 can find records again without reading the whole input:
 * every SC_ANCHOR_EVERY-th record of a plain file, with the bytes from it to
 * the next anchor (or to its chunk's end). */
#define SC_ANCHOR_EVERY 16
typedef struct sc_anchor {
    uint64_t ref;             /* the record the stretch starts with */
    uint64_t offset, end;     /* the stretch's bytes in the file */
} sc_anchor;

typedef struct sc_anchorRun { /* one chunk's anchors in a worker's list */
    uint64_t seq;
    size_t first, n;
} sc_anchorRun;

/* One worker thread's state; workers share nothing while a pass runs. */
typedef struct sc_worker {
    ps_worker parse;          /* field splitting and decoding */
    ck_scratch ck;            /* normalization buffers */
    char *keytext;            /* key text scratch (XJ_MAX_FIELD * 4 + 32) */
    gk_table gb;              /* GB 11643 ID keys */
    gk_table other;           /* (type, number) keys */
    gk_table attr;            /* (name, sex, birth) keys */
    sc_invalid *inv;          /* invalid-ID records */
    size_t n_inv, cap_inv;
    em_reject *rej;           /* rejected rows (raw bytes in `arena`) */
    size_t n_rej, cap_rej;
    uint64_t accepted;        /* records that passed parsing */
    uint64_t blank;           /* blank lines */
    uint64_t unknown_types;   /* id_type values treated as 1 */
    xj_arena arena;           /* reject raws, pass-2 strings, other_schools */
    xj_buf tail;              /* pass 2: one record's output columns */
    sc_anchor *anchors;       /* pass 1: this worker's chunks' anchors */
    size_t n_anchors, cap_anchors;
    sc_anchorRun *anchor_runs;
    size_t n_anchor_runs, cap_anchor_runs;
    struct ixb_worker *ixb;   /* index build only: payload blocks being made */
    xj_status st;             /* first error of this worker */
} sc_worker;

/* A worker's key table of one gd_keyKind: GB IDs, other IDs, attributes. */
static inline gk_table *sc_keyTable(sc_worker *w, int kind)
{
    return kind == GD_KEY_GB ? &w->gb : kind == GD_KEY_OTHER_ID ? &w->other : &w->attr;
}

typedef struct sc_input {
    const char *path;         /* as given */
    rd_input *rd;             /* open stream (kept between passes for stdin) */
    ps_schema schema;         /* this file's columns */
    int *col_for_out;         /* per output column: this file's column or -1 */
    em_input facts;           /* name, sizes, hash for summary.json */
    int plain;                /* a regular, uncompressed file: pass 1 keeps anchors */
    int rereadable;           /* plain, and cut without gaps: pass 2 may read stretches of it */
    uint64_t rows;            /* records of this input (pass 1, counted by the reader) */
} sc_input;

typedef struct sc_run {
    xj_scan *scan;            /* options and result */
    sc_input *inputs;
    size_t n_inputs;
    ps_columns cols;          /* output columns (union of headers) */
    ps_userMap *maps;         /* parsed --map options */
    sc_worker *workers;
    int n_workers;
    size_t chunk_size;
    id_context idctx;         /* run date and region table */
    id_regionTable *regions;
    gk_groups groups[3];      /* by gd_keyKind: GB IDs, other IDs, attributes */
    uint64_t *flagged;        /* refs of every record that appears in output, sorted */
    size_t n_flagged;
    gr_record *gathered;      /* pass 2: the record of flagged[i]; then register members */
    size_t n_gathered;        /* n_flagged + n_reg */
    _Atomic uint64_t invalid_seen; /* pass 1 progress: invalid IDs so far (any worker) */
    uint64_t bytes_total;     /* on-disk input size, 0 if unknown */
    double start;             /* em_now() at the start */
    em_timing timing;         /* per-stage seconds */
    /* batch check (xj_scan_setAgainst): the register and its hit records */
    struct ix_index *against; /* NULL for a plain scan */
    gr_record *reg_recs;      /* register members of the groups, by ref */
    size_t n_reg;             /* their refs use sources n_inputs + index source */
    struct sc_copy *copies;   /* batch records the register holds, with their first copy, by batch ref */
    size_t n_copies;
    em_check check;           /* what the check's output adds (sc_againstRows) */
    xj_buf registered_csv;    /* check.registered_csv */
    /* index build: added to every record's source number (update keeps the
     * old index's sources first) */
    uint32_t source_base;
    struct ixb_state *ixb;
    int one_pass;             /* no second pass (index build): nothing is spooled */
    char *names_text;         /* the inputs' paths with '/' runs collapsed; facts.name points into it */
} sc_run;

/* A record's verdict: parsed and checked into v and f, or the reject
 * reason. Both passes reach it the same way, so a record flagged in pass 1
 * parses again in pass 2 unless its file changed. */
static inline const char *sc_readRecord(const sc_run *run, sc_worker *w, const sc_input *in, const char *rec,
                                        size_t n, int unterminated, ps_view *v, ck_facts *f)
{
    const char *const reject = ps_parseRecord(&w->parse, &in->schema, rec, n, unterminated, v);
    return reject ? reject : ck_analyze(&run->idctx, v, &w->ck, f);
}

/* Sets up a run from its handle's options (inputs opened lazily, workers
 * made). Refuses, before anything is read: an input that is a directory or
 * missing, one file given twice (by any path: same device and inode), and an
 * output directory that could not be written or replaced (em_checkOutdir).
 * Names every input's `source` (sc_nameSources). `how`: SC_NO_OUTDIR when
 * the run writes no output directory, SC_NO_INPUT_OK when it may have no
 * input (an index update that only removes records), SC_ONE_PASS when the
 * inputs are read once (nothing needs spooling). */
#define SC_NO_OUTDIR 1u
#define SC_NO_INPUT_OK 2u
#define SC_ONE_PASS 4u
xj_error sc_prepare(sc_run *run, unsigned how);
void sc_runFree(sc_run *run);

/* Index build (index_build.c), called by pass 1 when run->ixb is set: keeps
 * an accepted record in the worker's payload block and gives the reference
 * its keys are filed under (*key_ref: a provisional record number); closes
 * the chunk's last block. */
xj_error ixb_addRecord(sc_run *run, sc_worker *w, const rd_chunk *chunk, const ps_view *v, const ck_facts *f,
                       uint64_t line, uint64_t *key_ref);
xj_error ixb_endChunk(sc_run *run, sc_worker *w, const rd_chunk *chunk);

/* What a worker does with one chunk. */
typedef xj_error (*sc_chunkFn)(sc_run *run, sc_worker *w, const rd_chunk *chunk);

/* Streams every input and calls `fn` on each chunk: a reader thread splits
 * while the workers parse. With `first_pass`, maps headers (filling
 * inputs[].schema and run->cols) and records the inputs' sizes and hashes. */
xj_error sc_forEachChunk(sc_run *run, int first_pass, sc_chunkFn fn, const char *stage);

/* The worker of the calling OpenMP thread (the only one without OpenMP). */
sc_worker *sc_thisWorker(sc_run *run);
/* The first worker's error, copied to the run's status (XJ_OK if none). */
xj_error sc_workersError(sc_run *run);

xj_error sc_pass1Chunk(sc_run *run, sc_worker *w, const rd_chunk *chunk);
/* After pass 1: an input more than half of whose records (and ten or more)
 * failed to decode was read in the wrong encoding, and a run over it would
 * look clean while it checked nothing; that is an input error (what to do in
 * the message). An input with fewer such records gets a warning. */
xj_error sc_checkEncodings(sc_run *run);
xj_error sc_pass2Chunk(sc_run *run, sc_worker *w, const rd_chunk *chunk);
/* The flagged records flagged[pos .. end) among a chunk's records (those not
 * in it are skipped by line), gathered into run->gathered. */
xj_error sc_gatherChunk(sc_run *run, sc_worker *w, const rd_chunk *chunk, size_t pos, size_t end);
/* Pass 2 for plain files (scan_fetch.c): reads back only the anchored
 * stretches that hold flagged records, in parallel. */
xj_error sc_fetchPass(sc_run *run);

/* Between the passes: group the key tables, list the flagged refs. */
xj_error sc_group(sc_run *run);
/* The sorted refs of every input record in a group or with an invalid ID. */
xj_error sc_listFlagged(sc_run *run);
/* Batch check (scan_against.c): groups of batch keys joined with their
 * register members, instead of sc_group; after the second pass, the
 * register members' records appended to the gathered ones and the
 * register copies of batch records (same student number and school code)
 * taken out of their groups; after the decisions, register members' rows
 * dropped, every row given its register_matches column and run->check
 * filled. */
xj_error sc_groupAgainst(sc_run *run);
xj_error sc_appendRegister(sc_run *run);
xj_error sc_againstRows(sc_run *run, em_row *rows, size_t *n_rows, xj_arena *arena);
/* After pass 2: decide every group and write the output directory. */
xj_error sc_decideAndEmit(sc_run *run);

#endif
