/**
 * An in-memory, read-only view of a {@link CatalogSnapshot} shaped for assessment.
 *
 * The question it answers is "for a machine with these apt sources and architectures, which
 * versions of binary package N (as apt sees package N) are available, and from which
 * indexes/releases?". Assessment asks this for every installed package of every machine, so
 * the view precomputes, per distinct *source set* (the catalog indexes one machine's apt
 * configuration reads, plus its native architecture), a merged table
 * `architecture → package name → versions, highest first`. A machine assessment then costs
 * one source-set resolution plus two map lookups per installed package.
 *
 * Package identity follows apt's cache, not the raw `Architecture:` field: apt files a package
 * of architecture `all` under the machine's native architecture, so `foo` (all) and
 * `foo` (amd64) on an amd64 machine are one package whose versions may change architecture
 * from one version to the next. A foreign-architecture package (`foo:i386`) only has versions
 * of that architecture.
 *
 * Release facts are reduced here to what apt's default pinning and patch typing need: the
 * default pin priority of the release (apt_preferences(5)) and its pocket (security, updates,
 * or the release itself).
 */
import { compareDpkgVersions, parseDpkgVersion } from '../versions/dpkg.js';
import type { CatalogIndex, CatalogReleaseFacts, CatalogSnapshot } from './catalog-snapshot.js';
import type { AptPackageRecord, AptSourceEntry } from './sources/apt-repo/types.js';
import { AdvisoryIndex } from './advisory-index.js';

/** Default priority of a release's versions when nothing else applies (apt_preferences(5)). */
export const DEFAULT_PIN_PRIORITY = 500;
/** Priority of a release with `NotAutomatic: yes` (e.g. Debian experimental). */
export const NOT_AUTOMATIC_PIN_PRIORITY = 1;
/** Priority of a release with `NotAutomatic: yes` and `ButAutomaticUpgrades: yes` (e.g. backports). */
export const BUT_AUTOMATIC_UPGRADES_PIN_PRIORITY = 100;
/** Priority apt gives the installed version through the dpkg status file. */
export const INSTALLED_VERSION_PIN_PRIORITY = 100;

/** Which part of a distribution an archive carries updates for. */
export type ReleasePocket = 'security' | 'updates' | 'release';

/** apt's default pin priority of every version in a release, from its Release flags. */
export function defaultPinPriority(release: CatalogReleaseFacts): number {
  if (!release.notAutomatic) return DEFAULT_PIN_PRIORITY;
  return release.butAutomaticUpgrades ? BUT_AUTOMATIC_UPGRADES_PIN_PRIORITY : NOT_AUTOMATIC_PIN_PRIORITY;
}

function isSecurityName(name: string): boolean {
  return name.endsWith('-security') || name.endsWith('/updates');
}

function isUpdatesName(name: string): boolean {
  return name.endsWith('-updates') && !name.endsWith('-proposed-updates');
}

/**
 * Classifies an archive: `security` when its `Suite:` or `Codename:` (or the configured
 * distribution, for the legacy `stretch/updates` layout) ends with `-security` or `/updates`,
 * `updates` for `-updates` suites (stable-updates, jammy-updates), `release` otherwise.
 */
export function releasePocket(release: CatalogReleaseFacts, dist: string): ReleasePocket {
  if (isSecurityName(release.suite) || isSecurityName(release.codename) || isSecurityName(dist)) {
    return 'security';
  }
  if (isUpdatesName(release.suite) || isUpdatesName(release.codename) || isUpdatesName(dist)) return 'updates';
  return 'release';
}

const POCKET_SUFFIXES = ['-security', '-proposed-updates', '-updates', '-proposed', '/updates'];

/**
 * The distribution release an archive belongs to, without its pocket: `bookworm` for the
 * `bookworm`, `bookworm-updates` and `bookworm-security` archives alike (so a fix keeps its
 * identity when it moves from the security archive into a point release). Uses `Codename:`,
 * else `Suite:`, else the configured distribution. Backports (`bookworm-backports`) stay a
 * release of their own.
 */
export function releaseNameOf(release: CatalogReleaseFacts, dist: string): string {
  let name = release.codename || release.suite || dist.replace(/\/+$/, '');
  for (const suffix of POCKET_SUFFIXES) {
    if (name.length > suffix.length && name.endsWith(suffix)) {
      name = name.slice(0, -suffix.length);
      break;
    }
  }
  return name;
}

/** One catalog index a version is available from, with its release facts resolved. */
export interface VersionOrigin {
  indexId: number;
  uri: string;
  dist: string;
  component: string;
  /** Architecture of the index (`binary-<arch>`). */
  architecture: string;
  /** Archive name (`Suite:`), falling back to the configured distribution. */
  suite: string;
  codename: string;
  /** Release without pocket, see {@link releaseNameOf}. */
  release: string;
  pocket: ReleasePocket;
  /** apt's default pin priority for this archive. */
  priority: number;
}

/** One version of one package (as apt sees packages) and everywhere it is available from. */
export interface AvailableVersion {
  version: string;
  /** The index record of {@link origin}; carries the source package identity. */
  record: AptPackageRecord;
  /**
   * The origin that names this version's release: highest pin priority first, then the
   * security pocket, then the updates pocket, then the lowest index id.
   */
  origin: VersionOrigin;
  /** All origins, in index id order. */
  origins: readonly VersionOrigin[];
  /** apt's pin priority of the version: the best priority among its origins. */
  priority: number;
  /** Distinct archive names (`Suite:`) the version is available from, sorted. */
  suites: readonly string[];
  /** Available from a security archive. */
  fromSecurity: boolean;
  /** Available from an updates archive (`-updates`). */
  fromUpdates: boolean;
}

/** A machine's dpkg architectures. */
export interface MachineArchitectures {
  /** `dpkg --print-architecture`. */
  native: string;
  /** `dpkg --print-foreign-architectures`. */
  foreign: readonly string[];
}

type VersionsByName = Map<string, AvailableVersion[]>;

/**
 * What one source set makes available: the merged, version-sorted tables for the catalog
 * indexes a machine reads. Shared by every machine with the same source set; read-only.
 */
export class SourceSetAvailability {
  /** Catalog index ids in this source set, ascending. */
  readonly indexIds: readonly number[];
  readonly nativeArchitecture: string;
  readonly #byArchitecture: Map<string, VersionsByName>;
  readonly #native: VersionsByName;

  /** @internal built by {@link CatalogView}. */
  constructor(indexIds: readonly number[], nativeArchitecture: string, byArchitecture: Map<string, VersionsByName>) {
    this.indexIds = indexIds;
    this.nativeArchitecture = nativeArchitecture;
    this.#byArchitecture = byArchitecture;
    let native = byArchitecture.get(nativeArchitecture);
    if (native === undefined) {
      native = new Map();
      byArchitecture.set(nativeArchitecture, native);
    }
    this.#native = native;
  }

  /**
   * Versions of the package apt knows as `name` for `architecture`, highest version first, or
   * undefined when none is available. `all` and the native architecture are the same package
   * (apt files `Architecture: all` under the native architecture), so either returns versions
   * of both.
   */
  versionsOf(name: string, architecture: string): readonly AvailableVersion[] | undefined {
    const byName =
      architecture === 'all' || architecture === this.nativeArchitecture
        ? this.#native
        : this.#byArchitecture.get(architecture);
    return byName === undefined ? undefined : byName.get(name);
  }

  /** Number of distinct packages (name, architecture as apt sees it) in the source set. */
  get packageCount(): number {
    let count = 0;
    for (const byName of this.#byArchitecture.values()) count += byName.size;
    return count;
  }
}

export interface CatalogViewOptions {
  /**
   * How many source sets to keep precomputed (least recently used are dropped first).
   * Default 64.
   */
  maxCachedSourceSets?: number;
}

/** Archive root without trailing slashes, as configured entries store it. */
function normaliseUri(uri: string): string {
  return uri.replace(/\/+$/, '');
}

/** Distributions compared without trailing slashes, so a flat `./` matches `.` too. */
function normaliseDist(dist: string): string {
  return dist.replace(/\/+$/, '');
}

function repositoryKey(uri: string, dist: string): string {
  return `${normaliseUri(uri)}\n${normaliseDist(dist)}`;
}

/** One matched index and the record architectures a machine takes from it. */
interface MatchedIndex {
  index: CatalogIndex;
  /** Only for flat repositories, whose single index mixes architectures; undefined = all records. */
  architectures?: Set<string>;
}

function byPreference(a: VersionOrigin, b: VersionOrigin): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  const pocketRank = (p: ReleasePocket): number => (p === 'security' ? 0 : p === 'updates' ? 1 : 2);
  const byPocket = pocketRank(a.pocket) - pocketRank(b.pocket);
  if (byPocket !== 0) return byPocket;
  return a.indexId - b.indexId;
}

interface VersionBuilder {
  version: string;
  records: AptPackageRecord[];
  origins: VersionOrigin[];
}

/**
 * Built once from a catalog snapshot; answers availability questions for any machine.
 * Pure: it never reads anything but the snapshot, and never changes it.
 */
export class CatalogView {
  readonly definitionVersion: string;
  readonly definitionDate: string;
  /** Advisories of the distribution releases in use; filled by the catalog service. */
  readonly advisories = new AdvisoryIndex();
  readonly #indexesByRepository = new Map<string, CatalogIndex[]>();
  readonly #origins = new Map<number, VersionOrigin>();
  readonly #sourceSets = new Map<string, SourceSetAvailability>();
  readonly #maxCachedSourceSets: number;
  /** Versions already checked against dpkg's syntax: true = valid. */
  readonly #versionValidity = new Map<string, boolean>();

  constructor(snapshot: CatalogSnapshot, options: CatalogViewOptions = {}) {
    this.definitionVersion = snapshot.definitionVersion;
    this.definitionDate = snapshot.definitionDate;
    this.#maxCachedSourceSets = Math.max(1, options.maxCachedSourceSets ?? 64);
    for (const index of snapshot.indexes) {
      const key = repositoryKey(index.uri, index.dist);
      let list = this.#indexesByRepository.get(key);
      if (list === undefined) {
        list = [];
        this.#indexesByRepository.set(key, list);
      }
      list.push(index);
      const release = index.release;
      this.#origins.set(index.id, {
        indexId: index.id,
        uri: index.uri,
        dist: index.dist,
        component: index.component,
        architecture: index.architecture,
        suite: release.suite || normaliseDist(index.dist),
        codename: release.codename,
        release: releaseNameOf(release, index.dist),
        pocket: releasePocket(release, index.dist),
        priority: defaultPinPriority(release),
      });
    }
  }

  /**
   * The catalog indexes a machine's apt configuration reads: enabled `deb` entries, same
   * archive URI (ignoring trailing slashes), distribution equal to the entry's suite, component
   * among the entry's components (flat repositories: no component), and index architecture
   * among the entry's architectures or, when it names none, the machine's native and foreign
   * architectures (`all` indexes match any). Sorted by index id, without duplicates.
   */
  matchIndexes(sources: readonly AptSourceEntry[], architectures: MachineArchitectures): CatalogIndex[] {
    return this.#match(sources, architectures).map((m) => m.index);
  }

  /**
   * What the machine's sources make available, precomputed per source set and cached: machines
   * with the same sources and native architecture share one table.
   */
  availabilityFor(sources: readonly AptSourceEntry[], architectures: MachineArchitectures): SourceSetAvailability {
    const matched = this.#match(sources, architectures);
    let key = architectures.native;
    for (const m of matched) {
      key += m.architectures === undefined ? `|${m.index.id}` : `|${m.index.id}[${[...m.architectures].sort().join(',')}]`;
    }
    const cached = this.#sourceSets.get(key);
    if (cached !== undefined) {
      // Keep recently used source sets at the end of the insertion order (LRU).
      if (this.#sourceSets.size > 1) {
        this.#sourceSets.delete(key);
        this.#sourceSets.set(key, cached);
      }
      return cached;
    }
    const built = this.#build(matched, architectures.native);
    this.#sourceSets.set(key, built);
    while (this.#sourceSets.size > this.#maxCachedSourceSets) {
      const oldest = this.#sourceSets.keys().next().value as string;
      this.#sourceSets.delete(oldest);
    }
    return built;
  }

  #match(sources: readonly AptSourceEntry[], architectures: MachineArchitectures): MatchedIndex[] {
    const machineArchitectures = [architectures.native, ...architectures.foreign];
    const found = new Map<number, MatchedIndex>();
    for (const entry of sources) {
      if (entry.type !== 'deb' || !entry.enabled) continue;
      const candidates = this.#indexesByRepository.get(repositoryKey(entry.uri, entry.suite));
      if (candidates === undefined) continue;
      const entryArchitectures = entry.architectures ?? machineArchitectures;
      if (entryArchitectures.length === 0) continue;
      const flat = entry.components.length === 0;
      for (const index of candidates) {
        if (flat) {
          if (index.component !== '') continue;
          // A flat repository has one index holding every architecture: filter its records.
          const previous = found.get(index.id);
          const allowed = previous?.architectures ?? new Set<string>();
          for (const arch of entryArchitectures) allowed.add(arch);
          found.set(index.id, { index, architectures: allowed });
          continue;
        }
        if (!entry.components.includes(index.component)) continue;
        if (index.architecture !== 'all' && !entryArchitectures.includes(index.architecture)) continue;
        if (!found.has(index.id)) found.set(index.id, { index });
      }
    }
    return [...found.values()].sort((a, b) => a.index.id - b.index.id);
  }

  #isValidVersion(version: string): boolean {
    let valid = this.#versionValidity.get(version);
    if (valid === undefined) {
      try {
        parseDpkgVersion(version);
        valid = true;
      } catch {
        valid = false;
      }
      this.#versionValidity.set(version, valid);
    }
    return valid;
  }

  #build(matched: readonly MatchedIndex[], native: string): SourceSetAvailability {
    const builders = new Map<string, Map<string, Map<string, VersionBuilder>>>();
    for (const { index, architectures } of matched) {
      const origin = this.#origins.get(index.id) as VersionOrigin;
      for (const record of index.packages) {
        const recordArch = record.architecture;
        if (architectures !== undefined && recordArch !== 'all' && !architectures.has(recordArch)) continue;
        if (!this.#isValidVersion(record.version)) continue;
        const arch = recordArch === 'all' ? native : recordArch;
        let byName = builders.get(arch);
        if (byName === undefined) {
          byName = new Map();
          builders.set(arch, byName);
        }
        let byVersion = byName.get(record.package);
        if (byVersion === undefined) {
          byVersion = new Map();
          byName.set(record.package, byVersion);
        }
        let builder = byVersion.get(record.version);
        if (builder === undefined) {
          builder = { version: record.version, records: [], origins: [] };
          byVersion.set(record.version, builder);
        }
        // `all` packages appear once per architecture index of a release: keep one origin per index.
        if (builder.origins.length === 0 || builder.origins[builder.origins.length - 1].indexId !== origin.indexId) {
          builder.records.push(record);
          builder.origins.push(origin);
        }
      }
    }

    const byArchitecture = new Map<string, VersionsByName>();
    for (const [arch, byName] of builders) {
      const table: VersionsByName = new Map();
      for (const [name, byVersion] of byName) {
        const versions: AvailableVersion[] = [];
        if (byVersion.size === 1) {
          for (const builder of byVersion.values()) versions.push(finishVersion(builder));
        } else {
          for (const builder of mergeEquivalentVersions([...byVersion.values()])) versions.push(finishVersion(builder));
        }
        table.set(name, versions);
      }
      byArchitecture.set(arch, table);
    }
    return new SourceSetAvailability(
      matched.map((m) => m.index.id),
      native,
      byArchitecture,
    );
  }
}

/**
 * Sorts version builders highest first and merges spellings dpkg orders as equal (`1.0` and
 * `1.0-0`, `0:1.0` and `1.0`) into the first one: apt would never upgrade from one to the
 * other, and afterwards every version in a list is strictly higher than the next.
 */
function mergeEquivalentVersions(builders: VersionBuilder[]): VersionBuilder[] {
  builders.sort((a, b) => compareDpkgVersions(b.version, a.version));
  const merged: VersionBuilder[] = [builders[0]];
  for (let i = 1; i < builders.length; i++) {
    const previous = merged[merged.length - 1];
    const builder = builders[i];
    if (compareDpkgVersions(previous.version, builder.version) !== 0) {
      merged.push(builder);
      continue;
    }
    const pairs = previous.origins.map((origin, j) => ({ origin, record: previous.records[j] }));
    for (let j = 0; j < builder.origins.length; j++) {
      if (!pairs.some((p) => p.origin.indexId === builder.origins[j].indexId)) {
        pairs.push({ origin: builder.origins[j], record: builder.records[j] });
      }
    }
    pairs.sort((a, b) => a.origin.indexId - b.origin.indexId);
    previous.origins = pairs.map((p) => p.origin);
    previous.records = pairs.map((p) => p.record);
  }
  return merged;
}

function finishVersion(builder: VersionBuilder): AvailableVersion {
  let best = 0;
  for (let i = 1; i < builder.origins.length; i++) {
    if (byPreference(builder.origins[i], builder.origins[best]) < 0) best = i;
  }
  const origin = builder.origins[best];
  const suites = [...new Set(builder.origins.map((o) => o.suite))].sort();
  return {
    version: builder.version,
    record: builder.records[best],
    origin,
    origins: builder.origins,
    priority: origin.priority,
    suites,
    fromSecurity: builder.origins.some((o) => o.pocket === 'security'),
    fromUpdates: builder.origins.some((o) => o.pocket === 'updates'),
  };
}
