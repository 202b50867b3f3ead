/**
 * `POST /pm/v2/patches` with QQL filters on a large fleet, through a real console on loopback.
 *
 *   node --import tsx bench/pm-patches-query.ts [--store sqlite|postgres] [--patches 100000]
 *     [--assets 10000] [--per-asset 150] [--requests 200] [--page-sizes 100,1000] [--seed 1]
 *     [--concurrency 1]
 *     [--server-cpu-prof DIR]
 *
 * - Store: a fresh SQLite file (or, with `--store postgres`, a fresh database on
 *   PATCHWARDEN_TEST_PG_URL, default postgres://patchwarden:patchwarden@127.0.0.1:5432/postgres),
 *   migrated and filled (PostgreSQL is also vacuumed and analysed, as autovacuum would; a SQLite
 *   store is tuned by the console itself when it starts); then a real console (`patchwarden
 *   serve`) is started on it in its own process, so the load generator does not share the
 *   server's event loop.
 * - Data (seeded PRNG, inserted directly): `--patches` catalog patches over 5,000 source packages
 *   (severity, security flag, 1–3 binary packages, 1–3 CVEs on security patches, published over
 *   three years); `--assets` scanned machines; about `--per-asset` `asset_patch_status` rows per
 *   machine drawn with a skew from the 6,000 newest patches (fleets share most of their patches),
 *   one in five Missing. Most catalog patches apply to no machine, as in a real catalog.
 * - Status counts: the bulk-loaded status is counted into `patch_status_counts` once, as scans
 *   would have kept it (src/scans/patch-status-counts.ts). The stored listing documents are built
 *   once too (src/scans/patch-listing-documents.ts), as a running console keeps them; the time
 *   to build them all is printed.
 * - Measured, for each page size (the SDK's default is 1,000): each representative query (one
 *   of them with `attributes`, as a client wanting only a few fields sends it) and the
 *   baseline — `GET /pm/v1/details`, a trivial JSON route of the same server and auth —
 *   interleaved in rounds: `--requests` requests per query per round after a warm-up of 50 each,
 *   bearer token from `POST /auth` as the SDK does. Reported: p50 / p99 latency and requests per
 *   second (keep-alive; one client, or `--concurrency` clients each sending its next request when
 *   its answer is in), and each query's share of the baseline's requests per second.
 * - Ceiling, for each page size: the no-query page's bytes answered as a constant from memory by
 *   bench/constant-answer-server.ts in its own process (no store, no auth, no building), timed
 *   in the same rounds: the most any listing of that size can reach on the machine, to read each
 *   query's share against.
 * - Targets: p99 < 50 ms and ≥ ¼ of the baseline's requests per second, for every query.
 *
 * `--server-cpu-prof DIR` writes a V8 CPU profile of the console process into DIR when it stops.
 * `--keep-store` leaves the filled store (SQLite data directory or PostgreSQL database) in place
 * and prints where it is, for EXPLAIN and in-process measurements.
 *
 * Prints a table and one JSON line (`{"bench":"pm-patches-query",...}`) for docs/benchmarks.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { v5 as uuidV5 } from 'uuid';
import { insertBatchSize, openDatabase, type PatchwardenDb } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { recountPatchStatus } from '../src/scans/patch-status-counts.js';
import { refreshPatchListingDocuments } from '../src/scans/patch-listing-documents.js';
import { PATCH_WIRE_DOCUMENT } from '../src/api/pm/patch-wire-document.js';
import { freePort } from '../test/support/free-port.js';
import { seededRandom } from '../test/support/seeded-random.js';
import { createPostgresDatabase, testPostgresAdminUrl } from '../test/support/test-database.js';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    patches: { type: 'string', default: '100000' },
    assets: { type: 'string', default: '10000' },
    'per-asset': { type: 'string', default: '150' },
    requests: { type: 'string', default: '200' },
    'page-sizes': { type: 'string', default: '100,1000' },
    seed: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '1' },
    'server-cpu-prof': { type: 'string' },
    'keep-store': { type: 'boolean', default: false },
  },
});
const STORE = args.store === 'postgres' ? 'postgres' : 'sqlite';
const PATCHES = Number(args.patches);
const ASSETS = Number(args.assets);
const PER_ASSET = Number(args['per-asset']);
const REQUESTS = Number(args.requests);
const PAGE_SIZES = args['page-sizes']!.split(',').map(Number);
const SEED = Number(args.seed);
const CONCURRENCY = Number(args.concurrency);
for (const [name, value, min] of [['--patches', PATCHES, 100], ['--assets', ASSETS, 1], ['--per-asset', PER_ASSET, 1], ['--requests', REQUESTS, 1], ['--concurrency', CONCURRENCY, 1]] as const) {
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number of at least ${min}`);
}
if (PAGE_SIZES.some((size) => !Number.isInteger(size) || size < 1)) throw new Error('--page-sizes must list whole numbers of at least 1');
const TARGET_P99_MS = 50;
const TARGET_THROUGHPUT_SHARE = 0.25;
const ADMIN_PASSWORD = 'bench password, loopback only';
const NAMESPACE = '7b1c31a4-52a8-4b8e-9d4f-1f0c7e3b2a11';


function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// ---------------------------------------------------------------------------------------------
// Store

const SEVERITIES = ['Critical', 'Important', 'Moderate', 'Low', 'None'];
const SEVERITY_WEIGHTS = [0.05, 0.15, 0.2, 0.2, 0.4];
const SOURCES = 5_000;
const NOW = Date.UTC(2026, 10, 1);
const YEAR_MS = 365 * 86_400_000;

function pickWeighted(random: () => number, weights: number[]): number {
  let r = random();
  for (let i = 0; i < weights.length; i++) {
    if (r < weights[i]) return i;
    r -= weights[i];
  }
  return weights.length - 1;
}

async function insertRows<T extends Record<string, unknown>>(db: PatchwardenDb, table: string, rows: T[]): Promise<void> {
  if (rows.length === 0) return;
  const batch = insertBatchSize(Object.keys(rows[0]).length);
  await db.kysely.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += batch) {
      await trx.insertInto(table as 'patches').values(rows.slice(i, i + batch) as never).execute();
    }
  });
}

/** Fills the store; returns the sample values the queries use. */
async function fillStore(db: PatchwardenDb): Promise<{ sampleCve: string; sampleHost: string; sampleSource: string }> {
  const random = seededRandom(SEED);
  const patchIds: string[] = [];
  const patches: Record<string, unknown>[] = [];
  const cves: Array<{ patch_id: string; cve: string }> = [];
  for (let i = 0; i < PATCHES; i++) {
    const source = `src${String(i % SOURCES).padStart(4, '0')}`;
    const version = `${1 + Math.floor(i / SOURCES)}.${i % 7}-1`;
    const id = uuidV5(`bookworm/${source}/${version}`, NAMESPACE);
    patchIds.push(id);
    const severity = SEVERITIES[pickWeighted(random, SEVERITY_WEIGHTS)];
    const isSecurity = severity !== 'None' && random() < 0.8;
    const archs = random() < 0.3 ? ['amd64', 'i386'] : ['amd64'];
    const packageCount = 1 + Math.floor(random() * 3);
    const packages = archs.flatMap((architecture) => Array.from({ length: packageCount }, (_, k) => ({ packageName: `${source}-bin${k}`, architecture })));
    // Patch i is older than patch i + SOURCES: versions of a source follow each other in time.
    const published = NOW - YEAR_MS * 3 + Math.floor((i / PATCHES) * YEAR_MS * 3);
    patches.push({
      id, title: `${source} ${version} ${isSecurity ? 'security update' : 'update'} for bookworm`, bulletin: `DEB-bookworm-${source}-${version}`,
      kb: `${source}_${version}`, vendor: 'Debian', platform: 'Linux', patch_type: isSecurity ? 'SecurityPatch' : 'NonSecurityPatch',
      is_security: isSecurity ? 1 : 0, vendor_severity: severity, release: 'bookworm', source_name: source, source_version: version,
      architectures: JSON.stringify(archs), package_details: JSON.stringify(packages), reboot_required: source.endsWith('7') ? 1 : 0,
      published_ms: published, modified_ms: published + 86_400_000,
    });
    if (isSecurity) {
      const n = 1 + Math.floor(random() * 3);
      for (let k = 0; k < n; k++) cves.push({ patch_id: id, cve: `CVE-${2023 + (i % 3)}-${String(i * 3 + k).padStart(5, '0')}` });
    }
  }
  await insertRows(db, 'patches', patches);
  await insertRows(db, 'patch_cves', cves);

  const scannedAt = new Date(NOW).toISOString();
  const machines = Array.from({ length: ASSETS }, (_, i) => ({
    name: `host-${String(i + 1).padStart(5, '0')}`, created_at: scannedAt, asset_uuid: uuidV5(`asset/${i}`, NAMESPACE),
    os_name: 'Debian GNU/Linux 12 (bookworm)', os_identifier: 'debian:12', architecture: 'amd64',
    last_scanned_at: new Date(NOW - Math.floor(random() * 30) * 86_400_000).toISOString(),
  }));
  await insertRows(db, 'machines', machines);
  const machineIds = (await db.kysely.selectFrom('machines').select('id').orderBy('id').execute()).map((m) => m.id);
  // Each machine has patches from the newest 6,000, skewed toward the newest (squared uniform).
  const pool = patchIds.slice(-6_000);
  let statusRows: Array<Record<string, unknown>> = [];
  let statusCount = 0;
  for (const machineId of machineIds) {
    const chosen = new Set<string>();
    const count = Math.max(1, Math.round(PER_ASSET * (0.5 + random())));
    while (chosen.size < count) chosen.add(pool[pool.length - 1 - Math.floor(random() * random() * pool.length)]);
    for (const patchId of chosen) {
      statusRows.push({ machine_id: machineId, patch_id: patchId, state: random() < 0.2 ? 'Missing' : 'Installed', scan_id: 'bench', updated_at: scannedAt });
    }
    if (statusRows.length >= 100_000) {
      await insertRows(db, 'asset_patch_status', statusRows);
      statusCount += statusRows.length;
      statusRows = [];
    }
  }
  await insertRows(db, 'asset_patch_status', statusRows);
  statusCount += statusRows.length;
  console.log(`store: ${PATCHES.toLocaleString('en-US')} patches, ${cves.length.toLocaleString('en-US')} CVE rows, ${ASSETS.toLocaleString('en-US')} assets, ${statusCount.toLocaleString('en-US')} asset_patch_status rows`);
  return { sampleCve: cves[Math.floor(cves.length * 0.9)].cve, sampleHost: machines[Math.min(42, machines.length - 1)].name, sampleSource: 'src0042' };
}

// ---------------------------------------------------------------------------------------------
// Load

interface Probe {
  label: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** Another server's URL (the constant answer's); the console's when absent. */
  url?: string;
}

interface ProbeRun {
  latencies: number[];
  seconds: number;
  records: number;
  /** The first answer's text. */
  firstBody: string;
}

async function timeRequests(url: string, token: string, probe: Probe, count: number, concurrency: number): Promise<ProbeRun> {
  const latencies: number[] = [];
  let records = 0;
  let firstBody = '';
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  const body = probe.body === undefined ? undefined : JSON.stringify(probe.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  let next = 0;
  // `concurrency` clients, each sending its next request when its answer is in, until `count` are sent.
  const client = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      const response = await fetch((probe.url ?? url) + probe.path, { method: probe.method, headers, body });
      const text = await response.text();
      latencies.push(performance.now() - t0);
      if (response.status !== 200) throw new Error(`${probe.label}: ${response.status} ${text.slice(0, 300)}`);
      if (i === 0) {
        firstBody = text;
        if (text.startsWith('[')) records = (JSON.parse(text) as unknown[]).length;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, client));
  return { latencies, seconds: (performance.now() - started) / 1000, records, firstBody };
}

/** Starts a Node process of this bench and resolves with the URL it prints once it listens. */
async function startListening(args: string[], env: NodeJS.ProcessEnv, listening: RegExp): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = listening.exec(output);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before listening: ${output}`)));
  });
  child.stdout!.resume();
  return { url, child };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Starts `patchwarden serve` on the store; resolves with its URL once it listens. */
async function startServer(dataDir: string, databaseUrl: string | undefined): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const cli = new URL('../src/cli/main.ts', import.meta.url).pathname;
  const profile = args['server-cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', args['server-cpu-prof']] : [];
  return startListening([...profile, '--import', 'tsx', cli, 'serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--log-level', 'error',
    ...(databaseUrl ? ['--database-url', databaseUrl] : [])], { ...process.env, PATCHWARDEN_ADMIN_PASSWORD: ADMIN_PASSWORD }, /is listening on (\S+)/);
}

/**
 * Starts bench/constant-answer-server.ts with `body` as its one answer: the ceiling of a listing
 * of that size (a constant from memory, no store, no auth), measured beside the console.
 */
async function startConstantAnswer(dataDir: string, name: string, body: string): Promise<{ url: string; child: ChildProcess }> {
  const file = join(dataDir, name);
  writeFileSync(file, body);
  const script = new URL('./constant-answer-server.ts', import.meta.url).pathname;
  return startListening(['--import', 'tsx', script, file], process.env, /listening on (\S+)/);
}

const dataDir = mkdtempSync(join(tmpdir(), 'bench-pm-'));
const postgres = STORE === 'postgres' ? await createPostgresDatabase(testPostgresAdminUrl(), 'pw_bench_pm') : undefined;
let server: { url: string; child: ChildProcess } | undefined;
let constantAnswer: { url: string; child: ChildProcess } | undefined;
// Interrupted: stop the console and remove the store too.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server?.child.kill('SIGTERM');
    constantAnswer?.child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
    void (postgres?.drop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}
try {
  const fillStarted = performance.now();
  const db = openDatabase({ dataDir, databaseUrl: postgres?.url });
  let sample: Awaited<ReturnType<typeof fillStore>>;
  try {
    await migrateToLatest(db);
    sample = await fillStore(db);
    // Status rows were bulk-loaded, not folded in by scans: count them as the scans would have.
    await recountPatchStatus(db.kysely);
    // The listing documents a console keeps stored (it would build them at its start).
    const documentsStarted = performance.now();
    const { built } = await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT);
    console.log(`listing documents: ${built.toLocaleString('en-US')} built in ${((performance.now() - documentsStarted) / 1000).toFixed(1)} s`);
    // Fresh statistics, as a store that has lived a while has them. PostgreSQL: autovacuum's work
    // (and a visibility map), done at once. SQLite: left to the console, which tunes its store
    // when it starts (src/db/store-tuning.ts), as after a catalog sync.
    if (STORE === 'postgres') await sql`vacuum analyze patches, patch_cves, patch_qids, machines, asset_patch_status, patch_status_counts, patch_listing_documents`.execute(db.kysely);
  } finally {
    await db.close();
  }
  console.log(`filled in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s on ${STORE}`);
  server = await startServer(dataDir, postgres?.url);
  const running = { url: server.url };
  console.log(`console (own process) at ${running.url}\n`);

  const auth = await fetch(`${running.url}/auth`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'admin', password: ADMIN_PASSWORD, permissions: 'true', token: 'true' }),
  });
  if (auth.status !== 201) throw new Error(`POST /auth answered ${auth.status}`);
  const token = await auth.text();

  const patches = (pageSize: number, query: string, having?: string, attributes?: string): Probe => ({
    label: `${query ? `query=${query}` : '(no query)'}${having ? ` havingQuery=${having}` : ''}${attributes ? ` attributes=${attributes}` : ''}`,
    method: 'POST',
    path: `/pm/v2/patches?platform=Linux&pageSize=${pageSize}`,
    body: query || having || attributes
      ? { ...(query ? { query } : {}), ...(having ? { havingQuery: having } : {}), ...(attributes ? { attributes } : {}) }
      : undefined,
  });
  const baseline: Probe = { label: 'baseline GET /pm/v1/details', method: 'GET', path: '/pm/v1/details' };
  const rounds = 3;
  const pad = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));
  const report: Array<Record<string, unknown>> = [];
  let allMet = true;
  for (const pageSize of PAGE_SIZES) {
    const probes: Probe[] = [
      patches(pageSize, ''),
      patches(pageSize, 'vendorSeverity:Critical'),
      patches(pageSize, 'patchStatus:Missing and isSecurity:true'),
      patches(pageSize, 'vendorSeverity:[Critical,Important] and publishedDate>now-1y and isSuperseded:false'),
      patches(pageSize, `cve:\`${sample.sampleCve}\``),
      patches(pageSize, `appFamily:\`${sample.sampleSource}\` or title:"${sample.sampleSource}"`),
      patches(pageSize, 'missingCount>=10'),
      patches(pageSize, 'patchStatus:Missing', `name:\`${sample.sampleHost}\``),
      // A client asking only for the fields it uses (smaller answers, no CVE/QID lists).
      patches(pageSize, 'vendorSeverity:Critical', undefined, 'id,title,vendorSeverity,missingCount,installedCount'),
    ];
    const results = new Map<string, { latencies: number[]; seconds: number; records: number }>();
    const warmUps = new Map<string, ProbeRun>();
    for (const probe of [baseline, ...probes]) warmUps.set(probe.label, await timeRequests(running.url, token, probe, 50, CONCURRENCY));
    // The ceiling of a page this size: the no-query page's bytes, answered as a constant from
    // memory by a server of their own (same framework and client; no store, no auth).
    const pageBody = warmUps.get(probes[0].label)!.firstBody;
    constantAnswer = await startConstantAnswer(dataDir, `page-${pageSize}.json`, pageBody);
    const ceiling: Probe = {
      label: `ceiling: the no-query page (${Buffer.byteLength(pageBody).toLocaleString('en-US')} bytes), constant`, method: 'GET', path: '/page', url: constantAnswer.url,
    };
    try {
      await timeRequests(running.url, token, ceiling, 50, CONCURRENCY);
      for (let round = 0; round < rounds; round++) {
        for (const probe of [baseline, ceiling, ...probes]) {
          const run = await timeRequests(running.url, token, probe, REQUESTS, CONCURRENCY);
          const sum = results.get(probe.label) ?? { latencies: [], seconds: 0, records: run.records };
          sum.latencies.push(...run.latencies);
          sum.seconds += run.seconds;
          results.set(probe.label, sum);
        }
      }
    } finally {
      await stopProcess(constantAnswer.child);
      constantAnswer = undefined;
    }
    const summary = (label: string) => {
      const run = results.get(label)!;
      const sorted = [...run.latencies].sort((a, b) => a - b);
      return { label, records: run.records, p50: percentile(sorted, 50), p99: percentile(sorted, 99), rps: run.latencies.length / run.seconds };
    };
    const base = summary(baseline.label);
    const top = summary(ceiling.label);
    const rows = probes.map((probe) => summary(probe.label));
    console.log(`pageSize=${pageSize}`);
    console.log(`${pad('request', 78)} ${'records'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'req/s'.padStart(8)} ${'share'.padStart(6)}`);
    for (const row of [base, top, ...rows]) {
      const share = row.rps / base.rps;
      const ok = row === base || row === top || (row.p99 < TARGET_P99_MS && share >= TARGET_THROUGHPUT_SHARE);
      console.log(`${pad(row.label, 78)} ${String(row.records).padStart(7)} ${row.p50.toFixed(2).padStart(8)} ${row.p99.toFixed(2).padStart(8)} ${row.rps.toFixed(0).padStart(8)} ${share.toFixed(2).padStart(6)}${ok ? '' : '  MISSED'}`);
    }
    const met = rows.every((row) => row.p99 < TARGET_P99_MS && row.rps / base.rps >= TARGET_THROUGHPUT_SHARE);
    allMet &&= met;
    console.log(`targets at pageSize=${pageSize}: p99 < ${TARGET_P99_MS} ms and ≥ ${TARGET_THROUGHPUT_SHARE} × baseline req/s → ${met ? 'met' : 'MISSED'}\n`);
    report.push({
      pageSize, requests: REQUESTS * rounds, baseline: { p50: +base.p50.toFixed(2), p99: +base.p99.toFixed(2), rps: Math.round(base.rps) },
      ceiling: { bytes: Buffer.byteLength(pageBody), p50: +top.p50.toFixed(2), p99: +top.p99.toFixed(2), rps: Math.round(top.rps), share: +(top.rps / base.rps).toFixed(3) },
      queries: rows.map((row) => ({ label: row.label, records: row.records, p50: +row.p50.toFixed(2), p99: +row.p99.toFixed(2), rps: Math.round(row.rps), share: +(row.rps / base.rps).toFixed(3) })),
      targetsMet: met,
    });
  }
  console.log(JSON.stringify({ bench: 'pm-patches-query', store: STORE, patches: PATCHES, assets: ASSETS, perAsset: PER_ASSET, concurrency: CONCURRENCY, runs: report, targetsMet: allMet }));
} finally {
  if (server) await stopProcess(server.child);
  if (args['keep-store']) {
    console.log(`store kept: ${postgres ? postgres.url.replace(/\/\/[^@]*@/, '//') : dataDir}`);
  } else {
    await postgres?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
