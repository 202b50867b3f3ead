/**
 * Assessment throughput against the REAL catalog of this host.
 *
 *   node --import tsx bench/assessment.ts [--inventories 10000] [--rounds 5] [--seed 1]
 *
 * - Catalog: the host's apt lists (`apt-get indextargets` names the Packages files and their
 *   repository, distribution, component and architecture; `apt-helper cat-file` decompresses
 *   them; the project's Packages and Release parsers read them).
 * - Inventories: the host's installed packages (`dpkg-query`) and apt sources, copied
 *   `--inventories` times; in each copy a random share of the packages is set back to an older
 *   version (an older one seen in the catalog, else the installed version with `~` appended,
 *   which dpkg orders just below it). Seeded PRNG, so every run assesses the same fleet.
 *   One machine in five lacks `bookworm-updates`, so two source sets are in play.
 * - First the host inventory itself is assessed and compared with `apt list --upgradable`.
 * - Throughput: one thread, after a warm-up, `--rounds` rounds over all inventories, median.
 *   Baselines measured in the same run: a loop doing only the catalog lookups of an assessment,
 *   and the wall time of one `apt list --upgradable` run.
 *
 * Prints a table and one JSON line (`{"bench":"assessment",...}`) for docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { assessInventory } from '../src/assess/assess-inventory.js';
import type { CatalogIndex, CatalogSnapshot } from '../src/catalog/catalog-snapshot.js';
import { CatalogView } from '../src/catalog/catalog-view.js';
import { parsePackagesIndex } from '../src/catalog/sources/apt-repo/packages-index.js';
import { parseReleaseFile } from '../src/catalog/sources/apt-repo/release-file.js';
import { readSystemAptSources } from '../src/catalog/sources/apt-repo/sources-list.js';
import type { AptSourceEntry } from '../src/catalog/sources/apt-repo/types.js';
import type { InstalledPackage, Inventory } from '../src/inventory/types.js';
import { compareDpkgVersions } from '../src/versions/dpkg.js';
import { seededRandom } from '../test/support/seeded-random.js';

const TARGET_PER_SECOND = 2_000;

const { values: args } = parseArgs({
  options: {
    inventories: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
  },
});
const INVENTORY_COUNT = Number(args.inventories);
const ROUNDS = Number(args.rounds);
const SEED = Number(args.seed);

function run(command: string, commandArgs: string[]): string {
  return execFileSync(command, commandArgs, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}


// ---------------------------------------------------------------------------------------------
// Catalog from the host's apt lists

/** The signed text of a clearsigned InRelease file (dash-escaping undone); a Release file as is. */
function signedText(text: string): string {
  if (!text.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) return text;
  const body = text.slice(text.indexOf('\n\n') + 2, text.indexOf('\n-----BEGIN PGP SIGNATURE-----'));
  return body.replace(/^- /gm, '');
}

function loadHostCatalog(): CatalogSnapshot {
  const targets = run('apt-get', [
    'indextargets',
    '--format',
    '$(IDENTIFIER)\t$(FILENAME)\t$(REPO_URI)\t$(RELEASE)\t$(COMPONENT)\t$(ARCHITECTURE)\t$(METAKEY)',
  ]);
  const indexes: CatalogIndex[] = [];
  for (const line of targets.split('\n')) {
    const [identifier, file, repoUri, dist, component, architecture, metaKey] = line.split('\t');
    if (identifier !== 'Packages' || !existsSync(file)) continue;
    // The lists directory names the Release files of a distribution with the same prefix.
    const prefix = file.slice(0, file.lastIndexOf(metaKey.replaceAll('/', '_')));
    const releaseFile = [`${prefix}InRelease`, `${prefix}Release`].find((f) => existsSync(f));
    if (releaseFile === undefined) continue;
    const release = parseReleaseFile(signedText(readFileSync(releaseFile, 'latin1'))).info;
    const data = execFileSync('/usr/lib/apt/apt-helper', ['cat-file', file], { maxBuffer: 1024 * 1024 * 1024 });
    indexes.push({
      id: indexes.length + 1,
      uri: repoUri.replace(/\/+$/, ''),
      dist,
      component,
      architecture,
      release: {
        origin: release.origin,
        label: release.label,
        suite: release.suite,
        codename: release.codename,
        notAutomatic: release.notAutomatic,
        butAutomaticUpgrades: release.butAutomaticUpgrades,
      },
      packages: parsePackagesIndex(data),
    });
  }
  return { definitionVersion: 'host-apt-lists', definitionDate: new Date().toISOString(), indexes };
}

// ---------------------------------------------------------------------------------------------
// Host inventory

async function loadHostInventory(): Promise<Inventory> {
  const listing = run('dpkg-query', [
    '-W',
    '-f',
    '${Package}\t${Architecture}\t${Version}\t${db:Status-Abbrev}\t${source:Package}\t${source:Version}\n',
  ]);
  const packages: InstalledPackage[] = [];
  for (const line of listing.split('\n')) {
    if (line === '') continue;
    const [name, architecture, version, status, sourceName, sourceVersion] = line.split('\t');
    const state = status.charAt(1);
    if (state === 'n' || state === 'c') continue;
    packages.push({ name, architecture, version, status, sourceName, sourceVersion });
  }
  const { entries } = await readSystemAptSources();
  const foreign = run('dpkg', ['--print-foreign-architectures']).split('\n').filter((a) => a !== '');
  const hostname = run('hostname', []).trim();
  return {
    schemaVersion: 1,
    collectedAt: new Date().toISOString(),
    collector: 'local',
    host: { hostname, fqdn: hostname, domain: '' },
    os: { family: 'debian', id: 'debian', idLike: [], versionId: '', versionCodename: '', prettyName: '' },
    kernel: { release: '', version: '', machine: '' },
    architecture: run('dpkg', ['--print-architecture']).trim(),
    foreignArchitectures: foreign,
    packages,
    aptSources: entries,
    reboot: { required: existsSync('/var/run/reboot-required'), packages: [] },
  };
}

// ---------------------------------------------------------------------------------------------
// apt's own answer

interface UpgradeLine {
  key: string;
  suites: string;
}

function aptListUpgradable(): { seconds: number; upgrades: UpgradeLine[] } {
  const started = performance.now();
  const out = execFileSync('apt', ['list', '--upgradable'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, LC_ALL: 'C' },
  });
  const seconds = (performance.now() - started) / 1000;
  const upgrades: UpgradeLine[] = [];
  // name/suite[,suite...] candidate arch [upgradable from: installed]
  const pattern = /^([^/\s]+)\/(\S+) (\S+) (\S+) \[upgradable from: ([^\]]+)\]$/;
  for (const line of out.split('\n')) {
    const m = pattern.exec(line);
    if (m === null) continue;
    const suites = [...new Set(m[2].split(','))].sort().join(',');
    upgrades.push({ key: `${m[1]}:${m[4]} ${m[5]} -> ${m[3]}`, suites });
  }
  return { seconds, upgrades };
}

function compareWithApt(host: Inventory, view: CatalogView, apt: UpgradeLine[]): { ok: boolean; count: number } {
  const ours: UpgradeLine[] = [];
  for (const patch of assessInventory(host, view).patches) {
    if (patch.state !== 'Missing') continue;
    for (const p of patch.packages) {
      ours.push({ key: `${p.name}:${p.architecture} ${p.installedVersion} -> ${p.candidateVersion}`, suites: p.suites.join(',') });
    }
  }
  const render = (lines: UpgradeLine[]): string[] => lines.map((l) => `${l.key} [${l.suites}]`).sort();
  const mine = render(ours);
  const theirs = render(apt);
  const missing = theirs.filter((l) => !mine.includes(l));
  const extra = mine.filter((l) => !theirs.includes(l));
  for (const l of missing) console.log(`  only in apt list: ${l}`);
  for (const l of extra) console.log(`  only in assessment: ${l}`);
  return { ok: missing.length === 0 && extra.length === 0, count: theirs.length };
}

// ---------------------------------------------------------------------------------------------
// Synthetic fleet

function buildFleet(host: Inventory, snapshot: CatalogSnapshot): Inventory[] {
  // Every version the catalog has of each (name, architecture), to pick older ones from.
  const seen = new Map<string, Set<string>>();
  for (const index of snapshot.indexes) {
    for (const r of index.packages) {
      const key = `${r.package}:${r.architecture}`;
      let versions = seen.get(key);
      if (versions === undefined) seen.set(key, (versions = new Set()));
      versions.add(r.version);
    }
  }
  const olderByPackage = host.packages.map((p) => {
    const versions = seen.get(`${p.name}:${p.architecture}`) ?? new Set<string>();
    return [...versions].filter((v) => compareDpkgVersions(v, p.version) < 0);
  });
  const withoutUpdates: AptSourceEntry[] = host.aptSources.filter((e) => !e.suite.endsWith('-updates'));

  const random = seededRandom(SEED);
  const fleet: Inventory[] = [];
  for (let n = 0; n < INVENTORY_COUNT; n++) {
    const share = 0.05 + random() * 0.25; // 5–30 % of the packages are behind
    const packages = host.packages.map((p, i): InstalledPackage => {
      if (random() >= share) return p; // unchanged packages are shared between machines
      const older = olderByPackage[i];
      const version = older.length > 0 && random() < 0.7 ? older[Math.floor(random() * older.length)] : `${p.version}~`;
      // Same property order as the host's objects: one object shape across the fleet.
      return { name: p.name, architecture: p.architecture, version, status: p.status, sourceName: p.sourceName, sourceVersion: p.sourceVersion };
    });
    const hostname = `bench-${String(n).padStart(5, '0')}`;
    fleet.push({
      ...host,
      host: { hostname, fqdn: `${hostname}.example.org`, domain: 'example.org' },
      packages,
      aptSources: random() < 0.2 ? withoutUpdates : host.aptSources,
    });
  }
  return fleet;
}

// ---------------------------------------------------------------------------------------------
// Measurements

function assessFleet(fleet: Inventory[], view: CatalogView): number {
  let findings = 0;
  for (const machine of fleet) findings += assessInventory(machine, view).patches.length;
  return findings;
}

/** Baseline: only what an assessment must at least do, the catalog lookup of every package. */
function lookUpFleet(fleet: Inventory[], view: CatalogView): number {
  let found = 0;
  for (const machine of fleet) {
    const availability = view.availabilityFor(machine.aptSources, {
      native: machine.architecture,
      foreign: machine.foreignArchitectures,
    });
    for (const p of machine.packages) found += availability.versionsOf(p.name, p.architecture)?.length ?? 0;
  }
  return found;
}

/**
 * Warm-up, then `ROUNDS` rounds of each workload, interleaved so that both see the same
 * background load on a shared machine. Returns inventories per second of every round.
 */
function measure(workloads: Record<string, () => number>): Record<string, number[]> {
  const names = Object.keys(workloads);
  const rates: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const name of names) {
    workloads[name](); // warm-up: JIT, source-set tables, remembered patch keys
    workloads[name]();
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of names) {
      const started = performance.now();
      workloads[name]();
      rates[name].push(INVENTORY_COUNT / ((performance.now() - started) / 1000));
    }
  }
  for (const name of names) console.log(`  ${name.padEnd(16)} ${rates[name].map((v) => Math.round(v)).join(', ')} /s`);
  return rates;
}

async function main(): Promise<void> {
  let started = performance.now();
  const snapshot = loadHostCatalog();
  const loadSeconds = (performance.now() - started) / 1000;
  const catalogRecords = snapshot.indexes.reduce((sum, i) => sum + i.packages.length, 0);
  const host = await loadHostInventory();

  started = performance.now();
  const view = new CatalogView(snapshot);
  const hostAvailability = view.availabilityFor(host.aptSources, { native: host.architecture, foreign: host.foreignArchitectures });
  const viewSeconds = (performance.now() - started) / 1000;

  console.log(
    `catalog: ${snapshot.indexes.length} indexes, ${catalogRecords} records (loaded in ${loadSeconds.toFixed(2)} s); ` +
      `host source set: ${hostAvailability.indexIds.length} indexes, ${hostAvailability.packageCount} packages (built in ${(viewSeconds * 1000).toFixed(0)} ms)`,
  );

  const aptRuns = [aptListUpgradable(), aptListUpgradable(), aptListUpgradable()];
  const agreement = compareWithApt(host, view, aptRuns[0].upgrades);
  console.log(`host: ${host.packages.length} packages; apt list --upgradable: ${agreement.count} upgradable; assessment agrees: ${agreement.ok ? 'yes' : 'NO'}`);

  const fleet = buildFleet(host, snapshot);
  const avgPackages = fleet.reduce((sum, m) => sum + m.packages.length, 0) / fleet.length;
  console.log(`fleet: ${fleet.length} inventories, ${avgPackages.toFixed(0)} packages each, seed ${SEED}; ${ROUNDS} interleaved rounds after warm-up`);

  const patchesPerInventory = assessFleet(fleet, view) / fleet.length;
  const rates = measure({
    assessInventory: () => assessFleet(fleet, view),
    'lookups only': () => lookUpFleet(fleet, view),
  });
  const assessRates = rates.assessInventory;
  const assessPerSecond = median(assessRates);
  const lookupPerSecond = median(rates['lookups only']);
  const aptSeconds = median(aptRuns.map((r) => r.seconds));
  const figures = {
    bench: 'assessment',
    date: new Date().toISOString(),
    node: process.version,
    inventories: fleet.length,
    packagesPerInventory: Math.round(avgPackages),
    patchesPerInventory: Number(patchesPerInventory.toFixed(1)),
    catalogIndexes: snapshot.indexes.length,
    catalogRecords,
    rounds: ROUNDS,
    assessmentsPerSecond: Math.round(assessPerSecond),
    assessmentsPerSecondMin: Math.round(Math.min(...assessRates)),
    assessmentsPerSecondMax: Math.round(Math.max(...assessRates)),
    lookupOnlyPerSecond: Math.round(lookupPerSecond),
    assessmentCostVsLookups: Number((lookupPerSecond / assessPerSecond).toFixed(2)),
    aptListUpgradableSeconds: Number(aptSeconds.toFixed(3)),
    assessmentsPerAptListRun: Math.round(assessPerSecond * aptSeconds),
    hostMatchesAptList: agreement.ok,
    targetPerSecond: TARGET_PER_SECOND,
    targetMet: assessPerSecond >= TARGET_PER_SECOND,
  };

  const rows: [string, string][] = [
    ['assessments/s (median)', `${figures.assessmentsPerSecond}  (min ${figures.assessmentsPerSecondMin}, max ${figures.assessmentsPerSecondMax})`],
    ['µs per assessment', (1e6 / assessPerSecond).toFixed(1)],
    ['lookup-only loop /s', `${figures.lookupOnlyPerSecond}  (assessment costs ${figures.assessmentCostVsLookups}× the lookups)`],
    ['apt list --upgradable', `${figures.aptListUpgradableSeconds} s per run  (= ${figures.assessmentsPerAptListRun} assessments)`],
    ['target', `${TARGET_PER_SECOND}/s: ${figures.targetMet ? 'met' : 'MISSED'}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('');
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  console.log(JSON.stringify(figures));
  if (!agreement.ok) process.exitCode = 1;
}

await main();
