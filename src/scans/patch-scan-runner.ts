import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { v5 as uuidV5 } from 'uuid';
import { patchEntryFromFinding, upsertPatches } from '../catalog/patch-catalog.js';
import type { Logger } from 'pino';
import type { Transaction } from 'kysely';
import type { PatchwardenDb, SqlDialectName } from '../db/database.js';
import type { PatchwardenTables } from '../db/schema.js';
import type { Inventory } from '../inventory/types.js';
import type { Assessment, PatchFinding } from '../assess/types.js';
import { assessInventory } from '../assess/assess-inventory.js';
import { DEBIAN_PATCH_ID_NAMESPACE } from '../assess/patch-identity.js';
import type { CatalogService } from '../catalog/catalog-service.js';
import type { CatalogView } from '../catalog/catalog-view.js';
import { advisoryReleaseOfInventory } from '../catalog/advisory.js';
import { collectInventory } from '../inventory/collect.js';
import { LocalMachineShell } from '../inventory/collectors/local.js';
import type { LocalHostNames } from '../inventory/collectors/local-host-names.js';
import { finishOperation, updateOperationProgress } from './operations.js';
import { MachineScanError, SCAN_WARNING_NUMBERS, ScanErrorNumber, type ScanWarning } from './scan-errors.js';
import type { ScanMachineTask } from './scan-service.js';
import { findScanTemplate, type PatchFilter } from './scan-templates.js';
import { replaceMachinePatchStatus } from './patch-status-counts.js';
import type { CredentialService } from './credentials.js';
import { resolveMachineCredentials } from './machine-credentials.js';
import { PerScanLimiter, startJitter } from './scan-concurrency.js';
import type { StartScanRequest } from './scan-service.js';
import type { SshHostKeyStore } from './ssh-host-keys.js';
import type { SessionCredentialStore } from './session-credentials.js';
import { collectOverSsh, endpointHasPort, shellCopyingKeyrings, type SshCollectionSettings } from './ssh-scan-collection.js';

/** What the runner needs to reach machines other than the console's own host. */
export interface RemoteScanning {
  credentials: CredentialService;
  hostKeys: SshHostKeyStore;
  settings: SshCollectionSettings;
  /** Session credentials of console users: a scan's last resort to log on. */
  sessionCredentials?: SessionCredentialStore;
}

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
 * A machine's current patch status is that of its latest scan: the previous status is replaced
 * (and the per-patch counts follow), and every patch found becomes (or stays) a patch of the
 * catalog, with the machine's packages of it among the patch's packages.
 */
async function foldIntoAssetStatus(
  trx: Transaction<PatchwardenTables>, dialect: SqlDialectName, machineId: number, scanId: string, patches: PatchFinding[], vendor: string, now: string,
): Promise<void> {
  const nowMs = Date.parse(now);
  // A machine has only some of a patch's packages: a known patch keeps the others.
  await upsertPatches(trx, patches.map((p) => patchEntryFromFinding(p, vendor, nowMs)), nowMs, { packages: 'add', dialect });
  await replaceMachinePatchStatus(trx, machineId, patches.map((p) => ({ patchId: p.patchId, state: p.state })), scanId, now);
}

/** What to note with a scanned machine's result, if anything: outdated repositories, or no advisories to judge it by. */
export function scanWarning(inventory: Inventory, view: CatalogView, syncErrors: string[]): ScanWarning | undefined {
  if (syncErrors.length > 0) {
    return { errorNumber: ScanErrorNumber.OutdatedRepositoryData, description: `assessed with partly outdated repository data: ${syncErrors.join('; ')}` };
  }
  if (inventory.os.family === 'rpm' || inventory.os.family === 'alpine') {
    const release = advisoryReleaseOfInventory(inventory);
    const advisories = release && view.advisories.of(release.distro, release.release);
    if (!advisories || (advisories.bySource.size === 0 && advisories.byBinary.size === 0)) {
      return {
        errorNumber: ScanErrorNumber.NoAdvisoryData,
        description: `no advisories are imported for ${release ? `${release.distro} ${release.release}` : inventory.os.prettyName}, so no patches could be judged; import them with "patchwarden advisories import osv|updateinfo <path or URL>" and scan again`,
      };
    }
  }
  return undefined;
}

/** Scans one machine of a scan: collect, bring the catalog up to date, assess, store. */
export class PatchScanRunner {
  constructor(
    private readonly db: PatchwardenDb,
    private readonly catalog: CatalogService,
    private readonly localNames: LocalHostNames,
    private readonly log: Logger,
    private readonly remote?: RemoteScanning,
  ) {}

  private readonly perScan = new PerScanLimiter();

  async scanMachine(task: ScanMachineTask): Promise<void> {
    const claimed = await this.db.kysely.updateTable('scan_machines').set({ state: 'Running' })
      .where('id', '=', task.scanMachineId).where('state', '=', 'Pending').executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) return; // already taken or finished
    const machine = await this.db.kysely.selectFrom('scan_machines').select(['endpoint', 'credential_id']).where('id', '=', task.scanMachineId).executeTakeFirstOrThrow();
    const scan = await this.db.kysely.selectFrom('scans').select(['template_id', 'request', 'user_id', 'user_name']).where('id', '=', task.scanId).executeTakeFirstOrThrow();
    try {
      const template = await findScanTemplate(this.db, scan.template_id);
      if (!template) throw new MachineScanError(ScanErrorNumber.AssessmentFailed, `scan template ${scan.template_id} was deleted during the scan`);
      const inventory = await this.collect(task, machine, scan, template.threadCount);
      const sync = await this.catalog.syncForInventory(inventory);
      if (sync.errors.length > 0 && !sync.anyIndexAvailable) {
        throw new MachineScanError(ScanErrorNumber.CatalogSyncFailed, `the catalog could not be updated for this machine's repositories: ${sync.errors.join('; ')}`);
      }
      const view = await this.catalog.currentView();
      const assessment = assessInventory(inventory, view);
      const patches = applyPatchFilter(assessment.patches, template.patchFilter);
      await this.storeResult(task, inventory, { ...assessment, patches }, assessment.patches, view.definitionDate, scanWarning(inventory, view, sync.errors));
    } catch (error) {
      const scanError = error instanceof MachineScanError ? error
        : new MachineScanError(ScanErrorNumber.AssessmentFailed, `assessment failed: ${(error as Error).message}`);
      if (!(error instanceof MachineScanError)) this.log.error({ err: error, scanId: task.scanId }, 'machine scan failed');
      await this.storeFailure(task, scanError);
    }
  }

  /**
   * Reaches the machine and collects its inventory: the console's own host through a local shell
   * when the scan gives no credential, anything else over SSH with the scan's credential, at most
   * the template's `threadCount` machines of one scan at a time.
   */
  private async collect(
    task: ScanMachineTask,
    machine: { endpoint: string; credential_id: string | null },
    scan: { request: string; user_id: number; user_name: string },
    threadCount: number,
  ): Promise<Inventory> {
    const { endpoint } = machine;
    const request = JSON.parse(scan.request) as Partial<StartScanRequest>;
    const isLocal = !endpointHasPort(endpoint) && this.localNames.matches(endpoint);
    if (isLocal && !machine.credential_id && !request.credentialId) return this.collectLocal(endpoint);
    const remote = this.remote;
    if (!remote) {
      throw new MachineScanError(ScanErrorNumber.RemoteScanningNotConfigured,
        `remote scanning is not configured in this process: ${endpoint} cannot be reached over SSH`);
    }
    const credentials = await resolveMachineCredentials(remote.credentials, {
      machineCredentialId: machine.credential_id, credentialId: request.credentialId, runAsCredentialId: request.runAsCredentialId,
      owner: { id: Number(scan.user_id), username: scan.user_name },
      sessionCredential: remote.sessionCredentials?.get(Number(scan.user_id)),
    });
    const inventory = await this.perScan.run(task.scanId, threadCount, async () => {
      await startJitter(remote.settings.startJitterMs);
      return collectOverSsh({
        endpoint, credentials, validation: request.sshServerValidationMode ?? 'Blocked', hostKeys: remote.hostKeys, settings: remote.settings,
        collect: (shell, timeoutMs) => collectInventory(shellCopyingKeyrings(shell), { collector: 'ssh', timeoutMs }),
      });
    });
    return this.checkSupported(inventory);
  }

  private async collectLocal(endpoint: string): Promise<Inventory> {
    let inventory: Inventory;
    try {
      inventory = await collectInventory(new LocalMachineShell());
    } catch (error) {
      throw new MachineScanError(ScanErrorNumber.CollectionFailed, `collecting the inventory of ${endpoint} failed: ${(error as Error).message}`);
    }
    return this.checkSupported(inventory);
  }

  /**
   * Debian and Ubuntu machines are assessed against their apt repositories (and advisories);
   * RPM-family and Alpine machines against the advisories of their release, which must be known.
   */
  private checkSupported(inventory: Inventory): Inventory {
    const name = inventory.os.prettyName || inventory.os.id || 'this operating system';
    if (inventory.os.family === 'unknown') {
      throw new MachineScanError(ScanErrorNumber.UnsupportedOperatingSystem,
        `${name} is not supported: Debian, Ubuntu, RHEL-family, SUSE and Alpine machines can be assessed`);
    }
    if (inventory.os.family !== 'debian' && advisoryReleaseOfInventory(inventory) === undefined) {
      throw new MachineScanError(ScanErrorNumber.UnsupportedOperatingSystem,
        `${name} (os-release ID "${inventory.os.id}", VERSION_ID "${inventory.os.versionId}") is not a distribution whose advisories this console reads`);
    }
    return inventory;
  }

  private async storeResult(task: ScanMachineTask, inventory: Inventory, assessment: Assessment, allPatches: PatchFinding[], definitionDate: string, warning: ScanWarning | undefined): Promise<void> {
    const now = new Date().toISOString();
    const missing = assessment.patches.filter((p) => p.state === 'Missing').length;
    const installed = assessment.patches.length - missing;
    await this.db.kysely.transaction().execute(async (trx) => {
      if (await this.discardIfCancelled(trx, task)) return;
      const { endpoint } = await trx.selectFrom('scan_machines').select('endpoint').where('id', '=', task.scanMachineId).executeTakeFirstOrThrow();
      const machineRow = {
        dns_name: inventory.host.fqdn || null, domain: inventory.host.domain || null, os_name: inventory.os.prettyName,
        last_scanned_at: now, last_inventory: JSON.stringify(inventory),
        os_identifier: `${inventory.os.id}:${inventory.os.versionId}`, architecture: inventory.architecture,
        ...(isIP(endpoint) ? { ip_address: endpoint } : {}),
      };
      const assetUuid = randomUUID();
      const { id: machineId } = await trx.insertInto('machines').values({
        name: inventory.host.hostname, ...machineRow, created_at: now, asset_uuid: assetUuid,
      }).onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({
        ...machineRow,
        // Machines recorded before assets had ids get theirs at their next scan.
        asset_uuid: eb.fn.coalesce('machines.asset_uuid', eb.val(assetUuid)),
      }))).returning('id').executeTakeFirstOrThrow();
      await foldIntoAssetStatus(trx, this.db.dialect, machineId, task.scanId, allPatches, inventory.os.prettyName.split(' ')[0] || 'Debian', now);
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
        error_number: warning?.errorNumber ?? null,
        error_description: warning?.description ?? null,
        installed_patch_count: installed, missing_patch_count: missing,
      }).where('id', '=', task.scanMachineId).execute();
      await trx.updateTable('scans').set({ definition_version: assessment.definitionVersion, definition_date: definitionDate || null })
        .where('id', '=', task.scanId).execute();
      await this.countResult(trx, task.scanId);
    });
  }

  private async storeFailure(task: ScanMachineTask, error: MachineScanError): Promise<void> {
    await this.db.kysely.transaction().execute(async (trx) => {
      if (await this.discardIfCancelled(trx, task)) return;
      await trx.updateTable('scan_machines').set({
        state: 'Done', completed_on: new Date().toISOString(), error_number: error.errorNumber, error_description: error.message,
      }).where('id', '=', task.scanMachineId).execute();
      await this.countResult(trx, task.scanId);
    });
  }

  /**
   * When the scan was cancelled while this machine was being scanned, its result is discarded:
   * the machine ends with the cancelled error and is counted. Takes the scan row's lock first,
   * as cancelling does, so a result is either stored before the cancel or discarded after it.
   */
  private async discardIfCancelled(trx: Transaction<PatchwardenTables>, task: ScanMachineTask): Promise<boolean> {
    await trx.updateTable('scans').set({ updated_on: new Date().toISOString() }).where('id', '=', task.scanId).execute();
    const operation = await trx.selectFrom('operations').select(['status', 'error']).where('id', '=', task.scanId).executeTakeFirst();
    if (operation?.status !== 'Cancelled') return false;
    const discarded = await trx.updateTable('scan_machines').set({
      state: 'Done', completed_on: new Date().toISOString(), error_number: ScanErrorNumber.Cancelled,
      error_description: `the scan was ${operation.error ?? 'cancelled'} while this machine was being scanned; its result was discarded`,
    }).where('id', '=', task.scanMachineId).where('state', '=', 'Running').executeTakeFirst();
    if (Number(discarded.numUpdatedRows) > 0) await this.countResult(trx, task.scanId);
    return true;
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
      const allFailed = failures.length > 0 && failures.every((m) => m.error_number !== null && !SCAN_WARNING_NUMBERS.has(m.error_number));
      await finishOperation(trx, scanId, allFailed ? 'Failed' : 'Succeeded', `patch/scans/${scanId}`,
        allFailed ? 'no machine could be scanned; each machine of the scan carries its errorNumber and errorDescription' : null);
    }
  }
}
