/**
 * The Security Controls patch-scan API (`/st/console/api/v1.0/patch/scans`), through real HTTP:
 * the documented start → poll → read → machines → patches → delete flow on this machine, per-machine
 * errors, paging and filters of the scan list, and the lenient request reading real clients need.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ST, startTestConsole, waitForOperation, type TestConsole } from '../support/console-fixture.js';
import {
  assertDetectedPatch, assertErrorResponse, assertScan, assertScanMachine, assertShape, basicAuth, createUser, holdScanQueue,
  listShape, operationShape, pathOf, scanMachineShape, scanShape,
  type DetectedPatchWire, type ListWire, type OperationWire, type ScanMachineWire, type ScanWire,
} from '../support/st-wire-assertions.js';
import { FULL_PATCH_SCAN_TEMPLATE_ID, SECURITY_PATCH_SCAN_TEMPLATE_ID } from '../../src/scans/scan-templates.js';

const SCAN_CONCURRENCY = 2;

let c: TestConsole;

async function startScan(body: unknown, auth?: string): Promise<{ scan: ScanWire; operationLocation: string; location: string }> {
  const response = await c.request('POST', `${ST}/patch/scans`, { body, auth });
  assert.equal(response.status, 202, response.text);
  assertScan(response.json, c.url);
  return { scan: response.json, operationLocation: response.headers.get('operation-location')!, location: response.headers.get('location')! };
}

async function startRemoteScan(name: string, auth?: string, endpoint = 'remote-host.example'): Promise<ScanWire> {
  return (await startScan({ name, templateId: FULL_PATCH_SCAN_TEMPLATE_ID, endpointNames: [endpoint] }, auth)).scan;
}

/**
 * Follows `links.next` from `path` until it is absent, checking every page's envelope and that
 * each `next` is absolute, on this console, and keeps the query (only `start` moves, by `count`).
 */
async function allPages<T>(path: string, options: { auth?: string; maxPages?: number } = {}): Promise<{ items: T[]; pages: Array<ListWire<T>> }> {
  const pages: Array<ListWire<T>> = [];
  let next: string | undefined = path;
  while (next !== undefined) {
    assert.ok(pages.length < (options.maxPages ?? 200), `more than ${options.maxPages ?? 200} pages: links.next never goes away`);
    const response = await c.request('GET', next, { auth: options.auth });
    assert.equal(response.status, 200, response.text);
    assertShape(response.json, listShape(() => undefined), 'list');
    const page = response.json as ListWire<T>;
    pages.push(page);
    if (page.links.next) {
      const current: URL = new URL(next, c.url);
      const following = new URL(page.links.next.href);
      assert.equal(following.origin, c.url, 'links.next must be absolute and point at this console');
      assert.equal(following.pathname.toLowerCase(), current.pathname.toLowerCase());
      const start = Number(current.searchParams.get('start') ?? '1');
      assert.equal(following.searchParams.get('start'), String(start + page.count), 'next starts right after this page');
      for (const [key, value] of current.searchParams) {
        if (key.toLowerCase() !== 'start') assert.deepEqual(following.searchParams.getAll(key), [value], `links.next keeps ${key}`);
      }
      assert.ok(page.count > 0, 'a page with links.next must not be empty');
    }
    next = page.links.next ? pathOf(page.links.next) : undefined;
  }
  return { items: pages.flatMap((p) => p.value), pages };
}

async function allScanIdsInStore(): Promise<string[]> {
  const rows = await c.running.db.kysely.selectFrom('scans').select('id').execute();
  return rows.map((r) => r.id).sort();
}

before(async () => {
  c = await startTestConsole({ scanConcurrency: SCAN_CONCURRENCY });
});

after(async () => {
  await c?.close();
});

describe('POST /patch/scans on this machine: the documented start-to-finish flow', () => {
  it('starts, reports Running, finishes, lists machines and detected patches, and deletes everything', async () => {
    const templates = await c.request('GET', `${ST}/patch/scanTemplates`);
    assert.equal(templates.status, 200);
    const full = (templates.json.value as Array<{ id: string; name: string }>).find((t) => t.name === 'Full Patch Scan');
    assert.ok(full, 'the Full Patch Scan template is listed');

    // Hold the queue so the scan is observably Running, whatever the machine's speed.
    const hold = await holdScanQueue(c.running, SCAN_CONCURRENCY);
    let scan!: ScanWire;
    let operationLocation!: string;
    let location!: string;
    try {
      await hold.started;
      ({ scan, operationLocation, location } = await startScan({ name: 'Start-to-finish', templateId: full.id, endpointNames: ['localhost'] }));
      assert.equal(scan.name, 'Start-to-finish');
      assert.equal(scan.user, 'admin');
      assert.equal(scan.isComplete, false);
      assert.equal(scan.expectedResultTotal, 1);
      assert.equal(scan.receivedResultCount, 0);
      assert.equal(scan.definitionVersion, null);
      assert.equal(scan.definitionDate, null);
      assert.equal(scan.links.template.href, `${c.url}${ST}/patch/scanTemplates/${full.id}`);
      // The operation id is the scan id (clients take the last 36 characters of the header).
      assert.equal(operationLocation, `${c.url}${ST}/operations/${scan.id}`);
      assert.equal(operationLocation.slice(-36), scan.id);
      assert.equal(location, `${c.url}${ST}/patch/scans/${scan.id}`);

      const running = await c.request('GET', pathOf(operationLocation));
      assert.equal(running.status, 200, running.text);
      assertShape(running.json, operationShape('running'), 'operation');
      assert.equal(running.json.operation, 'PatchScan');
      assert.equal(running.json.percentComplete, 0);
      assert.equal('resourceLocation' in running.json, false, 'no resourceLocation while running');

      const unfinished = await c.request('GET', pathOf(location));
      assertScan(unfinished.json, c.url);
      assert.equal(unfinished.json.isComplete, false);

      const pendingMachines = await c.request('GET', pathOf(scan.links.machines));
      assertShape(pendingMachines.json, listShape(scanMachineShape, false), 'machines');
      assert.equal(pendingMachines.json.count, 1);
      const pending = pendingMachines.json.value[0] as ScanMachineWire;
      assert.equal(pending.completedOn, null);
      assert.equal(pending.name, 'localhost');
      assert.equal(pending.errorNumber, 0);

      // A running scan cannot be deleted.
      const refused = await c.request('DELETE', pathOf(scan.links.self));
      assertErrorResponse(refused, 409, /still running/);
      assert.equal((await c.request('GET', pathOf(scan.links.self))).status, 200);
    } finally {
      hold.release();
    }

    // Poll as the clients do; every Running answer hides resourceLocation.
    const observed: OperationWire[] = [];
    for (;;) {
      const response = await c.request('GET', pathOf(operationLocation));
      assert.equal(response.status, 200, response.text);
      assertShape(response.json, operationShape('any'), 'operation');
      const operation = response.json as OperationWire;
      observed.push(operation);
      if (operation.status !== 'Running') break;
      assertShape(operation, operationShape('running'), 'operation');
      assert.ok(operation.percentComplete < 100);
      assert.ok(observed.length < 3000, 'the localhost scan never finished');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const done = observed[observed.length - 1];
    assertShape(done, operationShape('finished'), 'operation');
    assert.equal(done.status, 'Succeeded', JSON.stringify(done));
    assert.equal(done.operation, 'PatchScan');
    assert.equal(done.percentComplete, 100);
    assert.equal(done.error, undefined);
    assert.equal(done.resourceLocation, location, 'resourceLocation is the absolute URL of the scan');
    assert.equal(done.created, observed[0].created);
    assert.ok(done.lastAction >= done.created);

    const finished = await c.request('GET', pathOf(done.resourceLocation!));
    assert.equal(finished.status, 200, finished.text);
    assertScan(finished.json, c.url);
    const result = finished.json as ScanWire;
    assert.equal(result.id, scan.id);
    assert.equal(result.isComplete, true);
    assert.equal(result.expectedResultTotal, 1);
    assert.equal(result.receivedResultCount, 1);
    assert.equal(typeof result.definitionVersion, 'string');
    assert.equal(typeof result.definitionDate, 'string');
    assert.equal(result.startedOn, scan.startedOn);
    assert.equal(result.user, 'admin');

    // links.machines → the one machine.
    const machines = await c.request('GET', pathOf(result.links.machines));
    assert.equal(machines.status, 200, machines.text);
    assertShape(machines.json, listShape(scanMachineShape, false), 'machines');
    assert.equal(machines.json.count, 1);
    assertScanMachine(machines.json.value[0], c.url, scan.id);
    const machine = machines.json.value[0] as ScanMachineWire;
    assert.equal(machine.errorNumber, 0, machine.errorDescription);
    assert.equal(machine.errorDescription, '');
    assert.equal(typeof machine.completedOn, 'string');
    assert.notEqual(machine.name, 'localhost', 'the machine is reported under its resolved host name');
    const single = await c.request('GET', pathOf(machine.links.self));
    assert.equal(single.status, 200);
    assert.deepEqual(single.json, machine);

    // links.patches → the detected patches; the machine's counts match them.
    const { items: patches } = await allPages<DetectedPatchWire>(pathOf(machine.links.patches));
    assert.ok(patches.length > 0, 'a Debian machine has at least one detected (missing or installed) patch');
    for (const patch of patches) assertDetectedPatch(patch, c.url, { packages: false });
    assert.equal(patches.filter((p) => p.scanState === 'MissingPatch').length, machine.missingPatchCount);
    assert.equal(patches.filter((p) => p.scanState === 'FoundPatch').length, machine.installedPatchCount);
    assert.equal(new Set(patches.map((p) => p.scanItemId)).size, patches.length, 'scanItemId identifies one detected patch');
    assert.ok(patches.every((p) => p.patchType === 'SecurityPatch' || p.patchType === 'NonSecurityPatch'));

    // includePackages=true adds the packages; the rest of each item is unchanged.
    for (const flag of ['true', 'True']) {
      const withPackages = await c.request('GET', `${pathOf(machine.links.patches)}?includePackages=${flag}&count=1000`);
      assert.equal(withPackages.status, 200, withPackages.text);
      assert.equal(withPackages.json.count, patches.length);
      for (const patch of withPackages.json.value) {
        assertDetectedPatch(patch, c.url, { packages: true });
        assert.ok(patch.packages!.length > 0, `${patch.kb} names the binary packages it concerns`);
      }
      assert.deepEqual(withPackages.json.value.map(({ packages: _, ...rest }: DetectedPatchWire) => rest), patches);
    }
    const withoutPackages = await c.request('GET', `${pathOf(machine.links.patches)}?includePackages=false&count=1000`);
    for (const patch of withoutPackages.json.value) assertDetectedPatch(patch, c.url, { packages: false });

    // Small pages of patches visit the same items in the same order.
    const paged = await allPages<DetectedPatchWire>(`${pathOf(machine.links.patches)}?count=7`);
    assert.deepEqual(paged.items.map((p) => p.scanItemId), patches.map((p) => p.scanItemId));
    assert.equal(paged.pages.length, Math.ceil(patches.length / 7));

    // DELETE → 204; the scan, its machines, its patches and its operation are gone.
    const deleted = await c.request('DELETE', pathOf(result.links.self));
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(deleted.text, '');
    for (const path of [pathOf(result.links.self), pathOf(result.links.machines), pathOf(machine.links.self), pathOf(machine.links.patches), pathOf(operationLocation)]) {
      assertErrorResponse(await c.request('GET', path), 404, /does not exist/);
    }
    assertErrorResponse(await c.request('DELETE', pathOf(result.links.self)), 404, new RegExp(scan.id));
    const remaining = await c.running.db.kysely.selectFrom('scan_machines').select('id').where('scan_id', '=', scan.id).execute();
    assert.deepEqual(remaining, []);
    const remainingPatches = await c.running.db.kysely.selectFrom('scan_machine_patches').select('id').where('scan_machine_id', '=', machine.id).execute();
    assert.deepEqual(remainingPatches, []);
    const listed = await allPages<ScanWire>(`${ST}/patch/scans?count=1000`);
    assert.ok(!listed.items.some((s) => s.id === scan.id), 'a deleted scan is no longer listed');
  });
});

describe('per-machine errors', () => {
  it('gives each unreachable endpoint errorNumber 1001 with its own description, and fails a scan where every machine failed', async () => {
    const endpoints = ['remote-a.example', 'REMOTE-A.example', 'remote-b.example', '192.0.2.10'];
    const { scan, operationLocation } = await startScan({ name: 'Remote only', templateId: SECURITY_PATCH_SCAN_TEMPLATE_ID, endpointNames: endpoints });
    assert.equal(scan.expectedResultTotal, 3, 'endpoint names are deduplicated case-insensitively');
    assert.equal(scan.links.template.href, `${c.url}${ST}/patch/scanTemplates/${SECURITY_PATCH_SCAN_TEMPLATE_ID}`);

    const operation = await waitForOperation(c, operationLocation) as OperationWire;
    assertShape(operation, operationShape('finished'), 'operation');
    assert.equal(operation.status, 'Failed');
    assert.equal(operation.percentComplete, 100);
    assert.match(operation.error?.message ?? '', /no machine could be scanned/);
    assert.equal(operation.resourceLocation, `${c.url}${ST}/patch/scans/${scan.id}`);

    const finished = await c.request('GET', pathOf(operation.resourceLocation!));
    assertScan(finished.json, c.url);
    assert.equal(finished.json.isComplete, true);
    assert.equal(finished.json.receivedResultCount, 3);
    assert.equal(finished.json.definitionVersion, null, 'no machine was assessed');

    const machines = await c.request('GET', pathOf(scan.links.machines));
    assertShape(machines.json, listShape(scanMachineShape, false), 'machines');
    const list = machines.json.value as ScanMachineWire[];
    assert.deepEqual(list.map((m) => m.name), ['remote-a.example', 'remote-b.example', '192.0.2.10']);
    for (const machine of list) {
      assertScanMachine(machine, c.url, scan.id);
      assert.equal(machine.errorNumber, 1001);
      assert.match(machine.errorDescription, /^remote scanning is not configured: /);
      assert.ok(machine.errorDescription.includes(machine.name), 'the description names the machine that failed');
      for (const other of list.filter((m) => m !== machine)) assert.ok(!machine.errorDescription.includes(other.name));
      assert.equal(typeof machine.completedOn, 'string');
      assert.equal(machine.installedPatchCount, 0);
      assert.equal(machine.missingPatchCount, 0);
      assert.equal('dnsName' in machine, false, 'dnsName is left out when unknown');
      const patches = await c.request('GET', pathOf(machine.links.patches));
      assertShape(patches.json, listShape(() => assert.fail('a failed machine has no patches'), false), 'patches');
      assert.equal(patches.json.count, 0);
    }
  });
});

describe('GET /patch/scans: paging', () => {
  const PAGED_NAME = 'Nightly & weekly #1';
  const PAGED_TOTAL = 12;
  let paged: ScanWire[];

  before(async () => {
    for (let i = 0; i < PAGED_TOTAL; i++) await startRemoteScan(PAGED_NAME);
    for (let i = 0; i < 3; i++) await startRemoteScan(`Other scan ${i}`);
    const all = await c.request('GET', `${ST}/patch/scans?count=1000&name=${encodeURIComponent(PAGED_NAME)}`);
    assert.equal(all.status, 200);
    paged = all.json.value;
  });

  it('lists with the envelope: count is the page size, links.self absolute, every item a full scan', async () => {
    const response = await c.request('GET', `${ST}/patch/scans?count=1000`);
    assert.equal(response.status, 200, response.text);
    assertShape(response.json, listShape(scanShape, false), 'scans');
    for (const scan of response.json.value) assertScan(scan, c.url);
    assert.deepEqual(response.json.value.map((s: ScanWire) => s.id).sort(), await allScanIdsInStore());
    assert.equal(paged.length, PAGED_TOTAL);
    assert.ok(paged.every((s) => s.name === PAGED_NAME));
  });

  it('returns 10 items by default, with links.next while more follow', async () => {
    const response = await c.request('GET', `${ST}/patch/scans`);
    assert.equal(response.status, 200);
    assertShape(response.json, listShape(scanShape, true), 'scans');
    assert.equal(response.json.count, 10);
    const next = new URL(response.json.links.next.href);
    assert.equal(next.searchParams.get('start'), '11');
  });

  it('following links.next visits every scan exactly once, and the last page has no next', async () => {
    const total = (await allScanIdsInStore()).length;
    assert.ok(total > 10);
    for (const count of [1, 4, 7, 10]) {
      const { items, pages } = await allPages<ScanWire>(`${ST}/patch/scans?count=${count}`);
      const ids = items.map((s) => s.id);
      assert.equal(new Set(ids).size, ids.length, `count=${count}: no scan is listed twice`);
      assert.deepEqual([...ids].sort(), await allScanIdsInStore(), `count=${count}: every scan is listed`);
      assert.equal(pages.length, Math.ceil(total / count));
      assert.equal(pages[pages.length - 1].links.next, undefined);
    }
  });

  it('omits links.next on the last page when the total is an exact multiple of the page size, and keeps the filter in next', async () => {
    const name = encodeURIComponent(PAGED_NAME);
    for (const [count, sizes] of [[4, [4, 4, 4]], [6, [6, 6]], [12, [12]], [5, [5, 5, 2]], [11, [11, 1]]] as const) {
      const { items, pages } = await allPages<ScanWire>(`${ST}/patch/scans?name=${name}&count=${count}`);
      assert.deepEqual(pages.map((p) => p.count), sizes, `count=${count}`);
      assert.equal(pages[pages.length - 1].links.next, undefined);
      assert.deepEqual(items.map((s) => s.id), paged.map((s) => s.id), 'pages follow the same order as one big page');
      // The name (with a space, '&' and '#') survives the round trip through links.next.
      if (pages.length > 1) assert.equal(new URL(pages[0].links.next!.href).searchParams.get('name'), PAGED_NAME);
    }
  });

  it('start is 1-based; a start past the end gives an empty page without next', async () => {
    const name = encodeURIComponent(PAGED_NAME);
    const first = await c.request('GET', `${ST}/patch/scans?name=${name}&count=3&start=1`);
    assert.deepEqual(first.json.value.map((s: ScanWire) => s.id), paged.slice(0, 3).map((s) => s.id));
    const second = await c.request('GET', `${ST}/patch/scans?name=${name}&count=3&start=2`);
    assert.deepEqual(second.json.value.map((s: ScanWire) => s.id), paged.slice(1, 4).map((s) => s.id));
    const last = await c.request('GET', `${ST}/patch/scans?name=${name}&count=3&start=${PAGED_TOTAL}`);
    assertShape(last.json, listShape(scanShape, false), 'scans');
    assert.deepEqual(last.json.value.map((s: ScanWire) => s.id), [paged[PAGED_TOTAL - 1].id]);
    const beyond = await c.request('GET', `${ST}/patch/scans?name=${name}&count=3&start=${PAGED_TOTAL + 1}`);
    assert.equal(beyond.status, 200);
    assertShape(beyond.json, listShape(scanShape, false), 'scans');
    assert.equal(beyond.json.count, 0);
  });

  it('accepts count up to 1000 and refuses 0, 1001, -1, abc and 2.5 naming the parameter; start 0 too', async () => {
    assert.equal((await c.request('GET', `${ST}/patch/scans?count=1000`)).status, 200);
    for (const bad of ['0', '1001', '-1', 'abc', '2.5']) {
      assertErrorResponse(await c.request('GET', `${ST}/patch/scans?count=${bad}`), 400, /count/);
    }
    for (const bad of ['0', '-3', 'first']) {
      assertErrorResponse(await c.request('GET', `${ST}/patch/scans?start=${bad}`), 400, /start/);
    }
    // The bounds named in the messages are the real ones: the largest start is accepted (an empty page).
    const largest = await c.request('GET', `${ST}/patch/scans?start=${Number.MAX_SAFE_INTEGER}`);
    assert.equal(largest.status, 200, largest.text);
    assertShape(largest.json, listShape(scanShape, false), 'scans');
    assert.equal(largest.json.count, 0);
    assertErrorResponse(await c.request('GET', `${ST}/patch/scans?start=${Number.MAX_SAFE_INTEGER + 1}`), 400,
      new RegExp(`^start must be between 1 and ${Number.MAX_SAFE_INTEGER}; got 9007199254740992$`));
    assertErrorResponse(await c.request('GET', `${ST}/patch/scans?count=99999999999999999999`), 400, /^count must be between 1 and 1000; got 99999999999999999999$/);
  });

  it('treats empty query values as absent', async () => {
    const plain = await c.request('GET', `${ST}/patch/scans`);
    const empty = await c.request('GET', `${ST}/patch/scans?count=&name=&start=&onOrAfter=&onOrBefore=&createdByMe=`);
    assert.equal(empty.status, 200, empty.text);
    assert.equal(empty.json.count, 10);
    // The same scans in the same order (by id: some of them may finish between the two calls).
    assert.deepEqual(empty.json.value.map((s: ScanWire) => s.id), plain.json.value.map((s: ScanWire) => s.id));
    assert.ok(empty.json.links.next, 'more than 10 scans exist, so next is there');
  });

  it('reads query parameter names case-insensitively', async () => {
    const response = await c.request('GET', `${ST}/patch/scans?COUNT=2&Name=${encodeURIComponent(PAGED_NAME)}`);
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.json.value.map((s: ScanWire) => s.id), paged.slice(0, 2).map((s) => s.id));
  });
});

describe('GET /patch/scans: filters', () => {
  const OPERATOR_PASSWORD = 'operator password 42';
  let operatorAuth: string;
  let operatorScans: ScanWire[];

  before(async () => {
    await createUser(c.running, 'operator', OPERATOR_PASSWORD);
    operatorAuth = basicAuth('operator', OPERATOR_PASSWORD);
    operatorScans = [];
    for (let i = 0; i < 3; i++) operatorScans.push(await startRemoteScan(`Operator scan ${i}`, operatorAuth));
  });

  it('name matches the whole name; the first hit is the most recently started scan of that name', async () => {
    const first = await startRemoteScan('Same name');
    const second = await startRemoteScan('Same name');
    const listed = await c.request('GET', `${ST}/patch/scans?name=Same%20name`);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.json.value.map((s: ScanWire) => s.id).sort(), [first.id, second.id].sort());
    const latest = await c.request('GET', `${ST}/patch/scans?name=Same%20name&count=1`);
    assert.equal(latest.json.count, 1);
    assert.ok(latest.json.links.next);
    assert.ok(latest.json.value[0].startedOn >= [first, second].map((s) => s.startedOn).sort()[1]);
    const none = await c.request('GET', `${ST}/patch/scans?name=Same`);
    assertShape(none.json, listShape(scanShape, false), 'scans');
    assert.equal(none.json.count, 0, 'a name filter is not a prefix match');
  });

  it('createdByMe (true, "True", 1) keeps only the caller\'s scans; false keeps everyone\'s', async () => {
    const all = (await allPages<ScanWire>(`${ST}/patch/scans?count=1000`)).items;
    const mine = all.filter((s) => s.user === 'admin');
    const theirs = all.filter((s) => s.user === 'operator');
    assert.deepEqual(theirs.map((s) => s.id).sort(), operatorScans.map((s) => s.id).sort());
    assert.ok(mine.length > 0);
    for (const flag of ['true', 'True', 'TRUE', '1']) {
      const response = await c.request('GET', `${ST}/patch/scans?count=1000&createdByMe=${flag}`);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.json.value.map((s: ScanWire) => s.id).sort(), mine.map((s) => s.id).sort(), `createdByMe=${flag}`);
      const asOperator = await c.request('GET', `${ST}/patch/scans?count=1000&createdByMe=${flag}`, { auth: operatorAuth });
      assert.deepEqual(asOperator.json.value.map((s: ScanWire) => s.id).sort(), theirs.map((s) => s.id).sort());
      assert.ok(asOperator.json.value.every((s: ScanWire) => s.user === 'operator'));
    }
    for (const flag of ['false', 'False']) {
      const response = await c.request('GET', `${ST}/patch/scans?count=1000&createdByMe=${flag}`, { auth: operatorAuth });
      assert.equal(response.json.count, all.length);
    }
    // Paging under the filter keeps it in links.next.
    const { items } = await allPages<ScanWire>(`${ST}/patch/scans?count=2&createdByMe=True`, { auth: operatorAuth });
    assert.deepEqual(items.map((s) => s.id).sort(), theirs.map((s) => s.id).sort());
    assertErrorResponse(await c.request('GET', `${ST}/patch/scans?createdByMe=maybe`), 400, /createdByMe/);
  });

  it('onOrAfter / onOrBefore bound startedOn inclusively, in any ISO 8601 form', async () => {
    const all = (await allPages<ScanWire>(`${ST}/patch/scans?count=1000`)).items;
    const times = all.map((s) => s.startedOn).sort();
    const pivot = times[Math.floor(times.length / 2)];
    const idsWhere = (keep: (startedOn: string) => boolean) => all.filter((s) => keep(s.startedOn)).map((s) => s.id).sort();
    const query = async (params: Record<string, string>) => {
      const response = await c.request('GET', `${ST}/patch/scans?${new URLSearchParams({ count: '1000', ...params })}`);
      assert.equal(response.status, 200, response.text);
      return (response.json.value as ScanWire[]).map((s) => s.id).sort();
    };
    const atOrAfter = idsWhere((t) => t >= pivot);
    const atOrBefore = idsWhere((t) => t <= pivot);
    assert.ok(atOrAfter.length > 0 && atOrAfter.length < all.length);
    assert.deepEqual(await query({ onOrAfter: pivot }), atOrAfter);
    assert.deepEqual(await query({ onOrBefore: pivot }), atOrBefore);
    assert.deepEqual(await query({ onOrAfter: pivot, onOrBefore: pivot }), idsWhere((t) => t === pivot));
    // The same instant with a +02:00 offset selects the same scans.
    const shifted = new Date(Date.parse(pivot) + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    assert.deepEqual(await query({ onOrAfter: shifted }), atOrAfter);
    // .NET's round-trip format ("o"): seven fractional digits.
    assert.deepEqual(await query({ onOrAfter: pivot.replace(/(\.\d{3})Z$/, '$10000Z') }), atOrAfter);
    // Date-only forms.
    assert.deepEqual(await query({ onOrAfter: '2000-01-01' }), all.map((s) => s.id).sort());
    assert.deepEqual(await query({ onOrBefore: '2000-01-01' }), []);
    assert.deepEqual(await query({ onOrAfter: '2999-12-31T00:00:00Z' }), []);
  });

  it('refuses malformed dates and an inverted range, naming the parameter', async () => {
    for (const [param, value] of [['onOrAfter', 'yesterday'], ['onOrAfter', '2024-13-45'], ['onOrAfter', '2024-02-30'], ['onOrAfter', '2023-02-29T00:00:00Z'],
      ['onOrBefore', '31/12/2024'], ['onOrBefore', '2024-05-01Tnoon'], ['onOrBefore', '2024-04-31']]) {
      const body = assertErrorResponse(await c.request('GET', `${ST}/patch/scans?${param}=${encodeURIComponent(value)}`), 400, new RegExp(param));
      assert.equal(body.field, param);
    }
    assertErrorResponse(await c.request('GET', `${ST}/patch/scans?onOrAfter=2024-05-02&onOrBefore=2024-05-01`), 400, /onOrAfter/);
    // A real leap day is a date.
    assert.equal((await c.request('GET', `${ST}/patch/scans?onOrBefore=2024-02-29`)).status, 200);
  });

  it('the user of a scan is the caller', async () => {
    assert.ok(operatorScans.every((s) => s.user === 'operator'));
    const read = await c.request('GET', pathOf(operatorScans[0].links.self));
    assert.equal(read.json.user, 'operator', 'also when another user reads it');
  });
});

describe('lenient requests, as real clients send them', () => {
  it('binds PascalCase and mixed-case body keys', async () => {
    const { scan } = await startScan({ Name: 'Pascal case', TemplateId: SECURITY_PATCH_SCAN_TEMPLATE_ID, EndpointNames: ['remote-pascal.example'], UseMachineCredential: false });
    assert.equal(scan.name, 'Pascal case');
    assert.equal(scan.links.template.href, `${c.url}${ST}/patch/scanTemplates/${SECURITY_PATCH_SCAN_TEMPLATE_ID}`);
    const mixed = await startScan({ nAmE: 'Mixed case', templateid: FULL_PATCH_SCAN_TEMPLATE_ID, ENDPOINTNAMES: ['remote-mixed.example'] });
    assert.equal(mixed.scan.name, 'Mixed case');
    const machines = await c.request('GET', pathOf(mixed.scan.links.machines));
    assert.deepEqual(machines.json.value.map((m: ScanMachineWire) => m.name), ['remote-mixed.example']);
  });

  it('accepts "True"/"False" strings for booleans, explicit nulls for optionals, an upper-case GUID and a single endpoint name', async () => {
    const { scan } = await startScan({
      name: 'Lenient values', templateId: FULL_PATCH_SCAN_TEMPLATE_ID.toUpperCase(), endpointNames: 'remote-single.example',
      useMachineCredential: 'True', diagnosticTraceEnabled: 'False', credentialId: null, runAsCredentialId: null,
      machineGroupIds: null, connectionMethod: null, sshServerValidationMode: null,
    });
    assert.equal(scan.links.template.href, `${c.url}${ST}/patch/scanTemplates/${FULL_PATCH_SCAN_TEMPLATE_ID}`);
    assert.equal(scan.expectedResultTotal, 1);
    const credential = await c.request('POST', `${ST}/credentials`, { body: { name: 'Legacy run-as', userName: 'root', password: { clearText: 'legacy-pw' } } });
    assert.equal(credential.status, 201, credential.text);
    const withIds = await startScan({
      Name: 'Legacy run-as', TemplateId: FULL_PATCH_SCAN_TEMPLATE_ID, EndpointNames: ['remote-legacy.example'],
      RunAsCredentialId: credential.json.id.toUpperCase(), sshServerValidationMode: 'skipserverauthentication',
    });
    assert.equal(withIds.scan.name, 'Legacy run-as');
  });

  it('reads machineGroupIds given as strings (the group is then looked up, not refused as a type error)', async () => {
    const asString = await c.request('POST', `${ST}/patch/scans`, { body: { name: 'By group', templateId: FULL_PATCH_SCAN_TEMPLATE_ID, machineGroupIds: ['12'] } });
    const body = assertErrorResponse(asString, 404, /machine group 12 does not exist/);
    assert.equal(body.field, 'machineGroupIds');
    const pascal = await c.request('POST', `${ST}/patch/scans`, { body: { Name: 'By group', TemplateId: FULL_PATCH_SCAN_TEMPLATE_ID, MachineGroupIds: [1] } });
    assertErrorResponse(pascal, 404, /machine group 1 does not exist/);
  });

  it('matches paths case-insensitively and ignores a trailing slash', async () => {
    const scan = await startRemoteScan('Path case');
    for (const path of [`${ST}/patch/scantemplates`, `${ST}/PATCH/SCANTEMPLATES`, `${ST}/patch/Scans/`, '/ST/Console/Api/V1.0/patch/scans']) {
      const response = await c.request('GET', path);
      assert.equal(response.status, 200, `${path}: ${response.text}`);
      assertShape(response.json, listShape(() => undefined), path);
    }
    const upper = await c.request('GET', `${ST}/Patch/Scans/${scan.id.toUpperCase()}`);
    assert.equal(upper.status, 200, upper.text);
    assertScan(upper.json, c.url);
    assert.equal(upper.json.id, scan.id);
    assert.equal(upper.json.name, 'Path case');
    const operation = await c.request('GET', `${ST}/Operations/${scan.id.toUpperCase()}`);
    assert.equal(operation.status, 200, operation.text);
    assertShape(operation.json, operationShape('any'), 'operation');
    const machines = await c.request('GET', `${ST}/patch/scans/${scan.id}/MACHINES`);
    assert.equal(machines.status, 200, machines.text);
  });
});
