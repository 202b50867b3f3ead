/**
 * Patch scan templates, the configuration probes, and what a template does to a scan, through the
 * Security Controls console API over real HTTP. Also checks that the strict wire-shape checker
 * the API tests rely on really fails on a missing field, a wrong type and an unexpected key.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ST, startTestConsole, waitForOperation, type TestConsole } from '../support/console-fixture.js';
import {
  assertDetectedPatch, assertErrorResponse, assertScanMachine, assertScanTemplate, assertShape, configurationVersionShape, listShape,
  operationShape, pathOf, productLevelGroupShape, scanMachineShape, scanShape, scanTemplateShape,
  type DetectedPatchWire, type ListWire, type OperationWire, type ScanMachineWire, type ScanTemplateWire,
} from '../support/st-wire-assertions.js';
import { FULL_PATCH_SCAN_TEMPLATE_ID, SECURITY_PATCH_SCAN_TEMPLATE_ID } from '../../src/scans/scan-templates.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

let c: TestConsole;
let templates: ScanTemplateWire[];

before(async () => {
  c = await startTestConsole();
  const response = await c.request('GET', `${ST}/patch/scanTemplates`);
  assert.equal(response.status, 200, response.text);
  templates = response.json.value;
});

after(async () => {
  await c?.close();
});

describe('GET /patch/scanTemplates', () => {
  it('lists the predefined Security Patch Scan and Full Patch Scan templates with every field', async () => {
    const response = await c.request('GET', `${ST}/patch/scanTemplates`);
    assertShape(response.json, listShape(scanTemplateShape, false), 'templates');
    for (const template of templates) assertScanTemplate(template, c.url);
    const byName = new Map(templates.map((t) => [t.name, t]));
    const security = byName.get('Security Patch Scan');
    const full = byName.get('Full Patch Scan');
    assert.ok(security && full, `listed: ${[...byName.keys()].join(', ')}`);
    assert.equal(security.id, SECURITY_PATCH_SCAN_TEMPLATE_ID, 'the id clients hard-code for the Security Patch Scan');
    assert.equal(full.id, FULL_PATCH_SCAN_TEMPLATE_ID);
    for (const template of [security, full]) {
      assert.equal(template.isSystem, true);
      assert.equal(template.creator, 'System');
      assert.ok(template.description.length > 0);
      assert.equal(template.patchFilter.patchGroupFilterType, 'None');
      assert.deepEqual(template.patchFilter.patchGroupIds, []);
      assert.equal(template.patchFilter.scanFor, 'NecessaryExplicitlyInstalled');
      assert.deepEqual(template.patchFilter.vendorFamilyProductFilter, {});
      assert.equal(template.patchFilter.patchPropertyFilter.securityPatchSeverities, 'All');
    }
    assert.equal(security.patchFilter.patchPropertyFilter.nonSecurityPatchSeverities, 'None', 'no non-security patches');
    assert.equal(full.patchFilter.patchPropertyFilter.nonSecurityPatchSeverities, 'All');
    assert.match(security.description, /security/i);
    assert.match(full.description, /non-security/i);
  });

  it('GET /patch/scanTemplates/{id} answers the same template as the list (and its self link leads there)', async () => {
    for (const template of templates) {
      const bySelf = await c.request('GET', pathOf(template.links.self));
      assert.equal(bySelf.status, 200, bySelf.text);
      assertScanTemplate(bySelf.json, c.url);
      assert.deepEqual(bySelf.json, template);
      const upper = await c.request('GET', `${ST}/patch/scanTemplates/${template.id.toUpperCase()}`);
      assert.deepEqual(upper.json, template, 'an upper-case GUID finds the template too');
    }
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const unknown = '4c7069eb-6e1c-4352-91fc-04d4d8abc07c';
    const error = assertErrorResponse(await c.request('GET', `${ST}/patch/scanTemplates/${unknown}`), 404, new RegExp(`scan template ${unknown} does not exist`));
    assert.equal(error.field, 'templateId');
    assertErrorResponse(await c.request('GET', `${ST}/patch/scanTemplates/Security%20Patch%20Scan`), 400, /^templateId must be a GUID/);
  });

  it('matches the path case-insensitively (clients use patch/scantemplates)', async () => {
    for (const path of [`${ST}/patch/scantemplates`, `${ST}/PATCH/ScanTemplates`]) {
      const response = await c.request('GET', path);
      assert.equal(response.status, 200, `${path}: ${response.text}`);
      assertShape(response.json, listShape(scanTemplateShape, false), path);
      assert.deepEqual(response.json.value, templates);
    }
    const one = await c.request('GET', `${ST}/patch/scantemplates/${SECURITY_PATCH_SCAN_TEMPLATE_ID}`);
    assert.equal(one.json.name, 'Security Patch Scan');
  });

  it('pages with count/start and links.next, and filters by name and createdByMe', async () => {
    assert.equal(templates.length, 2);
    const first = await c.request('GET', `${ST}/patch/scanTemplates?count=1`);
    assertShape(first.json, listShape(scanTemplateShape, true), 'page 1');
    assert.deepEqual(first.json.value, [templates[0]]);
    const second = await c.request('GET', pathOf(first.json.links.next));
    assertShape(second.json, listShape(scanTemplateShape, false), 'page 2');
    assert.deepEqual(second.json.value, [templates[1]]);
    const exact = await c.request('GET', `${ST}/patch/scanTemplates?count=2`);
    assertShape(exact.json, listShape(scanTemplateShape, false), 'exact page');

    const named = await c.request('GET', `${ST}/patch/scanTemplates?name=${encodeURIComponent('Full Patch Scan')}`);
    assert.deepEqual(named.json.value.map((t: ScanTemplateWire) => t.id), [FULL_PATCH_SCAN_TEMPLATE_ID]);
    const mine = await c.request('GET', `${ST}/patch/scanTemplates?createdByMe=True`);
    assertShape(mine.json, listShape(scanTemplateShape, false), 'mine');
    assert.equal(mine.json.count, 0, 'the predefined templates were not created by the caller');
    const empty = await c.request('GET', `${ST}/patch/scanTemplates?count=&name=&start=&createdByMe=`);
    assert.deepEqual(empty.json.value, templates);
    assertErrorResponse(await c.request('GET', `${ST}/patch/scanTemplates?count=0`), 400, /count/);
    assertErrorResponse(await c.request('GET', `${ST}/patch/scanTemplates?count=1001`), 400, /count/);
  });
});

describe('configuration probes', () => {
  it('GET /configuration/version names the API version and the product version', async () => {
    const response = await c.request('GET', `${ST}/configuration/version`);
    assert.equal(response.status, 200, response.text);
    assertShape(response.json, configurationVersionShape, 'version');
    assert.equal(response.json.latestApiVersion, '1.0');
    assert.equal(response.json.productName, 'patchwarden');
    assert.equal(response.json.productVersion, PACKAGE_VERSION);
  });

  it('GET /patch/productlevelgroups answers 200 with an empty list (clients probe it for session credentials)', async () => {
    for (const path of [`${ST}/patch/productlevelgroups`, `${ST}/patch/productLevelGroups`]) {
      const response = await c.request('GET', path);
      assert.equal(response.status, 200, response.text);
      assertShape(response.json, listShape(productLevelGroupShape, false), 'productlevelgroups');
      assert.deepEqual(response.json.value, []);
    }
  });
});

describe('a scan with the Security Patch Scan template, of this machine and unreachable ones', () => {
  it('reports only security patches for this machine, and errorNumber 1001 for the others without affecting it', async () => {
    const endpoints = ['remote-one.example', 'localhost', 'remote-two.example'];
    const started = await c.request('POST', `${ST}/patch/scans`, {
      body: { name: 'Security scan, mixed', templateId: SECURITY_PATCH_SCAN_TEMPLATE_ID, endpointNames: endpoints },
    });
    assert.equal(started.status, 202, started.text);
    assertShape(started.json, scanShape, 'scan');
    assert.equal(started.json.links.template.href, `${c.url}${ST}/patch/scanTemplates/${SECURITY_PATCH_SCAN_TEMPLATE_ID}`);
    const template = await c.request('GET', pathOf(started.json.links.template));
    assert.equal(template.json.name, 'Security Patch Scan');

    const operation = await waitForOperation(c, started.headers.get('operation-location')!) as OperationWire;
    assertShape(operation, operationShape('finished'), 'operation');
    assert.equal(operation.status, 'Succeeded', 'one machine succeeded, so the scan succeeded');
    assert.equal(operation.error, undefined);

    const scan = await c.request('GET', pathOf(operation.resourceLocation!));
    assertShape(scan.json, scanShape, 'scan');
    assert.equal(scan.json.expectedResultTotal, 3);
    assert.equal(scan.json.receivedResultCount, 3);
    assert.equal(scan.json.isComplete, true);
    assert.equal(typeof scan.json.definitionVersion, 'string');

    const machines = await c.request('GET', pathOf(scan.json.links.machines));
    assertShape(machines.json, listShape(scanMachineShape, false), 'machines');
    const [one, local, two] = machines.json.value as ScanMachineWire[];
    for (const machine of [one, local, two]) assertScanMachine(machine, c.url, scan.json.id);
    for (const [machine, endpoint] of [[one, 'remote-one.example'], [two, 'remote-two.example']] as const) {
      assert.equal(machine.name, endpoint);
      assert.equal(machine.errorNumber, 1001);
      assert.match(machine.errorDescription, new RegExp(`^remote scanning is not configured: ${endpoint.replace('.', '\\.')} is not this console's host`));
      assert.equal(machine.installedPatchCount + machine.missingPatchCount, 0);
    }
    assert.equal(local.errorNumber, 0, local.errorDescription);
    assert.equal(local.errorDescription, '');

    const patches = await c.request('GET', `${pathOf(local.links.patches)}?count=1000`);
    assertShape(patches.json, listShape(() => undefined, false), 'patches');
    const list = (patches.json as ListWire<DetectedPatchWire>).value;
    for (const patch of list) assertDetectedPatch(patch, c.url, { packages: false });
    assert.ok(list.length > 0, 'a Debian machine has at least one installed or missing security fix');
    assert.deepEqual([...new Set(list.map((p) => p.patchType))], ['SecurityPatch'], 'the template keeps only security patches');
    assert.equal(list.filter((p) => p.scanState === 'MissingPatch').length, local.missingPatchCount);
    assert.equal(list.filter((p) => p.scanState === 'FoundPatch').length, local.installedPatchCount);
  });
});

describe('links behind a proxy', () => {
  it('builds every absolute link from the configured public URL', async () => {
    const proxied = await startTestConsole({ publicUrl: 'https://patch.example.com:3121/' });
    try {
      const base = 'https://patch.example.com:3121/st/console/api/v1.0';
      const list = await proxied.request('GET', `${ST}/patch/scanTemplates?count=1`);
      assertShape(list.json, listShape(scanTemplateShape, true), 'templates');
      assert.equal(list.json.links.next.href, `${base}/patch/scanTemplates?count=1&start=2`);
      assert.equal(list.json.value[0].links.self.href, `${base}/patch/scanTemplates/${list.json.value[0].id}`);
      const started = await proxied.request('POST', `${ST}/patch/scans`, {
        body: { name: 'Proxied', templateId: FULL_PATCH_SCAN_TEMPLATE_ID, endpointNames: ['remote-host.example'] },
      });
      assert.equal(started.status, 202, started.text);
      assert.equal(started.headers.get('operation-location'), `${base}/operations/${started.json.id}`);
      assert.equal(started.headers.get('location'), `${base}/patch/scans/${started.json.id}`);
      assert.equal(started.json.links.machines.href, `${base}/patch/scans/${started.json.id}/machines`);
      const done = await waitForOperation(proxied, started.headers.get('operation-location')!) as OperationWire;
      assertShape(done, operationShape('finished'), 'operation');
      assert.equal(done.resourceLocation, `${base}/patch/scans/${started.json.id}`);
    } finally {
      await proxied.close();
    }
  });
});

describe('the strict wire-shape checker', () => {
  const sample = (): ScanTemplateWire => structuredClone(templates[0]);

  it('accepts a real template', () => {
    assertShape(sample(), scanTemplateShape);
  });

  it('fails on a missing field, at any depth', () => {
    const { threadCount: _, ...withoutThreadCount } = sample();
    assert.throws(() => assertShape(withoutThreadCount, scanTemplateShape), /missing field "threadCount"/);
    const nested = sample();
    delete (nested.patchFilter.patchPropertyFilter as Partial<typeof nested.patchFilter.patchPropertyFilter>).securityTools;
    assert.throws(() => assertShape(nested, scanTemplateShape), /patchPropertyFilter: missing field "securityTools"/);
  });

  it('fails on a wrong type, including null for a non-nullable field and a string for a number', () => {
    assert.throws(() => assertShape({ ...sample(), isSystem: 'true' }, scanTemplateShape), /\$\.isSystem: expected a boolean/);
    assert.throws(() => assertShape({ ...sample(), threadCount: '8' }, scanTemplateShape), /\$\.threadCount: expected a positive integer/);
    assert.throws(() => assertShape({ ...sample(), description: null }, scanTemplateShape), /\$\.description: expected a string/);
    assert.throws(() => assertShape({ ...sample(), id: 'not-a-guid' }, scanTemplateShape), /\$\.id: expected a GUID/);
    const relative = sample();
    relative.links.self.href = '/st/console/api/v1.0/patch/scanTemplates/x';
    assert.throws(() => assertShape(relative, scanTemplateShape), /links\.self\.href: expected an absolute URL/);
  });

  it('fails on an unexpected key, at any depth', () => {
    assert.throws(() => assertShape({ ...sample(), created: '2024-01-01' }, scanTemplateShape), /unexpected field\(s\) \["created"\]/);
    const nested = sample();
    (nested.patchFilter.vendorFamilyProductFilter as Record<string, unknown>).vendor = 'Debian';
    assert.throws(() => assertShape(nested, scanTemplateShape), /vendorFamilyProductFilter: unexpected field\(s\) \["vendor"\]/);
  });

  it('enforces list envelopes: count matches the items, next required/forbidden as asked', () => {
    const list = { count: 1, links: {}, value: [sample()] };
    assertShape(list, listShape(scanTemplateShape, false));
    assert.throws(() => assertShape({ ...list, count: 2 }, listShape(scanTemplateShape)), /count: 2 but value holds 1/);
    assert.throws(() => assertShape(list, listShape(scanTemplateShape, true)), /missing field "next"/);
    const withNext = { ...list, links: { next: { href: 'http://x.example/next' } } };
    assert.throws(() => assertShape(withNext, listShape(scanTemplateShape, false)), /links\.next: expected no such field/);
    assert.throws(() => assertShape({ ...list, total: 1 }, listShape(scanTemplateShape)), /unexpected field/);
  });

  it('enforces the optional and forbidden fields of operations and detected patches', () => {
    const running = { created: '2024-01-01T00:00:00.000Z', lastAction: '2024-01-01T00:00:00.000Z', operation: 'PatchScan', percentComplete: 0, status: 'Running' };
    assertShape(running, operationShape('running'));
    assert.throws(() => assertShape({ ...running, resourceLocation: 'http://x.example/s' }, operationShape('running')), /resourceLocation: expected no such field/);
    assert.throws(() => assertShape({ ...running, status: 'Succeeded', percentComplete: 100 }, operationShape('finished')), /missing field "resourceLocation"/);
    assert.throws(() => assertShape({ ...running, percentComplete: 101 }, operationShape('any')), /percentage/);
    assert.throws(() => assertShape({ ...running, status: 'Done' }, operationShape('any')), /status: expected one of/);
  });
});
