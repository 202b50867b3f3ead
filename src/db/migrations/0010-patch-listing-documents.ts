import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../database.js';

/**
 * `patch_listing_documents`: each catalog patch's listing document as the Patch Management API
 * sends it, stored without its live counts (head and tail of the JSON text; the counts are
 * spliced in between when a page is read). The content is written by
 * src/scans/patch-listing-documents.ts, which also names its `format` (a fingerprint of how the
 * text was built); a listing reads only rows of its own format.
 *
 * The triggers here know nothing of the document's content, only which tables it is made from:
 * any insert or update of a patch, and any change to its CVE or QID rows, marks the patch's row
 * stale (format, head and tail null) in the same transaction, so a listing never reads a document
 * older than the data, and builds that patch's document live instead until it is refreshed. The
 * mark writes the row (inserts or updates it) rather than deleting it, so that on PostgreSQL a
 * refresh running concurrently with the change always collides with it on this row (see the
 * refresh for why that matters). Deleting a patch deletes its row.
 */
export function patchListingDocumentsMigration(dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('patch_listing_documents').ifNotExists()
        .addColumn('patch_id', 'text', (c) => c.primaryKey())
        .addColumn('format', 'text')
        .addColumn('head', 'text')
        .addColumn('tail', 'text')
        .execute();
      // The stale rows, found without reading the others (refreshes after changes).
      await db.schema.createIndex('patch_listing_documents_stale').ifNotExists().on('patch_listing_documents')
        .column('patch_id').where(sql.ref('head'), 'is', null).execute();
      if (dialect === 'sqlite') await createSqliteTriggers(db);
      else await createPostgresTriggers(db);
      // Every patch already stored starts stale.
      await sql`insert into patch_listing_documents (patch_id) select id from patches`.execute(db);
    },
    async down(db: Kysely<any>) {
      if (dialect === 'sqlite') {
        for (const name of SQLITE_TRIGGERS) await sql`drop trigger if exists ${sql.id(name)}`.execute(db);
      } else {
        for (const table of ['patches', 'patch_cves', 'patch_qids']) {
          for (const event of ['insert', 'update', 'delete']) {
            await sql`drop trigger if exists ${sql.id(`${table}_listing_${event}`)} on ${sql.table(table)}`.execute(db);
          }
        }
        await sql`drop function if exists patch_listing_documents_mark_patches()`.execute(db);
        await sql`drop function if exists patch_listing_documents_mark_children()`.execute(db);
        await sql`drop function if exists patch_listing_documents_forget()`.execute(db);
      }
      await db.schema.dropTable('patch_listing_documents').ifExists().execute();
    },
  };
}

const SQLITE_TRIGGERS = [
  'patches_listing_insert', 'patches_listing_update', 'patches_listing_delete',
  'patch_cves_listing_insert', 'patch_cves_listing_update', 'patch_cves_listing_delete',
  'patch_qids_listing_insert', 'patch_qids_listing_update', 'patch_qids_listing_delete',
];

/**
 * SQLite: row triggers. Writers are serialised there, so a stale mark cannot race a refresh, and
 * a row already stale is left as it is (a sync marks most patches two or three times).
 */
async function createSqliteTriggers(db: Kysely<any>): Promise<void> {
  // An insert of a missing row and an update of a current one, not `insert or replace` or an
  // upsert: the conflict policy of the statement firing a trigger overrides those of the
  // statements in its body (an upsert of patches made a replace fail).
  const markStale = (patchId: string) => sql`
    insert into patch_listing_documents (patch_id) select p.id from patches p where p.id = ${sql.raw(patchId)}
      and not exists (select 1 from patch_listing_documents d where d.patch_id = p.id);
    update patch_listing_documents set format = null, head = null, tail = null where patch_id = ${sql.raw(patchId)} and head is not null;`;
  await sql`create trigger if not exists patches_listing_insert after insert on patches begin ${markStale('new.id')} end`.execute(db);
  await sql`create trigger if not exists patches_listing_update after update on patches begin
      delete from patch_listing_documents where patch_id = old.id and old.id is not new.id;
      ${markStale('new.id')}
    end`.execute(db);
  await sql`create trigger if not exists patches_listing_delete after delete on patches begin
      delete from patch_listing_documents where patch_id = old.id;
    end`.execute(db);
  // A CVE or QID row of a patch that does not exist (or no longer does) marks nothing.
  for (const table of ['patch_cves', 'patch_qids']) {
    await sql`create trigger if not exists ${sql.id(`${table}_listing_insert`)} after insert on ${sql.table(table)} begin
        ${markStale('new.patch_id')} end`.execute(db);
    await sql`create trigger if not exists ${sql.id(`${table}_listing_update`)} after update on ${sql.table(table)} begin
        ${markStale('old.patch_id')} ${markStale('new.patch_id')} end`.execute(db);
    await sql`create trigger if not exists ${sql.id(`${table}_listing_delete`)} after delete on ${sql.table(table)} begin
        ${markStale('old.patch_id')} end`.execute(db);
  }
}

/**
 * PostgreSQL: statement triggers with transition tables, so a catalog sync writing 500 patches
 * in one statement marks them in one statement too. Static SQL (plans cached by PL/pgSQL); a
 * patch's own rows need no existence check, nor do new CVE or QID rows (their foreign key), but
 * removed ones do (a cascade from a deleted patch).
 */
async function createPostgresTriggers(db: Kysely<any>): Promise<void> {
  // A row this transaction has already written (marked, or inserted) is not written again: the
  // first write is what a concurrent refresh collides with, and a sync marks most patches two or
  // three times (the patch, then its CVEs and QIDs). xmin is that row version's transaction.
  const markStale = sql.raw(`on conflict (patch_id) do update set format = null, head = null, tail = null
    where (patch_listing_documents.xmin::text)::bigint <> txid_current() % 4294967296`);
  await sql`create or replace function patch_listing_documents_mark_patches() returns trigger language plpgsql as $$
    begin
      insert into patch_listing_documents (patch_id) select c.id from changed_new c ${markStale};
      return null;
    end $$`.execute(db);
  await sql`create or replace function patch_listing_documents_mark_children() returns trigger language plpgsql as $$
    begin
      if tg_op in ('INSERT', 'UPDATE') then
        insert into patch_listing_documents (patch_id) select distinct c.patch_id from changed_new c ${markStale};
      end if;
      if tg_op in ('UPDATE', 'DELETE') then
        insert into patch_listing_documents (patch_id)
          select distinct c.patch_id from changed_old c where exists (select 1 from patches p where p.id = c.patch_id) ${markStale};
      end if;
      return null;
    end $$`.execute(db);
  await sql`create or replace function patch_listing_documents_forget() returns trigger language plpgsql as $$
    begin
      delete from patch_listing_documents d using changed_old c where d.patch_id = c.id;
      return null;
    end $$`.execute(db);
  const transitions = { insert: sql`new table as changed_new`, update: sql`old table as changed_old new table as changed_new`, delete: sql`old table as changed_old` };
  for (const table of ['patches', 'patch_cves', 'patch_qids'] as const) {
    for (const event of ['insert', 'update', 'delete'] as const) {
      const action = table !== 'patches' ? 'patch_listing_documents_mark_children' : event === 'delete' ? 'patch_listing_documents_forget' : 'patch_listing_documents_mark_patches';
      await sql`create trigger ${sql.id(`${table}_listing_${event}`)} after ${sql.raw(event)} on ${sql.table(table)}
        referencing ${transitions[event]} for each statement execute function ${sql.id(action)}()`.execute(db);
    }
  }
}
