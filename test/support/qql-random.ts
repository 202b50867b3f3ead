/**
 * Seeded generators for the QQL tests: example items full of awkward values, random valid
 * queries over the example token table, and random (mostly invalid) text for fuzzing.
 * Everything is a pure function of the seed, so a failure is reproduced by its seed.
 */
import { formatQqlValue, parseQqlDate, type QqlValue } from '../../src/qql/index.js';
import { EXAMPLE_SEVERITIES, type ExampleItem } from './qql-example-table.js';
import { seededRandom } from './seeded-random.js';

/** mulberry32: small, fast, good enough to drive tests. */
export class SeededRandom {
  /** Uniform in [0, 1). */
  readonly next: () => number;

  constructor(seed: number) {
    this.next = seededRandom(seed);
  }

  /** Integer in [low, high]. */
  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
}

/** Text pieces with LIKE wildcards, quotes, backslashes, mixed case, non-ASCII letters, emoji. */
export const TRICKY_FRAGMENTS = [
  'alpha', 'Alpha', 'ALPHA', 'beta', 'Beta', 'gamma', 'kernel', 'Kernel', 'openssl', 'OpenSSL',
  '50%', '100% off', 'under_score', 'a_b', 'x%y', '%', '_', '!', 'a!b', '!%_',
  "O'Brien", "'", 'say "hi"', '"', '`', 'tick`tock', '\\', 'C:\\Windows', 'back\\slash',
  'Ünïcödé', 'ünïcödé', 'straße', 'STRASSE', 'É', 'é', 'Ä', 'ä', 'İ', 'ı', 'ǅ', '😀', 'emoji😀x', '日本語', 'Ωmega', 'ωmega',
  ' ', 'tab\there', 'line\nbreak', 'and', 'OR', 'not', 'Critical', 'critical', '[1..2]', '(x)', 'a:b', 'a,b',
];

/** The `now` generated queries are compiled with (`now-30d` and friends). */
export const QUERY_NOW = Date.UTC(2024, 6, 1, 12, 0, 0);

const START = Date.UTC(2023, 0, 1);
const END = Date.UTC(2025, 0, 1);
const DAY = 86_400_000;

function trickyText(random: SeededRandom): string {
  const parts = random.int(1, 3);
  let text = '';
  for (let i = 0; i < parts; i++) text += (i > 0 && random.chance(0.5) ? ' ' : '') + random.pick(TRICKY_FRAGMENTS);
  return text;
}

function randomInstant(random: SeededRandom): number {
  // A third fall exactly on midnight, to exercise the ends of day spans.
  const day = START + random.int(0, (END - START) / DAY) * DAY;
  return random.chance(0.33) ? day : day + random.int(0, DAY - 1);
}

function nullable<T>(random: SeededRandom, make: () => T, nullChance = 0.15): T | null {
  return random.chance(nullChance) ? null : make();
}

/** Items with ids 1..count; every column is sometimes NULL, strings are drawn from TRICKY_FRAGMENTS. */
export function generateExampleItems(random: SeededRandom, count: number): ExampleItem[] {
  const items: ExampleItem[] = [];
  for (let id = 1; id <= count; id++) {
    const severity = nullable(random, () => {
      if (random.chance(0.1)) return 'Unknown';
      const value = random.pick(EXAMPLE_SEVERITIES);
      return random.pick([value, value.toUpperCase(), value.toLowerCase()]);
    });
    items.push({
      id,
      name: nullable(random, () => trickyText(random)),
      title: nullable(random, () => `${trickyText(random)} ${trickyText(random)}`),
      severity,
      score: nullable(random, () => random.int(-20, 20)),
      ratio: nullable(random, () => random.int(-40, 40) / 4),
      published_at: nullable(random, () => randomInstant(random)),
      modified_at: nullable(random, () => new Date(randomInstant(random)).toISOString()),
      is_security: nullable(random, () => random.int(0, 1)),
      tags: Array.from({ length: random.int(0, 3) }, () => (random.chance(0.1) ? null : trickyText(random))),
      ports: Array.from({ length: random.int(0, 3) }, () => (random.chance(0.1) ? null : random.pick([22, 80, 443, 8080, random.int(1, 65535)]))),
    });
  }
  return items;
}

/** Writes a value in one of the three styles; a bare value falls back to a phrase when it is not one word. */
function written(text: string, style: QqlValue['style']): string {
  return formatQqlValue({ style, text, position: 0 });
}

function randomCase(random: SeededRandom, word: string): string {
  return random.pick([word.toUpperCase(), word.toLowerCase(), word[0].toUpperCase() + word.slice(1).toLowerCase()]);
}

/** Something present in the data (so that queries select some rows), or a fresh tricky text. */
function textValue(random: SeededRandom, items: ExampleItem[], read: (item: ExampleItem) => (string | null)[]): string {
  if (random.chance(0.3)) return random.pick(TRICKY_FRAGMENTS);
  const candidates = read(random.pick(items)).filter((v): v is string => v !== null);
  if (candidates.length === 0) return random.pick(TRICKY_FRAGMENTS);
  const value = random.pick(candidates);
  if (random.chance(0.4)) return value; // whole value, for exact matches
  const start = random.int(0, Math.max(0, value.length - 1));
  const piece = value.slice(start, start + random.int(1, 6));
  // Slicing may split a surrogate pair; drop half pairs so the query stays well-formed.
  const clean = piece.replace(/^[\udc00-\udfff]|[\ud800-\udbff]$/g, '');
  const shuffled = random.chance(0.3) ? clean.toUpperCase() : clean;
  return shuffled === '' ? random.pick(TRICKY_FRAGMENTS) : shuffled;
}

function dateLiteral(random: SeededRandom, items: ExampleItem[]): string {
  const known = items.map((item) => item.published_at).filter((v): v is number => v !== null);
  const ms = random.chance(0.7) && known.length > 0 ? random.pick(known) : randomInstant(random);
  const iso = new Date(ms).toISOString(); // 2024-05-01T10:11:12.345Z
  switch (random.int(0, 7)) {
    case 0: return String(ms);
    case 1: return iso.slice(0, 7); // month
    case 2: return iso.slice(0, 16); // minute, UTC implied
    case 3: return `${iso.slice(0, 19)}Z`; // second
    case 4: return iso; // millisecond
    case 5: {
      // the same instant written with an offset
      const shifted = new Date(ms + 2 * 3_600_000).toISOString();
      return `${shifted.slice(0, 19)}+02:00`;
    }
    case 6: return random.pick(['now', `now-${random.int(1, 800)}d`, `now-${random.int(1, 24)}M`, `now-${random.int(1, 2)}y`, `now+${random.int(1, 48)}h`]);
    default: return iso.slice(0, 10); // day
  }
}

function numberLiteral(random: SeededRandom, decimals: boolean): string {
  if (decimals && random.chance(0.5)) return String(random.int(-45, 45) / 4);
  const n = random.int(-22, 22);
  return random.chance(0.1) ? `+${Math.abs(n)}` : String(n);
}

type TokenKind = 'name' | 'title' | 'vendorSeverity' | 'score' | 'ratio' | 'publishedDate' | 'modifiedDate' | 'isSecurity' | 'tags.name' | 'ports';
const TOKENS: TokenKind[] = ['name', 'title', 'vendorSeverity', 'score', 'ratio', 'publishedDate', 'modifiedDate', 'isSecurity', 'tags.name', 'ports'];

/** `:` with optional spaces around it, as QQL allows. */
function colon(random: SeededRandom): string {
  return random.pick([':', ':', ':', ': ', ' : ']);
}

function orderedTerm(random: SeededRandom, token: string, literal: () => string, order: (literal: string) => number): string {
  switch (random.int(0, 4)) {
    case 0: return `${token}${colon(random)}${literal()}`;
    case 1: {
      const op = random.pick(['>', '>=', '<', '<=', '=']);
      return random.chance(0.3) ? `${token}:${op}${literal()}` : `${token}${random.pick(['', ' '])}${op}${random.pick(['', ' '])}${literal()}`;
    }
    case 2: {
      const a = literal();
      const b = literal();
      // The validator rejects ranges that end before they start.
      const [lo, hi] = order(a) > order(b) ? [b, a] : [a, b];
      return `${token}:${random.pick(['[', '('])}${lo}${random.pick(['..', ' .. '])}${hi}${random.pick([']', ')'])}`;
    }
    case 3: return `${token}:[${Array.from({ length: random.int(1, 4) }, literal).join(random.pick([',', ', ']))}]`;
    default: return `${token}:${literal()}`;
  }
}

function term(random: SeededRandom, items: ExampleItem[]): string {
  const token = random.pick(TOKENS);
  const style = (): QqlValue['style'] => random.pick(['bare', 'bare', 'phrase', 'exact'] as const);
  switch (token) {
    case 'name':
    case 'title':
    case 'tags.name': {
      const read = token === 'tags.name' ? (i: ExampleItem) => i.tags : (i: ExampleItem) => [i[token]];
      const literal = () => written(textValue(random, items, read), style());
      return random.chance(0.25)
        ? `${token}:[${Array.from({ length: random.int(1, 3) }, literal).join(', ')}]`
        : `${token}${colon(random)}${literal()}`;
    }
    case 'vendorSeverity': {
      const literal = () => {
        const word = random.chance(0.2) ? String(random.int(1, 5)) : randomCase(random, random.pick(EXAMPLE_SEVERITIES));
        return random.chance(0.3) ? written(word, random.pick(['phrase', 'exact'] as const)) : word;
      };
      return random.chance(0.3) ? `${token}:[${literal()}, ${literal()}]` : `${token}${colon(random)}${literal()}`;
    }
    case 'isSecurity': {
      const literal = () => random.pick(['true', 'false', 'TRUE', 'False', '1', '0']);
      return random.chance(0.2) ? `${token}:[${literal()},${literal()}]` : `${token}${colon(random)}${literal()}`;
    }
    case 'ports':
      return orderedTerm(random, token, () => numberLiteral(random, false), Number);
    case 'score': // integer column, sometimes compared with fractions
      return orderedTerm(random, token, () => numberLiteral(random, random.chance(0.2)), Number);
    case 'ratio':
      return orderedTerm(random, token, () => numberLiteral(random, true), Number);
    case 'publishedDate':
    case 'modifiedDate':
      return orderedTerm(random, token, () => dateLiteral(random, items), (text) => parseQqlDate(text, QUERY_NOW)?.start ?? Number.NaN);
  }
}

function keyword(random: SeededRandom, word: 'AND' | 'OR' | 'NOT'): string {
  return randomCase(random, word);
}

/** A random valid query over the example table (compile it with `now: QUERY_NOW`). */
export function generateQueryText(random: SeededRandom, items: ExampleItem[], depth = 0): string {
  const roll = random.next();
  if (depth >= 4 || roll < 0.35) return term(random, items);
  if (roll < 0.5) return `${keyword(random, 'NOT')} ${random.chance(0.5) ? `(${generateQueryText(random, items, depth + 1)})` : term(random, items)}`;
  if (roll < 0.6) return `(${generateQueryText(random, items, depth + 1)})`;
  const count = random.int(2, 3);
  const op = random.chance(0.5) ? 'AND' : 'OR';
  return Array.from({ length: count }, () => generateQueryText(random, items, depth + 1)).join(` ${keyword(random, op)} `);
}

const FUZZ_PIECES = [
  ':', ':', '(', ')', '[', ']', ',', '..', '.', '"', '`', '\\', '>', '>=', '<', '<=', '=', ' ', ' ', '\t', '\n',
  'AND', 'and', 'OR', 'or', 'NOT', 'not', 'a', 'name', 'tags.name', 'x.y.', '.x', '1', '-5', '2024-05-01', '2024-05-01T10:00:00Z',
  'now-1d', 'é', '😀', '\ud800', '\udc00', '\u0000', '\u0001', '\u00a0', '\u2028', 'true', '%', '_',
];

/** Random junk built from QQL's own pieces, so that it gets past the first character most of the time. */
export function generateFuzzText(random: SeededRandom): string {
  const length = random.int(0, 40);
  let text = '';
  for (let i = 0; i < length; i++) {
    text += random.chance(0.1) ? String.fromCharCode(random.int(0, 0xffff)) : random.pick(FUZZ_PIECES);
  }
  return text;
}

/** A small random edit of a text: delete, insert or replace a few characters. */
export function mutateText(random: SeededRandom, text: string): string {
  let out = text;
  for (let edits = random.int(1, 3); edits > 0; edits--) {
    const at = random.int(0, out.length);
    const piece = random.pick(FUZZ_PIECES);
    switch (random.int(0, 2)) {
      case 0: out = out.slice(0, at) + out.slice(at + 1); break;
      case 1: out = out.slice(0, at) + piece + out.slice(at); break;
      default: out = out.slice(0, at) + piece + out.slice(at + piece.length);
    }
  }
  return out;
}
