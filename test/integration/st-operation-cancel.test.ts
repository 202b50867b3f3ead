/**
 * `DELETE /operations/{id}`: cancelling a running patch scan over real HTTP. Machines not
 * started yet end at once with the cancelled error; a machine being scanned finishes but its
 * result is discarded; counts stay consistent; a finished operation answers 409.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ST, startTestConsole, waitForOperation, type TestConsole } from '../support/console-fixture.js';
import {
  assertErrorResponse, assertScan, assertScanMachine, assertShape, basicAuth, createUser, holdScanQueue, operationShape, pathOf,
  type OperationWire, type ScanMachineWire, type ScanWire,
} from '../support/st-wire-assertions.js';
import { FULL_PATCH_SCAN_TEMPLATE_ID } from '../../src/scans/scan-templates.js';
import { ScanErrorNumber } from '../../src/scans/scan-errors.js';

let c: TestConsole;
let operatorAuth: string;

async function start(endpointNames: string[], auth?: string): Promise<{ scan: ScanWire; operation: string }> {
  const started = await c.request('POST', `${ST}/patch/scans`, { body: { name: 'to cancel', templateId: FULL_PATCH_SCAN_TEMPLATE_ID, endpointNames }, auth });
  assert.equal(started.status, 202, started.text);
  return { scan: started.json, operation: pathOf(started.headers.get('operation-location')!) };
}

async function machinesOf(scan: ScanWire): Promise<ScanMachineWire[]> {
  const response = await c.request('GET', pathOf(scan.links.machines));
  for (const machine of response.json.value) assertScanMachine(machine, c.url, scan.id);
  return response.json.value;
}

async function rowCount(table: 'machines' | 'asset_patch_status' | 'scan_machine_patches'): Promise<number> {
  const row = await c.running.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

before(async () => {
  c = await startTestConsole({ scanConcurrency: 1 });
  await createUser(c.running, 'operator', 'operator pw');
  operatorAuth = basicAuth('operator', 'operator pw');
});

after(async () => {
  await c?.close();
});

describe('DELETE /operations/{id}', () => {
  it('cancels machines that have not started: each ends with errorNumber 1020, the scan completes, the operation is Cancelled', async () => {
    const hold = await holdScanQueue(c.running, 1);
    let scan: ScanWire;
    let operation: string;
    try {
      await hold.started;
      ({ scan, operation } = await start(['remote-a.example', 'remote-b.example', 'remote-c.example']));
      const running = await c.request('GET', operation);
      assertShape(running.json, operationShape('running'), 'operation');
      const cancelled = await c.request('DELETE', operation);
      assert.equal(cancelled.status, 204, cancelled.text);
      assert.equal(cancelled.text, '');
    } finally {
      hold.release();
    }
    await c.running.queue.drain();
    const op = await c.request('GET', operation);
    assertShape(op.json, operationShape('finished'), 'operation');
    const body = op.json as OperationWire;
    assert.equal(body.status, 'Cancelled');
    assert.equal(body.percentComplete, 100);
    assert.equal(body.resourceLocation, scan.links.self.href);
    assert.deepEqual(body.error, { message: 'cancelled by admin' });
    const after = await c.request('GET', pathOf(scan.links.self));
    assertScan(after.json, c.url);
    assert.equal(after.json.isComplete, true);
    assert.equal(after.json.receivedResultCount, 3);
    assert.equal(after.json.expectedResultTotal, 3);
    for (const machine of await machinesOf(scan)) {
      assert.equal(machine.errorNumber, ScanErrorNumber.Cancelled);
      assert.equal(machine.errorNumber, 1020);
      assert.equal(machine.errorDescription, 'the scan was cancelled by admin before this machine was scanned');
      assert.ok(machine.completedOn);
    }
    const again = assertErrorResponse(await c.request('DELETE', operation), 409, /has already finished \(Cancelled\)/);
    assert.equal(again.field, 'operationId');
  });

  it('lets a machine being scanned finish but discards its result; counts stay consistent', async () => {
    const catalog = c.running.catalog;
    const original = catalog.syncForInventory.bind(catalog);
    let reached!: () => void;
    const collecting = new Promise<void>((resolve) => { reached = resolve; });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    // Holds the machine between collection and assessment, so the cancel lands while it runs.
    catalog.syncForInventory = async (inventory) => {
      reached();
      await gate;
      return original(inventory);
    };
    try {
      const { scan, operation } = await start(['localhost', 'remote-later.example']);
      await collecting;
      const cancelled = await c.request('DELETE', operation);
      assert.equal(cancelled.status, 204, cancelled.text);
      const op = await c.request('GET', operation);
      assertShape(op.json, operationShape('finished'), 'operation');
      assert.equal(op.json.status, 'Cancelled');
      const midway = await c.request('GET', pathOf(scan.links.self));
      assert.equal(midway.json.isComplete, false, 'a machine is still being scanned');
      assert.equal(midway.json.receivedResultCount, 1);
      assertErrorResponse(await c.request('DELETE', pathOf(scan.links.self)), 409, /still running/);
      release();
      await c.running.queue.drain();
      const done = await c.request('GET', pathOf(scan.links.self));
      assert.equal(done.json.isComplete, true);
      assert.equal(done.json.receivedResultCount, 2);
      const [local, later] = await machinesOf(scan);
      assert.equal(local.name, 'localhost', 'the result that would have renamed it was discarded');
      assert.equal(local.errorNumber, 1020);
      assert.equal(local.errorDescription, 'the scan was cancelled by admin while this machine was being scanned; its result was discarded');
      assert.equal(local.installedPatchCount + local.missingPatchCount, 0);
      assert.equal(later.errorNumber, 1020);
      assert.match(later.errorDescription, /before this machine was scanned/);
      assert.equal(await rowCount('scan_machine_patches'), 0);
      assert.equal(await rowCount('machines'), 0, 'the discarded result recorded no machine');
      assert.equal(await rowCount('asset_patch_status'), 0);
      const final = await c.request('GET', operation);
      assert.equal(final.json.status, 'Cancelled', 'the finishing machine does not turn the operation into Succeeded');
      assert.equal((await c.request('DELETE', pathOf(scan.links.self))).status, 204, 'a cancelled scan can be deleted once complete');
    } finally {
      release();
      catalog.syncForInventory = original;
    }
  });

  it('only the user who started a scan, or an administrator, may cancel it; the run-as variant checks its credential', async () => {
    const hold = await holdScanQueue(c.running, 1);
    try {
      await hold.started;
      const mine = await start(['remote-x.example']);
      const refused = assertErrorResponse(await c.request('DELETE', mine.operation, { auth: operatorAuth }), 403, /started by another user/);
      assert.equal(refused.field, 'operationId');
      assert.equal((await c.request('GET', mine.operation)).json.status, 'Running');
      const theirs = await start(['remote-y.example'], operatorAuth);
      assert.equal((await c.request('DELETE', theirs.operation)).status, 204, 'an administrator may cancel anyone\'s scan');

      const unknownCredential = '0123abcd-0000-4000-8000-000000000000';
      assertErrorResponse(await c.request('DELETE', `${mine.operation}/${unknownCredential}`), 404, /credential .* does not exist/);
      const credential = await c.request('POST', `${ST}/credentials`, { body: { name: 'run-as', userName: 'root', password: { clearText: 'x-pw' } } });
      assert.equal((await c.request('DELETE', `${mine.operation}/${credential.json.id}`)).status, 204);
      assert.equal((await c.request('GET', mine.operation)).json.status, 'Cancelled');
    } finally {
      hold.release();
    }
    await c.running.queue.drain();
  });

  it('answers 404 for an unknown operation and 400 for a malformed id', async () => {
    const unknown = 'deadbeef-0000-4000-8000-000000000000';
    const error = assertErrorResponse(await c.request('DELETE', `${ST}/operations/${unknown}`), 404, new RegExp(`operation ${unknown} does not exist`));
    assert.equal(error.field, 'operationId');
    assertErrorResponse(await c.request('DELETE', `${ST}/operations/not-a-guid`), 400, /operationId must be a GUID/);
  });

  it('a finished scan cannot be cancelled (409) and keeps its result', async () => {
    const { scan, operation } = await start(['remote-finished.example']);
    const done = await waitForOperation(c, `${c.url}${operation}`);
    assert.notEqual(done.status, 'Cancelled');
    assertErrorResponse(await c.request('DELETE', operation), 409, new RegExp(`has already finished \\(${done.status}\\)`));
    const [machine] = await machinesOf(scan);
    assert.notEqual(machine.errorNumber, 1020);
    assert.equal((await c.request('GET', operation)).json.status, done.status);
  });
});
