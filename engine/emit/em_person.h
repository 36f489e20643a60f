/*
 * em_person — the question pass 1 asks of an earlier run (--previous) for
 * every accepted record: did PREV report a row of this student number and
 * school code? Inline, because ten million records ask it and nearly all
 * of them get "no" from the filter alone: a product of two words
 * (em_quickPerson) and one word of the filter read, without a call. The
 * rest (a likely "yes", or PREV still being read) goes to em_prevSawPerson
 * in em_previous.c, which only writes the pair's exact hash (em_personKey)
 * down: which of PREV's pairs were seen is worked out once, after pass 1,
 * for the few that resolved.csv lists.
 */
#ifndef EM_PERSON_H
#define EM_PERSON_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xj_text.h"

/* 16 bits a pair: each pair sets three bits of one word (em_filterWord,
 * em_filterMask), about 0.5% of other pairs find all three set (a call
 * and 8 bytes kept each). */
typedef struct em_personFilter {
    _Atomic int ready;    /* em_prevRead: 0 reading, 1 done (words may be read), 2 failed */
    const uint64_t *words;
    size_t n_words;
} em_personFilter;

/* A word chosen by the hash's top half, two bits in it by its low bits. */
static inline size_t em_filterWord(const em_personFilter *f, uint64_t h)
{
    return (size_t)(((h >> 32) * (uint64_t)f->n_words) >> 32);
}

static inline uint64_t em_filterMask(uint64_t h)
{
    return 1ull << (h & 63) | 1ull << (h >> 6 & 63) | 1ull << (h >> 12 & 63);
}

/* Whether the three bits em_filterMask(h) sets are set (shifted to bit 0
 * and ANDed: fewer instructions than making the mask). */
static inline int em_filterHas(const em_personFilter *f, uint64_t h)
{
    uint64_t const w = f->words[em_filterWord(f, h)];
    return (int)(w >> (h & 63) & w >> (h >> 6 & 63) & w >> (h >> 12 & 63) & 1);
}

/* The 128-bit product of a and b folded to 64 bits. */
static inline uint64_t em_fold(uint64_t a, uint64_t b)
{
    __uint128_t const m = (__uint128_t)a * b;
    return (uint64_t)m ^ (uint64_t)(m >> 64);
}

/* A value of over 32 bytes, hashed whole (em_previous.c). */
uint64_t em_longValueHash(const char *s, size_t n, uint64_t seed);

/* A value of at most 16 bytes as two words that hold all of it (given its
 * length): up to 8 bytes packed into the first, then the first and the
 * last 8 (overlapping when shorter). */
static inline uint64_t em_words16(const char *s, size_t n, uint64_t *second)
{
    uint64_t a = 0;
    *second = 0;
    if (n >= 8) {
        memcpy(&a, s, 8);
        memcpy(second, s + n - 8, 8);
    } else
        for (size_t i = 0; i < n; i++) a = a << 8 | (unsigned char)s[i];
    return a;
}

/* The pair's hash, both values trimmed: a function of all their bytes and
 * both lengths, so that two pairs share it only by chance (as with any
 * 64-bit hash), which is what this run's records and PREV's rows
 * (em_previous.c) are matched by. Cheap, for the records the filter passes
 * and the decisions' table (scan_decisions.c): each pair of words that
 * holds a value's bytes is multiplied out (em_fold, with constants of its
 * own), the lengths multiplied by an odd constant, and the terms added. A
 * student number of 17 to 32 bytes adds the pair of its 8 bytes from the
 * 9th and the 8 before its last 8. */
static inline uint64_t em_personKey(const char *sno, size_t sn, const char *school, size_t cn)
{
    uint64_t h = ((uint64_t)sn << 32 | (uint64_t)(uint32_t)cn) * 0xA0761D6478BD642Full;
    uint64_t s0, s1;
    if (sn > 32) {
        h += em_longValueHash(sno, sn, 0x8EBC6AF09C88C6E3ull);
        s0 = s1 = 0;
    } else if (sn > 16) {
        uint64_t s2, s3;
        memcpy(&s0, sno, 8);
        memcpy(&s1, sno + sn - 8, 8);
        memcpy(&s2, sno + 8, 8);
        memcpy(&s3, sno + sn - 16, 8);
        h += em_fold(s2 ^ 0x8EBC6AF09C88C6E3ull, s3 ^ 0x589965CC75374CC3ull);
    } else
        s0 = em_words16(sno, sn, &s1);
    h += em_fold(s0 ^ 0x9E3779B97F4A7C15ull, s1 ^ 0xC2B2AE3D27D4EB4Full);
    if (cn > 16) h += em_longValueHash(school, cn, 0x1D8E4E27C47D124Full);
    else {
        uint64_t c1;
        uint64_t const c0 = em_words16(school, cn, &c1);
        h += em_fold(c0 ^ 0x165667B19E3779F9ull, c1 ^ 0xD6E8FEB86659FD93ull);
    }
    return h;
}

/* The filter's hash of a trimmed pair: the student number's last 8 bytes
 * (where the numbers of one school differ) and the school code's first 8,
 * with both lengths, multiplied out once. Not every byte: pairs that share
 * it only pass the filter together, and em_personKey tells them apart. */
static inline uint64_t em_quickPerson(const char *sno, size_t sn, const char *school, size_t cn)
{
    uint64_t a = 0, b = 0;
    if (sn >= 8) memcpy(&a, sno + sn - 8, 8);
    else
        for (size_t i = 0; i < sn; i++) a = a << 8 | (unsigned char)sno[i];
    if (cn >= 8) memcpy(&b, school, 8);
    else
        for (size_t i = 0; i < cn; i++) b = b << 8 | (unsigned char)school[i];
    return em_fold(a ^ (uint64_t)sn << 56 ^ 0x9E3779B97F4A7C15ull, b ^ (uint64_t)cn ^ 0xC2B2AE3D27D4EB4Full);
}

/* The filter, once PREV is read and nothing waits (`pending`: the caller's
 * pairs kept while it was read); NULL until then, when every record goes
 * to em_prevSawPerson. Asked once a chunk, not once a record. */
static inline const em_personFilter *em_personReady(const em_personFilter *f, size_t pending)
{
    return atomic_load_explicit(&f->ready, memory_order_acquire) == 1 && pending == 0 ? f : NULL;
}

/* em_quickPerson of the values trimmed first (em_previous.c). */
uint64_t em_quickPersonTrimmed(const char *sno, size_t sn, const char *school, size_t cn);

/* Whether xj_trim would leave a value as it is, and it is not empty (the
 * test xj_trim makes first, on values rather than their addresses, which
 * keeps a caller's values in registers). */
static inline int em_untrimmed(const char *s, size_t n)
{
    if (n == 0) return 0;
    unsigned char const first = (unsigned char)s[0], last = (unsigned char)s[n - 1];
    return first > ' ' && first != 0xE3 && last > ' ' && last != 0x80;
}

/* The record's pair's filter hash, trimmed, with its filter word (of f,
 * from em_personReady) asked for now: the caller tests it (em_filterHas)
 * after the record's other work, when the word has arrived instead of
 * being waited for. A record the filter clears surely is not one of
 * PREV's; the others go to em_prevSawPerson. */
static inline uint64_t em_personQuick(const em_personFilter *f, const char *sno, size_t sn, const char *school,
                                      size_t cn)
{
    uint64_t const q = em_untrimmed(sno, sn) && em_untrimmed(school, cn) ? em_quickPerson(sno, sn, school, cn)
                                                                         : em_quickPersonTrimmed(sno, sn, school, cn);
    __builtin_prefetch(&f->words[em_filterWord(f, q)]);
    return q;
}

#endif
