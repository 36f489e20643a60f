/*
 * ix_population — see ix_population.h.
 */
#include "ix_population.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "ix_format.h"
#include "xj_alloc.h"

/* The slots go to the file as they lie in memory. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the population index is little-endian");

typedef struct ix_popMap {
    void *base;
    size_t size;
    struct ix_popMap *next;
} ix_popMap;

int ix_popIsIndex(const char *path)
{
    int const fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char magic[8];
    ssize_t const got = read(fd, magic, sizeof magic);
    close(fd);
    return got == (ssize_t)sizeof magic && memcmp(magic, IX_POP_MAGIC, sizeof magic) == 0;
}

void ix_popClose(void *state)
{
    for (ix_popMap *m = state; m;) {
        ix_popMap *const next = m->next;
        munmap(m->base, m->size);
        xj_free(m);
        m = next;
    }
}

/* The file mapped and its header and sections checked; the header's
 * fields in h (NULL on failure, with a message). */
static const unsigned char *ix_popMapChecked(const char *path, void **state, size_t *size_out, xj_status *st)
{
    int const fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        st_fail(st, XJ_ERR_INPUT, "--population %s: cannot open it: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || sb.st_size < (off_t)IX_POP_HEADER) {
        close(fd);
        st_fail(st, XJ_ERR_INPUT, "--population %s: too short to be a population index (rebuild it with "
                "`xjdedup index build --population`)", path);
        return NULL;
    }
    size_t const size = (size_t)sb.st_size;
    void *const base = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    if (base == MAP_FAILED) {
        st_fail(st, XJ_ERR_INPUT, "--population %s: cannot map it: %s", path, strerror(errno));
        return NULL;
    }
    ix_popMap *const m = xj_malloc(sizeof *m);
    if (m == NULL) {
        munmap(base, size);
        st_fail(st, XJ_ERR_NOMEM, "out of memory");
        return NULL;
    }
    *m = (ix_popMap){base, size, *state};
    *state = m;
    *size_out = size;
    return base;
}

/* Whether [off, off + bytes) lies in a file of `size` bytes, and its hash. */
static int ix_popSection(const unsigned char *p, size_t size, uint64_t off, uint64_t bytes, uint64_t hash)
{
    return off <= size && bytes <= size - off && XXH3_64bits(p + off, bytes) == hash;
}

static xj_error ix_popDamaged(const char *path, const char *what, xj_status *st)
{
    return st_fail(st, XJ_ERR_INPUT, "--population %s: %s; the file is damaged or not a population index of this "
                   "version (rebuild it with `xjdedup index build --population`)", path, what);
}

static xj_error ix_popParse(const char *path, const unsigned char *p, size_t size, pop_table *t, ix_popInfo *info,
                            xj_status *st)
{
    if (memcmp(p, IX_POP_MAGIC, 8) != 0) return ix_popDamaged(path, "no population index magic", st);
    if ((uint32_t)ix_loadLE(p + 8, 4) != IX_POP_VERSION || (uint32_t)ix_loadLE(p + 12, 4) != IX_POP_HEADER)
        return ix_popDamaged(path, "another format version", st);
    if (XXH3_64bits(p, 120) != ix_loadLE(p + 120, 8)) return ix_popDamaged(path, "the header's checksum is wrong", st);
    uint64_t const n = ix_loadLE(p + 16, 8), n_sources = (uint32_t)ix_loadLE(p + 44, 4);
    uint64_t const slots_off = ix_loadLE(p + 48, 8), n_slots = ix_loadLE(p + 64, 8), n_home = ix_loadLE(p + 72, 8);
    if (n_slots == 0 || n_slots > (size >> 4) || n > n_slots || n_home > n_slots)
        return ix_popDamaged(path, "impossible sizes in the header", st);
    if (!ix_popSection(p, size, slots_off, n_slots * 16, ix_loadLE(p + 56, 8)) || slots_off % 8 ||
        !ix_popSection(p, size, ix_loadLE(p + 80, 8), ix_loadLE(p + 88, 8), ix_loadLE(p + 96, 8)))
        return ix_popDamaged(path, "a section is cut short or its checksum is wrong", st);
    *t = (pop_table){.v = (const pop_entry *)(const void *)(p + slots_off), .n_slots = n_slots, .n_home = n_home,
                     .n = n, .ids = ix_loadLE(p + 24, 8), .several_names = ix_loadLE(p + 32, 8)};
    /* Lookups stay within the slots whatever they hold, and the checksums
     * say the slots are what the writer wrote: the order (a pass over all
     * of them, a noticeable part of a run) is checked by `index info`. */
    if (info == NULL) return XJ_OK;
    if (!pop_tableValid(t)) return ix_popDamaged(path, "its entries are not in lookup order", st);
    *info = (ix_popInfo){.entries = n, .ids = t->ids, .several_names = t->several_names,
                         .build_time = ix_loadLE(p + 104, 8), .slots = n_slots};
    const unsigned char *m = p + ix_loadLE(p + 80, 8), *const end = m + ix_loadLE(p + 88, 8);
    /* a source takes 10 bytes at least: a count the meta cannot hold is
     * damage, not a size to allocate (2^32 sources would ask for 64 GiB) */
    if (n_sources > (uint64_t)(end - m) / 10) return ix_popDamaged(path, "its list of sources is cut short", st);
    info->sources = xj_calloc(n_sources ? n_sources : 1, sizeof *info->sources);
    if (info->sources == NULL) return st_fail(st, XJ_ERR_NOMEM, "out of memory");
    for (uint64_t i = 0; i < n_sources; i++) {
        if (end - m < 2 || (size_t)(end - m) < 2u + (size_t)(m[0] | m[1] << 8) + 8u)
            return ix_popDamaged(path, "its list of sources is cut short", st);
        size_t const len = (size_t)(m[0] | m[1] << 8);
        info->sources[i].bytes = ix_loadLE(m + 2 + len, 8);
        info->sources[i].name = xj_strndup((const char *)(m + 2), len);
        if (info->sources[i].name == NULL) return st_fail(st, XJ_ERR_NOMEM, "out of memory");
        info->n_sources++;
        m += 2 + len + 8;
    }
    if (end - m >= 2) {
        size_t const len = (size_t)(m[0] | m[1] << 8);
        if ((size_t)(end - m) >= 2 + len && len < sizeof info->version) memcpy(info->version, m + 2, len);
    }
    return XJ_OK;
}

void ix_popInfoFree(ix_popInfo *info)
{
    for (size_t i = 0; info->sources && i < info->n_sources; i++) xj_free((void *)info->sources[i].name);
    xj_free(info->sources);
    info->sources = NULL;
}

xj_error ix_popOpen(const char *path, void **state, pop_table *table, xj_status *st)
{
    size_t size;
    const unsigned char *const p = ix_popMapChecked(path, state, &size, st);
    if (p == NULL) return st->code;
    return ix_popParse(path, p, size, table, NULL, st);
}

xj_error ix_popInfoOf(const char *path, void **state, ix_popInfo *out, xj_status *st)
{
    memset(out, 0, sizeof *out);
    size_t size;
    const unsigned char *const p = ix_popMapChecked(path, state, &size, st);
    if (p == NULL) return st->code;
    pop_table t;
    return ix_popParse(path, p, size, &t, out, st);
}

/* ---- writing ---- */

static int ix_popPut(int fd, const void *p, size_t n, XXH3_state_t *h)
{
    if (h) XXH3_64bits_update(h, p, n);
    for (const char *c = p; n > 0;) {
        ssize_t const w = write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

xj_error ix_popWrite(const char *path, const pop_table *t, const ix_popSource *sources, size_t n_sources,
                     const char *version, xj_status *st)
{
    size_t const plen = strlen(path);
    char *const tmp = xj_malloc(plen + 16);
    RETURN_ERROR_IF(tmp == NULL, st, XJ_ERR_NOMEM, "out of memory");
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int const fd = mkstemp(tmp);
    if (fd < 0) {
        xj_error const err = st_fail(st, XJ_ERR_IO, "cannot write %s: %s", path, strerror(errno));
        xj_free(tmp);
        return err;
    }
    /* mkstemp's 0600 would hide the index from the other accounts of a
     * data centre: the mode a plain file would get instead */
    mode_t const mask = umask(0);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);
    XXH3_state_t *const h = XXH3_createState();
    unsigned char header[IX_POP_HEADER] = {0};
    uint64_t const slots_off = IX_POP_HEADER, meta_off = slots_off + t->n_slots * 16;
    int bad = h == NULL || ix_popPut(fd, header, sizeof header, NULL) != 0;
    /* the slots are written as they lie in memory: the format is
     * little-endian, as is every machine this builds on (the assertion above) */
    uint64_t hashes[3] = {0, 0, 0}, meta_bytes = 0;
    if (!bad) {
        XXH3_64bits_reset(h);
        bad = ix_popPut(fd, t->v, t->n_slots * 16, h) != 0;
        hashes[0] = XXH3_64bits_digest(h);
    }
    if (!bad) {
        XXH3_64bits_reset(h);
        for (size_t i = 0; i < n_sources && !bad; i++) {
            size_t const len = strlen(sources[i].name) < 65535 ? strlen(sources[i].name) : 65535;
            unsigned char l[2] = {(unsigned char)len, (unsigned char)(len >> 8)}, b[8];
            ix_storeLE(b, sources[i].bytes, 8);
            bad = ix_popPut(fd, l, 2, h) || ix_popPut(fd, sources[i].name, len, h) || ix_popPut(fd, b, 8, h);
            meta_bytes += 2 + len + 8;
        }
        size_t const vlen = strlen(version) < 63 ? strlen(version) : 63;
        unsigned char l[2] = {(unsigned char)vlen, 0};
        bad = bad || ix_popPut(fd, l, 2, h) || ix_popPut(fd, version, vlen, h);
        meta_bytes += 2 + vlen;
        hashes[2] = XXH3_64bits_digest(h);
    }
    if (!bad) {
        memcpy(header, IX_POP_MAGIC, 8);
        ix_storeLE(header + 8, IX_POP_VERSION, 4);
        ix_storeLE(header + 12, IX_POP_HEADER, 4);
        ix_storeLE(header + 16, t->n, 8);
        ix_storeLE(header + 24, t->ids, 8);
        ix_storeLE(header + 32, t->several_names, 8);
        ix_storeLE(header + 44, (uint32_t)n_sources, 4);
        ix_storeLE(header + 48, slots_off, 8);
        ix_storeLE(header + 56, hashes[0], 8);
        ix_storeLE(header + 64, t->n_slots, 8);
        ix_storeLE(header + 72, t->n_home, 8);
        ix_storeLE(header + 80, meta_off, 8);
        ix_storeLE(header + 88, meta_bytes, 8);
        ix_storeLE(header + 96, hashes[2], 8);
        const char *const epoch = getenv("SOURCE_DATE_EPOCH"); /* reproducible builds */
        ix_storeLE(header + 104, epoch ? strtoull(epoch, NULL, 10) : (uint64_t)time(NULL), 8);
        ix_storeLE(header + 120, XXH3_64bits(header, 120), 8);
        bad = pwrite(fd, header, sizeof header, 0) != (ssize_t)sizeof header || fsync(fd) != 0;
    }
    int const saved = errno;
    XXH3_freeState(h);
    if (close(fd) != 0) bad = 1;
    if (!bad && rename(tmp, path) != 0) bad = 1;
    xj_error err = XJ_OK;
    if (bad) {
        err = st_fail(st, XJ_ERR_IO, "cannot write %s: %s", path, strerror(errno ? errno : saved));
        unlink(tmp);
    }
    xj_free(tmp);
    return err;
}
