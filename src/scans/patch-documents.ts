/**
 * Patches read as JSON documents built by the store itself: the caller says which key holds
 * which value of a `pm_patches` row, and each row comes back as one JSON object text, in the
 * order the keys were given. Listing pages this way skips reading twenty columns into row
 * objects, mapping them and serialising them again (measured in docs/benchmarks.md).
 *
 * Keys and value kinds come from code (an API's field list), never from a request; the values
 * are the row's own columns.
 */
import { sql, type RawBuilder } from 'kysely';
import type { SqlDialectName } from '../db/database.js';
import type { PmPatchViewRow } from './pm-query-views.js';

type ColumnOfType<T> = { [K in keyof PmPatchViewRow]-?: PmPatchViewRow[K] extends T ? K : never }[keyof PmPatchViewRow];

/** How one document key's value is read from the patch row. */
export type PatchDocumentValue =
  /** A text column, as a JSON string. */
  | { text: ColumnOfType<string> }
  /** An integer column, as a JSON number. */
  | { integer: ColumnOfType<number> }
  /** A 0/1 column, as `true`/`false`. */
  | { flag: 'is_security' | 'reboot_required' | 'is_superseded' | 'is_rollback' | 'enabled' }
  /** A column holding a JSON array (written by the catalog), embedded as it is. */
  | { jsonArray: 'architectures' | 'package_details' }
  /** A text column as a one-element array. */
  | { singleton: ColumnOfType<string> }
  /** The patch's CVE ids or QIDs, sorted, from their child tables. */
  | { values: 'cves' | 'qids' }
  /** A fixed value. */
  | { constant: boolean | [] };

export interface PatchDocumentField {
  key: string;
  value: PatchDocumentValue;
}

const CHILD_LISTS = {
  cves: { table: 'patch_cves', column: 'cve' },
  qids: { table: 'patch_qids', column: 'qid' },
} as const;

const DOCUMENT_KEY = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * The expression (over `alias`, a `pm_patches` row) that yields the document's JSON text, keys in
 * the given order.
 * - SQLite: `json_object` (as fast as concatenating quoted pieces, and simpler).
 * - PostgreSQL: the text concatenated, each key a literal and each value its JSON text (strings
 *   through `to_json`, which escapes them). `row_to_json` and `json_build_object` took 20–30 %
 *   longer on 1,000-patch pages (they look up each value's output function per row), and
 *   `json_build_object` also spaces out its output.
 */
export function patchDocumentExpression(dialect: SqlDialectName, fields: readonly PatchDocumentField[], alias: string): RawBuilder<string> {
  for (const { key } of fields) {
    if (!DOCUMENT_KEY.test(key)) throw new Error(`document key "${key}" is not a plain name`);
  }
  const column = (name: string) => sql.ref(`${alias}.${name}`);
  return dialect === 'postgres' ? postgresDocument(fields, column) : sqliteDocument(fields, column);
}

type ColumnRef = (name: string) => RawBuilder<unknown>;

/** The sorted values of a patch's child list, as a JSON array (empty when it has none). */
function childList(dialect: SqlDialectName, list: 'cves' | 'qids', column: ColumnRef) {
  const { table, column: valueColumn } = CHILD_LISTS[list];
  const value = sql.ref(`c.${valueColumn}`);
  return dialect === 'postgres'
    ? sql`(select coalesce(json_agg(${value} order by ${value}), '[]'::json) from ${sql.table(table)} c where c.patch_id = ${column('id')})`
    : sql`(select json_group_array(${value} order by ${value}) from ${sql.table(table)} c where c.patch_id = ${column('id')})`;
}

function sqliteDocument(fields: readonly PatchDocumentField[], column: ColumnRef): RawBuilder<string> {
  if (fields.length === 0) return sql<string>`json_object()`;
  const valueOf = (value: PatchDocumentValue) => {
    if ('text' in value) return column(value.text);
    if ('integer' in value) return column(value.integer);
    if ('flag' in value) return sql`iif(${column(value.flag)}, json('true'), json('false'))`;
    if ('jsonArray' in value) return sql`json(${column(value.jsonArray)})`;
    if ('singleton' in value) return sql`json_array(${column(value.singleton)})`;
    if ('values' in value) return childList('sqlite', value.values, column);
    return sql`json(${sql.lit(JSON.stringify(value.constant))})`;
  };
  return sql<string>`json_object(${sql.join(fields.map(({ key, value }) => sql`${sql.lit(key)}, ${valueOf(value)}`))})`;
}

function postgresDocument(fields: readonly PatchDocumentField[], column: ColumnRef): RawBuilder<string> {
  if (fields.length === 0) return sql<string>`'{}'`;
  const jsonTextOf = (value: PatchDocumentValue) => {
    if ('text' in value) return sql`to_json(${column(value.text)})::text`;
    if ('integer' in value) return sql`cast(${column(value.integer)} as text)`;
    if ('flag' in value) return sql`case when ${column(value.flag)} <> 0 then 'true' else 'false' end`;
    // Written by the catalog as JSON text: embedded as it is.
    if ('jsonArray' in value) return column(value.jsonArray);
    if ('singleton' in value) return sql`'[' || to_json(${column(value.singleton)})::text || ']'`;
    if ('values' in value) return sql`cast(${childList('postgres', value.values, column)} as text)`;
    return sql.lit(JSON.stringify(value.constant));
  };
  // No piece may be null (it would null the whole text): coalesce guards each.
  const pieces = fields.map(({ key, value }, index) =>
    sql`${sql.lit(`${index === 0 ? '{' : ','}"${key}":`)} || coalesce(${jsonTextOf(value)}, 'null')`);
  return sql<string>`(${sql.join(pieces, sql` || `)} || '}')`;
}
