/**
 * Machine groups (`/machinegroups`) and their discovery filters through the Security Controls
 * console API over real HTTP: create/read/replace/delete with strict shapes, every filter
 * category with exclusions and per-filter credentials, nesting with usedby and cycle refusal,
 * refused input, and what a patch scan of a group reaches (endpoints and the credential
 * resolved for each, as stored for the collector).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ST, startTestConsole, type TestConsole } from '../support/console-fixture.js';
import { assertErrorResponse, assertShape, basicAuth, createUser, holdScanQueue, listShape, pathOf } from '../support/st-wire-assertions.js';
import {
  assertMachineGroup, discoveryFilterShape, machineGroupShape, usedByShape, type DiscoveryFilterWire, type MachineGroupWire,
} from '../support/st-scan-resource-assertions.js';
import { FULL_PATCH_SCAN_TEMPLATE_ID } from '../../src/scans/scan-templates.js';

let c: TestConsole;
let credentialA: string;
let credentialB: string;
let otherAuth: string;

async function createCredential(name: string, auth?: string): Promise<string> {
  const response = await c.request('POST', `${ST}/credentials`, { body: { name, userName: 'root', password: { clearText: `${name}-pw` } }, auth });
  assert.equal(response.status, 201, response.text);
  return response.json.id;
}

async function createGroup(body: unknown, auth?: string): Promise<MachineGroupWire> {
  const response = await c.request('POST', `${ST}/machinegroups`, { body, auth });
  assert.equal(response.status, 201, response.text);
  assertMachineGroup(response.json, c.url);
  assert.equal(response.headers.get('location'), response.json.links.self.href);
  return response.json;
}

/** Starts a scan while the queue is held, reads what each scan machine got, then cancels it. */
async function scanTargets(body: Record<string, unknown>): Promise<Array<{ endpoint: string; credentialId: string | null }>> {
  const hold = await holdScanQueue(c.running, 1);
  try {
    await hold.started;
    const started = await c.request('POST', `${ST}/patch/scans`, { body: { name: 'Group scan', templateId: FULL_PATCH_SCAN_TEMPLATE_ID, ...body } });
    assert.equal(started.status, 202, started.text);
    const rows = await c.running.db.kysely.selectFrom('scan_machines').select(['endpoint', 'credential_id']).where('scan_id', '=', started.json.id)
      .orderBy('id').execute();
    assert.equal(started.json.expectedResultTotal, rows.length);
    const cancelled = await c.request('DELETE', pathOf(started.headers.get('operation-location')!));
    assert.equal(cancelled.status, 204, cancelled.text);
    return rows.map((r) => ({ endpoint: r.endpoint, credentialId: r.credential_id }));
  } finally {
    hold.release();
  }
}

before(async () => {
  c = await startTestConsole({ scanConcurrency: 1 });
  credentialA = await createCredential('group-cred-a');
  credentialB = await createCredential('group-cred-b');
  await createUser(c.running, 'operator2', 'second user pw');
  otherAuth = basicAuth('operator2', 'second user pw');
});

after(async () => {
  await c?.close();
});

describe('/machinegroups', () => {
  let web: MachineGroupWire;
  let db: MachineGroupWire;

  it('POST creates a group from the documented body (PascalCase keys, "False" strings) and answers it with every field', async () => {
    web = await createGroup({
      Name: 'Web servers', Description: 'front ends', Path: 'Linux\\Web', CredentialId: credentialA,
      DiscoveryFilters: [
        { Category: 'MachineName', Name: 'web1.example', IsExcluded: 'False', AdminCredentialId: credentialB, Notes: 'primary' },
        { category: 'IPAddress', name: '192.0.2.10', isExcluded: false },
        { category: 'IPRange', name: ' 192.0.2.20 - 192.0.2.23 ' },
        { category: 'IPAddress', name: '192.0.2.22', isExcluded: 'True' },
        { category: 'MachineName', name: 'web9.example', isExcluded: true },
      ],
    });
    assert.equal(web.name, 'Web servers');
    assert.equal(web.description, 'front ends');
    assert.equal(web.path, 'Linux\\Web');
    assert.equal(web.credentialId, credentialA);
    assert.equal(web.creator, 'admin');
    assert.equal(web.connectionMethod, 'Inherit');
    assert.equal(web.isBuiltIn, false);
    assert.deepEqual(web.virtualMachineDiscoveryFilters, []);
    assert.deepEqual(web.discoveryFilters.map((f) => [f.category, f.name, f.isExcluded, f.adminCredentialId]), [
      ['MachineName', 'web1.example', false, credentialB],
      ['IPAddress', '192.0.2.10', false, null],
      ['IPRange', '192.0.2.20-192.0.2.23', false, null],
      ['IPAddress', '192.0.2.22', true, null],
      ['MachineName', 'web9.example', true, null],
    ]);
    assert.equal(web.discoveryFilters[0].notes, 'primary');
    db = await createGroup({ name: 'Databases', discoveryFilters: [{ category: 'MachineName', name: 'db1' }], connectionMethod: 'fqdn' });
    assert.equal(db.connectionMethod, 'Fqdn');
    assert.equal(db.credentialId, null);
  });

  it('GET answers the group by id and by its self link; the list pages and filters by name and path', async () => {
    const one = await c.request('GET', pathOf(web.links.self));
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(one.json, web);
    const lower = await c.request('GET', `${ST}/MachineGroups/${web.id}`);
    assert.deepEqual(lower.json, web);
    const page1 = await c.request('GET', `${ST}/machinegroups?count=1`);
    assertShape(page1.json, listShape(machineGroupShape, true), 'page1');
    assert.deepEqual(page1.json.value, [web]);
    const page2 = await c.request('GET', pathOf(page1.json.links.next));
    assertShape(page2.json, listShape(machineGroupShape, false), 'page2');
    assert.deepEqual(page2.json.value, [db]);
    const byName = await c.request('GET', `${ST}/machinegroups?name=Databases&count=&start=`);
    assert.deepEqual(byName.json.value.map((g: MachineGroupWire) => g.id), [db.id]);
    const byPath = await c.request('GET', `${ST}/machinegroups?path=${encodeURIComponent('Linux\\Web')}`);
    assert.deepEqual(byPath.json.value.map((g: MachineGroupWire) => g.id), [web.id]);
  });

  it('the discoveryFilters sub-resource lists (paged), adds, reads and removes filters', async () => {
    const list = await c.request('GET', `${pathOf(web.links.discoveryFilters)}?count=2`);
    assertShape(list.json, listShape(discoveryFilterShape, true), 'filters');
    assert.deepEqual(list.json.value, web.discoveryFilters.slice(0, 2));
    const added = await c.request('POST', pathOf(web.links.discoveryFilters), {
      body: { discoveryFilters: [{ category: 'MachineName', name: 'web2.example' }, { category: 'DomainName', name: 'corp.example.' }] },
    });
    assert.equal(added.status, 201, added.text);
    assertShape(added.json, listShape(discoveryFilterShape, false), 'added');
    assert.deepEqual(added.json.value.map((f: DiscoveryFilterWire) => [f.category, f.name]), [['MachineName', 'web2.example'], ['DomainName', 'corp.example']]);
    const [web2, domain] = added.json.value as DiscoveryFilterWire[];
    const one = await c.request('GET', pathOf(web2.links.self));
    assert.equal(one.status, 200);
    assert.deepEqual(one.json, web2);
    assert.equal((await c.request('DELETE', pathOf(domain.links.self))).status, 204);
    assertErrorResponse(await c.request('GET', pathOf(domain.links.self)), 404, /has no discovery filter/);
    assertErrorResponse(await c.request('DELETE', pathOf(web.links.discoveryFilters), { body: [web2.id, 999999] }), 404, /no discovery filter 999999/);
    assert.equal((await c.request('GET', pathOf(web2.links.self))).status, 200, 'a refused removal removes nothing');
    assert.equal((await c.request('DELETE', pathOf(web.links.discoveryFilters), { body: { ids: [web2.id] } })).status, 204);
    const after = await c.request('GET', pathOf(web.links.self));
    assert.deepEqual(after.json, web);
    assertErrorResponse(await c.request('GET', `${ST}/machinegroups/${db.id}/discoveryFilters/${web.discoveryFilters[0].id}`), 404);
  });

  it('a scan of the group reaches every included machine and address minus the exclusions, with the credential of each', async () => {
    const targets = await scanTargets({ machineGroupIds: [String(web.id)] });
    assert.deepEqual(targets, [
      { endpoint: 'web1.example', credentialId: credentialB },
      { endpoint: '192.0.2.10', credentialId: credentialA },
      { endpoint: '192.0.2.20', credentialId: credentialA },
      { endpoint: '192.0.2.21', credentialId: credentialA },
      { endpoint: '192.0.2.23', credentialId: credentialA },
    ]);
    const withScanCredential = await scanTargets({ machineGroupIds: [web.id, db.id], endpointNames: ['extra.example', 'WEB1.example'], credentialId: credentialA });
    assert.deepEqual(withScanCredential.map((t) => t.endpoint), ['extra.example', 'WEB1.example', '192.0.2.10', '192.0.2.20', '192.0.2.21', '192.0.2.23', 'db1'],
      'endpoint names come first; a group machine already named (in any case) is not repeated');
    assert.ok(withScanCredential.every((t) => t.credentialId === credentialA), 'the scan\'s credentialId wins');
    const machineFirst = await scanTargets({ machineGroupIds: [web.id, db.id], credentialId: credentialA, useMachineCredential: 'True' });
    assert.equal(machineFirst.find((t) => t.endpoint === 'web1.example')?.credentialId, credentialB, 'useMachineCredential puts the filter\'s credential first');
    assert.equal(machineFirst.find((t) => t.endpoint === 'db1')?.credentialId, credentialA);
    const runAs = await scanTargets({ machineGroupIds: [db.id], runAsCredentialId: credentialB });
    assert.deepEqual(runAs, [{ endpoint: 'db1', credentialId: credentialB }]);
    const none = await scanTargets({ machineGroupIds: [db.id] });
    assert.deepEqual(none, [{ endpoint: 'db1', credentialId: null }]);
  });

  it('nests groups: the outer group reaches the inner one\'s machines, usedby names the nesting group, and deleting the inner one is refused', async () => {
    const outer = await createGroup({
      name: 'Everything', discoveryFilters: [
        { category: 'NestedGroup', nestedGroupId: web.id },
        { category: 'NestedGroup', name: 'Databases', isExcluded: true },
        { category: 'MachineName', name: 'db1' },
        { category: 'IPRange', name: '192.0.2.21-192.0.2.21', isExcluded: true },
        { category: 'MachineName', name: 'ops.example' },
      ],
    });
    assert.deepEqual(outer.discoveryFilters.slice(0, 2).map((f) => [f.category, f.name, f.nestedGroupId]), [['NestedGroup', 'Web servers', web.id], ['NestedGroup', 'Databases', db.id]]);
    const targets = await scanTargets({ machineGroupIds: [outer.id] });
    assert.deepEqual(targets.map((t) => t.endpoint), ['web1.example', '192.0.2.10', '192.0.2.20', '192.0.2.23', 'ops.example']);
    assert.equal(targets[0].credentialId, credentialB, 'a nested machine keeps its own filter credential');

    const usedBy = await c.request('GET', pathOf(web.links.usedby));
    assert.equal(usedBy.status, 200, usedBy.text);
    assertShape(usedBy.json, listShape(usedByShape, false), 'usedby');
    assert.deepEqual(usedBy.json.value, [{ name: 'Everything', usageType: 'MachineGroup' }]);
    const unused = await c.request('GET', pathOf(outer.links.usedby));
    assert.deepEqual(unused.json.value, []);
    assertErrorResponse(await c.request('DELETE', pathOf(web.links.self)), 409, /nested in "Everything"/);
    assert.equal((await c.request('GET', pathOf(web.links.self))).status, 200);

    const cycle = assertErrorResponse(await c.request('POST', pathOf(web.links.discoveryFilters), {
      body: { discoveryFilters: [{ category: 'NestedGroup', nestedGroupId: outer.id }] },
    }), 409, /cycle/);
    assert.equal(cycle.field, 'discoveryFilters[0].nestedGroupId');
    assertErrorResponse(await c.request('POST', pathOf(web.links.discoveryFilters), { body: { discoveryFilters: [{ category: 'NestedGroup', nestedGroupId: web.id }] } }), 409, /cycle/);

    // A cycle written around the API is still caught when a scan expands the groups.
    await c.running.db.kysely.insertInto('machine_group_filters').values({
      group_id: web.id, category: 'NestedGroup', name: 'Everything', is_excluded: 0, admin_credential_id: null, nested_group_id: outer.id, notes: '',
    }).execute();
    const refused = assertErrorResponse(await c.request('POST', `${ST}/patch/scans`, { body: { name: 'cycle', templateId: FULL_PATCH_SCAN_TEMPLATE_ID, machineGroupIds: [outer.id] } }), 409,
      /cycle: Everything → Web servers → Everything/);
    assert.equal(refused.field, 'machineGroupIds');
    await c.running.db.kysely.deleteFrom('machine_group_filters').where('group_id', '=', web.id).where('nested_group_id', '=', outer.id).execute();

    const renamed = await c.request('PUT', pathOf(web.links.self), { body: { name: 'Web tier', credentialId: credentialA } });
    assert.equal(renamed.status, 200, renamed.text);
    const outerNow = await c.request('GET', pathOf(outer.links.self));
    assert.equal(outerNow.json.discoveryFilters[0].name, 'Web tier', 'a nesting filter shows the nested group\'s current name');
    assert.equal((await c.request('DELETE', pathOf(outer.links.self))).status, 204);
    assertErrorResponse(await c.request('GET', pathOf(outer.links.self)), 404, /machine group \d+ does not exist/);
  });

  it('PUT replaces the group; without discoveryFilters it keeps them, with them it replaces them', async () => {
    const kept = await c.request('PUT', pathOf(web.links.self), { body: { name: 'Web servers', description: 'renamed back', credentialId: null } });
    assert.equal(kept.status, 200, kept.text);
    assertMachineGroup(kept.json, c.url);
    assert.equal(kept.json.description, 'renamed back');
    assert.equal(kept.json.credentialId, null);
    assert.deepEqual(kept.json.discoveryFilters, web.discoveryFilters);
    const replaced = await c.request('PUT', pathOf(web.links.self), { body: { name: 'Web servers', discoveryFilters: [{ category: 'IPAddress', name: '2001:db8::7' }] } });
    assert.equal(replaced.status, 200, replaced.text);
    assert.deepEqual(replaced.json.discoveryFilters.map((f: DiscoveryFilterWire) => f.name), ['2001:db8::7']);
    assertErrorResponse(await c.request('PUT', pathOf(web.links.self), { body: { name: 'Databases' } }), 409, /already exists/);
    assertErrorResponse(await c.request('PUT', `${ST}/machinegroups/999999`, { body: { name: 'x' } }), 404, /machine group 999999 does not exist/);
  });

  it('refuses bad input with a clear 4xx naming the field, and stores nothing', async () => {
    const before = await c.request('GET', `${ST}/machinegroups?count=1000`);
    const cases: Array<[unknown, number, string, RegExp]> = [
      [{ description: 'x' }, 400, 'name', /name is required/],
      [{ name: 'Databases' }, 409, 'name', /already exists/],
      [{ name: 'n', discoveryFilters: [{ name: 'x' }] }, 400, 'discoveryFilters[0].category', /category is required/],
      [{ name: 'n', discoveryFilters: [{ category: 'OrganizationalUnit', name: 'x' }] }, 400, 'discoveryFilters[0].category', /not supported/],
      [{ name: 'n', discoveryFilters: [{ category: 'Printer', name: 'x' }] }, 400, 'discoveryFilters[0].category', /not a discovery filter category/],
      [{ name: 'n', discoveryFilters: [{ category: 'MachineName' }] }, 400, 'discoveryFilters[0].name', /name is required/],
      [{ name: 'n', discoveryFilters: [{ category: 'MachineName', name: 'bad name!' }] }, 400, 'discoveryFilters[0].name', /not a valid machine name/],
      [{ name: 'n', discoveryFilters: [{ category: 'IPAddress', name: '300.1.1.1' }] }, 400, 'discoveryFilters[0].name', /not an IPv4 or IPv6 address/],
      [{ name: 'n', discoveryFilters: [{ category: 'IPRange', name: '10.0.0.9-10.0.0.1' }] }, 400, 'discoveryFilters[0].name', /ends before it starts/],
      [{ name: 'n', discoveryFilters: [{ category: 'IPRange', name: '10.0.0.0-10.1.0.0' }] }, 400, 'discoveryFilters[0].name', /holds 65537 addresses; at most 65536/],
      [{ name: 'n', discoveryFilters: [{ category: 'IPRange', name: '10.0.0.1' }] }, 400, 'discoveryFilters[0].name', /first-last/],
      [{ name: 'n', discoveryFilters: [{ category: 'IPRange', name: '2001:db8::1-2001:db8::9' }] }, 400, 'discoveryFilters[0].name', /IPv6/],
      [{ name: 'n', discoveryFilters: [{ category: 'MachineName', name: 'a', isExcluded: 'maybe' }] }, 400, 'discoveryFilters[0].isExcluded', /true or false/],
      [{ name: 'n', discoveryFilters: [{ category: 'MachineName', name: 'a', adminCredentialId: 'cred' }] }, 400, 'discoveryFilters[0].adminCredentialId', /GUID/],
      [{ name: 'n', discoveryFilters: [{ category: 'MachineName', name: 'a', adminCredentialId: '0123abcd-0000-4000-8000-000000000000' }] }, 404, 'discoveryFilters[0].adminCredentialId', /does not exist/],
      [{ name: 'n', discoveryFilters: [{ category: 'NestedGroup' }] }, 400, 'discoveryFilters[0].nestedGroupId', /needs nestedGroupId/],
      [{ name: 'n', discoveryFilters: [{ category: 'NestedGroup', nestedGroupId: 999999 }] }, 404, 'discoveryFilters[0].nestedGroupId', /999999 does not exist/],
      [{ name: 'n', discoveryFilters: [{ category: 'MachineName', name: 'a', nestedGroupId: db.id }] }, 400, 'discoveryFilters[0].nestedGroupId', /only for NestedGroup/],
      [{ name: 'n', discoveryFilters: ['host1'] }, 400, 'discoveryFilters[0]', /must be an object/],
      [{ name: 'n', credentialId: '0123abcd-0000-4000-8000-000000000000' }, 404, 'credentialId', /does not exist/],
      [{ name: 'n', connectionMethod: 'Telepathy' }, 400, 'connectionMethod', /must be one of/],
      [{ name: 'n', errorPolicy: 'Omit' }, 400, 'errorPolicy', /not supported/],
      [{ name: 'n', virtualMachineDiscoveryFilters: [{ category: 'x' }] }, 400, 'virtualMachineDiscoveryFilters', /not supported/],
      [[1, 2], 400, 'body', /JSON object/],
    ];
    for (const [body, status, field, pattern] of cases) {
      const error = assertErrorResponse(await c.request('POST', `${ST}/machinegroups`, { body }), status, pattern);
      assert.equal(error.field, field, JSON.stringify(body));
    }
    // Another user's credential is not usable in a group.
    const theirs = await createCredential('their-cred', otherAuth);
    assertErrorResponse(await c.request('POST', `${ST}/machinegroups`, { body: { name: 'n', credentialId: theirs } }), 404, /not yours/);
    assertErrorResponse(await c.request('GET', `${ST}/machinegroups/abc`), 400, /groupId must be a whole number/);
    assertErrorResponse(await c.request('GET', `${ST}/machinegroups/0`), 400, /groupId must be between 1/);
    assertErrorResponse(await c.request('GET', `${ST}/machinegroups/999999`), 404, /does not exist/);
    assertErrorResponse(await c.request('DELETE', `${ST}/machinegroups/999999`), 404, /does not exist/);
    assertErrorResponse(await c.request('GET', `${ST}/machinegroups/999999/usedby`), 404, /does not exist/);
    assertErrorResponse(await c.request('GET', `${ST}/machinegroups?count=1001`), 400, /count/);
    assertErrorResponse(await c.request('DELETE', pathOf(db.links.discoveryFilters), { body: [] }), 400, /ids of the discovery filters/);
    assertErrorResponse(await c.request('POST', pathOf(db.links.discoveryFilters), { body: {} }), 400, /discoveryFilters/);
    const after = await c.request('GET', `${ST}/machinegroups?count=1000`);
    assert.deepEqual(after.json, before.json, 'refused requests changed nothing');
  });

  it('a scan refuses groups that reach nothing, unknown groups, and filter credentials that are not the caller\'s', async () => {
    const empty = await createGroup({ name: 'Only exclusions', discoveryFilters: [{ category: 'MachineName', name: 'x', isExcluded: true }] });
    const post = (body: Record<string, unknown>, auth?: string) =>
      c.request('POST', `${ST}/patch/scans`, { body: { name: 's', templateId: FULL_PATCH_SCAN_TEMPLATE_ID, ...body }, auth });
    assert.equal(assertErrorResponse(await post({ machineGroupIds: [empty.id] }), 400, /hold no machines/).field, 'machineGroupIds');
    assert.equal(assertErrorResponse(await post({ machineGroupIds: [db.id, 424242] }), 404, /machine group 424242 does not exist/).field, 'machineGroupIds');
    const withCredential = await createGroup({ name: 'Admin credential', discoveryFilters: [{ category: 'MachineName', name: 'secure1', adminCredentialId: credentialA }] });
    assertErrorResponse(await post({ machineGroupIds: [withCredential.id] }, otherAuth), 404, /not yours; pass credentialId/);
    assertErrorResponse(await post({ machineGroupIds: [db.id], credentialId: credentialA }, otherAuth), 404, /credential .* does not exist/);
    assertErrorResponse(await post({ endpointNames: ['a'], runAsCredentialId: '0123abcd-0000-4000-8000-000000000000' }), 404, /does not exist/);
  });
});
