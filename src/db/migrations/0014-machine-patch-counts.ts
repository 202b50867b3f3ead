import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Per-machine counts of its current patch status (`machine_patch_counts`): how many patches the
 * machine misses and how many it has installed (`Installed` or `InstalledPendingReboot`) in
 * `asset_patch_status`, the asset side of 0009's per-patch counts. Kept exact by
 * src/scans/patch-status-counts.ts in the transaction that replaces the machine's status; filled
 * here from the status already stored. A machine without a row has both counts 0.
 *
 * The Patch Management API's asset listings counted each listed machine's status rows instead
 * (two counting subqueries per machine): a 400-asset page (the SDK's default) on the store of
 * bench/pm-patches-query.ts, 150 status rows per machine, executed in 19.6 ms on PostgreSQL
 * where reading these counts takes 0.5 ms.
 */
export function machinePatchCountsMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('machine_patch_counts').ifNotExists()
        .addColumn('machine_id', 'integer', (c) => c.primaryKey().references('machines.id').onDelete('cascade'))
        .addColumn('missing_count', 'integer', (c) => c.notNull())
        .addColumn('installed_count', 'integer', (c) => c.notNull())
        .execute();
      await sql`insert into machine_patch_counts (machine_id, missing_count, installed_count)
        select machine_id,
          sum(case when state = 'Missing' then 1 else 0 end),
          sum(case when state in ('Installed', 'InstalledPendingReboot') then 1 else 0 end)
        from asset_patch_status group by machine_id`.execute(db);
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('machine_patch_counts').ifExists().execute();
    },
  };
}
