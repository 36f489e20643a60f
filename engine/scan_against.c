/*
 * scan_against — a batch checked against a register index
 * (xj_scan_setAgainst): the scan of the batch, where every batch key also
 * looks up the register's records with that key.
 *
 * The goal is an exact one: check(batch, index(register)) reports, for every
 * batch record, the rows scan(register + batch) reports for it. So register
 * members join the groups as ordinary members — same gr_record, same
 * decisions — under refs whose sources come after the batch's
 * (n_inputs + the index's source number); the tie-break of grp_decide ranks
 * them before the batch, as their files come first in that scan. Their
 * rows are then dropped: they are listed in other_schools and in the
 * register_matches column of the batch rows instead.
 *
 * Cost: one lookup per distinct batch key and one block decoded per hit
 * block; nothing is read of the register that no batch key points to.
 */
#include <stdlib.h>
#include <string.h>

#include "ix_index.h"
#include "normalize.h"
#include "scan_internal.h"
#include "xj_alloc.h"

static int sc_cmpU32(const void *a, const void *b)
{
    uint32_t const x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct sc_hits {
    uint32_t *recs;   /* register records (with IX_REC_HAS_ID) per batch key */
    size_t n, cap;
} sc_hits;

static xj_error sc_pushHit(sc_hits *h, uint32_t rec)
{
    if (xj_growArray(&h->recs, &h->cap, h->n + 1, sizeof *h->recs, 1024) != 0) return XJ_ERR_NOMEM;
    h->recs[h->n++] = rec;
    return XJ_OK;
}

/* Register records as gr_records (strings in `arena`), for refs; the index
 * keeps names as read, so the name is normalized here (`name` is scratch). */
static xj_error sc_registerRecord(sc_run *run, const ix_record *r, xj_arena *arena, xj_buf *name, gr_record *out)
{
    memset(out, 0, sizeof *out);
    FORWARD_IF_ERROR(nm_normalizeName(r->name, r->name_len, name));
    out->ref = gk_ref((uint32_t)run->n_inputs + r->source, r->line);
    out->school = ar_strndup(arena, r->school, r->school_len);
    out->county = ar_strndup(arena, r->county, r->county_len);
    out->student_no = ar_strndup(arena, r->student_no, r->student_no_len);
    out->name = ar_strndup(arena, name->data ? name->data : "", name->len);
    if (!out->school || !out->county || !out->student_no || !out->name) return XJ_ERR_NOMEM;
    out->id = "";
    out->tail = "";
    out->school_len = r->school_len;
    out->county_len = r->county_len;
    out->student_no_len = r->student_no_len;
    out->name_len = (uint32_t)name->len;
    out->registered = r->registered;
    out->birth = r->birth;
    out->sex = r->sex;
    out->id_type = r->id_type;
    out->reg_reason = r->reason;
    return XJ_OK;
}

xj_error sc_groupAgainst(sc_run *run)
{
    xj_status *const st = &run->scan->st;
    const ix_index *const ix = run->against;
    int const nw = run->n_workers;
    int const mixed = run->scan->attr_scope == XJ_ATTR_MIXED;
    gk_table **const tabs = xj_calloc((size_t)nw, sizeof *tabs);
    RETURN_ERROR_IF(tabs == NULL, st, XJ_ERR_NOMEM, "out of memory");
    gk_groups keys[3] = {0};
    sc_hits hits[3] = {0};
    size_t *hit_first[3] = {0}; /* per batch key: its hits start here (n + 1 entries) */
    xj_error err = XJ_OK;
    for (int kind = 0; kind < 3 && !err; kind++) {
        for (int t = 0; t < nw; t++)
            tabs[t] = sc_keyTable(&run->workers[t], kind);
        err = gk_findGroups(tabs, (size_t)nw, 1, 0, nw, &keys[kind], st);
        if (err) break;
        hit_first[kind] = xj_mallocArray(keys[kind].n + 1, sizeof **hit_first);
        if (hit_first[kind] == NULL) err = XJ_ERR_NOMEM;
        for (size_t g = 0; !err && g < keys[kind].n; g++) {
            hit_first[kind][g] = hits[kind].n;
            size_t first;
            size_t const n = ix_lookup(ix, kind, keys[kind].g[g].hi, keys[kind].g[g].lo, &first);
            for (size_t i = 0; i < n && !err; i++) {
                uint32_t const rec = ix_entryRecord(ix, kind, first + i);
                if (kind == GD_KEY_ATTR && !mixed && (rec & IX_REC_HAS_ID)) continue;
                err = sc_pushHit(&hits[kind], rec);
            }
        }
        if (!err) hit_first[kind][keys[kind].n] = hits[kind].n;
        if (err == XJ_ERR_NOMEM) err = st_fail(st, err, "out of memory looking up the register");
    }
    xj_free(tabs);

    /* every register record some batch key hit, decoded once, in order */
    uint32_t *all = NULL;
    size_t n_all = 0;
    if (!err) {
        size_t total = 0;
        for (int k = 0; k < 3; k++) total += hits[k].n;
        all = xj_mallocArray(total ? total : 1, sizeof *all);
        if (all == NULL) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
        for (int k = 0; all && k < 3; k++)
            for (size_t i = 0; i < hits[k].n; i++) all[n_all++] = hits[k].recs[i] & ~IX_REC_HAS_ID;
        if (all) qsort(all, n_all, sizeof *all, sc_cmpU32);
        size_t u = 0;
        for (size_t i = 0; i < n_all; i++)
            if (u == 0 || all[i] != all[u - 1]) all[u++] = all[i];
        n_all = u;
    }
    if (!err) {
        run->reg_recs = xj_calloc(n_all ? n_all : 1, sizeof *run->reg_recs);
        if (run->reg_recs == NULL) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    }
    ix_cursor cur;
    int have_cursor = 0;
    if (!err) {
        err = ix_cursorInit(&cur);
        have_cursor = err == XJ_OK;
        if (err) err = st_fail(st, err, "out of memory");
    }
    xj_buf name;
    buf_init(&name, (size_t)1 << 20);
    for (size_t i = 0; !err && i < n_all; i++) {
        const ix_record *r;
        err = ix_readRecord(ix, &cur, all[i], &r, st);
        if (!err) err = sc_registerRecord(run, r, &run->workers[0].arena, &name, &run->reg_recs[i]);
        if (err == XJ_ERR_NOMEM) err = st_fail(st, err, "out of memory");
        else if (err && st->code == XJ_OK) err = st_fail(st, err, "a register record's name cannot be normalized");
    }
    buf_free(&name);
    run->n_reg = err ? 0 : n_all;
    if (have_cursor) ix_cursorFree(&cur);

    /* the groups: batch members, then register members; two or more */
    for (int kind = 0; kind < 3 && !err; kind++) {
        gk_groups *const out = &run->groups[kind];
        size_t n_refs = keys[kind].n_refs + hits[kind].n;
        out->g = xj_mallocArray(keys[kind].n ? keys[kind].n : 1, sizeof *out->g);
        out->refs = xj_mallocArray(n_refs ? n_refs : 1, sizeof *out->refs);
        if (!out->g || !out->refs) {
            err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
            break;
        }
        for (size_t g = 0; g < keys[kind].n; g++) {
            gk_group const *const kg = &keys[kind].g[g];
            size_t const h0 = hit_first[kind][g], h1 = hit_first[kind][g + 1];
            if (kg->n + (h1 - h0) < 2) continue;
            int has_no_id = 0;
            size_t const start = out->n_refs;
            for (uint32_t i = 0; i < kg->n; i++) {
                uint64_t const ref = keys[kind].refs[kg->first + i];
                has_no_id |= !(ref & GK_HAS_ID);
                out->refs[out->n_refs++] = ref;
            }
            for (size_t h = h0; h < h1; h++) {
                uint32_t const rec = hits[kind].recs[h];
                uint32_t const plain = rec & ~IX_REC_HAS_ID;
                const uint32_t *const at = bsearch(&plain, all, n_all, sizeof *all, sc_cmpU32);
                uint64_t const ref = run->reg_recs[at - all].ref;
                has_no_id |= !(rec & IX_REC_HAS_ID);
                out->refs[out->n_refs++] = ref | ((rec & IX_REC_HAS_ID) ? GK_HAS_ID : 0);
            }
            if (kind == GD_KEY_ATTR && mixed && !has_no_id) {
                out->n_refs = start;
                continue;
            }
            /* register refs sort after batch refs, and among themselves by
             * record number, which is (source, line) order: already sorted */
            out->g[out->n++] = (gk_group){kg->hi, kg->lo, start, (uint32_t)(out->n_refs - start)};
        }
    }
    for (int k = 0; k < 3; k++) {
        gk_groupsFree(&keys[k]);
        xj_free(hits[k].recs);
        xj_free(hit_first[k]);
    }
    xj_free(all);
    FORWARD_IF_ERROR(err);
    return sc_listFlagged(run);
}

xj_error sc_appendRegister(sc_run *run)
{
    if (run->n_reg == 0) return XJ_OK;
    gr_record *const grown = xj_reallocArray(run->gathered, run->n_flagged + run->n_reg, sizeof *grown);
    RETURN_ERROR_IF(grown == NULL, &run->scan->st, XJ_ERR_NOMEM, "out of memory");
    memcpy(grown + run->n_flagged, run->reg_recs, run->n_reg * sizeof *grown);
    run->gathered = grown;
    run->n_gathered = run->n_flagged + run->n_reg;
    xj_free(run->reg_recs); /* moved: the gathered records are the one copy */
    run->reg_recs = NULL;
    return XJ_OK;
}

/* "student_no@school" of a register member, with "(reason)" when its ID is
 * invalid. */
static xj_error sc_appendMatch(xj_buf *b, const gr_record *r)
{
    if (b->len) FORWARD_IF_ERROR(buf_appendByte(b, ';'));
    FORWARD_IF_ERROR(buf_append(b, r->student_no, r->student_no_len));
    FORWARD_IF_ERROR(buf_appendByte(b, '@'));
    FORWARD_IF_ERROR(buf_append(b, r->school, r->school_len));
    if (r->reg_reason != XJ_ID_OK) FORWARD_IF_ERROR(buf_printf(b, "(%s)", xj_idReasonName(r->reg_reason)));
    return XJ_OK;
}

/* `row` with the register_matches cell (CSV, maybe empty) put in front of
 * its input columns. */
static xj_error sc_withMatches(em_row row, const xj_buf *cell, xj_arena *arena, em_row *out)
{
    char *const tail = ar_alloc(arena, cell->len + row.tail_len + 2);
    if (tail == NULL) return XJ_ERR_NOMEM;
    tail[0] = ',';
    if (cell->len) memcpy(tail + 1, cell->data, cell->len);
    memcpy(tail + 1 + cell->len, row.tail, row.tail_len);
    tail[1 + cell->len + row.tail_len] = '\0';
    *out = row;
    out->tail = tail;
    out->tail_len = (uint32_t)(1 + cell->len + row.tail_len);
    return XJ_OK;
}

xj_error sc_againstRows(sc_run *run, em_row *rows, size_t *n_rows, xj_arena *arena)
{
    xj_status *const st = &run->scan->st;
    gr_index const ix = {run->gathered, run->n_gathered};
    uint32_t const n_batch = (uint32_t)run->n_inputs;
    xj_buf matches, cell;
    buf_init(&matches, SIZE_MAX / 4);
    buf_init(&cell, SIZE_MAX / 4);
    xj_error err = XJ_OK;
    size_t kept = 0, at = 0;
    uint64_t with_matches = 0;
    /* rows come group by group (gd_decideGroups writes a group's members
     * together), then the invalid-ID rows */
    for (int kind = 0; kind < 3 && !err; kind++) {
        gk_groups const *const gs = &run->groups[kind];
        for (size_t g = 0; g < gs->n && !err; g++) {
            gk_group const *const grp = &gs->g[g];
            buf_clear(&matches);
            for (uint32_t i = 0; i < grp->n && !err; i++) {
                uint64_t const ref = gs->refs[grp->first + i];
                if (gk_refSource(ref) < n_batch) continue;
                const gr_record *const r = gr_find(&ix, ref);
                if (XJ_NEVER(r == NULL)) err = XJ_ERR_INTERNAL;
                else err = sc_appendMatch(&matches, r);
            }
            buf_clear(&cell);
            if (!err) err = em_appendCsvField(&cell, matches.data ? matches.data : "", matches.len);
            for (uint32_t i = 0; i < grp->n && !err; i++) {
                em_row const row = rows[at + grp->first + i];
                if (row.source >= n_batch) continue;
                err = sc_withMatches(row, &cell, arena, &rows[kept++]);
                with_matches += matches.len != 0;
            }
        }
        at += gs->n_refs;
    }
    buf_clear(&cell);
    for (size_t i = at; i < *n_rows && !err; i++) /* invalid IDs: an empty matches cell */
        err = sc_withMatches(rows[i], &cell, arena, &rows[kept++]);
    buf_free(&matches);
    buf_free(&cell);
    RETURN_ERROR_IF(err == XJ_ERR_INTERNAL, st, err, "internal error: a register member was not decoded");
    RETURN_ERROR_IF(err, st, err, "out of memory writing register matches");
    *n_rows = kept;
    run->scan->stats.register_matches = with_matches;
    return XJ_OK;
}
