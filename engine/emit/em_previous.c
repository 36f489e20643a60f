/*
 * em_previous — this run against an earlier one (--previous OUTDIR): each
 * row's status and first_seen (docs/monthly.md §1, §2), and the identities
 * resolved since (§3: resolved.csv, and their count per province and problem
 * for em_countRows).
 *
 * A row's identity across runs is (problem, group_id, student number,
 * school code), the last two trimmed: line numbers and file names change
 * from month to month, these do not. Identity is a set: a row is "in PREV"
 * when any PREV row has its identity. Each PREV row becomes a 128-bit hash
 * of its identity with its first_seen (its own column, or PREV's run date
 * when PREV was written before that column existed); they are sorted, equal
 * hashes merged (the smallest first_seen kept), and every row of this run
 * looks its identity up.
 *
 * The earlier problems.csv is untrusted input: it is streamed (never held in
 * memory), every field kept is capped, a malformed file is a clear error
 * (XJ_ERR_INPUT), never a crash. Its columns are found by header name: ours
 * come first and end with `line` (11 of them before other_members, 12 before
 * status and first_seen, 14 since: all are read); the student number and
 * school code columns are the ones after it whose names this run's inputs
 * use for those fields.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "em_internal.h"
#include "xj_alloc.h"
#include "xj_date.h"
#include "xj_text.h"

#define EM_PREV_FIELD_MAX 4096u       /* bytes kept of a field we look at */
#define EM_PREV_ROWS_MAX ((1ull << 32) - 2) /* identities of the earlier problems.csv (uint32 slots) */
#define EM_PENDING_MAX ((size_t)1 << 20) /* words a worker keeps while PREV is read: 8 MiB, 512k pairs */
#define EM_PREV_ROW_MAX (16u << 20)   /* bytes of one row: ours hold a record of at most 1 MiB and our columns */
#define EM_PREV_BLOCK (1u << 16)      /* bytes read at a time */
/* The first capacity of what grows with PREV's rows or this run's pairs
 * (keys, their index, pairs kept and passed): a small PREV (a pilot, a
 * test, each input of the fuzz target) takes kilobytes, not hundreds of
 * them. From 64 they double to the same powers of two as from 1,024 or
 * 4,096 once a large PREV is read. */
#define EM_PREV_FIRST 64

typedef struct em_key {
    XXH128_hash_t hash;  /* of problem '\0' group_id '\0' student_no '\0' school */
    uint64_t person;     /* of student_no and school (em_personKey) */
    uint64_t quick;      /* the same pair's em_quickPerson, for the filter */
    uint64_t at;         /* where the row starts in its file, and its bytes: resolved.csv */
    uint32_t bytes;      /* reads back only the rows it lists (em_writeResolved) */
    uint32_t first_seen; /* YYYYMMDD */
    uint8_t province;    /* em_provinceIndex of the school */
    uint8_t problem;     /* pb_problem; PB_PROBLEM_COUNT for a problem that is none of ours */
} em_key;

/* A slot of the keys' hash index: the key's index + 1 (0: empty) and 32
 * bits of its hash, so a probe reads the key itself only on a likely match. */
typedef struct em_keySlotEntry {
    uint32_t index;
    uint32_t tag;
} em_keySlotEntry;

/* One key per identity, in the order first read; `slot` finds them by
 * hash (open addressing, at most half full). The rows are read into `v`
 * first, one key each, and em_keysIndex then merges those of one identity
 * and files them: filing as they are read would wait for a cache miss a
 * row. */
typedef struct em_keys {
    em_key *v;
    size_t n, cap;
    em_keySlotEntry *slot;
    size_t slot_cap;        /* a power of two */
    uint64_t header_bytes;  /* the file's header line, LF included */
} em_keys;

/* PREV as this run sees it (emit.h): its identities, reported and
 * attested, and a filter of the student number + school code pairs of the
 * reported ones; the pairs of this run's records that passed it. */
struct em_prev {
    char *dir;                     /* PREV's path */
    char *sno_header, *school_header; /* this run's names for the two columns */
    uint32_t run_date;             /* PREV's */
    em_keys reported, attested;    /* one per identity */
    _Atomic unsigned char *seen;   /* per reported identity: a row of this run has it */
    em_personFilter filter;        /* may the pair be one of PREV's? Its `ready` tells when it is built */
    uint64_t *filter_words;        /* the filter's, owned */
    /* em_personKey of accepted records of this run whose pair passed the
     * filter (about 0.5% of the others do too), in no order, repeats
     * kept: em_writeResolved looks its few pairs up in them */
    uint64_t *passed;
    size_t n_passed, cap_passed;
    int passed_lost;               /* some could not be kept (out of memory) */
    pthread_mutex_t passing;       /* over the three above */
};

const em_personFilter *em_prevFilter(const em_prev *p)
{
    return &p->filter;
}

static int em_sameHash(XXH128_hash_t a, XXH128_hash_t b)
{
    return a.high64 == b.high64 && a.low64 == b.low64;
}

/* The slot of hash h: its key's, or the empty one where it would go. */
static size_t em_keySlot(const em_keys *k, XXH128_hash_t h)
{
    size_t i = (size_t)h.low64 & (k->slot_cap - 1);
    uint32_t const tag = (uint32_t)(h.high64 >> 32);
    while (k->slot[i].index && (k->slot[i].tag != tag || !em_sameHash(k->v[k->slot[i].index - 1].hash, h)))
        i = (i + 1) & (k->slot_cap - 1);
    return i;
}

/* `count` zeroed entries of `size` bytes for a hash table, every page
 * written now: a probe reads its slot before anything is written there,
 * and a page of calloc's left to the shared zero page until then is copied
 * at its first write, a fault that flushes the TLB of every core the
 * process runs on. (xj_callocTable means to do this, but the compiler
 * turns its malloc and memset into one calloc.) */
static void *em_zeroedTable(size_t count, size_t size)
{
    void *const t = xj_mallocArray(count ? count : 1, size);
    __asm__ volatile("" : : "r"(t) : "memory"); /* the memset stays a memset */
    if (t) memset(t, 0, (count ? count : 1) * size);
    return t;
}

/* Room for about `rows` keys at once (the rows are counted from the file's
 * size): not moved to a larger array, nor copied, as they are read. */
static xj_error em_keysReserve(em_keys *k, size_t rows)
{
    return xj_growArray(&k->v, &k->cap, rows, sizeof *k->v, EM_PREV_FIRST) != 0 ? XJ_ERR_NOMEM : XJ_OK;
}

/* A PREV row's key, after the others (em_keysIndex merges them). */
static xj_error em_keysAdd(em_keys *k, em_key key)
{
    if (k->n >= EM_PREV_ROWS_MAX) return XJ_ERR_LIMIT;
    if (xj_growArray(&k->v, &k->cap, k->n + 1, sizeof *k->v, EM_PREV_FIRST) != 0) return XJ_ERR_NOMEM;
    k->v[k->n++] = key;
    return XJ_OK;
}

#define EM_KEYS_BLOCK 16 /* keys whose slots are asked for at once, so that their cache misses overlap */

/* Files the keys read, in their order: a key of an identity filed before
 * is merged into it (the earliest first_seen is kept, with that row's
 * place in the file) and leaves `v`, so that one key stays an identity. */
static xj_error em_keysIndex(em_keys *k)
{
    if (k->n == 0) return XJ_OK;
    size_t cap = EM_PREV_FIRST;
    while (cap < 2 * k->n) cap *= 2;
    k->slot = em_zeroedTable(cap, sizeof *k->slot);
    if (k->slot == NULL) return XJ_ERR_NOMEM;
    k->slot_cap = cap;
    size_t const n = k->n;
    size_t w = 0; /* keys kept: v[0..w) are filed */
    for (size_t b = 0; b < n; b += EM_KEYS_BLOCK) {
        size_t const e = b + EM_KEYS_BLOCK < n ? b + EM_KEYS_BLOCK : n;
        for (size_t j = b; j < e; j++) __builtin_prefetch(&k->slot[k->v[j].hash.low64 & (cap - 1)]);
        for (size_t j = b; j < e; j++) {
            em_key const key = k->v[j];
            size_t const i = em_keySlot(k, key.hash);
            if (k->slot[i].index) {
                em_key *const had = &k->v[k->slot[i].index - 1];
                if (key.first_seen < had->first_seen) {
                    had->first_seen = key.first_seen;
                    had->at = key.at;
                    had->bytes = key.bytes;
                }
                continue;
            }
            k->v[w++] = key;
            k->slot[i] = (em_keySlotEntry){(uint32_t)w, (uint32_t)(key.hash.high64 >> 32)};
        }
    }
    k->n = w;
    return XJ_OK;
}

static const em_key *em_findKey(const em_keys *k, XXH128_hash_t h)
{
    if (k->n == 0) return NULL;
    size_t const i = em_keySlot(k, h);
    return k->slot[i].index ? &k->v[k->slot[i].index - 1] : NULL;
}

/* Values joined by NULs into `buf` (cap bytes) for a one-shot hash, which
 * for short values is several times faster than the streaming calls and
 * gives the same hash; 0 when they do not fit (then the caller streams). */
static size_t em_joined(char *buf, size_t cap, const char *const *v, const size_t *n, int count)
{
    size_t at = 0;
    for (int i = 0; i < count; i++) {
        if (at + n[i] + 1 > cap) return 0;
        if (n[i]) memcpy(buf + at, v[i], n[i]);
        at += n[i];
        if (i + 1 < count) buf[at++] = '\0';
    }
    return at;
}

/* The identity's hash; every value but the problem is trimmed first. */
static XXH128_hash_t em_identity(const char *problem, size_t pn, const char *group, size_t gn, const char *sno,
                                 size_t sn, const char *school, size_t cn)
{
    xj_trim(&group, &gn);
    xj_trim(&sno, &sn);
    xj_trim(&school, &cn);
    char joined[256];
    const char *const v[] = {problem, group, sno, school};
    size_t const n[] = {pn, gn, sn, cn};
    size_t const len = em_joined(joined, sizeof joined, v, n, 4);
    if (len) return XXH3_128bits(joined, len);
    XXH3_state_t st;
    XXH3_128bits_reset(&st);
    XXH3_128bits_update(&st, problem, pn);
    XXH3_128bits_update(&st, "", 1);
    XXH3_128bits_update(&st, group, gn);
    XXH3_128bits_update(&st, "", 1);
    XXH3_128bits_update(&st, sno, sn);
    XXH3_128bits_update(&st, "", 1);
    XXH3_128bits_update(&st, school, cn);
    return XXH3_128bits_digest(&st);
}

uint64_t em_longValueHash(const char *s, size_t n, uint64_t seed)
{
    return XXH3_64bits_withSeed(s, n, seed);
}

uint64_t em_quickPersonTrimmed(const char *sno, size_t sn, const char *school, size_t cn)
{
    xj_trim(&sno, &sn);
    xj_trim(&school, &cn);
    return em_quickPerson(sno, sn, school, cn);
}

/* ---- a streaming reader of the earlier problems.csv ---- */

enum { EM_COL_PROBLEM, EM_COL_GROUP, EM_COL_FIRST_SEEN, EM_COL_STUDENT, EM_COL_SCHOOL, EM_COLS };

typedef struct em_prevReader {
    int col[EM_COLS];               /* column index of each wanted field, -1 until the header is read */
    const char *name[EM_COLS];      /* header names to look for */
    size_t len[EM_COLS];            /* of the wanted fields of the current record (field[]) */
    size_t hdr_len;                 /* of the current header field (hdr[]) */
    size_t index;                   /* field index in the record */
    size_t ours;                    /* our leading columns: up to and including `line`; 0 until seen */
    uint64_t records;               /* records completed, header included */
    int in_quotes;                  /* inside a quoted field */
    int after_quote;                /* a quote seen inside quotes: end or doubled */
    int field_start;                /* nothing of this field read yet */
    uint64_t line;                  /* physical line being read, from 1 */
    uint32_t run_date;              /* PREV's, the first_seen of rows without that column */
    uint64_t fed;                   /* bytes before the block being fed */
    uint64_t rec_start, rec_end;    /* the current record's bytes in the file (rec_end: at its end) */
    uint64_t header_end;            /* bytes of the header line */
    int last_col;                   /* the last column looked at (after the header) */
    uint64_t wanted;                /* bit c: column c (< 64) is looked at (after the header) */
    const char *path;               /* for messages */
    xj_status *st;
    /* what each data row is for: its fields are in field[]/len[] */
    xj_error (*row)(struct em_prevReader *r, void *user);
    void *user;
    /* last, and not zeroed (em_prevReaderInit): 24 KiB, each byte written
     * before it is read */
    char field[EM_COLS][EM_PREV_FIELD_MAX]; /* the wanted fields of the current record */
    char hdr[EM_PREV_FIELD_MAX];    /* the current header field */
} em_prevReader;

/* Appends bytes of the current field where they are wanted (bounded: a
 * longer value is cut, and then cannot match anything of this run). */
static void em_prevAddRun(em_prevReader *r, const char *s, size_t n)
{
    char *to = NULL;
    size_t *len = NULL;
    if (r->records == 0) to = r->hdr, len = &r->hdr_len;
    for (int k = 0; k < EM_COLS && to == NULL; k++)
        if (r->col[k] == (int)r->index) to = r->field[k], len = &r->len[k];
    if (to == NULL) return;
    size_t const room = EM_PREV_FIELD_MAX - *len, take = n < room ? n : room;
    memcpy(to + *len, s, take);
    *len += take;
}

static void em_prevAddByte(em_prevReader *r, char c)
{
    em_prevAddRun(r, &c, 1);
}

static void em_prevEndField(em_prevReader *r)
{
    if (r->records == 0) {
        size_t n = r->hdr_len;
        for (int k = 0; k < EM_COLS; k++) {
            size_t const want = strlen(r->name[k]);
            /* the fixed columns are ours; the input's own columns follow them */
            int const allowed = k == EM_COL_PROBLEM                              ? r->index == 0
                                : k == EM_COL_GROUP || k == EM_COL_FIRST_SEEN ? r->ours == 0
                                                                               : r->ours > 0 && r->index >= r->ours;
            if (r->col[k] < 0 && allowed && n == want && memcmp(r->hdr, r->name[k], n) == 0) r->col[k] = (int)r->index;
        }
        if (r->ours == 0 && n == 4 && memcmp(r->hdr, "line", 4) == 0) r->ours = r->index + 1;
        r->hdr_len = 0;
    }
    r->index++;
    r->field_start = 1;
}

/* The row's identity. */
static XXH128_hash_t em_prevIdentity(const em_prevReader *r)
{
    return em_identity(r->field[EM_COL_PROBLEM], r->len[EM_COL_PROBLEM], r->field[EM_COL_GROUP], r->len[EM_COL_GROUP],
                       r->field[EM_COL_STUDENT], r->len[EM_COL_STUDENT], r->field[EM_COL_SCHOOL],
                       r->len[EM_COL_SCHOOL]);
}

/* The pb_problem a PREV row names; PB_PROBLEM_COUNT when it is none. */
static uint8_t em_prevProblem(const char *s, size_t n)
{
    for (int p = 0; p < PB_PROBLEM_COUNT; p++) {
        const char *const code = pb_problemCode((pb_problem)p);
        if (n == strlen(code) && memcmp(s, code, n) == 0) return (uint8_t)p;
    }
    return PB_PROBLEM_COUNT;
}

/* One PREV row made a key (r->user: em_keys). A first_seen that is not a
 * date is an error. */
static xj_error em_prevKey(em_prevReader *r, void *user)
{
    em_keys *const out = user;
    em_key key = {.hash = em_prevIdentity(r), .first_seen = r->run_date};
    const char *school = r->field[EM_COL_SCHOOL], *sno = r->field[EM_COL_STUDENT];
    size_t school_len = r->len[EM_COL_SCHOOL], sno_len = r->len[EM_COL_STUDENT];
    xj_trim(&school, &school_len);
    xj_trim(&sno, &sno_len);
    key.person = em_personKey(sno, sno_len, school, school_len);
    key.quick = em_quickPerson(sno, sno_len, school, school_len);
    RETURN_ERROR_IF(r->rec_end - r->rec_start > EM_PREV_ROW_MAX, r->st, XJ_ERR_INPUT,
                    "--previous: %s: line %llu: a row of over %u MiB; is it a problems.csv of xjdedup?", r->path,
                    (unsigned long long)r->records + 1, EM_PREV_ROW_MAX >> 20);
    key.at = r->rec_start;
    key.bytes = (uint32_t)(r->rec_end - r->rec_start);
    out->header_bytes = r->header_end;
    key.province = (uint8_t)em_provinceIndex(school, school_len);
    key.problem = em_prevProblem(r->field[EM_COL_PROBLEM], r->len[EM_COL_PROBLEM]);
    if (r->col[EM_COL_FIRST_SEEN] >= 0) {
        key.first_seen = dt_parseIso(r->field[EM_COL_FIRST_SEEN], r->len[EM_COL_FIRST_SEEN]);
        RETURN_ERROR_IF(key.first_seen == 0, r->st, XJ_ERR_INPUT,
                        "--previous: %s: line %llu: first_seen is not a date (YYYY-MM-DD); is it a problems.csv "
                        "of xjdedup?", r->path, (unsigned long long)r->records + 1);
    }
    return em_keysAdd(out, key);
}

static xj_error em_prevEndRecord(em_prevReader *r)
{
    em_prevEndField(r);
    xj_error err = XJ_OK;
    if (r->records > 0) {
        /* strip the CR of a CRLF file from the last field */
        for (int k = 0; k < EM_COLS; k++)
            if (r->len[k] > 0 && r->field[k][r->len[k] - 1] == '\r') r->len[k]--;
        if (r->len[EM_COL_PROBLEM] > 0) err = r->row(r, r->user);
    }
    if (r->records == 0) {
        r->header_end = r->rec_end;
        for (int k = 0; k < EM_COLS; k++) {
            r->last_col = r->col[k] > r->last_col ? r->col[k] : r->last_col;
            if (r->col[k] >= 0 && r->col[k] < 64) r->wanted |= 1ull << r->col[k];
        }
    }
    r->records++;
    r->index = 0;
    for (int k = 0; k < EM_COLS; k++) r->len[k] = 0;
    return err;
}

/* A quote where RFC 4180 allows none: the file is not one we wrote. */
static xj_error em_prevBadQuote(const em_prevReader *r)
{
    return st_fail(r->st, XJ_ERR_INPUT, "--previous: %s: line %llu: bad quote (a quote must open and close a whole "
                   "value); is it a problems.csv of xjdedup?", r->path, (unsigned long long)r->line);
}

/* Bytes that end a run of plain field bytes: outside quotes a comma, a line
 * end or a quote; inside, a quote or a line end (lines are counted). Looked
 * for 16 bytes at a time: other_members and the input's own columns make
 * rows of hundreds of bytes, most of them in fields no one reads. */
static size_t em_plainRun(const char *p, size_t n, int in_quotes)
{
    char const stop = in_quotes ? '"' : ','; /* with '"' and '\n' */
    size_t i = 0;
#ifdef __SSE2__
    __m128i const a = _mm_set1_epi8(stop), b = _mm_set1_epi8('"'), c = _mm_set1_epi8('\n');
    for (; i + 16 <= n; i += 16) {
        __m128i const v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        unsigned const m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, a), _mm_cmpeq_epi8(v, b)), _mm_cmpeq_epi8(v, c)));
        if (m) return i + (size_t)__builtin_ctz(m);
    }
#endif
    while (i < n && p[i] != stop && p[i] != '"' && p[i] != '\n') i++;
    return i;
}

/* Bytes up to and including the `need`-th comma, or up to the first quote
 * or LF before it (or all n); *passed: the commas among them. Outside
 * quotes, between the columns looked at: the fields there are passed
 * without a step each, 16 bytes at a time. */
static size_t em_skipCommas(const char *p, size_t n, size_t need, size_t *passed)
{
    size_t i = 0, got = 0;
#ifdef __SSE2__
    __m128i const comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"'), lf = _mm_set1_epi8('\n');
    for (; i + 16 <= n; i += 16) {
        __m128i const v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        unsigned commas = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma));
        unsigned const stops =
            (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, lf)));
        if (stops) commas &= (1u << __builtin_ctz(stops)) - 1;
        size_t const c = (size_t)__builtin_popcount(commas);
        if (got + c >= need) {
            for (size_t k = got + 1; k < need; k++) commas &= commas - 1; /* drop the commas before the last one */
            *passed = need;
            return i + (size_t)__builtin_ctz(commas) + 1;
        }
        got += c;
        if (stops) {
            *passed = got;
            return i + (size_t)__builtin_ctz(stops);
        }
    }
#endif
    for (; i < n && p[i] != '"' && p[i] != '\n'; i++)
        if (p[i] == ',' && ++got == need) {
            *passed = got;
            return i + 1;
        }
    *passed = got;
    return i;
}

static xj_error em_prevFeed(em_prevReader *r, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        /* a field not looked at, with one that is later in the row: on to
         * that one (its index, and whether a field starts where this
         * stops, as em_prevEndField and the loop below would leave them) */
        if (!r->in_quotes && r->records > 0 && r->index < 63 && !(r->wanted >> r->index & 1) &&
            (r->wanted >> (r->index + 1)) != 0) {
            size_t passed = 0;
            size_t const span = em_skipCommas(p + i, n - i, (size_t)__builtin_ctzll(r->wanted >> (r->index + 1)) + 1,
                                              &passed);
            if (span) {
                r->index += passed;
                r->field_start = p[i + span - 1] == ',';
                i += span;
                if (i == n) break;
            }
        }
        /* past the last column looked at: nothing to read up to the next
         * quote or line end, so on to it at once (a quote is then read as
         * usual, and checked). What was passed decides whether a field
         * starts there: it does after a comma, also when that comma ends
         * the block and the quote opens the next one */
        if (!r->in_quotes && r->records > 0 && (int)r->index > r->last_col) {
            size_t const span = em_plainRun(p + i, n - i, 1); /* stops at a quote or an LF only */
            if (span) {
                r->field_start = p[i + span - 1] == ',';
                i += span;
                if (i == n) break;
            }
        }
        /* most bytes are plain: taken a run at a time, not one by one */
        size_t const run = r->after_quote ? 0 : em_plainRun(p + i, n - i, r->in_quotes);
        if (run) {
            /* most fields are not looked at: no call for them */
            if (r->records == 0 || r->index >= 64 || (r->wanted >> r->index & 1)) em_prevAddRun(r, p + i, run);
            if (!r->in_quotes) r->field_start = 0;
            i += run;
            if (i == n) break;
        }
        char const c = p[i];
        if (c == '\n') r->line++;
        if (r->in_quotes) {
            if (r->after_quote) {
                r->after_quote = 0;
                if (c == '"') {
                    em_prevAddByte(r, '"');
                    continue;
                }
                r->in_quotes = 0; /* the closing quote: the field ends here */
                if (c != ',' && c != '\n' && c != '\r') return em_prevBadQuote(r);
            } else {
                if (c == '"') r->after_quote = 1;
                else em_prevAddByte(r, c);
                continue;
            }
        }
        if (c == ',') {
            if (r->records == 0) em_prevEndField(r);
            else r->index++, r->field_start = 1; /* em_prevEndField of a data row */
        }
        else if (c == '\n') {
            r->rec_end = r->fed + i + 1;
            FORWARD_IF_ERROR(em_prevEndRecord(r));
            r->rec_start = r->rec_end;
        }
        else if (c == '"' && r->field_start) {
            r->in_quotes = 1;
            r->field_start = 0;
            continue;
        } else if (c == '"') return em_prevBadQuote(r);
        else em_prevAddByte(r, c);
        if (c != ',' && c != '\n') r->field_start = 0;
    }
    return XJ_OK;
}

/* Up to `cap` bytes of fd, fewer only at its end, as fread gives them (a
 * read(2) of its own: no stdio buffer for each file); -1 on an error
 * before any byte. */
static ssize_t em_readBlock(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    while (got < cap) {
        ssize_t const k = read(fd, buf + got, cap - got);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return got ? (ssize_t)got : -1;
        if (k == 0) break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

/* PREV's run date, from its summary.json (ours: `"run_date": "YYYY-MM-DD"`
 * near the top); the first_seen of PREV rows written before that column. */
/* PREV's summary.json (ours, so its first lines hold what we look for):
 * its run date, the first_seen of PREV rows written before that column,
 * and the attribute scope it grouped with, which must be this run's. */
static xj_error em_prevSummary(const char *dir, const char *attr_scope, uint32_t *out, xj_status *st)
{
    char path[4096], text[4096];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    int const fd = open(path, O_RDONLY | O_CLOEXEC);
    RETURN_ERROR_IF(fd < 0, st, XJ_ERR_INPUT, "--previous: cannot open %s: %s; name the output directory "
                    "of an earlier run", path, strerror(errno));
    ssize_t const got = em_readBlock(fd, text, sizeof text - 1);
    close(fd);
    size_t const n = got > 0 ? (size_t)got : 0; /* unread: no run_date, below */
    text[n] = '\0';
    static const char kKey[] = "\"run_date\": \"";
    const char *const at = strstr(text, kKey);
    *out = at ? dt_parseIso(at + sizeof kKey - 1, strnlen(at + sizeof kKey - 1, 10)) : 0;
    RETURN_ERROR_IF(*out == 0, st, XJ_ERR_INPUT, "--previous: %s has no run_date; is %s the output "
                    "directory of an xjdedup run?", path, dir);
    static const char kScope[] = "\"attr_scope\": \"";
    const char *const sc = strstr(text, kScope);
    const char *const was = sc ? sc + sizeof kScope - 1 : "";
    size_t const wn = strcspn(was, "\"");
    RETURN_ERROR_IF(attr_scope && (wn != strlen(attr_scope) || memcmp(was, attr_scope, wn) != 0), st, XJ_ERR_INPUT,
                    "--previous: %s was made with --attr-scope %.*s and this run uses --attr-scope %s: attribute "
                    "group ids would not compare; scan again with --attr-scope %.*s", dir, (int)(wn > 16 ? 16 : wn),
                    was, attr_scope, (int)(wn > 16 ? 16 : wn), was);
    return XJ_OK;
}

/* PREV's `file` (problems.csv, or attested.csv: `missing_ok`, as a PREV
 * without decisions has none), each data row handed to `row`. */
static void em_prevReaderInit(em_prevReader *r, const em_prev *prev, xj_error (*row)(em_prevReader *, void *),
                              void *user, xj_status *st)
{
    memset(r, 0, offsetof(em_prevReader, field));
    r->name[EM_COL_PROBLEM] = "problem";
    r->name[EM_COL_GROUP] = "group_id";
    r->name[EM_COL_FIRST_SEEN] = "first_seen";
    r->name[EM_COL_STUDENT] = prev->sno_header;
    r->name[EM_COL_SCHOOL] = prev->school_header;
    for (int k = 0; k < EM_COLS; k++) r->col[k] = -1;
    r->field_start = 1;
    r->st = st;
    r->run_date = prev->run_date;
    r->line = 1;
    r->row = row;
    r->user = user;
}

static xj_error em_readPrevious(const em_prev *prev, const char *file, int missing_ok,
                                xj_error (*row)(em_prevReader *, void *), void *user, xj_status *st)
{
    /* the reader and its block on the stack (as em_recordExisting's
     * chunk): on the heap they were 88 KiB allocated, 24 KiB zeroed, for
     * every file, however small (attested.csv often is), and under the
     * sanitizers, whose freed memory waits in quarantine, fresh pages each
     * time: an eighth of the fuzz target's time went to them (perf) */
    em_prevReader reader;
    em_prevReader *const r = &reader;
    char block[EM_PREV_BLOCK];
    em_prevReaderInit(r, prev, row, user, st);
    xj_error err = XJ_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", prev->dir, file);
    r->path = path;
    int const fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && missing_ok && errno == ENOENT) return XJ_OK;
    if (fd < 0)
        return st_fail(st, XJ_ERR_INPUT, "--previous: cannot open %s: %s; name the output directory of an "
                       "earlier run", path, strerror(errno));
    ssize_t n = 0;
    while (!err && (n = em_readBlock(fd, block, sizeof block)) > 0) {
        err = em_prevFeed(r, block, (size_t)n);
        r->fed += (uint64_t)n;
    }
    if (!err && n < 0) err = st_fail(st, XJ_ERR_INPUT, "--previous: cannot read %s: %s", path, strerror(errno));
    if (!err && (r->index > 0 || !r->field_start)) { /* no final LF */
        r->rec_end = r->fed;
        err = em_prevEndRecord(r);
    }
    if (!err && r->in_quotes && !r->after_quote)
        err = st_fail(st, XJ_ERR_INPUT, "--previous: %s ends inside a quoted field; is it a complete "
                      "problems.csv of xjdedup?", path);
    if (err == XJ_ERR_NOMEM || err == XJ_ERR_LIMIT)
        st_fail(st, err, "--previous: %s is too large to compare (%s)", path, xj_errorName(err));
    if (!err) {
        static const char *const kWhat[EM_COLS] = {"problem", "group", "date first seen", "student number",
                                                   "school code"};
        for (int k = 0; k < EM_COLS && !err; k++)
            if (r->col[k] < 0 && k != EM_COL_FIRST_SEEN) /* first_seen: only in runs since it exists */
                err = st_fail(st, XJ_ERR_INPUT, "--previous: %s has no column '%s' (the %s); compare runs "
                              "made from exports with the same headers", path, r->name[k], kWhat[k]);
    }
    close(fd);
    return err;
}

/* ---- loading PREV (before the scan) ---- */

/* The filter of the reported rows' pairs (em_person.h), 16 bits a pair. */
static xj_error em_filterBuild(em_prev *p)
{
    p->filter.n_words = p->reported.n / 4 + 1;
    p->filter_words = em_zeroedTable(p->filter.n_words, sizeof *p->filter_words);
    if (p->filter_words == NULL) return XJ_ERR_NOMEM;
    p->filter.words = p->filter_words;
    for (size_t i = 0; i < p->reported.n; i++) {
        uint64_t const q = p->reported.v[i].quick;
        p->filter_words[em_filterWord(&p->filter, q)] |= em_filterMask(q);
    }
    return XJ_OK;
}

xj_error em_prevOpen(const char *dir, const char *sno_header, const char *school_header, const char *attr_scope,
                     em_prev **out, xj_status *st)
{
    *out = NULL;
    RETURN_ERROR_IF(sno_header == NULL || school_header == NULL, st, XJ_ERR_USAGE,
                    "--previous: the inputs have no student number or school code column to compare by");
    em_prev *const p = xj_calloc(1, sizeof *p);
    RETURN_ERROR_IF(p == NULL, st, XJ_ERR_NOMEM, "out of memory reading --previous");
    pthread_mutex_init(&p->passing, NULL);
    p->dir = xj_strndup(dir, strlen(dir));
    p->sno_header = xj_strndup(sno_header, strlen(sno_header));
    p->school_header = xj_strndup(school_header, strlen(school_header));
    xj_error err = p->dir && p->sno_header && p->school_header ? XJ_OK : XJ_ERR_NOMEM;
    if (!err) err = em_checkPrevious(dir, st);
    if (!err) err = em_prevSummary(dir, attr_scope, &p->run_date, st);
    if (err == XJ_ERR_NOMEM && st->code == XJ_OK) st_fail(st, err, "out of memory reading --previous");
    if (err) em_prevFree(p);
    else *out = p;
    return err;
}

xj_error em_prevRead(em_prev *p, xj_status *st)
{
    xj_error err = XJ_OK;
    /* our rows are a few hundred bytes: the file's size tells about how many */
    char path[4096];
    struct stat sb;
    snprintf(path, sizeof path, "%s/problems.csv", p->dir);
    if (stat(path, &sb) == 0 && sb.st_size > 0) err = em_keysReserve(&p->reported, (size_t)sb.st_size / 256);
    if (!err) err = em_readPrevious(p, "problems.csv", 0, em_prevKey, &p->reported, st);
    if (!err) err = em_filterBuild(p);
    /* pass 1 needs only the filter: it goes on while attested.csv is read
     * (the keys are filed for lookup after pass 1: em_prevIndex) */
    if (!err) atomic_store_explicit(&p->filter.ready, 1, memory_order_release);
    if (!err) err = em_readPrevious(p, "attested.csv", 1, em_prevKey, &p->attested, st);
    if (err == XJ_ERR_NOMEM && st->code == XJ_OK) st_fail(st, err, "out of memory reading --previous");
    if (err) atomic_store_explicit(&p->filter.ready, 2, memory_order_release);
    return err;
}

xj_error em_prevLoad(const char *dir, const char *sno_header, const char *school_header, const char *attr_scope,
                     em_prev **out, xj_status *st)
{
    FORWARD_IF_ERROR(em_prevOpen(dir, sno_header, school_header, attr_scope, out, st));
    xj_error const err = em_prevRead(*out, st);
    if (err) {
        em_prevFree(*out);
        *out = NULL;
    }
    return err;
}

/* Pairs that passed the filter, handed over to PREV (from any thread). A
 * failure is remembered: em_writeResolved, which needs them, reports it. */
static xj_error em_prevPass(em_prev *p, const uint64_t *v, size_t n)
{
    if (n == 0) return XJ_OK;
    pthread_mutex_lock(&p->passing);
    int const grown = xj_growArray(&p->passed, &p->cap_passed, p->n_passed + n, sizeof *p->passed, EM_PREV_FIRST) == 0;
    if (grown) {
        memcpy(p->passed + p->n_passed, v, n * sizeof *v);
        p->n_passed += n;
    } else p->passed_lost = 1;
    pthread_mutex_unlock(&p->passing);
    return grown ? XJ_OK : XJ_ERR_NOMEM;
}

xj_error em_prevPassed(const em_prev *p, const uint64_t **v, size_t *n)
{
    *v = p->passed;
    *n = p->n_passed;
    return p->passed_lost ? XJ_ERR_NOMEM : XJ_OK;
}

xj_error em_prevAddPassed(em_prev *p, const uint64_t *v, size_t n)
{
    return em_prevPass(p, v, n);
}

/* The pairs seen before PREV was read, (quick, person) each: those the
 * filter passes are handed over, and the buffer goes (it is not needed
 * again). */
static xj_error em_prevDrainPending(em_prev *p, em_personPending *b)
{
    size_t kept = 0;
    for (size_t i = 0; i < b->n_pend; i += 2)
        if (em_filterHas(&p->filter, b->pend[i])) b->pend[kept++] = b->pend[i + 1];
    xj_error const err = em_prevPass(p, b->pend, kept);
    em_personPendingFree(b);
    return err;
}

xj_error em_prevSawPerson(em_prev *p, em_personPending *b, const char *sno, size_t sn, const char *school, size_t cn)
{
    xj_trim(&sno, &sn);
    xj_trim(&school, &cn);
    uint64_t const quick = em_quickPerson(sno, sn, school, cn);
    int state = atomic_load_explicit(&p->filter.ready, memory_order_acquire);
    if (state == 0 && b->n_pend >= EM_PENDING_MAX) { /* kept enough: wait for PREV instead */
        struct timespec const pause = {0, 200000};
        while ((state = atomic_load_explicit(&p->filter.ready, memory_order_acquire)) == 0) nanosleep(&pause, NULL);
    }
    if (state == 2) return XJ_OK; /* PREV failed: the run stops after pass 1 */
    if (state == 0) {
        /* PREV is still being read (em_prevRead, on its own thread): the
         * pair's two hashes are kept, 16 bytes, and asked about once it is
         * there */
        if (b->n_pend + 2 > b->cap_pend &&
            xj_growArray(&b->pend, &b->cap_pend, b->n_pend + 2, sizeof *b->pend, EM_PREV_FIRST) != 0)
            return XJ_ERR_NOMEM;
        b->pend[b->n_pend++] = quick;
        b->pend[b->n_pend++] = em_personKey(sno, sn, school, cn);
        return XJ_OK;
    }
    if (b->n_pend) FORWARD_IF_ERROR(em_prevDrainPending(p, b));
    /* the filter is small enough to stay in the cache beside the parser's
     * data, so a record that had no problem last time (nearly all) costs
     * one word read; the few it passes are written down (exactly hashed),
     * a batch at a time */
    if (em_filterHas(&p->filter, quick)) {
        b->hit[b->n_hit++] = em_personKey(sno, sn, school, cn);
        if (b->n_hit == EM_PERSON_HITS) {
            b->n_hit = 0;
            return em_prevPass(p, b->hit, EM_PERSON_HITS);
        }
    }
    return XJ_OK;
}

void em_prevDrain(em_prev *p, em_personPending *b)
{
    if (atomic_load_explicit(&p->filter.ready, memory_order_acquire) != 1) return; /* all pending, or PREV failed */
    if (b->n_pend) (void)em_prevDrainPending(p, b); /* a failure is remembered in p */
    (void)em_prevPass(p, b->hit, b->n_hit);
    b->n_hit = 0;
}

void em_personPendingFree(em_personPending *b)
{
    xj_free(b->pend);
    b->pend = NULL;
    b->n_pend = b->cap_pend = 0;
}

void em_prevFree(em_prev *p)
{
    if (p == NULL) return;
    xj_free(p->dir);
    xj_free(p->sno_header);
    xj_free(p->school_header);
    xj_free(p->reported.v);
    xj_free(p->reported.slot);
    xj_free(p->attested.v);
    xj_free(p->attested.slot);
    xj_free((void *)p->seen);
    xj_free(p->filter_words);
    xj_free(p->passed);
    pthread_mutex_destroy(&p->passing);
    xj_free(p);
}

/* ---- this run against PREV ---- */

/* The identities filed for lookup (em_keysIndex) and the seen flags: after
 * pass 1, as only the rows ask for them, and the scan's memory peaks
 * before the rows are made. Once. */
static xj_error em_prevIndex(em_prev *p)
{
    if (p->seen) return XJ_OK;
    FORWARD_IF_ERROR(em_keysIndex(&p->reported));
    FORWARD_IF_ERROR(em_keysIndex(&p->attested));
    p->seen = xj_calloc(p->reported.n ? p->reported.n : 1, 1);
    return p->seen ? XJ_OK : XJ_ERR_NOMEM;
}

/* A row's identity (as em_prevIdentity reads it from a PREV row). */
static xj_error em_rowIdentity(const em_run *run, const pb_row *row, xj_buf *sno, XXH128_hash_t *out)
{
    int const col = row->source < run->n_inputs ? run->inputs[row->source].student_no_col : -1;
    FORWARD_IF_ERROR(em_tailField(row->tail, row->tail_len, col, sno));
    char group[17] = "";
    if (row->problem != PB_ID_INVALID) em_groupIdText(row->group_id, group);
    const char *const code = pb_problemCode((pb_problem)row->problem);
    /* the earlier file kept at most EM_PREV_FIELD_MAX bytes of a field */
    size_t const sn = sno->len < EM_PREV_FIELD_MAX ? sno->len : EM_PREV_FIELD_MAX;
    size_t const cn = row->school_len < EM_PREV_FIELD_MAX ? row->school_len : EM_PREV_FIELD_MAX;
    *out = em_identity(code, strlen(code), group, strlen(group), sno->data ? sno->data : "", sn, row->school, cn);
    return XJ_OK;
}

/* Asks for the reported key hash h likely is (its slot's first entry with
 * h's tag), to be looked up a little later. */
static void em_prefetchKey(const em_keys *k, XXH128_hash_t h)
{
    if (k->n == 0) return;
    size_t i = (size_t)h.low64 & (k->slot_cap - 1);
    uint32_t const tag = (uint32_t)(h.high64 >> 32);
    while (k->slot[i].index && k->slot[i].tag != tag) i = (i + 1) & (k->slot_cap - 1);
    if (k->slot[i].index) __builtin_prefetch(&k->v[k->slot[i].index - 1]);
}

/* One row against PREV (docs/monthly.md §2): reopened when its identity was
 * attested (or decide reopened it), else persisting when it was reported,
 * else new; first_seen the earliest PREV has. */
static void em_markRow(em_prev *p, pb_row *row, XXH128_hash_t h)
{
    const em_key *const rep = em_findKey(&p->reported, h), *const att = em_findKey(&p->attested, h);
    if (rep) atomic_store_explicit(&p->seen[rep - p->reported.v], 1, memory_order_relaxed);
    /* reopened: reported again after an attestation; a row attested again
     * stays as it was (docs/monthly.md §2) */
    if (att && !row->attested) row->status = PB_STATUS_REOPENED;
    else if ((rep || att) && row->status != PB_STATUS_REOPENED) row->status = PB_STATUS_PERSISTING;
    uint32_t first = rep ? rep->first_seen : 0;
    if (att && (first == 0 || att->first_seen < first)) first = att->first_seen;
    if (first) row->first_seen = first;
}

/* Rows are looked up a block at a time: each one's slot is asked for, then
 * its key, then it is marked, so that the cache misses of a block overlap. */
#define EM_MARK_BLOCK 16

xj_error em_compareWithPrevious(em_ctx *ctx, em_trend *t)
{
    em_run *const run = ctx->run;
    em_prev *const p = run->prev;
    memset(t, 0, sizeof *t);
    xj_error err = em_prevIndex(p);
    if (err) return st_fail(ctx->st, err, "out of memory comparing with --previous");
    /* rows are marked independently (a seen flag is only ever set to 1) */
    size_t const n = run->n_rows + run->n_attested;
    size_t const blocks = (n + EM_MARK_BLOCK - 1) / EM_MARK_BLOCK;
#pragma omp parallel num_threads(run->threads > 0 ? run->threads : 1)
    {
        xj_buf sno;
        buf_init(&sno, (size_t)1 << 20);
        xj_error local = XJ_OK;
        XXH128_hash_t h[EM_MARK_BLOCK];
#pragma omp for schedule(static, 256)
        for (size_t b = 0; b < blocks; b++) {
            size_t const first = b * EM_MARK_BLOCK, e = first + EM_MARK_BLOCK < n ? first + EM_MARK_BLOCK : n;
            for (size_t i = first; i < e && !local; i++) {
                pb_row *const row = i < run->n_rows ? &run->rows[i] : &run->attested[i - run->n_rows];
                local = em_rowIdentity(run, row, &sno, &h[i - first]);
                if (p->reported.n)
                    __builtin_prefetch(&p->reported.slot[h[i - first].low64 & (p->reported.slot_cap - 1)]);
            }
            if (local) continue;
            for (size_t i = first; i < e; i++) em_prefetchKey(&p->reported, h[i - first]);
            for (size_t i = first; i < e; i++)
                em_markRow(p, i < run->n_rows ? &run->rows[i] : &run->attested[i - run->n_rows], h[i - first]);
        }
        buf_free(&sno);
#pragma omp critical(em_markRows)
        if (local && !err) err = local;
    }
    /* what resolved.csv will list: the identities no row marked seen */
    for (size_t j = 0; j < p->reported.n; j++) {
        const em_key *const k = &p->reported.v[j];
        if (!p->seen[j] && k->problem < PB_PROBLEM_COUNT) t->resolved[k->province][k->problem]++;
    }
    if (err) return st_fail(ctx->st, err, "out of memory comparing with --previous");
    t->run_date = p->run_date;
    return XJ_OK;
}

/* ---- resolved.csv (docs/monthly.md §3) ---- */

/* The pairs of the resolved identities, each with whether an accepted
 * record of this run has it (open addressing, at most half full). */
typedef struct em_pairSet {
    uint64_t *pair;
    uint8_t *state;                /* 0 empty, 1 the pair, 2 the pair and seen in this run */
    size_t cap;                    /* a power of two */
} em_pairSet;

static size_t em_pairSlot(const em_pairSet *s, uint64_t h)
{
    size_t i = (size_t)(h ^ h >> 29) & (s->cap - 1);
    while (s->state[i] && s->pair[i] != h) i = (i + 1) & (s->cap - 1);
    return i;
}

/* The pairs of the `n` identities no row of this run has; then every pair
 * pass 1 handed over (em_prevPass) marks the one it is. */
static xj_error em_pairSetMake(em_pairSet *s, const em_prev *p, size_t n)
{
    s->cap = 16;
    while (s->cap < 2 * n) s->cap *= 2;
    s->pair = xj_mallocArray(s->cap, sizeof *s->pair);
    s->state = xj_calloc(s->cap, 1);
    if (s->pair == NULL || s->state == NULL) return XJ_ERR_NOMEM;
    if (p->passed_lost) return XJ_ERR_NOMEM;
    for (size_t j = 0; j < p->reported.n; j++) {
        if (p->seen[j]) continue;
        uint64_t const h = p->reported.v[j].person;
        size_t const i = em_pairSlot(s, h);
        s->pair[i] = h;
        s->state[i] = 1;
    }
    for (size_t k = 0; k < p->n_passed; k++) {
        size_t const i = em_pairSlot(s, p->passed[k]);
        if (s->state[i]) s->state[i] = 2;
    }
    return XJ_OK;
}

static void em_pairSetFree(em_pairSet *s)
{
    xj_free(s->pair);
    xj_free(s->state);
}

typedef struct em_resolvedSink {
    em_prev *prev;
    unsigned char *written;        /* per reported identity: its line is made */
    em_pairSet pairs;              /* of those identities, and which this run has */
    xj_buf lines;
    em_span *spans;
    size_t n, cap;
} em_resolvedSink;

/* A PREV row whose identity no row of this run has: its line, once. */
static xj_error em_prevResolved(em_prevReader *r, void *user)
{
    em_resolvedSink *const k = user;
    em_prev *const p = k->prev;
    const em_key *const key = em_findKey(&p->reported, em_prevIdentity(r));
    if (key == NULL) return XJ_ERR_INTERNAL; /* it was read the same way before the scan */
    size_t const j = (size_t)(key - p->reported.v);
    if (p->seen[j] || k->written[j]) return XJ_OK;
    k->written[j] = 1;
    int const present = k->pairs.state[em_pairSlot(&k->pairs, key->person)] == 2;
    if (xj_growArray(&k->spans, &k->cap, k->n + 1, sizeof *k->spans, 256) != 0) return XJ_ERR_NOMEM;
    size_t const at = k->lines.len;
    static const int kCols[] = {EM_COL_PROBLEM, EM_COL_GROUP, EM_COL_STUDENT, EM_COL_SCHOOL};
    for (size_t c = 0; c < sizeof kCols / sizeof kCols[0]; c++) {
        const char *v = r->field[kCols[c]];
        size_t n = r->len[kCols[c]];
        xj_trim(&v, &n);
        FORWARD_IF_ERROR(em_appendCsvField(&k->lines, v, n));
        FORWARD_IF_ERROR(buf_appendByte(&k->lines, ','));
    }
    /* the earliest date PREV has for it, attested.csv's too (docs/monthly.md §2) */
    const em_key *const att = em_findKey(&p->attested, key->hash);
    uint32_t const first = att && att->first_seen < key->first_seen ? att->first_seen : key->first_seen;
    char date[16];
    FORWARD_IF_ERROR(buf_appendStr(&k->lines, dt_text(first, date)));
    FORWARD_IF_ERROR(buf_appendStr(&k->lines, present ? ",fixed\n" : ",gone\n"));
    k->spans[k->n++] = (em_span){at, k->lines.len - at};
    return XJ_OK;
}

static int em_cmpKeyAt(const void *a, const void *b)
{
    uint64_t const x = (*(const em_key *const *)a)->at, y = (*(const em_key *const *)b)->at;
    return x < y ? -1 : x > y;
}

/* A window of PREV's problems.csv: the rows resolved.csv lists are read
 * back a window at a time (they are a few per cent of the file, some
 * kilobytes apart), not with a call each. A file smaller than a window
 * gets a window of its size: a small PREV (a pilot county, a test, each
 * input of the fuzz target) then costs no MiB buffer. */
#define EM_WINDOW ((size_t)1 << 20)
typedef struct em_window {
    int fd;
    char *buf;
    size_t cap, len;  /* bytes held, and read */
    uint64_t at;      /* where they start in the file */
    size_t span;      /* bytes a read asks for: EM_WINDOW, or the file's size + 1 when less */
} em_window;

/* The `bytes` at `at` (in the window once this returns 0); XJ_ERR_INTERNAL
 * when the file no longer has them. */
static xj_error em_windowGet(em_window *w, uint64_t at, size_t bytes, const char **out)
{
    if (at < w->at || at + bytes > w->at + w->len) {
        size_t const want = bytes > w->span ? bytes : w->span;
        if (want > w->cap) {
            char *const grown = xj_realloc(w->buf, want);
            if (grown == NULL) return XJ_ERR_NOMEM;
            w->buf = grown;
            w->cap = want;
        }
        w->at = at;
        w->len = 0;
        while (w->len < want) {
            ssize_t const got = pread(w->fd, w->buf + w->len, want - w->len, (off_t)(at + w->len));
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) break; /* the end of the file */
            w->len += (size_t)got;
        }
        if (w->len < bytes) return XJ_ERR_INTERNAL;
    }
    *out = w->buf + (at - w->at);
    return XJ_OK;
}

/* The rows of the identities no row of this run has, read back from
 * where the load found them (sorted by place, so the reads go forward):
 * a few rows, not the whole file again. */
static xj_error em_readResolved(em_prev *p, em_resolvedSink *k, xj_status *st)
{
    size_t n = 0;
    for (size_t j = 0; j < p->reported.n; j++) n += !p->seen[j];
    if (n == 0) return XJ_OK;
    const em_key **const todo = xj_mallocArray(n, sizeof *todo);
    em_prevReader reader; /* on the stack, as em_readPrevious's */
    em_prevReader *const r = &reader;
    char path[4096];
    snprintf(path, sizeof path, "%s/problems.csv", p->dir);
    em_window w = {.fd = open(path, O_RDONLY | O_CLOEXEC), .span = EM_WINDOW};
    struct stat sb;
    if (w.fd >= 0 && fstat(w.fd, &sb) == 0 && sb.st_size >= 0 && (uint64_t)sb.st_size < EM_WINDOW)
        w.span = (size_t)sb.st_size + 1; /* never 0: a window always has a buffer */
    xj_error err = todo ? em_pairSetMake(&k->pairs, p, n) : XJ_ERR_NOMEM;
    if (!err && w.fd < 0) err = XJ_ERR_INTERNAL;
    const char *bytes = NULL;
    if (!err) {
        n = 0;
        for (size_t j = 0; j < p->reported.n; j++)
            if (!p->seen[j]) todo[n++] = &p->reported.v[j];
        qsort(todo, n, sizeof *todo, em_cmpKeyAt);
        em_prevReaderInit(r, p, em_prevResolved, k, st);
        r->path = path;
        err = em_windowGet(&w, 0, (size_t)p->reported.header_bytes, &bytes);
        if (!err) err = em_prevFeed(r, bytes, (size_t)p->reported.header_bytes);
    }
    for (size_t i = 0; i < n && !err; i++) {
        uint64_t const before = r->records;
        err = em_windowGet(&w, todo[i]->at, todo[i]->bytes, &bytes);
        if (!err) err = em_prevFeed(r, bytes, todo[i]->bytes);
        if (!err && (r->index > 0 || !r->field_start)) err = em_prevEndRecord(r); /* the last row, without LF */
        if (!err && r->records != before + 1) err = XJ_ERR_INTERNAL;
    }
    if (w.fd >= 0) close(w.fd);
    xj_free(w.buf);
    xj_free(todo);
    return err;
}

xj_error em_writeResolved(em_ctx *ctx)
{
    em_prev *const p = ctx->run->prev;
    em_resolvedSink k = {p, NULL, {0}, {0}, NULL, 0, 0};
    buf_init(&k.lines, (size_t)1 << 30);
    xj_error err = XJ_OK;
    if (p) {
        err = em_prevIndex(p); /* done by em_compareWithPrevious, which comes first */
        k.written = err ? NULL : xj_calloc(p->reported.n ? p->reported.n : 1, 1);
        if (!err) err = k.written ? em_readResolved(p, &k, ctx->st) : XJ_ERR_NOMEM;
    }
    xj_buf out;
    buf_init(&out, (size_t)1 << 30);
    if (!err) err = buf_appendStr(&out, "problem,group_id,student_no,school_code,first_seen,resolution\n");
    if (!err) err = em_appendSortedLines(&out, k.lines.data, k.spans, k.n);
    if (err == XJ_ERR_INTERNAL)
        err = st_fail(ctx->st, err, "--previous: %s/problems.csv changed while this run read it", p->dir);
    else if (err && ctx->st->code == XJ_OK) err = st_fail(ctx->st, err, "cannot render resolved.csv: %s", xj_errorName(err));
    if (!err) err = em_writeWhole(ctx, "resolved.csv", &out);
    xj_free(k.written);
    em_pairSetFree(&k.pairs);
    xj_free(k.spans);
    buf_free(&k.lines);
    buf_free(&out);
    return err;
}
