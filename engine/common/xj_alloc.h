/*
 * xj_alloc — the engine's single allocation wrapper.
 *
 * Every heap allocation of the engine goes through these functions, so that a
 * test can make the k-th one fail (xj_allocFailAfter) and prove that each
 * caller reports XJ_ERR_NOMEM cleanly. The memory itself comes from jemalloc
 * when the build links it (malloc is then jemalloc's).
 */
#ifndef XJ_ALLOC_H
#define XJ_ALLOC_H

#include <stddef.h>
#include <stdint.h>

void *xj_malloc(size_t size);
void *xj_calloc(size_t count, size_t size);
/* Zeroed like xj_calloc, but every page written at once: for a hash table,
 * whose probes read a slot before its first write. calloc's fresh pages
 * are first mapped to the shared zero page by such a read, and the write
 * after it is a copy-on-write fault that flushes the TLB of every core
 * running the process (an IPI each), where a first write costs one fault. */
void *xj_callocTable(size_t count, size_t size);
void *xj_realloc(void *ptr, size_t size);
/* For a large buffer that is filled and read again and again (a decoded
 * zstd frame): aligned to 2 MiB and offered to the kernel as transparent
 * huge pages (honoured when /sys/kernel/mm/transparent_hugepage/enabled is
 * `always` or `madvise`). A 4 MiB frame then takes two TLB entries instead
 * of a thousand, and the decoder's matches reach back across all of it
 * (bench/notes-issue20.md). Smaller sizes are plain xj_malloc. Freed with
 * xj_free. */
void *xj_mallocHuge(size_t size);
void xj_free(void *ptr);
char *xj_strndup(const char *s, size_t n);

/* Array helpers that check count * size for overflow. */
void *xj_mallocArray(size_t count, size_t size);
void *xj_reallocArray(void *ptr, size_t count, size_t size);
/* Room for `need` elements of `size` bytes in a growing array: `arr` is the
 * address of the array pointer (T **), *cap its capacity, doubled from
 * `first` until it holds `need`. 0, or -1 with array and capacity unchanged
 * when memory runs out. */
int xj_growArray(void *arr, size_t *cap, size_t need, size_t size, size_t first);

/* Test hook: after `n` more successful allocations every allocation fails
 * (n < 0 turns failures off). Returns how many allocations succeeded since the
 * last call. Not thread-safe to change while a scan runs. */
uint64_t xj_allocFailAfter(int64_t n);

#endif
