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
 * The expression (over `alias`, a `pm_patches` row) that yields the document's JSON text.
 * SQLite: `json_object`. PostgreSQL: `row_to_json` of a one-row subquery (its output is compact
 * and keeps the keys' order, which `json_build_object`'s is not, and it was faster here).
 */
export function patchDocumentExpression(dialect: SqlDialectName, fields: readonly PatchDocumentField[], alias: string): RawBuilder<string> {
  for (const { key } of fields) {
    if (!DOCUMENT_KEY.test(key)) throw new Error(`document key "${key}" is not a plain name`);
  }
  const column = (name: string) => sql.ref(`${alias}.${name}`);
  const childList = (list: 'cves' | 'qids') => {
    const { table, column: valueColumn } = CHILD_LISTS[list];
    const value = sql.ref(`c.${valueColumn}`);
    return dialect === 'postgres'
      ? sql`(select coalesce(json_agg(${value} order by ${value}), '[]'::json) from ${sql.table(table)} c where c.patch_id = ${column('id')})`
      : sql`(select json_group_array(${value} order by ${value}) from ${sql.table(table)} c where c.patch_id = ${column('id')})`;
  };
  const valueOf = (value: PatchDocumentValue) => {
    if ('text' in value) return column(value.text);
    if ('integer' in value) return column(value.integer);
    if ('flag' in value) return dialect === 'postgres' ? sql`(${column(value.flag)} <> 0)` : sql`iif(${column(value.flag)}, json('true'), json('false'))`;
    if ('jsonArray' in value) return dialect === 'postgres' ? sql`cast(${column(value.jsonArray)} as json)` : sql`json(${column(value.jsonArray)})`;
    if ('singleton' in value) return dialect === 'postgres' ? sql`json_build_array(${column(value.singleton)})` : sql`json_array(${column(value.singleton)})`;
    if ('values' in value) return childList(value.values);
    const constant = value.constant;
    if (Array.isArray(constant)) return dialect === 'postgres' ? sql`cast('[]' as json)` : sql`json_array()`;
    return dialect === 'postgres' ? sql.raw(constant ? 'true' : 'false') : sql.raw(constant ? `json('true')` : `json('false')`);
  };
  if (dialect === 'postgres') {
    const columns = fields.map(({ key, value }) => sql`${valueOf(value)} as ${sql.id(key)}`);
    return sql<string>`(select cast(row_to_json(d) as text) from (select ${sql.join(columns)}) d)`;
  }
  if (fields.length === 0) return sql<string>`json_object()`;
  return sql<string>`json_object(${sql.join(fields.map(({ key, value }) => sql`${sql.lit(key)}, ${valueOf(value)}`))})`;
}
