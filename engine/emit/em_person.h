/*
 * em_person — the question pass 1 asks of an earlier run (--previous) for
 * every accepted record: did PREV report a row of this student number and
 * school code? Inline, because ten million records ask it and nearly all
 * of them get "no" from the filter alone: a few instructions and one word
 * read, without a call. The rest (a likely "yes", or PREV still being
 * read) goes to em_prevSawPerson in em_previous.c.
 */
#ifndef EM_PERSON_H
#define EM_PERSON_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xj_text.h"

/* 16 bits a pair: each pair sets two bits of one word (em_filterWord,
 * em_filterMask), about 1.5% of other pairs find both set. */
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
    return 1ull << (h & 63) | 1ull << (h >> 6 & 63);
}

static inline int em_filterHas(const em_personFilter *f, uint64_t h)
{
    uint64_t const m = em_filterMask(h);
    return (f->words[em_filterWord(f, h)] & m) == m;
}

/* A cheap hash of the trimmed pair for the filter only (a hit is then
 * checked exactly): the school code's first 8 bytes and the student
 * number's last 8 (where student numbers of one school differ), with both
 * lengths, mixed once. */
static inline uint64_t em_load8(const char *s, size_t n, int from_end)
{
    uint64_t w = 0;
    if (n >= 8) memcpy(&w, from_end ? s + n - 8 : s, 8);
    else
        for (size_t i = 0; i < n; i++) w = w << 8 | (unsigned char)s[i];
    return w;
}

static inline uint64_t em_quickPerson(const char *sno, size_t sn, const char *school, size_t cn)
{
    uint64_t const a = em_load8(sno, sn, 1) ^ (uint64_t)sn << 56, b = em_load8(school, cn, 0) ^ (uint64_t)cn;
    __uint128_t const m = (__uint128_t)(a ^ 0x9E3779B97F4A7C15ull) * (b ^ 0xC2B2AE3D27D4EB4Full);
    return (uint64_t)m ^ (uint64_t)(m >> 64);
}

/* The pair's filter hash, trimmed, with its filter word asked for now:
 * the caller tests it (em_personSurelyNew) after the record's other work,
 * when the word has arrived instead of being waited for. */
static inline uint64_t em_personQuick(const em_personFilter *f, const char *sno, size_t sn, const char *school,
                                      size_t cn)
{
    xj_trim(&sno, &sn);
    xj_trim(&school, &cn);
    uint64_t const q = em_quickPerson(sno, sn, school, cn);
    if (atomic_load_explicit(&f->ready, memory_order_acquire) == 1) __builtin_prefetch(&f->words[em_filterWord(f, q)]);
    return q;
}

/* Whether the pair of filter hash `quick` surely is not one of PREV's,
 * once PREV is read and nothing waits (`pending`: the caller's pairs kept
 * while it was read). */
static inline int em_personSurelyNew(const em_personFilter *f, size_t pending, uint64_t quick)
{
    if (atomic_load_explicit(&f->ready, memory_order_acquire) != 1 || pending) return 0;
    return !em_filterHas(f, quick);
}

#endif
