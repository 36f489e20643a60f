/*
 * scan — the public scan API: options, then one run of the pipeline
 * (scan_internal.h describes the passes).
 *
 * Guarantees: on success the output directory is complete; on any error it
 * is untouched (emit's atomic commit) and xj_scan_message() says what went
 * wrong and where. Workers are created per run and freed before returning,
 * so a handle can run again with other options.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    xj_free(run->copies);
    buf_free(&run->registered_csv);
    for (int k = 0; k < 3; k++) gk_groupsFree(&run->groups[k]);
    xj_free(run->flagged);
    xj_free(run->gathered);
    xj_free(run->names_text);
}

/* ---- the inputs, before anything is read ---- */

/* An input's identity on disk. */
typedef struct sc_fileId {
    dev_t dev;
    ino_t ino;
    size_t input;
} sc_fileId;

static int sc_cmpFileId(const void *pa, const void *pb)
{
    const sc_fileId *const a = pa, *const b = pb;
    if (a->dev != b->dev) return a->dev < b->dev ? -1 : 1;
    if (a->ino != b->ino) return a->ino < b->ino ? -1 : 1;
    return a->input < b->input ? -1 : a->input > b->input;
}

static const char *sc_shownPath(const char *path)
{
    return strcmp(path, "-") == 0 ? "- (standard input)" : path;
}

/* One input, by stat (following symlinks) and never by opening anything but
 * a regular file: opening a named pipe to look at it would wait for a writer,
 * or take the writer's data away from the real read. */
static xj_error sc_statInput(sc_run *run, const char *path, struct stat *sb, int *known)
{
    xj_status *const st = &run->scan->st;
    *known = 1;
    if (strcmp(path, "-") == 0) {
        *known = fstat(STDIN_FILENO, sb) == 0; /* a closed stdin fails when it is read */
        return XJ_OK;
    }
    RETURN_ERROR_IF(stat(path, sb) != 0, st, XJ_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    RETURN_ERROR_IF(S_ISDIR(sb->st_mode), st, XJ_ERR_INPUT, "%s: is a directory; give the CSV files inside it",
                    path);
    if (S_ISREG(sb->st_mode)) {
        int const fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        RETURN_ERROR_IF(fd < 0, st, XJ_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
        run->bytes_total += (uint64_t)sb->st_size;
    }
    return XJ_OK;
}

/* Every input exists and is no directory, and no file is given twice under
 * any path (./a.csv, a hard link, a symlink, /dev/stdin beside -): its
 * records would all be reported as duplicates of themselves. Files are told
 * apart by device and inode. */
static xj_error sc_checkInputs(sc_run *run)
{
    xj_scan *const s = run->scan;
    xj_status *const st = &s->st;
    sc_fileId *const ids = xj_mallocArray(s->n_inputs ? s->n_inputs : 1, sizeof *ids);
    RETURN_ERROR_IF(ids == NULL, st, XJ_ERR_NOMEM, "out of memory");
    size_t n = 0;
    xj_error err = XJ_OK;
    for (size_t i = 0; i < s->n_inputs && !err; i++) {
        struct stat sb;
        int known = 0;
        err = sc_statInput(run, s->inputs[i], &sb, &known);
        if (!err && known) ids[n++] = (sc_fileId){sb.st_dev, sb.st_ino, i};
    }
    if (!err && n > 1) qsort(ids, n, sizeof *ids, sc_cmpFileId);
    for (size_t k = 1; !err && k < n; k++) {
        if (ids[k].dev != ids[k - 1].dev || ids[k].ino != ids[k - 1].ino) continue;
        err = st_fail(st, XJ_ERR_USAGE,
                      "%s and %s are the same file; give each input once (every record would be reported as a "
                      "duplicate of itself)",
                      sc_shownPath(s->inputs[ids[k - 1].input]), sc_shownPath(s->inputs[ids[k].input]));
    }
    xj_free(ids);
    return err;
}

/* The last k '/'-separated parts of `path` (which has no '/' runs), or all of
 * it when it has k parts or fewer; a leading '/' counts as an empty part, so
 * all of "/x/a.csv" is its 3 parts. */
static const char *sc_pathTail(const char *path, size_t k)
{
    for (const char *p = path + strlen(path); p > path; p--)
        if (p[-1] == '/' && --k == 0) return p;
    return path;
}

static int sc_cmpTails(const void *pa, const void *pb, void *arg)
{
    const char *const *const tail = arg;
    return strcmp(tail[*(const uint32_t *)pa], tail[*(const uint32_t *)pb]);
}

/* The `source` of every input (problems.csv, the school files, rejects.csv,
 * summary.json, report.html, an index's sources): its base name ("-" for
 * standard input). When base names repeat, each input that shares one takes
 * instead the shortest ending of its path, in whole parts, that no other
 * input's ending of as many parts equals (x/a.csv and y/a.csv; the whole path
 * at most). Names depend only on the list of paths, so every thread count
 * and chunk size sees the same ones; distinct paths always end up with
 * distinct names (two paths of one file were refused before). */
static xj_error sc_nameSources(sc_run *run)
{
    xj_status *const st = &run->scan->st;
    size_t const n = run->n_inputs;
    size_t total = 1;
    for (size_t i = 0; i < n; i++) total += strlen(run->inputs[i].path) + 1;
    run->names_text = xj_malloc(total);
    const char **const path = xj_mallocArray(n ? n : 1, sizeof *path);
    const char **const tail = xj_mallocArray(n ? n : 1, sizeof *tail);
    uint32_t *const order = xj_mallocArray(n ? n : 1, sizeof *order);
    xj_error err = XJ_OK;
    if (!run->names_text || !path || !tail || !order) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    size_t at = 0, max_parts = 1;
    for (size_t i = 0; !err && i < n; i++) { /* a run of '/' is one separator, as for the file system */
        path[i] = run->names_text + at;
        size_t parts = 1;
        for (const char *c = run->inputs[i].path; *c; c++) {
            if (*c == '/' && run->names_text + at > path[i] && run->names_text[at - 1] == '/') continue;
            parts += *c == '/';
            run->names_text[at++] = *c;
        }
        run->names_text[at++] = '\0';
        if (parts > max_parts) max_parts = parts;
        run->inputs[i].facts.name = NULL;
    }
    size_t unnamed = err ? 0 : n;
    for (size_t k = 1; unnamed > 0 && k <= max_parts; k++) {
        for (size_t i = 0; i < n; i++) {
            tail[i] = sc_pathTail(path[i], k);
            order[i] = (uint32_t)i;
        }
        qsort_r(order, n, sizeof *order, sc_cmpTails, tail);
        for (size_t a = 0, b; a < n; a = b) {
            for (b = a + 1; b < n && strcmp(tail[order[a]], tail[order[b]]) == 0; b++) {}
            em_input *const f = &run->inputs[order[a]].facts;
            if (b == a + 1 && f->name == NULL) {
                f->name = tail[order[a]];
                unnamed--;
            }
        }
    }
    if (!err && unnamed > 0) /* equal paths, which sc_checkInputs refuses before */
        err = st_fail(st, XJ_ERR_INTERNAL, "internal error: two inputs have the same path");
    xj_free(path);
    xj_free(tail);
    xj_free(order);
    return err;
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
    }
    run->one_pass = (how & SC_ONE_PASS) != 0;
    FORWARD_IF_ERROR(sc_checkInputs(run));
    FORWARD_IF_ERROR(sc_nameSources(run));
    /* a refusal to write the output comes now, not after the whole scan */
    if (!(how & SC_NO_OUTDIR)) FORWARD_IF_ERROR(em_checkOutdir(s->outdir, s->force, st));
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
