/*
 * ixb_blocks — the index build's hook into pass 1: every accepted record
 * packed into its worker's open payload block, and each chunk's blocks
 * written to the file as soon as every chunk before it is (ixb_state says
 * how). The keys of a record are filed by pass 1 itself, under the
 * provisional number the hook gives it (ixb_internal.h).
 *
 * Cost: the record's fields encoded once (ix_encodeRecord) and its block
 * hashed by the worker that made it; the writing, serial, overlaps the
 * other workers' parsing. The name is kept as read: a check normalizes the
 * few register records it uses, so the build does not normalize every name.
 */
#include "ixb_internal.h"
#include "xj_alloc.h"

#include <xxhash.h>

static xj_error ixb_push(ixb_blocks *b, const ixb_block *blk)
{
    if (xj_growArray(&b->v, &b->cap, b->n + 1, sizeof *b->v, 16) != 0) return XJ_ERR_NOMEM;
    b->v[b->n++] = *blk;
    return XJ_OK;
}

void ixb_blocksFree(ixb_blocks *b)
{
    for (size_t i = 0; i < b->n; i++) xj_free(b->v[i].data);
    xj_free(b->v);
    *b = (ixb_blocks){0};
}

xj_error ixb_keepBlock(ix_blockBuilder *blk, uint64_t id, ixb_blocks *into)
{
    ixb_block b = {.id = id, .n = blk->n, .source = blk->source};
    b.data = ix_blockTake(blk, &b.len);
    if (b.data == NULL) return XJ_ERR_NOMEM;
    b.hash = XXH3_64bits(b.data, b.len);
    xj_error const err = ixb_push(into, &b);
    if (err) xj_free(b.data);
    return err;
}

xj_error ixb_writeBlocks(ixb_state *s, ixb_blocks *b, xj_status *st)
{
    xj_error err = XJ_OK;
    struct iovec *const v = xj_mallocArray(b->n ? b->n : 1, sizeof *v);
    if (v == NULL) err = st_fail(st, XJ_ERR_NOMEM, "out of memory building the index");
    for (size_t i = 0; !err && i < b->n; i++) v[i] = (struct iovec){b->v[i].data, b->v[i].len};
    if (!err) err = s->spill_fd >= 0 ? ixb_spillBlocks(s, b, st) : ix_writerPutBlocks(s->out, v, b->n, st);
    for (size_t i = 0; !err && i < b->n; i++) {
        xj_free(b->v[i].data);
        b->v[i].data = NULL;
        err = ixb_push(&s->written, &b->v[i]);
        if (err) st_fail(st, err, "out of memory building the index");
    }
    xj_free(v);
    ixb_blocksFree(b);
    return err;
}

/* Chunk `seq` is done: its blocks join the queue, and unless another worker
 * is writing, this one writes every chunk that is next in line. */
static xj_error ixb_chunkDone(ixb_state *s, uint64_t seq, ixb_blocks *blocks, xj_status *st)
{
    xj_error err = XJ_OK;
    pthread_mutex_lock(&s->mu);
    if (xj_growArray(&s->pending, &s->cap_pending, s->n_pending + 1, sizeof *s->pending, 16) != 0)
        err = XJ_ERR_NOMEM;
    if (err) {
        pthread_mutex_unlock(&s->mu);
        ixb_blocksFree(blocks);
        return st_fail(st, err, "out of memory building the index");
    }
    s->pending[s->n_pending++] = (ixb_pending){seq, *blocks};
    *blocks = (ixb_blocks){0};
    if (s->writing) {
        pthread_mutex_unlock(&s->mu);
        return XJ_OK;
    }
    s->writing = 1;
    for (;;) {
        size_t k = 0;
        while (k < s->n_pending && s->pending[k].seq != s->next_seq) k++;
        if (k == s->n_pending || err) break;
        ixb_blocks next = s->pending[k].blocks;
        s->pending[k] = s->pending[--s->n_pending];
        s->next_seq++;
        pthread_mutex_unlock(&s->mu);
        err = ixb_writeBlocks(s, &next, st);
        pthread_mutex_lock(&s->mu);
    }
    s->writing = 0;
    pthread_mutex_unlock(&s->mu);
    return err;
}

static xj_error ixb_closeBlock(ixb_worker *b)
{
    if (b->blk.n == 0) return XJ_OK;
    FORWARD_IF_ERROR(ixb_keepBlock(&b->blk, b->open_id, &b->chunk));
    b->blk.n = 0;
    return XJ_OK;
}

static xj_error ixb_add(ixb_worker *b, const ix_record *r, uint64_t *key_ref)
{
    if (b->blk.n == IX_BLOCK_RECORDS || (b->blk.n && b->blk.source != r->source)) FORWARD_IF_ERROR(ixb_closeBlock(b));
    if (b->blk.n == 0) {
        FORWARD_IF_ERROR(ix_blockBegin(&b->blk, r->source, r->line));
        b->open_id = b->t + (uint64_t)b->n_workers * b->made++;
    }
    uint32_t const pos = b->blk.n;
    FORWARD_IF_ERROR(ix_encodeRecord(&b->blk, r));
    *key_ref = b->open_id << IXB_POS_BITS | pos;
    return XJ_OK;
}

/* sc_recordHook.record: the record into the worker's open block; its keys
 * are filed under its provisional number. */
static xj_error ixb_onRecord(void *user, int worker, uint32_t source, uint64_t line, const ps_view *v,
                             const ck_facts *f, uint64_t *key_ref, xj_status *st)
{
    ixb_state *const s = user;
    ix_record const r = {
        .line = line,
        .source = s->source_base + source,
        .registered = ck_registered(v),
        .birth = f->birth,
        .sex = (uint8_t)f->sex,
        .has_id = f->id_len != 0,
        .reason = (uint8_t)f->id_res.reason,
        .id_type = f->id_type,
        .school = v->val[PS_SCHOOL_CODE],
        .school_len = v->len[PS_SCHOOL_CODE],
        .county = v->val[PS_REGION_CODE],
        .county_len = v->len[PS_REGION_CODE],
        .student_no = v->val[PS_STUDENT_NO],
        .student_no_len = v->len[PS_STUDENT_NO],
        .name = v->val[PS_NAME],
        .name_len = v->len[PS_NAME],
        .valid_id = f->id_res.reason == XJ_ID_OK && f->id_res.space == ID_KEY_GB && f->id_len == 18 ? f->id : NULL,
    };
    xj_error const err = ixb_add(&s->workers[worker], &r, key_ref);
    RETURN_ERROR_IF(err == XJ_ERR_NOMEM, st, err, "out of memory building the index");
    RETURN_ERROR_IF(err, st, err, "internal error: a record out of order for its index block");
    return XJ_OK;
}

/* sc_recordHook.chunk_done: the chunk's last block closed, its blocks
 * queued (and maybe written). */
static xj_error ixb_onChunkDone(void *user, int worker, const rd_chunk *chunk, xj_status *st)
{
    ixb_state *const s = user;
    ixb_worker *const b = &s->workers[worker];
    xj_error const err = ixb_closeBlock(b);
    RETURN_ERROR_IF(err, st, err, "out of memory building the index");
    return ixb_chunkDone(s, chunk->seq, &b->chunk, st);
}

xj_error ixb_stateInit(ixb_state *s, sc_run *run, const char *path, uint32_t source_base)
{
    s->workers = xj_calloc((size_t)run->n_workers, sizeof *s->workers);
    RETURN_ERROR_IF(s->workers == NULL, &run->scan->st, XJ_ERR_NOMEM, "out of memory");
    s->n_workers = run->n_workers;
    s->source_base = source_base;
    pthread_mutex_init(&s->mu, NULL);
    s->have_mu = 1;
    for (int t = 0; t < run->n_workers; t++) {
        ixb_worker *const b = &s->workers[t];
        b->t = (unsigned)t;
        b->n_workers = (unsigned)run->n_workers;
        ix_builderInit(&b->blk);
    }
    s->hook = (sc_recordHook){ixb_onRecord, ixb_onChunkDone, s};
    run->hook = &s->hook;
    s->spill_fd = -1;
    /* several processes: each spills its blocks, and rank 0 opens the file
     * once they are all in (ixb_distFinishPass) */
    if (run->n_ranks > 1) return ixb_distOpen(s, run, path);
    return ix_writerOpen(path, &s->out, &run->scan->st);
}

void ixb_stateFree(ixb_state *s, sc_run *run)
{
    for (int t = 0; s->workers && t < s->n_workers; t++) {
        ix_builderFree(&s->workers[t].blk);
        ixb_blocksFree(&s->workers[t].chunk);
    }
    xj_free(s->workers);
    for (size_t k = 0; k < s->n_pending; k++) ixb_blocksFree(&s->pending[k].blocks);
    xj_free(s->pending);
    ixb_blocksFree(&s->written);
    ix_writerAbort(s->out); /* NULL once finished */
    ixb_distClose(s);
    if (s->have_mu) pthread_mutex_destroy(&s->mu);
    if (run->hook == &s->hook) run->hook = NULL;
}
