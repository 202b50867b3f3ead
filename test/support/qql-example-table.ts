/**
 * An example QQL token table, used by the QQL tests and meant as a model for the real patch,
 * asset and job tables. It describes "items" stored like this (see createExampleItemsSchema):
 *
 *   qql_items        one row per item
 *     id             INTEGER primary key
 *     name           TEXT     → token `name`          (string: `x` exact, x / "x" contains)
 *     title          TEXT     → token `title`         (text)
 *     severity       TEXT     → token `vendorSeverity` (enum, with the alias 5 → Critical)
 *     score          INTEGER  → token `score`         (number)
 *     ratio          REAL     → token `ratio`         (number, fractional)
 *     published_at   BIGINT   → token `publishedDate` (date, epoch milliseconds)
 *     modified_at    TEXT     → token `modifiedDate`  (date, ISO-8601 text from toISOString)
 *     is_security    INTEGER  → token `isSecurity`    (boolean, 0/1)
 *   qql_item_tags    (item_id, name)  → token `tags.name` (multi-valued string)
 *   qql_item_ports   (item_id, port)  → token `ports`     (multi-valued number)
 *
 * Any column may be NULL. In memory an item is the qql_items row plus `tags` and `ports` arrays.
 */
import { sql, type Kysely } from 'kysely';
import type { SqlDialectName } from '../../src/db/database.js';
import { defineQqlTokenTable } from '../../src/qql/index.js';

export interface ExampleItem {
  id: number;
  name: string | null;
  title: string | null;
  severity: string | null;
  score: number | null;
  ratio: number | null;
  published_at: number | null;
  modified_at: string | null;
  is_security: number | null;
  tags: (string | null)[];
  ports: (number | null)[];
}

export const EXAMPLE_SEVERITIES = ['Critical', 'Important', 'Moderate', 'Low', 'None'] as const;

export const exampleItemTokens = defineQqlTokenTable<ExampleItem>({
  entity: 'item',
  table: 'qql_items',
  primaryKey: 'id',
  tokens: [
    // Column tokens: `column` is the SQL column; the predicate reads the same-named property.
    { name: 'name', type: 'string', column: 'name', description: 'Short identifier-like name' },
    { name: 'title', type: 'text', column: 'title', description: 'Free text' },
    // An enum: values are matched ignoring ASCII case; aliases are extra spellings for queries.
    {
      name: 'vendorSeverity', type: 'enum', column: 'severity',
      enumValues: EXAMPLE_SEVERITIES, enumAliases: { 5: 'Critical', 4: 'Important', 3: 'Moderate', 2: 'Low', 1: 'None' },
    },
    { name: 'score', type: 'number', column: 'score' },
    { name: 'ratio', type: 'number', column: 'ratio' },
    // Dates: epoch milliseconds by default, or ISO text when dateStorage says so.
    { name: 'publishedDate', type: 'date', column: 'published_at' },
    { name: 'modifiedDate', type: 'date', column: 'modified_at', dateStorage: 'iso-8601' },
    { name: 'isSecurity', type: 'boolean', column: 'is_security' },
    // Multi-valued tokens: a child table in SQL (EXISTS), an array property in memory.
    { name: 'tags.name', type: 'string', multiValued: { table: 'qql_item_tags', foreignKey: 'item_id', column: 'name' }, accessor: 'tags' },
    { name: 'ports', type: 'number', multiValued: { table: 'qql_item_ports', foreignKey: 'item_id', column: 'port' }, accessor: (item) => item.ports },
  ],
});

/** Creates the example tables (no migrations: they exist only for the tests). */
export async function createExampleItemsSchema(kysely: Kysely<any>, dialect: SqlDialectName): Promise<void> {
  const real = dialect === 'postgres' ? sql.raw('double precision') : sql.raw('real');
  await sql`create table qql_items (
    id integer primary key,
    name text, title text, severity text,
    score integer, ratio ${real},
    published_at bigint, modified_at text,
    is_security integer
  )`.execute(kysely);
  await sql`create table qql_item_tags (item_id integer not null references qql_items(id), name text)`.execute(kysely);
  await sql`create table qql_item_ports (item_id integer not null references qql_items(id), port integer)`.execute(kysely);
}

/** Inserts items (and their tags and ports) in batches. */
export async function insertExampleItems(kysely: Kysely<any>, items: ExampleItem[]): Promise<void> {
  for (let i = 0; i < items.length; i += 100) {
    const batch = items.slice(i, i + 100);
    await kysely.insertInto('qql_items').values(batch.map(({ tags: _tags, ports: _ports, ...row }) => row)).execute();
    const tags = batch.flatMap((item) => item.tags.map((name) => ({ item_id: item.id, name })));
    if (tags.length > 0) await kysely.insertInto('qql_item_tags').values(tags).execute();
    const ports = batch.flatMap((item) => item.ports.map((port) => ({ item_id: item.id, port })));
    if (ports.length > 0) await kysely.insertInto('qql_item_ports').values(ports).execute();
  }
}

/** Reads every item back, with its tags and ports, as the in-memory predicate sees them. */
export async function loadExampleItems(kysely: Kysely<any>): Promise<ExampleItem[]> {
  const rows = await kysely.selectFrom('qql_items').selectAll().orderBy('id').execute();
  const tags = await kysely.selectFrom('qql_item_tags').selectAll().execute();
  const ports = await kysely.selectFrom('qql_item_ports').selectAll().execute();
  return rows.map((row) => ({
    ...(row as Omit<ExampleItem, 'tags' | 'ports'>),
    tags: tags.filter((t) => t.item_id === row.id).map((t) => t.name as string | null),
    ports: ports.filter((p) => p.item_id === row.id).map((p) => p.port as number | null),
  }));
}
