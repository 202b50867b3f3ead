import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../database.js';

/**
 * PostgreSQL: the folded-severity index of 0009 (`lower(vendor_severity COLLATE "C")`, id) also
 * carries the platform and the severity itself, so a `vendorSeverity:X` page is an index-only
 * scan of exactly its patches in id order. Without them PostgreSQL preferred walking every patch
 * in id order (`patches_pm_filter`) and folding each severity until the page was full: 2,300
 * patches passed over for 100 `Critical` ones, 0.5–0.7 ms more of PostgreSQL's CPU per listing
 * (bench/pm-patches-query.ts). The filter tests the severity's `IS NOT NULL` and the platform, so
 * both must be in the index for the scan to stay index-only.
 *
 * SQLite: migration 0012 makes its own.
 */
export function pmSeverityIndexMigration(dialect: SqlDialectName): Migration {
  const folded = sql`lower(${sql.ref('vendor_severity')} collate "C")`;
  return {
    async up(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      await sql`create index if not exists patches_pm_severity_listing on patches (${folded}, id) include (platform, vendor_severity)`.execute(db);
      await db.schema.dropIndex('patches_pm_lower_severity').ifExists().execute();
    },
    async down(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      await sql`create index if not exists patches_pm_lower_severity on patches (${folded}, id)`.execute(db);
      await db.schema.dropIndex('patches_pm_severity_listing').ifExists().execute();
    },
  };
}
