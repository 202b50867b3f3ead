import { randomUUID } from 'node:crypto';
import type { PatchwardenDb } from '../db/database.js';
import type { PatchType, VendorSeverity } from '../assess/types.js';
import { ScanRequestError } from './scan-request-error.js';

/** What a scan template asks a scan to report. */
export interface PatchFilter {
  patchGroupFilterType: 'None' | 'Scan' | 'Skip';
  patchGroupIds: number[];
  scanFor: string;
  /** Which patch types the scan reports. */
  patchTypes: PatchType[];
  /** Severities reported for security patches; empty means all. */
  securityPatchSeverities: VendorSeverity[];
  nonSecurityPatchSeverities: VendorSeverity[];
  securityTools: boolean;
  customActions: boolean;
  softwareDistribution: boolean;
}

export interface ScanTemplate {
  id: string;
  name: string;
  description: string;
  creator: string;
  isSystem: boolean;
  path: string;
  threadCount: number;
  patchFilter: PatchFilter;
}

export const SECURITY_PATCH_SCAN_TEMPLATE_ID = '4c7069eb-6e1c-4352-91fc-04d4d8abc07b';
export const FULL_PATCH_SCAN_TEMPLATE_ID = '1e4f0b6a-96d2-4c0f-9b4b-5f1f3c7a2d10';

const basePatchFilter = {
  patchGroupFilterType: 'None' as const,
  patchGroupIds: [],
  scanFor: 'NecessaryExplicitlyInstalled',
  securityPatchSeverities: [],
  nonSecurityPatchSeverities: [],
  securityTools: false,
  customActions: false,
  softwareDistribution: false,
};

/** The predefined templates every console has; they cannot be changed or deleted. */
export const PREDEFINED_SCAN_TEMPLATES: readonly ScanTemplate[] = [
  {
    id: SECURITY_PATCH_SCAN_TEMPLATE_ID,
    name: 'Security Patch Scan',
    description: 'Scans for missing and installed security patches.',
    creator: 'System',
    isSystem: true,
    path: '',
    threadCount: 8,
    patchFilter: { ...basePatchFilter, patchTypes: ['SecurityPatch'] },
  },
  {
    id: FULL_PATCH_SCAN_TEMPLATE_ID,
    name: 'Full Patch Scan',
    description: 'Scans for every missing and installed patch: security and non-security updates.',
    creator: 'System',
    isSystem: true,
    path: '',
    threadCount: 8,
    patchFilter: { ...basePatchFilter, patchTypes: ['SecurityPatch', 'NonSecurityPatch'] },
  },
];

/** Writes the predefined templates (idempotent; refreshes their definitions on upgrade). */
export async function installPredefinedScanTemplates(db: PatchwardenDb): Promise<void> {
  const now = new Date().toISOString();
  for (const template of PREDEFINED_SCAN_TEMPLATES) {
    const row = {
      name: template.name, description: template.description, creator: template.creator, is_system: 1,
      path: template.path, thread_count: template.threadCount, patch_filter: JSON.stringify(template.patchFilter),
    };
    await db.kysely.insertInto('scan_templates').values({ id: template.id, ...row, created_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet(row)).execute();
  }
}

type TemplateRow = { id: string; name: string; description: string; creator: string; is_system: number; path: string; thread_count: number; patch_filter: string };

function templateFromRow(row: TemplateRow): ScanTemplate {
  return {
    id: row.id, name: row.name, description: row.description, creator: row.creator, isSystem: row.is_system === 1,
    path: row.path, threadCount: row.thread_count, patchFilter: JSON.parse(row.patch_filter) as PatchFilter,
  };
}

export async function findScanTemplate(db: PatchwardenDb, id: string): Promise<ScanTemplate | undefined> {
  const row = await db.kysely.selectFrom('scan_templates').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst();
  return row ? templateFromRow(row) : undefined;
}

export interface TemplateListQuery {
  count: number;
  /** 1-based position in the list sorted by id. */
  start: number;
  name?: string;
  creator?: string;
}

/** Templates sorted by id; returns one more row than asked so callers know whether more follow. */
export async function listScanTemplates(db: PatchwardenDb, query: TemplateListQuery): Promise<ScanTemplate[]> {
  let q = db.kysely.selectFrom('scan_templates').selectAll().orderBy('id');
  if (query.name !== undefined) q = q.where('name', '=', query.name);
  if (query.creator !== undefined) q = q.where('creator', '=', query.creator);
  const rows = await q.limit(query.count + 1).offset(query.start - 1).execute();
  return rows.map(templateFromRow);
}

/** What a custom template is made of (everything but its id, creator and system flag). */
export interface ScanTemplateInput {
  name: string;
  description: string;
  path: string;
  threadCount: number;
  patchFilter: PatchFilter;
}

export interface ScanTemplateUsage {
  name: string;
  usageType: string;
}

async function assertTemplateNameFree(db: PatchwardenDb, name: string, exceptId: string | undefined): Promise<void> {
  let q = db.kysely.selectFrom('scan_templates').select('id').where('name', '=', name);
  if (exceptId !== undefined) q = q.where('id', '!=', exceptId);
  if (await q.executeTakeFirst()) throw new ScanRequestError(409, `a scan template named "${name}" already exists; choose another name`, 'name');
}

function templateRow(input: ScanTemplateInput) {
  return {
    name: input.name, description: input.description, path: input.path, thread_count: input.threadCount,
    patch_filter: JSON.stringify(input.patchFilter),
  };
}

/** Stores a custom template created by `creator`. Names are unique among all templates (409). */
export async function createScanTemplate(db: PatchwardenDb, creator: string, input: ScanTemplateInput): Promise<ScanTemplate> {
  await assertTemplateNameFree(db, input.name, undefined);
  const id = randomUUID();
  await db.kysely.insertInto('scan_templates').values({
    id, ...templateRow(input), creator, is_system: 0, created_at: new Date().toISOString(),
  }).execute();
  return (await findScanTemplate(db, id))!;
}

function refusePredefined(template: ScanTemplate, verb: string): void {
  if (template.isSystem) {
    throw new ScanRequestError(403, `scan template "${template.name}" is predefined and cannot be ${verb}; create a template of your own instead`, 'templateId');
  }
}

/** Replaces a custom template; predefined ones are refused (403), unknown ones 404. */
export async function replaceScanTemplate(db: PatchwardenDb, id: string, input: ScanTemplateInput): Promise<ScanTemplate> {
  const existing = await findScanTemplate(db, id);
  if (!existing) throw new ScanRequestError(404, `scan template ${id} does not exist`, 'templateId');
  refusePredefined(existing, 'changed');
  await assertTemplateNameFree(db, input.name, existing.id);
  await db.kysely.updateTable('scan_templates').set(templateRow(input)).where('id', '=', existing.id).execute();
  return (await findScanTemplate(db, existing.id))!;
}

/** Deletes a custom template; refused for predefined ones (403) and while a running scan uses it (409). */
export async function deleteScanTemplate(db: PatchwardenDb, id: string): Promise<void> {
  const existing = await findScanTemplate(db, id);
  if (!existing) throw new ScanRequestError(404, `scan template ${id} does not exist`, 'templateId');
  refusePredefined(existing, 'deleted');
  const running = await db.kysely.selectFrom('scans').select('name').where('template_id', '=', existing.id).where('is_complete', '=', 0).executeTakeFirst();
  if (running) throw new ScanRequestError(409, `scan template "${existing.name}" is used by the running scan "${running.name}"; wait for it to finish`, 'templateId');
  await db.kysely.deleteFrom('scan_templates').where('id', '=', existing.id).execute();
}

/** The scans that were run with a template, newest first. */
export async function scanTemplateUsedBy(db: PatchwardenDb, id: string): Promise<ScanTemplateUsage[]> {
  const rows = await db.kysely.selectFrom('scans').select('name').where('template_id', '=', id.toLowerCase())
    .orderBy('started_on', 'desc').orderBy('id').execute();
  return rows.map((r) => ({ name: r.name, usageType: 'PatchScan' }));
}
