/*
 * scan_internal — the scan's stages and what they hand each other. Not part
 * of the public API.
 *
 * A scan is two passes over the inputs with grouping between them; every
 * stage reads what the one before it produced, as plain data:
 *   pass 1  (scan_pass1.c, scan_keys.h): read → split → parse → normalize →
 *           check; each worker keeps an sc_found: key tables, invalid-ID
 *           references, rejects, counts and anchors (~18 bytes a record).
 *           A caller may hook every accepted record (sc_recordHook: the
 *           index build packs them into its blocks);
 *   group   (scan_group.c): key tables → groups (gk_groups), with a source
 *           asked by key joined in for a batch check (its register,
 *           scan_against.c);
 *   pass 2  (scan_pass2.c → scan_fetch.c → scan_gather.c): the flagged
 *           records (members of groups, invalid IDs) read back — only their
 *           stretches, for plain files — into gr_records;
 *   decide  (scan_decide.c): groups and gathered records → rows (sc_rows);
 *   emit    (scan_emit.c): rows, rejects and counts → the output directory.
 * scan.c runs them in order (xj_scan_run); scan_prepare.c sets up a run,
 * scan_stream.c drives a pass over the inputs. Stages talk through the
 * structs below, not through globals.
 */
#ifndef XJ_SCAN_INTERNAL_H
#define XJ_SCAN_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "ck_record.h"
#include "emit.h"
#include "grp_decide.h"
#include "grp_keys.h"
#include "idcheck.h"
#include "ps_record.h"
#include "rd_split.h"
#include "scan_population.h"
#include "scan_group.h"
#include "xj_arena.h"
#include "xj_notes.h"
#include "xjdedup.h"

#define XJ_MAX_COLUMNS 4096         /* columns in a header */
/* Bytes per parse chunk. A scan's chunks are small enough to be parsed
 * while the bytes just read into them are still in cache (1 MiB: 5-8 %
 * less CPU at 10M rows than 8 MiB); an index build keeps 8 MiB, as its
 * record blocks follow the chunks and the file's layout stays as it was. */
#define XJ_DEFAULT_CHUNK (1u << 20)
#define XJ_INDEX_CHUNK (8u << 20)

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
    int xlsx;                 /* a .xlsx workbook beside each per-school file */
    int no_suspects;          /* --no-suspects: no suspect_duplicate (docs/suspects.md) */
    int no_split;             /* distributed: read every file whole (after a wrong cut, scan_split.c) */
    int school_gbk;           /* per-school files in GB 18030 */
    int school_headers_en;    /* per-school files with English headers and codes */
    char *previous;           /* earlier OUTDIR (--previous), or NULL */
    char **decisions;         /* --decisions files, in order */
    size_t n_decisions;
    char *against;            /* register index to check against, or NULL */
    char **population;        /* --population files (extracts or indexes), in order */
    size_t n_population;
    xj_progressFn progress;   /* may be NULL */
    void *progress_user;
    xj_scanStats stats;       /* filled by a successful run */
    xj_notes warnings;        /* of the last run, for the CLI to print */
    xj_status st;             /* the last error */
};

/* ---- pass 1's result ---- */

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

/* What pass 1 found in one worker's chunks. With the inputs' own facts,
 * which the reading keeps in sc_input (rows, sizes, hash, whether a file
 * can be read back by stretches), it is all the later stages read of
 * pass 1; a record hook keeps its own results. */
typedef struct sc_found {
    gk_table keys[SC_KEY_KINDS]; /* by gd_keyKind: GB IDs, other IDs, attributes */
    gk_table slips;           /* an index build's: mistyped IDs' records under the numbers one slip
                               * away (its KEYS_SLIP; a scan files them in keys[GD_KEY_GB], flagged) */
    sc_invalid *inv;          /* invalid-ID records (none kept by a one-pass run) */
    size_t n_inv, cap_inv;
    em_reject *rej;           /* rejected rows, raw bytes in `raws` */
    size_t n_rej, cap_rej;
    xj_arena raws;
    uint64_t accepted;        /* records that passed parsing */
    uint64_t blank;           /* blank lines */
    uint64_t unknown_types;   /* id_type values treated as 1 */
    sc_anchor *anchors;       /* a two-pass run: this worker's chunks' anchors */
    size_t n_anchors, cap_anchors;
    sc_anchorRun *anchor_runs;
    size_t n_anchor_runs, cap_anchor_runs;
    int presized;             /* the key tables were sized from the first chunk */
} sc_found;

/* Pass 1's counts over every worker. */
typedef struct sc_counts {
    uint64_t accepted, rejected, blank, unknown_types;
} sc_counts;

/* A caller's hook into pass 1, called by the worker that parses the chunk
 * (`worker`: its number); an error is reported in `st` (the worker's).
 * The index build's keeps every accepted record in its payload blocks. */
typedef struct sc_recordHook {
    /* An accepted record of input `source` (required); *key_ref, the
     * reference its keys are filed under, is its own ref on entry. */
    xj_error (*record)(void *user, int worker, uint32_t source, uint64_t line, const ps_view *v, const ck_facts *f,
                       uint64_t *key_ref, xj_status *st);
    /* Every record of `chunk` has been seen (may be NULL). */
    xj_error (*chunk_done)(void *user, int worker, const rd_chunk *chunk, xj_status *st);
    void *user;
} sc_recordHook;

/* ---- the run ---- */

/* One worker thread's state; workers share nothing while a pass runs. */
typedef struct sc_worker {
    sc_found found;           /* pass 1's result */
    ps_worker parse;          /* field splitting and decoding */
    ck_scratch ck;            /* normalization buffers */
    char *keytext;            /* key text scratch (SC_KEYTEXT_BYTES) */
    xj_arena strings;         /* pass 2: the gathered records' strings */
    xj_buf tail;              /* pass 2: one record's output columns */
    sc_popWork pop;           /* pass 1: population lookups waiting, formal-number candidates */
    xj_status st;             /* first error of this worker */
} sc_worker;

/* ---- the officers' decisions (scan_decisions.c, docs/monthly.md §4) ---- */

typedef struct sc_decisions {
    em_decision *v;           /* every line read, in reading order */
    size_t n, cap;
    uint32_t *table;          /* open addressing: the line in effect per member, index + 1 */
    size_t table_cap;
    xj_arena strings;
    int given;                /* --previous or --decisions: the monthly files are written */
} sc_decisions;

/* PREV's decisions.csv (when `previous`; a PREV without one adds nothing),
 * then `files` in order; XJ_ERR_INPUT naming file and line when malformed. */
xj_error sc_decisionsLoad(sc_decisions *d, const char *previous, char *const *files, size_t n_files, xj_status *st);
/* What grp_decide asks. */
gd_verdicts sc_decisionsVerdicts(sc_decisions *d);
void sc_decisionsFree(sc_decisions *d);

typedef struct sc_input {
    const char *path;         /* as given */
    rd_input *rd;             /* open stream (kept between passes for stdin) */
    ps_schema schema;         /* this file's columns */
    int *col_for_out;         /* per output column: this file's column or -1 */
    em_input facts;           /* name, sizes, hash for summary.json */
    int plain;                /* a regular, uncompressed file: pass 2 may pread it */
    int contiguous;           /* cut without gaps (no overlong record): its anchors hold */
    int rereadable;           /* plain and contiguous: pass 2 may pread stretches of it */
    uint64_t rows;            /* records of this input (pass 1, counted as chunks are cut) */
    /* a distributed scan's large plain file, read in parts (scan_split.c) */
    int split;                /* every process reads a part of it */
    uint64_t split_size;      /* its size when the parts were planned */
    uint64_t part_lo, part_hi;/* this process's bytes [part_lo, part_hi) */
    uint64_t line_lo, line_hi;/* the lines its part's records start on, [line_lo, line_hi) */
    uint64_t *part_line;      /* K + 1: the line part r starts on; part_line[K] is past the last */
    int reader;               /* read whole: the process that reads it (sc_readerOf) */
    int part_in_quote;        /* pass 1: the part ended inside a quoted value (its cut was wrong) */
    char split_hash[33];      /* rank 0: XXH3-128 of the whole file */
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
    int one_pass;             /* no second pass (index build): nothing is spooled, no anchors or invalid IDs kept */
    const sc_recordHook *hook;/* pass 1: the caller's hook, or NULL */
    sc_decisions decisions;   /* the officers' decisions (empty unless --previous / --decisions) */
    sc_population pop;        /* --population, loaded before pass 1 */
    em_prev *prev;            /* --previous, loaded before pass 1 */
    em_personPending *person_pending; /* per worker: pass 1 tells prev which records are still there */
    pthread_t prev_reader;    /* em_prevRead, started once the first header names the columns */
    int prev_reading;         /* prev_reader runs (to be joined) */
    xj_status prev_st;        /* what it found wrong */
    gk_groups groups[SC_KEY_KINDS]; /* by gd_keyKind: GB IDs, other IDs, attributes */
    gk_groups suspects;       /* suspect_duplicate candidates, then groups (grp_suspects.h) */
    uint64_t group_total[SC_KEY_KINDS]; /* the job's groups of each kind (every process's, summed) */
    uint64_t *flagged;        /* refs of every input record that appears in output, sorted */
    size_t n_flagged;
    gr_record *gathered;      /* pass 2: the record of flagged[i]; then a check's register members */
    size_t n_gathered;
    _Atomic uint64_t invalid_seen; /* pass 1 progress: invalid IDs so far (any worker) */
    uint64_t bytes_total;     /* on-disk input size, 0 if unknown */
    double start;             /* xj_now() at the start */
    em_timing timing;         /* per-stage seconds */
    char *names_text;         /* the inputs' paths with '/' runs collapsed; facts.name points into it */
    int rank, n_ranks;        /* a distributed run's processes (scan_dist.c); 0 and 1 alone */
    uint8_t *mine;            /* per input: this process reads its records (NULL: every input) */
    pthread_t split_hasher;   /* rank 0: hashes the split inputs whole during pass 1 */
    int split_hashing;        /* split_hasher runs (to be joined) */
    xj_status split_st;       /* what it found wrong */
    int commit_agreed;        /* rank 0 met the others just before putting OUTDIR in place */
    em_share share;           /* a distributed run: the school files shared out (scan_share.c) */
    int share_met;            /* rank 0 reached the sharing's first meeting */
    int share_agreed;         /* ... and every process agreed to share */
} sc_run;

/* Whether this process reads input i's records, all or a part (always,
 * unless distributed). */
static inline int sc_isMine(const sc_run *run, size_t i)
{
    return run->mine == NULL || run->mine[i];
}

/* Whether this process reads record `ref` (its input's part, when split). */
static inline int sc_ownsRecord(const sc_run *run, uint64_t ref)
{
    size_t const i = gk_refSource(ref);
    if (!sc_isMine(run, i)) return 0;
    const sc_input *const in = &run->inputs[i];
    uint64_t const line = gk_refLine(ref);
    return !in->split || (line >= in->line_lo && line < in->line_hi);
}

/* The process that reads record `ref` in a distributed scan. */
static inline int sc_readerOf(const sc_run *run, uint64_t ref)
{
    const sc_input *const in = &run->inputs[gk_refSource(ref)];
    if (!in->split) return in->reader;
    /* the last part starting at or before the line: an empty part starts
     * where the next does, so it is never the answer */
    uint64_t const line = gk_refLine(ref);
    int lo = 0, hi = run->n_ranks - 1;
    while (lo < hi) {
        int const mid = lo + (hi - lo + 1) / 2;
        if (in->part_line[mid] <= line) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

/* A record's verdict: parsed and checked into v and f, or the reject
 * reason. Both passes reach it the same way, so a record flagged in pass 1
 * parses again in pass 2 unless its file changed. With `persons` (pass 1
 * of a run with --previous), *quick is the record's pair's filter hash,
 * taken between parsing and checking so that the filter word it asks for
 * arrives while the record is checked. */
static inline xj_reject sc_readRecord(const sc_run *run, sc_worker *w, const sc_input *in, const char *rec,
                                      size_t n, int unterminated, ps_view *v, ck_facts *f,
                                      const em_personFilter *persons, uint64_t *quick)
{
    xj_reject const reject = ps_parseRecord(&w->parse, &in->schema, rec, n, unterminated, v);
    if (reject != XJ_REJECT_NONE) return reject;
    if (persons)
        *quick = em_personQuick(persons, v->val[PS_STUDENT_NO], v->len[PS_STUDENT_NO], v->val[PS_SCHOOL_CODE],
                                v->len[PS_SCHOOL_CODE]);
    return ck_analyze(&run->idctx, v, &w->ck, f);
}

/* Sets up a run from its handle's options (scan_prepare.c; inputs opened
 * lazily, workers made). Refuses, before anything is read: an input that is
 * a directory or missing, one file given twice (by any path: same device
 * and inode), and an output directory that could not be written or replaced
 * (em_checkOutdir). Names every input's `source` (sc_nameSources). `how`:
 * SC_NO_OUTDIR when the run writes no output directory, SC_NO_INPUT_OK when
 * it may have no input (an index update that only removes records),
 * SC_ONE_PASS when the inputs are read once (no second pass follows). */
#define SC_NO_OUTDIR 1u
#define SC_NO_INPUT_OK 2u
#define SC_ONE_PASS 4u
#define SC_DIST_OK 8u   /* a one-pass run that knows how to run on several processes (ixb_dist.c) */
xj_error sc_prepare(sc_run *run, unsigned how);
void sc_runFree(sc_run *run);

/* What a worker does with one chunk. */
typedef xj_error (*sc_chunkFn)(sc_run *run, sc_worker *w, const rd_chunk *chunk);

/* Streams every input and calls `fn` on each chunk (scan_stream.c): each
 * worker cuts the next chunk, one at a time, and parses it itself. With `first_pass`, maps
 * headers (filling inputs[].schema and run->cols), records the inputs'
 * sizes and hashes, and ends with sc_checkEncodings. */
xj_error sc_forEachChunk(sc_run *run, int first_pass, sc_chunkFn fn, const char *stage);

/* The worker of the calling OpenMP thread (the only one without OpenMP). */
sc_worker *sc_thisWorker(sc_run *run);
/* The first worker's error, copied to the run's status (XJ_OK if none). */
xj_error sc_workersError(sc_run *run);

/* ---- pass 1 (scan_pass1.c) ---- */

/* Every record of a chunk into the worker's sc_found (and run->hook). */
xj_error sc_pass1Chunk(sc_run *run, sc_worker *w, const rd_chunk *chunk);
/* Pass 1 over every input. */
xj_error sc_pass1(sc_run *run);
/* After pass 1: an input more than half of whose records (and ten or more)
 * failed to decode was read in the wrong encoding, and a run over it would
 * look clean while it checked nothing; that is an input error (what to do in
 * the message). An input with fewer such records gets a warning. `split`:
 * 0 for the inputs read whole, at the end of pass 1; 1 for the split ones,
 * on rank 0 once every process's counts are in. */
xj_error sc_checkEncodings(sc_run *run, int split);
/* Every worker's rejects in one array (*out, owned by the caller; the raw
 * bytes stay the workers'), in no particular order: em_write and
 * em_sortRejects sort them. */
xj_error sc_collectRejects(const sc_run *run, em_reject **out, size_t *n_out);
sc_counts sc_countFound(const sc_run *run);

/* ---- group, then pass 2 (scan_pass2.c, scan_fetch.c, scan_gather.c) ---- */

/* Groups every worker's key tables (joined with `lookup`, NULL for a plain
 * scan) into run->groups, then lists the flagged records. */
xj_error sc_group(sc_run *run, const sc_keyLookup *lookup);
/* Its two steps: the key tables of found[0 .. n) grouped into out (the
 * tables consumed), then (sc_groupFinish) the suspect candidates split from
 * run->groups and the flagged records listed. */
xj_error sc_groupFound(sc_run *run, const sc_keyLookup *lookup, sc_found *const *found, size_t n,
                       gk_groups out[SC_KEY_KINDS]);
xj_error sc_groupFinish(sc_run *run);
/* Every flagged record read again into run->gathered (in flagged order):
 * plain files by their anchored stretches (sc_fetchPass), other inputs
 * read again with only those stretches split (sc_fetchStreamPass), and
 * inputs with an overlong record cut out read and split whole again
 * (sc_pass2Chunk). A flagged record not found again or no
 * longer parsing is an input error (the file changed). */
xj_error sc_gatherPass(sc_run *run);
/* Pass 2 for plain files (scan_fetch.c): reads back only the anchored
 * stretches that hold flagged records, in parallel. */
xj_error sc_fetchPass(sc_run *run);
/* Pass 2 for contiguous inputs of any kind: each read again from its start,
 * only the anchored stretches that hold flagged records split and gathered. */
xj_error sc_fetchStreamPass(sc_run *run);
/* The flagged records flagged[pos .. end) among a chunk's records (those not
 * in it are skipped by line), gathered into run->gathered (scan_gather.c). */
xj_error sc_gatherChunk(sc_run *run, sc_worker *w, const rd_chunk *chunk, size_t pos, size_t end);
/* refs[0 .. n) (allocated; taken over, and freed if this fails) sorted,
 * each once, as run->flagged, and run->gathered allocated for them. */
xj_error sc_setFlagged(sc_run *run, uint64_t *refs, size_t n);
/* qsort's order of refs (uint64_t, ascending). */
int sc_cmpRefs(const void *a, const void *b);
/* The first place in the ascending v[0 .. n) whose value is not below key. */
size_t sc_lowerBound(const uint64_t *v, size_t n, uint64_t key);
/* For each input, the column holding each output column (in->col_for_out). */
xj_error sc_mapOutputColumns(sc_run *run);

/* ---- a distributed run (scan_dist.c, docs/mpi.md) ---- */

/* Which inputs this process reads (run->mine), when there are several. */
xj_error sc_distPrepare(sc_run *run);
/* The school files of a distributed run written by the processes that
 * own the schools (scan_share.c): the em_share rank 0's em_write uses;
 * rank 0's meeting with the others when it failed before em_write shared
 * anything out; the other processes' side, whatever failed before. */
const em_share *sc_shareOf(sc_run *run);
xj_error sc_shareMissed(sc_run *run, xj_error err);
xj_error sc_distWriteSchools(sc_run *run, xj_error err);

/* ---- a large plain file read in parts by every process (scan_split.c) ---- */

/* Whether input i, of `size` bytes, is to be split: a distributed scan's
 * plain (not zstd) file of XJ_SPLIT_MIN bytes or more. */
int sc_splitWanted(const sc_run *run, size_t i, uint64_t size);
/* Collective, reached by every process whatever `err` (the error so far):
 * finds this process's part of each split input and the line it starts
 * on; rank 0 starts hashing the split inputs whole. */
xj_error sc_splitPlan(sc_run *run, xj_error err);
/* Rank 0: waits for the hashes, puts them in the inputs' facts. */
xj_error sc_splitHashJoin(sc_run *run);
/* Collective, after pass 1: the first split input some part of which ended
 * inside a quoted value (the scan must run again unsplit), or SIZE_MAX. */
size_t sc_splitFailed(sc_run *run);
/* In place of sc_group: keys to the processes that own their shards,
 * grouped there, and each process keeps its groups (its suspects split,
 * its flagged records listed); what pass 1 found (with the warnings from
 * `first_warning` on) goes to rank 0; every process learns the job's group
 * counts. Collective; the error is every process's. */
xj_error sc_distGroup(sc_run *run, size_t first_warning);
/* In place of sc_gatherPass (scan_dist_records.c): each process asks the
 * readers of its flagged records for them; each reader reads back what it
 * was asked for (pass 2) and sends it. Collective. */
xj_error sc_distGather(sc_run *run);
/* After sc_decide on every process: the other processes' rows to rank 0,
 * into `rows` (each process's own freed once sent). Collective, reached by
 * every process whatever `err` (the error so far). */
struct sc_rows;
xj_error sc_distCollectRows(sc_run *run, struct sc_rows *rows, xj_error err);
/* Rows as they travel between processes (scan_share.c): the rows' member
 * lists once each, then the rows; taken back with their strings pointing
 * into the message. */
typedef struct sc_rowsIn {
    pb_member **lists;
    uint32_t *list_len;       /* members of each list */
    uint64_t n_lists;
    pb_row *rows;
    size_t n_rows;
} sc_rowsIn;
struct xc_reader;
xj_error sc_putRows(const pb_row *rows, size_t n, xj_buf *out);
xj_error sc_takeRows(struct xc_reader *r, size_t n_inputs, sc_rowsIn *in);
void sc_rowsInFree(sc_rowsIn *in);
/* The pieces, also for the index build (ixb_dist.c): the workers' key
 * entries of shards [s0, s1), every kind and the slips (their vectors
 * freed as they are packed), and taking them into `into`; what pass 1
 * found besides keys and invalid IDs (counts, rejects, own inputs' facts,
 * population candidates, warnings from `first_warning` on), and rank 0
 * taking another process's into worker 0's. A reader that runs short is
 * XJ_ERR_INTERNAL. */
/* Every process's key entries sent to the process that owns their shard
 * (contiguous ranges, rank 0 the first: sc_distShardLo), received into
 * recv[r] from rank r (recv[rank] stays empty). Collective. */
xj_error sc_distExchangeKeys(sc_run *run, sc_found *recv);
unsigned sc_distShardLo(int rank, int ranks);
xj_error sc_distPutKeys(sc_run *run, unsigned s0, unsigned s1, xj_buf *out);
xj_error sc_distTakeKeys(struct xc_reader *r, unsigned s0, unsigned s1, sc_found *into, xj_status *st);
xj_error sc_distPutFound(const sc_run *run, size_t first_warning, xj_buf *out);
xj_error sc_distTakeFound(sc_run *run, struct xc_reader *r);
/* A counted string of `r` copied into `a` (*len its length); NULL with
 * r->bad set when the message runs short, NULL alone when `a` is full. */
const char *sc_distTakeString(struct xc_reader *r, xj_arena *a, uint32_t *len);

/* ---- a batch check's register (scan_against.c, scan_copies.c) ---- */

/* A batch record the register holds: (batch record, its first register
 * copy), by refs. */
typedef struct sc_copy {
    uint64_t batch, reg;
} sc_copy;

/* The register index a batch is checked against (xj_scan_setAgainst):
 * a key source asked by key (sc_registerSource), its members then added to
 * the gathered records (sc_registerJoin) and its rows' cells and counts
 * made (sc_againstRows). */
typedef struct sc_register {
    struct ix_index *ix;
    const char *path;         /* as given */
    uint32_t first_source;    /* its sources' numbers in refs: first_source + its own (the batch's come first) */
    int attr_mixed;           /* the run's attribute scope */
    int suspects;             /* the register's mistyped IDs join the batch's numbers (KEYS_SLIP) */
    gr_record *members;       /* the records some batch key hit, by ref (strings in `strings`) */
    size_t n_members;
    xj_arena strings;
    sc_copy *copies;          /* batch records the register holds, with their first copy, by batch ref */
    size_t n_copies;
    em_check check;           /* what the check's output adds (sc_againstRows) */
    xj_buf registered_csv;    /* check.registered_csv */
    uint64_t rows_with_matches; /* batch rows whose group holds a register member */
} sc_register;

/* Opens the run's register index: its attribute scope must cover the
 * run's (a mixed check needs the attribute keys of records with an ID). */
xj_error sc_registerOpen(sc_register *reg, sc_run *run);
void sc_registerFree(sc_register *reg);
/* A run date given that is not the index's: a warning, before grouping. */
xj_error sc_registerWarnRunDate(const sc_register *reg, xj_scan *s);
/* The register as a key source for sc_group: for every batch key, its
 * records under that key, decoded once each into reg->members. */
sc_keyLookup sc_registerSource(sc_register *reg);
/* After pass 2: the register members appended to run->gathered, and the
 * register copies of batch records taken out of their groups. */
xj_error sc_registerJoin(sc_register *reg, sc_run *run);
/* scan_copies.c: every group without the register copies of its batch
 * members (same student number and school code, trimmed); groups left too
 * small are dropped. The batch records found registered, each with its
 * first copy, go to reg->copies (by batch ref). */
xj_error sc_dropCopies(sc_register *reg, sc_run *run);
/* already_registered.csv: a line per batch record the register holds. */
xj_error sc_registeredCsv(const sc_register *reg, const sc_run *run, xj_buf *out);
/* After the decisions: register members' rows dropped, every row given its
 * register_matches column, reg->check filled. */
xj_error sc_againstRows(sc_register *reg, const sc_run *run, pb_row *rows, size_t *n_rows, xj_arena *arena);

/* ---- decide and emit (scan_decide.c, scan_emit.c) ---- */

/* The output's rows: every group member's (group by group), then every
 * invalid ID's; in a batch check, the batch's only. */
typedef struct sc_rows {
    pb_row *v;
    size_t n;
    pb_row *attested;         /* rows of attested groups: attested.csv, not problems.csv */
    size_t n_attested;
    xj_arena *arenas;         /* other_schools and register_matches texts, one arena per worker */
    int n_arenas;
    struct sc_rowsIn *received; /* rank 0 of a distributed scan: the other processes' rows, */
    xj_buf *messages;         /* ... whose strings point into these messages */
    int n_received;
} sc_rows;

/* --previous: PREV read, with the column names of the inputs mapped so far
 * (scan_stream calls it once the first input's header is mapped, before
 * any record is read). */
/* --previous: PREV's quick checks at once, its rows on their own thread
 * (sc_previousJoin waits for them and counts what pass 1 saw meanwhile). */
xj_error sc_previousLoad(sc_run *run, xj_status *st);
xj_error sc_previousJoin(sc_run *run, xj_status *st);

/* Decides every group (scope, keeper, hint) and makes the rows. `reg`: the
 * register of a batch check, or NULL. */
xj_error sc_decide(sc_run *run, sc_register *reg, sc_rows *rows);
void sc_rowsFree(sc_rows *rows);
/* Writes the output directory from the rows (sorted in place) and fills
 * the handle's stats. */
xj_error sc_emit(sc_run *run, const sc_register *reg, sc_rows *rows);
/* What emit is told of the inputs and the columns. `extra`: 1 when a
 * check's register_matches column comes first (its headers_zh then names
 * it in Chinese; the input's own headers are the same in both). */
typedef struct sc_emitInputs {
    em_input *inputs;
    const char **headers;
    const char **headers_zh;  /* NULL unless extra */
    size_t extra;
} sc_emitInputs;
xj_error sc_emitInputsMake(const sc_run *run, size_t extra, sc_emitInputs *out, xj_status *st);
void sc_emitInputsFree(sc_emitInputs *e);
/* The part of emit's run that every process knows alike: the inputs'
 * names, the headers, the run date and the per-school options. */
em_run sc_emitRunOf(const sc_run *run, const sc_emitInputs *e);

/* ---- --population and formal numbers (scan_population.c) ---- */

/* The extracts and indexes, into run->pop (a warning for numbers listed
 * under several names). */
xj_error sc_populationLoad(sc_run *run);
void sc_populationFree(sc_population *p);
/* Pass 1, for an accepted record: an `L` record's candidacy, and the name
 * word of a number to compare (w->pop.word; *deferred: its id_invalid row,
 * if any, is filed by sc_popJoin, not by the caller). */
xj_error sc_popRecord(sc_run *run, sc_worker *w, uint64_t ref, const ps_view *v, const ck_facts *f, int *deferred);
/* The record's name word beside its GB entry (pass 1, in the table's order). */
xj_error sc_popName(sc_popWork *pw, unsigned shard, uint64_t word);
/* After pass 1: every compared record looked up, shard by shard; its
 * id_invalid row filed, an unverified L record's candidacy withdrawn. */
xj_error sc_popJoin(sc_run *run);
void sc_popWorkFree(sc_popWork *pw);
/* assignments.csv from the candidates without rows (docs/population.md §3). */
xj_error sc_assignments(const sc_run *run, const sc_rows *rows, em_assignments *out, xj_status *st);
/* Files an invalid-ID record for the id_invalid rows. */
xj_error sc_addInvalid(sc_found *out, uint64_t ref, xj_idReason reason);

#endif
