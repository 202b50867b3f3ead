import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { advisoryPatchIdOf } from '../../src/assess/advisory-matching.js';
import { assessInventory } from '../../src/assess/assess-inventory.js';
import { patchIdOf } from '../../src/assess/patch-identity.js';
import type { PatchFinding } from '../../src/assess/types.js';
import type { Advisory } from '../../src/catalog/advisory.js';
import type { StoredAdvisoryFix } from '../../src/catalog/advisory-store.js';
import type { CatalogIndex } from '../../src/catalog/catalog-snapshot.js';
import { CatalogView } from '../../src/catalog/catalog-view.js';
import { advisoryFromOsvRecord } from '../../src/catalog/sources/osv/osv-record.js';
import { UpdateinfoParser } from '../../src/catalog/sources/updateinfo/updateinfo-parser.js';
import type { InstalledPackage, Inventory } from '../../src/inventory/types.js';
import {
  almaAlsa, alpineCve, debianCve, debianDla, debianDsa, rockyRlsa, ubuntuUsnNew, ubuntuUsnOld, updateinfoXml,
} from '../support/advisory-records.js';

let nextQid = 50_000_001;

function stored(advisory: Advisory): StoredAdvisoryFix[] {
  const qid = nextQid++;
  return advisory.fixes.map((f) => ({
    advisoryId: advisory.id, qid, publisher: advisory.publisher, title: advisory.title, severity: advisory.severity, cves: advisory.cves,
    distro: f.distro, release: f.release, packageName: f.packageName, nameKind: f.nameKind, architecture: f.architecture,
    fixedVersion: f.fixedVersion, binaries: f.binaries,
  }));
}

function osv(record: Record<string, unknown>): Advisory {
  return advisoryFromOsvRecord(record)!;
}

/** A view of one apt index (`name version arch source sourceVersion` records) plus advisories. */
function view(distro: string, codename: string, records: string[], pocket: 'security' | 'updates', advisories: Advisory[], indexRelease = codename): CatalogView {
  const index: CatalogIndex = {
    id: 1, uri: 'http://archive.example/debian', dist: `${indexRelease}-${pocket}`, component: 'main', architecture: 'amd64',
    release: { origin: 'Debian', label: 'Debian', suite: `${indexRelease}-${pocket}`, codename: `${indexRelease}-${pocket}`, notAutomatic: false, butAutomaticUpgrades: false },
    packages: records.map((spec) => {
      const [pkg, version, architecture, sourceName = pkg, sourceVersion = version] = spec.split(' ');
      return { package: pkg, version, architecture, sourceName, sourceVersion };
    }),
  };
  const catalog = new CatalogView({ definitionVersion: '1.0.1', definitionDate: '2026-11-22T00:00:00Z', indexes: [index] });
  const fixes = advisories.flatMap(stored);
  const releases = new Set(fixes.map((f) => `${f.distro}\u0000${f.release}`));
  for (const key of releases) {
    const [d, r] = key.split('\u0000');
    catalog.advisories.set(d, r, fixes.filter((f) => f.distro === d && f.release === r));
  }
  if (!catalog.advisories.has(distro, codename)) catalog.advisories.set(distro, codename, []);
  return catalog;
}

function machine(family: Inventory['os']['family'], id: string, versionId: string, codename: string, packages: InstalledPackage[], suite = ''): Inventory {
  return {
    schemaVersion: 1, collectedAt: '2026-11-22T10:00:00Z', collector: 'ssh',
    host: { hostname: 'h1', fqdn: 'h1.example.org', domain: 'example.org' },
    os: { family, id, idLike: [], versionId, versionCodename: codename, prettyName: `${id} ${versionId}` },
    kernel: { release: '6.1.0-41-amd64', version: '#1', machine: 'x86_64' },
    architecture: family === 'debian' ? 'amd64' : 'x86_64', foreignArchitectures: [], packages,
    aptSources: suite ? [{ type: 'deb', uri: 'http://archive.example/debian', suite, components: ['main'], enabled: true, file: '/etc/apt/sources.list' }] : [],
    reboot: { required: false, packages: [] },
  };
}

function deb(name: string, version: string, sourceName = name, sourceVersion = version): InstalledPackage {
  return { name, architecture: 'amd64', version, status: 'ii ', sourceName, sourceVersion };
}

function rpm(name: string, evr: string, sourceName: string, arch = 'x86_64'): InstalledPackage {
  return { name, architecture: arch, version: evr, status: '', sourceName, sourceVersion: evr.replace(/^\d+:/, '') };
}

function byBulletin(patches: PatchFinding[], id: string): PatchFinding {
  const found = patches.find((p) => p.bulletinId === id);
  assert.ok(found, `no finding ${id} in ${patches.map((p) => p.bulletinId).join(', ')}`);
  return found;
}

describe('advisories on Debian-family findings', () => {
  const records = [
    'openssh-client 1:9.2p1-2+deb12u7 amd64 openssh', 'openssh-server 1:9.2p1-2+deb12u7 amd64 openssh',
    'libssl3 3.0.17-1~deb12u2 amd64 openssl', 'tzdata 2025b-0+deb12u1 all',
  ];

  it('takes the bulletin, severity, CVEs and QIDs of the advisory with the highest fixed version the candidate satisfies', () => {
    const advisories = [
      osv(debianDsa('DSA-5912-1', 'openssh', '1:9.2p1-2+deb12u6', ['CVE-2026-11111'])),
      osv(debianCve('CVE-2026-11112', 'openssh', { 12: '1:9.2p1-2+deb12u6' }, 'high')),
      osv(debianDsa('DSA-5700-1', 'openssh', '1:9.2p1-2+deb12u3', ['CVE-2025-99999'])), // already installed
      osv(debianDla('DLA-4200-1', 'openssh', '1:9.2p1-2+deb12u8', ['CVE-2026-11199'])), // the candidate does not fix it
      osv(debianDla('DLA-3999-1', 'openssh', '1:9.2p1-2+deb11u6', ['CVE-2026-11198'], '11')), // another release
      osv(debianDsa('DSA-5800-1', 'openssl', '3.0.16-1~deb12u1', ['CVE-2026-20002'])),
      osv(debianDla('DLA-4100-1', 'openssl', '3.0.17-1~deb12u1', ['CVE-2026-20001'])),
    ];
    const inventory = machine('debian', 'debian', '12', 'bookworm', [
      deb('openssh-client', '1:9.2p1-2+deb12u5', 'openssh'), deb('openssh-server', '1:9.2p1-2+deb12u5', 'openssh'),
      deb('libssl3', '3.0.15-1~deb12u1', 'openssl'), deb('tzdata', '2025b-0+deb12u1'),
    ], 'bookworm-updates');
    const result = assessInventory(inventory, view('debian', 'bookworm', records, 'updates', advisories));

    const openssh = byBulletin(result.patches, 'DSA-5912-1');
    assert.equal(openssh.patchId, patchIdOf({ release: 'bookworm', sourceName: 'openssh', sourceVersion: '1:9.2p1-2+deb12u7' }), 'the patch id stays the apt one');
    assert.equal(openssh.patchType, 'SecurityPatch', 'an updates-pocket patch becomes a security patch');
    assert.equal(openssh.vendorSeverity, 'Important', 'the DSA states no severity: the DEBIAN-CVE urgency at the same fix is used');
    assert.deepEqual(openssh.cves, ['CVE-2026-11111', 'CVE-2026-11112']);
    assert.equal(openssh.qids?.length, 2);
    assert.equal(openssh.title, 'openssh 1:9.2p1-2+deb12u7 security update for bookworm');

    const openssl = byBulletin(result.patches, 'DLA-4100-1');
    assert.deepEqual(openssl.cves, ['CVE-2026-20001', 'CVE-2026-20002'], 'CVEs of every qualifying advisory');
    const tzdata = result.patches.find((p) => p.sourceName === 'tzdata')!;
    assert.equal(tzdata.bulletinId, 'DEB-bookworm-tzdata-2025b-0+deb12u1');
    assert.equal(tzdata.patchType, 'NonSecurityPatch');
    assert.equal(tzdata.qids, undefined);
  });

  it('compares epochs: a fix written without the epoch is older than every epoch-1 version', () => {
    const noEpoch = osv(debianDsa('DSA-5913-1', 'openssh', '9.2p1-2+deb12u6', ['CVE-2026-11120']));
    const inventory = machine('debian', 'debian', '12', 'bookworm', [deb('openssh-client', '1:9.2p1-2+deb12u5', 'openssh')], 'bookworm-updates');
    const result = assessInventory(inventory, view('debian', 'bookworm', records, 'updates', [noEpoch]));
    assert.equal(result.patches[0].bulletinId, 'DEB-bookworm-openssh-1:9.2p1-2+deb12u7');
    assert.equal(result.patches[0].state, 'Missing');
  });

  it('names an installed patch after the advisory fixing exactly its version when nothing lower is offered', () => {
    const inventory = machine('debian', 'debian', '12', 'bookworm', [deb('tzdata', '2025b-0+deb12u1')], 'bookworm-updates');
    const exact = assessInventory(inventory, view('debian', 'bookworm', records, 'updates', [osv(debianDla('DLA-4300-1', 'tzdata', '2025b-0+deb12u1', []))]));
    assert.equal(exact.patches[0].state, 'Installed');
    assert.equal(exact.patches[0].bulletinId, 'DLA-4300-1');
    const older = assessInventory(inventory, view('debian', 'bookworm', records, 'updates', [osv(debianDla('DLA-4000-1', 'tzdata', '2024a-0+deb12u1', []))]));
    assert.equal(older.patches[0].bulletinId, 'DEB-bookworm-tzdata-2025b-0+deb12u1', 'an old advisory is not pinned on a later update');
  });

  it('Ubuntu: the binaries list must name one of the patch packages (both shapes)', () => {
    const ubuntuRecords = ['libssl3 3.0.2-0ubuntu1.19 amd64 openssl'];
    const inventory = machine('debian', 'ubuntu', '22.04', 'jammy', [deb('libssl3', '3.0.2-0ubuntu1.15', 'openssl')], 'jammy-security');
    const naming = assessInventory(inventory, view('ubuntu', 'jammy', ubuntuRecords, 'security',
      [osv(ubuntuUsnNew('USN-7400-1', 'openssl', '22.04', '3.0.2-0ubuntu1.19', ['libssl3', 'openssl'], ['CVE-2026-20001'], 'medium'))], 'jammy'));
    assert.equal(naming.patches[0].bulletinId, 'USN-7400-1');
    assert.equal(naming.patches[0].vendorSeverity, 'Moderate');
    const other = assessInventory(inventory, view('ubuntu', 'jammy', ubuntuRecords, 'security',
      [osv(ubuntuUsnOld('USN-7401-1', 'openssl', '22.04', '3.0.2-0ubuntu1.18', ['libssl-dev'], ['CVE-2026-20003']))], 'jammy'));
    assert.equal(other.patches[0].bulletinId, 'DEB-jammy-openssl-3.0.2-0ubuntu1.19');
    const old = assessInventory(inventory, view('ubuntu', 'jammy', ubuntuRecords, 'security',
      [osv(ubuntuUsnOld('USN-7402-1', 'openssl', '22.04', '3.0.2-0ubuntu1.18', ['libssl3', 'openssl'], ['CVE-2026-20004']))], 'jammy'));
    assert.equal(old.patches[0].bulletinId, 'USN-7402-1');
    assert.deepEqual(old.patches[0].cves, ['CVE-2026-20004']);
  });
});

function updateinfoAdvisories(xml: string): Advisory[] {
  const parser = new UpdateinfoParser();
  parser.write(xml);
  parser.close();
  return parser.take().advisories;
}

describe('advisory-only findings on RPM and Alpine machines', () => {
  it('AlmaLinux: binary names, epochs on both sides, Missing below the fix and Installed at it', () => {
    const advisories = [
      osv(almaAlsa('ALSA-2026:1234', '9', ['openssl', 'openssl-libs'], '1:3.0.7-28.el9_4', ['CVE-2026-40001'])),
      ...updateinfoAdvisories(updateinfoXml([{
        id: 'ALSA-2026:1300', title: 'Moderate: bash security update', severity: 'Moderate', cves: ['CVE-2026-40002'],
        issued: '2026-03-01 00:00:00', packages: [{ name: 'bash', epoch: '0', version: '5.1.8', release: '9.el9', arch: 'x86_64' }],
      }, {
        id: 'ALSA-2026:1301', title: 'Low: tar security update', severity: 'Low', cves: ['CVE-2026-40003'],
        issued: '2026-03-02 00:00:00', packages: [{ name: 'tar', version: '1.34', release: '7.el9', arch: 'x86_64' }],
      }])),
    ];
    const catalog = view('almalinux', '9', [], 'security', advisories);
    const inventory = machine('rpm', 'almalinux', '9.4', '', [
      rpm('openssl', '1:3.0.7-27.el9', 'openssl'), rpm('openssl-libs', '1:3.0.7-27.el9', 'openssl'),
      rpm('bash', '5.1.8-6.el9', 'bash'), rpm('tar', '2:1.34-6.el9', 'tar'), rpm('zlib', '1.2.11-40.el9', 'zlib'),
    ]);
    const result = assessInventory(inventory, catalog);
    const openssl = byBulletin(result.patches, 'ALSA-2026:1234');
    assert.equal(openssl.state, 'Missing');
    assert.equal(openssl.patchId, advisoryPatchIdOf('almalinux-9', 'ALSA-2026:1234'));
    assert.equal(openssl.vendorSeverity, 'Important');
    assert.deepEqual(openssl.packages.map((p) => `${p.name} ${p.installedVersion} → ${p.candidateVersion}`),
      ['openssl 1:3.0.7-27.el9 → 1:3.0.7-28.el9_4', 'openssl-libs 1:3.0.7-27.el9 → 1:3.0.7-28.el9_4']);
    assert.equal(byBulletin(result.patches, 'ALSA-2026:1300').state, 'Missing', 'epoch="0" and no epoch are the same');
    assert.equal(byBulletin(result.patches, 'ALSA-2026:1301').state, 'Installed', 'installed epoch 2 is above a fix without epoch');
    assert.equal(result.missingCount, 2);
    assert.equal(result.installedCount, 1);

    const patched = machine('rpm', 'almalinux', '9.4', '', [rpm('openssl-libs', '1:3.0.7-28.el9_4', 'openssl')]);
    assert.equal(byBulletin(assessInventory(patched, catalog).patches, 'ALSA-2026:1234').state, 'Installed');
    const kernels = machine('rpm', 'almalinux', '9.4', '', [rpm('openssl-libs', '1:3.0.7-28.el9_4', 'openssl'), rpm('openssl-libs', '1:3.0.7-20.el9', 'openssl')]);
    assert.equal(byBulletin(assessInventory(kernels, catalog).patches, 'ALSA-2026:1234').state, 'Installed', 'the newest of several installed versions counts');
    const otherRelease = machine('rpm', 'almalinux', '8.10', '', [rpm('openssl-libs', '1:1.1.1k-9.el8', 'openssl')]);
    assert.deepEqual(assessInventory(otherRelease, catalog).patches, []);
  });

  it('Rocky: source names match through SOURCERPM, with the purl epoch restored', () => {
    const advisories = [osv(rockyRlsa('RLSA-2026:2001', '9', 'openssl', '3.0.7-28.el9_4', '1', ['CVE-2026-40001'], 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N'))]; // 7.5
    const catalog = view('rocky', '9', [], 'security', advisories);
    const inventory = machine('rpm', 'rocky', '9.4', '', [rpm('openssl-libs', '1:3.0.7-27.el9', 'openssl'), rpm('openssl', '1:3.0.7-28.el9_4', 'openssl')]);
    const patch = byBulletin(assessInventory(inventory, catalog).patches, 'RLSA-2026:2001');
    assert.equal(patch.state, 'Missing');
    assert.deepEqual(patch.packages.map((p) => p.name), ['openssl-libs'], 'only the package still below the fix');
    assert.equal(patch.vendorSeverity, 'Important');
    assert.equal(patch.sourceName, 'openssl');
  });

  it('Alpine: origin names and apk versions', () => {
    const catalog = view('alpine', '3.19', [], 'security', [osv(alpineCve('CVE-2026-50001', '3.19', 'openssl', '3.1.7-r1'))]);
    const apk = (name: string, version: string, origin: string): InstalledPackage => ({ name, architecture: 'x86_64', version, status: '', sourceName: origin, sourceVersion: version });
    const inventory = machine('alpine', 'alpine', '3.19.4', '', [apk('libcrypto3', '3.1.7-r0', 'openssl'), apk('libssl3', '3.1.7-r0', 'openssl'), apk('musl', '1.2.4_git20230717-r4', 'musl')]);
    const result = assessInventory(inventory, catalog);
    assert.equal(result.patches.length, 1);
    assert.equal(result.patches[0].bulletinId, 'ALPINE-CVE-2026-50001');
    assert.deepEqual(result.patches[0].packages.map((p) => `${p.name} → ${p.candidateVersion}`), ['libcrypto3 → 3.1.7-r1', 'libssl3 → 3.1.7-r1']);
    assert.deepEqual(result.patches[0].cves, ['CVE-2026-50001']);
    const patched = machine('alpine', 'alpine', '3.19.4', '', [apk('libssl3', '3.1.7-r1', 'openssl')]);
    assert.equal(assessInventory(patched, catalog).patches[0].state, 'Installed');
  });
});
