/*
 * idcheck — validity of ID numbers (rules §4) and their duplicate keys (§5).
 *
 * In: the ID type code, the normalized number, the record's sex and birth
 * date, the run date and an optional region table. Out: the first failing
 * reason in rules §4 order and the key the number is grouped under. Pure and
 * thread-safe; the region table is read-only once loaded.
 */
#ifndef XJ_IDCHECK_H
#define XJ_IDCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "xj_status.h"

typedef struct id_regionTable id_regionTable;

/* Loads a file of 6-digit codes, one per line (blank lines and lines starting
 * with '#' ignored; anything else is an XJ_ERR_INPUT naming the line). */
xj_error id_loadRegionTable(const char *path, id_regionTable **out, xj_status *st);
void id_freeRegionTable(id_regionTable *t);
int id_regionKnown(const id_regionTable *t, const char code6[6]);

typedef enum id_keySpace {
    ID_KEY_NONE = 0, /* empty number: no ID key */
    ID_KEY_GB,       /* GB 11643 space: `gb` holds the packed 18-char key */
    ID_KEY_OTHER     /* keyed by (type, number) */
} id_keySpace;

typedef struct id_result {
    xj_idReason reason;   /* XJ_ID_OK or the first failure */
    id_keySpace space;    /* where the number is grouped */
    uint64_t gb;          /* packed key when space == ID_KEY_GB */
    int bad_check;        /* an 18-character GB number (types 1, 9) whose check character is wrong,
                           * whatever reason comes first: a mistyped ID (docs/suspects.md §1) */
} id_result;

typedef struct id_context {
    uint32_t run_date;              /* YYYYMMDD, upper bound of birth dates */
    const id_regionTable *regions;  /* NULL: province-level check only */
} id_context;

/* `type` is a code from nm_parseIdType; `num` is normalized (nm_normalizeId).
 * sex is 1/2 and birth YYYYMMDD from the record; pass sex 0 / birth 0 to skip
 * the two mismatch checks (as `xjdedup id` does). Cannot fail. */
id_result id_check(const id_context *ctx, char type, const char *num, size_t n,
                   int sex, uint32_t birth);

/* 1 and *packed (id_pack18) when num is [0-9]{17}[0-9X], else 0. */
int id_gbShape(const char *num, size_t n, uint64_t *packed);

/* The numbers one typing slip from id18 — one character changed, or two
 * adjacent ones swapped — that have GB 11643 shape and a right check
 * character (docs/suspects.md §3), packed (id_pack18) into out; returns how
 * many (at most ID_SLIPS_MAX; none are equal). Meant for a number of GB
 * shape whose own check character is wrong: one slip away, only one digit
 * can fix each position, so there are few. */
#define ID_SLIPS_MAX 35
size_t id_slipNeighbours(const char id18[18], uint64_t out[ID_SLIPS_MAX]);

/* The other way: every number of GB shape one slip from id18 whose check
 * character is wrong — where a mistyped copy of a valid id18 would be. */
#define ID_MISTYPES_MAX 180
size_t id_slipMistypes(const char id18[18], uint64_t out[ID_MISTYPES_MAX]);

/* '0'..'9' or 'X' for 17 ASCII digits; 0 if any is not a digit. */
char id_checkChar(const char d17[17]);

/* 18 chars [0-9]{17}[0-9X] → a 64-bit value, injective (digits as a number
 * times 11 plus the check value); id_unpack18 inverts it. */
uint64_t id_pack18(const char id18[18]);
void id_unpack18(uint64_t key, char out18[18]);

/* 15 digits → the 18-char ID (insert "19" after the region, add the check). */
void id_upgrade15(const char id15[15], char out18[18]);

#endif
