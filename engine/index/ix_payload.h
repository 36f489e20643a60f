/*
 * ix_payload — one register record as the index keeps it, and the block
 * codec (raw bytes before zstd).
 *
 * A record keeps exactly what a group decision (grp_decide) and a school
 * need about a register member: where it came from (source, line), school
 * and county codes, student number, normalized name, sex, birth and
 * registration dates, ID type, whether it has an ID, and its ID problem.
 *
 * Raw block: u32 record count, then the records one after another:
 *   varint source, varint line (delta from the previous record of the same
 *   source, else absolute), varint registered, varint birth,
 *   u8 sex | has_id << 2, u8 id type, u8 reason,
 *   4 x (varint length, bytes): school, county, student number, name.
 * Decoding checks every length against the block, so a damaged block is an
 * error, never a read outside it.
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

/* Appends `r` to a raw block being built; `prev` is the previous record of
 * the block (NULL for the first). The caller writes the count first with
 * ix_blockBegin and patches it with ix_blockEnd. */
xj_error ix_blockBegin(xj_buf *raw);
xj_error ix_encodeRecord(xj_buf *raw, const ix_record *r, const ix_record *prev);
void ix_blockEnd(xj_buf *raw, uint32_t count);

/* Decodes a raw block into out[0 .. *n) (at most `max`); string pointers
 * point into `raw`. Returns 0, or -1 when the block is malformed. */
int ix_decodeBlock(const char *raw, size_t len, ix_record *out, size_t max, size_t *n);

#endif
