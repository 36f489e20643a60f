/*
 * scan_dist — a scan spread over the processes of an MPI job (docs/mpi.md):
 * the inputs shared out, and the keys sent to the processes that own them.
 *
 * Every process runs the same stages on its share of the inputs, and they
 * meet at four points, each a plain-data hand-over of scan_internal.h:
 *   1. after pass 1, keys go to their owner (here): shards are dealt out in
 *      contiguous ranges, and each process groups its own shards and keeps
 *      the groups. What pass 1 found besides keys and invalid IDs —
 *      counts, rejects, the inputs' sizes and hashes, the population's
 *      candidates, and with --previous the pairs of PREV's its records have
 *      (every process reads PREV) — goes to rank 0;
 *   2. each process asks the readers of its groups' members for their
 *      records, and gets them (pass 2, scan_dist_records.c);
 *   3. each process decides its groups and its invalid IDs, and sends the
 *      rows to rank 0 (scan_dist_records.c);
 *   4. rank 0 writes the output, the school files shared out to the
 *      processes (scan_share.c), and every process learns how that went.
 * A record's ref is (input, line) wherever it is read, a group's rows
 * depend on its members only, and every result is sorted before it is
 * written, so the output is the one process's, byte for byte, whatever
 * the number of processes.
 *
 * Inputs are shared out whole, biggest first, each to the process with the
 * fewest bytes so far (a tie to the lowest rank): every process computes
 * the same plan from the file sizes. Keys travel in rounds of a few
 * shards, each freed once sent, so a process holds its keys once plus one
 * round's worth. Cost: each record's 16 or 24 bytes of keys cross the
 * network once (all but a share 1/K of them).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scan_internal.h"
#include "xj_alloc.h"
#include "xj_comm.h"

#define SC_TABLES (SC_KEY_KINDS + 1) /* the three key kinds, then the slips */
#define SC_ROUND_SHARDS 8u            /* shards per destination a round */

static gk_table *sc_tableOf(sc_found *f, int k)
{
    return k < SC_KEY_KINDS ? &f->keys[k] : &f->slips;
}

/* The first shard rank r owns, of `ranks` (r == ranks: GK_SHARDS). */
unsigned sc_distShardLo(int r, int ranks)
{
    return (unsigned)(((size_t)r * GK_SHARDS + (size_t)ranks - 1) / (size_t)ranks);
}

/* ---- the inputs shared out ---- */

typedef struct sc_sized {
    uint64_t bytes;
    size_t input;
} sc_sized;

static int sc_cmpSized(const void *pa, const void *pb)
{
    const sc_sized *const a = pa, *const b = pb;
    if (a->bytes != b->bytes) return a->bytes > b->bytes ? -1 : 1;
    return a->input < b->input ? -1 : a->input > b->input;
}

/* Under a launcher every input must be a regular file, even for one
 * process: no other process could read a pipe, and mpirun hands its own
 * standard input on through its I/O forwarding, which in Open MPI 4.1
 * (Debian 12) sometimes crashes mpirun itself once the input is read
 * (open-mpi/ompi#7483), leaving the scan running on without it. With
 * `sized`, each input's size is noted there for the share-out. */
static xj_error sc_distCheckInputs(const sc_run *run, sc_sized *sized, xj_status *st)
{
    for (size_t i = 0; i < run->n_inputs; i++) {
        struct stat sb;
        if (strcmp(run->inputs[i].path, "-") == 0)
            return st_fail(st, XJ_ERR_USAGE, "standard input (-) cannot be read under mpirun; "
                                             "give the file's path (under mpirun every input must be a file)");
        if (stat(run->inputs[i].path, &sb) != 0 || !S_ISREG(sb.st_mode))
            return st_fail(st, XJ_ERR_USAGE, "%s: under mpirun every input must be a regular file",
                           run->inputs[i].path);
        if (sized) sized[i] = (sc_sized){(uint64_t)sb.st_size, i};
    }
    return XJ_OK;
}

xj_error sc_distPrepare(sc_run *run)
{
    xj_status *const st = &run->scan->st;
    if (run->n_ranks <= 1) return xc_launched() ? sc_distCheckInputs(run, NULL, st) : XJ_OK;
    RETURN_ERROR_IF(run->scan->against, st, XJ_ERR_USAGE,
                    "check runs as one process: start it without mpirun (a batch is small; the register is an index)");
    sc_sized *const v = xj_mallocArray(run->n_inputs ? run->n_inputs : 1, sizeof *v);
    uint64_t *const load = xj_calloc((size_t)run->n_ranks, sizeof *load);
    run->mine = xj_calloc(run->n_inputs ? run->n_inputs : 1, 1);
    xj_error err = v && load && run->mine ? XJ_OK : st_fail(st, XJ_ERR_NOMEM, "out of memory");
    if (!err) err = sc_distCheckInputs(run, v, st);
    if (!err) {
        qsort(v, run->n_inputs, sizeof *v, sc_cmpSized);
        for (size_t k = 0; k < run->n_inputs; k++) {
            sc_input *const in = &run->inputs[v[k].input];
            if (sc_splitWanted(run, v[k].input, v[k].bytes)) {
                /* read in parts by every process: the same load on each */
                in->split = 1;
                in->split_size = v[k].bytes;
                run->mine[v[k].input] = 1;
                continue;
            }
            int best = 0;
            for (int r = 1; r < run->n_ranks; r++)
                if (load[r] < load[best]) best = r;
            load[best] += v[k].bytes + 1; /* + 1: empty files are shared out too */
            in->reader = best;
            run->mine[v[k].input] = best == run->rank;
        }
    }
    xj_free(v);
    xj_free(load);
    return err;
}

/* ---- 1. keys to their owners, groups and pass 1's facts to rank 0 ---- */

/* One round's keys for `dest`: for each table kind, each shard of
 * [s0, s1) (clipped to dest's range): the entry count, then the entries of
 * every worker; the workers' vectors freed as they are packed. */
xj_error sc_distPutKeys(sc_run *run, unsigned s0, unsigned s1, xj_buf *out)
{
    for (int k = 0; k < SC_TABLES; k++)
        for (unsigned s = s0; s < s1; s++) {
            uint64_t n = 0;
            for (int t = 0; t < run->n_workers; t++) n += sc_tableOf(&run->workers[t].found, k)->shard[s].n;
            FORWARD_IF_ERROR(xc_putU64(out, n));
            for (int t = 0; t < run->n_workers; t++) {
                gk_table *const tab = sc_tableOf(&run->workers[t].found, k);
                gk_vec *const v = &tab->shard[s];
                size_t const stride = tab->wide ? 3 : 2;
                if (v->n) FORWARD_IF_ERROR(buf_append(out, v->v, v->n * stride * sizeof *v->v));
                xj_free(v->v);
                *v = (gk_vec){0};
            }
        }
    return XJ_OK;
}

/* The keys one process sent for this one's shards [s0, s1), into `into`. */
xj_error sc_distTakeKeys(xc_reader *rd, unsigned s0, unsigned s1, sc_found *into, xj_status *st)
{
    xc_reader r = *rd;
    for (int k = 0; k < SC_TABLES; k++)
        for (unsigned s = s0; s < s1; s++) {
            gk_table *const tab = sc_tableOf(into, k);
            size_t const stride = tab->wide ? 3 : 2;
            uint64_t const n = xc_getU64(&r);
            RETURN_ERROR_IF(r.bad || n > (uint64_t)(r.end - r.p) / (stride * 8), st, XJ_ERR_INTERNAL,
                            "internal error: a short message of keys from another process");
            if (n == 0) continue;
            gk_vec *const v = &tab->shard[s];
            uint64_t *const grown = xj_reallocArray(v->v, v->n + n, stride * sizeof *grown);
            RETURN_ERROR_IF(grown == NULL, st, XJ_ERR_NOMEM, "out of memory receiving keys");
            memcpy(grown + v->n * stride, r.p, n * stride * sizeof *grown);
            r.p += n * stride * sizeof *grown;
            v->v = grown;
            v->n += n;
            v->cap = v->n;
        }
    *rd = r;
    return XJ_OK;
}

/* Every process's keys for the shards it owns, the other processes'
 * received into recv[r] (recv[rank] stays empty). */
xj_error sc_distExchangeKeys(sc_run *run, sc_found *recv)
{
    xj_status *const st = &run->scan->st;
    int const n = run->n_ranks, me = run->rank;
    /* no early return: the others would wait at the first agreement */
    xj_buf *const send = xj_calloc((size_t)n * 2, sizeof *send);
    if (send == NULL) return xc_agree(st_fail(st, XJ_ERR_NOMEM, "out of memory"), st);
    xj_buf *const got = send + n;
    for (int r = 0; r < 2 * n; r++) buf_init(&send[r], SIZE_MAX / 4);
    unsigned widest = 0;
    for (int r = 0; r < n; r++) {
        unsigned const width = sc_distShardLo(r + 1, n) - sc_distShardLo(r, n);
        if (width > widest) widest = width;
    }
    xj_error err = XJ_OK;
    for (unsigned at = 0; at < widest; at += SC_ROUND_SHARDS) {
        for (int r = 0; r < n && !err; r++) {
            buf_clear(&send[r]);
            unsigned const lo = sc_distShardLo(r, n), hi = sc_distShardLo(r + 1, n);
            unsigned const s0 = lo + at < hi ? lo + at : hi, s1 = s0 + SC_ROUND_SHARDS < hi ? s0 + SC_ROUND_SHARDS : hi;
            if (r != me) err = sc_distPutKeys(run, s0, s1, &send[r]);
        }
        if (err) err = st_fail(st, err, "out of memory sending keys");
        /* a process short of memory would leave the others waiting: all stop */
        if (xc_agree(err, st)) break;
        if (xc_exchange(send, got, st)) xc_abortAll(3);
        unsigned const lo = sc_distShardLo(me, n), hi = sc_distShardLo(me + 1, n);
        unsigned const s0 = lo + at < hi ? lo + at : hi, s1 = s0 + SC_ROUND_SHARDS < hi ? s0 + SC_ROUND_SHARDS : hi;
        for (int r = 0; r < n && !err; r++)
            if (r != me) {
                xc_reader rd = xc_reading(&got[r]);
                err = sc_distTakeKeys(&rd, s0, s1, &recv[r], st);
            }
        if ((err = xc_agree(err, st))) break;
    }
    for (int r = 0; r < 2 * n; r++) buf_free(&send[r]);
    xj_free(send);
    return err ? err : st->code;
}

/* What rank 0 needs of pass 1 besides the groups and the invalid IDs
 * (each process decides its own): counts, rejects, the own inputs' facts,
 * the warnings from `first_warning` on. */
xj_error sc_distPutFound(const sc_run *run, size_t first_warning, xj_buf *out)
{
    sc_counts const c = sc_countFound(run);
    FORWARD_IF_ERROR(xc_putU64(out, c.accepted));
    FORWARD_IF_ERROR(xc_putU64(out, c.blank));
    FORWARD_IF_ERROR(xc_putU64(out, c.unknown_types));
    FORWARD_IF_ERROR(xc_putU64(out, (uint64_t)run->n_workers));
    for (int t = 0; t < run->n_workers; t++) {
        const sc_found *const f = &run->workers[t].found;
        FORWARD_IF_ERROR(xc_putU64(out, f->n_rej));
        for (size_t i = 0; i < f->n_rej; i++) {
            const em_reject *const j = &f->rej[i];
            FORWARD_IF_ERROR(xc_putU64(out, (uint64_t)j->source << 32 | (uint64_t)j->reason));
            FORWARD_IF_ERROR(xc_putU64(out, j->line));
            FORWARD_IF_ERROR(xc_putBytes(out, j->raw, j->raw_len));
        }
    }
    for (size_t i = 0; i < run->n_inputs; i++) {
        if (!sc_isMine(run, i)) continue;
        const sc_input *const in = &run->inputs[i];
        FORWARD_IF_ERROR(xc_putU64(out, i));
        FORWARD_IF_ERROR(xc_putU64(out, in->rows));
        FORWARD_IF_ERROR(xc_putU64(out, in->facts.bytes));
        FORWARD_IF_ERROR(xc_putU64(out, in->facts.decoded_bytes));
        FORWARD_IF_ERROR(xc_putBytes(out, in->facts.xxh3_128, sizeof in->facts.xxh3_128));
    }
    FORWARD_IF_ERROR(xc_putU64(out, UINT64_MAX));
    /* --population: what was compared, the formal-number candidates */
    for (int t = 0; t < run->n_workers; t++) {
        const sc_popWork *const pw = &run->workers[t].pop;
        FORWARD_IF_ERROR(xc_putU64(out, pw->compared));
        FORWARD_IF_ERROR(xc_putU64(out, pw->n_assign));
        for (size_t i = 0; i < pw->n_assign; i++) {
            const sc_assign *const a = &pw->assign[i];
            FORWARD_IF_ERROR(xc_putU64(out, a->ref));
            FORWARD_IF_ERROR(xc_putU64(out, a->id));
            FORWARD_IF_ERROR(xc_putU64(out, a->basis));
            FORWARD_IF_ERROR(xc_putBytes(out, a->sno, a->sno_len));
            FORWARD_IF_ERROR(xc_putBytes(out, a->school, a->school_len));
        }
    }
    /* --previous: the pairs of PREV's that this process's records have */
    const uint64_t *passed = NULL;
    size_t n_passed = 0;
    if (run->prev) FORWARD_IF_ERROR(em_prevPassed(run->prev, &passed, &n_passed));
    FORWARD_IF_ERROR(xc_putU64(out, n_passed));
    if (n_passed) FORWARD_IF_ERROR(buf_append(out, passed, n_passed * sizeof *passed));
    size_t const n_warn = run->scan->warnings.n;
    FORWARD_IF_ERROR(xc_putU64(out, n_warn > first_warning ? n_warn - first_warning : 0));
    for (size_t i = first_warning; i < n_warn; i++) {
        const char *const w = nt_get(&run->scan->warnings, i);
        FORWARD_IF_ERROR(xc_putBytes(out, w, strlen(w)));
    }
    return XJ_OK;
}

/* Rank 0: another process's pass-1 facts added to worker 0's (the counts
 * and rejects) and to the inputs' and the warnings. */
xj_error sc_distTakeFound(sc_run *run, xc_reader *r)
{
    xj_status *const st = &run->scan->st;
    sc_found *const f = &run->workers[0].found;
    f->accepted += xc_getU64(r);
    f->blank += xc_getU64(r);
    f->unknown_types += xc_getU64(r);
    uint64_t const workers = xc_getU64(r);
    for (uint64_t t = 0; t < workers && !r->bad; t++) {
        uint64_t const n_rej = xc_getU64(r);
        for (uint64_t i = 0; i < n_rej && !r->bad; i++) {
            uint64_t const what = xc_getU64(r), line = xc_getU64(r);
            size_t len = 0;
            const char *const raw = xc_getBytes(r, &len);
            if (r->bad) break;
            RETURN_ERROR_IF(xj_growArray(&f->rej, &f->cap_rej, f->n_rej + 1, sizeof *f->rej, 64) != 0, st,
                            XJ_ERR_NOMEM, "out of memory");
            char *const copy = ar_strndup(&f->raws, raw, len);
            RETURN_ERROR_IF(copy == NULL, st, XJ_ERR_NOMEM, "out of memory");
            f->rej[f->n_rej++] = (em_reject){(xj_reject)(what & 0xffffffffu), copy, line, len, (uint32_t)(what >> 32)};
        }
    }
    for (uint64_t i = xc_getU64(r); i != UINT64_MAX && !r->bad; i = xc_getU64(r)) {
        RETURN_ERROR_IF(i >= run->n_inputs, st, XJ_ERR_INTERNAL, "internal error: facts of an unknown input");
        sc_input *const in = &run->inputs[i];
        uint64_t const rows = xc_getU64(r), bytes = xc_getU64(r), decoded = xc_getU64(r);
        size_t len = 0;
        const char *const hex = xc_getBytes(r, &len);
        if (hex == NULL || len != sizeof in->facts.xxh3_128) r->bad = 1;
        else if (in->split) { /* one part of it: rank 0 hashes the whole */
            in->rows += rows;
            in->facts.bytes += bytes;
            in->facts.decoded_bytes += decoded;
        } else {
            in->rows = rows;
            in->facts.bytes = bytes;
            in->facts.decoded_bytes = decoded;
            memcpy(in->facts.xxh3_128, hex, len);
        }
    }
    sc_popWork *const pw = &run->workers[0].pop;
    for (uint64_t t = 0; t < workers && !r->bad; t++) {
        pw->compared += xc_getU64(r);
        uint64_t const n = xc_getU64(r);
        for (uint64_t i = 0; i < n && !r->bad; i++) {
            RETURN_ERROR_IF(xj_growArray(&pw->assign, &pw->cap_assign, pw->n_assign + 1, sizeof *pw->assign, 64) != 0,
                            st, XJ_ERR_NOMEM, "out of memory");
            sc_assign *const a = &pw->assign[pw->n_assign];
            memset(a, 0, sizeof *a);
            a->ref = xc_getU64(r);
            a->id = xc_getU64(r);
            a->basis = (uint8_t)xc_getU64(r);
            a->sno = sc_distTakeString(r, &pw->text, &a->sno_len);
            a->school = sc_distTakeString(r, &pw->text, &a->school_len);
            RETURN_ERROR_IF(!r->bad && (!a->sno || !a->school), st, XJ_ERR_NOMEM, "out of memory");
            pw->n_assign += !r->bad;
        }
    }
    uint64_t const n_passed = xc_getU64(r);
    RETURN_ERROR_IF(r->bad || n_passed > (uint64_t)(r->end - r->p) / 8 || (n_passed && run->prev == NULL), st,
                    XJ_ERR_INTERNAL, "internal error: a broken message from another process");
    if (n_passed) { /* copied out: the words need not be aligned in the message */
        uint64_t *const words = xj_mallocArray((size_t)n_passed, sizeof *words);
        RETURN_ERROR_IF(words == NULL, st, XJ_ERR_NOMEM, "out of memory");
        memcpy(words, r->p, (size_t)n_passed * sizeof *words);
        r->p += n_passed * sizeof *words;
        xj_error const added = em_prevAddPassed(run->prev, words, (size_t)n_passed);
        xj_free(words);
        RETURN_ERROR_IF(added != XJ_OK, st, XJ_ERR_NOMEM, "out of memory");
    }
    uint64_t const n_warn = xc_getU64(r);
    for (uint64_t i = 0; i < n_warn && !r->bad; i++) {
        size_t len = 0;
        const char *const w = xc_getBytes(r, &len);
        if (w) RETURN_ERROR_IF(nt_add(&run->scan->warnings, "%.*s", (int)len, w) != XJ_OK, st, XJ_ERR_NOMEM,
                               "out of memory");
    }
    RETURN_ERROR_IF(r->bad, st, XJ_ERR_INTERNAL, "internal error: a broken message from another process");
    return XJ_OK;
}

xj_error sc_distGroup(sc_run *run, size_t first_warning)
{
    xj_status *const st = &run->scan->st;
    int const n = run->n_ranks;
    size_t const nw = (size_t)run->n_workers;
    sc_found *const recv = xj_calloc((size_t)n, sizeof *recv);
    sc_found **const found = xj_calloc(nw + (size_t)n, sizeof *found);
    xj_buf mine, *const all = xj_calloc((size_t)n, sizeof *all);
    buf_init(&mine, SIZE_MAX / 4);
    xj_error err = recv && found && all ? XJ_OK : st_fail(st, XJ_ERR_NOMEM, "out of memory");
    for (int r = 0; recv && r < n; r++) {
        for (int k = 0; k < SC_KEY_KINDS; k++) gk_tableInit(&recv[r].keys[k], k != GD_KEY_GB);
        gk_tableInit(&recv[r].slips, 0);
    }
    for (int r = 0; all && r < n; r++) buf_init(&all[r], SIZE_MAX / 4);
    err = xc_agree(err, st);
    if (!err) err = sc_distExchangeKeys(run, recv);
    /* the groups stay where they were found: each process decides its own */
    if (!err) {
        for (size_t t = 0; t < nw; t++) found[t] = &run->workers[t].found;
        for (int r = 0; r < n; r++) found[nw + (size_t)r] = &recv[r];
        err = sc_groupFound(run, NULL, found, nw + (size_t)n, run->groups);
    }
    if (!err) err = sc_groupFinish(run);
    if (!err && sc_distPutFound(run, first_warning, &mine) != XJ_OK) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    /* every agreement is reached by every process: one that failed alone
     * must still come, or the others would wait for it */
    if (!(err = xc_agree(err, st))) err = xc_gather(&mine, all, st);
    buf_free(&mine);
    for (int r = 1; !err && run->rank == 0 && r < n; r++) {
        xc_reader rd = xc_reading(&all[r]);
        err = sc_distTakeFound(run, &rd);
        buf_free(&all[r]);
    }
    /* the split inputs' rows are all counted only now */
    if (!err && run->rank == 0) err = sc_checkEncodings(run, 1);
    for (int r = 0; recv && r < n; r++) {
        for (int k = 0; k < SC_KEY_KINDS; k++) gk_tableFree(&recv[r].keys[k]);
        gk_tableFree(&recv[r].slips);
    }
    for (int r = 0; all && r < n; r++) buf_free(&all[r]);
    xj_free(all);
    xj_free(recv);
    xj_free(found);
    for (int k = 0; k < SC_KEY_KINDS; k++) run->group_total[k] = run->groups[k].n;
    if ((err = xc_agree(err, st)) == XJ_OK) xc_sumEach(run->group_total, SC_KEY_KINDS);
    return err;
}

/* A counted string of `r` copied into the arena (*len its length). */
const char *sc_distTakeString(xc_reader *r, xj_arena *a, uint32_t *len)
{
    size_t n = 0;
    const char *const p = xc_getBytes(r, &n);
    if (p == NULL || n > UINT32_MAX) {
        r->bad = 1;
        return NULL;
    }
    *len = (uint32_t)n;
    return ar_strndup(a, p, n);
}
