/*
 * ixb_update — what `index update` carries over of the old index: its
 * records but those whose student number --remove lists, re-encoded as
 * blocks that are written before the new ones, and their key entries; and
 * the settings it keeps (run date, attribute scope) unless given.
 *
 * The result is the index a build from the old register files (less the
 * removed records) and the new ones would give, but for the ID reasons of
 * the old records, which stay as they were checked (the index keeps no
 * invalid number to check again). Cost: every old block decoded once; the
 * old key entries copied, not recomputed (but for a change of scope to
 * mixed, which needs the attribute keys of records with an ID).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ixb_internal.h"
#include "xj_date.h"
#include "scan_keys.h"
#include "xj_alloc.h"
#include "xj_text.h"

static int ixb_cmpRemoval(const void *a, const void *b)
{
    const ixb_removal *const x = a, *const y = b;
    int const c = strcmp(x->student_no, y->student_no);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int ixb_cmpRemovalLine(const void *a, const void *b)
{
    size_t const x = ((const ixb_removal *)a)->line, y = ((const ixb_removal *)b)->line;
    return (x > y) - (x < y);
}

static void ixb_removalsFree(ixb_removals *r)
{
    for (size_t i = 0; i < r->n; i++) xj_free(r->v[i].student_no);
    xj_free(r->v);
}

static xj_error ixb_readRemovals(const char *path, ixb_removals *out, xj_status *st)
{
    memset(out, 0, sizeof *out);
    if (path == NULL) return XJ_OK;
    FILE *const f = fopen(path, "rb");
    RETURN_ERROR_IF(f == NULL, st, XJ_ERR_INPUT, "%s: cannot open: %m", path);
    char line[512];
    size_t cap = 0, lineno = 0;
    xj_error err = XJ_OK;
    while (!err && fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            err = st_fail(st, XJ_ERR_INPUT, "%s:%zu: a line longer than %zu bytes is not a student number", path,
                          lineno, sizeof line - 2);
            break;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
        const char *v = line;
        xj_trim(&v, &n); /* as a record's student number is compared */
        if (n == 0) continue;
        if (xj_growArray(&out->v, &cap, out->n + 1, sizeof *out->v, 256) != 0) {
            err = XJ_ERR_NOMEM;
            break;
        }
        if ((out->v[out->n].student_no = xj_strndup(v, n)) == NULL) { err = XJ_ERR_NOMEM; break; }
        out->v[out->n].line = lineno;
        out->v[out->n].matched = 0;
        out->n++;
    }
    fclose(f);
    if (err == XJ_ERR_NOMEM) err = st_fail(st, err, "out of memory reading %s", path);
    if (!err && out->n) qsort(out->v, out->n, sizeof *out->v, ixb_cmpRemoval);
    return err;
}

/* 1 when the record's (trimmed) student number is listed; marks every line
 * that lists it as matched. */
static int ixb_removed(ixb_removals *r, const ix_record *rec)
{
    if (r->n == 0) return 0;
    const char *s = rec->student_no;
    size_t n = rec->student_no_len;
    xj_trim(&s, &n);
    char key[512];
    if (n >= sizeof key) return 0;
    memcpy(key, s, n);
    key[n] = '\0';
    size_t lo = 0, hi = r->n; /* the first entry not below key */
    while (lo < hi) {
        size_t const mid = lo + (hi - lo) / 2;
        if (strcmp(r->v[mid].student_no, key) < 0) lo = mid + 1;
        else hi = mid;
    }
    int found = 0;
    for (; lo < r->n && strcmp(r->v[lo].student_no, key) == 0; lo++) r->v[lo].matched = found = 1;
    return found;
}

/* After the old records were read: the numbers that matched none, each once
 * (its first line), in the file's order, one a line into *out (the list
 * beside the new index). */
static xj_error ixb_listUnmatched(ixb_removals *r, xj_buf *out)
{
    /* sorted by (number, line): the first of a run of one number is its
     * first line; the others are marked before any is freed */
    for (size_t i = r->n; i-- > 1;)
        if (strcmp(r->v[i].student_no, r->v[i - 1].student_no) == 0) r->v[i].matched = 1;
    size_t keep = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (!r->v[i].matched) r->v[keep++] = r->v[i];
        else xj_free(r->v[i].student_no);
    }
    r->n = keep;
    r->unmatched = keep;
    if (r->n > 1) qsort(r->v, r->n, sizeof *r->v, ixb_cmpRemovalLine);
    for (size_t i = 0; i < r->n; i++) {
        FORWARD_IF_ERROR(buf_appendStr(out, r->v[i].student_no));
        FORWARD_IF_ERROR(buf_appendByte(out, '\n'));
    }
    return XJ_OK;
}

/* The old index's records that survive, re-encoded as blocks under old ids,
 * and their key entries in `extra`. The run's attribute scope may differ
 * from the old index's (xj_scan_setAttrScope on an update): the attribute
 * entries of records with an ID are then dropped (to noid) or made from the
 * records (to mixed), so the result is what a build with that scope gives. */
static xj_error ixb_carryOld(sc_run *run, const ix_index *old, ixb_removals *rm, ixb_blocks *out,
                             gk_table *extra, uint64_t *removed)
{
    xj_status *const st = &run->scan->st;
    int const was_mixed = (old->flags & IX_FLAG_ATTR_MIXED) != 0;
    int const mixed = run->scan->attr_scope == XJ_ATTR_MIXED;
    uint64_t *const prov = xj_mallocArray(old->records ? old->records : 1, sizeof *prov);
    ix_blockBuilder blk;
    ix_builderInit(&blk);
    ix_cursor cur;
    xj_error err = ix_cursorInit(&cur);
    if (!prov || err) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    for (size_t b = 0; !err && b < old->n_blocks; b++) {
        err = ix_readBlock(old, &cur, b, st);
        if (err) break;
        for (size_t i = 0; !err && i < cur.n; i++) {
            const ix_record *const r = &cur.recs[i];
            if (ixb_removed(rm, r)) {
                prov[cur.first + i] = UINT64_MAX;
                (*removed)++;
                continue;
            }
            if (blk.n == 0) err = ix_blockBegin(&blk, r->source, r->line);
            uint64_t const p = (IXB_OLD_BASE + b) << IXB_POS_BITS | blk.n;
            prov[cur.first + i] = p;
            if (!err) err = ix_encodeRecord(&blk, r);
            if (!err && mixed && !was_mixed && r->has_id) {
                gk_key k;
                sc_worker *const w = &run->workers[0];
                err = sc_attrKeyOf(&w->ck, w->keytext, r->name, r->name_len, r->sex, r->birth, &k);
                if (err == XJ_ERR_INPUT) {
                    err = st_fail(st, XJ_ERR_INTERNAL, "internal error: the name of a record of the old index "
                                                       "(%s line %llu) cannot be normalized",
                                  r->source < old->n_sources ? old->sources[r->source].name : "?",
                                  (unsigned long long)r->line);
                    break;
                }
                if (!err) err = gk_add(&extra[GD_KEY_ATTR], k.hi, k.lo, p | GK_HAS_ID);
            }
        }
        if (!err && blk.n) err = ixb_keepBlock(&blk, IXB_OLD_BASE + b, out);
        blk.n = 0;
        if (err && err != XJ_ERR_INPUT && err != XJ_ERR_INTERNAL)
            err = st_fail(st, err, "out of memory copying the old index");
    }
    for (int k = 0; !err && k < IX_KINDS; k++) {
        for (size_t i = 0; i < old->keys[k].n && !err; i++) {
            uint32_t const rec = ix_entryRecord(old, k, i);
            uint64_t const p = prov[rec & ~IX_REC_HAS_ID];
            if (p == UINT64_MAX) continue;
            if (k == GD_KEY_ATTR && (rec & IX_REC_HAS_ID) && !mixed) continue; /* mixed to noid */
            uint64_t hi, lo;
            ix_entryKey(old, k, i, &hi, &lo);
            err = gk_add(&extra[k], hi, lo, p | ((rec & IX_REC_HAS_ID) ? GK_HAS_ID : 0));
            if (err) err = st_fail(st, err, "out of memory copying the old index");
        }
    }
    ix_cursorFree(&cur);
    ix_builderFree(&blk);
    xj_free(prov);
    return err;
}

/* An update keeps the old index's run date and attribute scope unless the
 * handle sets them. A scope set is applied to the old records as well
 * (ixb_carryOld); a run date set applies to the batch only, because the
 * records carried over keep the ID reasons they were checked with (the index
 * keeps no invalid ID to check again): a warning says so. */
static xj_error ixb_settleUpdate(xj_scan *s, const ix_index *old, const char *old_path)
{
    uint32_t const was = old->run_date;
    if (s->run_date == 0) s->run_date = was;
    if (!s->attr_scope_set) s->attr_scope = (old->flags & IX_FLAG_ATTR_MIXED) ? XJ_ATTR_MIXED : XJ_ATTR_NOID;
    if (s->run_date == was || old->records == 0) return XJ_OK;
    char a[16], b[16];
    xj_error const err =
        nt_add(&s->warnings,
               "--run-date %s differs from the run date of %s (%s): the batch's IDs are checked for %s and the "
               "new index is dated %s, but the %llu records carried over keep the ID reasons they were checked "
               "with for %s; to check every record for one date, rebuild the index from the register files",
               dt_text(s->run_date, a), old_path, dt_text(was, b), a, a,
               (unsigned long long)old->records, b);
    RETURN_ERROR_IF(err, &s->st, err, "out of memory");
    return XJ_OK;
}


xj_error ixb_oldOpen(ixb_old *o, xj_scan *s, const char *old_path, const char *remove_path)
{
    for (int k = 0; k < IX_KINDS; k++) gk_tableInit(&o->extra[k], k != GD_KEY_GB && k != IX_KIND_SLIP);
    buf_init(&o->unmatched, SIZE_MAX / 2);
    o->path = old_path;
    o->remove_path = remove_path;
    if (old_path) FORWARD_IF_ERROR(ix_open(old_path, &o->ix, &s->st));
    FORWARD_IF_ERROR(ixb_readRemovals(remove_path, &o->rm, &s->st));
    o->listed = o->rm.n;
    if (o->ix) FORWARD_IF_ERROR(ixb_settleUpdate(s, o->ix, old_path));
    return XJ_OK;
}

xj_error ixb_oldCarry(ixb_old *o, sc_run *run, const char *unmatched_path)
{
    xj_scan *const s = run->scan;
    if (o->ix) {
        RETURN_ERROR_IF(o->ix->n_sources + run->n_inputs > GK_MAX_SOURCES, &s->st, XJ_ERR_LIMIT,
                        "more than %u sources in one index", GK_MAX_SOURCES);
        FORWARD_IF_ERROR(ixb_carryOld(run, o->ix, &o->rm, &o->blocks, o->extra, &o->removed));
    }
    RETURN_ERROR_IF(ixb_listUnmatched(&o->rm, &o->unmatched) != XJ_OK, &s->st, XJ_ERR_NOMEM, "out of memory");
    if (o->rm.unmatched &&
        nt_add(&s->warnings, "%zu student number%s in %s (of %zu lines) matched no record of %s and removed "
                             "nothing; listed in %s", o->rm.unmatched, o->rm.unmatched == 1 ? "" : "s",
               o->remove_path, o->listed, o->path, unmatched_path) != XJ_OK)
        return st_fail(&s->st, XJ_ERR_NOMEM, "out of memory");
    return XJ_OK;
}

void ixb_oldFree(ixb_old *o)
{
    buf_free(&o->unmatched);
    ixb_blocksFree(&o->blocks);
    for (int k = 0; k < IX_KINDS; k++) gk_tableFree(&o->extra[k]);
    ixb_removalsFree(&o->rm);
    ix_close(o->ix);
    o->ix = NULL;
}
