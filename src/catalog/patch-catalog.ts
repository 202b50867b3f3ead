import type { Kysely, Transaction } from 'kysely';
import type { PatchwardenTables } from '../db/schema.js';
import type { PatchFinding, PatchType, VendorSeverity } from '../assess/types.js';
import type { CatalogSnapshot } from './catalog-snapshot.js';
import { releaseNameOf, releasePocket } from './catalog-view.js';
import { bulletinIdOf, patchIdOf, patchTitleOf } from '../assess/patch-identity.js';

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

export function patchEntryFromFinding(finding: PatchFinding, vendor: string, nowMs: number): PatchCatalogEntry {
  const packages = finding.packages.map((p) => ({ packageName: p.name, architecture: p.architecture }));
  return {
    id: finding.patchId, title: finding.title, bulletin: finding.bulletinId, kb: `${finding.sourceName}_${finding.sourceVersion}`,
    vendor, patchType: finding.patchType, vendorSeverity: finding.vendorSeverity, release: finding.release,
    sourceName: finding.sourceName, sourceVersion: finding.sourceVersion, packages,
    rebootRequired: packages.some((p) => REBOOT_PACKAGE.test(p.packageName)), publishedMs: nowMs,
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
 * Inserts new patches and refreshes known ones. The first-seen date is kept; a patch once known
 * as a security patch stays one. A patch that advisories describe takes their bulletin id,
 * severity and type, and its CVEs and QIDs are replaced by theirs.
 */
export async function upsertPatches(db: Executor, entries: PatchCatalogEntry[], nowMs: number): Promise<void> {
  // In id order: a patch whose severity, type or security flag changes locks its status counts
  // row (migration 0013), which scans lock in id order too, so neither waits on the other in a cycle.
  const byId = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  await upsertPatchRows(db, byId.filter((e) => e.advisory === undefined), nowMs, false);
  const described = byId.filter((e) => e.advisory !== undefined);
  await upsertPatchRows(db, described, nowMs, true);
  for (let i = 0; i < described.length; i += 500) {
    const chunk = described.slice(i, i + 500);
    const ids = chunk.map((e) => e.id);
    await db.deleteFrom('patch_cves').where('patch_id', 'in', ids).execute();
    await db.deleteFrom('patch_qids').where('patch_id', 'in', ids).execute();
    const cves = chunk.flatMap((e) => [...new Set(e.advisory!.cves)].map((cve) => ({ patch_id: e.id, cve })));
    const qids = chunk.flatMap((e) => [...new Set(e.advisory!.qids)].map((qid) => ({ patch_id: e.id, qid })));
    for (let j = 0; j < cves.length; j += 5000) await db.insertInto('patch_cves').values(cves.slice(j, j + 5000)).execute();
    for (let j = 0; j < qids.length; j += 5000) await db.insertInto('patch_qids').values(qids.slice(j, j + 5000)).execute();
  }
}

async function upsertPatchRows(db: Executor, entries: PatchCatalogEntry[], nowMs: number, fromAdvisory: boolean): Promise<void> {
  for (let i = 0; i < entries.length; i += 500) {
    const rows = entries.slice(i, i + 500).map((e) => ({
      id: e.id, title: e.title, bulletin: e.bulletin, kb: e.kb, vendor: e.vendor, platform: 'Linux', patch_type: e.patchType,
      is_security: e.patchType === 'SecurityPatch' ? 1 : 0, vendor_severity: e.vendorSeverity, release: e.release,
      source_name: e.sourceName, source_version: e.sourceVersion,
      architectures: JSON.stringify([...new Set(e.packages.map((p) => p.architecture))].sort()),
      package_details: JSON.stringify(e.packages.map(({ packageName, architecture }) => ({ packageName, architecture }))), reboot_required: e.rebootRequired ? 1 : 0,
      published_ms: e.publishedMs, modified_ms: nowMs,
    }));
    await db.insertInto('patches').values(rows).onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({
      title: eb.ref('excluded.title'),
      package_details: eb.ref('excluded.package_details'),
      architectures: eb.ref('excluded.architectures'),
      reboot_required: eb.ref('excluded.reboot_required'),
      modified_ms: eb.ref('excluded.modified_ms'),
      ...(fromAdvisory ? {
        bulletin: eb.ref('excluded.bulletin'), vendor_severity: eb.ref('excluded.vendor_severity'),
        patch_type: eb.ref('excluded.patch_type'), is_security: eb.ref('excluded.is_security'),
      } : {}),
    }))).execute();
  }
}
