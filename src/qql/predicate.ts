/**
 * Compiles a query into an in-memory predicate with exactly the semantics of the SQL compiler
 * (sql-compiler.ts); test/integration/qql-sql-differential.test.ts checks that they agree.
 *
 * Missing values: a term on a null/undefined value (for a multi-valued token: no non-null
 * element) is false, and NOT of it is true. Logic is two-valued throughout, never SQL's UNKNOWN.
 *
 * How row values are read (tolerant, so rows may come straight from either database driver or
 * from domain objects):
 * - string/text/enum: strings; numbers, bigints and booleans are turned into strings;
 * - number: numbers, bigints or numeric strings;
 * - date: epoch milliseconds as numbers/bigints/numeric strings, or Date objects; for tokens
 *   with `dateStorage: 'iso-8601'` the text as stored (it is compared as text, like in SQL);
 * - boolean: booleans, or numbers (non-zero is true), or the strings "true"/"false"/"1"/"0".
 */
import type { QqlNode } from './ast.js';
import { readQqlToken, foldQqlCase, type QqlTokenDefinition, type QqlTokenTable } from './token-table.js';
import { bindQql, type QqlBindOptions, type QqlBoundNode, type QqlInterval, type QqlValueTest } from './validator.js';

/** A check on one non-null raw value. */
type ScalarTest = (value: unknown) => boolean;

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return undefined;
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isNaN(value) ? undefined : value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isNaN(n) ? undefined : n;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  return undefined;
}

function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isNaN(value) ? undefined : value !== 0;
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'string') {
    const folded = foldQqlCase(value.trim());
    if (folded === 'true') return true;
    if (folded === 'false') return false;
    const n = Number(folded);
    return folded !== '' && !Number.isNaN(n) ? n !== 0 : undefined;
  }
  return undefined;
}

/** ISO-8601 text of a millisecond instant, as `toISOString` writes it (years 0000–9999). */
export function qqlIsoText(ms: number): string {
  return new Date(ms).toISOString();
}

function isoText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (typeof value === 'number' || typeof value === 'bigint') {
    const date = new Date(Number(value));
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  return undefined;
}

function inInterval<T extends number | string>(value: T, interval: QqlInterval, bound: (n: number) => T): boolean {
  if (interval.low !== undefined) {
    const low = bound(interval.low);
    if (interval.lowInclusive ? value < low : value <= low) return false;
  }
  if (interval.high !== undefined) {
    const high = bound(interval.high);
    if (interval.highInclusive ? value > high : value >= high) return false;
  }
  return true;
}

/** Turns a value test into a check on one non-null raw value; undefined conversion means no match. */
function scalarTest<Row>(token: QqlTokenDefinition<Row>, test: QqlValueTest): ScalarTest {
  switch (test.kind) {
    case 'contains':
      return (value) => {
        const text = asText(value);
        return text !== undefined && foldQqlCase(text).includes(test.needle);
      };
    case 'equals': {
      const wanted = new Set(test.values);
      return (value) => {
        const text = asText(value);
        return text !== undefined && wanted.has(foldQqlCase(text));
      };
    }
    case 'boolean':
      return (value) => {
        const b = asBoolean(value);
        return b !== undefined && b === test.value;
      };
    case 'interval':
      if (token.type === 'date' && token.dateStorage === 'iso-8601') {
        return (value) => {
          const text = isoText(value);
          return text !== undefined && test.intervals.some((interval) => inInterval(text, interval, qqlIsoText));
        };
      }
      return (value) => {
        const n = asNumber(value);
        return n !== undefined && test.intervals.some((interval) => inInterval(n, interval, (bound) => bound));
      };
    case 'any': {
      const tests = test.tests.map((inner) => scalarTest(token, inner));
      return (value) => tests.some((t) => t(value));
    }
  }
}

function present(value: unknown): boolean {
  return value !== null && value !== undefined;
}

function compileNode<Row>(node: QqlBoundNode<Row>): (row: Row) => boolean {
  switch (node.kind) {
    case 'and': {
      const operands = node.operands.map(compileNode);
      return (row) => operands.every((operand) => operand(row));
    }
    case 'or': {
      const operands = node.operands.map(compileNode);
      return (row) => operands.some((operand) => operand(row));
    }
    case 'not': {
      const operand = compileNode(node.operand);
      return (row) => !operand(row);
    }
    case 'term': {
      const { token } = node;
      const test = scalarTest(token, node.test);
      if (token.multiValued) {
        return (row) => {
          const values = readQqlToken(token, row);
          if (values === null || values === undefined) return false;
          if (!Array.isArray(values)) throw new TypeError(`QQL token ${token.name} is multi-valued: its accessor must give an array, got ${typeof values}`);
          return values.some((value) => present(value) && test(value));
        };
      }
      return (row) => {
        const value = readQqlToken(token, row);
        return present(value) && test(value);
      };
    }
  }
}

/**
 * Compiles a query into `(row) => boolean` for the given token table. Validates first, so it
 * throws the same `QqlValidationError`s as the SQL compiler.
 */
export function compileQqlToPredicate<Row = Record<string, unknown>>(
  ast: QqlNode,
  table: QqlTokenTable<Row>,
  options: QqlBindOptions = {},
): (row: Row) => boolean {
  return compileNode(bindQql(ast, table, options));
}
