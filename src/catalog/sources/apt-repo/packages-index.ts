/**
 * Fast, streaming parser for Debian `Packages` indexes (deb822 paragraphs).
 *
 * Only the fields in {@link AptPackageRecord} are kept; all other lines are skipped after
 * looking at their first character. Input is scanned as a latin1 string (one char per byte,
 * so string offsets are byte offsets) and the kept values are copied out of the byte buffer,
 * so the records never pin the (large) decoded index in memory. The kept fields are ASCII by
 * Debian policy; a non-ASCII byte in them maps to the latin1 character of the same code.
 */
import type { AptPackageRecord } from './types.js';

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const COLON = 0x3a;
const HASH = 0x23;

/**
 * `Buffer#latin1Slice` (what `toString('latin1', start, end)` ends up calling) without the
 * argument normalisation of `toString`, which shows up when called ~300,000 times per index.
 */
type Latin1Slicer = (this: Buffer, start: number, end: number) => string;
const latin1Slice: Latin1Slicer =
  (Buffer.prototype as unknown as { latin1Slice?: Latin1Slicer }).latin1Slice ??
  function (this: Buffer, start: number, end: number): string {
    return this.toString('latin1', start, end);
  };

/** Field identifiers for the fields we keep. */
const enum Field {
  None,
  Package,
  Version,
  Architecture,
  Source,
  Section,
  Priority,
  MultiArch,
}

/** Case-insensitive comparison of `text[pos..pos+lower.length)` with an all-lowercase ASCII name. */
function nameEqualsFolded(text: string, pos: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    if ((text.charCodeAt(pos + i) | 0x20) !== lower.charCodeAt(i)) {
      // `-` (0x2d) folds to 0x2d|0x20 = 0x2d, digits unaffected: fine for our names.
      return false;
    }
  }
  return true;
}

/**
 * Identifies the field starting at `pos`, given the line has a colon at `pos + length`.
 * Exact (canonical spelling) matches are tried first; other spellings fall back to a
 * case-insensitive comparison.
 */
function identifyField(text: string, pos: number, first: number): Field {
  switch (first | 0x20) {
    case 0x70: // p
      if (text.charCodeAt(pos + 7) === COLON) {
        return text.startsWith('Package', pos) || nameEqualsFolded(text, pos, 'package') ? Field.Package : Field.None;
      }
      if (text.charCodeAt(pos + 8) === COLON) {
        return text.startsWith('Priority', pos) || nameEqualsFolded(text, pos, 'priority') ? Field.Priority : Field.None;
      }
      return Field.None;
    case 0x76: // v
      if (text.charCodeAt(pos + 7) === COLON) {
        return text.startsWith('Version', pos) || nameEqualsFolded(text, pos, 'version') ? Field.Version : Field.None;
      }
      return Field.None;
    case 0x61: // a
      if (text.charCodeAt(pos + 12) === COLON) {
        return text.startsWith('Architecture', pos) || nameEqualsFolded(text, pos, 'architecture') ? Field.Architecture : Field.None;
      }
      return Field.None;
    case 0x73: // s
      if (text.charCodeAt(pos + 6) === COLON) {
        return text.startsWith('Source', pos) || nameEqualsFolded(text, pos, 'source') ? Field.Source : Field.None;
      }
      if (text.charCodeAt(pos + 7) === COLON) {
        return text.startsWith('Section', pos) || nameEqualsFolded(text, pos, 'section') ? Field.Section : Field.None;
      }
      return Field.None;
    case 0x6d: // m
      if (text.charCodeAt(pos + 10) === COLON) {
        return text.startsWith('Multi-Arch', pos) || nameEqualsFolded(text, pos, 'multi-arch') ? Field.MultiArch : Field.None;
      }
      return Field.None;
    default:
      return Field.None;
  }
}

/** Statistics of one parse. */
export interface PackagesIndexStats {
  /** Paragraphs turned into records. */
  records: number;
  /** Non-empty paragraphs lacking `Package`, `Version` or `Architecture` (skipped). */
  malformedStanzas: number;
}

/**
 * Incremental Packages parser: feed decompressed bytes with {@link push} in any chunking,
 * then call {@link end}. Paragraph state survives chunk boundaries; only an incomplete
 * last line is carried over to the next chunk.
 */
export class PackagesIndexParser {
  readonly records: AptPackageRecord[] = [];
  malformedStanzas = 0;

  private carry: Buffer | undefined;
  // Current paragraph (values already copied out of the input).
  private inStanza = false;
  private packageName: string | undefined;
  private version: string | undefined;
  private architecture: string | undefined;
  private sourceName: string | undefined;
  private sourceVersion: string | undefined;
  private section: string | undefined;
  private priority: string | undefined;
  private multiArch: string | undefined;
  /** Interned low-cardinality values (architecture, section, priority, Multi-Arch). */
  private readonly interned = new Map<string, string>();

  push(chunk: Uint8Array): void {
    let data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.carry !== undefined) {
      data = Buffer.concat([this.carry, data]);
      this.carry = undefined;
    }
    const lastNewline = data.lastIndexOf(LF);
    if (lastNewline === -1) {
      this.carry = Buffer.from(data); // copy: the caller may reuse its chunk
      return;
    }
    if (lastNewline + 1 < data.length) this.carry = Buffer.from(data.subarray(lastNewline + 1));
    this.parseLines(data, lastNewline + 1);
  }

  /** Finishes the input (a missing final newline is fine) and returns all records. */
  end(): AptPackageRecord[] {
    if (this.carry !== undefined) {
      const rest = this.carry;
      this.carry = undefined;
      this.parseLines(rest, rest.length);
    }
    this.finishStanza();
    return this.records;
  }

  get stats(): PackagesIndexStats {
    return { records: this.records.length, malformedStanzas: this.malformedStanzas };
  }

  private intern(data: Buffer, start: number, end: number, text: string): string {
    const key = text.slice(start, end);
    const known = this.interned.get(key);
    if (known !== undefined) return known;
    // Copy from the buffer so the map never holds a slice of the big decoded string.
    const copy = latin1Slice.call(data, start, end);
    this.interned.set(copy, copy);
    return copy;
  }

  private finishStanza(): void {
    if (!this.inStanza) return;
    const packageName = this.packageName;
    const version = this.version;
    const architecture = this.architecture;
    if (packageName !== undefined && version !== undefined && architecture !== undefined) {
      const record: AptPackageRecord = {
        package: packageName,
        version,
        architecture,
        sourceName: this.sourceName ?? packageName,
        sourceVersion: this.sourceVersion ?? version,
      };
      if (this.section !== undefined) record.section = this.section;
      if (this.priority !== undefined) record.priority = this.priority;
      if (this.multiArch !== undefined) record.multiArch = this.multiArch;
      this.records.push(record);
    } else {
      this.malformedStanzas++;
    }
    this.inStanza = false;
    this.packageName = undefined;
    this.version = undefined;
    this.architecture = undefined;
    this.sourceName = undefined;
    this.sourceVersion = undefined;
    this.section = undefined;
    this.priority = undefined;
    this.multiArch = undefined;
  }

  /** Parses the complete lines in `data[0, limit)`. */
  private parseLines(data: Buffer, limit: number): void {
    const text = latin1Slice.call(data, 0, limit);
    const length = text.length;
    let pos = 0;
    while (pos < length) {
      let lineEnd = text.indexOf('\n', pos);
      if (lineEnd === -1) lineEnd = length;
      const first = text.charCodeAt(pos);

      if (first === SPACE || first === TAB || first === CR || pos === lineEnd) {
        // Continuation line, or a paragraph separator (empty or whitespace-only line).
        let probe = pos;
        while (probe < lineEnd) {
          const c = text.charCodeAt(probe);
          if (c !== SPACE && c !== TAB && c !== CR) break;
          probe++;
        }
        if (probe === lineEnd) this.finishStanza();
        pos = lineEnd + 1;
        continue;
      }
      if (first === HASH) {
        pos = lineEnd + 1;
        continue;
      }

      this.inStanza = true;
      const field = identifyField(text, pos, first);
      if (field !== Field.None) {
        // Value: after the colon, without surrounding blanks.
        let valueStart = text.indexOf(':', pos) + 1;
        let valueEnd = lineEnd;
        while (valueStart < valueEnd) {
          const c = text.charCodeAt(valueStart);
          if (c !== SPACE && c !== TAB) break;
          valueStart++;
        }
        while (valueEnd > valueStart) {
          const c = text.charCodeAt(valueEnd - 1);
          if (c !== SPACE && c !== TAB && c !== CR) break;
          valueEnd--;
        }
        switch (field) {
          case Field.Package:
            this.packageName = latin1Slice.call(data, valueStart, valueEnd);
            break;
          case Field.Version:
            this.version = latin1Slice.call(data, valueStart, valueEnd);
            break;
          case Field.Architecture:
            this.architecture = this.intern(data, valueStart, valueEnd, text);
            break;
          case Field.Section:
            this.section = this.intern(data, valueStart, valueEnd, text);
            break;
          case Field.Priority:
            this.priority = this.intern(data, valueStart, valueEnd, text);
            break;
          case Field.MultiArch:
            this.multiArch = this.intern(data, valueStart, valueEnd, text);
            break;
          case Field.Source:
            this.readSource(data, text, valueStart, valueEnd);
            break;
        }
      }
      pos = lineEnd + 1;
    }
  }

  /** `Source: name` or `Source: name (version)`. */
  private readSource(data: Buffer, text: string, start: number, end: number): void {
    let nameEnd = start;
    while (nameEnd < end) {
      const c = text.charCodeAt(nameEnd);
      if (c === SPACE || c === TAB || c === 0x28 /* ( */) break;
      nameEnd++;
    }
    if (nameEnd > start) this.sourceName = latin1Slice.call(data, start, nameEnd);
    const open = text.indexOf('(', nameEnd);
    if (open !== -1 && open < end) {
      const close = text.indexOf(')', open + 1);
      let versionStart = open + 1;
      let versionEnd = close !== -1 && close < end ? close : end;
      while (versionStart < versionEnd && (text.charCodeAt(versionStart) === SPACE || text.charCodeAt(versionStart) === TAB)) versionStart++;
      while (versionEnd > versionStart && (text.charCodeAt(versionEnd - 1) === SPACE || text.charCodeAt(versionEnd - 1) === TAB)) versionEnd--;
      if (versionEnd > versionStart) this.sourceVersion = latin1Slice.call(data, versionStart, versionEnd);
    }
  }
}

/** Parses a whole (decompressed) Packages index. */
export function parsePackagesIndex(data: Uint8Array | string): AptPackageRecord[] {
  const parser = new PackagesIndexParser();
  parser.push(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  return parser.end();
}
