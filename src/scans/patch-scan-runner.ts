import { randomUUID } from 'node:crypto';
import { v5 as uuidV5 } from 'uuid';
import { patchEntryFromFinding, upsertPatches } from '../catalog/patch-catalog.js';
import type { Logger } from 'pino';
import type { Transaction } from 'kysely';
import type { PatchwardenDb } from '../db/database.js';
import type { PatchwardenTables } from '../db/schema.js';
import type { Inventory } from '../inventory/types.js';
import type { Assessment, PatchFinding } from '../assess/types.js';
import { assessInventory } from '../assess/assess-inventory.js';
import { DEBIAN_PATCH_ID_NAMESPACE } from '../assess/patch-identity.js';
import type { CatalogService } from '../catalog/catalog-service.js';
import { collectDebianInventory } from '../inventory/collect.js';
import { LocalMachineShell } from '../inventory/collectors/local.js';
import type { LocalHostNames } from '../inventory/collectors/local-host-names.js';
import { finishOperation, updateOperationProgress } from './operations.js';
import { MachineScanError, ScanErrorNumber } from './scan-errors.js';
import type { ScanMachineTask } from './scan-service.js';
import { findScanTemplate, type PatchFilter } from './scan-templates.js';

/** Product ids: UUID v5 of `product/<release>/<source package>` in the patch namespace. */
export function productIdOf(release: string, sourceName: string): string {
  return uuidV5(`product/${release}/${sourceName}`, DEBIAN_PATCH_ID_NAMESPACE);
}

/** Keeps the findings a template asks for. */
export function applyPatchFilter(patches: PatchFinding[], filter: PatchFilter): PatchFinding[] {
  return patches.filter((p) => filter.patchTypes.includes(p.patchType)
    && (p.patchType !== 'SecurityPatch' || filter.securityPatchSeverities.length === 0 || filter.securityPatchSeverities.includes(p.vendorSeverity))
    && (p.patchType !== 'NonSecurityPatch' || filter.nonSecurityPatchSeverities.length === 0 || filter.nonSecurityPatchSeverities.includes(p.vendorSeverity)));
}

/**
 * A machine's current patch status is that of its latest scan: the previous status is replaced,
 * and every patch found becomes (or stays) a patch of the catalog.
 */
async function foldIntoAssetStatus(trx: Transaction<PatchwardenTables>, machineId: number, scanId: string, patches: PatchFinding[], vendor: string, now: string): Promise<void> {
  const nowMs = Date.parse(now);
  await upsertPatches(trx, patches.map((p) => patchEntryFromFinding(p, vendor, nowMs)), nowMs);
  await trx.deleteFrom('asset_patch_status').where('machine_id', '=', machineId).execute();
  for (let i = 0; i < patches.length; i += 500) {
    await trx.insertInto('asset_patch_status').values(patches.slice(i, i + 500).map((p) => ({
      machine_id: machineId, patch_id: p.patchId, state: p.state, scan_id: scanId, updated_at: now,
    }))).execute();
  }
}

/** Scans one machine of a scan: collect, bring the catalog up to date, assess, store. */
export class PatchScanRunner {
  constructor(
    private readonly db: PatchwardenDb,
    private readonly catalog: CatalogService,
    private readonly localNames: LocalHostNames,
    private readonly log: Logger,
  ) {}

  async scanMachine(task: ScanMachineTask): Promise<void> {
    const claimed = await this.db.kysely.updateTable('scan_machines').set({ state: 'Running' })
      .where('id', '=', task.scanMachineId).where('state', '=', 'Pending').executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) return; // already taken or finished
    const machine = await this.db.kysely.selectFrom('scan_machines').select(['endpoint']).where('id', '=', task.scanMachineId).executeTakeFirstOrThrow();
    const scan = await this.db.kysely.selectFrom('scans').select(['template_id']).where('id', '=', task.scanId).executeTakeFirstOrThrow();
    try {
      const template = await findScanTemplate(this.db, scan.template_id);
      if (!template) throw new MachineScanError(ScanErrorNumber.AssessmentFailed, `scan template ${scan.template_id} was deleted during the scan`);
      const inventory = await this.collect(machine.endpoint);
      const sync = await this.catalog.syncForInventory(inventory);
      if (sync.errors.length > 0 && !sync.anyIndexAvailable) {
        throw new MachineScanError(ScanErrorNumber.CatalogSyncFailed, `the catalog could not be updated for this machine's repositories: ${sync.errors.join('; ')}`);
      }
      const view = await this.catalog.currentView();
      const assessment = assessInventory(inventory, view);
      const patches = applyPatchFilter(assessment.patches, template.patchFilter);
      await this.storeResult(task, inventory, { ...assessment, patches }, assessment.patches, view.definitionDate, sync.errors);
    } catch (error) {
      const scanError = error instanceof MachineScanError ? error
        : new MachineScanError(ScanErrorNumber.AssessmentFailed, `assessment failed: ${(error as Error).message}`);
      if (!(error instanceof MachineScanError)) this.log.error({ err: error, scanId: task.scanId }, 'machine scan failed');
      await this.storeFailure(task, scanError);
    }
  }

  private async collect(endpoint: string): Promise<Inventory> {
    if (!this.localNames.matches(endpoint)) {
      throw new MachineScanError(ScanErrorNumber.RemoteScanningNotConfigured,
        `remote scanning is not configured: ${endpoint} is not this console's host, and no SSH credentials or machine groups are set up to reach it`);
    }
    let inventory: Inventory;
    try {
      inventory = await collectDebianInventory(new LocalMachineShell());
    } catch (error) {
      throw new MachineScanError(ScanErrorNumber.CollectionFailed, `collecting the inventory of ${endpoint} failed: ${(error as Error).message}`);
    }
    if (inventory.os.family !== 'debian') {
      throw new MachineScanError(ScanErrorNumber.UnsupportedOperatingSystem,
        `${inventory.os.prettyName || inventory.os.id || 'this operating system'} is not supported yet: only Debian and Ubuntu machines can be assessed`);
    }
    return inventory;
  }

  private async storeResult(task: ScanMachineTask, inventory: Inventory, assessment: Assessment, allPatches: PatchFinding[], definitionDate: string, warnings: string[]): Promise<void> {
    const now = new Date().toISOString();
    const missing = assessment.patches.filter((p) => p.state === 'Missing').length;
    const installed = assessment.patches.length - missing;
    await this.db.kysely.transaction().execute(async (trx) => {
      const machineRow = {
        dns_name: inventory.host.fqdn || null, domain: inventory.host.domain || null, os_name: inventory.os.prettyName,
        last_scanned_at: now, last_inventory: JSON.stringify(inventory),
        os_identifier: `${inventory.os.id}:${inventory.os.versionId}`, architecture: inventory.architecture,
      };
      const assetUuid = randomUUID();
      const { id: machineId } = await trx.insertInto('machines').values({
        name: inventory.host.hostname, ...machineRow, created_at: now, asset_uuid: assetUuid,
      }).onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({
        ...machineRow,
        // Machines recorded before assets had ids get theirs at their next scan.
        asset_uuid: eb.fn.coalesce('machines.asset_uuid', eb.val(assetUuid)),
      }))).returning('id').executeTakeFirstOrThrow();
      await foldIntoAssetStatus(trx, machineId, task.scanId, allPatches, inventory.os.prettyName.split(' ')[0] || 'Debian', now);
      for (let i = 0; i < assessment.patches.length; i += 500) {
        await trx.insertInto('scan_machine_patches').values(assessment.patches.slice(i, i + 500).map((p) => ({
          scan_machine_id: task.scanMachineId, patch_id: p.patchId, bulletin_id: p.bulletinId,
          kb: `${p.sourceName}_${p.sourceVersion}`, patch_type: p.patchType, product_id: productIdOf(p.release, p.sourceName),
          product_name: `${p.sourceName} (${p.release})`, scan_state: p.state, vendor_severity: p.vendorSeverity, title: p.title,
          release: p.release, source_name: p.sourceName, source_version: p.sourceVersion,
          packages: JSON.stringify(p.packages), cves: JSON.stringify(p.cves),
        }))).execute();
      }
      await trx.updateTable('scan_machines').set({
        machine_id: machineId, name: inventory.host.hostname, dns_name: inventory.host.fqdn || null,
        domain: inventory.host.domain || null, state: 'Done', completed_on: now,
        error_number: warnings.length > 0 ? ScanErrorNumber.OutdatedRepositoryData : null,
        error_description: warnings.length > 0 ? `assessed with partly outdated repository data: ${warnings.join('; ')}` : null,
        installed_patch_count: installed, missing_patch_count: missing,
      }).where('id', '=', task.scanMachineId).execute();
      await trx.updateTable('scans').set({ definition_version: assessment.definitionVersion, definition_date: definitionDate || null })
        .where('id', '=', task.scanId).execute();
      await this.countResult(trx, task.scanId);
    });
  }

  private async storeFailure(task: ScanMachineTask, error: MachineScanError): Promise<void> {
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx.updateTable('scan_machines').set({
        state: 'Done', completed_on: new Date().toISOString(), error_number: error.errorNumber, error_description: error.message,
      }).where('id', '=', task.scanMachineId).execute();
      await this.countResult(trx, task.scanId);
    });
  }

  /**
   * Counts one more machine result. The increment takes the scan row's lock, so exactly one
   * machine — the last — sees the total reached and completes the scan and its operation.
   * Runs in the same transaction as the machine's result, so a crash never counts a result
   * that was not stored, nor stores one that was not counted.
   */
  private async countResult(trx: Transaction<PatchwardenTables>, scanId: string): Promise<void> {
    const now = new Date().toISOString();
    {
      const counted = await trx.updateTable('scans')
        .set((eb) => ({ received_result_count: eb('received_result_count', '+', 1), updated_on: now }))
        .where('id', '=', scanId).returning(['received_result_count', 'expected_result_total']).executeTakeFirst();
      if (!counted) return;
      if (counted.received_result_count < counted.expected_result_total) {
        await updateOperationProgress(trx, scanId, (100 * counted.received_result_count) / counted.expected_result_total);
        return;
      }
      await trx.updateTable('scans').set({ is_complete: 1 }).where('id', '=', scanId).execute();
      const failures = await trx.selectFrom('scan_machines').select(['error_number', 'missing_patch_count'])
        .where('scan_id', '=', scanId).where('state', '=', 'Done').execute();
      const allFailed = failures.length > 0 && failures.every((m) => m.error_number !== null && m.error_number !== ScanErrorNumber.OutdatedRepositoryData);
      await finishOperation(trx, scanId, allFailed ? 'Failed' : 'Succeeded', `patch/scans/${scanId}`,
        allFailed ? 'no machine could be scanned; each machine of the scan carries its errorNumber and errorDescription' : null);
    }
  }
}
