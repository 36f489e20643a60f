/*
 * ix_payload — one register record as the index keeps it, and the block
 * codec.
 *
 * A record keeps exactly what a group decision (grp_decide) and a school
 * need about a register member: where it came from (source, line), school
 * and county codes, student number, name (as read, trimmed; a reader
 * normalizes the few it uses), sex, birth and registration dates, ID type,
 * whether it has an ID, and its ID problem.
 *
 * The codec packs each field by the shape registry data has, instead of
 * leaving the bytes to a general compressor, which cost a build more time
 * than the scan of the same register (bench/RESULTS.md): a student number
 * `G` + ID whose region is the school's county and whose date is the birth
 * date is stored as its 3-digit sequence alone (the check character is
 * recomputed); other letter + 17 digits + [0-9X] numbers take 9 bytes;
 * names of CJK ideographs take 2 bytes a character; a date takes 2 bytes;
 * school and county codes repeat from record to record. Anything else is
 * stored as its bytes, so every value round-trips exactly.
 *
 * Block: u32 record count, varint source, varint line of the first record,
 * then per record:
 *   u8 f0   sex (bits 0-1), has ID (2), line = previous + 1 (3), school as
 *           the previous record (4), county as the previous (5), an `extra`
 *           byte group follows (6); bit 7 is 0
 *   u8 f1   student-number form (bits 0-1: 0 bytes, 1 packed, 2 compact G),
 *           CJK characters of the name (bits 2-5; 0: the name is bytes);
 *           bits 6-7 are 0
 *   varint  line - previous line, unless f0 bit 3
 *   extra   u8 ID type, u8 reason, u8 x (bit 0: dates as YYYYMMDD varints);
 *           without it the ID type is '1', the reason none, dates packed
 *   dates   birth, registered: varint ((year - 1990) x 12 + month - 1) x 31
 *           + day, 0 for none
 *   codes   school, then county, unless repeated: varint length + bytes
 *   number  form 0: varint length + bytes; 1: u8 letter, u64 (17 digits x
 *           11 + last, X = 10); 2: u16 sequence (region = county, date =
 *           birth)
 *   name    CJK: u16 (code point - U+3400) a character; else varint length
 *           + bytes
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
    /* encoding only, may be NULL: the record's ID when it is a valid GB
     * 11643 number (18 characters), which spares recomputing the check
     * character of a student number `G` + that ID */
    const char *valid_id;
} ix_record;

/* Bytes of text a decoded record may need beyond the block itself (a
 * rebuilt student number and name). */
#define IX_TEXT_PER_RECORD 64u

/* A block being built. */
typedef struct ix_blockBuilder {
    xj_buf out;
    uint32_t n;             /* records so far */
    uint32_t source;        /* every record of a block has the same */
    uint64_t prev_line;
    /* the previous record's codes, copied (when short) so the caller's
     * memory may move; a length above the array means "none" */
    uint32_t school_len, county_len;
    char school[48], county[48];
} ix_blockBuilder;

/* Cannot fail: allocates nothing. */
void ix_builderInit(ix_blockBuilder *b);
void ix_builderFree(ix_blockBuilder *b);
/* Starts a block of records from `source` whose first line is first_line. */
xj_error ix_blockBegin(ix_blockBuilder *b, uint32_t source, uint64_t first_line);
/* XJ_ERR_INTERNAL when r is from another source or an earlier line. */
xj_error ix_encodeRecord(ix_blockBuilder *b, const ix_record *r);
/* The block so far (valid until the next ix_blockBegin). */
const char *ix_blockBytes(const ix_blockBuilder *b, size_t *len);
/* Hands the block's bytes to the caller (to xj_free) instead of copying
 * them, and gives the builder a new buffer of the same size for the next
 * block. NULL when that buffer cannot be had (the builder keeps the block). */
char *ix_blockTake(ix_blockBuilder *b, size_t *len);

/* Decodes a block into out[0 .. *n) (at most `max`); strings point into
 * `raw` or into `text`, which needs room for max x IX_TEXT_PER_RECORD
 * bytes. Returns 0, or -1 when the block is malformed. */
int ix_decodeBlock(const char *raw, size_t len, ix_record *out, size_t max, char *text, size_t *n);

#endif
