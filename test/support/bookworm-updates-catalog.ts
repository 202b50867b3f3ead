/**
 * The Debian bookworm-updates fixture (test/fixtures/apt/bookworm-updates) stored in a catalog
 * as a sync stores it, and the inventory of a bookworm machine whose sources name it.
 */
import { readFileSync } from 'node:fs';
import { xz } from '@napi-rs/lzma';
import { storeChangedReleases } from '../../src/catalog/catalog-store.js';
import { parsePackagesIndex } from '../../src/catalog/sources/apt-repo/packages-index.js';
import type { PatchwardenDb } from '../../src/db/database.js';
import type { InstalledPackage, Inventory } from '../../src/inventory/types.js';

/** The mirror the fixture release is stored under. */
export const BOOKWORM_UPDATES_URI = 'http://deb.debian.org/debian';

/** Stores the fixture's Release and amd64 Packages.xz as the catalog's bookworm-updates. */
export async function storeBookwormUpdatesRelease(db: PatchwardenDb): Promise<void> {
  const packages = parsePackagesIndex(await xz.decompress(readFileSync(new URL('../fixtures/apt/bookworm-updates/Packages.xz', import.meta.url))));
  await storeChangedReleases(db, [{
    uri: BOOKWORM_UPDATES_URI, dist: 'bookworm-updates',
    info: {
      origin: 'Debian', label: 'Debian', suite: 'oldstable-updates', codename: 'bookworm-updates', version: '', date: '2026-11-21T08:00:00.000Z',
      notAutomatic: false, butAutomaticUpgrades: false, acquireByHash: true, architectures: ['amd64'], components: ['main'], sha256: new Map(),
    },
    validators: { inReleaseSha256: 'fixture' },
    indexes: [{ component: 'main', architecture: 'amd64', path: 'main/binary-amd64/Packages.xz', sha256: 'fixture', packages }],
  }], '2026-11-21T08:00:00.000Z');
}

/** A Debian 12 machine `bookworm1` with these packages and bookworm-updates as its one source. */
export function bookwormMachineInventory(packages: InstalledPackage[]): Inventory {
  return {
    schemaVersion: 1, collectedAt: '2026-11-22T10:00:00Z', collector: 'ssh',
    host: { hostname: 'bookworm1', fqdn: 'bookworm1.example.org', domain: 'example.org' },
    os: { family: 'debian', id: 'debian', idLike: [], versionId: '12', versionCodename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
    kernel: { release: '6.1.0-41-amd64', version: '#1 SMP', machine: 'x86_64' }, architecture: 'amd64', foreignArchitectures: [],
    packages,
    aptSources: [{ type: 'deb', uri: BOOKWORM_UPDATES_URI, suite: 'bookworm-updates', components: ['main'], enabled: true, file: '/etc/apt/sources.list.d/debian.sources' }],
    reboot: { required: false, packages: [] },
  };
}
