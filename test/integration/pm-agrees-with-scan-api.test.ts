/**
 * One real Full Patch Scan of this machine through the Security Controls API, then the Patch
 * Management API must tell the same story: the asset has the machine's missing and installed
 * counts, every missing patch is listed with missingCount ≥ 1 (and with this asset as havingQuery,
 * exactly the scan's missing and installed patches), and the count endpoints agree. A patch the
 * synced catalog lists keeps all its catalog packages, not just those this machine has.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { ST, startTestConsole, waitForOperation, type TestConsole } from '../support/console-fixture.js';
import { requireOrSkip } from '../support/required-service.js';
import { assertAssets, assertCount, assertPatches, pageThrough } from '../support/pm-patch-asset-assertions.js';
import { FULL_PATCH_SCAN_TEMPLATE_ID } from '../../src/scans/scan-templates.js';
import { ScanErrorNumber } from '../../src/scans/scan-errors.js';
import { loadCatalogSnapshot } from '../../src/catalog/catalog-store.js';
import { patchEntriesFromSnapshot } from '../../src/catalog/patch-catalog.js';

let c: TestConsole;

before(async () => {
  c = await startTestConsole();
});

after(async () => {
  await c?.close();
});

function pathOf(link: string): string {
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
}

/** All items of an ST list, following links.next. */
async function allItems<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined = path;
  while (next) {
    const response = await c.request('GET', next);
    assert.equal(response.status, 200, response.text);
    items.push(...response.json.value);
    next = response.json.links.next ? pathOf(response.json.links.next.href) : undefined;
  }
  return items;
}

test('after a real scan of this machine, the PM API agrees with the scan API', { timeout: 600_000 }, async (t) => {
  const started = await c.request('POST', `${ST}/patch/scans`, { body: { name: 'PM agreement', templateId: FULL_PATCH_SCAN_TEMPLATE_ID, endpointNames: ['localhost'] } });
  assert.equal(started.status, 202, started.text);
  const operation = await waitForOperation(c, started.headers.get('operation-location')!, 540_000);
  const machines = await allItems<any>(`${ST}/patch/scans/${started.json.id}/machines`);
  assert.equal(machines.length, 1);
  const machine = machines[0];
  const environmental = [ScanErrorNumber.UnsupportedOperatingSystem, ScanErrorNumber.CatalogSyncFailed];
  if (!requireOrSkip(t, !environmental.includes(machine.errorNumber), `a Debian or Ubuntu host whose apt repositories are reachable (the scan said: ${machine.errorDescription})`)) return;
  assert.equal(operation.status, 'Succeeded', JSON.stringify(operation));
  assert.ok([0, ScanErrorNumber.OutdatedRepositoryData].includes(machine.errorNumber), machine.errorDescription);

  const scanPatches = await allItems<any>(`${ST}/patch/scans/${started.json.id}/machines/${machine.id}/patches?count=1000`);
  const missing = scanPatches.filter((p) => p.scanState === 'MissingPatch');
  const installed = scanPatches.filter((p) => p.scanState === 'FoundPatch');
  assert.equal(missing.length, machine.missingPatchCount);
  assert.equal(installed.length, machine.installedPatchCount);
  assert.ok(scanPatches.length > 0, 'a Debian machine has at least one missing or installed patch');
  t.diagnostic(`${machine.name}: ${missing.length} missing and ${installed.length} installed patches`);

  // The asset: same name, same counts; its uuid is the one /uuids maps the machine's id to.
  const assetsResponse = await c.request('POST', '/pm/v1/assets?platform=Linux', { body: { query: `name:\`${machine.name}\`` } });
  assert.equal(assetsResponse.status, 200, assetsResponse.text);
  assertAssets(assetsResponse.json);
  assert.equal(assetsResponse.json.length, 1, `one asset named ${machine.name}`);
  const asset = assetsResponse.json[0];
  assert.equal(asset.missingPatchCount, machine.missingPatchCount, 'missing patches agree');
  assert.equal(asset.installedPatchCount, machine.installedPatchCount, 'installed patches agree');
  assert.equal(asset.platform, 'Linux');
  assert.ok(asset.scanDateTime >= Date.parse(started.json.startedOn), 'scanDateTime is this scan');
  assert.ok(asset.scanDateTime <= Date.parse(machine.completedOn));
  const stored = await c.running.db.kysely.selectFrom('scan_machines').select('machine_id').where('id', '=', machine.id).executeTakeFirstOrThrow();
  const uuids = await c.request('POST', '/pm/v1/assets/uuids', { body: [String(stored.machine_id)] });
  assert.deepEqual(uuids.json, { mappedAssets: [{ assetId: stored.machine_id, assetUuid: asset.id }], unmappedAssets: [] });

  // Every missing patch of the scan is a patch with missingCount ≥ 1, described alike.
  const listed = await pageThrough(c, '/pm/v2/patches?platform=Linux&pageSize=1000', { query: 'patchStatus:Missing' }, 1000, (page) => assertPatches(page));
  const byId = new Map(listed.records.map((p) => [p.id as string, p]));
  for (const patch of missing) {
    const pm = byId.get(patch.patchId);
    assert.ok(pm, `missing patch ${patch.bulletinId} is listed by POST /pm/v2/patches`);
    assert.ok(pm.missingCount >= 1, `${patch.bulletinId}: missingCount ${pm.missingCount}`);
    assert.equal(pm.bulletin, patch.bulletinId);
    assert.equal(pm.kb, patch.kb);
    assert.equal(pm.vendorSeverity, patch.vendorSeverity);
    assert.equal(pm.type, patch.patchType === 'SecurityPatch' ? 'Security' : 'NonSecurity');
  }

  // The scan folded its findings into the catalog the sync had just refreshed: a patch's packages
  // are still every binary package the catalog lists for it (a machine has only some of them).
  const catalog = new Map(patchEntriesFromSnapshot(await loadCatalogSnapshot(c.running.db), 0).map((e) => [e.id, e]));
  const packageKey = (p: { packageName: string; architecture: string }) => `${p.packageName}/${p.architecture}`;
  let compared = 0;
  for (const pm of listed.records) {
    const entry = catalog.get(pm.id);
    if (!entry) continue;
    compared++;
    const listedPackages = new Set((pm.packageDetails as Array<{ packageName: string; architecture: string }>).map(packageKey));
    for (const p of entry.packages) assert.ok(listedPackages.has(packageKey(p)), `${pm.bulletin}: catalog package ${packageKey(p)} kept (has ${[...listedPackages].join(', ')})`);
  }
  assert.ok(compared > 0, 'some missing patches are patches of the synced catalog');

  // With this asset as havingQuery: exactly the scan's missing, and installed, patches.
  const onThisAsset = async (query: string) => (await pageThrough(c, '/pm/v2/patches?platform=Linux&pageSize=1000',
    { query, havingQuery: `name:\`${machine.name}\``, attributes: 'id' }, 1000, (page) => assertPatches(page, ['id']))).records.map((p) => p.id).sort();
  assert.deepEqual(await onThisAsset('patchStatus:Missing'), missing.map((p) => p.patchId).sort());
  assert.deepEqual(await onThisAsset('patchStatus:Installed'), installed.map((p) => p.patchId).sort());

  // And the counts.
  const count = async (path: string, key: 'patches' | 'assets') => {
    const response = await c.request('GET', path);
    assert.equal(response.status, 200, response.text);
    return assertCount(response.json, key);
  };
  const having = encodeURIComponent(`name:\`${machine.name}\``);
  assert.equal(await count(`/pm/v1/patches/count?platform=Linux&query=patchStatus%3AMissing&havingQuery=${having}`, 'patches'), machine.missingPatchCount);
  assert.equal(await count(`/pm/v1/patches/count?platform=Linux&query=patchStatus%3AInstalled&havingQuery=${having}`, 'patches'), machine.installedPatchCount);
  assert.equal(await count('/pm/v1/patches/count?platform=Linux&query=patchStatus%3AMissing', 'patches'), listed.records.length);
  assert.equal(await count(`/pm/v1/assets/count?platform=Linux&query=${having}`, 'assets'), 1);
  assert.equal(await count(`/pm/v1/assets/count?platform=Linux&query=${having}&havingQuery=patchStatus%3AMissing`, 'assets'), machine.missingPatchCount > 0 ? 1 : 0);

  // The store was empty when the console started: the sync that filled the catalog brought the
  // embedded store's planner statistics up to date (store-tuning.ts), not a later hourly run.
  if (c.running.db.dialect === 'sqlite') {
    const stat = await sql<{ stat: string }>`select stat from sqlite_stat1 where tbl = 'patches' and idx = 'sqlite_autoindex_patches_1'`.execute(c.running.db.kysely);
    assert.equal(stat.rows.length, 1, 'patches analysed after the sync');
    assert.ok(Number(stat.rows[0].stat.split(' ')[0]) > 0, `analysed with the synced patches in: ${stat.rows[0].stat}`);
  }
});
