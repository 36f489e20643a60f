/*
 * scan_share — a distributed scan's per-school files, written by the
 * processes that own the schools (docs/mpi.md §3).
 *
 * Rank 0 has every row once the processes that decided them sent them
 * (scan_dist_records.c), and sorts them by school as one process does
 * (em_write). It then cuts the schools into K contiguous shares of about
 * n_rows/K rows each, keeps the first, and sends share r to rank r: the
 * rows with their strings, and each group's member list once per
 * destination (rows of a group share it). Every process writes its
 * schools' files into the one temporary directory on the shared file
 * system, with emit's own code, so the bytes are those one process
 * writes; it syncs them and sends back each file's path, size and hash,
 * which rank 0 lists in MANIFEST. problems.csv, the offices' lists and
 * every other file stay with rank 0.
 *
 * The meetings, reached by every process whatever failed before them:
 *   1. an agreement that every process is ready (rank 0: the shares are
 *      built), then the shares sent (xc_exchange);
 *   2. once the files are written, an agreement on how that went, then
 *      the file lists gathered to rank 0.
 * After a failed agreement the rest is skipped by all alike. A rank 0
 * that failed before it reached meeting 1 meets the others there with its
 * error (sc_shareMissed), so no process waits for a share that never
 * comes.
 */
#include <limits.h>
#include <string.h>

#include "scan_internal.h"
#include "xj_alloc.h"
#include "xj_comm.h"

/* ---- rank 0: the shares out ---- */

/* Where each group's member list went in one share: the lists by address,
 * open addressing. */
typedef struct sc_memberSlots {
    const pb_member **key;
    uint64_t *index;
    size_t mask;
} sc_memberSlots;

static size_t sc_slotOf(const sc_memberSlots *t, const pb_member *m)
{
    uint64_t h = (uint64_t)(uintptr_t)m * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 20) & t->mask;
    while (t->key[i] != NULL && t->key[i] != m) i = (i + 1) & t->mask;
    return i;
}

static xj_error sc_putRow(const pb_row *row, uint64_t members, xj_buf *out)
{
    FORWARD_IF_ERROR(xc_putBytes(out, row->school, row->school_len));
    FORWARD_IF_ERROR(xc_putBytes(out, row->others, row->others_len));
    FORWARD_IF_ERROR(xc_putBytes(out, row->tail, row->tail_len));
    FORWARD_IF_ERROR(xc_putU64(out, members));
    FORWARD_IF_ERROR(xc_putU64(out, row->group_id));
    FORWARD_IF_ERROR(xc_putU64(out, row->line));
    FORWARD_IF_ERROR(xc_putU64(out, (uint64_t)row->group_size << 32 | row->source));
    FORWARD_IF_ERROR(xc_putU64(out, (uint64_t)row->self << 32 | row->n_members));
    FORWARD_IF_ERROR(xc_putU64(out, (uint64_t)row->first_seen << 32 | row->office));
    uint8_t const b[8] = {row->problem, row->reason,  row->scope, row->arbiter,
                          row->attested, row->keeper, row->hint,  row->status};
    uint64_t packed = 0;
    for (int i = 0; i < 8; i++) packed |= (uint64_t)b[i] << (8 * i);
    return xc_putU64(out, packed);
}

xj_error sc_putRows(const pb_row *rows, size_t n, xj_buf *out)
{
    size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    sc_memberSlots t = {xj_calloc(cap, sizeof *t.key), xj_mallocArray(cap, sizeof *t.index), cap - 1};
    xj_buf lists, body;
    buf_init(&lists, SIZE_MAX / 4);
    buf_init(&body, SIZE_MAX / 4);
    xj_error err = t.key && t.index ? XJ_OK : XJ_ERR_NOMEM;
    uint64_t n_lists = 0;
    for (size_t i = 0; i < n && !err; i++) {
        const pb_row *const row = &rows[i];
        uint64_t members = 0; /* 0: none, else the list's number + 1 */
        if (row->members != NULL) {
            size_t const slot = sc_slotOf(&t, row->members);
            if (t.key[slot] == NULL) {
                t.key[slot] = row->members;
                t.index[slot] = n_lists++;
                err = xc_putU64(&lists, row->n_members);
                for (uint32_t k = 0; k < row->n_members && !err; k++) {
                    err = xc_putBytes(&lists, row->members[k].text, row->members[k].text_len);
                    if (!err)
                        err = xc_putBytes(&lists, row->members[k].school_name, row->members[k].school_name_len);
                }
            }
            members = t.index[slot] + 1;
        }
        if (!err) err = sc_putRow(row, members, &body);
    }
    if (!err) err = xc_putU64(out, n_lists);
    if (!err) err = buf_append(out, lists.data, lists.len);
    if (!err) err = xc_putU64(out, n);
    if (!err) err = buf_append(out, body.data, body.len);
    buf_free(&lists);
    buf_free(&body);
    xj_free(t.key);
    xj_free(t.index);
    return err;
}

/* One share: the temporary directory's path, then rows[from .. to). */
static xj_error sc_putShare(const char *tmp_path, const pb_row *rows, size_t from, size_t to, xj_buf *out)
{
    FORWARD_IF_ERROR(xc_putBytes(out, tmp_path, strlen(tmp_path)));
    return sc_putRows(rows + from, to - from, out);
}

static xj_error sc_shareHandOut(void *user, const em_run *er, const size_t *runs, size_t n_runs, const char *tmp_path,
                                size_t *keep, xj_status *st)
{
    sc_run *const run = user;
    int const k = run->n_ranks;
    run->share_met = 1;
    xj_buf *const send = xj_calloc((size_t)k, sizeof *send), *const recv = xj_calloc((size_t)k, sizeof *recv);
    xj_error err = send && recv ? XJ_OK : st_fail(st, XJ_ERR_NOMEM, "out of memory");
    for (int r = 0; r < k && send && recv; r++) {
        buf_init(&send[r], SIZE_MAX / 4);
        buf_init(&recv[r], SIZE_MAX / 4);
    }
    /* share r: the schools whose first row is at or after n_rows·r/K, up
     * to share r+1's first */
    size_t first = n_runs;
    *keep = n_runs;
    for (int r = k - 1; r >= 1 && !err; r--) {
        size_t const at = (size_t)((unsigned __int128)er->n_rows * (unsigned)r / (unsigned)k);
        size_t from = first;
        while (from > 0 && runs[from - 1] >= at) from--;
        err = sc_putShare(tmp_path, er->rows, runs[from], runs[first], &send[r]);
        if (err) err = st_fail(st, err, "out of memory sharing out the school files");
        first = from;
    }
    if (!err) *keep = first;
    err = xc_agree(err, st); /* meeting 1 */
    run->share_agreed = !err;
    if (!err) err = xc_exchange(send, recv, st);
    for (int r = 0; r < k && send && recv; r++) {
        buf_free(&send[r]);
        buf_free(&recv[r]);
    }
    xj_free(send);
    xj_free(recv);
    return err;
}

/* Another process's list of the files it wrote, appended to *files. */
static xj_error sc_takeFileList(const xj_buf *b, em_file **files, size_t *n, size_t *cap)
{
    xc_reader r = xc_reading(b);
    uint64_t const count = xc_getU64(&r);
    for (uint64_t i = 0; i < count && !r.bad; i++) {
        size_t len = 0;
        const char *const path = xc_getBytes(&r, &len);
        uint64_t const size = xc_getU64(&r), high = xc_getU64(&r), low = xc_getU64(&r);
        if (r.bad || path == NULL) break;
        if (*n == *cap) {
            size_t const ncap = *cap ? 2 * *cap : 256;
            em_file *const grown = xj_reallocArray(*files, ncap, sizeof *grown);
            if (grown == NULL) return XJ_ERR_NOMEM;
            *files = grown;
            *cap = ncap;
        }
        char *const copy = xj_malloc(len + 1);
        if (copy == NULL) return XJ_ERR_NOMEM;
        memcpy(copy, path, len);
        copy[len] = '\0';
        (*files)[(*n)++] = (em_file){copy, size, {.low64 = low, .high64 = high}};
    }
    return r.bad || r.p != r.end ? XJ_ERR_INTERNAL : XJ_OK;
}

static xj_error sc_shareTakeBack(void *user, xj_error err, em_file **files, size_t *n_files, xj_status *st)
{
    sc_run *const run = user;
    *files = NULL;
    *n_files = 0;
    if (!run->share_agreed) return err; /* meeting 1 failed: nothing follows */
    int const k = run->n_ranks;
    xj_buf mine, *const per_rank = xj_calloc((size_t)k, sizeof *per_rank);
    buf_init(&mine, SIZE_MAX / 4);
    for (int r = 0; r < k && per_rank; r++) buf_init(&per_rank[r], SIZE_MAX / 4);
    if (!err && per_rank == NULL) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    err = xc_agree(err, st); /* meeting 2 */
    if (!err) err = xc_gather(&mine, per_rank, st);
    size_t cap = 0;
    for (int r = 1; r < k && !err; r++) {
        err = sc_takeFileList(&per_rank[r], files, n_files, &cap);
        if (err) err = st_fail(st, err, "cannot take the list of school files rank %d of %d wrote: %s", r, k,
                               xj_errorName(err));
    }
    for (int r = 0; r < k && per_rank; r++) buf_free(&per_rank[r]);
    xj_free(per_rank);
    buf_free(&mine);
    return err;
}

const em_share *sc_shareOf(sc_run *run)
{
    run->share.hand_out = sc_shareHandOut;
    run->share.take_back = sc_shareTakeBack;
    run->share.user = run;
    return &run->share;
}

xj_error sc_shareMissed(sc_run *run, xj_error err)
{
    /* rank 0 stopped before meeting 1: it meets the others there, failed */
    run->share_met = 1;
    if (err == XJ_OK) err = st_fail(&run->scan->st, XJ_ERR_INTERNAL, "internal error: the school files were not shared out");
    return xc_agree(err, &run->scan->st);
}

/* ---- the other processes: a share in, its files written ---- */

/* The rows of a share; strings point into the message, which must
 * outlive them. */
typedef struct sc_shareIn {
    char tmp_path[PATH_MAX + NAME_MAX + 64];
    sc_rowsIn rows;
} sc_shareIn;

void sc_rowsInFree(sc_rowsIn *in)
{
    for (uint64_t i = 0; in->lists && i < in->n_lists; i++) xj_free(in->lists[i]);
    xj_free(in->lists);
    xj_free(in->list_len);
    xj_free(in->rows);
    memset(in, 0, sizeof *in);
}

static const char *sc_getString(xc_reader *r, uint32_t *len)
{
    size_t n = 0;
    const char *const p = xc_getBytes(r, &n);
    if (p == NULL || n > UINT32_MAX) {
        r->bad = 1;
        return "";
    }
    *len = (uint32_t)n;
    return p;
}

xj_error sc_takeRows(xc_reader *rd, size_t n_inputs, sc_rowsIn *in)
{
    xc_reader r = *rd;
    memset(in, 0, sizeof *in);
    in->n_lists = xc_getU64(&r);
    /* each list and each row takes at least 8 bytes: a count beyond what is
     * left is a broken message, not an allocation to try */
    if (r.bad || in->n_lists > (size_t)(r.end - r.p) / 8) return XJ_ERR_INTERNAL;
    in->lists = xj_calloc(in->n_lists ? in->n_lists : 1, sizeof *in->lists);
    in->list_len = xj_calloc(in->n_lists ? in->n_lists : 1, sizeof *in->list_len);
    if (in->lists == NULL || in->list_len == NULL) return XJ_ERR_NOMEM;
    for (uint64_t i = 0; i < in->n_lists && !r.bad; i++) {
        uint64_t const n = xc_getU64(&r);
        if (n > UINT32_MAX || n > (size_t)(r.end - r.p) / 16) return XJ_ERR_INTERNAL;
        pb_member *const m = xj_calloc(n ? n : 1, sizeof *m);
        if (m == NULL) return XJ_ERR_NOMEM;
        in->lists[i] = m;
        in->list_len[i] = (uint32_t)n;
        for (uint64_t k = 0; k < n; k++) {
            m[k].text = sc_getString(&r, &m[k].text_len);
            m[k].school_name = sc_getString(&r, &m[k].school_name_len);
        }
    }
    uint64_t const n_rows = xc_getU64(&r);
    if (r.bad || n_rows > (size_t)(r.end - r.p) / 72) return XJ_ERR_INTERNAL;
    in->rows = xj_calloc(n_rows ? n_rows : 1, sizeof *in->rows);
    if (in->rows == NULL) return XJ_ERR_NOMEM;
    in->n_rows = n_rows;
    for (size_t i = 0; i < n_rows && !r.bad; i++) {
        pb_row *const row = &in->rows[i];
        row->school = sc_getString(&r, &row->school_len);
        row->others = sc_getString(&r, &row->others_len);
        row->tail = sc_getString(&r, &row->tail_len);
        uint64_t const members = xc_getU64(&r);
        row->group_id = xc_getU64(&r);
        row->line = xc_getU64(&r);
        uint64_t const w1 = xc_getU64(&r), w2 = xc_getU64(&r), w3 = xc_getU64(&r), packed = xc_getU64(&r);
        row->source = (uint32_t)w1;
        row->group_size = (uint32_t)(w1 >> 32);
        row->n_members = (uint32_t)w2;
        row->self = (uint32_t)(w2 >> 32);
        row->office = (uint32_t)w3;
        row->first_seen = (uint32_t)(w3 >> 32);
        uint8_t *const dst[8] = {&row->problem, &row->reason, &row->scope, &row->arbiter,
                                 &row->attested, &row->keeper, &row->hint, &row->status};
        for (int k = 0; k < 8; k++) *dst[k] = (uint8_t)(packed >> (8 * k));
        if (members > in->n_lists || row->source >= n_inputs) return XJ_ERR_INTERNAL;
        if (members && (row->n_members != in->list_len[members - 1] || (row->n_members && row->self >= row->n_members)))
            return XJ_ERR_INTERNAL;
        row->members = members ? in->lists[members - 1] : NULL;
    }
    *rd = r;
    return r.bad ? XJ_ERR_INTERNAL : XJ_OK;
}

static xj_error sc_takeShare(const xj_buf *b, size_t n_inputs, sc_shareIn *in)
{
    memset(in, 0, sizeof *in);
    xc_reader r = xc_reading(b);
    size_t len = 0;
    const char *const path = xc_getBytes(&r, &len);
    if (path == NULL || len == 0 || len >= sizeof in->tmp_path || memchr(path, '\0', len)) return XJ_ERR_INTERNAL;
    memcpy(in->tmp_path, path, len);
    FORWARD_IF_ERROR(sc_takeRows(&r, n_inputs, &in->rows));
    return r.p != r.end ? XJ_ERR_INTERNAL : XJ_OK;
}

static xj_error sc_putFileList(const em_file *files, size_t n, xj_buf *out)
{
    FORWARD_IF_ERROR(xc_putU64(out, n));
    for (size_t i = 0; i < n; i++) {
        FORWARD_IF_ERROR(xc_putBytes(out, files[i].path, strlen(files[i].path)));
        FORWARD_IF_ERROR(xc_putU64(out, files[i].size));
        FORWARD_IF_ERROR(xc_putU64(out, files[i].hash.high64));
        FORWARD_IF_ERROR(xc_putU64(out, files[i].hash.low64));
    }
    return XJ_OK;
}

/* This process's share written: `em` is what it needs of emit's run. */
static xj_error sc_writeShare(sc_run *run, const xj_buf *message, em_file **files, size_t *n_files)
{
    xj_status *const st = &run->scan->st;
    sc_shareIn in;
    xj_error err = sc_takeShare(message, run->n_inputs, &in);
    if (err) err = st_fail(st, err, "cannot read the school files rank 0 shared out: %s", xj_errorName(err));
    sc_emitInputs e = {0};
    if (!err) err = sc_emitInputsMake(run, 0, &e, st);
    if (!err) {
        em_run er = sc_emitRunOf(run, &e);
        er.rows = in.rows.rows;
        er.n_rows = in.rows.n_rows;
        err = em_writeSchoolShare(&er, in.tmp_path, files, n_files, st);
    }
    sc_emitInputsFree(&e);
    sc_rowsInFree(&in.rows);
    return err;
}

xj_error sc_distWriteSchools(sc_run *run, xj_error err)
{
    xj_status *const st = &run->scan->st;
    int const k = run->n_ranks;
    xj_buf *const send = xj_calloc((size_t)k, sizeof *send), *const recv = xj_calloc((size_t)k, sizeof *recv);
    for (int r = 0; r < k && send && recv; r++) {
        buf_init(&send[r], SIZE_MAX / 4);
        buf_init(&recv[r], SIZE_MAX / 4);
    }
    if (!err && (send == NULL || recv == NULL)) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    err = xc_agree(err, st); /* meeting 1 */
    em_file *files = NULL;
    size_t n_files = 0;
    xj_buf list;
    buf_init(&list, SIZE_MAX / 4);
    if (!err) {
        err = xc_exchange(send, recv, st);
        if (!err) err = sc_writeShare(run, &recv[0], &files, &n_files);
        if (!err && sc_putFileList(files, n_files, &list) != XJ_OK) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
        err = xc_agree(err, st); /* meeting 2 */
        xj_buf unused; /* only rank 0 receives */
        buf_init(&unused, 0);
        if (!err) err = xc_gather(&list, &unused, st);
        buf_free(&unused);
    }
    for (int r = 0; r < k && send && recv; r++) {
        buf_free(&send[r]);
        buf_free(&recv[r]);
    }
    xj_free(send);
    xj_free(recv);
    buf_free(&list);
    em_filesFree(files, n_files);
    return err;
}
