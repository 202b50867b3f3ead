import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CatalogIndex, CatalogReleaseFacts } from '../../src/catalog/catalog-snapshot.js';
import {
  CatalogView,
  defaultPinPriority,
  releaseNameOf,
  releasePocket,
} from '../../src/catalog/catalog-view.js';
import type { AptPackageRecord, AptSourceEntry } from '../../src/catalog/sources/apt-repo/types.js';

const DEBIAN = 'http://deb.debian.org/debian';

function facts(overrides: Partial<CatalogReleaseFacts> = {}): CatalogReleaseFacts {
  return {
    origin: 'Debian',
    label: 'Debian',
    suite: 'oldstable',
    codename: 'bookworm',
    notAutomatic: false,
    butAutomaticUpgrades: false,
    ...overrides,
  };
}

/** `name version arch` */
function records(...specs: string[]): AptPackageRecord[] {
  return specs.map((spec) => {
    const [name, version, architecture] = spec.split(' ');
    return { package: name, version, architecture, sourceName: name, sourceVersion: version };
  });
}

function index(id: number, fields: Partial<CatalogIndex>): CatalogIndex {
  return {
    id,
    uri: DEBIAN,
    dist: 'bookworm',
    component: 'main',
    architecture: 'amd64',
    release: facts(),
    packages: [],
    ...fields,
  };
}

function entry(fields: Partial<AptSourceEntry> = {}): AptSourceEntry {
  return { type: 'deb', uri: DEBIAN, suite: 'bookworm', components: ['main'], enabled: true, file: '/etc/apt/sources.list', ...fields };
}

const AMD64 = { native: 'amd64', foreign: [] };
const AMD64_I386 = { native: 'amd64', foreign: ['i386'] };

function view(indexes: CatalogIndex[]): CatalogView {
  return new CatalogView({ definitionVersion: 'v1', definitionDate: '2026-11-22T00:00:00Z', indexes });
}

describe('release facts', () => {
  it('gives apt default pin priorities', () => {
    assert.equal(defaultPinPriority(facts()), 500);
    assert.equal(defaultPinPriority(facts({ notAutomatic: true })), 1);
    assert.equal(defaultPinPriority(facts({ notAutomatic: true, butAutomaticUpgrades: true })), 100);
    // ButAutomaticUpgrades alone means nothing.
    assert.equal(defaultPinPriority(facts({ butAutomaticUpgrades: true })), 500);
  });

  it('classifies pockets and strips them from the release name', () => {
    const security = facts({ suite: 'oldstable-security', codename: 'bookworm-security' });
    assert.equal(releasePocket(security, 'bookworm-security'), 'security');
    assert.equal(releaseNameOf(security, 'bookworm-security'), 'bookworm');
    const updates = facts({ suite: 'oldstable-updates', codename: 'bookworm-updates' });
    assert.equal(releasePocket(updates, 'bookworm-updates'), 'updates');
    assert.equal(releaseNameOf(updates, 'bookworm-updates'), 'bookworm');
    const proposed = facts({ suite: 'oldstable-proposed-updates', codename: 'bookworm-proposed-updates' });
    assert.equal(releasePocket(proposed, 'bookworm-proposed-updates'), 'release');
    assert.equal(releaseNameOf(proposed, 'bookworm-proposed-updates'), 'bookworm');
    const legacy = facts({ suite: 'oldoldstable', codename: 'stretch', label: 'Debian-Security' });
    assert.equal(releasePocket(legacy, 'stretch/updates'), 'security');
    assert.equal(releaseNameOf(legacy, 'stretch/updates'), 'stretch');
    const ubuntu = facts({ origin: 'Ubuntu', suite: 'jammy-security', codename: 'jammy' });
    assert.equal(releasePocket(ubuntu, 'jammy-security'), 'security');
    assert.equal(releaseNameOf(ubuntu, 'jammy-security'), 'jammy');
    const backports = facts({ suite: 'oldstable-backports', codename: 'bookworm-backports' });
    assert.equal(releasePocket(backports, 'bookworm-backports'), 'release');
    assert.equal(releaseNameOf(backports, 'bookworm-backports'), 'bookworm-backports');
    assert.equal(releaseNameOf(facts({ suite: '', codename: '' }), './'), '.');
    assert.equal(releaseNameOf(facts({ suite: 'stable', codename: '' }), 'stable'), 'stable');
  });
});

describe('CatalogView.matchIndexes', () => {
  const indexes = [
    index(1, {}),
    index(2, { architecture: 'i386' }),
    index(3, { component: 'contrib' }),
    index(4, { dist: 'bookworm-updates' }),
    index(5, { uri: 'http://mirror.example.org/debian' }),
    index(6, { architecture: 'arm64' }),
    index(7, { architecture: 'all' }),
  ];
  const ids = (found: CatalogIndex[]): number[] => found.map((i) => i.id);

  it('matches uri, suite, component and the machine architectures', () => {
    assert.deepEqual(ids(view(indexes).matchIndexes([entry()], AMD64)), [1, 7]);
    assert.deepEqual(ids(view(indexes).matchIndexes([entry()], AMD64_I386)), [1, 2, 7]);
    assert.deepEqual(ids(view(indexes).matchIndexes([entry({ components: ['main', 'contrib'] })], AMD64)), [1, 3, 7]);
  });

  it('uses the entry architectures when given, ignores trailing slashes and duplicates', () => {
    const v = view(indexes);
    assert.deepEqual(ids(v.matchIndexes([entry({ architectures: ['arm64'] })], AMD64_I386)), [6, 7]);
    assert.deepEqual(ids(v.matchIndexes([entry({ uri: `${DEBIAN}//` }), entry()], AMD64)), [1, 7]);
  });

  it('skips deb-src and disabled entries', () => {
    const v = view(indexes);
    assert.deepEqual(v.matchIndexes([entry({ type: 'deb-src' }), entry({ enabled: false })], AMD64), []);
  });
});

describe('CatalogView.availabilityFor', () => {
  it('merges versions of all matched indexes, highest first, with the best priority and all suites', () => {
    const v = view([
      index(1, { packages: records('curl 7.88.1-10+deb12u8 amd64', 'curl 7.88.1-10+deb12u12 amd64') }),
      index(2, {
        dist: 'bookworm-security',
        uri: 'http://deb.debian.org/debian-security',
        release: facts({ suite: 'oldstable-security', codename: 'bookworm-security', label: 'Debian-Security' }),
        packages: records('curl 7.88.1-10+deb12u12 amd64', 'curl 7.88.1-10+deb12u9 amd64'),
      }),
      index(3, {
        dist: 'bookworm-backports',
        release: facts({ suite: 'oldstable-backports', codename: 'bookworm-backports', notAutomatic: true, butAutomaticUpgrades: true }),
        packages: records('curl 8.14.1-2~bpo12+1 amd64'),
      }),
    ]);
    const availability = v.availabilityFor(
      [entry(), entry({ uri: 'http://deb.debian.org/debian-security', suite: 'bookworm-security' }), entry({ suite: 'bookworm-backports' })],
      AMD64,
    );
    const versions = availability.versionsOf('curl', 'amd64') ?? [];
    assert.deepEqual(
      versions.map((a) => [a.version, a.priority, a.suites, a.fromSecurity]),
      [
        ['8.14.1-2~bpo12+1', 100, ['oldstable-backports'], false],
        ['7.88.1-10+deb12u12', 500, ['oldstable', 'oldstable-security'], true],
        ['7.88.1-10+deb12u9', 500, ['oldstable-security'], true],
        ['7.88.1-10+deb12u8', 500, ['oldstable'], false],
      ],
    );
    // The security origin names the release of a version it shares with the release itself.
    assert.equal(versions[1].origin.indexId, 2);
    assert.equal(versions[1].origin.release, 'bookworm');
    assert.equal(availability.versionsOf('curl', 'i386'), undefined);
    assert.equal(availability.versionsOf('wget', 'amd64'), undefined);
  });

  it('files `all` packages under the native architecture, once per version', () => {
    const v = view([
      index(1, { packages: records('tzdata 2025b-0+deb12u1 all', 'libc6 2.36-9+deb12u10 amd64') }),
      index(2, { architecture: 'i386', packages: records('tzdata 2025b-0+deb12u1 all', 'libc6 2.36-9+deb12u10 i386') }),
    ]);
    const availability = v.availabilityFor([entry()], AMD64_I386);
    const tzdata = availability.versionsOf('tzdata', 'all') ?? [];
    assert.equal(tzdata.length, 1);
    assert.deepEqual(tzdata[0].suites, ['oldstable']);
    assert.deepEqual(tzdata[0].origins.map((o) => o.indexId), [1, 2]);
    assert.equal(availability.versionsOf('tzdata', 'amd64'), tzdata);
    assert.equal(availability.versionsOf('tzdata', 'i386'), undefined);
    assert.equal(availability.versionsOf('libc6', 'i386')?.[0].record.architecture, 'i386');
    assert.equal(availability.versionsOf('libc6', 'amd64')?.[0].record.architecture, 'amd64');
  });

  it('filters the records of a flat repository by the machine architectures', () => {
    const flat = 'https://download.example.com/repo';
    const v = view([
      index(1, {
        uri: flat,
        dist: './',
        component: '',
        architecture: '',
        release: facts({ suite: '', codename: '' }),
        packages: records('agent 2.0 amd64', 'agent 2.0 arm64', 'agent-docs 2.0 all'),
      }),
    ]);
    const availability = v.availabilityFor([entry({ uri: flat, suite: './', components: [] })], AMD64);
    assert.deepEqual(availability.indexIds, [1]);
    assert.equal(availability.versionsOf('agent', 'amd64')?.length, 1);
    assert.equal(availability.versionsOf('agent', 'arm64'), undefined);
    assert.equal(availability.versionsOf('agent-docs', 'all')?.[0].origin.release, '.');
  });

  it('drops catalog versions dpkg would reject', () => {
    const v = view([index(1, { packages: records('odd 1.0-1 amd64', 'odd 1: amd64', 'odd a:1.0 amd64', 'odd 1.1- amd64') })]);
    const versions = v.availabilityFor([entry()], AMD64).versionsOf('odd', 'amd64') ?? [];
    assert.deepEqual(versions.map((a) => a.version), ['1.0-1']);
  });

  it('merges spellings of one version that dpkg orders as equal', () => {
    const v = view([
      index(1, { packages: records('same 1.0 amd64', 'same 0:1.1 amd64') }),
      index(2, { dist: 'bookworm-updates', release: facts({ suite: 'oldstable-updates', codename: 'bookworm-updates' }), packages: records('same 1.0-0 amd64', 'same 1.1 amd64') }),
    ]);
    const versions = v.availabilityFor([entry(), entry({ suite: 'bookworm-updates' })], AMD64).versionsOf('same', 'amd64') ?? [];
    assert.equal(versions.length, 2);
    assert.deepEqual(versions.map((a) => a.suites), [['oldstable', 'oldstable-updates'], ['oldstable', 'oldstable-updates']]);
    assert.deepEqual(versions.map((a) => a.origins.map((o) => o.indexId)), [[1, 2], [1, 2]]);
    assert.equal(versions[1].fromUpdates, true);
  });

  it('shares one table between machines with the same source set and native architecture', () => {
    const v = view([index(1, { packages: records('bash 5.2.15-2+b8 amd64') }), index(2, { architecture: 'arm64' })]);
    const first = v.availabilityFor([entry()], AMD64);
    const sameSet = v.availabilityFor([entry({ file: '/etc/apt/sources.list.d/debian.sources' }), entry({ type: 'deb-src' })], AMD64);
    assert.equal(first, sameSet);
    const otherNative = v.availabilityFor([entry()], { native: 'arm64', foreign: [] });
    assert.notEqual(otherNative, first);
    assert.deepEqual(otherNative.indexIds, [2]);
  });

  it('rebuilds source sets evicted from a bounded cache with the same content', () => {
    const v = new CatalogView(
      {
        definitionVersion: 'v1',
        definitionDate: '2026-11-22T00:00:00Z',
        indexes: [index(1, { packages: records('bash 5.2.15-2+b8 amd64') }), index(2, { dist: 'bookworm-updates' })],
      },
      { maxCachedSourceSets: 1 },
    );
    const first = v.availabilityFor([entry()], AMD64);
    v.availabilityFor([entry({ suite: 'bookworm-updates' })], AMD64);
    const again = v.availabilityFor([entry()], AMD64);
    assert.notEqual(again, first);
    assert.deepEqual(again.versionsOf('bash', 'amd64')?.map((a) => a.version), ['5.2.15-2+b8']);
  });
});
