/*
 * xjdedup.h — the public interface of libxjdedup.
 *
 * libxjdedup finds problem records (问题学籍) in student-registry dumps: ID
 * duplicates, invalid IDs and attribute duplicates, as defined in docs/rules.md.
 *
 * Conventions
 *  - Every function that can fail returns an xj_error; XJ_OK is 0.
 *    xj_errorName() turns any code into a short text. Detailed messages (file,
 *    line, what to do) are kept in the handle and read with *_message().
 *  - Handles are opaque, made by *_create() and released by *_free();
 *    *_free(NULL) does nothing.
 *  - The library never prints and never exits. Only the CLI does.
 *  - Dates are uint32_t of the form YYYYMMDD (20261128).
 *  - Functions documented "cannot fail" have no error return.
 */
#ifndef XJDEDUP_H
#define XJDEDUP_H

#include <stddef.h>
#include <stdio.h> /* FILE, for xj_scan_attest */
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(XJ_BUILDING_LIBRARY) && defined(__GNUC__)
#  define XJ_API __attribute__((visibility("default")))
#else
#  define XJ_API
#endif

#define XJ_VERSION_MAJOR 0
#define XJ_VERSION_MINOR 1
#define XJ_VERSION_PATCH 0
#define XJ_VERSION_STRING "0.1.0"
#define XJ_VERSION_NUMBER (XJ_VERSION_MAJOR * 10000 + XJ_VERSION_MINOR * 100 + XJ_VERSION_PATCH)

/* The library's version at run time, e.g. "0.1.0". Cannot fail. */
XJ_API const char *xj_versionString(void);

/* ---------------------------------------------------------------- errors */

typedef enum xj_error {
    XJ_OK = 0,
    XJ_ERR_USAGE = 1,     /* a bad option value or call sequence */
    XJ_ERR_INPUT = 2,     /* input that cannot be processed: unreadable file,
                             missing or ambiguous column, corrupt .zst */
    XJ_ERR_IO = 3,        /* output could not be written (disk full, ...) */
    XJ_ERR_NOMEM = 4,     /* an allocation failed */
    XJ_ERR_LIMIT = 5,     /* a hard limit of the engine was exceeded */
    XJ_ERR_INTERRUPTED = 6, /* the run was cancelled */
    XJ_ERR_INTERNAL = 7   /* a broken invariant: a bug, please report it */
} xj_error;

/* Short English name of an error code ("input error"). Cannot fail. */
XJ_API const char *xj_errorName(xj_error code);

/* ---------------------------------------------------------------- dates */

/* Parses "YYYY-MM-DD", "YYYY/MM/DD" or "YYYYMMDD" (a real calendar date,
 * years 1000..9999) into *out. XJ_ERR_USAGE when it is not one. */
XJ_API xj_error xj_parseDate(const char *text, uint32_t *out);

/* Today's date in local time as YYYYMMDD. Cannot fail. */
XJ_API uint32_t xj_today(void);

/* A YYYYMMDD date as every xjdedup output writes it ("2026-11-28"; the
 * year is taken modulo 10000). Writes 11 bytes with the NUL into out and
 * returns out. Cannot fail. */
XJ_API const char *xj_formatDate(uint32_t date, char out[16]);

/* ---------------------------------------------------------------- text */

/* A count as people read it in every xjdedup output: digits grouped by
 * three with commas ("1,234,567"). Writes at most 27 bytes with the NUL
 * into out and returns out. Cannot fail. */
XJ_API const char *xj_formatCount(uint64_t count, char out[32]);

/* ---------------------------------------------------------------- IDs */

/* Why an ID number is not valid, in the order rules §4 checks them. */
typedef enum xj_idReason {
    XJ_ID_OK = 0,
    XJ_ID_MISSING,            /* empty (after normalization) */
    XJ_ID_FORMAT,             /* not the shape its type requires */
    XJ_ID_LEGACY15,           /* a 15-digit first-generation ID */
    XJ_ID_REGION,             /* not a known province / permit prefix */
    XJ_ID_REGION_UNKNOWN,     /* 6-digit code not in --region-table */
    XJ_ID_BIRTHDATE,          /* digits 7-14 not a date in [1900-01-01, run date] */
    XJ_ID_CHECKSUM,           /* ISO 7064 MOD 11-2 check character wrong */
    XJ_ID_BIRTHDATE_MISMATCH, /* differs from the record's birth date */
    XJ_ID_SEX_MISMATCH,       /* 17th digit's parity differs from the record's sex */
    XJ_ID_CHANGED,            /* valid, but not the ID its `G` student number was issued under */
    XJ_ID_NOT_FOUND,          /* --population: the number is in no extract (checked before XJ_ID_CHANGED) */
    XJ_ID_NAME_MISMATCH,      /* --population: listed, but under no name equal to the record's */
    XJ_ID_REASON_COUNT
} xj_idReason;

/* Output code of a reason ("checksum"; "" for XJ_ID_OK). Cannot fail. */
XJ_API const char *xj_idReasonName(xj_idReason reason);

/* Checks one ID number as rules §4 does for a record, reasons MISSING through
 * CHECKSUM only (no record to compare with, no region table).
 * `type` is the ID type as it appears in input (code or Chinese name); NULL or
 * "" means type 1. The number is normalized first (whitespace, full width,
 * lower-case x). Cannot fail. */
XJ_API xj_idReason xj_checkId(const char *number, size_t len, const char *type,
                              uint32_t run_date);

/* The GB 11643 check character ('0'..'9' or 'X') of 17 ASCII digits, or 0
 * when any of them is not a digit. Cannot fail. */
XJ_API char xj_idCheckChar(const char digits17[17]);

/* ---------------------------------------------------------------- scan */

typedef enum xj_attrScope {
    XJ_ATTR_NOID = 0,  /* attribute groups among records without an ID */
    XJ_ATTR_MIXED = 1  /* records with an ID join groups that have a member without */
} xj_attrScope;

/* Counts of a finished scan, for the CLI's summary and exit status. */
typedef struct xj_scanStats {
    uint64_t rows_read;          /* records seen (blank lines excluded) */
    uint64_t rows_accepted;      /* records that passed parsing */
    uint64_t rows_rejected;      /* rows written to rejects.csv */
    uint64_t blank_lines;        /* blank lines skipped */
    uint64_t bytes_read;         /* input bytes after decompression */
    uint64_t id_duplicate_records;   /* problems.csv rows per problem */
    uint64_t id_invalid_records;
    uint64_t attr_duplicate_records;
    uint64_t id_duplicate_groups;    /* groups per problem */
    uint64_t attr_duplicate_groups;
    double wall_seconds;         /* whole run */
    uint64_t removed_records;    /* index update: register records removed (--remove) */
    uint64_t register_matches;   /* check: batch rows whose group has a register member */
    uint64_t remove_unmatched;   /* index update: --remove numbers that matched no record */
    uint64_t already_registered; /* check: batch records the register already holds */
    uint32_t run_date;           /* the run date used (YYYYMMDD) */
    int attr_mixed;              /* the attribute scope used is mixed */
} xj_scanStats;

/* Progress callback: called from whichever of the scan's threads is reading
 * (never from two threads at once), once per chunk of input; rate-limit any
 * printing. Returning non-zero cancels the run (XJ_ERR_INTERRUPTED): no
 * further chunk is read and nothing is written. */
typedef struct xj_progress {
    uint64_t input_bytes_total;  /* on-disk size of all inputs, 0 if unknown */
    uint64_t input_bytes_done;   /* on-disk bytes consumed so far */
    uint64_t rows_done;          /* records parsed so far */
    uint64_t problems_so_far;    /* id_invalid records so far (duplicates come at the end) */
    const char *stage;           /* "reading", "grouping", "writing" */
} xj_progress;
typedef int (*xj_progressFn)(const xj_progress *p, void *user);

typedef struct xj_scan xj_scan;

/* NULL when out of memory. */
XJ_API xj_scan *xj_scan_create(void);
XJ_API void xj_scan_free(xj_scan *scan);

/* Adds an input: a path (plain CSV, or zstd when it ends in ".zst") or "-"
 * for standard input. Order matters only for tie-breaks. */
XJ_API xj_error xj_scan_addInput(xj_scan *scan, const char *path);
/* The output directory; it is created atomically. With force != 0 an
 * existing xjdedup output directory (one with a MANIFEST) is replaced. */
XJ_API xj_error xj_scan_setOutput(xj_scan *scan, const char *dir, int force);
/* Worker threads; 0 (the default) means one per core. */
XJ_API xj_error xj_scan_setThreads(xj_scan *scan, int threads);
/* YYYYMMDD; 0 (the default) means today. */
XJ_API xj_error xj_scan_setRunDate(xj_scan *scan, uint32_t run_date);
XJ_API xj_error xj_scan_setAttrScope(xj_scan *scan, xj_attrScope scope);
/* "utf-8" (default) or "gbk" (read as GB 18030). */
XJ_API xj_error xj_scan_setEncoding(xj_scan *scan, const char *encoding);
/* "FIELD=HEADER", FIELD being an English field name of rules §2. */
XJ_API xj_error xj_scan_addHeaderMap(xj_scan *scan, const char *mapping);
/* A file of 6-digit region codes, one a line; enables reason region_unknown. */
XJ_API xj_error xj_scan_setRegionTable(xj_scan *scan, const char *path);
/* Bytes per parse chunk (tuning and tests); 0 means the default. */
XJ_API xj_error xj_scan_setChunkSize(xj_scan *scan, size_t bytes);
/* Per-school files for Excel: UTF-8 with BOM, values that Excel would take
 * for a formula (starting with = + - @ TAB CR) prefixed with '. problems.csv
 * never changes. */
XJ_API xj_error xj_scan_setExcel(xj_scan *scan, int excel);
/* Beside each per-school file, a .xlsx workbook of the same rows: every
 * cell text (IDs and codes intact), a frozen bold header with an
 * autofilter, each group's rows on one band, and a sheet 说明 with
 * schools/README.txt's text. */
XJ_API xj_error xj_scan_setXlsx(xj_scan *scan, int xlsx);
/* Suspected duplicates (docs/suspects.md: a mistyped ID one slip from
 * another record's, same name, sex and birth date): on (1) by default. */
XJ_API xj_error xj_scan_setSuspects(xj_scan *scan, int on);
/* Encoding of the per-school files and schools/README.txt: "utf-8" (default)
 * or "gbk" (written as GB 18030, which encodes every character). */
XJ_API xj_error xj_scan_setOutputEncoding(xj_scan *scan, const char *encoding);
/* Headers of the per-school files: "zh" (default: Chinese headers and
 * wording) or "en" (English headers and codes, as in problems.csv). */
XJ_API xj_error xj_scan_setHeaders(xj_scan *scan, const char *lang);
/* An earlier output directory of the same registry: report.html then counts
 * new, persisting and resolved problems per province. NULL clears it. */
XJ_API xj_error xj_scan_setPrevious(xj_scan *scan, const char *dir);
/* Adds an officers' decisions file (docs/monthly.md §4: CSV with
 * group_id,student_no,school_code,decision; approved or revoked); later
 * files win over earlier ones and over the previous run's decisions.csv. */
XJ_API xj_error xj_scan_addDecisions(xj_scan *scan, const char *path);
/* Decision lines for officers from the finished run in `outdir`: for each
 * selector — a group id or a student number — every attr_duplicate or
 * id_duplicate row of its problems.csv and attested.csv that has it, as
 * "group_id,student_no,school_code,approved" (or "revoked" when !approve),
 * unique and sorted, under the header, written to `out`: a file for
 * --decisions next month. The handle's header maps (--map) apply.
 * XJ_ERR_USAGE when a selector names no such row (xj_scan_message). */
XJ_API xj_error xj_scan_attest(xj_scan *scan, const char *outdir, const char *const *selectors, size_t n,
                               int approve, FILE *out);
XJ_API xj_error xj_scan_setProgress(xj_scan *scan, xj_progressFn fn, void *user);
/* --population FILE (repeatable): an extract of the population database
 * (CSV or .zst, columns id_number,name) or a population index built from
 * extracts; records are compared with them (docs/population.md). */
XJ_API xj_error xj_scan_addPopulation(xj_scan *scan, const char *path);
/* Writes a population index to `path` (docs/population.md §4) from the
 * extracts given with xj_scan_addPopulation; the scan has no inputs. */
XJ_API xj_error xj_scan_buildPopulationIndex(xj_scan *scan, const char *path);

/* What a population index holds (`xjdedup index info POP.xjp`). */
typedef struct xj_populationInfo {
    uint64_t entries;        /* (ID number, name) pairs */
    uint64_t ids;            /* distinct ID numbers */
    uint64_t several_names;  /* numbers listed under more than one name */
    uint64_t build_time;     /* unix seconds */
    uint64_t file_bytes;
    unsigned format_version;
    char version[64];        /* xjdedup version that built it */
    size_t n_sources;        /* the extracts it was built from: */
    char **source_names;     /* base names */
    uint64_t *source_bytes;  /* sizes on disk */
} xj_populationInfo;
/* 1 when `path` is a population index, 0 when not, -1 when it cannot be opened. */
XJ_API int xj_isPopulationIndex(const char *path);
/* Opens and checks it (every checksum, the order of every entry). On an
 * error, `message` (cap bytes) says what is wrong. */
XJ_API xj_error xj_populationIndexInfo(const char *path, xj_populationInfo *out, char *message, size_t cap);
XJ_API void xj_populationInfoFree(xj_populationInfo *info);
/* Makes xj_scan_run a batch check: the inputs are a batch, checked against
 * the register index at `index_path` (made by xj_scan_buildIndex). The
 * output directory is a scan's, for the batch's records only, plus a
 * register_matches column in front of the input's columns; register members
 * of a group appear in other_schools and register_matches. A batch record
 * with the student number and school code (trimmed) of a register record it
 * shares a group with is that record, not its duplicate: the register copy
 * leaves the group, and the record is counted (stats.already_registered)
 * and listed in already_registered.csv. A run date set that differs from
 * the index's draws a warning. NULL clears it. */
XJ_API xj_error xj_scan_setAgainst(xj_scan *scan, const char *index_path);

/* Runs the scan and writes the output directory. In a distributed run
 * (xj_processesStart) every process calls it with the same options; each
 * reads its share of the inputs and rank 0 writes the output directory,
 * identical to one process's (docs/mpi.md). Every process returns the same
 * error, and the message names the process it came from. */
XJ_API xj_error xj_scan_run(xj_scan *scan);

/* ------------------------------------------- several processes (MPI) */

/* Joins the job when this process was started by mpirun / mpiexec as one
 * of several (docs/mpi.md); call it first, before any other thread
 * starts. Started any other way, it does nothing. XJ_ERR_USAGE, with what
 * to do in `message` (cap bytes), when this library was built without MPI
 * and started as one of several processes. */
XJ_API xj_error xj_processesStart(char *message, size_t cap);
/* Leaves the job (every process, at the end); `failed` when this process
 * ends in an error. A process that failed on its own, before the scan's
 * shared steps, meets the others until they end too, so that none waits
 * for it for ever; they end with an error naming its rank. */
XJ_API void xj_processesEnd(int failed);
/* This process's number (0 alone, and rank 0 writes the output) and the
 * number of processes (1 alone). */
XJ_API int xj_processRank(void);
XJ_API int xj_processCount(void);

/* Builds a register index of the inputs at `index_path` (replaced
 * atomically) instead of scanning: every record's keys and what a school
 * needs of it. Uses the inputs, threads, run date, attribute scope,
 * encoding, header maps, region table, chunk size and progress options;
 * rows rejected go to `index_path`.rejects.csv. */
XJ_API xj_error xj_scan_buildIndex(xj_scan *scan, const char *index_path);
/* A new index at `index_path`: the records of `old_index` without those
 * whose student number is listed in `remove_list` (a file, one a line; NULL
 * for none), plus the accepted records of the inputs (none is fine). The
 * old index stays as it was. Keeps the old index's run date and attribute
 * scope unless xj_scan_setRunDate / xj_scan_setAttrScope set them: a scope
 * set is applied to the old records too (the result equals a build with
 * it); a run date set applies to the inputs only (the old records keep the
 * ID reasons they were checked with), and a warning says so. Numbers of
 * `remove_list` that match no old record are counted (stats), listed in
 * `index_path`.unmatched.txt and named in a warning. */
XJ_API xj_error xj_scan_updateIndex(xj_scan *scan, const char *old_index, const char *remove_list,
                                    const char *index_path);

/* Valid after xj_scan_run returned XJ_OK. Cannot fail. */
XJ_API const xj_scanStats *xj_scan_stats(const xj_scan *scan);
/* Warnings of the last run (or build, update), in the order they arose:
 * things that did not stop it but that its user must see, e.g. a file with
 * rows that failed to decode. The i-th one, or NULL past the last. Cannot
 * fail. */
XJ_API const char *xj_scan_warning(const xj_scan *scan, size_t i);
/* The message of the last error ("" if none): names the file and line where
 * it can, and says what to do. Cannot fail. */
XJ_API const char *xj_scan_message(const xj_scan *scan);

/* ---------------------------------------------------------------- index */

/* A register index (made by xj_scan_buildIndex), loaded once and asked about
 * records one at a time, e.g. by another registration system at data entry.
 * The file is mapped read-only, so many processes share one copy in the page
 * cache. A handle is not safe for concurrent use: use one per thread. */
typedef struct xj_index xj_index;

/* NULL when out of memory. */
XJ_API xj_index *xj_index_create(void);
XJ_API void xj_index_free(xj_index *index);
/* Maps and verifies the index (header, section checksums, table shapes).
 * XJ_ERR_INPUT for a damaged, truncated or other-version file. */
XJ_API xj_error xj_index_load(xj_index *index, const char *path);
/* The slower checks loading skips: key order and every payload block. */
XJ_API xj_error xj_index_verify(xj_index *index);
XJ_API const char *xj_index_message(const xj_index *index);

typedef struct xj_indexInfo {
    uint32_t format_version;
    uint64_t records;
    uint32_t run_date;          /* YYYYMMDD the records' ID reasons were checked for */
    int attr_mixed;             /* built with --attr-scope mixed */
    int64_t build_time;         /* unix seconds */
    uint64_t id_keys;           /* GB 11643 ID entries */
    uint64_t other_id_keys;     /* (type, number) entries */
    uint64_t attr_keys;         /* attribute entries */
    uint64_t file_bytes;
    uint64_t key_bytes;         /* key and fence sections */
    uint64_t payload_bytes;     /* compressed record blocks and their table */
    size_t sources;             /* input files it was built from */
    const char *version;        /* xjdedup version that built it */
} xj_indexInfo;

/* After xj_index_load. Cannot fail. */
XJ_API void xj_index_info(const xj_index *index, xj_indexInfo *out);
/* Source i (< info.sources): base name, bytes and XXH3-128 hex; NULL past the end. */
XJ_API const char *xj_index_source(const xj_index *index, size_t i, uint64_t *bytes, const char **xxh3_128);

/* One record's fields as they appear in input (UTF-8); NULL or "" = empty. */
typedef struct xj_recordIn {
    const char *student_no, *name, *sex, *birth_date, *id_type, *id_number;
    const char *school_code, *region_code, *registered_at;
} xj_recordIn;

typedef enum xj_matchKind {
    XJ_MATCH_ID = 1,    /* same normalized ID number: an id_duplicate */
    XJ_MATCH_ATTR = 2,  /* no ID, same normalized name, sex and birth date: an attr_duplicate */
    XJ_MATCH_REGISTERED = 3, /* found by ID or attributes, but with the record's own student number and
                               school code (trimmed): the register holds this record already, and a
                               record is not its own duplicate (as `xjdedup check` counts it) */
    XJ_MATCH_SUSPECT = 4 /* one typing slip apart (docs/suspects.md), same normalized name, sex and
                            birth date: the checked record's ID has a wrong check character and the
                            register record holds the valid number it was likely meant to be ("did
                            you mean ...?"), or the other way round */
} xj_matchKind;

/* A register record the checked record collides with. Strings are
 * NUL-terminated and valid until the handle's next call. */
typedef struct xj_match {
    xj_matchKind kind;
    const char *student_no;
    const char *school_code;
    const char *region_code;
    uint32_t registered;        /* YYYYMMDD, 0 when missing */
    xj_idReason id_reason;      /* the register record's own ID problem, XJ_ID_OK if none */
    const char *source;         /* the register file and line it came from */
    uint64_t line;
    const char *name;           /* the register record's name as read */
    const char *id_number;      /* XJ_MATCH_SUSPECT: the register record's ID number (the likely right
                                 * one when the checked record's is mistyped); NULL for other kinds */
} xj_match;

/* Checks one record against the register: its ID's validity (rules §4,
 * with `run_date`, 0 = today) in *reason, and up to `cap` register records
 * it duplicates in matches[] (in register order); *n_matches is the full
 * count, which may exceed cap. XJ_ERR_INPUT when the record could not be
 * read (a required field empty, sex or birth date not understood, bad
 * UTF-8): xj_index_message says which. */
XJ_API xj_error xj_index_checkRecord(xj_index *index, const xj_recordIn *record, uint32_t run_date,
                                     xj_idReason *reason, xj_match *matches, size_t cap, size_t *n_matches);

#ifdef __cplusplus
}
#endif
#endif /* XJDEDUP_H */
