/**
 * Rocky Linux errata as the repositories' `updateinfo.xml` carries them (the shape Rocky's
 * build system publishes: binary RPMs per collection, CVEs as `type="cve"` references, the
 * erratum itself as the `self` reference), for tests.
 */
import type { UpdateinfoPackage, UpdateinfoUpdate } from './advisory-records.js';

/** An erratum whose packages may name their source RPM (default: the package's own name). */
export interface RockyErratum extends Omit<UpdateinfoUpdate, 'packages'> {
  packages: Array<UpdateinfoPackage & { source?: string }>;
}

const xmlText = (value: string): string => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** An updateinfo.xml of Rocky Linux `release` (e.g. `9`) errata; a package without `epoch` gets no epoch attribute. */
export function rockyUpdateinfoXml(release: string, updates: RockyErratum[]): string {
  const collection = `rocky-linux-${release}-x86-64-baseos-rpms`;
  const body = updates.map((u) => `<update from="releng@rockylinux.org" status="final" type="${u.type ?? 'security'}" version="2">
  <id>${u.id}</id>
  <title>${xmlText(u.title)}</title>
  <issued date="${u.issued}"/>
  <updated date="${u.updated ?? u.issued}"/>
  <rights>Copyright (C) 2024 Rocky Enterprise Software Foundation</rights>
  <release>Rocky Linux ${release}</release>
  <pushcount>1</pushcount>
  ${u.severity ? `<severity>${u.severity}</severity>` : ''}
  <summary>${xmlText(u.title)}</summary>
  <description>${xmlText(`An update for ${u.packages[0]?.name ?? 'a package'} is now available for Rocky Linux ${release}.`)}</description>
  <solution/>
  <references>
    <reference href="https://errata.rockylinux.org/${u.id}" id="${u.id}" type="self" title="${u.id}"/>
${u.cves.map((cve) => `    <reference href="https://bugzilla.redhat.com/show_bug.cgi?id=${cve}" id="${cve}" type="cve" title="${cve}"/>`).join('\n')}
  </references>
  <pkglist>
    <collection short="${collection}">
      <name>${collection}</name>
${u.packages.map((p) => `      <package name="${p.name}" arch="${p.arch}" ${p.epoch === undefined ? '' : `epoch="${p.epoch}" `}version="${p.version}" release="${p.release}" src="${p.source ?? p.name}-${p.version}-${p.release}.src.rpm">
        <filename>Packages/${p.name.charAt(0)}/${p.name}-${p.version}-${p.release}.${p.arch}.rpm</filename>
        <sum type="sha256">${'3f'.repeat(32)}</sum>
      </package>`).join('\n')}
    </collection>
  </pkglist>
</update>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n${body}\n</updates>\n`;
}
