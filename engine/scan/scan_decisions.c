/*
 * scan_decisions — the officers' decisions (docs/monthly.md §4): read,
 * settled into the decisions in effect, and asked by the decide stage
 * whether a group's member is approved.
 *
 * Files are read in order — PREV's decisions.csv first (with --previous),
 * then every --decisions file as given — and every line is kept, in that
 * order, for decisions_unmatched.csv. Per member (group_id, student number,
 * school code; values trimmed) the last line is in effect; an open-addressed
 * table on those three (filed by the group) finds it. grp_decide asks for
 * each member of each group (from several threads): the answer marks the
 * line matched.
 *
 * A decisions file is untrusted input, read record by record with its line
 * numbers (parse/ps_csvfile); a record with the wrong number of fields, a
 * missing column or a decision other than approved / revoked is a fatal
 * error naming file and line, as is any CSV error ps_csvfile finds.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include "ps_csvfile.h"
#include "scan_internal.h"
#include "xj_alloc.h"
#include "xj_text.h"

enum { SD_GROUP, SD_STUDENT, SD_SCHOOL, SD_DECISION, SD_COLUMNS };
#define SD_MAX_LINE ((size_t)64 << 10) /* docs/monthly.md §4: a decision line is short */
static const char *const kColumn[SD_COLUMNS] = {"group_id", "student_no", "school_code", "decision"};

/* One file being read. */
typedef struct sd_file {
    sc_decisions *d;
    const char *path, *name;   /* as given; its base name */
    int col[SD_COLUMNS];       /* header position of each column, -1 until found */
    size_t n_header;           /* values in the header; 0 until it is read */
} sd_file;

static xj_error sd_header(sd_file *f, const ps_csvRecord *rec, xj_status *st)
{
    for (size_t i = 0; i < rec->n; i++) {
        const char *v = rec->val[i];
        size_t n = rec->len[i];
        xj_trim(&v, &n);
        for (int k = 0; k < SD_COLUMNS; k++)
            if (f->col[k] < 0 && n == strlen(kColumn[k]) && memcmp(v, kColumn[k], n) == 0) f->col[k] = (int)i;
    }
    for (int k = 0; k < SD_COLUMNS; k++)
        RETURN_ERROR_IF(f->col[k] < 0, st, XJ_ERR_INPUT, "--decisions %s: line %llu: the header has no column '%s' "
                        "(it needs group_id,student_no,school_code,decision)", f->path,
                        (unsigned long long)rec->line, kColumn[k]);
    f->n_header = rec->n;
    return XJ_OK;
}

/* Whether a group_id is one as we write them (em_groupIdText: 16 digits
 * 0-9a-f), and its value; a line with another one matches no group. */
static int sd_groupValue(const char *s, size_t n, uint64_t *out)
{
    if (n != 16) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < 16; i++) {
        char const c = s[i];
        if (c >= '0' && c <= '9') v = v << 4 | (uint64_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v = v << 4 | (uint64_t)(c - 'a' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

static xj_error sd_record(void *user, const ps_csvRecord *rec, xj_status *st)
{
    sd_file *const f = user;
    if (f->n_header == 0) return sd_header(f, rec, st);
    RETURN_ERROR_IF(rec->n != f->n_header, st, XJ_ERR_INPUT, "--decisions %s: line %llu: %zu fields, the header "
                    "has %zu", f->path, (unsigned long long)rec->line, rec->n, f->n_header);
    const char *val[SD_COLUMNS];
    size_t len[SD_COLUMNS];
    for (int k = 0; k < SD_COLUMNS; k++) {
        val[k] = rec->val[f->col[k]];
        len[k] = rec->len[f->col[k]];
        xj_trim(&val[k], &len[k]);
    }
    const char *const word = val[SD_DECISION];
    size_t const wn = len[SD_DECISION];
    int const approved = wn == 8 && memcmp(word, "approved", 8) == 0;
    RETURN_ERROR_IF(!approved && !(wn == 7 && memcmp(word, "revoked", 7) == 0), st, XJ_ERR_INPUT,
                    "--decisions %s: line %llu: the decision is '%.*s'; write approved or revoked", f->path,
                    (unsigned long long)rec->line, (int)(wn > 40 ? 40 : wn), word);
    sc_decisions *const d = f->d;
    if (xj_growArray(&d->v, &d->cap, d->n + 1, sizeof *d->v, 256) != 0) return XJ_ERR_NOMEM;
    em_decision *const e = &d->v[d->n++];
    memset(e, 0, sizeof *e);
    e->group_id = ar_strndup(&d->strings, val[SD_GROUP], len[SD_GROUP]);
    e->student_no = ar_strndup(&d->strings, val[SD_STUDENT], len[SD_STUDENT]);
    e->school_code = ar_strndup(&d->strings, val[SD_SCHOOL], len[SD_SCHOOL]);
    if (!e->group_id || !e->student_no || !e->school_code) return XJ_ERR_NOMEM;
    e->group_id_len = (uint32_t)len[SD_GROUP];
    e->student_no_len = (uint32_t)len[SD_STUDENT];
    e->school_code_len = (uint32_t)len[SD_SCHOOL];
    e->file = f->name;
    e->line = rec->line;
    e->approved = (uint8_t)approved;
    e->in_effect = 1;
    return XJ_OK;
}

static const char *sd_baseName(const char *path)
{
    const char *const slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Reads one decisions file onto d. `missing_ok`: a file that is not there
 * adds nothing (PREV's, written before decisions existed). */
static xj_error sd_readFile(sc_decisions *d, const char *path, const char *name, int missing_ok, xj_status *st)
{
    sd_file f = {.d = d, .path = path, .name = name};
    for (int k = 0; k < SD_COLUMNS; k++) f.col[k] = -1;
    int found = 0;
    FORWARD_IF_ERROR(ps_readCsvFile(path, "--decisions", SD_MAX_LINE, missing_ok, sd_record, &f, &found, st));
    RETURN_ERROR_IF(found && f.n_header == 0, st, XJ_ERR_INPUT, "--decisions %s: the file is empty; it needs the "
                    "header group_id,student_no,school_code,decision", path);
    return XJ_OK;
}

/* ---- the decisions in effect ---- */

/* A line is filed by its group's value and its member's em_personKey:
 * the decide stage asks for every member of every group, and that is a
 * few multiplications, no text made and nothing streamed. A line whose
 * group_id is not one of ours (it matches no group) is filed by its
 * text's hash instead of the value. */
static uint64_t sd_keyHash(uint64_t group, const char *s, size_t sn, const char *c, size_t cn)
{
    return em_fold(group ^ 0x9E3779B97F4A7C15ull, em_personKey(s, sn, c, cn) ^ 0xD6E8FEB86659FD93ull);
}

static uint64_t sd_lineHash(const em_decision *e)
{
    uint64_t group;
    if (!sd_groupValue(e->group_id, e->group_id_len, &group)) group = XXH3_64bits(e->group_id, e->group_id_len);
    return sd_keyHash(group, e->student_no, e->student_no_len, e->school_code, e->school_code_len);
}

static int sd_sameMember(const em_decision *a, const char *s, size_t sn, const char *c, size_t cn)
{
    return a->student_no_len == sn && a->school_code_len == cn && memcmp(a->student_no, s, sn) == 0 &&
           memcmp(a->school_code, c, cn) == 0;
}

static int sd_sameKey(const em_decision *a, const em_decision *b)
{
    return a->group_id_len == b->group_id_len && memcmp(a->group_id, b->group_id, a->group_id_len) == 0 &&
           sd_sameMember(a, b->student_no, b->student_no_len, b->school_code, b->school_code_len);
}

/* Most groups have no line: a filter of the groups the lines name (a bit
 * each, at least 8 bits a line) answers them first, small enough to stay
 * in the cache, where the table and the lines would cost a cache miss or
 * two a member. It follows the table's slots in the same block (table +
 * table_cap), as table_cap / 8 words of 32 bits (a power of two). */
static uint64_t sd_groupBit(uint64_t group, size_t words)
{
    uint64_t const h = em_fold(group ^ 0xC2B2AE3D27D4EB4Full, 0x165667B19E3779F9ull);
    return (h >> 5 & (words - 1)) << 5 | (h & 31);
}

static int sd_mayHaveGroup(const sc_decisions *d, uint64_t group)
{
    uint64_t const bit = sd_groupBit(group, d->table_cap / 8);
    return d->table[d->table_cap + (bit >> 5)] >> (bit & 31) & 1;
}

/* Later lines win: each key's last line stays in effect and in the table. */
static xj_error sd_settle(sc_decisions *d)
{
    d->table_cap = 16;
    while (d->table_cap < 2 * d->n + 2) d->table_cap *= 2;
    d->table = xj_callocTable(d->table_cap + d->table_cap / 8, sizeof *d->table);
    if (d->table == NULL) return XJ_ERR_NOMEM;
    for (size_t i = 0; i < d->n; i++) {
        em_decision *const e = &d->v[i];
        size_t k = (size_t)sd_lineHash(e) & (d->table_cap - 1);
        while (d->table[k] && !sd_sameKey(&d->v[d->table[k] - 1], e)) k = (k + 1) & (d->table_cap - 1);
        if (d->table[k]) d->v[d->table[k] - 1].in_effect = 0;
        d->table[k] = (uint32_t)(i + 1);
        uint64_t group;
        if (sd_groupValue(e->group_id, e->group_id_len, &group)) {
            uint64_t const bit = sd_groupBit(group, d->table_cap / 8);
            d->table[d->table_cap + (bit >> 5)] |= (uint32_t)1 << (bit & 31);
        }
    }
    return XJ_OK;
}

/* gd_verdicts.approved: the member's line in effect, marked matched. */
static int sd_approved(void *user, uint64_t group_id, const gr_record *m)
{
    sc_decisions *const d = user;
    if (!sd_mayHaveGroup(d, group_id)) return 0;
    const char *s = m->student_no, *c = m->school;
    size_t sn = m->student_no_len, cn = m->school_len;
    xj_trim(&s, &sn);
    xj_trim(&c, &cn);
    for (size_t k = (size_t)sd_keyHash(group_id, s, sn, c, cn) & (d->table_cap - 1); d->table[k];
         k = (k + 1) & (d->table_cap - 1)) {
        em_decision *const e = &d->v[d->table[k] - 1];
        uint64_t group;
        if (!sd_groupValue(e->group_id, e->group_id_len, &group) || group != group_id ||
            !sd_sameMember(e, s, sn, c, cn))
            continue;
        /* several threads may mark one line: each stores the same 1 */
        atomic_store_explicit((_Atomic uint8_t *)&e->matched, 1, memory_order_relaxed);
        return e->approved;
    }
    return 0;
}

xj_error sc_decisionsLoad(sc_decisions *d, const char *previous, char *const *files, size_t n_files, xj_status *st)
{
    memset(d, 0, sizeof *d);
    ar_init(&d->strings);
    if (previous == NULL && n_files == 0) return XJ_OK;
    d->given = 1;
    xj_error err = XJ_OK;
    if (previous) {
        char path[4096];
        snprintf(path, sizeof path, "%s/decisions.csv", previous);
        err = sd_readFile(d, path, "decisions.csv", 1, st);
    }
    for (size_t i = 0; i < n_files && !err; i++) err = sd_readFile(d, files[i], sd_baseName(files[i]), 0, st);
    if (!err) err = sd_settle(d);
    RETURN_ERROR_IF(err == XJ_ERR_NOMEM && st->code == XJ_OK, st, err, "out of memory reading the decisions");
    return err;
}

gd_verdicts sc_decisionsVerdicts(sc_decisions *d)
{
    return (gd_verdicts){sd_approved, d};
}

void sc_decisionsFree(sc_decisions *d)
{
    xj_free(d->v);
    xj_free(d->table);
    ar_free(&d->strings);
    memset(d, 0, sizeof *d);
}
