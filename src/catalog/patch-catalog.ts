import type { Kysely, Transaction } from 'kysely';
import type { PatchwardenTables } from '../db/schema.js';
import type { SqlDialectName } from '../db/database.js';
import type { PatchFinding, PatchType, VendorSeverity } from '../assess/types.js';
import type { CatalogSnapshot } from './catalog-snapshot.js';
import { releaseNameOf, releasePocket } from './catalog-view.js';
import { bulletinIdOf, patchIdOf, patchTitleOf } from '../assess/patch-identity.js';
import { chunked } from './patch-catalog-queries.js';

type Executor = Kysely<PatchwardenTables> | Transaction<PatchwardenTables>;

/** A patch as the catalog lists it, independent of any machine. */
export interface PatchCatalogEntry {
  id: string;
  title: string;
  bulletin: string;
  kb: string;
  vendor: string;
  patchType: PatchType;
  vendorSeverity: VendorSeverity;
  release: string;
  sourceName: string;
  sourceVersion: string;
  packages: Array<{ packageName: string; architecture: string }>;
  rebootRequired: boolean;
  /** Epoch milliseconds the patch was first known. */
  publishedMs: number;
  /** Set when advisories describe the patch: their CVEs and QIDs (see src/assess/advisory-matching.ts). */
  advisory?: { cves: string[]; qids: number[] };
}

// Installing a new kernel (or the microcode and firmware it loads) takes effect only after a reboot.
const REBOOT_PACKAGE = /^(linux-image-|linux-signed-|intel-microcode$|amd64-microcode$|firmware-)/;

type PatchPackage = PatchCatalogEntry['packages'][number];

/** Whether installing these packages takes a reboot to take effect. */
function needsReboot(packages: readonly PatchPackage[]): boolean {
  return packages.some((p) => REBOOT_PACKAGE.test(p.packageName));
}

export function patchEntryFromFinding(finding: PatchFinding, vendor: string, nowMs: number): PatchCatalogEntry {
  const packages = finding.packages.map((p) => ({ packageName: p.name, architecture: p.architecture }));
  return {
    id: finding.patchId, title: finding.title, bulletin: finding.bulletinId, kb: `${finding.sourceName}_${finding.sourceVersion}`,
    vendor, patchType: finding.patchType, vendorSeverity: finding.vendorSeverity, release: finding.release,
    sourceName: finding.sourceName, sourceVersion: finding.sourceVersion, packages,
    rebootRequired: needsReboot(packages), publishedMs: nowMs,
    ...(finding.qids !== undefined && finding.qids.length > 0 ? { advisory: { cves: finding.cves, qids: finding.qids } } : {}),
  };
}

/**
 * Every source version published in a security or updates suite is a patch of the catalog,
 * whether or not a scanned machine needs it.
 */
export function patchEntriesFromSnapshot(snapshot: CatalogSnapshot, nowMs: number): PatchCatalogEntry[] {
  const byId = new Map<string, PatchCatalogEntry>();
  for (const index of snapshot.indexes) {
    const pocket = releasePocket(index.release, index.dist);
    if (pocket === 'release') continue;
    const release = releaseNameOf(index.release, index.dist);
    const patchType: PatchType = pocket === 'security' ? 'SecurityPatch' : 'NonSecurityPatch';
    for (const record of index.packages) {
      const identity = { release, sourceName: record.sourceName, sourceVersion: record.sourceVersion };
      const id = patchIdOf(identity);
      let entry = byId.get(id);
      if (!entry) {
        entry = {
          id, title: patchTitleOf(identity, patchType), bulletin: bulletinIdOf(identity), kb: `${record.sourceName}_${record.sourceVersion}`,
          vendor: index.release.origin || 'Debian', patchType, vendorSeverity: 'None', release, sourceName: record.sourceName,
          sourceVersion: record.sourceVersion, packages: [], rebootRequired: false, publishedMs: nowMs,
        };
        byId.set(id, entry);
      } else if (patchType === 'SecurityPatch' && entry.patchType !== 'SecurityPatch') {
        entry.patchType = 'SecurityPatch';
        entry.title = patchTitleOf(identity, patchType);
      }
      if (!entry.packages.some((p) => p.packageName === record.package && p.architecture === record.architecture)) {
        entry.packages.push({ packageName: record.package, architecture: record.architecture });
        if (REBOOT_PACKAGE.test(record.package)) entry.rebootRequired = true;
      }
    }
  }
  return [...byId.values()];
}

/**
 * What becomes of a known patch's binary packages:
 * - `replace` (the default; a catalog sync, which lists every package of a patch): the entry's;
 * - `add` (a scan, which sees only the packages its machine has): the stored ones, with those of
 *   the entry they lacked added after them. On PostgreSQL the patches' rows are locked (in id
 *   order) while their packages are merged, so two scans adding different packages to one patch
 *   at once keep both.
 */
export type UpsertPatchesOptions = { packages?: 'replace' } | { packages: 'add'; dialect: SqlDialectName };

/** Rows (and CVE or QID lists) read or written at once. */
const UPSERT_CHUNK = 500;

/**
 * Inserts new patches and refreshes known ones. The first-seen date is kept; a patch once known
 * as a security patch stays one. A patch that advisories describe takes their bulletin id,
 * severity and type, and its CVEs and QIDs are replaced by theirs.
 *
 * A known patch is written only when something of it (or of its CVE and QID lists) changes, and
 * its modification date is then `nowMs`: `modifiedDate` is when the patch last changed, and an
 * unchanged patch keeps its stored listing document (patch-listing-documents.ts) instead of
 * having it built again.
 */
export async function upsertPatches(db: Executor, entries: PatchCatalogEntry[], nowMs: number, options: UpsertPatchesOptions = {}): Promise<void> {
  // In id order: a patch whose severity, type or security flag changes locks its status counts
  // row (migration 0013), which scans lock in id order too, so neither waits on the other in a cycle.
  let byId = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (options.packages === 'add') byId = await withStoredPackages(db, byId, options.dialect);
  await upsertPatchRows(db, byId.filter((e) => e.advisory === undefined), nowMs, false);
  const described = byId.filter((e) => e.advisory !== undefined);
  await upsertPatchRows(db, described, nowMs, true);
  for (const some of chunked(described, UPSERT_CHUNK)) {
    const chunk = await withChangedAdvisoryLists(db, some);
    if (chunk.length === 0) continue;
    const ids = chunk.map((e) => e.id);
    await db.updateTable('patches').set({ modified_ms: nowMs }).where('id', 'in', ids).execute();
    await db.deleteFrom('patch_cves').where('patch_id', 'in', ids).execute();
    await db.deleteFrom('patch_qids').where('patch_id', 'in', ids).execute();
    const cves = chunk.flatMap((e) => [...new Set(e.advisory!.cves)].map((cve) => ({ patch_id: e.id, cve })));
    const qids = chunk.flatMap((e) => [...new Set(e.advisory!.qids)].map((qid) => ({ patch_id: e.id, qid })));
    for (let j = 0; j < cves.length; j += 5000) await db.insertInto('patch_cves').values(cves.slice(j, j + 5000)).execute();
    for (let j = 0; j < qids.length; j += 5000) await db.insertInto('patch_qids').values(qids.slice(j, j + 5000)).execute();
  }
}

/** The entries with each known patch's stored packages first, then those of the entry it lacked. */
async function withStoredPackages(db: Executor, entries: PatchCatalogEntry[], dialect: SqlDialectName): Promise<PatchCatalogEntry[]> {
  const stored = new Map<string, PatchPackage[]>();
  for (const chunk of chunked(entries, UPSERT_CHUNK)) {
    const rows = await db.selectFrom('patches').select(['id', 'package_details'])
      .where('id', 'in', chunk.map((e) => e.id)).orderBy('id')
      .$if(dialect === 'postgres', (query) => query.forUpdate()).execute();
    for (const row of rows) stored.set(row.id, JSON.parse(row.package_details));
  }
  const key = (p: PatchPackage) => `${p.packageName}\u0000${p.architecture}`;
  return entries.map((entry) => {
    const known = stored.get(entry.id);
    if (!known) return entry;
    const have = new Set(known.map(key));
    const packages = [...known, ...entry.packages.filter((p) => !have.has(key(p)))];
    return { ...entry, packages, rebootRequired: needsReboot(packages) };
  });
}

/** The described entries whose CVEs or QIDs differ from the stored ones. */
async function withChangedAdvisoryLists(db: Executor, entries: PatchCatalogEntry[]): Promise<PatchCatalogEntry[]> {
  const ids = entries.map((e) => e.id);
  const storedCves = new Map<string, Set<string>>();
  const storedQids = new Map<string, Set<number>>();
  for (const row of await db.selectFrom('patch_cves').select(['patch_id', 'cve']).where('patch_id', 'in', ids).execute()) {
    storedCves.set(row.patch_id, (storedCves.get(row.patch_id) ?? new Set()).add(row.cve));
  }
  for (const row of await db.selectFrom('patch_qids').select(['patch_id', 'qid']).where('patch_id', 'in', ids).execute()) {
    storedQids.set(row.patch_id, (storedQids.get(row.patch_id) ?? new Set()).add(Number(row.qid)));
  }
  const same = <T>(stored: Set<T> | undefined, wanted: T[]) => {
    const set = new Set(wanted);
    return (stored?.size ?? 0) === set.size && [...set].every((value) => stored!.has(value));
  };
  return entries.filter((e) => !same(storedCves.get(e.id), e.advisory!.cves) || !same(storedQids.get(e.id), e.advisory!.qids));
}

async function upsertPatchRows(db: Executor, entries: PatchCatalogEntry[], nowMs: number, fromAdvisory: boolean): Promise<void> {
  // The columns a refresh may change; a row is written only when one of them does.
  const refreshed = ['title', 'package_details', 'architectures', 'reboot_required',
    ...(fromAdvisory ? ['bulletin', 'vendor_severity', 'patch_type', 'is_security'] as const : [])] as const;
  for (const chunk of chunked(entries, UPSERT_CHUNK)) {
    const rows = chunk.map((e) => ({
      id: e.id, title: e.title, bulletin: e.bulletin, kb: e.kb, vendor: e.vendor, platform: 'Linux', patch_type: e.patchType,
      is_security: e.patchType === 'SecurityPatch' ? 1 : 0, vendor_severity: e.vendorSeverity, release: e.release,
      source_name: e.sourceName, source_version: e.sourceVersion,
      architectures: JSON.stringify([...new Set(e.packages.map((p) => p.architecture))].sort()),
      package_details: JSON.stringify(e.packages.map(({ packageName, architecture }) => ({ packageName, architecture }))), reboot_required: e.rebootRequired ? 1 : 0,
      published_ms: e.publishedMs, modified_ms: nowMs,
    }));
    await db.insertInto('patches').values(rows).onConflict((oc) => oc.column('id')
      .doUpdateSet((eb) => ({
        ...Object.fromEntries(refreshed.map((column) => [column, eb.ref(`excluded.${column}`)])),
        modified_ms: eb.ref('excluded.modified_ms'),
      }))
      .where((eb) => eb.or(refreshed.map((column) => eb(`patches.${column}`, '<>', eb.ref(`excluded.${column}`)))))).execute();
  }
}
