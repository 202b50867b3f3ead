/**
 * Compiles a query into a Kysely boolean expression for `.where(...)`, for SQLite and PostgreSQL.
 *
 * Safety: every value from the query is a bound parameter. Identifiers come only from the token
 * table (never from the query) and are quoted by Kysely. The only literals in the SQL text are
 * constants of this file (the LIKE escape character, the collation name, 0) and an enum token's
 * values, which are the token table's own (the query only picks which of them; its text is never
 * written). A closed vocabulary written as literals costs nothing in safety and lets PostgreSQL
 * plan a prepared statement once for all executions (a generic plan) knowing which severity or
 * state it selects, instead of planning again with each execution's values.
 *
 * Identical results in both dialects (and in predicate.ts) rest on these choices:
 * - Case folding is ASCII-only: `lower(x)` in SQLite (which folds only ASCII), and
 *   `lower(x COLLATE "C")` in PostgreSQL (under the C collation lower() folds only A–Z; under
 *   others it would also fold É, Ä, …). Expression indexes (migrations 0004, 0009) are on exactly
 *   these expressions.
 * - "Contains" is `LIKE` with `%`, `_` and the escape character `!` escaped in the bound pattern
 *   and `ESCAPE '!'`: on folded text in PostgreSQL; on the text itself in SQLite, whose LIKE
 *   already ignores the case of ASCII letters only (and of nothing else).
 * - Numbers are bound as `CAST(? AS BIGINT)` when they are safe integers (so PostgreSQL can use an
 *   index on an integer column) and `CAST(? AS DOUBLE PRECISION)` otherwise.
 * - ISO-8601 date columns compare as text, under `COLLATE "C"` in PostgreSQL (byte order, as in SQLite).
 * - Each term is `(column IS NOT NULL AND test)`, or `EXISTS (… child.column IS NOT NULL AND test)`
 *   for multi-valued tokens, so a term is never NULL: NOT on a missing value is true, as in memory.
 */
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import type { SqlDialectName } from '../db/database.js';
import type { QqlNode } from './ast.js';
import { qqlIsoText } from './predicate.js';
import type { QqlTokenDefinition, QqlTokenTable } from './token-table.js';
import { bindQql, type QqlBindOptions, type QqlBoundNode, type QqlInterval, type QqlValueTest } from './validator.js';

export interface QqlSqlOptions extends QqlBindOptions {
  dialect: SqlDialectName;
  /**
   * Name or alias of the entity's table in the surrounding query (`selectFrom('patches as p')`
   * → `'p'`). Column tokens and the key that child tables join on are qualified with it.
   * Default: the token table's `table`.
   */
  alias?: string;
  /**
   * For a contains-test (`title:"text"`) on a column token: a condition put before the LIKE that
   * holds for every row the LIKE matches (e.g. a lookup in a full-text index of the column), so
   * the store can narrow the rows by an index; the LIKE still decides. Undefined: none.
   */
  containsPrefilter?: (token: QqlTokenDefinition<any>, needle: string) => Expression<SqlBool> | undefined;
}

const LIKE_ESCAPE = '!';

/** Escapes LIKE's wildcards (and the escape character itself) in a literal piece of text. */
export function escapeQqlLikePattern(text: string): string {
  return text.replace(/[!%_]/g, (ch) => LIKE_ESCAPE + ch);
}

type Bool = RawBuilder<SqlBool>;

function joined(parts: Bool[], separator: 'and' | 'or'): Bool {
  if (parts.length === 0) return separator === 'and' ? sql<SqlBool>`1 = 1` : sql<SqlBool>`1 = 0`;
  if (parts.length === 1) return parts[0];
  return sql<SqlBool>`(${sql.join(parts, sql.raw(` ${separator} `))})`;
}

class QqlSqlCompiler<Row> {
  private children = 0;

  constructor(
    private readonly table: QqlTokenTable<Row>,
    private readonly dialect: SqlDialectName,
    private readonly alias: string,
    private readonly containsPrefilter?: QqlSqlOptions['containsPrefilter'],
  ) {}

  node(node: QqlBoundNode<Row>): Bool {
    switch (node.kind) {
      case 'and':
      case 'or':
        return joined(node.operands.map((operand) => this.node(operand)), node.kind);
      case 'not':
        return sql<SqlBool>`not (${this.node(node.operand)})`;
      case 'term':
        return this.term(node.token, node.test);
    }
  }

  private term(token: QqlTokenDefinition<Row>, test: QqlValueTest): Bool {
    if (!token.multiValued) {
      const column = sql.ref(`${this.alias}.${token.column}`);
      const prefilter = test.kind === 'contains' ? this.containsPrefilter?.(token, test.needle) : undefined;
      if (prefilter) return sql<SqlBool>`(${column} is not null and ${prefilter} and ${this.test(token, column, test)})`;
      return sql<SqlBool>`(${column} is not null and ${this.test(token, column, test)})`;
    }
    const child = token.multiValued;
    const childAlias = `qql_child_${++this.children}`;
    const column = sql.ref(`${childAlias}.${child.column}`);
    const parentKey = sql.ref(`${this.alias}.${child.parentKey ?? this.table.primaryKey}`);
    return sql<SqlBool>`exists (select 1 from ${sql.table(child.table)} as ${sql.id(childAlias)} where ${sql.ref(`${childAlias}.${child.foreignKey}`)} = ${parentKey} and ${column} is not null and ${this.test(token, column, test)})`;
  }

  private folded(column: RawBuilder<unknown>): RawBuilder<string> {
    return this.dialect === 'postgres'
      ? sql<string>`lower(${column} collate "C")`
      : sql<string>`lower(${column})`;
  }

  /** Text LIKE compares: folded in PostgreSQL; as is in SQLite, whose LIKE folds ASCII itself. */
  private likeOperand(column: RawBuilder<unknown>): RawBuilder<unknown> {
    return this.dialect === 'postgres' ? this.folded(column) : column;
  }

  private number(n: number): RawBuilder<number> {
    return Number.isSafeInteger(n) ? sql<number>`cast(${n} as bigint)` : sql<number>`cast(${n} as double precision)`;
  }

  private test(token: QqlTokenDefinition<Row>, column: RawBuilder<unknown>, test: QqlValueTest): Bool {
    switch (test.kind) {
      case 'contains':
        return sql<SqlBool>`${this.likeOperand(column)} like ${`%${escapeQqlLikePattern(test.needle)}%`} escape ${sql.lit(LIKE_ESCAPE)}`;
      case 'equals': {
        // An enum's values are canonical values of the token table (folded), never the query's text.
        const values = token.type === 'enum' ? test.values.map((value) => sql.lit(value)) : test.values;
        if (values.length === 1) return sql<SqlBool>`${this.folded(column)} = ${values[0]}`;
        // SQLite: a list of an enum's values (few values, each shared by many rows) is tested row
        // by row, never used to pick rows from an index of the folded column (the unary + is
        // SQLite's way to say so). Read from such an index, a page in key order meant reading
        // every row of each value and sorting them: 20,000 patches for `vendorSeverity:[Critical,
        // Important]`, 38 ms, where walking the patches in id order fills the page in 1 ms. One
        // value reads its index in key order and stops at the page's end.
        const operand = token.type === 'enum' && this.dialect === 'sqlite' ? sql`+${this.folded(column)}` : this.folded(column);
        return sql<SqlBool>`${operand} in (${sql.join(values)})`;
      }
      case 'boolean':
        return test.value ? sql<SqlBool>`${column} <> ${sql.lit(0)}` : sql<SqlBool>`${column} = ${sql.lit(0)}`;
      case 'interval':
        return this.intervals(token, column, test.intervals);
      case 'any':
        return joined(test.tests.map((inner) => this.test(token, column, inner)), 'or');
    }
  }

  private intervals(token: QqlTokenDefinition<Row>, column: RawBuilder<unknown>, intervals: QqlInterval[]): Bool {
    const isoText = token.type === 'date' && token.dateStorage === 'iso-8601';
    const operand = isoText && this.dialect === 'postgres' ? sql`${column} collate "C"` : column;
    const bound = (n: number): RawBuilder<unknown> => (isoText ? sql`${qqlIsoText(n)}` : this.number(n));
    const isPoint = (i: QqlInterval) => i.low !== undefined && i.low === i.high && i.lowInclusive && i.highInclusive;
    if (intervals.length > 1 && intervals.every(isPoint)) {
      return sql<SqlBool>`${operand} in (${sql.join(intervals.map((i) => bound(i.low as number)))})`;
    }
    return joined(intervals.map((interval) => {
      if (isPoint(interval)) return sql<SqlBool>`${operand} = ${bound(interval.low as number)}`;
      const parts: Bool[] = [];
      if (interval.low !== undefined) {
        parts.push(interval.lowInclusive ? sql<SqlBool>`${operand} >= ${bound(interval.low)}` : sql<SqlBool>`${operand} > ${bound(interval.low)}`);
      }
      if (interval.high !== undefined) {
        parts.push(interval.highInclusive ? sql<SqlBool>`${operand} <= ${bound(interval.high)}` : sql<SqlBool>`${operand} < ${bound(interval.high)}`);
      }
      return joined(parts, 'and');
    }), 'or');
  }
}

/**
 * Compiles a query into a boolean expression over the entity's table, for Kysely's `.where()`:
 *
 *   const filter = compileQqlToWhere(parseQql(text), patchTokens, { dialect: db.dialect, alias: 'p' });
 *   db.kysely.selectFrom('patches as p').selectAll().where(filter)
 *
 * Validates first: throws `QqlValidationError` for unknown tokens or ill-typed values.
 */
export function compileQqlToWhere<Row>(ast: QqlNode, table: QqlTokenTable<Row>, options: QqlSqlOptions): Expression<SqlBool> {
  const bound = bindQql(ast, table, options);
  return new QqlSqlCompiler(table, options.dialect, options.alias ?? table.table, options.containsPrefilter).node(bound);
}
