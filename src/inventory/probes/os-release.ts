/**
 * `/etc/os-release` (os-release(5)): newline-separated `KEY=value` assignments in a subset of
 * shell syntax. Values may be unquoted, 'single-quoted' (taken literally) or "double-quoted"
 * (where a backslash escapes `$`, `"`, `\` and `` ` ``); outside quotes a backslash escapes
 * the next character. `#` lines are comments. Lines that are not assignments are ignored.
 */
import type { Inventory, OsFamily } from '../types.js';

/** Reads the value part of an assignment; stops at the first unquoted blank. */
function readShellValue(text: string): string {
  let value = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t') break;
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      const end = close === -1 ? text.length : close;
      value += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length && '$"\\`'.includes(text[i + 1])) {
          value += text[i + 1];
          i += 2;
        } else {
          value += text[i];
          i++;
        }
      }
      i++; // closing quote (or end of text)
    } else if (c === '\\') {
      if (i + 1 < text.length) value += text[i + 1];
      i += 2;
    } else {
      value += c;
      i++;
    }
  }
  return value;
}

/** All assignments of an os-release file, unquoted. A later assignment wins. */
export function parseOsReleaseFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match === null) continue;
    fields.set(match[1], readShellValue(match[2]));
  }
  return fields;
}

/** os-release `ID` / `ID_LIKE` words and their package family (the dispatching probe follows the same table). */
export const FAMILY_BY_ID: Readonly<Record<string, OsFamily>> = {
  debian: 'debian',
  ubuntu: 'debian',
  rhel: 'rpm',
  fedora: 'rpm',
  centos: 'rpm',
  suse: 'rpm',
  amzn: 'rpm',
  alpine: 'alpine',
};

/** The package family of an OS: its own ID decides first, then ID_LIKE in order. */
export function osFamilyOf(id: string, idLike: string[]): OsFamily {
  for (const candidate of [id, ...idLike]) {
    const family = FAMILY_BY_ID[candidate.toLowerCase()];
    if (family !== undefined) return family;
  }
  return 'unknown';
}

/** The `os` part of an inventory, with os-release(5)'s defaults for missing fields. */
export function osFromOsRelease(text: string): Inventory['os'] {
  const fields = parseOsReleaseFields(text);
  const id = fields.get('ID') || 'linux';
  const idLike = (fields.get('ID_LIKE') ?? '').split(/\s+/).filter((word) => word.length > 0);
  const version = fields.get('VERSION') ?? '';
  // Old releases (Debian 8) only say the codename inside VERSION, e.g. `8 (jessie)`.
  const codenameInVersion = /\(([A-Za-z]+)\)/.exec(version)?.[1]?.toLowerCase() ?? '';
  return {
    family: osFamilyOf(id, idLike),
    id,
    idLike,
    versionId: fields.get('VERSION_ID') ?? '',
    versionCodename: fields.get('VERSION_CODENAME') || fields.get('UBUNTU_CODENAME') || codenameInVersion,
    prettyName: fields.get('PRETTY_NAME') || fields.get('NAME') || 'Linux',
  };
}
