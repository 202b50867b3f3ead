/**
 * Differential test: compareDpkgVersions() must order real Debian versions exactly like
 * `dpkg --compare-versions`. Versions come from the local apt lists and the dpkg database.
 *
 * Environment:
 *   CI=true               missing dpkg/apt lists is a failure instead of a skip
 *   DPKG_DIFF_SEED=<int>  override the pair-sampling seed (default below; always printed)
 *   DPKG_DIFF_PAIRS=<int> number of pairs to check (default 12000, minimum 10000)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareDpkgVersions } from '../../src/versions/dpkg.js';
import { buildPairs, collectRealVersions, dpkgOrders, missingDependencies, type DpkgOrder } from '../support/dpkg-differential.js';
import { envInt } from '../support/env-settings.js';

const MIN_PAIRS = 10_000;
const DEFAULT_SEED = 20240611;
const SHARDS = 2;


function ours(a: string, b: string): DpkgOrder | string {
  try {
    const r = compareDpkgVersions(a, b);
    return r < 0 ? 'lt' : r > 0 ? 'gt' : 'eq';
  } catch (e) {
    return `threw ${(e as Error).message}`;
  }
}

test('compareDpkgVersions agrees with dpkg --compare-versions on real Packages versions', { timeout: 600_000 }, async (t) => {
  const missing = missingDependencies();
  if (missing.length > 0) {
    const reason = `dpkg differential test cannot run: ${missing.join('; ')}`;
    if (process.env.CI === 'true') assert.fail(`${reason} (CI=true, so this is a failure, not a skip)`);
    console.warn(`\n!!! SKIPPING: ${reason}\n`);
    t.skip(reason);
    return;
  }

  const seed = envInt('DPKG_DIFF_SEED', DEFAULT_SEED);
  const wanted = Math.max(MIN_PAIRS, envInt('DPKG_DIFF_PAIRS', 12_000));
  t.diagnostic(`seed=${seed} (set DPKG_DIFF_SEED to change)`);
  console.log(`# dpkg differential: seed=${seed}`);

  const data = collectRealVersions();
  t.diagnostic(`read ${data.all.length} distinct versions from: ${data.sources.join(', ')}`);
  const { pairs, counts } = buildPairs(data, seed, wanted);
  t.diagnostic(`pairs by strategy: ${JSON.stringify(counts)}`);
  assert.ok(
    pairs.length >= MIN_PAIRS,
    `only ${pairs.length} version pairs could be built from the real apt lists; need at least ${MIN_PAIRS}`,
  );
  // The related-version strategies must dominate; unrelated random pairs are too easy.
  const randomShare = (counts.random ?? 0) / pairs.length;
  assert.ok(randomShare <= 0.2, `too many random pairs (${(randomShare * 100).toFixed(1)}%): ${JSON.stringify(counts)}`);
  assert.ok((counts.identical ?? 0) > 0, 'no identical pairs were generated');

  const started = Date.now();
  const expected = await dpkgOrders(pairs, SHARDS);
  t.diagnostic(`dpkg answered ${expected.length} pairs in ${((Date.now() - started) / 1000).toFixed(1)} s using ${SHARDS} shells`);

  const tally: Record<string, number> = {};
  const mismatches: string[] = [];
  for (let i = 0; i < pairs.length; i++) {
    const [a, b] = pairs[i];
    const want = expected[i];
    tally[want] = (tally[want] ?? 0) + 1;
    const got = ours(a, b);
    if (got !== want) mismatches.push(`${JSON.stringify(a)} vs ${JSON.stringify(b)}: dpkg=${want} ours=${got}`);
  }
  t.diagnostic(`dpkg answers: ${JSON.stringify(tally)}`);

  assert.equal(tally.err ?? 0, 0, 'dpkg rejected some real versions; see mismatches');
  // A healthy sample has all three outcomes; otherwise the batch harness is probably broken.
  assert.ok((tally.lt ?? 0) > 0 && (tally.gt ?? 0) > 0 && (tally.eq ?? 0) > 0, `one-sided dpkg answers: ${JSON.stringify(tally)}`);
  assert.equal(
    mismatches.length,
    0,
    `${mismatches.length} of ${pairs.length} pairs differ from dpkg (seed ${seed}):\n${mismatches.slice(0, 50).join('\n')}`,
  );
});
