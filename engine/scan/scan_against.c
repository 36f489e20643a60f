/*
 * scan_against — a batch checked against a register index
 * (xj_scan_setAgainst): the scan of the batch, where the register is a
 * second key source, asked for its records under every batch key.
 *
 * The goal is an exact one: check(batch, index(register)) reports, for every
 * batch record, the rows scan(register + batch) reports for it. So register
 * members join the groups as ordinary members — same gr_record, same
 * decisions — under refs whose sources come after the batch's
 * (n_inputs + the index's source number); the tie-break of grp_decide ranks
 * them before the batch, as their files come first in that scan. Their
 * rows are then dropped: they are listed in other_schools and in the
 * register_matches column of the batch rows instead. Batch records the
 * register already holds are scan_copies.c's.
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
#include "xj_date.h"
#include "xj_alloc.h"

xj_error sc_registerOpen(sc_register *reg, sc_run *run)
{
    xj_scan *const s = run->scan;
    ar_init(&reg->strings);
    buf_init(&reg->registered_csv, SIZE_MAX / 4);
    reg->path = s->against;
    reg->first_source = (uint32_t)run->n_inputs;
    reg->attr_mixed = s->attr_scope == XJ_ATTR_MIXED;
    reg->suspects = !s->no_suspects;
    FORWARD_IF_ERROR(ix_open(s->against, &reg->ix, &s->st));
    RETURN_ERROR_IF(reg->attr_mixed && !(reg->ix->flags & IX_FLAG_ATTR_MIXED), &s->st, XJ_ERR_USAGE,
                    "%s: built without --attr-scope mixed, so it cannot answer a mixed check; rebuild it with "
                    "`xjdedup index build --attr-scope mixed`",
                    s->against);
    RETURN_ERROR_IF(run->n_inputs + reg->ix->n_sources > GK_MAX_SOURCES, &s->st, XJ_ERR_LIMIT,
                    "more than %u inputs and register sources together", GK_MAX_SOURCES);
    return XJ_OK;
}

void sc_registerFree(sc_register *reg)
{
    ix_close(reg->ix);
    xj_free(reg->members);
    ar_free(&reg->strings);
    xj_free(reg->copies);
    buf_free(&reg->registered_csv);
    memset(reg, 0, sizeof *reg);
}

/* A run date given that is not the index's: the batch and the register
 * would be checked for two dates (a birth date between them is valid for
 * one and not the other). Left out, the run date is today, and the
 * summary names both. */
xj_error sc_registerWarnRunDate(const sc_register *reg, xj_scan *s)
{
    uint32_t const was = reg->ix->run_date;
    if (s->run_date == 0 || s->run_date == was) return XJ_OK;
    char a[16], b[16];
    xj_error const err =
        nt_add(&s->warnings,
               "--run-date %s differs from the run date of %s (%s): the batch's IDs are checked for %s, but the "
               "register records' ID reasons (the '(reason)' in register_matches) were checked for %s; give "
               "--run-date %s, or rebuild the index for %s, to check both for one date",
               dt_text(s->run_date, a), reg->path, dt_text(was, b), a, b, b, a);
    RETURN_ERROR_IF(err, &s->st, err, "out of memory");
    return XJ_OK;
}

/* ---- the register as a key source ---- */

/* The register's entries under one kind's batch keys, as record numbers
 * (with IX_REC_HAS_ID) in hits->refs[0 .. *n), to be made refs once the
 * records are decoded. Under --attr-scope noid the attribute entries of
 * records with an ID are left out, as pass 1 files none for them. */
static xj_error sc_lookupKind(const sc_register *reg, int kind, const gk_groups *keys, sc_keyHits *hits,
                              size_t *n, xj_status *st)
{
    const ix_index *const ix = reg->ix;
    size_t cap = 0;
    hits->first = xj_mallocArray(keys->n + 1, sizeof *hits->first);
    xj_error err = hits->first ? XJ_OK : XJ_ERR_NOMEM;
    for (size_t g = 0; !err && g < keys->n; g++) {
        hits->first[g] = *n;
        size_t first;
        size_t const count = ix_lookup(ix, kind, keys->g[g].hi, keys->g[g].lo, &first);
        for (size_t i = 0; i < count && !err; i++) {
            uint32_t const rec = ix_entryRecord(ix, kind, first + i);
            if (kind == GD_KEY_ATTR && !reg->attr_mixed && (rec & IX_REC_HAS_ID)) continue;
            if (xj_growArray(&hits->refs, &cap, *n + 1, sizeof *hits->refs, 1024) != 0) err = XJ_ERR_NOMEM;
            else hits->refs[(*n)++] = rec;
        }
    }
    RETURN_ERROR_IF(err, st, err, "out of memory looking up the register");
    hits->first[keys->n] = *n;
    return XJ_OK;
}

/* A register record as a gr_record (strings in `arena`), under its ref; the
 * index keeps names as read, so the name is normalized here (`name` is
 * scratch). */
static xj_error sc_registerRecord(const sc_register *reg, const ix_record *r, xj_arena *arena, xj_buf *name,
                                  gr_record *out)
{
    memset(out, 0, sizeof *out);
    FORWARD_IF_ERROR(nm_normalizeName(r->name, r->name_len, name));
    out->ref = gk_ref(reg->first_source + r->source, r->line);
    out->school = ar_strndup(arena, r->school, r->school_len);
    out->county = ar_strndup(arena, r->county, r->county_len);
    out->student_no = ar_strndup(arena, r->student_no, r->student_no_len);
    out->name = ar_strndup(arena, name->data ? name->data : "", name->len);
    if (!out->school || !out->county || !out->student_no || !out->name) return XJ_ERR_NOMEM;
    out->id = "";
    out->tail = "";
    out->school_name = ""; /* the index keeps no school names */
    out->school_len = r->school_len;
    out->county_len = r->county_len;
    out->student_no_len = r->student_no_len;
    out->name_len = (uint32_t)name->len;
    out->registered = r->registered;
    out->birth = r->birth;
    out->sex = r->sex;
    out->id_type = r->id_type;
    out->reg_reason = r->reason;
    out->from_register = 1;
    return XJ_OK;
}

static int sc_cmpU32(const void *a, const void *b)
{
    uint32_t const x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Every register record some batch key hit, once, in record order: their
 * numbers into *all (the caller frees it), decoded into reg->members. */
static xj_error sc_decodeHits(sc_register *reg, const sc_keyHits *hits, const size_t *n_hits, uint32_t **all_out,
                              size_t *n_all, xj_status *st)
{
    size_t total = 0;
    for (int k = 0; k < SC_KEY_KINDS; k++) total += n_hits[k];
    uint32_t *const all = *all_out = xj_mallocArray(total ? total : 1, sizeof *all);
    RETURN_ERROR_IF(all == NULL, st, XJ_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (int k = 0; k < SC_KEY_KINDS; k++)
        for (size_t i = 0; i < n_hits[k]; i++) all[n++] = (uint32_t)hits[k].refs[i] & ~IX_REC_HAS_ID;
    qsort(all, n, sizeof *all, sc_cmpU32);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || all[i] != all[u - 1]) all[u++] = all[i];
    *n_all = u;
    reg->members = xj_calloc(u ? u : 1, sizeof *reg->members);
    RETURN_ERROR_IF(reg->members == NULL, st, XJ_ERR_NOMEM, "out of memory");
    ix_cursor cur;
    RETURN_ERROR_IF(ix_cursorInit(&cur) != XJ_OK, st, XJ_ERR_NOMEM, "out of memory");
    xj_buf name;
    buf_init(&name, (size_t)1 << 20);
    xj_error err = XJ_OK;
    for (size_t i = 0; !err && i < u; i++) {
        const ix_record *r;
        err = ix_readRecord(reg->ix, &cur, all[i], &r, st);
        if (!err) err = sc_registerRecord(reg, r, &reg->strings, &name, &reg->members[i]);
        if (err == XJ_ERR_NOMEM) err = st_fail(st, err, "out of memory");
        else if (err && st->code == XJ_OK) err = st_fail(st, err, "a register record's name cannot be normalized");
    }
    buf_free(&name);
    ix_cursorFree(&cur);
    reg->n_members = err ? 0 : u;
    return err;
}

/* Marks a register record found in KEYS_SLIP (a mistyped ID of the
 * register, filed under the batch's number): it becomes GK_SUSPECT. */
#define SC_HIT_SLIP (1ull << 40)

/* The GB hits and the slip hits of each key, merged in record order into
 * hits (the slip ones marked SC_HIT_SLIP; no record is in both: a slip is
 * filed for a number with a wrong check character, never the record's
 * own); *n their count. */
static xj_error sc_mergeSlips(size_t n_keys, sc_keyHits *hits, const sc_keyHits *slips, size_t *n, xj_status *st)
{
    size_t const total = hits->first[n_keys] + slips->first[n_keys];
    uint64_t *const refs = xj_mallocArray(total ? total : 1, sizeof *refs);
    size_t *const first = xj_mallocArray(n_keys + 1, sizeof *first);
    if (refs == NULL || first == NULL) {
        xj_free(refs);
        xj_free(first);
        return st_fail(st, XJ_ERR_NOMEM, "out of memory looking up the register");
    }
    size_t at = 0;
    for (size_t g = 0; g < n_keys; g++) {
        first[g] = at;
        size_t i = hits->first[g], j = slips->first[g];
        size_t const ie = hits->first[g + 1], je = slips->first[g + 1];
        while (i < ie || j < je) {
            int const own = j == je || (i < ie && ((uint32_t)hits->refs[i] & ~IX_REC_HAS_ID) < (uint32_t)slips->refs[j]);
            refs[at++] = own ? hits->refs[i++] : slips->refs[j++] | SC_HIT_SLIP;
        }
    }
    first[n_keys] = at;
    xj_free(hits->refs);
    xj_free(hits->first);
    hits->refs = refs;
    hits->first = first;
    *n = at;
    return XJ_OK;
}

static xj_error sc_registerFind(void *self, const gk_groups keys[SC_KEY_KINDS], sc_keyHits hits[SC_KEY_KINDS],
                                xj_status *st)
{
    sc_register *const reg = self;
    size_t n_hits[SC_KEY_KINDS] = {0};
    for (int kind = 0; kind < SC_KEY_KINDS; kind++)
        FORWARD_IF_ERROR(sc_lookupKind(reg, kind, &keys[kind], &hits[kind], &n_hits[kind], st));
    if (reg->suspects) { /* a register record whose mistyped ID is one slip from a batch number */
        sc_keyHits slips = {0};
        size_t n_slips = 0;
        xj_error e = sc_lookupKind(reg, IX_KIND_SLIP, &keys[GD_KEY_GB], &slips, &n_slips, st);
        if (!e) e = sc_mergeSlips(keys[GD_KEY_GB].n, &hits[GD_KEY_GB], &slips, &n_hits[GD_KEY_GB], st);
        sc_keyHitsFree(&slips);
        FORWARD_IF_ERROR(e);
    }
    uint32_t *all = NULL;
    size_t n_all = 0;
    xj_error const err = sc_decodeHits(reg, hits, n_hits, &all, &n_all, st);
    /* record numbers to refs: register refs ascend with record numbers,
     * which are in (source, line) order */
    for (int kind = 0; !err && kind < SC_KEY_KINDS; kind++)
        for (size_t h = 0; h < n_hits[kind]; h++) {
            uint64_t const rec = hits[kind].refs[h];
            uint32_t const plain = (uint32_t)rec & ~IX_REC_HAS_ID;
            const uint32_t *const at = bsearch(&plain, all, n_all, sizeof *all, sc_cmpU32);
            hits[kind].refs[h] = reg->members[at - all].ref | ((rec & IX_REC_HAS_ID) ? GK_HAS_ID : 0) |
                                 ((rec & SC_HIT_SLIP) ? GK_SUSPECT : 0);
        }
    xj_free(all);
    return err;
}

sc_keyLookup sc_registerSource(sc_register *reg)
{
    return (sc_keyLookup){sc_registerFind, reg};
}

xj_error sc_registerJoin(sc_register *reg, sc_run *run)
{
    if (reg->n_members == 0) return XJ_OK;
    gr_record *const grown = xj_reallocArray(run->gathered, run->n_flagged + reg->n_members, sizeof *grown);
    RETURN_ERROR_IF(grown == NULL, &run->scan->st, XJ_ERR_NOMEM, "out of memory");
    memcpy(grown + run->n_flagged, reg->members, reg->n_members * sizeof *grown);
    run->gathered = grown;
    run->n_gathered = run->n_flagged + reg->n_members;
    xj_free(reg->members); /* moved: the gathered records are the one copy (their strings stay reg's) */
    reg->members = NULL;
    reg->n_members = 0;
    return sc_dropCopies(reg, run);
}

/* ---- the rows ---- */

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
static xj_error sc_withMatches(pb_row row, const xj_buf *cell, xj_arena *arena, pb_row *out)
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

/* The rest of reg->check, once the batch's rows are known: the index, the
 * clean rows (accepted records without any row) and the registered list. */
static xj_error sc_fillCheck(sc_register *reg, const sc_run *run, const pb_row *rows, size_t n_rows)
{
    xj_status *const st = &run->scan->st;
    em_check *const c = &reg->check;
    const ix_index *const ix = reg->ix;
    const char *const slash = strrchr(reg->path, '/');
    c->index = slash ? slash + 1 : reg->path;
    c->records = ix->records;
    c->run_date = ix->run_date;
    c->attr_scope = (ix->flags & IX_FLAG_ATTR_MIXED) ? "mixed" : "noid";
    c->already_registered = reg->n_copies;
    uint64_t *const with_rows = xj_mallocArray(n_rows ? n_rows : 1, sizeof *with_rows);
    RETURN_ERROR_IF(with_rows == NULL, st, XJ_ERR_NOMEM, "out of memory counting the clean rows");
    for (size_t i = 0; i < n_rows; i++) with_rows[i] = gk_ref(rows[i].source, rows[i].line);
    qsort(with_rows, n_rows, sizeof *with_rows, sc_cmpRefs);
    size_t u = 0;
    for (size_t i = 0; i < n_rows; i++)
        if (u == 0 || with_rows[i] != with_rows[u - 1]) with_rows[u++] = with_rows[i];
    c->clean_rows = sc_countFound(run).accepted - u;
    for (size_t i = 0; i < reg->n_copies; i++)
        c->clean_registered += bsearch(&reg->copies[i].batch, with_rows, u, sizeof *with_rows, sc_cmpRefs) == NULL;
    xj_free(with_rows);
    xj_error const err = sc_registeredCsv(reg, run, &reg->registered_csv);
    RETURN_ERROR_IF(err == XJ_ERR_INTERNAL, st, err, "internal error: a registered batch record was not gathered");
    RETURN_ERROR_IF(err, st, err, "out of memory listing the registered records");
    c->registered_csv = &reg->registered_csv;
    return XJ_OK;
}

/* One group's register_matches cell (`cell`, CSV-encoded) from its
 * register members; `matches` is scratch. */
static xj_error sc_groupCell(const sc_register *reg, const gr_index *ix, const gk_groups *gs, const gk_group *grp,
                             xj_buf *matches, xj_buf *cell)
{
    buf_clear(matches);
    for (uint32_t i = 0; i < grp->n; i++) {
        uint64_t const ref = gs->refs[grp->first + i];
        if (gk_refSource(ref) < reg->first_source) continue;
        const gr_record *const r = gr_find(ix, ref);
        if (XJ_NEVER(r == NULL)) return XJ_ERR_INTERNAL;
        FORWARD_IF_ERROR(sc_appendMatch(matches, r));
    }
    buf_clear(cell);
    return em_appendCsvField(cell, matches->data ? matches->data : "", matches->len);
}

xj_error sc_againstRows(sc_register *reg, const sc_run *run, pb_row *rows, size_t *n_rows, xj_arena *arena)
{
    xj_status *const st = &run->scan->st;
    gr_index ix;
    gr_indexInit(&ix, run->gathered, run->n_gathered);
    uint32_t const n_batch = reg->first_source;
    xj_buf matches, cell;
    buf_init(&matches, SIZE_MAX / 4);
    buf_init(&cell, SIZE_MAX / 4);
    xj_error err = XJ_OK;
    size_t kept = 0, at = 0;
    uint64_t with_matches = 0;
    em_check *const c = &reg->check;
    memset(c, 0, sizeof *c);
    /* rows come group by group (gd_decideGroups writes a group's members
     * together), then the invalid-ID rows */
    /* the kinds' groups, then the suspects' (sc_decide's order) */
    for (int kind = 0; kind <= SC_KEY_KINDS && !err; kind++) {
        gk_groups const *const gs = kind < SC_KEY_KINDS ? &run->groups[kind] : &run->suspects;
        pb_problem const problem = kind == SC_KEY_KINDS  ? PB_SUSPECT_DUPLICATE
                                   : kind == GD_KEY_ATTR ? PB_ATTR_DUPLICATE
                                                         : PB_ID_DUPLICATE;
        for (size_t g = 0; g < gs->n && !err; g++) {
            gk_group const *const grp = &gs->g[g];
            err = sc_groupCell(reg, &ix, gs, grp, &matches, &cell);
            int const has_matches = matches.len != 0;
            /* a group of register records only (met through a batch record's
             * slipped number, which leaves the ID group) is not the batch's */
            int has_batch = 0;
            for (uint32_t i = 0; i < grp->n; i++) has_batch |= rows[at + grp->first + i].source < n_batch;
            c->register_groups[problem] += !err && has_matches && has_batch;
            for (uint32_t i = 0; i < grp->n && !err; i++) {
                pb_row const row = rows[at + grp->first + i];
                if (row.source >= n_batch) continue;
                err = sc_withMatches(row, &cell, arena, &rows[kept++]);
                with_matches += has_matches;
                c->register_rows[problem] += has_matches;
            }
        }
        at += gs->n_refs;
    }
    buf_clear(&cell);
    for (size_t i = at; i < *n_rows && !err; i++) /* invalid IDs: an empty matches cell */
        err = sc_withMatches(rows[i], &cell, arena, &rows[kept++]);
    buf_free(&matches);
    buf_free(&cell);
    gr_indexFree(&ix);
    RETURN_ERROR_IF(err == XJ_ERR_INTERNAL, st, err, "internal error: a register member was not decoded");
    RETURN_ERROR_IF(err, st, err, "out of memory writing register matches");
    *n_rows = kept;
    reg->rows_with_matches = with_matches;
    return sc_fillCheck(reg, run, rows, kept);
}
