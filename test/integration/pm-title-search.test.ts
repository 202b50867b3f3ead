/**
 * `title:"text"` on patches goes through a trigram index (SQLite: an FTS5 table kept by triggers
 * on `patches`; PostgreSQL: pg_trgm on the folded title, when available). Whatever the index
 * finds, the answer must be exactly the in-memory one: titles containing the text, ASCII letters
 * ignoring case, everything else exact. Checked for hundreds of needles (short ones, quotes,
 * backslashes, LIKE wildcards, non-ASCII letters that Unicode folding would match but QQL must
 * not), alone, negated and inside OR, before and after titles are changed, upserted and deleted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { PatchwardenDb } from '../../src/db/database.js';
import { foldQqlCase, parseQql } from '../../src/qql/index.js';
import { AssetPatchQueries } from '../../src/scans/asset-patch-queries.js';
import { PATCH_PAIR_QQL_TOKENS, PATCH_QQL_TOKENS } from '../../src/api/pm/patch-qql-tokens.js';
import { ASSET_QQL_TOKENS } from '../../src/api/pm/asset-qql-tokens.js';
import { openTestStore, testStore } from '../support/test-database.js';
import { SeededRandom, TRICKY_FRAGMENTS } from '../support/qql-random.js';

const SEED = 4_2026;
const PATCH_COUNT = 300;

function patchRow(id: string, title: string) {
  return {
    id, title, bulletin: `B-${id}`, kb: `kb-${id}`, vendor: 'Debian', platform: 'Linux', patch_type: 'SecurityPatch', is_security: 1,
    vendor_severity: 'Low', release: 'bookworm', source_name: `src-${id}`, source_version: '1.0-1', architectures: '["amd64"]',
    package_details: '[]', reboot_required: 0, published_ms: 0, modified_ms: 0,
  };
}

function randomTitle(random: SeededRandom): string {
  return Array.from({ length: random.int(1, 4) }, () => random.pick(TRICKY_FRAGMENTS)).join(random.pick([' ', '', '-']));
}

/** A needle: a piece of some title (case changed at random), a fragment, or text from nowhere. */
function randomNeedle(random: SeededRandom, titles: string[]): string {
  const roll = random.next();
  if (roll < 0.6) {
    const chars = [...random.pick(titles)];
    const start = random.int(0, Math.max(0, chars.length - 1));
    const piece = chars.slice(start, start + random.int(1, 9)).join('');
    return random.chance(0.5) ? piece : random.chance(0.5) ? piece.toUpperCase() : piece.toLowerCase();
  }
  if (roll < 0.9) return random.pick(TRICKY_FRAGMENTS);
  return `zz${random.int(0, 999)}q`;
}

/** The needle as a QQL phrase: backslash escapes the quote and itself. */
function phrase(needle: string): string {
  return `"${needle.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}

async function checkNeedles(db: PatchwardenDb, random: SeededRandom, label: string, count: number): Promise<number> {
  const queries = new AssetPatchQueries(db, { patches: PATCH_QQL_TOKENS, patchPairs: PATCH_PAIR_QQL_TOKENS, assets: ASSET_QQL_TOKENS });
  const stored = await db.kysely.selectFrom('patches').select(['id', 'title']).orderBy('id').execute();
  const titles = stored.map((p) => p.title);
  let selective = 0;
  for (let i = 0; i < count; i++) {
    const needle = randomNeedle(random, titles);
    if (needle.trim() === '') continue; // a blank phrase is no query
    const other = randomNeedle(random, titles);
    const has = (title: string, text: string) => foldQqlCase(title).includes(foldQqlCase(text));
    const shape = random.int(0, 2);
    const text = shape === 0 ? `title:${phrase(needle)}`
      : shape === 1 ? `not title:${phrase(needle)}`
        : `title:${phrase(needle)} or (kb:\`kb-${stored[0].id}\` and not title:${phrase(other)})`;
    const expected = stored.filter((p) => (shape === 0 ? has(p.title, needle)
      : shape === 1 ? !has(p.title, needle)
        : has(p.title, needle) || (p.id === stored[0].id && !has(p.title, other)))).map((p) => p.id);
    const listed = await queries.listPatchIds({ query: parseQql(text) }, { limit: PATCH_COUNT * 2 });
    assert.deepEqual(listed, expected, `${label}: ${text}`);
    assert.equal(await queries.countPatches({ query: parseQql(text) }), expected.length, `${label}, count: ${text}`);
    if (expected.length > 0 && expected.length < stored.length) selective++;
  }
  return selective;
}

test(`title contains-queries through the trigram index match exactly what QQL means (${testStore()})`, { timeout: 300_000 }, async (t) => {
  const { db } = await openTestStore(t, 'title-search');
  await migrateToLatest(db);
  const random = new SeededRandom(SEED);
  const ids = Array.from({ length: PATCH_COUNT }, (_, i) => `patch-${String(i).padStart(4, '0')}`);
  await db.kysely.insertInto('patches').values(ids.map((id) => patchRow(id, randomTitle(random)))).execute();
  // Titles that only Unicode case folding would match: QQL folds ASCII letters alone.
  await db.kysely.updateTable('patches').set({ title: 'ÉCOLE straße' }).where('id', '=', ids[0]).execute();
  await db.kysely.updateTable('patches').set({ title: 'école STRASSE' }).where('id', '=', ids[1]).execute();
  assert.ok(await checkNeedles(db, random, 'as inserted', 250) > 50, 'most needles select some titles but not all');
  const queries = new AssetPatchQueries(db, { patches: PATCH_QQL_TOKENS, patchPairs: PATCH_PAIR_QQL_TOKENS, assets: ASSET_QQL_TOKENS });
  const cases: Array<[string, string[]]> = [['ÉCOLE', [ids[0]]], ['école', [ids[1]]], ['strasse', [ids[1]]], ['STRAßE', [ids[0]]], ['cole', [ids[0], ids[1]]]];
  for (const [needle, expected] of cases) {
    const found = await queries.listPatchIds({ query: parseQql(`title:${phrase(needle)} and id:[\`${ids[0]}\`, \`${ids[1]}\`]`) }, { limit: 10 });
    assert.deepEqual(found, expected, `title:"${needle}"`);
  }

  // Titles change (update, upsert), patches go and come: the index follows.
  for (const id of ids.slice(0, 120)) {
    if (random.chance(0.3)) await db.kysely.updateTable('patches').set({ title: randomTitle(random) }).where('id', '=', id).execute();
    else if (random.chance(0.4)) {
      await db.kysely.insertInto('patches').values(patchRow(id, randomTitle(random)))
        .onConflict((oc) => oc.column('id').doUpdateSet({ title: randomTitle(random) })).execute();
    } else if (random.chance(0.3)) await db.kysely.deleteFrom('patches').where('id', '=', id).execute();
  }
  await db.kysely.insertInto('patches').values(Array.from({ length: 40 }, (_, i) => patchRow(`patch-new-${i}`, randomTitle(random)))).execute();
  assert.ok(await checkNeedles(db, random, 'after changes', 250) > 50);
});
