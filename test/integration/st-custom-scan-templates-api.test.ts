/**
 * Custom patch scan templates (`POST/PUT/DELETE /patch/scanTemplates`, `usedby`) through the
 * Security Controls console API over real HTTP: strict shapes, the patch filter's severities,
 * predefined templates that cannot be changed, refused input, and what a custom template does to
 * a real scan of this machine.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ST, startTestConsole, waitForOperation, type TestConsole } from '../support/console-fixture.js';
import {
  assertErrorResponse, assertScanTemplate, assertShape, basicAuth, createUser, holdScanQueue, listShape, pathOf, scanTemplateShape, type DetectedPatchWire, type ScanMachineWire, type ScanTemplateWire,
} from '../support/st-wire-assertions.js';
import { usedByShape } from '../support/st-scan-resource-assertions.js';
import { FULL_PATCH_SCAN_TEMPLATE_ID, SECURITY_PATCH_SCAN_TEMPLATE_ID } from '../../src/scans/scan-templates.js';

let c: TestConsole;

async function createTemplate(body: unknown, auth?: string): Promise<ScanTemplateWire> {
  const response = await c.request('POST', `${ST}/patch/scanTemplates`, { body, auth });
  assert.equal(response.status, 201, response.text);
  assertScanTemplate(response.json, c.url);
  assert.equal(response.headers.get('location'), response.json.links.self.href);
  return response.json;
}

/** Scans this machine with a template and returns its detected patches. */
async function scanLocalhost(templateId: string): Promise<DetectedPatchWire[]> {
  const started = await c.request('POST', `${ST}/patch/scans`, { body: { name: `with ${templateId}`, templateId, endpointNames: ['localhost'] } });
  assert.equal(started.status, 202, started.text);
  const operation = await waitForOperation(c, started.headers.get('operation-location')!);
  assert.equal(operation.status, 'Succeeded', JSON.stringify(operation));
  const machines = await c.request('GET', pathOf(started.json.links.machines));
  const [machine] = machines.json.value as ScanMachineWire[];
  assert.ok([0, 1007].includes(machine.errorNumber), machine.errorDescription);
  const patches = await c.request('GET', `${pathOf(machine.links.patches)}?count=1000`);
  assert.equal(patches.json.links.next, undefined, 'fewer than 1000 patches');
  return patches.json.value;
}

before(async () => {
  c = await startTestConsole({ scanConcurrency: 1 });
  await createUser(c.running, 'operator2', 'second user pw');
});

after(async () => {
  await c?.close();
});

describe('custom patch scan templates', () => {
  let custom: ScanTemplateWire;

  it('POST creates a template with a patch filter (PascalCase keys) and echoes every field', async () => {
    custom = await createTemplate({
      Name: 'Critical security', Description: 'only the worst', Path: 'Linux', ThreadCount: '4',
      PatchFilter: {
        patchGroupFilterType: 'None', scanFor: 'NecessaryExplicitlyInstalled',
        patchPropertyFilter: { securityPatchSeverities: 'Critical, important', nonSecurityPatchSeverities: 'None', securityTools: 'False', customActions: false },
        softwareDistribution: false, vendorFamilyProductFilter: {},
      },
    });
    assert.equal(custom.name, 'Critical security');
    assert.equal(custom.description, 'only the worst');
    assert.equal(custom.path, 'Linux');
    assert.equal(custom.threadCount, 4);
    assert.equal(custom.isSystem, false);
    assert.equal(custom.creator, 'admin');
    assert.deepEqual(custom.patchFilter, {
      patchGroupFilterType: 'None', patchGroupIds: [], scanFor: 'NecessaryExplicitlyInstalled', softwareDistribution: false, vendorFamilyProductFilter: {},
      patchPropertyFilter: { customActions: false, nonSecurityPatchSeverities: 'None', securityPatchSeverities: 'Critical, Important', securityTools: false },
    });
    const defaults = await createTemplate({ name: 'Defaults' });
    assert.equal(defaults.threadCount, 8);
    assert.equal(defaults.patchFilter.patchPropertyFilter.securityPatchSeverities, 'All');
    assert.equal(defaults.patchFilter.patchPropertyFilter.nonSecurityPatchSeverities, 'None');
    const arrays = await createTemplate({ name: 'Arrays', patchFilter: { patchPropertyFilter: { securityPatchSeverities: ['Low', 'Unassigned'], nonSecurityPatchSeverities: 'All' } } });
    assert.equal(arrays.patchFilter.patchPropertyFilter.securityPatchSeverities, 'Low, Unassigned');
    assert.equal(arrays.patchFilter.patchPropertyFilter.nonSecurityPatchSeverities, 'All');
  });

  it('GET lists custom templates beside the predefined ones; createdByMe lists only the caller\'s', async () => {
    const all = await c.request('GET', `${ST}/patch/scanTemplates?count=1000`);
    assertShape(all.json, listShape(scanTemplateShape, false), 'templates');
    const names = all.json.value.map((t: ScanTemplateWire) => t.name).sort();
    assert.deepEqual(names, ['Arrays', 'Critical security', 'Defaults', 'Full Patch Scan', 'Security Patch Scan']);
    const mine = await c.request('GET', `${ST}/patch/scanTemplates?createdByMe=true&count=1000`);
    assert.deepEqual(mine.json.value.map((t: ScanTemplateWire) => t.name).sort(), ['Arrays', 'Critical security', 'Defaults']);
    const theirs = await c.request('GET', `${ST}/patch/scanTemplates?createdByMe=true`, { auth: basicAuth('operator2', 'second user pw') });
    assert.deepEqual(theirs.json.value, []);
    const one = await c.request('GET', pathOf(custom.links.self));
    assert.deepEqual(one.json, custom);
  });

  it('PUT replaces a custom template; a taken name answers 409', async () => {
    const replaced = await c.request('PUT', pathOf(custom.links.self), {
      body: { name: 'Critical security', threadCount: 2, patchFilter: { patchPropertyFilter: { securityPatchSeverities: 'Critical' } } },
    });
    assert.equal(replaced.status, 200, replaced.text);
    assertScanTemplate(replaced.json, c.url);
    assert.equal(replaced.json.id, custom.id);
    assert.equal(replaced.json.threadCount, 2);
    assert.equal(replaced.json.description, '');
    assert.equal(replaced.json.patchFilter.patchPropertyFilter.securityPatchSeverities, 'Critical');
    custom = replaced.json;
    assertErrorResponse(await c.request('PUT', pathOf(custom.links.self), { body: { name: 'Full Patch Scan' } }), 409, /already exists/);
    assertErrorResponse(await c.request('POST', `${ST}/patch/scanTemplates`, { body: { name: 'Defaults' } }), 409, /already exists/);
  });

  it('predefined templates cannot be changed or deleted (403), and stay as they were', async () => {
    for (const id of [SECURITY_PATCH_SCAN_TEMPLATE_ID, FULL_PATCH_SCAN_TEMPLATE_ID]) {
      const before = await c.request('GET', `${ST}/patch/scanTemplates/${id}`);
      const put = assertErrorResponse(await c.request('PUT', `${ST}/patch/scanTemplates/${id}`, { body: { name: 'Hijacked' } }), 403, /is predefined and cannot be changed/);
      assert.equal(put.field, 'templateId');
      assertErrorResponse(await c.request('DELETE', `${ST}/patch/scanTemplates/${id}`), 403, /is predefined and cannot be deleted/);
      const after = await c.request('GET', `${ST}/patch/scanTemplates/${id}`);
      assert.deepEqual(after.json, before.json);
    }
  });

  it('refuses bad input with 4xx naming the field', async () => {
    const cases: Array<[unknown, number, string, RegExp]> = [
      [{ description: 'x' }, 400, 'name', /name is required/],
      [{ name: 't', threadCount: 0 }, 400, 'threadCount', /between 1 and 256/],
      [{ name: 't', threadCount: 'many' }, 400, 'threadCount', /whole number/],
      [{ name: 't', PatchFilter: { patchGroupFilterType: 'Scan', patchGroupIds: [12] } }, 404, 'patchFilter.patchGroupIds', /patch group 12 does not exist/],
      [{ name: 't', patchFilter: { patchGroupFilterType: 'Scan' } }, 400, 'patchFilter.patchGroupIds', /needs patchGroupIds/],
      [{ name: 't', patchFilter: { patchGroupFilterType: 'Sometimes' } }, 400, 'patchFilter.patchGroupFilterType', /must be one of None, Scan, Skip/],
      [{ name: 't', patchFilter: { scanFor: 'Everything' } }, 400, 'patchFilter.scanFor', /must be one of NecessaryExplicitlyInstalled/],
      [{ name: 't', patchFilter: { softwareDistribution: true } }, 400, 'patchFilter.softwareDistribution', /not supported/],
      [{ name: 't', patchFilter: { vendorFamilyProductFilter: { vendor: 'x' } } }, 400, 'patchFilter.vendorFamilyProductFilter', /not supported/],
      [{ name: 't', patchFilter: { patchPropertyFilter: { securityTools: true } } }, 400, 'patchFilter.patchPropertyFilter.securityTools', /not supported/],
      [{ name: 't', patchFilter: { patchPropertyFilter: { customActions: 'True' } } }, 400, 'patchFilter.patchPropertyFilter.customActions', /not supported/],
      [{ name: 't', patchFilter: { patchPropertyFilter: { securityPatchSeverities: 'Severe' } } }, 400, 'patchFilter.patchPropertyFilter.securityPatchSeverities', /"Severe" is not a severity/],
      [{ name: 't', patchFilter: { patchPropertyFilter: { securityPatchSeverities: 3 } } }, 400, 'patchFilter.patchPropertyFilter.securityPatchSeverities', /must be "All", "None"/],
      [{ name: 't', patchFilter: { patchPropertyFilter: { securityPatchSeverities: 'None' } } }, 400, 'patchFilter.patchPropertyFilter', /would scan for nothing/],
      [{ name: 't', patchFilter: 'security' }, 400, 'patchFilter', /must be an object/],
      [{ name: 't', patchFilter: { patchPropertyFilter: [] } }, 400, 'patchFilter.patchPropertyFilter', /must be an object/],
    ];
    for (const [body, status, field, pattern] of cases) {
      const error = assertErrorResponse(await c.request('POST', `${ST}/patch/scanTemplates`, { body }), status, pattern);
      assert.equal(error.field, field, JSON.stringify(body));
    }
    assertErrorResponse(await c.request('PUT', `${ST}/patch/scanTemplates/0123abcd-0000-4000-8000-000000000000`, { body: { name: 'x' } }), 404, /does not exist/);
    assertErrorResponse(await c.request('DELETE', `${ST}/patch/scanTemplates/0123abcd-0000-4000-8000-000000000000`), 404, /does not exist/);
    assertErrorResponse(await c.request('GET', `${ST}/patch/scanTemplates/0123abcd-0000-4000-8000-000000000000/usedby`), 404, /does not exist/);
    assertErrorResponse(await c.request('DELETE', `${ST}/patch/scanTemplates/not-a-guid`), 400, /GUID/);
    const count = await c.request('GET', `${ST}/patch/scanTemplates?count=1000`);
    assert.equal(count.json.count, 5, 'refused requests stored nothing');
  });

  it('a scan with a custom template reports only what its filter keeps', async () => {
    const full = await scanLocalhost(FULL_PATCH_SCAN_TEMPLATE_ID);
    const nonSecurity = await createTemplate({ name: 'Non-security only', patchFilter: { patchPropertyFilter: { securityPatchSeverities: 'None', nonSecurityPatchSeverities: 'All' } } });
    const kept = await scanLocalhost(nonSecurity.id);
    const key = (p: DetectedPatchWire) => `${p.patchId}/${p.scanState}`;
    assert.deepEqual(kept.map(key).sort(), full.filter((p) => p.patchType === 'NonSecurityPatch').map(key).sort());
    assert.ok(kept.every((p) => p.patchType === 'NonSecurityPatch'));
    const critical = await scanLocalhost(custom.id);
    assert.deepEqual(critical.map(key).sort(), full.filter((p) => p.patchType === 'SecurityPatch' && p.vendorSeverity === 'Critical').map(key).sort());
  });

  it('usedby lists the scans run with a template; deleting it is refused while one runs, then allowed', async () => {
    const used = await c.request('GET', pathOf(custom.links.usedby));
    assert.equal(used.status, 200, used.text);
    assertShape(used.json, listShape(usedByShape, false), 'usedby');
    assert.deepEqual(used.json.value, [{ name: `with ${custom.id}`, usageType: 'PatchScan' }]);
    const hold = await holdScanQueue(c.running, 1);
    let operation: string;
    try {
      await hold.started;
      const started = await c.request('POST', `${ST}/patch/scans`, { body: { name: 'running', templateId: custom.id, endpointNames: ['remote.example'] } });
      assert.equal(started.status, 202, started.text);
      operation = started.headers.get('operation-location')!;
      assertErrorResponse(await c.request('DELETE', pathOf(custom.links.self)), 409, /used by the running scan "running"/);
    } finally {
      hold.release();
    }
    await waitForOperation(c, operation);
    const deleted = await c.request('DELETE', pathOf(custom.links.self));
    assert.equal(deleted.status, 204, deleted.text);
    assertErrorResponse(await c.request('GET', pathOf(custom.links.self)), 404, /does not exist/);
  });
});
