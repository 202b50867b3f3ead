/**
 * Patch QQL terms on a patch's fleet counts (`missingCount`, `installedCount`), on both stores. A
 * term that no zero count satisfies is read from the counts alone and the page starts from the
 * counted patches (asset-patch-queries.ts); every other term also keeps the patches no machine has
 * a status for, whose counts are zero. Generated queries mixing such terms with others, negated
 * and in disjunctions, are paged through in small pages and counted, and must give exactly the
 * patches an in-memory evaluation of the same query over the fixture's counts gives.
 *
 * Asset QQL `patchStatus` terms at the top of a query are read from the machine's counts
 * (`machine_patch_counts`) too: generated queries on machines with no status, only missing,
 * only installed and mixed patches must list and count exactly the assets their status rows say,
 * as a query and as a havingQuery of patches. So must an asset havingQuery that reads only the
 * pair's status (also answered from those counts): an asset qualifies when one of its own pairs
 * passes, so `patchStatus:Missing and patchStatus:Installed` keeps none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { migrateToLatest } from '../../src/db/migrate.js';
import { AssetPatchQueries, type PatchAssetSelection } from '../../src/scans/asset-patch-queries.js';
import { compileQqlToPredicate, parseQql, validateQql } from '../../src/qql/index.js';
import { PATCH_PAIR_QQL_TOKENS, PATCH_QQL_TOKENS } from '../../src/api/pm/patch-qql-tokens.js';
import { ASSET_QQL_TOKENS } from '../../src/api/pm/asset-qql-tokens.js';
import { openTestStore, testStore } from '../support/test-database.js';
import { insertAssets, insertPatches } from '../support/pm-patch-asset-assertions.js';
import { seededRandom } from '../support/seeded-random.js';

const SEVERITIES = ['Critical', 'Important', 'Moderate', 'Low', 'None'] as const;
const STATES = ['Missing', 'Installed', 'InstalledPendingReboot'] as const;

test(`count terms select the same patches as the in-memory predicate, paged and counted (${testStore()})`, { timeout: 180_000 }, async (t) => {
  const { db } = await openTestStore(t, 'count-terms');
  await migrateToLatest(db);
  const random = seededRandom(20_261_122);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const fixtures = Array.from({ length: 160 }, (_, i) => ({ source: `pkg${i}`, severity: pick(SEVERITIES), security: random() < 0.6 }));
  const ids = await insertPatches({ db }, fixtures);
  // Eight machines with statuses for the first 90 patches only: 70 patches no machine has.
  const machines = Array.from({ length: 8 }, (_, m) => ({
    name: `host${m}`,
    patches: Object.fromEntries(ids.slice(0, 90).filter(() => random() < 0.4).map((id) => [id, pick(STATES)])),
  }));
  await insertAssets({ db }, machines);
  const rows = ids.map((id, i) => ({
    id, platform: 'Linux', vendor_severity: fixtures[i].severity, is_security: fixtures[i].security ? 1 : 0,
    missing_count: machines.filter((m) => m.patches[id] === 'Missing').length,
    installed_count: machines.filter((m) => m.patches[id] === 'Installed' || m.patches[id] === 'InstalledPendingReboot').length,
  }));

  const queries = new AssetPatchQueries(db, { patches: PATCH_QQL_TOKENS, patchPairs: PATCH_PAIR_QQL_TOKENS, assets: ASSET_QQL_TOKENS });
  const countTerm = () => {
    const token = pick(['missingCount', 'installedCount']);
    const [low, high] = [Math.floor(random() * 4), Math.floor(random() * 4)].sort();
    return pick([`${token}:${low}`, `${token}>${low}`, `${token}>=${low}`, `${token}<${high}`, `${token}<=${high}`,
      `${token}:[${low}..${high}]`, `${token}:(${low}..${high + 1})`, `${token}:[${low}, ${high}]`]);
  };
  const otherTerm = () => pick(['isSecurity:true', 'isSecurity:false', `vendorSeverity:${pick(SEVERITIES)}`, `vendorSeverity:[${pick(SEVERITIES)}, ${pick(SEVERITIES)}]`]);
  const shapes = [
    () => countTerm(),
    () => `${countTerm()} and ${otherTerm()}`,
    () => `${otherTerm()} and ${countTerm()} and ${countTerm()}`,
    () => `not ${countTerm()}`,
    () => `${countTerm()} or ${otherTerm()}`,
    () => `(${countTerm()} or ${countTerm()}) and ${otherTerm()}`,
  ];
  let countedOnly = 0;
  for (let n = 0; n < 150; n++) {
    const text = pick(shapes)();
    const ast = parseQql(text);
    validateQql(ast, PATCH_QQL_TOKENS);
    const matches = compileQqlToPredicate(ast, PATCH_QQL_TOKENS, { now: 0 });
    const expected = rows.filter((row) => matches(row)).map((row) => row.id).sort();
    if (expected.every((id) => ids.indexOf(id) < 90)) countedOnly++;
    const selection = { platform: 'Linux', query: ast, now: 0 };
    const listed: string[] = [];
    for (let afterId: string | undefined; ;) {
      const page = await queries.listPatchIds(selection, { afterId, limit: 7 });
      listed.push(...page);
      if (page.length < 7) break;
      afterId = page[page.length - 1];
    }
    assert.deepEqual(listed, expected, text);
    assert.equal(await queries.countPatches(selection), expected.length, `count of ${text}`);
  }
  // Both kinds were generated: answers of counted patches only, and answers with uncounted ones.
  assert.ok(countedOnly > 20 && countedOnly < 140, `counted-only answers: ${countedOnly}`);
});

/** The names of every selected asset, read in pages of 6. */
async function assetNamesPaged(queries: AssetPatchQueries, selection: PatchAssetSelection): Promise<string[]> {
  const names: string[] = [];
  for (let afterMachineId: number | undefined; ;) {
    const page = await queries.listAssets(selection, { afterMachineId, limit: 6 }, { counts: false });
    names.push(...page.map((asset) => asset.name));
    if (page.length < 6) return names;
    afterMachineId = page[page.length - 1].machineId;
  }
}

test(`patchStatus terms on assets select the assets whose status rows have that state, paged and counted (${testStore()})`, { timeout: 180_000 }, async (t) => {
  const { db } = await openTestStore(t, 'asset-state-terms');
  await migrateToLatest(db);
  const random = seededRandom(20_261_123);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const ids = await insertPatches({ db }, Array.from({ length: 30 }, (_, i) => ({ source: `pkg${i}` })));
  // Machines with no status, only missing patches, only installed ones (some pending a reboot), or both.
  const kinds = [[], ['Missing'], ['Installed', 'InstalledPendingReboot'], ['InstalledPendingReboot'], STATES] as const;
  const machines = Array.from({ length: 40 }, (_, m) => {
    const states = kinds[m % kinds.length];
    return {
      name: `host${String(m).padStart(2, '0')}`,
      patches: states.length === 0 ? {} : Object.fromEntries(ids.filter(() => random() < 0.3).concat(ids[m % ids.length]).map((id) => [id, pick(states)])),
    };
  });
  await insertAssets({ db }, machines);
  const has = (m: (typeof machines)[number], state: 'Missing' | 'Installed') =>
    Object.values(m.patches).some((s) => (state === 'Missing' ? s === 'Missing' : s !== 'Missing'));
  const missingCount = (m: (typeof machines)[number]) => Object.values(m.patches).filter((s) => s === 'Missing').length;

  const state = () => pick(['Missing', 'Installed'] as const);
  const shapes: Array<() => [string, (m: (typeof machines)[number]) => boolean]> = [
    () => { const s = state(); return [`patchStatus:${s}`, (m) => has(m, s)]; },
    () => ['patchStatus:[Missing, Installed]', (m) => has(m, 'Missing') || has(m, 'Installed')],
    () => { const s = state(); return [`not patchStatus:${s}`, (m) => !has(m, s)]; },
    () => { const s = state(); const name = pick(machines).name; return [`patchStatus:${s} and name:\`${name}\``, (m) => has(m, s) && m.name === name]; },
    () => { const s = state(); const name = pick(machines).name; return [`patchStatus:${s} or name:\`${name}\``, (m) => has(m, s) || m.name === name]; },
    () => ['patchStatus:Missing and patchStatus:Installed', (m) => has(m, 'Missing') && has(m, 'Installed')],
    () => { const s = state(); const k = Math.floor(random() * 4); return [`missingPatchCount>=${k} and patchStatus:${s}`, (m) => missingCount(m) >= k && has(m, s)]; },
  ];
  const queries = new AssetPatchQueries(db, { patches: PATCH_QQL_TOKENS, patchPairs: PATCH_PAIR_QQL_TOKENS, assets: ASSET_QQL_TOKENS });
  for (let n = 0; n < 60; n++) {
    const [text, expectedOf] = pick(shapes)();
    const selection = { platform: 'Linux', query: parseQql(text) };
    const expected = machines.filter(expectedOf).map((m) => m.name);
    const listed = await assetNamesPaged(queries, selection);
    assert.deepEqual(listed, expected, text);
    assert.equal(await queries.countAssets(selection), expected.length, `count of ${text}`);

    // The same assets as a havingQuery: the patches some matching asset has a status for.
    const having = { platform: 'Linux', havingQuery: parseQql(text) };
    const patches = [...new Set(machines.filter(expectedOf).flatMap((m) => Object.keys(m.patches)))].sort();
    assert.deepEqual(await queries.listPatchIds(having, { limit: 1000 }), patches, `patches having ${text}`);
    assert.equal(await queries.countPatches(having), patches.length, `count of patches having ${text}`);
  }

  // A havingQuery of assets reading only the pair's status, also read from the machine's counts:
  // an asset qualifies when one of its own pairs has a status the query accepts.
  const other = (s: 'Missing' | 'Installed') => (s === 'Missing' ? 'Installed' : 'Missing');
  const pairShapes: Array<() => [string, (m: (typeof machines)[number]) => boolean]> = [
    () => { const s = state(); return [`patchStatus:${s}`, (m) => has(m, s)]; },
    () => { const s = state(); return [`NOT patchStatus:${s}`, (m) => has(m, other(s))]; },
    () => ['patchStatus:Missing and patchStatus:Installed', () => false],
    () => ['patchStatus:Missing or patchStatus:Installed', (m) => has(m, 'Missing') || has(m, 'Installed')],
    () => { const s = state(); return [`patchStatus:[${s}] and not patchStatus:${other(s)}`, (m) => has(m, s)]; },
    () => ['not (patchStatus:Missing or patchStatus:Installed)', () => false],
  ];
  for (let n = 0; n < 30; n++) {
    const [text, expectedOf] = pick(pairShapes)();
    const selection = { platform: 'Linux', havingQuery: parseQql(text) };
    const expected = machines.filter(expectedOf).map((m) => m.name);
    const listed = await assetNamesPaged(queries, selection);
    assert.deepEqual(listed, expected, `assets having ${text}`);
    assert.equal(await queries.countAssets(selection), expected.length, `count of assets having ${text}`);
  }
});
