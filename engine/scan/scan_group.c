/*
 * scan_group — the grouping stage (scan_group.h): key tables to groups, and
 * a source asked by key joined in.
 *
 * The join keeps the tables' members of a key first and the looked-up ones
 * after them, so a group reads as it would if the source's records had
 * been tables of inputs that come after the tables' own: a batch check's
 * groups are those of the scan of the register and the batch, for the
 * batch's keys (scan_against.c). Cost: the join copies each candidate's
 * refs once; a key whose members stay under two costs a comparison.
 */
#include "grp_decide.h"
#include "scan_group.h"
#include "xj_alloc.h"

void sc_keyHitsFree(sc_keyHits *h)
{
    xj_free(h->refs);
    xj_free(h->first);
    h->refs = NULL;
    h->first = NULL;
}

/* out: the keys with their hits appended, where that makes two members or
 * more (and, with need_no_id, one of them without an ID number). */
static xj_error sc_joinKind(const gk_groups *keys, const sc_keyHits *hits, int need_no_id, gk_groups *out,
                            xj_status *st)
{
    size_t const n_refs = keys->n_refs + hits->first[keys->n];
    out->g = xj_mallocArray(keys->n ? keys->n : 1, sizeof *out->g);
    out->refs = xj_mallocArray(n_refs ? n_refs : 1, sizeof *out->refs);
    RETURN_ERROR_IF(!out->g || !out->refs, st, XJ_ERR_NOMEM, "out of memory");
    for (size_t g = 0; g < keys->n; g++) {
        gk_group const *const kg = &keys->g[g];
        size_t const h0 = hits->first[g], h1 = hits->first[g + 1];
        if (kg->n + (h1 - h0) < 2) continue;
        int has_no_id = 0;
        size_t const start = out->n_refs;
        for (uint32_t i = 0; i < kg->n; i++) {
            uint64_t const ref = keys->refs[kg->first + i];
            has_no_id |= !(ref & GK_HAS_ID);
            out->refs[out->n_refs++] = ref;
        }
        for (size_t h = h0; h < h1; h++) {
            has_no_id |= !(hits->refs[h] & GK_HAS_ID);
            out->refs[out->n_refs++] = hits->refs[h];
        }
        if (need_no_id && !has_no_id) {
            out->n_refs = start;
            continue;
        }
        /* looked-up refs come after the tables' and are ascending: the
         * group's refs are in order */
        out->g[out->n++] = (gk_group){kg->hi, kg->lo, start, (uint32_t)(out->n_refs - start)};
    }
    return XJ_OK;
}

/* Every distinct key of the tables, asked of `lookup`, then joined. */
static xj_error sc_groupJoined(const sc_keyTables *tables, const sc_keyLookup *lookup, int attr_mixed, int threads,
                               gk_groups out[SC_KEY_KINDS], xj_status *st)
{
    gk_groups keys[SC_KEY_KINDS] = {0};
    sc_keyHits hits[SC_KEY_KINDS] = {0};
    xj_error err = XJ_OK;
    for (int kind = 0; kind < SC_KEY_KINDS && !err; kind++)
        err = gk_findGroups(tables->of[kind], tables->n, 1, 0, threads, &keys[kind], st);
    if (!err) err = lookup->find(lookup->self, keys, hits, st);
    for (int kind = 0; kind < SC_KEY_KINDS && !err; kind++)
        err = sc_joinKind(&keys[kind], &hits[kind], kind == GD_KEY_ATTR && attr_mixed, &out[kind], st);
    for (int kind = 0; kind < SC_KEY_KINDS; kind++) {
        gk_groupsFree(&keys[kind]);
        sc_keyHitsFree(&hits[kind]);
    }
    return err;
}

xj_error sc_groupKeys(const sc_keyTables *tables, const sc_keyLookup *lookup, int attr_mixed, int threads,
                      gk_groups out[SC_KEY_KINDS], xj_status *st)
{
    if (lookup) return sc_groupJoined(tables, lookup, attr_mixed, threads, out, st);
    for (int kind = 0; kind < SC_KEY_KINDS; kind++) {
        int const need_no_id = kind == GD_KEY_ATTR && attr_mixed;
        FORWARD_IF_ERROR(gk_findGroups(tables->of[kind], tables->n, 2, need_no_id, threads, &out[kind], st));
    }
    return XJ_OK;
}
