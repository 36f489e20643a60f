/*
 * rd_simd — see rd_simd.h.
 *
 * Each implementation classifies whole 64-byte blocks. The last, partial
 * block is taken from the 64 bytes that end the text (their masks shifted
 * down past the bytes already done), so nothing after p[n) is read; a text
 * shorter than one block is copied into a zeroed block first.
 */
#include "rd_simd.h"

#include <string.h>

static void rd_blocksScalar(const char *p, size_t nblocks, char ca, char cb, uint64_t *a, uint64_t *b)
{
    for (size_t k = 0; k < nblocks; k++, p += 64) rd_block2Scalar(p, ca, cb, &a[k], &b[k]);
}

#ifdef RD_SIMD_X86
static void rd_blocksSse2(const char *p, size_t nblocks, char ca, char cb, uint64_t *a, uint64_t *b)
{
    for (size_t k = 0; k < nblocks; k++, p += 64) rd_block2Sse2(p, ca, cb, &a[k], &b[k]);
}

__attribute__((target("avx2"))) static void rd_blocksAvx2(const char *p, size_t nblocks, char ca, char cb,
                                                          uint64_t *a, uint64_t *b)
{
    for (size_t k = 0; k < nblocks; k++, p += 64) rd_block2Avx2(p, ca, cb, &a[k], &b[k]);
}
#endif

typedef void rd_blocksFn(const char *p, size_t nblocks, char ca, char cb, uint64_t *a, uint64_t *b);

static rd_blocksFn *rd_blocksFor(rd_simdLevel level)
{
#ifdef RD_SIMD_X86
    if (level == RD_SIMD_AVX2) return rd_blocksAvx2;
    if (level == RD_SIMD_SSE2) return rd_blocksSse2;
#endif
    (void)level;
    return rd_blocksScalar;
}

rd_simdLevel rd_simdBest(void)
{
#ifdef RD_SIMD_X86
    return __builtin_cpu_supports("avx2") ? RD_SIMD_AVX2 : RD_SIMD_SSE2;
#else
    return RD_SIMD_SCALAR;
#endif
}

_Atomic int rd_simd_level = -1;

rd_simdLevel rd_simdFirst(void)
{
    rd_simdLevel const l = rd_simdBest();
    atomic_store_explicit(&rd_simd_level, (int)l, memory_order_relaxed);
    return l;
}

rd_simdLevel rd_simdSet(rd_simdLevel level)
{
    rd_simdLevel const best = rd_simdBest();
    rd_simdLevel const use = level > best ? best : level;
    atomic_store_explicit(&rd_simd_level, (int)use, memory_order_relaxed);
    return use;
}

void rd_mask2At(rd_simdLevel level, const char *p, size_t n, char ca, char cb, uint64_t *a, uint64_t *b)
{
    rd_blocksFn *const blocks = rd_blocksFor(level);
    size_t const full = n / 64, tail = n % 64;
    if (full) blocks(p, full, ca, cb, a, b);
    if (tail == 0) return;
    uint64_t ta, tb;
    if (full) {
        /* the 64 bytes that end the text: its last `tail` bytes are their top bits */
        blocks(p + n - 64, 1, ca, cb, &ta, &tb);
        ta >>= 64 - tail;
        tb >>= 64 - tail;
    } else {
        char block[64];
        memset(block, 0, sizeof block);
        memcpy(block, p, tail);
        blocks(block, 1, ca, cb, &ta, &tb);
        uint64_t const keep = ((uint64_t)1 << tail) - 1;
        ta &= keep;
        tb &= keep;
    }
    a[full] = ta;
    b[full] = tb;
}

void rd_mask2(const char *p, size_t n, char ca, char cb, uint64_t *a, uint64_t *b)
{
    rd_mask2At(rd_simdCurrent(), p, n, ca, cb, a, b);
}
