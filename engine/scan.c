/*
 * scan — the public scan API: options, then one run of the pipeline
 * (scan_internal.h describes the passes).
 *
 * Guarantees: on success the output directory is complete; on any error it
 * is untouched (emit's atomic commit) and xj_scan_message() says what went
 * wrong and where. Workers are created per run and freed before returning,
 * so a handle can run again with other options.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ix_index.h"
#include "scan_internal.h"
#include "xj_alloc.h"

#ifdef _OPENMP
#include <omp.h>
#endif

xj_error sc_gatherPass(sc_run *run);

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

static int sc_defaultThreads(void)
{
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

static xj_error sc_workersInit(sc_run *run)
{
    xj_status *const st = &run->scan->st;
    run->workers = xj_calloc((size_t)run->n_workers, sizeof *run->workers);
    RETURN_ERROR_IF(run->workers == NULL, st, XJ_ERR_NOMEM, "out of memory");
    for (int t = 0; t < run->n_workers; t++) {
        sc_worker *const w = &run->workers[t];
        st_init(&w->st);
        ar_init(&w->arena);
        gk_tableInit(&w->gb, 0);
        gk_tableInit(&w->other, 1);
        gk_tableInit(&w->attr, 1);
        buf_init(&w->tail, 64u * XJ_MAX_RECORD);
        xj_error const err = ps_workerInit(&w->parse, run->scan->gbk, XJ_MAX_COLUMNS);
        RETURN_ERROR_IF(err == XJ_ERR_INPUT, st, err, "this system's iconv cannot decode GB 18030 (--encoding gbk)");
        RETURN_ERROR_IF(err, st, err, "out of memory");
        RETURN_ERROR_IF(ck_scratchInit(&w->ck) != XJ_OK, st, XJ_ERR_NOMEM, "out of memory");
        w->keytext = xj_malloc(4 * XJ_MAX_FIELD + 64);
        RETURN_ERROR_IF(w->keytext == NULL, st, XJ_ERR_NOMEM, "out of memory");
    }
    return XJ_OK;
}

void sc_runFree(sc_run *run)
{
    for (int t = 0; run->workers && t < run->n_workers; t++) {
        sc_worker *const w = &run->workers[t];
        ps_workerFree(&w->parse);
        ck_scratchFree(&w->ck);
        xj_free(w->keytext);
        gk_tableFree(&w->gb);
        gk_tableFree(&w->other);
        gk_tableFree(&w->attr);
        xj_free(w->inv);
        xj_free(w->rej);
        ar_free(&w->arena);
        buf_free(&w->tail);
        xj_free(w->anchors);
        xj_free(w->anchor_runs);
    }
    xj_free(run->workers);
    for (size_t i = 0; run->inputs && i < run->n_inputs; i++) {
        rd_close(run->inputs[i].rd);
        ps_schemaFree(&run->inputs[i].schema);
        xj_free(run->inputs[i].col_for_out);
    }
    xj_free(run->inputs);
    ps_columnsFree(&run->cols);
    xj_free(run->maps);
    id_freeRegionTable(run->regions);
    ix_close(run->against);
    xj_free(run->reg_recs);
    for (int k = 0; k < 3; k++) gk_groupsFree(&run->groups[k]);
    xj_free(run->flagged);
    xj_free(run->gathered);
}

static const char *sc_baseName(const char *path)
{
    if (strcmp(path, "-") == 0) return "-";
    const char *const slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

xj_error sc_prepare(sc_run *run, unsigned how)
{
    xj_scan *const s = run->scan;
    xj_status *const st = &s->st;
    RETURN_ERROR_IF(s->n_inputs == 0 && !(how & SC_NO_INPUT_OK), st, XJ_ERR_USAGE, "no input files given");
    RETURN_ERROR_IF(!(how & SC_NO_OUTDIR) && s->outdir == NULL, st, XJ_ERR_USAGE, "no output directory given (-o DIR)");
    size_t stdin_count = 0;
    for (size_t i = 0; i < s->n_inputs; i++) stdin_count += strcmp(s->inputs[i], "-") == 0;
    RETURN_ERROR_IF(stdin_count > 1, st, XJ_ERR_USAGE, "standard input (-) can be given only once");

    run->n_workers = s->threads > 0 ? s->threads : sc_defaultThreads();
#ifndef _OPENMP
    run->n_workers = 1;
#endif
    run->chunk_size = s->chunk_size ? s->chunk_size : XJ_DEFAULT_CHUNK;
    run->idctx.run_date = s->run_date ? s->run_date : xj_today();
    if (s->region_path) {
        FORWARD_IF_ERROR(id_loadRegionTable(s->region_path, &run->regions, st));
        run->idctx.regions = run->regions;
    }
    run->maps = xj_calloc(s->n_maps ? s->n_maps : 1, sizeof *run->maps);
    RETURN_ERROR_IF(run->maps == NULL, st, XJ_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < s->n_maps; i++) FORWARD_IF_ERROR(ps_parseUserMap(s->maps[i], &run->maps[i], st));

    run->n_inputs = s->n_inputs;
    run->inputs = xj_calloc(s->n_inputs ? s->n_inputs : 1, sizeof *run->inputs);
    RETURN_ERROR_IF(run->inputs == NULL, st, XJ_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < s->n_inputs; i++) {
        sc_input *const in = &run->inputs[i];
        in->path = s->inputs[i];
        in->facts.path = s->inputs[i];
        in->facts.name = sc_baseName(s->inputs[i]);
        if (strcmp(in->path, "-") != 0) {
            FILE *const probe = fopen(in->path, "rb");
            RETURN_ERROR_IF(probe == NULL, st, XJ_ERR_INPUT, "%s: cannot open: %m", in->path);
            if (fseeko(probe, 0, SEEK_END) == 0) run->bytes_total += (uint64_t)ftello(probe);
            fclose(probe);
        }
    }
    return sc_workersInit(run);
}

/* The register index of a batch check; its attribute scope must cover the
 * run's (a mixed check needs the attribute keys of records with an ID). */
static xj_error sc_openAgainst(sc_run *run)
{
    xj_scan *const s = run->scan;
    FORWARD_IF_ERROR(ix_open(s->against, &run->against, &s->st));
    RETURN_ERROR_IF(s->attr_scope == XJ_ATTR_MIXED && !(run->against->flags & IX_FLAG_ATTR_MIXED), &s->st,
                    XJ_ERR_USAGE,
                    "%s: built without --attr-scope mixed, so it cannot answer a mixed check; rebuild it with "
                    "`xjdedup index build --attr-scope mixed`",
                    s->against);
    RETURN_ERROR_IF(run->n_inputs + run->against->n_sources > GK_MAX_SOURCES, &s->st, XJ_ERR_LIMIT,
                    "more than %u inputs and register sources together", GK_MAX_SOURCES);
    return XJ_OK;
}

xj_error xj_scan_run(xj_scan *s)
{
    st_init(&s->st);
    memset(&s->stats, 0, sizeof s->stats);
    nt_clear(&s->warnings);
    sc_run run;
    memset(&run, 0, sizeof run);
    run.scan = s;
    run.start = em_now();
    xj_error err = sc_prepare(&run, 0);
    if (!err && s->against) err = sc_openAgainst(&run);
    if (!err) err = sc_forEachChunk(&run, 1, sc_pass1Chunk, "reading");
    run.timing.read_parse_seconds = em_now() - run.start;
    double t = em_now();
    if (!err) err = run.against ? sc_groupAgainst(&run) : sc_group(&run);
    run.timing.group_seconds = em_now() - t;
    t = em_now();
    if (!err) err = sc_gatherPass(&run);
    if (!err && run.against) err = sc_appendRegister(&run);
    run.timing.gather_seconds = em_now() - t;
    if (!err) err = sc_decideAndEmit(&run);
    sc_runFree(&run);
    if (err && s->st.code == XJ_OK) st_fail(&s->st, err, "%s", xj_errorName(err));
    return err;
}
