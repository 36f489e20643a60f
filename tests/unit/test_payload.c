/*
 * test_payload — the index's record-block codec (engine/index/ix_payload):
 * every record decodes to exactly what was encoded, whichever form each
 * field took (compact G number, packed number, bytes; CJK name, bytes;
 * packed dates, raw dates; repeated codes), and a block damaged anywhere is
 * refused or decodes within its bounds (ASan watches the reads).
 *
 * Records are drawn from a fixed-seed generator that mixes registry-shaped
 * values with arbitrary ones, so both the packed forms and their fallbacks
 * are taken many times.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idcheck.h"
#include "ix_format.h"
#include "ix_payload.h"
#include "xj_alloc.h"
#include "test_check.h"

static uint64_t tp_state = 0x9E3779B97F4A7C15ull;

static uint32_t tp_rand(uint32_t n) /* uniform enough in [0, n) */
{
    tp_state ^= tp_state << 13;
    tp_state ^= tp_state >> 7;
    tp_state ^= tp_state << 17;
    return (uint32_t)((tp_state >> 11) % n);
}

typedef struct tp_text {
    char school[40], county[40], student_no[80], name[80];
} tp_text;

static const char *const kNames[] = {
    "刘俊", "陈杰子", "迪丽努尔・阿卜杜拉", "Anna Lee", "王 芳", "㐀龥", "𠮷田", "李〇", "", "张",
    "一二三四五六七八九十一二三四五", "一二三四五六七八九十一二三四五六",
};

static void tp_digits(char *s, int n)
{
    for (int i = 0; i < n; i++) s[i] = (char)('0' + tp_rand(10));
}

static uint32_t tp_date(void)
{
    switch (tp_rand(6)) {
    case 0: return 0;                                               /* none */
    case 1: return tp_rand(UINT32_MAX);                             /* anything */
    case 2: return 18000101 + tp_rand(10000) * 10000 + tp_rand(1300); /* odd months and days */
    default: return (2005 + tp_rand(22)) * 10000 + (1 + tp_rand(12)) * 100 + 1 + tp_rand(31);
    }
}

/* One record; its strings in `t`. */
static ix_record tp_record(tp_text *t, const ix_record *prev, uint64_t line)
{
    ix_record r = {.line = line, .source = 3};
    r.sex = (uint8_t)tp_rand(4);
    r.has_id = (uint8_t)tp_rand(2);
    r.reason = tp_rand(4) ? 0 : (uint8_t)tp_rand(256);
    r.id_type = tp_rand(5) ? '1' : (char)tp_rand(256);
    r.birth = tp_date();
    r.registered = tp_date();
    if (prev && tp_rand(4)) { /* same school and county as before */
        memcpy(t->school, prev->school, prev->school_len);
        r.school_len = prev->school_len;
    } else {
        r.school_len = tp_rand(12);
        tp_digits(t->school, (int)r.school_len);
    }
    if (prev && tp_rand(3)) {
        memcpy(t->county, prev->county, prev->county_len);
        r.county_len = prev->county_len;
    } else {
        r.county_len = tp_rand(3) ? 6 : tp_rand(40);
        tp_digits(t->county, (int)r.county_len);
        if (r.county_len && !tp_rand(8)) t->county[0] = 'x';
    }
    char *const s = t->student_no;
    switch (tp_rand(5)) {
    case 0: /* G + an ID of this county and birth date: the compact form */
    case 1:
        s[0] = 'G';
        if (r.county_len == 6) memcpy(s + 1, t->county, 6);
        else tp_digits(s + 1, 6);
        snprintf(s + 7, 9, "%08u", r.birth % 100000000u);
        tp_digits(s + 15, 3);
        s[18] = id_checkChar(s + 1);
        if (s[18] == 0) s[18] = '0';
        if (!tp_rand(6)) s[18] = s[18] == '0' ? '1' : '0'; /* a wrong check character */
        else if (tp_rand(2))
            r.valid_id = s + 1; /* the caller vouches for the check character (region and date are
                                 * still checked: they may hold a letter, or differ from the birth date) */
        r.student_no_len = 19;
        break;
    case 2: /* another letter + 17 digits + [0-9X] */
        s[0] = "JLGX"[tp_rand(4)];
        tp_digits(s + 1, 18);
        if (!tp_rand(5)) s[18] = 'X';
        r.student_no_len = 19;
        break;
    default: /* anything */
        r.student_no_len = tp_rand(30);
        for (uint32_t i = 0; i < r.student_no_len; i++) s[i] = (char)(tp_rand(3) ? '0' + tp_rand(10) : tp_rand(256));
        break;
    }
    const char *const name = kNames[tp_rand(sizeof kNames / sizeof kNames[0])];
    r.name_len = (uint32_t)strlen(name);
    memcpy(t->name, name, r.name_len);
    r.school = t->school;
    r.county = t->county;
    r.student_no = t->student_no;
    r.name = t->name;
    return r;
}

static int tp_sameText(const char *a, uint32_t an, const char *b, uint32_t bn)
{
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static int tp_same(const ix_record *a, const ix_record *b)
{
    return a->line == b->line && a->source == b->source && a->registered == b->registered && a->birth == b->birth &&
           a->sex == b->sex && a->has_id == b->has_id && a->reason == b->reason && a->id_type == b->id_type &&
           tp_sameText(a->school, a->school_len, b->school, b->school_len) &&
           tp_sameText(a->county, a->county_len, b->county, b->county_len) &&
           tp_sameText(a->student_no, a->student_no_len, b->student_no, b->student_no_len) &&
           tp_sameText(a->name, a->name_len, b->name, b->name_len);
}

int main(void)
{
    static tp_text texts[IX_BLOCK_RECORDS];
    static ix_record in[IX_BLOCK_RECORDS], out[IX_BLOCK_RECORDS];
    static char decoded_text[IX_BLOCK_RECORDS * IX_TEXT_PER_RECORD];
    ix_blockBuilder b;
    ix_builderInit(&b);
    size_t blocks = 0, records = 0, damaged_refused = 0;
    for (int round = 0; round < 300; round++) {
        uint32_t const n = 1 + tp_rand(round % 10 == 0 ? IX_BLOCK_RECORDS : 64);
        uint64_t line = 1 + tp_rand(1000000);
        TC_CHECK(ix_blockBegin(&b, 3, line) == XJ_OK, "begin");
        for (uint32_t i = 0; i < n; i++) {
            in[i] = tp_record(&texts[i], i ? &in[i - 1] : NULL, line);
            TC_CHECK(ix_encodeRecord(&b, &in[i]) == XJ_OK, "encode record %u", i);
            line += 1 + (tp_rand(4) ? 0 : tp_rand(100000));
        }
        size_t len;
        const char *bytes = ix_blockBytes(&b, &len);
        char *taken = NULL;
        if (round % 2) { /* handed over instead of copied: the same bytes, and a builder left empty */
            size_t taken_len, left;
            taken = ix_blockTake(&b, &taken_len);
            TC_CHECK(taken == bytes && taken_len == len, "round %d: the block taken is not the block built", round);
            ix_blockBytes(&b, &left);
            TC_CHECK(left == 0 && ix_blockBytes(&b, &left) != bytes, "round %d: the builder kept the block taken", round);
        }
        size_t got = 0;
        int const rc = ix_decodeBlock(bytes, len, out, IX_BLOCK_RECORDS, decoded_text, &got);
        TC_CHECK(rc == 0 && got == n, "round %d: decode gave %d, %zu of %u records", round, rc, got, n);
        for (uint32_t i = 0; rc == 0 && i < n; i++)
            TC_CHECK(tp_same(&in[i], &out[i]), "round %d record %u differs after decoding", round, i);
        /* damage: a flipped byte, a cut */
        char *const copy = malloc(len);
        memcpy(copy, bytes, len);
        size_t const at = tp_rand((uint32_t)len);
        copy[at] ^= (char)(1 + tp_rand(255));
        if (ix_decodeBlock(copy, len, out, IX_BLOCK_RECORDS, decoded_text, &got) != 0) damaged_refused++;
        TC_CHECK(ix_decodeBlock(copy, len - 1 - tp_rand((uint32_t)len), out, IX_BLOCK_RECORDS, decoded_text, &got) != 0 ||
                     got <= n,
                 "a cut block decoded more records than it holds");
        free(copy);
        xj_free(taken);
        /* a record from another source or an earlier line is refused */
        ix_record late = in[0];
        late.line = line - 1 > in[n - 1].line ? in[n - 1].line : 0;
        TC_CHECK(ix_encodeRecord(&b, &late) == XJ_ERR_INTERNAL, "an earlier line was accepted");
        late.line = line + 5;
        late.source = 4;
        TC_CHECK(ix_encodeRecord(&b, &late) == XJ_ERR_INTERNAL, "another source was accepted");
        blocks++;
        records += n;
    }
    ix_builderFree(&b);
    printf("test_payload: %zu blocks, %zu records round-tripped; %zu of %zu damaged blocks refused outright\n", blocks,
           records, damaged_refused, blocks);
    return tc_finish("test_payload");
}
