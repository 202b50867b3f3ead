/**
 * The QQL syntax tree. The parser produces it; the validator, both compilers and the printer
 * consume it. It records what was written (how each value was quoted), not what it means for a
 * given entity: that needs a token table (see token-table.ts).
 *
 * `position` fields are 0-based character offsets into the query text, used for error messages.
 * Two trees that differ only in positions mean the same query (see `stripQqlPositions`).
 */

/** How a value was written. */
export type QqlValueStyle =
  /** `` `Critical` `` — exact match. */
  | 'exact'
  /** `"two words"` — phrase: contains the words in sequence. */
  | 'phrase'
  /** `Critical` — unquoted: contains. */
  | 'bare';

export interface QqlValue {
  style: QqlValueStyle;
  /** The value with quotes removed and escapes resolved. */
  text: string;
  position: number;
}

export type QqlComparisonOperator = '>' | '>=' | '<' | '<=' | '=';

export type QqlCondition =
  /** `token:value` */
  | { kind: 'match'; value: QqlValue }
  /** `token:[a, b, c]` — any of the values. */
  | { kind: 'list'; values: QqlValue[]; position: number }
  /** `token:[lo..hi]` (inclusive bound) or `token:(lo..hi)` (exclusive bound); brackets may be mixed. */
  | { kind: 'range'; low: QqlValue; high: QqlValue; lowInclusive: boolean; highInclusive: boolean; position: number }
  /** `token>5`, `token:>=5`, … */
  | { kind: 'compare'; operator: QqlComparisonOperator; value: QqlValue; position: number };

export interface QqlTerm {
  kind: 'term';
  /** The token as written, e.g. `tags.name`. */
  token: string;
  condition: QqlCondition;
  position: number;
}

export interface QqlAnd {
  kind: 'and';
  /** Two or more; the parser flattens `a AND (b AND c)` into one node. */
  operands: QqlNode[];
  position: number;
}

export interface QqlOr {
  kind: 'or';
  /** Two or more; the parser flattens `a OR (b OR c)` into one node. */
  operands: QqlNode[];
  position: number;
}

export interface QqlNot {
  kind: 'not';
  operand: QqlNode;
  position: number;
}

export type QqlNode = QqlTerm | QqlAnd | QqlOr | QqlNot;

/** A parsed query: the root node. */
export type QqlAst = QqlNode;

/** Deep copy of a tree with every `position` set to 0, for comparing what two queries say. */
export function stripQqlPositions<T extends QqlNode | QqlCondition | QqlValue>(node: T): T {
  return JSON.parse(JSON.stringify(node, (key, value) => (key === 'position' ? 0 : value))) as T;
}
