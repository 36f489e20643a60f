/*
 * scan_population — see scan_population.h (docs/population.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xj_comm.h"
#include "ix_population.h"
#include "pop_extract.h"
#include "scan_internal.h"
#include "xj_alloc.h"
#include "xj_prefix.h"
#include "xj_comm.h"
#include "xj_text.h"

/* ---- loading, before pass 1 ---- */

xj_error sc_populationLoad(sc_run *run)
{
    xj_scan *const s = run->scan;
    xj_status *const st = &s->st;
    sc_population *const p = &run->pop;
    if (s->n_population == 0) return XJ_OK;
    p->tables = xj_calloc(s->n_population + 1, sizeof *p->tables);
    const char **const extracts = xj_calloc(s->n_population, sizeof *extracts);
    if (p->tables == NULL || extracts == NULL) {
        xj_free(extracts);
        return st_fail(st, XJ_ERR_NOMEM, "out of memory");
    }
    size_t n_extracts = 0;
    xj_error err = XJ_OK;
    for (size_t i = 0; i < s->n_population && !err; i++) {
        int const is_index = ix_popIsIndex(s->population[i]);
        if (is_index < 0) err = st_fail(st, XJ_ERR_INPUT, "--population %s: cannot open it", s->population[i]);
        else if (is_index) err = ix_popOpen(s->population[i], &p->index_state, &p->tables[p->n_tables++], st);
        else extracts[n_extracts++] = s->population[i];
    }
    char example[19] = "";
    if (!err && n_extracts) {
        /* every extract in one table: the first, so that tables[0] is owned */
        memmove(p->tables + 1, p->tables, p->n_tables * sizeof *p->tables);
        err = pop_readExtracts(extracts, n_extracts, &p->tables[0], example, st);
        if (!err) p->n_tables++;
        else memmove(p->tables, p->tables + 1, p->n_tables * sizeof *p->tables);
    }
    xj_free(extracts);
    if (err) return err;
    for (size_t i = 0; i < p->n_tables; i++) {
        p->entries += p->tables[i].n;
        p->ids += p->tables[i].ids;
        p->several_names += p->tables[i].several_names;
    }
    memcpy(p->several_example, example, sizeof example);
    if (p->several_names &&
        nt_add(&s->warnings, "--population: %llu ID numbers are listed under more than one name%s%s; a record of such "
                             "a number matches any of its names (docs/population.md §1)",
               (unsigned long long)p->several_names, example[0] ? ", the first: " : "", example) != XJ_OK)
        return st_fail(st, XJ_ERR_NOMEM, "out of memory");
    return XJ_OK;
}

void sc_populationFree(sc_population *p)
{
    if (p->tables && p->index_state == NULL)
        for (size_t i = 0; i < p->n_tables; i++) pop_tableFree(&p->tables[i]);
    else if (p->tables)
        for (size_t i = 0; i < p->n_tables; i++)
            if (p->tables[i].owned) pop_tableFree(&p->tables[i]);
    ix_popClose(p->index_state);
    xj_free(p->tables);
    memset(p, 0, sizeof *p);
}

/* ---- pass 1 ---- */

/* An `L` record that may receive its formal number if nothing else is
 * found against it (docs/population.md §3); its index + 1, or 0. */
static xj_error sc_popCandidate(sc_worker *w, uint64_t ref, const ps_view *v, const ck_facts *f, size_t *out)
{
    *out = 0;
    const char *sno = v->val[PS_STUDENT_NO], *school = v->val[PS_SCHOOL_CODE];
    size_t sn = v->len[PS_STUDENT_NO], cn = v->len[PS_SCHOOL_CODE];
    xj_trim(&sno, &sn);
    xj_trim(&school, &cn);
    if (sn == 0 || sno[0] != 'L' || f->id_res.reason != XJ_ID_OK) return XJ_OK;
    uint8_t const basis = f->id_len == 0                                                  ? SC_BASIS_NO_ID
                          : f->id_type == '1' && f->id_res.space == ID_KEY_GB ? SC_BASIS_ID_VERIFIED
                                                                               : SC_BASIS_NONE;
    if (basis == SC_BASIS_NONE) return XJ_OK;
    sc_popWork *const pw = &w->pop;
    if (xj_growArray(&pw->assign, &pw->cap_assign, pw->n_assign + 1, sizeof *pw->assign, 256) != 0)
        return XJ_ERR_NOMEM;
    char *const text = ar_alloc(&pw->text, sn + cn ? sn + cn : 1);
    if (text == NULL) return XJ_ERR_NOMEM;
    memcpy(text, sno, sn);
    memcpy(text + sn, school, cn);
    pw->assign[pw->n_assign++] = (sc_assign){ref, f->id_res.gb, text, text + sn, (uint32_t)sn, (uint32_t)cn, basis};
    *out = pw->n_assign;
    return XJ_OK;
}

xj_error sc_popRecord(sc_run *run, sc_worker *w, uint64_t ref, const ps_view *v, const ck_facts *f, int *deferred)
{
    *deferred = 0;
    w->pop.word = 0;
    size_t assign;
    FORWARD_IF_ERROR(sc_popCandidate(w, ref, v, f, &assign));
    if (run->pop.n_tables == 0 || f->id_res.space != ID_KEY_GB ||
        (f->id_res.reason != XJ_ID_OK && f->id_res.reason != XJ_ID_CHANGED))
        return XJ_OK;
    uint64_t name = 0;
    xj_error const err = pop_nameHash(v->val[PS_NAME], v->len[PS_NAME], &w->ck.name, &name, NULL);
    if (err == XJ_ERR_NOMEM) return err; /* a name too long to normalize equals no extract's: the hash 0 */
    w->pop.word = name | SC_POP_COMPARED | (f->id_res.reason == XJ_ID_CHANGED ? SC_POP_CHANGED : 0);
    *deferred = 1;
    return XJ_OK;
}

xj_error sc_popName(sc_popWork *pw, unsigned shard, uint64_t word)
{
    if (pw->n_names[shard] == pw->cap_names[shard] &&
        xj_growArray(&pw->names[shard], &pw->cap_names[shard], pw->n_names[shard] + 1, sizeof *pw->names[shard],
                     256) != 0)
        return XJ_ERR_NOMEM;
    pw->names[shard][pw->n_names[shard]++] = word;
    return XJ_OK;
}

/* A set of refs: open addressing on ref + 1 (0 empty), at most half full.
 * At 200M rows it holds 2.6 million refs in 64 MB, so the loops that fill
 * and ask it prefetch each ref's first slot (sc_refHome) a few refs ahead. */
static size_t sc_refHome(size_t mask, uint64_t ref)
{
    return (size_t)((ref * 0x9E3779B97F4A7C15ull) >> 20) & mask;
}

static size_t sc_refSlot(const uint64_t *set, size_t mask, uint64_t ref)
{
    size_t k = sc_refHome(mask, ref);
    while (set[k] && set[k] != ref + 1) k = (k + 1) & mask;
    return k;
}

#define SC_REF_AHEAD 8

#define SC_POP_AHEAD 16

/* One shard's compared entries looked up in every table (a match in any
 * wins): what is not a match, and what was id_changed before, into out. */
static xj_error sc_popJoinShard(const sc_run *run, unsigned s, sc_invalid **out, size_t *n, size_t *cap,
                                uint64_t *compared)
{
    const sc_population *const p = &run->pop;
    /* the shard's part of each table read through first, in order (the
     * hardware prefetches a stream; random first touches would each miss) */
    uint64_t sink = 0;
    for (size_t k = 0; k < p->n_tables; k++) {
        const pop_table *const tab = &p->tables[k];
        uint64_t const from = (uint64_t)(((unsigned __int128)s << (64 - GK_SHARD_BITS)) * tab->n_home >> 64);
        uint64_t to = (uint64_t)(((unsigned __int128)(s + 1) << (64 - GK_SHARD_BITS)) * tab->n_home >> 64) + 64;
        if (to > tab->n_slots) to = tab->n_slots;
        for (uint64_t i = from; i < to; i += 4) sink += tab->v[i].id;
    }
    __asm__ volatile("" : : "r"(sink)); /* the reads are the point: kept */
    for (int t = 0; t < run->n_workers; t++) {
        const gk_vec *const keys = &run->workers[t].found.keys[GD_KEY_GB].shard[s];
        const uint64_t *const names = run->workers[t].pop.names[s];
        size_t const count = run->workers[t].pop.n_names[s];
        if (count != keys->n) return XJ_ERR_INTERNAL; /* the two are filed together */
        for (size_t i = 0; i < count; i++) {
            if (i + SC_POP_AHEAD < count) /* a few entries ahead: its slot arrives meanwhile */
                for (size_t k = 0; k < p->n_tables; k++) pop_prefetch(&p->tables[k], keys->v[2 * (i + SC_POP_AHEAD)]);
            uint64_t const word = names[i];
            if (!(word & SC_POP_COMPARED)) continue;
            uint64_t const id = keys->v[2 * i], ref = keys->v[2 * i + 1];
            pop_answer best = POP_NOT_FOUND;
            for (size_t k = 0; k < p->n_tables && best != POP_MATCH; k++) {
                pop_answer const a = pop_lookup(&p->tables[k], id, word & ~(uint64_t)3);
                if (a == POP_MATCH || best == POP_NOT_FOUND) best = a;
            }
            (*compared)++;
            xj_idReason const reason = best == POP_NOT_FOUND      ? XJ_ID_NOT_FOUND
                                       : best == POP_NAME_MISMATCH ? XJ_ID_NAME_MISMATCH
                                       : (word & SC_POP_CHANGED)   ? XJ_ID_CHANGED
                                                                    : XJ_ID_OK;
            if (reason == XJ_ID_OK) continue;
            if (xj_growArray(out, cap, *n + 1, sizeof **out, 64) != 0) return XJ_ERR_NOMEM;
            (*out)[(*n)++] = (sc_invalid){ref, (uint8_t)reason};
        }
    }
    return XJ_OK;
}

xj_error sc_popJoin(sc_run *run)
{
    xj_status *const st = &run->scan->st;
    if (run->pop.n_tables == 0 || run->one_pass) return XJ_OK;
    sc_invalid *lists[GK_SHARDS] = {0};
    size_t n[GK_SHARDS] = {0}, cap[GK_SHARDS] = {0};
    uint64_t compared[GK_SHARDS] = {0};
    xj_error errs[GK_SHARDS] = {0};
#pragma omp parallel for schedule(dynamic, 4) num_threads(run->n_workers)
    for (unsigned s = 0; s < GK_SHARDS; s++) errs[s] = sc_popJoinShard(run, s, &lists[s], &n[s], &cap[s], &compared[s]);
    xj_error err = XJ_OK;
    size_t failed = 0;
    for (unsigned s = 0; s < GK_SHARDS; s++) {
        if (!err && errs[s]) err = errs[s];
        run->workers[0].pop.compared += compared[s];
        for (size_t i = 0; i < n[s] && !err; i++) {
            err = sc_addInvalid(&run->workers[0].found, lists[s][i].ref, (xj_idReason)lists[s][i].reason);
            failed += lists[s][i].reason != XJ_ID_CHANGED;
        }
    }
    /* an L record whose number was not verified gets no formal number */
    size_t mask = 15;
    while (mask + 1 < 2 * failed + 2) mask = 2 * mask + 1;
    uint64_t *const set = err ? NULL : xj_callocTable(mask + 1, sizeof *set);
    if (!err && set == NULL) err = XJ_ERR_NOMEM;
    for (unsigned s = 0; s < GK_SHARDS && !err; s++)
        for (size_t i = 0; i < n[s]; i++)
            if (lists[s][i].reason != XJ_ID_CHANGED) set[sc_refSlot(set, mask, lists[s][i].ref)] = lists[s][i].ref + 1;
    for (int t = 0; t < run->n_workers && !err; t++) {
        sc_popWork *const pw = &run->workers[t].pop;
        for (size_t i = 0; i < pw->n_assign; i++)
            if (pw->assign[i].basis == SC_BASIS_ID_VERIFIED && set[sc_refSlot(set, mask, pw->assign[i].ref)])
                pw->assign[i].basis = SC_BASIS_NONE;
    }
    xj_free(set);
    for (unsigned s = 0; s < GK_SHARDS; s++) xj_free(lists[s]);
    if (err == XJ_ERR_INTERNAL) return st_fail(st, err, "internal error: the population words lost their entries");
    if (err) return st_fail(st, XJ_ERR_NOMEM, "out of memory comparing with --population");
    return XJ_OK;
}

void sc_popWorkFree(sc_popWork *pw)
{
    for (unsigned s = 0; s < GK_SHARDS; s++) xj_free(pw->names[s]);
    xj_free(pw->assign);
    ar_free(&pw->text);
    memset(pw, 0, sizeof *pw);
}

/* ---- assignments.csv, once the rows are known ---- */

typedef struct sc_assignLine {
    uint64_t prefix[2]; /* the first 16 bytes, big-endian: most comparisons end there */
    const char *text;
    size_t len;
} sc_assignLine;

static int sc_cmpLine(const void *pa, const void *pb)
{
    const sc_assignLine *const a = pa, *const b = pb;
    if (a->prefix[0] != b->prefix[0]) return a->prefix[0] < b->prefix[0] ? -1 : 1;
    if (a->prefix[1] != b->prefix[1]) return a->prefix[1] < b->prefix[1] ? -1 : 1;
    size_t const n = a->len < b->len ? a->len : b->len;
    int const c = memcmp(a->text, b->text, n);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static uint64_t *sc_rowRefs(const sc_rows *rows, size_t *mask)
{
    size_t cap = 16;
    while (cap < 2 * (rows->n + rows->n_attested) + 2) cap *= 2;
    uint64_t *const set = xj_callocTable(cap, sizeof *set);
    if (set == NULL) return NULL;
    const pb_row *const lists[2] = {rows->v, rows->attested};
    size_t const counts[2] = {rows->n, rows->n_attested};
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < counts[l]; i++) {
            if (i + SC_REF_AHEAD < counts[l]) {
                const pb_row *const ahead = &lists[l][i + SC_REF_AHEAD];
                __builtin_prefetch(&set[sc_refHome(cap - 1, gk_ref(ahead->source, ahead->line))]);
            }
            uint64_t const ref = gk_ref(lists[l][i].source, lists[l][i].line);
            set[sc_refSlot(set, cap - 1, ref)] = ref + 1;
        }
    *mask = cap - 1;
    return set;
}

/* Where the share w of n lines split among `workers` begins. */
static size_t sc_shareStart(size_t n, int w, int workers)
{
    return n * (size_t)w / (size_t)workers;
}

/* How many of the first k lines of the merge of sorted a[0, na) and
 * b[0, nb) come from a, a's line first where two compare equal: a binary
 * search, so each worker can find where its share of the merge begins. */
static size_t sc_fromFirst(const sc_assignLine *a, size_t na, const sc_assignLine *b, size_t nb, size_t k)
{
    size_t lo = k > nb ? k - nb : 0, hi = k < na ? k : na;
    while (lo < hi) {
        size_t const mid = lo + (hi - lo) / 2;
        if (sc_cmpLine(&a[mid], &b[k - mid - 1]) <= 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Sorts lines[0, n) into `to`: each half by one of two threads (one when
 * the run has one), then the halves merged by all `workers`, each its share
 * of `to` (merged on one core, the other idle, it was a third of the sort
 * at 10M rows). */
static void sc_sortLines(sc_assignLine *lines, size_t n, sc_assignLine *to, int workers)
{
    size_t const half = n / 2;
#pragma omp parallel sections num_threads(workers > 1 ? 2 : 1) if (n > 4096)
    {
#pragma omp section
        qsort(lines, half, sizeof *lines, sc_cmpLine);
#pragma omp section
        qsort(lines + half, n - half, sizeof *lines, sc_cmpLine);
    }
    const sc_assignLine *const a = lines, *const b = lines + half;
#pragma omp parallel for schedule(static, 1) num_threads(workers) if (n > 4096)
    for (int w = 0; w < workers; w++) {
        size_t k = sc_shareStart(n, w, workers);
        size_t const end = sc_shareStart(n, w + 1, workers);
        size_t i = sc_fromFirst(a, half, b, n - half, k), j = k - i;
        while (k < end) to[k++] = j < n - half && (i == half || sc_cmpLine(&b[j], &a[i]) < 0) ? b[j++] : a[i++];
    }
}

/* The sorted lines appended to `csv`, each of `workers` threads copying a
 * contiguous share to its place. Copied by one core into pages touched for
 * the first time, with the others idle, they took 80-100 ms of a 50M-row
 * scan; shared, 45-65 ms. */
static xj_error sc_joinLines(const sc_assignLine *sorted, size_t n, int workers, xj_buf *csv)
{
    size_t *const start = xj_mallocArray((size_t)workers, sizeof *start);
    if (start == NULL) return XJ_ERR_NOMEM;
    size_t bytes = 0;
    for (int w = 0; w < workers; w++) {
        start[w] = bytes;
        size_t const end = sc_shareStart(n, w + 1, workers);
        for (size_t i = sc_shareStart(n, w, workers); i < end; i++) bytes += sorted[i].len;
    }
    xj_error const err = buf_reserve(csv, bytes);
    if (!err) {
        char *const base = csv->data + csv->len;
#pragma omp parallel for schedule(static, 1) num_threads(workers) if (bytes > ((size_t)1 << 20))
        for (int w = 0; w < workers; w++) {
            char *p = base + start[w];
            size_t const end = sc_shareStart(n, w + 1, workers);
            for (size_t i = sc_shareStart(n, w, workers); i < end; i++) {
                memcpy(p, sorted[i].text, sorted[i].len);
                p += sorted[i].len;
            }
        }
        csv->len += bytes;
        csv->data[csv->len] = '\0';
    }
    xj_free(start);
    return err;
}

/* One worker's candidates without rows, rendered as lines (offsets in
 * `at`, one more than lines) and counted; each worker's on its own thread. */
typedef struct sc_assignPart {
    xj_buf text;
    size_t *at;
    size_t n;
    size_t first; /* its first line's place among all workers' */
    uint64_t by_province[EM_PROVINCES][2];
    xj_error err;
} sc_assignPart;

static xj_error sc_renderCandidates(const sc_run *run, const sc_popWork *pw, const uint64_t *refs, size_t mask,
                                    sc_assignPart *part)
{
    buf_init(&part->text, (size_t)1 << 40);
    part->at = xj_mallocArray(pw->n_assign + 1, sizeof *part->at);
    if (part->at == NULL) return XJ_ERR_NOMEM;
    xj_error err = XJ_OK;
    for (size_t i = 0; i < pw->n_assign && !err; i++) {
        const sc_assign *const a = &pw->assign[i];
        if (i + SC_REF_AHEAD < pw->n_assign) __builtin_prefetch(&refs[sc_refHome(mask, pw->assign[i + SC_REF_AHEAD].ref)]);
        if (a->basis == SC_BASIS_NONE || refs[sc_refSlot(refs, mask, a->ref)]) continue;
        char g[20] = "";
        if (a->basis == SC_BASIS_ID_VERIFIED) {
            g[0] = 'G';
            id_unpack18(a->id, g + 1);
            g[19] = '\0';
        }
        part->at[part->n] = part->text.len;
        const sc_input *const in = &run->inputs[gk_refSource(a->ref)];
        err = em_appendCsvField(&part->text, a->sno, a->sno_len);
        if (!err) err = buf_appendByte(&part->text, ',');
        if (!err) err = em_appendCsvField(&part->text, a->school, a->school_len);
        if (!err) err = buf_appendByte(&part->text, ',');
        if (!err) err = em_appendCsvField(&part->text, in->facts.name, strlen(in->facts.name));
        char tail[64]; /* ",line,new_student_no,basis\n", without printf: a line a candidate */
        char digits[24];
        size_t nd = 0, k = 0;
        for (uint64_t line = gk_refLine(a->ref); nd == 0 || line; line /= 10) digits[nd++] = (char)('0' + line % 10);
        tail[k++] = ',';
        while (nd) tail[k++] = digits[--nd];
        tail[k++] = ',';
        size_t const gl = strlen(g);
        memcpy(tail + k, g, gl);
        k += gl;
        const char *const basis = a->basis == SC_BASIS_ID_VERIFIED ? ",id_verified\n" : ",no_id_unique\n";
        memcpy(tail + k, basis, strlen(basis));
        k += strlen(basis);
        if (!err) err = buf_append(&part->text, tail, k);
        if (!err) {
            part->by_province[em_provinceIndex(a->school, a->school_len)][a->basis == SC_BASIS_ID_VERIFIED ? 0 : 1]++;
            part->n++;
        }
    }
    part->at[part->n] = part->text.len;
    return err;
}

/* A worker's lines as sort entries, at lines[part->first ..]. */
static void sc_lineUp(const sc_assignPart *part, sc_assignLine *lines)
{
    for (size_t i = 0; i < part->n; i++) {
        sc_assignLine *const l = &lines[part->first + i];
        l->text = part->text.data + part->at[i];
        l->len = part->at[i + 1] - part->at[i];
        l->prefix[0] = xj_prefix64(l->text, l->len, 0);
        l->prefix[1] = xj_prefix64(l->text, l->len, 8);
    }
}

xj_error sc_assignments(const sc_run *run, const sc_rows *rows, em_assignments *out, xj_status *st)
{
    memset(out, 0, sizeof *out);
    buf_init(&out->csv, (size_t)1 << 40);
    size_t mask = 0;
    uint64_t *const refs = sc_rowRefs(rows, &mask);
    sc_assignPart *const parts = xj_calloc((size_t)run->n_workers, sizeof *parts);
    xj_error err = refs && parts ? XJ_OK : XJ_ERR_NOMEM;
    if (!err) {
#pragma omp parallel for schedule(static, 1) num_threads(run->n_workers)
        for (int t = 0; t < run->n_workers; t++)
            parts[t].err = sc_renderCandidates(run, &run->workers[t].pop, refs, mask, &parts[t]);
    }
    size_t n = 0;
    for (int t = 0; parts && t < run->n_workers; t++) {
        if (!err) err = parts[t].err;
        parts[t].first = n;
        n += parts[t].n;
        for (int p = 0; p < EM_PROVINCES; p++)
            for (int b = 0; b < 2; b++) out->by_province[p][b] += parts[t].by_province[p][b];
    }
    sc_assignLine *const lines = err ? NULL : xj_mallocArray(2 * n + 1, sizeof *lines); /* and a merge's room */
    if (!err && lines == NULL) err = XJ_ERR_NOMEM;
    if (!err) {
#pragma omp parallel for schedule(static, 1) num_threads(run->n_workers)
        for (int t = 0; t < run->n_workers; t++) sc_lineUp(&parts[t], lines);
        sc_assignLine *const sorted = lines + n;
        sc_sortLines(lines, n, sorted, run->n_workers);
        err = buf_appendStr(&out->csv, EM_ASSIGNMENTS_HEADER);
        if (!err) err = sc_joinLines(sorted, n, run->n_workers, &out->csv);
    }
    for (int t = 0; parts && t < run->n_workers; t++) {
        buf_free(&parts[t].text);
        xj_free(parts[t].at);
    }
    xj_free(parts);
    xj_free(refs);
    xj_free(lines);
    if (err) {
        buf_free(&out->csv);
        return st_fail(st, XJ_ERR_NOMEM, "out of memory listing assignments");
    }
    return XJ_OK;
}

/* ---- the population index (docs/population.md §4) ---- */

static xj_error sc_buildPopulationIndex(xj_scan *s, const char *path);

/* Under mpirun rank 0 builds it alone (its extracts' parse is not shared
 * out: docs/mpi.md §6) and every process hears how it went. */
xj_error xj_scan_buildPopulationIndex(xj_scan *s, const char *path)
{
    st_init(&s->st);
    nt_clear(&s->warnings);
    xj_error const err = xc_rank() == 0 ? sc_buildPopulationIndex(s, path) : XJ_OK;
    return xc_size() > 1 ? xc_agree(err, &s->st) : err;
}

static xj_error sc_buildPopulationIndex(xj_scan *s, const char *path)
{
    xj_status *const st = &s->st;
    RETURN_ERROR_IF(path == NULL || *path == '\0', st, XJ_ERR_USAGE, "no output file given (-o FILE)");
    RETURN_ERROR_IF(s->n_population == 0, st, XJ_ERR_USAGE, "no extract given (--population FILE)");
    RETURN_ERROR_IF(s->n_inputs > 0, st, XJ_ERR_USAGE, "a population index is built from extracts only: give them "
                    "with --population, and the register's files to a separate `index build`");
    ix_popSource *const sources = xj_calloc(s->n_population, sizeof *sources);
    RETURN_ERROR_IF(sources == NULL, st, XJ_ERR_NOMEM, "out of memory");
    xj_error err = XJ_OK;
    for (size_t i = 0; i < s->n_population && !err; i++) {
        const char *const p = s->population[i];
        int const is_index = ix_popIsIndex(p);
        if (is_index < 0) err = st_fail(st, XJ_ERR_INPUT, "--population %s: cannot open it", p);
        else if (is_index) err = st_fail(st, XJ_ERR_USAGE, "--population %s is already a population index; build "
                                         "from the extracts", p);
        struct stat sb;
        const char *const slash = strrchr(p, '/');
        sources[i] = (ix_popSource){slash ? slash + 1 : p, stat(p, &sb) == 0 ? (uint64_t)sb.st_size : 0};
    }
    pop_table t = {0};
    char example[19] = "";
    if (!err) err = pop_readExtracts((const char *const *)s->population, s->n_population, &t, example, st);
    if (!err && t.several_names &&
        nt_add(&s->warnings, "--population: %llu ID numbers are listed under more than one name, the first: %s; a "
                             "record of such a number matches any of its names (docs/population.md §1)",
               (unsigned long long)t.several_names, example) != XJ_OK)
        err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    if (!err) err = ix_popWrite(path, &t, sources, s->n_population, xj_versionString(), st);
    pop_tableFree(&t);
    xj_free(sources);
    return err;
}

int xj_isPopulationIndex(const char *path)
{
    return path ? ix_popIsIndex(path) : -1;
}

xj_error xj_populationIndexInfo(const char *path, xj_populationInfo *out, char *message, size_t cap)
{
    memset(out, 0, sizeof *out);
    xj_status st;
    st_init(&st);
    void *state = NULL;
    ix_popInfo info;
    xj_error err = ix_popInfoOf(path, &state, &info, &st);
    if (!err) {
        struct stat sb;
        *out = (xj_populationInfo){.entries = info.entries, .ids = info.ids, .several_names = info.several_names,
                                   .build_time = info.build_time, .format_version = IX_POP_VERSION,
                                   .file_bytes = stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0};
        memcpy(out->version, info.version, sizeof out->version);
        out->source_names = xj_calloc(info.n_sources + 1, sizeof *out->source_names);
        out->source_bytes = xj_calloc(info.n_sources + 1, sizeof *out->source_bytes);
        if (out->source_names == NULL || out->source_bytes == NULL) err = st_fail(&st, XJ_ERR_NOMEM, "out of memory");
        for (size_t i = 0; !err && i < info.n_sources; i++) {
            out->source_names[i] = (char *)info.sources[i].name; /* handed over */
            info.sources[i].name = NULL;
            out->source_bytes[i] = info.sources[i].bytes;
            out->n_sources++;
        }
    }
    ix_popInfoFree(&info);
    ix_popClose(state);
    if (err) {
        xj_populationInfoFree(out);
        if (message && cap) snprintf(message, cap, "%s", st.message);
    }
    return err;
}

void xj_populationInfoFree(xj_populationInfo *info)
{
    if (info == NULL) return;
    for (size_t i = 0; info->source_names && i < info->n_sources; i++) xj_free(info->source_names[i]);
    xj_free(info->source_names);
    xj_free(info->source_bytes);
    info->source_names = NULL;
    info->source_bytes = NULL;
    info->n_sources = 0;
}
