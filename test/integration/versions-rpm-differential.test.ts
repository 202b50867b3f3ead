/**
 * Differential test: src/versions/rpm.ts must agree with the real rpm on generated pairs.
 *   1. rpmvercmp() on ≥ 10,000 generated version strings (realistic and adversarial: mixed
 *      digit/letter runs, every kind of separator, non-ASCII, `~`, `^`, leading zeros, long
 *      digit runs, shared prefixes, identical strings);
 *   2. compareRpmEvr() / parseRpmEvr() on generated EVRs (epochs, missing/different releases,
 *      `-` inside versions), in both missing-release modes.
 * rpm's answers come from one `rpm --eval '%{lua: ...}'` process per batch (see
 * test/support/rpm-differential.ts).
 *
 * Environment:
 *   CI=true              missing rpm is a failure instead of a skip
 *   RPM_DIFF_SEED=<int>  override the generator seed (default below; always printed)
 *   RPM_DIFF_PAIRS=<int> rpmvercmp pairs to check (default 12000, minimum 10000)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareRpmEvr, parseRpmEvr, rpmvercmp } from '../../src/versions/rpm.js';
import {
  canonicalForRpm,
  generateEvrPairs,
  generateVersionPairs,
  rpmEvrBatch,
  rpmUnavailableReason,
  rpmVercmpBatch,
  type RpmAnswer,
} from '../support/rpm-differential.js';
import { requireOrSkip } from '../support/required-service.js';
import { envInt } from '../support/env-settings.js';

const MIN_PAIRS = 10_000;
const DEFAULT_SEED = 20250314;
const EVR_PAIRS = 6_000;


function ours(f: () => number): RpmAnswer | string {
  try {
    const r = f();
    return r < 0 ? -1 : r > 0 ? 1 : 0;
  } catch (e) {
    return `threw ${(e as Error).message}`;
  }
}

function tally(answers: readonly RpmAnswer[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const a of answers) t[String(a)] = (t[String(a)] ?? 0) + 1;
  return t;
}

function assertNoMismatches(what: string, mismatches: string[], total: number, seed: number): void {
  assert.equal(
    mismatches.length,
    0,
    `${what}: ${mismatches.length} of ${total} pairs differ from rpm (seed ${seed}, rerun with RPM_DIFF_SEED=${seed}):\n` +
      mismatches.slice(0, 40).join('\n'),
  );
}

const seed = envInt('RPM_DIFF_SEED', DEFAULT_SEED);
const wanted = Math.max(MIN_PAIRS, envInt('RPM_DIFF_PAIRS', 12_000));

test('rpmvercmp agrees with rpm on generated version pairs', { timeout: 600_000 }, (t) => {
  const reason = rpmUnavailableReason();
  if (!requireOrSkip(t, reason === undefined, `rpm differential test: ${reason}`)) return;
  console.log(`# rpm differential (rpmvercmp): seed=${seed} (set RPM_DIFF_SEED to change)`);
  t.diagnostic(`seed=${seed}`);

  const { pairs, counts } = generateVersionPairs(seed, wanted);
  t.diagnostic(`pairs by strategy: ${JSON.stringify(counts)}`);
  assert.ok(pairs.length >= MIN_PAIRS, `only ${pairs.length} pairs generated; need at least ${MIN_PAIRS}`);
  assert.ok((counts.identical ?? 0) > 0 && (counts.mutated ?? 0) > pairs.length / 2, `unbalanced pairs: ${JSON.stringify(counts)}`);

  const started = Date.now();
  const expected = rpmVercmpBatch(pairs);
  t.diagnostic(`rpm answered ${expected.length} pairs in ${((Date.now() - started) / 1000).toFixed(2)} s (one process)`);
  const t1 = tally(expected);
  t.diagnostic(`rpm answers: ${JSON.stringify(t1)}`);
  assert.equal(t1.err ?? 0, 0, 'rpm failed on some pairs (harness problem)');
  // All three outcomes must be well represented, otherwise the harness is probably broken.
  for (const k of ['-1', '0', '1']) assert.ok((t1[k] ?? 0) > pairs.length / 20, `too few rpm answers ${k}: ${JSON.stringify(t1)}`);

  const mismatches: string[] = [];
  for (let i = 0; i < pairs.length; i++) {
    const [a, b] = pairs[i];
    const got = ours(() => rpmvercmp(a, b));
    const reversed = ours(() => rpmvercmp(b, a));
    if (got !== expected[i]) mismatches.push(`rpmvercmp(${JSON.stringify(a)}, ${JSON.stringify(b)}): rpm=${expected[i]} ours=${got}`);
    else if (typeof got === 'number' && reversed !== -got) mismatches.push(`rpmvercmp(${JSON.stringify(b)}, ${JSON.stringify(a)}) is not the reverse: ${reversed}`);
  }
  assertNoMismatches('rpmvercmp', mismatches, pairs.length, seed);
});

test('compareRpmEvr and parseRpmEvr agree with rpm on generated EVR pairs', { timeout: 600_000 }, (t) => {
  const reason = rpmUnavailableReason();
  if (!requireOrSkip(t, reason === undefined, `rpm differential test: ${reason}`)) return;
  console.log(`# rpm differential (EVR): seed=${seed} (set RPM_DIFF_SEED to change)`);

  const { pairs, counts } = generateEvrPairs(seed, EVR_PAIRS);
  t.diagnostic(`EVR pairs by strategy: ${JSON.stringify(counts)}`);
  assert.ok(pairs.length >= EVR_PAIRS);

  const started = Date.now();
  const answers = rpmEvrBatch(pairs.map(([a, b]) => [canonicalForRpm(a), canonicalForRpm(b)] as const));
  t.diagnostic(`rpm answered ${answers.length} EVR pairs in ${((Date.now() - started) / 1000).toFixed(2)} s (one process)`);
  const full = tally(answers.map((x) => x.full));
  const match = tally(answers.map((x) => x.match));
  t.diagnostic(`rpm.vercmp answers: ${JSON.stringify(full)}; dependency-style answers: ${JSON.stringify(match)}`);
  assert.equal((full.err ?? 0) + (match.err ?? 0), 0, 'rpm failed on some EVRs (harness problem)');
  for (const k of ['-1', '0', '1']) assert.ok((full[k] ?? 0) > pairs.length / 20, `too few rpm.vercmp answers ${k}: ${JSON.stringify(full)}`);
  // The two modes must actually differ somewhere, or the missing-release cases are not exercised.
  assert.ok(answers.some((x) => x.full !== x.match), 'no pair distinguishes the two missing-release modes');

  const mismatches: string[] = [];
  const parsedBy = new Map<string, ReturnType<typeof parseRpmEvr> | string>();
  for (let i = 0; i < pairs.length; i++) {
    const [a, b] = pairs[i];
    const ans = answers[i];
    const pair = `${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
    const older = ours(() => compareRpmEvr(a, b, { missingRelease: 'older' }));
    if (older !== ans.full) mismatches.push(`${pair} missingRelease=older: rpm.vercmp=${ans.full} ours=${older}`);
    const dep = ours(() => compareRpmEvr(a, b));
    if (dep !== ans.match) mismatches.push(`${pair} missingRelease=match: rpm parts=${ans.match} ours=${dep}`);
    for (const [evr, rp] of [[a, ans.a], [b, ans.b]] as const) {
      if (parsedBy.has(evr)) continue;
      let mine: ReturnType<typeof parseRpmEvr> | string;
      try {
        mine = parseRpmEvr(evr);
      } catch (e) {
        mine = `threw ${(e as Error).message}`;
      }
      parsedBy.set(evr, mine);
      const want = rp && { epoch: rp.epoch === null ? 0 : Number(rp.epoch), version: rp.version, release: rp.release ?? '' };
      if (JSON.stringify(mine) !== JSON.stringify(want)) {
        mismatches.push(`parseRpmEvr(${JSON.stringify(evr)}): rpm=${JSON.stringify(want)} ours=${JSON.stringify(mine)}`);
      }
    }
  }
  t.diagnostic(`checked the parse of ${parsedBy.size} distinct EVRs`);
  assertNoMismatches('EVR', mismatches, pairs.length, seed);
});
