/**
 * Bad requests to the Security Controls patch-scan API, through real HTTP: each gets a 4xx with a
 * JSON body whose message says what was wrong (naming the field), and none of them changes the
 * stored data.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ST, startTestConsole, waitForOperation, type TestConsole } from '../support/console-fixture.js';
import { assertErrorResponse, assertScan, storedScanCounts, type ScanMachineWire, type ScanWire } from '../support/st-wire-assertions.js';
import { FULL_PATCH_SCAN_TEMPLATE_ID } from '../../src/scans/scan-templates.js';

const UNKNOWN_GUID = '0badc0de-0000-4000-8000-000000000001';

let c: TestConsole;
let scanA: ScanWire;
let scanB: ScanWire;
let machineA: ScanMachineWire;
let storedBefore: Awaited<ReturnType<typeof storedScanCounts>>;
let listedBefore: unknown;

async function post(body: unknown) {
  return c.request('POST', `${ST}/patch/scans`, { body });
}

async function finishedRemoteScan(name: string): Promise<ScanWire> {
  const started = await post({ name, templateId: FULL_PATCH_SCAN_TEMPLATE_ID, endpointNames: ['remote-host.example'] });
  assert.equal(started.status, 202, started.text);
  await waitForOperation(c, started.headers.get('operation-location')!);
  const read = await c.request('GET', `${ST}/patch/scans/${started.json.id}`);
  assertScan(read.json, c.url);
  return read.json;
}

/** A valid body to break one field of at a time. */
const valid = () => ({ name: 'Valid scan', templateId: FULL_PATCH_SCAN_TEMPLATE_ID, endpointNames: ['remote-host.example'] });

before(async () => {
  c = await startTestConsole();
  scanA = await finishedRemoteScan('Scan A');
  scanB = await finishedRemoteScan('Scan B');
  machineA = (await c.request('GET', `${ST}/patch/scans/${scanA.id}/machines`)).json.value[0];
  storedBefore = await storedScanCounts(c.running);
  listedBefore = (await c.request('GET', `${ST}/patch/scans?count=1000`)).json;
  assert.deepEqual(storedBefore, { scans: 2, machines: 2, patches: 0, operations: 2 });
});

after(async () => {
  await c?.close();
});

describe('POST /patch/scans with a bad body', () => {
  it('refuses a missing, empty, blank, too long or non-text name', async () => {
    const { name: _, ...withoutName } = valid();
    for (const [body, pattern] of [
      [withoutName, /^name is required$/],
      [{ ...valid(), name: null }, /^name is required$/],
      [{ ...valid(), name: '' }, /^name must not be empty$/],
      [{ ...valid(), name: '   ' }, /^name must not be empty$/],
      [{ ...valid(), name: 'x'.repeat(256) }, /^name must be at most 255 characters$/],
      [{ ...valid(), name: { first: 'x' } }, /^name must be a string$/],
      [{ ...valid(), name: ['x'] }, /^name must be a string$/],
      // PostgreSQL cannot store U+0000: refused up front on both stores, not a 500 on one of them.
      [{ ...valid(), name: 'night\u0000ly' }, /^name must not contain NUL \(U\+0000\) characters$/],
    ] as const) {
      const error = assertErrorResponse(await post(body), 400, pattern);
      assert.equal(error.field, 'name');
    }
  });

  it('refuses a missing or malformed templateId, and an unknown one with 404', async () => {
    const { templateId: _, ...withoutTemplate } = valid();
    assert.equal(assertErrorResponse(await post(withoutTemplate), 400, /^templateId is required$/).field, 'templateId');
    for (const bad of ['not-a-guid', `${FULL_PATCH_SCAN_TEMPLATE_ID}x`, FULL_PATCH_SCAN_TEMPLATE_ID.replaceAll('-', ''), '12345']) {
      const error = assertErrorResponse(await post({ ...valid(), templateId: bad }), 400, /^templateId must be a GUID/, new RegExp(bad));
      assert.equal(error.field, 'templateId');
    }
    assertErrorResponse(await post({ ...valid(), templateId: '' }), 400, /templateId must not be empty/);
    const unknown = assertErrorResponse(await post({ ...valid(), templateId: UNKNOWN_GUID }), 404, /scan template/, new RegExp(UNKNOWN_GUID));
    assert.equal(unknown.field, 'templateId');
  });

  it('refuses malformed GUIDs in the optional credential fields, naming the field', async () => {
    for (const field of ['credentialId', 'runAsCredentialId']) {
      const error = assertErrorResponse(await post({ ...valid(), [field]: 'my-credential' }), 400, new RegExp(`^${field} must be a GUID`));
      assert.equal(error.field, field);
    }
  });

  it('refuses a scan that names no machine', async () => {
    const { endpointNames: _, ...withoutMachines } = valid();
    for (const body of [withoutMachines, { ...withoutMachines, endpointNames: [] }, { ...withoutMachines, endpointNames: [], machineGroupIds: [] },
      { ...withoutMachines, endpointNames: null, machineGroupIds: null }]) {
      const error = assertErrorResponse(await post(body), 400, /endpointNames/, /machineGroupIds/);
      assert.equal(error.field, 'endpointNames');
    }
  });

  it('refuses malformed endpoint names', async () => {
    for (const [endpointNames, pattern] of [
      [[''], /^endpointNames\[0\] must be a non-empty string$/],
      [['ok.example', '   '], /^endpointNames\[1\] must be a non-empty string$/],
      [[42], /^endpointNames\[0\] must be a non-empty string$/],
      [[{ name: 'x' }], /^endpointNames\[0\] must be a non-empty string$/],
      [['x'.repeat(256)], /^endpointNames\[0\] must be at most 255 characters$/],
      [['ok.example', 'bad\u0000.example'], /^endpointNames\[1\] must not contain NUL \(U\+0000\) characters$/],
      [Array.from({ length: 10_001 }, (_, i) => `host-${i}.example`), /^endpointNames may hold at most 10000 items$/],
    ] as const) {
      assert.equal(assertErrorResponse(await post({ ...valid(), endpointNames }), 400, pattern).field, 'endpointNames');
    }
  });

  it('refuses malformed machine group ids with 400 and unknown groups with 404', async () => {
    for (const [ids, pattern] of [
      [['abc'], /^machineGroupIds\[0\] must be a positive whole number; got "abc"$/],
      [[1, 0], /^machineGroupIds\[1\] must be a positive whole number; got 0$/],
      [[-4], /^machineGroupIds\[0\] must be a positive whole number/],
      [[1.5], /^machineGroupIds\[0\] must be a positive whole number/],
      [[true], /^machineGroupIds\[0\] must be a positive whole number/],
    ] as const) {
      assert.equal(assertErrorResponse(await post({ ...valid(), machineGroupIds: ids }), 400, pattern).field, 'machineGroupIds');
    }
    const { endpointNames: _, ...byGroup } = valid();
    const unknown = assertErrorResponse(await post({ ...byGroup, machineGroupIds: [4711] }), 404, /machine group 4711 does not exist/);
    assert.equal(unknown.field, 'machineGroupIds');
  });

  it('refuses values of the wrong kind in the optional fields', async () => {
    for (const [field, value, pattern] of [
      ['useMachineCredential', 'maybe', /^useMachineCredential must be true or false; got "maybe"$/],
      ['useMachineCredential', 2, /^useMachineCredential must be true or false; got 2$/],
      ['diagnosticTraceEnabled', 'yes please', /^diagnosticTraceEnabled must be true or false/],
      ['sshServerValidationMode', 'Trusting', /^sshServerValidationMode must be one of Blocked, SkipServerAuthentication; got "Trusting"$/],
      ['connectionMethod', ['Smb'], /^connectionMethod must be a string$/],
    ] as const) {
      assert.equal(assertErrorResponse(await post({ ...valid(), [field]: value }), 400, pattern).field, field);
    }
  });

  it('refuses a body that is not JSON, is empty JSON, or is a JSON array, string or number', async () => {
    const json = { 'content-type': 'application/json' };
    assertErrorResponse(await c.request('POST', `${ST}/patch/scans`, { rawBody: '{"name": "half', headers: json }), 400, /not valid JSON/i, /body/i);
    assertErrorResponse(await c.request('POST', `${ST}/patch/scans`, { rawBody: 'name=x&templateId=y', headers: json }), 400, /not valid JSON/i);
    assertErrorResponse(await c.request('POST', `${ST}/patch/scans`, { rawBody: '', headers: json }), 400, /body cannot be empty/i);
    for (const raw of ['[]', JSON.stringify([valid()]), '"a string"', '42', 'true']) {
      const error = assertErrorResponse(await c.request('POST', `${ST}/patch/scans`, { rawBody: raw, headers: json }), 400, /^the request body must be a JSON object$/);
      assert.equal(error.field, 'body');
    }
    // A JSON text sent as text/plain is still not an object.
    assertErrorResponse(await c.request('POST', `${ST}/patch/scans`, { rawBody: JSON.stringify(valid()), headers: { 'content-type': 'text/plain' } }), 400, /JSON object/);
    // A form body (PowerShell's default content type) is refused, naming what to send instead.
    assertErrorResponse(await c.request('POST', `${ST}/patch/scans`, { rawBody: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, /application\/json/);
    // No body at all: the first required field is missing.
    assertErrorResponse(await c.request('POST', `${ST}/patch/scans`), 400, /^name is required$/);
  });
});

describe('bad ids in paths', () => {
  it('refuses malformed scan, machine, operation and template ids with 400, naming the parameter', async () => {
    for (const [method, path, field] of [
      ['GET', `${ST}/patch/scans/not-a-guid`, 'scanId'],
      ['DELETE', `${ST}/patch/scans/not-a-guid`, 'scanId'],
      ['GET', `${ST}/patch/scans/not-a-guid/machines`, 'scanId'],
      ['GET', `${ST}/patch/scans/${scanA.id}x/machines`, 'scanId'],
      ['GET', `${ST}/patch/scans/not-a-guid/machines/1/patches`, 'scanId'],
      ['GET', `${ST}/patch/scans/${scanA.id}/machines/abc`, 'machineId'],
      ['GET', `${ST}/patch/scans/${scanA.id}/machines/0`, 'machineId'],
      ['GET', `${ST}/patch/scans/${scanA.id}/machines/-1`, 'machineId'],
      ['GET', `${ST}/patch/scans/${scanA.id}/machines/1.5/patches`, 'machineId'],
      ['GET', `${ST}/patch/scans/${scanA.id}/machines/99999999999999999999`, 'machineId'],
      ['GET', `${ST}/operations/not-a-guid`, 'operationId'],
      ['GET', `${ST}/patch/scanTemplates/not-a-guid`, 'templateId'],
    ] as const) {
      const error = assertErrorResponse(await c.request(method, path), 400, new RegExp(`^${field} must be`));
      assert.equal(error.field, field, `${method} ${path}`);
    }
  });

  it('answers 404 for unknown scans, naming the id, on every scan route', async () => {
    for (const [method, path] of [
      ['GET', `${ST}/patch/scans/${UNKNOWN_GUID}`],
      ['DELETE', `${ST}/patch/scans/${UNKNOWN_GUID}`],
      ['GET', `${ST}/patch/scans/${UNKNOWN_GUID}/machines`],
      ['GET', `${ST}/patch/scans/${UNKNOWN_GUID}/machines/${machineA.id}`],
      ['GET', `${ST}/patch/scans/${UNKNOWN_GUID}/machines/${machineA.id}/patches`],
    ] as const) {
      assertErrorResponse(await c.request(method, path), 404, new RegExp(`patch scan ${UNKNOWN_GUID} does not exist`));
    }
  });

  it('answers 404 for an unknown machine, and for a machine of another scan', async () => {
    for (const suffix of ['', '/patches']) {
      assertErrorResponse(await c.request('GET', `${ST}/patch/scans/${scanA.id}/machines/4242${suffix}`), 404, /machine 4242 of patch scan/, new RegExp(scanA.id));
      // machineA belongs to scan A: it is not reachable through scan B.
      assertErrorResponse(await c.request('GET', `${ST}/patch/scans/${scanB.id}/machines/${machineA.id}${suffix}`), 404,
        new RegExp(`machine ${machineA.id} of patch scan ${scanB.id} does not exist`));
      assert.equal((await c.request('GET', `${ST}/patch/scans/${scanA.id}/machines/${machineA.id}${suffix}`)).status, 200);
    }
  });

  it('answers 404 for an unknown operation and an unknown template', async () => {
    assertErrorResponse(await c.request('GET', `${ST}/operations/${UNKNOWN_GUID}`), 404, new RegExp(`operation ${UNKNOWN_GUID} does not exist`));
    assertErrorResponse(await c.request('GET', `${ST}/patch/scanTemplates/${UNKNOWN_GUID}`), 404, new RegExp(`scan template ${UNKNOWN_GUID} does not exist`));
  });

  it('answers 404 with a JSON message for unknown routes, 405 with Allow for a method a route does not take', async () => {
    for (const path of [`${ST}/patch/scanz`, `${ST}/patch/scans/${scanA.id}/machines/${machineA.id}/patches/1`]) {
      assertErrorResponse(await c.request('GET', path), 404, /^no such resource: GET /);
    }
    for (const method of ['PUT', 'POST'] as const) {
      const response = await c.request(method, `${ST}/patch/scans/${scanA.id}`, { body: valid() });
      assertErrorResponse(response, 405, new RegExp(`^${method} is not allowed on ${ST}/patch/scans/${scanA.id}; allowed: DELETE, GET, HEAD$`));
      assert.equal(response.headers.get('allow'), 'DELETE, GET, HEAD');
    }
  });

  it('refuses bad paging parameters on the machine and patch lists too', async () => {
    for (const path of [`${ST}/patch/scans/${scanA.id}/machines`, `${ST}/patch/scans/${scanA.id}/machines/${machineA.id}/patches`]) {
      assertErrorResponse(await c.request('GET', `${path}?count=0`), 400, /^count must be between 1 and 1000; got 0$/);
      assertErrorResponse(await c.request('GET', `${path}?count=1001`), 400, /^count must be between 1 and 1000/);
      assertErrorResponse(await c.request('GET', `${path}?start=x`), 400, /^start must be a whole number/);
    }
    assertErrorResponse(await c.request('GET', `${ST}/patch/scans/${scanA.id}/machines/${machineA.id}/patches?includePackages=sometimes`), 400, /^includePackages must be true or false/);
  });

  it('refuses NUL characters in query filters with 400 (not a store error)', async () => {
    for (const path of [`${ST}/patch/scans?name=a%00b`, `${ST}/patch/scanTemplates?name=%00`]) {
      assert.equal(assertErrorResponse(await c.request('GET', path), 400, /^name must not contain NUL/).field, 'name');
    }
  });
});

describe('after all the bad requests', () => {
  it('the stored scans, machines, patches and operations are unchanged', async () => {
    assert.deepEqual(await storedScanCounts(c.running), storedBefore);
    assert.deepEqual((await c.request('GET', `${ST}/patch/scans?count=1000`)).json, listedBefore);
  });
});
