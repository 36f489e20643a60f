/*
 * fuzz_index — the register index reader (engine/index) on arbitrary bytes.
 *
 * Input: one mode byte, then the file. Mode bit 0 set: before opening, the
 * section checksums and the header checksum are recomputed over the mutated
 * bytes, so the fuzzer gets past the checksums and reaches the structure
 * checks, lookups and block decoding (a crafted file with right checksums is
 * exactly what a hostile index looks like).
 *
 * Invariants:
 *  - ix_openBuffer either fails with a message or gives an index whose
 *    tables lie inside the buffer;
 *  - lookups and record reads never read outside it (ASan) and fail, if they
 *    fail, with a message;
 *  - when ix_verify accepts the index, every key entry's key finds a range
 *    that contains that entry, and every record can be read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "ix_index.h"

#include "fuzz_common.h"

static uint32_t fz_u32(const uint8_t *p)
{
    return (uint32_t)ix_loadLE(p, 4);
}

static uint64_t fz_u64(const uint8_t *p)
{
    return ix_loadLE(p, 8);
}

static void fz_put64(uint8_t *p, uint64_t v)
{
    ix_storeLE(p, v, 8);
}

/* Makes the checksums right again where the layout allows it: each record
 * block's (in the block table), then each section's, then the header's. */
static void fz_fixChecksums(uint8_t *b, size_t n)
{
    if (n < IX_HEADER_BYTES) return;
    uint32_t const sections = fz_u32(b + 44);
    uint8_t *table = NULL, *payload = NULL;
    uint64_t table_len = 0, payload_len = 0;
    for (uint32_t i = 0; i < sections && i < IX_MAX_SECTIONS; i++) {
        uint8_t *const e = b + 48 + 32 * (size_t)i;
        uint64_t const off = fz_u64(e + 8), len = fz_u64(e + 16);
        if (off > n || len > n - off) continue;
        if (fz_u32(e) == IX_SEC_BLOCKS) table = b + off, table_len = len;
        if (fz_u32(e) == IX_SEC_PAYLOAD) payload = b + off, payload_len = len;
    }
    for (uint64_t at = 0; table && payload && at + IX_BLOCK_ENTRY <= table_len; at += IX_BLOCK_ENTRY) {
        uint64_t const off = fz_u64(table + at), len = fz_u32(table + at + 8);
        if (off <= payload_len && len <= payload_len - off) fz_put64(table + at + 16, XXH3_64bits(payload + off, len));
    }
    for (uint32_t i = 0; i < sections && i < IX_MAX_SECTIONS; i++) {
        uint8_t *const e = b + 48 + 32 * (size_t)i;
        uint64_t const off = fz_u64(e + 8), len = fz_u64(e + 16);
        if (off <= n && len <= n - off) fz_put64(e + 24, XXH3_64bits(b + off, len));
    }
    fz_put64(b + IX_HEADER_BYTES - 8, XXH3_64bits(b, IX_HEADER_BYTES - 8));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    size_t const n = size - 1;
    uint8_t *const copy = malloc(n ? n : 1); /* exact size: ASan sees any overread */
    FZ_ASSERT(copy != NULL);
    if (n) memcpy(copy, data + 1, n);
    if (data[0] & 1) fz_fixChecksums(copy, n);

    xj_status st;
    st_init(&st);
    ix_index *ix = NULL;
    if (ix_openBuffer(copy, n, "fuzz.xji", &ix, &st) != XJ_OK) {
        FZ_ASSERT(ix == NULL && st.message[0] != '\0');
        free(copy);
        return 0;
    }
    ix_cursor cur;
    FZ_ASSERT(ix_cursorInit(&cur) == XJ_OK);
    xj_status vst;
    st_init(&vst);
    int const sound = ix_verify(ix, "fuzz.xji", &vst) == XJ_OK;
    FZ_ASSERT(sound || vst.message[0] != '\0');
    for (int kind = 0; kind < IX_KINDS; kind++) {
        size_t const entries = ix->keys[kind].n;
        for (size_t i = 0; i < entries && i < 64; i++) {
            uint64_t hi, lo;
            ix_entryKey(ix, kind, i, &hi, &lo);
            size_t first = 0;
            size_t const count = ix_lookup(ix, kind, hi, lo, &first);
            if (sound) FZ_ASSERT(count >= 1 && first <= i && i < first + count);
            FZ_ASSERT(count == 0 || first + count <= entries);
            uint32_t const rec = ix_entryRecord(ix, kind, i) & ~IX_REC_HAS_ID;
            const ix_record *r = NULL;
            st_init(&st);
            xj_error const err = ix_readRecord(ix, &cur, rec, &r, &st);
            if (sound) FZ_ASSERT(err == XJ_OK);
            FZ_ASSERT(err != XJ_OK || (r != NULL && r->source < ix->n_sources));
            FZ_ASSERT(err == XJ_OK || st.message[0] != '\0');
        }
        size_t first = 0; /* a key that is probably absent */
        size_t const count = ix_lookup(ix, kind, 0x0123456789ABCDEFull, 0xFEDCBA9876543210ull, &first);
        FZ_ASSERT(count == 0 || first + count <= entries);
    }
    ix_cursorFree(&cur);
    ix_close(ix);
    free(copy);
    return 0;
}
