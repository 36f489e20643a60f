/*
 * scan_copies — batch records the register already holds (a batch check).
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
 * a new record (the index has no table by student number).
 *
 * Cost: per group holding both, a sort of its batch members by identity
 * and a binary search for each register member.
 */
#include <stdlib.h>
#include <string.h>

#include "ix_index.h"
#include "scan_internal.h"
#include "xj_alloc.h"
#include "xj_text.h"

typedef struct sc_ident {
    const char *sno, *school;  /* trimmed */
    size_t sno_len, school_len;
    uint64_t ref;              /* the record */
    size_t cls;                /* batch members: first index of its class (equal identity) */
} sc_ident;

static sc_ident sc_identOf(const gr_record *r)
{
    sc_ident id = {r->student_no, r->school, r->student_no_len, r->school_len, r->ref, 0};
    xj_trim(&id.sno, &id.sno_len);
    xj_trim(&id.school, &id.school_len);
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
static xj_error sc_dropCopiesOf(uint32_t n_batch_src, const gr_index *ix, uint64_t *refs, uint32_t *n,
                               sc_copyScratch *sc)
{
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
        sc->pairs[sc->n_pairs++] = (sc_copy){sc->batch[i].ref & ~GK_FLAGS, copy};
    }
    *n = kept;
    return XJ_OK;
}

xj_error sc_dropCopies(sc_register *reg, sc_run *run)
{
    xj_status *const st = &run->scan->st;
    gr_index ix;
    gr_indexInit(&ix, run->gathered, run->n_gathered);
    int const mixed = reg->attr_mixed;
    sc_copyScratch sc = {0};
    xj_error err = XJ_OK;
    for (int kind = 0; kind < SC_KEY_KINDS && !err; kind++) {
        gk_groups *const gs = &run->groups[kind];
        size_t n_groups = 0, n_refs = 0;
        for (size_t g = 0; g < gs->n && !err; g++) {
            gk_group const grp = gs->g[g];
            uint64_t *const refs = gs->refs + grp.first;
            uint32_t n = grp.n;
            err = sc_dropCopiesOf(reg->first_source, &ix, refs, &n, &sc);
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
    gr_indexFree(&ix);
    if (err) {
        xj_free(sc.pairs);
        RETURN_ERROR_IF(err == XJ_ERR_INTERNAL, st, err, "internal error: a group member was not gathered");
        return st_fail(st, err, "out of memory matching the batch with the register");
    }
    reg->copies = sc.pairs;
    reg->n_copies = sc.n_pairs;
    return XJ_OK;
}

xj_error sc_registeredCsv(const sc_register *reg, const sc_run *run, xj_buf *out)
{
    gr_index const ix = {.recs = run->gathered, .n = run->n_gathered}; /* one lookup per copy found */
    FORWARD_IF_ERROR(buf_appendStr(out, EM_REGISTERED_HEADER));
    for (size_t i = 0; i < reg->n_copies; i++) {
        const gr_record *const b = gr_find(&ix, reg->copies[i].batch);
        uint32_t const reg_source = gk_refSource(reg->copies[i].reg) - reg->first_source;
        if (XJ_NEVER(b == NULL || reg_source >= reg->ix->n_sources)) return XJ_ERR_INTERNAL;
        sc_ident const id = sc_identOf(b);
        const char *const name = run->inputs[gk_refSource(b->ref)].facts.name;
        FORWARD_IF_ERROR(em_appendCsvField(out, name, strlen(name)));
        FORWARD_IF_ERROR(buf_printf(out, ",%llu,", (unsigned long long)gk_refLine(b->ref)));
        FORWARD_IF_ERROR(em_appendCsvField(out, id.sno, id.sno_len));
        FORWARD_IF_ERROR(buf_appendByte(out, ','));
        FORWARD_IF_ERROR(em_appendCsvField(out, id.school, id.school_len));
        FORWARD_IF_ERROR(buf_appendByte(out, ','));
        const char *const reg_name = reg->ix->sources[reg_source].name;
        FORWARD_IF_ERROR(em_appendCsvField(out, reg_name, strlen(reg_name)));
        FORWARD_IF_ERROR(buf_printf(out, ",%llu\n", (unsigned long long)gk_refLine(reg->copies[i].reg)));
    }
    return XJ_OK;
}

