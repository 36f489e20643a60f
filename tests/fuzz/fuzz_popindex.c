/*
 * fuzz_popindex — the population index reader (engine/index/ix_population.c)
 * on arbitrary bytes.
 *
 * Input: one mode byte, then the file. Mode bit 0 set: before opening, the
 * two sections' checksums (slots, meta) and the header's are recomputed
 * over the mutated bytes (where the header's offsets and sizes allow it),
 * so the fuzzer gets past them to the checks behind: sizes, offsets,
 * alignment, where each entry lies from its home slot, the order, the
 * counts, the list of sources. The file is a memfd, opened by
 * its /proc/self/fd path with ix_popOpen and ix_popInfoOf.
 *
 * The reader maps the file. So that AddressSanitizer sees a read past the
 * file's end (in a mapping, one would read the last page's zeros or the
 * next mapping), this harness defines mmap and munmap: while the reader
 * runs, a mapping of a file is a page-aligned heap copy of exactly the
 * file's bytes; every other call goes to the kernel.
 *
 * Invariants, each an abort when broken:
 *  - a refusal is XJ_ERR_INPUT with a message naming the file, and
 *    ix_popInfoOf refuses what ix_popOpen refuses;
 *  - a table ix_popOpen gives lies inside the file, and lookups in it
 *    (of every number it holds, of others) stay inside its slots
 *    whatever they hold: ix_popOpen checks the header and the checksums,
 *    not the order (ix_population.h);
 *  - when ix_popInfoOf accepts the file too (it checks the order with
 *    pop_tableValid), the table passes fuzz_pop.h's checks (its counts
 *    those of its entries, every lookup what a sorted copy says), and
 *    what ix_popInfoOf describes is that table, with the header's number
 *    of sources, each named, and a NUL-terminated version.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <xxhash.h>

#include "ix_population.h"
#include "pop_table.h"

#include "fuzz_common.h"
#include "fuzz_pop.h"

/* A header's count taken for a size to allocate is a finding: libFuzzer's
 * malloc limit says so when fuzzing; under AddressSanitizer (the regression
 * test in a sanitizer build) this does, whatever ASAN_OPTIONS sets besides. */
const char *__asan_default_options(void);
__attribute__((used)) const char *__asan_default_options(void)
{
    return "max_allocation_size_mb=1024";
}

/* ---- mappings as heap copies ---- */

#define FQ_MAPS 4

static int fq_capture;
static struct {
    void *p;
    size_t n;
} fq_map[FQ_MAPS];
static int fq_nMaps;

/* With _FILE_OFFSET_BITS=64 this defines mmap64, the name the engine calls. */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (!fq_capture || fd < 0 || fq_nMaps == FQ_MAPS)
        return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
    struct stat sb;
    if (fstat(fd, &sb) != 0) return MAP_FAILED;
    size_t const avail = off < sb.st_size ? (size_t)(sb.st_size - off) : 0, n = len < avail ? len : avail;
    void *p;
    if (posix_memalign(&p, 4096, n ? n : 1) != 0) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    for (size_t done = 0; done < n;) {
        ssize_t const got = pread(fd, (char *)p + done, n - done, off + (off_t)done);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) fz_die("pread");
        done += (size_t)got;
    }
    fq_map[fq_nMaps].p = p;
    fq_map[fq_nMaps].n = n;
    fq_nMaps++;
    return p;
}

int munmap(void *addr, size_t len)
{
    for (int i = 0; i < fq_nMaps; i++)
        if (fq_map[i].p == addr) {
            free(addr);
            fq_map[i] = fq_map[--fq_nMaps];
            return 0;
        }
    return (int)syscall(SYS_munmap, addr, len);
}

/* Whether [p, p + bytes) lies in one of the copies. */
static int fq_inside(const void *p, uint64_t bytes)
{
    for (int i = 0; i < fq_nMaps; i++) {
        const char *const base = fq_map[i].p, *const c = p;
        if (c >= base && c <= base + fq_map[i].n && bytes <= (uint64_t)(base + fq_map[i].n - c)) return 1;
    }
    return 0;
}

/* ---- checksums made right again ---- */

static uint64_t fq_rd(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static void fq_wr64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* The section at offset `off`, `bytes` long, gets its hash written at `hash`. */
static void fq_fixSection(uint8_t *b, size_t n, uint64_t off, uint64_t bytes, size_t hash)
{
    if (off <= n && bytes <= n - off) fq_wr64(b + hash, XXH3_64bits(b + off, bytes));
}

/* ix_population.h's layout: slots at [48] (hash [56]), [64] of them;
 * meta at [80], [88] bytes (hash [96]); the header's hash at [120]. */
static void fq_fixChecksums(uint8_t *b, size_t n)
{
    if (n < IX_POP_HEADER) return;
    uint64_t const slots = fq_rd(b + 64, 8);
    if (slots <= n / 16) fq_fixSection(b, n, fq_rd(b + 48, 8), slots * 16, 56);
    fq_fixSection(b, n, fq_rd(b + 80, 8), fq_rd(b + 88, 8), 96);
    fq_wr64(b + 120, XXH3_64bits(b, 120));
}

/* ---- the target ---- */

static void fq_refused(xj_error err, const xj_status *st, const char *path)
{
    FZ_ASSERT(err == XJ_ERR_INPUT && st->code == err && strstr(st->message, path) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    static uint8_t *copy;
    static size_t cap;
    size_t const n = size - 1;
    if (n > cap) {
        cap = n;
        copy = realloc(copy, cap);
        FZ_ASSERT(copy != NULL);
    }
    if (n) memcpy(copy, data + 1, n);
    if (data[0] & 1) fq_fixChecksums(copy, n);
    const char *const path = fz_path(copy, n, 0);
    FZ_ASSERT(ix_popIsIndex(path) == (n >= 8 && memcmp(copy, IX_POP_MAGIC, 8) == 0));

    xj_status st;
    st_init(&st);
    void *state = NULL;
    pop_table t;
    memset(&t, 0, sizeof t);
    fq_capture = 1;
    xj_error const err = ix_popOpen(path, &state, &t, &st);
    fq_capture = 0;
    if (err) fq_refused(err, &st, path);
    else {
        FZ_ASSERT(t.owned == NULL && t.n_home <= t.n_slots && t.n_slots <= n / sizeof *t.v &&
                  fq_inside(t.v, t.n_slots * sizeof *t.v));
        /* whatever the slots hold, a lookup reads only them (ASan) */
        for (uint64_t i = 0; i < t.n_slots; i++) {
            pop_entry const e = t.v[i];
            (void)pop_lookup(&t, e.id, e.name);
            (void)pop_lookup(&t, e.id + 1, e.name);
        }
        (void)pop_lookup(&t, 0, 0);
        (void)pop_lookup(&t, POP_EMPTY, 0);
    }

    xj_status ist;
    st_init(&ist);
    void *istate = NULL;
    ix_popInfo info;
    fq_capture = 1;
    xj_error const ierr = ix_popInfoOf(path, &istate, &info, &ist);
    fq_capture = 0;
    if (ierr) fq_refused(ierr, &ist, path);
    else {
        FZ_ASSERT(!err);
        fz_popCheckTable(&t);
        FZ_ASSERT(info.entries == t.n && info.ids == t.ids && info.several_names == t.several_names &&
                  info.slots == t.n_slots);
        FZ_ASSERT(info.n_sources == fq_rd(copy + 44, 4));
        for (size_t i = 0; i < info.n_sources; i++) FZ_ASSERT(info.sources[i].name != NULL);
        FZ_ASSERT(memchr(info.version, '\0', sizeof info.version) != NULL);
    }
    ix_popInfoFree(&info);
    ix_popClose(istate);
    ix_popClose(state);
    FZ_ASSERT(fq_nMaps == 0);
    return 0;
}
