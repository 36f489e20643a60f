/*
 * ix_format — the register index file (.xji), format version 2 (version 1 kept
 * record blocks as zstd frames).
 *
 * The index holds what a batch check needs of every register record: its
 * duplicate keys (sorted, used in place through mmap) and a compact copy of
 * the fields a group decision and a school need (packed blocks, decoded only
 * for records a batch key hits). All integers are little-endian.
 *
 *   offset 0   header, IX_HEADER_BYTES:
 *              magic "XJDXJI\r\n"  u32 version  u32 header_bytes
 *              u64 records  u32 run_date  u32 flags (IX_FLAG_*)
 *              u64 build_unix_time  u32 sources  u32 sections
 *              sections x { u32 kind, u32 0, u64 offset, u64 bytes, u64 xxh3 }
 *              ...zero padding...  u64 XXH3-64 of the header's other bytes
 *   sections   each 8-byte aligned, in any order, checked by its XXH3-64:
 *     META     zstd frame of: per source { u16 name length, name, u64 bytes,
 *              u64 hash hi, u64 hash lo }, then u16 + the xjdedup version
 *     KEYS_GB  per record with a GB 11643 ID: { u64 packed ID, u32 record }
 *     KEYS_OTHER, KEYS_ATTR  { u64 hash hi, u64 hash lo, u32 record }; in
 *              KEYS_ATTR bit 31 of `record` says the record has an ID
 *     FENCE_*  the key of every IX_FENCE_STEP-th entry of KEYS_* (u64 for
 *              GB, hi and lo for the others): a lookup searches these
 *              first and then at most IX_FENCE_STEP entries
 *     BLOCKS   per block { u64 offset in PAYLOAD, u32 bytes, u32 first record,
 *              u64 XXH3-64 of the block's bytes }
 *     PAYLOAD  record blocks of at most IX_BLOCK_RECORDS records, packed by
 *              field (ix_payload.h has the layout)
 *
 * Key entries are sorted by (shard, key, record) with the shard of
 * grp_keys (gk_shardOf), the order the scan's key tables already group in;
 * equal keys are adjacent. Records are numbered in input order (source,
 * line), which keeps a block's records from one school together, so school
 * and county codes are stored once per run of equal values.
 *
 * Why key sections are not compressed: a check looks up a few thousand keys
 * spread over the whole register; fixed-width entries in place cost one or
 * two page reads a lookup, where compressed ones would need the whole
 * section decoded. They are still checksummed when the index is opened.
 */
#ifndef XJ_IX_FORMAT_H
#define XJ_IX_FORMAT_H

#include <stdint.h>

#define IX_MAGIC "XJDXJI\r\n"
#define IX_VERSION 4u /* 3: old-ID keys and id_changed (docs/monthly.md §6); 4: KEYS_SLIP */
#define IX_HEADER_BYTES 512u
/* the section table must end before the header's checksum: 48 + 32 x 14 <= 504 */
#define IX_MAX_SECTIONS 14u
#define IX_FENCE_STEP 64u
#define IX_BLOCK_RECORDS 1024u
#define IX_MAX_RECORDS 0x7FFFFFFFu    /* bit 31 of an entry is a flag (GK_HAS_ID / GK_OLD_ID) */
#define IX_REC_HAS_ID 0x80000000u
_Static_assert(48 + 32 * IX_MAX_SECTIONS <= IX_HEADER_BYTES - 8, "section table overlaps the header checksum");

#define IX_FLAG_ATTR_MIXED 1u         /* KEYS_ATTR also holds records with an ID */

typedef enum ix_sectionKind {
    IX_SEC_META = 1,
    IX_SEC_KEYS_GB,
    IX_SEC_KEYS_OTHER,
    IX_SEC_KEYS_ATTR,
    IX_SEC_FENCE_GB,
    IX_SEC_FENCE_OTHER,
    IX_SEC_FENCE_ATTR,
    IX_SEC_BLOCKS,
    IX_SEC_PAYLOAD,
    IX_SEC_KEYS_SLIP,   /* a mistyped GB ID's record under each number one slip away (docs/suspects.md) */
    IX_SEC_FENCE_SLIP,
    IX_SEC_KIND_END
} ix_sectionKind;

/* Every integer of the file goes through these two. */
static inline void ix_storeLE(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint64_t ix_loadLE(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

#define IX_NARROW_ENTRY 12u /* u64 key, u32 record */
#define IX_WIDE_ENTRY 20u   /* u64 hi, u64 lo, u32 record */
#define IX_BLOCK_ENTRY 24u  /* u64 offset, u32 bytes, u32 first record, u64 XXH3-64 */

#endif
