/*
 * grp_keys — the duplicate-key tables, sharded by key.
 *
 * In: one entry per record and key (first pass). Out: groups — runs of two or
 * more entries with the same key — with their members in input order.
 *
 * Keys: an 18-character GB 11643 ID packs exactly into 64 bits (id_pack18),
 * so the ID table needs no hash and has no collisions. Other ID types and the
 * attribute tuple are keyed by XXH3-128 of their normalized text (a collision
 * needs ~2^64 keys). A record's reference (`ref`) is (input index, line):
 * unique, ordered like the input, and enough for the second pass to find the
 * record again.
 *
 * Sharding: an entry's shard is fixed by its key alone (top bits of a mixed
 * key), so shards can be grouped independently — by any thread now, by
 * another process later — and the concatenation of the shards' groups in
 * shard order is the same whoever computed them. Each worker appends to its
 * own shard vectors: no locks on the hot path.
 */
#ifndef XJ_GRP_KEYS_H
#define XJ_GRP_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "xj_status.h"

#define GK_SHARD_BITS 8
#define GK_SHARDS (1u << GK_SHARD_BITS)

/* ref = source << 48 | line. Bit 47 of an attribute entry's ref says the
 * record has an ID number (for --attr-scope mixed), of an ID entry that it
 * was filed by its old ID; bit 46 marks a suspect candidate (GK_SUSPECT);
 * lines stay below 2^46. */
#define GK_LINE_BITS 48
#define GK_MAX_LINE ((1ull << 46) - 1)
#define GK_MAX_SOURCES (1u << 16)
#define GK_HAS_ID (1ull << 47)
/* The same bit in an ID table: the record was filed under the old ID of its
 * `G` student number, not its own ID (docs/monthly.md §6). */
#define GK_OLD_ID GK_HAS_ID
/* Bit 46 of a GB entry: not the record's own ID but one typing slip from it,
 * its ID having a wrong check character (docs/suspects.md): such entries
 * only find suspect_duplicate groups (sc_splitSuspects), never ID groups. */
#define GK_SUSPECT (1ull << 46)
#define GK_FLAGS (GK_HAS_ID | GK_SUSPECT)

static inline uint64_t gk_ref(uint32_t source, uint64_t line) { return (uint64_t)source << GK_LINE_BITS | line; }
static inline uint32_t gk_refSource(uint64_t ref) { return (uint32_t)(ref >> GK_LINE_BITS); }
static inline uint64_t gk_refLine(uint64_t ref) { return ref & GK_MAX_LINE; }

/* One worker's entries of one kind, by shard. An entry is `stride` words:
 * narrow tables (GB IDs) hold [key, ref] — 16 bytes a record —, wide
 * tables (128-bit hashes) hold [hi, lo, ref]. */
typedef struct gk_vec {
    uint64_t *v;   /* n entries of `stride` words */
    size_t n;
    size_t cap;
} gk_vec;

typedef struct gk_table {
    gk_vec shard[GK_SHARDS];
    int wide;      /* keys are 128 bits (else 64) */
} gk_table;

/* Cannot fail: allocates nothing. */
void gk_tableInit(gk_table *t, int wide);
void gk_tableFree(gk_table *t);

/* A key mixed so that its top bits spread: the shard is the top
 * GK_SHARD_BITS, a hash table slot within a shard the bits below them. */
#define GK_MIX_MULTIPLIER 0x9E3779B97F4A7C15ull

static inline uint64_t gk_mix(uint64_t hi, uint64_t lo)
{
    return (hi ^ lo) * GK_MIX_MULTIPLIER;
}

static inline unsigned gk_shardOf(uint64_t hi, uint64_t lo)
{
    return (unsigned)(gk_mix(hi, lo) >> (64 - GK_SHARD_BITS));
}

/* Room for `per_shard` entries in every shard (those with less get it):
 * a table whose final size can be foreseen then never copies its entries
 * as it grows. XJ_ERR_NOMEM when that much cannot be had. */
xj_error gk_reserve(gk_table *t, size_t per_shard);

/* The entries of every shard together. */
size_t gk_entries(const gk_table *t);

/* `hi` must be 0 for a narrow table. XJ_ERR_NOMEM when the shard cannot grow. */
xj_error gk_add(gk_table *t, uint64_t hi, uint64_t lo, uint64_t ref);

/* Key texts: the exact bytes a key is hashed from, shared by the first pass
 * (table keys) and the group ids. `buf` needs n + 12 bytes. */
size_t gk_attrKeyText(char *buf, const char *name, size_t n, int sex, uint32_t birth);
size_t gk_otherIdKeyText(char *buf, char type, const char *id, size_t n);

/* The keys themselves: XXH3-128 of those texts (`buf` is scratch). The scan,
 * the index build and the xj_index API all take their keys from here, so
 * they agree. (A GB ID's key is its packed value, id_result.gb.) */
typedef struct gk_key {
    uint64_t hi, lo;
} gk_key;
gk_key gk_attrKey(char *buf, const char *name, size_t n, int sex, uint32_t birth);
gk_key gk_otherIdKey(char *buf, char type, const char *id, size_t n);

/* What a group needs to be reported. */
typedef struct gk_group {
    uint64_t hi, lo;     /* the key */
    size_t first;        /* index of the first member in gk_groups.refs */
    uint32_t n;          /* members */
} gk_group;

typedef struct gk_groups {
    gk_group *g;         /* groups in key order within shard, shards in order */
    size_t n;
    uint64_t *refs;      /* members of each group, ascending ref */
    size_t n_refs;
} gk_groups;

void gk_groupsFree(gk_groups *gs);

/* Groups the entries of `n_tables` worker tables, all narrow or all wide
 * (consumed: freed as they are grouped). A run of equal keys counts when it
 * has at least `min_members` entries (2 for duplicates; 1 lists every key,
 * as the register index and a batch check need). With `need_no_id`, a group
 * counts only if at least one member's ref lacks GK_HAS_ID (the mixed
 * attribute rule); refs keep the flag. */
xj_error gk_findGroups(gk_table *const *tables, size_t n_tables, size_t min_members, int need_no_id, int threads,
                       gk_groups *out, xj_status *st);
/* Tests: gk_findGroups looks for duplicates in parts of about n entries of
 * a shard (0: the default, sized for the L2 cache), so that small tables
 * are cut into parts as a national scan's are. */
void gk_setPartEntries(size_t n);

/* Sorts v's n entries of `stride` words (2 or 3) by their key words — all
 * but the last, the first most significant — and equal keys by the last
 * word with its GK_FLAGS bits ignored: the groups' radix sort, for whoever
 * orders many such entries (emit's lists of the offices' rows). -1 when
 * memory runs out. */
int gk_sortEntries(uint64_t *v, size_t n, size_t stride);
/* The same radix sort on plain numbers: v[0 .. n) ascending. -1 when
 * memory runs out. */
int gk_sortWords(uint64_t *v, size_t n);

/* Shard s of every table (all narrow or all wide; consumed), sorted by
 * key into *out (the tables' stride; NULL when the shard is empty); equal
 * keys in no particular order.
 * The register index is written from these: all keys, not just groups,
 * without a group record per key; each shard is laid out while it is still
 * in cache. Shards may be sorted by different threads at once. -1 when
 * memory runs out. */
int gk_sortShard(gk_table *const *tables, size_t n_tables, unsigned s, gk_vec *out);

#endif
