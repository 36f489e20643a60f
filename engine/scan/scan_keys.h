/*
 * scan_keys — which keys a record is filed under, in one place.
 *
 * The scan's pass 1 (so the index build too, whose pass 1 it is) and the
 * xj_index API (index_api.c) both take a record's keys from sc_keysOf, so a
 * record checked alone against an index meets exactly the keys a scan
 * files for it: `check` agrees with `scan` by construction, not by care.
 * grp_keys.h turns a key's text into the key; this decides which keys a
 * record has (rules §5): its ID key — the packed number for GB 11643 IDs,
 * (type, number) for others —, the key of the old ID its `G` student
 * number names when that is another (docs/monthly.md §6), and, for a
 * record without an ID number or under --attr-scope mixed, its attribute
 * key (name, sex, birth date).
 *
 * Cost: inline, as pass 1 calls it for every record; the name is
 * normalized only for a record that gets an attribute key.
 */
#ifndef XJ_SCAN_KEYS_H
#define XJ_SCAN_KEYS_H

#include "ck_record.h"
#include "grp_decide.h"
#include "grp_keys.h"
#include "normalize.h"

/* Scratch for key texts: enough for any field's normalized text. */
#define SC_KEYTEXT_BYTES (4 * XJ_MAX_FIELD + 64)

typedef struct sc_keys {
    int id_kind;        /* GD_KEY_GB or GD_KEY_OTHER_ID; -1 when the record has no ID key */
    gk_key id;          /* for GD_KEY_GB: hi 0, the packed number in lo */
    int has_attr;       /* the record has an attribute key */
    gk_key attr;
    int has_id;         /* the record has an ID number (its attribute entry carries GK_HAS_ID) */
    int old_kind;       /* the old ID's key (docs/monthly.md §6): GD_KEY_GB, GD_KEY_OTHER_ID or -1;
                         * its entry carries GK_OLD_ID */
    gk_key old;
} sc_keys;

/* The attribute key of (name as read, sex, birth): the name normalized into
 * ck->name, then hashed (keytext: SC_KEYTEXT_BYTES of scratch). Also how
 * an index update keys an old record it re-files (its name is kept as
 * read). XJ_ERR_INPUT/LIMIT/NOMEM from the name's normalization. */
static inline xj_error sc_attrKeyOf(ck_scratch *ck, char *keytext, const char *name, size_t name_len, int sex,
                                    uint32_t birth, gk_key *out)
{
    FORWARD_IF_ERROR(nm_normalizeName(name, name_len, &ck->name));
    *out = gk_attrKey(keytext, ck->name.data ? ck->name.data : "", ck->name.len, sex, birth);
    return XJ_OK;
}

/* The keys of a checked record (v, f): attribute keys for records without
 * an ID number, and with `attr_mixed` for every record. */
static inline xj_error sc_keysOf(const ps_view *v, const ck_facts *f, int attr_mixed, ck_scratch *ck, char *keytext,
                                 sc_keys *out)
{
    out->id_kind = -1;
    if (f->id_res.space == ID_KEY_GB) {
        out->id_kind = GD_KEY_GB;
        out->id = (gk_key){0, f->id_res.gb};
    } else if (f->id_res.space == ID_KEY_OTHER) {
        out->id_kind = GD_KEY_OTHER_ID;
        out->id = gk_otherIdKey(keytext, f->id_type, f->id, f->id_len);
    }
    out->old_kind = -1;
    if (f->old_space == ID_KEY_GB) {
        out->old_kind = GD_KEY_GB;
        out->old = (gk_key){0, f->old_gb};
    } else if (f->old_space == ID_KEY_OTHER) {
        out->old_kind = GD_KEY_OTHER_ID;
        out->old = gk_otherIdKey(keytext, '1', f->old, f->old_len);
    }
    out->has_id = f->id_len != 0;
    out->has_attr = !out->has_id || attr_mixed;
    if (!out->has_attr) return XJ_OK;
    return sc_attrKeyOf(ck, keytext, v->val[PS_NAME], v->len[PS_NAME], f->sex, f->birth, &out->attr);
}

#endif
