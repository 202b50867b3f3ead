import { randomUUID } from 'node:crypto';
import type { PatchwardenDb } from '../db/database.js';
import type { TaskQueue } from '../queue/task-queue.js';
import type { AuthenticatedUser } from '../auth/users.js';
import { findScanTemplate } from './scan-templates.js';
import { cancelOperation, createOperation, findOperation } from './operations.js';
import type { CredentialService } from './credentials.js';
import type { MachineGroupService } from './machine-groups.js';
import { ScanRequestError } from './scan-request-error.js';
import { ScanErrorNumber } from './scan-errors.js';

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

export { ScanRequestError };

/** The most machines one scan may reach (endpoint names and expanded groups together). */
export const MAX_SCAN_ENDPOINTS = 65_536;

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
    readonly consoleName: string,
    private readonly groups: MachineGroupService,
    private readonly credentials: CredentialService,
  ) {}

  async startScan(request: StartScanRequest, user: AuthenticatedUser): Promise<ScanRecord> {
    const template = await findScanTemplate(this.db, request.templateId);
    if (!template) throw new ScanRequestError(404, `scan template ${request.templateId} does not exist`, 'templateId');
    for (const [field, credentialId] of [['credentialId', request.credentialId], ['runAsCredentialId', request.runAsCredentialId]] as const) {
      if (credentialId !== undefined && !(await this.credentials.get(user, credentialId))) {
        throw new ScanRequestError(404, `credential ${credentialId} does not exist (or is not yours)`, field);
      }
    }
    const targets = await this.resolveTargets(request, user);
    const id = randomUUID();
    const now = new Date().toISOString();
    const scanMachineIds: number[] = [];
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx.insertInto('scans').values({
        id, name: request.name, template_id: template.id, user_name: user.username, user_id: user.id,
        console_name: this.consoleName, started_on: now, updated_on: now, is_complete: 0,
        definition_version: null, definition_date: null, expected_result_total: targets.length,
        received_result_count: 0, request: JSON.stringify(request),
      }).execute();
      for (let i = 0; i < targets.length; i += 500) {
        const inserted = await trx.insertInto('scan_machines').values(targets.slice(i, i + 500).map((target) => ({
          scan_id: id, machine_id: null, endpoint: target.endpoint, name: target.endpoint, dns_name: null, domain: null, state: 'Pending',
          completed_on: null, error_number: null, error_description: null, installed_patch_count: 0, missing_patch_count: 0,
          credential_id: target.credentialId,
        }))).returning('id').execute();
        scanMachineIds.push(...inserted.map((row) => row.id).sort((a, b) => a - b));
      }
      await createOperation(trx, { id, operation: 'PatchScan', userId: user.id, now });
    });
    for (const scanMachineId of scanMachineIds) {
      await this.queue.enqueue<ScanMachineTask>(SCAN_MACHINE_TASK, { scanId: id, scanMachineId });
    }
    return (await this.getScan(id))!;
  }

  /**
   * The machines a scan reaches: its endpoint names, then its groups expanded, without repeats.
   * Each gets the stored credential it is reached with: the scan's `credentialId`, else the
   * credential its group filter names, else `runAsCredentialId` (`useMachineCredential` puts the
   * filter's credential first). A filter credential must be the caller's own.
   */
  private async resolveTargets(request: StartScanRequest, user: AuthenticatedUser): Promise<Array<{ endpoint: string; credentialId: string | null }>> {
    const candidates = [
      ...request.endpointNames.map((endpoint) => ({ endpoint: endpoint.trim(), credentialId: null as string | null })),
      ...await this.groups.resolve([...new Set(request.machineGroupIds)]),
    ];
    const seen = new Set<string>();
    const unique = candidates.filter(({ endpoint }) => {
      const key = endpoint.toLowerCase();
      if (!endpoint || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    if (unique.length === 0) {
      const field = request.machineGroupIds.length > 0 ? 'machineGroupIds' : 'endpointNames';
      throw new ScanRequestError(400, request.machineGroupIds.length > 0
        ? 'the machine groups hold no machines once their exclusions are applied; add discovery filters or name endpointNames'
        : 'either endpointNames or machineGroupIds must name at least one machine', field);
    }
    if (unique.length > MAX_SCAN_ENDPOINTS) {
      throw new ScanRequestError(400, `the scan would reach ${unique.length} machines; at most ${MAX_SCAN_ENDPOINTS} are allowed in one scan`, 'machineGroupIds');
    }
    const owned = new Map<string, boolean>();
    const targets = [];
    for (const target of unique) {
      const credentialId = request.useMachineCredential
        ? target.credentialId ?? request.credentialId ?? request.runAsCredentialId ?? null
        : request.credentialId ?? target.credentialId ?? request.runAsCredentialId ?? null;
      if (credentialId !== null && credentialId === target.credentialId) {
        if (!owned.has(credentialId)) owned.set(credentialId, (await this.credentials.get(user, credentialId)) !== undefined);
        if (!owned.get(credentialId)) {
          throw new ScanRequestError(404, `a discovery filter of the machine groups names credential ${credentialId}, which does not exist or is not yours; `
            + 'pass credentialId to reach these machines with one of your own', 'machineGroupIds');
        }
      }
      targets.push({ endpoint: target.endpoint, credentialId });
    }
    return targets;
  }

  /**
   * Cancels a running scan: machines not started yet end with the cancelled error; machines
   * being scanned finish, but their results are discarded. The operation ends `Cancelled` at
   * once; the scan is complete when the last machine being scanned has stopped.
   */
  async cancelScan(id: string, user: AuthenticatedUser): Promise<void> {
    const operation = await findOperation(this.db, id);
    if (!operation) throw new ScanRequestError(404, `operation ${id} does not exist`, 'operationId');
    if (operation.userId !== user.id && user.role !== 'administrator') {
      throw new ScanRequestError(403, `operation ${operation.id} was started by another user; only they or an administrator may cancel it`, 'operationId');
    }
    const finished = (status: string) => new ScanRequestError(409, `operation ${operation.id} has already finished (${status}); there is nothing to cancel`, 'operationId');
    if (operation.status !== 'Running') throw finished(operation.status);
    if (operation.operation !== 'PatchScan') {
      throw new ScanRequestError(409, `operation ${operation.id} is a ${operation.operation}; only patch scans can be cancelled`, 'operationId');
    }
    const now = new Date().toISOString();
    const cancelled = await this.db.kysely.transaction().execute(async (trx) => {
      // The scan row's lock first, as a machine storing its result takes it: the two never interleave.
      const scan = await trx.updateTable('scans').set({ updated_on: now }).where('id', '=', operation.id)
        .returning(['received_result_count', 'expected_result_total']).executeTakeFirstOrThrow();
      if (!(await cancelOperation(trx, operation.id, `cancelled by ${user.username}`, `patch/scans/${operation.id}`))) return false;
      const pending = await trx.updateTable('scan_machines').set({
        state: 'Done', completed_on: now, error_number: ScanErrorNumber.Cancelled,
        error_description: `the scan was cancelled by ${user.username} before this machine was scanned`,
      }).where('scan_id', '=', operation.id).where('state', '=', 'Pending').executeTakeFirst();
      const received = scan.received_result_count + Number(pending.numUpdatedRows);
      await trx.updateTable('scans').set({ received_result_count: received, is_complete: received >= scan.expected_result_total ? 1 : 0 })
        .where('id', '=', operation.id).execute();
      return true;
    });
    if (!cancelled) throw finished((await findOperation(this.db, operation.id))?.status ?? 'Succeeded');
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
