/**
 * Helpers for the dpkg differential test: collect real version strings from the local apt
 * lists and dpkg database, build "interesting" pairs from them, and ask the real
 * `dpkg --compare-versions` for the order of many pairs in a few batched shell runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from './seeded-random.js';

export const APT_LISTS_DIR = '/var/lib/apt/lists';
export const APT_HELPER = '/usr/lib/apt/apt-helper';

export type DpkgOrder = 'lt' | 'eq' | 'gt';

export interface RealVersions {
  /** Distinct versions per binary package name, across all apt lists. */
  byPackage: Map<string, Set<string>>;
  /** Distinct versions (binary versions and the source version) per source package. */
  bySource: Map<string, Set<string>>;
  /** Binary version -> source version, when the Source field carries an explicit version. */
  binaryToSource: Array<[string, string]>;
  /** Installed package name -> installed version (from dpkg-query). */
  installed: Map<string, string>;
  /** Every distinct version seen, in first-seen order. */
  all: string[];
  /** Where the data came from, for the test log. */
  sources: string[];
}

function commandWorks(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

export function listPackagesFiles(): string[] {
  if (!existsSync(APT_LISTS_DIR)) return [];
  return readdirSync(APT_LISTS_DIR)
    .filter((name) => /_Packages(\.(lz4|gz|xz|bz2|zst|lzma))?$/.test(name))
    .sort()
    .map((name) => join(APT_LISTS_DIR, name));
}

/** Returns the reasons the differential test cannot run here (empty when it can). */
export function missingDependencies(): string[] {
  const missing: string[] = [];
  if (!commandWorks('dpkg', ['--version'])) missing.push('`dpkg` is not runnable');
  if (!commandWorks('sh', ['-c', 'exit 0'])) missing.push('`sh` is not runnable');
  const files = listPackagesFiles();
  if (files.length === 0) {
    missing.push(`no *_Packages* files in ${APT_LISTS_DIR} (run apt-get update)`);
  } else if (!existsSync(APT_HELPER) && !commandWorks('apt-cache', ['--version'])) {
    missing.push(`neither ${APT_HELPER} nor apt-cache is available to read the apt lists`);
  }
  return missing;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

/** Reads Package/Source/Version fields from every apt list (and the dpkg database). */
export function collectRealVersions(): RealVersions {
  const out: RealVersions = {
    byPackage: new Map(),
    bySource: new Map(),
    binaryToSource: [],
    installed: new Map(),
    all: [],
    sources: [],
  };
  const seen = new Set<string>();
  const note = (v: string): void => {
    if (!seen.has(v)) {
      seen.add(v);
      out.all.push(v);
    }
  };

  const ingest = (text: string): void => {
    // The grep keeps only these three fields; a Package line starts a new stanza.
    let pkg = '';
    let src = '';
    let srcVersion = '';
    let version = '';
    const flush = (): void => {
      if (pkg && version) {
        note(version);
        addTo(out.byPackage, pkg, version);
        const source = src || pkg;
        addTo(out.bySource, source, version);
        if (srcVersion) {
          note(srcVersion);
          addTo(out.bySource, source, srcVersion);
          if (srcVersion !== version) out.binaryToSource.push([version, srcVersion]);
        }
      }
      pkg = src = srcVersion = version = '';
    };
    for (const line of text.split('\n')) {
      if (line.startsWith('Package:')) {
        flush();
        pkg = line.slice(8).trim();
      } else if (line.startsWith('Source:')) {
        const m = /^Source:\s*(\S+)(?:\s*\(([^)]*)\))?/.exec(line);
        if (m) {
          src = m[1];
          srcVersion = (m[2] ?? '').trim();
        }
      } else if (line.startsWith('Version:')) {
        version = line.slice(8).trim();
      }
    }
    flush();
  };

  const fields = "grep -E '^(Package|Source|Version):'";
  if (existsSync(APT_HELPER)) {
    for (const file of listPackagesFiles()) {
      // apt-helper decompresses whatever format apt stored the list in (lz4, gz, xz, ...).
      ingest(run('sh', ['-c', `"$0" cat-file "$1" | ${fields}`, APT_HELPER, file]));
      out.sources.push(file);
    }
  } else {
    ingest(run('sh', ['-c', `apt-cache dumpavail | ${fields}`]));
    out.sources.push('apt-cache dumpavail');
  }

  if (commandWorks('dpkg-query', ['--version'])) {
    const text = run('dpkg-query', ['-W', '-f', '${Package}\\t${Version}\\n']);
    for (const line of text.split('\n')) {
      const [name, version] = line.split('\t');
      if (!name || !version) continue;
      // dpkg-query may print "name:arch" for multi-arch packages.
      const pkg = name.split(':')[0];
      out.installed.set(pkg, version);
      note(version);
    }
    out.sources.push('dpkg-query -W');
  }
  return out;
}


export interface PairSet {
  pairs: Array<[string, string]>;
  /** How many pairs each strategy contributed (after de-duplication). */
  counts: Record<string, number>;
}

/**
 * Builds about `target` pairs. Most are related versions (same package in different suites,
 * installed vs. available, binNMU vs. source, versions of one source package, lexicographic
 * neighbours sharing a prefix); a few are identical strings and a few are random.
 */
export function buildPairs(data: RealVersions, seed: number, target: number): PairSet {
  const rnd = seededRandom(seed);
  const pick = <T>(arr: readonly T[]): T => arr[Math.floor(rnd() * arr.length)];
  const pairs: Array<[string, string]> = [];
  const keys = new Set<string>();
  const counts: Record<string, number> = {};
  const add = (kind: string, a: string, b: string, limit: number): void => {
    if (pairs.length >= limit) return;
    const key = a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
    if (keys.has(key)) return;
    keys.add(key);
    // Random orientation so both argument orders get exercised.
    pairs.push(rnd() < 0.5 ? [a, b] : [b, a]);
    counts[kind] = (counts[kind] ?? 0) + 1;
  };

  const identicalQuota = Math.min(200, Math.floor(target * 0.02));
  const randomQuota = Math.floor(target * 0.08);
  // Budget for the related-version strategies; the rest goes to identical and random pairs.
  const related = target - identicalQuota - randomQuota;

  const somePairsOf = (kind: string, values: string[], cap: number): void => {
    const candidates: Array<[string, string]> = [];
    for (let i = 0; i < values.length; i++) {
      for (let j = i + 1; j < values.length; j++) candidates.push([values[i], values[j]]);
    }
    shuffle(candidates, rnd);
    for (const [a, b] of candidates.slice(0, cap)) add(kind, a, b, related);
  };

  // 1. Installed version vs. every archive version of the same package (the real use case).
  for (const [pkg, installedVersion] of data.installed) {
    for (const v of data.byPackage.get(pkg) ?? []) add('installed-vs-archive', installedVersion, v, related);
  }
  // 2. The same binary package in several suites (e.g. bookworm vs. bookworm-security).
  for (const versions of data.byPackage.values()) {
    if (versions.size > 1) somePairsOf('same-package', [...versions], 20);
  }
  // 3. binNMU / binary-only versions vs. their source version.
  for (const [binary, source] of data.binaryToSource) add('binary-vs-source', binary, source, related);
  // 4. Versions within one source package (e.g. 2:1.2-3 vs 1.2-3+b1 vs 4.5-1).
  const sourceGroups = [...data.bySource.values()].filter((s) => s.size > 1).map((s) => [...s]);
  shuffle(sourceGroups, rnd);
  for (const group of sourceGroups) somePairsOf('same-source', group, 6);
  // 5. Neighbours in plain string order: long shared prefixes, differing late.
  const sorted = [...data.all].sort();
  const neighbourIdx = sorted.slice(0, -1).map((_, i) => i);
  shuffle(neighbourIdx, rnd);
  for (const i of neighbourIdx) {
    add('shared-prefix', sorted[i], sorted[i + 1], related);
    if (i + 2 < sorted.length) add('shared-prefix', sorted[i], sorted[i + 2], related);
  }
  // 6. The same string twice.
  for (let n = 0; n < identicalQuota; n++) {
    const v = pick(data.all);
    add('identical', v, v, target);
  }
  // 7. Unrelated random pairs (and anything needed to reach the target).
  for (let guard = 0; pairs.length < target && guard < target * 20; guard++) {
    add('random', pick(data.all), pick(data.all), target);
  }
  return { pairs, counts };
}

function shuffle<T>(arr: T[], rnd: () => number): void {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = arr[i];
    arr[i] = arr[j];
    arr[j] = t;
  }
}

// One dpkg invocation per answer, looping in a single shell per shard. Exit status 0/1 is a
// yes/no answer; anything else (a syntax error) is reported as "err".
const BATCH_SCRIPT = `
while read -r a b; do
  dpkg --compare-versions "$a" lt "$b" 2>/dev/null
  r=$?
  if [ "$r" -eq 0 ]; then echo lt
  elif [ "$r" -ne 1 ]; then echo err
  else
    dpkg --compare-versions "$a" eq "$b" 2>/dev/null
    r=$?
    if [ "$r" -eq 0 ]; then echo eq
    elif [ "$r" -eq 1 ]; then echo gt
    else echo err
    fi
  fi
done < "$1"
`;

function runShard(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', BATCH_SCRIPT, 'dpkg-batch', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`dpkg batch shell exited with ${code}: ${Buffer.concat(err).toString('utf8')}`));
        return;
      }
      const text = Buffer.concat(out).toString('utf8');
      resolve(text.length === 0 ? [] : text.replace(/\n$/, '').split('\n'));
    });
  });
}

/**
 * Asks `dpkg --compare-versions` for the order of every pair, split over `shards` parallel
 * shells. Answers are in the same order as `pairs`; an unparsable answer is 'err'.
 */
export async function dpkgOrders(pairs: ReadonlyArray<readonly [string, string]>, shards: number): Promise<Array<DpkgOrder | 'err'>> {
  for (const [a, b] of pairs) {
    // The batch file is whitespace separated and dpkg would read a leading '-' as an option.
    if (/\s/.test(a + b) || a.startsWith('-') || b.startsWith('-')) {
      throw new Error(`pair cannot be passed through the batch file: ${JSON.stringify([a, b])}`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'dpkg-diff-'));
  try {
    const size = Math.ceil(pairs.length / shards);
    const jobs: Array<Promise<string[]>> = [];
    for (let s = 0; s < shards; s++) {
      const chunk = pairs.slice(s * size, (s + 1) * size);
      const file = join(dir, `pairs-${s}.txt`);
      writeFileSync(file, chunk.map(([a, b]) => `${a} ${b}\n`).join(''));
      jobs.push(runShard(file));
    }
    const answers = (await Promise.all(jobs)).flat();
    if (answers.length !== pairs.length) {
      throw new Error(`dpkg batch returned ${answers.length} answers for ${pairs.length} pairs`);
    }
    return answers.map((a) => (a === 'lt' || a === 'eq' || a === 'gt' ? a : 'err'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
