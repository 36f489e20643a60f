/*
 * test_cost — what one small input costs the code the fuzz targets drive.
 *
 * A fuzz target runs thousands of inputs a second only if the engine's
 * per-file and per-record set-up is in proportion to the input. Two costs
 * were not, and made fuzz_csv run a few hundred inputs a second:
 *  - the splitter sized its buffers by its 1 MiB read block even when its
 *    chunk target is 4 KiB, so every small file (and every chunk of it)
 *    cost fresh MiB buffers;
 *  - libcsv grows its value buffer 128 bytes at a time unless told
 *    otherwise, so one 60 KB quoted value took some 470 reallocations, each
 *    copying what came before;
 *  - the reader took a 1 MiB buffer for the compressed bytes of every .zst
 *    it opened, however small the file.
 * This checks them against the engine, not against the targets' timing;
 * the last through the sanitizer's count of allocated bytes, so only in
 * the sanitizer builds (tools/test.sh runs this suite in one). That a .zst
 * grown after it was opened still reads whole is checked in every build.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "ps_fields.h"
#include "rd_input.h"
#include "rd_split.h"
#include "xj_alloc.h"

#include "../unit/test_check.h"
#include "fuzz_common.h"

#ifdef TC_HAVE_ASAN
/* Exported by the ASan runtime of gcc and clang alike; declared here because
 * gcc's packages do not ship <sanitizer/allocator_interface.h>. */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#define TARGET 4096u
#define SMALL_BUFFER (64u << 10) /* a chunk's buffer for TARGET is well under this */

/* A small file split with a small target: its chunks' buffers stay small. */
static void test_smallTargetBuffers(void)
{
    static char text[20000];
    size_t len = (size_t)snprintf(text, sizeof text, "id,name\n");
    for (int i = 0; len + 32 < sizeof text; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%d,n%d\n", i, i);
    xj_status st;
    st_init(&st);
    rd_input *in = NULL;
    TC_CHECK(rd_open(fz_path((const uint8_t *)text, len, 0), NULL, &in, &st) == XJ_OK, "%s", st.message);
    rd_splitter *sp = NULL;
    TC_CHECK(rd_splitterCreate(in, 0, TARGET, &sp, &st) == XJ_OK, "%s", st.message);
    xj_buf header;
    buf_init(&header, 1u << 20);
    int found = 0;
    TC_CHECK(rd_readHeader(sp, &header, &found, &st) == XJ_OK && found, "%s", st.message);
    size_t chunks = 0, bytes = 0; /* the first chunk holds the header too */
    for (int done = 0; !done;) {
        rd_chunk c;
        TC_CHECK(rd_nextChunk(sp, &c, &done, &st) == XJ_OK, "%s", st.message);
        if (!done) {
            chunks++;
            bytes += c.len;
            TC_CHECK(c.cap <= SMALL_BUFFER, "chunk %zu: a %zu-byte buffer for a %u-byte target", chunks, c.cap,
                     TARGET);
        }
        rd_recycleChunk(sp, &c);
    }
    TC_CHECK(chunks >= 3, "%zu chunks", chunks); /* the input spans several chunks */
    TC_CHECK(bytes == len, "the chunks hold %zu of %zu bytes", bytes, len);
    buf_free(&header);
    rd_splitterFree(sp);
    rd_close(in);
}

/* A long quoted value through libcsv costs a handful of allocations. */
static void test_longQuotedValue(void)
{
    size_t const value = 60000; /* under XJ_MAX_FIELD */
    char *const rec = malloc(value + 2);
    TC_CHECK(rec != NULL, "out of memory");
    if (rec == NULL) return;
    rec[0] = '"';
    memset(rec + 1, 'x', value);
    rec[value + 1] = '"';
    ps_fields f;
    TC_CHECK(ps_fieldsInit(&f, 16) == XJ_OK, "ps_fieldsInit");
    f.force_libcsv = 1;
    xj_allocFailAfter(-1); /* counts from here */
    ps_fieldError const e = ps_splitFields(&f, rec, value + 2, 0);
    uint64_t const allocs = xj_allocFailAfter(-1);
    TC_CHECK(e == PS_FIELDS_OK && f.n == 1 && f.len[0] == value, "error %d, %zu fields", (int)e, f.n);
    TC_CHECK(allocs <= 16, "%llu allocations for one %zu-byte value", (unsigned long long)allocs, value);
    ps_fieldsFree(&f);
    free(rec);
}

/* `n` bytes of text that compress poorly (so the .zst is about as long). */
static char *noisyText(size_t n)
{
    char *const t = malloc(n);
    if (t == NULL) return NULL;
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        t[i] = (i % 40 == 39) ? '\n' : (char)('a' + (x >> 16) % 26);
    }
    return t;
}

/* Reads the input to its end into out[0..cap); the bytes read, or SIZE_MAX
 * on an error. */
static size_t readAll(rd_input *in, char *out, size_t cap)
{
    size_t total = 0;
    for (;;) {
        xj_status st;
        st_init(&st);
        size_t got = 0;
        if (rd_read(in, out + total, cap - total, &got, &st) != XJ_OK) {
            fprintf(stderr, "rd_read: %s\n", st.message);
            return SIZE_MAX;
        }
        if (got == 0) return total;
        total += got;
    }
}

/* A small .zst costs no MiB buffer to open; one that grows after it was
 * opened (its buffer sized for the small file) still reads whole. */
static void test_smallZstd(void)
{
    size_t const n = 300000; /* several of the small buffer's reads */
    char *const text = noisyText(n);
    size_t const bound = ZSTD_compressBound(n);
    char *const z = malloc(bound);
    char *const back = malloc(n + 1);
    TC_CHECK(text != NULL && z != NULL && back != NULL, "out of memory");
    if (text == NULL || z == NULL || back == NULL) return;
    size_t const zn = ZSTD_compress(z, bound, text, n, 1);
    TC_CHECK(!ZSTD_isError(zn) && zn > 2 * (64u << 10), "compressed to %zu bytes", zn);

    size_t const head = 1000; /* the file holds this much when opened */
    xj_status st;
    st_init(&st);
    rd_input *in = NULL;
#ifdef TC_HAVE_ASAN
    size_t const before = __sanitizer_get_current_allocated_bytes();
#endif
    TC_CHECK(rd_open(fz_path((const uint8_t *)z, head, 1), NULL, &in, &st) == XJ_OK, "%s", st.message);
#ifdef TC_HAVE_ASAN
    size_t const held = __sanitizer_get_current_allocated_bytes() - before;
    TC_CHECK(held < (512u << 10), "opening a %zu-byte .zst holds %zu bytes", head, held);
#endif
    /* the rest arrives after the open */
    for (size_t done = head; done < zn;) {
        ssize_t const w = pwrite(fz_fd, z + done, zn - done, (off_t)done);
        TC_CHECK(w > 0, "pwrite");
        if (w <= 0) break;
        done += (size_t)w;
    }
    size_t const got = readAll(in, back, n + 1);
    TC_CHECK(got == n && memcmp(back, text, n) == 0, "read back %zu of %zu bytes", got, n);
    TC_CHECK(rd_rawBytes(in) == zn, "%llu raw bytes of %zu", (unsigned long long)rd_rawBytes(in), zn);
    rd_close(in);
    free(back);
    free(z);
    free(text);
}

int main(void)
{
    test_smallTargetBuffers();
    test_longQuotedValue();
    test_smallZstd();
    return tc_finish("test_cost");
}
