import { randomUUID } from 'node:crypto';
import type { PatchwardenDb } from '../db/database.js';
import type { TaskQueue } from '../queue/task-queue.js';
import type { AuthenticatedUser } from '../auth/users.js';
import { findScanTemplate } from './scan-templates.js';
import { createOperation } from './operations.js';

export const SCAN_MACHINE_TASK = 'patch-scan-machine';

export interface ScanMachineTask {
  scanId: string;
  scanMachineId: number;
}

/** A validated request to start a patch scan, in the domain's terms. */
export interface StartScanRequest {
  name: string;
  templateId: string;
  endpointNames: string[];
  machineGroupIds: number[];
  credentialId?: string;
  runAsCredentialId?: string;
  useMachineCredential: boolean;
  diagnosticTraceEnabled: boolean;
  sshServerValidationMode: 'Blocked' | 'SkipServerAuthentication';
  connectionMethod?: string;
}

export interface ScanRecord {
  id: string;
  name: string;
  templateId: string;
  userName: string;
  userId: number;
  consoleName: string;
  startedOn: string;
  updatedOn: string;
  isComplete: boolean;
  definitionVersion: string | null;
  definitionDate: string | null;
  expectedResultTotal: number;
  receivedResultCount: number;
}

export interface ScanMachineRecord {
  id: number;
  scanId: string;
  name: string;
  dnsName: string | null;
  domain: string | null;
  state: string;
  completedOn: string | null;
  errorNumber: number | null;
  errorDescription: string | null;
  installedPatchCount: number;
  missingPatchCount: number;
}

export interface ScanPatchRecord {
  id: number;
  patchId: string;
  bulletinId: string;
  kb: string;
  patchType: string;
  productId: string;
  productName: string;
  scanState: string;
  vendorSeverity: string;
  title: string;
  release: string;
  sourceName: string;
  sourceVersion: string;
  packages: unknown[];
  cves: string[];
}

/** A request the service refuses, with the field at fault. The API maps it to a 4xx. */
export class ScanRequestError extends Error {
  constructor(readonly status: 400 | 404 | 409, message: string, readonly field?: string) {
    super(message);
    this.name = 'ScanRequestError';
  }
}

export interface ScanListQuery {
  count: number;
  /** 1-based position in the list sorted by start time (newest first), then id. */
  start: number;
  name?: string;
  onOrAfter?: string;
  onOrBefore?: string;
  createdByUserId?: number;
}

type ScanRow = {
  id: string; name: string; template_id: string; user_name: string; user_id: number; console_name: string;
  started_on: string; updated_on: string; is_complete: number; definition_version: string | null;
  definition_date: string | null; expected_result_total: number; received_result_count: number;
};

function scanFromRow(row: ScanRow): ScanRecord {
  return {
    id: row.id, name: row.name, templateId: row.template_id, userName: row.user_name, userId: row.user_id,
    consoleName: row.console_name, startedOn: row.started_on, updatedOn: row.updated_on,
    isComplete: row.is_complete === 1, definitionVersion: row.definition_version, definitionDate: row.definition_date,
    expectedResultTotal: row.expected_result_total, receivedResultCount: row.received_result_count,
  };
}

const SCAN_COLUMNS = ['id', 'name', 'template_id', 'user_name', 'user_id', 'console_name', 'started_on', 'updated_on',
  'is_complete', 'definition_version', 'definition_date', 'expected_result_total', 'received_result_count'] as const;

/** Starts, lists, reads and deletes patch scans. Scans run in the background, one task a machine. */
export class ScanService {
  constructor(
    private readonly db: PatchwardenDb,
    private readonly queue: TaskQueue,
    private readonly consoleName: string,
  ) {}

  async startScan(request: StartScanRequest, user: AuthenticatedUser): Promise<ScanRecord> {
    const template = await findScanTemplate(this.db, request.templateId);
    if (!template) throw new ScanRequestError(404, `scan template ${request.templateId} does not exist`, 'templateId');
    if (request.machineGroupIds.length > 0) {
      throw new ScanRequestError(404, `machine group ${request.machineGroupIds[0]} does not exist`, 'machineGroupIds');
    }
    const endpoints = dedupeEndpoints(request.endpointNames);
    if (endpoints.length === 0) {
      throw new ScanRequestError(400, 'either endpointNames or machineGroupIds must name at least one machine', 'endpointNames');
    }
    const id = randomUUID();
    const now = new Date().toISOString();
    const scanMachineIds: number[] = [];
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx.insertInto('scans').values({
        id, name: request.name, template_id: template.id, user_name: user.username, user_id: user.id,
        console_name: this.consoleName, started_on: now, updated_on: now, is_complete: 0,
        definition_version: null, definition_date: null, expected_result_total: endpoints.length,
        received_result_count: 0, request: JSON.stringify(request),
      }).execute();
      for (const endpoint of endpoints) {
        const inserted = await trx.insertInto('scan_machines').values({
          scan_id: id, machine_id: null, endpoint, name: endpoint, dns_name: null, domain: null, state: 'Pending',
          completed_on: null, error_number: null, error_description: null, installed_patch_count: 0, missing_patch_count: 0,
        }).returning('id').executeTakeFirstOrThrow();
        scanMachineIds.push(inserted.id);
      }
      await createOperation(trx, { id, operation: 'PatchScan', userId: user.id, now });
    });
    for (const scanMachineId of scanMachineIds) {
      await this.queue.enqueue<ScanMachineTask>(SCAN_MACHINE_TASK, { scanId: id, scanMachineId });
    }
    return (await this.getScan(id))!;
  }

  async getScan(id: string): Promise<ScanRecord | undefined> {
    const row = await this.db.kysely.selectFrom('scans').select(SCAN_COLUMNS).where('id', '=', id.toLowerCase()).executeTakeFirst();
    return row ? scanFromRow(row) : undefined;
  }

  /** Returns up to `count + 1` scans so the caller can tell whether another page follows. */
  async listScans(query: ScanListQuery): Promise<ScanRecord[]> {
    let q = this.db.kysely.selectFrom('scans').select(SCAN_COLUMNS).orderBy('started_on', 'desc').orderBy('id');
    if (query.name !== undefined) q = q.where('name', '=', query.name);
    if (query.onOrAfter !== undefined) q = q.where('started_on', '>=', query.onOrAfter);
    if (query.onOrBefore !== undefined) q = q.where('started_on', '<=', query.onOrBefore);
    if (query.createdByUserId !== undefined) q = q.where('user_id', '=', query.createdByUserId);
    const rows = await q.limit(query.count + 1).offset(query.start - 1).execute();
    return rows.map(scanFromRow);
  }

  async listScanMachines(scanId: string): Promise<ScanMachineRecord[]> {
    const rows = await this.db.kysely.selectFrom('scan_machines').selectAll().where('scan_id', '=', scanId.toLowerCase())
      .orderBy('id').execute();
    return rows.map((row) => ({
      id: row.id, scanId: row.scan_id, name: row.name, dnsName: row.dns_name, domain: row.domain, state: row.state,
      completedOn: row.completed_on, errorNumber: row.error_number, errorDescription: row.error_description,
      installedPatchCount: row.installed_patch_count, missingPatchCount: row.missing_patch_count,
    }));
  }

  async getScanMachine(scanId: string, scanMachineId: number): Promise<ScanMachineRecord | undefined> {
    return (await this.listScanMachines(scanId)).find((m) => m.id === scanMachineId);
  }

  async listScanMachinePatches(scanMachineId: number): Promise<ScanPatchRecord[]> {
    const rows = await this.db.kysely.selectFrom('scan_machine_patches').selectAll()
      .where('scan_machine_id', '=', scanMachineId).orderBy('id').execute();
    return rows.map((row) => ({
      id: row.id, patchId: row.patch_id, bulletinId: row.bulletin_id, kb: row.kb, patchType: row.patch_type,
      productId: row.product_id, productName: row.product_name, scanState: row.scan_state,
      vendorSeverity: row.vendor_severity, title: row.title, release: row.release, sourceName: row.source_name,
      sourceVersion: row.source_version, packages: JSON.parse(row.packages) as unknown[], cves: JSON.parse(row.cves) as string[],
    }));
  }

  /** Deletes a finished scan and its results. A running scan is refused (409). */
  async deleteScan(id: string): Promise<boolean> {
    const scan = await this.getScan(id);
    if (!scan) return false;
    if (!scan.isComplete) throw new ScanRequestError(409, `scan ${scan.id} is still running; wait for its operation to finish before deleting it`);
    await this.db.kysely.transaction().execute(async (trx) => {
      const machineIds = trx.selectFrom('scan_machines').select('id').where('scan_id', '=', scan.id);
      await trx.deleteFrom('scan_machine_patches').where('scan_machine_id', 'in', machineIds).execute();
      await trx.deleteFrom('scan_machines').where('scan_id', '=', scan.id).execute();
      await trx.deleteFrom('scans').where('id', '=', scan.id).execute();
      await trx.deleteFrom('operations').where('id', '=', scan.id).execute();
    });
    return true;
  }
}

/** Endpoint names are matched case-insensitively; the first spelling is kept. */
function dedupeEndpoints(names: string[]): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const raw of names) {
    const name = raw.trim();
    if (!name || seen.has(name.toLowerCase())) continue;
    seen.add(name.toLowerCase());
    result.push(name);
  }
  return result;
}
