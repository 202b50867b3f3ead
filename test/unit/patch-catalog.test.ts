import { test } from 'node:test';
import assert from 'node:assert/strict';
import { patchEntriesFromSnapshot, patchEntryFromFinding } from '../../src/catalog/patch-catalog.js';
import type { CatalogIndex } from '../../src/catalog/catalog-snapshot.js';
import { patchIdOf } from '../../src/assess/patch-identity.js';

function index(id: number, dist: string, suite: string, packages: CatalogIndex['packages']): CatalogIndex {
  return {
    id, uri: 'http://deb.debian.org/debian', dist, component: 'main', architecture: 'amd64', packages,
    release: { origin: 'Debian', label: 'Debian', suite, codename: dist, notAutomatic: false, butAutomaticUpgrades: false },
  };
}

test('security and updates suites publish patches; the release suite does not', () => {
  const entries = patchEntriesFromSnapshot({
    definitionVersion: '1.0.1', definitionDate: '', indexes: [
      index(1, 'bookworm', 'oldstable', [{ package: 'openssl', version: '3.0.15-1~deb12u1', architecture: 'amd64', sourceName: 'openssl', sourceVersion: '3.0.15-1~deb12u1' }]),
      index(2, 'bookworm-security', 'oldstable-security', [
        { package: 'openssl', version: '3.0.17-1~deb12u2', architecture: 'amd64', sourceName: 'openssl', sourceVersion: '3.0.17-1~deb12u2' },
        { package: 'libssl3', version: '3.0.17-1~deb12u2', architecture: 'amd64', sourceName: 'openssl', sourceVersion: '3.0.17-1~deb12u2' },
        { package: 'linux-image-6.1.0-40-amd64', version: '6.1.153-1', architecture: 'amd64', sourceName: 'linux-signed-amd64', sourceVersion: '6.1.153+1' },
      ]),
      index(3, 'bookworm-updates', 'oldstable-updates', [{ package: 'tzdata', version: '2026f-0+deb12u1', architecture: 'all', sourceName: 'tzdata', sourceVersion: '2026f-0+deb12u1' }]),
    ],
  }, 1_000);
  assert.equal(entries.length, 3, 'one patch per source version of the security and updates suites');
  const openssl = entries.find((e) => e.sourceName === 'openssl')!;
  assert.equal(openssl.id, patchIdOf({ release: 'bookworm', sourceName: 'openssl', sourceVersion: '3.0.17-1~deb12u2' }),
    'the id is the one scans give the same update, whatever pocket it came from');
  assert.equal(openssl.patchType, 'SecurityPatch');
  assert.deepEqual(openssl.packages.map((p) => p.packageName).sort(), ['libssl3', 'openssl']);
  assert.equal(openssl.rebootRequired, false);
  assert.equal(entries.find((e) => e.sourceName === 'linux-signed-amd64')!.rebootRequired, true);
  const tzdata = entries.find((e) => e.sourceName === 'tzdata')!;
  assert.equal(tzdata.patchType, 'NonSecurityPatch');
  assert.equal(tzdata.release, 'bookworm');
});

test('a finding becomes a catalog entry with its packages and kb', () => {
  const entry = patchEntryFromFinding({
    patchId: 'p', bulletinId: 'DEB-bookworm-zlib-1:1.2.13.dfsg-1+deb12u1', title: 't', release: 'bookworm', sourceName: 'zlib',
    sourceVersion: '1:1.2.13.dfsg-1+deb12u1', patchType: 'NonSecurityPatch', vendorSeverity: 'None', cves: [], state: 'Missing',
    packages: [{ name: 'zlib1g', architecture: 'amd64', installedVersion: '1:1.2.13.dfsg-1', candidateVersion: '1:1.2.13.dfsg-1+deb12u1', suites: ['oldstable'] }],
  }, 'Debian', 5);
  assert.equal(entry.kb, 'zlib_1:1.2.13.dfsg-1+deb12u1');
  assert.deepEqual(entry.packages, [{ packageName: 'zlib1g', architecture: 'amd64' }]);
  assert.equal(entry.publishedMs, 5);
});
