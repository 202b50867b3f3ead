/**
 * Peak memory of importing a full-size Debian OSV dump.
 *
 *   node --import tsx bench/osv-import-memory.ts [--records 65000] [--store sqlite|postgres] [--seed 1] [--tsx]
 *
 * - Dump: a synthetic `all.zip` in the shape of osv.dev's Debian export, written by Python's
 *   zipfile (deflate): mostly DEBIAN-CVE records (one per CVE, an `affected` entry per release
 *   from buster to sid, `ecosystem_specific.urgency`, a `versions` list, details and
 *   references), plus DSA and DLA advisories. Sizes follow the real dump: several kB per record,
 *   hundreds of MB of JSON in total. Seeded, so every run imports the same dump.
 * - Import: `patchwarden advisories import osv <zip>` through the real CLI entry point in a child
 *   process, as installed: the sources are compiled first (`tsc -p tsconfig.build.json` into a
 *   temporary directory) and run with plain `node` (`--tsx` runs them through tsx instead, which
 *   adds the compiler's own memory), into a fresh store (SQLite file, or a fresh PostgreSQL database on
 *   PATCHWARDEN_TEST_PG_URL). Peak RSS is the child's VmHWM from /proc/<pid>/status, polled
 *   until it exits.
 * - Baseline in the same run: the same command importing an empty directory (the console code
 *   loaded, the store opened and migrated, nothing read), measured the same way. Then a second
 *   import of the same dump (everything unchanged) shows the incremental path, and a third, into
 *   a fresh store with V8's old space capped at 96 MiB, shows that the live data stays bounded
 *   (the uncapped runs' extra RSS is garbage V8 has not yet collected).
 *
 * Prints a table and one JSON line (`{"bench":"osv-import-memory",...}`). Target: peak < 300 MiB.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createPostgresDatabase, testPostgresAdminUrl } from '../test/support/test-database.js';

const TARGET_MIB = 300;
/** Old-space limit of the last run: far below the dump's size, so the import must stream. */
const CAPPED_HEAP_MIB = 96;
const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '65000' },
    store: { type: 'string', default: 'sqlite' },
    seed: { type: 'string', default: '1' },
    tsx: { type: 'boolean', default: false },
  },
});
const RECORDS = Number(args.records);
const STORE = args.store === 'postgres' ? 'postgres' : 'sqlite';
const REPO = new URL('..', import.meta.url).pathname;

/** Compiles the console into `dir` the way `npm run build` does; returns the argv prefix that runs its CLI. */
function buildCli(dir: string): string[] {
  if (args.tsx) return ['--import', 'tsx', join(REPO, 'src/cli/main.ts')];
  const app = join(dir, 'app');
  mkdirSync(app);
  copyFileSync(join(REPO, 'package.json'), join(app, 'package.json'));
  symlinkSync(join(REPO, 'node_modules'), join(app, 'node_modules'));
  const tsc = spawnSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', join(REPO, 'tsconfig.build.json'),
    '--outDir', join(app, 'dist'), '--declaration', 'false', '--sourceMap', 'false'], { encoding: 'utf8' });
  const main = join(app, 'dist/cli/main.js');
  if (!existsSync(main)) throw new Error(`building the console failed: ${tsc.stdout}${tsc.stderr}`);
  if (tsc.status !== 0) console.log(`(tsc reported type errors but emitted the console: ${tsc.stdout.split('\n')[0]})`);
  return [main];
}

/** Writes the dump with Python (streaming into the zip, one record at a time); returns its JSON byte total. */
function writeDump(path: string): number {
  const script = String.raw`
import json, random, sys, zipfile
path, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
releases = [('10', 'deb10u'), ('11', 'deb11u'), ('12', 'deb12u'), ('13', 'deb13u')]
words = 'buffer overflow use-after-free heap remote attacker crafted input denial service memory disclosure integer parser certificate validation'.split()
sources = ['pkg%04d' % i for i in range(6000)]
total = 0
def version(n):
    epoch = '1:' if n % 7 == 0 else ''
    return '%s%d.%d.%d' % (epoch, n % 9, n % 31, n % 17)
def text(n):
    return ' '.join(rnd.choice(words) for _ in range(n)).capitalize() + '.'
with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
    for i in range(count):
        src = rnd.choice(sources)
        n = rnd.randrange(100000)
        base = version(n)
        cve = 'CVE-%d-%d' % (2005 + i % 21, 10000 + i)
        kind = i % 20
        if kind < 17:
            rid = 'DEBIAN-' + cve
            affected = []
            for rel, tag in releases:
                events = [{'introduced': '0'}]
                if rnd.random() < 0.8:
                    events.append({'fixed': '%s-1+%s%d' % (base, tag, rnd.randrange(1, 9))})
                affected.append({
                    'package': {'ecosystem': 'Debian:' + rel, 'name': src, 'purl': 'pkg:deb/debian/%s?arch=source' % src},
                    'ranges': [{'type': 'ECOSYSTEM', 'events': events}],
                    'versions': ['%s-%d' % (base, k) for k in range(rnd.randrange(5, 40))],
                    'ecosystem_specific': {'urgency': rnd.choice(['low', 'medium', 'high', 'unimportant', 'not yet assigned'])},
                })
            record = {'id': rid, 'schema_version': '1.7.0', 'details': text(rnd.randrange(30, 160)), 'upstream': [cve],
                      'published': '2024-01-01T00:00:00Z', 'modified': '2026-0%d-1%dT00:00:00Z' % (1 + i % 9, i % 10),
                      'affected': affected,
                      'references': [{'type': 'ADVISORY', 'url': 'https://security-tracker.debian.org/tracker/' + cve}]
                                    + [{'type': 'WEB', 'url': 'https://example.org/%s/%d' % (src, k)} for k in range(rnd.randrange(2, 14))],
                      'severity': [{'type': 'CVSS_V3', 'score': 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'}]}
        else:
            prefix, rel, tag = ('DSA', '12', 'deb12u') if kind < 19 else ('DLA', '11', 'deb11u')
            rid = '%s-%d-1' % (prefix, 1000 + i)
            record = {'id': rid, 'summary': src + ' - security update', 'details': text(rnd.randrange(20, 80)),
                      'published': '2025-06-01T00:00:00Z', 'modified': '2025-06-02T00:00:00Z',
                      'related': ['CVE-%d-%d' % (2024, 20000 + i + k) for k in range(rnd.randrange(1, 8))],
                      'affected': [{'package': {'ecosystem': 'Debian:' + rel, 'name': src, 'purl': 'pkg:deb/debian/%s?arch=source' % src},
                                    'ranges': [{'type': 'ECOSYSTEM', 'events': [{'introduced': '0'}, {'fixed': '%s-1+%s%d' % (base, tag, 1)}]}]}],
                      'references': [{'type': 'ADVISORY', 'url': 'https://www.debian.org/security/2025/' + rid.lower()}]}
        data = json.dumps(record, indent=2).encode()
        total += len(data)
        z.writestr(rid + '.json', data)
print(total)
`;
  return Number(execFileSync('python3', ['-c', script, path, String(RECORDS), String(args.seed)], { encoding: 'utf8' }).trim());
}

interface ImportRun {
  peakMiB: number;
  seconds: number;
  stdout: string;
}

function vmHwmKiB(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the CLI import in a child process, polling its peak RSS until it exits. */
function runImport(cli: string[], location: string, dataDir: string, databaseUrl: string | undefined): Promise<ImportRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const argv = [...cli, 'advisories', 'import', 'osv', location, '--data-dir', dataDir, '--json'];
    if (databaseUrl) argv.push('--database-url', databaseUrl);
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    let peak = 0;
    const timer = setInterval(() => {
      const hwm = vmHwmKiB(child.pid!);
      if (hwm !== undefined && hwm > peak) peak = hwm;
    }, 20);
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code !== 0) reject(new Error(`import exited with ${code}: ${stderr}`));
      else resolve({ peakMiB: peak / 1024, seconds: (performance.now() - started) / 1000, stdout });
    });
  });
}

async function freshStore(work: string, name: string): Promise<{ dataDir: string; url?: string; drop(): Promise<void> }> {
  const dataDir = join(work, name);
  mkdirSync(dataDir);
  if (STORE !== 'postgres') return { dataDir, drop: async () => undefined };
  const database = await createPostgresDatabase(testPostgresAdminUrl(), 'pw_bench_osv');
  return { dataDir, url: database.url, drop: database.drop };
}

const work = mkdtempSync(join(tmpdir(), 'patchwarden-osv-bench-'));
try {
  const cli = buildCli(work);
  const zip = join(work, 'all.zip');
  const generated = performance.now();
  const jsonBytes = writeDump(zip);
  const zipBytes = statSync(zip).size;
  console.log(`dump: ${RECORDS.toLocaleString('en-US')} records, ${(jsonBytes / 2 ** 20).toFixed(0)} MiB of JSON, zip ${(zipBytes / 2 ** 20).toFixed(0)} MiB `
    + `(written in ${((performance.now() - generated) / 1000).toFixed(1)} s)`);

  const empty = join(work, 'empty');
  mkdirSync(empty);
  const baselineStore = await freshStore(work, 'baseline');
  const baseline = await runImport(cli, empty, baselineStore.dataDir, baselineStore.url);
  await baselineStore.drop();

  const store = await freshStore(work, 'import');
  const first = await runImport(cli, zip, store.dataDir, store.url);
  const again = await runImport(cli, zip, store.dataDir, store.url);
  await store.drop();
  // The same import with V8's old space capped: it only completes if the live data stays bounded.
  const cappedStore = await freshStore(work, 'capped');
  const capped = await runImport([`--max-old-space-size=${CAPPED_HEAP_MIB}`, ...cli], zip, cappedStore.dataDir, cappedStore.url);
  await cappedStore.drop();
  const summary = JSON.parse(first.stdout) as { read: number; added: number; fixesStored: number };
  const second = JSON.parse(again.stdout) as { unchanged: number; added: number };
  if (summary.added !== RECORDS || second.unchanged !== RECORDS || second.added !== 0) {
    throw new Error(`unexpected import counts: first ${first.stdout}, second ${again.stdout}`);
  }

  console.log(`\nstore: ${STORE}; console run ${args.tsx ? 'from sources through tsx' : 'compiled, with node'}`);
  console.log('| run | peak RSS | time |');
  console.log('|---|---|---|');
  console.log(`| baseline: same command, empty directory | ${baseline.peakMiB.toFixed(0)} MiB | ${baseline.seconds.toFixed(1)} s |`);
  console.log(`| full import (${summary.added.toLocaleString('en-US')} advisories, ${summary.fixesStored.toLocaleString('en-US')} fixes) | ${first.peakMiB.toFixed(0)} MiB | ${first.seconds.toFixed(1)} s |`);
  console.log(`| re-import, all unchanged | ${again.peakMiB.toFixed(0)} MiB | ${again.seconds.toFixed(1)} s |`);
  console.log(`| full import, node --max-old-space-size=${CAPPED_HEAP_MIB} | ${capped.peakMiB.toFixed(0)} MiB | ${capped.seconds.toFixed(1)} s |`);
  const verdict = first.peakMiB < TARGET_MIB ? 'met' : 'MISSED';
  console.log(`\npeak ${first.peakMiB.toFixed(0)} MiB (${(first.peakMiB - baseline.peakMiB).toFixed(0)} MiB above the baseline); target < ${TARGET_MIB} MiB: ${verdict}`);
  console.log(JSON.stringify({
    bench: 'osv-import-memory', store: STORE, runner: args.tsx ? 'tsx' : 'node', records: RECORDS, jsonMiB: Math.round(jsonBytes / 2 ** 20), zipMiB: Math.round(zipBytes / 2 ** 20),
    fixes: summary.fixesStored, baselinePeakMiB: Math.round(baseline.peakMiB), importPeakMiB: Math.round(first.peakMiB),
    importSeconds: Number(first.seconds.toFixed(1)), reimportPeakMiB: Math.round(again.peakMiB), reimportSeconds: Number(again.seconds.toFixed(1)),
    cappedHeapMiB: CAPPED_HEAP_MIB, cappedPeakMiB: Math.round(capped.peakMiB), cappedSeconds: Number(capped.seconds.toFixed(1)),
    targetMiB: TARGET_MIB,
  }));
} finally {
  rmSync(work, { recursive: true, force: true });
}
