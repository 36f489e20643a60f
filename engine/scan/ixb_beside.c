/*
 * ixb_beside — the lists an index build leaves beside the index:
 * PATH.rejects.csv (the rows it could not read, as a scan's rejects.csv)
 * and PATH.unmatched.txt (--remove numbers that matched no record). Each is
 * there exactly when it has lines, so no list from an earlier build stays
 * to mislead; each is written whole or not at all (af_writeFile: a
 * temporary, then a rename, the directory synced). Cost: nothing when a
 * list is empty (not even an allocation: the index is committed by then);
 * else the list built in memory, one write and two fsyncs.
 */
#include <stdio.h>
#include <string.h>

#include "ixb_internal.h"
#include "xj_alloc.h"
#include "xj_file.h"

char *ixb_besidePath(const char *path, const char *suffix)
{
    size_t const n = strlen(path) + strlen(suffix) + 1;
    char *const p = xj_malloc(n);
    if (p) snprintf(p, n, "%s%s", path, suffix);
    return p;
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
    if (!err) err = af_writeFile(rp, ".rejects.csv", b.data, b.len, "the rejected rows", st);
    else err = st_fail(st, err, "out of memory listing rejected rows");
    buf_free(&b);
    return err;
}
