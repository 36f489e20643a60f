/*
 * ix_payload — one register record as the index keeps it, and the block
 * codec (raw bytes before zstd).
 *
 * A record keeps exactly what a group decision (grp_decide) and a school
 * need about a register member: where it came from (source, line), school
 * and county codes, student number, normalized name, sex, birth and
 * registration dates, ID type, whether it has an ID, and its ID problem.
 *
 * Raw block: u32 record count, then IX_COLUMNS columns, each a varint byte
 * length and its bytes. A column holds one field of every record, so
 * zstd sees similar values side by side (school codes repeat, dates
 * cluster):
 *   0 place     varint source, varint line (delta from the previous record
 *               of the same source, else absolute)
 *   1 dates     varint registered, varint birth
 *   2 flags     u8 sex | has_id << 2, u8 id type, u8 reason
 *   3..4 codes  school, county: varint 0 = the previous record's value, else
 *               varint length + 1 and the bytes
 *   5..6 text   varint length + bytes: student number, name
 * Decoding checks every length against its column, so a damaged block is
 * an error, never a read outside it.
 */
#ifndef XJ_IX_PAYLOAD_H
#define XJ_IX_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "xj_buf.h"

typedef struct ix_record {
    uint64_t line;
    uint32_t source;        /* index into the index's source list */
    uint32_t registered;    /* YYYYMMDD, 0 when missing */
    uint32_t birth;         /* YYYYMMDD */
    uint8_t sex;            /* 1 or 2 */
    uint8_t has_id;         /* the ID number is not empty */
    uint8_t reason;         /* xj_idReason of its ID, XJ_ID_OK when valid */
    char id_type;
    const char *school, *county, *student_no, *name;  /* not NUL-terminated */
    uint32_t school_len, county_len, student_no_len, name_len;
} ix_record;

#define IX_COLUMNS 7

/* A block being built: one buffer per column. */
typedef struct ix_blockBuilder {
    xj_buf col[IX_COLUMNS];
    uint32_t n;             /* records so far */
    uint32_t prev_source;   /* of the last record, for line deltas */
    uint64_t prev_line;
    size_t prev_school_at, prev_county_at;  /* the last codes written, in their columns */
    uint32_t prev_school_len, prev_county_len;
} ix_blockBuilder;

/* Cannot fail: allocates nothing. */
void ix_builderInit(ix_blockBuilder *b);
void ix_builderFree(ix_blockBuilder *b);
/* Forgets the records (keeps the memory). */
void ix_blockBegin(ix_blockBuilder *b);
xj_error ix_encodeRecord(ix_blockBuilder *b, const ix_record *r);
/* The raw block of the records so far into `raw` (replacing its content). */
xj_error ix_blockFinish(const ix_blockBuilder *b, xj_buf *raw);

/* Decodes a raw block into out[0 .. *n) (at most `max`); string pointers
 * point into `raw`. Returns 0, or -1 when the block is malformed. */
int ix_decodeBlock(const char *raw, size_t len, ix_record *out, size_t max, size_t *n);

#endif
