/**
 * Repository definitions of rpm machines: the INI-style `.repo` files of dnf/yum
 * (`/etc/yum.repos.d`, see dnf.conf(5)) and zypper (`/etc/zypp/repos.d`).
 *
 * - `[id]` starts a repository; `key=value` sets an option (blanks around `=` are dropped).
 * - Lines starting with `#` or `;` are comments. A line starting with a blank continues the
 *   previous value (how several `baseurl`s are usually written).
 * - `baseurl` is a list: URLs separated by blanks or commas.
 * - `enabled` defaults to on; `1`, `yes`, `true` and `on` (any case) are on.
 */
import type { PackageRepository } from '../types.js';

export interface RepoFileParseResult {
  repositories: PackageRepository[];
  /** Lines that could not be read, naming the file and line. */
  problems: string[];
}

function isOn(value: string): boolean {
  return ['1', 'yes', 'true', 'on'].includes(value.trim().toLowerCase());
}

/** Reads one `.repo` file; `file` is its path on the machine (for the result and problems). */
export function parseRepoFile(file: string, text: string): RepoFileParseResult {
  const repositories: PackageRepository[] = [];
  const problems: string[] = [];
  let options: Map<string, string> | undefined;
  let id = '';
  let lastKey: string | undefined;

  const finish = (): void => {
    if (options === undefined) return;
    repositories.push({
      file,
      id,
      name: options.get('name') ?? '',
      enabled: options.has('enabled') ? isOn(options.get('enabled') ?? '') : true,
      baseUrls: (options.get('baseurl') ?? '').split(/[\s,]+/).filter((url) => url !== ''),
      mirrorList: options.get('mirrorlist') ?? '',
      metalink: options.get('metalink') ?? '',
    });
  };

  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index].replace(/\r$/, '');
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    if (/^\s/.test(raw) && options !== undefined && lastKey !== undefined) {
      options.set(lastKey, `${options.get(lastKey) ?? ''}\n${trimmed}`);
      continue;
    }
    const section = /^\[([^\]]*)\]$/.exec(trimmed);
    if (section !== null) {
      finish();
      id = section[1].trim();
      options = new Map();
      lastKey = undefined;
      continue;
    }
    const equals = trimmed.indexOf('=');
    if (options === undefined || equals <= 0) {
      problems.push(`${file}:${index + 1}: not a repository option: ${JSON.stringify(trimmed)}`);
      lastKey = undefined;
      continue;
    }
    lastKey = trimmed.slice(0, equals).trim().toLowerCase();
    options.set(lastKey, trimmed.slice(equals + 1).trim());
  }
  finish();
  return { repositories, problems };
}

/**
 * Reads `/etc/apk/repositories` (or a `repositories.d/*.list` file): one repository per line,
 * a URL or a local path, optionally preceded by `@tag` (a tagged repository is only used for
 * packages pinned to it). `#` lines are comments.
 */
export function parseApkRepositories(file: string, text: string): PackageRepository[] {
  const repositories: PackageRepository[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = line.split(/\s+/);
    const tag = words[0].startsWith('@') ? words.shift()!.slice(1) : '';
    if (words.length === 0) continue;
    repositories.push({ file, id: tag, name: '', enabled: true, baseUrls: [words.join(' ')], mirrorList: '', metalink: '' });
  }
  return repositories;
}
