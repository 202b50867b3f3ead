/**
 * Patch listing documents kept in the store (patch-listing-documents.ts, migration 0010), on both
 * stores: after a refresh, listings read them and send exactly the documents built live; every
 * kind of change to a patch (its row through the catalog's upsert or directly, its CVEs, its
 * QIDs, its deletion) makes its stored document unused at once, in the changing transaction,
 * while count changes need no refresh; documents of another format are never sent; refreshes go
 * in batches and stop when asked. On PostgreSQL a refresh racing a concurrent change never stores
 * the older data's document nor waits long on it, and refreshes of several processes do not
 * overlap. Through a real console, listings that had to build documents live get them stored, and
 * so does a catalog already there when the console starts; a refresh that fails is logged and
 * retried after a pause.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { sql } from 'kysely';
import type { PatchwardenDb } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { AssetPatchQueries } from '../../src/scans/asset-patch-queries.js';
import { POSTGRES_REFRESH_LOCK_KEY, refreshPatchListingDocuments } from '../../src/scans/patch-listing-documents.js';
import { storedDocumentSplit } from '../../src/scans/patch-documents.js';
import { upsertPatches, type PatchCatalogEntry } from '../../src/catalog/patch-catalog.js';
import { PATCH_PAIR_QQL_TOKENS, PATCH_QQL_TOKENS } from '../../src/api/pm/patch-qql-tokens.js';
import { ASSET_QQL_TOKENS } from '../../src/api/pm/asset-qql-tokens.js';
import { PATCH_WIRE_DOCUMENT, patchWireFields } from '../../src/api/pm/patch-wire-document.js';
import { openTestStore, testStore } from '../support/test-database.js';
import { parseQql } from '../../src/qql/index.js';
import type { FastifyBaseLogger } from 'fastify';
import { startConsole } from '../../src/api/console.js';
import { PatchListingDocumentUpkeep } from '../../src/api/pm/patch-listing-upkeep.js';
import { startTestConsole, TEST_ADMIN_PASSWORD } from '../support/console-fixture.js';
import { assertPatches, insertPatches } from '../support/pm-patch-asset-assertions.js';

const PATCH_COUNT = 60;
const idOf = (i: number) => `patch-${String(i).padStart(3, '0')}`;

async function storeWithPatches(t: TestContext): Promise<{ db: PatchwardenDb; dataDir: string; databaseUrl?: string }> {
  const { db, dataDir, databaseUrl } = await openTestStore(t, 'listing-documents');
  await migrateToLatest(db);
  await db.kysely.insertInto('patches').values(Array.from({ length: PATCH_COUNT }, (_, i) => ({
    id: idOf(i), title: `src${i} ${i}.0-1 ${i % 3 ? 'security update' : 'update'} "quoted" \\ for bookworm`, bulletin: `DEB-${i}`, kb: `src${i}_${i}.0-1`,
    vendor: 'Debian', platform: 'Linux', patch_type: i % 3 ? 'SecurityPatch' : 'NonSecurityPatch', is_security: i % 3 ? 1 : 0,
    vendor_severity: ['Critical', 'Important', 'Low', 'None'][i % 4], release: 'bookworm', source_name: `src${i}`, source_version: `${i}.0-1`,
    architectures: '["amd64"]', package_details: JSON.stringify([{ packageName: `src${i}-bin`, architecture: 'amd64' }]),
    reboot_required: i % 5 === 0 ? 1 : 0, published_ms: Date.UTC(2025, 0, 1) + i * 86_400_000, modified_ms: Date.UTC(2025, 6, 1) + i,
  }))).execute();
  await db.kysely.insertInto('patch_cves').values(Array.from({ length: PATCH_COUNT }, (_, i) => i)
    .filter((i) => i % 3).flatMap((i) => [{ patch_id: idOf(i), cve: `CVE-2025-${1000 + i}` }, { patch_id: idOf(i), cve: `CVE-2024-${1000 + i}` }])).execute();
  await db.kysely.insertInto('patch_qids').values(Array.from({ length: PATCH_COUNT }, (_, i) => i)
    .filter((i) => i % 4 === 1).map((i) => ({ patch_id: idOf(i), qid: 100_000 + i }))).execute();
  await db.kysely.insertInto('patch_status_counts').values(Array.from({ length: PATCH_COUNT }, (_, i) => i)
    .filter((i) => i % 2).map((i) => ({ patch_id: idOf(i), missing_count: i, installed_count: 2 * i }))).execute();
  return { db, dataDir, databaseUrl };
}

const queriesOf = (db: PatchwardenDb) => new AssetPatchQueries(db, { patches: PATCH_QQL_TOKENS, patchPairs: PATCH_PAIR_QQL_TOKENS, assets: ASSET_QQL_TOKENS });

/** Every patch's listing document (pages of 25), read from stored documents or built live. */
async function listAll(db: PatchwardenDb, stored: boolean, fields = PATCH_WIRE_DOCUMENT): Promise<Map<string, { document: string; builtLive: boolean }>> {
  const all = new Map<string, { document: string; builtLive: boolean }>();
  let afterId: string | undefined;
  for (;;) {
    const page = await queriesOf(db).listPatchDocuments({}, { afterId, limit: 25 }, fields, { stored });
    for (const { id, document, builtLive } of page) all.set(id, { document, builtLive });
    if (page.length < 25) return all;
    afterId = page[page.length - 1].id;
  }
}

/**
 * The listing from stored documents is byte for byte the live one, and exactly the patches in
 * `builtLive` had no usable stored document.
 */
async function assertListing(db: PatchwardenDb, builtLive: string[] | 'all', fields = PATCH_WIRE_DOCUMENT): Promise<Map<string, { document: string; builtLive: boolean }>> {
  const stored = await listAll(db, true, fields);
  const live = await listAll(db, false, fields);
  assert.deepEqual([...stored.keys()], [...live.keys()], 'the same patches in the same order');
  for (const [id, { document }] of live) assert.equal(stored.get(id)!.document, document, `document of ${id}`);
  const expected = builtLive === 'all' ? [...live.keys()] : [...builtLive].sort();
  assert.deepEqual([...stored].filter(([, row]) => row.builtLive).map(([id]) => id), expected, 'patches whose document was built live');
  return stored;
}

const countStale = async (db: PatchwardenDb) => Number((await db.kysely.selectFrom('patch_listing_documents')
  .select((eb) => eb.fn.countAll<number | string>().as('n')).where('head', 'is', null).executeTakeFirstOrThrow()).n);

/** A client of its own on the test's database, ended before the store's cleanup drops it. */
async function withOwnConnection(databaseUrl: string | undefined, run: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await run(client);
  } finally {
    await client.end();
  }
}

/** Polls `holds` every `everyMs` until it is true; fails, saying what was awaited, after `timeoutMs`. */
async function eventually(what: string, holds: () => boolean | Promise<boolean>, timeoutMs = 30_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await holds())) {
    assert.ok(Date.now() < deadline, `${what} (not within ${timeoutMs / 1000} s)`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Waits until no stored document is stale. */
const noneStale = (db: PatchwardenDb, what: string) => eventually(`${what}: no document stale`, async () => await countStale(db) === 0);

test(`stored listing documents are sent only while current, and every change to a patch is seen at once (${testStore()})`, { timeout: 120_000 }, async (t) => {
  const { db } = await storeWithPatches(t);
  assert.equal(await countStale(db), PATCH_COUNT, 'inserted patches start stale');
  await assertListing(db, 'all');

  assert.deepEqual(await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT), { built: PATCH_COUNT, outcome: 'done' });
  const fresh = await assertListing(db, []);
  assert.match(fresh.get(idOf(1))!.document, /"cve":\["CVE-2024-1001", ?"CVE-2025-1001"\],.*"qid":\[100001\],.*"missingCount":1,"installedCount":2,/);
  assert.deepEqual(await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT), { built: 0, outcome: 'done' }, 'nothing left to refresh');

  // Changes of every kind, each marking only its patch.
  await db.kysely.updateTable('patches').set({ title: 'retitled "again"' }).where('id', '=', idOf(2)).execute();
  await db.kysely.insertInto('patch_cves').values({ patch_id: idOf(4), cve: 'CVE-2026-0001' }).execute();
  await db.kysely.deleteFrom('patch_cves').where('patch_id', '=', idOf(5)).where('cve', '=', 'CVE-2025-1005').execute();
  await db.kysely.updateTable('patch_qids').set({ qid: 999_999 }).where('patch_id', '=', idOf(9)).execute();
  await db.kysely.deleteFrom('patches').where('id', '=', idOf(11)).execute();
  // Counts are read live: no stored document goes stale for them.
  await db.kysely.updateTable('patch_status_counts').set({ missing_count: 777 }).where('patch_id', '=', idOf(7)).execute();
  // The catalog's own write path: an upsert of a known patch, with new CVEs.
  const entry: PatchCatalogEntry = {
    id: idOf(13), title: 'src13 13.0-1 security update for bookworm', bulletin: 'DSA-13', kb: 'src13_13.0-1', vendor: 'Debian', patchType: 'SecurityPatch',
    vendorSeverity: 'Critical', release: 'bookworm', sourceName: 'src13', sourceVersion: '13.0-1', packages: [{ packageName: 'src13-bin', architecture: 'amd64' }],
    rebootRequired: false, publishedMs: Date.UTC(2025, 0, 1), advisory: { cves: ['CVE-2026-1313'], qids: [131_313] },
  };
  await db.kysely.transaction().execute((trx) => upsertPatches(trx, [entry], Date.UTC(2026, 10, 1)));

  const changed = [idOf(2), idOf(4), idOf(5), idOf(9), idOf(13)];
  const listed = await assertListing(db, changed);
  assert.ok(!listed.has(idOf(11)), 'a deleted patch is not listed');
  assert.match(listed.get(idOf(2))!.document, /"title":"retitled \\"again\\""/);
  assert.match(listed.get(idOf(7))!.document, /"missingCount":777,/);
  assert.match(listed.get(idOf(13))!.document, /"cve":\["CVE-2026-1313"\].*"qid":\[131313\].*"vendorSeverity":"Critical"/);
  const rows = await db.kysely.selectFrom('patch_listing_documents').select('patch_id').execute();
  assert.ok(!rows.some((row) => row.patch_id === idOf(11)), "a deleted patch's document is deleted with it");

  // Only the marked rows, through the partial index, and in batches of two.
  assert.deepEqual(await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT, { scope: 'stale', batchSize: 2 }), { built: changed.length, outcome: 'done' });
  await assertListing(db, []);

  // A document of another format (another version's field list) is never sent, and is rebuilt.
  await db.kysely.updateTable('patch_listing_documents').set({ format: 'another-format', head: '{"bogus":', tail: '}' }).where('patch_id', '=', idOf(3)).execute();
  await assertListing(db, [idOf(3)]);
  assert.deepEqual(await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT, { scope: 'stale' }), { built: 0, outcome: 'done' }, 'not stale, only of another format');
  assert.deepEqual(await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT), { built: 1, outcome: 'done' });
  await assertListing(db, []);

  // Another field list is another format: nothing stored for it yet, so all built live, and right.
  const fewer = patchWireFields(new Set(['id', 'title', 'missingCount', 'installedCount']));
  await assertListing(db, 'all', fewer);

  // A field list whose counts enclose other fields (their live part reads more than the counts,
  // so PostgreSQL pages read the whole patch rows): stored and sent just as right.
  const byKey = new Map(PATCH_WIRE_DOCUMENT.map((field) => [field.key, field]));
  const enclosing = ['id', 'missingCount', 'title', 'cve', 'installedCount', 'vendorSeverity'].map((key) => byKey.get(key)!);
  assert.equal(storedDocumentSplit(db, enclosing, 'p').liveReadsOnlyCounts, false);
  assert.equal(storedDocumentSplit(db, PATCH_WIRE_DOCUMENT, 'p').liveReadsOnlyCounts, true);
  assert.deepEqual(await refreshPatchListingDocuments(db, enclosing), { built: PATCH_COUNT - 1, outcome: 'done' });
  await assertListing(db, [], enclosing);
});

test(`a listing page is the documents listed one by one, joined, whether stored, partly stale or built live (${testStore()})`, { timeout: 120_000 }, async (t) => {
  const { db } = await storeWithPatches(t);
  // Text beyond ASCII, of two to four bytes in UTF-8, and characters JSON escapes.
  await db.kysely.updateTable('patches').set({ title: 'naïve — “quoted” ✓ 𝄞 tab\there \\ end' }).where('id', '=', idOf(3)).execute();
  await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT);
  const queries = queriesOf(db);
  const few = patchWireFields(new Set(['id', 'title', 'missingCount']));
  const text = (body: Uint8Array | string) => (typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body));

  /** Pages through the selection both ways; returns the page bodies and whether each was built live. */
  const compare = async (label: string, selection: { query?: ReturnType<typeof parseQql> }, fields: typeof PATCH_WIRE_DOCUMENT, stored: boolean) => {
    const pages: Array<{ body: Uint8Array | string; builtLive: boolean }> = [];
    let afterId: string | undefined;
    for (let n = 0; ; n++) {
      const rows = await queries.listPatchDocuments(selection, { afterId, limit: 7 }, fields, { stored });
      const page = await queries.listPatchDocumentPage(selection, { afterId, limit: 7 }, fields, { stored });
      const where = `${label}, page ${n + 1}`;
      assert.equal(text(page.body), `[${rows.map((row) => row.document).join(',')}]`, `${where}: the same bytes`);
      assert.equal(JSON.parse(text(page.body)).length, rows.length, `${where}: a JSON array of the page`);
      assert.equal(page.count, rows.length, `${where}: count`);
      assert.equal(page.lastId, rows.at(-1)?.id, `${where}: last id`);
      assert.equal(page.builtLive, rows.some((row) => row.builtLive), `${where}: built live`);
      pages.push({ body: page.body, builtLive: page.builtLive });
      if (rows.length < 7) return pages;
      afterId = page.lastId;
    }
  };

  const selections = { all: {}, critical: { query: parseQql('vendorSeverity:Critical') }, none: { query: parseQql('title:"no such title"') } };
  for (const [name, selection] of Object.entries(selections)) {
    const storedPages = await compare(`${name}, stored`, selection, PATCH_WIRE_DOCUMENT, true);
    assert.ok(storedPages.every((page) => !page.builtLive), `${name}: every stored document current`);
    // SQLite joins the page in the store and hands over its UTF-8 bytes; PostgreSQL's are joined here.
    for (const page of storedPages) assert.equal(typeof page.body === 'string', db.dialect === 'postgres', `${name}: body kind on ${db.dialect}`);
    await compare(`${name}, live`, selection, PATCH_WIRE_DOCUMENT, false);
    await compare(`${name}, three fields`, selection, few, false);
  }
  const [empty] = await compare('none', selections.none, PATCH_WIRE_DOCUMENT, true);
  assert.equal(text(empty.body), '[]');
  assert.match(text((await queries.listPatchDocumentPage({}, { limit: 7 }, PATCH_WIRE_DOCUMENT, { stored: true })).body),
    /"title":"naïve — “quoted” ✓ 𝄞 tab\\there \\\\ end"/, 'text beyond ASCII as it is, escapes escaped');

  // A patch changed since the refresh: its page is read record by record and the document built live.
  await db.kysely.updateTable('patches').set({ title: 'retitled ✓' }).where('id', '=', idOf(9)).execute();
  const afterChange = await compare('all, one stale', selections.all, PATCH_WIRE_DOCUMENT, true);
  assert.deepEqual(afterChange.map((page) => page.builtLive), afterChange.map((_, i) => i === 1), 'only the second page (patches 7–13) built a document live');
});

test(`refreshes go in batches, yield between them and stop when asked (${testStore()})`, { timeout: 60_000 }, async (t) => {
  const { db } = await storeWithPatches(t);
  let asked = 0;
  const stopped = await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT, { batchSize: 7, shouldStop: () => ++asked > 2 });
  assert.deepEqual(stopped, { built: 14, outcome: 'stopped' }, 'two batches of 7, then stopped');
  assert.equal(await countStale(db), PATCH_COUNT - 14);
  await assertListing(db, Array.from({ length: PATCH_COUNT - 14 }, (_, i) => idOf(i + 14)));
  // 46 left: six full batches and a short one.
  assert.deepEqual(await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT, { batchSize: 7 }), { built: PATCH_COUNT - 14, outcome: 'done' });
  assert.equal(await countStale(db), 0);
  await assertListing(db, []);
});

if (testStore() === 'postgres') {
  test('PostgreSQL: a refresh racing a change to the same patch never stores the older document', { timeout: 60_000 }, async (t) => {
    const { db, databaseUrl } = await storeWithPatches(t);
    await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT);
    await db.kysely.updateTable('patches').set({ title: 'first' }).where('id', '=', idOf(20)).execute();
    let refreshing: Promise<unknown> | undefined;
    await withOwnConnection(databaseUrl, async (writer) => {
      // The change is made but not committed: the refresh's snapshot has the older title.
      await writer.query('begin');
      await writer.query(`update patches set title = 'second' where id = $1`, [idOf(20)]);
      // A second change to the same patch in the same transaction (its mark is not written twice).
      await writer.query(`insert into patch_cves (patch_id, cve) values ($1, 'CVE-2026-2020')`, [idOf(20)]);
      // Waiting as long as it takes, so that the writer commits while the refresh waits.
      refreshing = refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT, { lockWaitMs: 60_000 });
      // Wait until the refresh waits on the writer's row (its write of patch 20's document).
      await eventually('the refresh came to wait on the changed patch', async () => {
        const { rows } = await writer.query(`select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`);
        return rows[0].n > 0;
      }, 20_000);
      await writer.query('commit');
    });
    assert.deepEqual(await refreshing, { built: 0, outcome: 'busy' }, 'the batch gave way to the change');
    const listed = await assertListing(db, [idOf(20)]);
    assert.match(listed.get(idOf(20))!.document, /"title":"second".*"CVE-2026-2020"/);
    assert.deepEqual(await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT), { built: 1, outcome: 'done' });
    assert.match((await assertListing(db, [])).get(idOf(20))!.document, /"title":"second".*"CVE-2026-2020"/);
  });

  test('PostgreSQL: a refresh does not wait on a change in progress, which then commits', { timeout: 60_000 }, async (t) => {
    const { db, databaseUrl } = await storeWithPatches(t);
    await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT);
    await db.kysely.updateTable('patches').set({ title: 'first' }).where('id', '=', idOf(30)).execute();
    await withOwnConnection(databaseUrl, async (writer) => {
      await writer.query('begin');
      await writer.query(`update patches set title = 'second' where id = $1`, [idOf(30)]);
      const started = Date.now();
      assert.deepEqual(await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT, { lockWaitMs: 50 }), { built: 0, outcome: 'busy' });
      assert.ok(Date.now() - started < 5_000, 'the refresh gave up instead of waiting for the change');
      await writer.query('commit');
    });
    assert.match((await assertListing(db, [idOf(30)])).get(idOf(30))!.document, /"title":"second"/);
    assert.deepEqual(await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT), { built: 1, outcome: 'done' });
  });

  test('PostgreSQL: while another process refreshes, a refresh steps aside', { timeout: 60_000 }, async (t) => {
    const { db, databaseUrl } = await storeWithPatches(t);
    await withOwnConnection(databaseUrl, async (other) => {
      await other.query('begin');
      await other.query('select pg_advisory_xact_lock($1::bigint)', [POSTGRES_REFRESH_LOCK_KEY]);
      assert.deepEqual(await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT), { built: 0, outcome: 'busy' });
      await other.query('commit');
    });
    assert.deepEqual(await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT), { built: PATCH_COUNT, outcome: 'done' });
  });
}

test(`a console stores the documents of the patches it lists (${testStore()})`, { timeout: 120_000 }, async (t) => {
  const c = await startTestConsole();
  t.after(() => c.close());
  const db = c.running.db;
  const waitForNoStale = (what: string) => noneStale(db, what);
  const ids = await insertPatches(c.running, Array.from({ length: 30 }, (_, i) => ({ source: `pkg${i}`, severity: 'Important' as const, cves: [`CVE-2025-${2000 + i}`] })));
  const list = async () => {
    const response = await c.request('POST', '/pm/v2/patches?platform=Linux&pageSize=100');
    assert.equal(response.status, 200, response.text);
    assertPatches(response.json);
    return response.text;
  };
  const first = await list();
  assert.equal(JSON.parse(first).length, 30);
  await waitForNoStale('after a listing built them live');
  assert.equal(await list(), first, 'the same answer from stored documents');

  // Patches changed behind the console's back: the next listing is current, and refreshes them.
  await db.kysely.updateTable('patches').set({ vendor_severity: 'Low' }).where('id', '=', ids[0]).execute();
  const changed = JSON.parse(await list()) as Array<Record<string, unknown>>;
  assert.equal(changed.find((p) => p.id === ids[0])!.vendorSeverity, 'Low');
  await waitForNoStale('after a change');
});

test(`a console starting on a catalog stores its documents without waiting for a listing (${testStore()})`, { timeout: 120_000 }, async (t) => {
  const { db, dataDir, databaseUrl } = await storeWithPatches(t);
  assert.equal(await countStale(db), PATCH_COUNT);
  const running = await startConsole({ host: '127.0.0.1', port: 0, dataDir, databaseUrl, tls: 'off', adminPassword: TEST_ADMIN_PASSWORD, logger: false });
  try {
    await noneStale(db, 'after the start');
  } finally {
    await running.close();
  }
  await assertListing(db, []);
});

test(`the upkeep finds documents made stale behind its back without waiting for a listing (${testStore()})`, { timeout: 60_000 }, async (t) => {
  const { db } = await storeWithPatches(t);
  const quiet = { warn: () => undefined, info: () => undefined, debug: () => undefined } as unknown as FastifyBaseLogger;
  const upkeep = new PatchListingDocumentUpkeep(db, PATCH_WIRE_DOCUMENT, quiet, 10, 400, 100);
  try {
    upkeep.request();
    await noneStale(db, 'after the first refresh');
    // As a catalog sync or another console process would: patches changed and added, no listing asks.
    const [first] = (await db.kysely.selectFrom('patches').select('id').orderBy('id').limit(1).execute()).map((row) => row.id);
    await db.kysely.updateTable('patches').set({ vendor_severity: 'Low' }).where('id', '=', first).execute();
    assert.equal(await countStale(db), 1, 'the change marked its document stale');
    await noneStale(db, 'after the change, by a periodic look alone');
    await assertListing(db, []);
  } finally {
    await upkeep.close();
  }
});

test(`a console whose refresh fails logs it once and retries only after a pause (${testStore()})`, { timeout: 60_000 }, async (t) => {
  const { db } = await storeWithPatches(t);
  // A real fault: the table the documents go to is gone.
  await db.kysely.schema.dropTable('patch_listing_documents').execute();
  const warnings: string[] = [];
  const log = { warn: (_details: unknown, message: string) => warnings.push(message), info: () => undefined, debug: () => undefined } as unknown as FastifyBaseLogger;
  const upkeep = new PatchListingDocumentUpkeep(db, PATCH_WIRE_DOCUMENT, log, 10, 400);
  const waitForWarnings = (count: number) => eventually(`${count} warnings`, () => warnings.length >= count, 20_000, 10);
  try {
    upkeep.request();
    await waitForWarnings(1);
    assert.match(warnings[0], /could not be refreshed; listings build them live/);
    // Listings keep asking; within the pause nothing runs.
    for (let i = 0; i < 5; i++) upkeep.request();
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(warnings.length, 1, 'no retry during the pause');
    await waitForWarnings(2);
  } finally {
    await upkeep.close();
  }
  const afterClose = warnings.length;
  upkeep.request();
  await new Promise((resolve) => setTimeout(resolve, 600));
  assert.equal(warnings.length, afterClose, 'nothing runs after close');
});
