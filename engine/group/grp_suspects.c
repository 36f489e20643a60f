/* grp_suspects — see grp_suspects.h. */
#include "grp_suspects.h"

#include <stdlib.h>
#include <string.h>

#include "xj_alloc.h"

static int gs_isOwn(uint64_t ref) { return !(ref & GK_SUSPECT); }
/* filed under the number the record holds (not under its old ID, not slipped) */
static int gs_isHeld(uint64_t ref) { return !(ref & (GK_SUSPECT | GK_OLD_ID)); }

xj_error gs_split(gk_groups *gb, gk_groups *sus, xj_status *st)
{
    memset(sus, 0, sizeof *sus);
    size_t n_groups = 0, n_refs = 0;
    for (size_t gi = 0; gi < gb->n; gi++) {
        const uint64_t *const r = gb->refs + gb->g[gi].first;
        size_t slipped = 0, held = 0;
        for (uint32_t i = 0; i < gb->g[gi].n; i++) slipped += !gs_isOwn(r[i]), held += gs_isHeld(r[i]);
        if (slipped && held) n_groups++, n_refs += slipped + held;
    }
    if (n_groups) {
        sus->g = xj_mallocArray(n_groups, sizeof *sus->g);
        sus->refs = xj_mallocArray(n_refs, sizeof *sus->refs);
        RETURN_ERROR_IF(sus->g == NULL || sus->refs == NULL, st, XJ_ERR_NOMEM, "out of memory");
    }
    size_t w_group = 0, w_ref = 0;
    for (size_t gi = 0; gi < gb->n; gi++) {
        gk_group const g = gb->g[gi];
        const uint64_t *const r = gb->refs + g.first;
        size_t slipped = 0, held = 0, own = 0;
        for (uint32_t i = 0; i < g.n; i++) slipped += !gs_isOwn(r[i]), held += gs_isHeld(r[i]);
        if (slipped && held) {
            size_t const at = sus->n_refs;
            for (uint32_t i = 0; i < g.n; i++)
                if (!gs_isOwn(r[i]) || gs_isHeld(r[i])) sus->refs[sus->n_refs++] = r[i];
            sus->g[sus->n++] = (gk_group){g.hi, g.lo, at, (uint32_t)(sus->n_refs - at)};
        }
        /* the ID group, moved down in place: w_ref never passes g.first */
        size_t const at = w_ref;
        for (uint32_t i = 0; i < g.n; i++)
            if (gs_isOwn(r[i])) gb->refs[w_ref++] = r[i], own++;
        if (own >= 2) gb->g[w_group++] = (gk_group){g.hi, g.lo, at, (uint32_t)own};
        else w_ref = at;
    }
    gb->n = w_group;
    gb->n_refs = w_ref;
    return XJ_OK;
}

typedef struct gs_member {
    const gr_record *r;
    uint64_t ref;
    int is_a;           /* the mistyped record */
    int is_b;           /* holds the key as a valid ID */
} gs_member;

/* Name, sex, birth date: the attributes an A and a B must share. */
static int gs_cmpAttrs(const void *pa, const void *pb)
{
    const gr_record *const a = ((const gs_member *)pa)->r, *const b = ((const gs_member *)pb)->r;
    size_t const n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int c = memcmp(a->name, b->name, n);
    if (c) return c;
    if (a->name_len != b->name_len) return a->name_len < b->name_len ? -1 : 1;
    if (a->sex != b->sex) return a->sex < b->sex ? -1 : 1;
    if (a->birth != b->birth) return a->birth < b->birth ? -1 : 1;
    uint64_t const x = ((const gs_member *)pa)->ref, y = ((const gs_member *)pb)->ref;
    return x < y ? -1 : x > y; /* a fixed order within the run */
}

static int gs_cmpRef(const void *pa, const void *pb)
{
    uint64_t const x = ((const gs_member *)pa)->ref & ~GK_FLAGS, y = ((const gs_member *)pb)->ref & ~GK_FLAGS;
    return x < y ? -1 : x > y;
}

/* A member that holds the key's number as its own valid ID: 18 characters
 * equal to the key, of type 1 or 9, passing checks 1–5 (sex and birth date
 * 0 leave out the two that compare with the record). A register member
 * keeps no ID, but was filed under the key as its own (not old-ID) entry,
 * and its reason says the rest (a 15-digit number is legacy15). */
static int gs_holdsValid(const gr_record *r, uint64_t key, const id_context *idctx)
{
    if (r->from_register)
        return (r->id_type == '1' || r->id_type == '9') &&
               (r->reg_reason == XJ_ID_OK || r->reg_reason == XJ_ID_BIRTHDATE_MISMATCH ||
                r->reg_reason == XJ_ID_SEX_MISMATCH || r->reg_reason == XJ_ID_CHANGED);
    char k[18];
    id_unpack18(key, k);
    if (r->id_len != 18 || memcmp(r->id, k, 18) != 0 || (r->id_type != '1' && r->id_type != '9')) return 0;
    return id_check(idctx, r->id_type, r->id, 18, 0, 0).reason == XJ_ID_OK;
}

/* One candidate's confirmed members into m[0 .. *kept), by ref. */
static xj_error gs_confirmOne(const gk_groups *sus, size_t gi, const gr_index *ix, const id_context *idctx,
                              gs_member *m, size_t *kept)
{
    gk_group const g = sus->g[gi];
    for (uint32_t i = 0; i < g.n; i++) {
        uint64_t const ref = sus->refs[g.first + i];
        m[i].r = gr_find(ix, ref);
        if (XJ_NEVER(m[i].r == NULL)) return XJ_ERR_INTERNAL;
        m[i].ref = ref;
        m[i].is_a = !gs_isOwn(ref);
        m[i].is_b = !m[i].is_a && gs_holdsValid(m[i].r, g.lo, idctx);
    }
    /* runs of equal attributes: a run with an A and a B keeps both kinds,
     * in n log n whatever the number of records sharing the key */
    qsort(m, g.n, sizeof *m, gs_cmpAttrs);
    size_t w = 0;
    for (size_t i = 0; i < g.n;) {
        size_t j = i + 1;
        while (j < g.n && m[j].r->sex == m[i].r->sex && m[j].r->birth == m[i].r->birth &&
               m[j].r->name_len == m[i].r->name_len && memcmp(m[j].r->name, m[i].r->name, m[i].r->name_len) == 0)
            j++;
        int has_a = 0, has_b = 0;
        for (size_t k = i; k < j; k++) has_a |= m[k].is_a, has_b |= m[k].is_b;
        for (size_t k = i; k < j && has_a && has_b; k++)
            if (m[k].is_a || m[k].is_b) m[w++] = m[k];
        i = j;
    }
    qsort(m, w, sizeof *m, gs_cmpRef);
    *kept = w;
    return XJ_OK;
}

xj_error gs_confirm(gk_groups *sus, const gr_index *ix, const id_context *idctx, xj_status *st)
{
    size_t most = 0;
    for (size_t gi = 0; gi < sus->n; gi++) most = sus->g[gi].n > most ? sus->g[gi].n : most;
    gs_member *const m = xj_mallocArray(most ? most : 1, sizeof *m);
    RETURN_ERROR_IF(m == NULL, st, XJ_ERR_NOMEM, "out of memory");
    size_t w_group = 0, w_ref = 0;
    xj_error err = XJ_OK;
    for (size_t gi = 0; gi < sus->n && !err; gi++) {
        size_t kept = 0;
        err = gs_confirmOne(sus, gi, ix, idctx, m, &kept);
        if (err || kept == 0) continue;
        /* written down in place: w_ref never passes the group's first ref */
        gk_group const g = sus->g[gi];
        for (size_t k = 0; k < kept; k++) sus->refs[w_ref + k] = m[k].ref;
        sus->g[w_group++] = (gk_group){g.hi, g.lo, w_ref, (uint32_t)kept};
        w_ref += kept;
    }
    xj_free(m);
    RETURN_ERROR_IF(err, st, err, "internal error: a suspect's record was not gathered");
    sus->n = w_group;
    sus->n_refs = w_ref;
    return XJ_OK;
}
