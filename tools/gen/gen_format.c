/*
 * gen_format — one row as CSV text, with the formatting noise real exports
 * carry and that normalization (rules §3) must undo.
 *
 * Noise (one kind per affected row, from the row's own noise stream):
 *  ID   — ASCII spaces inside, an ideographic space (U+3000), full-width
 *         digits, a lower-case x, or spaces around it;
 *  name — an ASCII or ideographic space inside or after it; Latin names in
 *         upper case; middle-dot variants (U+2022, U+2027, U+2219, U+30FB,
 *         U+FF65) in dotted names (these also appear in 25 % of dotted names
 *         without other noise, as they do in real data);
 *  sex  — 1/2 or M/F instead of 男/女;
 *  birth date — YYYYMMDD, YYYY/MM/DD or YYYY/M/D instead of YYYY-MM-DD;
 *  ID type — the type's Chinese name instead of its code.
 * No field ever needs quoting except the school names that --messy quotes on
 * purpose (prebuilt in the layout). Bounded: a row is under GEN_ROW_MAX bytes.
 *
 * --profile varied (gen_varied.c) writes 年级 as a code, adds a 家庭住址
 * column after it, quotes
 * school names and addresses that hold commas, quotes or line breaks, and
 * quotes every field of the schools whose county exports that way; a
 * malformed row (--messy) then lacks the address rather than the grade.
 */
#include <string.h>

#include "gen.h"

#define PUTS(o, s) do { memcpy((o), (s), sizeof(s) - 1); (o) += sizeof(s) - 1; } while (0)

static inline char *gen_putDate(char *o, uint32_t ymd, char sep, int short_md)
{
    uint32_t const y = ymd / 10000, m = (ymd / 100) % 100, d = ymd % 100;
    gen_putDigits(o, y, 4); o += 4;
    if (sep) *o++ = sep;
    if (short_md && m < 10) *o++ = (char)('0' + m); else { o[0] = (char)('0' + m / 10); o[1] = (char)('0' + m % 10); o += 2; }
    if (sep) *o++ = sep;
    if (short_md && d < 10) *o++ = (char)('0' + d); else { o[0] = (char)('0' + d / 10); o[1] = (char)('0' + d % 10); o += 2; }
    return o;
}

static char *gen_putId(char *o, const gen_person *p, int noise, gen_rng *r)
{
    const char *const id = p->id;
    size_t const n = p->id_len;
    if (noise < 0 || n == 0) { memcpy(o, id, n); return o + n; }
    switch (noise) {
    case 0: /* grouped with spaces, as read aloud */
        for (size_t i = 0; i < n; i++) { if (i == 6 || i == 14) *o++ = ' '; *o++ = id[i]; }
        return o;
    case 1: /* an ideographic space after the region */
        for (size_t i = 0; i < n; i++) { if (i == 6) PUTS(o, "\xE3\x80\x80"); *o++ = id[i]; }
        return o;
    case 2: /* full-width digits and letters (U+FF10.., U+FF21..) */
        for (size_t i = 0; i < n; i++) {
            unsigned char const c = (unsigned char)id[i];
            if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) {
                unsigned const u = 0xFF00u + (c - 0x20u);
                *o++ = (char)0xEF; *o++ = (char)(0x80 | ((u >> 6) & 0x3F)); *o++ = (char)(0x80 | (u & 0x3F));
            } else {
                *o++ = (char)c;
            }
        }
        return o;
    default:
        if (id[n - 1] == 'X' && gen_below(r, 2)) { memcpy(o, id, n - 1); o += n - 1; *o++ = 'x'; return o; }
        *o++ = ' '; memcpy(o, id, n); o += n; *o++ = ' ';
        return o;
    }
}

static const char *const DOTS[5] = { "\xE2\x80\xA2", "\xE2\x80\xA7", "\xE2\x88\x99", "\xE3\x83\xBB", "\xEF\xBD\xA5" };

static char *gen_putName(char *o, const gen_person *p, int noise, int dot, gen_rng *r)
{
    const char *const s = p->name;
    size_t const n = p->name_len;
    if (p->name_kind == GEN_NAME_DOTTED && dot >= 0) {
        for (size_t i = 0; i < n; i++) {
            if ((unsigned char)s[i] == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xB7) {
                size_t const l = strlen(DOTS[dot]);
                memcpy(o, DOTS[dot], l); o += l; i++;
            } else {
                *o++ = s[i];
            }
        }
        return o;
    }
    if (noise < 0) { memcpy(o, s, n); return o + n; }
    if (p->name_kind == GEN_NAME_LATIN) {
        for (size_t i = 0; i < n; i++) *o++ = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
        return o;
    }
    /* Han: a space after the first character, or after the name */
    size_t const first = ((unsigned char)s[0] >= 0xE0) ? 3 : 1;
    uint32_t const v = gen_below(r, 3);
    if (v == 2 || n <= first) { memcpy(o, s, n); o += n; PUTS(o, " "); return o; }
    memcpy(o, s, first); o += first;
    if (v == 0) PUTS(o, " "); else PUTS(o, "\xE3\x80\x80");
    memcpy(o, s + first, n - first);
    return o + (n - first);
}

static char *gen_putType(char *o, char t, int as_name)
{
    if (t == 'P') { PUTS(o, "港澳台居民居住证"); return o; } /* a type-1 permit (--population), always by name */
    if (!as_name) { *o++ = t; return o; }
    switch (t) {
    case '1': PUTS(o, "居民身份证"); break;
    case '8': PUTS(o, "台湾居民来往大陆通行证"); break;
    case '9': PUTS(o, "境外永久居住证"); break;
    case 'A': PUTS(o, "护照"); break;
    default: PUTS(o, "其他"); break;
    }
    return o;
}

size_t gen_formatHeader(const gen_ctx *ctx, char *out)
{
    char *o = out;
    if (ctx->o.messy && !ctx->o.gbk) PUTS(o, "\xEF\xBB\xBF");
    PUTS(o, "学籍号,姓名,性别,出生日期,身份证件类型,身份证件号,学校标识码,学校名称,行政区划码,建籍日期,年级");
    if (ctx->o.profile == GEN_PROFILE_VARIED) PUTS(o, ",家庭住址");
    if (ctx->o.messy) PUTS(o, "\r\n"); else PUTS(o, "\n");
    return (size_t)(o - out);
}

/* Which fields of a row get noise (the same draws for both profiles). */
typedef struct gen_noise {
    int idn, namen, dot, sexn, birthn, typen;
} gen_noise;

static gen_noise gen_drawNoise(const gen_ctx *ctx, const gen_person *p, gen_rng *r)
{
    gen_noise n = {-1, -1, -1, -1, -1, 0};
    if (gen_next(r) < ctx->t_noise) {
        uint32_t const v = gen_below(r, 100);
        if (v < 40) n.idn = (int)gen_below(r, 4);
        else if (v < 65) { n.namen = 0; if (p->name_kind == GEN_NAME_DOTTED) n.dot = (int)gen_below(r, 5); }
        else if (v < 75) n.sexn = (int)gen_below(r, 2);
        else if (v < 90) n.birthn = (int)gen_below(r, 3);
        else n.typen = 1;
    }
    if (p->name_kind == GEN_NAME_DOTTED && n.dot < 0 && gen_below(r, 4) == 0) n.dot = (int)gen_below(r, 5);
    return n;
}

static size_t gen_formatVariedRow(const gen_ctx *ctx, const gen_person *p, char *out);

size_t gen_formatRow(const gen_ctx *ctx, const gen_person *p, char *out)
{
    if (ctx->o.profile == GEN_PROFILE_VARIED) return gen_formatVariedRow(ctx, p, out);
    const gen_school *const s = &ctx->schools[p->loc.school];
    gen_rng r = gen_rngAt(ctx->k_noise, p->row);
    gen_noise const nz = gen_drawNoise(ctx, p, &r);
    int const idn = nz.idn, namen = nz.namen, dot = nz.dot, sexn = nz.sexn, birthn = nz.birthn, typen = nz.typen;

    char *o = out;
    memcpy(o, p->sno, 19); o += 19; *o++ = ',';
    o = gen_putName(o, p, namen, dot, &r); *o++ = ',';
    if (sexn < 0) { if (p->sex == 1) PUTS(o, "男"); else PUTS(o, "女"); }
    else if (sexn == 0) *o++ = (char)('0' + p->sex);
    else *o++ = (p->sex == 1) ? 'M' : 'F';
    *o++ = ',';
    if (birthn < 0) o = gen_putDate(o, p->birth, '-', 0);
    else if (birthn == 0) o = gen_putDate(o, p->birth, 0, 0);
    else o = gen_putDate(o, p->birth, '/', birthn == 2);
    *o++ = ',';
    o = gen_putType(o, p->id_type, typen); *o++ = ',';
    o = gen_putId(o, p, idn, &r); *o++ = ',';
    memcpy(o, s->code, 10); o += 10; *o++ = ',';
    memcpy(o, ctx->names + s->name_off, s->name_len); o += s->name_len; *o++ = ',';
    memcpy(o, ctx->counties[s->county].code, 6); o += 6; *o++ = ',';
    o = gen_putDate(o, p->registered, '-', 0);
    if (p->malformed != 1) { /* malformed 1: the last field is missing */
        size_t gl;
        const char *const g = gen_gradeName(p->grade, &gl);
        *o++ = ','; memcpy(o, g, gl); o += gl;
    }
    if (p->malformed == 2) PUTS(o, ",备注");
    if (ctx->o.messy) PUTS(o, "\r\n"); else PUTS(o, "\n");
    return (size_t)(o - out);
}

/* --profile varied: the same fields and noise as gen_formatRow, each field
 * quoted when the school's county quotes every field (the school name
 * comes prebuilt, quoted as needed), then 年级 as a code and 家庭住址. */
static size_t gen_formatVariedRow(const gen_ctx *ctx, const gen_person *p, char *out)
{
    const gen_school *const s = &ctx->schools[p->loc.school];
    int const qa = s->quote_all;
    gen_rng r = gen_rngAt(ctx->k_noise, p->row);
    gen_noise const nz = gen_drawNoise(ctx, p, &r);
    int const idn = nz.idn, namen = nz.namen, dot = nz.dot, sexn = nz.sexn, birthn = nz.birthn, typen = nz.typen;

#define OPEN() do { if (qa) *o++ = '"'; } while (0)
#define CLOSE() do { if (qa) *o++ = '"'; *o++ = ','; } while (0)
    char *o = out;
    OPEN(); memcpy(o, p->sno, 19); o += 19; CLOSE();
    OPEN(); o = gen_putName(o, p, namen, dot, &r); CLOSE();
    OPEN();
    if (sexn < 0) { if (p->sex == 1) PUTS(o, "男"); else PUTS(o, "女"); }
    else if (sexn == 0) *o++ = (char)('0' + p->sex);
    else *o++ = (p->sex == 1) ? 'M' : 'F';
    CLOSE();
    OPEN();
    if (birthn < 0) o = gen_putDate(o, p->birth, '-', 0);
    else if (birthn == 0) o = gen_putDate(o, p->birth, 0, 0);
    else o = gen_putDate(o, p->birth, '/', birthn == 2);
    CLOSE();
    OPEN(); o = gen_putType(o, p->id_type, typen); CLOSE();
    OPEN(); o = gen_putId(o, p, idn, &r); CLOSE();
    OPEN(); memcpy(o, s->code, 10); o += 10; CLOSE();
    memcpy(o, ctx->names + s->name_off, s->name_len); o += s->name_len; *o++ = ',';
    OPEN(); memcpy(o, ctx->counties[s->county].code, 6); o += 6; CLOSE();
    OPEN(); o = gen_putDate(o, p->registered, '-', 0); CLOSE();
    OPEN(); memcpy(o, gen_variedGradeCode(p->grade), 2); o += 2;
    if (qa) *o++ = '"';
#undef OPEN
#undef CLOSE
    if (p->malformed != 1) { *o++ = ','; o = gen_variedAddress(ctx, p, qa, o); } /* malformed 1: no address */
    if (p->malformed == 2) PUTS(o, ",备注");
    if (ctx->o.messy) PUTS(o, "\r\n"); else PUTS(o, "\n");
    return (size_t)(o - out);
}
