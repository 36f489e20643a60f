/*
 * ps_utf8_bulk — ps_isCleanUtf8 for whole chunks, 32 bytes a step with AVX2
 * where the CPU has it (checked once, at run time), else the scalar check.
 *
 * The method is the lookup-table validation of Keiser and Lemire
 * ("Validating UTF-8 in less than one instruction per byte", 2021): every
 * byte is classified together with the one before it by three 16-entry
 * tables (high nibble of the previous byte, its low nibble, high nibble of
 * this byte) whose entries are bit sets of the errors that pair could be;
 * the AND of the three is the errors the pair is. A continuation byte is
 * expected after a lead byte, and the third and fourth bytes of 3- and
 * 4-byte sequences are checked against the bytes two and three back. The
 * last block is padded with spaces, so a sequence cut at the end shows up
 * as one followed by ASCII. NUL bytes are an error of their own.
 *
 * The answer equals ps_isCleanUtf8's for every input; tests/unit and the
 * csv fuzz target compare the two.
 */
#include <string.h>

#include "ps_text.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

enum {
    TOO_SHORT = 1 << 0,      /* a lead byte not followed by a continuation */
    TOO_LONG = 1 << 1,       /* ASCII followed by a continuation */
    OVERLONG_3 = 1 << 2,     /* E0 80..9F */
    TOO_LARGE = 1 << 3,      /* above U+10FFFF */
    SURROGATE = 1 << 4,      /* ED A0..BF */
    OVERLONG_2 = 1 << 5,     /* C0, C1 */
    TOO_LARGE_1000 = 1 << 6, /* F5.. 80..8F */
    OVERLONG_4 = 1 << 6,     /* F0 80..8F */
    TWO_CONTS = 1 << 7,      /* a continuation after a continuation */
    CARRY = TOO_SHORT | TOO_LONG | TWO_CONTS,
};

#define PS_TABLE(...) _mm256_setr_epi8(__VA_ARGS__, __VA_ARGS__)

__attribute__((target("avx2"))) static __m256i ps_blockErrors(__m256i in, __m256i prev)
{
    /* by the high nibble of the previous byte */
    __m256i const prev_high = PS_TABLE(TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
                                       TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS, TOO_SHORT | OVERLONG_2, TOO_SHORT,
                                       TOO_SHORT | OVERLONG_3 | SURROGATE,
                                       TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4);
    /* by its low nibble */
    __m256i const prev_low = PS_TABLE(
        CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4, CARRY | OVERLONG_2, CARRY, CARRY, CARRY | TOO_LARGE,
        CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE, CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000);
    /* by the high nibble of this byte */
    __m256i const this_high = PS_TABLE(
        TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
        TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4,
        TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE,
        TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE, TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
        TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT);
    __m256i const nibble = _mm256_set1_epi8(0x0F);
    /* the input shifted by 1, 2, 3 bytes, with the previous block's end */
    __m256i const joined = _mm256_permute2x128_si256(prev, in, 0x21);
    __m256i const prev1 = _mm256_alignr_epi8(in, joined, 15);
    __m256i const prev2 = _mm256_alignr_epi8(in, joined, 14);
    __m256i const prev3 = _mm256_alignr_epi8(in, joined, 13);
    __m256i const e1 = _mm256_shuffle_epi8(prev_high, _mm256_and_si256(_mm256_srli_epi16(prev1, 4), nibble));
    __m256i const e2 = _mm256_shuffle_epi8(prev_low, _mm256_and_si256(prev1, nibble));
    __m256i const e3 = _mm256_shuffle_epi8(this_high, _mm256_and_si256(_mm256_srli_epi16(in, 4), nibble));
    __m256i const pair = _mm256_and_si256(_mm256_and_si256(e1, e2), e3);
    /* continuations that a 3- or 4-byte lead two or three back asks for:
     * there TWO_CONTS is expected, elsewhere it is an error */
    __m256i const third = _mm256_subs_epu8(prev2, _mm256_set1_epi8((char)(0xE0 - 0x80)));
    __m256i const fourth = _mm256_subs_epu8(prev3, _mm256_set1_epi8((char)(0xF0 - 0x80)));
    __m256i const expected = _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8((char)0x80));
    __m256i const nul = _mm256_cmpeq_epi8(in, _mm256_setzero_si256());
    return _mm256_or_si256(_mm256_xor_si256(pair, expected), nul);
}

__attribute__((target("avx2"))) static int ps_cleanAvx2(const char *s, size_t n)
{
    __m256i prev = _mm256_setzero_si256();
    __m256i err = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i const in = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
        err = _mm256_or_si256(err, ps_blockErrors(in, prev));
        prev = in;
        if ((i & 4095) == 4064 && !_mm256_testz_si256(err, err)) return 0; /* stop early on a bad page */
    }
    char tail[32];
    memset(tail, ' ', sizeof tail);
    memcpy(tail, s + i, n - i);
    err = _mm256_or_si256(err, ps_blockErrors(_mm256_loadu_si256((const __m256i *)(const void *)tail), prev));
    return _mm256_testz_si256(err, err);
}

int ps_isCleanUtf8Bulk(const char *s, size_t n)
{
    /* a read of what the C library found at start-up: cheap enough for a
     * call per chunk */
    return __builtin_cpu_supports("avx2") ? ps_cleanAvx2(s, n) : ps_isCleanUtf8(s, n);
}

#else

int ps_isCleanUtf8Bulk(const char *s, size_t n)
{
    return ps_isCleanUtf8(s, n);
}

#endif
