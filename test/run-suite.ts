/**
 * Runs the whole test suite on the embedded SQLite store, then again on PostgreSQL.
 *
 * PostgreSQL: PATCHWARDEN_TEST_PG_URL (default postgres://patchwarden:patchwarden@127.0.0.1:5432/postgres,
 * what .ci/run sets up) must reach a server where that user may create databases. When it cannot
 * be reached the PostgreSQL pass is skipped with a loud notice, except under CI=true, where that
 * is a failure.
 *
 * Usage: npm test [-- test/unit/some.test.ts ...]
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describeTapFailures, tapFailures, type TapFailure } from './support/tap-failures.js';

const DEFAULT_PG_URL = 'postgres://patchwarden:patchwarden@127.0.0.1:5432/postgres';

function testFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...testFiles(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

async function postgresReachable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface PassTotals { pass: number; fail: number; skipped: number; todo: number; cancelled: number; failures: TapFailure[] }

function runPass(store: 'sqlite' | 'postgres', files: string[], extraEnv: Record<string, string>): Promise<PassTotals> {
  process.stdout.write(`\n=== test pass on ${store} (${files.length} files) ===\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', '--test-reporter-destination=stdout',
      '--test-reporter=tap', '--test-reporter-destination=' + `.test-results-${store}.tap`, ...files], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...extraEnv, PATCHWARDEN_TEST_STORE: store },
    });
    child.on('error', reject);
    child.on('exit', async (code) => {
      const { readFileSync, rmSync } = await import('node:fs');
      let tap = '';
      try {
        tap = readFileSync(`.test-results-${store}.tap`, 'utf8');
      } catch {
        // the runner died before writing results: counted as a failure below
      }
      rmSync(`.test-results-${store}.tap`, { force: true });
      const total = (key: string) => [...tap.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))]
        .reduce((sum, m) => sum + Number(m[1]), 0);
      const totals = {
        pass: total('pass'), fail: total('fail'), skipped: total('skipped'), todo: total('todo'), cancelled: total('cancelled'), failures: tapFailures(tap),
      };
      if (code !== 0 && totals.fail + totals.cancelled === 0) totals.fail = 1;
      resolve(totals);
    });
  });
}

const requested = process.argv.slice(2);
const files = requested.length > 0 ? requested : testFiles('test');
const sqlite = await runPass('sqlite', files, {});
const pgUrl = process.env.PATCHWARDEN_TEST_PG_URL || DEFAULT_PG_URL;
const unreachable = await postgresReachable(pgUrl);
let postgres: PassTotals | undefined;
let pgProblem = 0;
if (unreachable) {
  const banner = `PostgreSQL pass NOT RUN: cannot reach ${pgUrl.replace(/:[^:@/]*@/, ':***@')} (${unreachable}). `
    + 'Set PATCHWARDEN_TEST_PG_URL, or run bash .ci/run, which installs and starts PostgreSQL.';
  process.stdout.write(`\n${'!'.repeat(100)}\n${banner}\n${'!'.repeat(100)}\n`);
  if (process.env.CI === 'true') pgProblem = 1;
} else {
  postgres = await runPass('postgres', files, { PATCHWARDEN_TEST_PG_URL: pgUrl });
}
const passes = [sqlite, postgres].filter((p): p is PassTotals => p !== undefined);
const sum = (key: Exclude<keyof PassTotals, 'failures'>) => passes.reduce((n, p) => n + p[key], 0);
const failed = sum('fail') + sum('cancelled') + pgProblem;
// The failures again, last: on a long run they are otherwise far above the end of the output.
for (const [store, pass] of [['sqlite', sqlite], ['postgres', postgres]] as const) {
  if (pass && pass.failures.length > 0) process.stdout.write(`\n=== failed on ${store} ===\n${describeTapFailures(pass.failures, process.cwd())}\n`);
}
process.stdout.write(`\nsqlite: ${sqlite.pass} passed, ${sqlite.fail + sqlite.cancelled} failed, ${sqlite.skipped} skipped\n`);
if (postgres) process.stdout.write(`postgres: ${postgres.pass} passed, ${postgres.fail + postgres.cancelled} failed, ${postgres.skipped} skipped\n`);
process.stdout.write(`${sum('pass')} passed, ${failed} failed, ${sum('skipped')} skipped\n`);
process.exitCode = failed > 0 || sum('pass') === 0 ? 1 : 0;
