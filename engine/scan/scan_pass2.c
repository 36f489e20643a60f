/*
 * scan_pass2 — from pass 1's key tables to the flagged records' fields:
 * group the keys (scan_group.c), list the flagged records, and read them
 * back from a second read of the inputs.
 *
 * Only flagged records (members of a group, or invalid IDs: a few percent)
 * are parsed again in full. Plain files are read back only where flagged
 * records lie; other inputs are read again, but only those stretches are
 * split (scan_fetch.c); an input that had an overlong record cut out is
 * read and split whole again, a chunk with no flagged line skipped after a
 * binary search. Either way a chunk's flagged records are gathered by
 * scan_gather.c. The second read sees the
 * same bytes as the first (files are reopened, standard input is replayed
 * from its spool); a file that changed in between so that a flagged record
 * is missing, moved or no longer parses is reported, not trusted
 * (tests/pipeline/test_changed.c).
 */
#include <stdlib.h>
#include <string.h>

#include "grp_keys.h"
#include "grp_suspects.h"
#include "scan_internal.h"
#include "xj_alloc.h"

int sc_cmpRefs(const void *a, const void *b)
{
    uint64_t const x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The sorted refs of every input record in a group or with an invalid ID
 * (a check's register members are not read back: they come decoded). */
static xj_error sc_listFlagged(sc_run *run)
{
    xj_status *const st = &run->scan->st;
    int const nw = run->n_workers;
    size_t n = 0;
    for (int kind = 0; kind < SC_KEY_KINDS; kind++) n += run->groups[kind].n_refs;
    n += run->suspects.n_refs;
    for (int t = 0; t < nw; t++) n += run->workers[t].found.n_inv;
    uint64_t *const f = xj_mallocArray(n ? n : 1, sizeof *f);
    RETURN_ERROR_IF(f == NULL, st, XJ_ERR_NOMEM, "out of memory listing flagged records");
    size_t at = 0;
    for (int kind = 0; kind < SC_KEY_KINDS; kind++)
        for (size_t i = 0; i < run->groups[kind].n_refs; i++) {
            uint64_t const ref = run->groups[kind].refs[i] & ~GK_FLAGS;
            if (gk_refSource(ref) < run->n_inputs) f[at++] = ref; /* not register members */
        }
    for (size_t i = 0; i < run->suspects.n_refs; i++) {
        uint64_t const ref = run->suspects.refs[i] & ~GK_FLAGS;
        if (gk_refSource(ref) < run->n_inputs) f[at++] = ref;
    }
    for (int t = 0; t < nw; t++)
        for (size_t i = 0; i < run->workers[t].found.n_inv; i++) f[at++] = run->workers[t].found.inv[i].ref;
    return sc_setFlagged(run, f, at);
}

xj_error sc_setFlagged(sc_run *run, uint64_t *refs, size_t n)
{
    if (gk_sortWords(refs, n) != 0) { /* a radix sort: qsort took ~0.3 s of one core at 200M rows */
        xj_free(refs);
        return st_fail(&run->scan->st, XJ_ERR_NOMEM, "out of memory sorting flagged records");
    }
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || refs[i] != refs[u - 1]) refs[u++] = refs[i];
    run->flagged = refs;
    run->n_flagged = u;
    run->gathered = xj_calloc(u ? u : 1, sizeof *run->gathered);
    RETURN_ERROR_IF(run->gathered == NULL, &run->scan->st, XJ_ERR_NOMEM, "out of memory");
    return XJ_OK;
}

xj_error sc_groupFound(sc_run *run, const sc_keyLookup *lookup, sc_found *const *found, size_t n,
                       gk_groups out[SC_KEY_KINDS])
{
    xj_status *const st = &run->scan->st;
    /* every kind gets 2 * n slots: the GB kind uses the second half for
     * the slipped entries (GK_SUSPECT); the other kinds point it at one
     * empty wide table, which grouping reads and frees nothing of */
    gk_table **const tabs = xj_calloc(SC_KEY_KINDS * 2 * (n ? n : 1), sizeof *tabs);
    RETURN_ERROR_IF(tabs == NULL, st, XJ_ERR_NOMEM, "out of memory");
    gk_table empty;
    gk_tableInit(&empty, 1);
    sc_keyTables tables = {.n = 2 * n};
    for (int kind = 0; kind < SC_KEY_KINDS; kind++) {
        tables.of[kind] = tabs + (size_t)kind * 2 * n;
        for (size_t t = 0; t < n; t++) {
            tables.of[kind][t] = &found[t]->keys[kind];
            tables.of[kind][n + t] = kind == GD_KEY_GB ? &found[t]->slips : &empty;
        }
    }
    int const attr_mixed = run->scan->attr_scope == XJ_ATTR_MIXED;
    xj_error const err = sc_groupKeys(&tables, lookup, attr_mixed, run->n_workers, out, st);
    xj_free(tabs);
    return err;
}

xj_error sc_groupFinish(sc_run *run)
{
    FORWARD_IF_ERROR(gs_split(&run->groups[GD_KEY_GB], &run->suspects, &run->scan->st));
    return sc_listFlagged(run);
}

xj_error sc_group(sc_run *run, const sc_keyLookup *lookup)
{
    size_t const nw = (size_t)run->n_workers;
    sc_found **const found = xj_calloc(nw, sizeof *found);
    RETURN_ERROR_IF(found == NULL, &run->scan->st, XJ_ERR_NOMEM, "out of memory");
    for (size_t t = 0; t < nw; t++) found[t] = &run->workers[t].found;
    xj_error const err = sc_groupFound(run, lookup, found, nw, run->groups);
    xj_free(found);
    FORWARD_IF_ERROR(err);
    return sc_groupFinish(run);
}

size_t sc_lowerBound(const uint64_t *v, size_t n, uint64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t const mid = lo + (hi - lo) / 2;
        if (v[mid] < key) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* A chunk of an input read again whole: its flagged records, found by a
 * binary search for its lines. */
static xj_error sc_pass2Chunk(sc_run *run, sc_worker *w, const rd_chunk *chunk)
{
    if (chunk->n_recs == 0) return XJ_OK;
    uint64_t const last_line = chunk->first_line + chunk->recs[chunk->n_recs - 1].line_delta;
    size_t const pos = sc_lowerBound(run->flagged, run->n_flagged, gk_ref(chunk->source, chunk->first_line));
    size_t const end = sc_lowerBound(run->flagged, run->n_flagged, gk_ref(chunk->source, last_line + 1));
    return sc_gatherChunk(run, w, chunk, pos, end);
}

xj_error sc_gatherPass(sc_run *run)
{
    FORWARD_IF_ERROR(sc_mapOutputColumns(run));
    run->n_gathered = run->n_flagged;
    if (run->n_flagged == 0) return XJ_OK;
    int rereadable = 1, contiguous = 1;
    for (size_t i = 0; i < run->n_inputs; i++) {
        rereadable &= run->inputs[i].rereadable || !sc_isMine(run, i);
        contiguous &= run->inputs[i].contiguous || !sc_isMine(run, i);
    }
    /* plain files: only the stretches around flagged records, in parallel;
     * zstd and standard input: read again, only those stretches split; an
     * input with an overlong record cut out (offsets no longer hold): all
     * read and split again */
    if (rereadable) FORWARD_IF_ERROR(sc_fetchPass(run));
    else if (contiguous) FORWARD_IF_ERROR(sc_fetchStreamPass(run));
    else FORWARD_IF_ERROR(sc_forEachChunk(run, 0, sc_pass2Chunk, "gathering"));
    for (size_t i = 0; i < run->n_flagged; i++) {
        RETURN_ERROR_IF(run->gathered[i].ref != run->flagged[i], &run->scan->st, XJ_ERR_INPUT,
                        "%s: line %llu was not found again on the second read; the input changed during the scan",
                        run->inputs[gk_refSource(run->flagged[i])].path,
                        (unsigned long long)gk_refLine(run->flagged[i]));
    }
    return XJ_OK;
}
