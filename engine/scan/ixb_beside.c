/*
 * ixb_beside — the lists an index build leaves beside the index:
 * PATH.rejects.csv (the rows it could not read, as a scan's rejects.csv)
 * and PATH.unmatched.txt (--remove numbers that matched no record). Each is
 * there exactly when it has lines, so no list from an earlier build stays
 * to mislead; each is written whole or not at all (a temporary, then a
 * rename).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ixb_internal.h"
#include "xj_alloc.h"

char *ixb_besidePath(const char *path, const char *suffix)
{
    size_t const n = strlen(path) + strlen(suffix) + 1;
    char *const p = xj_malloc(n);
    if (p) snprintf(p, n, "%s%s", path, suffix);
    return p;
}

xj_error ixb_writeBeside(const char *fp, const char *suffix, const xj_buf *b, const char *what,
                                xj_status *st)
{
    xj_error err = XJ_OK;
    char *const tmp = xj_malloc(strlen(fp) + 32);
    if (tmp) {
        size_t const base = strlen(fp) - strlen(suffix);
        snprintf(tmp, strlen(fp) + 32, "%.*s.tmp%ld%s", (int)base, fp, (long)getpid(), suffix);
    }
    if (tmp == NULL) return st_fail(st, XJ_ERR_NOMEM, "out of memory writing %s", fp);
    FILE *const f = fopen(tmp, "wb");
    int ok = f != NULL && fwrite(b->data, 1, b->len, f) == b->len;
    ok = f != NULL && fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    if (f != NULL && fclose(f) != 0) ok = 0;
    if (ok) ok = rename(tmp, fp) == 0;
    if (!ok) {
        err = st_fail(st, XJ_ERR_IO, "%s: cannot write %s: %m", fp, what);
        unlink(tmp);
    }
    xj_free(tmp);
    return err;
}

xj_error ixb_writeRejects(const sc_run *run, const char *rp, xj_status *st)
{
    if (sc_countFound(run).rejected == 0) { /* nothing allocated: the index is already committed */
        remove(rp);
        return XJ_OK;
    }
    em_reject *all = NULL;
    size_t n = 0;
    if (sc_collectRejects(run, &all, &n) != XJ_OK) return st_fail(st, XJ_ERR_NOMEM, "out of memory listing rejected rows");
    em_sortRejects(all, n); /* the order of a scan's rejects.csv */
    xj_buf b;
    buf_init(&b, SIZE_MAX / 2);
    xj_error err = buf_appendStr(&b, EM_REJECTS_HEADER);
    for (size_t i = 0; !err && i < n; i++)
        err = em_appendRejectRow(&b, &all[i], run->inputs[all[i].source].facts.name);
    xj_free(all);
    if (!err) err = ixb_writeBeside(rp, ".rejects.csv", &b, "the rejected rows", st);
    else err = st_fail(st, err, "out of memory listing rejected rows");
    buf_free(&b);
    return err;
}
