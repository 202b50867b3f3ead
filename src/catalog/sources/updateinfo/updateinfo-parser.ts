/**
 * Streaming parser of RPM repository errata (`updateinfo.xml`, as createrepo_c, Pulp and
 * Rocky's apollo write it): text goes in chunk by chunk, one {@link Advisory} comes out per
 * `<update type="security">`. Other update types (bugfix, enhancement, newpackage) are counted
 * and skipped.
 *
 * Packages are binary RPMs (`<package name epoch version release arch src>`). The epoch
 * attribute may be missing or `0`; the fixed version is `epoch:version-release` only when the
 * epoch is not 0, which orders the same way (a missing epoch is 0). Source RPM lines
 * (`arch="src"`) are not installed packages and are left out.
 *
 * updateinfo does not name its distribution release. It is taken from the caller (an OSV-like
 * ecosystem such as `AlmaLinux:9`), else from the advisory id prefix (ALSA → almalinux, RLSA →
 * rocky, RHSA → rhel) and the `.elN` tag of the packages' release.
 */
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import type { Advisory, AdvisoryFix } from '../../advisory.js';
import { isCveId, vendorSeverityOf } from '../../advisory.js';
import { parseDistroEcosystem, publisherOfAdvisoryId } from '../osv/osv-ecosystems.js';

export class UpdateinfoFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpdateinfoFormatError';
  }
}

export interface UpdateinfoParserOptions {
  /** The release the errata are for, as an OSV ecosystem string: `AlmaLinux:9`, `Rocky Linux:8`. */
  ecosystem?: string;
}

interface UpdateInProgress {
  type: string;
  fields: Map<string, string>;
  issued: string;
  updated: string;
  cves: Set<string>;
  packages: Array<{ name: string; epoch: string; version: string; release: string; arch: string }>;
}

/** `2024-03-12 10:00:00`, `2024-03-12`, or seconds since the epoch, as ISO-8601; `''` when unreadable. */
export function updateinfoDate(value: string | undefined): string {
  const text = (value ?? '').trim();
  if (!text) return '';
  const ms = /^\d{9,11}$/.test(text) ? Number(text) * 1000 : Date.parse(text.includes('T') ? text : `${text.replace(' ', 'T')}Z`);
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString();
}

export class UpdateinfoParser {
  /** Advisories completed since the last {@link take}. */
  #ready: Advisory[] = [];
  /** Messages for updates that could not be used. */
  #rejected: string[] = [];
  #skipped = 0;
  #update?: UpdateInProgress;
  #text = '';
  #sawRoot = false;
  readonly #parser = new SaxesParser();
  readonly #ecosystem?: { ecosystem: string; distro: string; release: string };

  constructor(options: UpdateinfoParserOptions = {}) {
    if (options.ecosystem !== undefined) {
      const parsed = parseDistroEcosystem(options.ecosystem);
      if (parsed === undefined) {
        throw new UpdateinfoFormatError(`unknown release "${options.ecosystem}": use an ecosystem such as "AlmaLinux:9", "Rocky Linux:9" or "Red Hat:9"`);
      }
      this.#ecosystem = { ecosystem: options.ecosystem, distro: parsed.distro, release: parsed.release };
    }
    this.#parser.on('opentag', (tag) => this.#open(tag as SaxesTagPlain));
    this.#parser.on('closetag', (tag) => this.#close(tag.name));
    this.#parser.on('text', (text) => { this.#text += text; });
    this.#parser.on('cdata', (text) => { this.#text += text; });
  }

  /** Feeds the next piece of the document. Throws {@link UpdateinfoFormatError} on malformed XML. */
  write(chunk: string): void {
    try {
      this.#parser.write(chunk);
    } catch (error) {
      throw new UpdateinfoFormatError(`updateinfo.xml is not well-formed XML: ${(error as Error).message}`);
    }
  }

  /** Ends the document. */
  close(): void {
    try {
      this.#parser.close();
    } catch (error) {
      throw new UpdateinfoFormatError(`updateinfo.xml is not well-formed XML: ${(error as Error).message}`);
    }
    if (!this.#sawRoot) throw new UpdateinfoFormatError('this is not an updateinfo.xml document: it has no <updates> element');
  }

  /** Advisories, rejected updates and the number of non-security updates since the last call. */
  take(): { advisories: Advisory[]; rejected: string[]; skipped: number } {
    const out = { advisories: this.#ready, rejected: this.#rejected, skipped: this.#skipped };
    this.#ready = [];
    this.#rejected = [];
    this.#skipped = 0;
    return out;
  }

  #open(tag: SaxesTagPlain): void {
    const attributes = tag.attributes as Record<string, string>;
    this.#text = '';
    if (tag.name === 'updates') this.#sawRoot = true;
    if (tag.name === 'update') {
      this.#update = { type: (attributes.type ?? '').toLowerCase(), fields: new Map(), issued: '', updated: '', cves: new Set(), packages: [] };
      return;
    }
    const update = this.#update;
    if (update === undefined) return;
    if (tag.name === 'issued') update.issued = updateinfoDate(attributes.date);
    else if (tag.name === 'updated') update.updated = updateinfoDate(attributes.date);
    else if (tag.name === 'reference' && (attributes.type ?? '').toLowerCase() === 'cve') {
      const id = (attributes.id ?? attributes.title ?? '').trim();
      if (isCveId(id)) update.cves.add(id);
    } else if (tag.name === 'package') {
      update.packages.push({
        name: (attributes.name ?? '').trim(), epoch: (attributes.epoch ?? '').trim(), version: (attributes.version ?? '').trim(),
        release: (attributes.release ?? '').trim(), arch: (attributes.arch ?? '').trim(),
      });
    }
  }

  #close(name: string): void {
    const update = this.#update;
    if (update === undefined) return;
    if (name === 'id' || name === 'title' || name === 'severity' || name === 'release') {
      if (!update.fields.has(name)) update.fields.set(name, this.#text.trim());
    } else if (name === 'update') {
      this.#update = undefined;
      if (update.type !== 'security') this.#skipped++;
      else this.#finish(update);
    }
    this.#text = '';
  }

  #releaseOf(id: string, update: UpdateInProgress): { ecosystem: string; distro: string; release: string } | undefined {
    if (this.#ecosystem !== undefined) return this.#ecosystem;
    const distro = publisherOfAdvisoryId(id);
    if (distro === undefined || distro === 'debian' || distro === 'ubuntu' || distro === 'alpine') return undefined;
    const el = update.packages.map((p) => /\.el(\d+)/.exec(p.release)?.[1]).find((m) => m !== undefined);
    return el === undefined ? undefined : { ecosystem: `${distro}:${el}`, distro, release: el };
  }

  #finish(update: UpdateInProgress): void {
    const id = update.fields.get('id') ?? '';
    if (!id) {
      this.#rejected.push('a security <update> has no <id>');
      return;
    }
    const release = this.#releaseOf(id, update);
    if (release === undefined) {
      this.#rejected.push(`${id}: cannot tell which distribution release it is for; name it (e.g. --release "AlmaLinux:9")`);
      return;
    }
    const fixes: AdvisoryFix[] = [];
    const seen = new Set<string>();
    for (const pkg of update.packages) {
      if (!pkg.name || !pkg.version || pkg.arch === 'src') continue;
      const evr = `${pkg.epoch && pkg.epoch !== '0' ? `${pkg.epoch}:` : ''}${pkg.version}${pkg.release ? `-${pkg.release}` : ''}`;
      const key = `${pkg.name}\u0000${pkg.arch}\u0000${evr}`;
      if (seen.has(key)) continue;
      seen.add(key);
      fixes.push({
        ecosystem: release.ecosystem, distro: release.distro, release: release.release, packageName: pkg.name, nameKind: 'binary',
        architecture: pkg.arch, fixedVersion: evr, binaries: [],
      });
    }
    this.#ready.push({
      id, source: 'updateinfo', publisher: release.distro, title: (update.fields.get('title') || id).slice(0, 500),
      severity: vendorSeverityOf(update.fields.get('severity')) ?? 'None', cves: [...update.cves].sort(),
      published: update.issued, modified: update.updated || update.issued, fixes,
    });
  }
}
