/*
 * em_xlsx — a real spreadsheet beside a CSV (--xlsx), made with
 * libxlsxwriter: the rows people open in Excel without losing anything.
 *
 * Opening a CSV, Excel takes an 18-digit ID number for a number and keeps
 * 15 significant digits of it, and an all-digit group id likewise; no CSV
 * trick fixes that for every program. In a workbook every cell is written
 * as a string (and formatted as text, "@", so an edited cell stays text):
 * IDs, student numbers, codes, group ids, counts, line numbers and dates
 * alike. The cells are the fields of the CSV line em_renderRow renders for
 * the row, split again with em_csvNextField, so a workbook has exactly the
 * CSV's columns, whatever columns are added to the rows later.
 *
 * The sheet: a bold header row, frozen, with an autofilter over the whole
 * table; column widths from the widest value (a CJK character counts two,
 * capped); a light fill on every other group, so one group's rows (they
 * come sorted by group) read as one block. A second sheet, 说明, holds
 * schools/README.txt's text, line by line, from the same function.
 *
 * Determinism: the creation time libxlsxwriter writes into
 * docProps/core.xml is the run date (00:00 UTC), the zip entries carry its
 * fixed 1980-01-01 stamp, and nothing else depends on the clock or the
 * thread, so a workbook's bytes depend only on its rows and the options.
 *
 * libxlsxwriter writes to a file name, not to an em_writer: the file is
 * created first, exclusively, in the temporary output directory (so it
 * cannot follow a planted link), then handed to the library by path, and
 * recorded for MANIFEST by reading it back (em_recordExisting). Its
 * temporary files (constant_memory mode: one per sheet) are created in the
 * same directory and unlinked at once, so nothing is left behind even by a
 * crash that em_commit's cleanup of dead temporaries would not cover.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "em_internal.h"
#include "xj_alloc.h"

#define EM_XLSX_CELL_MAX 32767u   /* characters in one cell: Excel's limit */
#define EM_XLSX_WIDTH_CAP 50u     /* widest column, in character widths */
#define EM_XLSX_NOTES_CAP 110u    /* the 说明 sheet's one column */
#define EM_XLSX_BAND 0xDDEBF7     /* every other group: a light blue */
#define EM_XLSX_HEAD 0xD9D9D9     /* the header row: a light grey */

void em_xlsxScratchInit(em_xlsxScratch *s)
{
    memset(s, 0, sizeof *s);
    buf_init(&s->line, (size_t)1 << 30);
    buf_init(&s->field, (size_t)1 << 30);
    buf_init(&s->group, 64);
    buf_init(&s->notes, (size_t)1 << 24);
}

void em_xlsxScratchFree(em_xlsxScratch *s)
{
    buf_free(&s->line);
    buf_free(&s->field);
    buf_free(&s->group);
    buf_free(&s->notes);
    xj_free(s->widths);
    xj_free(s->ptrs);
    memset(s, 0, sizeof *s);
}

const pb_row **em_xlsxRowsOf(em_xlsxScratch *s, const pb_row *rows, size_t n)
{
    if (n > s->cap_ptrs) {
        const pb_row **const grown = xj_reallocArray(s->ptrs, n, sizeof *grown);
        if (grown == NULL) return NULL;
        s->ptrs = grown;
        s->cap_ptrs = n;
    }
    for (size_t i = 0; i < n; i++) s->ptrs[i] = &rows[i];
    return s->ptrs;
}

/* East Asian wide characters (CJK, Hangul, full-width forms): two columns. */
static int em_isWide(uint32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
           (cp >= 0xFFE0 && cp <= 0xFFE6) || cp >= 0x20000;
}

/* How wide a value looks, in the widths of a digit, up to `cap`. The text
 * is valid UTF-8 (rows with invalid bytes are rejected when read). */
static unsigned em_displayWidth(const char *s, size_t n, unsigned cap)
{
    unsigned w = 0;
    for (size_t i = 0; i < n && w < cap;) {
        unsigned char const c = (unsigned char)s[i];
        uint32_t cp = c;
        size_t len = 1;
        if (c >= 0xF0) cp = 0x20000, len = 4; /* beyond the BMP: the CJK extensions */
        else if (c >= 0xE0 && i + 2 < n)
            cp = (uint32_t)(c & 0x0F) << 12 | (uint32_t)(s[i + 1] & 0x3F) << 6 | (uint32_t)(s[i + 2] & 0x3F), len = 3;
        else if (c >= 0xC0) len = 2;
        w += em_isWide(cp) ? 2 : 1;
        i += len;
    }
    return w < cap ? w : cap;
}

/* Excel keeps at most EM_XLSX_CELL_MAX characters in a cell; a longer value
 * (a group spread over thousands of schools) is cut at a character and ends
 * with "…", so the cut shows. The CSV keeps the whole value. */
static xj_error em_fitCell(xj_buf *f)
{
    if (f->len <= EM_XLSX_CELL_MAX) return XJ_OK; /* characters <= bytes */
    size_t chars = 0, i = 0;
    for (; i < f->len; i++) {
        if (((unsigned char)f->data[i] & 0xC0) == 0x80) continue;
        if (chars == EM_XLSX_CELL_MAX - 1) break;
        chars++;
    }
    if (i == f->len) return XJ_OK;
    f->len = i;
    return buf_appendStr(f, "\xE2\x80\xA6");
}

/* One open workbook and the formats its cells use. */
typedef struct em_book {
    em_ctx *ctx;
    const char *rel;           /* for messages */
    em_xlsxScratch *s;
    lxw_workbook *wb;
    lxw_format *head, *text, *band;
    size_t n_cols;             /* the header's fields */
    int group_col;             /* the group_id column, for banding */
} em_book;

static xj_error em_lxwFail(em_book *b, lxw_error e, const char *what)
{
    if (e == LXW_ERROR_MEMORY_MALLOC_FAILED) return st_fail(b->ctx->st, XJ_ERR_NOMEM, "out of memory writing %s", b->rel);
    return st_fail(b->ctx->st, XJ_ERR_IO, "cannot %s %s/%s: %s (%s); check the disk space and permissions of the "
                   "output directory's parent", what, b->ctx->tmp_path, b->rel, lxw_strerror(e),
                   errno ? strerror(errno) : "no system error");
}

/* Remembers the widest value per column; the table grows with the fields. */
static xj_error em_noteWidth(em_book *b, size_t col, const xj_buf *f)
{
    em_xlsxScratch *const s = b->s;
    if (col >= s->cap_widths) {
        size_t const ncap = col + 64;
        uint8_t *const grown = xj_reallocArray(s->widths, ncap, sizeof *grown);
        RETURN_ERROR_IF(grown == NULL, b->ctx->st, XJ_ERR_NOMEM, "out of memory writing %s", b->rel);
        memset(grown + s->cap_widths, 0, ncap - s->cap_widths);
        s->widths = grown;
        s->cap_widths = ncap;
    }
    unsigned const w = em_displayWidth(f->data, f->len, EM_XLSX_WIDTH_CAP);
    if (w > s->widths[col]) s->widths[col] = (uint8_t)w;
    return XJ_OK;
}

/* One rendered line (header or row) as row `r` of `ws`, in `fmt`. */
static xj_error em_putLine(em_book *b, lxw_worksheet *ws, lxw_row_t r, const xj_buf *line, lxw_format *fmt)
{
    em_xlsxScratch *const s = b->s;
    size_t pos = 0, col = 0;
    xj_error err = XJ_OK;
    while (em_csvNextField(line->data, line->len, &pos, &s->field, &err)) {
        RETURN_ERROR_IF(col >= LXW_COL_MAX, b->ctx->st, XJ_ERR_LIMIT,
                        "%s: the rows have more than %d columns, a worksheet's most; run without --xlsx", b->rel,
                        LXW_COL_MAX);
        FORWARD_IF_ERROR(em_fitCell(&s->field));
        FORWARD_IF_ERROR(em_noteWidth(b, col, &s->field));
        lxw_error const e = worksheet_write_string(ws, r, (lxw_col_t)col, s->field.data, fmt);
        if (e) return em_lxwFail(b, e, "write");
        col++;
    }
    if (err) return st_fail(b->ctx->st, err, "cannot render %s: %s", b->rel, xj_errorName(err));
    return XJ_OK;
}

/* The band of a row: rows of one group share it, and it alternates from
 * group to group; a row without a group (id_invalid) has none. */
static xj_error em_bandOf(em_book *b, const xj_buf *line, int *band)
{
    em_xlsxScratch *const s = b->s;
    size_t pos = 0;
    xj_error err = XJ_OK;
    for (int k = 0; k <= b->group_col; k++)
        if (!em_csvNextField(line->data, line->len, &pos, &s->field, &err)) break;
    if (err) return st_fail(b->ctx->st, err, "cannot render %s: %s", b->rel, xj_errorName(err));
    if (s->field.len == 0) {
        *band = 0;
        buf_clear(&s->group);
        return XJ_OK;
    }
    if (s->group.len != s->field.len || memcmp(s->group.data, s->field.data, s->field.len) != 0) {
        s->parity ^= 1;
        buf_clear(&s->group);
        RETURN_ERROR_IF(buf_append(&s->group, s->field.data, s->field.len) != XJ_OK, b->ctx->st, XJ_ERR_NOMEM,
                        "out of memory writing %s", b->rel);
    }
    *band = s->parity;
    return XJ_OK;
}

/* A sheet's frame, once its rows are in: header frozen, the filter over
 * header and data, the widths. */
static xj_error em_finishSheet(em_book *b, lxw_worksheet *ws, lxw_row_t last)
{
    worksheet_freeze_panes(ws, 1, 0);
    lxw_error e = worksheet_autofilter(ws, 0, 0, last, (lxw_col_t)(b->n_cols - 1));
    if (!e) e = worksheet_ignore_errors(ws, LXW_IGNORE_NUMBER_STORED_AS_TEXT, "A1:XFD1048576");
    for (size_t c = 0; c < b->n_cols && !e; c++)
        e = worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, b->s->widths[c] + 2.0, NULL);
    worksheet_set_landscape(ws);
    worksheet_repeat_rows(ws, 0, 0);
    return e ? em_lxwFail(b, e, "write") : XJ_OK;
}

/* The rows, on as many sheets as they need (a worksheet holds 1,048,575
 * rows under its header). */
static xj_error em_putRows(em_book *b, int zh, const pb_row *const *rows, size_t n)
{
    const em_run *const run = b->ctx->run;
    em_xlsxScratch *const s = b->s;
    size_t const per_sheet = LXW_ROW_MAX - 1;
    size_t done = 0;
    s->parity = 0;
    buf_clear(&s->group);
    for (int sheet = 1; sheet == 1 || done < n; sheet++) {
        char name[LXW_SHEETNAME_MAX * 4 + 1];
        if (sheet == 1) snprintf(name, sizeof name, "%s", zh ? "问题学籍" : "problems");
        else snprintf(name, sizeof name, zh ? "问题学籍（%d）" : "problems (%d)", sheet);
        lxw_worksheet *const ws = workbook_add_worksheet(b->wb, name);
        RETURN_ERROR_IF(ws == NULL, b->ctx->st, XJ_ERR_NOMEM, "out of memory writing %s", b->rel);
        buf_clear(&s->line);
        FORWARD_IF_ERROR(em_renderHeader(&s->line, run, zh));
        if (s->widths) memset(s->widths, 0, s->cap_widths); /* each sheet its own widths */
        FORWARD_IF_ERROR(em_putLine(b, ws, 0, &s->line, b->head));
        size_t const end = n - done > per_sheet ? done + per_sheet : n;
        for (size_t i = done; i < end; i++) {
            buf_clear(&s->line);
            FORWARD_IF_ERROR(em_renderRow(&s->line, run, rows[i], zh));
            int band = 0;
            FORWARD_IF_ERROR(em_bandOf(b, &s->line, &band));
            FORWARD_IF_ERROR(em_putLine(b, ws, (lxw_row_t)(i - done + 1), &s->line, band ? b->band : b->text));
        }
        FORWARD_IF_ERROR(em_finishSheet(b, ws, (lxw_row_t)(end - done)));
        done = end;
    }
    return XJ_OK;
}

/* 说明: schools/README.txt's lines, one a row, the title bold. */
static xj_error em_putNotes(em_book *b)
{
    em_xlsxScratch *const s = b->s;
    if (s->notes.len == 0) {
        xj_error const err = em_readmeText(b->ctx->run, &s->notes);
        if (err) return st_fail(b->ctx->st, err, "cannot build the notes of %s: %s", b->rel, xj_errorName(err));
    }
    lxw_worksheet *const ws = workbook_add_worksheet(b->wb, "说明");
    RETURN_ERROR_IF(ws == NULL, b->ctx->st, XJ_ERR_NOMEM, "out of memory writing %s", b->rel);
    const char *p = s->notes.data;
    const char *const end = s->notes.data + s->notes.len;
    unsigned width = 0;
    for (lxw_row_t r = 0; p < end; r++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL) nl = end;
        buf_clear(&s->field);
        RETURN_ERROR_IF(buf_append(&s->field, p, (size_t)(nl - p)) != XJ_OK, b->ctx->st, XJ_ERR_NOMEM,
                        "out of memory writing %s", b->rel);
        unsigned const w = em_displayWidth(s->field.data, s->field.len, EM_XLSX_NOTES_CAP);
        if (w > width) width = w;
        lxw_error const e = worksheet_write_string(ws, r, 0, s->field.data, r == 0 ? b->head : NULL);
        if (e) return em_lxwFail(b, e, "write");
        p = nl + 1;
    }
    lxw_error const e = worksheet_set_column(ws, 0, 0, width + 2.0, NULL);
    return e ? em_lxwFail(b, e, "write") : XJ_OK;
}

/* The cell formats: every cell text ("@"), the header bold on grey, every
 * other group on light blue. */
static xj_error em_addFormats(em_book *b)
{
    b->head = workbook_add_format(b->wb);
    b->text = workbook_add_format(b->wb);
    b->band = workbook_add_format(b->wb);
    RETURN_ERROR_IF(!b->head || !b->text || !b->band, b->ctx->st, XJ_ERR_NOMEM, "out of memory writing %s", b->rel);
    format_set_num_format(b->head, "@");
    format_set_bold(b->head);
    format_set_bg_color(b->head, EM_XLSX_HEAD);
    format_set_bottom(b->head, LXW_BORDER_THIN);
    format_set_num_format(b->text, "@");
    format_set_num_format(b->band, "@");
    format_set_bg_color(b->band, EM_XLSX_BAND);
    return XJ_OK;
}

/* The run date at 00:00 UTC: docProps/core.xml's creation time. */
static time_t em_runDateTime(uint32_t ymd)
{
    struct tm tm = {0};
    tm.tm_year = (int)(ymd / 10000) - 1900;
    tm.tm_mon = (int)(ymd / 100 % 100) - 1;
    tm.tm_mday = (int)(ymd % 100);
    return timegm(&tm);
}

/* Creates `rel` empty and exclusively (never through an existing name or
 * link); the library then opens this file by its path. */
static xj_error em_claim(em_ctx *ctx, const char *rel)
{
    int const fd = openat(ctx->dirfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    RETURN_ERROR_IF(fd < 0, ctx->st, XJ_ERR_IO, "cannot create %s/%s: %s; check the disk space and permissions of "
                    "the output directory's parent", ctx->tmp_path, rel, strerror(errno));
    close(fd);
    return XJ_OK;
}

static xj_error em_fillBook(em_book *b, int zh, const pb_row *const *rows, size_t n)
{
    const em_run *const run = b->ctx->run;
    lxw_doc_properties props = {0};
    props.author = "xjdedup";
    props.created = em_runDateTime(run->run_date);
    lxw_error const e = workbook_set_properties(b->wb, &props);
    if (e) return em_lxwFail(b, e, "write");
    FORWARD_IF_ERROR(em_addFormats(b));
    b->group_col = 0;
    for (int i = 0; i < PB_COLUMN_COUNT; i++)
        if (strcmp(pb_columnEn(i), "group_id") == 0) b->group_col = i;
    buf_clear(&b->s->line);
    FORWARD_IF_ERROR(em_renderHeader(&b->s->line, run, zh));
    size_t pos = 0;
    xj_error err = XJ_OK;
    b->n_cols = 0;
    while (em_csvNextField(b->s->line.data, b->s->line.len, &pos, &b->s->field, &err)) b->n_cols++;
    if (err) return st_fail(b->ctx->st, err, "cannot render %s: %s", b->rel, xj_errorName(err));
    FORWARD_IF_ERROR(em_putRows(b, zh, rows, n));
    return em_putNotes(b);
}

xj_error em_xlsxWrite(em_ctx *ctx, const char *rel, int zh, const pb_row *const *rows, size_t n,
                      em_xlsxScratch *scratch)
{
    FORWARD_IF_ERROR(em_claim(ctx, rel));
    char path[PATH_MAX + NAME_MAX + 160];
    int const len = snprintf(path, sizeof path, "%s/%s", ctx->tmp_path, rel);
    RETURN_ERROR_IF(len < 0 || (size_t)len >= sizeof path, ctx->st, XJ_ERR_IO, "%s/%s: the path is too long",
                    ctx->tmp_path, rel);
    lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = (char *)ctx->tmp_path, .use_zip64 = LXW_FALSE};
    em_book b = {.ctx = ctx, .rel = rel, .s = scratch};
    b.wb = workbook_new_opt(path, &opt);
    RETURN_ERROR_IF(b.wb == NULL, ctx->st, XJ_ERR_IO, "cannot create %s: %s; check the disk space and permissions "
                    "of the output directory's parent", path, strerror(errno));
    xj_error err = em_fillBook(&b, zh, rows, n);
    errno = 0;
    lxw_error const e = workbook_close(b.wb); /* writes the file, and frees the workbook either way */
    if (!err && e) err = em_lxwFail(&b, e, "write");
    if (err) return err; /* the half-written file goes with the temporary directory */
    return em_recordExisting(ctx, rel);
}
