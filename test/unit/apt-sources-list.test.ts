import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  isAptSourcesPartName,
  orderAptSourceFiles,
  parseAptSourcesFile,
  parseDeb822Sources,
  parseOneLineSources,
  readSystemAptSources,
} from '../../src/catalog/sources/apt-repo/sources-list.js';

const DEBIAN_SOURCES = '/etc/apt/sources.list.d/debian.sources';

describe('parseDeb822Sources', () => {
  it('reads the stock Debian file, with comment lines inside stanzas, one entry per suite', () => {
    const text = [
      'Types: deb',
      '# http://snapshot.debian.org/archive/debian/20250520T000000Z',
      'URIs: http://deb.debian.org/debian',
      'Suites: bookworm bookworm-updates',
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      '',
      'Types: deb',
      '# http://snapshot.debian.org/archive/debian-security/20250520T000000Z',
      'URIs: http://deb.debian.org/debian-security',
      'Suites: bookworm-security',
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      '',
    ].join('\n');
    const { entries, errors } = parseDeb822Sources(text, DEBIAN_SOURCES);
    assert.deepEqual(errors, []);
    const keyring = ['/usr/share/keyrings/debian-archive-keyring.gpg'];
    assert.deepEqual(entries, [
      { type: 'deb', uri: 'http://deb.debian.org/debian', suite: 'bookworm', components: ['main'], signedBy: keyring, enabled: true, file: DEBIAN_SOURCES },
      { type: 'deb', uri: 'http://deb.debian.org/debian', suite: 'bookworm-updates', components: ['main'], signedBy: keyring, enabled: true, file: DEBIAN_SOURCES },
      { type: 'deb', uri: 'http://deb.debian.org/debian-security', suite: 'bookworm-security', components: ['main'], signedBy: keyring, enabled: true, file: DEBIAN_SOURCES },
    ]);
  });

  it('expands Types × URIs × Suites, strips trailing slashes and keeps all components', () => {
    const text = [
      'types: deb deb-src',
      'URIS: http://mirror-a.example/debian/ https://mirror-b.example/debian',
      'Suites: bookworm',
      '  bookworm-updates',
      'Components: main contrib non-free-firmware',
      'Architectures: amd64 arm64',
    ].join('\n');
    const { entries, errors } = parseDeb822Sources(text, 'x.sources');
    assert.deepEqual(errors, []);
    assert.equal(entries.length, 8);
    assert.deepEqual(
      entries.map((e) => `${e.type} ${e.uri} ${e.suite}`),
      [
        'deb http://mirror-a.example/debian bookworm',
        'deb http://mirror-a.example/debian bookworm-updates',
        'deb https://mirror-b.example/debian bookworm',
        'deb https://mirror-b.example/debian bookworm-updates',
        'deb-src http://mirror-a.example/debian bookworm',
        'deb-src http://mirror-a.example/debian bookworm-updates',
        'deb-src https://mirror-b.example/debian bookworm',
        'deb-src https://mirror-b.example/debian bookworm-updates',
      ],
    );
    for (const entry of entries) {
      assert.deepEqual(entry.components, ['main', 'contrib', 'non-free-firmware']);
      assert.deepEqual(entry.architectures, ['amd64', 'arm64']);
      assert.equal(entry.signedBy, undefined);
    }
  });

  it('keeps an embedded armored key as one block, turning " ." lines into empty lines', () => {
    const text = [
      'Types: deb',
      'URIs: https://repo.example.org/apt',
      'Suites: stable',
      'Components: main',
      'Signed-By:',
      ' -----BEGIN PGP PUBLIC KEY BLOCK-----',
      ' .',
      ' mQINBGQAAAABEADexampleexampleexample',
      '# a comment between the key lines is not part of the key',
      ' =AbCd',
      ' -----END PGP PUBLIC KEY BLOCK-----',
      'Trusted: no',
    ].join('\n');
    const { entries, errors } = parseDeb822Sources(text, 'key.sources');
    assert.deepEqual(errors, []);
    assert.equal(entries.length, 1);
    assert.deepEqual(entries[0].signedBy, [
      [
        '-----BEGIN PGP PUBLIC KEY BLOCK-----',
        '',
        'mQINBGQAAAABEADexampleexampleexample',
        '=AbCd',
        '-----END PGP PUBLIC KEY BLOCK-----',
      ].join('\n'),
    ]);
    assert.equal(entries[0].trusted, false);
  });

  it('splits a Signed-By list of keyrings or fingerprints on blanks and commas', () => {
    const text = 'Types: deb\nURIs: http://r.example/\nSuites: s\nComponents: c\nSigned-By: /a.gpg, /b.gpg 0123456789ABCDEF\n';
    const { entries } = parseDeb822Sources(text, 'f.sources');
    assert.deepEqual(entries[0].signedBy, ['/a.gpg', '/b.gpg', '0123456789ABCDEF']);
  });

  it('keeps Enabled: no stanzas as disabled entries and reads Trusted: yes', () => {
    const text = [
      'Types: deb',
      'URIs: http://old.example/debian',
      'Suites: bullseye',
      'Components: main',
      'Enabled: no',
      'Trusted: yes',
    ].join('\n');
    const { entries, errors } = parseDeb822Sources(text, 'old.sources');
    assert.deepEqual(errors, []);
    assert.equal(entries.length, 1);
    assert.equal(entries[0].enabled, false);
    assert.equal(entries[0].trusted, true);
  });

  it('reads a flat repository (suite ending in /, no Components)', () => {
    const { entries, errors } = parseDeb822Sources('Types: deb\nURIs: file:/srv/repo/\nSuites: ./\n', 'flat.sources');
    assert.deepEqual(errors, []);
    assert.deepEqual(entries, [{ type: 'deb', uri: 'file:/srv/repo', suite: './', components: [], enabled: true, file: 'flat.sources' }]);
  });

  it('reports malformed stanzas with file and line, and still reads the good ones', () => {
    const text = [
      'Types: deb', // stanza at line 1: no Components for a normal suite
      'URIs: http://a.example/debian',
      'Suites: bookworm',
      '',
      'Types: deb', // line 5: good
      'URIs: http://good.example/debian',
      'Suites: bookworm',
      'Components: main',
      '',
      'Types: rpm', // line 10: unknown type
      'URIs: http://b.example/',
      'Suites: x',
      'Components: main',
      '',
      'Types: deb', // line 15: exact path with Components
      'URIs: http://c.example/',
      'Suites: ./',
      'Components: main',
      '',
      'Types: deb', // line 20: a line that is not a field
      'this is not a field',
      'URIs: http://d.example/',
      'Suites: x',
      'Components: main',
      '',
      'URIs: http://e.example/', // line 26: no Types
      'Suites: x',
      'Components: main',
      '',
      'Types: deb', // line 30: no URIs
      'Suites: x',
      'Components: main',
      '',
      'Types: deb', // line 34: URI without scheme
      'URIs: deb.example.org/debian',
      'Suites: x',
      'Components: main',
    ].join('\n');
    const { entries, errors } = parseDeb822Sources(text, '/etc/apt/sources.list.d/mixed.sources');
    assert.deepEqual(entries.map((e) => e.uri), ['http://good.example/debian']);
    assert.deepEqual(
      errors.map((e) => e.line),
      [1, 10, 15, 21, 26, 30, 34],
    );
    for (const error of errors) {
      assert.equal(error.file, '/etc/apt/sources.list.d/mixed.sources');
      assert.ok(error.message.startsWith(`/etc/apt/sources.list.d/mixed.sources:${error.line}: `), error.message);
    }
    assert.match(errors[0].message, /needs Components/);
    assert.match(errors[1].message, /unknown source type 'rpm'/);
    assert.match(errors[2].message, /exact path/);
  });

  it('does not report errors for a malformed stanza that is disabled (apt skips it)', () => {
    const text = 'Types: deb\nURIs: http://x.example/\nSuites: bookworm\nEnabled: no\n\nTypes: deb\nURIs: http://y.example\nSuites: s\nComponents: main\n';
    const { entries, errors } = parseDeb822Sources(text, 'f.sources');
    assert.deepEqual(errors, []);
    assert.deepEqual(entries.map((e) => e.uri), ['http://y.example']);
  });

  it('accepts CRLF line endings and blank lines made of spaces', () => {
    const text = 'Types: deb\r\nURIs: http://x.example/debian\r\nSuites: bookworm\r\nComponents: main\r\n   \r\nTypes: deb-src\r\nURIs: http://x.example/debian\r\nSuites: bookworm\r\nComponents: main\r\n';
    const { entries, errors } = parseDeb822Sources(text, 'f.sources');
    assert.deepEqual(errors, []);
    assert.deepEqual(entries.map((e) => [e.type, e.suite, e.components]), [
      ['deb', 'bookworm', ['main']],
      ['deb-src', 'bookworm', ['main']],
    ]);
  });
});

describe('parseOneLineSources', () => {
  const file = '/etc/apt/sources.list';

  it('reads deb and deb-src lines with components and skips comments', () => {
    const text = [
      '# main archive',
      'deb http://deb.debian.org/debian/ bookworm main contrib   # trailing comment',
      '',
      '   deb-src\thttp://deb.debian.org/debian bookworm main',
      '#deb http://commented.example/debian bookworm main',
    ].join('\n');
    const { entries, errors } = parseOneLineSources(text, file);
    assert.deepEqual(errors, []);
    assert.deepEqual(entries, [
      { type: 'deb', uri: 'http://deb.debian.org/debian', suite: 'bookworm', components: ['main', 'contrib'], enabled: true, file },
      { type: 'deb-src', uri: 'http://deb.debian.org/debian', suite: 'bookworm', components: ['main'], enabled: true, file },
    ]);
  });

  it('reads options: arch, signed-by, trusted, with or without blanks inside the brackets', () => {
    const text = [
      'deb [ arch=amd64,arm64 signed-by=/usr/share/keyrings/docker.gpg ] https://download.docker.com/linux/debian bookworm stable',
      'deb [arch=i386 trusted=yes] http://local.example/repo ./',
      'deb [signed-by=/etc/apt/keyrings/a.gpg,/etc/apt/keyrings/b.gpg lang=none arch+=armhf] http://x.example/d s main',
    ].join('\n');
    const { entries, errors } = parseOneLineSources(text, file);
    assert.deepEqual(errors, []);
    assert.equal(entries.length, 3);
    assert.deepEqual(entries[0].architectures, ['amd64', 'arm64']);
    assert.deepEqual(entries[0].signedBy, ['/usr/share/keyrings/docker.gpg']);
    assert.equal(entries[0].trusted, undefined);
    assert.deepEqual(entries[0].components, ['stable']);
    assert.deepEqual(entries[1].architectures, ['i386']);
    assert.equal(entries[1].trusted, true);
    assert.equal(entries[1].suite, './');
    assert.deepEqual(entries[1].components, []);
    assert.equal(entries[1].uri, 'http://local.example/repo');
    assert.deepEqual(entries[2].signedBy, ['/etc/apt/keyrings/a.gpg', '/etc/apt/keyrings/b.gpg']);
    assert.equal(entries[2].architectures, undefined, 'arch+= only adjusts the host architectures');
  });

  it('reads the installer cdrom line whose URI has blanks inside brackets', () => {
    const text = 'deb cdrom:[Debian GNU/Linux 12.0.0 _Bookworm_ - Official amd64 DVD Binary-1 20230610-10:23]/ bookworm contrib main\n';
    const { entries, errors } = parseOneLineSources(text, file);
    assert.deepEqual(errors, []);
    assert.equal(entries.length, 1);
    assert.equal(entries[0].uri, 'cdrom:[Debian GNU/Linux 12.0.0 _Bookworm_ - Official amd64 DVD Binary-1 20230610-10:23]');
    assert.equal(entries[0].suite, 'bookworm');
    assert.deepEqual(entries[0].components, ['contrib', 'main']);
  });

  it('keeps a # inside the option brackets but cuts one after them', () => {
    const { entries, errors } = parseOneLineSources('deb [signed-by=/k/a#1.gpg] http://x.example/d s main #contrib\n', file);
    assert.deepEqual(errors, []);
    assert.deepEqual(entries[0].signedBy, ['/k/a#1.gpg']);
    assert.deepEqual(entries[0].components, ['main']);
  });

  it('reports each malformed line with file and line number and keeps the others', () => {
    const text = [
      'deb http://ok.example/debian bookworm main', // 1 ok
      'rpm http://x.example/ foo main', // 2 unknown type
      'deb http://x.example/debian bookworm', // 3 no component
      'deb http://x.example/repo ./ main', // 4 exact path with component
      'deb [arch] http://x.example/debian bookworm main', // 5 option not key=value
      'deb [arch=amd64 http://x.example/debian bookworm main', // 6 bracket not closed
      'deb x.example/debian bookworm main', // 7 no scheme
      'deb http://x.example/debian', // 8 no suite
      'deb[arch=amd64] http://x.example/debian bookworm main', // 9 type glued to options
      'deb', // 10 nothing but a type
      'deb [trusted=maybe] http://x.example/debian bookworm main', // 11 bad boolean
      'deb-src http://ok.example/debian bookworm main\r', // 12 ok, CRLF
    ].join('\n');
    const { entries, errors } = parseOneLineSources(text, file);
    assert.deepEqual(entries.map((e) => e.type), ['deb', 'deb-src']);
    assert.deepEqual(errors.map((e) => e.line), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    for (const error of errors) assert.ok(error.message.startsWith(`${file}:${error.line}: `), error.message);
    assert.match(errors[0].message, /unknown source type 'rpm'/);
    assert.match(errors[1].message, /needs at least one component/);
    assert.match(errors[2].message, /exact path/);
  });
});

describe('apt source files', () => {
  it('chooses the format by extension', () => {
    const deb822 = 'Types: deb\nURIs: http://x.example/\nSuites: s\nComponents: main\n';
    assert.equal(parseAptSourcesFile('/etc/apt/sources.list.d/x.sources', deb822).entries.length, 1);
    // The same text read as one-line format is garbage.
    const asList = parseAptSourcesFile('/etc/apt/sources.list.d/x.list', deb822);
    assert.equal(asList.entries.length, 0);
    assert.equal(asList.errors.length, 4);
  });

  it('accepts only the file names apt reads from sources.list.d', () => {
    for (const name of ['debian.sources', 'docker.list', 'pgdg_1-x.list', 'a:b.sources']) assert.ok(isAptSourcesPartName(name), name);
    for (const name of ['google-cloud-sdk.list.disabled-by-farm', 'x.list.save', 'x.sources~', '.hidden.list', 'a b.list', 'readme']) {
      assert.ok(!isAptSourcesPartName(name), name);
    }
  });

  it('orders the main list first, then parts in byte order, dropping ignored names', () => {
    assert.deepEqual(
      orderAptSourceFiles([
        '/etc/apt/sources.list.d/zz.list',
        '/etc/apt/sources.list.d/B.sources',
        '/etc/apt/sources.list.d/a.list.disabled',
        '/etc/apt/sources.list',
        '/etc/apt/sources.list.d/a.list',
      ]),
      ['/etc/apt/sources.list', '/etc/apt/sources.list.d/B.sources', '/etc/apt/sources.list.d/a.list', '/etc/apt/sources.list.d/zz.list'],
    );
  });

  it('reads a system tree from a root directory, ignoring files apt ignores', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'pw-apt-root-'));
    try {
      const parts = path.join(root, 'etc/apt/sources.list.d');
      await mkdir(parts, { recursive: true });
      await writeFile(path.join(root, 'etc/apt/sources.list'), 'deb http://main.example/debian bookworm main\nbogus line\n');
      await writeFile(path.join(parts, 'b.sources'), 'Types: deb\nURIs: http://b.example/\nSuites: s\nComponents: c\n');
      await writeFile(path.join(parts, 'a.list'), 'deb http://a.example/ s c');
      await writeFile(path.join(parts, 'c.list.disabled-by-farm'), 'deb http://ignored.example/ s c\n');
      await mkdir(path.join(parts, 'dir.list'));
      const { entries, errors } = await readSystemAptSources(root);
      assert.deepEqual(
        entries.map((e) => [e.file, e.uri]),
        [
          ['/etc/apt/sources.list', 'http://main.example/debian'],
          ['/etc/apt/sources.list.d/a.list', 'http://a.example'],
          ['/etc/apt/sources.list.d/b.sources', 'http://b.example'],
        ],
      );
      assert.deepEqual(errors.map((e) => [e.file, e.line]), [['/etc/apt/sources.list', 2]]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('returns nothing for a root without apt configuration', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'pw-apt-empty-'));
    try {
      assert.deepEqual(await readSystemAptSources(root), { entries: [], errors: [] });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
