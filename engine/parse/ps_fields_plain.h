/*
 * ps_fields_plain — the body of ps_fields.c's splitter for quote-free
 * records, included there once per SIMD level, with
 *   PS_PLAIN_FN      the function's name,
 *   PS_PLAIN_TARGET  its attributes (target("avx2") for the AVX2 one),
 *   PS_PLAIN_BLOCK   the rd_block2* classifier of that level,
 * so each level's classifier is inlined into a loop compiled for it.
 *
 * The record is classified 64 bytes at a time (every comma and quote as a
 * bit). A quote anywhere sends the record to the quoted path (or libcsv);
 * a block's values are pushed only once the block is known to hold none,
 * so no value is pushed before all its bytes were seen, and the count is
 * checked after each block: more than max_fields values is
 * PS_FIELDS_TOO_MANY, which is what libcsv reports for such a record. The
 * caller takes records over XJ_MAX_FIELD bytes elsewhere, so no value here
 * can be too long.
 */
PS_PLAIN_TARGET static int PS_PLAIN_FN(ps_fields *f, const char *rec, size_t n)
{
    f->base = rec;
    /* a block holds at most 64 commas: this many entries take any block
     * that starts within the limit */
    size_t const room = n + 1 < f->max_fields + 65 ? n + 1 : f->max_fields + 65;
    if (f->cap < room && ps_reserve(f, room) != 0) {
        f->error = PS_FIELDS_NOMEM;
        return 0;
    }
    uint32_t *const off = f->off, *const len = f->len;
    size_t at = 0, start = 0;
    size_t const full = n / 64, tail = n % 64;
    for (size_t k = 0; k < full + (tail != 0); k++) {
        uint64_t comma, quote;
        if (k < full) {
            PS_PLAIN_BLOCK(rec + 64 * k, ',', '"', &comma, &quote);
        } else if (full) {
            /* the 64 bytes that end the record: its last `tail` are their top bits */
            PS_PLAIN_BLOCK(rec + n - 64, ',', '"', &comma, &quote);
            comma >>= 64 - tail;
            quote >>= 64 - tail;
        } else {
            char block[64]; /* a record shorter than a block, padded with NUL bytes */
            memset(block, 0, sizeof block);
            memcpy(block, rec, tail);
            PS_PLAIN_BLOCK(block, ',', '"', &comma, &quote);
        }
        if (quote) return 1;
        for (; comma; comma &= comma - 1) {
            size_t const pos = 64 * k + (size_t)__builtin_ctzll(comma);
            off[at] = (uint32_t)start;
            len[at] = (uint32_t)(pos - start);
            at++;
            start = pos + 1;
        }
        if (at > f->max_fields) {
            f->n = f->max_fields;
            f->error = PS_FIELDS_TOO_MANY;
            return 0;
        }
    }
    if (at == f->max_fields) {
        f->n = at;
        f->error = PS_FIELDS_TOO_MANY;
        return 0;
    }
    off[at] = (uint32_t)start;
    len[at] = (uint32_t)(n - start);
    f->n = at + 1;
    return 0;
}
