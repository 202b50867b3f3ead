/**
 * How catalog writes refresh known patches (src/catalog/patch-catalog.ts), on both stores: a patch
 * is written only when something of it (its CVEs too) changes, so its `modifiedDate` is when it
 * last changed and its stored listing document stays current otherwise; a catalog sync replaces a
 * patch's packages, and a scan, which sees only its machine's packages, adds the ones it lacked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { migrateToLatest } from '../../src/db/migrate.js';
import { upsertPatches, type PatchCatalogEntry, type UpsertPatchesOptions } from '../../src/catalog/patch-catalog.js';
import { refreshPatchListingDocuments } from '../../src/scans/patch-listing-documents.js';
import { PATCH_WIRE_DOCUMENT } from '../../src/api/pm/patch-wire-document.js';
import { openTestStore, testStore } from '../support/test-database.js';

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;
type Package = { packageName: string; architecture: string };

function entry(id: string, packages: Package[], advisory?: { severity: PatchCatalogEntry['vendorSeverity']; cves: string[]; qids: number[] }): PatchCatalogEntry {
  return {
    id, title: `${id} security update`, bulletin: `DEB-${id}`, kb: `${id}_1`, vendor: 'Debian', patchType: 'SecurityPatch',
    vendorSeverity: advisory?.severity ?? 'None', release: 'bookworm', sourceName: id, sourceVersion: '1', packages,
    rebootRequired: packages.some((p) => p.packageName.startsWith('linux-image-')), publishedMs: T0,
    ...(advisory ? { advisory: { cves: advisory.cves, qids: advisory.qids } } : {}),
  };
}

test(`known patches are written only when they change; scans add packages, syncs replace them (${testStore()})`, { timeout: 120_000 }, async (t) => {
  const { db } = await openTestStore(t, 'catalog-upsert');
  await migrateToLatest(db);
  const upsert = (entries: PatchCatalogEntry[], now: number, options?: UpsertPatchesOptions) =>
    db.kysely.transaction().execute((trx) => upsertPatches(trx, entries, now, options));
  const read = async (id: string) => {
    const row = await db.kysely.selectFrom('patches').select(['modified_ms', 'package_details', 'architectures', 'reboot_required', 'vendor_severity'])
      .where('id', '=', id).executeTakeFirstOrThrow();
    const cves = (await db.kysely.selectFrom('patch_cves').select('cve').where('patch_id', '=', id).orderBy('cve').execute()).map((r) => r.cve);
    return { modified: Number(row.modified_ms), packages: JSON.parse(row.package_details) as Package[], architectures: JSON.parse(row.architectures) as string[],
      reboot: Number(row.reboot_required) !== 0, severity: row.vendor_severity, cves };
  };
  const stale = async () => (await db.kysely.selectFrom('patch_listing_documents').select('patch_id').where('head', 'is', null).orderBy('patch_id').execute())
    .map((r) => r.patch_id);

  const kernel = [{ packageName: 'linux-image-6.1.0-30-amd64', architecture: 'amd64' }, { packageName: 'linux-headers-6.1.0-30-amd64', architecture: 'amd64' }];
  const ssl = [{ packageName: 'libssl3', architecture: 'amd64' }, { packageName: 'openssl', architecture: 'amd64' }, { packageName: 'libssl3', architecture: 'i386' }];
  const advisory = { severity: 'Important' as const, cves: ['CVE-2026-0001', 'CVE-2026-0002'], qids: [7001] };
  await upsert([entry('linux', kernel), entry('openssl', ssl, advisory)], T0);
  assert.equal((await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT, { scope: 'all' })).built, 2);
  assert.deepEqual(await stale(), []);

  // The same catalog again, a day later: nothing is written, nothing goes stale.
  await upsert([entry('linux', kernel), entry('openssl', ssl, { ...advisory, cves: [...advisory.cves].reverse() })], T0 + DAY);
  assert.equal((await read('linux')).modified, T0);
  assert.equal((await read('openssl')).modified, T0);
  assert.deepEqual(await stale(), []);

  // A scan of a machine with only some of the packages: the patch keeps all of them, unwritten.
  await upsert([entry('openssl', [ssl[1]], advisory)], T0 + 2 * DAY, { packages: 'add', dialect: db.dialect });
  assert.deepEqual(await read('openssl'), { modified: T0, packages: ssl, architectures: ['amd64', 'i386'], reboot: false, severity: 'Important', cves: advisory.cves });
  assert.deepEqual(await stale(), []);

  // A scan of a machine with a package the patch lacked: added after the known ones, with its
  // architecture; a kernel image among them makes the patch need a reboot.
  const arm = { packageName: 'libssl3', architecture: 'arm64' };
  const image = { packageName: 'linux-image-6.1.0-30-cloud-amd64', architecture: 'amd64' };
  await upsert([entry('openssl', [arm, ssl[0]], advisory), entry('linux', [image])], T0 + 3 * DAY, { packages: 'add', dialect: db.dialect });
  assert.deepEqual(await read('openssl'), { modified: T0 + 3 * DAY, packages: [...ssl, arm], architectures: ['amd64', 'arm64', 'i386'], reboot: false, severity: 'Important', cves: advisory.cves });
  assert.deepEqual((await read('linux')).packages, [...kernel, image]);
  assert.deepEqual(await stale(), ['linux', 'openssl']);
  await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT, { scope: 'stale' });

  // A sync replaces the packages; a changed advisory changes the severity and the CVEs.
  await upsert([entry('openssl', ssl.slice(0, 2), { ...advisory, severity: 'Critical', cves: ['CVE-2026-0003'] }), entry('linux', kernel)], T0 + 4 * DAY);
  assert.deepEqual(await read('openssl'), { modified: T0 + 4 * DAY, packages: ssl.slice(0, 2), architectures: ['amd64'], reboot: false, severity: 'Critical', cves: ['CVE-2026-0003'] });
  assert.deepEqual(await read('linux'), { modified: T0 + 4 * DAY, packages: kernel, architectures: ['amd64'], reboot: true, severity: 'None', cves: [] });
  assert.deepEqual(await stale(), ['linux', 'openssl']);
  await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT, { scope: 'stale' });

  // Only the CVEs change: the patch is modified, its document goes stale.
  await upsert([entry('openssl', ssl.slice(0, 2), { ...advisory, severity: 'Critical', cves: ['CVE-2026-0003', 'CVE-2026-0004'] })], T0 + 5 * DAY);
  assert.deepEqual(await read('openssl'), { modified: T0 + 5 * DAY, packages: ssl.slice(0, 2), architectures: ['amd64'], reboot: false, severity: 'Critical', cves: ['CVE-2026-0003', 'CVE-2026-0004'] });
  assert.deepEqual(await stale(), ['openssl']);
});

test(`two scans adding different packages to one patch at once keep both (${testStore()})`, { timeout: 60_000 }, async (t) => {
  const { db } = await openTestStore(t, 'catalog-upsert-race');
  await migrateToLatest(db);
  const known = [{ packageName: 'zlib1g', architecture: 'amd64' }];
  await db.kysely.transaction().execute((trx) => upsertPatches(trx, [entry('zlib', known)], T0));
  const add = { packages: 'add', dialect: db.dialect } as const;
  const fromFirst = { packageName: 'zlib1g-dev', architecture: 'amd64' };
  const fromSecond = { packageName: 'zlib1g', architecture: 'arm64' };

  // The first scan has written its addition and not committed when the second one starts.
  let commitFirst!: () => void;
  let firstWritten!: () => void;
  const written = new Promise<void>((resolve) => { firstWritten = resolve; });
  const first = db.kysely.transaction().execute(async (trx) => {
    await upsertPatches(trx, [entry('zlib', [fromFirst])], T0 + DAY, add);
    firstWritten();
    await new Promise<void>((resolve) => { commitFirst = resolve; });
  });
  await written;
  const second = db.kysely.transaction().execute((trx) => upsertPatches(trx, [entry('zlib', [fromSecond])], T0 + 2 * DAY, add));
  await sleep(300);
  commitFirst();
  await Promise.all([first, second]);

  const row = await db.kysely.selectFrom('patches').select(['package_details', 'modified_ms']).where('id', '=', 'zlib').executeTakeFirstOrThrow();
  assert.deepEqual(JSON.parse(row.package_details), [...known, fromFirst, fromSecond]);
  assert.equal(Number(row.modified_ms), T0 + 2 * DAY);
});
