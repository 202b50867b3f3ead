/**
 * The copies of a patch's filter columns in its `patch_status_counts` row (migration 0013), on both
 * stores: a new counts row takes its patch's values, a catalog write that changes them updates the
 * row in the same transaction, a recount fills them, and a deleted patch takes its counts row
 * along. Listings of counted patches read the copies, so each change is also checked through one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { migrateToLatest } from '../../src/db/migrate.js';
import { upsertPatches, type PatchCatalogEntry } from '../../src/catalog/patch-catalog.js';
import { recountPatchStatus, replaceMachinePatchStatus } from '../../src/scans/patch-status-counts.js';
import { AssetPatchQueries } from '../../src/scans/asset-patch-queries.js';
import { PATCH_PAIR_QQL_TOKENS, PATCH_QQL_TOKENS } from '../../src/api/pm/patch-qql-tokens.js';
import { ASSET_QQL_TOKENS } from '../../src/api/pm/asset-qql-tokens.js';
import { parseQql } from '../../src/qql/index.js';
import { openTestStore, testStore } from '../support/test-database.js';
import { insertAssets } from '../support/pm-patch-asset-assertions.js';

const NOW = Date.UTC(2026, 0, 1);

function entry(id: string, severity: PatchCatalogEntry['vendorSeverity'], security: boolean, withAdvisory: boolean): PatchCatalogEntry {
  return {
    id, title: `${id} update`, bulletin: `DEB-${id}`, kb: `${id}_1`, vendor: 'Debian', patchType: security ? 'SecurityPatch' : 'NonSecurityPatch',
    vendorSeverity: severity, release: 'bookworm', sourceName: id, sourceVersion: '1', packages: [{ packageName: `${id}-bin`, architecture: 'amd64' }],
    rebootRequired: false, publishedMs: NOW - 86_400_000,
    ...(withAdvisory ? { advisory: { cves: [], qids: [] } } : {}),
  };
}

test(`a patch's counts row keeps copies of its filter columns (${testStore()})`, { timeout: 120_000 }, async (t) => {
  const { db } = await openTestStore(t, 'counted-filters');
  await migrateToLatest(db);
  await db.kysely.transaction().execute((trx) => upsertPatches(trx, [entry('p-b', 'Low', true, true), entry('p-a', 'None', false, false), entry('p-c', 'Critical', true, true)], NOW));
  const [{ machineId }] = await insertAssets({ db }, [{ name: 'web1' }]);
  const copies = async () => (await db.kysely.selectFrom('patch_status_counts')
    .select(['patch_id', 'platform', 'vendor_severity', 'is_security', 'patch_type', 'published_ms']).orderBy('patch_id').execute())
    .map((row) => ({ ...row, is_security: Number(row.is_security), published_ms: Number(row.published_ms) }));
  const queries = new AssetPatchQueries(db, { patches: PATCH_QQL_TOKENS, patchPairs: PATCH_PAIR_QQL_TOKENS, assets: ASSET_QQL_TOKENS });
  const missing = (query: string) => queries.listPatchIds({ platform: 'Linux', query: parseQql(`patchStatus:Missing and ${query}`) }, { limit: 10 });

  // A scan writes new counts rows: they take their patches' values.
  await db.kysely.transaction().execute((trx) => replaceMachinePatchStatus(trx, machineId,
    [{ patchId: 'p-a', state: 'Missing' }, { patchId: 'p-b', state: 'Missing' }, { patchId: 'p-c', state: 'Installed' }], 'scan-1', new Date(NOW).toISOString()));
  const published = NOW - 86_400_000;
  assert.deepEqual(await copies(), [
    { patch_id: 'p-a', platform: 'Linux', vendor_severity: 'None', is_security: 0, patch_type: 'NonSecurityPatch', published_ms: published },
    { patch_id: 'p-b', platform: 'Linux', vendor_severity: 'Low', is_security: 1, patch_type: 'SecurityPatch', published_ms: published },
    { patch_id: 'p-c', platform: 'Linux', vendor_severity: 'Critical', is_security: 1, patch_type: 'SecurityPatch', published_ms: published },
  ]);
  assert.deepEqual(await missing('isSecurity:true'), ['p-b']);

  // An advisory raises p-a's severity and makes it a security patch; p-b is written again unchanged.
  await db.kysely.transaction().execute((trx) => upsertPatches(trx, [entry('p-b', 'Low', true, true), entry('p-a', 'Important', true, true)], NOW + 1));
  const after = await copies();
  assert.deepEqual(after[0], { patch_id: 'p-a', platform: 'Linux', vendor_severity: 'Important', is_security: 1, patch_type: 'SecurityPatch', published_ms: published });
  assert.deepEqual(after[1].vendor_severity, 'Low');
  assert.deepEqual(await missing('isSecurity:true'), ['p-a', 'p-b']);
  assert.deepEqual(await missing('vendorSeverity:Important'), ['p-a']);

  // A recount (bulk-loaded status) fills the copies too.
  await recountPatchStatus(db.kysely);
  assert.deepEqual(await copies(), after);

  // A deleted patch takes its counts row along (its status rows go by cascade).
  await db.kysely.deleteFrom('patches').where('id', '=', 'p-b').execute();
  assert.deepEqual((await copies()).map((row) => row.patch_id), ['p-a', 'p-c']);
  assert.deepEqual(await missing('isSecurity:true'), ['p-a']);
  assert.equal(await queries.countPatches({ platform: 'Linux', query: parseQql('patchStatus:Installed') }), 1);
});

if (testStore() === 'postgres') {
  test('PostgreSQL: a page of counted patches filtered on copied columns reads the counts alone (postgres)', { timeout: 120_000 }, async (t) => {
    const { db, databaseUrl } = await openTestStore(t, 'counted-filters-plan');
    await migrateToLatest(db);
    await db.kysely.transaction().execute((trx) => upsertPatches(trx, Array.from({ length: 300 }, (_, i) =>
      entry(`p-${String(i).padStart(3, '0')}`, i % 3 ? 'Low' : 'Critical', i % 2 === 0, true)), NOW));
    const [{ machineId }] = await insertAssets({ db }, [{ name: 'web1' }]);
    await db.kysely.transaction().execute((trx) => replaceMachinePatchStatus(trx, machineId,
      Array.from({ length: 60 }, (_, i) => ({ patchId: `p-${String(i * 5).padStart(3, '0')}`, state: 'Missing' })), 'scan-1', new Date(NOW).toISOString()));
    const statements: Array<{ sql: string; parameters: readonly unknown[] }> = [];
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    const logged = new Kysely<any>({ dialect: new PostgresDialect({ pool }), log: (event) => { if (event.level === 'query') statements.push(event.query); } });
    try {
      const queries = new AssetPatchQueries({ ...db, kysely: logged }, { patches: PATCH_QQL_TOKENS, patchPairs: PATCH_PAIR_QQL_TOKENS, assets: ASSET_QQL_TOKENS });
      const ids = await queries.listPatchIds({ platform: 'Linux', query: parseQql('patchStatus:Missing and isSecurity:true and vendorSeverity:Critical') }, { limit: 5 });
      // Missing: every fifth patch; security: even ones; Critical: every third. So every 30th.
      assert.deepEqual(ids, ['p-000', 'p-030', 'p-060', 'p-090', 'p-120']);
      const { rows } = await pool.query(`explain (costs off) ${statements[0].sql}`, statements[0].parameters as unknown[]);
      const plan = rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n');
      assert.match(plan, /patch_status_counts/, plan);
      assert.doesNotMatch(plan, / on patches\b|patches_pm_filter|patches_pkey/, `no patch is read:\n${plan}`);
    } finally {
      await logged.destroy();
    }
  });
}
