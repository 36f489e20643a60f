/*
 * em_internal — what the emit stage's files share.
 *
 * Calls go one way, top to bottom, never back up:
 *
 *   em_write     the top: what is written, in which order (em_write.c)
 *   em_commit    the temporary directory and its rename into place
 *   writers      em_problems (problems.csv, schools/), em_readme
 *                (schools/README.txt), em_xlsx (the workbooks of --xlsx,
 *                for any writer's rows; its 说明 sheet is em_readme's
 *                text), em_rejects (rejects.csv), em_report
 *                (report.html, with em_previous), em_summary (summary.json),
 *                em_manifest (MANIFEST; it also reads one back for em_commit)
 *   helpers      em_file (buffered, hashed files), em_csv (rendering a row),
 *                em_schools (school codes, their paths and per-school text),
 *                em_counts, em_sort, em_excel (text transforms),
 *                em_provinces
 *
 * and below them only common/ (xj_buf, xj_status, xj_clock, xj_problem).
 */
#ifndef XJ_EM_INTERNAL_H
#define XJ_EM_INTERNAL_H

#include <limits.h>

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t inside em_writer */
#include <xxhash.h>

#include "emit.h"
#include "xj_iconv.h"

#define EM_WRITE_BUFFER (1u << 20)
/* Rows are rendered into a buffer and handed to the file this many bytes at
 * a time: one copy and one hash update per batch, not per row. */
#define EM_RENDER_BATCH (256u << 10)

/* The monthly cycle's counts (docs/monthly.md §7): rows of problems.csv by
 * status (the first three, numbered as pb_status), rows of attested.csv, and
 * identities of resolved.csv. */
typedef enum em_monthlyCount {
    EM_MONTHLY_NEW = PB_STATUS_NEW,
    EM_MONTHLY_PERSISTING = PB_STATUS_PERSISTING,
    EM_MONTHLY_REOPENED = PB_STATUS_REOPENED,
    EM_MONTHLY_RESOLVED = PB_STATUS_COUNT,
    EM_MONTHLY_ATTESTED,
    EM_MONTHLY_COUNTS
} em_monthlyCount;
/* Their keys in summary.json, Chinese names in report.html and the terminal. */
const char *em_monthlyCode(em_monthlyCount k); /* "resolved" */
const char *em_monthlyZh(em_monthlyCount k);   /* "已解决" */

/* What summary.json and report.html count, computed once from the rows. */
typedef struct em_counts {
    uint64_t records[PB_PROBLEM_COUNT];                /* rows per problem */
    uint64_t groups[PB_PROBLEM_COUNT];                 /* distinct groups per problem */
    uint64_t scopes[PB_PROBLEM_COUNT][PB_SCOPE_COUNT]; /* groups per scope */
    uint64_t reasons[PB_PROBLEM_COUNT][256];           /* rows per reason value */
    uint64_t provinces[EM_PROVINCES][PB_PROBLEM_COUNT]; /* rows per province and problem */
    uint64_t schools;                                  /* distinct school codes with a row */
    /* the monthly cycle (docs/monthly.md §7), per province and problem */
    uint64_t monthly[EM_PROVINCES][PB_PROBLEM_COUNT][EM_MONTHLY_COUNTS];
    uint64_t decisions_in_effect;  /* decisions lines in effect (the last per key) */
    uint64_t decisions_matched;    /* of those, the ones naming a current group member */
    uint64_t decisions_unmatched;  /* the others: the lines of decisions_unmatched.csv */
    uint64_t approved_members;     /* matched approvals: the lines of decisions.csv */
    uint64_t attested_groups;      /* distinct groups of attested.csv */
    uint32_t previous_run_date;    /* PREV's run date (YYYYMMDD); 0 without --previous */
} em_counts;

/* Everything the writers need while they work. */
typedef struct em_ctx {
    em_run *run;           /* the caller's description of the output */
    xj_status *st;         /* where errors go */
    int dirfd;             /* the temporary output directory */
    const char *tmp_path;  /* its path, for messages */
    em_file *files;        /* files written so far */
    size_t n_files, cap_files;
    em_counts *counts;     /* set after the rows are sorted (em_countRows) */
    struct em_offices *offices; /* the offices' work lists, set by em_writeProblems */
    struct em_trend *trend;     /* --previous: the comparison, made before any row is written */
} em_ctx;

/* ---- em_commit: the output directory appears complete or not at all ---- */

typedef struct em_commit {
    const char *outdir;                     /* as the caller named it, for messages */
    int force;                              /* an earlier result of ours may be replaced */
    int parentfd;                           /* OUTDIR's parent, open from begin to end */
    int dirfd;                              /* the temporary, where the files go */
    int exists;                             /* OUTDIR is there (an earlier result) */
    int aside;                              /* the earlier result was renamed aside, not exchanged */
    char parent[PATH_MAX];                  /* OUTDIR's parent directory */
    char name[NAME_MAX + 1];                /* OUTDIR's last component */
    char tmp[NAME_MAX + 64];                /* `.NAME.tmp-PID-RANDOM` */
    char tmp_path[PATH_MAX + NAME_MAX + 64];/* parent/tmp, for messages */
    char gone[NAME_MAX + 64];               /* what em_commitEnd removes last */
    xj_error (*before)(void *user, xj_error err, xj_status *st); /* em_run.before_commit */
    void *before_user;
} em_commit;

/* Checks OUTDIR (em_checkOutdir's checks), removes the temporaries of dead
 * runs and creates the temporary sibling, open as c->dirfd. On an error
 * nothing is left open or behind. */
xj_error em_commitBegin(em_commit *c, const char *outdir, int force, xj_status *st);
/* `err` is how the writing went. XJ_OK: the temporary is synced and put in
 * OUTDIR's place (exchanged with an earlier result, which is then removed).
 * Else, or when that fails: the temporary is removed and OUTDIR is as it
 * was. Closes everything em_commitBegin opened; returns the outcome. */
xj_error em_commitEnd(em_commit *c, xj_error err, xj_status *st);

/* ---- em_file: buffered, hashed files in the temporary directory ---- */

/* A file being written: buffered, hashed, counted. */
typedef struct em_writer {
    em_ctx *ctx;           /* owner */
    int fd;                /* -1 once closed */
    char *path;            /* relative path */
    xj_buf own;            /* pending bytes, unless a buffer was lent */
    xj_buf *buf;           /* &own, or the lent buffer (kept on close) */
    XXH3_state_t hash;     /* over every byte written */
    uint64_t size;         /* bytes written */
    int unlisted;          /* not recorded for MANIFEST (MANIFEST itself) */
} em_writer;

/* Creates (O_EXCL) `rel` inside the output directory; parents must exist. */
xj_error em_open(em_ctx *ctx, em_writer *w, const char *rel);
/* The same with a buffer lent by the caller (max >= EM_WRITE_BUFFER), reused
 * from file to file: 20,000 small school files then cost no allocation each,
 * and a file under EM_WRITE_BUFFER bytes is written with one write(2). */
xj_error em_openLent(em_ctx *ctx, em_writer *w, const char *rel, xj_buf *lent);
xj_error em_put(em_writer *w, const void *p, size_t n);
xj_error em_putBuf(em_writer *w, const xj_buf *b);
/* Flushes, closes and records the file for MANIFEST (em_commit syncs them
 * all at once). */
xj_error em_close(em_writer *w);
/* Closes without recording (error paths). */
void em_abandon(em_writer *w);
/* mkdir inside the output directory; an existing directory is fine. */
xj_error em_mkdir(em_ctx *ctx, const char *rel);
/* A whole file from one buffer: open, write, close (or abandon). */
xj_error em_writeWhole(em_ctx *ctx, const char *rel, const xj_buf *b);
/* Records for MANIFEST a file written by other means (a library that writes
 * by path, em_xlsx): reads `rel` back for its size and XXH3-128. */
xj_error em_recordExisting(em_ctx *ctx, const char *rel);

/* ---- em_csv: rendering ---- */

/* `zh` selects the per-school wording. Appends one whole line. */
xj_error em_renderHeader(xj_buf *out, const em_run *run, int zh);
xj_error em_renderRow(xj_buf *out, const em_run *run, const pb_row *row, int zh);

/* Rows are rendered in an order (a school's, an office's) that has nothing
 * to do with where their strings lie (the arenas fill in input order), so
 * each render waited on its row, then on its tail and its group's members,
 * then on the members' texts: at 200M rows over half of em_renderRow's
 * time was those loads. A loop rendering rows[k] asks for rows[k + 8]
 * (stage 0), for what rows[k + 4] points at (1), and for the member texts
 * of rows[k + 2] (2), each stage's loads arrived by the time the next
 * needs them. Only hints: nothing is read that the render would not. */
#define EM_AHEAD_ROW 8
#define EM_AHEAD_DATA 4
#define EM_AHEAD_MEMBERS 2
static inline void em_prefetchRow(const pb_row *row, int stage)
{
    if (stage == 0) {
        __builtin_prefetch(row);
        __builtin_prefetch((const char *)row + sizeof *row - 1);
    } else if (stage == 1) {
        for (uint32_t at = 0; at < row->tail_len; at += 64) __builtin_prefetch(row->tail + at);
        if (row->others_len) __builtin_prefetch(row->others);
        if (row->members) __builtin_prefetch(row->members);
    } else if (row->members) {
        uint32_t const n = row->n_members < 4 ? row->n_members : 4;
        for (uint32_t i = 0; i < n; i++) {
            __builtin_prefetch(row->members[i].text);
            __builtin_prefetch(row->members[i].school_name);
        }
    }
}

/* The school code of run->rows[i + EM_AHEAD_ROW], asked for while rows[i]
 * is handled: a loop over the rows in their order reads every row's code,
 * and the codes lie in the arenas in input order. */
static inline void em_prefetchSchoolAhead(const em_run *run, size_t i)
{
    if (i + EM_AHEAD_ROW < run->n_rows) __builtin_prefetch(run->rows[i + EM_AHEAD_ROW].school);
}


/* ---- em_schools: school codes, the per-school files' paths and text ---- */

/* 1 when the school code is exactly 10 ASCII digits. */
int em_schoolIsValid(const char *s, size_t n);
/* Whether two rows have the same school code (its bytes). */
int em_sameSchool(const pb_row *a, const pb_row *b);
/* The per-school file of a row's school (relative path) and its directory. */
void em_schoolPath(const pb_row *row, char *path, size_t cap, char *dir, size_t dcap);
/* Per-school text files (the school CSVs, schools/README.txt) follow the
 * per-school options: em_openSchoolFile writes the --excel BOM, and
 * em_putSchoolText converts to GB 18030 under --output-encoding gbk. */
xj_error em_openSchoolFile(em_ctx *ctx, em_writer *w, const char *rel);
xj_error em_putSchoolText(em_ctx *ctx, em_writer *w, const char *s, size_t n);

/* ---- em_counts ---- */

/* Counts everything summary.json and report.html show, from rows sorted by
 * school (em_writeProblems sorts them), the attested rows and the decisions
 * lines; the resolved identities come from `trend` (em_compareWithPrevious;
 * NULL without --previous). XJ_ERR_NOMEM. */
xj_error em_countRows(const em_run *run, const struct em_trend *trend, em_counts *c);

/* ---- em_sort ---- */

/* XJ_ERR_INTERNAL when a row names an input or a problem the run does not
 * have: rows index tables by both, so each is checked once before use. */
xj_error em_checkRows(const em_run *run, xj_status *st);

/* Sorts run->rows into problems.csv order; *runs gets n+1 offsets: rows
 * [runs[k], runs[k+1]) share one school code. */
xj_error em_sortRows(em_ctx *ctx, size_t **runs, size_t *n_runs);

/* ---- em_excel: text transforms for the files people open ---- */

/* Reads the next field of a line we wrote ourselves (em_appendCsvField's
 * quoting) starting at *pos, unquoted into `field`; *pos moves past the
 * field and its comma. Returns 0 at the end of the line (LF or end). */
int em_csvNextField(const char *s, size_t n, size_t *pos, xj_buf *field, xj_error *err);
/* Field `k` (0-based) of a row's tail ",v1,...,vn", unquoted; "" if absent. */
xj_error em_tailField(const char *tail, size_t n, int k, xj_buf *out);
/* Re-encodes one whole CSV line with formula-like values prefixed by '. */
xj_error em_neutralizeLine(const char *line, size_t n, xj_buf *out, xj_buf *scratch);
/* 1 when Excel would evaluate the value (= + - @ TAB CR first). */
int em_looksLikeFormula(const char *s, size_t n);

/* UTF-8 → GB 18030 for the per-school files (iconv; every Unicode character
 * has a GB 18030 encoding, so only malformed UTF-8 can fail). */
typedef xj_conv em_gbk; /* UTF-8 → GB 18030: a common/xj_iconv converter */
xj_error em_gbkOpen(em_gbk **out);
void em_gbkClose(em_gbk *g);
/* Converts `n` bytes onto `out` (cleared first). XJ_ERR_INPUT when the text
 * is not valid UTF-8. */
xj_error em_gbkConvert(em_gbk *g, const char *s, size_t n, xj_buf *out);

/* HTML text escaping (& < > " ') onto `out`. */
xj_error em_appendHtml(xj_buf *out, const char *s, size_t n);

/* ---- em_provinces: the 31 provinces of the mainland, for report.html ---- */

typedef struct em_province {
    int code;              /* GB/T 2260 province code, 11..65 */
    const char *name;      /* "北京" */
    const char *abbr;      /* one-character name for the tile map: "京" */
    const char *name_en;   /* "Beijing" */
    int col, row;          /* place on the 7 x 8 tile grid */
} em_province;
size_t em_provinceCount(void);
const em_province *em_provinceAt(size_t i);
const em_province *em_provinceByCode(int code); /* NULL when not one of the 31 */
/* The key of an em_counts.provinces index in summary.json and report.html:
 * "00".."99", "_invalid" for index EM_PROVINCES - 1. Returns out. */
const char *em_provinceKey(int index, char out[12]);

/* ---- em_previous: report.html's comparison with an earlier run ---- */

/* What only the comparison knows; the rows' own statuses are counted by
 * em_countRows. */
typedef struct em_trend {
    /* PREV's reported identities that no row of this run has (resolved.csv's
     * lines), per province and problem; a PREV problem that is none of ours
     * is listed in resolved.csv but counted nowhere */
    uint64_t resolved[EM_PROVINCES][PB_PROBLEM_COUNT];
    uint32_t run_date;                 /* PREV's */
} em_trend;
/* Sets every row's status and first_seen against run->prev and counts the
 * identities resolved. */
xj_error em_compareWithPrevious(em_ctx *ctx, em_trend *t);
/* resolved.csv: PREV's reported identities that no row of this run has
 * (header only without --previous). */
xj_error em_writeResolved(em_ctx *ctx);

/* ---- em_summary ---- */

/* A float as Python's json.dumps prints it after rounding to 6 significant
 * digits ("0.0", "83.3333", "1234570.0", "1e-05", "1.5e+16"). Cannot fail. */
#define EM_DOUBLE_MAX 40
void em_formatDouble(char out[EM_DOUBLE_MAX], double v);

/* ---- em_manifest ---- */

/* XJ_OK when the directory `dirfd` (named `outdir` in messages) is an
 * earlier result that --force may replace: its MANIFEST is in the format
 * em_writeManifest writes, and it holds nothing but MANIFEST, the files it
 * lists (each of the listed size) and the folders they are in. Else
 * XJ_ERR_USAGE, saying what is there that should not be and what to do. */
xj_error em_checkReplaceable(int dirfd, const char *outdir, xj_status *st);
/* PREV is a finished output of ours: a MANIFEST in our format that lists
 * problems.csv and summary.json (docs/monthly.md §8). Else XJ_ERR_INPUT. */
xj_error em_checkPrevious(const char *dir, xj_status *st);

/* ---- em_monthly: attested.csv, decisions.csv, decisions_unmatched.csv ---- */

/* resolved.csv, attested.csv, decisions.csv, decisions_unmatched.csv: on
 * every run, header only when empty. */
xj_error em_writeMonthly(em_ctx *ctx);

/* ---- em_arbiters: the offices' work lists (arbiters/) ---- */

typedef struct em_office {
    char rel[48];                  /* "arbiters/county/320102.csv" */
    const pb_row *const *rows;     /* by problem and group; a group's rows in problems.csv order */
    size_t n;
    pb_scope scope;                /* county, city, province or national (the ministry) */
    uint32_t office;               /* pb_row.office */
} em_office;

typedef struct em_offices {
    em_office *v;                  /* one per office file, in path order of levels then codes */
    size_t n;
    const pb_row **rows;           /* what the offices' rows point into */
} em_offices;

/* Every row of a cross-school group, in one list per arbitrating office;
 * run->rows must be in problems.csv order (em_sortRows). */
xj_error em_officesOf(em_ctx *ctx, em_offices *out);
/* arbiters/ and its level folders that have files. */
xj_error em_officesMakeDirs(em_ctx *ctx, const em_offices *o);
void em_officesFree(em_offices *o);
/* "arbiters/county" ...; NULL for the school scope. */
const char *em_officeDir(pb_scope scope);

/* ---- em_readme and em_xlsx: the guidance text, the workbooks (--xlsx) ---- */

/* The guidance for the people who receive the files, in Chinese, as
 * LF-terminated lines: schools/README.txt, and the 说明 sheet of every
 * workbook. Depends only on the options and the run date. */
xj_error em_readmeText(const em_run *run, xj_buf *b);
/* 1 when the per-school CSVs start with a UTF-8 BOM (em_problems.c). */
int em_schoolCsvBom(const em_run *run);

/* What a caller of em_xlsxWrite keeps from workbook to workbook (one per
 * worker thread): buffers, and the 说明 text, built on first use. */
typedef struct em_xlsxScratch {
    xj_buf line;           /* one rendered row */
    xj_buf field;          /* one cell */
    xj_buf group;          /* the last row's group id (banding) */
    xj_buf notes;          /* em_readmeText */
    uint8_t *widths;       /* display width per column */
    size_t cap_widths;
    const pb_row **ptrs;   /* em_xlsxRowsOf */
    size_t cap_ptrs;
    int parity;            /* the band of the last group */
} em_xlsxScratch;
void em_xlsxScratchInit(em_xlsxScratch *s);
void em_xlsxScratchFree(em_xlsxScratch *s);
/* Pointers to n contiguous rows, in the scratch (reused); NULL: no memory. */
const pb_row **em_xlsxRowsOf(em_xlsxScratch *s, const pb_row *rows, size_t n);
/* Writes the workbook `rel` (relative to the output directory; built only
 * from validated codes; its folder must exist) with `rows` in the order
 * given (one group's rows together), their cells em_renderRow's fields in
 * the per-school wording when `zh` (else problems.csv's), every cell a
 * string; then the 说明 sheet. Records the file for MANIFEST. XJ_ERR_IO,
 * XJ_ERR_NOMEM, XJ_ERR_LIMIT (more columns than a worksheet holds), with
 * the message in ctx->st. */
xj_error em_xlsxWrite(em_ctx *ctx, const char *rel, int zh, const pb_row *const *rows, size_t n,
                      em_xlsxScratch *scratch);

/* ---- the writers, each writing its own files, in em_write's order ---- */

xj_error em_writeProblems(em_ctx *ctx);       /* sorts the rows; problems.csv, schools/, the two below */
xj_error em_writeAssignments(em_ctx *ctx);    /* assignments.csv */
xj_error em_writeCounted(em_ctx *ctx);        /* counts; README.txt, rejects, monthly files, report */
xj_error em_writeSchoolReadme(em_ctx *ctx);   /* schools/README.txt */
xj_error em_writeRejects(em_ctx *ctx);        /* rejects.csv */
xj_error em_writeReport(em_ctx *ctx);         /* report.html */
xj_error em_writeSummary(em_ctx *ctx, double write_seconds); /* summary.json */
xj_error em_writeManifest(em_ctx *ctx);       /* MANIFEST, last */

/* The rejects of each reason in counts[], and the reasons that occur in
 * the byte order of their codes in order[], as summary.json and
 * report.html list them (em_rejects.c); returns how many occur. */
size_t em_rejectReasons(const em_run *run, uint64_t counts[XJ_REJECT_COUNT], xj_reject order[XJ_REJECT_COUNT]);

#endif
