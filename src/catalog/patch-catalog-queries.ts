/**
 * Read side of the patch catalog: patches by id with their CVEs and QIDs, the binary packages and
 * products of one patch, and vulnerabilities (QIDs) by number. No machine state here: the live
 * per-asset view of patches is in `scans/asset-patch-queries.ts`.
 */
import { sql, type Expression, type Selectable } from 'kysely';
import type { PatchwardenDb } from '../db/database.js';
import type { PatchesTable } from '../db/schema.js';
import type { PatchType, VendorSeverity } from '../assess/types.js';

/** One binary package a patch updates. */
export interface PatchPackageRef {
  packageName: string;
  architecture: string;
}

/** A catalog patch in the domain's terms. */
export interface CatalogPatchRecord {
  id: string;
  title: string;
  bulletin: string;
  kb: string;
  vendor: string;
  /** `Linux` for every patch so far. */
  platform: string;
  patchType: PatchType;
  isSecurity: boolean;
  vendorSeverity: VendorSeverity;
  /** Release codename, e.g. `bookworm`. */
  release: string;
  sourceName: string;
  sourceVersion: string;
  architectures: string[];
  packages: PatchPackageRef[];
  rebootRequired: boolean;
  /** Epoch milliseconds the patch was first known. */
  publishedMs: number;
  /** Epoch milliseconds of the last catalog sync that saw it. */
  modifiedMs: number;
}

export interface VulnerabilityRecord {
  qid: number;
  title: string;
  severity: number;
  vulnType: string;
  detectedMs: number | null;
  cves: string[];
}

/** Lists in IN (...) stay well under both stores' bound-parameter limits. */
const IN_LIST_CHUNK = 1000;

export function chunked<T>(items: readonly T[], size = IN_LIST_CHUNK): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

function parseJsonArray<T>(text: string): T[] {
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? (parsed as T[]) : [];
  } catch {
    return [];
  }
}

/** Maps a `patches` row to the domain record. */
export function catalogPatchFromRow(row: Selectable<PatchesTable>): CatalogPatchRecord {
  return {
    id: row.id, title: row.title, bulletin: row.bulletin, kb: row.kb, vendor: row.vendor, platform: row.platform,
    patchType: row.patch_type as PatchType, isSecurity: Number(row.is_security) !== 0, vendorSeverity: row.vendor_severity as VendorSeverity,
    release: row.release, sourceName: row.source_name, sourceVersion: row.source_version,
    architectures: parseJsonArray<string>(row.architectures), packages: parseJsonArray<PatchPackageRef>(row.package_details),
    rebootRequired: Number(row.reboot_required) !== 0, publishedMs: Number(row.published_ms), modifiedMs: Number(row.modified_ms),
  };
}

/**
 * `column IN (values)` with the values as ONE bound array: a 1,000-item page costs one
 * parameter, not a thousand for each store to parse and plan.
 */
export function inBoundList(db: PatchwardenDb, values: readonly string[]): Expression<unknown> {
  return db.dialect === 'postgres'
    ? sql`any(cast(${[...values]} as text[]))`
    : sql`(select value from json_each(${JSON.stringify(values)}))`;
}

/** CVE ids of each patch, sorted; patches without CVEs are absent from the map. */
export async function cvesOfPatches(db: PatchwardenDb, patchIds: readonly string[]): Promise<Map<string, string[]>> {
  const byPatch = new Map<string, string[]>();
  if (patchIds.length === 0) return byPatch;
  const operator = db.dialect === 'postgres' ? '=' : 'in';
  const rows = await db.kysely.selectFrom('patch_cves').select(['patch_id', 'cve'])
    .where('patch_id', operator, inBoundList(db, patchIds) as Expression<string>).orderBy('patch_id').orderBy('cve').execute();
  for (const row of rows) {
    const list = byPatch.get(row.patch_id);
    if (list) list.push(row.cve);
    else byPatch.set(row.patch_id, [row.cve]);
  }
  return byPatch;
}

/** QIDs of each patch, ascending; patches without QIDs are absent from the map. */
export async function qidsOfPatches(db: PatchwardenDb, patchIds: readonly string[]): Promise<Map<string, number[]>> {
  const byPatch = new Map<string, number[]>();
  if (patchIds.length === 0) return byPatch;
  const operator = db.dialect === 'postgres' ? '=' : 'in';
  const rows = await db.kysely.selectFrom('patch_qids').select(['patch_id', 'qid'])
    .where('patch_id', operator, inBoundList(db, patchIds) as Expression<string>).orderBy('patch_id').orderBy('qid').execute();
  for (const row of rows) {
    const list = byPatch.get(row.patch_id);
    if (list) list.push(Number(row.qid));
    else byPatch.set(row.patch_id, [Number(row.qid)]);
  }
  return byPatch;
}

export interface CatalogPatchDetails extends CatalogPatchRecord {
  cves: string[];
  qids: number[];
}

export class PatchCatalogQueries {
  constructor(private readonly db: PatchwardenDb) {}

  /**
   * The catalog patches with these ids, in the order asked (each once); unknown ids are simply
   * absent. `platform` narrows to one platform's patches.
   */
  async patchesById(ids: readonly string[], options: { platform?: string } = {}): Promise<CatalogPatchDetails[]> {
    const unique = [...new Set(ids)];
    const found = new Map<string, CatalogPatchRecord>();
    for (const chunk of chunked(unique)) {
      let query = this.db.kysely.selectFrom('patches').selectAll().where('id', 'in', chunk);
      if (options.platform) query = query.where('platform', '=', options.platform);
      for (const row of await query.execute()) found.set(row.id, catalogPatchFromRow(row));
    }
    const present = unique.filter((id) => found.has(id));
    const [cves, qids] = await Promise.all([cvesOfPatches(this.db, present), qidsOfPatches(this.db, present)]);
    return present.map((id) => ({ ...found.get(id)!, cves: cves.get(id) ?? [], qids: qids.get(id) ?? [] }));
  }

  async patchById(id: string): Promise<CatalogPatchRecord | undefined> {
    const row = await this.db.kysely.selectFrom('patches').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? catalogPatchFromRow(row) : undefined;
  }

  /**
   * Per product (a patch's source package, in name order): the QIDs, ascending, of its patches of
   * one of `severities` (vendor severity) that at least one machine is missing. Patches installed
   * everywhere, or applying to no machine, count for nothing.
   */
  async activeQidsByProduct(severities: readonly string[]): Promise<Array<{ product: string; qids: number[] }>> {
    if (severities.length === 0) return [];
    const rows = await this.db.kysely.selectFrom('patch_status_counts as c')
      .innerJoin('patches as p', 'p.id', 'c.patch_id')
      .innerJoin('patch_qids as q', 'q.patch_id', 'c.patch_id')
      .select(['p.source_name as product', 'q.qid'])
      .distinct()
      .where('c.missing_count', '>', 0)
      .where('p.vendor_severity', 'in', [...severities])
      .orderBy('p.source_name').orderBy('q.qid')
      .execute();
    const byProduct: Array<{ product: string; qids: number[] }> = [];
    for (const row of rows) {
      const last = byProduct[byProduct.length - 1];
      if (last?.product === row.product) last.qids.push(Number(row.qid));
      else byProduct.push({ product: row.product, qids: [Number(row.qid)] });
    }
    return byProduct;
  }

  /** The vulnerabilities with these QIDs, ascending; unknown QIDs are simply absent. */
  async vulnerabilitiesByQid(qids: readonly number[]): Promise<VulnerabilityRecord[]> {
    const records: VulnerabilityRecord[] = [];
    // QIDs are 32-bit in both stores; a larger number names no vulnerability.
    const candidates = [...new Set(qids)].filter((qid) => Number.isSafeInteger(qid) && qid >= 1 && qid <= 2_147_483_647);
    for (const chunk of chunked(candidates)) {
      const rows = await this.db.kysely.selectFrom('vulnerabilities').selectAll().where('qid', 'in', chunk).execute();
      for (const row of rows) {
        records.push({
          qid: Number(row.qid), title: row.title, severity: Number(row.severity), vulnType: row.vuln_type,
          detectedMs: row.detected_ms === null ? null : Number(row.detected_ms), cves: parseJsonArray<string>(row.cves),
        });
      }
    }
    return records.sort((a, b) => a.qid - b.qid);
  }
}
