// The SQL of the DuckDB peer, one named statement per step.
//
// Everything the peer computes is here; peer.mjs only fills in file names and
// column names and runs the statements in order. The rules follow rules §3–§6
// and docs/decisions.md; where SQL cannot do exactly what the engine does the
// comment says so (README.md in this folder lists every approximation).

// Quotes a value as an SQL string literal / an identifier.
export const lit = (s) => `'${String(s).replace(/'/g, "''")}'`;
export const ident = (s) => `"${String(s).replace(/"/g, '""')}"`;

// White space the engine removes from IDs and names (nm_isWhiteSpace): ASCII
// space and TAB..CR, NEL, NBSP, U+1680, U+2000..U+200A, U+2028, U+2029,
// U+202F, U+205F and the ideographic space U+3000. An RE2 character class.
const WS_CLASS = '[\\t-\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}]';

// Trimming (nm_trim) only knows ASCII white space and U+3000.
const TRIM_CHARS = "' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(12288)";

// Full-width ASCII U+FF01..U+FF5E and its half-width image U+0021..U+007E.
const FULL_WIDTH = Array.from({ length: 94 }, (_, i) => String.fromCodePoint(0xff01 + i)).join('');
const HALF_WIDTH = Array.from({ length: 94 }, (_, i) => String.fromCharCode(0x21 + i)).join('');

// ISO 7064 MOD 11-2 weights of GB 11643 (rules §4, step 5). The 17 digits
// are read as one BIGINT v; digit i (1-based) is v // 10^(17-i) % 10.
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const weightedSum = WEIGHTS.map((w, i) => `${w} * (v // ${10n ** BigInt(16 - i)} % 10)`).join('\n          + ');

// Province codes of rules §4 (the engine's id_isProvince in engine/check/idcheck.c).
// By default the engine checks the region at province level only; a county
// table is used only with --region-table, which the benchmark does not pass.
const PROVINCES = [
  ...range(11, 15), ...range(21, 23), ...range(31, 37), ...range(41, 46), ...range(50, 54), ...range(61, 65),
].join(', ');

function range(a, b) {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

// Small helpers as DuckDB macros, so the steps below read like docs/rules.md. A
// macro argument is pasted in as an expression wherever it is used, so the
// steps pass column names (computed once in an earlier projection), never
// expensive expressions. Casts are TRY_CASTs even inside CASE branches that
// only see good text: DuckDB's common-subexpression optimizer may compute a
// repeated branch expression for every row.
export const MACROS = [
  // nm_trim: ASCII white space and U+3000 at both ends.
  `CREATE MACRO xj_trim(s) AS
     CASE WHEN regexp_matches(s, '^[\\t-\\r \\x{3000}]|[\\t-\\r \\x{3000}]$') THEN trim(s, ${TRIM_CHARS})
          ELSE coalesce(s, '') END`,
  // Empty once trimmed (a regular expression is much faster than trim() with a character set).
  `CREATE MACRO xj_blank(s) AS regexp_full_match(coalesce(s, ''), '[\\t-\\r \\x{3000}]*')`,

  // A calendar date as the integer YYYYMMDD, NULL when it is no real date.
  `CREATE MACRO xj_days_in_month(y, m) AS
     CASE WHEN m = 2 THEN 28 + CASE WHEN (y % 4 = 0 AND y % 100 <> 0) OR y % 400 = 0 THEN 1 ELSE 0 END
          WHEN m IN (4, 6, 9, 11) THEN 30 ELSE 31 END`,
  `CREATE MACRO xj_ymd(y, m, d) AS
     CASE WHEN y BETWEEN 1 AND 9999 AND m BETWEEN 1 AND 12 AND d BETWEEN 1 AND xj_days_in_month(y, m)
          THEN y * 10000 + m * 100 + d END`,
  // eight digits YYYYMMDD as one integer v
  `CREATE MACRO xj_ymd8(v) AS xj_ymd(v // 10000, v // 100 % 100, v % 100)`,

  // Record dates (birth_date, registered_at) of trimmed text t: YYYYMMDD, or
  // YYYY-M[M]-D[D] / YYYY/M[M]/D[D] with one separator used twice, year
  // 1000 or later (nm_parseDate). xj_date_digits gives y * 10000 + m * 100 + d
  // for any text of that shape (m and d have at most two digits, so this is
  // one-to-one), xj_ymd8 of that number then checks the calendar.
  `CREATE MACRO xj_date_digits(t) AS
     CASE WHEN regexp_full_match(t, '[1-9][0-9]{7}') THEN TRY_CAST(t AS INT)
          WHEN regexp_full_match(t, '[1-9][0-9]{3}(-[0-9]{1,2}-[0-9]{1,2}|/[0-9]{1,2}/[0-9]{1,2})')
            THEN TRY_CAST(substr(t, 1, 4) AS INT) * 10000
               + TRY_CAST(split_part(replace(t, '/', '-'), '-', 2) AS INT) * 100
               + TRY_CAST(split_part(replace(t, '/', '-'), '-', 3) AS INT)
     END`,

  // Sex of trimmed text t as 1 (male) / 2 (female), NULL when it is none of the accepted forms.
  `CREATE MACRO xj_sex(t) AS
     CASE WHEN t IN ('1', 'M', 'm', '男') THEN 1 WHEN t IN ('2', 'F', 'f', '女') THEN 2 END`,

  // ID type code of trimmed, lower-cased text t (nm_parseIdType): empty = 1,
  // names and codes of rules §4; NULL for an unknown value (treated like 1).
  `CREATE MACRO xj_id_type_code(t) AS
     CASE WHEN t = '' THEN '1'
          WHEN t IN ('1', '居民身份证', '身份证', '中华人民共和国居民身份证',
                     '港澳台居民居住证', '港澳居民居住证', '台湾居民居住证') THEN '1'
          WHEN t IN ('6', '香港特区护照/身份证明', '香港特区护照', '香港特区身份证明') THEN '6'
          WHEN t IN ('7', '澳门特区护照/身份证明', '澳门特区护照', '澳门特区身份证明') THEN '7'
          WHEN t IN ('8', '台湾居民来往大陆通行证', '台胞证') THEN '8'
          WHEN t IN ('9', '境外永久居住证', '外国人永久居留身份证', '外国人永久居留证') THEN '9'
          WHEN t IN ('a', '护照', 'passport') THEN 'A'
          WHEN t IN ('z', '其他', '其它', 'other') THEN 'Z'
     END`,

  // rules §3 ID normalization: white space out, full-width ASCII to ASCII, x
  // to X. Most numbers are already 18 plain characters: they skip the work.
  `CREATE MACRO xj_norm_id(s) AS
     CASE WHEN regexp_full_match(s, '[0-9]{17}[0-9X]') THEN s
          ELSE replace(translate(regexp_replace(coalesce(s, ''), '${WS_CLASS}', '', 'g'),
                                 ${lit(FULL_WIDTH)}, ${lit(HALF_WIDTH)}), 'x', 'X')
     END`,

  // rules §3 name normalization. DuckDB has NFC (nfc_normalize) but no NFKC:
  // the compatibility mappings that matter for these names are done by hand
  // (full-width ASCII to ASCII; U+FF65 is a middle dot anyway), then white
  // space is removed, middle-dot variants become U+00B7 and letters are
  // lower-cased (DuckDB's lower() also lowers non-Latin scripts such as
  // Greek and Cyrillic, which the engine leaves alone).
  `CREATE MACRO xj_norm_name(s) AS
     lower(regexp_replace(regexp_replace(
       nfc_normalize(translate(coalesce(s, ''), ${lit(FULL_WIDTH)}, ${lit(HALF_WIDTH)})),
       '${WS_CLASS}', '', 'g'),
       '[\\x{2022}\\x{2027}\\x{2219}\\x{30FB}\\x{FF65}]', '·', 'g'))`,

  // GB 11643 pieces, for an 18-character GB-shaped number n.
  `CREATE MACRO xj_is_province(p) AS p IN (${PROVINCES})`,
  `CREATE MACRO xj_check_char_of(v) AS
     substr('10X98765432', 1 + (
            ${weightedSum}
          ) % 11, 1)`,
  `CREATE MACRO xj_check_char(n) AS xj_check_char_of(TRY_CAST(substr(n, 1, 17) AS BIGINT))`,
  `CREATE MACRO xj_upgrade15(n) AS
     substr(n, 1, 6) || '19' || substr(n, 7, 9) || xj_check_char(substr(n, 1, 6) || '19' || substr(n, 7, 9))`,

  // rules §4 steps 3..7 for an 18-character GB-shaped number n of type t
  // ('1' or '9'), given its birth date id_birth (YYYYMMDD or NULL) and the
  // check character its first 17 digits call for; NULL when valid. sex and
  // birth are the record's (1/2, YYYYMMDD).
  `CREATE MACRO xj_gb_reason(t, n, id_birth, id_check, sex, birth, run_date) AS
     CASE WHEN t = '9' AND NOT (substr(n, 1, 1) = '9' AND xj_is_province(TRY_CAST(substr(n, 2, 2) AS INT))) THEN 'region'
          WHEN t <> '9' AND NOT (substr(n, 1, 6) IN ('810000', '820000', '830000') OR xj_is_province(TRY_CAST(substr(n, 1, 2) AS INT)))
            THEN 'region'
          WHEN coalesce(id_birth NOT BETWEEN 19000101 AND run_date, true) THEN 'birthdate'
          WHEN id_check <> substr(n, 18, 1) THEN 'checksum'
          WHEN birth <> id_birth THEN 'birthdate_mismatch'
          WHEN sex <> 2 - TRY_CAST(substr(n, 17, 1) AS INT) % 2 THEN 'sex_mismatch'   -- odd = male (1)
     END`,

  // Format of the other types (rules §4 last paragraph; 6/7 as the engine:
  // 5..20 printable ASCII covers "[HM] + 8 or 10 digits").
  `CREATE MACRO xj_other_format_ok(t, n) AS
     CASE t WHEN '8' THEN regexp_full_match(n, '[0-9]{8}|[0-9]{10}')
            WHEN '6' THEN regexp_full_match(n, '[!-~]{5,20}')
            WHEN '7' THEN regexp_full_match(n, '[!-~]{5,20}')
            WHEN 'A' THEN regexp_full_match(n, '[0-9A-Za-z]{5,20}')
            WHEN '9' THEN regexp_full_match(n, '[A-Za-z]{3}[0-9]{12}')
            ELSE true END`,

  // The first failing reason of rules §4 for the normalized number n of type
  // t, NULL if valid; shape is 'gb' (18 GB characters), 'l15' (15 digits)
  // or 'other'.
  `CREATE MACRO xj_id_reason(t, n, shape, id_birth, id_check, sex, birth, run_date) AS
     CASE WHEN n = '' THEN CASE WHEN t = 'Z' THEN NULL ELSE 'missing' END
          WHEN t IN ('1', '9') AND shape = 'gb' THEN xj_gb_reason(t, n, id_birth, id_check, sex, birth, run_date)
          WHEN t = '1' AND shape = 'l15' THEN 'legacy15'
          WHEN t = '1' THEN 'format'
          WHEN NOT xj_other_format_ok(t, n) THEN 'format'
     END`,

  // The duplicate key (rules §5, docs/decisions.md "Keys of invalid numbers"):
  // every non-empty number takes part. GB 11643 numbers (type 1 and 18-char
  // type 9, upgraded legacy15) share one space, the bare 18 characters; any
  // other number by type NUL number, the engine's key text (a GB key has no NUL).
  `CREATE MACRO xj_id_key(t, n, shape) AS
     CASE WHEN n = '' THEN NULL
          WHEN t IN ('1', '9') AND shape = 'gb' THEN n
          WHEN t = '1' AND shape = 'l15' THEN xj_upgrade15(n)
          ELSE t || chr(0) || n
     END`,

  // Scope of a group from aggregates over its members (docs/decisions.md "Scope").
  `CREATE MACRO xj_scope(n_schools, counties_known, n_counties, n_cities, one_province) AS
     CASE WHEN n_schools = 1 THEN 'school'
          WHEN counties_known AND n_counties = 1 THEN 'county'
          WHEN counties_known AND n_cities = 1 THEN 'city'
          WHEN one_province THEN 'province'
          ELSE 'national' END`,
];

// Fields whose column must exist; of these all but id_number must be non-empty.
export const REQUIRED = ['student_no', 'name', 'sex', 'birth_date', 'id_number', 'school_code'];
const NON_EMPTY = REQUIRED.filter((f) => f !== 'id_number');

// Statement: the input as it is, one row per CSV record, every column text
// (c0, c1, ... in input order). A plain CREATE TABLE AS SELECT from the
// reader keeps the input order (preserve_insertion_order), so a record's
// line is its rowid + 2 (the header is line 1); checked against awk on the
// 1M input. (A table made from a longer query does not keep that order:
// the rowids of such a table came out shuffled, so `line` is taken here and
// carried along as a column.) The line equals the engine's only while every
// record is one physical line, which is true of generated data without
// --messy (no quoted line breaks, no malformed rows: DuckDB's strict mode
// stops on those instead of skipping them).
export function loadStatement({ input, nColumns }) {
  const typed = Array.from({ length: nColumns }, (_, i) => `'c${i}': 'VARCHAR'`).join(', ');
  return `
CREATE TABLE raw AS
SELECT *
FROM read_csv(${lit(input)}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
              strict_mode = true, columns = {${typed}})`;
}

// Statement: `recs`, the normalized facts of every record that later steps need.
export function readStatement({ field, runDate }) {
  const col = (f) => (field[f] === undefined ? 'NULL::VARCHAR' : `c${field[f]}`);
  return `
CREATE TABLE recs AS
WITH numbered AS (SELECT rowid + 2 AS line, * FROM raw),
trimmed AS (
  SELECT line,
         coalesce(${col('student_no')}, '') AS student_no,
         coalesce(${col('school_code')}, '') AS school,
         coalesce(${col('region_code')}, '') AS county,
         ${col('name')} AS name_raw,
         ${NON_EMPTY.map((f) => `xj_blank(${col(f)}) AS empty_${f}`).join(',\n         ')},
         xj_trim(${col('sex')}) AS sex_t,
         xj_trim(${col('birth_date')}) AS birth_t,
         xj_trim(${col('registered_at')}) AS reg_t,
         xj_id_type_code(lower(xj_trim(${col('id_type')}))) AS type_code,
         xj_norm_id(${col('id_number')}) AS id_n
  FROM numbered
),
facts AS (
  SELECT line, student_no, school, county, name_raw, ${NON_EMPTY.map((f) => `empty_${f}`).join(', ')}, id_n,
         xj_sex(sex_t) AS sex_n,
         xj_date_digits(birth_t) AS birth_v8,
         xj_date_digits(reg_t) AS reg_v8,
         coalesce(type_code, '1') AS type_n,
         type_code IS NULL AS type_unknown,
         CASE WHEN regexp_full_match(id_n, '[0-9]{17}[0-9X]') THEN 'gb'
              WHEN regexp_full_match(id_n, '[0-9]{15}') THEN 'l15'
              ELSE 'other' END AS id_shape
  FROM trimmed
),
gb AS (
  -- the numbers in the GB 11643 digits: the 17 digits and the birth date as integers
  SELECT *,
         CASE WHEN id_shape = 'gb' THEN TRY_CAST(substr(id_n, 1, 17) AS BIGINT) END AS id_v17,
         CASE WHEN id_shape = 'gb' THEN TRY_CAST(substr(id_n, 7, 8) AS INT) END AS id_v8
  FROM facts
),
gb_facts AS (
  SELECT *, xj_ymd8(birth_v8) AS birth_n, xj_ymd8(reg_v8) AS reg_n,
         xj_ymd8(id_v8) AS id_birth, xj_check_char_of(id_v17) AS id_check
  FROM gb
)
SELECT line, student_no, school, county, name_raw,
       sex_n, birth_n, reg_n, type_n, type_unknown, id_n,
       -- a row the engine rejects instead of checking (docs/decisions.md "Required values")
       CASE ${NON_EMPTY.map((f) => `WHEN empty_${f} THEN 'missing_${f}'`).join('\n            ')}
            WHEN sex_n IS NULL THEN 'bad_sex'
            WHEN birth_n IS NULL THEN 'bad_birth_date'
       END AS reject,
       xj_id_reason(type_n, id_n, id_shape, id_birth, id_check, sex_n, birth_n, ${runDate}) AS id_reason,
       xj_id_key(type_n, id_n, id_shape) AS id_key
FROM gb_facts`;
}

// Statement: the members of every group, with the group's key text (what its
// id is derived from).
export const MEMBERS = `
CREATE TABLE members AS
WITH ok AS (SELECT * FROM recs WHERE reject IS NULL),
id_keys AS (
  SELECT id_key FROM ok WHERE id_key IS NOT NULL GROUP BY id_key HAVING count(*) >= 2
),
noid AS (
  -- attribute keys only for records without an ID (rules §5, --attr-scope noid);
  -- the key text is the engine's: name NUL sex NUL yyyymmdd
  SELECT *, xj_norm_name(name_raw) || chr(0) || sex_n || chr(0) || birth_n AS attr_key
  FROM ok WHERE id_n = ''
),
attr_keys AS (
  SELECT attr_key FROM noid GROUP BY attr_key HAVING count(*) >= 2
)
SELECT 'id_duplicate' AS problem, id_key AS gkey, ok.*
FROM ok SEMI JOIN id_keys USING (id_key)
UNION ALL
SELECT 'attr_duplicate' AS problem, attr_key AS gkey, noid.* EXCLUDE (attr_key)
FROM noid SEMI JOIN attr_keys USING (attr_key)`;

// Statement: every (record, problem) row of rules §6 with its group columns.
// Per group: size, scope, schools, keeper; per member: its hint (rules §5,
// docs/decisions.md "Groups"). Then the id_invalid rows. One input file, so
// the source name is a constant and orders nothing.
export function problemsStatement(source) {
  return `
CREATE TABLE problems AS
WITH m AS (
  SELECT *,
         xj_norm_name(name_raw) AS name_key,
         coalesce(reg_n, 99999999) AS reg_order,   -- a missing date is later than any date
         CASE substr(student_no, 1, 1) WHEN 'G' THEN 0 WHEN 'L' THEN 1 WHEN 'J' THEN 2 ELSE 3 END AS letter_rank
  FROM members
),
g AS (
  SELECT problem, gkey,
         count(*) AS group_size,
         list_sort(list_distinct(list(school))) AS schools,
         xj_scope(count(DISTINCT school),
                  bool_and(regexp_full_match(county, '[0-9]{6}')),
                  count(DISTINCT county),
                  count(DISTINCT substr(county, 1, 4)),
                  bool_and(regexp_full_match(school, '[0-9]{10}')) AND count(DISTINCT substr(school, 3, 2)) = 1) AS scope,
         -- derived from problem and key only, as rules §5 asks, but with md5
         -- (DuckDB has no XXH3), so the ids differ from xjdedup's
         substr(md5(problem || chr(0) || gkey), 1, 16) AS group_id
  FROM m GROUP BY problem, gkey
),
ranked AS (
  SELECT m.*,
         row_number() OVER (PARTITION BY problem, gkey
                            ORDER BY reg_order, letter_rank, student_no, line) AS keeper_rank,
         row_number() OVER (PARTITION BY problem, gkey, school
                            ORDER BY reg_order, student_no, line) AS school_rank
  FROM m
),
keepers AS (
  SELECT problem, gkey, school AS k_school, name_key AS k_name, sex_n AS k_sex, birth_n AS k_birth
  FROM ranked WHERE problem = 'id_duplicate' AND keeper_rank = 1
)
SELECT r.problem, NULL::VARCHAR AS reason, g.group_id, g.group_size, g.scope,
       CASE g.scope WHEN 'national' THEN 'ministry' ELSE g.scope END AS arbiter,
       CASE WHEN r.problem = 'id_duplicate' THEN CASE WHEN r.keeper_rank = 1 THEN '1' ELSE '0' END END AS keeper,
       CASE WHEN r.problem = 'attr_duplicate' THEN CASE WHEN r.school_rank = 1 THEN 'attest' ELSE 'delete_copy' END
            WHEN r.keeper_rank = 1 THEN 'keep'
            WHEN r.name_key = k.k_name AND r.sex_n = k.k_sex AND r.birth_n = k.k_birth
              THEN CASE WHEN r.school = k.k_school THEN 'delete_copy' ELSE 'agree_transfer' END
            ELSE 'check_id' END AS hint,
       nullif(array_to_string(list_filter(g.schools, s -> s <> r.school), ';'), '') AS other_schools,
       ${lit(source)} AS source, r.line, r.school
FROM ranked r
JOIN g USING (problem, gkey)
LEFT JOIN keepers k USING (problem, gkey)
UNION ALL
SELECT 'id_invalid', id_reason, NULL, NULL, NULL, NULL, NULL, 'correct_id', NULL,
       ${lit(source)}, i.line, i.school
FROM recs i
WHERE reject IS NULL AND id_reason IS NOT NULL`;
}

// Chinese words of the per-school files (rules §5, §6).
const PROBLEM_ZH = { id_duplicate: '身份证件号重复', id_invalid: '身份证件号错误', attr_duplicate: '无身份证号学籍重复' };
const HINT_ZH = {
  keep: '保留（先入者保有）',
  delete_copy: '删除重复导入的记录',
  agree_transfer: '同一学生在多校建籍，与对方学校协商由一方删除',
  check_id: '核对身份证件号，错误则变更',
  correct_id: '变更身份证件号（虚假记录则删除）',
  attest: '提交佐证材料',
};
const SCOPE_ZH = { school: '本校', county: '同县', city: '跨县', province: '跨市', national: '跨省' };
const ARBITER_ZH = { school: '学校', county: '县级教育行政部门', city: '市级教育行政部门', province: '省级教育行政部门', ministry: '教育部' };
const caseMap = (expr, map) =>
  `CASE ${expr} ${Object.entries(map).map(([k, v]) => `WHEN ${lit(k)} THEN ${lit(v)}`).join(' ')} END`;

const PROBLEM_COLUMNS = 'problem, reason, group_id, group_size, scope, arbiter, keeper, hint, other_schools, source, line';

// Statement: problems.csv, sorted as rules §6 says (by bytes; group ids differ
// from the engine's, so the order inside a school differs too).
export function writeProblems(path, headers) {
  const cols = headers.map((h, i) => `c${i} AS ${ident(h)}`).join(', ');
  return `
COPY (
  SELECT ${PROBLEM_COLUMNS}, ${cols}
  FROM problems JOIN (SELECT rowid + 2 AS line, * FROM raw) USING (line)
  ORDER BY school, problem, group_id, source, line
) TO ${lit(path)} (FORMAT csv, HEADER true)`;
}

// Statement: one CSV per school with Chinese headers and words, partitioned
// by province and school code: schools/province=PP/school=CODE/data_0.csv
// (DuckDB's hive layout; a school code that is not 10 digits goes to
// province=_invalid under a hash, never used as a path).
export function writeSchools(dir, headers) {
  const cols = headers.map((h, i) => `c${i} AS ${ident(h)}`).join(', ');
  return `
COPY (
  SELECT CASE WHEN regexp_full_match(school, '[0-9]{10}') THEN substr(school, 3, 2) ELSE '_invalid' END AS province,
         CASE WHEN regexp_full_match(school, '[0-9]{10}') THEN school ELSE 'x' || substr(md5(school), 1, 16) END AS school,
         ${caseMap('problem', PROBLEM_ZH)} AS "问题类型",
         reason AS "问题原因",
         group_id AS "问题组号",
         group_size AS "组内人数",
         ${caseMap('scope', SCOPE_ZH)} AS "范围",
         ${caseMap('arbiter', ARBITER_ZH)} AS "仲裁层级",
         keeper AS "先入保有",
         ${caseMap('hint', HINT_ZH)} AS "建议处理",
         other_schools AS "组内其他学校",
         source AS "来源文件",
         line AS "行号",
         ${cols}
  FROM problems JOIN (SELECT rowid + 2 AS line, * FROM raw) USING (line)
  ORDER BY school, problem, group_id, source, line
) TO ${lit(dir)} (FORMAT csv, HEADER true, PARTITION_BY (province, school))`;
}

// Statement: counts for summary.json.
export const COUNTS = `
SELECT (SELECT count(*) FROM recs) AS rows_read,
       (SELECT count(*) FROM recs WHERE reject IS NOT NULL) AS rejected,
       (SELECT count(*) FROM recs WHERE reject IS NULL AND type_unknown) AS unknown_id_types,
       (SELECT coalesce(map(list(problem), list(n)), MAP {}) FROM
          (SELECT problem, count(*) AS n FROM problems GROUP BY ALL)) AS records,
       (SELECT coalesce(map(list(problem), list(n)), MAP {}) FROM
          (SELECT problem, count(DISTINCT group_id) AS n FROM problems WHERE group_id IS NOT NULL GROUP BY ALL)) AS groups,
       (SELECT coalesce(map(list(reason), list(n)), MAP {}) FROM
          (SELECT reason, count(*) AS n FROM problems WHERE reason IS NOT NULL GROUP BY ALL)) AS reasons`;
