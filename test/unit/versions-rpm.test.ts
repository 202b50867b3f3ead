import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareRpmEvr,
  InvalidRpmVersionError,
  parseRpmEvr,
  rpmvercmp,
  type InvalidRpmVersionReason,
} from '../../src/versions/rpm.js';
import { rpmEvrBatch, rpmUnavailableReason, rpmVercmpBatch } from '../support/rpm-differential.js';
import { requireOrSkip } from '../support/required-service.js';

type Vector = readonly [string, string, -1 | 0 | 1];

/**
 * rpm's own rpmvercmp test table (tests/rpmvercmp.at in rpm-software-management/rpm, the
 * version with `^` support), as data: [a, b, rpmvercmp(a, b)].
 */
const UPSTREAM_VECTORS: readonly Vector[] = [
  ['1.0', '1.0', 0], ['1.0', '2.0', -1], ['2.0', '1.0', 1],
  ['2.0.1', '2.0.1', 0], ['2.0', '2.0.1', -1], ['2.0.1', '2.0', 1],
  ['2.0.1a', '2.0.1a', 0], ['2.0.1a', '2.0.1', 1], ['2.0.1', '2.0.1a', -1],
  ['5.5p1', '5.5p1', 0], ['5.5p1', '5.5p2', -1], ['5.5p2', '5.5p1', 1],
  ['5.5p10', '5.5p10', 0], ['5.5p1', '5.5p10', -1], ['5.5p10', '5.5p1', 1],
  ['10xyz', '10.1xyz', -1], ['10.1xyz', '10xyz', 1],
  ['xyz10', 'xyz10', 0], ['xyz10', 'xyz10.1', -1], ['xyz10.1', 'xyz10', 1],
  ['xyz.4', 'xyz.4', 0], ['xyz.4', '8', -1], ['8', 'xyz.4', 1], ['xyz.4', '2', -1], ['2', 'xyz.4', 1],
  ['5.5p2', '5.6p1', -1], ['5.6p1', '5.5p2', 1],
  ['5.6p1', '6.5p1', -1], ['6.5p1', '5.6p1', 1],
  ['6.0.rc1', '6.0', 1], ['6.0', '6.0.rc1', -1],
  ['10b2', '10a1', 1], ['10a2', '10b2', -1],
  ['1.0aa', '1.0aa', 0], ['1.0a', '1.0aa', -1], ['1.0aa', '1.0a', 1],
  ['10.0001', '10.0001', 0], ['10.0001', '10.1', 0], ['10.1', '10.0001', 0], ['10.0001', '10.0039', -1], ['10.0039', '10.0001', 1],
  ['4.999.9', '5.0', -1], ['5.0', '4.999.9', 1],
  ['20101121', '20101121', 0], ['20101121', '20101122', -1], ['20101122', '20101121', 1],
  ['2_0', '2_0', 0], ['2.0', '2_0', 0], ['2_0', '2.0', 0],
  // RhBug:178798
  ['a', 'a', 0], ['a+', 'a+', 0], ['a+', 'a_', 0], ['a_', 'a+', 0], ['+a', '+a', 0], ['+a', '_a', 0], ['_a', '+a', 0],
  ['+_', '+_', 0], ['_+', '+_', 0], ['_+', '_+', 0], ['+', '_', 0], ['_', '+', 0],
  // tilde
  ['1.0~rc1', '1.0~rc1', 0], ['1.0~rc1', '1.0', -1], ['1.0', '1.0~rc1', 1], ['1.0~rc1', '1.0~rc2', -1], ['1.0~rc2', '1.0~rc1', 1],
  ['1.0~rc1~git123', '1.0~rc1~git123', 0], ['1.0~rc1~git123', '1.0~rc1', -1], ['1.0~rc1', '1.0~rc1~git123', 1],
  // caret
  ['1.0^', '1.0^', 0], ['1.0^', '1.0', 1], ['1.0', '1.0^', -1],
  ['1.0^git1', '1.0^git1', 0], ['1.0^git1', '1.0', 1], ['1.0', '1.0^git1', -1],
  ['1.0^git1', '1.0^git2', -1], ['1.0^git2', '1.0^git1', 1], ['1.0^git1', '1.01', -1], ['1.01', '1.0^git1', 1],
  ['1.0^20160101', '1.0^20160101', 0], ['1.0^20160101', '1.0.1', -1], ['1.0.1', '1.0^20160101', 1],
  ['1.0^20160101^git1', '1.0^20160101^git1', 0], ['1.0^20160102', '1.0^20160101^git1', 1], ['1.0^20160101^git1', '1.0^20160102', -1],
  // tilde and caret together
  ['1.0~rc1^git1', '1.0~rc1^git1', 0], ['1.0~rc1^git1', '1.0~rc1', 1], ['1.0~rc1', '1.0~rc1^git1', -1],
  ['1.0^git1~pre', '1.0^git1~pre', 0], ['1.0^git1', '1.0^git1~pre', 1], ['1.0^git1~pre', '1.0^git1', -1],
  // "oddities" the upstream file documents as current behaviour (kept commented out there)
  ['1b.fc17', '1b.fc17', 0], ['1b.fc17', '1.fc17', -1], ['1.fc17', '1b.fc17', 1],
  ['1g.fc17', '1g.fc17', 0], ['1g.fc17', '1.fc17', 1], ['1.fc17', '1g.fc17', -1],
  ['1.1.α', '1.1.α', 0], ['1.1.α', '1.1.β', 0], ['1.1.β', '1.1.α', 0], ['1.1.αα', '1.1.α', 0], ['1.1.α', '1.1.ββ', 0], ['1.1.ββ', '1.1.αα', 0],
];

/** Traps from the spec (anchors §5) and other edges; each is also checked against rpm when installed. */
const TRAP_VECTORS: readonly Vector[] = [
  ['1.0_1', '1.0.1', 0],
  ['1.0~rc1', '1.0', -1], ['1.0', '1.0^git1', -1], ['1.0^git1', '1.0.1', -1], ['1.0~rc1', '1.0.1', -1],
  ['1.01', '1.1', 0], ['1.001', '1.01', 0], ['1.000', '1.0', 0], ['1.0', '1.00000', 0],
  ['6.12.100', '6.12.96', 1], ['5.14.0-362.8.1.el9_3', '5.14.0-362.13.1.el9_3', -1],
  ['1.0.1', '1.0a', 1], ['1.0.0', '1.0', 1], ['1.0a', '1.0', 1], ['1.a', '1.1', -1], ['a', '1', -1],
  ['1.0~~', '1.0~', -1], ['1.0~', '1.0', -1], ['1.0~', '1.0~~', 1], ['1.0^', '1.0^^', -1], ['1.0^~', '1.0^', -1], ['1.0~^', '1.0~', 1],
  ['1.0^', '1.0~', 1], ['1.0^', '1.0.', 1], ['1.0.', '1.0', 0], ['1..0', '1.0', 0], ['.1', '1', 0],
  ['', '', 0], ['', '1', -1], ['', '~', 1], ['', '^', -1], ['', '.', 0], ['', 'a', -1], ['~', '~~', 1], ['^', '~', 1],
  ['A', 'a', -1], ['Z', 'a', -1], ['rc', 'RC', 1], ['a', 'aa', -1], ['ab', 'b', -1],
  // digit runs longer than any machine integer
  ['18446744073709551616', '18446744073709551615', 1], ['1.00000000000000000000000000001', '1.1', 0],
  ['99999999999999999999999999999', '100000000000000000000000000000', -1], ['9007199254740993', '9007199254740992', 1],
  // separators of any kind (including non-ASCII, which rpm sees as UTF-8 bytes) only separate
  ['1.0-1', '1.0_1', 0], ['1:2', '1.2', 0], ['1 2', '1.2', 0], ['1é2', '1.2', 0], ['1\u{1f600}2', '1.2', 0], ['1a', '1.a', 0],
  ['1.2', '12', -1], ['1.2a', '1.2.a', 0], ['1.0a1', '1.0.a.1', 0],
  // real-world shapes
  ['1.1.1k', '1.1.1w', -1], ['115.3.1esr', '115.3.1', 1], ['2.0.0~rc2', '2.0.0', -1], ['3.2.0^1', '3.2.1', -1],
  ['9.el8_7', '9.el8_10', -1], ['33.el9', '33.el9_4.1', -1],
];

function ordered(r: number): -1 | 0 | 1 {
  return r < 0 ? -1 : r > 0 ? 1 : 0;
}

function checkVectors(vectors: readonly Vector[]): void {
  for (const [a, b, want] of vectors) {
    assert.equal(ordered(rpmvercmp(a, b)), want, `rpmvercmp(${JSON.stringify(a)}, ${JSON.stringify(b)})`);
    assert.equal(ordered(rpmvercmp(b, a)), 0 - want, `rpmvercmp(${JSON.stringify(b)}, ${JSON.stringify(a)})`);
  }
}

function assertInvalidEvr(v: string, reason: InvalidRpmVersionReason): void {
  for (const f of [() => parseRpmEvr(v), () => compareRpmEvr(v, '1.0'), () => compareRpmEvr('1.0', v), () => compareRpmEvr(v, v)]) {
    assert.throws(f, (e: unknown) => {
      assert.ok(e instanceof InvalidRpmVersionError, `expected InvalidRpmVersionError for ${JSON.stringify(v)}`);
      assert.equal(e.name, 'InvalidRpmVersionError');
      assert.equal(e.reason, reason, `reason for ${JSON.stringify(v)}`);
      assert.equal(e.version, v);
      assert.ok(e.message.includes(JSON.stringify(v)), e.message);
      return true;
    });
  }
}

describe('rpmvercmp', () => {
  test("rpm's published rpmvercmp test table", () => checkVectors(UPSTREAM_VECTORS));

  test('spec traps and edge cases', () => checkVectors(TRAP_VECTORS));

  test('1.0~rc1 < 1.0 < 1.0^git1 < 1.0^git2 < 1.0.1 < 1.0a... is a strict chain', () => {
    const chain = ['1.0~~', '1.0~rc1', '1.0~rc1^git1', '1.0~rc2', '1.0', '1.0^', '1.0^git1', '1.0^git1^a', '1.0^git2', '1.0a', '1.0.0', '1.0.1', '1.1'];
    for (let i = 0; i < chain.length; i++) {
      for (let j = 0; j < chain.length; j++) {
        assert.equal(ordered(rpmvercmp(chain[i], chain[j])), Math.sign(i - j), `${chain[i]} vs ${chain[j]}`);
      }
    }
  });

  test('accepts any string but a NUL character', () => {
    assert.equal(rpmvercmp('', ''), 0);
    assert.equal(rpmvercmp('!!', '??'), 0);
    for (const [a, b] of [['1\u00002', '1'], ['1', '1\u00002'], ['\u0000', '\u0000']]) {
      assert.throws(() => rpmvercmp(a, b), (e: unknown) => e instanceof InvalidRpmVersionError && e.reason === 'nul-character');
    }
  });

  test('the vectors above agree with the installed rpm', (t) => {
    const reason = rpmUnavailableReason();
    if (!requireOrSkip(t, reason === undefined, `checking the vectors against rpm: ${reason}`)) return;
    const all = [...UPSTREAM_VECTORS, ...TRAP_VECTORS];
    const answers = rpmVercmpBatch(all.map(([a, b]) => [a, b] as const));
    const wrong = all.map(([a, b, want], i) => (answers[i] === want ? '' : `${a} vs ${b}: table=${want} rpm=${answers[i]}`)).filter(Boolean);
    assert.deepEqual(wrong, []);
  });
});

describe('parseRpmEvr', () => {
  test('splits epoch, version and release', () => {
    assert.deepEqual(parseRpmEvr('1.0'), { epoch: 0, version: '1.0', release: '' });
    assert.deepEqual(parseRpmEvr('1.0-1'), { epoch: 0, version: '1.0', release: '1' });
    assert.deepEqual(parseRpmEvr('2:1.0-1.el9'), { epoch: 2, version: '1.0', release: '1.el9' });
    assert.deepEqual(parseRpmEvr('0:5.14.0-362.8.1.el9_3'), { epoch: 0, version: '5.14.0', release: '362.8.1.el9_3' });
    assert.deepEqual(parseRpmEvr('007:1~rc1^git2'), { epoch: 7, version: '1~rc1^git2', release: '' });
    assert.deepEqual(parseRpmEvr('4294967295:1'), { epoch: 4294967295, version: '1', release: '' });
  });

  test('release is split at the last hyphen', () => {
    assert.deepEqual(parseRpmEvr('1.0-beta-3'), { epoch: 0, version: '1.0-beta', release: '3' });
    assert.deepEqual(parseRpmEvr('1:a-b-c-d'), { epoch: 1, version: 'a-b-c', release: 'd' });
  });

  test('(none) and empty epochs mean 0', () => {
    assert.deepEqual(parseRpmEvr('(none):1.0-1'), { epoch: 0, version: '1.0', release: '1' });
    assert.deepEqual(parseRpmEvr(':1.0-1'), { epoch: 0, version: '1.0', release: '1' });
  });

  test('rejects malformed EVRs with a reason', () => {
    assertInvalidEvr('', 'empty');
    assertInvalidEvr('1.0 -1', 'whitespace');
    assertInvalidEvr(' 1.0', 'whitespace');
    assertInvalidEvr('1.0-1\n', 'whitespace');
    assertInvalidEvr('1.0\t', 'whitespace');
    assertInvalidEvr('1.0\u0000', 'nul-character');
    assertInvalidEvr('a:1.0', 'epoch-not-number');
    assertInvalidEvr('+1:1.0', 'epoch-not-number');
    assertInvalidEvr('(None):1.0', 'epoch-not-number');
    assertInvalidEvr('9007199254740992:1.0', 'epoch-too-big');
    assertInvalidEvr('1:2:3', 'unexpected-colon');
    assertInvalidEvr('1.0-1:2', 'unexpected-colon');
    assertInvalidEvr('1:', 'version-empty');
    assertInvalidEvr('1:-2', 'version-empty');
    assertInvalidEvr('-2', 'version-empty');
    assertInvalidEvr('1.0-', 'release-empty');
    assertInvalidEvr('1:1.0-', 'release-empty');
  });
});

describe('compareRpmEvr', () => {
  const cmp = (a: string, b: string, missingRelease?: 'match' | 'older'): number =>
    ordered(compareRpmEvr(a, b, missingRelease ? { missingRelease } : undefined));

  test('epoch first, numerically; a missing epoch is 0', () => {
    assert.equal(cmp('1:1.0', '0:9.9'), 1);
    assert.equal(cmp('1:1.0', '9.9'), 1);
    assert.equal(cmp('0:1.0-1', '1.0-1'), 0);
    assert.equal(cmp('(none):1.0-1', '0:1.0-1'), 0);
    assert.equal(cmp('10:1', '9:2'), 1);
    assert.equal(cmp('010:1', '10:1'), 0);
    assert.equal(cmp(':1', '0:1'), 0);
  });

  test('then version, then release, both with rpmvercmp', () => {
    assert.equal(cmp('1.0-1', '1.1-0'), -1);
    assert.equal(cmp('1.0-2', '1.0-10'), -1);
    assert.equal(cmp('1.0-1.el9', '1.0-1.el9_3'), -1);
    assert.equal(cmp('1.0~rc1-5', '1.0-1'), -1);
    assert.equal(cmp('1.0_1-1', '1.0.1-1'), 0);
    assert.equal(cmp('5.14.0-362.8.1.el9_3', '5.14.0-362.13.1.el9_3'), -1);
    assert.equal(cmp('6.12.100-1', '6.12.96-1'), 1);
  });

  test('a side without a release matches any release by default (dependency semantics)', () => {
    assert.equal(cmp('1.0', '1.0-1'), 0);
    assert.equal(cmp('1.0-7', '1.0'), 0);
    assert.equal(cmp('1:1.0', '1:1.0-3.el9'), 0);
    // the version still decides
    assert.equal(cmp('1.0', '1.1-1'), -1);
    assert.equal(cmp('1.0', '0.9-1'), 1);
    // not a total order: both equal 1.0, yet differ from each other
    assert.equal(cmp('1.0-1', '1.0-7'), -1);
    assert.equal(cmp('1.0', '1.0-1', 'match'), 0);
  });

  test("missingRelease: 'older' sorts a missing release first (rpm.vercmp / rpmverCmp)", () => {
    assert.equal(cmp('1.0', '1.0-1', 'older'), -1);
    assert.equal(cmp('1.0-1', '1.0', 'older'), 1);
    assert.equal(cmp('1.0', '1.0', 'older'), 0);
    assert.equal(cmp('1.0', '0:1.0', 'older'), 0);
    assert.equal(cmp('1.0', '1.0~x-1', 'older'), 1);
    // a sorted list is stable under it
    const sorted = ['2:0.1', '1.0-1', '1.0', '1.0~rc1-9', '0:1.0-2', '1:0.5'].sort((a, b) => compareRpmEvr(a, b, { missingRelease: 'older' }));
    assert.deepEqual(sorted, ['1.0~rc1-9', '1.0', '1.0-1', '0:1.0-2', '1:0.5', '2:0.1']);
  });

  test('identical strings are still validated', () => {
    assert.equal(cmp('1.0-1', '1.0-1'), 0);
    assert.throws(() => compareRpmEvr('1.0-', '1.0-'), InvalidRpmVersionError);
  });

  test('EVR examples agree with the installed rpm', (t) => {
    const reason = rpmUnavailableReason();
    if (!requireOrSkip(t, reason === undefined, `checking EVR examples against rpm: ${reason}`)) return;
    const pairs: Array<readonly [string, string]> = [
      ['1:1.0', '0:9.9'], ['1:1.0', '9.9'], ['0:1.0-1', '1.0-1'], ['10:1', '9:2'], ['010:1', '10:1'], [':1', '0:1'],
      ['1.0-1', '1.1-0'], ['1.0-2', '1.0-10'], ['1.0~rc1-5', '1.0-1'], ['1.0', '1.0-1'], ['1.0-7', '1.0'],
      ['1.0-beta-3', '1.0-beta-4'], ['1:a-b-c-d', '1:a-b-c-e'], ['6.12.100-1', '6.12.96-1'],
    ];
    const answers = rpmEvrBatch(pairs);
    for (let i = 0; i < pairs.length; i++) {
      const [a, b] = pairs[i];
      assert.equal(ordered(compareRpmEvr(a, b, { missingRelease: 'older' })), answers[i].full, `${a} vs ${b} (rpm.vercmp)`);
      assert.equal(ordered(compareRpmEvr(a, b)), answers[i].match, `${a} vs ${b} (dependency semantics)`);
    }
  });
});
