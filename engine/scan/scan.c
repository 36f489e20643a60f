/*
 * scan — the public scan API: options, then one run of the pipeline
 * (scan_internal.h describes its stages).
 *
 * Guarantees: on success the output directory is complete; on any error it
 * is untouched (emit's atomic commit) and xj_scan_message() says what went
 * wrong and where. Workers are created per run and freed before returning,
 * so a handle can run again with other options.
 */
#include <string.h>

#include "scan_internal.h"
#include "xj_alloc.h"
#include "xj_clock.h"
#include "xj_comm.h"

xj_scan *xj_scan_create(void)
{
    xj_scan *const s = xj_calloc(1, sizeof *s);
    if (s) st_init(&s->st);
    return s;
}

static void sc_freeStrings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) xj_free(v[i]);
    xj_free(v);
}

void xj_scan_free(xj_scan *s)
{
    if (s == NULL) return;
    sc_freeStrings(s->inputs, s->n_inputs);
    sc_freeStrings(s->maps, s->n_maps);
    xj_free(s->outdir);
    xj_free(s->region_path);
    xj_free(s->previous);
    for (size_t i = 0; i < s->n_decisions; i++) xj_free(s->decisions[i]);
    xj_free(s->decisions);
    for (size_t i = 0; i < s->n_population; i++) xj_free(s->population[i]);
    xj_free(s->population);
    xj_free(s->against);
    nt_clear(&s->warnings);
    xj_free(s);
}

static xj_error sc_pushString(char ***v, size_t *n, const char *text)
{
    char **const grown = xj_reallocArray(*v, *n + 1, sizeof *grown);
    if (grown == NULL) return XJ_ERR_NOMEM;
    *v = grown;
    grown[*n] = xj_strndup(text, strlen(text));
    if (grown[*n] == NULL) return XJ_ERR_NOMEM;
    (*n)++;
    return XJ_OK;
}

static xj_error sc_setString(char **slot, const char *text)
{
    char *const copy = text ? xj_strndup(text, strlen(text)) : NULL;
    if (text && copy == NULL) return XJ_ERR_NOMEM;
    xj_free(*slot);
    *slot = copy;
    return XJ_OK;
}

xj_error xj_scan_addInput(xj_scan *s, const char *path)
{
    RETURN_ERROR_IF(path == NULL || *path == '\0', &s->st, XJ_ERR_USAGE, "an input path is empty");
    RETURN_ERROR_IF(s->n_inputs >= GK_MAX_SOURCES, &s->st, XJ_ERR_LIMIT, "more than %u inputs", GK_MAX_SOURCES);
    RETURN_ERROR_IF(sc_pushString(&s->inputs, &s->n_inputs, path) != XJ_OK, &s->st, XJ_ERR_NOMEM, "out of memory");
    return XJ_OK;
}

xj_error xj_scan_setOutput(xj_scan *s, const char *dir, int force)
{
    RETURN_ERROR_IF(dir == NULL || *dir == '\0', &s->st, XJ_ERR_USAGE, "the output directory is empty");
    s->force = force;
    RETURN_ERROR_IF(sc_setString(&s->outdir, dir) != XJ_OK, &s->st, XJ_ERR_NOMEM, "out of memory");
    return XJ_OK;
}

xj_error xj_scan_setThreads(xj_scan *s, int threads)
{
    RETURN_ERROR_IF(threads < 0 || threads > 1024, &s->st, XJ_ERR_USAGE,
                    "--threads %d: give a number from 1 to 1024 (0 = one per core)", threads);
    s->threads = threads;
    return XJ_OK;
}

xj_error xj_scan_setRunDate(xj_scan *s, uint32_t run_date)
{
    s->run_date = run_date;
    return XJ_OK;
}

xj_error xj_scan_setAttrScope(xj_scan *s, xj_attrScope scope)
{
    RETURN_ERROR_IF(scope != XJ_ATTR_NOID && scope != XJ_ATTR_MIXED, &s->st, XJ_ERR_USAGE,
                    "unknown attribute scope");
    s->attr_scope = scope;
    s->attr_scope_set = 1;
    return XJ_OK;
}

xj_error xj_scan_setEncoding(xj_scan *s, const char *enc)
{
    if (strcasecmp(enc, "utf-8") == 0 || strcasecmp(enc, "utf8") == 0) s->gbk = 0;
    else if (strcasecmp(enc, "gbk") == 0 || strcasecmp(enc, "gb18030") == 0 || strcasecmp(enc, "gb2312") == 0)
        s->gbk = 1;
    else return st_fail(&s->st, XJ_ERR_USAGE, "--encoding %s: use utf-8 or gbk", enc);
    return XJ_OK;
}

xj_error xj_scan_addHeaderMap(xj_scan *s, const char *mapping)
{
    ps_userMap m;
    FORWARD_IF_ERROR(ps_parseUserMap(mapping, &m, &s->st));
    RETURN_ERROR_IF(sc_pushString(&s->maps, &s->n_maps, mapping) != XJ_OK, &s->st, XJ_ERR_NOMEM, "out of memory");
    return XJ_OK;
}

xj_error xj_scan_setRegionTable(xj_scan *s, const char *path)
{
    RETURN_ERROR_IF(sc_setString(&s->region_path, path) != XJ_OK, &s->st, XJ_ERR_NOMEM, "out of memory");
    return XJ_OK;
}

xj_error xj_scan_setChunkSize(xj_scan *s, size_t bytes)
{
    RETURN_ERROR_IF(bytes != 0 && (bytes < 4096 || bytes > (1u << 30)), &s->st, XJ_ERR_USAGE,
                    "chunk size %zu: give 4096 bytes to 1 GiB", bytes);
    s->chunk_size = bytes;
    return XJ_OK;
}

xj_error xj_scan_setExcel(xj_scan *s, int excel)
{
    s->excel = excel != 0;
    return XJ_OK;
}

xj_error xj_scan_setXlsx(xj_scan *s, int xlsx)
{
    s->xlsx = xlsx != 0;
    return XJ_OK;
}

xj_error xj_scan_setSuspects(xj_scan *s, int on)
{
    s->no_suspects = on == 0;
    return XJ_OK;
}

xj_error xj_scan_setOutputEncoding(xj_scan *s, const char *enc)
{
    RETURN_ERROR_IF(enc == NULL, &s->st, XJ_ERR_USAGE, "no output encoding given");
    if (strcasecmp(enc, "utf-8") == 0 || strcasecmp(enc, "utf8") == 0) s->school_gbk = 0;
    else if (strcasecmp(enc, "gbk") == 0 || strcasecmp(enc, "gb18030") == 0) s->school_gbk = 1;
    else return st_fail(&s->st, XJ_ERR_USAGE, "--output-encoding %s: use utf-8 or gbk", enc);
    return XJ_OK;
}

xj_error xj_scan_setHeaders(xj_scan *s, const char *lang)
{
    RETURN_ERROR_IF(lang == NULL, &s->st, XJ_ERR_USAGE, "no header language given");
    if (strcmp(lang, "zh") == 0) s->school_headers_en = 0;
    else if (strcmp(lang, "en") == 0) s->school_headers_en = 1;
    else return st_fail(&s->st, XJ_ERR_USAGE, "--headers %s: use zh or en", lang);
    return XJ_OK;
}

xj_error xj_scan_setPrevious(xj_scan *s, const char *dir)
{
    RETURN_ERROR_IF(dir != NULL && *dir == '\0', &s->st, XJ_ERR_USAGE, "--previous: the directory is empty");
    return sc_setString(&s->previous, dir);
}

xj_error xj_scan_addDecisions(xj_scan *s, const char *path)
{
    RETURN_ERROR_IF(path == NULL || *path == '\0', &s->st, XJ_ERR_USAGE, "--decisions: no file named");
    char **const grown = xj_reallocArray(s->decisions, s->n_decisions + 1, sizeof *grown);
    RETURN_ERROR_IF(grown == NULL, &s->st, XJ_ERR_NOMEM, "out of memory");
    s->decisions = grown;
    s->decisions[s->n_decisions] = NULL;
    RETURN_ERROR_IF(sc_setString(&s->decisions[s->n_decisions], path) != XJ_OK, &s->st, XJ_ERR_NOMEM, "out of memory");
    s->n_decisions++;
    return XJ_OK;
}

xj_error xj_scan_addPopulation(xj_scan *s, const char *path)
{
    RETURN_ERROR_IF(path == NULL || *path == '\0', &s->st, XJ_ERR_USAGE, "--population: no file named");
    char **const grown = xj_reallocArray(s->population, s->n_population + 1, sizeof *grown);
    RETURN_ERROR_IF(grown == NULL, &s->st, XJ_ERR_NOMEM, "out of memory");
    s->population = grown;
    s->population[s->n_population] = NULL;
    RETURN_ERROR_IF(sc_setString(&s->population[s->n_population], path) != XJ_OK, &s->st, XJ_ERR_NOMEM, "out of memory");
    s->n_population++;
    return XJ_OK;
}

xj_error xj_scan_setAgainst(xj_scan *s, const char *index_path)
{
    RETURN_ERROR_IF(index_path != NULL && *index_path == '\0', &s->st, XJ_ERR_USAGE, "--against: the index path is empty");
    return sc_setString(&s->against, index_path);
}

xj_error xj_scan_setProgress(xj_scan *s, xj_progressFn fn, void *user)
{
    s->progress = fn;
    s->progress_user = user;
    return XJ_OK;
}

const xj_scanStats *xj_scan_stats(const xj_scan *s)
{
    return &s->stats;
}

const char *xj_scan_message(const xj_scan *s)
{
    return s->st.message;
}

const char *xj_scan_warning(const xj_scan *s, size_t i)
{
    return nt_get(&s->warnings, i);
}

/* The name the inputs give `field` (the first input that has it). */
static const char *sc_headerOf(const sc_run *run, ps_field field)
{
    for (size_t i = 0; i < run->n_inputs; i++) {
        const sc_input *const in = &run->inputs[i];
        int const c = in->schema.col_of[field];
        if (c >= 0 && (size_t)c < in->schema.n_columns && in->schema.out_col && in->schema.out_col[c] < run->cols.n)
            return run->cols.names[in->schema.out_col[c]];
    }
    return NULL;
}

static void *sc_prevReader(void *arg)
{
    sc_run *const run = arg;
    st_init(&run->prev_st);
    em_prevRead(run->prev, &run->prev_st);
    return NULL;
}

xj_error sc_previousLoad(sc_run *run, xj_status *st)
{
    FORWARD_IF_ERROR(em_prevOpen(run->scan->previous, sc_headerOf(run, PS_STUDENT_NO),
                                 sc_headerOf(run, PS_SCHOOL_CODE),
                                 run->scan->attr_scope == XJ_ATTR_MIXED ? "mixed" : "noid", &run->prev, st));
    /* reading PREV's rows takes a serial while; pass 1 need not wait for it */
    if (pthread_create(&run->prev_reader, NULL, sc_prevReader, run) == 0) run->prev_reading = 1;
    else return em_prevRead(run->prev, st);
    return XJ_OK;
}

xj_error sc_previousJoin(sc_run *run, xj_status *st)
{
    if (!run->prev_reading) return XJ_OK;
    pthread_join(run->prev_reader, NULL);
    run->prev_reading = 0;
    if (run->prev_st.code != XJ_OK) return st_fail(st, run->prev_st.code, "%s", run->prev_st.message);
    for (int t = 0; t < run->n_workers; t++) em_prevDrain(run->prev, &run->person_pending[t]);
    return XJ_OK;
}

/* The pipeline (scan_internal.h): each stage reads what the one before it
 * produced. A batch check adds its register: a key source for grouping,
 * members for the decisions, a column for the rows. */
/* One scan; *again = the index of a split input whose cut was wrong (the
 * scan must run again with every file whole, scan_split.c), else SIZE_MAX. */
static xj_error sc_scanOnce(xj_scan *s, size_t *again)
{
    *again = SIZE_MAX;
    st_init(&s->st);
    memset(&s->stats, 0, sizeof s->stats);
    nt_clear(&s->warnings);
    sc_run run;
    memset(&run, 0, sizeof run);
    run.scan = s;
    run.start = xj_now();
    /* every process sets these before anything can fail: they say
     * whether the collective steps below are taken (scan_dist.c) */
    run.rank = xc_rank();
    run.n_ranks = xc_size();
    int const dist = run.n_ranks > 1;
    sc_register against = {0}, *const reg = s->against ? &against : NULL;
    sc_rows rows = {0};
    xj_error err = sc_prepare(&run, 0);
    if (dist) err = sc_splitPlan(&run, err); /* collective */
    if (!err) err = sc_decisionsLoad(&run.decisions, s->previous, s->decisions, s->n_decisions, &s->st);
    if (!err && s->previous) {
        /* PREV itself is read once the first input's header names the
         * columns; pass 1 then tells it which records are still there */
        run.person_pending = xj_calloc((size_t)run.n_workers, sizeof *run.person_pending);
        if (run.person_pending == NULL) err = st_fail(&s->st, XJ_ERR_NOMEM, "out of memory");
    }
    if (!err && reg) err = sc_registerOpen(reg, &run);
    size_t const first_warning = s->warnings.n;
    if (!err) err = sc_pass1(&run);
    if (!err) err = sc_popJoin(&run);
    /* always: the reading thread must end before PREV goes */
    xj_status join_st;
    st_init(&join_st);
    xj_error const joined = sc_previousJoin(&run, &join_st);
    if (!err && joined) err = st_fail(&s->st, joined, "%s", join_st.message);
    xj_error const hashed = sc_splitHashJoin(&run);
    if (!err) err = hashed;
    run.timing.read_parse_seconds = xj_now() - run.start;
    double t = xj_now();
    sc_keyLookup const lookup = reg ? sc_registerSource(reg) : (sc_keyLookup){0};
    if (!err && reg) err = sc_registerWarnRunDate(reg, s);
    if (dist) err = xc_agree(err, &s->st); /* every process, whatever happened to it */
    if (dist && !err) *again = sc_splitFailed(&run); /* collective, as all agreed */
    if (*again != SIZE_MAX) err = XJ_ERR_INTERRUPTED; /* not an error: skips to the end, to run again */
    if (!err) err = dist ? sc_distGroup(&run, first_warning) : sc_group(&run, reg ? &lookup : NULL);
    run.timing.group_seconds = xj_now() - t;
    t = xj_now();
    if (!err) err = dist ? sc_distGather(&run) : sc_gatherPass(&run);
    if (!err && reg) err = sc_registerJoin(reg, &run);
    if (!dist) /* after a check's register copies left their groups */
        for (int k = 0; k < SC_KEY_KINDS; k++) run.group_total[k] = run.groups[k].n;
    run.timing.gather_seconds = xj_now() - t;
    t = xj_now();
    /* every process decides its own groups; distributed, the rows then go
     * to rank 0, which writes the output (the school files shared out) */
    if (!err) err = sc_decide(&run, reg, &rows);
    if (dist) err = sc_distCollectRows(&run, &rows, err); /* collective */
    run.timing.group_seconds += xj_now() - t; /* summary.json counts the decisions with grouping */
    /* collective, and only on the way every process takes once all agreed
     * (after a failure, only agreements may follow: xc_end's rule) */
    if (dist && !err) run.timing.exchanged_bytes = xc_sum(xc_bytesSent());
    for (size_t i = 0; run.inputs && i < run.n_inputs; i++) run.timing.split_inputs += run.inputs[i].split;
    if (!err && run.rank == 0) err = sc_emit(&run, reg, &rows);
    /* the school files: the others write their share (scan_share.c); a
     * rank 0 that stopped before sharing them out still meets them */
    if (dist && run.rank != 0) err = sc_distWriteSchools(&run, err);
    if (dist && run.rank == 0 && !run.share_met) err = sc_shareMissed(&run, err);
    /* two meetings: before OUTDIR is put in place (sc_emit's hook on rank 0;
     * here for the others, and for rank 0 if it stopped before it), after */
    if (dist && !run.commit_agreed) err = xc_agree(err, &s->st);
    if (dist) err = xc_agree(err, &s->st);
    sc_rowsFree(&rows);
    sc_decisionsFree(&run.decisions);
    em_prevFree(run.prev);
    for (int t = 0; run.person_pending && t < run.n_workers; t++) em_personPendingFree(&run.person_pending[t]);
    xj_free(run.person_pending);
    if (reg) sc_registerFree(reg);
    sc_runFree(&run);
    if (*again != SIZE_MAX) return XJ_OK;
    if (err && s->st.code == XJ_OK) st_fail(&s->st, err, "%s", xj_errorName(err));
    return err;
}

xj_error xj_scan_run(xj_scan *s)
{
    size_t again = SIZE_MAX;
    xj_error err = sc_scanOnce(s, &again);
    if (again == SIZE_MAX) return err;
    size_t const cut_wrong = again;
    s->no_split = 1;
    err = sc_scanOnce(s, &again);
    s->no_split = 0;
    if (!err && nt_add(&s->warnings,
                       "%s: a quoted value with a line break lay across the point where the file was cut between "
                       "processes; the scan was run again with every file read whole by one process",
                       s->inputs[cut_wrong < s->n_inputs ? cut_wrong : 0]) != XJ_OK)
        err = st_fail(&s->st, XJ_ERR_NOMEM, "out of memory");
    return err;
}
