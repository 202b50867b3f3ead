/** Starting SSH scans through the HTTP API and reading their per-machine results, for tests. */
import assert from 'node:assert/strict';
import { ST, waitForOperation, type TestConsole } from './console-fixture.js';
import { FULL_PATCH_SCAN_TEMPLATE_ID } from '../../src/scans/scan-templates.js';

/** Stores a credential and returns its id. */
export async function storeCredential(console_: TestConsole, name: string, userName: string, password: string): Promise<string> {
  const created = await console_.request('POST', `${ST}/credentials`, { body: { name, userName, password: { clearText: password } } });
  assert.equal(created.status, 201, created.text);
  return created.json.id;
}

export interface ScanOutcome {
  scanId: string;
  operation: any;
  /** The scan's machines by the endpoint they were named with (a scanned machine is renamed to its host name). */
  machines: any[];
}

/** Starts a scan of the endpoints and waits for its operation to finish. */
export async function scanEndpoints(console_: TestConsole, endpoints: string[], options: {
  credentialId?: string; runAsCredentialId?: string; sshServerValidationMode?: 'Blocked' | 'SkipServerAuthentication'; templateId?: string; name?: string;
} = {}): Promise<ScanOutcome> {
  const started = await startScan(console_, endpoints, options);
  const operation = await waitForOperation(console_, started.operationUrl, 300_000);
  const machines = await console_.request('GET', `${ST}/patch/scans/${started.scanId}/machines?count=1000`);
  assert.equal(machines.status, 200, machines.text);
  return { scanId: started.scanId, operation, machines: machines.json.value };
}

export async function startScan(console_: TestConsole, endpoints: string[], options: {
  credentialId?: string; runAsCredentialId?: string; sshServerValidationMode?: 'Blocked' | 'SkipServerAuthentication'; templateId?: string; name?: string;
} = {}): Promise<{ scanId: string; operationUrl: string }> {
  const started = await console_.request('POST', `${ST}/patch/scans`, {
    body: {
      name: options.name ?? 'ssh scan', templateId: options.templateId ?? FULL_PATCH_SCAN_TEMPLATE_ID, endpointNames: endpoints,
      credentialId: options.credentialId, runAsCredentialId: options.runAsCredentialId, sshServerValidationMode: options.sshServerValidationMode ?? 'Blocked',
    },
  });
  assert.equal(started.status, 202, started.text);
  return { scanId: started.json.id, operationUrl: started.headers.get('operation-location')! };
}

/** The machine of a scan result that was named `endpoint` (failed machines keep that name; scanned ones take their host name). */
export function machineNamed(outcome: ScanOutcome, name: string): any {
  const machine = outcome.machines.find((m) => m.name === name);
  assert.ok(machine, `no machine named ${name} in ${JSON.stringify(outcome.machines.map((m) => m.name))}`);
  return machine;
}
