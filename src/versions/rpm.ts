/**
 * RPM version ordering: `rpmvercmp()` for a single version or release string, plus an
 * `[epoch:]version[-release]` (EVR) layer. Checked against rpm 4.18 (`rpm.vercmp()` in rpm's
 * Lua interpreter) by test/integration/versions-rpm-differential.test.ts.
 *
 * rpmvercmp rules (rpm ≥ 4.15, i.e. with `~` and `^`):
 *   - A string is read as a sequence of segments: maximal runs of ASCII digits or of ASCII
 *     letters. Every other character (`.`, `_`, `+`, `-`, `:`, non-ASCII, …) only separates
 *     segments and is otherwise ignored, so `1.0_1` equals `1.0.1` and `1.0.` equals `1.0`.
 *   - `~` sorts before everything, including the end of the string: `1.0~rc1 < 1.0`.
 *   - `^` sorts after the end of the string but before any further segment:
 *     `1.0 < 1.0^git1 < 1.0.1`.
 *   - Two numeric segments compare as numbers of any length (leading zeros ignored, so
 *     `1.01` == `1.1`; `6.12.100 > 6.12.96`). Two alphabetic segments compare byte-wise
 *     (`A` < `Z` < `a`; a prefix sorts first). A numeric segment is newer than an alphabetic
 *     one (`1.0.1 > 1.0a`).
 *   - When one string runs out of segments first, the one with segments left is newer
 *     (`1.0.0 > 1.0`, `1.0a > 1.0`), unless the remainder starts with `~`.
 *   - rpm works on bytes; every non-ASCII byte is a separator. JavaScript strings are walked
 *     by UTF-16 code unit, and every non-ASCII code unit is a separator too, so the result is
 *     the same as rpm's on the UTF-8 encoding.
 *
 * EVR layer ({@link parseRpmEvr}, {@link compareRpmEvr}):
 *   - `[epoch:]version[-release]`. The epoch is the decimal number before the first `:`; an
 *     empty epoch (`:1.0`) counts as 0, like rpm's own parser. The release is everything after
 *     the LAST `-` (so `1.0-beta-3` is version `1.0-beta`, release `3`).
 *   - A missing epoch is 0. `(none):1.0-1`, which `rpm -q --qf '%{EPOCH}:%{VERSION}-%{RELEASE}'`
 *     prints for packages without an epoch, is read as epoch 0 too (prefer `%{EPOCHNUM}`,
 *     which prints `0`). rpm itself does not understand `(none)`: it would treat
 *     `(none):1.0` as a version string.
 *   - Comparison: epoch numerically, then rpmvercmp(version), then rpmvercmp(release).
 *     When ONE side has no release, the releases are by default NOT compared, so `1.0`
 *     equals both `1.0-1` and `1.0-7`. This is how rpm and dnf evaluate a dependency or an
 *     advisory range (`Requires: foo >= 1.0` is met by `foo-1.0-1`): a bound written without
 *     a release means "any release". Because of this the default is not a total order
 *     (`1.0-1 < 1.0-7` although both equal `1.0`), so do not sort with it; pass
 *     `{ missingRelease: 'older' }` for the total order of rpm's `rpmverCmp()` (what Lua's
 *     `rpm.vercmp("1.0", "1.0-1")` returns), where no release sorts before any release.
 *
 * Validation:
 *   - rpmvercmp accepts any string, including the empty one, as rpm does; only a NUL
 *     character (which cannot reach rpm's C code) throws {@link InvalidRpmVersionError}.
 *   - The EVR functions reject what rpm's tools never produce and what is almost certainly a
 *     caller bug: an empty string, whitespace or NUL anywhere (trim command output first), an
 *     epoch that is not a decimal number (or `(none)`), an epoch above
 *     `Number.MAX_SAFE_INTEGER` (real epochs are 32-bit), an empty version (`1:-2`), an empty
 *     release after a trailing `-`, and any `:` other than the epoch separator (rpmbuild
 *     refuses `:` in versions and releases). Both EVR functions reject the same strings.
 *
 * The comparison is on a hot path: no regular expressions, no allocation, no caching; both
 * strings are walked with charCodeAt.
 *
 * This module is intentionally self-contained (no project imports).
 */

export interface RpmEvr {
  /** 0 when the EVR has no epoch (or `(none)`). */
  epoch: number;
  version: string;
  /** `''` when the EVR has no `-release` part. */
  release: string;
}

export interface CompareRpmEvrOptions {
  /**
   * What a missing release means when only one side has one.
   *   - `'match'` (default): the releases are not compared (rpm/dnf dependency-range
   *     semantics: `1.0` matches every `1.0-N`). Not a total order.
   *   - `'older'`: a missing release sorts before any release (rpm's `rpmverCmp()`, Lua's
   *     `rpm.vercmp()`): `1.0 < 1.0-1`. A total order, suitable for sorting.
   */
  missingRelease?: 'match' | 'older';
}

export type InvalidRpmVersionReason =
  | 'empty'
  | 'nul-character'
  | 'whitespace'
  | 'epoch-not-number'
  | 'epoch-too-big'
  | 'unexpected-colon'
  | 'version-empty'
  | 'release-empty';

const REASON_TEXT: Record<InvalidRpmVersionReason, string> = {
  empty: 'EVR string is empty',
  'nul-character': 'string contains a NUL character',
  whitespace: 'EVR string contains whitespace',
  'epoch-not-number': 'epoch is not a decimal number',
  'epoch-too-big': 'epoch is too big',
  'unexpected-colon': "':' is only allowed once, after the epoch",
  'version-empty': 'version is empty',
  'release-empty': "release after '-' is empty",
};

export class InvalidRpmVersionError extends Error {
  readonly version: string;
  readonly reason: InvalidRpmVersionReason;

  constructor(version: string, reason: InvalidRpmVersionReason) {
    super(`invalid RPM version ${JSON.stringify(version)}: ${REASON_TEXT[reason]}`);
    this.name = 'InvalidRpmVersionError';
    this.version = version;
    this.reason = reason;
  }
}

// Character codes used below.
const C_TAB = 9;
const C_CR = 13;
const C_SPACE = 32;
const C_MINUS = 45;
const C_0 = 48;
const C_9 = 57;
const C_COLON = 58;
const C_CARET = 94;
const C_TILDE = 126;

function isDigit(c: number): boolean {
  return c >= C_0 && c <= C_9;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** True for characters rpmvercmp skips: everything but ASCII alphanumerics, `~` and `^`. */
function isSeparator(c: number): boolean {
  return !(isDigit(c) || isLetter(c) || c === C_TILDE || c === C_CARET);
}

/**
 * rpmvercmp over a[ai..ae) and b[bi..be); returns -1, 0 or 1.
 * `c < 0` stands for "end of the range" below.
 */
function compareRange(a: string, ai: number, ae: number, b: string, bi: number, be: number): number {
  for (;;) {
    while (ai < ae && isSeparator(a.charCodeAt(ai))) ai++;
    while (bi < be && isSeparator(b.charCodeAt(bi))) bi++;
    const ca = ai < ae ? a.charCodeAt(ai) : -1;
    const cb = bi < be ? b.charCodeAt(bi) : -1;

    // `~` loses against anything else, even the end of the string.
    if (ca === C_TILDE || cb === C_TILDE) {
      if (ca !== C_TILDE) return 1;
      if (cb !== C_TILDE) return -1;
      ai++;
      bi++;
      continue;
    }
    // `^` beats the end of the string but loses against a segment.
    if (ca === C_CARET || cb === C_CARET) {
      if (ca < 0) return -1;
      if (cb < 0) return 1;
      if (ca !== C_CARET) return 1;
      if (cb !== C_CARET) return -1;
      ai++;
      bi++;
      continue;
    }
    if (ca < 0 || cb < 0) {
      // Whoever still has a segment is newer.
      if (ca < 0 && cb < 0) return 0;
      return ca < 0 ? -1 : 1;
    }

    if (isDigit(ca)) {
      if (!isDigit(cb)) return 1; // numeric beats alphabetic
      while (ai < ae && a.charCodeAt(ai) === C_0) ai++;
      while (bi < be && b.charCodeAt(bi) === C_0) bi++;
      const as = ai;
      const bs = bi;
      while (ai < ae && isDigit(a.charCodeAt(ai))) ai++;
      while (bi < be && isDigit(b.charCodeAt(bi))) bi++;
      // More significant digits means a bigger number.
      const la = ai - as;
      const lb = bi - bs;
      if (la !== lb) return la > lb ? 1 : -1;
      for (let k = 0; k < la; k++) {
        const d = a.charCodeAt(as + k) - b.charCodeAt(bs + k);
        if (d !== 0) return d > 0 ? 1 : -1;
      }
    } else {
      if (!isLetter(cb)) return -1; // alphabetic loses against numeric
      const as = ai;
      const bs = bi;
      while (ai < ae && isLetter(a.charCodeAt(ai))) ai++;
      while (bi < be && isLetter(b.charCodeAt(bi))) bi++;
      const la = ai - as;
      const lb = bi - bs;
      const n = la < lb ? la : lb;
      for (let k = 0; k < n; k++) {
        const d = a.charCodeAt(as + k) - b.charCodeAt(bs + k);
        if (d !== 0) return d > 0 ? 1 : -1;
      }
      if (la !== lb) return la > lb ? 1 : -1;
    }
  }
}

/**
 * Orders two version (or release) strings exactly like rpm's `rpmvercmp()`.
 * Returns -1 if `a` is older, 0 if equivalent, 1 if `a` is newer. Any string is accepted
 * (no epoch or release splitting happens here); a NUL character throws
 * {@link InvalidRpmVersionError}.
 */
export function rpmvercmp(a: string, b: string): number {
  if (a.indexOf('\u0000') >= 0) throw new InvalidRpmVersionError(a, 'nul-character');
  if (a === b) return 0;
  if (b.indexOf('\u0000') >= 0) throw new InvalidRpmVersionError(b, 'nul-character');
  return compareRange(a, 0, a.length, b, 0, b.length);
}

// Results of the last scanEvr(). Module-level scratch slots let the hot path return several
// integers without allocating; scanEvr() is synchronous, so there is no reentrancy.
let sEpoch = 0;
let sVerStart = 0;
let sVerEnd = 0;
/** -1 when there is no release. */
let sRelStart = -1;

const NONE_EPOCH = '(none)';

/** Locates the parts of an EVR string (in the scratch slots) and validates it. */
function scanEvr(v: string): void {
  const end = v.length;
  if (end === 0) throw new InvalidRpmVersionError(v, 'empty');

  let colon = -1;
  let hyphen = -1;
  for (let i = 0; i < end; i++) {
    const c = v.charCodeAt(i);
    // Everything of interest is at or below ':'; letters and most punctuation take one test.
    if (c > C_COLON) continue;
    if (c === C_MINUS) hyphen = i;
    else if (c === C_COLON) {
      if (colon >= 0) throw new InvalidRpmVersionError(v, 'unexpected-colon');
      colon = i;
    } else if (c === C_SPACE || (c >= C_TAB && c <= C_CR)) throw new InvalidRpmVersionError(v, 'whitespace');
    else if (c === 0) throw new InvalidRpmVersionError(v, 'nul-character');
  }

  let epoch = 0;
  let verStart = 0;
  if (colon >= 0) {
    if (!(colon === NONE_EPOCH.length && v.startsWith(NONE_EPOCH))) {
      for (let i = 0; i < colon; i++) {
        const c = v.charCodeAt(i);
        if (!isDigit(c)) {
          // A '-' before the colon means the colon sits in the release.
          throw new InvalidRpmVersionError(v, hyphen >= 0 && hyphen < colon ? 'unexpected-colon' : 'epoch-not-number');
        }
        epoch = epoch * 10 + (c - C_0);
      }
      if (epoch > Number.MAX_SAFE_INTEGER) throw new InvalidRpmVersionError(v, 'epoch-too-big');
    }
    verStart = colon + 1;
  }

  let verEnd = end;
  let relStart = -1;
  if (hyphen >= verStart) {
    if (hyphen === end - 1) throw new InvalidRpmVersionError(v, 'release-empty');
    verEnd = hyphen;
    relStart = hyphen + 1;
  }
  if (verEnd === verStart) throw new InvalidRpmVersionError(v, 'version-empty');

  sEpoch = epoch;
  sVerStart = verStart;
  sVerEnd = verEnd;
  sRelStart = relStart;
}

/**
 * Splits `[epoch:]version[-release]` into its parts (see the module comment for the rules).
 * Throws {@link InvalidRpmVersionError} for strings {@link compareRpmEvr} would reject.
 */
export function parseRpmEvr(evr: string): RpmEvr {
  scanEvr(evr);
  return {
    epoch: sEpoch,
    version: evr.slice(sVerStart, sVerEnd),
    release: sRelStart < 0 ? '' : evr.slice(sRelStart),
  };
}

/**
 * Orders two `[epoch:]version[-release]` strings: epoch numerically, then rpmvercmp on the
 * versions, then on the releases. By default a release is only compared when BOTH sides
 * have one (rpm dependency semantics, not a total order); see {@link CompareRpmEvrOptions}.
 * Returns -1, 0 or 1. Throws {@link InvalidRpmVersionError} for invalid EVR strings.
 */
export function compareRpmEvr(a: string, b: string, options?: CompareRpmEvrOptions): number {
  if (a === b) {
    scanEvr(a);
    return 0;
  }
  scanEvr(a);
  const aEpoch = sEpoch;
  const aVerStart = sVerStart;
  const aVerEnd = sVerEnd;
  const aRelStart = sRelStart;
  scanEvr(b);
  if (aEpoch !== sEpoch) return aEpoch < sEpoch ? -1 : 1;
  const r = compareRange(a, aVerStart, aVerEnd, b, sVerStart, sVerEnd);
  if (r !== 0) return r;
  if (aRelStart < 0 || sRelStart < 0) {
    if (options?.missingRelease !== 'older' || (aRelStart < 0 && sRelStart < 0)) return 0;
    return aRelStart < 0 ? -1 : 1;
  }
  return compareRange(a, aRelStart, a.length, b, sRelStart, b.length);
}
