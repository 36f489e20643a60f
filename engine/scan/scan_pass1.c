/*
 * scan_pass1 — the first pass over one chunk: every record is parsed,
 * normalized and checked, and leaves behind only what the later stages
 * need, in the worker's sc_found: its keys (sharded tables, scan_keys.h),
 * an invalid-ID reference, or a reject with its raw bytes; and, for plain
 * files, an anchor every SC_ANCHOR_EVERY records. Nothing here depends on
 * other chunks.
 *
 * A caller's hook (sc_recordHook: the index build) sees every accepted
 * record. The hook is looked at once per chunk, and the record loop is
 * made twice by the compiler, with and without it, so the scan's loop
 * pays nothing for it, not even a test a record.
 */
#include <string.h>

#include "scan_internal.h"
#include "scan_keys.h"
#include "xj_alloc.h"

static xj_error sc_addReject(sc_found *out, uint32_t source, uint64_t line, xj_reject reason, const char *raw,
                             size_t n)
{
    if (xj_growArray(&out->rej, &out->cap_rej, out->n_rej + 1, sizeof *out->rej, 64) != 0) return XJ_ERR_NOMEM;
    char *const copy = ar_strndup(&out->raws, raw, n);
    if (copy == NULL) return XJ_ERR_NOMEM;
    out->rej[out->n_rej++] = (em_reject){reason, copy, line, n, source};
    return XJ_OK;
}

xj_error sc_addInvalid(sc_found *out, uint64_t ref, xj_idReason reason)
{
    if (xj_growArray(&out->inv, &out->cap_inv, out->n_inv + 1, sizeof *out->inv, 256) != 0) return XJ_ERR_NOMEM;
    out->inv[out->n_inv++] = (sc_invalid){ref, (uint8_t)reason};
    return XJ_OK;
}

/* A mistyped ID (a GB number whose check character is wrong) is also
 * filed under every number one slip away that could be the real one
 * (docs/suspects.md): where such a number is some record's own, grouping
 * finds a suspect_duplicate candidate, with no comparison of records. */
static xj_error sc_fileSlips(sc_worker *w, const ck_facts *f, int in_index, uint64_t ref)
{
    uint64_t k[ID_SLIPS_MAX];
    size_t const n = id_slipNeighbours(f->id, k);
    /* a table of their own, grouped with the GB tables (sc_group): the GB
     * table's vectors, the biggest of a run, keep their growth */
    for (size_t i = 0; i < n; i++) FORWARD_IF_ERROR(gk_add(&w->found.slips, 0, k[i], ref | (in_index ? 0 : GK_SUSPECT)));
    return XJ_OK;
}

/* Files the record's keys under `ref` in the worker's tables (always
 * inlined: it runs for every record). */
static inline __attribute__((always_inline)) xj_error sc_fileKeys(sc_worker *w, const ps_view *v,
                                                                  const ck_facts *f, int attr_mixed, int suspects,
                                                                  int in_index, int names, uint64_t ref)
{
    sc_keys k;
    FORWARD_IF_ERROR(sc_keysOf(v, f, attr_mixed, &w->ck, w->keytext, &k));
    if (k.id_kind >= 0) FORWARD_IF_ERROR(gk_add(&w->found.keys[k.id_kind], k.id.hi, k.id.lo, ref));
    /* --population: every GB entry gets its word, in the table's order */
    if (names && k.id_kind == GD_KEY_GB)
        FORWARD_IF_ERROR(sc_popName(&w->pop, gk_shardOf(k.id.hi, k.id.lo), w->pop.word));
    if (suspects && f->id_res.bad_check) FORWARD_IF_ERROR(sc_fileSlips(w, f, in_index, ref));
    if (k.old_kind >= 0) FORWARD_IF_ERROR(gk_add(&w->found.keys[k.old_kind], k.old.hi, k.old.lo, ref | GK_OLD_ID));
    if (names && k.old_kind == GD_KEY_GB) FORWARD_IF_ERROR(sc_popName(&w->pop, gk_shardOf(k.old.hi, k.old.lo), 0));
    if (!k.has_attr) return XJ_OK;
    return gk_add(&w->found.keys[GD_KEY_ATTR], k.attr.hi, k.attr.lo, ref | (k.has_id ? GK_HAS_ID : 0));
}

/* Raw bytes of a record for rejects.csv: without the CR of a CRLF end. */
static size_t sc_rawLen(const char *rec, size_t n)
{
    return n && rec[n - 1] == '\r' ? n - 1 : n;
}

/* The chunk's anchors for pass 2 (sc_anchor), filed under its seq. */
static xj_error sc_addAnchors(sc_worker *w, const rd_chunk *chunk)
{
    sc_found *const out = &w->found;
    size_t const n = (chunk->n_recs + SC_ANCHOR_EVERY - 1) / SC_ANCHOR_EVERY;
    RETURN_ERROR_IF(xj_growArray(&out->anchors, &out->cap_anchors, out->n_anchors + n, sizeof *out->anchors,
                                 4096) != 0 ||
                        xj_growArray(&out->anchor_runs, &out->cap_anchor_runs, out->n_anchor_runs + 1,
                                     sizeof *out->anchor_runs, 64) != 0,
                    &w->st, XJ_ERR_NOMEM, "out of memory");
    out->anchor_runs[out->n_anchor_runs++] = (sc_anchorRun){chunk->seq, out->n_anchors, n};
    for (size_t i = 0; i < chunk->n_recs; i += SC_ANCHOR_EVERY) {
        size_t const next = i + SC_ANCHOR_EVERY;
        out->anchors[out->n_anchors++] = (sc_anchor){
            gk_ref(chunk->source, chunk->first_line + chunk->recs[i].line_delta),
            chunk->offset + chunk->recs[i].start,
            chunk->offset + (next < chunk->n_recs ? chunk->recs[next].start : chunk->len),
        };
    }
    return XJ_OK;
}

/* The chunk's records. Always inlined into its callers, so `hook` and
 * `persons` are constant NULLs in the plain scan's copy and their tests
 * disappear. `persons` (--previous): every accepted record's student number
 * and school code go to the earlier run's lookup (em_prevSawPerson), by a
 * direct call rather than through a hook, as every record pays it. */
static inline __attribute__((always_inline)) xj_error sc_pass1Records(sc_run *run, sc_worker *w,
                                                                      const rd_chunk *chunk,
                                                                      const sc_recordHook *hook,
                                                                      em_personPending *persons, int worker)
{
    sc_input const *const in = &run->inputs[chunk->source];
    sc_found *const out = &w->found;
    int const keep_invalid = !run->one_pass;
    /* docs/population.md: formal-number candidates on every run, lookups
     * with --population (neither in an index build, which reports nothing) */
    int const formal = keep_invalid;
    int const names = formal && run->pop.n_tables > 0;
    int const attr_mixed = run->scan->attr_scope == XJ_ATTR_MIXED;
    /* an index build (a hook) files them apart, for its KEYS_SLIP section */
    int const suspects = !run->scan->no_suspects;
    /* --previous: the filter once PREV is read (per chunk); until then every
     * record goes to em_prevSawPerson, which keeps it for later */
    const em_personFilter *const filter = persons ? em_personReady(em_prevFilter(run->prev), persons->n_pend) : NULL;
    for (size_t i = 0; i < chunk->n_recs; i++) {
        rd_record const r = chunk->recs[i];
        uint64_t const line = chunk->first_line + r.line_delta;
        RETURN_ERROR_IF(line > GK_MAX_LINE, &w->st, XJ_ERR_LIMIT, "%s: more than %llu lines", in->path,
                        (unsigned long long)GK_MAX_LINE);
        uint64_t const ref = gk_ref(chunk->source, line);
        const char *const rec = chunk->data + r.start;
        size_t const n = r.end - r.start;
        int const unterminated = chunk->unterminated && i + 1 == chunk->n_recs;
        ps_view v;
        ck_facts f;
        uint64_t quick = 0;
        xj_reject const reject = sc_readRecord(run, w, in, rec, n, unterminated, &v, &f, filter, &quick);
        if (reject != XJ_REJECT_NONE) {
            FORWARD_IF_ERROR(sc_addReject(out, chunk->source, line, reject, rec, sc_rawLen(rec, n)));
            continue;
        }
        out->accepted++;
        out->unknown_types += (uint64_t)f.unknown_type;
        uint64_t key_ref = ref;
        if (hook) FORWARD_IF_ERROR(hook->record(hook->user, worker, chunk->source, line, &v, &f, &key_ref, &w->st));
        if (persons && (filter == NULL || em_filterHas(filter, quick)))
            RETURN_ERROR_IF(em_prevSawPerson(run->prev, persons, v.val[PS_STUDENT_NO], v.len[PS_STUDENT_NO],
                                             v.val[PS_SCHOOL_CODE], v.len[PS_SCHOOL_CODE]) != XJ_OK,
                            &w->st, XJ_ERR_NOMEM, "out of memory");
        int deferred = 0; /* --population: filed when the lookup is answered */
        if (formal && (run->pop.n_tables || sc_mayBeTemporary(v.val[PS_STUDENT_NO], v.len[PS_STUDENT_NO])))
            FORWARD_IF_ERROR(sc_popRecord(run, w, ref, &v, &f, &deferred));
        if (keep_invalid && !deferred && f.id_res.reason != XJ_ID_OK)
            FORWARD_IF_ERROR(sc_addInvalid(out, ref, f.id_res.reason));
        FORWARD_IF_ERROR(sc_fileKeys(w, &v, &f, attr_mixed, suspects, hook != NULL, names, key_ref));
    }
    return XJ_OK;
}

/* After a worker's first chunk: its key tables sized for the worker's
 * share of the input, as foreseen from that chunk (entries per decoded
 * byte, and for a .zst the frames' declared content per compressed byte)
 * with 6 % to spare — a key's shard is uniform, so shards fill alike.
 * Grown by half each time they filled, the tables had been copied about
 * twice over (realloc) and their pages faulted in again: a tenth of a 10M
 * scan's CPU. A wrong guess costs little: unused room is never touched,
 * so never resident, and a table that outgrows it grows as before. */
static xj_error sc_presize(const sc_run *run, sc_worker *w, const rd_chunk *chunk)
{
    sc_found *const out = &w->found;
    out->presized = 1;
    if (run->bytes_total == 0 || chunk->len == 0 || chunk->expansion <= 0) return XJ_OK;
    double const share = (double)run->bytes_total * chunk->expansion / (double)run->n_workers /
                         (double)(run->n_ranks > 1 ? run->n_ranks : 1);
    double const scale = share / (double)chunk->len;
    if (scale < 2) return XJ_OK; /* most of the share is read already */
    for (int k = 0; k <= SC_KEY_KINDS; k++) {
        gk_table *const t = k < SC_KEY_KINDS ? &out->keys[k] : &out->slips;
        double const want = (double)gk_entries(t) * scale * 1.06 / GK_SHARDS + 64;
        if (want > (double)(SIZE_MAX / 64)) continue;
        RETURN_ERROR_IF(gk_reserve(t, (size_t)want) != XJ_OK, &w->st, XJ_ERR_NOMEM, "out of memory");
    }
    return XJ_OK;
}

xj_error sc_pass1Chunk(sc_run *run, sc_worker *w, const rd_chunk *chunk)
{
    sc_input const *const in = &run->inputs[chunk->source];
    sc_found *const out = &w->found;
    w->parse.fields.max_fields = in->schema.n_columns + 1;
    /* one check of the whole chunk instead of one a record; when it fails,
     * each record is checked and only the bad ones are rejected */
    w->parse.text_checked = w->parse.gbk == NULL && ps_isCleanUtf8Bulk(chunk->data, chunk->len);
    out->blank += chunk->blank_lines;
    if (!run->one_pass && chunk->n_recs) FORWARD_IF_ERROR(sc_addAnchors(w, chunk));
    size_t const invalid_before = out->n_inv;
    for (size_t i = 0; i < chunk->n_overlong; i++) {
        rd_overlong const *const o = &chunk->overlong[i];
        FORWARD_IF_ERROR(sc_addReject(out, chunk->source, o->line, XJ_REJECT_RECORD_TOO_LONG, o->raw, o->raw_len));
    }
    const sc_recordHook *const hook = run->hook;
    int const worker = (int)(w - run->workers);
    em_personPending *const persons = run->person_pending && run->prev ? &run->person_pending[worker] : NULL;
    if (hook == NULL && persons == NULL) FORWARD_IF_ERROR(sc_pass1Records(run, w, chunk, NULL, NULL, worker));
    else if (hook == NULL) FORWARD_IF_ERROR(sc_pass1Records(run, w, chunk, NULL, persons, worker));
    else FORWARD_IF_ERROR(sc_pass1Records(run, w, chunk, hook, persons, worker));
    /* what was kept while PREV was read, looked up as soon as it is there */
    if (persons) em_prevDrain(run->prev, persons);
    if (!out->presized) FORWARD_IF_ERROR(sc_presize(run, w, chunk));
    if (hook && hook->chunk_done) FORWARD_IF_ERROR(hook->chunk_done(hook->user, worker, chunk, &w->st));
    atomic_fetch_add_explicit(&run->invalid_seen, out->n_inv - invalid_before, memory_order_relaxed);
    return XJ_OK;
}

xj_error sc_pass1(sc_run *run)
{
    return sc_forEachChunk(run, 1, sc_pass1Chunk, "reading");
}

xj_error sc_collectRejects(const sc_run *run, em_reject **out, size_t *n_out)
{
    size_t n = 0;
    for (int t = 0; t < run->n_workers; t++) n += run->workers[t].found.n_rej;
    em_reject *const all = xj_mallocArray(n ? n : 1, sizeof *all);
    if (all == NULL) return XJ_ERR_NOMEM;
    size_t at = 0;
    for (int t = 0; t < run->n_workers; t++) {
        sc_found const *const f = &run->workers[t].found;
        if (f->n_rej) memcpy(all + at, f->rej, f->n_rej * sizeof *all);
        at += f->n_rej;
    }
    *out = all;
    *n_out = n;
    return XJ_OK;
}

sc_counts sc_countFound(const sc_run *run)
{
    sc_counts c = {0};
    for (int t = 0; t < run->n_workers; t++) {
        sc_found const *const f = &run->workers[t].found;
        c.accepted += f->accepted;
        c.rejected += f->n_rej;
        c.blank += f->blank;
        c.unknown_types += f->unknown_types;
    }
    return c;
}

xj_error sc_checkEncodings(sc_run *run, int split)
{
    xj_scan *const s = run->scan;
    uint64_t *const bad = xj_calloc(run->n_inputs ? run->n_inputs : 1, sizeof *bad);
    RETURN_ERROR_IF(bad == NULL, &s->st, XJ_ERR_NOMEM, "out of memory");
    for (int t = 0; t < run->n_workers; t++)
        for (size_t k = 0; k < run->workers[t].found.n_rej; k++) {
            const em_reject *const r = &run->workers[t].found.rej[k];
            if (r->source < run->n_inputs && r->reason == XJ_REJECT_ENCODING) bad[r->source]++;
        }
    const char *const enc = s->gbk ? "GB 18030 (GBK)" : "UTF-8";
    const char *const fix = s->gbk ? "if the file is UTF-8, run again without --encoding gbk"
                                   : "if the file is a GBK export, run again with --encoding gbk";
    xj_error err = XJ_OK;
    for (size_t i = 0; i < run->n_inputs && !err; i++) {
        uint64_t const rows = run->inputs[i].rows, n = bad[i];
        if (n == 0 || run->inputs[i].split != split) continue;
        unsigned const pct = (unsigned)(n * 100 / rows);
        /* ten rows at least: a file of one garbled row is a reject, not a verdict */
        if (n >= 10 && n * 2 > rows)
            err = st_fail(&s->st, XJ_ERR_INPUT,
                          "%s: %llu of its %llu rows (%u%%) are not valid %s text, so the file was read in the "
                          "wrong encoding; %s. Nothing was written",
                          run->inputs[i].path, (unsigned long long)n, (unsigned long long)rows, pct, enc, fix);
        else if (nt_add(&s->warnings, "%s: %llu of its %llu rows are not valid %s text; they were rejected "
                                      "(error '%s') and not checked",
                        run->inputs[i].path, (unsigned long long)n, (unsigned long long)rows, enc,
                        rj_code(XJ_REJECT_ENCODING)) != XJ_OK)
            err = st_fail(&s->st, XJ_ERR_NOMEM, "out of memory");
    }
    xj_free(bad);
    return err;
}
