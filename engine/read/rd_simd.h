/*
 * rd_simd — the kernel of the structural scans: where two given byte values
 * occur in a stretch of text, as bit masks of 64 bytes a word.
 *
 * The record splitter (rd_split: line ends and quotes) and the field
 * splitter (ps_fields: commas and quotes) classify text this way and then
 * walk the set bits, so a record or field costs a few instructions instead
 * of a look at each of its bytes.
 *
 * Three implementations give the same masks: scalar (any CPU), SSE2 (16
 * bytes a step; every x86-64 has it) and AVX2 (32 bytes a step; used when
 * the CPU has it, asked once at run time). tests/unit/test_simd compares
 * them; rd_simdSet lets tests and the fuzz targets pick a lower one.
 */
#ifndef XJ_RD_SIMD_H
#define XJ_RD_SIMD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef enum rd_simdLevel {
    RD_SIMD_SCALAR = 0,
    RD_SIMD_SSE2 = 1,
    RD_SIMD_AVX2 = 2
} rd_simdLevel;

/* The best level this CPU runs. */
rd_simdLevel rd_simdBest(void);
/* The level in use: the best, unless rd_simdSet chose another. Inline: the
 * field splitter asks once a record. */
extern _Atomic int rd_simd_level; /* -1 until first asked (relaxed: any value read is a correct one) */
rd_simdLevel rd_simdFirst(void);
static inline rd_simdLevel rd_simdCurrent(void)
{
    int const l = atomic_load_explicit(&rd_simd_level, memory_order_relaxed);
    return l >= 0 ? (rd_simdLevel)l : rd_simdFirst();
}
/* Tests: use `level` from now on, in every thread (a level the CPU lacks
 * falls back to the best it has). Returns the level now in use. */
rd_simdLevel rd_simdSet(rd_simdLevel level);

/* One 64-byte block, inline, for loops that classify a few blocks at a
 * time (a record's fields): *a and *b get the masks of p[0..64) for ca and
 * cb. rd_block2Avx2 may be called only from a function compiled for AVX2
 * (__attribute__((target("avx2")))) and only when rd_simdCurrent() says so. */
static inline uint64_t rd_blockScalar(const char *p, char c)
{
    uint64_t m = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* 8 bytes a step, without a compare per byte (which coverage-guided
     * fuzzing traces one call each, at 128 calls a block): a byte of x is 0
     * where the text has c; the high bit of each byte of `hit` is set just
     * for those (no borrow crosses bytes), and the multiply gathers the 8
     * high bits, byte k's into bit 56 + k */
    uint64_t const ones = 0x0101010101010101u, low7 = 0x7F7F7F7F7F7F7F7Fu;
    uint64_t const rep = ones * (unsigned char)c;
    for (int j = 0; j < 8; j++) {
        uint64_t w;
        memcpy(&w, p + 8 * j, 8);
        uint64_t const x = w ^ rep;
        uint64_t const hit = ~(((x & low7) + low7) | x) & ~low7;
        m |= ((hit >> 7) * 0x0102040810204080u >> 56) << (8 * j);
    }
#else
    for (int i = 0; i < 64; i++) m |= (uint64_t)(p[i] == c) << i;
#endif
    return m;
}

static inline void rd_block2Scalar(const char *p, char ca, char cb, uint64_t *a, uint64_t *b)
{
    *a = rd_blockScalar(p, ca);
    *b = rd_blockScalar(p, cb);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define RD_SIMD_X86 1
#include <immintrin.h>

static inline __attribute__((always_inline)) void rd_block2Sse2(const char *p, char ca, char cb, uint64_t *a,
                                                                uint64_t *b)
{
    __m128i const va = _mm_set1_epi8(ca), vb = _mm_set1_epi8(cb);
    uint64_t ma = 0, mb = 0;
    for (int j = 0; j < 4; j++) {
        __m128i const v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * j));
        ma |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, va)) << (16 * j);
        mb |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vb)) << (16 * j);
    }
    *a = ma;
    *b = mb;
}

static inline __attribute__((always_inline, target("avx2"))) void rd_block2Avx2(const char *p, char ca, char cb,
                                                                                uint64_t *a, uint64_t *b)
{
    __m256i const va = _mm256_set1_epi8(ca), vb = _mm256_set1_epi8(cb);
    __m256i const lo = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i const hi = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
    *a = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, va)) |
         (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, va)) << 32;
    *b = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, vb)) |
         (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, vb)) << 32;
}
#endif

/* Words needed for the masks of n bytes. */
static inline size_t rd_maskWords(size_t n) { return (n + 63) / 64; }

/* For every byte p[i], i < n: bit i % 64 of a[i / 64] is set when
 * p[i] == ca, of b[i / 64] when p[i] == cb; bits past n are clear. Reads
 * p[0..n) only. a and b hold rd_maskWords(n) words. */
void rd_mask2(const char *p, size_t n, char ca, char cb, uint64_t *a, uint64_t *b);
/* The same with the given level (tests). */
void rd_mask2At(rd_simdLevel level, const char *p, size_t n, char ca, char cb, uint64_t *a, uint64_t *b);

#endif
