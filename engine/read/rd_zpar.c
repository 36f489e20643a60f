/*
 * rd_zpar — see rd_zpar.h.
 *
 * The slots form a ring: `head` is the oldest frame, `count` frames follow
 * it in order. A slot is FREE, QUEUED (waiting for a worker), BUSY (a worker
 * decodes it) or DONE. Workers take the oldest QUEUED slot, so frames finish
 * roughly in order and the reader seldom waits behind a later one. One mutex
 * guards the states; a worker touches a slot's buffers only while it holds
 * the slot BUSY, the reader only while the slot is FREE or DONE, or (reading
 * the compressed bytes) any time it is queued, since nobody writes those.
 */
#include "rd_zpar.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_d_stableOutBuffer, ZSTD_d_forceIgnoreChecksum */
#include <zstd.h>

#include "rd_input.h"
#include "xj_alloc.h"

enum { ZP_FREE = 0, ZP_QUEUED, ZP_BUSY, ZP_DONE };

typedef struct zp_slot {
    int state;
    char *src;                      /* the frame's compressed bytes */
    size_t src_len, src_cap;
    char *out;                      /* its content, at RD_ZPAR_HEADROOM */
    size_t out_len, out_cap;        /* out_cap: room asked for this frame */
    size_t out_alloc;               /* bytes allocated at out */
    unsigned long long declared;    /* content size its header gives, or unknown */
    int failed;
    int fail;                       /* tests: fail it (rd_zparFailEvery) */
    int verify;                     /* check the frame's checksum, if it has one */
} zp_slot;

struct rd_zpar {
    pthread_mutex_t mu;
    pthread_cond_t work;            /* a slot was queued, or stop */
    pthread_cond_t done;            /* a slot became DONE, or a worker went idle */
    zp_slot *slot;
    size_t n_slots, head, count;
    size_t out_bytes;               /* sum of out_cap over queued slots */
    int busy;                       /* slots being decoded right now */
    int stop;
    pthread_t *th;
    int n_th;
};

/* Decodes one frame with the worker's context, by the streaming decoder's
 * rules (the one-shot call let a block larger than the frame's window
 * through, which the streaming one refuses: the fuzz target csv found it).
 * A frame must come out whole and at exactly the size its header declares,
 * else it is failed and the serial streaming decoder will say why. */
static void zp_decode(ZSTD_DCtx *dctx, zp_slot *s)
{
    s->failed = 1;
    s->out_len = 0;
    if (dctx == NULL || s->fail) return;
    ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
    ZSTD_DCtx_setParameter(dctx, ZSTD_d_forceIgnoreChecksum, s->verify ? ZSTD_d_validateChecksum
                                                                       : ZSTD_d_ignoreChecksum);
    ZSTD_inBuffer in = {s->src, s->src_len, 0};
    ZSTD_outBuffer out = {s->out + RD_ZPAR_HEADROOM, s->out_cap, 0};
    size_t const r = ZSTD_decompressStream(dctx, &out, &in);
    if (ZSTD_isError(r) || r != 0 || in.pos != in.size) return; /* an error, or the frame not ended */
    if (s->declared != ZSTD_CONTENTSIZE_UNKNOWN && out.pos != s->declared) return;
    s->out_len = out.pos;
    s->failed = 0;
}

static void *zp_worker(void *arg)
{
    rd_zpar *const z = arg;
    ZSTD_DCtx *const dctx = ZSTD_createDCtx();
    if (dctx) {
        /* the serial decoder's limits, and straight into the slot's buffer */
        ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, XJ_RD_WINDOW_LOG);
        ZSTD_DCtx_setParameter(dctx, ZSTD_d_stableOutBuffer, 1);
    }
    pthread_mutex_lock(&z->mu);
    for (;;) {
        zp_slot *s = NULL;
        for (size_t i = 0; i < z->count && s == NULL; i++) {
            zp_slot *const c = &z->slot[(z->head + i) % z->n_slots];
            if (c->state == ZP_QUEUED) s = c;
        }
        if (s == NULL) {
            if (z->stop) break;
            pthread_cond_wait(&z->work, &z->mu);
            continue;
        }
        s->state = ZP_BUSY;
        z->busy++;
        pthread_mutex_unlock(&z->mu);
        zp_decode(dctx, s);
        pthread_mutex_lock(&z->mu);
        s->state = ZP_DONE;
        z->busy--;
        pthread_cond_broadcast(&z->done);
    }
    pthread_mutex_unlock(&z->mu);
    ZSTD_freeDCtx(dctx);
    return NULL;
}

rd_zpar *rd_zparCreate(int threads, size_t slots)
{
    rd_zpar *const z = xj_calloc(1, sizeof *z);
    if (z == NULL) return NULL;
    z->slot = xj_calloc(slots, sizeof *z->slot);
    z->th = xj_calloc((size_t)threads, sizeof *z->th);
    if (z->slot == NULL || z->th == NULL) {
        xj_free(z->slot);
        xj_free(z->th);
        xj_free(z);
        return NULL;
    }
    z->n_slots = slots;
    pthread_mutex_init(&z->mu, NULL);
    pthread_cond_init(&z->work, NULL);
    pthread_cond_init(&z->done, NULL);
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&z->th[z->n_th], NULL, zp_worker, z) != 0) break;
        z->n_th++;
    }
    if (z->n_th == 0) {
        rd_zparFree(z);
        return NULL;
    }
    return z;
}

void rd_zparFree(rd_zpar *z)
{
    if (z == NULL) return;
    pthread_mutex_lock(&z->mu);
    z->stop = 1;
    pthread_cond_broadcast(&z->work);
    pthread_mutex_unlock(&z->mu);
    for (int i = 0; i < z->n_th; i++) pthread_join(z->th[i], NULL);
    for (size_t i = 0; i < z->n_slots; i++) {
        xj_free(z->slot[i].src);
        xj_free(z->slot[i].out);
    }
    pthread_cond_destroy(&z->work);
    pthread_cond_destroy(&z->done);
    pthread_mutex_destroy(&z->mu);
    xj_free(z->slot);
    xj_free(z->th);
    xj_free(z);
}

/* Only the reader calls the functions below, and only it changes count,
 * head and out_bytes, so it may read them without the lock. */
size_t rd_zparCount(const rd_zpar *z) { return z->count; }
size_t rd_zparSlots(const rd_zpar *z) { return z->n_slots; }
size_t rd_zparOutBytes(const rd_zpar *z) { return z->out_bytes; }

/* Grows *buf to hold `want` bytes (contents need not survive). */
static int zp_reserve(char **buf, size_t *cap, size_t want)
{
    if (want <= *cap) return 0;
    char *const grown = xj_mallocHuge(want);
    if (grown == NULL) return -1;
    xj_free(*buf);
    *buf = grown;
    *cap = want;
    return 0;
}

static _Atomic unsigned zp_fail_every;  /* rd_zparFailEvery */
static _Atomic unsigned zp_submitted;   /* frames queued while it is on */

void rd_zparFailEvery(unsigned n)
{
    atomic_store(&zp_fail_every, n);
    atomic_store(&zp_submitted, 0);
}

xj_error rd_zparSubmit(rd_zpar *z, const void *src, size_t n, size_t out_cap, unsigned long long declared,
                       int verify)
{
    /* the slot after the last queued one is FREE: only the reader frees
     * slots, and count < n_slots */
    zp_slot *const s = &z->slot[(z->head + z->count) % z->n_slots];
    if (zp_reserve(&s->src, &s->src_cap, n ? n : 1) != 0 ||
        zp_reserve(&s->out, &s->out_alloc, RD_ZPAR_HEADROOM + out_cap) != 0)
        return XJ_ERR_NOMEM;
    memcpy(s->src, src, n);
    s->src_len = n;
    s->out_cap = out_cap;
    s->declared = declared;
    s->verify = verify;
    unsigned const every = atomic_load_explicit(&zp_fail_every, memory_order_relaxed);
    s->fail = every && (atomic_fetch_add(&zp_submitted, 1) + 1) % every == 0;
    pthread_mutex_lock(&z->mu);
    s->state = ZP_QUEUED;
    z->count++;
    z->out_bytes += out_cap;
    pthread_cond_signal(&z->work);
    pthread_mutex_unlock(&z->mu);
    return XJ_OK;
}

void rd_zparHead(rd_zpar *z, rd_zframe *f)
{
    zp_slot *const s = &z->slot[z->head];
    pthread_mutex_lock(&z->mu);
    while (s->state != ZP_DONE) pthread_cond_wait(&z->done, &z->mu);
    pthread_mutex_unlock(&z->mu);
    *f = (rd_zframe){s->out + RD_ZPAR_HEADROOM, s->out_len, s->src, s->src_len, s->failed};
}

char *rd_zparTake(rd_zpar *z, size_t *alloc_cap, char *give, size_t give_cap)
{
    zp_slot *const s = &z->slot[z->head];
    char *const taken = s->out;
    *alloc_cap = s->out_alloc;
    s->out = give;
    s->out_alloc = give ? give_cap : 0;
    rd_zparPop(z);
    return taken;
}

void rd_zparSource(const rd_zpar *z, size_t i, const char **src, size_t *len)
{
    const zp_slot *const s = &z->slot[(z->head + i) % z->n_slots];
    *src = s->src;
    *len = s->src_len;
}

void rd_zparPop(rd_zpar *z)
{
    zp_slot *const s = &z->slot[z->head];
    pthread_mutex_lock(&z->mu);
    s->state = ZP_FREE;
    z->out_bytes -= s->out_cap;
    z->head = (z->head + 1) % z->n_slots;
    z->count--;
    pthread_mutex_unlock(&z->mu);
}

void rd_zparClear(rd_zpar *z)
{
    pthread_mutex_lock(&z->mu);
    /* nothing still queued may be picked up; then wait for the busy ones */
    for (size_t i = 0; i < z->count; i++) {
        zp_slot *const s = &z->slot[(z->head + i) % z->n_slots];
        if (s->state == ZP_QUEUED) s->state = ZP_DONE;
    }
    while (z->busy > 0) pthread_cond_wait(&z->done, &z->mu);
    for (size_t i = 0; i < z->n_slots; i++) z->slot[i].state = ZP_FREE;
    z->head = 0;
    z->count = 0;
    z->out_bytes = 0;
    pthread_mutex_unlock(&z->mu);
}
