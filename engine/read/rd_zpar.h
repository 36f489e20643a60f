/*
 * rd_zpar — whole zstd frames decoded on worker threads, handed back in the
 * order they were queued.
 *
 * rd_input finds the frames of a multi-frame .zst (each one independent, as
 * pzstd and `xjdedup gen` write them) and queues them here; its reader takes
 * the oldest one as soon as it is decoded, while the workers decode the
 * next. A frame's buffers (its compressed bytes and its content) belong to
 * a slot that is reused frame after frame, so a long file costs no fresh
 * pages after the first few frames; memory is the slots' buffers, bounded
 * by the caller (frames in flight, bytes each).
 *
 * A frame the workers cannot decode is marked failed, nothing more: the
 * caller decodes it again with the streaming decoder, which says what is
 * wrong with it exactly as a single-threaded read would.
 */
#ifndef XJ_RD_ZPAR_H
#define XJ_RD_ZPAR_H

#include <stddef.h>

#include "xj_status.h"

typedef struct rd_zpar rd_zpar;

/* Free bytes before each frame's content in its buffer: whoever takes the
 * buffer over (rd_zparTake) can put the end of the text before it there. */
#define RD_ZPAR_HEADROOM ((size_t)64 << 10)

/* The oldest frame, once decoded. */
typedef struct rd_zframe {
    const char *out;   /* its content */
    size_t out_len;
    const char *src;   /* its compressed bytes, as queued */
    size_t src_len;
    int failed;        /* not decoded (corrupt, or not what its header declares) */
} rd_zframe;

/* `threads` workers (>= 1) and at most `slots` frames in flight. NULL when
 * no thread can be started or memory runs out. */
rd_zpar *rd_zparCreate(int threads, size_t slots);
/* Stops and joins the workers, frees every buffer. NULL is fine. */
void rd_zparFree(rd_zpar *z);

size_t rd_zparCount(const rd_zpar *z);    /* frames queued and not yet popped */
size_t rd_zparSlots(const rd_zpar *z);    /* the most there can be */
size_t rd_zparOutBytes(const rd_zpar *z); /* room reserved for their contents */

/* Queues src[0..n), one whole frame, for decoding into out_cap bytes;
 * `declared` is the content size its header gives, or
 * ZSTD_CONTENTSIZE_UNKNOWN; `verify`: check the content against the
 * frame's checksum, if it has one. Needs rd_zparCount < rd_zparSlots.
 * XJ_ERR_NOMEM when its buffers cannot grow. */
xj_error rd_zparSubmit(rd_zpar *z, const void *src, size_t n, size_t out_cap, unsigned long long declared,
                       int verify);

/* Waits until the oldest frame is decoded (or failed) and describes it;
 * valid until rd_zparPop. Needs rd_zparCount > 0. */
void rd_zparHead(rd_zpar *z, rd_zframe *f);
/* The compressed bytes of the i-th oldest frame (0: the head), decoded or
 * not: what a caller that falls back to streaming must replay. */
void rd_zparSource(const rd_zpar *z, size_t i, const char **src, size_t *len);
/* Releases the oldest frame. */
void rd_zparPop(rd_zpar *z);
/* Releases the oldest frame, once rd_zparHead has described it, and hands
 * its content's buffer over: the content lies at RD_ZPAR_HEADROOM in the
 * buffer returned (*alloc_cap bytes in all, the caller's to free). `give`
 * (give_cap bytes, or NULL) is kept in its place for later frames. */
char *rd_zparTake(rd_zpar *z, size_t *alloc_cap, char *give, size_t give_cap);
/* Forgets every frame, waiting for those a worker is decoding. */
void rd_zparClear(rd_zpar *z);

/* Tests: from now on every n-th frame queued (in any pool) fails as a frame
 * the workers cannot decode does; 0 turns this off. The caller's fallback
 * to streaming is thus tried on good data, where its bytes must be right. */
void rd_zparFailEvery(unsigned n);

#endif
