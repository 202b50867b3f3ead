import { test } from 'node:test';
import assert from 'node:assert/strict';
import { migrateToLatest } from '../../src/db/migrate.js';
import { loadCatalogSnapshot, readCatalogDefinition, readReleaseValidators, storeChangedReleases, touchReleases, type ChangedRelease } from '../../src/catalog/catalog-store.js';
import type { AptPackageRecord } from '../../src/catalog/sources/apt-repo/types.js';
import { openTestStore, testStore } from '../support/test-database.js';

function release(suite: string, packages: AptPackageRecord[], sha: string): ChangedRelease {
  return {
    uri: 'http://mirror.example/debian', dist: suite,
    info: {
      origin: 'Debian', label: 'Debian', suite: suite === 'bookworm' ? 'oldstable' : 'oldstable-security', codename: suite,
      version: '12', date: '2026-07-11T10:16:37.000Z', notAutomatic: false, butAutomaticUpgrades: false, acquireByHash: true,
      architectures: ['amd64'], components: ['main'], sha256: new Map(),
    },
    validators: { inReleaseSha256: sha, etag: '"abc"', validUntil: '2030-01-01T00:00:00.000Z', indexSetDigest: 'd1' },
    indexes: [{ component: 'main', architecture: 'amd64', path: 'main/binary-amd64/Packages.xz', sha256: sha, packages }],
  };
}

function manyPackages(n: number, suffix: string): AptPackageRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    package: `pkg${i}`, version: `1.${i}-1${suffix}`, architecture: i % 3 === 0 ? 'all' : 'amd64',
    sourceName: `src${Math.floor(i / 2)}`, sourceVersion: `1.${i}-1`,
  }));
}

test(`the catalog store round-trips releases, replaces changed ones and bumps the definition (${testStore()})`, async (t) => {
  const { db } = await openTestStore(t, 'catalog');
  await migrateToLatest(db);
  assert.deepEqual(await readCatalogDefinition(db), { serial: 0, version: '1.0.0', date: '' });

  // Large enough to cross the insert batch sizes of both dialects.
  const first = await storeChangedReleases(db, [release('bookworm', manyPackages(30_001, ''), 'aa'), release('bookworm-security', manyPackages(3, '+deb12u1'), 'bb')], '2026-11-01T00:00:00.000Z');
  assert.equal(first.version, '1.0.1');
  assert.equal(first.date, '2026-11-01T00:00:00.000Z');
  let snapshot = await loadCatalogSnapshot(db);
  assert.equal(snapshot.definitionVersion, '1.0.1');
  assert.equal(snapshot.indexes.length, 2);
  const main = snapshot.indexes.find((i) => i.dist === 'bookworm')!;
  assert.equal(main.packages.length, 30_001);
  assert.deepEqual(main.packages.find((p) => p.package === 'pkg30000'),
    { package: 'pkg30000', version: '1.30000-1', architecture: 'all', sourceName: 'src15000', sourceVersion: '1.30000-1' });
  assert.equal(main.release.suite, 'oldstable');
  assert.equal(main.release.notAutomatic, false);

  // Validators keep every field the fetcher needs for conditional requests.
  const validators = await readReleaseValidators(db);
  assert.equal(validators.get('http://mirror.example/debian bookworm')?.validUntil, '2030-01-01T00:00:00.000Z');
  assert.equal(validators.get('http://mirror.example/debian bookworm')?.indexSetDigest, 'd1');

  // Nothing changed: no new definition.
  assert.equal((await storeChangedReleases(db, [], '2026-11-02T00:00:00.000Z')).version, '1.0.1');
  await touchReleases(db, [{ uri: 'http://mirror.example/debian', dist: 'bookworm', validators: { inReleaseSha256: 'aa', etag: '"new"' } }], '2026-11-02T00:00:00.000Z');
  assert.equal((await readReleaseValidators(db)).get('http://mirror.example/debian bookworm')?.etag, '"new"');

  // A changed security release replaces only its own packages.
  const second = await storeChangedReleases(db, [release('bookworm-security', manyPackages(5, '+deb12u2'), 'cc')], '2026-11-03T00:00:00.000Z');
  assert.equal(second.version, '1.0.2');
  snapshot = await loadCatalogSnapshot(db);
  const security = snapshot.indexes.find((i) => i.dist === 'bookworm-security')!;
  assert.equal(security.packages.length, 5);
  assert.ok(security.packages.every((p) => p.version.endsWith('+deb12u2')));
  assert.equal(snapshot.indexes.find((i) => i.dist === 'bookworm')!.packages.length, 30_001);
});
