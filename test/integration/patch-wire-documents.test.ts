/**
 * Patch listings of the Patch Management API are JSON the store writes (patch-documents.ts with
 * the field list of patch-wire-document.ts). Each document must be exactly the client's `Patch`
 * object computed here from the stored rows, independently: the same keys in the response
 * schema's order, the same values (strings with quotes, backslashes, control characters and
 * non-ASCII text; sorted CVE and QID lists; live counts; booleans), for every patch (built live
 * and from the stored listing documents), for random `attributes` subsets, and for none at all;
 * and `patchStatus` listings page through exactly the counted patches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { migrateToLatest } from '../../src/db/migrate.js';
import { AssetPatchQueries } from '../../src/scans/asset-patch-queries.js';
import { refreshPatchListingDocuments } from '../../src/scans/patch-listing-documents.js';
import { PATCH_PAIR_QQL_TOKENS, PATCH_QQL_TOKENS } from '../../src/api/pm/patch-qql-tokens.js';
import { ASSET_QQL_TOKENS } from '../../src/api/pm/asset-qql-tokens.js';
import { PATCH_WIRE_DOCUMENT, patchWireFields } from '../../src/api/pm/patch-wire-document.js';
import { PmPatch } from '../../src/api/pm/pm-wire-models.js';
import { parseQql } from '../../src/qql/index.js';
import { openTestStore, testStore } from '../support/test-database.js';
import { SeededRandom, TRICKY_FRAGMENTS } from '../support/qql-random.js';

const SEED = 22_11_2026;
const PATCH_COUNT = 240;
const ODD_TEXT = ['', '\u0001', '\u001f', '\b\f\r\t\n', '\u2028\u2029', '\u007f', '</script>', '{"json":true}', '\\u0041'];

interface StoredPatch {
  id: string; title: string; bulletin: string; kb: string; vendor: string; platform: string; patch_type: string; is_security: number;
  vendor_severity: string; release: string; source_name: string; source_version: string; architectures: string; package_details: string;
  reboot_required: number; published_ms: number; modified_ms: number;
}

function text(random: SeededRandom): string {
  const pieces = Array.from({ length: random.int(1, 3) }, () => random.pick(random.chance(0.3) ? ODD_TEXT : TRICKY_FRAGMENTS));
  return pieces.join(random.pick(['', ' ', '-']));
}

/** The client's `Patch` for a stored patch, in the response schema's key order. */
function expectedWire(patch: StoredPatch, cves: string[], qids: number[], counts: { missing: number; installed: number }): Record<string, unknown> {
  const values: Record<string, unknown> = {
    id: patch.id, title: patch.title, type: patch.patch_type === 'SecurityPatch' ? 'Security' : 'NonSecurity', platform: patch.platform,
    architecture: JSON.parse(patch.architectures), bulletin: patch.bulletin, cve: [...cves].sort(), kb: patch.kb, modifiedDate: patch.modified_ms,
    appFamily: patch.source_name, product: [patch.source_name], publishedDate: patch.published_ms, qid: [...qids].sort((a, b) => a - b),
    rebootRequired: patch.reboot_required !== 0, supersededBy: [], supersedes: [], vendor: patch.vendor, vendorSeverity: patch.vendor_severity,
    missingCount: counts.missing, installedCount: counts.installed, enabled: true, packageDetails: JSON.parse(patch.package_details),
    isSecurity: patch.is_security !== 0, isSuperseded: false, isRollback: false, isCustomizedDownloadUrl: false,
  };
  const ordered: Record<string, unknown> = {};
  for (const key of Object.keys(PmPatch.properties)) if (key in values) ordered[key] = values[key];
  return ordered;
}

test(`patch documents written by the store equal the client's Patch objects (${testStore()})`, { timeout: 120_000 }, async (t) => {
  const { db } = await openTestStore(t, 'patch-documents');
  await migrateToLatest(db);
  const random = new SeededRandom(SEED);
  const patches: StoredPatch[] = [];
  const cves = new Map<string, string[]>();
  const qids = new Map<string, number[]>();
  const counts = new Map<string, { missing: number; installed: number }>();
  for (let i = 0; i < PATCH_COUNT; i++) {
    const id = `patch-${String(i).padStart(4, '0')}`;
    const security = random.chance(0.6);
    const archs = random.chance(0.3) ? ['amd64', 'i386'] : random.chance(0.5) ? ['all'] : ['amd64'];
    const packages = archs.flatMap((architecture) => Array.from({ length: random.int(0, 2) }, (_, k) => ({ packageName: `${text(random)}-${k}`, architecture })));
    patches.push({
      id, title: text(random), bulletin: text(random), kb: text(random), vendor: random.pick(['Debian', 'Ubuntu', 'Rocky "Linux"']), platform: 'Linux',
      patch_type: security ? 'SecurityPatch' : 'NonSecurityPatch', is_security: security ? 1 : 0,
      vendor_severity: random.pick(['Critical', 'Important', 'Moderate', 'Low', 'None']), release: 'bookworm', source_name: text(random), source_version: '1.0-1',
      architectures: JSON.stringify(archs), package_details: JSON.stringify(packages), reboot_required: random.chance(0.2) ? 1 : 0,
      // Beyond 2^32 and near 2^53, as epoch milliseconds are.
      published_ms: random.int(0, 2_000_000_000) * 1000 + random.int(0, 999), modified_ms: random.chance(0.1) ? 0 : Date.UTC(2026, 10, 1) + i,
    });
    if (security) cves.set(id, [...new Set(Array.from({ length: random.int(0, 4) }, () => `CVE-20${random.int(10, 26)}-${random.int(1000, 99999)}`))]);
    if (random.chance(0.4)) qids.set(id, [...new Set(Array.from({ length: random.int(1, 3) }, () => random.int(1, 2_000_000_000)))]);
    if (random.chance(0.7)) counts.set(id, { missing: random.int(0, 5000), installed: random.int(0, 5000) });
  }
  await db.kysely.insertInto('patches').values(patches).execute();
  const cveRows = [...cves].flatMap(([patch_id, list]) => list.map((cve) => ({ patch_id, cve })));
  const qidRows = [...qids].flatMap(([patch_id, list]) => list.map((qid) => ({ patch_id, qid })));
  if (cveRows.length > 0) await db.kysely.insertInto('patch_cves').values(cveRows).execute();
  if (qidRows.length > 0) await db.kysely.insertInto('patch_qids').values(qidRows).execute();
  await db.kysely.insertInto('patch_status_counts')
    .values([...counts].map(([patch_id, c]) => ({ patch_id, missing_count: c.missing, installed_count: c.installed }))).execute();
  assert.ok(cveRows.length > 50 && qidRows.length > 30, 'the data has CVE and QID lists to aggregate');

  const queries = new AssetPatchQueries(db, { patches: PATCH_QQL_TOKENS, patchPairs: PATCH_PAIR_QQL_TOKENS, assets: ASSET_QQL_TOKENS });
  const byId = new Map(patches.map((p) => [p.id, p]));
  const expectedOf = (id: string) => expectedWire(byId.get(id)!, cves.get(id) ?? [], qids.get(id) ?? [], counts.get(id) ?? { missing: 0, installed: 0 });

  // Every patch, all keys, over several pages: built live, then from stored documents.
  for (const stored of [false, true]) {
    if (stored) assert.equal((await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT)).built, PATCH_COUNT);
    const seen: string[] = [];
    let afterId: string | undefined;
    for (;;) {
      const page = await queries.listPatchDocuments({}, { afterId, limit: 70 }, PATCH_WIRE_DOCUMENT, { stored });
      if (page.length === 0) break;
      for (const { id, document, builtLive } of page) {
        const parsed = JSON.parse(document) as Record<string, unknown>;
        assert.equal(JSON.stringify(parsed), JSON.stringify(expectedOf(id)), `document of ${id}${stored ? ' (stored)' : ''}`);
        assert.equal(builtLive, !stored, `${id} read from its stored document when stored`);
        seen.push(id);
      }
      afterId = page[page.length - 1].id;
    }
    assert.deepEqual(seen, [...byId.keys()].sort(), 'every patch once, in id order');
  }

  // Random attribute subsets (keys outside the document, such as `category`, give nothing).
  const names = [...Object.keys(PmPatch.properties), 'category', 'vendorlink'];
  for (let round = 0; round < 25; round++) {
    const wanted = new Set(names.filter(() => random.chance(0.3)));
    const query = parseQql(random.pick(['vendorSeverity:Critical', 'isSecurity:true', 'missingCount>=100', 'not rebootRequired:true']));
    const page = await queries.listPatchDocuments({ query }, { limit: 40 }, patchWireFields(wanted));
    assert.ok(page.length > 0, 'the query finds patches');
    for (const { id, document } of page) {
      const full = expectedOf(id);
      const picked = Object.fromEntries(Object.entries(full).filter(([key]) => wanted.has(key)));
      assert.equal(document.length > 0 && JSON.stringify(JSON.parse(document)), JSON.stringify(picked), `${[...wanted].join(',')} of ${id}`);
    }
  }
  // `patchStatus` alone keeps only counted patches (read in the counts' key order): pages of it
  // with search-after must give exactly the patches with such a count, in id order.
  await db.kysely.insertInto('patch_status_counts').values({ patch_id: 'patch-0003', missing_count: 0, installed_count: 0 })
    .onConflict((oc) => oc.column('patch_id').doUpdateSet({ missing_count: 0, installed_count: 0 })).execute();
  counts.set('patch-0003', { missing: 0, installed: 0 });
  for (const [text, keep] of [
    ['patchStatus:Missing', (c: { missing: number; installed: number }) => c.missing > 0],
    ['patchStatus:Installed and isSecurity:true', (c: { missing: number; installed: number }, p: StoredPatch) => c.installed > 0 && p.is_security === 1],
    ['vendorSeverity:[Critical,Low] and patchStatus:[Missing,Installed]', (c: { missing: number; installed: number }, p: StoredPatch) => (c.missing > 0 || c.installed > 0) && ['Critical', 'Low'].includes(p.vendor_severity)],
  ] as const) {
    const expected = [...byId.keys()].sort().filter((id) => counts.has(id) && keep(counts.get(id)!, byId.get(id)!));
    const listed: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await queries.listPatchDocuments({ query: parseQql(text) }, { afterId: after, limit: 7 }, patchWireFields(new Set(['id'])));
      listed.push(...page.map((row) => row.id));
      if (page.length < 7) break;
      after = page[page.length - 1].id;
    }
    assert.ok(expected.length > 14, `${text}: several pages expected`);
    assert.deepEqual(listed, expected, text);
  }

  const none = await queries.listPatchDocuments({}, { limit: 3 }, patchWireFields(new Set(['category'])));
  assert.deepEqual(none.map((row) => JSON.parse(row.document)), [{}, {}, {}]);
});
