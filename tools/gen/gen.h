/*
 * gen.h — internals of `xjdedup gen`, the synthetic national population
 * generator (issue 3).
 *
 * Design. Every output row is a pure function of (seed, options, row index):
 * its randomness comes from a counter-based generator keyed by the row index,
 * and its school, grade and birth cohort from a layout computed once, up
 * front and single-threaded. So rows can be made in any order and on any
 * thread, a row referenced by another (the first member of a duplicate group)
 * is simply made again, and the output is byte-identical whatever the thread
 * count. Rows are grouped in fixed blocks (GEN_BLOCK_ROWS) that are formatted,
 * encoded and compressed in parallel and written in order.
 *
 * Files: gen_main.c (options, driver), gen_geo.c (provinces, counties,
 * schools, layout), gen_names.c (names), gen_people.c (one student),
 * gen_inject.c (roles and injected problems), gen_format.c (a row as CSV),
 * gen_write.c (output sink, GB 18030, zstd), gen_truth.c (the truth file),
 * gen_months.c (--months), gen_typos.c and gen_typos_out.c (--suspects),
 * gen_population.c (--population), gen_varied.c (the tables and pieces of
 * --profile varied). Only the public header xjdedup.h is used from the
 * engine.
 */
#ifndef XJ_GEN_H
#define XJ_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "xjdedup.h"

/* ------------------------------------------------------------ randomness */

#define GEN_GOLDEN 0x9E3779B97F4A7C15ULL

/* splitmix64's finalizer: a bijection on 64 bits with full avalanche. */
static inline uint64_t gen_mix(uint64_t z)
{
    z ^= z >> 30; z *= 0xBF58476D1CE4E5B9ULL;
    z ^= z >> 27; z *= 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return z;
}

typedef struct gen_rng {
    uint64_t s;  /* splitmix64 state; the stream is s+G, s+2G, ... mixed */
} gen_rng;

/* The random stream of one (purpose key, index): independent streams for
 * different keys, no state shared between rows. */
static inline gen_rng gen_rngAt(uint64_t key, uint64_t index)
{
    gen_rng r = { gen_mix(key ^ gen_mix(index * GEN_GOLDEN + 0x632BE59BD9B4E019ULL)) };
    return r;
}

static inline uint64_t gen_next(gen_rng *r)
{
    r->s += GEN_GOLDEN;
    return gen_mix(r->s);
}

/* Uniform in [0, n) by multiply-shift (bias below 2^-32, irrelevant here). */
static inline uint32_t gen_below(gen_rng *r, uint32_t n)
{
    return (uint32_t)(((gen_next(r) >> 32) * (uint64_t)n) >> 32);
}

static inline uint64_t gen_below64(uint64_t u, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)u * n) >> 64);
}

static inline double gen_unit(gen_rng *r)
{
    return (double)(gen_next(r) >> 11) * 0x1.0p-53;
}

/* A probability as a threshold on a uniform 64-bit draw. */
uint64_t gen_threshold(double p);

/* Walker/Vose alias table: a weighted draw in O(1). */
typedef struct gen_alias {
    uint32_t n;        /* number of outcomes, >= 1 */
    uint64_t *thr;     /* keep outcome i when the low 32 bits are below thr[i] */
    uint32_t *alias;   /* otherwise take alias[i] */
} gen_alias;

int gen_aliasBuild(gen_alias *a, const double *w, uint32_t n);
void gen_aliasFree(gen_alias *a);
static inline uint32_t gen_aliasDraw(const gen_alias *a, uint64_t u)
{
    uint32_t const i = (uint32_t)(((u >> 32) * (uint64_t)a->n) >> 32);
    return ((u & 0xFFFFFFFFu) < a->thr[i]) ? i : a->alias[i];
}

/* ------------------------------------------------------------ dates */

/* Days since 1970-01-01 of a YYYYMMDD date, and back (proleptic Gregorian). */
int32_t gen_dayNumber(uint32_t ymd);
uint32_t gen_fromDayNumber(int32_t days);
int gen_isDate(int y, int m, int d);

/* ------------------------------------------------------------ options */

typedef struct gen_opts {
    uint64_t rows;            /* --rows */
    uint64_t seed;            /* --seed */
    const char *out;          /* -o FILE, "-" for stdout */
    const char *truth;        /* --truth FILE or NULL */
    int threads;              /* --threads, >= 1 */
    uint32_t run_date;        /* --run-date YYYYMMDD */
    int zstd_level;           /* --zstd-level */
    int single_frame;         /* --single-frame: one zstd frame, compressed by the writer */
    int messy;                /* --messy */
    int gbk;                  /* --encoding gbk */
    double dup_rate;          /* extra rows that repeat another row's ID */
    double invalid_rate;      /* type-1 rows given an invalid ID */
    double noid_rate;         /* rows without an ID (type Z, empty number) */
    double attr_rate;         /* no-ID rows repeating a no-ID student's name/sex/birth */
    double mixed_rate;        /* no-ID rows repeating a student with an ID */
    double other_rate;        /* rows with ID type 8, 9 or A */
    double other_invalid;     /* share of those with a bad format */
    double migrant_rate;      /* IDs issued in another province */
    double local_migrant_rate;/* IDs issued in another county of the province */
    double temp_rate;         /* valid-ID rows with a temporary L number */
    double noise_rate;        /* rows with formatting noise normalization undoes */
    double malformed_rate;    /* --messy: rows with a wrong field count */
    double school_size_sigma; /* log-normal spread of school sizes */
    uint32_t rows_per_school; /* mean students per school */
    int progress;             /* progress line: -1 on a terminal, 0 never (-q), 1 always (--progress) */
    uint32_t months;          /* --months M: a month sequence into directory -o (0: one file) */
    uint32_t changes;         /* --changes C: instances of each monthly change (0: from --rows) */
    uint32_t last_date;       /* --months: the last month's run date (--run-date); run_date is month 1's */
    uint32_t suspects;        /* --suspects N: typing slips of each kind appended, truth in FILE.suspects.json */
    const char *population;   /* --population FILE: a population extract beside -o, truth in FILE.truth.json */
    double population_changes;/* --population-changes PCT: per cent of the numbers of each kind of difference */
    int profile;              /* --profile: GEN_PROFILE_DEFAULT or GEN_PROFILE_VARIED */
} gen_opts;

/* --profile: the default population, or a second, differently distributed
 * one (gen_varied.c, docs/generator.md "The varied profile") so that a
 * benchmark is not tuned to one generator. */
enum { GEN_PROFILE_DEFAULT = 0, GEN_PROFILE_VARIED = 1 };

/* ------------------------------------------------------------ geography */

enum { GEN_GRADES = 12 };     /* grades 1..12: primary 1-6, junior 7-9, senior 10-12 */

typedef struct gen_county {
    char code[6];             /* GB/T 2260-style county code */
    uint16_t prov;            /* index into the province table */
    uint32_t city;            /* index into ctx->cities */
    uint8_t kind;             /* 0 district, 1 county, 2 county-level city */
    uint64_t first_row;       /* its rows are [first_row, end_row) */
    uint64_t end_row;
    uint32_t cohort_n[GEN_GRADES]; /* its students per grade (native ID slots in use) */
} gen_county;

typedef struct gen_city {
    uint64_t first_row;       /* rows of all its counties */
    uint64_t end_row;
} gen_city;

typedef struct gen_school {
    uint64_t first_row;       /* its rows are first_row .. first_row+rows-1 */
    uint32_t rows;            /* students */
    uint32_t county;          /* index into ctx->counties */
    uint32_t name_off;        /* the CSV-ready name in ctx->names */
    uint16_t name_len;
    uint8_t cat;              /* index into the category table */
    uint8_t grade_lo;         /* first grade taught (1..12) */
    uint8_t grade_n;          /* number of grades taught */
    uint8_t newlines;         /* LF bytes inside its (quoted) name: 0 or 1 */
    uint8_t quote_all;        /* varied: its county's export quotes every field */
    char code[10];            /* 学校标识码 AABBCCCCCC */
    uint32_t grade_start[GEN_GRADES + 1]; /* row offset of each taught grade, then rows */
    uint32_t cohort_base[GEN_GRADES];     /* same county and grade in earlier schools */
    uint64_t lines_before;    /* LF bytes inside quoted names of earlier schools' rows */
} gen_school;

/* Where a row sits in the layout. */
typedef struct gen_loc {
    uint32_t school;          /* index into ctx->schools */
    uint8_t grade;            /* 1..12 */
    uint32_t rank;            /* index among the county's students of that grade */
} gen_loc;

typedef struct gen_cohort {
    int32_t first_day;        /* day number of Sep 1 of the cohort's birth year */
    uint32_t days;            /* 365 or 366: up to Aug 31 next year */
    uint32_t enrol_year;      /* year the cohort entered grade 1 */
} gen_cohort;

/* ------------------------------------------------------------ context */

typedef struct gen_ctx {
    gen_opts o;               /* the options, validated */
    uint64_t k_role;          /* stream key: each row's role (gen_roleOf) */
    uint64_t k_row;           /* stream key: a row's student and injection */
    uint64_t k_noise;         /* stream key: a row's formatting noise */
    uint64_t k_layout;        /* stream key: schools, counties, serials */
    uint64_t k_addr;          /* stream key: varied, a row's 家庭住址 */
    gen_county *counties;     /* ordered by code: province, city, county */
    uint32_t n_counties;
    gen_city *cities;
    uint32_t n_cities;
    uint32_t prov_county[32]; /* counties of province p: [prov_county[p], prov_county[p+1]) */
    uint64_t prov_first[32];  /* rows of province p: [prov_first[p], prov_first[p+1]) */
    gen_school *schools;      /* in row order, grouped by county */
    uint32_t n_schools;
    char *names;              /* school names, CSV-ready (quoted when needed) */
    size_t names_len;
    gen_alias prov_alias;     /* provinces by school-age population */
    uint32_t school_year;     /* year of the current school year's September */
    gen_cohort cohort[GEN_GRADES + 1]; /* by grade */
    uint64_t t_role[8];       /* cumulative role thresholds, see gen_inject.c */
    uint64_t t_noise;         /* per-row noise threshold */
    uint64_t t_migrant;       /* ID issued in another province */
    uint64_t t_local_migrant; /* ID issued in another county of the province */
    uint64_t t_temp;          /* temporary L student number */
    const struct gen_monthView *month; /* --months: the month being written, else NULL */
} gen_ctx;

/* What a month of a sequence writes instead of the plain population
 * (gen_months.c): base rows skipped or replaced, and rows appended after the
 * last base row. Arrays sorted by row. */
typedef struct gen_monthView {
    const uint64_t *skip;     /* base rows not in this month */
    size_t n_skip;
    const uint64_t *repl_row; /* base rows written as repl[i] instead */
    const struct gen_person *repl;
    size_t n_repl;
    const struct gen_person *extra; /* appended, in this order */
    size_t n_extra;
} gen_monthView;

/* gen_geo.c */
int gen_buildLayout(gen_ctx *ctx);
void gen_freeLayout(gen_ctx *ctx);
void gen_locate(const gen_ctx *ctx, uint64_t row, gen_loc *loc);
void gen_locNext(const gen_ctx *ctx, gen_loc *loc, uint64_t next_row);
/* Line of a row in the output (header is line 1); rows never span lines
 * except by the LF inside a quoted school name. */
uint64_t gen_lineOf(const gen_ctx *ctx, uint64_t row, uint32_t school);
const char *gen_provinceCode(uint32_t prov);
uint32_t gen_provinceCount(void);
uint32_t gen_provinceIndex(const char code2[2]); /* UINT32_MAX if unknown */
const char *gen_gradeName(uint8_t grade, size_t *len);

/* ------------------------------------------------------------ people */

enum gen_nameKind { GEN_NAME_HAN = 0, GEN_NAME_DOTTED, GEN_NAME_LATIN };

enum gen_role {
    GEN_ROLE_PLAIN = 0, GEN_ROLE_DUP, GEN_ROLE_INVALID, GEN_ROLE_NOID,
    GEN_ROLE_ATTR, GEN_ROLE_MIXED, GEN_ROLE_OTHER, GEN_ROLE_MALFORMED
};

/* How an injected row was made (the truth file's `kind` column). */
enum gen_kind {
    GEN_KIND_NONE = 0,
    GEN_KIND_TRANSFER,   /* same student registered again in another school */
    GEN_KIND_TYPED,      /* another student carrying the first one's ID */
    GEN_KIND_IMPORT,     /* the same row imported twice into one school */
    GEN_KIND_MULTI,      /* a third (or later) member joining a duplicate group */
    GEN_KIND_ATTR,       /* a no-ID student registered again without ID */
    GEN_KIND_MIXED,      /* a student with an ID registered again without one */
    GEN_KIND_INVALID,    /* type-1 row with an invalid ID */
    GEN_KIND_OTHER,      /* type 8/9/A row (invalid ones are in the truth) */
    GEN_KIND_MALFORMED,  /* wrong field count */
    GEN_KIND_COUNT
};

typedef struct gen_person gen_person;
struct gen_person {
    uint64_t row;             /* its index */
    uint64_t root;            /* injected rows: the row it repeats, else row */
    gen_loc loc;              /* its place in the layout */
    uint8_t role;             /* enum gen_role */
    uint8_t kind;             /* enum gen_kind */
    uint8_t reason;           /* intended xj_idReason when invalid, else 0 */
    uint8_t sex;              /* 1 male, 2 female */
    uint8_t grade;            /* shown grade (a transfer keeps its own) */
    uint8_t name_kind;        /* enum gen_nameKind */
    uint8_t name_len;
    uint8_t id_len;
    uint8_t malformed;        /* 1: a field missing, 2: a field too many */
    uint8_t id_native;        /* the ID is the one-to-one native number of gen_basePerson (no other base ID equals it) */
    char id_type;             /* '1', 'Z', '8', '9', 'A'; 'P' (--population only): type 1 written as a residence permit */
    uint32_t birth;           /* YYYYMMDD as recorded */
    uint32_t registered;      /* YYYYMMDD 建籍日期 */
    char sno[19];             /* 学籍号, always 19 bytes */
    char id[24];              /* ID number as generated (before noise) */
    char name[96];            /* UTF-8, before noise */
};

/* gen_names.c; gen_namesInit(profile) chooses the name tables of the
 * profile for every later gen_makeName. */
int gen_namesInit(int profile);
/* Writes a name for a student of the province (index) into p. */
void gen_makeName(gen_rng *r, uint32_t prov, uint8_t sex, gen_person *p);
void gen_makeLatinName(gen_rng *r, uint8_t sex, gen_person *p);
/* A place-like name of two characters for schools. */
size_t gen_placeName(uint64_t u, char *out);

/* gen_people.c: the student the layout puts at `row`, before any injection. */
void gen_basePerson(const gen_ctx *ctx, uint64_t row, const gen_loc *loc, gen_person *p);
/* 17 digits + check character into out[18]. */
void gen_finishId(char id[18]);
void gen_putDate8(char *out, uint32_t ymd);
void gen_putDigits(char *out, uint64_t v, int n);
/* An injective 12-digit serial of a row (student numbers L/J). */
uint64_t gen_serial12(uint64_t row, uint64_t salt);
/* The same over `digits` decimal digits (<= 18): injective below 10^digits. */
uint64_t gen_serial(uint64_t row, uint64_t salt, int digits);

/* gen_inject.c */
int gen_setupRoles(gen_ctx *ctx);
uint8_t gen_roleOf(const gen_ctx *ctx, uint64_t row);
/* The final row: base person plus what its role injects. */
void gen_makeRow(const gen_ctx *ctx, uint64_t row, const gen_loc *loc, gen_person *p);
/* fn(arg, row as gen_makeRow makes it) for every row of the population, on
 * ctx->o.threads threads in chunks of rows: fn must be safe to call
 * concurrently (the callers count or mark with atomics). */
void gen_eachRow(const gen_ctx *ctx, void (*fn)(void *arg, const gen_person *p), void *arg);

/* gen_format.c: appends one row (with noise) to out; returns bytes written.
 * out must have GEN_ROW_MAX bytes free. */
enum { GEN_ROW_MAX = 1024 };
size_t gen_formatRow(const gen_ctx *ctx, const gen_person *p, char *out);
size_t gen_formatHeader(const gen_ctx *ctx, char *out);

/* gen_write.c: where the bytes go. A block's text is encoded (GB 18030,
 * then a zstd frame of its own) on the worker thread that made it; the
 * sink only writes, in block order. Concatenated zstd frames are one valid
 * .zst stream (RFC 8878 §3.1), and each frame depends on its block alone, so
 * the file is the same whatever the thread count; a reader can decode the
 * frames on as many cores (scan does). With --single-frame the writer
 * compresses the blocks, in order, into one frame (gen_zstream), as the
 * zstd tool does with one file. */
typedef struct gen_buf {
    char *p;                  /* bytes */
    size_t len;               /* used */
    size_t cap;               /* allocated */
} gen_buf;
int gen_bufReserve(gen_buf *b, size_t extra);
void gen_bufFree(gen_buf *b);

typedef struct gen_sink {
    int fd;                   /* output file or 1 */
    int close_fd;             /* 1 when we opened it */
    int zstd;                 /* output ends in .zst */
    const char *path;         /* for messages */
    uint64_t bytes;           /* written so far */
} gen_sink;
int gen_sinkOpen(gen_sink *s, const char *path);
int gen_sinkWrite(gen_sink *s, const void *p, size_t n);
int gen_sinkClose(gen_sink *s);

typedef struct gen_encoder gen_encoder; /* per thread: zstd context, iconv */
gen_encoder *gen_encoderCreate(int zstd, int level, int gbk);
void gen_encoderFree(gen_encoder *e);
/* Encodes `in` into `out` (replacing its content); returns 0 or -1. */
int gen_encode(gen_encoder *e, const gen_buf *in, gen_buf *out);

/* One zstd frame over everything written through it (--single-frame).
 * Its header carries no content size: the total is known only at the end,
 * as for `zstd` reading a pipe. */
typedef struct gen_zstream gen_zstream;
gen_zstream *gen_zstreamCreate(int level);
void gen_zstreamFree(gen_zstream *z);
/* Compresses p[0..n) onto the sink; `end` closes the frame. 0 or -1
 * (errno set when the write failed, 0 when compression did). */
int gen_zstreamWrite(gen_zstream *z, gen_sink *s, const void *p, size_t n, int end);

/* gen_people.c */
void gen_setupCohorts(gen_ctx *ctx);

/* gen_varied.c: --profile varied. */
/* Its weight of province `prov` relative to the default's (census) weight. */
double gen_variedProvinceFactor(uint32_t prov);
/* 1 when the county's export quotes every field. */
int gen_variedQuoteAll(const gen_ctx *ctx, uint32_t county);
/* Share of schools and mean size of school category c (the default's
 * category table, other figures). */
double gen_variedCategoryShare(uint32_t c);
double gen_variedCategoryMean(uint32_t c);
/* A school's size weight relative to its category's mean: Pareto. */
double gen_variedSizeFactor(gen_rng *r);
/* Decorates a school name (plain UTF-8 in nm[0..n), room for 128 bytes)
 * from u: a longer name, a branch with a comma, quotes or a line break.
 * Returns the new length; *needs_quotes and *newlines say what it holds. */
size_t gen_variedSchoolName(uint64_t u, char *nm, size_t n, int *needs_quotes, int *newlines);
/* 年级 as the registry's two-digit grade code (2 bytes, no NUL). */
const char *gen_variedGradeCode(uint8_t grade);
/* The 家庭住址 field of p, CSV-ready (quoted when it must be or when
 * quote_all), appended at o; returns the end. At most 160 bytes. */
char *gen_variedAddress(const gen_ctx *ctx, const gen_person *p, int quote_all, char *o);

/* gen_truth.c */
int gen_writeTruth(const gen_ctx *ctx, const char *path);
/* The rules §4 reason code of an xj_idReason ("" for XJ_ID_OK). */
const char *gen_reasonName(uint8_t r);

/* gen_inject.c: a random row in the scope's ring around `row` (SC_*: the
 * school, another school of the county, another county of the city, another
 * city of the province, another province), UINT64_MAX when it is empty. */
enum { GEN_SC_SCHOOL = 0, GEN_SC_COUNTY, GEN_SC_CITY, GEN_SC_PROVINCE, GEN_SC_NATIONAL };
uint64_t gen_rowInScope(const gen_ctx *ctx, uint64_t row, const gen_loc *loc, int scope, gen_rng *r);

/* gen_main.c: writes the rows (ctx->month applied) to ctx->o.out. */
int gen_run(gen_ctx *ctx);

/* Rows per block of the output (and per zstd frame). */
enum { GEN_BLOCK_ROWS = 32768 };

/* Makes the text of block b (0-based) into text, replacing its content: a
 * pure function of (ctx, arg, b), called on several threads at once. 0, or
 * -1 out of memory. */
typedef int (*gen_blockFn)(const gen_ctx *ctx, void *arg, uint64_t b, gen_buf *text);

/* gen_main.c: writes blocks 0..nblocks-1 of fn to path in order (plain, or
 * a zstd frame per block when path ends in .zst, one frame with
 * --single-frame; GB 18030 when gbk), made on ctx->o.threads threads. A
 * progress line counts progress_rows rows when not 0. EXIT_OK or EXIT_IO
 * (after printing why). */
int gen_writeBlocks(const gen_ctx *ctx, const char *path, uint64_t nblocks, int gbk, gen_blockFn fn,
                    void *arg, uint64_t progress_rows);

/* gen_population.c: --population FILE, the register with the planted L
 * records appended (to -o), the extract (to FILE) and FILE.truth.json. */
int gen_runPopulation(gen_ctx *ctx);

/* gen_months.c: --months, the month sequence, its decisions and truth.json. */
int gen_runMonths(gen_ctx *ctx);
/* YYYYMMDD minus n calendar months, the day clamped to the month's length. */
uint32_t gen_monthsBefore(uint32_t ymd, uint32_t n);

/* gen_typos_out.c: --suspects, the population with typing slips appended
 * (gen_typos.c plans them) and FILE.suspects.json. */
int gen_runSuspects(gen_ctx *ctx);

#endif
