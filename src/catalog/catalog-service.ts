import type { Logger } from 'pino';
import type { PatchwardenDb } from '../db/database.js';
import type { Inventory } from '../inventory/types.js';
import type { AptSourceEntry } from './sources/apt-repo/types.js';
import { aptDistributionKey as releaseKey, syncAptRepositories, type AptReleaseValidators, type AptSyncOutcome } from './sources/apt-repo/repository-sync.js';
import { CatalogView } from './catalog-view.js';
import { advisoryReleaseOfInventory, releaseKeyOf, versionSchemeOf } from './advisory.js';
import { loadAdvisoryFixes, type AdvisoryRelease } from './advisory-store.js';
import { withMachineKeyrings } from './sources/apt-repo/machine-keyrings.js';
import { patchEntriesFromSnapshot, upsertPatches } from './patch-catalog.js';
import { tuneStoreQuietly } from '../db/store-tuning.js';
import {
  loadCatalogSnapshot, readCatalogDefinition, readReleaseValidators, storeChangedReleases, touchReleases,
  type CatalogDefinition, type ChangedRelease,
} from './catalog-store.js';

export interface CatalogSyncReport {
  /** Distributions whose metadata changed and was stored. */
  changed: string[];
  /** Distributions checked and found unchanged, or checked recently enough to skip. */
  unchanged: string[];
  /** One clear message per distribution that could not be synced. */
  errors: string[];
  /** True when at least one of the requested distributions has data in the catalog. */
  anyIndexAvailable: boolean;
  definition: CatalogDefinition;
  /** Packages stored by this sync. */
  packagesStored: number;
}

export interface CatalogServiceOptions {
  /** A distribution checked less than this long ago is not checked again (default 60 s). */
  recheckAfterMs?: number;
  /**
   * A distribution whose mirror could not be reached or answered with an HTTP error is not tried
   * again for this long (default 5 minutes), unless a sync is forced: the machines scanned
   * meanwhile are assessed against the catalog already stored, with the failure as a warning,
   * instead of each waiting for the same mirror again.
   */
  retryFailedAfterMs?: number;
  /** Extra keyrings trusted for sources that name none (default: apt's trusted keyrings). */
  systemKeyrings?: string[];
  /** Progress of a sync, for the CLI. */
  onProgress?: (message: string) => void;
}

/**
 * The catalog: synced from apt repositories, stored in the database, and served to the
 * assessment engine as an in-memory view that is rebuilt only when the definition changes.
 */
export class CatalogService {
  private syncChain: Promise<unknown> = Promise.resolve();
  private cachedView?: CatalogView;
  private viewLoading?: Promise<CatalogView>;
  /** Distribution releases whose advisories views load: those of scanned machines. */
  private readonly advisoryReleases = new Map<string, AdvisoryRelease>();
  private advisoriesLoading?: Promise<void>;
  /** The last failure of each distribution whose mirror failed it (see retryFailedAfterMs). */
  private readonly mirrorFailures = new Map<string, { atMs: number; message: string }>();

  constructor(private readonly db: PatchwardenDb, private readonly log: Logger, private readonly options: CatalogServiceOptions = {}) {}

  /**
   * Syncs the repositories an inventory uses, for its architectures. A remote machine's sources
   * are verified with the keyrings copied from that machine (see machine-keyrings.ts), never
   * with files of the same path on the console's host.
   */
  async syncForInventory(inventory: Inventory): Promise<CatalogSyncReport> {
    this.noteAdvisoryRelease(inventory);
    const architectures = [inventory.architecture, ...inventory.foreignArchitectures];
    if (inventory.aptKeyrings === undefined) return this.syncSources(inventory.aptSources, architectures);
    const keyed = await withMachineKeyrings(inventory.aptSources, inventory.aptKeyrings);
    const report = await this.syncSources(keyed.entries, architectures);
    return { ...report, errors: [...keyed.errors, ...report.errors] };
  }

  /**
   * Brings the given sources up to date. Syncs run one at a time (a second caller waits and
   * then usually finds everything fresh); conditional requests make unchanged data cheap.
   */
  syncSources(entries: AptSourceEntry[], architectures: string[], options: { force?: boolean } = {}): Promise<CatalogSyncReport> {
    const run = this.syncChain.then(() => this.runSync(entries, architectures, options.force ?? false));
    this.syncChain = run.catch(() => undefined);
    return run;
  }

  private async runSync(entries: AptSourceEntry[], architectures: string[], force: boolean): Promise<CatalogSyncReport> {
    const wanted = entries.filter((e) => e.enabled && e.type === 'deb');
    const validators = await readReleaseValidators(this.db);
    const recheckAfter = this.options.recheckAfterMs ?? 60_000;
    const now = Date.now();
    const fresh = new Set<string>();
    if (!force) {
      for (const entry of wanted) {
        const known = validators.get(releaseKey(entry.uri, entry.suite));
        if (known && now - Date.parse(known.syncedAt) < recheckAfter) fresh.add(releaseKey(entry.uri, entry.suite));
      }
    }
    const held = force ? new Map<string, string>() : this.heldBackByMirrorFailures(wanted, now);
    const toCheck = wanted.filter((e) => !fresh.has(releaseKey(e.uri, e.suite)) && !held.has(releaseKey(e.uri, e.suite)));
    const report: CatalogSyncReport = {
      changed: [], unchanged: [...fresh], errors: [...held.values()], anyIndexAvailable: false,
      definition: await readCatalogDefinition(this.db), packagesStored: 0,
    };
    if (toCheck.length > 0) {
      const result = await syncAptRepositories(toCheck, {
        hostArchitectures: architectures,
        previous: (key: string) => validators.get(key),
        systemKeyrings: this.options.systemKeyrings,
        onProgress: this.options.onProgress,
      });
      const changed: ChangedRelease[] = [];
      const unchanged: Array<{ uri: string; dist: string; validators: AptReleaseValidators }> = [];
      for (const dist of result.distributions) {
        if (dist.unchanged) {
          unchanged.push({ uri: dist.uri, dist: dist.dist, validators: dist.validators });
          report.unchanged.push(releaseKey(dist.uri, dist.dist));
          continue;
        }
        changed.push({
          uri: dist.uri, dist: dist.dist, info: dist.release!, validators: dist.validators,
          indexes: dist.indexes.map((index) => ({
            component: index.component, architecture: index.architecture, path: index.path, sha256: index.sha256, packages: index.packages,
          })),
        });
        report.changed.push(releaseKey(dist.uri, dist.dist));
        report.packagesStored += dist.indexes.reduce((n, index) => n + index.packages.length, 0);
      }
      report.errors.push(...result.errors.map((e) => e.message));
      this.rememberMirrorFailures(result, Date.now());
      const stamp = new Date().toISOString();
      await touchReleases(this.db, unchanged, stamp);
      report.definition = await storeChangedReleases(this.db, changed, stamp);
      if (changed.length > 0) await this.refreshPatchCatalog(changed, Date.parse(stamp));
      if (changed.length > 0) this.log.info({ changed: report.changed, definitionVersion: report.definition.version }, 'catalog updated');
      for (const error of result.errors) this.log.warn({ error: error.message }, 'catalog source failed');
    }
    if (held.size > 0) this.log.debug({ distributions: [...held.keys()] }, 'catalog sources not tried again yet after their mirror failed');
    const stored = await readReleaseValidators(this.db);
    report.anyIndexAvailable = wanted.some((e) => stored.has(releaseKey(e.uri, e.suite)));
    return report;
  }

  /**
   * The wanted distributions whose mirror failed them less than retryFailedAfterMs ago, each with
   * the message that stands for it in this sync's errors.
   */
  private heldBackByMirrorFailures(wanted: AptSourceEntry[], nowMs: number): Map<string, string> {
    const wait = this.options.retryFailedAfterMs ?? 300_000;
    const held = new Map<string, string>();
    for (const entry of wanted) {
      const key = releaseKey(entry.uri, entry.suite);
      const failure = this.mirrorFailures.get(key);
      if (!failure || held.has(key) || nowMs - failure.atMs >= wait) continue;
      const seconds = Math.round((nowMs - failure.atMs) / 1000);
      held.set(key, `${failure.message} (${seconds} s ago; not tried again before ${new Date(failure.atMs + wait).toISOString()})`);
    }
    return held;
  }

  /**
   * Notes the distributions whose sync failed for a reason of their mirror (it could not be reached
   * or answered with an HTTP error), which the next machine would meet the same way, and forgets
   * those that synced. Other failures (a signature, a hash) are tried again each time: they may
   * depend on the keys of the machine whose sources are synced, or on a mirror in mid-update.
   */
  private rememberMirrorFailures(result: AptSyncOutcome, nowMs: number): void {
    for (const distribution of result.distributions) this.mirrorFailures.delete(distribution.key);
    const failed = new Map<string, string[]>();
    for (const error of result.errors) {
      if (error.kind === 'network' || error.kind === 'http') failed.set(error.key, [...(failed.get(error.key) ?? []), error.message]);
    }
    for (const [key, messages] of failed) this.mirrorFailures.set(key, { atMs: nowMs, message: messages.join('; ') });
  }

  /** Security and updates suites publish patches: list them in the patch catalog. */
  private async refreshPatchCatalog(changed: ChangedRelease[], nowMs: number): Promise<void> {
    const indexes = changed.flatMap((release) => release.indexes.map((index) => ({
      id: 0, uri: release.uri, dist: release.dist, component: index.component, architecture: index.architecture,
      release: {
        origin: release.info.origin, label: release.info.label, suite: release.info.suite, codename: release.info.codename,
        notAutomatic: release.info.notAutomatic, butAutomaticUpgrades: release.info.butAutomaticUpgrades,
      },
      packages: index.packages,
    })));
    const entries = patchEntriesFromSnapshot({ definitionVersion: '', definitionDate: '', indexes }, nowMs);
    await this.db.kysely.transaction().execute((trx) => upsertPatches(trx, entries, nowMs));
    // Many patches written at once: statistics and the title index catch up now, not within the hour.
    await tuneStoreQuietly(this.db, this.log, 'catalog sync');
  }

  async definition(): Promise<CatalogDefinition> {
    return readCatalogDefinition(this.db);
  }

  /** Remembers a machine's distribution release: views load its advisories from now on. */
  noteAdvisoryRelease(inventory: Inventory): void {
    const release = advisoryReleaseOfInventory(inventory);
    if (release !== undefined) this.advisoryReleases.set(`${release.distro}:${release.release}`, release);
  }

  /**
   * The view of the current definition; rebuilt once after each change, shared meanwhile. It
   * carries the advisories of the releases of the machines known (stored, or noted by
   * {@link syncForInventory}), loaded on first need.
   */
  async currentView(): Promise<CatalogView> {
    const definition = await readCatalogDefinition(this.db);
    if (this.cachedView && this.cachedView.definitionVersion === definition.version) return this.withAdvisories(this.cachedView);
    if (!this.viewLoading) {
      this.viewLoading = loadCatalogSnapshot(this.db)
        .then(async (snapshot) => {
          for (const release of await storedMachineReleases(this.db)) this.advisoryReleases.set(`${release.distro}:${release.release}`, release);
          return (this.cachedView = new CatalogView(snapshot));
        })
        .finally(() => { this.viewLoading = undefined; });
    }
    const view = await this.viewLoading;
    return view.definitionVersion === definition.version ? this.withAdvisories(view) : this.currentView();
  }

  /** Loads into the view the advisories of releases in use it does not have yet. */
  private async withAdvisories(view: CatalogView): Promise<CatalogView> {
    while (this.advisoriesLoading) await this.advisoriesLoading;
    const missing = [...this.advisoryReleases.values()].filter((r) => !view.advisories.has(r.distro, r.release));
    if (missing.length === 0) return view;
    this.advisoriesLoading = (async () => {
      for (const release of missing) view.advisories.set(release.distro, release.release, await loadAdvisoryFixes(this.db, [release]));
    })().finally(() => { this.advisoriesLoading = undefined; });
    await this.advisoriesLoading;
    return view;
  }
}

/** Distribution releases of the machines stored (`machines.os_identifier`, e.g. `debian:12`). */
async function storedMachineReleases(db: PatchwardenDb): Promise<AdvisoryRelease[]> {
  const rows = await db.kysely.selectFrom('machines').select('os_identifier').distinct().where('os_identifier', 'is not', null).execute();
  const releases: AdvisoryRelease[] = [];
  for (const row of rows) {
    const [id, version] = (row.os_identifier ?? '').toLowerCase().split(':');
    if (id && version && versionSchemeOf(id) !== undefined) releases.push({ distro: id, release: releaseKeyOf(id, version) });
  }
  return releases;
}
