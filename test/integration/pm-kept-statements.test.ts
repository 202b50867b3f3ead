/**
 * PM listings keep their compiled statements (asset-patch-queries.ts, compiled-statement-cache.ts),
 * on both stores: a kept statement must answer every page with that page's own cursor, exactly as
 * a statement compiled afresh does, and a statement whose query reads the time must not go on
 * using the time it was first compiled at.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { migrateToLatest } from '../../src/db/migrate.js';
import { AssetPatchQueries, TIME_RELATIVE_STATEMENT_MAX_AGE_MS, type PatchAssetSelection } from '../../src/scans/asset-patch-queries.js';
import { parseQql, validateQql, type QqlTokenTable } from '../../src/qql/index.js';
import { PATCH_PAIR_QQL_TOKENS, PATCH_QQL_TOKENS } from '../../src/api/pm/patch-qql-tokens.js';
import { ASSET_QQL_TOKENS } from '../../src/api/pm/asset-qql-tokens.js';
import { PATCH_WIRE_DOCUMENT, patchWireFields } from '../../src/api/pm/patch-wire-document.js';
import { refreshPatchListingDocuments } from '../../src/scans/patch-listing-documents.js';
import { openTestStore, testStore } from '../support/test-database.js';
import { insertAssets, insertPatches } from '../support/pm-patch-asset-assertions.js';

const TOKENS = { patches: PATCH_QQL_TOKENS, patchPairs: PATCH_PAIR_QQL_TOKENS, assets: ASSET_QQL_TOKENS };
const SEVERITIES = ['Critical', 'Important', 'Moderate', 'Low', 'None'] as const;

function qql(text: string, tokens: QqlTokenTable<any>) {
  const ast = parseQql(text);
  validateQql(ast, tokens);
  return ast;
}

test(`kept listing statements page with each call's cursor, as fresh ones do (${testStore()})`, { timeout: 120_000 }, async (t) => {
  const { db } = await openTestStore(t, 'kept-statements');
  await migrateToLatest(db);
  const ids = await insertPatches({ db }, Array.from({ length: 37 }, (_, i) => ({ source: `pkg${i}`, severity: SEVERITIES[i % 5], security: i % 3 !== 0 })));
  await insertAssets({ db }, Array.from({ length: 7 }, (_, m) => ({
    name: `host${m}`, patches: Object.fromEntries(ids.filter((_, i) => (i + m) % 4 === 0).map((id, i) => [id, m < 3 && i % 2 ? 'Missing' : 'Installed'])),
  })));
  // Half the patches have a current stored document: pages mix stored and live-built ones.
  assert.ok((await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT, { scope: 'all' })).built > 0);
  await db.kysely.updateTable('patch_listing_documents').set({ format: null, head: null, tail: null })
    .where('patch_id', 'in', ids.filter((_, i) => i % 2 === 0)).execute();

  const kept = new AssetPatchQueries(db, TOKENS);
  const selections: Array<[string, PatchAssetSelection]> = [
    ['everything', {}],
    ['Linux', { platform: 'Linux' }],
    ['critical or important', { platform: 'Linux', query: qql('vendorSeverity:[Critical, Important]', PATCH_QQL_TOKENS) }],
    ['missing somewhere', { query: qql('patchStatus:Missing and isSecurity:true', PATCH_QQL_TOKENS) }],
    ['counted', { query: qql('missingCount>=1', PATCH_QQL_TOKENS) }],
    ['on host3', { query: qql('patchStatus:Installed', PATCH_PAIR_QQL_TOKENS), havingQuery: qql('name:`host3`', ASSET_QQL_TOKENS) }],
  ];
  const fewFields = patchWireFields(new Set(['id', 'title', 'missingCount']));
  for (const [label, selection] of selections) {
    for (const pageSize of [4, 10]) {
      // Twice through with the kept statements, each page also asked of a console compiling afresh.
      for (let pass = 0; pass < 2; pass++) {
        const seen: string[] = [];
        for (let afterId: string | undefined, n = 0; n < 20; n++) {
          const fresh = new AssetPatchQueries(db, TOKENS);
          const page = { afterId, limit: pageSize };
          const keptIds = await kept.listPatchIds(selection, page);
          assert.deepEqual(keptIds, await fresh.listPatchIds(selection, page), `${label}: ids after ${afterId}`);
          const stored = await kept.listPatchDocuments(selection, page, PATCH_WIRE_DOCUMENT, { stored: true });
          assert.deepEqual(stored, await fresh.listPatchDocuments(selection, page, PATCH_WIRE_DOCUMENT, { stored: true }), `${label}: stored documents after ${afterId}`);
          const live = await kept.listPatchDocuments(selection, page, fewFields);
          assert.deepEqual(live, await fresh.listPatchDocuments(selection, page, fewFields), `${label}: live documents after ${afterId}`);
          assert.deepEqual(stored.map((d) => d.id), keptIds);
          assert.deepEqual(live.map((d) => JSON.parse(d.document).id), keptIds);
          seen.push(...keptIds);
          if (keptIds.length < pageSize) break;
          afterId = keptIds[keptIds.length - 1];
        }
        assert.equal(new Set(seen).size, seen.length, `${label}: no patch twice`);
        assert.equal(seen.length, await kept.countPatches(selection), `${label}: pages hold the count`);
        assert.deepEqual(seen, [...seen].sort(), `${label}: id order`);
      }
    }
  }
  // The selections differ: their kept statements are not mixed up.
  const counts = await Promise.all(selections.map(([, selection]) => kept.countPatches(selection)));
  assert.ok(new Set(counts).size >= 4, `counts ${counts}`);

  // Assets, paged by machine id.
  const assetSelection = { havingQuery: qql('patchStatus:Missing', PATCH_PAIR_QQL_TOKENS) };
  for (let pass = 0; pass < 2; pass++) {
    const names: string[] = [];
    for (let afterMachineId: number | undefined, n = 0; n < 20; n++) {
      const page = await kept.listAssets(assetSelection, { afterMachineId, limit: 2 }, { counts: true });
      assert.deepEqual(page, await new AssetPatchQueries(db, TOKENS).listAssets(assetSelection, { afterMachineId, limit: 2 }, { counts: true }));
      names.push(...page.map((a) => a.name));
      if (page.length < 2) break;
      afterMachineId = page[page.length - 1].machineId;
    }
    assert.equal(names.length, await kept.countAssets(assetSelection));
    assert.deepEqual(names, ['host0', 'host1', 'host2']);
  }
});

test(`a kept statement of a query on the time uses the time of the call (${testStore()})`, { timeout: 60_000 }, async (t) => {
  const { db } = await openTestStore(t, 'kept-statements-now');
  await migrateToLatest(db);
  const queries = new AssetPatchQueries(db, TOKENS);
  const publishedSoon = Date.now() + 600;
  const [soon] = await insertPatches({ db }, [{ source: 'soon', publishedMs: publishedSoon }, { source: 'old', publishedMs: Date.UTC(2024, 0, 1) }]);
  const selection = { query: qql('publishedDate<now', PATCH_QQL_TOKENS) };
  assert.deepEqual(await queries.countPatches(selection), 1);
  assert.equal((await queries.listPatchIds(selection, { limit: 10 })).includes(soon), false);
  // Once the patch's publication is past and the kept statement has aged out, it is listed.
  await sleep(Math.max(publishedSoon - Date.now(), 0) + TIME_RELATIVE_STATEMENT_MAX_AGE_MS + 50);
  assert.equal((await queries.listPatchIds(selection, { limit: 10 })).includes(soon), true);
  assert.deepEqual(await queries.countPatches(selection), 2);

  // A selection naming its `now` is kept per `now`.
  const at = (now: number) => ({ ...selection, now });
  assert.equal((await queries.listPatchIds(at(publishedSoon - 1), { limit: 10 })).includes(soon), false);
  assert.equal((await queries.listPatchIds(at(publishedSoon + 1), { limit: 10 })).includes(soon), true);
  assert.equal(await queries.countPatches(at(publishedSoon - 1)), 1);
  assert.equal(await queries.countPatches(at(publishedSoon + 1)), 2);
});
