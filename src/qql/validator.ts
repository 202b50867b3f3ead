/**
 * Checks a parsed query against a token table and resolves it into a "bound" query: each term
 * knows its token definition and a typed test on the token's value. Both compilers (SQL and
 * in-memory) work from the bound form, so they cannot disagree on what a value means.
 *
 * Meaning of a term, by token type:
 * - string, text: `` `x` `` equals x; `x` and `"x y"` contain the text. ASCII letters match
 *   ignoring case, other characters exactly (see foldQqlCase). No ranges or comparisons.
 * - enum: the value must be one of the token's values or aliases (ignoring ASCII case), in any
 *   quoting; the term is an equality. No ranges or comparisons.
 * - number: equality, comparisons and ranges, numerically.
 * - date: a span of time (date-literal.ts); equality means "within the span".
 * - boolean: true/false (or 1/0), ignoring case.
 * - A list `[a, b]` matches when any element would match on its own.
 */
import type { QqlComparisonOperator, QqlCondition, QqlNode, QqlTerm, QqlValue } from './ast.js';
import { parseQqlDate, QQL_DATE_FORMS, type QqlDateSpan } from './date-literal.js';
import { QqlSyntaxError, QqlValidationError } from './errors.js';
import { formatQqlValue } from './format.js';
import { QQL_LIMITS } from './lexer.js';
import { foldQqlCase, qqlTokenIndex, type QqlTokenDefinition, type QqlTokenIndex, type QqlTokenTable } from './token-table.js';

export interface QqlBindOptions {
  /** Epoch milliseconds that `now` in date values refers to. Default: `Date.now()` at bind time. */
  now?: number;
}

/** Numeric interval; a missing bound is unbounded. Dates are epoch milliseconds. */
export interface QqlInterval {
  low?: number;
  lowInclusive: boolean;
  high?: number;
  highInclusive: boolean;
}

/** What a single value of the token must satisfy. */
export type QqlValueTest =
  /** Contains `needle` (already case-folded). */
  | { kind: 'contains'; needle: string }
  /** Equals one of `values` (already case-folded). */
  | { kind: 'equals'; values: string[] }
  /** Lies in one of the intervals. */
  | { kind: 'interval'; intervals: QqlInterval[] }
  | { kind: 'boolean'; value: boolean }
  /** Any of the tests holds. */
  | { kind: 'any'; tests: QqlValueTest[] };

export type QqlBoundNode<Row = Record<string, unknown>> =
  | { kind: 'term'; token: QqlTokenDefinition<Row>; test: QqlValueTest }
  | { kind: 'and' | 'or'; operands: QqlBoundNode<Row>[] }
  | { kind: 'not'; operand: QqlBoundNode<Row> };

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

function typeLabel(token: { type: string; multiValued?: unknown }): string {
  return `${token.type}${token.multiValued ? ', multi-valued' : ''}`;
}

function rangeText(condition: Extract<QqlCondition, { kind: 'range' }>): string {
  return `${condition.lowInclusive ? '[' : '('}${formatQqlValue(condition.low)}..${formatQqlValue(condition.high)}${condition.highInclusive ? ']' : ')'}`;
}

class QqlBinder<Row> {
  constructor(
    private readonly index: QqlTokenIndex<Row>,
    private readonly now: number,
  ) {}

  bind(node: QqlNode, depth: number): QqlBoundNode<Row> {
    if (depth > QQL_LIMITS.maxDepth * 2 + 1) {
      throw new QqlSyntaxError({
        kind: 'limit', position: node.position, found: node.kind,
        expected: `at most ${QQL_LIMITS.maxDepth} levels of nesting`, summary: 'QQL query nested too deeply',
      });
    }
    switch (node.kind) {
      case 'term':
        return this.bindTerm(node);
      case 'not':
        return { kind: 'not', operand: this.bind(node.operand, depth + 1) };
      case 'and':
      case 'or':
        return { kind: node.kind, operands: node.operands.map((operand) => this.bind(operand, depth + 1)) };
    }
  }

  private token(term: QqlTerm): QqlTokenDefinition<Row> {
    const token = this.index.byName.get(foldQqlCase(term.token));
    if (token) return token;
    const names = this.index.table.tokens.map((t) => t.name);
    const close = names
      .map((name) => ({ name, distance: editDistance(foldQqlCase(name), foldQqlCase(term.token)) }))
      .filter((c) => c.distance <= 2)
      .sort((a, b) => a.distance - b.distance)[0];
    throw new QqlValidationError({
      kind: 'unknown-token',
      position: term.position,
      found: term.token,
      token: term.token,
      expected: `one of the ${this.index.table.entity} tokens: ${names.join(', ')}`,
      summary: `Unknown ${this.index.table.entity} token ${JSON.stringify(term.token)}${close ? ` (did you mean ${close.name}?)` : ''}`,
    });
  }

  private typeError(token: QqlTokenDefinition<Row>, position: number, found: string, expected: string, summary?: string): never {
    throw new QqlValidationError({
      kind: 'type', position, found, token: token.name, expected,
      summary: summary ?? `Wrong value for the ${typeLabel(token)} token ${token.name}`,
    });
  }

  private bindTerm(term: QqlTerm): QqlBoundNode<Row> {
    const token = this.token(term);
    return { kind: 'term', token, test: this.test(token, term.condition) };
  }

  private test(token: QqlTokenDefinition<Row>, condition: QqlCondition): QqlValueTest {
    const ordered = token.type === 'number' || token.type === 'date';
    if (!ordered && (condition.kind === 'compare' || condition.kind === 'range')) {
      const found = condition.kind === 'compare' ? condition.operator : rangeText(condition);
      this.typeError(token, condition.position, found, `":" followed by ${this.describeExpected(token)}`,
        `The ${typeLabel(token)} token ${token.name} cannot take ${condition.kind === 'compare' ? 'a comparison' : 'a range'} (only number and date tokens can)`);
    }
    switch (condition.kind) {
      case 'match':
        return this.valueTest(token, condition.value);
      case 'list':
        return this.merge(condition.values.map((value) => this.valueTest(token, value)));
      case 'compare':
        return { kind: 'interval', intervals: [this.comparison(token, condition.operator, condition.value)] };
      case 'range':
        return { kind: 'interval', intervals: [this.range(token, condition)] };
    }
  }

  private describeExpected(token: QqlTokenDefinition<Row>): string {
    switch (token.type) {
      case 'string':
      case 'text':
        return 'a text value';
      case 'number':
        return 'a number';
      case 'date':
        return QQL_DATE_FORMS;
      case 'boolean':
        return 'true or false';
      case 'enum':
        return `one of ${(token.enumValues ?? []).join(', ')}`;
    }
  }

  /** Joins the tests of a list's elements: equalities into one IN, intervals into one set. */
  private merge(tests: QqlValueTest[]): QqlValueTest {
    const equals = tests.flatMap((t) => (t.kind === 'equals' ? t.values : []));
    const intervals = tests.flatMap((t) => (t.kind === 'interval' ? t.intervals : []));
    const merged: QqlValueTest[] = [];
    if (equals.length > 0) merged.push({ kind: 'equals', values: [...new Set(equals)] });
    if (intervals.length > 0) merged.push({ kind: 'interval', intervals });
    merged.push(...tests.filter((t) => t.kind !== 'equals' && t.kind !== 'interval'));
    return merged.length === 1 ? merged[0] : { kind: 'any', tests: merged };
  }

  private valueTest(token: QqlTokenDefinition<Row>, value: QqlValue): QqlValueTest {
    switch (token.type) {
      case 'string':
      case 'text':
        return value.style === 'exact'
          ? { kind: 'equals', values: [foldQqlCase(value.text)] }
          : { kind: 'contains', needle: foldQqlCase(value.text) };
      case 'enum': {
        const canonical = this.index.enumLookup.get(token)?.get(foldQqlCase(value.text));
        if (canonical === undefined) return this.typeError(token, value.position, formatQqlValue(value), this.describeExpected(token));
        return { kind: 'equals', values: [foldQqlCase(canonical)] };
      }
      case 'boolean': {
        const folded = foldQqlCase(value.text);
        if (folded === 'true' || folded === '1') return { kind: 'boolean', value: true };
        if (folded === 'false' || folded === '0') return { kind: 'boolean', value: false };
        return this.typeError(token, value.position, formatQqlValue(value), this.describeExpected(token));
      }
      case 'number': {
        const n = this.number(token, value);
        return { kind: 'interval', intervals: [{ low: n, lowInclusive: true, high: n, highInclusive: true }] };
      }
      case 'date': {
        const span = this.date(token, value);
        return { kind: 'interval', intervals: [{ low: span.start, lowInclusive: true, high: span.end, highInclusive: false }] };
      }
    }
  }

  private number(token: QqlTokenDefinition<Row>, value: QqlValue): number {
    const n = NUMBER.test(value.text) ? Number(value.text) : Number.NaN;
    if (!Number.isFinite(n)) return this.typeError(token, value.position, formatQqlValue(value), 'a number');
    return n === 0 ? 0 : n; // no -0
  }

  private date(token: QqlTokenDefinition<Row>, value: QqlValue): QqlDateSpan {
    const span = parseQqlDate(value.text, this.now);
    if (!span) return this.typeError(token, value.position, formatQqlValue(value), QQL_DATE_FORMS);
    return span;
  }

  private comparison(token: QqlTokenDefinition<Row>, operator: QqlComparisonOperator, value: QqlValue): QqlInterval {
    if (token.type === 'number') {
      const n = this.number(token, value);
      switch (operator) {
        case '>': return { low: n, lowInclusive: false, highInclusive: false };
        case '>=': return { low: n, lowInclusive: true, highInclusive: false };
        case '<': return { high: n, highInclusive: false, lowInclusive: false };
        case '<=': return { high: n, highInclusive: true, lowInclusive: false };
        case '=': return { low: n, lowInclusive: true, high: n, highInclusive: true };
      }
    }
    const span = this.date(token, value);
    switch (operator) {
      case '>': return { low: span.end, lowInclusive: true, highInclusive: false };
      case '>=': return { low: span.start, lowInclusive: true, highInclusive: false };
      case '<': return { high: span.start, highInclusive: false, lowInclusive: false };
      case '<=': return { high: span.end, highInclusive: false, lowInclusive: false };
      case '=': return { low: span.start, lowInclusive: true, high: span.end, highInclusive: false };
    }
  }

  private range(token: QqlTokenDefinition<Row>, condition: Extract<QqlCondition, { kind: 'range' }>): QqlInterval {
    let interval: QqlInterval;
    let reversed: boolean;
    if (token.type === 'number') {
      const low = this.number(token, condition.low);
      const high = this.number(token, condition.high);
      reversed = low > high;
      interval = { low, lowInclusive: condition.lowInclusive, high, highInclusive: condition.highInclusive };
    } else {
      const low = this.date(token, condition.low);
      const high = this.date(token, condition.high);
      reversed = low.start > high.start;
      interval = {
        low: condition.lowInclusive ? low.start : low.end, lowInclusive: true,
        high: condition.highInclusive ? high.end : high.start, highInclusive: false,
      };
    }
    if (reversed) {
      this.typeError(token, condition.high.position, formatQqlValue(condition.high), `an upper end not below the lower end ${condition.low.text}`,
        `Range of the ${typeLabel(token)} token ${token.name} ends before it starts`);
    }
    return interval;
  }
}

/**
 * Checks a query against a token table and returns the bound form both compilers use.
 * Throws `QqlValidationError` for an unknown token or a value that does not fit its token.
 */
export function bindQql<Row>(ast: QqlNode, table: QqlTokenTable<Row>, options: QqlBindOptions = {}): QqlBoundNode<Row> {
  const now = options.now ?? Date.now();
  return new QqlBinder(qqlTokenIndex(table), now).bind(ast, 0);
}

/** Throws `QqlValidationError` when the query does not fit the table; returns nothing otherwise. */
export function validateQql<Row>(ast: QqlNode, table: QqlTokenTable<Row>, options: QqlBindOptions = {}): void {
  bindQql(ast, table, options);
}
