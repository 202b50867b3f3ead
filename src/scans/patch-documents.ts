/**
 * Patches read as JSON documents built by the store itself: the caller says which key holds
 * which value of a `pm_patches` row, and each row comes back as one JSON object text, in the
 * order the keys were given. Listing pages this way skips reading twenty columns into row
 * objects, mapping them and serialising them again (measured in docs/benchmarks.md).
 *
 * A document can also be split around its live values (the fleet counts), so that the rest is
 * stored once and only the counts are built per listing (patch-listing-documents.ts).
 *
 * Keys and value kinds come from code (an API's field list), never from a request; the values
 * are the row's own columns.
 */
import { sql, type RawBuilder } from 'kysely';
import type { PatchwardenDb, SqlDialectName } from '../db/database.js';
import { PM_PATCH_COUNT_COLUMN_NAMES, type PmPatchViewRow } from './pm-query-views.js';

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
 * Columns of `pm_patches` that change without the patch changing (they come from the fleet's
 * status counts): a stored document leaves them out, and they are read when a page is.
 */
const LIVE_COLUMNS: ReadonlySet<string> = new Set(PM_PATCH_COUNT_COLUMN_NAMES);

function columnOf(value: PatchDocumentValue): string | undefined {
  if ('values' in value || 'constant' in value) return undefined;
  return Object.values(value)[0] as string;
}

/**
 * The expression (over `alias`, a `pm_patches` row) that yields the document's JSON text, keys in
 * the given order: the text of each key and its value's JSON, concatenated.
 * - PostgreSQL: strings through `to_json`, which escapes them. `row_to_json` and
 *   `json_build_object` took 20–30 % longer on 1,000-patch pages (they look up each value's
 *   output function per row), and `json_build_object` also spaces out its output.
 * - SQLite: strings through `json_quote`; as fast as `json_object` (measured).
 */
export function patchDocumentExpression(db: PatchwardenDb, fields: readonly PatchDocumentField[], alias: string): RawBuilder<string> {
  return compiledOnce(db, fields, `document ${alias}`, () => concatenated(documentPieces(db.dialect, fields, alias)));
}

/**
 * A document split for storing: `head` and `tail` are the JSON text before and after the fields
 * that read live columns (from the first such field to the last), and `live` builds those at
 * read time; `head || live || tail` is the whole document. With no live field, `live` is empty
 * and `head` holds everything but the closing brace.
 */
export interface StoredDocumentSplit {
  head: RawBuilder<string>;
  live: RawBuilder<string> | undefined;
  tail: RawBuilder<string>;
  /**
   * Whether `live` reads no column of the row but the live ones (and its id): then `alias` may
   * be a row of the page's counts alone instead of a whole `pm_patches` row.
   */
  liveReadsOnlyCounts: boolean;
}

/** The split of `fields` over `alias`, derived once per store dialect, field list and alias. */
export function storedDocumentSplit(db: PatchwardenDb, fields: readonly PatchDocumentField[], alias: string): StoredDocumentSplit {
  return derivedOnce(fields, `${db.dialect} split ${alias}`, () => {
    const pieces = documentPieces(db.dialect, fields, alias);
    const part = (name: string, from: number, to: number) => compiledText(db, `${name} ${alias}`, concatenated(pieces.slice(from, to)));
    const live = fields.map(({ value }) => LIVE_COLUMNS.has(columnOf(value) ?? ''));
    // The live run is fields [first, last]; without live fields it is empty, just before the
    // closing brace (the last piece of documentPieces: `}`, or `{}` when there are no fields).
    const first = live.includes(true) ? live.indexOf(true) : fields.length;
    const last = live.includes(true) ? live.lastIndexOf(true) : fields.length - 1;
    return {
      head: part('head', 0, first),
      live: first <= last ? part('live', first, last + 1) : undefined,
      tail: part('tail', last + 1, pieces.length),
      liveReadsOnlyCounts: fields.slice(first, last + 1).every(({ value }) => columnOf(value) === undefined || LIVE_COLUMNS.has(columnOf(value)!)),
    };
  });
}

/**
 * Values derived once per field list and key, then reused. Keyed by the field list's identity
 * (the full document's list is a module constant; a request's `attributes` subset is built per
 * request, and so is what is derived from it).
 */
const derived = new WeakMap<readonly PatchDocumentField[], Map<string, unknown>>();

export function derivedOnce<T>(fields: readonly PatchDocumentField[], key: string, derive: () => T): T {
  let byKey = derived.get(fields);
  if (!byKey) derived.set(fields, (byKey = new Map()));
  if (!byKey.has(key)) byKey.set(key, derive());
  return byKey.get(key) as T;
}

/**
 * An expression compiled once per store dialect, field list and use, then reused as SQL text: it
 * holds only literals and column references, and building and compiling the thirty-odd pieces
 * again cost about 0.3 ms per listing.
 */
export function compiledOnce(db: PatchwardenDb, fields: readonly PatchDocumentField[], use: string, build: () => RawBuilder<string>): RawBuilder<string> {
  return derivedOnce(fields, `${db.dialect} ${use}`, () => compiledText(db, use, build()));
}

/** `expression` compiled to SQL text, to be reused as is (it must hold no parameters). */
function compiledText(db: PatchwardenDb, use: string, expression: RawBuilder<string>): RawBuilder<string> {
  const { sql: text, parameters } = expression.compile(db.kysely);
  if (parameters.length > 0) throw new Error(`document expression "${use}" has parameters`);
  return sql.raw<string>(text);
}

function concatenated(pieces: RawBuilder<string>[]): RawBuilder<string> {
  if (pieces.length === 0) return sql<string>`''`;
  return pieces.length === 1 ? pieces[0] : sql<string>`(${sql.join(pieces, sql` || `)})`;
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

/**
 * The document's text in pieces, never null: one per field (the key with the `{` or `,` before
 * it, then the value's JSON text, `null` for a null column), then the closing brace (alone, or
 * `{}` when there are no fields).
 */
function documentPieces(dialect: SqlDialectName, fields: readonly PatchDocumentField[], alias: string): RawBuilder<string>[] {
  for (const { key } of fields) {
    if (!DOCUMENT_KEY.test(key)) throw new Error(`document key "${key}" is not a plain name`);
  }
  const column: ColumnRef = (name) => sql.ref(`${alias}.${name}`);
  const jsonTextOf = dialect === 'postgres' ? postgresJsonText : sqliteJsonText;
  const pieces = fields.map(({ key, value }, index) =>
    sql<string>`${sql.lit(`${index === 0 ? '{' : ','}"${key}":`)} || coalesce(${jsonTextOf(value, column)}, 'null')`);
  pieces.push(fields.length === 0 ? sql<string>`'{}'` : sql<string>`'}'`);
  return pieces;
}

function postgresJsonText(value: PatchDocumentValue, column: ColumnRef): RawBuilder<unknown> {
  if ('text' in value) return sql`to_json(${column(value.text)})::text`;
  if ('integer' in value) return sql`cast(${column(value.integer)} as text)`;
  if ('flag' in value) return sql`case when ${column(value.flag)} <> 0 then 'true' else 'false' end`;
  // Written by the catalog as JSON text: embedded as it is.
  if ('jsonArray' in value) return column(value.jsonArray);
  if ('singleton' in value) return sql`'[' || to_json(${column(value.singleton)})::text || ']'`;
  if ('values' in value) return sql`cast(${childList('postgres', value.values, column)} as text)`;
  return sql.lit(JSON.stringify(value.constant));
}

function sqliteJsonText(value: PatchDocumentValue, column: ColumnRef): RawBuilder<unknown> {
  if ('text' in value) return sql`json_quote(${column(value.text)})`;
  if ('integer' in value) return sql`cast(${column(value.integer)} as text)`;
  if ('flag' in value) return sql`iif(${column(value.flag)}, 'true', 'false')`;
  if ('jsonArray' in value) return sql`json(${column(value.jsonArray)})`;
  if ('singleton' in value) return sql`json_array(${column(value.singleton)})`;
  if ('values' in value) return childList('sqlite', value.values, column);
  return sql.lit(JSON.stringify(value.constant));
}
