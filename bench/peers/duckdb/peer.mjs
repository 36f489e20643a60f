#!/usr/bin/env node
// DuckDB peer of `xjdedup scan` (issue 4): the same job in DuckDB SQL, for the
// equality check (bench/compare_peer.py) and the benchmark (bench/run.sh).
//
//   node peer.mjs INPUT.csv[.zst] OUTDIR [--threads N] [--run-date YYYY-MM-DD] [--memory-limit SIZE]
//
// OUTDIR gets problems.csv (the engine's columns, rules §6), schools/ (one CSV
// per school, DuckDB's hive layout), summary.json (counts and step times).
// The SQL is in peer_sql.mjs; what differs from the engine is in README.md.
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import path from 'node:path';

import * as Q from './peer_sql.mjs';

const USAGE = 'usage: node peer.mjs INPUT.csv[.zst] OUTDIR [--threads N] [--run-date YYYY-MM-DD] [--memory-limit SIZE]';

// Header names per field, rules §2 (matched after trimming).
const HEADER_NAMES = {
  student_no: ['学籍号', 'student_no', '个人标识码', '学籍号码'],
  name: ['姓名', 'name'],
  sex: ['性别', 'sex'],
  birth_date: ['出生日期', 'birth_date'],
  id_type: ['身份证件类型', 'id_type', '证件类型'],
  id_number: ['身份证件号', 'id_number', '身份证号', '证件号码', '身份证件号码'],
  school_code: ['学校标识码', 'school_code', '学校代码', '学校识别码'],
  school_name: ['学校名称', 'school_name'],
  region_code: ['行政区划码', 'region_code', '所在地区划码', '区县代码'],
  registered_at: ['建籍日期', 'registered_at', '入学日期', '建籍时间'],
};

function fail(msg, code = 2) {
  process.stderr.write(`peer: ${msg}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const opt = { threads: null, runDate: new Date().toISOString().slice(0, 10), memoryLimit: null, pos: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : fail(`${a} needs a value\n${USAGE}`));
    if (a === '--threads' || a === '-t') opt.threads = value();
    else if (a === '--run-date') opt.runDate = value();
    else if (a === '--memory-limit') opt.memoryLimit = value();
    else if (a === '-h' || a === '--help') { process.stdout.write(`${USAGE}\n`); process.exit(0); }
    else if (a.startsWith('-')) fail(`unknown option ${a}\n${USAGE}`);
    else opt.pos.push(a);
  }
  if (opt.pos.length !== 2) fail(USAGE);
  if (opt.threads !== null && !/^[1-9][0-9]*$/.test(opt.threads)) fail('--threads wants a positive integer');
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(opt.runDate)) fail('--run-date wants YYYY-MM-DD');
  return opt;
}

// Maps fields to column positions; a field matched by two columns is an error.
function mapHeaders(headers) {
  const field = {};
  for (const [f, names] of Object.entries(HEADER_NAMES)) {
    const hits = headers.map((h, i) => [h.trim(), i]).filter(([h]) => names.includes(h));
    if (hits.length > 1) fail(`ambiguous header: columns '${headers[hits[0][1]]}' and '${headers[hits[1][1]]}' both name ${f}`);
    if (hits.length === 1) field[f] = hits[0][1];
  }
  for (const f of Q.REQUIRED)
    if (field[f] === undefined) fail(`missing required column ${f} (${HEADER_NAMES[f].join(' / ')})`);
  return field;
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  const [input, outdir] = opt.pos.map((p) => path.resolve(p));
  if (!fs.existsSync(input)) fail(`${input}: no such file`);
  if (fs.existsSync(outdir)) fail(`${outdir} exists; give a new directory`);
  // Written next to OUTDIR and renamed into place when complete, like the engine.
  const tmp = `${outdir}.tmp-${process.pid}`;
  fs.mkdirSync(tmp, { recursive: true });
  tmpDir = tmp;

  const config = { preserve_insertion_order: 'true' };
  if (opt.threads) config.threads = opt.threads;
  if (opt.memoryLimit) config.memory_limit = opt.memoryLimit;
  const db = await DuckDBInstance.create(':memory:', config);
  const con = await db.connect();
  await con.run(`SET temp_directory = ${Q.lit(path.join(tmp, '.duckdb_tmp'))}`);

  const timing = {};
  const t0 = performance.now();
  const step = async (name, sql) => {
    const t = performance.now();
    const r = await con.runAndReadAll(sql);
    timing[name] = +((performance.now() - t) / 1000).toFixed(3);
    return r;
  };

  for (const m of Q.MACROS) await con.run(m);

  // The header, as DuckDB's reader sees it (names only; every value is text).
  const desc = await step('header', `DESCRIBE SELECT * FROM read_csv(${Q.lit(input)}, header = true, all_varchar = true,
                                      delim = ',', quote = '"', escape = '"', normalize_names = false)`);
  const headers = desc.getRowObjects().map((r) => r.column_name);
  const field = mapHeaders(headers);

  const runDate = Number(opt.runDate.replaceAll('-', ''));
  await step('load', Q.loadStatement({ input, nColumns: headers.length }));
  await step('normalize', Q.readStatement({ field, runDate }));
  await step('group', Q.MEMBERS);
  await step('decide', Q.problemsStatement(path.basename(input)));
  await step('write_problems', Q.writeProblems(path.join(tmp, 'problems.csv'), headers));
  await step('write_schools', Q.writeSchools(path.join(tmp, 'schools'), headers));

  const c = (await con.runAndReadAll(Q.COUNTS)).getRowObjectsJson()[0];
  const asObject = (m) => Object.fromEntries((m || []).map(({ key, value }) => [key, Number(value)]));
  const summary = {
    peer: 'duckdb',
    duckdb_version: (await con.runAndReadAll('SELECT version() AS v')).getRowObjects()[0].v,
    run_date: opt.runDate,
    input: path.basename(input),
    threads: Number((await con.runAndReadAll("SELECT current_setting('threads') AS t")).getRowObjects()[0].t),
    rows: { read: Number(c.rows_read), accepted: Number(c.rows_read) - Number(c.rejected), rejected: Number(c.rejected) },
    unknown_id_types: Number(c.unknown_id_types),
    records: asObject(c.records),
    groups: asObject(c.groups),
    reasons: asObject(c.reasons),
    timing: { ...timing, wall_seconds: +((performance.now() - t0) / 1000).toFixed(3) },
  };
  con.closeSync();
  db.closeSync();
  fs.rmSync(path.join(tmp, '.duckdb_tmp'), { recursive: true, force: true });
  fs.writeFileSync(path.join(tmp, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  fs.renameSync(tmp, outdir);
  tmpDir = null;
  process.stderr.write(`peer: ${summary.rows.read} rows, ${JSON.stringify(summary.records)} in ${summary.timing.wall_seconds} s\n`);
}

let tmpDir = null; // removed when the run fails, so no half-written output is left
main().catch((e) => {
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  fail(e.stack || String(e), 3);
});
