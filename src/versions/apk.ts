/**
 * Alpine (apk) package version validation and ordering, following apk-tools' `src/version.c`
 * in its current token-based form (the rewrite that replaced the `TOKEN_DIGIT_OR_ZERO`
 * tokenizer and later gained the `~hash` component).
 *
 * Version syntax: `digits{.digits}[letter]{_suffix[digits]}[~hash][-rdigits]`
 *   - The first component is a run of digits; further components are `.digits` (non-empty).
 *   - At most one lowercase letter `a`-`z`, directly after a numeric component (`1.2a`).
 *     A letter cannot be followed by digits or a dot (`1.0a1`, `1.0a.1` are invalid).
 *   - Any number of suffixes `_alpha`, `_beta`, `_pre`, `_rc`, `_cvs`, `_svn`, `_git`, `_hg`,
 *     `_p`, each optionally followed by a number (`_rc2`, `_p20240101`, `_alpha_pre2`).
 *   - An optional commit hash: `~` and one or more lowercase hex digits (`~1a2b3c`).
 *   - An optional package revision: `-r` and one or more digits.
 *   Anything else (uppercase letters, `+`, a bare `-`, `1.`, `1.0_`, `1.0-r`, an empty string)
 *   is invalid.
 *
 * Ordering (token by token, left to right):
 *   - The first component, suffix numbers and revisions compare as numbers (`006` == `6`).
 *   - A later dotted component compares as a number unless either side starts with `0`; then
 *     both compare as strings, byte by byte, a prefix sorting first. So a leading zero makes
 *     the component a decimal fraction: `1.01 < 1.1`, `1.05 < 1.1`, `1.010 > 1.01`,
 *     `1.0 < 1.00`, while `6.12.100 > 6.12.96` numerically.
 *   - Letters compare by character; suffixes by `alpha < beta < pre < rc < cvs < svn < git <
 *     hg < p`; commit hashes as strings.
 *   - When one version has a component the other lacks (all earlier ones being equal): a
 *     pre-release suffix (`_alpha`, `_beta`, `_pre`, `_rc`) makes that version older
 *     (`1.2_rc1 < 1.2`); otherwise the version that goes on is newer, and between two
 *     different kinds of continuation the earlier kind in the syntax above wins:
 *     `.digits` > letter > suffix > hash > revision > end. Hence `1.2 < 1.2_p1`,
 *     `1.2 < 1.2a < 1.2.1`, `1.2 < 1.2-r0 < 1.2-r1`, `1.2_p1 < 1.2a`.
 *
 * Deliberate differences from apk-tools:
 *   - apk parses numbers into a uint64 that silently wraps after 20 digits; here digit runs
 *     of any length compare exactly.
 *   - apk orders invalid strings too, token by token until the invalid part (its own test list
 *     has `1.0 < 1.0bc` and `23_foo > 4_beta`). {@link compareApkVersions} throws
 *     {@link InvalidApkVersionError} instead, unless `{ allowInvalid: true }` is passed, which
 *     reproduces apk's answer for invalid input.
 *   - Older apk-tools releases accepted `1.0_` (empty suffix) and `1.0-r` (empty revision),
 *     and did not know `~hash`; this module follows the current rules.
 *
 * The comparison does not allocate and uses no regular expressions.
 * This module is intentionally self-contained (no project imports).
 */

export type ApkSuffixName = 'alpha' | 'beta' | 'pre' | 'rc' | 'cvs' | 'svn' | 'git' | 'hg' | 'p';

export interface ApkVersionSuffix {
  name: ApkSuffixName;
  /** The digits after the suffix name as written; `''` when there are none. */
  number: string;
}

export interface ApkVersion {
  /** Dotted numeric components as written (leading zeros kept, they matter): `1.02.3` → `['1', '02', '3']`. */
  components: string[];
  /** The single trailing letter, or `''`. */
  letter: string;
  suffixes: ApkVersionSuffix[];
  /** Hex digits after `~`, or `''`. */
  commitHash: string;
  /** Digits after `-r` as written, or `''` when there is no revision (`-r0` gives `'0'`, which is newer than none). */
  revision: string;
}

export interface CompareApkVersionsOptions {
  /** Compare invalid strings the way apk does instead of throwing. */
  allowInvalid?: boolean;
}

export class InvalidApkVersionError extends Error {
  readonly version: string;
  /** Index of the first character apk's tokenizer rejects (the length, when the string ends too early). */
  readonly position: number;

  constructor(version: string, position: number) {
    super(`invalid apk version ${JSON.stringify(version)} at offset ${position}`);
    this.name = 'InvalidApkVersionError';
    this.version = version;
    this.position = position;
  }
}

// Token kinds, in apk's order: at a point where two versions continue differently, the kind
// with the smaller number is the newer version (END and INVALID are the largest).
const T_INITIAL = 0;
const T_DIGIT = 1;
const T_LETTER = 2;
const T_SUFFIX = 3;
const T_SUFFIX_NO = 4;
const T_HASH = 5;
const T_REVISION = 6;
const T_END = 7;
const T_INVALID = 8;

// Suffix ranks; below S_NONE are pre-releases.
const S_INVALID = 0;
const S_ALPHA = 1;
const S_BETA = 2;
const S_PRE = 3;
const S_RC = 4;
const S_NONE = 5;
const S_CVS = 6;
const S_SVN = 7;
const S_GIT = 8;
const S_HG = 9;
const S_P = 10;

const SUFFIX_NAMES: readonly string[] = ['', 'alpha', 'beta', 'pre', 'rc', '', 'cvs', 'svn', 'git', 'hg', 'p'];

const C_MINUS = 45;
const C_DOT = 46;
const C_0 = 48;
const C_9 = 57;
const C_UNDERSCORE = 95;
const C_LOWER_A = 97;
const C_LOWER_F = 102;
const C_LOWER_R = 114;
const C_LOWER_Z = 122;
const C_TILDE = 126;

function isDigit(c: number): boolean {
  return c >= C_0 && c <= C_9;
}

function isLower(c: number): boolean {
  return c >= C_LOWER_A && c <= C_LOWER_Z;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= C_LOWER_A && c <= C_LOWER_F);
}

// Result of the last readFirst()/readNext(): the token kind, the value range [tStart, tEnd)
// (tEnd is also where the next token starts) and the suffix rank for T_SUFFIX. For T_INVALID,
// tStart is the offending position. Module-level slots avoid allocation; no reentrancy.
let tKind = T_END;
let tStart = 0;
let tEnd = 0;
let tSuffix = S_INVALID;

function skipDigits(s: string, i: number): number {
  const n = s.length;
  while (i < n && isDigit(s.charCodeAt(i))) i++;
  return i;
}

/** Rank of the suffix name s[start..end), or S_INVALID. */
function suffixRank(s: string, start: number, end: number): number {
  const len = end - start;
  if (len === 0) return S_INVALID;
  let rank: number;
  switch (s.charCodeAt(start)) {
    case 97: rank = S_ALPHA; break; // a
    case 98: rank = S_BETA; break; // b
    case 99: rank = S_CVS; break; // c
    case 103: rank = S_GIT; break; // g
    case 104: rank = S_HG; break; // h
    case 112: rank = len > 1 ? S_PRE : S_P; break; // p
    case 114: rank = S_RC; break; // r
    case 115: rank = S_SVN; break; // s
    default: return S_INVALID;
  }
  const name = SUFFIX_NAMES[rank];
  if (name.length !== len) return S_INVALID;
  for (let k = 1; k < len; k++) {
    if (s.charCodeAt(start + k) !== name.charCodeAt(k)) return S_INVALID;
  }
  return rank;
}

/** Reads the leading numeric component. */
function readFirst(s: string): void {
  tStart = 0;
  tEnd = skipDigits(s, 0);
  tKind = tEnd > 0 ? T_INITIAL : T_INVALID;
}

/** Reads the token starting at `pos`, given the kind of the previous token. */
function readNext(s: string, pos: number, prev: number): void {
  tStart = pos;
  if (pos >= s.length) {
    tKind = T_END;
    tEnd = pos;
    return;
  }
  const c = s.charCodeAt(pos);
  if (isLower(c)) {
    if (prev > T_DIGIT) return invalid(pos);
    tKind = T_LETTER;
    tEnd = pos + 1;
  } else if (c === C_DOT || isDigit(c)) {
    let start = pos;
    if (c === C_DOT) {
      if (prev > T_DIGIT) return invalid(pos);
      start = pos + 1;
    }
    if (prev === T_INITIAL || prev === T_DIGIT) tKind = T_DIGIT;
    else if (prev === T_SUFFIX) tKind = T_SUFFIX_NO;
    else return invalid(pos);
    tStart = start;
    tEnd = skipDigits(s, start);
    if (tEnd === start) return invalid(start);
  } else if (c === C_UNDERSCORE) {
    if (prev > T_SUFFIX_NO) return invalid(pos);
    let end = pos + 1;
    while (end < s.length && isLower(s.charCodeAt(end))) end++;
    const rank = suffixRank(s, pos + 1, end);
    if (rank === S_INVALID) return invalid(pos + 1);
    tKind = T_SUFFIX;
    tSuffix = rank;
    tStart = pos + 1;
    tEnd = end;
  } else if (c === C_TILDE) {
    if (prev >= T_HASH) return invalid(pos);
    let end = pos + 1;
    while (end < s.length && isHex(s.charCodeAt(end))) end++;
    if (end === pos + 1) return invalid(end);
    tKind = T_HASH;
    tStart = pos + 1;
    tEnd = end;
  } else if (c === C_MINUS) {
    if (prev >= T_REVISION) return invalid(pos);
    if (pos + 1 >= s.length || s.charCodeAt(pos + 1) !== C_LOWER_R) return invalid(pos + 1);
    tKind = T_REVISION;
    tStart = pos + 2;
    tEnd = skipDigits(s, pos + 2);
    if (tEnd === tStart) return invalid(tStart);
  } else {
    return invalid(pos);
  }
}

function invalid(pos: number): void {
  tKind = T_INVALID;
  tStart = pos;
  tEnd = pos;
}

/** Position of the first invalid character of `v`, or -1 when `v` is a valid apk version. */
function firstInvalid(v: string): number {
  readFirst(v);
  while (tKind < T_END) readNext(v, tEnd, tKind);
  return tKind === T_END ? -1 : tStart;
}

function validate(v: string): void {
  const pos = firstInvalid(v);
  if (pos >= 0) throw new InvalidApkVersionError(v, pos);
}

/** Compares digit runs as numbers (any length). */
function compareNumbers(a: string, as: number, ae: number, b: string, bs: number, be: number): number {
  while (as < ae && a.charCodeAt(as) === C_0) as++;
  while (bs < be && b.charCodeAt(bs) === C_0) bs++;
  const la = ae - as;
  const lb = be - bs;
  if (la !== lb) return la > lb ? 1 : -1;
  return compareStrings(a, as, ae, b, bs, be);
}

/** Byte-wise string comparison; a prefix sorts first. */
function compareStrings(a: string, as: number, ae: number, b: string, bs: number, be: number): number {
  const la = ae - as;
  const lb = be - bs;
  const n = la < lb ? la : lb;
  for (let k = 0; k < n; k++) {
    const d = a.charCodeAt(as + k) - b.charCodeAt(bs + k);
    if (d !== 0) return d > 0 ? 1 : -1;
  }
  return la === lb ? 0 : la > lb ? 1 : -1;
}

/** apk's comparison on arbitrary strings (valid or not). */
function compareTokens(a: string, b: string): number {
  readFirst(a);
  let ak = tKind;
  let as = tStart;
  let ae = tEnd;
  let asuf = tSuffix;
  readFirst(b);
  let bk = tKind;
  let bs = tStart;
  let be = tEnd;
  let bsuf = tSuffix;

  while (ak === bk && ak < T_END) {
    let r: number;
    switch (ak) {
      case T_DIGIT:
        // A leading zero turns the component into a fraction: compare as strings.
        r =
          a.charCodeAt(as) === C_0 || b.charCodeAt(bs) === C_0
            ? compareStrings(a, as, ae, b, bs, be)
            : compareNumbers(a, as, ae, b, bs, be);
        break;
      case T_INITIAL:
      case T_SUFFIX_NO:
      case T_REVISION:
        r = compareNumbers(a, as, ae, b, bs, be);
        break;
      case T_SUFFIX:
        r = asuf === bsuf ? 0 : asuf < bsuf ? -1 : 1;
        break;
      default: // T_LETTER, T_HASH
        r = compareStrings(a, as, ae, b, bs, be);
    }
    if (r !== 0) return r;
    readNext(a, ae, ak);
    ak = tKind;
    as = tStart;
    ae = tEnd;
    asuf = tSuffix;
    readNext(b, be, bk);
    bk = tKind;
    bs = tStart;
    be = tEnd;
    bsuf = tSuffix;
  }

  if (ak === bk) return 0;
  if (ak === T_SUFFIX && asuf < S_NONE) return -1;
  if (bk === T_SUFFIX && bsuf < S_NONE) return 1;
  return ak > bk ? -1 : 1;
}

/**
 * Orders two apk versions like apk-tools (`apk version -t`). Returns -1, 0 or 1.
 * Throws {@link InvalidApkVersionError} if either string is not a valid apk version, unless
 * `options.allowInvalid` is set.
 */
export function compareApkVersions(a: string, b: string, options?: CompareApkVersionsOptions): number {
  if (options?.allowInvalid) return a === b ? 0 : compareTokens(a, b);
  validate(a);
  if (a === b) return 0;
  validate(b);
  return compareTokens(a, b);
}

/** True when apk-tools accepts `v` as a version (`apk version -c`). */
export function isValidApkVersion(v: string): boolean {
  return firstInvalid(v) < 0;
}

/** Splits a valid apk version into its components. Throws {@link InvalidApkVersionError} otherwise. */
export function parseApkVersion(v: string): ApkVersion {
  const out: ApkVersion = { components: [], letter: '', suffixes: [], commitHash: '', revision: '' };
  readFirst(v);
  while (tKind < T_END) {
    const value = v.slice(tStart, tEnd);
    switch (tKind) {
      case T_INITIAL:
      case T_DIGIT:
        out.components.push(value);
        break;
      case T_LETTER:
        out.letter = value;
        break;
      case T_SUFFIX:
        out.suffixes.push({ name: value as ApkSuffixName, number: '' });
        break;
      case T_SUFFIX_NO:
        out.suffixes[out.suffixes.length - 1].number = value;
        break;
      case T_HASH:
        out.commitHash = value;
        break;
      case T_REVISION:
        out.revision = value;
        break;
    }
    readNext(v, tEnd, tKind);
  }
  if (tKind !== T_END) throw new InvalidApkVersionError(v, tStart);
  return out;
}
