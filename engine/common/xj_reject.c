/* xj_reject — see xj_reject.h. */
#include "xj_reject.h"

#include <string.h>

static const struct {
    const char *code; /* rejects.csv's `error`: the machine contract */
    const char *zh;   /* report.html's wording */
} kReject[XJ_REJECT_COUNT] = {
    [XJ_REJECT_NONE] = {"", ""},
    [XJ_REJECT_ENCODING] = {"encoding", "编码错误（不是所选编码的文字）"},
    [XJ_REJECT_BAD_QUOTE] = {"bad_quote", "引号用法错误"},
    [XJ_REJECT_UNTERMINATED_QUOTE] = {"unterminated_quote", "引号未闭合"},
    [XJ_REJECT_FIELD_TOO_LONG] = {"field_too_long", "字段过长"},
    [XJ_REJECT_FIELD_COUNT] = {"field_count", "列数与表头不符"},
    [XJ_REJECT_RECORD_TOO_LONG] = {"record_too_long", "整行过长"},
    [XJ_REJECT_OUT_OF_MEMORY] = {"out_of_memory", "内存不足"},
    [XJ_REJECT_BAD_SEX] = {"bad_sex", "性别无法识别"},
    [XJ_REJECT_BAD_BIRTH_DATE] = {"bad_birth_date", "出生日期无法识别"},
    [XJ_REJECT_MISSING_STUDENT_NO] = {"missing_student_no", "缺少学籍号"},
    [XJ_REJECT_MISSING_NAME] = {"missing_name", "缺少姓名"},
    [XJ_REJECT_MISSING_SEX] = {"missing_sex", "缺少性别"},
    [XJ_REJECT_MISSING_BIRTH_DATE] = {"missing_birth_date", "缺少出生日期"},
    [XJ_REJECT_MISSING_SCHOOL_CODE] = {"missing_school_code", "缺少学校标识码"},
};

const char *rj_code(xj_reject r)
{
    return (unsigned)r < XJ_REJECT_COUNT ? kReject[r].code : "";
}

const char *rj_zh(xj_reject r)
{
    return (unsigned)r < XJ_REJECT_COUNT ? kReject[r].zh : "";
}

xj_reject rj_fromCode(const char *s, size_t n)
{
    for (int r = XJ_REJECT_NONE + 1; r < XJ_REJECT_COUNT; r++)
        if (strlen(kReject[r].code) == n && memcmp(kReject[r].code, s, n) == 0) return (xj_reject)r;
    return XJ_REJECT_NONE;
}
