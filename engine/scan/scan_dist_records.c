/*
 * scan_dist_records — a distributed scan's flagged records brought to the
 * processes that decide them, and the decided rows to rank 0 (docs/mpi.md
 * §3, meetings 2 and 3).
 *
 * After grouping, each process holds the groups of the shards it owns and
 * the invalid IDs of the records it read. To decide them it needs their
 * records, which lie in other processes' inputs: it sends each reader
 * (sc_readerOf) the sorted refs it wants from it; each reader reads back,
 * in one pass 2, everything it was asked for (each record once, however
 * many processes asked) and answers each process in the order it asked.
 * Each process then decides its groups exactly as one process would (a
 * group's rows depend on its members alone, docs/rules.md), and sends the
 * rows to rank 0, which sorts them with its own and writes the output,
 * with the officers' decision lines its groups matched (the lines no
 * process matched go to decisions_unmatched.csv).
 *
 * Cost: each flagged record's ref (8 bytes) and its record (about 200
 * bytes with its output columns) cross the network once for every other
 * process that decides a group holding it; each row crosses once more, to
 * rank 0. A process holds the records of its own groups, not the job's.
 */
#include <stdlib.h>
#include <string.h>

#include "scan_internal.h"
#include "xj_alloc.h"
#include "xj_comm.h"

/* ---- records ---- */

static xj_error sc_putRecord(const gr_record *g, xj_buf *out)
{
    FORWARD_IF_ERROR(xc_putU64(out, g->ref));
    FORWARD_IF_ERROR(xc_putBytes(out, g->school, g->school_len));
    FORWARD_IF_ERROR(xc_putBytes(out, g->county, g->county_len));
    FORWARD_IF_ERROR(xc_putBytes(out, g->student_no, g->student_no_len));
    FORWARD_IF_ERROR(xc_putBytes(out, g->school_name, g->school_name_len));
    FORWARD_IF_ERROR(xc_putBytes(out, g->name, g->name_len));
    FORWARD_IF_ERROR(xc_putBytes(out, g->id, g->id_len));
    FORWARD_IF_ERROR(xc_putBytes(out, g->tail, g->tail_len));
    FORWARD_IF_ERROR(xc_putU64(out, (uint64_t)g->registered << 32 | g->birth));
    return xc_putU64(out, (uint64_t)g->sex << 8 | (unsigned char)g->id_type);
}

static xj_error sc_takeRecord(xc_reader *r, xj_arena *a, gr_record *g)
{
    memset(g, 0, sizeof *g);
    g->ref = xc_getU64(r);
    g->school = sc_distTakeString(r, a, &g->school_len);
    g->county = sc_distTakeString(r, a, &g->county_len);
    g->student_no = sc_distTakeString(r, a, &g->student_no_len);
    g->school_name = sc_distTakeString(r, a, &g->school_name_len);
    g->name = sc_distTakeString(r, a, &g->name_len);
    g->id = sc_distTakeString(r, a, &g->id_len);
    g->tail = sc_distTakeString(r, a, &g->tail_len);
    uint64_t const dates = xc_getU64(r), kind = xc_getU64(r);
    g->registered = (uint32_t)(dates >> 32);
    g->birth = (uint32_t)dates;
    g->sex = (uint8_t)(kind >> 8);
    g->id_type = (char)(kind & 0xff);
    if (r->bad) return XJ_ERR_INTERNAL;
    return g->school && g->county && g->student_no && g->school_name && g->name && g->id && g->tail ? XJ_OK
                                                                                                     : XJ_ERR_NOMEM;
}

/* ---- 2. the records to the processes that decide them ---- */

/* What every process asked of this one (asked[r], sorted refs), merged
 * into run->flagged (sorted, each once) and read back into run->gathered. */
static xj_error sc_readAsked(sc_run *run, const xj_buf *asked)
{
    xj_status *const st = &run->scan->st;
    size_t n = 0;
    for (int r = 0; r < run->n_ranks; r++) n += asked[r].len / sizeof(uint64_t);
    uint64_t *const all = xj_mallocArray(n ? n : 1, sizeof *all);
    RETURN_ERROR_IF(all == NULL, st, XJ_ERR_NOMEM, "out of memory");
    size_t at = 0;
    for (int r = 0; r < run->n_ranks; r++) {
        size_t const k = asked[r].len / sizeof *all;
        if (k) memcpy(all + at, asked[r].data, k * sizeof *all);
        at += k;
    }
    FORWARD_IF_ERROR(sc_setFlagged(run, all, n));
    for (size_t i = 0; i < run->n_flagged; i++)
        RETURN_ERROR_IF(!sc_ownsRecord(run, run->flagged[i]), st, XJ_ERR_INTERNAL,
                        "internal error: asked for a record another process reads");
    return sc_gatherPass(run);
}

/* The answer to one process: the records it asked for, in its order. */
static xj_error sc_answer(const sc_run *run, const xj_buf *asked, xj_buf *out)
{
    const uint64_t *const want = (const uint64_t *)(const void *)asked->data;
    size_t const n = asked->len / sizeof *want;
    for (size_t i = 0; i < n; i++) {
        size_t const at = sc_lowerBound(run->flagged, run->n_flagged, want[i]);
        if (XJ_NEVER(at == run->n_flagged || run->flagged[at] != want[i])) return XJ_ERR_INTERNAL;
        FORWARD_IF_ERROR(sc_putRecord(&run->gathered[at], out));
    }
    return XJ_OK;
}

/* need[0 .. n) (sorted) filled in `out`: this process's own from what it
 * read back (run->flagged / gathered), the others' from their answers,
 * which come in the order asked. */
static xj_error sc_takeAnswers(sc_run *run, const uint64_t *need, size_t n, const xj_buf *answers, gr_record *out)
{
    xj_status *const st = &run->scan->st;
    xc_reader *const rd = xj_calloc((size_t)run->n_ranks, sizeof *rd);
    RETURN_ERROR_IF(rd == NULL, st, XJ_ERR_NOMEM, "out of memory");
    for (int r = 0; r < run->n_ranks; r++) rd[r] = xc_reading(&answers[r]);
    xj_error err = XJ_OK;
    for (size_t i = 0; i < n && !err; i++) {
        int const r = sc_readerOf(run, need[i]);
        if (r == run->rank) {
            size_t const at = sc_lowerBound(run->flagged, run->n_flagged, need[i]);
            if (XJ_NEVER(at == run->n_flagged || run->flagged[at] != need[i])) err = XJ_ERR_INTERNAL;
            else out[i] = run->gathered[at];
            continue;
        }
        xj_error const e = sc_takeRecord(&rd[r], &run->workers[0].strings, &out[i]);
        if (e == XJ_ERR_NOMEM) err = st_fail(st, e, "out of memory");
        else if (e || out[i].ref != need[i])
            err = st_fail(st, XJ_ERR_INTERNAL, "internal error: rank %d of %d answered with a record not asked for",
                          r, run->n_ranks);
    }
    for (int r = 0; r < run->n_ranks && !err; r++)
        if (rd[r].p != rd[r].end)
            err = st_fail(st, XJ_ERR_INTERNAL, "internal error: rank %d of %d answered with more than asked", r,
                          run->n_ranks);
    xj_free(rd);
    if (err && st->code == XJ_OK) st_fail(st, err, "internal error: a record asked for is missing");
    return err;
}

xj_error sc_distGather(sc_run *run)
{
    xj_status *const st = &run->scan->st;
    int const k = run->n_ranks, me = run->rank;
    /* what this process needs: its groups' members and its invalid IDs
     * (sc_groupFinish listed them, sorted) */
    uint64_t *const need = run->flagged;
    size_t const n_need = run->n_flagged;
    xj_free(run->gathered);
    run->flagged = NULL;
    run->gathered = NULL;
    run->n_flagged = 0;
    xj_buf *const bufs = xj_calloc(4 * (size_t)k, sizeof *bufs);
    gr_record *const got = xj_calloc(n_need ? n_need : 1, sizeof *got);
    xj_error err = bufs && got ? XJ_OK : st_fail(st, XJ_ERR_NOMEM, "out of memory");
    /* ask[r]: the refs wanted from rank r; asked[r]: those rank r wants;
     * answer[r] / answered[r]: the records, either way */
    size_t const kk = bufs ? (size_t)k : 0;
    xj_buf *const ask = bufs, *const asked = bufs ? bufs + kk : NULL, *const answer = bufs ? bufs + 2 * kk : NULL,
                 *const answered = bufs ? bufs + 3 * kk : NULL;
    for (size_t r = 0; r < 4 * kk; r++) buf_init(&bufs[r], SIZE_MAX / 4);
    for (size_t i = 0; !err && i < n_need; i++) {
        int const r = sc_readerOf(run, need[i]);
        if (XJ_NEVER(r < 0 || r >= k)) err = st_fail(st, XJ_ERR_INTERNAL, "internal error: a record nobody reads");
        else if (buf_append(&ask[r], &need[i], sizeof need[i]) != XJ_OK) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    }
    /* a process short of memory would leave the others waiting: all stop */
    if (!(err = xc_agree(err, st)) && xc_exchange(ask, asked, st)) xc_abortAll(3);
    if (!err) err = sc_readAsked(run, asked);
    for (int r = 0; !err && r < k; r++)
        if (r != me && sc_answer(run, &asked[r], &answer[r]) != XJ_OK)
            err = st_fail(st, XJ_ERR_NOMEM, "out of memory answering rank %d of %d", r, k);
    if (!(err = xc_agree(err, st)) && xc_exchange(answer, answered, st)) xc_abortAll(3);
    for (size_t r = 0; r < 3 * kk; r++) buf_free(&bufs[r]); /* the answers stay */
    if (!err) err = sc_takeAnswers(run, need, n_need, answered, got);
    for (size_t r = 0; r < 4 * kk; r++) buf_free(&bufs[r]);
    xj_free(bufs);
    /* the records read for others stay in the workers' arenas until the
     * run ends; the lists of them go */
    xj_free(run->flagged);
    xj_free(run->gathered);
    run->flagged = need;
    run->gathered = got;
    run->n_flagged = n_need;
    run->n_gathered = got ? n_need : 0;
    return xc_agree(err, st);
}

/* ---- 3. the rows to rank 0 ---- */

/* The decision lines this process's groups matched (decisions_unmatched.csv
 * is rank 0's to write): their count, then their numbers. */
static xj_error sc_putMatched(const sc_decisions *d, xj_buf *out)
{
    uint64_t n = 0;
    for (size_t i = 0; i < d->n; i++) n += d->v[i].matched != 0;
    FORWARD_IF_ERROR(xc_putU64(out, n));
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].matched) FORWARD_IF_ERROR(xc_putU64(out, i));
    return XJ_OK;
}

/* Rank 0: one process's rows (then its attested rows) appended, and the
 * decision lines it matched marked. */
static xj_error sc_takeRowsOf(sc_run *run, sc_rows *rows, int r)
{
    xc_reader rd = xc_reading(&rows->messages[r]);
    sc_rowsIn *const in = &rows->received[2 * r];
    FORWARD_IF_ERROR(sc_takeRows(&rd, run->n_inputs, &in[0]));
    FORWARD_IF_ERROR(sc_takeRows(&rd, run->n_inputs, &in[1]));
    uint64_t const n_matched = xc_getU64(&rd);
    for (uint64_t i = 0; i < n_matched && !rd.bad; i++) {
        uint64_t const line = xc_getU64(&rd);
        if (line >= run->decisions.n) return XJ_ERR_INTERNAL;
        run->decisions.v[line].matched = 1;
    }
    if (rd.bad || rd.p != rd.end) return XJ_ERR_INTERNAL;
    pb_row *const v = xj_reallocArray(rows->v, rows->n + in[0].n_rows + 1, sizeof *v);
    if (v == NULL) return XJ_ERR_NOMEM;
    rows->v = v;
    if (in[0].n_rows) memcpy(v + rows->n, in[0].rows, in[0].n_rows * sizeof *v);
    rows->n += in[0].n_rows;
    pb_row *const a = xj_reallocArray(rows->attested, rows->n_attested + in[1].n_rows + 1, sizeof *a);
    if (a == NULL) return XJ_ERR_NOMEM;
    rows->attested = a;
    if (in[1].n_rows) memcpy(a + rows->n_attested, in[1].rows, in[1].n_rows * sizeof *a);
    rows->n_attested += in[1].n_rows;
    /* copied: only their member lists and strings are still pointed at */
    for (int i = 0; i < 2; i++) {
        xj_free(in[i].rows);
        in[i].rows = NULL;
    }
    return XJ_OK;
}

xj_error sc_distCollectRows(sc_run *run, sc_rows *rows, xj_error err)
{
    xj_status *const st = &run->scan->st;
    int const k = run->n_ranks;
    xj_buf mine, unused; /* only rank 0 receives */
    buf_init(&mine, SIZE_MAX / 4);
    buf_init(&unused, 0);
    if (!err && run->rank != 0) {
        if (sc_putRows(rows->v, rows->n, &mine) != XJ_OK ||
            sc_putRows(rows->attested, rows->n_attested, &mine) != XJ_OK ||
            sc_putMatched(&run->decisions, &mine) != XJ_OK)
            err = st_fail(st, XJ_ERR_NOMEM, "out of memory sending the rows to rank 0");
        sc_rowsFree(rows); /* rank 0 writes them */
    }
    if (!err && run->rank == 0) {
        rows->messages = xj_calloc((size_t)k, sizeof *rows->messages);
        rows->received = xj_calloc(2 * (size_t)k, sizeof *rows->received);
        if (rows->messages == NULL || rows->received == NULL) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
        else rows->n_received = k;
        for (int r = 0; r < rows->n_received; r++) buf_init(&rows->messages[r], SIZE_MAX / 4);
    }
    if (!(err = xc_agree(err, st))) err = xc_gather(&mine, run->rank == 0 ? rows->messages : &unused, st);
    buf_free(&mine);
    buf_free(&unused);
    for (int r = 1; !err && run->rank == 0 && r < k; r++) {
        xj_error const e = sc_takeRowsOf(run, rows, r);
        if (e) err = st_fail(st, e, "cannot take the rows rank %d of %d decided: %s", r, k, xj_errorName(e));
    }
    return xc_agree(err, st);
}
