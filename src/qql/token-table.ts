/**
 * Token tables: which QQL tokens an entity (patches, assets, jobs, …) understands, what type of
 * value each takes, where its value lives in SQL, and how to read it from an in-memory row.
 *
 * A token is either
 * - a column of the entity's table or view (`column`), or
 * - multi-valued (`multiValued`): a child table holding any number of values per entity row,
 *   matched with `EXISTS` (in memory: the accessor returns an array; any element may match).
 *
 * Write a table with `defineQqlTokenTable`, which checks it once and freezes it:
 *
 *   const patchTokens = defineQqlTokenTable({
 *     entity: 'patch', table: 'patches', primaryKey: 'id',
 *     tokens: [
 *       { name: 'title', type: 'text', column: 'title' },
 *       { name: 'vendorSeverity', type: 'enum', column: 'vendor_severity',
 *         enumValues: ['Critical', 'Important', 'Moderate', 'Low', 'None'], enumAliases: { '5': 'Critical' } },
 *       { name: 'publishedDate', type: 'date', column: 'published_at', accessor: 'publishedAt' },
 *       { name: 'cve', type: 'string', multiValued: { table: 'patch_cves', foreignKey: 'patch_id', column: 'cve' } },
 *     ],
 *   });
 *
 * Storage expected for each type (the SQL compiler relies on it):
 * - string, text, enum: text columns;
 * - number: integer or floating-point columns;
 * - date: integer epoch milliseconds, or with `dateStorage: 'iso-8601'` text written by
 *   `Date.prototype.toISOString()` (`2024-05-01T10:00:00.000Z`: fixed width, so text order is time order);
 * - boolean: integers 0/1 (any non-zero integer counts as true).
 */

/**
 * The value types a token can have. `string` (names, ids, KB numbers, tags) and `text` (titles,
 * descriptions) match the same way — `` `x` `` equals, `x` and `"x y"` contain — and differ only
 * in what they tell readers of the table. See validator.ts for every type's rules.
 */
export type QqlValueType = 'string' | 'text' | 'number' | 'date' | 'boolean' | 'enum';

/** Child table of a multi-valued token: `SELECT column FROM table WHERE foreignKey = <entity key>`. */
export interface QqlChildColumn {
  table: string;
  /** Column of the child table that references the entity's key. */
  foreignKey: string;
  /** Column of the child table holding the values. */
  column: string;
  /** Column of the entity's table that `foreignKey` references; defaults to the table's `primaryKey`. */
  parentKey?: string;
}

/**
 * How the in-memory predicate reads a token from a row: a property name, or a function for
 * anything less direct (nested objects, arrays of objects). For multi-valued tokens it must give
 * an array of values (or null/undefined for none).
 */
export type QqlAccessor<Row> = (keyof Row & string) | ((row: Row) => unknown);

interface QqlTokenBase<Row> {
  /** The name used in queries, e.g. `vendorSeverity` or `tags.name`. Looked up ignoring letter case. */
  name: string;
  type: QqlValueType;
  /** For `enum` tokens: the allowed values (matched ignoring ASCII letter case). */
  enumValues?: readonly string[];
  /** For `enum` tokens: other spellings accepted in queries, mapped to one of `enumValues`. */
  enumAliases?: Readonly<Record<string, string>>;
  /** For `date` tokens: how the column stores time. Default `epoch-ms`. */
  dateStorage?: 'epoch-ms' | 'iso-8601';
  /** Where the predicate reads the value. Default: `column` for column tokens, `name` for multi-valued ones. */
  accessor?: QqlAccessor<Row>;
  /** One line for documentation and error messages. */
  description?: string;
}

export interface QqlColumnToken<Row = Record<string, unknown>> extends QqlTokenBase<Row> {
  /** Column of the entity's table or view. */
  column: string;
  multiValued?: undefined;
}

export interface QqlMultiValuedToken<Row = Record<string, unknown>> extends QqlTokenBase<Row> {
  column?: undefined;
  multiValued: QqlChildColumn;
}

export type QqlTokenDefinition<Row = Record<string, unknown>> = QqlColumnToken<Row> | QqlMultiValuedToken<Row>;

export interface QqlTokenTable<Row = Record<string, unknown>> {
  /** What the rows are, for messages: `patch`, `asset`, `job`. */
  entity: string;
  /** The table or view the column tokens belong to; also the default alias in generated SQL. */
  table: string;
  /** Key column of `table`, referenced by the child tables of multi-valued tokens. */
  primaryKey?: string;
  tokens: readonly QqlTokenDefinition<Row>[];
}

const TOKEN_NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const ENUM_VALUE_PATTERN = /^[A-Za-z0-9 ._+-]+$/;

const VALUE_TYPES: ReadonlySet<string> = new Set(['string', 'text', 'number', 'date', 'boolean', 'enum']);

/** Lower-cases ASCII letters only: the one case folding SQLite, PostgreSQL and JavaScript all agree on. */
export function foldQqlCase(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** The checked form of a table the engine works from; built once per table object. */
export interface QqlTokenIndex<Row> {
  table: QqlTokenTable<Row>;
  /** Folded token name → definition. */
  byName: ReadonlyMap<string, QqlTokenDefinition<Row>>;
  /** Folded enum spelling (value or alias) → canonical value, per enum token. */
  enumLookup: ReadonlyMap<QqlTokenDefinition<Row>, ReadonlyMap<string, string>>;
}

function checkTable<Row>(table: QqlTokenTable<Row>): QqlTokenIndex<Row> {
  const problems: string[] = [];
  const byName = new Map<string, QqlTokenDefinition<Row>>();
  const enumLookup = new Map<QqlTokenDefinition<Row>, Map<string, string>>();
  if (!table.entity) problems.push('entity is empty');
  if (!table.table) problems.push('table is empty');
  for (const token of table.tokens) {
    const label = `token ${JSON.stringify(token.name)}`;
    if (!TOKEN_NAME.test(token.name)) problems.push(`${label}: a name is letters, digits and _ in parts joined by "."`);
    const folded = foldQqlCase(token.name);
    if (byName.has(folded)) problems.push(`${label}: defined twice (names are compared ignoring case)`);
    byName.set(folded, token);
    if (!VALUE_TYPES.has(token.type)) problems.push(`${label}: unknown type ${JSON.stringify(token.type)}`);
    const hasColumn = typeof token.column === 'string' && token.column !== '';
    if (hasColumn === (token.multiValued !== undefined)) problems.push(`${label}: give exactly one of column and multiValued`);
    if (token.multiValued) {
      const child = token.multiValued;
      if (!child.table || !child.foreignKey || !child.column) problems.push(`${label}: multiValued needs table, foreignKey and column`);
      if (!child.parentKey && !table.primaryKey) problems.push(`${label}: multiValued needs parentKey or the table's primaryKey`);
    }
    if (token.dateStorage !== undefined && token.type !== 'date') problems.push(`${label}: dateStorage is only for date tokens`);
    if (token.type === 'enum') {
      const lookup = new Map<string, string>();
      if (!token.enumValues || token.enumValues.length === 0) problems.push(`${label}: an enum needs enumValues`);
      for (const value of token.enumValues ?? []) {
        if (lookup.has(foldQqlCase(value))) problems.push(`${label}: enum value ${JSON.stringify(value)} listed twice`);
        // Written into SQL as literals (sql-compiler.ts): plain words only.
        if (!ENUM_VALUE_PATTERN.test(value)) problems.push(`${label}: enum value ${JSON.stringify(value)} is not a plain word (letters, digits, space, . _ + -)`);
        lookup.set(foldQqlCase(value), value);
      }
      for (const [alias, value] of Object.entries(token.enumAliases ?? {})) {
        if (!token.enumValues?.includes(value)) problems.push(`${label}: alias ${JSON.stringify(alias)} maps to ${JSON.stringify(value)}, which is not in enumValues`);
        if (lookup.has(foldQqlCase(alias))) problems.push(`${label}: alias ${JSON.stringify(alias)} clashes with another spelling`);
        lookup.set(foldQqlCase(alias), value);
      }
      enumLookup.set(token, lookup);
    } else if (token.enumValues || token.enumAliases) {
      problems.push(`${label}: enumValues and enumAliases are only for enum tokens`);
    }
  }
  if (problems.length > 0) throw new Error(`Invalid QQL token table for ${table.entity || '(no entity)'}: ${problems.join('; ')}`);
  return { table, byName, enumLookup };
}

const indexes = new WeakMap<object, QqlTokenIndex<never>>();

/** The checked index of a table (checked on first use, then cached). Throws for a malformed table. */
export function qqlTokenIndex<Row>(table: QqlTokenTable<Row>): QqlTokenIndex<Row> {
  let index = indexes.get(table) as QqlTokenIndex<Row> | undefined;
  if (!index) {
    index = checkTable(table);
    indexes.set(table, index as unknown as QqlTokenIndex<never>);
  }
  return index;
}

/**
 * Checks a token table (names legal and unique, one storage per token, enum values present…) and
 * returns it frozen. Throws a plain Error listing every problem: a bad table is a programming error.
 */
export function defineQqlTokenTable<Row = Record<string, unknown>>(table: QqlTokenTable<Row>): QqlTokenTable<Row> {
  const frozen: QqlTokenTable<Row> = Object.freeze({ ...table, tokens: Object.freeze([...table.tokens]) });
  qqlTokenIndex(frozen);
  return frozen;
}

/** The token a query name refers to (ignoring letter case), or undefined. */
export function findQqlToken<Row>(table: QqlTokenTable<Row>, name: string): QqlTokenDefinition<Row> | undefined {
  return qqlTokenIndex(table).byName.get(foldQqlCase(name));
}

/** Reads a token's raw value from an in-memory row. */
export function readQqlToken<Row>(token: QqlTokenDefinition<Row>, row: Row): unknown {
  const accessor = token.accessor ?? (token.column ?? token.name);
  if (typeof accessor === 'function') return accessor(row);
  return (row as Record<string, unknown> | null | undefined)?.[accessor as string];
}
