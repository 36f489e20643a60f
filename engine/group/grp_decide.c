/*
 * grp_decide — see grp_decide.h.
 *
 * "Earlier" is one total order, so that every tie is broken the same way on
 * every machine: registration date (missing last), then — for the keeper
 * only — the student number's letter (G, L, J, other), then student number
 * bytes, source name bytes, line, and input index.
 */
#include "grp_decide.h"

#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "idcheck.h"
#include "normalize.h"
#include "xj_alloc.h"
#include "xj_text.h"

#ifdef _OPENMP
#include <omp.h>
#endif

void gr_indexInit(gr_index *ix, const gr_record *recs, size_t n)
{
    *ix = (gr_index){recs, n, NULL, 0};
    size_t const m = (n + GR_INDEX_EVERY - 1) / GR_INDEX_EVERY;
    if (m < 2 || (ix->every = xj_mallocArray(m, sizeof *ix->every)) == NULL) return;
    for (size_t i = 0; i < m; i++) ix->every[i] = recs[i * GR_INDEX_EVERY].ref;
    ix->n_every = m;
}

void gr_indexFree(gr_index *ix)
{
    xj_free(ix->every);
    ix->every = NULL;
    ix->n_every = 0;
}

const gr_record *gr_find(const gr_index *ix, uint64_t ref)
{
    ref &= ~GK_FLAGS;
    size_t lo = 0, hi = ix->n;
    if (ix->every) {
        /* k: the first sample >= ref; the first record >= ref is after
         * sample k - 1 and no later than sample k */
        size_t k = 0, end = ix->n_every;
        while (k < end) {
            size_t const mid = k + (end - k) / 2;
            if (ix->every[mid] < ref) k = mid + 1;
            else end = mid;
        }
        lo = k ? (k - 1) * GR_INDEX_EVERY + 1 : 0;
        if (k * GR_INDEX_EVERY + 1 < hi) hi = k * GR_INDEX_EVERY + 1;
    }
    while (lo < hi) {
        size_t const mid = lo + (hi - lo) / 2;
        if (ix->recs[mid].ref < ref) lo = mid + 1;
        else hi = mid;
    }
    return lo < ix->n && ix->recs[lo].ref == ref ? &ix->recs[lo] : NULL;
}

uint64_t gd_groupId(pb_problem problem, const char *key, size_t key_len)
{
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    const char *const code = pb_problemCode(problem);
    XXH3_64bits_update(&st, code, strlen(code) + 1); /* with its NUL */
    XXH3_64bits_update(&st, key, key_len);
    return XXH3_64bits_digest(&st);
}

static int gd_bytesCmp(const char *a, size_t an, const char *b, size_t bn)
{
    int const c = memcmp(a, b, an < bn ? an : bn);
    if (c) return c;
    return an < bn ? -1 : an > bn;
}

static int gd_letterRank(const gr_record *r)
{
    char const c = r->student_no_len ? r->student_no[0] : 0;
    return c == 'G' ? 0 : c == 'L' ? 1 : c == 'J' ? 2 : 3;
}

/* < 0 when a entered before b. */
static int gd_earlier(const gd_context *ctx, const gr_record *a, const gr_record *b, int by_letter)
{
    uint32_t const ra = a->registered ? a->registered : UINT32_MAX;
    uint32_t const rb = b->registered ? b->registered : UINT32_MAX;
    if (ra != rb) return ra < rb ? -1 : 1;
    if (by_letter) {
        int const la = gd_letterRank(a), lb = gd_letterRank(b);
        if (la != lb) return la - lb;
    }
    int c = gd_bytesCmp(a->student_no, a->student_no_len, b->student_no, b->student_no_len);
    if (c) return c;
    uint32_t const sa = gk_refSource(a->ref), sb = gk_refSource(b->ref);
    c = strcmp(ctx->source_names[sa], ctx->source_names[sb]);
    if (c) return c;
    uint64_t const la = gk_refLine(a->ref), lb = gk_refLine(b->ref);
    if (la != lb) return la < lb ? -1 : 1;
    uint32_t const ka = ctx->source_rank ? ctx->source_rank[sa] : sa;
    uint32_t const kb = ctx->source_rank ? ctx->source_rank[sb] : sb;
    return ka < kb ? -1 : ka > kb;
}

static int gd_sameSchool(const gr_record *a, const gr_record *b)
{
    return a->school_len == b->school_len && memcmp(a->school, b->school, a->school_len) == 0;
}

/* The same (student number, school code), trimmed: what a decision names. */
static int gd_sameId(const gr_record *a, const gr_record *b)
{
    const char *as = a->student_no, *bs = b->student_no, *ac = a->school, *bc = b->school;
    size_t an = a->student_no_len, bn = b->student_no_len, acn = a->school_len, bcn = b->school_len;
    xj_trim(&as, &an);
    xj_trim(&bs, &bn);
    xj_trim(&ac, &acn);
    xj_trim(&bc, &bcn);
    return an == bn && acn == bcn && memcmp(as, bs, an) == 0 && memcmp(ac, bc, acn) == 0;
}

static int gd_samePerson(const gr_record *a, const gr_record *b)
{
    return a->sex == b->sex && a->birth == b->birth && a->name_len == b->name_len &&
           memcmp(a->name, b->name, a->name_len) == 0;
}

static int gd_isDigits(const char *s, size_t n, size_t want)
{
    if (n != want) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* Province of a school: bytes 3–4 of a 10-digit code, else unknown (NULL). */
static const char *gd_province(const gr_record *r)
{
    return gd_isDigits(r->school, r->school_len, 10) ? r->school + 2 : NULL;
}

static pb_scope gd_scope(const gr_record *const *m, size_t n)
{
    int one_school = 1, counties_known = 1, one_county = 1, one_city = 1, one_province = 1;
    const char *const p0 = gd_province(m[0]);
    for (size_t i = 0; i < n; i++) {
        one_school &= gd_sameSchool(m[i], m[0]);
        counties_known &= gd_isDigits(m[i]->county, m[i]->county_len, 6);
        const char *const p = gd_province(m[i]);
        one_province &= p0 != NULL && p != NULL && memcmp(p, p0, 2) == 0;
    }
    if (one_school) return PB_SCOPE_SCHOOL;
    if (counties_known) {
        for (size_t i = 1; i < n; i++) {
            one_county &= memcmp(m[i]->county, m[0]->county, 6) == 0;
            one_city &= memcmp(m[i]->county, m[0]->county, 4) == 0;
        }
        if (one_county) return PB_SCOPE_COUNTY;
        if (one_city) return PB_SCOPE_CITY;
    }
    return one_province ? PB_SCOPE_PROVINCE : PB_SCOPE_NATIONAL;
}

/* The region code of the office that arbitrates a group of `scope`
 * (rules §5; arbiters/): gd_scope chose the scope from these same members,
 * so the codes it compared are there to read. */
static uint32_t gd_office(pb_scope scope, const gr_record *const *m)
{
    const char *digits;
    size_t n;
    uint32_t scale;
    switch (scope) {
    case PB_SCOPE_COUNTY: digits = m[0]->county, n = 6, scale = 1; break;
    case PB_SCOPE_CITY: digits = m[0]->county, n = 4, scale = 100; break;
    case PB_SCOPE_PROVINCE: digits = gd_province(m[0]), n = 2, scale = 10000; break;
    default: return 0;
    }
    uint32_t code = 0;
    for (size_t i = 0; i < n; i++) code = code * 10 + (uint32_t)(digits[i] - '0');
    return code * scale;
}

typedef struct gd_sortCtx {
    const gd_context *ctx;        /* for source names */
    const gr_record *const *m;    /* members by position */
} gd_sortCtx;

/* Orders member positions by school, then by "earlier" (without the letter
 * rank), so each school's run starts with the member that should attest. */
static int gd_cmpSchoolThenEarlier(const void *a, const void *b, void *arg)
{
    const gd_sortCtx *const sc = arg;
    const gr_record *const x = sc->m[*(const uint32_t *)a], *const y = sc->m[*(const uint32_t *)b];
    int const c = gd_bytesCmp(x->school, x->school_len, y->school, y->school_len);
    return c ? c : gd_earlier(sc->ctx, x, y, 0);
}

/* other_schools of member `self`: the group's distinct schools (`schools`,
 * sorted, `total` bytes of codes) without its own, ';'-joined. */
static xj_error gd_otherSchools(const gr_record *const *schools, size_t u, size_t total, const gr_record *self,
                                xj_arena *arena, const char **out, uint32_t *out_len)
{
    if (u <= 1) {
        *out = "";
        *out_len = 0;
        return XJ_OK;
    }
    char *const s = ar_alloc(arena, total + u);
    if (s == NULL) return XJ_ERR_NOMEM;
    size_t at = 0;
    for (size_t i = 0; i < u; i++) {
        if (gd_sameSchool(schools[i], self)) continue;
        if (at) s[at++] = ';';
        memcpy(s + at, schools[i]->school, schools[i]->school_len);
        at += schools[i]->school_len;
    }
    *out = s;
    *out_len = (uint32_t)at;
    return XJ_OK;
}

/* The group's records as other_members names them: "student_no@school"
 * (trimmed) and the school's name, sorted by text as bytes into one arena
 * array that every row of the group shares; pos[i] is member i's place in
 * it. A row names the others by skipping its own place, so two records with
 * equal text each appear in the other's list. `tmp` and `order` are
 * scratch of n entries. */
static int gd_cmpMemberText(const void *a, const void *b, void *arg)
{
    const pb_member *const v = arg;
    uint32_t const i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    int c = gd_bytesCmp(v[i].text, v[i].text_len, v[j].text, v[j].text_len);
    if (c) return c;
    /* the Chinese files add the school's name, which may be spelt apart */
    c = gd_bytesCmp(v[i].school_name, v[i].school_name_len, v[j].school_name, v[j].school_name_len);
    if (c) return c;
    return i < j ? -1 : i > j; /* the same text and name print the same: any fixed order */
}

static xj_error gd_members(const gr_record *const *m, size_t n, xj_arena *arena, pb_member *tmp, uint32_t *order,
                           uint32_t *pos, const pb_member **out)
{
    for (size_t i = 0; i < n; i++) {
        const char *no = m[i]->student_no, *school = m[i]->school, *name = m[i]->school_name;
        size_t no_len = m[i]->student_no_len, school_len = m[i]->school_len, name_len = m[i]->school_name_len;
        xj_trim(&no, &no_len);
        xj_trim(&school, &school_len);
        xj_trim(&name, &name_len);
        char *const text = ar_alloc(arena, no_len + 1 + school_len);
        if (text == NULL) return XJ_ERR_NOMEM;
        if (no_len) memcpy(text, no, no_len);
        text[no_len] = '@';
        if (school_len) memcpy(text + no_len + 1, school, school_len);
        tmp[i] = (pb_member){text, name, (uint32_t)(no_len + 1 + school_len), (uint32_t)name_len};
        order[i] = (uint32_t)i;
    }
    qsort_r(order, n, sizeof *order, gd_cmpMemberText, tmp);
    pb_member *const sorted = ar_alloc(arena, n * sizeof *sorted);
    if (sorted == NULL) return XJ_ERR_NOMEM;
    for (size_t k = 0; k < n; k++) {
        sorted[k] = tmp[order[k]];
        pos[order[k]] = (uint32_t)k;
    }
    *out = sorted;
    return XJ_OK;
}

/* The text the group id is computed over (the same the first pass hashed):
 * the first member's, which may be in the group by its old ID. */
static size_t gd_keyText(const gk_group *g, gd_keyKind kind, const gr_record *first, int by_old_id, char *buf,
                         size_t cap)
{
    if (kind == GD_KEY_GB) {
        id_unpack18(g->lo, buf);
        return 18;
    }
    if (kind == GD_KEY_OTHER_ID && by_old_id) { /* keyed as a type-1 ID with that number */
        char old[NM_OLD_ID_BYTES];
        size_t const n = nm_oldId(first->student_no, first->student_no_len, old);
        return n == 0 || n + 12 > cap ? 0 : gk_otherIdKeyText(buf, '1', old, n);
    }
    size_t const n = kind == GD_KEY_ATTR ? first->name_len : first->id_len;
    if (n + 12 > cap) return 0;
    if (kind == GD_KEY_OTHER_ID) return gk_otherIdKeyText(buf, first->id_type, first->id, n);
    return gk_attrKeyText(buf, first->name, n, first->sex, first->birth);
}

typedef struct gd_scratch {
    const gr_record **m;        /* members in ref order */
    const gr_record **schools;  /* one member per distinct school, sorted */
    uint32_t *order;            /* member positions by (school, earlier) */
    uint32_t *pos;              /* each member's place in the group's pb_member array */
    uint32_t *by_text;          /* member positions by other_members text */
    pb_member *texts;           /* members' texts before sorting */
    unsigned char *approved;    /* per member: its approval is in effect */
    const gr_record **chosen;   /* the approved members */
    size_t cap;                 /* entries allocated in each array */
    char *key;                  /* key text */
    size_t key_cap;
} gd_scratch;

static xj_error gd_reserve(gd_scratch *sc, size_t n)
{
    if (n <= sc->cap) return XJ_OK;
    void *grown;
    /* each array to n entries; one that cannot grow keeps its old block */
#define GD_GROW(a) ((grown = xj_reallocArray(sc->a, n, sizeof *sc->a)) != NULL && (sc->a = grown, 1))
    int const ok = GD_GROW(m) && GD_GROW(schools) && GD_GROW(order) && GD_GROW(pos) && GD_GROW(by_text) &&
                   GD_GROW(texts) && GD_GROW(approved) && GD_GROW(chosen);
#undef GD_GROW
    if (!ok) return XJ_ERR_NOMEM;
    sc->cap = n;
    return XJ_OK;
}

/* The officers' approvals of a group's members (docs/monthly.md §4, §5):
 * sc->approved[i] for each member, the approved members in sc->chosen;
 * returns how many. Asking marks the decisions matched. */
static size_t gd_approvals(const gd_context *ctx, uint64_t gid, size_t n, gd_scratch *sc)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        sc->approved[i] = ctx->verdicts != NULL && ctx->verdicts->approved(ctx->verdicts->user, gid, sc->m[i]);
        if (sc->approved[i]) sc->chosen[k++] = sc->m[i];
    }
    return k;
}

/* Approved records that are not copies of one another: distinct trimmed
 * (student number, school code), the key a decision names. */
static size_t gd_distinctIds(const gr_record *const *chosen, size_t k)
{
    size_t n = 0;
    for (size_t i = 0; i < k; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) seen = gd_sameId(chosen[i], chosen[j]);
        n += !seen;
    }
    return n;
}

/* What one group's decision is, for every member alike. */
typedef struct gd_verdict {
    uint64_t gid;
    const pb_member *members;
    size_t keeper;          /* id_duplicate: the earliest, or the one approved member */
    size_t n_approved;      /* approved records */
    size_t n_approved_ids;  /* distinct approved (student number, school code): a record imported twice
                             * and approved by one decision is one approved member */
    pb_scope scope, arbiter;/* the arbiter's scope: the group's, or the approved members' (two or more) */
    uint32_t office;        /* the arbiter's office (arbiters/) */
} gd_verdict;

/* A member's row: what every problem's row holds. */
static void gd_baseRow(const gr_record *r, pb_problem problem, size_t n, const gd_verdict *v, uint32_t self,
                       pb_row *row)
{
    memset(row, 0, sizeof *row);
    row->school = r->school;
    row->school_len = r->school_len;
    row->tail = r->tail;
    row->tail_len = r->tail_len;
    row->group_id = v->gid;
    row->line = gk_refLine(r->ref);
    row->source = gk_refSource(r->ref);
    row->group_size = (uint32_t)n;
    row->members = v->members;
    row->n_members = (uint32_t)n;
    row->self = self;
    row->problem = (uint8_t)problem;
    row->scope = (uint8_t)v->scope;
    row->arbiter = (uint8_t)v->arbiter;
    row->office = v->office;
    row->keeper = PB_KEEPER_NONE;
}

/* id_duplicate: one keeper — the approved member if there is exactly one,
 * else the earliest — and the others' hints against it; two or more
 * approved members make every row double_attested (docs/monthly.md §5),
 * which wins over approved, which wins over old_id. */
static void gd_idRow(const gd_verdict *v, const gd_scratch *sc, size_t i, int by_old_id, pb_row *row)
{
    const gr_record *const r = sc->m[i], *const k = sc->m[v->keeper];
    row->keeper = i == v->keeper;
    row->hint = i == v->keeper            ? PB_HINT_KEEP
                : !gd_samePerson(r, k)    ? PB_HINT_CHECK_ID
                : gd_sameSchool(r, k)     ? PB_HINT_DELETE_COPY
                                          : PB_HINT_AGREE_TRANSFER;
    if (v->n_approved_ids >= 2) row->reason = PB_REASON_DOUBLE_ATTESTED;
    else if (v->n_approved_ids == 1 && i == v->keeper) row->reason = PB_REASON_APPROVED;
    else if (by_old_id) row->reason = PB_REASON_OLD_ID;
}

static xj_error gd_decideOne(const gd_context *ctx, const gk_groups *gs, size_t gi, gd_keyKind kind,
                             pb_problem problem, pb_row *rows, xj_arena *arena, gd_scratch *sc)
{
    gk_group const *const g = &gs->g[gi];
    size_t const n = g->n;
    FORWARD_IF_ERROR(gd_reserve(sc, n));
    for (size_t i = 0; i < n; i++) {
        sc->m[i] = gr_find(ctx->index, gs->refs[g->first + i]);
        if (XJ_NEVER(sc->m[i] == NULL)) return XJ_ERR_INTERNAL;
        sc->order[i] = (uint32_t)i;
    }
    gd_sortCtx sort_ctx = {ctx, sc->m};
    qsort_r(sc->order, n, sizeof *sc->order, gd_cmpSchoolThenEarlier, &sort_ctx);
    size_t u = 0, school_bytes = 0;
    for (size_t k = 0; k < n; k++) {
        const gr_record *const r = sc->m[sc->order[k]];
        if (u == 0 || !gd_sameSchool(r, sc->schools[u - 1])) {
            sc->schools[u++] = r;
            school_bytes += r->school_len;
        }
    }

    size_t const key_len = gd_keyText(g, kind, sc->m[0], (gs->refs[g->first] & GK_OLD_ID) != 0, sc->key, sc->key_cap);
    if (XJ_NEVER(key_len == 0)) return XJ_ERR_INTERNAL;
    gd_verdict v = {.gid = gd_groupId(problem, sc->key, key_len), .scope = gd_scope(sc->m, n)};
    FORWARD_IF_ERROR(gd_members(sc->m, n, arena, sc->texts, sc->by_text, sc->pos, &v.members));
    /* a suspect cannot be attested (docs/suspects.md §6): no decision is asked, so none matches */
    v.n_approved = problem == PB_SUSPECT_DUPLICATE ? 0 : gd_approvals(ctx, v.gid, n, sc);
    v.n_approved_ids = gd_distinctIds(sc->chosen, v.n_approved);
    int const two_approved = problem == PB_ID_DUPLICATE && v.n_approved_ids >= 2;
    /* two approved ID records: their common superior decides */
    v.arbiter = two_approved ? gd_scope(sc->chosen, v.n_approved) : v.scope;
    v.office = two_approved ? gd_office(v.arbiter, sc->chosen) : gd_office(v.scope, sc->m);
    if (problem == PB_ID_DUPLICATE) {
        for (size_t i = 1; i < n; i++)
            if (gd_earlier(ctx, sc->m[i], sc->m[v.keeper], 1) < 0) v.keeper = i;
        if (v.n_approved_ids == 1) { /* the approved member's earliest copy keeps */
            size_t k = n;
            for (size_t i = 0; i < n; i++)
                if (sc->approved[i] && (k == n || gd_earlier(ctx, sc->m[i], sc->m[k], 1) < 0)) k = i;
            v.keeper = k;
        }
    }

    for (size_t i = 0; i < n; i++) {
        const gr_record *const r = sc->m[i];
        pb_row *const row = &rows[g->first + i];
        gd_baseRow(r, problem, n, &v, sc->pos[i], row);
        if (problem == PB_ID_DUPLICATE) gd_idRow(&v, sc, i, (gs->refs[g->first + i] & GK_OLD_ID) != 0, row);
        else if (problem == PB_SUSPECT_DUPLICATE) {
            /* the mistyped record corrects its ID; the one holding it keeps (docs/suspects.md §4) */
            int const typo = (gs->refs[g->first + i] & GK_SUSPECT) != 0;
            row->reason = typo ? PB_REASON_ID_TYPO : PB_REASON_NONE;
            row->hint = typo ? PB_HINT_CORRECT_ID : PB_HINT_KEEP;
        } else {
            row->reason = (gs->refs[g->first + i] & GK_HAS_ID) ? PB_REASON_MIXED : PB_REASON_NONE;
            /* all approved: attested; some: the approved ones are reopened */
            row->attested = v.n_approved == n;
            if (sc->approved[i] && v.n_approved < n) row->status = PB_STATUS_REOPENED;
        }
        FORWARD_IF_ERROR(gd_otherSchools(sc->schools, u, school_bytes, r, arena, &row->others, &row->others_len));
    }
    if (problem == PB_ATTR_DUPLICATE) {
        /* the first member of each school's run attests, the others are copies */
        for (size_t k = 0; k < n; k++) {
            int const first = k == 0 || !gd_sameSchool(sc->m[sc->order[k]], sc->m[sc->order[k - 1]]);
            rows[g->first + sc->order[k]].hint = first ? PB_HINT_ATTEST : PB_HINT_DELETE_COPY;
        }
    }
    return XJ_OK;
}

xj_error gd_decideGroups(const gd_context *ctx, const gk_groups *gs, gd_keyKind kind, pb_problem problem,
                         pb_row *rows, xj_arena *arenas, xj_status *st)
{
    xj_error err = XJ_OK;
#pragma omp parallel num_threads(ctx->threads)
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        gd_scratch sc = {0};
        sc.key_cap = 4 * 65536 + 64;
        sc.key = xj_malloc(sc.key_cap);
        xj_error local = sc.key ? XJ_OK : XJ_ERR_NOMEM;
#pragma omp for schedule(dynamic, 1024)
        for (long gi = 0; gi < (long)gs->n; gi++)
            if (!local) local = gd_decideOne(ctx, gs, (size_t)gi, kind, problem, rows, &arenas[tid], &sc);
        xj_free(sc.m);
        xj_free(sc.schools);
        xj_free(sc.order);
        xj_free(sc.pos);
        xj_free(sc.by_text);
        xj_free(sc.texts);
        xj_free(sc.approved);
        xj_free(sc.chosen);
        xj_free(sc.key);
#pragma omp critical(gd_error)
        if (local && !err) err = local;
    }
    RETURN_ERROR_IF(err == XJ_ERR_NOMEM, st, err, "out of memory deciding groups");
    RETURN_ERROR_IF(err, st, err, "internal error: a group member's record was not found in the second pass");
    return XJ_OK;
}
