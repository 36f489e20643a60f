// The DuckDB peer of `xjdedup scan` for bench/run.sh.
//
//   node peer.mjs INPUT.csv[.zst] OUTDIR --run-date YYYY-MM-DD [--threads N]
//
// Runs peer.sql (the same job in SQL) in an in-memory DuckDB and prints the
// wall time of the SQL. DuckDB's default thread count is the core count.
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const runDate = flag('--run-date');
const threads = flag('--threads');
if (args.length !== 2 || !runDate || !/^\d{4}-\d{2}-\d{2}$/.test(runDate)) {
  console.error('usage: node peer.mjs INPUT OUTDIR --run-date YYYY-MM-DD [--threads N]');
  process.exit(2);
}
const [input, outdir] = args.map((p) => resolve(p));
mkdirSync(outdir, { recursive: true });

// SPEC §3: full-width ASCII (U+FF01..U+FF5E) to ASCII
let fullwidth = '';
let ascii = '';
for (let c = 0x21; c <= 0x7e; c++) {
  fullwidth += String.fromCodePoint(0xff00 + c - 0x20);
  ascii += String.fromCodePoint(c);
}
const quote = (s) => s.replaceAll("'", "''");
const here = dirname(fileURLToPath(import.meta.url));
const sql = readFileSync(join(here, 'peer.sql'), 'utf8')
  .replaceAll('{{INPUT}}', quote(input))
  .replaceAll('{{OUT}}', quote(outdir))
  .replaceAll('{{RUN_DATE}}', runDate)
  .replaceAll('{{FULLWIDTH}}', quote(fullwidth))
  .replaceAll('{{ASCII}}', quote(ascii));

const start = process.hrtime.bigint();
const db = await DuckDBInstance.create(':memory:', threads ? { threads: String(threads) } : {});
const con = await db.connect();
// statements one by one, so an error names the one that failed
const statements = sql.split(/;\s*\n/).map((s) => s.replace(/^\s*--.*$/gm, '').trim()).filter(Boolean);
for (const s of statements) {
  try {
    await con.run(s);
  } catch (e) {
    console.error(`peer.mjs: ${e.message}\nin: ${s.slice(0, 200)}`);
    process.exit(1);
  }
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`duckdb ${seconds.toFixed(2)} s`);
