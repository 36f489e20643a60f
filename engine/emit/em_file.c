/*
 * em_file — buffered, hashed writes into the temporary output directory.
 *
 * Files are created with O_EXCL relative to the directory's descriptor, so a
 * name can never follow a planted symlink or escape the directory. Files are
 * not fsync'd one by one — with 20,000+ school files that alone took seconds —
 * but all at once by em_commit (syncfs) before the directory is renamed into
 * place, so nothing is visible under OUTDIR before it is on disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "em_internal.h"
#include "xj_alloc.h"

static xj_error em_ioError(em_ctx *ctx, const char *what, const char *rel)
{
    return st_fail(ctx->st, XJ_ERR_IO, "cannot %s %s/%s: %s; check the disk space and permissions of the output "
                   "directory's parent", what, ctx->tmp_path, rel, strerror(errno));
}

/* `reserve`: bytes of buffer to have ready (0: the caller writes around it). */
static xj_error em_openInto(em_ctx *ctx, em_writer *w, const char *rel, xj_buf *lent, size_t reserve)
{
    memset(w, 0, sizeof *w);
    w->ctx = ctx;
    w->fd = -1;
    buf_init(&w->own, EM_WRITE_BUFFER);
    w->buf = lent ? lent : &w->own;
    buf_clear(w->buf);
    XXH3_128bits_reset(&w->hash);
    w->path = xj_strndup(rel, strlen(rel));
    RETURN_ERROR_IF(w->path == NULL, ctx->st, XJ_ERR_NOMEM, "out of memory");
    w->fd = openat(ctx->dirfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (w->fd < 0) {
        xj_error const e = em_ioError(ctx, "create", rel);
        em_abandon(w);
        return e;
    }
    xj_error const err = reserve ? buf_reserve(w->buf, reserve) : XJ_OK;
    if (err) {
        em_abandon(w);
        return st_fail(ctx->st, err, "out of memory writing %s", rel);
    }
    return XJ_OK;
}

xj_error em_open(em_ctx *ctx, em_writer *w, const char *rel)
{
    return em_openInto(ctx, w, rel, NULL, EM_WRITE_BUFFER - 1);
}

xj_error em_openLent(em_ctx *ctx, em_writer *w, const char *rel, xj_buf *lent)
{
    return em_openInto(ctx, w, rel, lent, EM_WRITE_BUFFER - 1);
}

static xj_error em_writeAll(em_writer *w, const char *p, size_t n)
{
    while (n) {
        ssize_t const k = write(w->fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            if (k == 0) errno = ENOSPC;
            return em_ioError(w->ctx, "write", w->path);
        }
        p += k;
        n -= (size_t)k;
    }
    return XJ_OK;
}

static xj_error em_flush(em_writer *w)
{
    xj_error const err = em_writeAll(w, w->buf->data, w->buf->len);
    buf_clear(w->buf);
    return err;
}

xj_error em_put(em_writer *w, const void *p, size_t n)
{
    if (n == 0) return XJ_OK;
    XXH3_128bits_update(&w->hash, p, n);
    w->size += n;
    xj_buf *const b = w->buf;
    if (b->len + n > EM_WRITE_BUFFER - 1) {
        FORWARD_IF_ERROR(em_flush(w));
        if (n >= EM_WRITE_BUFFER / 2) return em_writeAll(w, p, n); /* large pieces skip the copy */
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return XJ_OK;
}

xj_error em_putBuf(em_writer *w, const xj_buf *b)
{
    return em_put(w, b->data, b->len);
}

/* Lists a finished file for MANIFEST; the list takes `path` (allocated). */
static xj_error em_listFile(em_ctx *ctx, char *path, uint64_t size, XXH128_hash_t hash)
{
    if (ctx->n_files == ctx->cap_files) {
        size_t const ncap = ctx->cap_files ? ctx->cap_files * 2 : 64;
        em_file *const grown = xj_reallocArray(ctx->files, ncap, sizeof *grown);
        RETURN_ERROR_IF(grown == NULL, ctx->st, XJ_ERR_NOMEM, "out of memory");
        ctx->files = grown;
        ctx->cap_files = ncap;
    }
    ctx->files[ctx->n_files++] = (em_file){path, size, hash};
    return XJ_OK;
}

xj_error em_close(em_writer *w)
{
    em_ctx *const ctx = w->ctx;
    xj_error err = em_flush(w);
    if (close(w->fd) != 0 && !err) err = em_ioError(ctx, "close", w->path);
    w->fd = -1;
    if (!err && !w->unlisted) err = em_listFile(ctx, w->path, w->size, XXH3_128bits_digest(&w->hash));
    if (!err && !w->unlisted) w->path = NULL; /* the list has it */
    em_abandon(w);
    return err;
}

xj_error em_recordExisting(em_ctx *ctx, const char *rel)
{
    int const fd = openat(ctx->dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return em_ioError(ctx, "open", rel);
    XXH3_state_t hash;
    XXH3_128bits_reset(&hash);
    uint64_t size = 0;
    char chunk[1 << 16];
    for (;;) {
        ssize_t const k = read(fd, chunk, sizeof chunk);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            xj_error const e = em_ioError(ctx, "read back", rel);
            close(fd);
            return e;
        }
        if (k == 0) break;
        XXH3_128bits_update(&hash, chunk, (size_t)k);
        size += (uint64_t)k;
    }
    close(fd);
    char *const path = xj_strndup(rel, strlen(rel));
    RETURN_ERROR_IF(path == NULL, ctx->st, XJ_ERR_NOMEM, "out of memory");
    xj_error const err = em_listFile(ctx, path, size, XXH3_128bits_digest(&hash));
    if (err) xj_free(path);
    return err;
}

void em_abandon(em_writer *w)
{
    if (w->fd >= 0) close(w->fd);
    w->fd = -1;
    xj_free(w->path);
    w->path = NULL;
    if (w->buf) buf_clear(w->buf); /* a lent buffer is kept for the next file */
    buf_free(&w->own);
}

xj_error em_mkdir(em_ctx *ctx, const char *rel)
{
    if (mkdirat(ctx->dirfd, rel, 0755) == 0 || errno == EEXIST) return XJ_OK;
    return em_ioError(ctx, "create the directory", rel);
}

xj_error em_writeWhole(em_ctx *ctx, const char *rel, const xj_buf *b)
{
    /* every byte is here already: hashed and written in place, with no
     * buffer of EM_WRITE_BUFFER to copy it through (taken and freed per
     * file, that buffer was most of the cost of a small file) */
    em_writer w;
    FORWARD_IF_ERROR(em_openInto(ctx, &w, rel, NULL, 0));
    XXH3_128bits_update(&w.hash, b->data, b->len);
    w.size = b->len;
    xj_error const err = b->len ? em_writeAll(&w, b->data, b->len) : XJ_OK;
    if (err) {
        em_abandon(&w);
        return err;
    }
    return em_close(&w);
}
