/**
 * The embedded store's aids to its queries (src/db/store-tuning.ts): a console gathers SQLite's
 * planner statistics itself, so a listing of counted patches is planned from the counts and not by
 * walking every patch; and it merges the title trigram index into one segment, with searches
 * answering the same. The plans are read with EXPLAIN QUERY PLAN of the statement the listing
 * really runs; the rows are checked too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { PatchwardenDb } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { tuneStoreForQueries } from '../../src/db/store-tuning.js';
import { startConsole } from '../../src/api/console.js';
import { parseQql } from '../../src/qql/index.js';
import { openTestStore, testStore } from '../support/test-database.js';
import { insertAssets, insertPatches } from '../support/pm-patch-asset-assertions.js';
import { sqliteListingPlans } from '../support/sqlite-listing-plans.js';

/** A store where few of many patches are counted, as in a real catalog. */
async function fillCatalog(db: PatchwardenDb): Promise<string[]> {
  // Inserted in separate transactions, as syncs write them: the title index gets several segments.
  const ids: string[] = [];
  for (let batch = 0; batch < 8; batch++) {
    ids.push(...await insertPatches({ db }, Array.from({ length: 500 }, (_, i) => ({
      source: `pkg${batch}x${i}`, severity: i % 2 ? 'Important' as const : undefined, cves: i % 2 ? [`CVE-2025-${10_000 + batch * 500 + i}`] : [],
    }))));
  }
  await insertAssets({ db }, [
    { name: 'web1', patches: Object.fromEntries(ids.filter((_, i) => i % 100 === 1).map((id) => [id, 'Missing'])) },
    { name: 'web2', patches: Object.fromEntries(ids.filter((_, i) => i % 100 === 3).map((id) => [id, 'Installed'])) },
  ]);
  return ids;
}

const segmentsOfTitleIndex = async (db: PatchwardenDb) => Number((await sql<{ n: number }>`
  select count(distinct segid) as n from patch_title_trigrams_idx`.execute(db.kysely)).rows[0].n);

if (testStore() === 'sqlite') {
  test('SQLite: tuning gathers planner statistics; counted patches are listed from their counts (sqlite)', { timeout: 120_000 }, async (t) => {
    const { db, dataDir } = await openTestStore(t, 'store-tuning');
    await migrateToLatest(db);
    const ids = await fillCatalog(db);
    const file = join(dataDir, 'patchwarden.sqlite');
    const selection = { platform: 'Linux' as const, query: parseQql('patchStatus:Missing and isSecurity:true') };
    const expected = ids.filter((_, i) => i % 100 === 1).sort().slice(0, 20);

    const before = await sqliteListingPlans(file, selection);
    assert.deepEqual(before.ids, expected);
    const unanalysed = await sql<{ tbl: string }>`select name as tbl from sqlite_master where name = 'sqlite_stat1'`.execute(db.kysely);
    assert.equal(unanalysed.rows.length, 0, 'no statistics before');

    await tuneStoreForQueries(db);
    const analysed = await sql<{ tbl: string }>`select distinct tbl from sqlite_stat1`.execute(db.kysely);
    for (const table of ['patches', 'patch_status_counts', 'asset_patch_status']) {
      assert.ok(analysed.rows.some((row) => row.tbl === table), `${table} has statistics: ${JSON.stringify(analysed.rows)}`);
    }
    const after = await sqliteListingPlans(file, selection);
    assert.deepEqual(after.ids, expected, 'the same rows');
    const plan = after.plans.join('\n');
    assert.doesNotMatch(plan, /SCAN p\b/, `no walk of every patch:\n${plan}`);
    assert.match(plan, /SCAN c\b/, `the counts are walked:\n${plan}`);
    assert.doesNotMatch(plan.split('\n').find((step) => step.startsWith('SCAN c')) ?? '', /patches/, 'the filter is tested on the counts row');
  });

  test('SQLite: tuning merges the title index into one segment; title searches answer the same (sqlite)', { timeout: 120_000 }, async (t) => {
    const { db, dataDir } = await openTestStore(t, 'store-tuning-titles');
    await migrateToLatest(db);
    const ids = await fillCatalog(db);
    const file = join(dataDir, 'patchwarden.sqlite');
    const search = (text: string) => sqliteListingPlans(file, { platform: 'Linux', query: parseQql(`title:"${text}"`) }).then((listing) => listing.ids);
    const texts = ['pkg3x12', 'x49', 'security update', 'PKG7X4'];
    const found = await Promise.all(texts.map(search));
    assert.deepEqual(found[0], ids.filter((_, i) => i >= 1_500 && i < 2_000 && /^pkg3x12\d* /.test(`pkg3x${i - 1_500} `)).sort());
    assert.ok(found.every((rows) => rows.length > 0), JSON.stringify(found));
    assert.ok(await segmentsOfTitleIndex(db) > 1, 'written in several transactions: several segments');

    await tuneStoreForQueries(db);
    assert.equal(await segmentsOfTitleIndex(db), 1);
    assert.deepEqual(await Promise.all(texts.map(search)), found);
    await tuneStoreForQueries(db); // again: nothing to merge, nothing changes
    assert.equal(await segmentsOfTitleIndex(db), 1);
  });

  test('SQLite: a console tunes its store when it starts (sqlite)', { timeout: 120_000 }, async (t) => {
    const { db, dataDir } = await openTestStore(t, 'store-tuning-start');
    await migrateToLatest(db);
    await fillCatalog(db);
    await db.close();
    const running = await startConsole({ host: '127.0.0.1', port: 0, dataDir, tls: 'off', logger: false, adminPassword: 'tuning test password' });
    try {
      const analysed = await sql<{ tbl: string }>`select distinct tbl from sqlite_stat1 where tbl = 'patches'`.execute(running.db.kysely);
      assert.equal(analysed.rows.length, 1, 'patches analysed at start');
      assert.equal(await segmentsOfTitleIndex(running.db), 1);
    } finally {
      await running.close();
    }
  });
}
