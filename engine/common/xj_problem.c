/* xj_problem — the tables behind xj_problem.h; wording from SPEC §5. */
#include "xj_problem.h"

#include "xjdedup.h"

static const char *const kProblemCode[PB_PROBLEM_COUNT] = {
    "attr_duplicate", "id_duplicate", "id_invalid"};
static const char *const kProblemZh[PB_PROBLEM_COUNT] = {
    "无身份证号学籍重复", "身份证件号重复", "身份证件号错误"};
static const char *const kScopeCode[PB_SCOPE_COUNT] = {
    "school", "county", "city", "province", "national"};
static const char *const kScopeZh[PB_SCOPE_COUNT] = {
    "本校", "同县", "跨县", "跨市", "跨省"};
static const char *const kArbiterCode[PB_SCOPE_COUNT] = {
    "school", "county", "city", "province", "ministry"};
static const char *const kArbiterZh[PB_SCOPE_COUNT] = {
    "学校", "县级教育行政部门", "市级教育行政部门", "省级教育行政部门", "教育部"};
static const char *const kHintCode[PB_HINT_COUNT] = {
    "keep", "delete_copy", "agree_transfer", "check_id", "correct_id", "attest"};
static const char *const kHintZh[PB_HINT_COUNT] = {
    "保留（先入者保有）",
    "删除重复导入的记录",
    "同一学生在多校建籍，与对方学校协商由一方删除",
    "核对身份证件号，错误则变更",
    "变更身份证件号（虚假记录则删除）",
    "提交佐证材料"};

const char *pb_problemCode(pb_problem p) { return p < PB_PROBLEM_COUNT ? kProblemCode[p] : ""; }
const char *pb_problemZh(pb_problem p) { return p < PB_PROBLEM_COUNT ? kProblemZh[p] : ""; }
const char *pb_scopeCode(pb_scope s) { return s < PB_SCOPE_COUNT ? kScopeCode[s] : ""; }
const char *pb_scopeZh(pb_scope s) { return s < PB_SCOPE_COUNT ? kScopeZh[s] : ""; }
const char *pb_arbiterCode(pb_scope s) { return s < PB_SCOPE_COUNT ? kArbiterCode[s] : ""; }
const char *pb_arbiterZh(pb_scope s) { return s < PB_SCOPE_COUNT ? kArbiterZh[s] : ""; }
const char *pb_hintCode(pb_hint h) { return h < PB_HINT_COUNT ? kHintCode[h] : ""; }
const char *pb_hintZh(pb_hint h) { return h < PB_HINT_COUNT ? kHintZh[h] : ""; }

const char *pb_reasonCode(uint8_t reason)
{
    if (reason == PB_REASON_MIXED) return "mixed";
    if (reason == PB_REASON_NONE || reason >= XJ_ID_REASON_COUNT) return "";
    return xj_idReasonName((xj_idReason)reason);
}
