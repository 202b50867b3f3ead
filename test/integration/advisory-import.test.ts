/**
 * Advisory imports into a real store: OSV from a directory, a zip dump, a JSON file and an
 * http URL; updateinfo from files (.gz, .xz) and from an RPM repository on a local HTTP
 * server. Incremental re-import, stable QIDs, one definition bump per import that changed
 * something, and advisories flowing into a real bookworm machine's findings and the patch
 * catalog's CVEs and QIDs.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { xz } from '@napi-rs/lzma';
import { pino } from 'pino';
import { assessInventory } from '../../src/assess/assess-inventory.js';
import { patchIdOf } from '../../src/assess/patch-identity.js';
import { importOsvAdvisories, importUpdateinfoAdvisories } from '../../src/catalog/advisory-imports.js';
import { ADVISORY_QID_BASE, advisoryQids, loadAdvisoryFixes } from '../../src/catalog/advisory-store.js';
import { CatalogService } from '../../src/catalog/catalog-service.js';
import { readCatalogDefinition } from '../../src/catalog/catalog-store.js';
import { patchEntryFromFinding, upsertPatches } from '../../src/catalog/patch-catalog.js';
import { PatchCatalogQueries } from '../../src/catalog/patch-catalog-queries.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { InstalledPackage } from '../../src/inventory/types.js';
import {
  almaAlsa, alpineCve, debianCve, debianDla, debianDsa, debianDtsa, rockyRlsa, ubuntuUsnNew, ubuntuUsnOld, updateinfoXml, type UpdateinfoUpdate,
} from '../support/advisory-records.js';
import { bookwormMachineInventory, storeBookwormUpdatesRelease } from '../support/bookworm-updates-catalog.js';
import { openTestStore, testStore } from '../support/test-database.js';

const STORE = testStore();
const work = mkdtempSync(join(tmpdir(), 'patchwarden-advisories-'));
const files = new Map<string, Buffer>();
let server: Server;
let baseUrl = '';

function allPublisherRecords(): Array<Record<string, unknown>> {
  return [
    debianDsa('DSA-5912-1', 'openssh', '1:9.2p1-2+deb12u6', ['CVE-2026-11111']),
    debianDla('DLA-4100-1', 'openssl', '3.0.17-1~deb12u1', ['CVE-2026-20001']),
    debianDtsa('DTSA-120-1', 'curl', '8.14.1-2', ['CVE-2026-30001']),
    debianCve('CVE-2026-11112', 'openssh', { 11: null, 12: '1:9.2p1-2+deb12u6' }, 'high'),
    ubuntuUsnNew('USN-7400-1', 'openssl', '22.04', '3.0.2-0ubuntu1.19', ['libssl3', 'openssl'], ['CVE-2026-20001']),
    ubuntuUsnOld('USN-5200-1', 'openssl', '20.04', '1.1.1f-1ubuntu2.10', ['libssl1.1'], ['CVE-2021-99999']),
    almaAlsa('ALSA-2026:1234', '9', ['openssl', 'openssl-libs'], '1:3.0.7-28.el9_4', ['CVE-2026-40001']),
    rockyRlsa('RLSA-2026:2001', '9', 'openssl', '3.0.7-28.el9_4', '1', ['CVE-2026-40001'], 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N'),
    alpineCve('CVE-2026-50001', '3.19', 'openssl', '3.1.7-r1'),
    { id: 'GHSA-aaaa-bbbb-cccc', modified: '2026-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: 'left-pad' } }] },
  ];
}

function writeDirectory(dir: string, records: Array<Record<string, unknown>>): void {
  mkdirSync(join(dir, 'nested'), { recursive: true });
  records.forEach((record, i) => writeFileSync(join(dir, i % 2 ? 'nested' : '', `${String(record.id).replace(':', '_')}.json`), JSON.stringify(record)));
  writeFileSync(join(dir, 'README.txt'), 'not a record');
}

/** A zip written by Python's zipfile, as OSV dumps are ordinary deflated zips. */
function writeZip(path: string, dir: string): void {
  execFileSync('python3', ['-c', `
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    for root, _, names in os.walk(sys.argv[2]):
        for name in sorted(names):
            if name.endswith('.json'):
                z.write(os.path.join(root, name), name)
`, path, dir]);
}

const UPDATES: UpdateinfoUpdate[] = [
  {
    id: 'ALSA-2026:1400', title: 'Important: kernel security update', severity: 'Important', cves: ['CVE-2026-41001', 'CVE-2026-41002'],
    issued: '2026-04-01 00:00:00', updated: '2026-04-02 10:00:00',
    packages: [
      { name: 'kernel', version: '5.14.0', release: '427.20.1.el9_4', arch: 'x86_64' },
      { name: 'kernel-core', epoch: '0', version: '5.14.0', release: '427.20.1.el9_4', arch: 'x86_64' },
      { name: 'kernel', version: '5.14.0', release: '427.20.1.el9_4', arch: 'src' },
    ],
  },
  {
    id: 'ALSA-2026:1401', title: 'Moderate: tar security update', severity: 'Moderate', cves: ['CVE-2026-41003'], issued: '1743465600',
    packages: [{ name: 'tar', epoch: '2', version: '1.34', release: '7.el9', arch: 'x86_64' }],
  },
  { id: 'ALBA-2026:1402', type: 'bugfix', title: 'bash bug fix update', cves: [], issued: '2026-04-03 00:00:00', packages: [{ name: 'bash', version: '5.1.8', release: '10.el9', arch: 'x86_64' }] },
];

before(async () => {
  const xml = updateinfoXml(UPDATES);
  const compressed = await xz.compress(Buffer.from(xml));
  const checksum = createHash('sha256').update(compressed).digest('hex');
  files.set('/alma/repodata/abc-updateinfo.xml.xz', compressed);
  files.set('/alma/repodata/repomd.xml', Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1743465600</revision>
  <data type="primary"><checksum type="sha256">${'0'.repeat(64)}</checksum><location href="repodata/abc-primary.xml.gz"/></data>
  <data type="updateinfo"><checksum type="sha256">${checksum}</checksum><open-checksum type="sha256">${'1'.repeat(64)}</open-checksum><location href="repodata/abc-updateinfo.xml.xz"/><size>${compressed.length}</size></data>
</repomd>`));
  files.set('/tampered/repodata/repomd.xml', files.get('/alma/repodata/repomd.xml')!);
  files.set('/tampered/repodata/abc-updateinfo.xml.xz', await xz.compress(Buffer.from(xml.replace('ALSA-2026:1401', 'ALSA-2026:9999'))));
  files.set('/noerrata/repodata/repomd.xml', Buffer.from('<repomd><data type="primary"><location href="repodata/p.xml.gz"/></data></repomd>'));
  writeFileSync(join(work, 'updateinfo.xml.gz'), gzipSync(xml));
  writeFileSync(join(work, 'updateinfo.xml.xz'), compressed);
  writeFileSync(join(work, 'updateinfo.xml.zst'), Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]));

  writeDirectory(join(work, 'osv'), allPublisherRecords());
  writeZip(join(work, 'all.zip'), join(work, 'osv'));
  files.set('/osv/Debian/all.zip', readFileSync(join(work, 'all.zip')));
  server = createServer((req, res) => {
    const body = files.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(work, { recursive: true, force: true });
});

describe(`OSV import (${STORE})`, () => {
  for (const kind of ['directory', 'zip', 'url'] as const) {
    it(`imports every publisher's records from a ${kind}`, async (t) => {
      const { db } = await openTestStore(t, 'osv');
      await migrateToLatest(db);
      const location = kind === 'directory' ? join(work, 'osv') : kind === 'zip' ? join(work, 'all.zip') : `${baseUrl}/osv/Debian/all.zip`;
      const summary = await importOsvAdvisories(db, location, { batchSize: 3 });
      assert.equal(summary.read, 10);
      assert.equal(summary.added, 9);
      assert.equal(summary.ignored, 1, 'the npm record');
      assert.equal(summary.invalid, 0);
      assert.equal(summary.definition?.version, '1.0.1');

      const fixes = await loadAdvisoryFixes(db, [{ distro: 'debian', release: 'bookworm' }]);
      assert.deepEqual(fixes.map((f) => `${f.advisoryId} ${f.packageName} ${f.fixedVersion}`).sort(),
        ['DEBIAN-CVE-2026-11112 openssh 1:9.2p1-2+deb12u6', 'DLA-4100-1 openssl 3.0.17-1~deb12u1', 'DSA-5912-1 openssh 1:9.2p1-2+deb12u6']);
      const rocky = await loadAdvisoryFixes(db, [{ distro: 'rocky', release: '9' }]);
      assert.equal(rocky[0].fixedVersion, '1:3.0.7-28.el9_4');
      assert.equal(rocky[0].severity, 'Important');
      const jammy = await loadAdvisoryFixes(db, [{ distro: 'ubuntu', release: 'jammy' }]);
      assert.deepEqual(jammy[0].binaries, ['libssl3', 'openssl']);
      const focal = await loadAdvisoryFixes(db, [{ distro: 'ubuntu', release: 'focal' }]);
      assert.deepEqual(focal[0].binaries, ['libssl1.1']);

      // Every advisory is a vulnerability with its own QID and CVEs.
      const qids = await advisoryQids(db, ['DSA-5912-1', 'ALSA-2026:1234']);
      assert.ok(qids.get('DSA-5912-1')! > ADVISORY_QID_BASE);
      const [vulnerability] = await new PatchCatalogQueries(db).vulnerabilitiesByQid([qids.get('ALSA-2026:1234')!]);
      assert.deepEqual(vulnerability.cves, ['CVE-2026-40001']);
      assert.equal(vulnerability.severity, 4, 'Important is QID severity 4');
    });
  }

  it('re-imports idempotently, keeps QIDs, and replaces only records with a newer modified date', async (t) => {
    const { db } = await openTestStore(t, 'osv-again');
    await migrateToLatest(db);
    await importOsvAdvisories(db, join(work, 'osv'));
    const ids = ['DSA-5912-1', 'DLA-4100-1', 'USN-7400-1', 'ALSA-2026:1234', 'RLSA-2026:2001', 'ALPINE-CVE-2026-50001'];
    const before = await advisoryQids(db, ids);
    assert.equal(new Set(before.values()).size, ids.length, 'distinct QIDs');

    const again = await importOsvAdvisories(db, join(work, 'all.zip'));
    assert.deepEqual([again.added, again.updated, again.unchanged], [0, 0, 9]);
    assert.equal(again.definition, undefined, 'nothing changed: no new definition');
    assert.equal((await readCatalogDefinition(db)).version, '1.0.1');
    assert.deepEqual(await advisoryQids(db, ids), before);

    // A revised DSA (new fix, later modified) and a stale copy of the DLA (older modified).
    const dir = join(work, 'revised');
    const revised = debianDsa('DSA-5912-1', 'openssh', '1:9.2p1-2+deb12u7', ['CVE-2026-11111', 'CVE-2026-11113'], '2026-05-01T00:00:00Z');
    const stale = { ...debianDla('DLA-4100-1', 'openssl', '3.0.9-9', []), modified: '2020-01-01T00:00:00Z' };
    const brandNew = debianDsa('DSA-6000-1', 'samba', '2:4.17.12+dfsg-0+deb12u2', ['CVE-2026-60001']);
    writeDirectory(dir, [revised, stale, brandNew]);
    const third = await importOsvAdvisories(db, dir);
    assert.deepEqual([third.added, third.updated, third.unchanged], [1, 1, 1]);
    assert.equal(third.definition?.version, '1.0.2');
    const after = await advisoryQids(db, [...ids, 'DSA-6000-1']);
    for (const id of ids) assert.equal(after.get(id), before.get(id), `${id} keeps its QID`);
    assert.ok(after.get('DSA-6000-1')! > Math.max(...before.values()));
    const fixes = await loadAdvisoryFixes(db, [{ distro: 'debian', release: 'bookworm' }]);
    assert.deepEqual(fixes.filter((f) => f.advisoryId === 'DSA-5912-1').map((f) => f.fixedVersion), ['1:9.2p1-2+deb12u7']);
    assert.deepEqual(fixes.find((f) => f.advisoryId === 'DSA-5912-1')!.cves, ['CVE-2026-11111', 'CVE-2026-11113']);
    assert.deepEqual(fixes.filter((f) => f.advisoryId === 'DLA-4100-1').map((f) => f.fixedVersion), ['3.0.17-1~deb12u1'], 'the stale copy changed nothing');
    const [vulnerability] = await new PatchCatalogQueries(db).vulnerabilitiesByQid([before.get('DSA-5912-1')!]);
    assert.deepEqual(vulnerability.cves, ['CVE-2026-11111', 'CVE-2026-11113']);
  });

  it('reports broken records and unreadable locations clearly, keeping what was stored', async (t) => {
    const { db } = await openTestStore(t, 'osv-bad');
    await migrateToLatest(db);
    const dir = join(work, 'broken');
    writeDirectory(dir, [debianDsa('DSA-5912-1', 'openssh', '1:9.2p1-2+deb12u6', []), { affected: [] }]);
    const summary = await importOsvAdvisories(db, dir);
    assert.equal(summary.added, 1);
    assert.equal(summary.invalid, 1);
    assert.match(summary.errors[0], /needs a string "id"/);
    writeFileSync(join(dir, 'truncated.json'), '{"id": "DSA-1');
    await assert.rejects(importOsvAdvisories(db, dir), /truncated\.json is not valid JSON/);
    await assert.rejects(importOsvAdvisories(db, join(work, 'missing.zip')), /missing\.zip cannot be read: ENOENT/);
    await assert.rejects(importOsvAdvisories(db, `${baseUrl}/osv/Nothing/all.zip`), /HTTP 404/);
    writeFileSync(join(work, 'damaged.zip'), Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(64)]));
    await assert.rejects(importOsvAdvisories(db, join(work, 'damaged.zip')), /not a readable zip file/);
    assert.equal((await advisoryQids(db, ['DSA-5912-1'])).size, 1);
  });
});

describe(`updateinfo import (${STORE})`, () => {
  it('imports security errata from .gz and .xz files, epochs missing or 0, skipping other update types', async (t) => {
    const { db } = await openTestStore(t, 'updateinfo');
    await migrateToLatest(db);
    const summary = await importUpdateinfoAdvisories(db, join(work, 'updateinfo.xml.gz'));
    assert.deepEqual([summary.added, summary.ignored, summary.invalid], [2, 1, 0]);
    const fixes = await loadAdvisoryFixes(db, [{ distro: 'almalinux', release: '9' }]);
    assert.deepEqual(fixes.map((f) => `${f.advisoryId} ${f.packageName}.${f.architecture} ${f.fixedVersion} ${f.severity}`).sort(), [
      'ALSA-2026:1400 kernel-core.x86_64 5.14.0-427.20.1.el9_4 Important',
      'ALSA-2026:1400 kernel.x86_64 5.14.0-427.20.1.el9_4 Important',
      'ALSA-2026:1401 tar.x86_64 2:1.34-7.el9 Moderate',
    ]);
    assert.deepEqual(fixes.find((f) => f.advisoryId === 'ALSA-2026:1400')!.cves, ['CVE-2026-41001', 'CVE-2026-41002']);
    const xzSummary = await importUpdateinfoAdvisories(db, join(work, 'updateinfo.xml.xz'));
    assert.deepEqual([xzSummary.added, xzSummary.unchanged], [0, 2]);
    await assert.rejects(importUpdateinfoAdvisories(db, join(work, 'updateinfo.xml.zst')), /zstd-compressed, which is not supported/);
  });

  it('imports from a repository through repodata/repomd.xml, checking the checksum', async (t) => {
    const { db } = await openTestStore(t, 'updateinfo-repo');
    await migrateToLatest(db);
    const summary = await importUpdateinfoAdvisories(db, `${baseUrl}/alma/`, { ecosystem: 'AlmaLinux:9' });
    assert.deepEqual([summary.added, summary.ignored], [2, 1]);
    assert.equal(summary.definition?.version, '1.0.1');
    assert.equal((await loadAdvisoryFixes(db, [{ distro: 'almalinux', release: '9' }])).length, 3);
    await assert.rejects(importUpdateinfoAdvisories(db, `${baseUrl}/tampered`), /does not match repomd\.xml/);
    await assert.rejects(importUpdateinfoAdvisories(db, `${baseUrl}/noerrata`), /lists no updateinfo/);
    await assert.rejects(importUpdateinfoAdvisories(db, `${baseUrl}/nothing`), /HTTP 404/);
    await assert.rejects(importUpdateinfoAdvisories(db, `${baseUrl}/alma`, { ecosystem: 'Windows:11' }), /unknown release "Windows:11"/);
    assert.equal((await advisoryQids(db, ['ALSA-2026:9999'])).size, 0, 'nothing from the tampered file');
  });
});

function installed(name: string, version: string, sourceName = name, sourceVersion = version): InstalledPackage {
  return { name, architecture: 'amd64', version, status: 'ii ', sourceName, sourceVersion };
}

describe(`a Debian bookworm machine with advisories imported (${STORE})`, () => {
  it('gets DSA/DLA bulletin ids and CVEs on its findings, and the patch catalog their CVEs and QIDs', async (t) => {
    const { db } = await openTestStore(t, 'bookworm-advisories');
    await migrateToLatest(db);
    await storeBookwormUpdatesRelease(db);
    const dir = join(work, 'bookworm');
    writeDirectory(dir, [
      debianDsa('DSA-5912-1', 'openssh', '1:9.2p1-2+deb12u6', ['CVE-2026-11111']),
      debianCve('CVE-2026-11112', 'openssh', { 12: '1:9.2p1-2+deb12u6' }, 'high'),
      debianDsa('DSA-5800-1', 'openssl', '3.0.16-1~deb12u1', ['CVE-2026-20002']),
      debianDla('DLA-4100-1', 'openssl', '3.0.17-1~deb12u1', ['CVE-2026-20001']),
      debianDla('DLA-3999-1', 'samba', '2:4.17.12+dfsg-0+deb11u1', ['CVE-2026-60002'], '11'),
      ubuntuUsnNew('USN-7400-1', 'openssl', '22.04', '3.0.17-0ubuntu1', ['libssl3'], ['CVE-2026-29999']),
    ]);
    await importOsvAdvisories(db, dir);

    const inventory = bookwormMachineInventory([
      installed('openssh-client', '1:9.2p1-2+deb12u5', 'openssh'), installed('openssh-server', '1:9.2p1-2+deb12u5', 'openssh'),
      installed('libssl3', '3.0.15-1~deb12u1', 'openssl'), installed('openssl', '3.0.15-1~deb12u1'),
      installed('samba-libs', '2:4.17.12+dfsg-0+deb12u1', 'samba'), installed('tzdata', '2025b-0+deb12u1'),
    ]);
    const catalog = new CatalogService(db, pino({ level: 'silent' }));
    catalog.noteAdvisoryRelease(inventory);
    const view = await catalog.currentView();
    const assessment = assessInventory(inventory, view);
    const summary = assessment.patches.map((p) => `${p.bulletinId} ${p.state} ${p.patchType} ${p.vendorSeverity} [${p.cves.join(' ')}]`);
    assert.deepEqual(summary, [
      'DEB-bookworm-samba-2:4.17.12+dfsg-0+deb12u2 Missing NonSecurityPatch None []',
      'DEB-bookworm-tzdata-2025b-0+deb12u1 Installed NonSecurityPatch None []',
      'DLA-4100-1 Missing SecurityPatch None [CVE-2026-20001 CVE-2026-20002]',
      'DSA-5912-1 Missing SecurityPatch Important [CVE-2026-11111 CVE-2026-11112]',
    ]);
    const openssh = assessment.patches.find((p) => p.bulletinId === 'DSA-5912-1')!;
    assert.equal(openssh.patchId, patchIdOf({ release: 'bookworm', sourceName: 'openssh', sourceVersion: '1:9.2p1-2+deb12u7' }));
    assert.deepEqual(openssh.packages.map((p) => `${p.name} ${p.candidateVersion}`), ['openssh-client 1:9.2p1-2+deb12u7', 'openssh-server 1:9.2p1-2+deb12u7']);

    // What a scan folds into the catalog: the PM API reads CVEs and QIDs from there.
    const nowMs = Date.parse('2026-11-22T10:00:00Z');
    await db.kysely.transaction().execute((trx) => upsertPatches(trx, assessment.patches.map((p) => patchEntryFromFinding(p, 'Debian', nowMs)), nowMs));
    const queries = new PatchCatalogQueries(db);
    const [patch] = await queries.patchesById([openssh.patchId]);
    assert.equal(patch.bulletin, 'DSA-5912-1');
    assert.deepEqual(patch.cves, ['CVE-2026-11111', 'CVE-2026-11112']);
    const qids = await advisoryQids(db, ['DSA-5912-1', 'DEBIAN-CVE-2026-11112']);
    assert.deepEqual(patch.qids, [...qids.values()].sort((a, b) => a - b));
    const vulnerabilities = await queries.vulnerabilitiesByQid(patch.qids);
    assert.deepEqual(vulnerabilities.flatMap((v) => v.cves).sort(), ['CVE-2026-11111', 'CVE-2026-11112']);

    // A later import is picked up by the next view (new definition), without a restart.
    const dir2 = join(work, 'bookworm-samba');
    writeDirectory(dir2, [debianDsa('DSA-6000-1', 'samba', '2:4.17.12+dfsg-0+deb12u2', ['CVE-2026-60001'])]);
    await importOsvAdvisories(db, dir2);
    const next = assessInventory(inventory, await catalog.currentView());
    assert.ok(next.patches.some((p) => p.bulletinId === 'DSA-6000-1' && p.sourceName === 'samba' && p.cves.includes('CVE-2026-60001')));
  });
});
