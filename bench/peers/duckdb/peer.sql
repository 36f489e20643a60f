-- The DuckDB peer of xjdedup scan (bench/run.sh): the same job in SQL.
-- Placeholders filled by peer.mjs: {{INPUT}}, {{OUT}}, {{RUN_DATE}} (YYYY-MM-DD).
-- SPEC §3 (normalization), §4 (ID validity), §5 (groups); the output is
-- what bench/compare_peer.py compares: problems.csv with
-- (problem, reason, group_key, line), and one CSV per school.

-- every column as text, in file order (rowid + 2 is the line: header is 1)
CREATE TABLE raw AS
SELECT * FROM read_csv('{{INPUT}}', header = true, all_varchar = true, quote = '"', escape = '"');

-- white space of SPEC §3: Unicode White_Space, U+3000 included
CREATE MACRO no_space(s) AS
  regexp_replace(s, '[\s\x{0085}\x{00A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]', '', 'g');
CREATE MACRO trimmed(s) AS
  regexp_replace(coalesce(s, ''), '^[\s\x{3000}]+|[\s\x{3000}]+$', '', 'g');
CREATE MACRO fullwidth_to_ascii(s) AS
  translate(s, '{{FULLWIDTH}}', '{{ASCII}}');
CREATE MACRO parse_sex(s) AS CASE trimmed(s)
  WHEN '1' THEN 1 WHEN 'M' THEN 1 WHEN 'm' THEN 1 WHEN '男' THEN 1
  WHEN '2' THEN 2 WHEN 'F' THEN 2 WHEN 'f' THEN 2 WHEN '女' THEN 2 END;
CREATE MACRO parse_date(s) AS CASE
  WHEN regexp_full_match(trimmed(s), '[0-9]{8}') THEN try_strptime(trimmed(s), '%Y%m%d')
  WHEN regexp_full_match(trimmed(s), '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}') THEN try_strptime(trimmed(s), '%Y-%m-%d')
  WHEN regexp_full_match(trimmed(s), '[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}') THEN try_strptime(trimmed(s), '%Y/%m/%d')
  END::DATE;
CREATE MACRO parse_type(s) AS CASE lower(trimmed(s))
  WHEN '' THEN '1' WHEN '1' THEN '1' WHEN '居民身份证' THEN '1' WHEN '身份证' THEN '1'
  WHEN '中华人民共和国居民身份证' THEN '1' WHEN '港澳台居民居住证' THEN '1' WHEN '港澳居民居住证' THEN '1'
  WHEN '台湾居民居住证' THEN '1'
  WHEN '6' THEN '6' WHEN '香港特区护照/身份证明' THEN '6' WHEN '香港特区护照' THEN '6' WHEN '香港特区身份证明' THEN '6'
  WHEN '7' THEN '7' WHEN '澳门特区护照/身份证明' THEN '7' WHEN '澳门特区护照' THEN '7' WHEN '澳门特区身份证明' THEN '7'
  WHEN '8' THEN '8' WHEN '台湾居民来往大陆通行证' THEN '8' WHEN '台胞证' THEN '8'
  WHEN '9' THEN '9' WHEN '境外永久居住证' THEN '9' WHEN '外国人永久居留身份证' THEN '9' WHEN '外国人永久居留证' THEN '9'
  WHEN 'a' THEN 'A' WHEN '护照' THEN 'A' WHEN 'passport' THEN 'A'
  WHEN 'z' THEN 'Z' WHEN '其他' THEN 'Z' WHEN '其它' THEN 'Z' WHEN 'other' THEN 'Z'
  ELSE '1' END;
CREATE MACRO is_province(p) AS
  regexp_full_match(p, '[0-9]{2}') AND (
    (p::INT BETWEEN 11 AND 15) OR (p::INT BETWEEN 21 AND 23) OR (p::INT BETWEEN 31 AND 37) OR
    (p::INT BETWEEN 41 AND 46) OR (p::INT BETWEEN 50 AND 54) OR (p::INT BETWEEN 61 AND 65));
-- ISO 7064 MOD 11-2 over 17 digits
CREATE MACRO check_char(d) AS substr('10X98765432', 1 + (
  list_sum(list_transform(range(17), i -> (ascii(substr(d, i + 1, 1)) - 48) *
    [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2][i + 1])) % 11)::INT, 1);
-- SPEC §3: a 15-digit ID gets '19' after the region and a check character
CREATE MACRO upgrade15(s) AS
  substr(s, 1, 6) || '19' || substr(s, 7, 9) || check_char(substr(s, 1, 6) || '19' || substr(s, 7, 9));
-- SPEC §3 names: NFKC is approximated by NFC (DuckDB has no NFKC), then white
-- space removed, middle-dot variants unified, Latin lower-cased
CREATE MACRO norm_name(s) AS
  lower(translate(no_space(nfc_normalize(coalesce(s, ''))), '•‧∙・･', '·····'));

CREATE TABLE rec AS
SELECT rowid + 2 AS line,
       "学校标识码" AS school,
       parse_sex("性别") AS sex,
       parse_date("出生日期") AS birth,
       parse_type("身份证件类型") AS id_type,
       replace(fullwidth_to_ascii(no_space(coalesce("身份证件号", ''))), 'x', 'X') AS num,
       "姓名" AS name
FROM raw;

-- rows the scan rejects (required field empty, sex or birth date not understood)
CREATE TABLE ok AS
SELECT * FROM rec
WHERE sex IS NOT NULL AND birth IS NOT NULL AND trimmed(school) <> '' AND trimmed(name) <> '';

CREATE TABLE checked AS
SELECT *,
  CASE
    WHEN num = '' THEN NULL
    WHEN id_type IN ('1', '9') AND regexp_full_match(num, '[0-9]{17}[0-9X]') THEN 'G' || num
    WHEN id_type = '1' AND regexp_full_match(num, '[0-9]{15}') THEN 'G' || upgrade15(num)
    ELSE id_type || ':' || num
  END AS id_key,
  CASE
    WHEN num = '' THEN CASE WHEN id_type = 'Z' THEN NULL ELSE 'missing' END
    WHEN id_type IN ('1', '9') AND regexp_full_match(num, '[0-9]{17}[0-9X]') THEN CASE
      WHEN id_type = '9' AND NOT (substr(num, 1, 1) = '9' AND is_province(substr(num, 2, 2))) THEN 'region'
      WHEN id_type = '1' AND NOT (substr(num, 1, 6) IN ('810000', '820000', '830000') OR is_province(substr(num, 1, 2)))
        THEN 'region'
      WHEN try_strptime(substr(num, 7, 8), '%Y%m%d') IS NULL
        OR try_strptime(substr(num, 7, 8), '%Y%m%d')::DATE NOT BETWEEN DATE '1900-01-01' AND DATE '{{RUN_DATE}}'
        THEN 'birthdate'
      WHEN check_char(substr(num, 1, 17)) <> substr(num, 18, 1) THEN 'checksum'
      WHEN try_strptime(substr(num, 7, 8), '%Y%m%d')::DATE <> birth THEN 'birthdate_mismatch'
      WHEN (CASE WHEN (ascii(substr(num, 17, 1)) - 48) % 2 = 1 THEN 1 ELSE 2 END) <> sex THEN 'sex_mismatch'
      END
    WHEN id_type = '1' AND regexp_full_match(num, '[0-9]{15}') THEN 'legacy15'
    WHEN id_type = '1' THEN 'format'
    WHEN id_type = '8' AND NOT regexp_full_match(num, '[0-9]{8}|[0-9]{10}') THEN 'format'
    WHEN id_type IN ('6', '7') AND NOT regexp_full_match(num, '[!-~]{5,20}') THEN 'format'
    WHEN id_type = 'A' AND NOT regexp_full_match(num, '[0-9A-Za-z]{5,20}') THEN 'format'
    WHEN id_type = '9' AND NOT regexp_full_match(num, '[A-Za-z]{3}[0-9]{12}') THEN 'format'
  END AS reason
FROM ok;

CREATE TABLE problems AS
SELECT 'id_duplicate' AS problem, '' AS reason, id_key AS group_key, line
FROM checked
WHERE id_key IN (SELECT id_key FROM checked WHERE id_key IS NOT NULL GROUP BY id_key HAVING count(*) >= 2)
UNION ALL
SELECT 'id_invalid', reason, '', line FROM checked WHERE reason IS NOT NULL
UNION ALL
SELECT 'attr_duplicate', '', k, line FROM (
  SELECT norm_name(name) || chr(0) || sex || chr(0) || strftime(birth, '%Y%m%d') AS k, line
  FROM checked WHERE num = '')
WHERE k IN (SELECT norm_name(name) || chr(0) || sex || chr(0) || strftime(birth, '%Y%m%d')
            FROM checked WHERE num = '' GROUP BY ALL HAVING count(*) >= 2);

COPY (SELECT problem, reason, group_key, line FROM problems ORDER BY line, problem)
TO '{{OUT}}/problems.csv' (FORMAT csv, HEADER true);

-- one file per school with the input's columns, as the scan writes them
COPY (
  SELECT p.problem, p.reason, p.line, raw.*
  FROM problems p JOIN (SELECT rowid + 2 AS line, * FROM raw) raw USING (line)
) TO '{{OUT}}/schools' (FORMAT csv, HEADER true, PARTITION_BY ("学校标识码"), OVERWRITE_OR_IGNORE true);
