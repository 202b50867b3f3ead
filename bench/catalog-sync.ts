/**
 * Catalog sync benchmark: a full sync of this host's apt sources from scratch (fresh store, no
 * validators) through the console's CatalogService — download, signature check, hash check,
 * decompression, parsing and storing — against `apt-get update` into an empty lists directory,
 * with the same sources, alternating in the same run. Target: ≤ 1.5× apt's wall time.
 *
 * Run as root on Debian: node --import tsx bench/catalog-sync.ts [--rounds 3] [--store sqlite|postgres]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { CatalogService } from '../src/catalog/catalog-service.js';
import { readSystemAptSources } from '../src/catalog/sources/apt-repo/sources-list.js';
import { createPostgresDatabase, testPostgresAdminUrl } from '../test/support/test-database.js';

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1] ?? 3) || 3;
const pgUrl = args.includes('--store') && args[args.indexOf('--store') + 1] === 'postgres' ? testPostgresAdminUrl() : undefined;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function aptUpdateSeconds(): number {
  const dir = mkdtempSync(join(tmpdir(), 'bench-apt-'));
  mkdirSync(join(dir, 'lists', 'partial'), { recursive: true });
  mkdirSync(join(dir, 'cache', 'archives', 'partial'), { recursive: true });
  const started = process.hrtime.bigint();
  const result = spawnSync('apt-get', ['update', '-qq', '-o', `Dir::State::Lists=${join(dir, 'lists')}`, '-o', `Dir::Cache=${join(dir, 'cache')}`], { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  rmSync(dir, { recursive: true, force: true });
  if (result.status !== 0) throw new Error(`apt-get update failed: ${result.stderr}`);
  return seconds;
}

async function catalogSyncSeconds(): Promise<{ seconds: number; packages: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-sync-'));
  const postgres = pgUrl ? await createPostgresDatabase(pgUrl, 'pw_bench_sync') : undefined;
  const databaseUrl = postgres?.url;
  const db = openDatabase({ dataDir, databaseUrl });
  await migrateToLatest(db);
  const sources = await readSystemAptSources('/');
  const arch = spawnSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).stdout.trim();
  const catalog = new CatalogService(db, pino({ level: 'silent' }));
  const started = process.hrtime.bigint();
  const report = await catalog.syncSources(sources.entries, [arch], { force: true });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await db.close();
  await postgres?.drop();
  rmSync(dataDir, { recursive: true, force: true });
  if (report.errors.length > 0) throw new Error(`sync errors: ${report.errors.join('; ')}`);
  return { seconds, packages: report.packagesStored };
}

if (process.getuid?.() !== 0) {
  console.error('bench/catalog-sync.ts needs root (apt-get update writes its lock files)');
  process.exit(2);
}
const apt: number[] = [];
const ours: number[] = [];
let packages = 0;
for (let round = 1; round <= rounds; round++) {
  apt.push(aptUpdateSeconds());
  const sync = await catalogSyncSeconds();
  ours.push(sync.seconds);
  packages = sync.packages;
  console.log(`round ${round}: apt-get update ${apt.at(-1)!.toFixed(2)} s, patchwarden sync ${sync.seconds.toFixed(2)} s (${sync.packages} package versions stored)`);
}
const ratio = median(ours) / median(apt);
console.log(`\nmedian of ${rounds}: apt-get update ${median(apt).toFixed(2)} s, patchwarden catalog sync ${median(ours).toFixed(2)} s → ${ratio.toFixed(2)}× apt (target ≤ 1.5×)`);
console.log(JSON.stringify({ bench: 'catalog-sync', store: pgUrl ? 'postgres' : 'sqlite', rounds, aptSeconds: apt, syncSeconds: ours, medianRatio: Number(ratio.toFixed(3)), packages }));
