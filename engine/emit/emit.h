/*
 * emit — the last stage: writes the output directory of rules §6.
 *
 * In: every (record, problem) row (pb_row, xj_problem.h), already decided by
 * the group stage and carrying its original columns pre-encoded as CSV; the
 * rejected rows; the run's counts. Out: problems.csv,
 * schools/<prov>/<code>.csv, rejects.csv, summary.json and MANIFEST, written
 * into a temporary sibling directory that is renamed into place only when
 * everything is on disk (fsync'd), so a crash never leaves a half-written
 * result that looks finished.
 *
 * Promises: output bytes depend only on the rows' contents, never on their
 * order in the arrays, the thread count or the machine (except the `timing`
 * object of summary.json and MANIFEST's line for summary.json); report.html
 * carries no timing, so it is byte-identical too. A school code is used as a
 * path only when it is exactly 10 ASCII digits. The per-school options
 * (excel, school_gbk, school_headers_en) change the per-school files and
 * schools/README.txt only; problems.csv is the machine contract and never
 * changes with them.
 */
#ifndef XJ_EMIT_H
#define XJ_EMIT_H

#include <stddef.h>
#include <stdint.h>
#include <xxhash.h>

#include "em_person.h"
#include "xj_buf.h"
#include "xj_problem.h"
#include "xj_reject.h"
#include "xj_status.h"

typedef struct em_reject {
    xj_reject reason;      /* why, e.g. XJ_REJECT_FIELD_COUNT (never NONE) */
    const char *raw;       /* the row's raw bytes as read (before decoding) */
    uint64_t line;         /* 1-based line where the row starts */
    size_t raw_len;
    uint32_t source;       /* index into em_run.inputs */
} em_reject;

typedef struct em_input {
    const char *name;      /* base name, as in the `source` column */
    const char *path;      /* as given on the command line ("-" for stdin) */
    uint64_t bytes;        /* bytes read from the file (compressed size for .zst) */
    uint64_t decoded_bytes;/* bytes after decompression */
    char xxh3_128[33];     /* hex of XXH3-128 over the file's bytes as read */
    int school_name_col;   /* output column of this input's school name, -1 if none */
    int student_no_col;    /* output column of this input's student number, -1 if none */
    int school_code_col;   /* output column of this input's school code, -1 if none */
} em_input;

typedef struct em_timing {
    double read_parse_seconds; /* pass 1: read, parse, normalize, check, key */
    double group_seconds;      /* grouping and decisions */
    double gather_seconds;     /* pass 2: fetching flagged records */
    double start;              /* xj_now() at the start of the run */
    uint64_t exchanged_bytes;  /* a distributed run: bytes the processes sent each other */
    uint64_t split_inputs;     /* a distributed run: inputs every process read a part of */
    uint64_t shared_files;     /* a distributed run: school files the other processes wrote */
} em_timing;

/* One line of an officers' decisions file (docs/monthly.md §4), as read:
 * values trimmed, not NUL-terminated. */
typedef struct em_decision {
    const char *group_id, *student_no, *school_code;
    uint32_t group_id_len, student_no_len, school_code_len;
    const char *file;      /* base name of the file it came from ("decisions.csv" for PREV's) */
    uint64_t line;         /* its line there */
    uint8_t approved;      /* 1: approved, 0: revoked */
    uint8_t in_effect;     /* 0: a later line for the same member overrides it */
    uint8_t matched;       /* a current member of that group has it */
} em_decision;

/* An earlier run (--previous, docs/monthly.md §1-§3), loaded before the
 * scan so that pass 1 can tell which of its records are still there. */
typedef struct em_prev em_prev;
/* Reads DIR's problems.csv, attested.csv (when there) and run date; the
 * inputs call the student number and school code columns `sno_header` and
 * `school_header`. XJ_ERR_INPUT with a message when DIR is not a run or was
 * grouped with another `attr_scope` ("noid" / "mixed"). em_prevLoad is
 * em_prevOpen (the quick checks and the run date) then em_prevRead (the
 * rows), which may run on another thread while pass 1 starts: until it is
 * done, em_prevSawPerson keeps what it is told for later. */
xj_error em_prevLoad(const char *dir, const char *sno_header, const char *school_header, const char *attr_scope,
                     em_prev **out, xj_status *st);
xj_error em_prevOpen(const char *dir, const char *sno_header, const char *school_header, const char *attr_scope,
                     em_prev **out, xj_status *st);
xj_error em_prevRead(em_prev *p, xj_status *st);
/* Accepted records of this run: each one's student number and school code
 * asked of PREV's pairs' filter (em_prevSawPerson), one of these per
 * thread. The pairs it passes wait in `hit` to be handed to PREV a batch
 * at a time; while PREV is still being read, all pairs are kept, hashed,
 * up to a bound. em_prevDrain hands both over (at the end of a chunk, and
 * once more after pass 1: so every record is counted before the rows are
 * compared). */
#define EM_PERSON_HITS 256
typedef struct em_personPending {
    uint64_t hit[EM_PERSON_HITS];               /* em_personKey of pairs the filter passed */
    size_t n_hit;
    uint64_t *pend;                             /* pairs seen before PREV was read: em_quickPerson, em_personKey */
    size_t n_pend, cap_pend;
} em_personPending;
/* XJ_ERR_NOMEM when a pair cannot be kept. A caller may skip the records
 * that em_prevFilter's filter clears once em_personReady gives it
 * (em_person.h): em_prevSawPerson would do nothing more with them. */
const em_personFilter *em_prevFilter(const em_prev *p);
xj_error em_prevSawPerson(em_prev *p, em_personPending *b, const char *sno, size_t sn, const char *school, size_t cn);
void em_personPendingFree(em_personPending *b);
void em_prevDrain(em_prev *p, em_personPending *b);
/* A scan on several processes (docs/mpi.md): the pairs this process's
 * records passed the filter with, as handed over so far (em_personKey
 * values, in no order, repeats kept), for rank 0; and rank 0 adding another
 * process's. XJ_ERR_NOMEM when some could not be kept. */
xj_error em_prevPassed(const em_prev *p, const uint64_t **v, size_t *n);
xj_error em_prevAddPassed(em_prev *p, const uint64_t *v, size_t n);
void em_prevFree(em_prev *p);

/* A file written into the temporary output directory: MANIFEST lists it. */
typedef struct em_file {
    char *path;            /* relative to the output directory; owned */
    uint64_t size;         /* bytes */
    XXH128_hash_t hash;    /* XXH3-128 of the contents */
} em_file;

struct em_run;

/* A distributed run (docs/mpi.md §3): the per-school files shared out
 * among the processes. em_write calls hand_out once the rows are sorted
 * by school (runs[i]: the first row of the i-th school, runs[n_runs] =
 * n_rows) and every directory exists; it gives the schools from *keep on
 * to other processes, which write them into tmp_path with
 * em_writeSchoolShare, and sets *keep. Once this process has written its
 * own files, take_back (called whenever hand_out was, with the outcome so
 * far) returns the files the others wrote, for MANIFEST. */
typedef struct em_share {
    xj_error (*hand_out)(void *user, const struct em_run *run, const size_t *runs, size_t n_runs,
                         const char *tmp_path, size_t *keep, xj_status *st);
    xj_error (*take_back)(void *user, xj_error err, em_file **files, size_t *n_files, xj_status *st);
    void *user;
} em_share;

typedef struct em_run {
    const char *outdir;           /* final directory path */
    int force;                    /* replace an existing output directory */
    const em_input *inputs;
    size_t n_inputs;
    const char *const *headers;   /* original column names, output order */
    size_t n_headers;
    pb_row *rows;                 /* sorted in place by em_write */
    size_t n_rows;
    pb_row *attested;             /* rows of attested groups (attested.csv), sorted in place */
    size_t n_attested;
    const em_decision *decisions; /* every decisions line read, in reading order */
    size_t n_decisions;
    int monthly;                  /* --previous or --decisions: write the monthly cycle's files */
    const struct em_assignments *assignments; /* NULL: none (the file has its header only) */
    const struct em_population *population;   /* NULL without --population */
    em_reject *rejects;           /* sorted in place by em_write */
    size_t n_rejects;
    uint64_t rows_read;           /* = rows_accepted + rows_rejected */
    uint64_t rows_accepted;
    uint64_t blank_lines;
    uint64_t unknown_id_types;    /* values of id_type treated as 1 */
    uint32_t run_date;            /* YYYYMMDD */
    const char *attr_scope;       /* "noid" or "mixed" */
    const char *encoding;         /* "utf-8" or "gbk" */
    const char *region_table;     /* base name of --region-table, or NULL */
    int suspects;                 /* suspect_duplicate looked for (not --no-suspects) */
    em_timing timing;
    int threads;                  /* may be used to write files in parallel */
    int ranks;                    /* processes of a distributed run (1 alone): summary.json's timing */
    int excel;                    /* per-school files: UTF-8 BOM, formula-like values neutralized */
    int school_gbk;               /* per-school files and their README.txt in GB 18030 */
    int school_headers_en;        /* per-school files: English headers and codes, as problems.csv */
    int xlsx;                     /* per-school files: a .xlsx workbook beside each CSV */
    const char *previous;         /* an earlier OUTDIR to compare with in report.html, or NULL */
    em_prev *prev;                /* it, loaded (set whenever `previous` is) */
    const char *const *headers_zh;/* the per-school files' names for `headers` (Chinese), NULL: the same */
    const struct em_check *check; /* batch check: what its summary.json and report.html add; NULL for a scan */
    /* called with the outcome so far once every file is written and synced,
     * just before OUTDIR is put in place; what it returns decides whether it
     * is (a distributed run: every process must still be there). NULL: none */
    xj_error (*before_commit)(void *user, xj_error err, xj_status *st);
    void *before_commit_user;
    const em_share *share;        /* NULL: this process writes every school's file */
} em_run;

/* A batch check (xj_scan_setAgainst): the register index it was checked
 * against, and the counts that tell the batch's own duplicates from its
 * matches in the register. Rows "with the register" are duplicate rows
 * whose group has a register member; the others are inside the batch. */
typedef struct em_check {
    const char *index;            /* the index's base name */
    uint64_t records;             /* its records */
    uint32_t run_date;            /* the run date its ID reasons were checked for */
    const char *attr_scope;       /* "noid" or "mixed", as it was built */
    uint64_t register_rows[PB_PROBLEM_COUNT];   /* duplicate rows with the register, per problem */
    uint64_t register_groups[PB_PROBLEM_COUNT]; /* their groups */
    uint64_t already_registered;  /* batch records the register holds (already_registered.csv) */
    uint64_t clean_rows;          /* accepted batch records without any problem row: may be submitted */
    uint64_t clean_registered;    /* of those, already registered */
    const xj_buf *registered_csv; /* already_registered.csv, whole */
} em_check;

/* The list behind em_check.already_registered, in a check's OUTDIR: one line
 * per batch record the register already holds, with its first register
 * copy, by (input, line). */
#define EM_REGISTERED_FILE "already_registered.csv"
#define EM_REGISTERED_HEADER "source,line,student_no,school_code,register_source,register_line\n"

/* Provinces as the counts index them: digits 3-4 of a valid school code
 * (10 ASCII digits) as a number, else EM_PROVINCES - 1 (_invalid). */
#define EM_PROVINCES 101
int em_provinceIndex(const char *school, size_t n);

/* assignments.csv (docs/population.md §3): made by the scan, whole and
 * sorted; its lines counted by province and basis (id_verified, then
 * no_id_unique). */
#define EM_ASSIGNMENTS_FILE "assignments.csv"
#define EM_ASSIGNMENTS_HEADER "student_no,school_code,source,line,new_student_no,basis\n"
typedef struct em_assignments {
    xj_buf csv;
    uint64_t by_province[EM_PROVINCES][2];
} em_assignments;

/* What summary.json says of --population (docs/population.md §5). */
typedef struct em_population {
    const char *const *files;     /* base names, in the order given */
    size_t n_files;
    uint64_t entries, ids, several_names, compared;
} em_population;

/* The column a batch check adds in front of the input's columns (its name
 * in problems.csv and in the per-school files): the
 * register members of the row's group, "student_no@school" ';'-joined,
 * "(reason)" after one whose ID is invalid. */
#define EM_REGISTER_MATCHES "register_matches"
#define EM_REGISTER_MATCHES_ZH "在籍库匹配记录"

/* Writes the whole output directory. XJ_ERR_IO (with the path and errno text)
 * when anything cannot be written; OUTDIR is then untouched (absent, or the
 * previous complete result). XJ_ERR_USAGE when OUTDIR exists and force is 0,
 * or when it exists but is not an earlier result of ours (a MANIFEST in our
 * format that lists everything the directory holds; em_checkOutdir below). */
xj_error em_write(em_run *run, xj_status *st);
/* Another process's share of a distributed run's school files: one file
 * per school of run->rows (sorted by school, whole schools), written into
 * the temporary directory tmp_path that the writing process made, with the
 * same bytes that process would write; the directory is synced before it
 * returns. run needs the inputs' names, the headers, the run date, the
 * per-school options and the rows. *files (owned by the caller, each path
 * too; em_filesFree) lists what was written, also on failure. */
xj_error em_writeSchoolShare(em_run *run, const char *tmp_path, em_file **files, size_t *n_files, xj_status *st);
void em_filesFree(em_file *files, size_t n);

/* The checks em_write makes on OUTDIR before it writes anything (it exists
 * without force; it is not a directory; it is not an earlier result whose
 * MANIFEST lists all it holds; its parent cannot be opened), for a caller
 * that wants them before a long run. */
xj_error em_checkOutdir(const char *outdir, int force, xj_status *st);

/* rejects.csv's rows, for whoever lists rejected rows (scan, index build):
 * the order (input, line, error, raw bytes) and one row, LF-terminated. */
#define EM_REJECTS_HEADER "source,line,error,raw\n"
void em_sortRejects(em_reject *rejects, size_t n);
xj_error em_appendRejectRow(xj_buf *out, const em_reject *r, const char *source_name);

/* CSV-encodes one field (quoting as docs/decisions.md says) onto `out`. */
xj_error em_appendCsvField(xj_buf *out, const char *s, size_t n);
/* A group id as every file writes it: 16 lower-case hex digits. */
void em_groupIdText(uint64_t group_id, char out[17]);
/* Lines kept back to back in one buffer, each a span of it. */
typedef struct em_span {
    size_t at, len;
} em_span;
/* Sorts the spans by their bytes (a file "sorted as bytes") and appends the
 * lines in that order, each distinct line once. */
xj_error em_appendSortedLines(xj_buf *out, const char *base, em_span *spans, size_t n);

#endif
