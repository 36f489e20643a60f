/*
 * pop_extract — extracts of the population database read into a lookup
 * table (docs/population.md §1): CSV with the columns id_number and name
 * (or their Chinese names), plain or .zst, each row one (number, name)
 * entry. Every broken row is a fatal XJ_ERR_INPUT naming the file and the
 * line: an official file must be fixed at its source, not half used.
 */
#ifndef XJ_POP_EXTRACT_H
#define XJ_POP_EXTRACT_H

#include <stddef.h>

#include "pop_table.h"
#include "xj_buf.h"
#include "xj_status.h"

/* The name's hash as entries and records use it: XXH3-64 of the name
 * normalized (rules §3; into `scratch` unless it is plain Han, which §3
 * leaves as it is), its two low bits cleared; *length (may be NULL) the
 * normalized name's bytes. XJ_ERR_INPUT when it is not UTF-8. */
xj_error pop_nameHash(const char *name, size_t n, xj_buf *scratch, uint64_t *out, size_t *length);

/* Reads every file into one table. *several_example: the first number
 * found under more than one name (18 characters and a NUL), "" if none. */
xj_error pop_readExtracts(const char *const *paths, size_t n_paths, pop_table *out, char several_example[19],
                          xj_status *st);

#endif
