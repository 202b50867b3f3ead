/**
 * Selections with a havingQuery are joined to their matching (patch, asset) pairs one of two
 * ways (PairSemiJoin in asset-patch-queries.ts), chosen by counting the matching pairs up to a
 * limit. Whichever is chosen, pages and counts must hold exactly the records an independent
 * computation over the same generated fleet says: checked here with limits that make every
 * havingQuery go one way, then the other, and with the defaults, on both stores. (PostgreSQL
 * writes patches `in` always, and assets `exists` only for a havingQuery that a large enough share
 * of the pairs match, by thresholds of their own when it reads a pair's status: checked here too.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { migrateToLatest } from '../../src/db/migrate.js';
import { AssetPatchQueries, DEFAULT_PAIR_PROBE_LIMITS, type PairProbeLimits, type PatchAssetSelection } from '../../src/scans/asset-patch-queries.js';
import { parseQql, validateQql, type QqlTokenTable } from '../../src/qql/index.js';
import { PATCH_PAIR_QQL_TOKENS, PATCH_QQL_TOKENS } from '../../src/api/pm/patch-qql-tokens.js';
import { ASSET_QQL_TOKENS } from '../../src/api/pm/asset-qql-tokens.js';
import { openTestStore, testStore } from '../support/test-database.js';
import { insertAssets, insertPatches } from '../support/pm-patch-asset-assertions.js';
import { seededRandom } from '../support/seeded-random.js';

const TOKENS = { patches: PATCH_QQL_TOKENS, patchPairs: PATCH_PAIR_QQL_TOKENS, assets: ASSET_QQL_TOKENS };
const SEVERITIES = ['Critical', 'Important', 'Moderate', 'Low', 'None'] as const;
const STATES = ['Missing', 'Installed', 'InstalledPendingReboot'] as const;

function qql(text: string, tokens: QqlTokenTable<any>) {
  const ast = parseQql(text);
  validateQql(ast, tokens);
  return ast;
}

interface GeneratedPatch { id: string; severity: string; cves: string[] }
interface GeneratedAsset { machineId: number; name: string; os: string; status: Map<string, string> }

/** Walks every page of a listing; returns the keys in order. */
async function walk<K>(list: (after: K | undefined) => Promise<K[]>, pageSize: number): Promise<K[]> {
  const all: K[] = [];
  for (let after: K | undefined, pages = 0; ; pages++) {
    assert.ok(pages < 1000, 'paging never ends');
    const page = await list(after);
    all.push(...page);
    if (page.length < pageSize) return all;
    after = page[page.length - 1];
  }
}

test(`havingQuery pages and counts are the same whichever way the pairs are joined (${testStore()})`, { timeout: 300_000 }, async (t) => {
  const { db } = await openTestStore(t, 'pair-semi-joins');
  await migrateToLatest(db);
  const random = seededRandom(20_261_123);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];

  // 120 catalog patches, 90 of them applying to some machine; 60 machines of three systems.
  const patchSpecs = Array.from({ length: 120 }, (_, i) => ({
    source: `pkg${String(i).padStart(3, '0')}`, severity: pick(SEVERITIES),
    cves: random() < 0.5 ? [`CVE-2025-${1000 + (i % 40)}`] : [],
  }));
  const patchIds = await insertPatches({ db }, patchSpecs);
  const patches: GeneratedPatch[] = patchSpecs.map((spec, i) => ({ id: patchIds[i], severity: spec.severity, cves: spec.cves }));
  const applying = patches.slice(0, 90);
  const assetSpecs = Array.from({ length: 60 }, (_, m) => {
    // Machines differ in how much they have: some none at all, some nearly everything.
    const share = m % 10 === 0 ? 0 : random();
    const status = new Map<string, string>();
    for (const patch of applying) if (random() < share) status.set(patch.id, pick(STATES));
    return { name: `node-${String(m).padStart(2, '0')}`, os: pick(['Debian GNU/Linux 12 (bookworm)', 'Ubuntu 24.04 LTS', 'Rocky Linux 9.4']), status };
  });
  const stored = await insertAssets({ db }, assetSpecs.map((spec) => ({ name: spec.name, os: spec.os, patches: Object.fromEntries(spec.status) })));
  const assets: GeneratedAsset[] = assetSpecs.map((spec, m) => ({ machineId: stored[m].machineId, ...spec }));
  const statusOf = (state: string) => (state === 'Missing' ? 'Missing' : 'Installed');

  // Each case: the selection, and which assets / patches it keeps, computed here from the fleet.
  const patchById = new Map(patches.map((p) => [p.id, p]));
  const assetCases: Array<[string, PatchAssetSelection, (asset: GeneratedAsset) => boolean]> = [
    ['missing anything', { havingQuery: qql('patchStatus:Missing', PATCH_PAIR_QQL_TOKENS) },
      (a) => [...a.status.values()].some((s) => statusOf(s) === 'Missing')],
    ['missing a critical patch', { havingQuery: qql('vendorSeverity:Critical and patchStatus:Missing', PATCH_PAIR_QQL_TOKENS) },
      (a) => [...a.status].some(([id, s]) => patchById.get(id)!.severity === 'Critical' && s === 'Missing')],
    ['having one CVE installed', { havingQuery: qql('cve:`CVE-2025-1007` and patchStatus:Installed', PATCH_PAIR_QQL_TOKENS) },
      (a) => [...a.status].some(([id, s]) => patchById.get(id)!.cves.includes('CVE-2025-1007') && statusOf(s) === 'Installed')],
    ['Ubuntu, missing a low or no-severity patch', {
      query: qql('operatingSystem:ubuntu', ASSET_QQL_TOKENS), havingQuery: qql('vendorSeverity:[Low, None] and not patchStatus:Installed', PATCH_PAIR_QQL_TOKENS),
    }, (a) => a.os.startsWith('Ubuntu') && [...a.status].some(([id, s]) => ['Low', 'None'].includes(patchById.get(id)!.severity) && statusOf(s) === 'Missing')],
    ['a patch nobody has', { havingQuery: qql('cve:`CVE-1999-0001`', PATCH_PAIR_QQL_TOKENS) }, () => false],
    // Without a pair's status (PostgreSQL may join these `exists`, by the share of pairs matching).
    ['having any patch of the vendor', { havingQuery: qql('vendor:debian', PATCH_PAIR_QQL_TOKENS) }, (a) => a.status.size > 0],
    ['having a critical patch', { havingQuery: qql('vendorSeverity:Critical', PATCH_PAIR_QQL_TOKENS) },
      (a) => [...a.status.keys()].some((id) => patchById.get(id)!.severity === 'Critical')],
    ['having a patch of pkg00x or of two CVEs', { havingQuery: qql('title:pkg00 or cve:[`CVE-2025-1003`, `CVE-2025-1011`]', PATCH_PAIR_QQL_TOKENS) },
      (a) => [...a.status.keys()].some((id) => /^pkg00/.test(patchSpecs[patchIds.indexOf(id)].source)
        || patchById.get(id)!.cves.some((cve) => cve === 'CVE-2025-1003' || cve === 'CVE-2025-1011'))],
    ['Debian, having a patch not of low severity', {
      query: qql('operatingSystem:debian', ASSET_QQL_TOKENS), havingQuery: qql('not vendorSeverity:Low', PATCH_PAIR_QQL_TOKENS),
    }, (a) => a.os.startsWith('Debian') && [...a.status.keys()].some((id) => patchById.get(id)!.severity !== 'Low')],
  ];
  const patchCases: Array<[string, PatchAssetSelection, (patch: GeneratedPatch) => boolean]> = [
    ['on any Debian machine', { havingQuery: qql('operatingSystem:debian', ASSET_QQL_TOKENS) },
      (p) => assets.some((a) => a.os.startsWith('Debian') && a.status.has(p.id))],
    ['missing on node-1x', { query: qql('patchStatus:Missing', PATCH_PAIR_QQL_TOKENS), havingQuery: qql('name:node-1', ASSET_QQL_TOKENS) },
      (p) => assets.some((a) => a.name.startsWith('node-1') && a.status.get(p.id) === 'Missing')],
    ['critical or important, installed on Rocky', {
      query: qql('vendorSeverity:[Critical, Important] and patchStatus:Installed', PATCH_PAIR_QQL_TOKENS), havingQuery: qql('operatingSystem:rocky', ASSET_QQL_TOKENS),
    }, (p) => ['Critical', 'Important'].includes(p.severity) && assets.some((a) => a.os.startsWith('Rocky') && a.status.has(p.id) && statusOf(a.status.get(p.id)!) === 'Installed')],
    ['on one machine', { havingQuery: qql('name:`node-07`', ASSET_QQL_TOKENS) }, (p) => assets.some((a) => a.name === 'node-07' && a.status.has(p.id))],
    ['on no machine', { havingQuery: qql('name:`node-00`', ASSET_QQL_TOKENS) }, () => false],
  ];

  const ways: Array<[string, PairProbeLimits]> = [
    // A limit of 1 is reached by any match: every havingQuery that matches is joined `exists`.
    // A share of 0 is reached by any havingQuery PostgreSQL may join `exists`, and one of 2 by none.
    ['exists', { patches: { page: 1, count: 1 }, assets: { page: 1, count: 1 }, postgresAssetShares: { page: 0, count: 0 }, postgresAssetStatusShares: { page: 0, count: 0 } }],
    ['in', { patches: { page: 1_000_000_000, count: 1_000_000_000 }, assets: { page: 1_000_000_000, count: 1_000_000_000 }, postgresAssetShares: { page: 2, count: 2 }, postgresAssetStatusShares: { page: 2, count: 2 } }],
    ['default', DEFAULT_PAIR_PROBE_LIMITS],
  ];
  let nonEmpty = 0;
  for (const [way, limits] of ways) {
    const queries = new AssetPatchQueries(db, TOKENS, limits);
    for (const [label, selection, keeps] of assetCases) {
      const expected = assets.filter(keeps).map((a) => a.machineId).sort((a, b) => a - b);
      for (const pageSize of [7, 60]) {
        const listed = await walk<number>((after) => queries.listAssets(selection, { afterMachineId: after, limit: pageSize }, { counts: false })
          .then((page) => page.map((a) => a.machineId)), pageSize);
        assert.deepEqual(listed, expected, `${way}: assets ${label}, pages of ${pageSize}`);
      }
      assert.equal(await queries.countAssets(selection), expected.length, `${way}: count of assets ${label}`);
      if (expected.length > 0 && expected.length < assets.length) nonEmpty++;
    }
    for (const [label, selection, keeps] of patchCases) {
      const expected = patches.filter(keeps).map((p) => p.id).sort();
      for (const pageSize of [9, 200]) {
        const listed = await walk<string>((after) => queries.listPatchIds(selection, { afterId: after, limit: pageSize }), pageSize);
        assert.deepEqual(listed, expected, `${way}: patches ${label}, pages of ${pageSize}`);
      }
      assert.equal(await queries.countPatches(selection), expected.length, `${way}: count of patches ${label}`);
      if (expected.length > 0 && expected.length < patches.length) nonEmpty++;
    }
  }
  // Cases that keep nothing or everything prove little: most must keep some.
  assert.ok(nonEmpty >= 3 * 7, `only ${nonEmpty} selective cases`);
});

if (testStore() === 'postgres') {
  test('PostgreSQL: assets having what most pairs match are checked machine by machine; sparse matches are collected, with thresholds of their own when the status of a pair is read (postgres)', { timeout: 120_000 }, async (t) => {
    const { db } = await openTestStore(t, 'pair-share');
    await migrateToLatest(db);
    // 40 patches on 30 machines: each machine has 20 of them; patches pkg000-pkg003 are critical.
    const patchIds = await insertPatches({ db }, Array.from({ length: 40 }, (_, i) => ({
      source: `pkg${String(i).padStart(3, '0')}`, severity: i < 4 ? 'Critical' : 'Low', cves: i === 5 ? ['CVE-2025-0005'] : [],
    })));
    await insertAssets({ db }, Array.from({ length: 30 }, (_, m) => ({
      name: `node-${m}`, os: 'Debian GNU/Linux 12 (bookworm)',
      patches: Object.fromEntries(patchIds.filter((_, i) => (i + m) % 2 === 0).map((id) => [id, m % 3 === 0 ? 'Missing' : 'Installed'])),
    })));
    // Every statement the queries run, as sent.
    const statements: string[] = [];
    const kysely = new Proxy(db.kysely, {
      get(target, property) {
        if (property === 'executeQuery') {
          return (query: { sql: string }) => { statements.push(query.sql); return target.executeQuery(query as never); };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const queries = new AssetPatchQueries({ ...db, kysely }, TOKENS);
    const cases: Array<[string, number, { page: boolean; count: boolean }]> = [
      // Shares of all pairs: 1, 0.9 (pkg000-pkg003 hold 4 of 40 patches' pairs), 0.1, 0.025.
      ['vendor:debian', 30, { page: true, count: true }],
      ['vendorSeverity:Low', 30, { page: true, count: true }],
      ['vendorSeverity:Critical', 30, { page: false, count: false }],
      ['cve:`CVE-2025-0005`', 15, { page: false, count: false }],
      // Reading a pair's status (machines 0, 3, 6, ... miss their patches, the others have them
      // installed): shares 2/3, 1/6 (pkg000-pkg009 hold 10 of 40 patches' pairs), 1/12, 1/15.
      ['vendor:debian and patchStatus:Installed', 20, { page: true, count: true }],
      ['title:pkg00 and patchStatus:Installed', 20, { page: true, count: false }],
      ['title:pkg00 and patchStatus:Missing', 10, { page: false, count: false }],
      ['vendorSeverity:Critical and patchStatus:Installed', 20, { page: false, count: false }],
    ];
    for (const [text, expected, checkedOneByOne] of cases) {
      const selection = { havingQuery: qql(text, PATCH_PAIR_QQL_TOKENS) };
      statements.length = 0;
      const page = await queries.listAssets(selection, { limit: 100 }, { counts: false });
      assert.equal(page.length, expected, `assets having ${text}`);
      assert.equal(statements.some((statement) => /exists \(select 1 as "one" .* offset 0\)/is.test(statement)), checkedOneByOne.page,
        `a page of assets having ${text}: ${checkedOneByOne.page ? 'checked machine by machine' : 'pairs collected'}`);
      statements.length = 0;
      assert.equal(await queries.countAssets(selection), expected, `count of assets having ${text}`);
      assert.equal(statements.some((statement) => /exists \(select 1 as "one" .* offset 0\)/is.test(statement)), checkedOneByOne.count,
        `the count of assets having ${text}: ${checkedOneByOne.count ? 'checked machine by machine' : 'pairs collected'}`);
    }
  });
}
