/**
 * Turns one OSV record (ossf/osv-schema) published by a Linux distribution into an
 * {@link Advisory}, normalising what publishers do differently:
 *
 * - package names: source for Debian, Ubuntu, Alpine and Rocky; binary RPMs for AlmaLinux and
 *   Red Hat (see osv-ecosystems.ts);
 * - fixed versions: `ECOSYSTEM` ranges' `fixed` events. Rocky writes `version-release` and moves
 *   the epoch into the purl (`&epoch=1`): it is put back, so `1:3.0.7-27.el9` is compared with
 *   the installed EVR, not `0:3.0.7-27.el9`. Ranges without a fix (unfixed, `last_affected`)
 *   give no fix;
 * - Ubuntu's `ecosystem_specific.binaries`: `[{binary_name, binary_version}]` (schema 1.7) or
 *   the older `[{"libssl3": "3.0.2-0ubuntu1.15"}]` / `{"libssl3": "…"}` shapes;
 * - CVE ids from `aliases`, `upstream` and `related` (and the id of `DEBIAN-CVE-…`/`UBUNTU-CVE-…`);
 * - a `withdrawn` record stays stored, without fixes;
 * - severity: `ecosystem_specific`/`database_specific` (`severity`, `ubuntu_priority`,
 *   `urgency`, `priority`), a `severity[]` entry of type `Ubuntu`, the `Important: …` prefix of
 *   an AlmaLinux summary, else the highest CVSS v3 base score among `severity[]`.
 */
import type { VendorSeverity } from '../../../assess/types.js';
import { isCveId, maxSeverity, vendorSeverityOf, type Advisory, type AdvisoryFix } from '../../advisory.js';
import { cvssV3BaseScore, severityOfCvssScore } from './cvss-v3.js';
import { parseDistroEcosystem, publisherOfAdvisoryId } from './osv-ecosystems.js';

/** A record that is not an OSV advisory at all (no id, `affected` not a list, ...). */
export class OsvRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OsvRecordError';
  }
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Binary package names of Ubuntu's `ecosystem_specific.binaries`, in either published shape. */
export function ubuntuBinaryNames(binaries: unknown): string[] {
  const names = new Set<string>();
  const addObject = (entry: Json): void => {
    const binaryName = asString(entry.binary_name);
    if (binaryName !== undefined) names.add(binaryName);
    else for (const key of Object.keys(entry)) names.add(key);
  };
  if (isObject(binaries)) addObject(binaries);
  for (const entry of asArray(binaries)) {
    if (typeof entry === 'string') names.add(entry);
    else if (isObject(entry)) addObject(entry);
  }
  return [...names].sort();
}

/** The epoch a purl carries (`pkg:rpm/rocky-linux/openssl?arch=src&epoch=1`), if any. */
function purlEpoch(purl: string | undefined): string | undefined {
  const query = purl?.split('?')[1]?.split('#')[0];
  if (!query) return undefined;
  const epoch = new URLSearchParams(query).get('epoch');
  return epoch !== null && /^\d+$/.test(epoch) ? epoch : undefined;
}

function severityFromWords(...sources: unknown[]): VendorSeverity | undefined {
  let found: VendorSeverity | undefined;
  for (const source of sources) {
    if (!isObject(source)) continue;
    for (const key of ['severity', 'ubuntu_priority', 'priority', 'urgency']) {
      const severity = vendorSeverityOf(asString(source[key]));
      if (severity !== undefined) found = found === undefined ? severity : maxSeverity(found, severity);
    }
  }
  return found;
}

/** Severity of `severity[]` entries: the `Ubuntu` type's word, else the highest CVSS v3 base score. */
function severityFromScores(entries: unknown): VendorSeverity | undefined {
  let words: VendorSeverity | undefined;
  let best: number | undefined;
  for (const entry of asArray(entries)) {
    if (!isObject(entry)) continue;
    const score = asString(entry.score) ?? '';
    if (entry.type === 'Ubuntu') {
      const severity = vendorSeverityOf(score);
      if (severity !== undefined) words = words === undefined ? severity : maxSeverity(words, severity);
    } else if (entry.type === 'CVSS_V3') {
      const base = cvssV3BaseScore(score);
      if (base !== undefined && (best === undefined || base > best)) best = base;
    }
  }
  return words ?? (best === undefined ? undefined : severityOfCvssScore(best));
}

function isoOrEmpty(value: unknown): string {
  const text = asString(value);
  if (text === undefined) return '';
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString();
}

/**
 * The advisory of one OSV record, or undefined when none of its `affected` entries is a Linux
 * distribution this console assesses. Throws {@link OsvRecordError} for a record that is not
 * OSV at all.
 */
export function advisoryFromOsvRecord(record: unknown): Advisory | undefined {
  if (!isObject(record)) throw new OsvRecordError('an OSV record must be a JSON object');
  const id = asString(record.id)?.trim();
  if (!id) throw new OsvRecordError('an OSV record needs a string "id"');
  if (record.affected !== undefined && !Array.isArray(record.affected)) {
    throw new OsvRecordError(`${id}: "affected" must be a list`);
  }

  const fixes: AdvisoryFix[] = [];
  let distroSeen = false;
  let severity: VendorSeverity | undefined;
  for (const affected of asArray(record.affected)) {
    if (!isObject(affected) || !isObject(affected.package)) continue;
    const ecosystem = asString(affected.package.ecosystem) ?? '';
    const distro = parseDistroEcosystem(ecosystem);
    const name = asString(affected.package.name)?.trim();
    if (distro === undefined || !name) continue;
    distroSeen = true;
    const specific = severityFromWords(affected.ecosystem_specific, affected.database_specific) ?? severityFromScores(affected.severity);
    if (specific !== undefined) severity = severity === undefined ? specific : maxSeverity(severity, specific);
    const binaries = isObject(affected.ecosystem_specific) ? ubuntuBinaryNames(affected.ecosystem_specific.binaries) : [];
    const epoch = purlEpoch(asString(affected.package.purl));
    const seen = new Set<string>();
    for (const range of asArray(affected.ranges)) {
      if (!isObject(range) || range.type !== 'ECOSYSTEM') continue;
      for (const event of asArray(range.events)) {
        let fixed = isObject(event) ? asString(event.fixed)?.trim() : undefined;
        if (!fixed || fixed === '0') continue;
        // Rocky keeps the epoch out of `fixed`; RPM fixes elsewhere carry it in the version.
        if (epoch !== undefined && epoch !== '0' && !fixed.includes(':') && distro.distro !== 'debian' && distro.distro !== 'ubuntu') {
          fixed = `${epoch}:${fixed}`;
        }
        if (seen.has(fixed)) continue;
        seen.add(fixed);
        fixes.push({
          ecosystem, distro: distro.distro, release: distro.release, packageName: name, nameKind: distro.nameKind,
          architecture: '', fixedVersion: fixed, binaries,
        });
      }
    }
  }
  if (!distroSeen) return undefined;
  // A withdrawn record keeps its id (and QID) but fixes nothing any more.
  if (asString(record.withdrawn)) fixes.length = 0;

  const cves = new Set<string>();
  for (const key of ['aliases', 'upstream', 'related']) {
    for (const alias of asArray(record[key])) if (typeof alias === 'string' && isCveId(alias.trim())) cves.add(alias.trim());
  }
  const ownCve = /(CVE-\d{4}-\d{4,})$/.exec(id)?.[1];
  if (ownCve && /^(DEBIAN|UBUNTU|ALPINE)-CVE-/.test(id)) cves.add(ownCve);

  const summary = asString(record.summary)?.trim() ?? '';
  const details = asString(record.details)?.trim().split('\n')[0] ?? '';
  // AlmaLinux: "Important: openssl security update".
  const prefixed = /^(Critical|Important|Moderate|Low):/.exec(summary)?.[1];
  severity = severityFromWords(record.database_specific, record.ecosystem_specific) ?? severity ?? vendorSeverityOf(prefixed)
    ?? severityFromScores(record.severity);
  const firstDistro = fixes[0]?.distro ?? parseDistroEcosystem(
    asString((asArray(record.affected).find((a) => isObject(a) && isObject(a.package)) as { package?: Json } | undefined)?.package?.ecosystem) ?? '',
  )?.distro ?? '';

  return {
    id,
    source: 'osv',
    publisher: publisherOfAdvisoryId(id) ?? firstDistro,
    title: (summary || details || id).slice(0, 500),
    severity: severity ?? 'None',
    cves: [...cves].sort(),
    published: isoOrEmpty(record.published),
    modified: isoOrEmpty(record.modified) || isoOrEmpty(record.published),
    fixes,
  };
}
