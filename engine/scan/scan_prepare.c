/*
 * scan_prepare — a run set up from its handle's options, before anything is
 * read, and taken down after it.
 *
 * Everything a careless command line can get wrong is refused here, at
 * once, and not after a scan of many minutes: inputs missing or given twice,
 * an output directory that could not be replaced. Inputs are named for the
 * output here too, from their paths alone, so names never depend on timing.
 * Cost: a stat of each input and one scan of the path list.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scan_internal.h"
#include "scan_keys.h"
#include "xj_alloc.h"

#ifdef _OPENMP
#include <omp.h>
#endif

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
        ar_init(&w->found.raws);
        ar_init(&w->strings);
        ar_init(&w->pop.text);
        for (int k = 0; k < SC_KEY_KINDS; k++) gk_tableInit(&w->found.keys[k], k != GD_KEY_GB);
        gk_tableInit(&w->found.slips, 0);
        buf_init(&w->tail, 64u * XJ_MAX_RECORD);
        xj_error const err = ps_workerInit(&w->parse, run->scan->gbk, XJ_MAX_COLUMNS);
        RETURN_ERROR_IF(err == XJ_ERR_INPUT, st, err, "this system's iconv cannot decode GB 18030 (--encoding gbk)");
        RETURN_ERROR_IF(err, st, err, "out of memory");
        RETURN_ERROR_IF(ck_scratchInit(&w->ck) != XJ_OK, st, XJ_ERR_NOMEM, "out of memory");
        w->keytext = xj_malloc(SC_KEYTEXT_BYTES);
        RETURN_ERROR_IF(w->keytext == NULL, st, XJ_ERR_NOMEM, "out of memory");
    }
    return XJ_OK;
}

static void sc_foundFree(sc_found *f)
{
    for (int k = 0; k < SC_KEY_KINDS; k++) gk_tableFree(&f->keys[k]);
    gk_tableFree(&f->slips);
    xj_free(f->inv);
    xj_free(f->rej);
    ar_free(&f->raws);
    xj_free(f->anchors);
    xj_free(f->anchor_runs);
}

void sc_runFree(sc_run *run)
{
    sc_splitHashJoin(run); /* the thread reads run->inputs: it ends first (its error no longer matters) */
    for (int t = 0; run->workers && t < run->n_workers; t++) {
        sc_worker *const w = &run->workers[t];
        sc_foundFree(&w->found);
        ps_workerFree(&w->parse);
        ck_scratchFree(&w->ck);
        xj_free(w->keytext);
        ar_free(&w->strings);
        buf_free(&w->tail);
        sc_popWorkFree(&w->pop);
    }
    xj_free(run->workers);
    for (size_t i = 0; run->inputs && i < run->n_inputs; i++) {
        rd_close(run->inputs[i].rd);
        ps_schemaFree(&run->inputs[i].schema);
        xj_free(run->inputs[i].col_for_out);
        xj_free(run->inputs[i].part_line);
    }
    xj_free(run->inputs);
    ps_columnsFree(&run->cols);
    xj_free(run->maps);
    id_freeRegionTable(run->regions);
    sc_populationFree(&run->pop);
    for (int k = 0; k < SC_KEY_KINDS; k++) gk_groupsFree(&run->groups[k]);
    gk_groupsFree(&run->suspects);
    xj_free(run->flagged);
    xj_free(run->gathered);
    xj_free(run->names_text);
    xj_free(run->mine);
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
    run->chunk_size = s->chunk_size ? s->chunk_size : (how & SC_ONE_PASS) ? XJ_INDEX_CHUNK : XJ_DEFAULT_CHUNK;
    run->idctx.run_date = s->run_date ? s->run_date : xj_today();
    if (s->region_path) {
        FORWARD_IF_ERROR(id_loadRegionTable(s->region_path, &run->regions, st));
        run->idctx.regions = run->regions;
    }
    /* before any input is read: a broken extract stops the run at once */
    if (!(how & SC_ONE_PASS)) FORWARD_IF_ERROR(sc_populationLoad(run));
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
    RETURN_ERROR_IF(run->n_ranks > 1 && (how & SC_ONE_PASS) && !(how & SC_DIST_OK), st, XJ_ERR_USAGE,
                    "under mpirun only scan and index build run on several processes; run this command as one "
                    "process");
    FORWARD_IF_ERROR(sc_distPrepare(run));
    /* a refusal to write the output comes now, not after the whole scan */
    if (!(how & SC_NO_OUTDIR)) FORWARD_IF_ERROR(em_checkOutdir(s->outdir, s->force, st));
    return sc_workersInit(run);
}
