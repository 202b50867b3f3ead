import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../database.js';

/**
 * Copies of the columns listings filter on most (`COUNTED_PATCH_FILTER_COLUMNS`) in each patch's
 * `patch_status_counts` row, so a page of counted patches only (`patchStatus:Missing and
 * isSecurity:true`, `missingCount>=10`) is a walk of the counts in key order that tests each row
 * in place and stops at the page's end, without reading the patches (src/scans/pm-query-views.ts).
 * Before, PostgreSQL merge-joined the counted patches with every patch in id order, walking about
 * 17 patches per counted one (1.3 ms for a 100-record page, 11 ms for 1,000, on the store of
 * bench/pm-patches-query.ts); SQLite looked up each counted patch.
 *
 * Triggers keep the copies exact in the transaction that writes either side:
 * - a new counts row takes its patch's values;
 * - a patch whose copied columns change updates its counts row (only when they change: a sync
 *   rewrites every patch of a changed release, nearly always with the same values here);
 * - a deleted patch deletes its counts row (its status rows go by cascade, so its counts are gone).
 *
 * Lock order on PostgreSQL: scans update counts rows in patch-id order; a patch update that changes
 * copied columns locks its counts row too, so catalog writes change patches in id order as well
 * (src/catalog/patch-catalog.ts), and neither can wait for the other in a cycle.
 */
const COUNTED_PATCH_FILTER_COLUMNS = ['platform', 'vendor_severity', 'is_security', 'patch_type', 'published_ms'] as const;

const SQLITE_TRIGGERS = ['patch_status_counts_filters_insert', 'patches_counted_filters_update', 'patches_counted_filters_delete'];

export function countedPatchFiltersMigration(dialect: SqlDialectName): Migration {
  const columns = sql.join(COUNTED_PATCH_FILTER_COLUMNS.map((column) => sql.ref(column)));
  const fromPatch = (alias: string) => sql.join(COUNTED_PATCH_FILTER_COLUMNS.map((column) => sql.ref(`${alias}.${column}`)));
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('patch_status_counts').addColumn('platform', 'text').execute();
      await db.schema.alterTable('patch_status_counts').addColumn('vendor_severity', 'text').execute();
      await db.schema.alterTable('patch_status_counts').addColumn('is_security', 'integer').execute();
      await db.schema.alterTable('patch_status_counts').addColumn('patch_type', 'text').execute();
      await db.schema.alterTable('patch_status_counts').addColumn('published_ms', 'bigint').execute();
      await sql`delete from patch_status_counts where not exists (select 1 from patches p where p.id = patch_status_counts.patch_id)`.execute(db);
      await sql`update patch_status_counts set (${columns}) = (select ${fromPatch('p')} from patches p where p.id = patch_status_counts.patch_id)`.execute(db);
      if (dialect === 'sqlite') {
        await sql`create trigger if not exists patch_status_counts_filters_insert after insert on patch_status_counts begin
            update patch_status_counts set (${columns}) = (select ${fromPatch('p')} from patches p where p.id = new.patch_id)
            where patch_id = new.patch_id;
          end`.execute(db);
        const changed = sql.join(COUNTED_PATCH_FILTER_COLUMNS.map((column) => sql`${sql.ref(`old.${column}`)} is not ${sql.ref(`new.${column}`)}`), sql` or `);
        await sql`create trigger if not exists patches_counted_filters_update after update on patches when ${changed} begin
            update patch_status_counts set (${columns}) = (${fromPatch('new')}) where patch_id = new.id;
          end`.execute(db);
        await sql`create trigger if not exists patches_counted_filters_delete after delete on patches begin
            delete from patch_status_counts where patch_id = old.id;
          end`.execute(db);
      } else {
        await sql`create or replace function patch_status_counts_take_filters() returns trigger language plpgsql as $$
          begin
            select ${fromPatch('p')} into ${sql.join(COUNTED_PATCH_FILTER_COLUMNS.map((column) => sql.ref(`new.${column}`)))}
              from patches p where p.id = new.patch_id;
            return new;
          end $$`.execute(db);
        await sql`create trigger patch_status_counts_filters_insert before insert on patch_status_counts
          for each row execute function patch_status_counts_take_filters()`.execute(db);
        await sql`create or replace function patches_update_counted_filters() returns trigger language plpgsql as $$
          begin
            update patch_status_counts set (${columns}) = (${fromPatch('new')}) where patch_id = new.id;
            return null;
          end $$`.execute(db);
        await sql`create trigger patches_counted_filters_update after update on patches for each row
          when ((${fromPatch('old')}) is distinct from (${fromPatch('new')}))
          execute function patches_update_counted_filters()`.execute(db);
        await sql`create or replace function patches_delete_counts() returns trigger language plpgsql as $$
          begin
            delete from patch_status_counts where patch_id = old.id;
            return null;
          end $$`.execute(db);
        await sql`create trigger patches_counted_filters_delete after delete on patches for each row
          execute function patches_delete_counts()`.execute(db);
      }
    },
    async down(db: Kysely<any>) {
      if (dialect === 'sqlite') {
        for (const name of SQLITE_TRIGGERS) await sql`drop trigger if exists ${sql.id(name)}`.execute(db);
      } else {
        await sql`drop trigger if exists patch_status_counts_filters_insert on patch_status_counts`.execute(db);
        await sql`drop trigger if exists patches_counted_filters_update on patches`.execute(db);
        await sql`drop trigger if exists patches_counted_filters_delete on patches`.execute(db);
        for (const name of ['patch_status_counts_take_filters', 'patches_update_counted_filters', 'patches_delete_counts']) {
          await sql`drop function if exists ${sql.id(name)}()`.execute(db);
        }
      }
      for (const column of COUNTED_PATCH_FILTER_COLUMNS) await db.schema.alterTable('patch_status_counts').dropColumn(column).execute();
    },
  };
}
