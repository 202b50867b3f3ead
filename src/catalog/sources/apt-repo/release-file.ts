/**
 * Parsing of Debian `Release` / `InRelease` files (the signed text only).
 *
 * A Release file is a single deb822 paragraph. Most fields are one line; the
 * checksum fields (`MD5Sum`, `SHA1`, `SHA256`, `SHA512`) are multi-line, one
 * `<hash> <size> <path>` triple per continuation line.
 */
import type { AptReleaseInfo } from './types.js';

/** The Release file could not be understood (malformed checksum line, bad date...). */
export class AptReleaseFormatError extends Error {
  override readonly name = 'AptReleaseFormatError';
}

/** Everything read from a Release file: the catalog's view plus the fields the sync logic needs. */
export interface AptReleaseFile {
  info: AptReleaseInfo;
  /**
   * `No-Support-for-Architecture-all: Packages`: the `all` packages are listed in every
   * per-architecture Packages index and there is no separate `binary-all` index to fetch.
   */
  architectureAllFoldedIntoPackages: boolean;
  /** All fields of the paragraph, names lower-cased, multi-line values joined with `\n`. */
  fields: ReadonlyMap<string, string>;
}

/**
 * Splits the first deb822 paragraph of `text` into fields. Field names are case-insensitive
 * and returned lower-cased; a continuation line (leading space or tab) is appended to the
 * previous field's value after a `\n`, with its leading whitespace removed.
 */
export function parseControlParagraph(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  let current: string | undefined;
  let started = false;
  let pos = 0;
  const length = text.length;
  while (pos < length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = length;
    const line = text.slice(pos, end).replace(/[ \t\r]+$/, '');
    pos = end + 1;
    if (line.length === 0) {
      if (started) break; // end of the first paragraph
      continue;
    }
    const first = line.charCodeAt(0);
    if (first === 0x23 /* # */) continue; // comment line
    if (first === 0x20 || first === 0x09) {
      if (current === undefined) {
        throw new AptReleaseFormatError(`continuation line without a field: ${JSON.stringify(line)}`);
      }
      const previous = fields.get(current) ?? '';
      const piece = line.trimStart();
      fields.set(current, previous.length === 0 ? piece : `${previous}\n${piece}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new AptReleaseFormatError(`line is not a "Field: value" pair: ${JSON.stringify(line)}`);
    current = line.slice(0, colon).toLowerCase();
    fields.set(current, line.slice(colon + 1).trim());
    started = true;
  }
  return fields;
}

const MONTHS: Record<string, number> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
};

/**
 * Parses the RFC 2822 style dates of Release files, e.g. `Sat, 11 Jul 2026 10:16:37 UTC`
 * (also `GMT`, `Z`, `UT` and numeric `+hhmm`/`-hhmm` zones; the weekday and seconds are optional).
 * Returns undefined when the text is not such a date.
 */
export function parseReleaseDate(text: string): Date | undefined {
  const match = /^\s*(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(UTC|GMT|UT|Z|[+-]\d{4})?\s*$/.exec(text);
  if (!match) return undefined;
  const month = MONTHS[match[2].toLowerCase()];
  if (month === undefined) return undefined;
  const day = Number(match[1]);
  const hour = Number(match[4]);
  const minute = Number(match[5]);
  const second = match[6] === undefined ? 0 : Number(match[6]);
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  let offsetMinutes = 0;
  const zone = match[7];
  if (zone !== undefined && (zone[0] === '+' || zone[0] === '-')) {
    const sign = zone[0] === '+' ? 1 : -1;
    offsetMinutes = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
  }
  const millis = Date.UTC(Number(match[3]), month, day, hour, minute, second) - offsetMinutes * 60_000;
  return new Date(millis);
}

function splitWords(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(/\s+/).filter((word) => word.length > 0);
}

function isYes(value: string | undefined): boolean {
  return value !== undefined && value.toLowerCase() === 'yes';
}

/** Parses the `SHA256:` list: one `<64 hex> <size> <path>` line per file. */
export function parseChecksumList(value: string | undefined, hashLength: number): Map<string, { hash: string; size: number }> {
  const entries = new Map<string, { hash: string; size: number }>();
  if (value === undefined) return entries;
  for (const rawLine of value.split('\n')) {
    const line = rawLine.trim();
    if (line.length === 0) continue;
    const parts = line.split(/\s+/);
    if (parts.length !== 3) throw new AptReleaseFormatError(`malformed checksum line: ${JSON.stringify(line)}`);
    const [hash, sizeText, path] = parts;
    if (hash.length !== hashLength || !/^[0-9a-fA-F]+$/.test(hash)) {
      throw new AptReleaseFormatError(`malformed hash in checksum line: ${JSON.stringify(line)}`);
    }
    if (!/^\d+$/.test(sizeText)) throw new AptReleaseFormatError(`malformed size in checksum line: ${JSON.stringify(line)}`);
    entries.set(path, { hash: hash.toLowerCase(), size: Number(sizeText) });
  }
  return entries;
}

/**
 * Parses the text of a Release file (for InRelease: the verified signed text, not the armor).
 * Throws {@link AptReleaseFormatError} on malformed checksum lines or an unreadable `Valid-Until`.
 * An unreadable or missing `Date` gives `date: ''`.
 */
export function parseReleaseFile(text: string): AptReleaseFile {
  const fields = parseControlParagraph(text);
  if (fields.size === 0) throw new AptReleaseFormatError('Release file is empty');
  const dateText = fields.get('date');
  const date = dateText === undefined ? undefined : parseReleaseDate(dateText);
  const validUntilText = fields.get('valid-until');
  let validUntil: string | undefined;
  if (validUntilText !== undefined) {
    const parsed = parseReleaseDate(validUntilText);
    if (parsed === undefined) throw new AptReleaseFormatError(`unreadable Valid-Until: ${JSON.stringify(validUntilText)}`);
    validUntil = parsed.toISOString();
  }
  const info: AptReleaseInfo = {
    origin: fields.get('origin') ?? '',
    label: fields.get('label') ?? '',
    suite: fields.get('suite') ?? '',
    codename: fields.get('codename') ?? '',
    version: fields.get('version') ?? '',
    date: date === undefined ? '' : date.toISOString(),
    validUntil,
    notAutomatic: isYes(fields.get('notautomatic')),
    butAutomaticUpgrades: isYes(fields.get('butautomaticupgrades')),
    acquireByHash: isYes(fields.get('acquire-by-hash')),
    architectures: splitWords(fields.get('architectures')),
    components: splitWords(fields.get('components')),
    sha256: parseChecksumList(fields.get('sha256'), 64),
  };
  const noSupportForAll = splitWords(fields.get('no-support-for-architecture-all'));
  return {
    info,
    architectureAllFoldedIntoPackages: noSupportForAll.includes('Packages'),
    fields,
  };
}

/**
 * Whether a configured component is provided by a Release whose `Components:` field is
 * `listed`. An empty list means the Release does not say (accepted). The security archive
 * lists `updates/main` while sources say `main`; the files still live under `main/`, so
 * a listed component whose last path segment equals the configured one also counts.
 */
export function releaseProvidesComponent(listed: readonly string[], component: string): boolean {
  if (listed.length === 0) return true;
  for (const candidate of listed) {
    if (candidate === component) return true;
    const slash = candidate.lastIndexOf('/');
    if (slash !== -1 && candidate.slice(slash + 1) === component) return true;
  }
  return false;
}
