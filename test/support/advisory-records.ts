/**
 * Advisory records written for tests in the shapes each publisher uses (OSV schema 1.6/1.7 as
 * osv.dev, Canonical, AlmaLinux and Rocky's apollo emit it; updateinfo.xml as createrepo_c
 * writes it). Versions match test/fixtures/apt/bookworm-updates where they name Debian packages.
 */

type Json = Record<string, unknown>;

function debianAffected(release: string, name: string, fixed: string, extra: Json = {}): Json {
  return {
    package: { ecosystem: `Debian:${release}`, name, purl: `pkg:deb/debian/${name}?arch=source` },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
    ...extra,
  };
}

/** DSA: CVEs in `related`, source package, epoch in the fixed version. */
export function debianDsa(id: string, name: string, fixed: string, cves: string[], modified = '2026-04-12T08:11:40Z'): Json {
  return {
    id, summary: `${name} - security update`, schema_version: '1.6.0', published: '2026-04-10T00:00:00Z', modified,
    related: cves, affected: [debianAffected('12', name, fixed)],
    references: [{ type: 'ADVISORY', url: `https://www.debian.org/security/2026/${id.toLowerCase().replace(/-1$/, '')}` }],
  };
}

/** DLA: CVEs in `upstream` (schema 1.7). */
export function debianDla(id: string, name: string, fixed: string, cves: string[], release = '12'): Json {
  return {
    id, summary: `${name} - LTS security update`, schema_version: '1.7.0', published: '2026-08-02T00:00:00Z', modified: '2026-08-02T11:00:00Z',
    upstream: cves, affected: [debianAffected(release, name, fixed)],
    references: [{ type: 'ADVISORY', url: `https://www.debian.org/lts/security/2026/${id.toLowerCase()}` }],
  };
}

/** DTSA (testing): CVEs in `aliases`. */
export function debianDtsa(id: string, name: string, fixed: string, cves: string[]): Json {
  return {
    id, summary: `${name} - security update for testing`, published: '2026-03-01T00:00:00Z', modified: '2026-03-01T00:00:00Z',
    aliases: cves, affected: [debianAffected('13', name, fixed)],
  };
}

/** DEBIAN-CVE: one CVE, urgency in `ecosystem_specific`, one entry per release (open ones without a fix). */
export function debianCve(cve: string, name: string, fixedByRelease: Record<string, string | null>, urgency = 'medium'): Json {
  return {
    id: `DEBIAN-${cve}`, details: `Memory corruption in ${name} allows remote attackers to crash the service.`,
    schema_version: '1.7.0', published: '2026-04-01T00:00:00Z', modified: '2026-04-15T00:00:00Z', upstream: [cve],
    affected: Object.entries(fixedByRelease).map(([release, fixed]) => ({
      package: { ecosystem: `Debian:${release}`, name, purl: `pkg:deb/debian/${name}?arch=source` },
      ranges: [{ type: 'ECOSYSTEM', events: fixed === null ? [{ introduced: '0' }] : [{ introduced: '0' }, { fixed }] }],
      ecosystem_specific: { urgency },
    })),
  };
}

/** USN, schema 1.7: `binaries` as `[{binary_name, binary_version}]`, priority in `ecosystem_specific`. */
export function ubuntuUsnNew(id: string, name: string, release: string, fixed: string, binaries: string[], cves: string[], priority = 'high'): Json {
  return {
    id, summary: `${name} vulnerabilities`, details: `Several security issues were fixed in ${name}.`, schema_version: '1.7.0',
    published: '2026-05-20T14:00:00Z', modified: '2026-05-20T14:00:00Z', aliases: [], upstream: cves, related: [],
    severity: [{ type: 'Ubuntu', score: priority }],
    affected: [{
      package: { ecosystem: `Ubuntu:${release}:LTS`, name, purl: `pkg:deb/ubuntu/${name}@${fixed}?arch=source&distro=jammy` },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
      versions: ['3.0.2-0ubuntu1', '3.0.2-0ubuntu1.14'],
      ecosystem_specific: {
        binaries: binaries.map((binary) => ({ binary_name: binary, binary_version: fixed })),
        availability: 'No subscription required', ubuntu_priority: priority,
      },
    }],
  };
}

/** Older USN: `binaries` as `[{"name": "version", ...}]`, CVEs in `aliases`. */
export function ubuntuUsnOld(id: string, name: string, release: string, fixed: string, binaries: string[], cves: string[]): Json {
  return {
    id, summary: `${name} vulnerability`, details: `A security issue was fixed in ${name}.`, published: '2022-02-01T10:00:00Z',
    modified: '2022-02-01T10:00:00Z', aliases: cves,
    affected: [{
      package: { ecosystem: `Ubuntu:${release}:LTS`, name },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
      ecosystem_specific: { binaries: [Object.fromEntries(binaries.map((binary) => [binary, fixed]))] },
    }],
  };
}

/** ALSA: binary RPM names, epoch in `fixed`, CVEs in `related`, severity only in the summary prefix. */
export function almaAlsa(id: string, release: string, binaries: string[], fixed: string, cves: string[], severity = 'Important'): Json {
  return {
    id, summary: `${severity}: openssl security update`, details: 'OpenSSL is a toolkit that implements the SSL and TLS protocols.',
    published: '2026-02-14T00:00:00Z', modified: '2026-02-20T09:00:00Z', related: cves,
    affected: binaries.map((name) => ({
      package: { ecosystem: `AlmaLinux:${release}`, name },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
    })),
    references: [{ type: 'ADVISORY', url: `https://errata.almalinux.org/${release}/${id.replace(':', '-')}.html` }],
  };
}

/** RLSA: source RPM, `fixed` without epoch, the epoch in the purl; CVEs in `aliases`; CVSS v3 vector only. */
export function rockyRlsa(id: string, release: string, source: string, fixed: string, epoch: string, cves: string[], vector: string): Json {
  return {
    id, summary: `${source} security update`, details: `An update is available for ${source}.`,
    published: '2026-02-15T00:00:00Z', modified: '2026-02-15T12:00:00Z', aliases: cves,
    severity: [{ type: 'CVSS_V3', score: vector }],
    affected: [{
      package: { ecosystem: `Rocky Linux:${release}`, name: source, purl: `pkg:rpm/rocky-linux/${source}?arch=src&epoch=${epoch}&distro=rocky-linux-${release}` },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }], database_specific: { yum_repository: 'BaseOS' } }],
    }],
  };
}

/** Alpine secdb conversion: origin package, apk version. */
export function alpineCve(cve: string, release: string, origin: string, fixed: string): Json {
  return {
    id: `ALPINE-${cve}`, details: `Out-of-bounds read in ${origin}.`, published: '2026-01-10T00:00:00Z', modified: '2026-01-11T00:00:00Z',
    upstream: [cve],
    affected: [{
      package: { ecosystem: `Alpine:v${release}`, name: origin, purl: `pkg:apk/alpine/${origin}?arch=source` },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
    }],
  };
}

export interface UpdateinfoPackage {
  name: string;
  /** undefined = no epoch attribute. */
  epoch?: string;
  version: string;
  release: string;
  arch: string;
}

export interface UpdateinfoUpdate {
  id: string;
  type?: string;
  title: string;
  severity?: string;
  cves: string[];
  issued: string;
  updated?: string;
  packages: UpdateinfoPackage[];
}

/** An updateinfo.xml document as createrepo_c writes it. */
export function updateinfoXml(updates: UpdateinfoUpdate[]): string {
  const attr = (value: string): string => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const body = updates.map((u) => `  <update from="packager@almalinux.org" status="final" type="${u.type ?? 'security'}" version="2">
    <id>${u.id}</id>
    <title>${attr(u.title)}</title>
    <issued date="${u.issued}"/>
    ${u.updated ? `<updated date="${u.updated}"/>` : ''}
    <rights>Copyright 2026 AlmaLinux OS</rights>
    <release>AlmaLinux 9</release>
    ${u.severity ? `<severity>${u.severity}</severity>` : ''}
    <summary>${attr(u.title)}</summary>
    <description><![CDATA[An update for ${u.packages[0]?.name ?? 'a package'} is now available & fixes issues.]]></description>
    <references>
${u.cves.map((cve) => `      <reference href="https://access.redhat.com/security/cve/${cve}" id="${cve}" type="cve" title="${cve}"/>`).join('\n')}
      <reference href="https://errata.almalinux.org/9/${u.id.replace(':', '-')}.html" id="${u.id}" type="self" title="${u.id}"/>
    </references>
    <pkglist>
      <collection short="almalinux-9-for-x86_64-baseos-rpms">
        <name>almalinux-9-for-x86_64-baseos-rpms</name>
${u.packages.map((p) => `        <package name="${p.name}" ${p.epoch === undefined ? '' : `epoch="${p.epoch}" `}version="${p.version}" release="${p.release}" arch="${p.arch}" src="${p.name}-${p.version}-${p.release}.src.rpm">
          <filename>${p.name}-${p.version}-${p.release}.${p.arch}.rpm</filename>
          <sum type="sha256">${'ab'.repeat(32)}</sum>
        </package>`).join('\n')}
      </collection>
    </pkglist>
  </update>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n${body}\n</updates>\n`;
}
