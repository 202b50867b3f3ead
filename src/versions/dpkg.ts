/**
 * Debian package version parsing and ordering, matching `dpkg --compare-versions`
 * (checked against dpkg 1.21.x).
 *
 * Version syntax: `[epoch:]upstream[-revision]`
 *   - leading/trailing blanks (space, tab) are ignored; a blank anywhere else is an error;
 *   - the epoch is everything before the FIRST `:` and must be a decimal integer in
 *     0..2147483647 (like C `strtol`, an optional sign is tolerated: `+1:` and `-0:` are
 *     accepted, `-1:` is rejected as negative);
 *   - the revision is everything after the LAST `-`; without a `-` the revision is empty,
 *     which compares equal to `0` (so `1.0` == `1.0-0`).
 *
 * Validation policy (mirrors dpkg's split between errors and warnings):
 *   - Hard errors in dpkg (empty string, embedded blanks, empty/non-numeric/negative/too big
 *     epoch, nothing after the colon, empty revision after a trailing `-`, empty upstream)
 *     always throw {@link InvalidDpkgVersionError}, from both functions.
 *   - dpkg only *warns* when the upstream part does not start with a digit or when the
 *     upstream/revision contains characters outside the allowed sets, and then still
 *     compares the version. Such versions exist in the wild (third-party repositories,
 *     hand-built packages), and a patch console has to order them the way dpkg/apt would,
 *     so by default they are accepted. `parseDpkgVersion(v, { strict: true })` turns those
 *     warnings into errors for callers that want to reject them (e.g. input validation).
 *
 * Differences from the dpkg CLI that are deliberate:
 *   - `dpkg --compare-versions` treats an empty argument (and the literal `<unknown>`) as a
 *     "blank" version that sorts first. Here an empty string throws, and `<unknown>` is just
 *     a (warning-level) version string.
 *   - A NUL character cannot reach dpkg through argv; here it is rejected.
 *   - dpkg compares raw bytes. Non-ASCII characters are ordered like their UTF-8 encoding
 *     would be ordered by dpkg (after letters, before ASCII punctuation, among themselves by
 *     code point). Lone UTF-16 surrogates, which have no UTF-8 form, compare by code unit.
 *
 * The comparison is on a hot path: it does not allocate, does not use regular expressions
 * and does not cache; it walks both strings with charCodeAt. Digit runs are compared as
 * strings (after dropping leading zeros), so runs of any length are ordered exactly.
 *
 * This module is intentionally self-contained (no project imports).
 */

export interface DpkgVersion {
  epoch: number;
  upstream: string;
  /** Debian revision; `''` when the version has no `-` (equivalent to `'0'`). */
  revision: string;
}

export interface ParseDpkgVersionOptions {
  /** Also reject what dpkg only warns about (upstream not starting with a digit, invalid characters). */
  strict?: boolean;
}

export type InvalidDpkgVersionReason =
  | 'empty'
  | 'embedded-space'
  | 'nul-character'
  | 'epoch-empty'
  | 'epoch-not-number'
  | 'epoch-negative'
  | 'epoch-too-big'
  | 'nothing-after-colon'
  | 'revision-empty'
  | 'upstream-empty'
  // warning-level in dpkg; only raised in strict mode
  | 'upstream-not-digit-start'
  | 'upstream-invalid-char'
  | 'revision-invalid-char';

const REASON_TEXT: Record<InvalidDpkgVersionReason, string> = {
  empty: 'version string is empty',
  'embedded-space': 'version string has embedded spaces',
  'nul-character': 'version string contains a NUL character',
  'epoch-empty': 'epoch in version is empty',
  'epoch-not-number': 'epoch in version is not number',
  'epoch-negative': 'epoch in version is negative',
  'epoch-too-big': 'epoch in version is too big',
  'nothing-after-colon': 'nothing after colon in version number',
  'revision-empty': 'revision number is empty',
  'upstream-empty': 'version number is empty',
  'upstream-not-digit-start': 'version number does not start with digit',
  'upstream-invalid-char': 'invalid character in version number',
  'revision-invalid-char': 'invalid character in revision number',
};

export class InvalidDpkgVersionError extends Error {
  readonly version: string;
  readonly reason: InvalidDpkgVersionReason;

  constructor(version: string, reason: InvalidDpkgVersionReason) {
    super(`invalid Debian version ${JSON.stringify(version)}: ${REASON_TEXT[reason]}`);
    this.name = 'InvalidDpkgVersionError';
    this.version = version;
    this.reason = reason;
  }
}

const INT_MAX = 2147483647;

// Character codes used below.
const C_TAB = 9;
const C_LF = 10;
const C_VT = 11;
const C_FF = 12;
const C_CR = 13;
const C_SPACE = 32;
const C_PLUS = 43;
const C_MINUS = 45;
const C_DOT = 46;
const C_0 = 48;
const C_9 = 57;
const C_COLON = 58;
const C_TILDE = 126;

// Results of the last scan(). Module-level scratch slots let the hot path return several
// integers without allocating; scan() is synchronous, so there is no reentrancy.
let sEpoch = 0;
let sUpStart = 0;
let sUpEnd = 0;
let sRevStart = 0;
let sRevEnd = 0;

/**
 * Locates the parts of `v` (in the scratch slots) and raises dpkg's hard errors.
 * Warning-level problems are not checked here.
 */
function scan(v: string): void {
  let start = 0;
  let end = v.length;
  let c: number;
  while (start < end && ((c = v.charCodeAt(start)) === C_SPACE || c === C_TAB)) start++;
  while (end > start && ((c = v.charCodeAt(end - 1)) === C_SPACE || c === C_TAB)) end--;
  if (start === end) throw new InvalidDpkgVersionError(v, 'empty');

  let colon = -1;
  let hyphen = -1;
  for (let i = start; i < end; i++) {
    c = v.charCodeAt(i);
    // Everything of interest except ':' is below '0'; digits and letters take two tests.
    if (c < C_0) {
      if (c === C_MINUS) hyphen = i;
      else if (c === C_SPACE || c === C_TAB) throw new InvalidDpkgVersionError(v, 'embedded-space');
      else if (c === 0) throw new InvalidDpkgVersionError(v, 'nul-character');
    } else if (c === C_COLON && colon < 0) colon = i;
  }

  let upStart = start;
  let epoch = 0;
  if (colon >= 0) {
    // Emulates strtol(…, 10): optional other whitespace (blanks were trimmed), optional sign, digits.
    let i = start;
    while (i < colon && ((c = v.charCodeAt(i)) === C_LF || c === C_VT || c === C_FF || c === C_CR)) i++;
    let negative = false;
    if (i < colon && ((c = v.charCodeAt(i)) === C_PLUS || c === C_MINUS)) {
      negative = c === C_MINUS;
      i++;
    }
    const digitsStart = i;
    let tooBig = false;
    while (i < end && (c = v.charCodeAt(i)) >= C_0 && c <= C_9) {
      if (!tooBig) {
        epoch = epoch * 10 + (c - C_0);
        if (epoch > INT_MAX) tooBig = true;
      }
      i++;
    }
    if (i === digitsStart) throw new InvalidDpkgVersionError(v, 'epoch-empty');
    if (i !== colon) throw new InvalidDpkgVersionError(v, 'epoch-not-number');
    if (negative && epoch !== 0) throw new InvalidDpkgVersionError(v, 'epoch-negative');
    if (tooBig) throw new InvalidDpkgVersionError(v, 'epoch-too-big');
    // dpkg looks at the untrimmed string here, hence `v.length` rather than `end`.
    if (colon + 1 === v.length) throw new InvalidDpkgVersionError(v, 'nothing-after-colon');
    upStart = colon + 1;
    // Any '-' before the colon can only be the epoch's sign (else the epoch was rejected);
    // `hyphen >= upStart` below ignores it.
  }

  let upEnd = end;
  let revStart = end;
  if (hyphen >= upStart) {
    if (hyphen === end - 1) throw new InvalidDpkgVersionError(v, 'revision-empty');
    upEnd = hyphen;
    revStart = hyphen + 1;
  }
  if (upEnd === upStart) throw new InvalidDpkgVersionError(v, 'upstream-empty');

  sEpoch = epoch;
  sUpStart = upStart;
  sUpEnd = upEnd;
  sRevStart = revStart;
  sRevEnd = end;
}

// Weight bases: letters weigh their ASCII code (65..122); non-ASCII code points weigh
// NON_ASCII_BASE + code point (above letters); other ASCII characters weigh ASCII_OTHER_BASE +
// code (above everything else). Only the relative order matters.
const NON_ASCII_BASE = 0x80;
const ASCII_OTHER_BASE = 0x200000;

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * Sort weight of the non-digit character at `s[i]` (callers ensure i < end and that it is
 * not a digit). `~` < end-of-part (0) < letters < non-ASCII < every other ASCII character.
 */
function weight(s: string, i: number, end: number): number {
  const c = s.charCodeAt(i);
  if (c < 128) {
    if (isAsciiLetter(c)) return c;
    if (c === C_TILDE) return -1;
    return c + ASCII_OTHER_BASE;
  }
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return NON_ASCII_BASE + 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
  }
  return NON_ASCII_BASE + c;
}

/** dpkg's verrevcmp over a[ai..ae) and b[bi..be); returns -1, 0 or 1. */
function compareParts(a: string, ai: number, ae: number, b: string, bi: number, be: number): number {
  // ca/cb hold the current code unit of each side, or -1 at the end of the part.
  let ca = ai < ae ? a.charCodeAt(ai) : -1;
  let cb = bi < be ? b.charCodeAt(bi) : -1;
  for (;;) {
    // Non-digit run: walk while either side is on a non-digit character.
    for (;;) {
      const aText = ca >= 0 && (ca < C_0 || ca > C_9);
      const bText = cb >= 0 && (cb < C_0 || cb > C_9);
      if (!aText && !bText) break;
      if (ca !== cb) {
        // A digit or the end weighs 0, which no text character does, and distinct text
        // characters never share a weight, so the weights decide here.
        const wa = aText ? weight(a, ai, ae) : 0;
        const wb = bText ? weight(b, bi, be) : 0;
        return wa < wb ? -1 : 1;
      }
      ca = ++ai < ae ? a.charCodeAt(ai) : -1;
      cb = ++bi < be ? b.charCodeAt(bi) : -1;
    }
    if (ca < 0 && cb < 0) return 0;
    // Digit run: numeric comparison without converting to numbers, so any length works.
    while (ca === C_0) ca = ++ai < ae ? a.charCodeAt(ai) : -1;
    while (cb === C_0) cb = ++bi < be ? b.charCodeAt(bi) : -1;
    let firstDiff = 0;
    while (ca >= C_0 && ca <= C_9 && cb >= C_0 && cb <= C_9) {
      if (firstDiff === 0) firstDiff = ca - cb;
      ca = ++ai < ae ? a.charCodeAt(ai) : -1;
      cb = ++bi < be ? b.charCodeAt(bi) : -1;
    }
    // The longer run (after leading zeros) is the bigger number.
    if (ca >= C_0 && ca <= C_9) return 1;
    if (cb >= C_0 && cb <= C_9) return -1;
    if (firstDiff !== 0) return firstDiff < 0 ? -1 : 1;
  }
}

/**
 * Orders two Debian versions exactly like `dpkg --compare-versions`.
 * Returns a negative number, 0 or a positive number (currently always -1, 0 or 1).
 * Throws {@link InvalidDpkgVersionError} if either string is rejected by dpkg's parser.
 */
export function compareDpkgVersions(a: string, b: string): number {
  if (a === b) {
    scan(a);
    return 0;
  }
  scan(a);
  const aEpoch = sEpoch;
  const aUpStart = sUpStart;
  const aUpEnd = sUpEnd;
  const aRevStart = sRevStart;
  const aRevEnd = sRevEnd;
  scan(b);
  if (aEpoch !== sEpoch) return aEpoch < sEpoch ? -1 : 1;
  const r = compareParts(a, aUpStart, aUpEnd, b, sUpStart, sUpEnd);
  if (r !== 0) return r;
  return compareParts(a, aRevStart, aRevEnd, b, sRevStart, sRevEnd);
}

function isUpstreamChar(c: number): boolean {
  return (
    (c >= C_0 && c <= C_9) ||
    isAsciiLetter(c) ||
    c === C_DOT ||
    c === C_MINUS ||
    c === C_PLUS ||
    c === C_TILDE ||
    c === C_COLON
  );
}

function isRevisionChar(c: number): boolean {
  return (c >= C_0 && c <= C_9) || isAsciiLetter(c) || c === C_DOT || c === C_PLUS || c === C_TILDE;
}

/**
 * Splits a Debian version into epoch, upstream version and revision.
 * Leading/trailing blanks are dropped, as dpkg does. Throws {@link InvalidDpkgVersionError}
 * for versions dpkg refuses; with `{ strict: true }` also for versions dpkg only warns about.
 */
export function parseDpkgVersion(v: string, options?: ParseDpkgVersionOptions): DpkgVersion {
  scan(v);
  const epoch = sEpoch;
  const upStart = sUpStart;
  const upEnd = sUpEnd;
  const revStart = sRevStart;
  const revEnd = sRevEnd;
  if (options?.strict) {
    const first = v.charCodeAt(upStart);
    if (first < C_0 || first > C_9) throw new InvalidDpkgVersionError(v, 'upstream-not-digit-start');
    for (let i = upStart + 1; i < upEnd; i++) {
      if (!isUpstreamChar(v.charCodeAt(i))) throw new InvalidDpkgVersionError(v, 'upstream-invalid-char');
    }
    for (let i = revStart; i < revEnd; i++) {
      if (!isRevisionChar(v.charCodeAt(i))) throw new InvalidDpkgVersionError(v, 'revision-invalid-char');
    }
  }
  return {
    epoch,
    upstream: v.slice(upStart, upEnd),
    revision: v.slice(revStart, revEnd),
  };
}
