/**
 * Imported advisories through a real console's Patch Management API: the bookworm-updates
 * fixture catalog, DSA/DLA records imported into the console's store, a machine assessed with
 * the console's own catalog service and folded into the patch catalog the way a scan folds it,
 * then QID lookups and QQL `cve:` / `qid:` queries over HTTP.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { assessInventory } from '../../src/assess/assess-inventory.js';
import { importOsvAdvisories } from '../../src/catalog/advisory-imports.js';
import { advisoryQids } from '../../src/catalog/advisory-store.js';
import { patchEntryFromFinding, upsertPatches } from '../../src/catalog/patch-catalog.js';
import { debianDla, debianDsa } from '../support/advisory-records.js';
import { bookwormMachineInventory, storeBookwormUpdatesRelease } from '../support/bookworm-updates-catalog.js';
import { startTestConsole, type TestConsole } from '../support/console-fixture.js';
import { testStore } from '../support/test-database.js';

let c: TestConsole;
const work = mkdtempSync(join(tmpdir(), 'patchwarden-advisories-pm-'));

before(async () => {
  c = await startTestConsole();
  await storeBookwormUpdatesRelease(c.running.db);
  mkdirSync(join(work, 'osv'));
  writeFileSync(join(work, 'osv', 'DSA-5912-1.json'), JSON.stringify(debianDsa('DSA-5912-1', 'openssh', '1:9.2p1-2+deb12u6', ['CVE-2026-11111', 'CVE-2026-11112'])));
  writeFileSync(join(work, 'osv', 'DLA-4100-1.json'), JSON.stringify(debianDla('DLA-4100-1', 'openssl', '3.0.17-1~deb12u1', ['CVE-2026-20001'])));
  await importOsvAdvisories(c.running.db, join(work, 'osv'));

  const inventory = bookwormMachineInventory([
    { name: 'openssh-client', architecture: 'amd64', version: '1:9.2p1-2+deb12u5', status: 'ii ', sourceName: 'openssh', sourceVersion: '1:9.2p1-2+deb12u5' },
    { name: 'libssl3', architecture: 'amd64', version: '3.0.15-1~deb12u1', status: 'ii ', sourceName: 'openssl', sourceVersion: '3.0.15-1~deb12u1' },
  ]);
  c.running.catalog.noteAdvisoryRelease(inventory);
  const assessment = assessInventory(inventory, await c.running.catalog.currentView());
  const nowMs = Date.parse('2026-11-22T10:00:00Z');
  await c.running.db.kysely.transaction().execute((trx) => upsertPatches(trx, assessment.patches.map((p) => patchEntryFromFinding(p, 'Debian', nowMs)), nowMs));
});

after(async () => {
  await c?.close();
  rmSync(work, { recursive: true, force: true });
});

it(`advisory QIDs, CVEs and bulletins are served by the PM API (${testStore()})`, async () => {
  const qids = await advisoryQids(c.running.db, ['DSA-5912-1', 'DLA-4100-1']);
  const dsaQid = qids.get('DSA-5912-1')!;
  const lookup = await c.request('POST', '/pm/v1/vulnerabilities', { body: { qids: [String(dsaQid), qids.get('DLA-4100-1')] } });
  assert.equal(lookup.status, 200, lookup.text);
  assert.deepEqual(lookup.json.map((v: { id: number; cves: string[]; severity: number }) => [v.id, v.cves]), [
    [dsaQid, ['CVE-2026-11111', 'CVE-2026-11112']], [qids.get('DLA-4100-1'), ['CVE-2026-20001']],
  ].sort((a, b) => (a[0] as number) - (b[0] as number)));
  assert.equal(lookup.json[0].title.includes('security update'), true);

  const byCve = await c.request('POST', '/pm/v2/patches?platform=Linux', { body: { query: 'cve:`CVE-2026-11112`' } });
  assert.equal(byCve.status, 200, byCve.text);
  assert.deepEqual(byCve.json.map((p: { bulletin: string; type: string; qid: number[]; cve: string[] }) => [p.bulletin, p.type, p.qid, p.cve]),
    [['DSA-5912-1', 'Security', [dsaQid], ['CVE-2026-11111', 'CVE-2026-11112']]]);

  const byQid = await c.request('POST', '/pm/v2/patches?platform=Linux', { body: { query: `qid:${qids.get('DLA-4100-1')}` } });
  assert.equal(byQid.status, 200, byQid.text);
  assert.deepEqual(byQid.json.map((p: { bulletin: string; appFamily: string }) => [p.bulletin, p.appFamily]), [['DLA-4100-1', 'openssl']]);
});
