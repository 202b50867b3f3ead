import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../database.js';

/**
 * Per-patch counts of the fleet's current patch status, and indexes for the Patch Management
 * API's QQL filters as the compiler now writes them (measured with bench/pm-patches-query.ts).
 *
 * - `patch_status_counts`: for each patch, how many machines miss it and how many have it
 *   installed (`Installed` or `InstalledPendingReboot`) in `asset_patch_status`. Kept exact by
 *   src/scans/patch-status-counts.ts in the transaction that changes a machine's status; filled
 *   here from the status already stored. A patch without a row has both counts 0.
 * - Case folding in PostgreSQL is now `lower(x COLLATE "C")` (ASCII-only, like `translate()`,
 *   but about 18× faster), so 0004's `translate()` indexes are replaced by ones on the new
 *   expression: CVEs, and the severity in listing order (`vendorSeverity:` pages straight from
 *   the index). Both stores get indexes on the folded machine name (`name:` in a havingQuery)
 *   and source package name (`appFamily:`).
 * - `patches_pm_filter`: patches in id order with the short columns QQL filters on, so a page's
 *   ids are chosen on the index alone (see patchPage in asset-patch-queries.ts): on PostgreSQL an index-only scan instead
 *   of a heap read per patch passed over; on SQLite a covering index (its planner passes over
 *   0004's wider `patches_pm_listing` for the bare primary key plus a table read per patch, but
 *   takes this narrow one).
 * - Titles by trigram, so `title:"text"` (a contains-match) reads an index instead of every
 *   patch: on PostgreSQL a pg_trgm index on the folded title, when the extension is available (a
 *   trusted contrib extension; without it the same queries scan, with the same results); on
 *   SQLite an FTS5 trigram table kept by triggers on `patches`.
 *
 * The folded expressions must stay exactly those of src/qql/sql-compiler.ts, or these indexes
 * stop being used (results stay right, only slower).
 */
export function pmPatchCountsMigration(dialect: SqlDialectName): Migration {
  const folded = (column: string) => (dialect === 'postgres'
    ? sql`lower(${sql.ref(column)} collate "C")`
    : sql`lower(${sql.ref(column)})`);
  return {
    async up(db: Kysely<any>) {
      // SQLite: stored in patch-id order (WITHOUT ROWID), so a patch's counts are one lookup.
      await db.schema.createTable('patch_status_counts').ifNotExists()
        .addColumn('patch_id', 'text', (c) => c.primaryKey())
        .addColumn('missing_count', 'integer', (c) => c.notNull())
        .addColumn('installed_count', 'integer', (c) => c.notNull())
        .$call((table) => (dialect === 'sqlite' ? table.modifyEnd(sql`without rowid`) : table))
        .execute();
      await sql`insert into patch_status_counts (patch_id, missing_count, installed_count)
        select patch_id,
          sum(case when state = 'Missing' then 1 else 0 end),
          sum(case when state in ('Installed', 'InstalledPendingReboot') then 1 else 0 end)
        from asset_patch_status group by patch_id`.execute(db);

      await sql`create index if not exists machines_folded_name on machines (${folded('name')})`.execute(db);
      await sql`create index if not exists patches_folded_source on patches (${folded('source_name')})`.execute(db);
      if (dialect === 'sqlite') {
        await db.schema.createIndex('patches_pm_filter').ifNotExists().on('patches')
          .columns(['id', 'platform', 'vendor_severity', 'is_security', 'patch_type', 'published_ms', 'modified_ms', 'reboot_required'])
          .execute();
        await createTitleTrigramTable(db);
      } else {
        await sql`create index if not exists patches_pm_filter on patches (id)
          include (platform, vendor_severity, is_security, patch_type, published_ms, modified_ms, reboot_required)`.execute(db);
        await sql`create index if not exists patches_pm_lower_severity on patches (${folded('vendor_severity')}, id)`.execute(db);
        await db.schema.dropIndex('patch_cves_folded_cve').ifExists().execute();
        await db.schema.dropIndex('patches_pm_folded_severity').ifExists().execute();
        await sql`create index if not exists patch_cves_lower_cve on patch_cves (${folded('cve')}, patch_id)`.execute(db);
        await createTitleTrigramIndex(db);
      }
    },
    async down(db: Kysely<any>) {
      for (const index of ['patches_title_trigram', 'patches_pm_filter', 'patches_pm_lower_severity', 'patch_cves_lower_cve', 'patches_folded_source', 'machines_folded_name']) {
        await db.schema.dropIndex(index).ifExists().execute();
      }
      if (dialect === 'postgres') {
        const translated = (column: string) => sql`translate(${sql.ref(column)}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`;
        await sql`create index if not exists patch_cves_folded_cve on patch_cves (${translated('cve')}, patch_id)`.execute(db);
        await sql`create index if not exists patches_pm_folded_severity on patches (${translated('vendor_severity')}, id)`.execute(db);
      }
      if (dialect === 'sqlite') {
        for (const trigger of ['patches_title_trigrams_insert', 'patches_title_trigrams_update', 'patches_title_trigrams_delete']) {
          await sql`drop trigger if exists ${sql.id(trigger)}`.execute(db);
        }
        await sql`drop table if exists patch_title_trigrams`.execute(db);
        await db.schema.dropTable('patch_title_keys').ifExists().execute();
      }
      await db.schema.dropTable('patch_status_counts').ifExists().execute();
    },
  };
}

/**
 * SQLite: an FTS5 trigram index of patch titles (`patch_title_trigrams`, keyed by
 * `patch_title_keys.key`, a stable integer per patch id), kept by triggers on `patches`, so a
 * contains-match on titles first narrows the patches through the index (asset-patch-queries.ts).
 */
async function createTitleTrigramTable(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('patch_title_keys').ifNotExists()
    .addColumn('key', 'integer', (c) => c.primaryKey())
    .addColumn('patch_id', 'text', (c) => c.notNull().unique())
    .execute();
  await sql`create virtual table if not exists patch_title_trigrams using fts5(title, tokenize = 'trigram')`.execute(db);
  const keyOf = (id: string) => sql`(select k.key from patch_title_keys k where k.patch_id = ${sql.raw(id)})`;
  await sql`create trigger if not exists patches_title_trigrams_insert after insert on patches begin
      insert or ignore into patch_title_keys (patch_id) values (new.id);
      insert or replace into patch_title_trigrams (rowid, title) values (${keyOf('new.id')}, new.title);
    end`.execute(db);
  await sql`create trigger if not exists patches_title_trigrams_update after update of id, title on patches
      when old.id is not new.id or old.title is not new.title begin
      delete from patch_title_trigrams where rowid = ${keyOf('old.id')};
      update patch_title_keys set patch_id = new.id where patch_id = old.id;
      insert into patch_title_trigrams (rowid, title) values (${keyOf('new.id')}, new.title);
    end`.execute(db);
  await sql`create trigger if not exists patches_title_trigrams_delete after delete on patches begin
      delete from patch_title_trigrams where rowid = ${keyOf('old.id')};
      delete from patch_title_keys where patch_id = old.id;
    end`.execute(db);
  await sql`insert into patch_title_keys (patch_id) select id from patches order by id`.execute(db);
  await sql`insert into patch_title_trigrams (rowid, title) select k.key, p.title from patches p join patch_title_keys k on k.patch_id = p.id`.execute(db);
}

/**
 * The trigram index on PostgreSQL, if pg_trgm can be had: already installed, or available and
 * creatable by this role. A refusal is rolled back to a savepoint, so the migration goes on.
 */
async function createTitleTrigramIndex(db: Kysely<any>): Promise<void> {
  const available = await sql<{ installed: string | null }>`select installed_version as installed from pg_available_extensions where name = 'pg_trgm'`.execute(db);
  if (available.rows.length === 0) return;
  await sql`savepoint pm_title_trigram`.execute(db);
  try {
    if (available.rows[0].installed === null) await sql`create extension if not exists pg_trgm`.execute(db);
    await sql`create index if not exists patches_title_trigram on patches using gin (lower(title collate "C") gin_trgm_ops)`.execute(db);
    await sql`release savepoint pm_title_trigram`.execute(db);
  } catch {
    await sql`rollback to savepoint pm_title_trigram`.execute(db);
  }
}
