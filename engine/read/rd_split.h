/*
 * rd_split — cuts one input's decoded bytes into chunks of whole records.
 *
 * In: an rd_input. Out: chunks of about `target` bytes, each a list of
 * records (byte ranges without the line end, and the line each starts on),
 * so the parse stage can work on chunks in parallel without knowing what
 * came before. This is the only place that reads the stream serially, so it
 * only finds record boundaries: it follows RFC 4180 quoting (a quote opens a
 * quoted field only at the start of a field), finding line ends and quotes
 * 64 bytes at a time (rd_simd) and looking only at those bytes.
 *
 * Guarantees: every byte of the input lands in exactly one record, blank
 * line, the header, or an overlong record's reject; line numbers count LF
 * bytes (the header is line 1). A record longer than XJ_MAX_RECORD is not
 * kept whole: its first XJ_MAX_RECORD bytes are returned as an overlong
 * record and the rest is skipped up to its end, so memory stays bounded
 * whatever the input (an unterminated quote in a 30 GB file included).
 */
#ifndef XJ_RD_SPLIT_H
#define XJ_RD_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "rd_input.h"
#include "xj_buf.h"

#define XJ_MAX_RECORD (1u << 20) /* bytes; longer records are rejected */

typedef struct rd_record {
    uint32_t start;      /* offset in chunk data of the first byte */
    uint32_t end;        /* offset of the LF that ends it (or of the end of data) */
    uint32_t line_delta; /* its line minus the chunk's first_line */
} rd_record;

typedef struct rd_overlong {
    uint64_t line;       /* line where the record starts */
    char *raw;           /* its first XJ_MAX_RECORD bytes (owned) */
    size_t raw_len;
} rd_overlong;

typedef struct rd_chunk {
    char *data;            /* decoded bytes (owned) */
    size_t len;            /* bytes of whole records */
    size_t cap;            /* bytes from data to the end of its buffer */
    char *alloc;           /* the buffer data lies in, when not at its start (a frame taken
                            * over from the decoder, rd_takeFrame); NULL: data is the buffer */
    rd_record *recs;       /* records in input order (owned) */
    size_t n_recs;
    size_t cap_recs;
    rd_overlong *overlong; /* records over XJ_MAX_RECORD (owned) */
    size_t n_overlong;
    uint64_t first_line;   /* line number of data[0] */
    uint64_t blank_lines;  /* blank lines skipped in this chunk */
    uint32_t source;       /* input index */
    uint64_t seq;          /* chunks of a pass are numbered in input order from 0 (set as the pass cuts them) */
    uint64_t offset;       /* where data[0] is in the decoded stream; valid while the input has had no
                            * overlong record (rd_splitterContiguous) */
    int unterminated;      /* the last record ends inside a quoted field at EOF */
    double expansion;      /* the input's rd_expansion when the chunk was cut */
} rd_chunk;

void rd_chunkFree(rd_chunk *c);

typedef struct rd_splitter rd_splitter;

xj_error rd_splitterCreate(rd_input *in, uint32_t source, size_t target, rd_splitter **out, xj_status *st);
void rd_splitterFree(rd_splitter *sp);

/* From now on, a chunk may be the buffer of a .zst frame the decoder's
 * workers filled (rd_takeFrame) instead of a copy of its bytes; chunks
 * are then cut where frames end (mostly), not every `target` bytes. */
void rd_splitterTakeFrames(rd_splitter *sp);

/* Reads the first record (the header) into `header` (without its line end;
 * a leading UTF-8 BOM is dropped). *found = 0 when the input has no record. */
xj_error rd_readHeader(rd_splitter *sp, xj_buf *header, int *found, xj_status *st);

/* Gives a used chunk's buffers back for reuse (page faults on fresh 8 MiB
 * buffers cost more than the copying they hold), or frees them. */
void rd_recycleChunk(rd_splitter *sp, rd_chunk *c);

/* The next chunk; *done = 1 (and an empty chunk) at the end of the input. */
xj_error rd_nextChunk(rd_splitter *sp, rd_chunk *chunk, int *done, xj_status *st);

/* For a part of a file that starts after an LF (rd_setRange): its first
 * byte is at `offset` in the file, on line `line`; no header is read and no
 * BOM looked for. Call before the first chunk. */
void rd_splitterStartAt(rd_splitter *sp, uint64_t line, uint64_t offset);

/* 1 when the input ended inside a quoted field: after the last chunk of a
 * part, its end was not a record boundary. */
int rd_splitterInQuote(const rd_splitter *sp);

/* 1 while every chunk so far is its stretch of the stream byte for byte
 * (no overlong record was cut out), so chunk offsets can be read again. */
int rd_splitterContiguous(const rd_splitter *sp);

/* Splits data[0..len), which starts at a record boundary on line
 * first_line and ends at one (or at the end of the input), into out's
 * records exactly as the streaming splitter does; out->data points at data
 * (not owned: clear it before rd_chunkFree); out->recs is reused. Records
 * over XJ_MAX_RECORD come back in out->overlong. */
xj_error rd_splitRange(const char *data, size_t len, uint64_t first_line, rd_chunk *out, xj_status *st);

#endif
