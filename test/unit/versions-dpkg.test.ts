import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareDpkgVersions,
  InvalidDpkgVersionError,
  parseDpkgVersion,
  type InvalidDpkgVersionReason,
} from '../../src/versions/dpkg.js';

type Rel = '<' | '=' | '>';

function rel(a: string, b: string): Rel {
  const r = compareDpkgVersions(a, b);
  return r < 0 ? '<' : r > 0 ? '>' : '=';
}

/** Asserts a < b in both argument orders. */
function assertLess(a: string, b: string): void {
  assert.equal(rel(a, b), '<', `expected ${JSON.stringify(a)} < ${JSON.stringify(b)}`);
  assert.equal(rel(b, a), '>', `expected ${JSON.stringify(b)} > ${JSON.stringify(a)}`);
}

function assertEqualVersions(a: string, b: string): void {
  assert.equal(rel(a, b), '=', `expected ${JSON.stringify(a)} == ${JSON.stringify(b)}`);
  assert.equal(rel(b, a), '=', `expected ${JSON.stringify(b)} == ${JSON.stringify(a)}`);
}

/** Asserts every earlier element is strictly less than every later one. */
function assertAscending(chain: string[]): void {
  for (let i = 0; i < chain.length; i++) {
    for (let j = i + 1; j < chain.length; j++) assertLess(chain[i], chain[j]);
  }
}

function assertInvalid(v: string, reason: InvalidDpkgVersionReason, strict = false): void {
  assert.throws(
    () => parseDpkgVersion(v, { strict }),
    (e: unknown) => {
      assert.ok(e instanceof InvalidDpkgVersionError, `expected InvalidDpkgVersionError for ${JSON.stringify(v)}`);
      assert.ok(e instanceof Error);
      assert.equal(e.name, 'InvalidDpkgVersionError');
      assert.equal(e.reason, reason, `reason for ${JSON.stringify(v)}`);
      assert.equal(e.version, v);
      assert.ok(e.message.includes(JSON.stringify(v)), `message should quote the version: ${e.message}`);
      return true;
    },
  );
}

describe('parseDpkgVersion', () => {
  test('splits epoch, upstream and revision', () => {
    assert.deepEqual(parseDpkgVersion('1.0'), { epoch: 0, upstream: '1.0', revision: '' });
    assert.deepEqual(parseDpkgVersion('1.0-1'), { epoch: 0, upstream: '1.0', revision: '1' });
    assert.deepEqual(parseDpkgVersion('2:1.0-1+deb12u1'), { epoch: 2, upstream: '1.0', revision: '1+deb12u1' });
    assert.deepEqual(parseDpkgVersion('0:7'), { epoch: 0, upstream: '7', revision: '' });
    assert.deepEqual(parseDpkgVersion('00012:3.4'), { epoch: 12, upstream: '3.4', revision: '' });
  });

  test('revision is split at the last hyphen', () => {
    assert.deepEqual(parseDpkgVersion('1.2-3-4'), { epoch: 0, upstream: '1.2-3', revision: '4' });
    assert.deepEqual(parseDpkgVersion('1:2.0-rc1-0ubuntu1-2'), { epoch: 1, upstream: '2.0-rc1-0ubuntu1', revision: '2' });
  });

  test('epoch is taken at the first colon; later colons belong to the upstream version', () => {
    assert.deepEqual(parseDpkgVersion('1:2:3-4'), { epoch: 1, upstream: '2:3', revision: '4' });
  });

  test('leading and trailing blanks are ignored, as dpkg does', () => {
    assert.deepEqual(parseDpkgVersion('  1:1.0-2\t'), { epoch: 1, upstream: '1.0', revision: '2' });
  });

  test('the largest epoch dpkg accepts is INT_MAX', () => {
    assert.equal(parseDpkgVersion('2147483647:1').epoch, 2147483647);
    assertInvalid('2147483648:1', 'epoch-too-big');
    assertInvalid('99999999999999999999999:1', 'epoch-too-big');
  });

  test('a signed zero epoch is accepted like strtol would, a negative one is not', () => {
    assert.equal(parseDpkgVersion('+3:1.0').epoch, 3);
    assert.equal(parseDpkgVersion('-0:1.0').epoch, 0);
    assertInvalid('-1:1.0', 'epoch-negative');
  });

  test('rejects what dpkg treats as errors', () => {
    assertInvalid('', 'empty');
    assertInvalid('   ', 'empty');
    assertInvalid('1 .0', 'embedded-space');
    assertInvalid('1.0 -1', 'embedded-space');
    assertInvalid('1.0\t1', 'embedded-space');
    assertInvalid(':1.0', 'epoch-empty');
    assertInvalid('a:1.0', 'epoch-empty');
    assertInvalid('1a:1.0', 'epoch-not-number');
    assertInvalid('1.5:1.0', 'epoch-not-number');
    assertInvalid('1-2:3', 'epoch-not-number');
    assertInvalid('1:', 'nothing-after-colon');
    assertInvalid('1: ', 'upstream-empty');
    assertInvalid('1.0-', 'revision-empty');
    assertInvalid('1.0-1-', 'revision-empty');
    assertInvalid('-', 'revision-empty');
    assertInvalid('-1', 'upstream-empty');
    assertInvalid('1:-1', 'upstream-empty');
    assertInvalid('1.0\u00001', 'nul-character');
  });

  test('accepts what dpkg only warns about, unless strict', () => {
    // dpkg prints a warning for these but still compares them, so by default we do too.
    assert.deepEqual(parseDpkgVersion('a1.0-1'), { epoch: 0, upstream: 'a1.0', revision: '1' });
    assert.deepEqual(parseDpkgVersion('~~'), { epoch: 0, upstream: '~~', revision: '' });
    assert.deepEqual(parseDpkgVersion('1.0_1-2'), { epoch: 0, upstream: '1.0_1', revision: '2' });
    assert.deepEqual(parseDpkgVersion('1:1.0-a:b'), { epoch: 1, upstream: '1.0', revision: 'a:b' });
    assertInvalid('a1.0-1', 'upstream-not-digit-start', true);
    assertInvalid('~~', 'upstream-not-digit-start', true);
    assertInvalid('1.0_1-2', 'upstream-invalid-char', true);
    assertInvalid('1.0é', 'upstream-invalid-char', true);
    assertInvalid('1:1.0-a:b', 'revision-invalid-char', true);
    // Without an epoch the first colon is taken as the epoch separator, which is a hard error.
    assertInvalid('1.0-a:b', 'epoch-not-number');
    assertInvalid('1.0-1_2', 'revision-invalid-char', true);
  });

  test('strict mode accepts every character dpkg allows', () => {
    assert.deepEqual(parseDpkgVersion('1:0.9+a~B.z:c-0Aa.+~9', { strict: true }), {
      epoch: 1,
      upstream: '0.9+a~B.z:c',
      revision: '0Aa.+~9',
    });
  });
});

describe('compareDpkgVersions', () => {
  test('pre-releases, letters, plus and dot after the same prefix', () => {
    assertAscending(['1.0~rc1', '1.0', '1.0a', '1.0+dfsg', '1.0.1']);
  });

  test('tilde sorts before everything, including the end of the string', () => {
    assertAscending(['1.0~~', '1.0~~a', '1.0~', '1.0']);
    // Debian policy's example order: "~~" < "~~a" < "~" < "" (a longer "~~a" is NOT smaller).
    assertAscending(['~~', '~~a', '~', '0']);
    assertLess('1~~', '1~~a');
    assertLess('1.0~rc1', '1.0~rc1a');
  });

  test('letters sort before non-letters, and non-letters by ASCII code', () => {
    assertAscending(['1.0', '1.0A', '1.0Z', '1.0a', '1.0z', '1.0+', '1.0.']);
    // A colon in the upstream part needs an explicit epoch.
    assertAscending(['1:1.0+', '1:1.0.', '1:1.0:']);
    // "-" only appears in the upstream part when there is a revision.
    assertLess('1.0+x-1', '1.0-x-1');
    assertLess('1.0-x-1', '1.0.x-1');
  });

  test('epoch dominates everything else', () => {
    assertLess('9.9', '1:0.1');
    assertLess('1:99.99-99', '2:0');
    assertLess('1:0.1', '10:0.1');
    assertEqualVersions('0:1.0-1', '1.0-1');
    assertEqualVersions('00001:1', '1:1');
  });

  test('a missing revision equals revision 0', () => {
    assertEqualVersions('1.0', '1.0-0');
    assertEqualVersions('1.0', '1.0-00');
    assertLess('1.0', '1.0-0.0');
    assertLess('1.0', '1.0-1');
    assertLess('1.0-0', '1.0-0+b1');
  });

  test('digit runs compare numerically and ignore leading zeros', () => {
    assertEqualVersions('1.01', '1.1');
    assertEqualVersions('1.001', '1.1');
    assertEqualVersions('1.0000000000000000000000000000000000000000001', '1.1');
    assertLess('1.9', '1.10');
    assertLess('1.9', '1.0010');
    assertLess('1.2.9', '1.2.10');
    assertLess('6.1.0-9', '6.1.0-13');
  });

  test('digit runs longer than 2^53 are compared exactly', () => {
    // As doubles both of these are 9007199254740992.
    assertLess('1.9007199254740992', '1.9007199254740993');
    assertLess('1.' + '9'.repeat(40), '1.1' + '0'.repeat(40));
    assertLess('1.' + '1'.repeat(60) + '0', '1.' + '1'.repeat(60) + '1');
    assertEqualVersions('1.' + '0'.repeat(30) + '1'.repeat(40), '1.' + '1'.repeat(40));
    assertLess(`1.0-1+b${'9'.repeat(30)}`, `1.0-1+b1${'0'.repeat(30)}`);
  });

  test('backports sort before the version they were backported from', () => {
    assertLess('1.0-1~bpo12+1', '1.0-1');
    assertLess('1.0-1~bpo11+1', '1.0-1~bpo12+1');
    assertLess('1.0-1~bpo12+1', '1.0-1~bpo12+2');
  });

  test('binNMUs sort after their source version and before the next revision', () => {
    assertAscending(['1.0-1', '1.0-1+b1', '1.0-1+b2', '1.0-1+b10', '1.0-1.1', '1.0-2']);
    assertLess('1.0', '1.0+b1');
  });

  test('stable and security updates', () => {
    assertAscending(['1.0-1~deb12u1', '1.0-1', '1.0-1+deb12u1', '1.0-1+deb12u2', '1.0-1+deb12u10', '1.0-2~deb12u1', '1.0-2']);
    assertLess('1.0-1+b1', '1.0-1+deb12u1');
    assertLess('1.0-1+deb11u3', '1.0-1+deb12u1');
  });

  test('revision split at the last hyphen changes the order', () => {
    // Upstream "1.2" vs "1.2-3": the upstream part decides before the revisions are looked at.
    assertLess('1.2-10', '1.2-3-4');
    assertLess('1.2-3-4', '1.2-3-5');
    assertLess('1.2-3-4', '1.2-4-1');
  });

  test('surrounding blanks are ignored', () => {
    assertEqualVersions(' 1.0-1', '1.0-1\t');
  });

  test('identical strings compare equal, and are still validated', () => {
    assert.equal(compareDpkgVersions('1:2.3-4', '1:2.3-4'), 0);
    assert.throws(() => compareDpkgVersions('1.0-', '1.0-'), InvalidDpkgVersionError);
    assert.throws(() => compareDpkgVersions('', ''), InvalidDpkgVersionError);
  });

  test('throws if either side is invalid', () => {
    assert.throws(() => compareDpkgVersions('1.0', '1 .0'), InvalidDpkgVersionError);
    assert.throws(() => compareDpkgVersions('x:1', '1.0'), InvalidDpkgVersionError);
    assert.throws(() => compareDpkgVersions('1.0', '-1:1.0'), InvalidDpkgVersionError);
  });

  test('non-ASCII characters sort after letters and before other ASCII characters, like dpkg bytes', () => {
    // dpkg compares UTF-8 bytes; 0x80..0xFF land between letters and punctuation.
    assertAscending(['1.0', '1.0z', '1.0é', '1.0ü', '1.0\uffff', '1.0😀', '1.0😁', '1.0.']);
    assertLess('1.0-1é', '1.0-1.');
  });

  test('antisymmetry and reflexivity over many tricky versions', () => {
    const versions = [
      '1.0', '1.0-0', '1.0-0.0', '1.00', '0:1.0', '1:1.0', '1.0~', '1.0~~', '1.0a', '1.0+', '1.0.0',
      '1.0-1', '1.0-1~bpo12+1', '1.0-1+b1', '1.0-1+deb12u1', '1.2-3-4', '1.01', '1.1', '~~', '~~a', '~',
      'a', 'A', '1.0é', '2:0', '1.' + '9'.repeat(25), '1.' + '0'.repeat(25) + '9'.repeat(25),
    ];
    for (const a of versions) {
      assert.equal(rel(a, a), '=', `${a} vs itself`);
      for (const b of versions) {
        const ab = rel(a, b);
        const ba = rel(b, a);
        const flipped = ba === '<' ? '>' : ba === '>' ? '<' : '=';
        assert.equal(ab, flipped, `antisymmetry: ${a} vs ${b}`);
      }
    }
  });

  test('sorts realistic Debian versions into the hand-verified order', () => {
    const expected = [
      '0.9.8-1',
      '1.0~alpha1-1',
      '1.0~beta2-1',
      '1.0~rc1-1',
      '1.0~rc1-1+b1',
      '1.0-0.1',
      '1.0-1~bpo12+1',
      '1.0-1~deb12u1',
      '1.0-1',
      '1.0-1ubuntu1',
      '1.0-1+b1',
      '1.0-1+b2',
      '1.0-1+b10',
      '1.0-1+deb12u1',
      '1.0-1+deb12u2',
      '1.0-1.1',
      '1.0-2~deb12u1',
      '1.0-2',
      '1.0a-1',
      '1.0+dfsg-1',
      '1.0+dfsg1-1',
      '1.0.1-1',
      '1.0.9-1',
      '1.0.10-1',
      '1.1-1',
      '2.0~rc1-1',
      '2.0-1',
      '10.0-1',
      '1:0.1-1',
      '1:0.1-1+b1',
      '2:0.0.1',
    ];
    // Deterministic shuffles (fixed LCG seeds) so the sort really has work to do.
    for (const seed of [1, 42, 20240611]) {
      let s = seed;
      const shuffled = [...expected];
      for (let i = shuffled.length - 1; i > 0; i--) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        const j = s % (i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      assert.notDeepEqual(shuffled, expected, `seed ${seed} did not shuffle`);
      assert.deepEqual([...shuffled].sort(compareDpkgVersions), expected, `seed ${seed}`);
      assert.deepEqual([...shuffled].sort((a, b) => compareDpkgVersions(b, a)), [...expected].reverse(), `seed ${seed} descending`);
    }
  });
});
