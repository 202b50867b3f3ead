import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { xz } from '@napi-rs/lzma';
import { PackagesIndexParser, parsePackagesIndex } from '../../src/catalog/sources/apt-repo/packages-index.js';

const SAMPLE = `Package: libc6
Source: glibc
Version: 2.36-9+deb12u10
Installed-Size: 12986
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Depends: libgcc-s1
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
 .
 Package: not-a-package (continuation line)
Section: libs
Priority: optional
SHA256: 0000000000000000000000000000000000000000000000000000000000000000

Package: gir1.2-appstream-1.0
Source: appstream (0.16.1-2)
Version: 0.16.1-2+b1
Architecture: amd64
Section: introspection
Priority: optional

Package: fonts-noto-core
Version: 20201225-1
Architecture: all
Description: "No Tofu" font families
`;

describe('parsePackagesIndex', () => {
  it('reads the three Source forms', () => {
    const records = parsePackagesIndex(SAMPLE);
    assert.equal(records.length, 3);
    const [libc, gir, fonts] = records;
    // `Source: name` → the binary's version.
    assert.deepEqual(libc, {
      package: 'libc6',
      version: '2.36-9+deb12u10',
      architecture: 'amd64',
      sourceName: 'glibc',
      sourceVersion: '2.36-9+deb12u10',
      section: 'libs',
      priority: 'optional',
      multiArch: 'same',
    });
    // `Source: name (version)` → that version (binNMU).
    assert.equal(gir.sourceName, 'appstream');
    assert.equal(gir.sourceVersion, '0.16.1-2');
    assert.equal(gir.version, '0.16.1-2+b1');
    // No Source → the binary itself.
    assert.equal(fonts.sourceName, 'fonts-noto-core');
    assert.equal(fonts.sourceVersion, '20201225-1');
  });

  it('ignores continuation lines, even ones that look like fields', () => {
    const names = parsePackagesIndex(SAMPLE).map((record) => record.package);
    assert.deepEqual(names, ['libc6', 'gir1.2-appstream-1.0', 'fonts-noto-core']);
  });

  it('leaves missing optional fields undefined (not empty strings)', () => {
    const fonts = parsePackagesIndex(SAMPLE)[2];
    assert.equal(fonts.section, undefined);
    assert.equal(fonts.priority, undefined);
    assert.equal(fonts.multiArch, undefined);
    assert.equal('section' in fonts, false);
  });

  it('skips and counts paragraphs without Package, Version or Architecture', () => {
    const parser = new PackagesIndexParser();
    parser.push(Buffer.from('Package: a\nVersion: 1\n\nPackage: b\nArchitecture: amd64\n\nVersion: 2\nArchitecture: all\n\nPackage: ok\nVersion: 3\nArchitecture: all\n'));
    const records = parser.end();
    assert.deepEqual(records.map((record) => record.package), ['ok']);
    assert.equal(parser.malformedStanzas, 3);
  });

  it('treats whitespace-only lines as paragraph separators', () => {
    const text = 'Package: a\nVersion: 1\nArchitecture: amd64\n   \t\nPackage: b\nVersion: 2\nArchitecture: amd64\n \nPackage: c\nVersion: 3\nArchitecture: amd64';
    assert.deepEqual(parsePackagesIndex(text).map((record) => `${record.package}=${record.version}`), ['a=1', 'b=2', 'c=3']);
  });

  it('accepts several blank lines, a leading blank line and no final newline', () => {
    const text = '\n\nPackage: a\nVersion: 1\nArchitecture: amd64\n\n\n\nPackage: b\nVersion: 2\nArchitecture: i386';
    assert.deepEqual(parsePackagesIndex(text).map((record) => record.package), ['a', 'b']);
  });

  it('is unharmed by CRLF line ends and trailing blanks in values', () => {
    const text = 'Package: a \r\nSource: src-a (1.0-1) \r\nVersion: 1.0-1+b2\t\r\nArchitecture: amd64\r\nSection: utils\r\n\r\nPackage: b\r\nVersion: 2\r\nArchitecture: all\r\n';
    const [a, b] = parsePackagesIndex(text);
    assert.deepEqual(a, {
      package: 'a',
      version: '1.0-1+b2',
      architecture: 'amd64',
      sourceName: 'src-a',
      sourceVersion: '1.0-1',
      section: 'utils',
    });
    assert.equal(b.package, 'b');
    assert.equal(b.architecture, 'all');
  });

  it('matches field names case-insensitively and needs the colon right after the name', () => {
    const text = 'package: a\nVERSION: 1\narchitecture: amd64\nsource: s (0.9)\nPackages: not-this\nVersions: nor-this\n';
    const [a] = parsePackagesIndex(text);
    assert.equal(a.package, 'a');
    assert.equal(a.version, '1');
    assert.equal(a.sourceName, 's');
    assert.equal(a.sourceVersion, '0.9');
  });

  it('reads values without a space after the colon, and Source with odd spacing', () => {
    const [a] = parsePackagesIndex('Package:a\nVersion:1\nArchitecture:amd64\nSource:   s  ( 2:1.0-1 )\n');
    assert.equal(a.package, 'a');
    assert.equal(a.sourceName, 's');
    assert.equal(a.sourceVersion, '2:1.0-1');
  });

  it('gives the same records whatever the chunking (state survives chunk boundaries)', () => {
    const whole = parsePackagesIndex(SAMPLE);
    const bytes = Buffer.from(SAMPLE);
    for (const size of [1, 2, 3, 7, 64]) {
      const parser = new PackagesIndexParser();
      for (let offset = 0; offset < bytes.length; offset += size) parser.push(bytes.subarray(offset, offset + size));
      assert.deepEqual(parser.end(), whole, `chunk size ${size}`);
    }
  });

  it('copies values out of the input (reusing the chunk buffer does not change records)', () => {
    const parser = new PackagesIndexParser();
    const chunk = Buffer.from('Package: abcdefghijklmnopqrstuvwxyz\nVersion: 1.2.3-4+deb12u1~bpo\nArchitecture: amd64\n\n');
    parser.push(chunk);
    chunk.fill(0x41);
    const [record] = parser.end();
    assert.equal(record.package, 'abcdefghijklmnopqrstuvwxyz');
    assert.equal(record.version, '1.2.3-4+deb12u1~bpo');
  });

  it('parses a real Debian index (bookworm-updates main amd64) like a plain line reading does', async () => {
    const compressed = readFileSync(new URL('../fixtures/apt/bookworm-updates/Packages.xz', import.meta.url));
    const text = (await xz.decompress(compressed)).toString('utf8');
    const records = parsePackagesIndex(text);
    // Independent reading: split paragraphs on blank lines, fields by "Name: value".
    const expected = text
      .split(/\n\s*\n/)
      .filter((paragraph) => paragraph.trim().length > 0)
      .map((paragraph) => {
        const field = (name: string): string | undefined =>
          paragraph.split('\n').find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
        return `${field('Package')} ${field('Version')} ${field('Architecture')} ${field('Source') ?? '-'}`;
      });
    assert.ok(records.length > 10);
    assert.deepEqual(
      records.map((record) => `${record.package} ${record.version} ${record.architecture} ${record.sourceName === record.package && record.sourceVersion === record.version ? '-' : record.sourceVersion === record.version ? record.sourceName : `${record.sourceName} (${record.sourceVersion})`}`),
      expected,
    );
  });

  it('is fast: 60,000 paragraphs (~45 MB) in well under a second', () => {
    const paragraph = (i: number): string =>
      `Package: package-number-${i}\nSource: source-${i >> 2} (${i}.0-1)\nVersion: ${i}.0-1+b1\nInstalled-Size: 1234\nMaintainer: Someone <someone@example.org>\nArchitecture: amd64\nMulti-Arch: same\nDepends: libc6 (>= 2.34), libfoo${i} (= ${i}.0-1+b1), libbar | libbaz\nDescription: synthetic package ${i}\n${' line of a long description that apt and we both skip over quickly\n'.repeat(8)}Homepage: https://example.org/${i}\nDescription-md5: 0123456789abcdef0123456789abcdef\nTag: role::shared-lib, devel::library\nSection: libs\nPriority: optional\nFilename: pool/main/p/package-${i}.deb\nSize: 123456\nMD5sum: 0123456789abcdef0123456789abcdef\nSHA256: ${'0123456789abcdef'.repeat(4)}\n\n`;
    const parts: string[] = [];
    for (let i = 0; i < 60_000; i++) parts.push(paragraph(i));
    const data = Buffer.from(parts.join(''));
    assert.ok(data.length > 40_000_000, `synthetic index is ${data.length} bytes`);
    parsePackagesIndex(data.subarray(0, 1_000_000)); // warm-up
    const started = performance.now();
    const records = parsePackagesIndex(data);
    const elapsed = performance.now() - started;
    assert.equal(records.length, 60_000);
    assert.equal(records[59_999].sourceVersion, '59999.0-1');
    assert.ok(elapsed < 800, `parsing took ${elapsed.toFixed(0)} ms`);
  });
});
