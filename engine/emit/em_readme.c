/*
 * em_readme — schools/README.txt: what a school registrar needs to read its
 * file, in Chinese: the columns, the problems and how each is resolved
 * (变更 / 佐证 / 删除), the reasons of invalid IDs, scopes and arbiters, and
 * the hints.
 *
 * Every word about a code comes from the tables in xj_problem.c, the same
 * ones the per-school files are rendered from, so the explanation cannot
 * drift from the files. The same text, line by line, is the 说明 sheet of
 * every workbook --xlsx writes (em_xlsx.c): em_readmeText builds it for
 * both. The text depends only on the options and the run
 * date (deterministic), and is written in the per-school files' encoding.
 */
#include <string.h>

#include "em_internal.h"
#include "xj_date.h"

/* The opening: what the folder holds, the run date and version, the
 * files' encoding, and how to open them in Excel without losing digits. */
static xj_error em_readmeIntro(const em_run *run, xj_buf *b)
{
    char date[16];
    FORWARD_IF_ERROR(buf_printf(b,
        "学籍问题文件说明\n"
        "================\n"
        "\n"
        "本目录下每个学校一个文件：schools/<省级代码>/<学校标识码>.csv，列出本校的问题学籍。\n"
        "学校标识码不是10位数字的记录放在 schools/_invalid/ 下（文件名由标识码计算得出）。\n"
        "一行是一条学籍的一个问题；同一学籍有多个问题时出现多行。没有问题学籍的学校没有文件。\n"
        "\n"
        "查重日期：%s    程序版本：xjdedup %s\n",
        dt_text(run->run_date, date), xj_versionString()));
    if (run->school_gbk)
        FORWARD_IF_ERROR(buf_appendStr(b, "文件编码：GB 18030（兼容 GBK）。\n"));
    else if (em_schoolCsvBom(run))
        FORWARD_IF_ERROR(buf_appendStr(b, "文件编码：UTF-8（带 BOM）。\n"));
    else
        FORWARD_IF_ERROR(buf_appendStr(b, "文件编码：UTF-8（无 BOM）。\n"));
    if (run->xlsx)
        FORWARD_IF_ERROR(buf_appendStr(b, "每个 .csv 文件旁有同名的 .xlsx 文件，内容相同，所有单元格都是文本：身份证件号、学籍号、"
                                          "问题组号等长数字不会变形。请用 Excel 打开 .xlsx 文件。表头已冻结并带筛选；"
                                          "同一问题组的各行排在一起，相邻两组底色不同。\n"));
    else
        FORWARD_IF_ERROR(buf_appendStr(b, "要在 Excel 中查看而数字不变形，请在运行 xjdedup 时加 --xlsx 选项，"
                                          "为每个学校另外生成同名的 .xlsx 文件（所有单元格都是文本）。\n"));
    FORWARD_IF_ERROR(buf_printf(b, "直接双击打开 .csv 文件时，Excel 会把身份证件号等长数字当作数值：显示为科学计数法并丢失末几位，"
                                   "全是数字的问题组号也会改变。请改用“数据 → 自文本”（新版 Excel 为“数据 → 从文本/CSV”）导入，"
                                   "文件原始格式选 %s，并把身份证件号、学籍号、学校标识码、问题组号等列的列数据格式设为“文本”。"
                                   "日期保持输入中的原样。\n",
                                run->school_gbk ? "GB18030" : "UTF-8"));
    if (run->excel)
        FORWARD_IF_ERROR(buf_appendStr(b, "以 = + - @ 开头的值前加了英文单引号 '，防止 Excel 把它当作公式执行；"
                                          "原值是去掉这个单引号后的文字。\n"));
    return XJ_OK;
}

/* Section 一: each fixed column, then the input's own columns (a hostile
 * header row cut short). */
static xj_error em_readmeColumns(const em_run *run, xj_buf *b)
{
    FORWARD_IF_ERROR(buf_appendStr(b, "\n一、各列含义\n------------\n"));
    if (run->school_headers_en)
        FORWARD_IF_ERROR(buf_appendStr(b, "（本次按 --headers en 输出：表头为英文名，问题类型、范围等为英文代码，见括号内。）\n"));
    for (int i = 0; i < PB_COLUMN_COUNT; i++)
        FORWARD_IF_ERROR(buf_printf(b, "%2d. %s (%s)\n    %s\n", i + 1, pb_columnZh(i), pb_columnEn(i),
                                    pb_columnMeaningZh(i)));
    FORWARD_IF_ERROR(buf_printf(b, "%2d 列起：输入文件中的原有各列（共 %zu 列），原样照录：", PB_COLUMN_COUNT + 1,
                                run->n_headers));
    for (size_t j = 0; j < run->n_headers && j < 64; j++) { /* a hostile header row may be huge */
        if (j) FORWARD_IF_ERROR(buf_appendStr(b, "、"));
        const char *const h = run->headers[j];
        size_t len = strlen(h);
        if (len > 200) { /* cut at a character boundary: the text stays valid UTF-8 */
            len = 200;
            while (len > 0 && ((unsigned char)h[len] & 0xC0) == 0x80) len--;
        }
        FORWARD_IF_ERROR(buf_append(b, h, len));
    }
    if (run->n_headers > 64) FORWARD_IF_ERROR(buf_appendStr(b, "等"));
    FORWARD_IF_ERROR(buf_appendStr(b, "。\n"));
    return XJ_OK;
}

xj_error em_readmeText(const em_run *run, xj_buf *b)
{
    FORWARD_IF_ERROR(em_readmeIntro(run, b));
    FORWARD_IF_ERROR(em_readmeColumns(run, b));

    FORWARD_IF_ERROR(buf_appendStr(b, "\n二、问题类型及处理方式（变更 / 佐证 / 删除）\n------------------------------------------\n"));
    static const pb_problem kOrder[PB_PROBLEM_COUNT] = {PB_ID_DUPLICATE, PB_ID_INVALID, PB_ATTR_DUPLICATE,
                                                        PB_SUSPECT_DUPLICATE};
    for (int k = 0; k < PB_PROBLEM_COUNT; k++) {
        pb_problem const p = kOrder[k];
        FORWARD_IF_ERROR(buf_printf(b, "【%s】(%s)\n  含义：%s\n  处理：%s\n", pb_problemZh(p), pb_problemCode(p),
                                    pb_problemMeaningZh(p), pb_problemActionZh(p)));
    }

    FORWARD_IF_ERROR(buf_appendStr(b, "\n三、问题原因（身份证件号错误的具体原因）\n--------------------------------------\n"));
    for (int k = 0; k < XJ_ID_REASON_COUNT - 1; k++) {
        uint8_t const r = pb_idReasonOrder[k];
        FORWARD_IF_ERROR(buf_printf(b, "  %-20s %s\n", pb_reasonCode(r), pb_reasonZh(r)));
    }
    FORWARD_IF_ERROR(buf_printf(b, "  %-20s %s（出现在无身份证号学籍重复中）\n", pb_reasonCode(PB_REASON_MIXED),
                                pb_reasonZh(PB_REASON_MIXED)));
    /* the monthly cycle's reasons on id_duplicate rows, the strongest first */
    static const uint8_t kIdGroupReasons[] = {PB_REASON_DOUBLE_ATTESTED, PB_REASON_APPROVED, PB_REASON_OLD_ID};
    for (size_t i = 0; i < sizeof kIdGroupReasons; i++)
        FORWARD_IF_ERROR(buf_printf(b, "  %-20s %s（出现在身份证件号重复中）\n", pb_reasonCode(kIdGroupReasons[i]),
                                    pb_reasonZh(kIdGroupReasons[i])));
    FORWARD_IF_ERROR(buf_appendStr(b, "  身份证件号错误的检查顺序如上，只报第一个不通过的原因。\n"));

    FORWARD_IF_ERROR(buf_appendStr(b, "\n四、范围与仲裁层级（由谁裁定组内保留哪条学籍）\n--------------------------------------------\n"));
    for (int s = 0; s < PB_SCOPE_COUNT; s++)
        FORWARD_IF_ERROR(buf_printf(b, "  %s (%s)  →  %s (%s)\n", pb_scopeZh((pb_scope)s), pb_scopeCode((pb_scope)s),
                                    pb_arbiterZh((pb_scope)s), pb_arbiterCode((pb_scope)s)));

    FORWARD_IF_ERROR(buf_appendStr(b, "\n五、建议处理\n------------\n"));
    for (int h = 0; h < PB_HINT_COUNT; h++)
        FORWARD_IF_ERROR(buf_printf(b, "  %s (%s)\n    %s\n", pb_hintZh((pb_hint)h), pb_hintCode((pb_hint)h),
                                    pb_hintWhenZh((pb_hint)h)));
    return buf_appendStr(b, "\n建议处理由程序按规则给出，仅供参考，不是审核结论；请以学籍主管部门的审核为准。\n");
}

/* Windows line ends for the readers --excel is for: the Notepad of older
 * Windows shows a file with bare LF as one long line. */
static xj_error em_crlf(xj_buf *text)
{
    xj_buf out;
    buf_init(&out, (size_t)1 << 24);
    xj_error err = XJ_OK;
    for (size_t i = 0; i < text->len && !err; i++) {
        if (text->data[i] == '\n' && (i == 0 || text->data[i - 1] != '\r')) err = buf_append(&out, "\r", 1);
        if (!err) err = buf_append(&out, &text->data[i], 1);
    }
    if (err) {
        buf_free(&out);
        return err;
    }
    buf_free(text);
    *text = out;
    return XJ_OK;
}

xj_error em_writeSchoolReadme(em_ctx *ctx)
{
    xj_buf text;
    buf_init(&text, (size_t)1 << 24);
    xj_error err = em_readmeText(ctx->run, &text);
    if (!err && ctx->run->excel) err = em_crlf(&text);
    if (err) {
        buf_free(&text);
        return st_fail(ctx->st, err, "cannot build schools/README.txt: %s", xj_errorName(err));
    }
    em_writer w;
    err = em_openSchoolFile(ctx, &w, "schools/README.txt");
    if (!err) {
        err = em_putSchoolText(ctx, &w, text.data, text.len);
        if (!err) err = em_close(&w);
        else em_abandon(&w);
    }
    buf_free(&text);
    return err;
}
