import type { RunningConsole } from '../api/console.js';
import { findUserByName } from '../auth/users.js';
import { readSystemAptSources } from '../catalog/sources/apt-repo/sources-list.js';
import { collectLocalInventory } from '../inventory/collect.js';

/**
 * The main job at start: sync the catalog for this host's apt sources, scan this host through
 * the same scan service the API uses, and print what is missing.
 */
export async function printLocalScanSummary(running: RunningConsole, templateId: string, out: (line?: string) => void): Promise<void> {
  out('');
  out('Syncing the patch catalog from this host\'s apt sources...');
  const sources = await readSystemAptSources('/');
  for (const problem of sources.errors) out(`  warning: ${problem.message}`);
  const inventory = await collectLocalInventory();
  const started = Date.now();
  const sync = await running.catalog.syncSources(sources.entries, [inventory.architecture, ...inventory.foreignArchitectures], { force: true });
  out(`  ${sync.changed.length} changed, ${sync.unchanged.length} unchanged distribution(s); ${sync.packagesStored} package versions stored `
    + `in ${((Date.now() - started) / 1000).toFixed(1)} s; definitions ${sync.definition.version}`);
  for (const error of sync.errors) out(`  error: ${error}`);

  out(`Scanning this host (${inventory.host.fqdn || inventory.host.hostname})...`);
  const admin = await findUserByName(running.db, 'admin');
  if (!admin) throw new Error('the admin user is missing from the store');
  const scan = await running.services.scans.startScan({
    name: `Start-up scan of ${inventory.host.hostname}`, templateId, endpointNames: ['localhost'], machineGroupIds: [],
    useMachineCredential: false, diagnosticTraceEnabled: false, sshServerValidationMode: 'Blocked',
  }, admin);
  await running.queue.drain();
  const [machine] = await running.services.scans.listScanMachines(scan.id);
  if (machine.errorNumber !== null && machine.errorNumber !== undefined && machine.missingPatchCount === 0 && machine.installedPatchCount === 0) {
    out(`  scan failed: ${machine.errorDescription}`);
    return;
  }
  const patches = await running.services.scans.listScanMachinePatches(machine.id);
  const missingSecurity = patches.filter((p) => p.scanState === 'Missing' && p.patchType === 'SecurityPatch');
  out(`  ${machine.name}: ${machine.missingPatchCount} missing patch(es) (${missingSecurity.length} security), ${machine.installedPatchCount} installed`);
  if (machine.errorDescription) out(`  note: ${machine.errorDescription}`);
  for (const patch of missingSecurity.slice(0, 40)) {
    const packages = (patch.packages as Array<{ name: string; installedVersion: string; candidateVersion: string }>)
      .map((p) => p.name).join(', ');
    out(`    ${patch.bulletinId}  (${packages})`);
  }
  if (missingSecurity.length > 40) out(`    ... and ${missingSecurity.length - 40} more`);
  out(`  Results: scan ${scan.id}`);
}
