/*
 * grp_suspects — suspected duplicates (docs/suspects.md): a record whose
 * GB ID has a wrong check character, filed in pass 1 under every number
 * one typing slip away (GK_SUSPECT entries of the GB table), meets the
 * records that hold one of those numbers as their own ID when the GB table
 * is grouped. Nothing else is compared: the cost is the extra entries.
 *
 * In two steps, because the second needs the members' fields:
 *   1. gs_split, right after grouping: the GB groups become the ID groups
 *      (own entries only) and the suspect candidates (keys with a slipped
 *      entry and an own one);
 *   2. gs_confirm, once pass 2 has gathered the members: a candidate keeps
 *      the mistyped records (A) whose name, sex and birth date equal those
 *      of a record holding the number as a valid ID (B), and those Bs; a
 *      candidate left without an A or a B is no group.
 * Both keep the groups' order, so the result depends on nothing but the
 * keys and their members.
 */
#ifndef XJ_GRP_SUSPECTS_H
#define XJ_GRP_SUSPECTS_H

#include "grp_decide.h"
#include "grp_keys.h"
#include "idcheck.h"

/* Splits `gb` (grouped with GK_SUSPECT entries among its own) in place
 * into ID groups — a key's own entries (old-ID ones included), when two
 * or more — and into `suspects`: a key's slipped entries and its own
 * entries filed under their own ID (old-ID ones are not the number a
 * record holds), when it has at least one of each. XJ_ERR_NOMEM. */
xj_error gs_split(gk_groups *gb, gk_groups *suspects, xj_status *st);

/* Keeps in `suspects` only what docs/suspects.md §4 counts as members (see
 * above); `idctx` decides whether a B's number passes checks 1–5 of rules
 * §4. A member missing from `ix` is XJ_ERR_INTERNAL. */
xj_error gs_confirm(gk_groups *suspects, const gr_index *ix, const id_context *idctx, xj_status *st);

#endif
