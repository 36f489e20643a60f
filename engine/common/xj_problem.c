/* xj_problem — the tables behind xj_problem.h; wording from rules §1, §5, §6.
 * The emit stage renders the per-school files, schools/README.txt and
 * report.html from these tables only. */
#include "xj_problem.h"

#include <string.h>

#include "xjdedup.h"

static const char *const kProblemCode[PB_PROBLEM_COUNT] = {
    "attr_duplicate", "id_duplicate", "id_invalid", "suspect_duplicate"};
static const char *const kProblemZh[PB_PROBLEM_COUNT] = {
    "无身份证号学籍重复", "身份证件号重复", "身份证件号错误", "疑似重复学籍"};
static const char *const kScopeCode[PB_SCOPE_COUNT] = {
    "school", "county", "city", "province", "national"};
static const char *const kScopeZh[PB_SCOPE_COUNT] = {
    "本校", "同县", "跨县", "跨市", "跨省"};
static const char *const kArbiterCode[PB_SCOPE_COUNT] = {
    "school", "county", "city", "province", "ministry"};
static const char *const kArbiterZh[PB_SCOPE_COUNT] = {
    "学校", "县级教育行政部门", "市级教育行政部门", "省级教育行政部门", "教育部"};
static const char *const kHintCode[PB_HINT_COUNT] = {
    "keep", "delete_copy", "agree_transfer", "check_id", "correct_id", "attest", "confirm_change"};
static const char *const kHintZh[PB_HINT_COUNT] = {
    "保留（先入者保有）",
    "删除重复导入的记录",
    "同一学生在多校建籍，与对方学校协商由一方删除",
    "核对身份证件号，错误则变更",
    "变更身份证件号（虚假记录则删除）",
    "提交佐证材料",
    "核实身份证件号变更，上传变更材料"};

static const char *const kStatusCode[PB_STATUS_COUNT] = {"new", "persisting", "reopened"};
static const char *const kStatusZh[PB_STATUS_COUNT] = {"新增", "未解决", "重新处理"};

const char *pb_problemCode(pb_problem p) { return p < PB_PROBLEM_COUNT ? kProblemCode[p] : ""; }
const char *pb_problemZh(pb_problem p) { return p < PB_PROBLEM_COUNT ? kProblemZh[p] : ""; }
const char *pb_scopeCode(pb_scope s) { return s < PB_SCOPE_COUNT ? kScopeCode[s] : ""; }
const char *pb_scopeZh(pb_scope s) { return s < PB_SCOPE_COUNT ? kScopeZh[s] : ""; }
const char *pb_arbiterCode(pb_scope s) { return s < PB_SCOPE_COUNT ? kArbiterCode[s] : ""; }
const char *pb_arbiterZh(pb_scope s) { return s < PB_SCOPE_COUNT ? kArbiterZh[s] : ""; }
const char *pb_hintCode(pb_hint h) { return h < PB_HINT_COUNT ? kHintCode[h] : ""; }
const char *pb_hintZh(pb_hint h) { return h < PB_HINT_COUNT ? kHintZh[h] : ""; }
const char *pb_statusCode(pb_status s) { return s < PB_STATUS_COUNT ? kStatusCode[s] : ""; }
const char *pb_statusZh(pb_status s) { return s < PB_STATUS_COUNT ? kStatusZh[s] : ""; }

const uint8_t pb_idReasonOrder[XJ_ID_REASON_COUNT - 1] = {
    XJ_ID_MISSING,  XJ_ID_FORMAT,   XJ_ID_LEGACY15,           XJ_ID_REGION,       XJ_ID_REGION_UNKNOWN,
    XJ_ID_BIRTHDATE, XJ_ID_CHECKSUM, XJ_ID_BIRTHDATE_MISMATCH, XJ_ID_SEX_MISMATCH, XJ_ID_NOT_FOUND,
    XJ_ID_NAME_MISMATCH, XJ_ID_CHANGED};

const char *pb_reasonCode(uint8_t reason)
{
    if (reason == PB_REASON_MIXED) return "mixed";
    if (reason == PB_REASON_APPROVED) return "approved";
    if (reason == PB_REASON_DOUBLE_ATTESTED) return "double_attested";
    if (reason == PB_REASON_OLD_ID) return "old_id";
    if (reason == PB_REASON_ID_TYPO) return "id_typo";
    if (reason == PB_REASON_NONE || reason >= XJ_ID_REASON_COUNT) return "";
    return xj_idReasonName((xj_idReason)reason);
}

static const char *const kProblemMeaningZh[PB_PROBLEM_COUNT] = {
    "两条或以上没有身份证件号的学籍，规范化后的姓名、性别、出生日期完全相同，可能是同一学生被重复建籍。",
    "两条或以上学籍的身份证件号（规范化后）相同。一个证件号只能对应一名学生。",
    "身份证件号格式错误、地区码或出生日期不可能、校验码错误，或与学籍中的出生日期、性别不一致；"
    "与人口信息库比对时（--population）证件号不存在或登记的姓名不同。",
    ("一条学籍的身份证件号校验码不符，且只差一位数字或两位相邻数字颠倒就与另一条学籍的有效证件号相同，"
     "两条学籍的姓名、性别、出生日期也相同：很可能是同一学生用录错的证件号再次建籍。")};
static const char *const kProblemActionZh[PB_PROBLEM_COUNT] = {
    "佐证 / 变更 / 删除：确为不同学生的（如同名同生日），提交佐证材料，经审核后组内各条均可保留；"
    "信息录错的，变更后重新查重；重复建籍的，删除多余记录。",
    "佐证 / 变更 / 删除：同一组只能有一条学籍通过审核。先入者保有：一般保留最早建籍的记录；"
    "证件号录错的，核对后变更；重复导入或多校建籍的，删除多余记录。",
    "变更 / 删除：核对学生的身份证件，变更为正确的证件号；虚假学籍予以删除。",
    "变更 / 删除：证件号录错的一方（问题原因 id_typo）核对证件后变更为正确的证件号；"
    "变更后若与另一条学籍重复，按身份证件号重复处理（重复建籍的删除）。组内其他记录列出了证件号正确的学籍。"};

/* Indexed by xj_idReason; PB_REASON_MIXED is handled apart. */
static const char *const kReasonZh[XJ_ID_REASON_COUNT] = {
    "",
    "证件号为空（该证件类型必须填写）",
    "格式错误（位数或字符不符合该证件类型）",
    "15位老身份证号（应升级为18位）",
    "地区码错误（前两位不是省级行政区划代码）",
    "地区码不在行政区划代码表中",
    "出生日期错误（第7-14位不是有效日期）",
    "校验码错误（第18位与前17位不符）",
    "出生日期与学籍不一致",
    "性别与学籍不一致（第17位奇数为男、偶数为女）",
    "身份证件号已发生变更（与G字头学籍号中的证件号不同）",
    "身份证件号不存在（公安人口信息库中没有此证件号）",
    "身份证件号与姓名不匹配（人口信息库中此证件号登记的姓名不同）"};

static const char *const kHintWhenZh[PB_HINT_COUNT] = {
    "身份证件号重复组中建籍最早的记录（先入者保有），一般予以保留。",
    "与保留记录（或本校更早的记录）是同一学生在本校的重复建籍，删除本条。",
    "同一学生在其他学校也有学籍，两校协商后由一方删除。",
    "姓名、性别或出生日期与保留记录不同，可能是证件号录错：核对证件，错误则变更。",
    "证件号不正确：核对证件后变更，虚假记录则删除。",
    "无身份证号的重复组中本校建籍最早的记录：确为不同学生的，提交佐证材料。",
    "证件号有效，但与G字头学籍号中建籍时核验的证件号不同：核实学生的证件号确已变更，上传变更材料；录错的则改回。"};

static const char *const kColumnMeaningZh[PB_COLUMN_COUNT] = {
    "身份证件号重复 / 身份证件号错误 / 无身份证号学籍重复 / 疑似重复学籍",
    "身份证件号错误的具体原因（见下文代码表）；mixed 表示有证件号的学籍与无证件号的学籍姓名、性别、出生日期相同",
    "同一组重复学籍的编号，各校文件中相同编号即同一组；按证件号或姓名性别生日计算，下月查重仍是同一编号",
    "该组学籍总数（含其他学校）",
    "组内学籍分布在本校 / 同县 / 跨县 / 跨市 / 跨省",
    "由谁裁定组内保留哪条：学校 / 县级 / 市级 / 省级教育行政部门 / 教育部",
    "身份证件号重复组中，1 为建议保留的最早建籍记录，0 为其他记录",
    "系统给出的处理建议（见下文），仅供参考，不是审核结论",
    "同组学籍所在的其他学校标识码，以分号分隔",
    "同组其他学籍的学籍号@学校标识码及学校名称，以分号分隔，最多列 20 条，其余以 +条数 表示，便于联系对方学校",
    "与上次查重相比：新增 / 未解决（上次已报告）/ 重新处理（佐证通过后组内记录有变化）",
    "该问题首次被查出的查重日期",
    "该记录所在的输入文件名",
    "该记录在输入文件中的起始行号（表头为第1行）"};

static const char *const kColumnEn[PB_COLUMN_COUNT] = {"problem", "reason", "group_id", "group_size", "scope",
                                                       "arbiter", "keeper", "hint", "other_schools", "other_members",
                                                       "status", "first_seen", "source", "line"};
static const char *const kColumnZh[PB_COLUMN_COUNT] = {"问题类型", "问题原因", "问题组号", "组内人数",
                                                       "范围", "仲裁层级", "先入保有", "建议处理",
                                                       "组内其他学校", "组内其他记录", "状态", "首次发现", "来源文件",
                                                       "行号"};

const char *pb_problemMeaningZh(pb_problem p) { return p < PB_PROBLEM_COUNT ? kProblemMeaningZh[p] : ""; }
const char *pb_problemActionZh(pb_problem p) { return p < PB_PROBLEM_COUNT ? kProblemActionZh[p] : ""; }
const char *pb_hintWhenZh(pb_hint h) { return h < PB_HINT_COUNT ? kHintWhenZh[h] : ""; }
const char *pb_columnEn(int i) { return i >= 0 && i < PB_COLUMN_COUNT ? kColumnEn[i] : ""; }
const char *pb_columnZh(int i) { return i >= 0 && i < PB_COLUMN_COUNT ? kColumnZh[i] : ""; }
const char *pb_columnMeaningZh(int i) { return i >= 0 && i < PB_COLUMN_COUNT ? kColumnMeaningZh[i] : ""; }

const char *pb_reasonZh(uint8_t reason)
{
    if (reason == PB_REASON_MIXED) return "有身份证件号的学籍与无证件号的学籍姓名、性别、出生日期相同";
    if (reason == PB_REASON_APPROVED) return "佐证已核办通过（保留此记录，组内其他记录变更或删除）";
    if (reason == PB_REASON_DOUBLE_ATTESTED) return "组内两条以上记录的佐证均已通过，由共同上级裁定";
    if (reason == PB_REASON_OLD_ID) return "按G字头学籍号中的原证件号归入本组（证件号已变更）";
    if (reason == PB_REASON_ID_TYPO) return "证件号疑似录错（错一位或相邻两位颠倒，校验码不符）";
    if (reason >= XJ_ID_REASON_COUNT) return "";
    return kReasonZh[reason];
}
