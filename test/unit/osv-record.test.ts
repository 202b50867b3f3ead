import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareVersions, releaseKeyOf } from '../../src/catalog/advisory.js';
import { cvssV3BaseScore, severityOfCvssScore } from '../../src/catalog/sources/osv/cvss-v3.js';
import { parseDistroEcosystem } from '../../src/catalog/sources/osv/osv-ecosystems.js';
import { advisoryFromOsvRecord, OsvRecordError, ubuntuBinaryNames } from '../../src/catalog/sources/osv/osv-record.js';
import {
  almaAlsa, alpineCve, debianCve, debianDla, debianDsa, debianDtsa, rockyRlsa, ubuntuUsnNew, ubuntuUsnOld,
} from '../support/advisory-records.js';

describe('OSV ecosystems', () => {
  it('maps each distribution ecosystem to the release key machines use', () => {
    assert.deepEqual(parseDistroEcosystem('Debian:12'), { distro: 'debian', release: 'bookworm', nameKind: 'source' });
    assert.deepEqual(parseDistroEcosystem('Debian:sid'), { distro: 'debian', release: 'sid', nameKind: 'source' });
    assert.deepEqual(parseDistroEcosystem('Ubuntu:22.04:LTS'), { distro: 'ubuntu', release: 'jammy', nameKind: 'source' });
    assert.deepEqual(parseDistroEcosystem('Ubuntu:Pro:18.04:LTS'), { distro: 'ubuntu', release: 'bionic', nameKind: 'source' });
    assert.deepEqual(parseDistroEcosystem('AlmaLinux:9'), { distro: 'almalinux', release: '9', nameKind: 'binary' });
    assert.deepEqual(parseDistroEcosystem('Rocky Linux:8'), { distro: 'rocky', release: '8', nameKind: 'source' });
    assert.deepEqual(parseDistroEcosystem('Alpine:v3.19'), { distro: 'alpine', release: '3.19', nameKind: 'source' });
    assert.deepEqual(parseDistroEcosystem('Red Hat:rhel_aus:8.4::appstream'), { distro: 'rhel', release: '8', nameKind: 'binary' });
    assert.equal(parseDistroEcosystem('npm'), undefined);
    assert.equal(parseDistroEcosystem('PyPI'), undefined);
    assert.equal(releaseKeyOf('alpine', '3.19.1'), '3.19');
    assert.equal(releaseKeyOf('rocky', '9.4'), '9');
  });
});

describe('OSV records of each publisher', () => {
  it('Debian DSA: source package, epoch kept, CVEs from related', () => {
    const advisory = advisoryFromOsvRecord(debianDsa('DSA-5912-1', 'openssh', '1:9.2p1-2+deb12u6', ['CVE-2026-11112', 'CVE-2026-11111']))!;
    assert.equal(advisory.id, 'DSA-5912-1');
    assert.equal(advisory.publisher, 'debian');
    assert.deepEqual(advisory.cves, ['CVE-2026-11111', 'CVE-2026-11112']);
    assert.equal(advisory.modified, '2026-04-12T08:11:40.000Z');
    assert.deepEqual(advisory.fixes.map((f) => [f.distro, f.release, f.packageName, f.nameKind, f.fixedVersion]),
      [['debian', 'bookworm', 'openssh', 'source', '1:9.2p1-2+deb12u6']]);
  });

  it('Debian DLA (CVEs in upstream) and DTSA (CVEs in aliases)', () => {
    const dla = advisoryFromOsvRecord(debianDla('DLA-4100-1', 'openssl', '3.0.17-1~deb12u1', ['CVE-2026-20001']))!;
    assert.deepEqual(dla.cves, ['CVE-2026-20001']);
    assert.equal(dla.fixes[0].release, 'bookworm');
    const dtsa = advisoryFromOsvRecord(debianDtsa('DTSA-120-1', 'curl', '8.14.1-2', ['CVE-2026-30001']))!;
    assert.deepEqual(dtsa.cves, ['CVE-2026-30001']);
    assert.equal(dtsa.fixes[0].release, 'trixie');
    assert.equal(dtsa.publisher, 'debian');
  });

  it('DEBIAN-CVE: urgency as severity, open releases give no fix', () => {
    const advisory = advisoryFromOsvRecord(debianCve('CVE-2026-11111', 'openssh', { 11: null, 12: '1:9.2p1-2+deb12u6' }, 'high'))!;
    assert.equal(advisory.severity, 'Important');
    assert.deepEqual(advisory.cves, ['CVE-2026-11111']);
    assert.deepEqual(advisory.fixes.map((f) => f.release), ['bookworm']);
    const low = advisoryFromOsvRecord(debianCve('CVE-2026-11113', 'openssh', { 12: '1:9.2p1-2+deb12u6' }, 'unimportant'))!;
    assert.equal(low.severity, 'None');
  });

  it('Ubuntu USN: both shapes of binaries, priority as severity', () => {
    const usn = advisoryFromOsvRecord(ubuntuUsnNew('USN-7400-1', 'openssl', '22.04', '3.0.2-0ubuntu1.19', ['libssl3', 'openssl'], ['CVE-2026-20001'], 'medium'))!;
    assert.equal(usn.severity, 'Moderate');
    assert.deepEqual(usn.cves, ['CVE-2026-20001']);
    assert.deepEqual(usn.fixes[0].binaries, ['libssl3', 'openssl']);
    assert.equal(usn.fixes[0].release, 'jammy');
    const old = advisoryFromOsvRecord(ubuntuUsnOld('USN-5200-1', 'openssl', '20.04', '1.1.1f-1ubuntu2.10', ['libssl1.1', 'openssl'], ['CVE-2021-99999']))!;
    assert.deepEqual(old.fixes[0].binaries, ['libssl1.1', 'openssl']);
    assert.equal(old.fixes[0].release, 'focal');
    assert.deepEqual(ubuntuBinaryNames({ libfoo1: '1.0', 'libfoo-dev': '1.0' }), ['libfoo-dev', 'libfoo1']);
    assert.deepEqual(ubuntuBinaryNames(['libbar2']), ['libbar2']);
  });

  it('AlmaLinux ALSA: binary names, epoch in fixed, severity from the summary prefix', () => {
    const advisory = advisoryFromOsvRecord(almaAlsa('ALSA-2026:1234', '9', ['openssl', 'openssl-libs'], '1:3.0.7-28.el9_4', ['CVE-2026-40001'], 'Moderate'))!;
    assert.equal(advisory.publisher, 'almalinux');
    assert.equal(advisory.severity, 'Moderate');
    assert.deepEqual(advisory.cves, ['CVE-2026-40001']);
    assert.deepEqual(advisory.fixes.map((f) => [f.packageName, f.nameKind, f.fixedVersion]),
      [['openssl', 'binary', '1:3.0.7-28.el9_4'], ['openssl-libs', 'binary', '1:3.0.7-28.el9_4']]);
  });

  it('Rocky RLSA: the purl epoch goes back into the fixed version; severity from the CVSS vector', () => {
    const advisory = advisoryFromOsvRecord(rockyRlsa('RLSA-2026:2001', '9', 'openssl', '3.0.7-28.el9_4', '1', ['CVE-2026-40001'],
      'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'))!;
    assert.equal(advisory.fixes[0].fixedVersion, '1:3.0.7-28.el9_4');
    assert.equal(advisory.fixes[0].nameKind, 'source');
    assert.equal(advisory.severity, 'Critical');
    // Without the epoch the fix would sort below every installed epoch-1 build.
    assert.equal(compareVersions('rpm', '1:3.0.7-27.el9', '3.0.7-28.el9_4'), 1);
    assert.equal(compareVersions('rpm', '1:3.0.7-27.el9', advisory.fixes[0].fixedVersion), -1);
    const zero = advisoryFromOsvRecord(rockyRlsa('RLSA-2026:2002', '9', 'bash', '5.1.8-9.el9', '0', [], 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N'))!;
    assert.equal(zero.fixes[0].fixedVersion, '5.1.8-9.el9');
    assert.equal(zero.severity, 'Low');
  });

  it('Alpine: origin name, apk version, CVE from the record', () => {
    const advisory = advisoryFromOsvRecord(alpineCve('CVE-2026-50001', '3.19', 'openssl', '3.1.7-r1'))!;
    assert.equal(advisory.publisher, 'alpine');
    assert.deepEqual(advisory.cves, ['CVE-2026-50001']);
    assert.deepEqual(advisory.fixes.map((f) => [f.release, f.packageName, f.nameKind, f.fixedVersion]), [['3.19', 'openssl', 'source', '3.1.7-r1']]);
  });

  it('keeps a withdrawn record without fixes', () => {
    const withdrawn = advisoryFromOsvRecord({ ...debianDsa('DSA-5912-1', 'openssh', '1:9.2p1-2+deb12u6', []), withdrawn: '2026-04-20T00:00:00Z' })!;
    assert.equal(withdrawn.id, 'DSA-5912-1');
    assert.deepEqual(withdrawn.fixes, []);
  });

  it('ignores language ecosystems and refuses what is not OSV', () => {
    assert.equal(advisoryFromOsvRecord({ id: 'GHSA-xxxx-yyyy-zzzz', affected: [{ package: { ecosystem: 'npm', name: 'left-pad' } }] }), undefined);
    assert.throws(() => advisoryFromOsvRecord({ affected: [] }), OsvRecordError);
    assert.throws(() => advisoryFromOsvRecord([1, 2]), OsvRecordError);
    assert.throws(() => advisoryFromOsvRecord({ id: 'DSA-1-1', affected: 'openssl' }), /"affected" must be a list/);
  });
});

describe('CVSS v3 base score', () => {
  it('matches the specification examples', () => {
    assert.equal(cvssV3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), 9.8);
    assert.equal(cvssV3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N'), 6.1);
    assert.equal(cvssV3BaseScore('CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N'), 5.5);
    assert.equal(cvssV3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N'), 0);
    assert.equal(cvssV3BaseScore('CVSS:2.0/AV:N'), undefined);
    assert.equal(severityOfCvssScore(7.5), 'Important');
    assert.equal(severityOfCvssScore(4.0), 'Moderate');
  });
});
