/*
 * scan_dist — a scan spread over the processes of an MPI job (docs/mpi.md).
 *
 * Every process runs the same stages on its share of the inputs, and they
 * meet at three points, each a plain-data hand-over of scan_internal.h:
 *   1. after pass 1, keys go to their owner: shards are dealt out in
 *      contiguous ranges, so each process groups its own shards, and rank
 *      0, concatenating the groups in rank order, has them in shard order,
 *      as one process would (grp_keys.h). What pass 1 found besides keys —
 *      counts, invalid IDs, rejects, the inputs' sizes and hashes, the
 *      population's candidates, and with --previous the pairs of PREV's
 *      its records have (every process reads PREV) — goes to rank 0 with
 *      the groups;
 *   2. rank 0 lists the flagged records and tells every process; each
 *      reads back those of its own inputs (pass 2) and sends them to rank 0;
 *   3. rank 0 decides and writes the output, exactly as one process does,
 *      and every process learns how that went.
 * A record's ref is (input, line) wherever it is read, and every result is
 * sorted by ref before it is written, so the output is the one process's,
 * byte for byte, whatever the number of processes.
 *
 * Inputs are shared out whole, biggest first, each to the process with the
 * fewest bytes so far (a tie to the lowest rank): every process computes
 * the same plan from the file sizes. Keys travel in rounds of a few
 * shards, each freed once sent, so a process holds its keys once plus one
 * round's worth. Cost: each record's 16 or 24 bytes of keys cross the
 * network once (all but a share 1/K of them); the flagged records (a few
 * per cent) cross it once more.
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

static const char *sc_takeString(xc_reader *r, xj_arena *a, uint32_t *len);

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

xj_error sc_distPrepare(sc_run *run)
{
    xj_status *const st = &run->scan->st;
    if (run->n_ranks <= 1) return XJ_OK;
    RETURN_ERROR_IF(run->scan->against, st, XJ_ERR_USAGE,
                    "check runs as one process: start it without mpirun (a batch is small; the register is an index)");
    sc_sized *const v = xj_mallocArray(run->n_inputs ? run->n_inputs : 1, sizeof *v);
    uint64_t *const load = xj_calloc((size_t)run->n_ranks, sizeof *load);
    run->mine = xj_calloc(run->n_inputs ? run->n_inputs : 1, 1);
    xj_error err = v && load && run->mine ? XJ_OK : st_fail(st, XJ_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !err && i < run->n_inputs; i++) {
        struct stat sb;
        if (strcmp(run->inputs[i].path, "-") == 0)
            err = st_fail(st, XJ_ERR_USAGE, "standard input (-) cannot be read by several processes; "
                                            "give the file's path (under mpirun every input must be a file)");
        else if (stat(run->inputs[i].path, &sb) != 0 || !S_ISREG(sb.st_mode))
            err = st_fail(st, XJ_ERR_USAGE, "%s: under mpirun every input must be a regular file",
                          run->inputs[i].path);
        else v[i] = (sc_sized){(uint64_t)sb.st_size, i};
    }
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

static xj_error sc_putGroups(const gk_groups *g, xj_buf *out)
{
    FORWARD_IF_ERROR(xc_putU64(out, g->n));
    for (size_t i = 0; i < g->n; i++) {
        FORWARD_IF_ERROR(xc_putU64(out, g->g[i].hi));
        FORWARD_IF_ERROR(xc_putU64(out, g->g[i].lo));
        FORWARD_IF_ERROR(xc_putU64(out, g->g[i].n));
    }
    FORWARD_IF_ERROR(xc_putU64(out, g->n_refs));
    return g->n_refs ? buf_append(out, g->refs, g->n_refs * sizeof *g->refs) : XJ_OK;
}

/* What rank 0 needs of pass 1 besides the groups: counts, invalid IDs,
 * rejects, the own inputs' facts, the warnings from `first_warning` on. */
xj_error sc_distPutFound(const sc_run *run, size_t first_warning, xj_buf *out)
{
    sc_counts const c = sc_countFound(run);
    FORWARD_IF_ERROR(xc_putU64(out, c.accepted));
    FORWARD_IF_ERROR(xc_putU64(out, c.blank));
    FORWARD_IF_ERROR(xc_putU64(out, c.unknown_types));
    FORWARD_IF_ERROR(xc_putU64(out, (uint64_t)run->n_workers));
    for (int t = 0; t < run->n_workers; t++) {
        const sc_found *const f = &run->workers[t].found;
        FORWARD_IF_ERROR(xc_putU64(out, f->n_inv));
        for (size_t i = 0; i < f->n_inv; i++) FORWARD_IF_ERROR(xc_putU64(out, f->inv[i].ref << 8 | f->inv[i].reason));
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

/* Rank 0: another process's groups appended to run->groups[kind]. */
static xj_error sc_takeGroups(xc_reader *r, gk_groups *into, xj_status *st)
{
    uint64_t const n = xc_getU64(r);
    RETURN_ERROR_IF(r->bad || n > (uint64_t)(r->end - r->p) / 24, st, XJ_ERR_INTERNAL,
                    "internal error: a short message of groups from another process");
    gk_group *const g = xj_reallocArray(into->g, into->n + n + 1, sizeof *g);
    RETURN_ERROR_IF(g == NULL, st, XJ_ERR_NOMEM, "out of memory");
    into->g = g;
    size_t first = into->n_refs;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t const hi = xc_getU64(r), lo = xc_getU64(r), members = xc_getU64(r);
        g[into->n + i] = (gk_group){hi, lo, first, (uint32_t)members};
        first += members;
    }
    uint64_t const n_refs = xc_getU64(r);
    RETURN_ERROR_IF(r->bad || n_refs != first - into->n_refs || n_refs > (uint64_t)(r->end - r->p) / 8, st,
                    XJ_ERR_INTERNAL, "internal error: a broken message of groups from another process");
    uint64_t *const refs = xj_reallocArray(into->refs, into->n_refs + n_refs + 1, sizeof *refs);
    RETURN_ERROR_IF(refs == NULL, st, XJ_ERR_NOMEM, "out of memory");
    into->refs = refs;
    memcpy(refs + into->n_refs, r->p, n_refs * sizeof *refs);
    r->p += n_refs * sizeof *refs;
    into->n += n;
    into->n_refs += n_refs;
    return XJ_OK;
}

/* Rank 0: another process's pass-1 facts added to worker 0's (the counts,
 * invalid IDs and rejects) and to the inputs' and the warnings. */
xj_error sc_distTakeFound(sc_run *run, xc_reader *r)
{
    xj_status *const st = &run->scan->st;
    sc_found *const f = &run->workers[0].found;
    f->accepted += xc_getU64(r);
    f->blank += xc_getU64(r);
    f->unknown_types += xc_getU64(r);
    uint64_t const workers = xc_getU64(r);
    for (uint64_t t = 0; t < workers && !r->bad; t++) {
        uint64_t const n_inv = xc_getU64(r);
        for (uint64_t i = 0; i < n_inv && !r->bad; i++) {
            uint64_t const w = xc_getU64(r);
            RETURN_ERROR_IF(sc_addInvalid(f, w >> 8, (xj_idReason)(w & 0xff)) != XJ_OK, st, XJ_ERR_NOMEM,
                            "out of memory");
        }
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
            a->sno = sc_takeString(r, &pw->text, &a->sno_len);
            a->school = sc_takeString(r, &pw->text, &a->school_len);
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
    gk_groups local[SC_KEY_KINDS] = {0};
    if (!err) {
        for (size_t t = 0; t < nw; t++) found[t] = &run->workers[t].found;
        for (int r = 0; r < n; r++) found[nw + (size_t)r] = &recv[r];
        err = sc_groupFound(run, NULL, found, nw + (size_t)n, local);
    }
    for (int k = 0; !err && k < SC_KEY_KINDS; k++)
        if (sc_putGroups(&local[k], &mine) != XJ_OK) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    if (!err && sc_distPutFound(run, first_warning, &mine) != XJ_OK) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    for (int k = 0; k < SC_KEY_KINDS; k++) gk_groupsFree(&local[k]);
    /* every agreement is reached by every process: one that failed alone
     * must still come, or the others would wait for it */
    if (!(err = xc_agree(err, st))) err = xc_gather(&mine, all, st);
    buf_free(&mine);
    /* rank 0: the groups in rank order are the groups in shard order */
    for (int r = 0; !err && run->rank == 0 && r < n; r++) {
        xc_reader rd = xc_reading(&all[r]);
        for (int k = 0; !err && k < SC_KEY_KINDS; k++) err = sc_takeGroups(&rd, &run->groups[k], st);
        if (!err && r > 0) err = sc_distTakeFound(run, &rd);
        buf_free(&all[r]);
    }
    /* the split inputs' rows are all counted only now */
    if (!err && run->rank == 0) err = sc_checkEncodings(run, 1);
    if (!err && run->rank == 0) err = sc_groupFinish(run);
    for (int r = 0; recv && r < n; r++) {
        for (int k = 0; k < SC_KEY_KINDS; k++) gk_tableFree(&recv[r].keys[k]);
        gk_tableFree(&recv[r].slips);
    }
    for (int r = 0; all && r < n; r++) buf_free(&all[r]);
    xj_free(all);
    xj_free(recv);
    xj_free(found);
    return xc_agree(err, st);
}

/* ---- 2. the flagged records read back where they lie ---- */

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

/* A counted string of `r` copied into the arena (*len its length). */
static const char *sc_takeString(xc_reader *r, xj_arena *a, uint32_t *len)
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

static xj_error sc_takeRecord(xc_reader *r, xj_arena *a, gr_record *g)
{
    memset(g, 0, sizeof *g);
    g->ref = xc_getU64(r);
    g->school = sc_takeString(r, a, &g->school_len);
    g->county = sc_takeString(r, a, &g->county_len);
    g->student_no = sc_takeString(r, a, &g->student_no_len);
    g->school_name = sc_takeString(r, a, &g->school_name_len);
    g->name = sc_takeString(r, a, &g->name_len);
    g->id = sc_takeString(r, a, &g->id_len);
    g->tail = sc_takeString(r, a, &g->tail_len);
    uint64_t const dates = xc_getU64(r), kind = xc_getU64(r);
    g->registered = (uint32_t)(dates >> 32);
    g->birth = (uint32_t)dates;
    g->sex = (uint8_t)(kind >> 8);
    g->id_type = (char)(kind & 0xff);
    if (r->bad) return XJ_ERR_INTERNAL;
    return g->school && g->county && g->student_no && g->school_name && g->name && g->id && g->tail ? XJ_OK
                                                                                                     : XJ_ERR_NOMEM;
}

/* This process's share of the flagged records (those of its inputs) read
 * back into `out`. */
static xj_error sc_gatherMine(sc_run *run, xj_buf *out)
{
    xj_status *const st = &run->scan->st;
    uint64_t *const all = run->flagged;
    gr_record *const all_gathered = run->gathered;
    size_t const n_all = run->n_flagged;
    size_t n = 0;
    for (size_t i = 0; i < n_all; i++) n += sc_ownsRecord(run, all[i]);
    run->flagged = xj_mallocArray(n ? n : 1, sizeof *run->flagged);
    run->gathered = xj_calloc(n ? n : 1, sizeof *run->gathered);
    xj_error err = run->flagged && run->gathered ? XJ_OK : st_fail(st, XJ_ERR_NOMEM, "out of memory");
    run->n_flagged = 0;
    for (size_t i = 0; !err && i < n_all; i++)
        if (sc_ownsRecord(run, all[i])) run->flagged[run->n_flagged++] = all[i];
    if (!err) err = sc_gatherPass(run);
    for (size_t i = 0; !err && i < run->n_flagged; i++)
        if (sc_putRecord(&run->gathered[i], out) != XJ_OK) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    xj_free(run->flagged);
    xj_free(run->gathered);
    run->flagged = all;
    run->gathered = all_gathered;
    run->n_flagged = n_all;
    run->n_gathered = n_all;
    return err;
}

xj_error sc_distGather(sc_run *run)
{
    xj_status *const st = &run->scan->st;
    int const n = run->n_ranks;
    xj_buf flagged, mine, *const all = xj_calloc((size_t)n, sizeof *all);
    buf_init(&flagged, SIZE_MAX / 4);
    buf_init(&mine, SIZE_MAX / 4);
    for (int r = 0; all && r < n; r++) buf_init(&all[r], SIZE_MAX / 4);
    xj_error err = all ? XJ_OK : st_fail(st, XJ_ERR_NOMEM, "out of memory");
    if (!err && run->rank == 0 && run->n_flagged &&
        buf_append(&flagged, run->flagged, run->n_flagged * sizeof *run->flagged) != XJ_OK)
        err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    if (!(err = xc_agree(err, st))) err = xc_broadcast(&flagged, st);
    if (!err && run->rank != 0) {
        run->n_flagged = flagged.len / sizeof *run->flagged;
        run->flagged = xj_mallocArray(run->n_flagged ? run->n_flagged : 1, sizeof *run->flagged);
        run->gathered = xj_calloc(1, sizeof *run->gathered);
        if (run->flagged == NULL || run->gathered == NULL) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
        else if (run->n_flagged) memcpy(run->flagged, flagged.data, run->n_flagged * sizeof *run->flagged);
    }
    buf_free(&flagged);
    if (!err) err = sc_gatherMine(run, &mine);
    if (!(err = xc_agree(err, st))) err = xc_gather(&mine, all, st);
    buf_free(&mine);
    /* rank 0: every record into its place; each process's come in ref order */
    xj_arena *const a = &run->workers[0].strings;
    for (int r = 0; !err && run->rank == 0 && r < n; r++) {
        xc_reader rd = xc_reading(&all[r]);
        while (!err && rd.p < rd.end) {
            gr_record g;
            xj_error const e = sc_takeRecord(&rd, a, &g);
            size_t const at = e ? 0 : sc_lowerBound(run->flagged, run->n_flagged, g.ref);
            if (e == XJ_ERR_NOMEM) err = st_fail(st, e, "out of memory");
            else if (e || at == run->n_flagged || run->flagged[at] != g.ref)
                err = st_fail(st, XJ_ERR_INTERNAL, "internal error: a record another process sent was not asked for");
            else run->gathered[at] = g;
        }
        buf_free(&all[r]);
    }
    for (size_t i = 0; !err && run->rank == 0 && i < run->n_flagged; i++)
        if (run->gathered[i].ref != run->flagged[i])
            err = st_fail(st, XJ_ERR_INTERNAL, "internal error: %s line %llu was read back by no process",
                          run->inputs[gk_refSource(run->flagged[i])].path,
                          (unsigned long long)gk_refLine(run->flagged[i]));
    for (int r = 0; all && r < n; r++) buf_free(&all[r]);
    xj_free(all);
    return xc_agree(err, st);
}
