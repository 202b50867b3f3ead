import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { updateinfoDate, UpdateinfoFormatError, UpdateinfoParser } from '../../src/catalog/sources/updateinfo/updateinfo-parser.js';
import { updateinfoOfRepomd } from '../../src/catalog/sources/updateinfo/updateinfo-reader.js';
import { updateinfoXml, type UpdateinfoUpdate } from '../support/advisory-records.js';

function parse(xml: string, chunk = xml.length, ecosystem?: string) {
  const parser = new UpdateinfoParser({ ecosystem });
  const advisories = [];
  const rejected = [];
  let skipped = 0;
  for (let i = 0; i < xml.length; i += chunk) {
    parser.write(xml.slice(i, i + chunk));
    const taken = parser.take();
    advisories.push(...taken.advisories);
    rejected.push(...taken.rejected);
    skipped += taken.skipped;
  }
  parser.close();
  const last = parser.take();
  return { advisories: [...advisories, ...last.advisories], rejected: [...rejected, ...last.rejected], skipped: skipped + last.skipped };
}

const ROCKY: UpdateinfoUpdate = {
  id: 'RLSA-2026:3001', title: 'Important: glibc security update', severity: 'Important', cves: ['CVE-2026-70001'],
  issued: '2026-05-01 08:00:00', updated: '2026-05-03 09:30:00',
  packages: [
    { name: 'glibc', version: '2.34', release: '100.el9_4.2', arch: 'x86_64' },
    { name: 'glibc', version: '2.34', release: '100.el9_4.2', arch: 'i686' },
    { name: 'glibc-common', epoch: '0', version: '2.34', release: '100.el9_4.2', arch: 'x86_64' },
  ],
};

describe('updateinfo.xml parser', () => {
  it('gives the same advisories whatever the chunking, with per-architecture binary fixes', () => {
    const xml = updateinfoXml([ROCKY, { ...ROCKY, id: 'RLBA-2026:3002', type: 'bugfix', title: 'glibc bug fix' }]);
    const whole = parse(xml);
    assert.deepEqual(parse(xml, 7), whole);
    assert.equal(whole.skipped, 1);
    const [advisory] = whole.advisories;
    assert.equal(advisory.id, 'RLSA-2026:3001');
    assert.equal(advisory.publisher, 'rocky');
    assert.equal(advisory.severity, 'Important');
    assert.equal(advisory.modified, '2026-05-03T09:30:00.000Z');
    assert.equal(advisory.published, '2026-05-01T08:00:00.000Z');
    assert.deepEqual(advisory.cves, ['CVE-2026-70001']);
    assert.deepEqual(advisory.fixes.map((f) => `${f.distro}:${f.release} ${f.packageName}.${f.architecture} ${f.fixedVersion} ${f.nameKind}`), [
      'rocky:9 glibc.x86_64 2.34-100.el9_4.2 binary',
      'rocky:9 glibc.i686 2.34-100.el9_4.2 binary',
      'rocky:9 glibc-common.x86_64 2.34-100.el9_4.2 binary',
    ]);
  });

  it('takes the release from the caller, and rejects an update whose release cannot be told', () => {
    const fedora: UpdateinfoUpdate = { ...ROCKY, id: 'FEDORA-2026-abc123', packages: [{ name: 'curl', version: '8.6.0', release: '8.fc40', arch: 'x86_64' }] };
    const unknown = parse(updateinfoXml([fedora]));
    assert.equal(unknown.advisories.length, 0);
    assert.match(unknown.rejected[0], /FEDORA-2026-abc123: cannot tell which distribution release/);
    const named = parse(updateinfoXml([fedora]), 64, 'AlmaLinux:9');
    assert.equal(named.advisories[0].fixes[0].release, '9');
    assert.equal(named.advisories[0].fixes[0].distro, 'almalinux');
    assert.throws(() => new UpdateinfoParser({ ecosystem: 'Windows:11' }), UpdateinfoFormatError);
  });

  it('refuses malformed XML and documents that are not updateinfo', () => {
    assert.throws(() => parse('<updates><update type="security"><id>X</update></updates>'), /not well-formed XML/);
    assert.throws(() => parse('<repomd/>'), /no <updates> element/);
  });

  it('reads dates in both spellings', () => {
    assert.equal(updateinfoDate('2026-05-01 08:00:00'), '2026-05-01T08:00:00.000Z');
    assert.equal(updateinfoDate('1743465600'), '2025-04-01T00:00:00.000Z');
    assert.equal(updateinfoDate('soon'), '');
  });

  it('finds the updateinfo entry of repomd.xml', () => {
    const repomd = `<repomd xmlns="http://linux.duke.edu/metadata/repo">
      <data type="primary"><checksum type="sha256">aa</checksum><location href="repodata/p.xml.gz"/></data>
      <data type="updateinfo"><checksum type="sha256">bb</checksum><open-checksum type="sha256">cc</open-checksum><location href="repodata/u.xml.xz"/></data>
    </repomd>`;
    assert.deepEqual(updateinfoOfRepomd(repomd), { href: 'repodata/u.xml.xz', checksumType: 'sha256', checksum: 'bb' });
    assert.equal(updateinfoOfRepomd('<repomd><data type="primary"><location href="p"/></data></repomd>'), undefined);
  });
});
