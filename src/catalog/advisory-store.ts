/**
 * Stores advisories in the database as they stream in, and loads the ones a set of
 * distribution releases needs.
 *
 * Imports are incremental: a record whose `modified` is not newer than the stored one is
 * skipped. Records are written in batches, one transaction per batch, so a dump of any size
 * never sits in memory. Every advisory gets a QID at its first import and keeps it: the QID
 * names its vulnerability (title, severity, CVEs) in the `vulnerabilities` table the Patch
 * Management API serves. An import that changed something bumps the catalog definition once.
 */
import type { VendorSeverity } from '../assess/types.js';
import type { PatchwardenDb } from '../db/database.js';
import { insertBatchSize } from '../db/database.js';
import { qidSeverityOf, type Advisory, type AdvisoryFix, type PackageNameKind } from './advisory.js';
import { bumpCatalogDefinition, type CatalogDefinition } from './catalog-store.js';

/**
 * QIDs of imported advisories start above this number, clear of the vendor's own QID range
 * (six digits), and grow by one per new advisory.
 */
export const ADVISORY_QID_BASE = 50_000_000;

export interface AdvisoryImportSummary {
  /** Records read (including ignored and invalid ones). */
  read: number;
  /** Advisories stored for the first time. */
  added: number;
  /** Advisories whose newer `modified` replaced the stored version. */
  updated: number;
  /** Advisories already stored with the same or a newer `modified`. */
  unchanged: number;
  /** Records for no Linux distribution this console assesses. */
  ignored: number;
  /** Records that could not be read; {@link errors} holds the first messages. */
  invalid: number;
  errors: string[];
  /** Package fixes written. */
  fixesStored: number;
  /** The catalog definition after the import (bumped once when anything changed). */
  definition?: CatalogDefinition;
}

export interface AdvisoryImportOptions {
  /** Advisories per transaction (default 500). */
  batchSize?: number;
  /** Called after each stored batch. */
  onProgress?: (summary: AdvisoryImportSummary) => void;
}

const MAX_REPORTED_ERRORS = 20;

function modifiedMs(value: string): number {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? -1 : ms;
}

/** Receives advisories one by one; {@link finish} writes the rest and bumps the definition. */
export class AdvisoryImport {
  readonly summary: AdvisoryImportSummary = { read: 0, added: 0, updated: 0, unchanged: 0, ignored: 0, invalid: 0, errors: [], fixesStored: 0 };
  #batch = new Map<string, Advisory>();
  readonly #batchSize: number;

  constructor(private readonly db: PatchwardenDb, private readonly options: AdvisoryImportOptions = {}) {
    this.#batchSize = Math.max(1, options.batchSize ?? 500);
  }

  /** A record was read but is for no assessed distribution. */
  ignore(): void {
    this.summary.read++;
    this.summary.ignored++;
  }

  /** A record could not be read or interpreted. */
  reject(message: string): void {
    this.summary.read++;
    this.summary.invalid++;
    if (this.summary.errors.length < MAX_REPORTED_ERRORS) this.summary.errors.push(message);
  }

  async add(advisory: Advisory): Promise<void> {
    this.summary.read++;
    const previous = this.#batch.get(advisory.id);
    // The same id twice in one batch: keep the newer one, count the other as unchanged.
    if (previous !== undefined) {
      this.summary.unchanged++;
      if (modifiedMs(previous.modified) >= modifiedMs(advisory.modified)) return;
    }
    this.#batch.set(advisory.id, advisory);
    if (this.#batch.size >= this.#batchSize) await this.#flush();
  }

  async finish(): Promise<AdvisoryImportSummary> {
    await this.#flush();
    this.summary.definition = this.summary.added + this.summary.updated > 0
      ? await bumpCatalogDefinition(this.db, new Date().toISOString())
      : undefined;
    return this.summary;
  }

  async #flush(): Promise<void> {
    if (this.#batch.size === 0) return;
    const batch = [...this.#batch.values()];
    this.#batch = new Map();
    const stored = new Map<string, { qid: number; modified: string }>();
    for (let i = 0; i < batch.length; i += 500) {
      const rows = await this.db.kysely.selectFrom('advisories').select(['id', 'qid', 'modified'])
        .where('id', 'in', batch.slice(i, i + 500).map((a) => a.id)).execute();
      for (const row of rows) stored.set(row.id, { qid: Number(row.qid), modified: row.modified });
    }
    const changed = batch.filter((a) => {
      const known = stored.get(a.id);
      return known === undefined || modifiedMs(a.modified) > modifiedMs(known.modified);
    });
    this.summary.unchanged += batch.length - changed.length;
    if (changed.length > 0) await this.#store(changed, stored);
    this.options.onProgress?.(this.summary);
  }

  async #store(changed: Advisory[], stored: Map<string, { qid: number; modified: string }>): Promise<void> {
    const now = new Date().toISOString();
    await this.db.kysely.transaction().execute(async (trx) => {
      const updatedIds = changed.filter((a) => stored.has(a.id)).map((a) => a.id);
      for (let i = 0; i < updatedIds.length; i += 500) {
        await trx.deleteFrom('advisory_fixes').where('advisory_id', 'in', updatedIds.slice(i, i + 500)).execute();
      }
      // New advisories get the next QIDs; the transaction keeps two imports from taking the same one.
      const top = await trx.selectFrom('advisories').select((eb) => eb.fn.max('qid').as('top')).executeTakeFirst();
      let nextQid = Math.max(Number(top?.top ?? 0), ADVISORY_QID_BASE) + 1;
      const rows = changed.map((a) => ({
        id: a.id, qid: stored.get(a.id)?.qid ?? nextQid++, source: a.source, publisher: a.publisher, title: a.title,
        severity: a.severity, cves: JSON.stringify(a.cves), published: a.published, modified: a.modified, imported_at: now,
      }));
      for (let i = 0; i < rows.length; i += insertBatchSize(10)) {
        await trx.insertInto('advisories').values(rows.slice(i, i + insertBatchSize(10))).onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({
          source: eb.ref('excluded.source'), publisher: eb.ref('excluded.publisher'), title: eb.ref('excluded.title'),
          severity: eb.ref('excluded.severity'), cves: eb.ref('excluded.cves'), published: eb.ref('excluded.published'),
          modified: eb.ref('excluded.modified'), imported_at: eb.ref('excluded.imported_at'),
        }))).execute();
      }
      const fixes = changed.flatMap((a) => a.fixes.map((f) => ({
        advisory_id: a.id, ecosystem: f.ecosystem, distro: f.distro, release: f.release, package_name: f.packageName,
        name_kind: f.nameKind, architecture: f.architecture, fixed_version: f.fixedVersion, binaries: JSON.stringify(f.binaries),
      })));
      const fixBatch = insertBatchSize(9);
      for (let i = 0; i < fixes.length; i += fixBatch) await trx.insertInto('advisory_fixes').values(fixes.slice(i, i + fixBatch)).execute();
      const vulnerabilities = changed.map((a, i) => ({
        qid: rows[i].qid, title: a.title, severity: qidSeverityOf(a.severity), vuln_type: 'Confirmed',
        detected_ms: a.published ? Date.parse(a.published) : null, cves: JSON.stringify(a.cves),
      }));
      for (let i = 0; i < vulnerabilities.length; i += insertBatchSize(6)) {
        await trx.insertInto('vulnerabilities').values(vulnerabilities.slice(i, i + insertBatchSize(6))).onConflict((oc) => oc.column('qid').doUpdateSet((eb) => ({
          title: eb.ref('excluded.title'), severity: eb.ref('excluded.severity'), vuln_type: eb.ref('excluded.vuln_type'),
          detected_ms: eb.ref('excluded.detected_ms'), cves: eb.ref('excluded.cves'),
        }))).execute();
      }
      this.summary.fixesStored += fixes.length;
    });
    for (const a of changed) {
      if (stored.has(a.id)) this.summary.updated++;
      else this.summary.added++;
    }
  }
}

/** One fix of one advisory, with what a finding takes from the advisory. */
export interface StoredAdvisoryFix
  extends Pick<AdvisoryFix, 'distro' | 'release' | 'packageName' | 'nameKind' | 'architecture' | 'fixedVersion'> {
  advisoryId: string;
  qid: number;
  publisher: string;
  title: string;
  severity: VendorSeverity;
  cves: readonly string[];
  binaries: readonly string[];
}

/** A distribution release whose advisories are wanted. */
export interface AdvisoryRelease {
  distro: string;
  release: string;
}

/**
 * Every fix stored for the given releases, with its advisory. Advisory facts are shared
 * between the fixes of one advisory.
 */
export async function loadAdvisoryFixes(db: PatchwardenDb, releases: readonly AdvisoryRelease[]): Promise<StoredAdvisoryFix[]> {
  const fixes: StoredAdvisoryFix[] = [];
  const advisories = new Map<string, { qid: number; publisher: string; title: string; severity: VendorSeverity; cves: readonly string[] }>();
  const binaryLists = new Map<string, readonly string[]>();
  for (const { distro, release } of releases) {
    const rows = await db.kysely.selectFrom('advisory_fixes as f').innerJoin('advisories as a', 'a.id', 'f.advisory_id')
      .select(['f.advisory_id', 'f.distro', 'f.release', 'f.package_name', 'f.name_kind', 'f.architecture', 'f.fixed_version', 'f.binaries',
        'a.qid', 'a.publisher', 'a.title', 'a.severity', 'a.cves'])
      .where('f.distro', '=', distro).where('f.release', '=', release).execute();
    for (const row of rows) {
      let advisory = advisories.get(row.advisory_id);
      if (advisory === undefined) {
        advisory = {
          qid: Number(row.qid), publisher: row.publisher, title: row.title, severity: row.severity as VendorSeverity,
          cves: JSON.parse(row.cves) as string[],
        };
        advisories.set(row.advisory_id, advisory);
      }
      let binaries = binaryLists.get(row.binaries);
      if (binaries === undefined) {
        binaries = JSON.parse(row.binaries) as string[];
        binaryLists.set(row.binaries, binaries);
      }
      fixes.push({
        advisoryId: row.advisory_id, ...advisory, distro: row.distro, release: row.release, packageName: row.package_name,
        nameKind: row.name_kind as PackageNameKind, architecture: row.architecture, fixedVersion: row.fixed_version, binaries,
      });
    }
  }
  return fixes;
}

/** The QIDs of stored advisories, by advisory id; ids not stored are absent. */
export async function advisoryQids(db: PatchwardenDb, ids: readonly string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.kysely.selectFrom('advisories').select(['id', 'qid']).where('id', 'in', ids.slice(i, i + 500)).execute();
    for (const row of rows) found.set(row.id, Number(row.qid));
  }
  return found;
}
