/**
 * Helpers for checking src/versions/rpm.ts against the real rpm: generate version and EVR
 * pairs from a seeded PRNG, and get rpm's answers for many pairs from ONE `rpm --eval`
 * process, using rpm's embedded Lua (`rpm.vercmp()`, `rpm.ver()`).
 *
 * How rpm is asked (see RPM_LUA below):
 *   - The pairs go to a temporary file, one `a<TAB>b` per line; the Lua code reads it and
 *     writes one answer line per pair to a second file. Paths and the mode travel in
 *     environment variables, so nothing has to be quoted into the macro.
 *   - Lua's `rpm.vercmp(x, y)` parses both arguments as EVRs (rpmverParse + rpmverCmp). To
 *     get plain rpmvercmp() on arbitrary strings, each string is wrapped as `0:<s>-0`: the
 *     epoch is then `0`, the release (after the LAST '-') is `0`, and the version is exactly
 *     `<s>`, whatever `-` or `:` it contains.
 *   - EVR mode reports, per pair, `rpm.vercmp(a, b)` (rpm's total order: no release sorts
 *     before any release), a "dependency" comparison assembled from rpm's own parse
 *     (`rpm.ver(x).e/.v/.r`) where the releases are compared only if both exist, and the
 *     parsed parts themselves.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Order = -1 | 0 | 1;
export type RpmAnswer = Order | 'err';

/** rpm's parse of one EVR: `null` fields are absent (Lua nil). */
export interface RpmParsedEvr {
  epoch: string | null;
  version: string;
  release: string | null;
}

export interface RpmEvrAnswer {
  /** rpm.vercmp(a, b): rpmverCmp, a missing release sorts first. */
  full: RpmAnswer;
  /** Epoch, version, and the release only when both sides have one. */
  match: RpmAnswer;
  a: RpmParsedEvr | null;
  b: RpmParsedEvr | null;
}

// No '%' anywhere (macro syntax) and balanced braces: this text is the body of %{lua: ...}.
const RPM_LUA = `
local mode = os.getenv("PW_RPM_MODE")
local inp = assert(io.open(os.getenv("PW_RPM_IN"), "rb"))
local out = assert(io.open(os.getenv("PW_RPM_OUT"), "wb"))
local function cmp(x, y)
  local ok, r = pcall(rpm.vercmp, x, y)
  if ok then return tostring(r) end
  return "err"
end
local function raw(x, y)
  return cmp("0:" .. x .. "-0", "0:" .. y .. "-0")
end
local function parse(x)
  local ok, v = pcall(rpm.ver, x)
  if ok and v then return v end
  return nil
end
local function show(v)
  if not v then return "!\\t\\t" end
  return (v.e or "") .. "\\t" .. v.v .. "\\t" .. (v.r or "")
end
for line in inp:lines() do
  local t = string.find(line, "\\t", 1, true)
  local a = string.sub(line, 1, t - 1)
  local b = string.sub(line, t + 1)
  if mode == "raw" then
    out:write(raw(a, b), "\\n")
  else
    local va = parse(a)
    local vb = parse(b)
    local match = "err"
    if va and vb then
      match = raw(va.e or "0", vb.e or "0")
      if match == "0" then match = raw(va.v, vb.v) end
      if match == "0" and va.r and vb.r and va.r ~= "" and vb.r ~= "" then match = raw(va.r, vb.r) end
    end
    out:write(cmp(a, b), "\\t", match, "\\t", show(va), "\\t", show(vb), "\\n")
  end
end
out:close()
inp:close()
`;

function runRpmLua(mode: 'raw' | 'evr', pairs: ReadonlyArray<readonly [string, string]>): string[] {
  for (const [a, b] of pairs) {
    if (/[\t\n\r\0]/.test(a + b)) throw new Error(`pair cannot go through the batch file: ${JSON.stringify([a, b])}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'rpm-diff-'));
  try {
    const inFile = join(dir, 'pairs.tsv');
    const outFile = join(dir, 'answers.tsv');
    writeFileSync(inFile, pairs.map(([a, b]) => `${a}\t${b}\n`).join(''));
    const r = spawnSync('rpm', ['--eval', `%{lua:${RPM_LUA}}`], {
      encoding: 'utf8',
      env: { ...process.env, PW_RPM_MODE: mode, PW_RPM_IN: inFile, PW_RPM_OUT: outFile },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 300_000,
    });
    if (r.error) throw r.error;
    if (r.status !== 0 || /error:/.test(r.stderr)) {
      throw new Error(`rpm --eval failed (status ${r.status}): ${r.stderr}`);
    }
    const text = readFileSync(outFile, 'utf8');
    const lines = text.length === 0 ? [] : text.replace(/\n$/, '').split('\n');
    if (lines.length !== pairs.length) throw new Error(`rpm answered ${lines.length} lines for ${pairs.length} pairs`);
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function toAnswer(s: string): RpmAnswer {
  if (s === '-1') return -1;
  if (s === '0') return 0;
  if (s === '1') return 1;
  return 'err';
}

/** rpm's rpmvercmp() for every pair, in one rpm process. */
export function rpmVercmpBatch(pairs: ReadonlyArray<readonly [string, string]>): RpmAnswer[] {
  return runRpmLua('raw', pairs).map(toAnswer);
}

/** rpm's EVR answers for every pair, in one rpm process. `(none):` must be removed first. */
export function rpmEvrBatch(pairs: ReadonlyArray<readonly [string, string]>): RpmEvrAnswer[] {
  return runRpmLua('evr', pairs).map((line) => {
    const f = line.split('\t');
    const parsed = (e: string, v: string, r: string): RpmParsedEvr | null =>
      e === '!' ? null : { epoch: e === '' ? null : e, version: v, release: r === '' ? null : r };
    return { full: toAnswer(f[0]), match: toAnswer(f[1]), a: parsed(f[2], f[3], f[4]), b: parsed(f[5], f[6], f[7]) };
  });
}

/** Why rpm cannot be used here, or undefined when it can. */
export function rpmUnavailableReason(): string | undefined {
  const r = spawnSync('rpm', ['--eval', '%{lua: io.write(tostring(rpm.vercmp("1.0", "1.0^a")), " ", type(rpm.ver), "\\n")}'], {
    encoding: 'utf8',
  });
  if (r.error) return `\`rpm\` is not runnable (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}); install the Debian package "rpm"`;
  if (r.status !== 0) return `\`rpm --eval\` exited with ${r.status}: ${r.stderr.trim()}`;
  if (!r.stdout.startsWith('-1 function')) {
    return `this rpm lacks the Lua rpm.vercmp()/rpm.ver() or '^' support (got ${JSON.stringify(r.stdout.trim())})`;
  }
  return undefined;
}

/** Small deterministic PRNG (sfc32 seeded from one 32-bit integer). */
export function seededRandom(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

type Rnd = () => number;

const pick = <T>(rnd: Rnd, arr: readonly T[]): T => arr[Math.floor(rnd() * arr.length)];
const int = (rnd: Rnd, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));

/** Versions and releases of the kind found in RHEL/Fedora/SUSE repositories. */
export const REALISTIC_VERSIONS: readonly string[] = [
  '1.0', '1.0.1', '2.17', '2.28', '1.1.1k', '1.1.1w', '3.0.7', '5.14.0', '4.18.0', '6.12.96', '6.12.100',
  '0.9.8zh', '2.0.0~rc1', '2.0.0~rc2', '2.0.0', '1.0^20230101git5e6f7a8', '1.0^20240202gitabcdef0', '9.4.0',
  '0.99.beta3', '20240101', '1.2.3a', '1.2.3b', '10.0001', '10.1', '1.01', '1.001', '3.6.8', '3.11.7',
  '102.15.0', '115.3.1esr', '2.4.57', '8.0.1', '1:2.3', '4.4.20', '7.61.1', '1.21.1', '0.8.0~beta1', '2.02',
  '2.06', '5.3.28', 'v1.2', 'git20240101', '1.0.0~pre1^post1', '3.2.0^1', '0.20231010git1', '2023.10.10',
];

export const REALISTIC_RELEASES: readonly string[] = [
  '1', '2', '10', '1.el9', '1.el8', '362.8.1.el9_3', '513.5.1.el8_9', '3.fc40', '0.1.rc1.el8_9',
  '2.el7_9.1', '1.1', '150500.6.3.1', '9.el8_7', '1.fc39', '0.2.beta.fc40', '4.module+el8.9.0+123+abc',
  '1%3F', '7.1', '1.el9_2.0.1', '33.el9', '33.el9_4.1', '0.20231010git1.fc40', '1.mga9', '2.1.x86_64',
];

const SEPARATORS = ['.', '.', '.', '.', '_', '_', '+', '-', ':', '/', '%', '@', ',', ' ', 'é', 'α', '€', '\u{1f600}', '!'];
const LETTER_WORDS = ['a', 'b', 'c', 'z', 'rc', 'alpha', 'beta', 'pre', 'post', 'git', 'el', 'fc', 'p', 'dev', 'svn', 'snap', 'A', 'Z', 'RC', 'Beta', 'esr', 'mga', 'x', 'aa', 'ab'];

function digits(rnd: Rnd): string {
  const roll = rnd();
  const len = roll < 0.5 ? 1 : roll < 0.8 ? int(rnd, 2, 4) : roll < 0.95 ? int(rnd, 5, 12) : int(rnd, 13, 40);
  let s = String(int(rnd, 0, 9));
  for (let i = 1; i < len; i++) s += String(int(rnd, 0, 9));
  if (rnd() < 0.15) s = '0'.repeat(int(rnd, 1, 3)) + s;
  return s;
}

function letters(rnd: Rnd): string {
  if (rnd() < 0.7) return pick(rnd, LETTER_WORDS);
  const len = int(rnd, 1, 6);
  let s = '';
  for (let i = 0; i < len; i++) {
    const c = int(rnd, 0, 25);
    s += String.fromCharCode((rnd() < 0.2 ? 65 : 97) + c);
  }
  return s;
}

/** A random rpmvercmp input: digit/letter runs, separators of all kinds, `~` and `^`. */
export function randomVersion(rnd: Rnd): string {
  if (rnd() < 0.02) return '';
  const parts = int(rnd, 1, 7);
  let s = '';
  const r0 = rnd();
  if (r0 < 0.04) s += pick(rnd, ['~', '^', '.', '_', '~~', '^~']);
  for (let i = 0; i < parts; i++) {
    s += rnd() < 0.82 ? digits(rnd) : letters(rnd);
    if (i < parts - 1) {
      const r = rnd();
      if (r < 0.7) s += pick(rnd, SEPARATORS);
      else if (r < 0.8) s += pick(rnd, ['~', '^', '~', '^', '~~', '^^', '.~', '^.', '~^', '^~']);
      else if (r < 0.85) s += pick(rnd, SEPARATORS) + pick(rnd, SEPARATORS);
      // else: no separator; adjacent runs of the same kind merge, of different kinds split
    }
  }
  if (rnd() < 0.08) s += pick(rnd, ['~', '^', '.', '~rc1', '^git1', '_', '~~', '^']);
  return s;
}

function replaceAt(s: string, i: number, len: number, repl: string): string {
  return s.slice(0, i) + repl + s.slice(i + len);
}

/** Returns a "nearby" version: most pairs share a prefix and differ in one place. */
export function mutateVersion(rnd: Rnd, v: string): string {
  const roll = int(rnd, 0, 13);
  const at = v.length === 0 ? 0 : int(rnd, 0, v.length - 1);
  switch (roll) {
    case 0: // append a segment
      return v + (rnd() < 0.7 ? pick(rnd, SEPARATORS) : '') + (rnd() < 0.7 ? digits(rnd) : letters(rnd));
    case 1: // append a tilde or caret part
      return v + pick(rnd, ['~', '^']) + (rnd() < 0.5 ? letters(rnd) + digits(rnd) : digits(rnd));
    case 2: // truncate
      return v.slice(0, at);
    case 3: { // change one character to another of the same class
      const c = v.charCodeAt(at);
      if (c >= 48 && c <= 57) return replaceAt(v, at, 1, String(int(rnd, 0, 9)));
      if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return replaceAt(v, at, 1, String.fromCharCode(97 + int(rnd, 0, 25)));
      return replaceAt(v, at, 1, pick(rnd, SEPARATORS));
    }
    case 4: { // leading zeros on a digit run
      let i = at;
      while (i < v.length && !(v.charCodeAt(i) >= 48 && v.charCodeAt(i) <= 57)) i++;
      while (i > 0 && v.charCodeAt(i - 1) >= 48 && v.charCodeAt(i - 1) <= 57) i--;
      return v.slice(0, i) + '0'.repeat(int(rnd, 1, 3)) + v.slice(i);
    }
    case 5: // insert ~ or ^ somewhere
      return replaceAt(v, at, 0, pick(rnd, ['~', '^']));
    case 6: { // swap every separator for another one (usually equal for rpm)
      let out = '';
      for (const ch of v) out += /[0-9A-Za-z~^]/.test(ch) ? ch : pick(rnd, SEPARATORS);
      return out;
    }
    case 7: { // bump the last number (carry makes it longer sometimes)
      const m = /^(.*?)(\d+)(\D*)$/s.exec(v);
      if (!m) return v + '1';
      const bumped = (BigInt(m[2]) + BigInt(int(rnd, 1, 3))).toString();
      return m[1] + bumped + m[3];
    }
    case 8: { // flip the case of a letter
      const c = v.charCodeAt(at);
      if (c >= 97 && c <= 122) return replaceAt(v, at, 1, String.fromCharCode(c - 32));
      if (c >= 65 && c <= 90) return replaceAt(v, at, 1, String.fromCharCode(c + 32));
      return v + 'a';
    }
    case 9: // drop one character (may merge or split segments)
      return v.length === 0 ? v : replaceAt(v, at, 1, '');
    case 10: // trailing separator (equal for rpm)
      return v + pick(rnd, SEPARATORS);
    case 11: // insert a separator (splits a run)
      return replaceAt(v, at, 0, pick(rnd, SEPARATORS));
    case 12: // duplicate a character (longer run)
      return v.length === 0 ? '0' : replaceAt(v, at, 0, v[at]);
    default:
      return v;
  }
}

/** Replaces lone UTF-16 surrogates (which have no UTF-8 form) so rpm sees the same text. */
function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '?');
}

export interface GeneratedPairs {
  pairs: Array<[string, string]>;
  counts: Record<string, number>;
}

/** `count` rpmvercmp pairs: related (shared prefix) pairs dominate; some identical and random. */
export function generateVersionPairs(seed: number, count: number): GeneratedPairs {
  const rnd = seededRandom(seed);
  const pairs: Array<[string, string]> = [];
  const counts: Record<string, number> = {};
  const add = (kind: string, x: string, y: string): void => {
    const a = wellFormed(x);
    const b = wellFormed(y);
    pairs.push(rnd() < 0.5 ? [a, b] : [b, a]);
    counts[kind] = (counts[kind] ?? 0) + 1;
  };
  // The realistic corpus against itself first: every ordered combination is meaningful.
  for (const a of REALISTIC_VERSIONS) for (const b of REALISTIC_RELEASES.slice(0, 6)) add('realistic-cross', a, b);
  for (let i = 0; i < REALISTIC_VERSIONS.length; i++) {
    for (let j = i; j < REALISTIC_VERSIONS.length; j++) add('realistic', REALISTIC_VERSIONS[i], REALISTIC_VERSIONS[j]);
  }
  while (pairs.length < count) {
    const r = rnd();
    if (r < 0.06) {
      const v = rnd() < 0.5 ? randomVersion(rnd) : pick(rnd, REALISTIC_VERSIONS);
      add('identical', v, v);
    } else if (r < 0.18) {
      add('random', randomVersion(rnd), randomVersion(rnd));
    } else {
      const base = rnd() < 0.3 ? pick(rnd, [...REALISTIC_VERSIONS, ...REALISTIC_RELEASES]) : randomVersion(rnd);
      let other = mutateVersion(rnd, base);
      if (rnd() < 0.3) other = mutateVersion(rnd, other);
      add('mutated', base, other);
    }
  }
  return { pairs, counts };
}

/** rpm never sees `(none):`; it is our spelling of "no epoch". */
export function canonicalForRpm(evr: string): string {
  return evr.startsWith('(none):') ? evr.slice('(none):'.length) : evr;
}

/** Turns a random string into something valid as an EVR version or release part. */
function evrPart(rnd: Rnd, v: string): string {
  let out = '';
  for (const ch of v) out += ch === '-' || ch === ':' || ch === ' ' ? pick(rnd, ['.', '_', '+', '']) : ch;
  return out.length === 0 ? String(int(rnd, 0, 9)) : out;
}

function randomEpoch(rnd: Rnd): string | undefined {
  const r = rnd();
  if (r < 0.5) return undefined;
  if (r < 0.65) return '0';
  if (r < 0.85) return String(int(rnd, 1, 3));
  if (r < 0.9) return '0' + String(int(rnd, 0, 12));
  if (r < 0.95) return String(int(rnd, 10, 4294967295));
  if (r < 0.97) return '';
  return '(none)';
}

interface EvrParts {
  epoch: string | undefined;
  version: string;
  release: string | undefined;
}

function formatEvr(p: EvrParts): string {
  return (p.epoch === undefined ? '' : `${p.epoch}:`) + p.version + (p.release === undefined ? '' : `-${p.release}`);
}

function randomEvr(rnd: Rnd): EvrParts {
  const version = rnd() < 0.5 ? evrPart(rnd, pick(rnd, REALISTIC_VERSIONS)) : evrPart(rnd, randomVersion(rnd));
  const release = rnd() < 0.3 ? undefined : rnd() < 0.6 ? pick(rnd, REALISTIC_RELEASES) : evrPart(rnd, randomVersion(rnd));
  // A '-' inside the version is possible when a release follows (rpm splits at the LAST '-').
  const dashed = release !== undefined && rnd() < 0.05 ? `${version}-${evrPart(rnd, letters(rnd))}` : version;
  return { epoch: randomEpoch(rnd), version: dashed, release };
}

/** `count` EVR pairs: same version with different/missing releases, epoch changes, mutations. */
export function generateEvrPairs(seed: number, count: number): GeneratedPairs {
  const rnd = seededRandom(seed ^ 0x5bd1e995);
  const pairs: Array<[string, string]> = [];
  const counts: Record<string, number> = {};
  const add = (kind: string, a: EvrParts, b: EvrParts): void => {
    const x = wellFormed(formatEvr(a));
    const y = wellFormed(formatEvr(b));
    pairs.push(rnd() < 0.5 ? [x, y] : [y, x]);
    counts[kind] = (counts[kind] ?? 0) + 1;
  };
  while (pairs.length < count) {
    const a = randomEvr(rnd);
    const r = rnd();
    if (r < 0.05) add('identical', a, a);
    else if (r < 0.2) add('release-missing', a, { ...a, release: undefined });
    else if (r < 0.35) add('release-changed', a, { ...a, release: evrPart(rnd, mutateVersion(rnd, a.release ?? pick(rnd, REALISTIC_RELEASES))) });
    else if (r < 0.5) add('epoch-changed', a, { ...a, epoch: randomEpoch(rnd) });
    else if (r < 0.75) add('version-changed', a, { ...a, version: evrPart(rnd, mutateVersion(rnd, a.version)) });
    else if (r < 0.85) {
      const b = randomEvr(rnd);
      add('version-and-release', a, { ...b, epoch: a.epoch });
    } else add('random', a, randomEvr(rnd));
  }
  return { pairs, counts };
}
