/*
 * index_api — the public xj_index handle: a register index loaded once and
 * asked about single records (xjdedup.h). The record goes through the same
 * normalization and ID check as a scanned one (ck_record), and its keys come
 * from the function the scan's pass 1 files its keys with (sc_keysOf), so
 * an answer here agrees with `xjdedup check` by construction. Cost: one
 * lookup per key and one block decoded per block a match lies in.
 */
#include <string.h>

#include "ck_record.h"
#include "grp_decide.h"
#include "grp_keys.h"
#include "ix_index.h"
#include "ps_text.h"
#include "scan_keys.h"
#include "xj_alloc.h"
#include "xj_arena.h"
#include "xj_text.h"

struct xj_index {
    ix_index *ix;
    char *path;
    ix_cursor cur;
    int have_cursor;
    ck_scratch ck;
    int have_scratch;
    char *keytext;
    xj_arena strings;   /* match strings of the last call */
    xj_status st;
};

xj_index *xj_index_create(void)
{
    xj_index *const h = xj_calloc(1, sizeof *h);
    if (h == NULL) return NULL;
    st_init(&h->st);
    ar_init(&h->strings);
    return h;
}

static void xi_unload(xj_index *h)
{
    ix_close(h->ix);
    h->ix = NULL;
    xj_free(h->path);
    h->path = NULL;
    if (h->have_cursor) ix_cursorFree(&h->cur);
    if (h->have_scratch) ck_scratchFree(&h->ck);
    h->have_cursor = h->have_scratch = 0;
    xj_free(h->keytext);
    h->keytext = NULL;
}

void xj_index_free(xj_index *h)
{
    if (h == NULL) return;
    xi_unload(h);
    ar_free(&h->strings);
    xj_free(h);
}

const char *xj_index_message(const xj_index *h)
{
    return h->st.message;
}

xj_error xj_index_load(xj_index *h, const char *path)
{
    st_init(&h->st);
    xi_unload(h);
    RETURN_ERROR_IF(path == NULL || *path == '\0', &h->st, XJ_ERR_USAGE, "no index path given");
    FORWARD_IF_ERROR(ix_open(path, &h->ix, &h->st));
    h->path = xj_strndup(path, strlen(path));
    h->keytext = xj_malloc(SC_KEYTEXT_BYTES);
    xj_error err = h->path && h->keytext ? ix_cursorInit(&h->cur) : XJ_ERR_NOMEM;
    h->have_cursor = err == XJ_OK;
    if (!err) err = ck_scratchInit(&h->ck);
    h->have_scratch = err == XJ_OK;
    if (err) {
        xi_unload(h);
        return st_fail(&h->st, XJ_ERR_NOMEM, "out of memory");
    }
    return XJ_OK;
}

xj_error xj_index_verify(xj_index *h)
{
    st_init(&h->st);
    RETURN_ERROR_IF(h->ix == NULL, &h->st, XJ_ERR_USAGE, "no index loaded");
    return ix_verify(h->ix, h->path, &h->st);
}

void xj_index_info(const xj_index *h, xj_indexInfo *out)
{
    memset(out, 0, sizeof *out);
    const ix_index *const ix = h->ix;
    if (ix == NULL) return;
    out->format_version = IX_VERSION;
    out->records = ix->records;
    out->run_date = ix->run_date;
    out->attr_mixed = (ix->flags & IX_FLAG_ATTR_MIXED) != 0;
    out->build_time = (int64_t)ix->build_time;
    out->id_keys = ix->keys[0].n;
    out->other_id_keys = ix->keys[1].n;
    out->attr_keys = ix->keys[2].n;
    out->file_bytes = ix->size;
    for (int k = IX_SEC_KEYS_GB; k <= IX_SEC_FENCE_ATTR; k++) out->key_bytes += ix->section_bytes[k];
    out->payload_bytes = ix->section_bytes[IX_SEC_BLOCKS] + ix->section_bytes[IX_SEC_PAYLOAD];
    out->sources = ix->n_sources;
    out->version = ix->version;
}

const char *xj_index_source(const xj_index *h, size_t i, uint64_t *bytes, const char **xxh3_128)
{
    if (h->ix == NULL || i >= h->ix->n_sources) return NULL;
    if (bytes) *bytes = h->ix->sources[i].bytes;
    if (xxh3_128) *xxh3_128 = h->ix->sources[i].xxh3_128;
    return h->ix->sources[i].name;
}

/* The checked record's student number and school code, trimmed: a
 * register record with both is that record, not a duplicate. */
typedef struct xi_self {
    const char *sno, *school;
    size_t sno_len, school_len;
} xi_self;

static int xi_isSelf(const xi_self *self, const ix_record *r)
{
    const char *sno = r->student_no, *school = r->school;
    size_t sno_len = r->student_no_len, school_len = r->school_len;
    xj_trim(&sno, &sno_len);
    xj_trim(&school, &school_len);
    return sno_len == self->sno_len && school_len == self->school_len && memcmp(sno, self->sno, sno_len) == 0 &&
           memcmp(school, self->school, school_len) == 0;
}

/* The register records under one ID key, to leave out of another key's
 * answer: a register record is in the answer once, even when it shares
 * both the record's own ID and its old ID (docs/monthly.md §6). */
typedef struct xi_seen {
    int kind;
    size_t first, count;
} xi_seen;

static int xi_wasSeen(const xj_index *h, const xi_seen *seen, uint32_t rec)
{
    if (seen == NULL) return 0;
    for (size_t i = 0; i < seen->count; i++)
        if (((ix_entryRecord(h->ix, seen->kind, seen->first + i) ^ rec) & ~IX_REC_HAS_ID) == 0) return 1;
    return 0;
}

/* Adds the register records under one key to the answer (those in `seen`
 * aside); *looked says where they were. */
static xj_error xi_collect(xj_index *h, int kind, uint64_t hi, uint64_t lo, int skip_with_id, const xi_self *self,
                           const xi_seen *seen, xi_seen *looked, xj_match *m, size_t cap, size_t *n)
{
    size_t first;
    size_t const count = ix_lookup(h->ix, kind, hi, lo, &first);
    if (looked) *looked = (xi_seen){kind, first, count};
    for (size_t i = 0; i < count; i++) {
        uint32_t const rec = ix_entryRecord(h->ix, kind, first + i);
        if (skip_with_id && (rec & IX_REC_HAS_ID)) continue;
        if (xi_wasSeen(h, seen, rec)) continue;
        if (*n < cap) {
            const ix_record *r;
            FORWARD_IF_ERROR(ix_readRecord(h->ix, &h->cur, rec & ~IX_REC_HAS_ID, &r, &h->st));
            xj_match *const out = &m[*n];
            out->kind = xi_isSelf(self, r) ? XJ_MATCH_REGISTERED : kind == GD_KEY_ATTR ? XJ_MATCH_ATTR : XJ_MATCH_ID;
            out->student_no = ar_strndup(&h->strings, r->student_no, r->student_no_len);
            out->school_code = ar_strndup(&h->strings, r->school, r->school_len);
            out->region_code = ar_strndup(&h->strings, r->county, r->county_len);
            RETURN_ERROR_IF(!out->student_no || !out->school_code || !out->region_code, &h->st, XJ_ERR_NOMEM,
                            "out of memory");
            out->registered = r->registered;
            out->id_reason = (xj_idReason)(r->reason < XJ_ID_REASON_COUNT ? r->reason : XJ_ID_FORMAT);
            out->source = h->ix->sources[r->source].name;
            out->line = r->line;
            out->name = ar_strndup(&h->strings, r->name, r->name_len);
            out->id_number = NULL;
            RETURN_ERROR_IF(out->name == NULL, &h->st, XJ_ERR_NOMEM, "out of memory");
        }
        (*n)++;
    }
    return XJ_OK;
}

/* The checked record's side of a suspected duplicate (docs/suspects.md). */
typedef struct xi_suspect {
    const char *name;    /* normalized */
    size_t name_len;
    int sex;
    uint32_t birth;
    int want_valid;      /* look for Bs (the record is an A), else for As */
} xi_suspect;

/* A register B passes checks 1–5 (its reason is none or a later one). */
static int xi_passes1to5(uint8_t reason)
{
    return reason == XJ_ID_OK || reason == XJ_ID_BIRTHDATE_MISMATCH || reason == XJ_ID_SEX_MISMATCH ||
           reason == XJ_ID_CHANGED;
}

/* Adds the register records filed under GB number `key` as their own ID
 * that make a suspected duplicate with the checked record. */
static xj_error xi_collectSuspects(xj_index *h, uint64_t key, const xi_suspect *sus, const xi_self *self,
                                   xj_match *m, size_t cap, size_t *n)
{
    size_t first;
    size_t const count = ix_lookup(h->ix, GD_KEY_GB, 0, key, &first);
    for (size_t i = 0; i < count; i++) {
        uint32_t const rec = ix_entryRecord(h->ix, GD_KEY_GB, first + i);
        if (rec & IX_REC_HAS_ID) continue; /* filed under its old ID: not the number it holds */
        const ix_record *r;
        FORWARD_IF_ERROR(ix_readRecord(h->ix, &h->cur, rec, &r, &h->st));
        if ((r->id_type != '1' && r->id_type != '9') || xi_isSelf(self, r) || r->sex != sus->sex ||
            r->birth != sus->birth || (sus->want_valid && !xi_passes1to5(r->reason)) ||
            r->reason == XJ_ID_LEGACY15)
            continue;
        RETURN_ERROR_IF(nm_normalizeName(r->name, r->name_len, &h->ck.name) != XJ_OK, &h->st, XJ_ERR_INPUT,
                        "a register record's name cannot be normalized");
        if (h->ck.name.len != sus->name_len || memcmp(h->ck.name.data, sus->name, sus->name_len) != 0) continue;
        if (*n < cap) {
            xj_match *const out = &m[*n];
            char id[19];
            id_unpack18(key, id);
            id[18] = '\0';
            *out = (xj_match){.kind = XJ_MATCH_SUSPECT,
                              .student_no = ar_strndup(&h->strings, r->student_no, r->student_no_len),
                              .school_code = ar_strndup(&h->strings, r->school, r->school_len),
                              .region_code = ar_strndup(&h->strings, r->county, r->county_len),
                              .registered = r->registered,
                              .id_reason = (xj_idReason)(r->reason < XJ_ID_REASON_COUNT ? r->reason : XJ_ID_FORMAT),
                              .source = h->ix->sources[r->source].name,
                              .line = r->line,
                              .name = ar_strndup(&h->strings, r->name, r->name_len),
                              .id_number = ar_strndup(&h->strings, id, 18)};
            RETURN_ERROR_IF(!out->student_no || !out->school_code || !out->region_code || !out->name ||
                                !out->id_number,
                            &h->st, XJ_ERR_NOMEM, "out of memory");
        }
        (*n)++;
    }
    return XJ_OK;
}

/* docs/suspects.md for one record: a mistyped ID looks for the valid numbers
 * one slip away, a valid one for the mistyped copies of itself. */
static xj_error xi_suspects(xj_index *h, const ps_view *v, const ck_facts *f, const xi_self *self, xj_match *m,
                            size_t cap, size_t *n)
{
    if (f->id_res.space != ID_KEY_GB || f->id_len != 18 || (f->id_type != '1' && f->id_type != '9')) return XJ_OK;
    int const is_a = f->id_res.bad_check;
    if (!is_a && !xi_passes1to5((uint8_t)f->id_res.reason)) return XJ_OK;
    RETURN_ERROR_IF(nm_normalizeName(v->val[PS_NAME], v->len[PS_NAME], &h->ck.name) != XJ_OK, &h->st, XJ_ERR_INPUT,
                    "name: cannot be normalized");
    /* kept apart: the scratch holds each register record's name in turn */
    const char *const name = ar_strndup(&h->strings, h->ck.name.data ? h->ck.name.data : "", h->ck.name.len);
    RETURN_ERROR_IF(name == NULL, &h->st, XJ_ERR_NOMEM, "out of memory");
    xi_suspect const sus = {name, h->ck.name.len, f->sex, f->birth, is_a};
    uint64_t keys[ID_MISTYPES_MAX];
    size_t const nk = is_a ? id_slipNeighbours(f->id, keys) : id_slipMistypes(f->id, keys);
    for (size_t i = 0; i < nk; i++) FORWARD_IF_ERROR(xi_collectSuspects(h, keys[i], &sus, self, m, cap, n));
    return XJ_OK;
}

xj_error xj_index_checkRecord(xj_index *h, const xj_recordIn *rec, uint32_t run_date, xj_idReason *reason,
                              xj_match *matches, size_t cap, size_t *n_matches)
{
    st_init(&h->st);
    *n_matches = 0;
    *reason = XJ_ID_OK;
    RETURN_ERROR_IF(h->ix == NULL, &h->st, XJ_ERR_USAGE, "no index loaded");
    RETURN_ERROR_IF(rec == NULL || (cap && matches == NULL), &h->st, XJ_ERR_USAGE, "no record given");
    ar_free(&h->strings);
    ar_init(&h->strings);
    const char *const given[PS_FIELD_COUNT] = {
        rec->student_no, rec->name, rec->sex, rec->birth_date, rec->id_type, rec->id_number,
        rec->school_code, NULL, rec->region_code, rec->registered_at,
    };
    ps_view v = {0};
    for (int f = 0; f < PS_FIELD_COUNT; f++) {
        const char *const s = given[f] ? given[f] : "";
        size_t const n = strlen(s);
        RETURN_ERROR_IF(n > XJ_MAX_FIELD, &h->st, XJ_ERR_INPUT, "%s: longer than %u bytes", ps_fieldName(f),
                        XJ_MAX_FIELD);
        RETURN_ERROR_IF(!ps_isCleanUtf8(s, n), &h->st, XJ_ERR_INPUT, "%s: not valid UTF-8", ps_fieldName(f));
        v.val[f] = s;
        v.len[f] = (uint32_t)n;
    }
    ps_field missing;
    RETURN_ERROR_IF(ps_missingField(&v, &missing) != XJ_REJECT_NONE, &h->st, XJ_ERR_INPUT, "%s: empty, but required",
                    ps_fieldName(missing));
    id_context const ctx = {run_date ? run_date : xj_today(), NULL};
    ck_facts f;
    xj_reject const bad = ck_analyze(&ctx, &v, &h->ck, &f);
    RETURN_ERROR_IF(bad != XJ_REJECT_NONE, &h->st, XJ_ERR_INPUT, "%s",
                    bad == XJ_REJECT_BAD_SEX ? "sex: not 男/女, 1/2 or M/F" : "birth_date: not a date");
    *reason = f.id_res.reason;
    xi_self self = {v.val[PS_STUDENT_NO], v.val[PS_SCHOOL_CODE], v.len[PS_STUDENT_NO], v.len[PS_SCHOOL_CODE]};
    xj_trim(&self.sno, &self.sno_len);
    xj_trim(&self.school, &self.school_len);
    /* the keys of the default attribute scope: attribute duplicates are
     * about records without an ID (only their attribute key is looked up,
     * and only register records without an ID match it) */
    sc_keys k;
    xj_error const err = sc_keysOf(&v, &f, 0, &h->ck, h->keytext, &k);
    RETURN_ERROR_IF(err, &h->st, err, "name: cannot be normalized");
    size_t n = 0;
    xi_seen own = {0};
    if (k.id_kind >= 0)
        FORWARD_IF_ERROR(xi_collect(h, k.id_kind, k.id.hi, k.id.lo, 0, &self, NULL, &own, matches, cap, &n));
    if (k.old_kind >= 0)
        FORWARD_IF_ERROR(xi_collect(h, k.old_kind, k.old.hi, k.old.lo, 0, &self, &own, NULL, matches, cap, &n));
    if (k.has_attr)
        FORWARD_IF_ERROR(xi_collect(h, GD_KEY_ATTR, k.attr.hi, k.attr.lo, 1, &self, NULL, NULL, matches, cap, &n));
    FORWARD_IF_ERROR(xi_suspects(h, &v, &f, &self, matches, cap, &n));
    *n_matches = n;
    return XJ_OK;
}
