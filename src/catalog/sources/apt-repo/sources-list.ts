/**
 * Readers for apt's source configuration, as described in sources.list(5):
 *
 * - the one-line format (`/etc/apt/sources.list`, `sources.list.d/*.list`):
 *   `deb [ key=value ... ] uri suite [component ...]`
 * - the deb822 format (`sources.list.d/*.sources`): blank-line separated stanzas of
 *   `Types`, `URIs`, `Suites`, `Components`, ... fields.
 *
 * A malformed line or stanza does not stop the reading: it becomes an {@link AptSourcesProblem}
 * that names the file and line, and the other entries are still returned.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AptSourceEntry } from './types.js';

/** One line or stanza that apt would reject, with where it is. */
export interface AptSourcesProblem {
  file: string;
  /** 1-based line number (the first line of the stanza for deb822). */
  line: number;
  /** Readable text that already names the file and line. */
  message: string;
}

export interface AptSourcesParseResult {
  entries: AptSourceEntry[];
  errors: AptSourcesProblem[];
}

/** The main one-line list, read before the parts directory (apt's order). */
export const APT_MAIN_SOURCES_LIST = '/etc/apt/sources.list';
export const APT_SOURCES_PARTS_DIR = '/etc/apt/sources.list.d';

function problem(file: string, line: number, what: string): AptSourcesProblem {
  return { file, line, message: `${file}:${line}: ${what}` };
}

/** `http://host/debian/` → `http://host/debian`; a bare root such as `file:///` becomes `file:/`. */
function withoutTrailingSlash(uri: string): string {
  const stripped = uri.replace(/\/+$/, '');
  return stripped.endsWith(':') ? stripped + '/' : stripped;
}

/** apt's rule for a usable URI: non-empty and has a scheme separator. */
function isUsableUri(uri: string): boolean {
  return uri.length > 0 && uri.includes(':');
}

/** apt's boolean words (`yes`/`no`, `true`/`false`, ...); undefined when not a boolean. */
function parseAptBoolean(value: string): boolean | undefined {
  switch (value.trim().toLowerCase()) {
    case 'yes':
    case 'true':
    case 'with':
    case 'enable':
    case 'on':
    case '1':
      return true;
    case 'no':
    case 'false':
    case 'without':
    case 'disable':
    case 'off':
    case '0':
      return false;
    default:
      return undefined;
  }
}

const ARMORED_KEY_BEGIN = '-----BEGIN PGP PUBLIC KEY BLOCK-----';

/** A Signed-By value is either an embedded armored key or a list of keyring paths/fingerprints. */
function parseSignedBy(value: string): string[] {
  const trimmed = value.trim();
  if (trimmed.includes(ARMORED_KEY_BEGIN)) return [trimmed];
  return trimmed.split(/[\s,]+/).filter((part) => part.length > 0);
}

function splitList(value: string, alsoCommas = false): string[] {
  return value.split(alsoCommas ? /[\s,]+/ : /\s+/).filter((part) => part.length > 0);
}

function isSourceType(word: string): word is AptSourceEntry['type'] {
  return word === 'deb' || word === 'deb-src';
}

// ---------------------------------------------------------------------------------------------
// One-line format

/**
 * Cuts a one-line entry's comment: a `#` starts a comment unless it sits inside an unclosed
 * `[` (apt keeps such `#` for options).
 */
function withoutComment(line: string): string {
  let open = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '[') open++;
    else if (c === ']') open = Math.max(0, open - 1);
    else if (c === '#' && open === 0) return line.slice(0, i);
  }
  return line;
}

const BLANK = /[ \t\r\v\f]/;

/**
 * Reads one word starting at `from`, the way apt does: whitespace ends a word except inside
 * `"..."` (quotes removed) or `[...]` (brackets kept, for `cdrom:[Debian GNU/Linux ...]/`).
 */
function readWord(text: string, from: number): { word: string; next: number } | undefined {
  let i = from;
  while (i < text.length && BLANK.test(text[i])) i++;
  if (i >= text.length) return undefined;
  let word = '';
  while (i < text.length && !BLANK.test(text[i])) {
    const c = text[i];
    if (c === '"' || c === '[') {
      const close = text.indexOf(c === '"' ? '"' : ']', i + 1);
      if (close === -1) return undefined;
      word += c === '"' ? text.slice(i + 1, close) : text.slice(i, close + 1);
      i = close + 1;
    } else {
      word += c;
      i++;
    }
  }
  return { word, next: i };
}

interface LineOptions {
  architectures?: string[];
  signedBy?: string[];
  trusted?: boolean;
}

function applyOption(key: string, value: string, options: LineOptions): string | undefined {
  switch (key) {
    case 'arch':
      options.architectures = splitList(value, true);
      return undefined;
    case 'signed-by':
      options.signedBy = parseSignedBy(value);
      return undefined;
    case 'trusted': {
      const trusted = parseAptBoolean(value);
      if (trusted === undefined) return `option trusted=${value} is not yes or no`;
      options.trusted = trusted;
      return undefined;
    }
    default:
      // arch+=/arch-=, lang=, target=, pdiffs=, by-hash=, check-valid-until=, ... are valid apt
      // options this inventory does not need; apt accepts unknown keys as well.
      return undefined;
  }
}

function parseOneLine(line: string, file: string, lineNumber: number): AptSourceEntry[] | AptSourcesProblem | undefined {
  const text = withoutComment(line).trim();
  if (text === '') return undefined;

  // Like apt, the type is everything up to the first blank: `deb[arch=amd64]` is not `deb`.
  const type = /^\S+/.exec(text)?.[0] ?? '';
  if (type === text) return problem(file, lineNumber, `'${text}' is not an entry (type and URI expected)`);
  if (!isSourceType(type)) return problem(file, lineNumber, `unknown source type '${type}' (expected deb or deb-src)`);
  let rest = text.slice(type.length).replace(/^\s+/, '');

  const options: LineOptions = {};
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1) return problem(file, lineNumber, "option list '[' is not closed by ']'");
    const inside = rest.slice(1, close).trim();
    for (const option of inside.split(/\s+/).filter((o) => o.length > 0)) {
      const eq = option.indexOf('=');
      if (eq === -1) return problem(file, lineNumber, `option '${option}' is not of the form key=value`);
      const key = option.slice(0, eq);
      const value = option.slice(eq + 1);
      if (key === '' || key === '+' || key === '-') return problem(file, lineNumber, `option '${option}' has no key`);
      if (value === '') return problem(file, lineNumber, `option '${option}' has no value`);
      // `arch+=` / `arch-=` adjust the host's own set, which a plain list cannot state.
      if (key.endsWith('+') || key.endsWith('-')) continue;
      const failure = applyOption(key, value, options);
      if (failure !== undefined) return problem(file, lineNumber, failure);
    }
    rest = rest.slice(close + 1);
  }

  const uriWord = readWord(rest, 0);
  if (uriWord === undefined) return problem(file, lineNumber, `'${type}' line has no URI`);
  if (!isUsableUri(uriWord.word)) return problem(file, lineNumber, `'${uriWord.word}' is not a URI`);
  const suiteWord = readWord(rest, uriWord.next);
  if (suiteWord === undefined) return problem(file, lineNumber, `'${type}' line has no suite`);

  const components: string[] = [];
  let at = suiteWord.next;
  for (let word = readWord(rest, at); word !== undefined; word = readWord(rest, at)) {
    components.push(word.word);
    at = word.next;
  }
  const suite = suiteWord.word;
  if (suite.endsWith('/')) {
    if (components.length > 0) {
      return problem(file, lineNumber, `suite '${suite}' is an exact path, so it must not be followed by components`);
    }
  } else if (components.length === 0) {
    return problem(file, lineNumber, `suite '${suite}' needs at least one component`);
  }

  const entry: AptSourceEntry = {
    type,
    uri: withoutTrailingSlash(uriWord.word),
    suite,
    components,
    enabled: true,
    file,
  };
  if (options.architectures !== undefined) entry.architectures = options.architectures;
  if (options.signedBy !== undefined) entry.signedBy = options.signedBy;
  if (options.trusted !== undefined) entry.trusted = options.trusted;
  return [entry];
}

/** Parses the one-line format (`sources.list`, `*.list`). */
export function parseOneLineSources(text: string, file: string): AptSourcesParseResult {
  const entries: AptSourceEntry[] = [];
  const errors: AptSourcesProblem[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const result = parseOneLine(lines[i], file, i + 1);
    if (result === undefined) continue;
    if (Array.isArray(result)) entries.push(...result);
    else errors.push(result);
  }
  return { entries, errors };
}

// ---------------------------------------------------------------------------------------------
// deb822 format

interface Deb822Stanza {
  /** Line of the stanza's first field. */
  line: number;
  /** Field name in lower case → value; multi-line values keep their lines joined by `\n`. */
  fields: Map<string, { name: string; value: string; line: number }>;
  problems: AptSourcesProblem[];
}

/**
 * Splits deb822 text into stanzas. Comment lines (`#` in the first column) are dropped
 * anywhere, even between the lines of one field. A continuation line starts with a space or
 * tab; a continuation consisting of ` .` stands for an empty line in the value.
 */
function readDeb822Stanzas(text: string, file: string): Deb822Stanza[] {
  const stanzas: Deb822Stanza[] = [];
  let current: Deb822Stanza | undefined;
  let lastField: { name: string; value: string; line: number } | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    const line = lines[i].replace(/\r$/, '');
    if (line.startsWith('#')) continue;
    if (line.trim() === '') {
      current = undefined;
      lastField = undefined;
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (lastField === undefined) {
        if (current === undefined) {
          current = { line: lineNumber, fields: new Map(), problems: [] };
          stanzas.push(current);
        }
        current.problems.push(problem(file, lineNumber, 'continuation line without a field before it'));
        continue;
      }
      const content = line.trim();
      lastField.value += '\n' + (content === '.' ? '' : content);
      continue;
    }
    if (current === undefined) {
      current = { line: lineNumber, fields: new Map(), problems: [] };
      stanzas.push(current);
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      current.problems.push(problem(file, lineNumber, `'${line.trim()}' is not a 'Field: value' line`));
      lastField = undefined;
      continue;
    }
    const name = line.slice(0, colon).trim();
    const key = name.toLowerCase();
    if (current.fields.has(key)) {
      current.problems.push(problem(file, lineNumber, `field '${name}' appears twice in one stanza`));
    }
    lastField = { name, value: line.slice(colon + 1).trim(), line: lineNumber };
    current.fields.set(key, lastField);
  }
  return stanzas;
}

function stanzaEntries(stanza: Deb822Stanza, file: string): AptSourcesParseResult {
  const field = (name: string): string | undefined => stanza.fields.get(name.toLowerCase())?.value;
  const fail = (what: string): AptSourcesParseResult => ({ entries: [], errors: [problem(file, stanza.line, what)] });

  let enabled = true;
  const enabledText = field('Enabled');
  if (enabledText !== undefined && enabledText !== '') {
    const parsed = parseAptBoolean(enabledText);
    if (parsed === undefined) return fail(`Enabled: '${enabledText}' is not yes or no`);
    enabled = parsed;
  }
  // A stanza apt skips (Enabled: no) is still worth showing, but apt does not validate its
  // contents, so a malformed disabled stanza is dropped without an error.
  const quietly = (what: string): AptSourcesParseResult => (enabled ? fail(what) : { entries: [], errors: [] });

  if (stanza.problems.length > 0) return enabled ? { entries: [], errors: stanza.problems } : { entries: [], errors: [] };

  const typesText = field('Types');
  if (typesText === undefined) return fail('stanza has no Types field');
  const types = splitList(typesText);
  if (types.length === 0) return quietly('Types field is empty');
  for (const type of types) {
    if (!isSourceType(type)) return quietly(`unknown source type '${type}' (expected deb or deb-src)`);
  }

  const uris = splitList(field('URIs') ?? '');
  if (uris.length === 0) return quietly('stanza has no URIs');
  const badUri = uris.find((uri) => !isUsableUri(uri));
  if (badUri !== undefined) return quietly(`'${badUri}' is not a URI`);

  const suites = splitList(field('Suites') ?? '');
  if (suites.length === 0) return quietly('stanza has no Suites');
  const components = splitList(field('Components') ?? '');
  for (const suite of suites) {
    if (suite.endsWith('/') && components.length > 0) {
      return quietly(`suite '${suite}' is an exact path, so the stanza must not have Components`);
    }
    if (!suite.endsWith('/') && components.length === 0) {
      return quietly(`suite '${suite}' needs Components`);
    }
  }

  const architecturesText = field('Architectures');
  const signedByText = field('Signed-By');
  const trustedText = field('Trusted');
  let trusted: boolean | undefined;
  if (trustedText !== undefined) {
    trusted = parseAptBoolean(trustedText);
    if (trusted === undefined) return quietly(`Trusted: '${trustedText}' is not yes or no`);
  }

  const entries: AptSourceEntry[] = [];
  for (const type of types as AptSourceEntry['type'][]) {
    for (const uri of uris) {
      for (const suite of suites) {
        const entry: AptSourceEntry = {
          type,
          uri: withoutTrailingSlash(uri),
          suite,
          components: suite.endsWith('/') ? [] : [...components],
          enabled,
          file,
        };
        if (architecturesText !== undefined) entry.architectures = splitList(architecturesText, true);
        if (signedByText !== undefined) entry.signedBy = parseSignedBy(signedByText);
        if (trusted !== undefined) entry.trusted = trusted;
        entries.push(entry);
      }
    }
  }
  return { entries, errors: [] };
}

/** Parses the deb822 format (`*.sources`), one entry per Types × URIs × Suites. */
export function parseDeb822Sources(text: string, file: string): AptSourcesParseResult {
  const entries: AptSourceEntry[] = [];
  const errors: AptSourcesProblem[] = [];
  for (const stanza of readDeb822Stanzas(text, file)) {
    const result = stanzaEntries(stanza, file);
    entries.push(...result.entries);
    errors.push(...result.errors);
  }
  return { entries, errors };
}

// ---------------------------------------------------------------------------------------------
// Files

/**
 * Whether apt reads a file of this name from `sources.list.d`: it must end in `.list` or
 * `.sources`, not start with a dot, and use only letters, digits, `_`, `-`, `.` and `:`.
 * Anything else (`foo.list.save`, `foo.list.disabled`, `foo.sources~`) is ignored by apt.
 */
export function isAptSourcesPartName(name: string): boolean {
  if (name.startsWith('.')) return false;
  if (!/^[A-Za-z0-9_.:-]+$/.test(name)) return false;
  return name.endsWith('.list') || name.endsWith('.sources');
}

/** Parses one file, choosing the format by extension the way apt does (`.sources` → deb822). */
export function parseAptSourcesFile(file: string, text: string): AptSourcesParseResult {
  return file.endsWith('.sources') ? parseDeb822Sources(text, file) : parseOneLineSources(text, file);
}

/**
 * Orders source files as apt reads them: the main list first, then the parts in byte order
 * of their paths. Files under the parts directory that apt would ignore are dropped.
 */
export function orderAptSourceFiles(paths: string[]): string[] {
  const main = paths.filter((p) => p === APT_MAIN_SOURCES_LIST);
  const parts = paths
    .filter((p) => path.posix.dirname(p) === APT_SOURCES_PARTS_DIR && isAptSourcesPartName(path.posix.basename(p)))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [...main, ...parts];
}

/**
 * Reads and parses the apt sources of the system mounted at `root` (default `/`). Entries name
 * their file by its path on that system (`/etc/apt/...`, without `root`). Unreadable files are
 * reported as errors with line 0.
 */
export async function readSystemAptSources(root = '/'): Promise<AptSourcesParseResult> {
  const onDisk = (systemPath: string): string => path.join(root, systemPath);
  const candidates: string[] = [APT_MAIN_SOURCES_LIST];
  try {
    for (const name of await readdir(onDisk(APT_SOURCES_PARTS_DIR))) {
      candidates.push(path.posix.join(APT_SOURCES_PARTS_DIR, name));
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }

  const entries: AptSourceEntry[] = [];
  const errors: AptSourcesProblem[] = [];
  for (const systemPath of orderAptSourceFiles(candidates)) {
    let text: string;
    try {
      const info = await stat(onDisk(systemPath));
      if (!info.isFile()) continue;
      text = await readFile(onDisk(systemPath), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      errors.push(problem(systemPath, 0, `cannot be read (${code ?? String(error)})`));
      continue;
    }
    const result = parseAptSourcesFile(systemPath, text);
    entries.push(...result.entries);
    errors.push(...result.errors);
  }
  return { entries, errors };
}
