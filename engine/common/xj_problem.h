/*
 * xj_problem — the vocabulary shared by the group and emit stages: problems,
 * reasons, scopes, arbiters and hints, with their output codes and the
 * Chinese wording of the per-school files (rules §5, §6), and the row that
 * group hands to emit (pb_row). One table serves the
 * code, the per-school files and the generated README, so they cannot drift.
 */
#ifndef XJ_PROBLEM_H
#define XJ_PROBLEM_H

#include <stdint.h>

#include "xjdedup.h"

/* Numbered in the byte order of their codes, so sorting by number sorts
 * problems.csv the way rules §6 asks (attr < id_duplicate < id_invalid <
 * suspect_duplicate). */
typedef enum pb_problem {
    PB_ATTR_DUPLICATE = 0,
    PB_ID_DUPLICATE = 1,
    PB_ID_INVALID = 2,
    PB_SUSPECT_DUPLICATE = 3, /* a mistyped ID one slip from another record's (docs/suspects.md) */
    PB_PROBLEM_COUNT
} pb_problem;

/* A row's reason: 0 none, 1..XJ_ID_REASON_COUNT-1 an xj_idReason,
 * PB_REASON_MIXED for a member joined by --attr-scope mixed. */
#define PB_REASON_NONE 0
#define PB_REASON_MIXED 200
/* The monthly cycle's reasons on id_duplicate rows (docs/monthly.md §5): the
 * one approved member; every member of a group with two or more approved. */
#define PB_REASON_APPROVED 201
#define PB_REASON_DOUBLE_ATTESTED 202
/* An id_duplicate member that joined the group by its `G` student number's
 * old ID, not by its own (docs/monthly.md §6). */
#define PB_REASON_OLD_ID 203
/* The mistyped record of a suspect_duplicate group (docs/suspects.md §4). */
#define PB_REASON_ID_TYPO 204

typedef enum pb_scope {
    PB_SCOPE_SCHOOL = 0,
    PB_SCOPE_COUNTY,
    PB_SCOPE_CITY,
    PB_SCOPE_PROVINCE,
    PB_SCOPE_NATIONAL,
    PB_SCOPE_COUNT
} pb_scope;

typedef enum pb_hint {
    PB_HINT_KEEP = 0,
    PB_HINT_DELETE_COPY,
    PB_HINT_AGREE_TRANSFER,
    PB_HINT_CHECK_ID,
    PB_HINT_CORRECT_ID,
    PB_HINT_ATTEST,
    PB_HINT_CONFIRM_CHANGE,
    PB_HINT_COUNT
} pb_hint;

/* A row against an earlier run (docs/monthly.md §2): 0 without --previous. */
typedef enum pb_status {
    PB_STATUS_NEW = 0,
    PB_STATUS_PERSISTING,
    PB_STATUS_REOPENED,
    PB_STATUS_COUNT
} pb_status;

#define PB_KEEPER_NONE 2 /* keeper column empty (not an id_duplicate row) */

const char *pb_problemCode(pb_problem p);   /* "id_duplicate" */
const char *pb_problemZh(pb_problem p);     /* "身份证件号重复" */
const char *pb_reasonCode(uint8_t reason);  /* "checksum", "mixed", "" */
/* The ID reasons in the order they are checked (rules §4), which is not
 * their numbering: not_found and name_mismatch come before id_changed. */
extern const uint8_t pb_idReasonOrder[XJ_ID_REASON_COUNT - 1];
const char *pb_scopeCode(pb_scope s);       /* "county" */
const char *pb_scopeZh(pb_scope s);         /* "同县" */
const char *pb_arbiterCode(pb_scope s);     /* "county" ("ministry" for national) */
const char *pb_arbiterZh(pb_scope s);       /* "县级教育行政部门" */
const char *pb_hintCode(pb_hint h);         /* "delete_copy" */
const char *pb_hintZh(pb_hint h);           /* "删除重复导入的记录" */
const char *pb_statusCode(pb_status s);     /* "persisting" */
const char *pb_statusZh(pb_status s);       /* "未解决" */

/* Longer Chinese wording for people: the generated schools/README.txt and
 * report.html use these, so what they explain is what the code writes. */
const char *pb_problemMeaningZh(pb_problem p); /* what the problem is */
const char *pb_problemActionZh(pb_problem p);  /* how the school resolves it (变更/佐证/删除) */
const char *pb_reasonZh(uint8_t reason);       /* "校验码错误"; "" for none */
const char *pb_hintWhenZh(pb_hint h);          /* when the hint is given and what to do */

/* One record of a group as other_members names it (rules §6): its text is
 * "student_no@school_code" (both trimmed); the school's name, trimmed, is
 * added in the Chinese per-school files only. A group's members are sorted
 * by text as bytes, once per group, and every row of the group points at
 * the same array, so a group of n records costs n members, not n * n. */
typedef struct pb_member {
    const char *text;        /* "student_no@school_code", not NUL-terminated */
    const char *school_name; /* "" when the input has none */
    uint32_t text_len;
    uint32_t school_name_len;
} pb_member;

/* other_members lists at most this many records, then ";+N". */
#define PB_MEMBERS_SHOWN 20

/* One (record, problem) row: what the group stage decides (grp_decide) and
 * the emit stage writes, one line of problems.csv and of a per-school file.
 * Strings are not NUL-terminated and belong to whoever made the row. */
typedef struct pb_row {
    const char *school;    /* school code as in input (UTF-8, not trimmed) */
    const char *others;    /* other member schools, sorted, ';'-joined; "" if none */
    const char *tail;      /* ",v1,...,vn": the original columns, CSV-encoded */
    const pb_member *members; /* the group's records sorted by text; NULL for id_invalid */
    uint64_t group_id;     /* meaningful unless problem == PB_ID_INVALID */
    uint64_t line;         /* 1-based line where the record starts */
    uint32_t school_len;
    uint32_t others_len;
    uint32_t tail_len;
    uint32_t source;       /* index of the input the record came from */
    uint32_t group_size;   /* members of the group; 0 for id_invalid */
    uint32_t n_members;    /* entries in members (the group's size) */
    uint32_t self;         /* this row's own record: members[self] */
    uint32_t office;       /* the arbiter's office (arbiters/): its region code, a county's
                            * 6 digits, a city's ccdd00, a province's pp0000; 0 for the
                            * school and the ministry, and for id_invalid */
    uint8_t problem;       /* pb_problem */
    uint8_t reason;        /* PB_REASON_NONE, an xj_idReason, or PB_REASON_MIXED */
    uint8_t scope;         /* pb_scope; ignored for id_invalid */
    uint8_t arbiter;       /* pb_scope whose arbiter decides: the scope's, or that of the
                            * approved members alone (double_attested) */
    uint8_t attested;      /* 1: every member approved, the row goes to attested.csv */
    uint8_t keeper;        /* 0, 1, or PB_KEEPER_NONE */
    uint8_t hint;          /* pb_hint */
    uint8_t status;        /* pb_status */
    uint32_t first_seen;   /* YYYYMMDD the row was first reported; 0: this run's date */
} pb_row;

/* The fixed leading columns of problems.csv and the per-school files. */
#define PB_COLUMN_COUNT 14
const char *pb_columnEn(int i);             /* "group_id" */
const char *pb_columnZh(int i);             /* "问题组号" */
const char *pb_columnMeaningZh(int i);      /* what the column holds */

#endif
