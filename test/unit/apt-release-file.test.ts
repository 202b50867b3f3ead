import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AptReleaseFormatError,
  parseControlParagraph,
  parseReleaseDate,
  parseReleaseFile,
  releaseProvidesComponent,
} from '../../src/catalog/sources/apt-repo/release-file.js';

const HASH_A = 'a'.repeat(64);
const HASH_B = '0123456789abcdef'.repeat(4);
const HASH_C = 'C'.repeat(64);

/** A Release file shaped like Debian's, with every field the parser reads. */
const SECURITY_LIKE = [
  'Origin: Debian',
  'Label: Debian-Security',
  'Suite: oldstable-security',
  'Version: 12',
  'Codename: bookworm-security',
  'Date: Sat, 21 Nov 2026 00:53:02 UTC',
  'Valid-Until: Sat, 28 Nov 2026 00:53:02 UTC',
  'Acquire-By-Hash: yes',
  'Architectures: amd64 arm64 i386',
  'Components: updates/main updates/contrib',
  'Description: Debian 12 - Security Updates',
  'MD5Sum:',
  ` ${'d'.repeat(32)}   378100 main/binary-amd64/Packages.xz`,
  'SHA256:',
  ` ${HASH_A}        0 contrib/Contents-amd64`,
  ` ${HASH_B}   378100 main/binary-amd64/Packages.xz`,
  ` ${HASH_C}  2523192 main/binary-amd64/Packages`,
  '',
].join('\n');

describe('parseReleaseFile', () => {
  it('reads the identity fields, lists and dates', () => {
    const { info, architectureAllFoldedIntoPackages } = parseReleaseFile(SECURITY_LIKE);
    assert.equal(info.origin, 'Debian');
    assert.equal(info.label, 'Debian-Security');
    assert.equal(info.suite, 'oldstable-security');
    assert.equal(info.codename, 'bookworm-security');
    assert.equal(info.version, '12');
    assert.equal(info.date, '2026-11-21T00:53:02.000Z');
    assert.equal(info.validUntil, '2026-11-28T00:53:02.000Z');
    assert.equal(info.acquireByHash, true);
    assert.deepEqual(info.architectures, ['amd64', 'arm64', 'i386']);
    assert.deepEqual(info.components, ['updates/main', 'updates/contrib']);
    assert.equal(info.notAutomatic, false);
    assert.equal(info.butAutomaticUpgrades, false);
    assert.equal(architectureAllFoldedIntoPackages, false);
  });

  it('reads the SHA256 list only, lower-casing hashes and keeping sizes', () => {
    const { info } = parseReleaseFile(SECURITY_LIKE);
    assert.equal(info.sha256.size, 3);
    assert.deepEqual(info.sha256.get('contrib/Contents-amd64'), { hash: HASH_A, size: 0 });
    assert.deepEqual(info.sha256.get('main/binary-amd64/Packages.xz'), { hash: HASH_B, size: 378100 });
    assert.deepEqual(info.sha256.get('main/binary-amd64/Packages'), { hash: HASH_C.toLowerCase(), size: 2523192 });
  });

  it('reads NotAutomatic and ButAutomaticUpgrades (case-insensitive names and values)', () => {
    const backports = parseReleaseFile(
      'Suite: bookworm-backports\nnotautomatic: Yes\nButAutomaticUpgrades: yes\nDate: Sun, 22 Nov 2026 02:00:00 +0000\n',
    ).info;
    assert.equal(backports.notAutomatic, true);
    assert.equal(backports.butAutomaticUpgrades, true);
    const experimental = parseReleaseFile('Suite: experimental\nNotAutomatic: yes\n').info;
    assert.equal(experimental.notAutomatic, true);
    assert.equal(experimental.butAutomaticUpgrades, false);
    assert.equal(parseReleaseFile('Suite: x\nNotAutomatic: no\n').info.notAutomatic, false);
  });

  it('has no validUntil when the field is absent, and rejects an unreadable one', () => {
    assert.equal(parseReleaseFile('Suite: stable\n').info.validUntil, undefined);
    assert.throws(() => parseReleaseFile('Suite: stable\nValid-Until: next tuesday\n'), AptReleaseFormatError);
  });

  it('gives an empty date for a missing or unreadable Date', () => {
    assert.equal(parseReleaseFile('Suite: stable\n').info.date, '');
    assert.equal(parseReleaseFile('Suite: stable\nDate: yesterday\n').info.date, '');
  });

  it('detects No-Support-for-Architecture-all: Packages', () => {
    assert.equal(parseReleaseFile('Suite: s\nNo-Support-for-Architecture-all: Packages\n').architectureAllFoldedIntoPackages, true);
    assert.equal(parseReleaseFile('Suite: s\nNo-Support-for-Architecture-all: Contents\n').architectureAllFoldedIntoPackages, false);
  });

  it('rejects malformed checksum lines', () => {
    assert.throws(() => parseReleaseFile(`Suite: s\nSHA256:\n ${HASH_A} 12\n`), AptReleaseFormatError);
    assert.throws(() => parseReleaseFile(`Suite: s\nSHA256:\n ${'z'.repeat(64)} 12 main/x\n`), AptReleaseFormatError);
    assert.throws(() => parseReleaseFile(`Suite: s\nSHA256:\n ${HASH_A} -3 main/x\n`), AptReleaseFormatError);
    assert.throws(() => parseReleaseFile(`Suite: s\nSHA256:\n ${'a'.repeat(40)} 3 main/x\n`), AptReleaseFormatError);
  });

  it('rejects an empty file', () => {
    assert.throws(() => parseReleaseFile('\n\n'), AptReleaseFormatError);
  });

  it('tolerates CRLF line ends and trailing blanks', () => {
    const { info } = parseReleaseFile(`Suite: stable \r\nCodename: bookworm\r\nSHA256:\r\n ${HASH_A} 5 main/binary-amd64/Packages \r\n`);
    assert.equal(info.suite, 'stable');
    assert.equal(info.codename, 'bookworm');
    assert.deepEqual(info.sha256.get('main/binary-amd64/Packages'), { hash: HASH_A, size: 5 });
  });
});

describe('parseControlParagraph', () => {
  it('joins continuation lines and stops at the end of the first paragraph', () => {
    const fields = parseControlParagraph('\n# comment\nA: 1\nLong:\n first\n  second\nB:two\n\nC: 3\n');
    assert.equal(fields.get('a'), '1');
    assert.equal(fields.get('long'), 'first\nsecond');
    assert.equal(fields.get('b'), 'two');
    assert.equal(fields.has('c'), false);
  });

  it('rejects a continuation line before any field and a line without colon', () => {
    assert.throws(() => parseControlParagraph(' orphan\n'), AptReleaseFormatError);
    assert.throws(() => parseControlParagraph('A: 1\nnot a field\n'), AptReleaseFormatError);
  });
});

describe('parseReleaseDate', () => {
  it('reads the Release date forms', () => {
    assert.equal(parseReleaseDate('Sat, 11 Jul 2026 10:16:37 UTC')?.toISOString(), '2026-07-11T10:16:37.000Z');
    assert.equal(parseReleaseDate('Sat, 11 Jul 2026 10:16:37 GMT')?.toISOString(), '2026-07-11T10:16:37.000Z');
    assert.equal(parseReleaseDate('11 Jul 2026 10:16:37 +0200')?.toISOString(), '2026-07-11T08:16:37.000Z');
    assert.equal(parseReleaseDate('Sat, 1 Aug 2026 00:00 -0130')?.toISOString(), '2026-08-01T01:30:00.000Z');
  });

  it('refuses other text', () => {
    assert.equal(parseReleaseDate('2026-07-11T10:16:37Z'), undefined);
    assert.equal(parseReleaseDate('Sat, 11 Foo 2026 10:16:37 UTC'), undefined);
    assert.equal(parseReleaseDate('Sat, 11 Jul 2026 25:16:37 UTC'), undefined);
    assert.equal(parseReleaseDate(''), undefined);
  });
});

describe('releaseProvidesComponent', () => {
  it('matches listed components, the security archive\'s updates/ prefix, and accepts an absent list', () => {
    assert.equal(releaseProvidesComponent(['main', 'contrib'], 'main'), true);
    assert.equal(releaseProvidesComponent(['updates/main'], 'main'), true);
    assert.equal(releaseProvidesComponent(['updates/main'], 'updates/main'), true);
    assert.equal(releaseProvidesComponent(['main', 'contrib'], 'non-free'), false);
    assert.equal(releaseProvidesComponent(['main'], 'ain'), false);
    assert.equal(releaseProvidesComponent([], 'anything'), true);
  });
});
