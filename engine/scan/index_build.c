/*
 * index_build — `xjdedup index build` and `index update`: one pass over the
 * register (the scan's pass 1 with a record hook, ixb_blocks.c) that packs
 * records into blocks and streams them to the file in record order
 * (ix_writer), then the key tables grouped by key (ixb_keys.c) and the rest
 * of the file; an update carries the old index's surviving records over
 * first (ixb_update.c). ixb_internal.h says how records are numbered.
 *
 * Guarantees: the index file is replaced whole or not at all (ix_writer);
 * the same inputs give the same bytes for any thread count and chunk size
 * (SOURCE_DATE_EPOCH fixes the build time). Cost: a scan's pass 1, plus
 * every key sorted once; no second pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ixb_internal.h"
#include "xj_alloc.h"
#include "xj_clock.h"
#include "xj_comm.h"
#include "xj_file.h"

static uint64_t ixb_buildTime(void)
{
    const char *const env = getenv("SOURCE_DATE_EPOCH"); /* reproducible builds */
    if (env && *env) return strtoull(env, NULL, 10);
    return (uint64_t)time(NULL);
}

/* The pass: the old blocks written first, then the inputs' records as they
 * are packed; then the blocks numbered. */
static xj_error ixb_pass(sc_run *run, ixb_state *state, ixb_blocks *old, ixb_plan *plan, const char *path,
                         xj_error err)
{
    xj_status *const st = &run->scan->st;
    size_t const first_warning = run->scan->warnings.n;
    if (!err) err = ixb_writeBlocks(state, old, st);
    if (!err && run->n_inputs) err = sc_pass1(run);
    run->timing.read_parse_seconds = xj_now() - run->start;
    /* several processes: every one goes on to number the blocks together */
    if (run->n_ranks > 1) return ixb_distFinishPass(run, state, plan, first_warning, path, err);
    FORWARD_IF_ERROR(err);
    RETURN_ERROR_IF(state->n_pending, st, XJ_ERR_INTERNAL, "internal error: %zu chunks of blocks not written",
                    state->n_pending);
    return ixb_planMake(state, plan, st);
}

/* The file after the blocks: META (its sources: `old_sources`, then the
 * inputs'), the key sections, then the block table and the header. On
 * several processes every one calls it: rank 0 writes, and the key
 * sections are laid out by the shards' owners (ixb_distWriteKeys). */
static xj_error ixb_finishFile(sc_run *run, ixb_state *state, const ixb_plan *plan, uint32_t flags, gk_table *extra,
                               const ix_source *old_sources, size_t n_old_sources)
{
    xj_status *const st = &run->scan->st;
    size_t const n_sources = n_old_sources + run->n_inputs;
    size_t const n_blocks = state->written.n;
    ix_source *const sources = xj_calloc(n_sources ? n_sources : 1, sizeof *sources);
    ix_block *const blocks = xj_calloc(n_blocks ? n_blocks : 1, sizeof *blocks);
    xj_error err = sources && blocks ? XJ_OK : st_fail(st, XJ_ERR_NOMEM, "out of memory");
    ix_writeSpec spec = {0};
    if (!err && run->rank == 0) { /* several processes: rank 0 writes the file */
        for (size_t i = 0; i < n_old_sources; i++) sources[i] = old_sources[i];
        for (size_t i = 0; i < run->n_inputs; i++) {
            em_input const *const f = &run->inputs[i].facts;
            sources[n_old_sources + i].name = (char *)f->name;
            sources[n_old_sources + i].bytes = f->bytes;
            memcpy(sources[n_old_sources + i].xxh3_128, f->xxh3_128, sizeof f->xxh3_128);
        }
        for (size_t i = 0; i < n_blocks; i++) {
            ixb_block const *const b = &state->written.v[i];
            blocks[i] = (ix_block){b->len, b->hash, b->first, b->n};
        }
        spec = (ix_writeSpec){
            .records = plan->records,
            .run_date = run->idctx.run_date,
            .flags = flags,
            .build_time = ixb_buildTime(),
            .sources = sources,
            .n_sources = n_sources,
            .blocks = blocks,
            .n_blocks = n_blocks,
        };
        err = ix_writerPutMeta(state->out, &spec, st);
    }
    /* several processes: each lays out the shards it owns (collective) */
    if (run->n_ranks > 1) err = xc_agree(err, st);
    if (!err)
        err = run->n_ranks > 1 ? ixb_distWriteKeys(run, state, plan) : ixb_writeKeys(run, plan, extra, state->out);
    if (!err && run->rank == 0) {
        ix_writer *const out = state->out;
        state->out = NULL; /* finishing frees it, whatever happens */
        err = ix_writerFinish(out, &spec, st);
    }
    xj_free(blocks);
    xj_free(sources);
    return err;
}

static void ixb_fillStats(sc_run *run)
{
    xj_scan *const s = run->scan;
    sc_counts const c = sc_countFound(run);
    memset(&s->stats, 0, sizeof s->stats);
    s->stats.rows_accepted = c.accepted;
    s->stats.rows_rejected = c.rejected;
    s->stats.rows_read = c.accepted + c.rejected;
    s->stats.blank_lines = c.blank;
    for (size_t i = 0; i < run->n_inputs; i++) s->stats.bytes_read += run->inputs[i].facts.decoded_bytes;
    s->stats.wall_seconds = xj_now() - run->start;
}

/* The index at `path` from the run's inputs and what `old` carries over. */
static xj_error ixb_run(sc_run *run, const char *path, uint32_t flags, ixb_old *old)
{
    ixb_state state = {0};
    ixb_plan plan = {0};
    uint32_t const n_old_sources = old->ix ? (uint32_t)old->ix->n_sources : 0;
    xj_error err = ixb_stateInit(&state, run, path, n_old_sources);
    if (!err || run->n_ranks > 1) err = ixb_pass(run, &state, &old->blocks, &plan, path, err);
    if (!err)
        err = ixb_finishFile(run, &state, &plan, flags, old->extra, old->ix ? old->ix->sources : NULL, n_old_sources);
    if (!err && run->rank == 0) ixb_fillStats(run);
    if (run->n_ranks > 1) err = xc_agree(err, &run->scan->st);
    ixb_planFree(&plan);
    ixb_stateFree(&state, run);
    return err;
}

/* A build (old_path NULL) or an update. The lists beside the index are
 * named before anything is written, so a build without rejects or
 * unmatched numbers allocates nothing once the index is committed. */
static xj_error ixb_main(xj_scan *s, const char *old_path, const char *remove_path, const char *path)
{
    st_init(&s->st);
    memset(&s->stats, 0, sizeof s->stats);
    nt_clear(&s->warnings);
    RETURN_ERROR_IF(path == NULL || *path == '\0', &s->st, XJ_ERR_USAGE, "no index path given (-o FILE.xji)");
    /* the handle's settings are restored at the end: it may run again */
    xj_attrScope const saved_scope = s->attr_scope;
    uint32_t const saved_date = s->run_date;
    ixb_old old = {0};
    xj_error err = ixb_oldOpen(&old, s, old_path, remove_path);
    uint32_t const flags = s->attr_scope == XJ_ATTR_MIXED ? IX_FLAG_ATTR_MIXED : 0;
    sc_run run;
    memset(&run, 0, sizeof run);
    run.scan = s;
    run.start = xj_now();
    run.rank = xc_rank();
    run.n_ranks = xc_size();
    if (!err && run.n_ranks > 1 && old_path)
        err = st_fail(&s->st, XJ_ERR_USAGE, "index update runs as one process: start it without mpirun");
    char *const rejects_path = err ? NULL : ixb_besidePath(path, ".rejects.csv");
    char *const unmatched_path = err ? NULL : ixb_besidePath(path, ".unmatched.txt");
    if (!err && (rejects_path == NULL || unmatched_path == NULL)) err = st_fail(&s->st, XJ_ERR_NOMEM, "out of memory");
    if (!err) err = sc_prepare(&run, SC_NO_OUTDIR | SC_ONE_PASS | SC_DIST_OK | (old.ix ? SC_NO_INPUT_OK : 0));
    if (!err) err = ixb_oldCarry(&old, &run, unmatched_path);
    if (run.n_ranks > 1) err = xc_agree(err, &s->st); /* every process, whatever happened to it */
    if (!err) err = ixb_run(&run, path, flags, &old);
    if (!err && run.rank == 0) err = ixb_writeRejects(&run, rejects_path, &s->st);
    if (run.n_ranks > 1) err = xc_agree(err, &s->st);
    if (!err && old.unmatched.len)
        err = af_writeFile(unmatched_path, ".unmatched.txt", old.unmatched.data, old.unmatched.len,
                           "the unmatched student numbers", &s->st);
    else if (!err) remove(unmatched_path); /* none: no list from an earlier update stays */
    if (!err) {
        s->stats.removed_records = old.removed;
        s->stats.remove_unmatched = old.rm.unmatched;
        s->stats.run_date = run.idctx.run_date;
        s->stats.attr_mixed = s->attr_scope == XJ_ATTR_MIXED;
    }
    sc_runFree(&run);
    ixb_oldFree(&old);
    xj_free(rejects_path);
    xj_free(unmatched_path);
    s->attr_scope = saved_scope;
    s->run_date = saved_date;
    if (err && s->st.code == XJ_OK) st_fail(&s->st, err, "%s", xj_errorName(err));
    return err;
}

xj_error xj_scan_buildIndex(xj_scan *s, const char *path)
{
    return ixb_main(s, NULL, NULL, path);
}

xj_error xj_scan_updateIndex(xj_scan *s, const char *old_path, const char *remove_path, const char *path)
{
    if (old_path == NULL || *old_path == '\0') return st_fail(&s->st, XJ_ERR_USAGE, "no index to update given");
    return ixb_main(s, old_path, remove_path, path);
}
