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
#include <stdio.h>
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

/* "2026-11-28" */
static const char *sc_dateText(uint32_t d, char out[16])
{
    snprintf(out, 16, "%04u-%02u-%02u", d / 10000 % 10000, d / 100 % 100, d % 100);
    return out;
}

/* A run date given that is not the index's: the batch and the register
 * would be checked for two dates (a birth date between them is valid for
 * one and not the other). Left out, the run date is today, and the
 * summary names both. */
static xj_error sc_warnRunDate(sc_run *run)
{
    xj_scan *const s = run->scan;
    uint32_t const reg = run->against->run_date;
    if (s->run_date == 0 || s->run_date == reg) return XJ_OK;
    char a[16], b[16];
    xj_error const err =
        nt_add(&s->warnings,
               "--run-date %s differs from the run date of %s (%s): the batch's IDs are checked for %s, but the "
               "register records' ID reasons (the '(reason)' in register_matches) were checked for %s; give "
               "--run-date %s, or rebuild the index for %s, to check both for one date",
               sc_dateText(s->run_date, a), s->against, sc_dateText(reg, b), a, b, b, a);
    RETURN_ERROR_IF(err, &s->st, err, "out of memory");
    return XJ_OK;
}

xj_error sc_groupAgainst(sc_run *run)
{
    xj_status *const st = &run->scan->st;
    const ix_index *const ix = run->against;
    FORWARD_IF_ERROR(sc_warnRunDate(run));
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

/* ---- batch records the register already holds ----
 *
 * A batch record and a register record with the same student number and
 * school code (trimmed) are one record: the batch's copy of a registered
 * one (re-checked after `index update`, or sent again). It must not be
 * its own duplicate, so in every group that holds both, the register copy
 * leaves the group; what is left is decided as usual (a group left with
 * one member is no group). The batch record counts as already registered,
 * with its first copy in register order. A register record only leaves
 * groups that hold its batch copy, and only register records leave: two
 * batch records with one student number are still each other's duplicate,
 * and a copy still duplicates a different register record.
 *
 * Copies are found through the groups, so a batch record counts as
 * registered when it shares a key with its copy: the same ID number, or,
 * without ID, the same name, sex and birth date (a re-sent record always
 * does). A copy whose ID was changed since shares no key and is checked as
 * a new record (the index has no table by student number). */

typedef struct sc_ident {
    const char *sno, *school;  /* trimmed */
    size_t sno_len, school_len;
    uint64_t ref;              /* the record */
    size_t cls;                /* batch members: first index of its class (equal identity) */
} sc_ident;

static sc_ident sc_identOf(const gr_record *r)
{
    sc_ident id = {r->student_no, r->school, r->student_no_len, r->school_len, r->ref, 0};
    nm_trim(&id.sno, &id.sno_len);
    nm_trim(&id.school, &id.school_len);
    return id;
}

static int sc_cmpBytes(const char *a, size_t na, const char *b, size_t nb)
{
    int const c = memcmp(a, b, na < nb ? na : nb);
    return c ? c : (na > nb) - (na < nb);
}

static int sc_cmpIdent(const sc_ident *a, const sc_ident *b)
{
    int const c = sc_cmpBytes(a->sno, a->sno_len, b->sno, b->sno_len);
    return c ? c : sc_cmpBytes(a->school, a->school_len, b->school, b->school_len);
}

static int sc_cmpIdentRef(const void *pa, const void *pb)
{
    const sc_ident *const a = pa, *const b = pb;
    int const c = sc_cmpIdent(a, b);
    return c ? c : (a->ref > b->ref) - (a->ref < b->ref);
}

/* (batch record, its first register copy) */
typedef struct sc_copy {
    uint64_t batch, reg;
} sc_copy;

static int sc_cmpCopy(const void *pa, const void *pb)
{
    const sc_copy *const a = pa, *const b = pb;
    if (a->batch != b->batch) return a->batch < b->batch ? -1 : 1;
    return (a->reg > b->reg) - (a->reg < b->reg);
}

typedef struct sc_copyScratch {
    sc_ident *batch;        /* a group's batch members, sorted by identity */
    uint64_t *first_copy;   /* per class (at its first index): its first register copy, 0 for none */
    size_t cap;
    sc_copy *pairs;         /* found so far */
    size_t n_pairs, cap_pairs;
} sc_copyScratch;

/* One group: its register copies of batch members taken out (refs compacted
 * in place, *n the members left), the pairs found added to `sc`. */
static xj_error sc_dropCopiesOf(sc_run *run, const gr_index *ix, uint64_t *refs, uint32_t *n, sc_copyScratch *sc)
{
    uint32_t const n_batch_src = (uint32_t)run->n_inputs;
    uint32_t nb = 0;
    while (nb < *n && gk_refSource(refs[nb]) < n_batch_src) nb++; /* batch members come first */
    if (nb == 0 || nb == *n) return XJ_OK;
    if (xj_growArray(&sc->batch, &sc->cap, nb, sizeof *sc->batch, 64) != 0) return XJ_ERR_NOMEM;
    uint64_t *const fc = xj_reallocArray(sc->first_copy, sc->cap, sizeof *fc);
    if (fc == NULL) return XJ_ERR_NOMEM;
    sc->first_copy = fc;
    for (uint32_t i = 0; i < nb; i++) {
        const gr_record *const r = gr_find(ix, refs[i]);
        if (XJ_NEVER(r == NULL)) return XJ_ERR_INTERNAL;
        sc->batch[i] = sc_identOf(r);
    }
    qsort(sc->batch, nb, sizeof *sc->batch, sc_cmpIdentRef);
    for (uint32_t i = 0; i < nb; i++) {
        sc->batch[i].cls = i > 0 && sc_cmpIdent(&sc->batch[i], &sc->batch[i - 1]) == 0 ? sc->batch[i - 1].cls : i;
        sc->first_copy[i] = 0;
    }
    uint32_t kept = nb;
    for (uint32_t i = nb; i < *n; i++) { /* register members, in register order */
        const gr_record *const r = gr_find(ix, refs[i]);
        if (XJ_NEVER(r == NULL)) return XJ_ERR_INTERNAL;
        sc_ident const id = sc_identOf(r);
        size_t lo = 0, hi = nb; /* the first batch member not below id */
        while (lo < hi) {
            size_t const mid = lo + (hi - lo) / 2;
            if (sc_cmpIdent(&sc->batch[mid], &id) < 0) lo = mid + 1;
            else hi = mid;
        }
        if (lo < nb && sc_cmpIdent(&sc->batch[lo], &id) == 0) {
            if (sc->first_copy[lo] == 0) sc->first_copy[lo] = r->ref; /* lo is its class's first */
            continue;
        }
        refs[kept++] = refs[i];
    }
    for (uint32_t i = 0; i < nb; i++) {
        uint64_t const copy = sc->first_copy[sc->batch[i].cls];
        if (copy == 0) continue;
        if (xj_growArray(&sc->pairs, &sc->cap_pairs, sc->n_pairs + 1, sizeof *sc->pairs, 256) != 0)
            return XJ_ERR_NOMEM;
        sc->pairs[sc->n_pairs++] = (sc_copy){sc->batch[i].ref & ~GK_HAS_ID, copy};
    }
    *n = kept;
    return XJ_OK;
}

/* Every group without the register copies of its batch members; groups
 * left too small are dropped. The batch records found registered, each
 * with its first copy, go to run->copies (by batch ref). */
static xj_error sc_dropCopies(sc_run *run)
{
    xj_status *const st = &run->scan->st;
    gr_index const ix = {run->gathered, run->n_gathered};
    int const mixed = run->scan->attr_scope == XJ_ATTR_MIXED;
    sc_copyScratch sc = {0};
    xj_error err = XJ_OK;
    for (int kind = 0; kind < 3 && !err; kind++) {
        gk_groups *const gs = &run->groups[kind];
        size_t n_groups = 0, n_refs = 0;
        for (size_t g = 0; g < gs->n && !err; g++) {
            gk_group const grp = gs->g[g];
            uint64_t *const refs = gs->refs + grp.first;
            uint32_t n = grp.n;
            err = sc_dropCopiesOf(run, &ix, refs, &n, &sc);
            int has_no_id = 0;
            for (uint32_t i = 0; i < n; i++) has_no_id |= !(refs[i] & GK_HAS_ID);
            if (err || n < 2 || (kind == GD_KEY_ATTR && mixed && !has_no_id)) continue;
            memmove(gs->refs + n_refs, refs, n * sizeof *refs); /* groups stay in order: n_refs <= grp.first */
            gs->g[n_groups++] = (gk_group){grp.hi, grp.lo, n_refs, n};
            n_refs += n;
        }
        gs->n = n_groups;
        gs->n_refs = n_refs;
    }
    if (!err && sc.n_pairs) { /* a record may have copies in two groups (ID and attributes): the first */
        qsort(sc.pairs, sc.n_pairs, sizeof *sc.pairs, sc_cmpCopy);
        size_t u = 0;
        for (size_t i = 0; i < sc.n_pairs; i++)
            if (u == 0 || sc.pairs[i].batch != sc.pairs[u - 1].batch) sc.pairs[u++] = sc.pairs[i];
        sc.n_pairs = u;
    }
    xj_free(sc.batch);
    xj_free(sc.first_copy);
    if (err) {
        xj_free(sc.pairs);
        RETURN_ERROR_IF(err == XJ_ERR_INTERNAL, st, err, "internal error: a group member was not gathered");
        return st_fail(st, err, "out of memory matching the batch with the register");
    }
    run->copies = sc.pairs;
    run->n_copies = sc.n_pairs;
    return XJ_OK;
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
    return sc_dropCopies(run);
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

static int sc_cmpU64(const void *a, const void *b)
{
    uint64_t const x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* already_registered.csv: a line per batch record the register holds. */
static xj_error sc_registeredCsv(sc_run *run, xj_buf *out)
{
    gr_index const ix = {run->gathered, run->n_gathered};
    FORWARD_IF_ERROR(buf_appendStr(out, EM_REGISTERED_HEADER));
    for (size_t i = 0; i < run->n_copies; i++) {
        const gr_record *const b = gr_find(&ix, run->copies[i].batch);
        uint32_t const reg_source = gk_refSource(run->copies[i].reg) - (uint32_t)run->n_inputs;
        if (XJ_NEVER(b == NULL || reg_source >= run->against->n_sources)) return XJ_ERR_INTERNAL;
        sc_ident const id = sc_identOf(b);
        const char *const name = run->inputs[gk_refSource(b->ref)].facts.name;
        FORWARD_IF_ERROR(em_appendCsvField(out, name, strlen(name)));
        FORWARD_IF_ERROR(buf_printf(out, ",%llu,", (unsigned long long)gk_refLine(b->ref)));
        FORWARD_IF_ERROR(em_appendCsvField(out, id.sno, id.sno_len));
        FORWARD_IF_ERROR(buf_appendByte(out, ','));
        FORWARD_IF_ERROR(em_appendCsvField(out, id.school, id.school_len));
        FORWARD_IF_ERROR(buf_appendByte(out, ','));
        const char *const reg_name = run->against->sources[reg_source].name;
        FORWARD_IF_ERROR(em_appendCsvField(out, reg_name, strlen(reg_name)));
        FORWARD_IF_ERROR(buf_printf(out, ",%llu\n", (unsigned long long)gk_refLine(run->copies[i].reg)));
    }
    return XJ_OK;
}

/* The rest of run->check, once the batch's rows are known: the index, the
 * clean rows (accepted records without any row) and the registered list. */
static xj_error sc_fillCheck(sc_run *run, const em_row *rows, size_t n_rows)
{
    xj_status *const st = &run->scan->st;
    em_check *const c = &run->check;
    const ix_index *const ix = run->against;
    const char *const slash = strrchr(run->scan->against, '/');
    c->index = slash ? slash + 1 : run->scan->against;
    c->records = ix->records;
    c->run_date = ix->run_date;
    c->attr_scope = (ix->flags & IX_FLAG_ATTR_MIXED) ? "mixed" : "noid";
    c->already_registered = run->n_copies;
    uint64_t *const with_rows = xj_mallocArray(n_rows ? n_rows : 1, sizeof *with_rows);
    RETURN_ERROR_IF(with_rows == NULL, st, XJ_ERR_NOMEM, "out of memory counting the clean rows");
    for (size_t i = 0; i < n_rows; i++) with_rows[i] = gk_ref(rows[i].source, rows[i].line);
    qsort(with_rows, n_rows, sizeof *with_rows, sc_cmpU64);
    size_t u = 0;
    for (size_t i = 0; i < n_rows; i++)
        if (u == 0 || with_rows[i] != with_rows[u - 1]) with_rows[u++] = with_rows[i];
    uint64_t accepted = 0;
    for (int t = 0; t < run->n_workers; t++) accepted += run->workers[t].accepted;
    c->clean_rows = accepted - u;
    for (size_t i = 0; i < run->n_copies; i++)
        c->clean_registered += bsearch(&run->copies[i].batch, with_rows, u, sizeof *with_rows, sc_cmpU64) == NULL;
    xj_free(with_rows);
    buf_init(&run->registered_csv, SIZE_MAX / 4);
    xj_error const err = sc_registeredCsv(run, &run->registered_csv);
    RETURN_ERROR_IF(err == XJ_ERR_INTERNAL, st, err, "internal error: a registered batch record was not gathered");
    RETURN_ERROR_IF(err, st, err, "out of memory listing the registered records");
    c->registered_csv = &run->registered_csv;
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
    em_check *const c = &run->check;
    memset(c, 0, sizeof *c);
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
            pb_problem const problem = kind == GD_KEY_ATTR ? PB_ATTR_DUPLICATE : PB_ID_DUPLICATE;
            c->register_groups[problem] += matches.len != 0;
            for (uint32_t i = 0; i < grp->n && !err; i++) {
                em_row const row = rows[at + grp->first + i];
                if (row.source >= n_batch) continue;
                err = sc_withMatches(row, &cell, arena, &rows[kept++]);
                with_matches += matches.len != 0;
                c->register_rows[problem] += matches.len != 0;
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
    return sc_fillCheck(run, rows, kept);
}
