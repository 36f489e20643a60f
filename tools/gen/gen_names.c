/*
 * gen_names — student and place names.
 *
 * Surnames: the 100 most frequent, in the order of the 2020 national name
 * report of the Ministry of Public Security (公安部户政管理研究中心《二〇二〇年
 * 全国姓名报告》), with shares that fall off geometrically from the published
 * top ten (王 7.1 %, 李 7.0 %, 张 6.7 %, ...) so that the top 100 cover about
 * 86 % of the population, as the report states; the remaining 14 % go to a
 * tail of rarer and compound surnames. Given names: one character (10 %) or
 * two, drawn from per-sex character pools weighted by rank (Zipf-like), with
 * 10 % taken whole from the report's most popular given names of recent birth
 * cohorts. Minority names follow the province: Uyghur-style names with a
 * middle dot (name·father's name) in Xinjiang, Tibetan names in Tibet and
 * Qinghai, Mongolian names in Inner Mongolia. Latin names are used for
 * foreign students (ID types 9 and A).
 *
 * --profile varied (gen_makeNameVaried) draws from other distributions on
 * purpose, not from a report: a flatter surname table with more rare
 * surnames, 4 % compound surnames and 3 % joined surnames of both parents,
 * given names from pools about three times as large and flatter, a few of
 * three characters, and more minority names, longer ones (a fifth of the
 * dotted names in three parts) and in more provinces.
 *
 * Tables are built once (gen_namesInit) and read-only afterwards.
 */
#include <math.h>
#include <string.h>

#include "gen.h"

static const char *const TOP_SURNAMES[100] = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
    "徐", "孙", "马", "胡", "朱", "郭", "何", "罗", "高", "林",
    "郑", "梁", "谢", "唐", "许", "冯", "宋", "韩", "邓", "彭",
    "曹", "曾", "田", "于", "萧", "潘", "袁", "董", "叶", "杜",
    "丁", "蒋", "程", "余", "吕", "魏", "蔡", "苏", "任", "卢",
    "沈", "姜", "姚", "钟", "崔", "陆", "谭", "汪", "石", "傅",
    "贾", "范", "金", "方", "韦", "夏", "廖", "侯", "白", "孟",
    "邹", "秦", "尹", "江", "熊", "薛", "邱", "闫", "段", "雷",
    "季", "史", "陶", "毛", "贺", "龙", "万", "顾", "关", "郝",
    "孔", "向", "龚", "邵", "钱", "武", "扬", "黎", "汤", "戴",
};
static const double TOP10_SHARE[10] = { 7.12, 7.00, 6.74, 5.10, 4.61, 3.22, 2.45, 2.19, 2.05, 1.91 };

static const char *const RARE_SURNAMES[] = {
    "严", "莫", "常", "牛", "温", "覃", "包", "施", "易", "申",
    "欧", "柳", "鲁", "葛", "樊", "章", "殷", "庞", "翟", "倪",
    "骆", "焦", "聂", "岳", "安", "柴", "齐", "左", "穆", "甘",
    "单", "祁", "邢", "滕", "宁", "路", "裴", "纪", "凌", "项",
    "阮", "詹", "卜", "褚", "房", "车", "谷", "游", "靳", "喻",
    "欧阳", "司马", "诸葛", "上官", "东方", "慕容", "令狐", "皇甫",
};
enum { N_RARE = sizeof RARE_SURNAMES / sizeof RARE_SURNAMES[0] };

static const char *const MALE_CHARS[] = {
    "子", "浩", "宇", "轩", "辰", "泽", "俊", "博", "文", "杰",
    "睿", "然", "涛", "明", "磊", "一", "天", "晨", "嘉", "航",
    "豪", "鑫", "思", "瑞", "奕", "梓", "铭", "宏", "志", "鹏",
    "凯", "伟", "强", "毅", "昊", "阳", "翔", "远", "诚", "哲",
    "彬", "锦", "承", "恒", "钰", "沐", "霖", "佳", "安", "健",
    "峰", "斌", "亮", "洋", "鸿", "飞", "旭", "晟", "煜", "霆",
};
static const char *const FEMALE_CHARS[] = {
    "欣", "怡", "梓", "涵", "雨", "桐", "诗", "婷", "佳", "琪",
    "萱", "妍", "可", "馨", "思", "语", "一", "诺", "子", "琳",
    "雅", "静", "嘉", "悦", "晨", "梦", "瑶", "依", "彤", "若",
    "汐", "淑", "敏", "丽", "娜", "芳", "璐", "晴", "月", "薇",
    "雪", "慧", "颖", "洁", "玉", "兰", "珊", "菲", "蕊", "琳",
};
static const char *const MALE_POPULAR[] = {
    "奕辰", "宇轩", "浩宇", "亦辰", "宇辰", "子墨", "宇航", "浩然", "梓豪", "亦宸",
};
static const char *const FEMALE_POPULAR[] = {
    "一诺", "依诺", "欣怡", "梓涵", "语桐", "欣妍", "可欣", "语汐", "雨桐", "梦瑶",
};
static const char *const UYGHUR_MALE[] = {
    "艾力", "买买提", "阿不都", "艾合买提", "吐尔逊", "依明", "库尔班", "热合曼",
    "阿卜杜拉", "努尔兰", "艾山", "麦麦提", "阿迪力", "伊力哈木",
};
static const char *const UYGHUR_FEMALE[] = {
    "古丽", "阿依古丽", "迪丽努尔", "热依拉", "米热古丽", "帕提曼", "努尔古丽",
    "阿依努尔", "祖丽胡玛尔", "热孜万古丽", "古再丽努尔", "阿依仙",
};
static const char *const TIBETAN_MALE[] = {
    "扎西", "次仁", "多吉", "平措", "旦增", "格桑", "尼玛", "索朗", "罗布", "顿珠",
};
static const char *const TIBETAN_FEMALE[] = {
    "卓玛", "央金", "拉姆", "德吉", "白玛", "曲珍", "卓嘎", "次仁", "格桑", "巴桑",
};
static const char *const MONGOL_MALE[] = {
    "巴特尔", "额尔敦", "巴雅尔", "宝音", "朝鲁", "苏和", "毕力格", "那日苏",
};
static const char *const MONGOL_FEMALE[] = {
    "其其格", "乌兰", "苏日娜", "图雅", "萨仁", "娜仁", "高娃", "琪琪格",
};
static const char *const LATIN_MALE[] = {
    "James", "John", "David", "Michael", "Daniel", "Lucas", "Leon", "Noah",
    "Ethan", "Alexander", "Minjun", "Haruto", "Ivan", "Mohammed", "Arjun", "Mateo",
};
static const char *const LATIN_FEMALE[] = {
    "Emma", "Olivia", "Sophia", "Mia", "Anna", "Maria", "Sofia", "Emily",
    "Yuna", "Sakura", "Chloe", "Hannah", "Amelia", "Aisha", "Isabella", "Nadia",
};
static const char *const LATIN_LAST[] = {
    "Smith", "Johnson", "Brown", "Garcia", "Miller", "Kim", "Lee", "Park",
    "Tanaka", "Sato", "Muller", "Martin", "Ivanov", "Nguyen", "Khan", "Rossi",
};
static const char *const PLACES[] = {
    "城关", "新华", "东城", "西城", "南关", "北关", "河西", "河东", "青山", "红旗",
    "长安", "和平", "兴华", "光明", "永安", "宁远", "清河", "石桥", "龙泉", "凤凰",
    "金山", "林场", "丰收", "德胜", "福田", "泉山", "湖滨", "江南", "海滨", "云山",
    "松林", "柏树", "文昌", "育才", "建设", "解放", "人民", "胜利", "前进", "朝阳",
    "向阳", "东风", "五星", "团结", "友谊", "幸福", "平安", "太平", "大河", "小河",
    "白沙", "黄土", "高桥", "双河", "三元", "四方", "五里", "六合", "七星", "八里",
    "九龙", "十里", "桃园", "杏林",
};
#define COUNT(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

static gen_alias g_surname, g_male, g_female;
static const char *g_surnames[100 + N_RARE];

/* Rank weights 1/(rank+k): the usual Zipf-like shape of name characters. */
static int gen_rankAlias(gen_alias *a, uint32_t n, double k)
{
    double w[128];
    for (uint32_t i = 0; i < n && i < 128; i++) w[i] = 1.0 / ((double)i + k);
    return gen_aliasBuild(a, w, n);
}

static int gen_variedNamesInit(void);
static int g_varied;          /* --profile varied: gen_makeName draws gen_makeNameVaried's names */

int gen_namesInit(int profile)
{
    static int done;
    if (done) return 0;
    g_varied = profile == GEN_PROFILE_VARIED;
    if (g_varied && gen_variedNamesInit() != 0) return -1;
    double w[100 + N_RARE];
    double top = 0;
    for (uint32_t i = 0; i < 100; i++) {
        g_surnames[i] = TOP_SURNAMES[i];
        /* ranks 11-100: geometric from 1.80 % down to 0.22 % */
        w[i] = (i < 10) ? TOP10_SHARE[i] : 1.80 * pow(0.22 / 1.80, (double)(i - 10) / 89.0);
        top += w[i];
    }
    for (uint32_t i = 0; i < 100; i++) w[i] *= 86.0 / top;
    for (uint32_t i = 0; i < N_RARE; i++) {
        g_surnames[100 + i] = RARE_SURNAMES[i];
        w[100 + i] = 14.0 / N_RARE * (i < 50 ? 1.0 : 0.05); /* compound surnames are rare */
    }
    if (gen_aliasBuild(&g_surname, w, 100 + N_RARE) != 0) return -1;
    if (gen_rankAlias(&g_male, COUNT(MALE_CHARS), 6.0) != 0) return -1;
    if (gen_rankAlias(&g_female, COUNT(FEMALE_CHARS), 6.0) != 0) return -1;
    done = 1;
    return 0;
}

static inline void gen_cat(gen_person *p, const char *s)
{
    size_t const n = strlen(s);
    if (p->name_len + n < sizeof p->name) { memcpy(p->name + p->name_len, s, n); p->name_len = (uint8_t)(p->name_len + n); }
}

#define PICK(r, a) ((a)[gen_below((r), COUNT(a))])

static void gen_minorityName(gen_rng *r, uint32_t style, uint8_t sex, gen_person *p)
{
    p->name_len = 0;
    if (style == 1) { /* Uyghur: given name · father's name */
        gen_cat(p, sex == 1 ? PICK(r, UYGHUR_MALE) : PICK(r, UYGHUR_FEMALE));
        gen_cat(p, "\xC2\xB7");
        gen_cat(p, PICK(r, UYGHUR_MALE));
        p->name_kind = GEN_NAME_DOTTED;
    } else if (style == 2) { /* Tibetan: two names, no dot */
        gen_cat(p, gen_below(r, 2) ? PICK(r, TIBETAN_MALE) : PICK(r, TIBETAN_FEMALE));
        gen_cat(p, sex == 1 ? PICK(r, TIBETAN_MALE) : PICK(r, TIBETAN_FEMALE));
        p->name_kind = GEN_NAME_HAN;
    } else { /* Mongolian */
        gen_cat(p, sex == 1 ? PICK(r, MONGOL_MALE) : PICK(r, MONGOL_FEMALE));
        p->name_kind = GEN_NAME_HAN;
    }
}

static void gen_makeNameVaried(gen_rng *r, uint32_t prov, uint8_t sex, gen_person *p);

void gen_makeName(gen_rng *r, uint32_t prov, uint8_t sex, gen_person *p)
{
    if (g_varied) { gen_makeNameVaried(r, prov, sex, p); return; }
    uint32_t const u = gen_below(r, 10000);
    const char *const pc = gen_provinceCode(prov);
    uint32_t style = 0;
    if (pc[0] == '6' && pc[1] == '5') style = (u < 4500) ? 1 : 0;
    else if (pc[0] == '5' && pc[1] == '4') style = (u < 8500) ? 2 : 0;
    else if (pc[0] == '6' && pc[1] == '3') style = (u < 2000) ? 2 : 0;
    else if (pc[0] == '1' && pc[1] == '5') style = (u < 1200) ? 3 : 0;
    else style = (u < 30) ? 1 : 0;     /* Uyghur migrants elsewhere */
    if (style != 0) { gen_minorityName(r, style, sex, p); return; }

    p->name_kind = GEN_NAME_HAN;
    p->name_len = 0;
    gen_cat(p, g_surnames[gen_aliasDraw(&g_surname, gen_next(r))]);
    uint32_t const v = gen_below(r, 100);
    const gen_alias *const a = (sex == 1) ? &g_male : &g_female;
    const char *const *const pool = (sex == 1) ? MALE_CHARS : FEMALE_CHARS;
    if (v < 10) {
        gen_cat(p, pool[gen_aliasDraw(a, gen_next(r))]);
    } else if (v < 20) {
        gen_cat(p, sex == 1 ? PICK(r, MALE_POPULAR) : PICK(r, FEMALE_POPULAR));
    } else {
        gen_cat(p, pool[gen_aliasDraw(a, gen_next(r))]);
        gen_cat(p, pool[gen_aliasDraw(a, gen_next(r))]);
    }
}

void gen_makeLatinName(gen_rng *r, uint8_t sex, gen_person *p)
{
    p->name_len = 0;
    p->name_kind = GEN_NAME_LATIN;
    gen_cat(p, sex == 1 ? PICK(r, LATIN_MALE) : PICK(r, LATIN_FEMALE));
    gen_cat(p, " ");
    gen_cat(p, PICK(r, LATIN_LAST));
}

size_t gen_placeName(uint64_t u, char *out)
{
    const char *const s = PLACES[gen_below64(u, COUNT(PLACES))];
    size_t const n = strlen(s);
    memcpy(out, s, n);
    return n;
}

/* ------------------------------------------------------------ --profile varied */

/* More single surnames (after the top 100 and the first 50 rare ones), one
 * 3-byte UTF-8 character each. */
static const char V_MORE_SURNAMES[] =
    "毕郁娄邬蓝符尚卫晏洪米俞瞿鲍苗花乔贝桂耿边闵伍芦隋柯揭巫冉晋童麻原景粟鄢和查佘冼丛"
    "苟扈郜薄简禹蒲漆厉戚阎缪饶仇辛舒荆佟盛封管解应明宗蔺宫";
static const char *const V_COMPOUND[] = {
    "欧阳", "司马", "诸葛", "上官", "东方", "慕容", "令狐", "皇甫", "司徒", "夏侯",
    "公孙", "尉迟", "长孙", "宇文", "端木", "申屠", "闻人", "澹台", "呼延", "西门",
};
/* Given-name characters: the default pools first, then as many again and
 * more (3-byte UTF-8 characters). */
static const char V_MALE[] =
    "子浩宇轩辰泽俊博文杰睿然涛明磊一天晨嘉航豪鑫思瑞奕梓铭宏志鹏凯伟强毅昊阳翔远诚哲彬锦承恒钰沐霖佳安健峰斌亮洋鸿飞旭晟煜霆"
    "烨骁铠澄弘逸谦朗楷骏晗熠炜焕耀琛璟瀚淼森柏松岩坤乾铮锐钧鸣麟骐驰昱晔暄曜炎烁彦晋尧舜禹康宁泰盛昌隆兴荣华国民建军平东海江"
    "河山川林树春秋雷云龙虎鹤鹰辉光永新立成德胜利福贵祥和庆友仁义礼智信忠孝勇武雄威振宸圣帅歌";
static const char V_FEMALE[] =
    "欣怡梓涵雨桐诗婷佳琪萱妍可馨思语一诺子琳雅静嘉悦晨梦瑶依彤若汐淑敏丽娜芳璐晴月薇雪慧颖洁玉兰珊菲蕊"
    "蕾瑾萌甜柔媛婉娴嫣娇妮茜芮芸苒茉莉荷莲菱蓉岚霞露霏雯霜冰清澜漪溪涟沁湘潇璇瑜琦瑛瑗珂珍珠琼铃绮绣缘纯素婧娅姝姗惠恬悠忆念晓"
    "曦昕晞暖春秋夏冬宁安乐歆韵音笛琴书画墨丹彩虹凤燕鸾莺桂梅菊竹秀美艳红霓翠碧";
enum { V_NSUR = 150 + (sizeof V_MORE_SURNAMES - 1) / 3, V_NMALE = (sizeof V_MALE - 1) / 3,
       V_NFEMALE = (sizeof V_FEMALE - 1) / 3 };

static const char *const V_UYGHUR_MALE[] = {
    "艾力", "买买提", "阿不都", "艾合买提", "吐尔逊", "依明", "库尔班", "热合曼", "阿卜杜拉", "努尔兰",
    "艾山", "麦麦提", "阿迪力", "伊力哈木", "阿卜杜热合曼", "阿不都克热木", "买合木提", "艾尼瓦尔",
    "伊斯马伊力", "吐尔洪", "阿力木江", "麦麦提敏", "亚森", "努尔买买提", "艾则孜", "肉孜", "排尔哈提",
    "吾斯曼", "阿卜杜萨拉木", "热西提", "叶尔兰", "别克", "哈力木拉提", "达吾列提",
};
static const char *const V_UYGHUR_FEMALE[] = {
    "古丽", "阿依古丽", "迪丽努尔", "热依拉", "米热古丽", "帕提曼", "努尔古丽", "阿依努尔", "祖丽胡玛尔",
    "热孜万古丽", "古再丽努尔", "阿依仙", "阿依夏木", "古丽巴哈尔", "玛依拉", "热依汗古丽",
    "布维海丽且木", "再努尔", "阿尔孜古丽", "木尼热", "努尔比亚", "帕丽达", "迪娜拉", "阿娜尔古丽",
    "萨依普加玛丽",
};
static const char *const V_YI_CLAN[] = { "吉克", "阿牛", "沙马", "海来", "阿苏", "曲比", "马海", "俄木", "阿什", "吉伍" };
static const char *const V_YI_GIVEN[] = { "曲布", "木呷", "阿依", "拉哈", "伍各", "尔古", "阿果", "石一", "阿呷", "日火" };

static gen_alias g_vsurname, g_vmale, g_vfemale;

static int gen_variedNamesInit(void)
{
    double w[V_NSUR > V_NMALE ? (V_NSUR > V_NFEMALE ? V_NSUR : V_NFEMALE) : (V_NMALE > V_NFEMALE ? V_NMALE : V_NFEMALE)];
    /* 1/(rank+12): the top ten hold about 19 % of the Han names (default: 34 %) */
    for (uint32_t i = 0; i < V_NSUR; i++) w[i] = 1.0 / ((double)i + 12.0);
    if (gen_aliasBuild(&g_vsurname, w, V_NSUR) != 0) return -1;
    for (uint32_t i = 0; i < V_NMALE; i++) w[i] = 1.0 / ((double)i + 25.0);
    if (gen_aliasBuild(&g_vmale, w, V_NMALE) != 0) return -1;
    for (uint32_t i = 0; i < V_NFEMALE; i++) w[i] = 1.0 / ((double)i + 25.0);
    return gen_aliasBuild(&g_vfemale, w, V_NFEMALE);
}

/* Appends the i-th 3-byte character of a packed pool. */
static inline void gen_catChar(gen_person *p, const char *pool, uint32_t i)
{
    if (p->name_len + 3u < sizeof p->name) { memcpy(p->name + p->name_len, pool + 3 * (size_t)i, 3); p->name_len = (uint8_t)(p->name_len + 3); }
}

static void gen_vSurname(gen_rng *r, gen_person *p)
{
    uint32_t const s = gen_below(r, 100);
    if (s < 4) { gen_cat(p, PICK(r, V_COMPOUND)); return; }
    if (s < 7) { /* both parents' surnames, a naming habit of recent cohorts */
        uint32_t const a = gen_below(r, 30), b = (a + 1 + gen_below(r, 29)) % 30;
        gen_cat(p, TOP_SURNAMES[a]); gen_cat(p, TOP_SURNAMES[b]);
        return;
    }
    uint32_t const i = gen_aliasDraw(&g_vsurname, gen_next(r));
    if (i < 100) gen_cat(p, TOP_SURNAMES[i]);
    else if (i < 150) gen_cat(p, RARE_SURNAMES[i - 100]);
    else gen_catChar(p, V_MORE_SURNAMES, i - 150);
}

static void gen_vMinority(gen_rng *r, uint32_t style, uint8_t sex, gen_person *p)
{
    p->name_len = 0;
    p->name_kind = GEN_NAME_HAN;
    if (style == 1) { /* Uyghur or Kazakh: given · father's [· grandfather's] */
        gen_cat(p, sex == 1 ? PICK(r, V_UYGHUR_MALE) : PICK(r, V_UYGHUR_FEMALE));
        gen_cat(p, "\xC2\xB7");
        gen_cat(p, PICK(r, V_UYGHUR_MALE));
        if (gen_below(r, 5) == 0) { gen_cat(p, "\xC2\xB7"); gen_cat(p, PICK(r, V_UYGHUR_MALE)); }
        p->name_kind = GEN_NAME_DOTTED;
    } else if (style == 2) { /* Tibetan: two names */
        gen_cat(p, gen_below(r, 2) ? PICK(r, TIBETAN_MALE) : PICK(r, TIBETAN_FEMALE));
        gen_cat(p, sex == 1 ? PICK(r, TIBETAN_MALE) : PICK(r, TIBETAN_FEMALE));
    } else if (style == 3) { /* Mongolian: one or two names */
        gen_cat(p, sex == 1 ? PICK(r, MONGOL_MALE) : PICK(r, MONGOL_FEMALE));
        if (gen_below(r, 3) == 0) gen_cat(p, sex == 1 ? PICK(r, MONGOL_MALE) : PICK(r, MONGOL_FEMALE));
    } else { /* Yi: clan name + given name */
        gen_cat(p, PICK(r, V_YI_CLAN));
        gen_cat(p, PICK(r, V_YI_GIVEN));
    }
}

/* Minority style (0: Han) per province, per 10 000 students. */
static uint32_t gen_vStyle(uint32_t prov, uint32_t u)
{
    const char *const pc = gen_provinceCode(prov);
    int const code = (pc[0] - '0') * 10 + (pc[1] - '0');
    switch (code) {
    case 65: return u < 6000 ? 1 : 0;                         /* 新疆 */
    case 54: return u < 8500 ? 2 : 0;                         /* 西藏 */
    case 63: return u < 3000 ? 2 : 0;                         /* 青海 */
    case 62: return u < 600 ? 2 : 0;                          /* 甘肃 */
    case 51: return u < 400 ? 2 : (u < 900 ? 4 : 0);          /* 四川 */
    case 53: return u < 800 ? 4 : 0;                          /* 云南 */
    case 15: return u < 2000 ? 3 : 0;                         /* 内蒙古 */
    default: return u < 200 ? 1 : 0;                          /* elsewhere 2 % dotted */
    }
}

static void gen_makeNameVaried(gen_rng *r, uint32_t prov, uint8_t sex, gen_person *p)
{
    uint32_t const style = gen_vStyle(prov, gen_below(r, 10000));
    if (style != 0) { gen_vMinority(r, style, sex, p); return; }
    p->name_kind = GEN_NAME_HAN;
    p->name_len = 0;
    gen_vSurname(r, p);
    const gen_alias *const a = (sex == 1) ? &g_vmale : &g_vfemale;
    const char *const pool = (sex == 1) ? V_MALE : V_FEMALE;
    uint32_t const v = gen_below(r, 100);
    if (v < 6) {
        gen_catChar(p, pool, gen_aliasDraw(a, gen_next(r)));
    } else if (v < 9) {
        gen_cat(p, sex == 1 ? PICK(r, MALE_POPULAR) : PICK(r, FEMALE_POPULAR));
    } else {
        int const n = v < 93 ? 2 : 3;
        for (int i = 0; i < n; i++) gen_catChar(p, pool, gen_aliasDraw(a, gen_next(r)));
    }
}
