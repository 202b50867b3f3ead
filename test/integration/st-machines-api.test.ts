/**
 * `/machines` through the Security Controls console API over real HTTP: the machines scans
 * reach are listed (paged, filtered), read and deleted; deleting forgets the machine and its
 * current patch status but keeps the scan history.
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { ST, startTestConsole, waitForOperation, type TestConsole } from '../support/console-fixture.js';
import { assertErrorResponse, assertShape, listShape, pathOf, type ScanMachineWire, type ScanWire } from '../support/st-wire-assertions.js';
import { assertMachine, machineShape, type MachineWire } from '../support/st-scan-resource-assertions.js';
import { FULL_PATCH_SCAN_TEMPLATE_ID } from '../../src/scans/scan-templates.js';

let c: TestConsole;

async function scanOf(endpoint: string): Promise<ScanWire> {
  const started = await c.request('POST', `${ST}/patch/scans`, { body: { name: `scan of ${endpoint}`, templateId: FULL_PATCH_SCAN_TEMPLATE_ID, endpointNames: [endpoint] } });
  assert.equal(started.status, 202, started.text);
  const operation = await waitForOperation(c, started.headers.get('operation-location')!);
  assert.equal(operation.status, 'Succeeded', JSON.stringify(operation));
  return (await c.request('GET', pathOf(operation.resourceLocation))).json;
}

/** Sum of the per-patch missing and installed counts the PM API reads. */
async function countedStatuses(): Promise<number> {
  const row = await c.running.db.kysely.selectFrom('patch_status_counts')
    .select((eb) => [eb.fn.sum<number | string>('missing_count').as('missing'), eb.fn.sum<number | string>('installed_count').as('installed')])
    .executeTakeFirstOrThrow();
  return Number(row.missing ?? 0) + Number(row.installed ?? 0);
}

async function statusRows(machineId: number): Promise<number> {
  const row = await c.running.db.kysely.selectFrom('asset_patch_status').select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('machine_id', '=', machineId).executeTakeFirstOrThrow();
  return Number(row.n);
}

before(async () => {
  c = await startTestConsole();
});

after(async () => {
  await c?.close();
});

describe('/machines', () => {
  let scanned: MachineWire;
  let scan: ScanWire;

  it('lists the machine a scan reached, with its address, operating system and last scan date', async () => {
    const empty = await c.request('GET', `${ST}/machines`);
    assert.equal(empty.status, 200, empty.text);
    assertShape(empty.json, listShape(machineShape, false), 'machines');
    assert.deepEqual(empty.json.value, []);
    scan = await scanOf('127.0.0.1');
    const list = await c.request('GET', `${ST}/machines`);
    assertShape(list.json, listShape(machineShape, false), 'machines');
    assert.equal(list.json.count, 1);
    scanned = list.json.value[0];
    assertMachine(scanned, c.url);
    assert.equal(scanned.name, hostname());
    assert.equal(scanned.ipAddress, '127.0.0.1');
    assert.equal(scanned.consoleName, scan.consoleName);
    assert.ok(scanned.operatingSystem && scanned.operatingSystem.length > 0);
    assert.ok(scanned.lastPatchScanDate! >= scan.startedOn && scanned.lastPatchScanDate! <= scan.updatedOn);
    const one = await c.request('GET', pathOf(scanned.links.self));
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(one.json, scanned);
    assert.ok(await statusRows(scanned.id) > 0, 'the scan recorded the machine\'s current patch status');
  });

  it('pages with count/start and filters by name, domain and ipAddress', async () => {
    const now = new Date().toISOString();
    for (const [name, domain, ip] of [['m-a', 'corp.example', '192.0.2.1'], ['m-b', 'corp.example', null], ['m-c', null, '192.0.2.3']] as const) {
      await c.running.db.kysely.insertInto('machines').values({
        name, dns_name: domain ? `${name}.${domain}` : null, domain, ip_address: ip, os_name: null, last_scanned_at: null, last_inventory: null,
        created_at: now, asset_uuid: null, os_identifier: null, architecture: null,
      }).execute();
    }
    const page1 = await c.request('GET', `${ST}/machines?count=3`);
    assertShape(page1.json, listShape(machineShape, true), 'page1');
    assert.deepEqual(page1.json.value.map((m: MachineWire) => m.name), [hostname(), 'm-a', 'm-b']);
    const page2 = await c.request('GET', pathOf(page1.json.links.next));
    assertShape(page2.json, listShape(machineShape, false), 'page2');
    assert.deepEqual(page2.json.value.map((m: MachineWire) => m.name), ['m-c']);
    const [mA] = page1.json.value.filter((m: MachineWire) => m.name === 'm-a');
    assertMachine(mA, c.url);
    assert.deepEqual([mA.domain, mA.dnsName, mA.ipAddress, mA.operatingSystem, mA.lastPatchScanDate], ['corp.example', 'm-a.corp.example', '192.0.2.1', null, null]);
    const byDomain = await c.request('GET', `${ST}/machines?domain=corp.example&name=`);
    assert.deepEqual(byDomain.json.value.map((m: MachineWire) => m.name), ['m-a', 'm-b']);
    const byName = await c.request('GET', `${ST}/machines?name=m-c`);
    assert.deepEqual(byName.json.value.map((m: MachineWire) => m.name), ['m-c']);
    const byIp = await c.request('GET', `${ST}/machines?ipAddress=127.0.0.1`);
    assert.deepEqual(byIp.json.value.map((m: MachineWire) => m.id), [scanned.id]);
    const noDomain = await c.request('GET', `${ST}/machines?name=m-c`);
    assert.equal(noDomain.json.value[0].domain, '');
  });

  it('DELETE forgets the machine and its patch status; the scan history stays', async () => {
    const machinesBefore = await c.request('GET', pathOf(scan.links.machines));
    const rowsBefore = await statusRows(scanned.id);
    assert.ok(rowsBefore > 0, 'the scanned machine has a patch status');
    const countedBefore = await countedStatuses();
    const deleted = await c.request('DELETE', pathOf(scanned.links.self));
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(deleted.text, '');
    assertErrorResponse(await c.request('GET', pathOf(scanned.links.self)), 404, new RegExp(`machine ${scanned.id} does not exist`));
    assertErrorResponse(await c.request('DELETE', pathOf(scanned.links.self)), 404, /does not exist/);
    assert.equal(await statusRows(scanned.id), 0);
    assert.equal(await countedStatuses(), countedBefore - rowsBefore, 'the per-patch counts no longer count the machine');
    const machinesAfter = await c.request('GET', pathOf(scan.links.machines));
    assert.deepEqual(machinesAfter.json, machinesBefore.json, 'the scan still reports the machine as it was');
    const [scanMachine] = machinesAfter.json.value as ScanMachineWire[];
    const patches = await c.request('GET', `${pathOf(scanMachine.links.patches)}?count=1000`);
    assert.equal(patches.json.count, scanMachine.installedPatchCount + scanMachine.missingPatchCount);

    const again = await scanOf('localhost');
    assert.ok(again.isComplete);
    const list = await c.request('GET', `${ST}/machines?name=${encodeURIComponent(hostname())}`);
    assert.equal(list.json.count, 1, 'a new scan records the machine again');
    assert.notEqual(list.json.value[0].id, scanned.id);
    assert.equal(list.json.value[0].ipAddress, null, 'scanned by name this time');
  });

  it('refuses bad ids and paging values', async () => {
    assertErrorResponse(await c.request('GET', `${ST}/machines/abc`), 400, /machineId must be a whole number/);
    assertErrorResponse(await c.request('DELETE', `${ST}/machines/-1`), 400, /machineId/);
    assertErrorResponse(await c.request('GET', `${ST}/machines/99999999`), 404, /machine 99999999 does not exist/);
    assertErrorResponse(await c.request('GET', `${ST}/machines?count=0`), 400, /count/);
    assertErrorResponse(await c.request('GET', `${ST}/machines?start=x`), 400, /start/);
  });
});
