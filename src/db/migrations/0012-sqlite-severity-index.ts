import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../database.js';

/**
 * SQLite: an index of the folded severity in id order, carrying the columns listings filter on
 * (those of 0009's `patches_pm_filter`), so a `vendorSeverity:X` page reads only its severity's
 * patches, from the index alone, in id order, and stops at the page's end. Walking every patch in
 * id order instead passed over 2,000 patches for 100 `Critical` ones (0.97 → 0.55 ms for the
 * page), and all 100,000 for `vendorSeverity:Critical and publishedDate>now-30d` (23 → 1.2 ms),
 * on the store of bench/pm-patches-query.ts. A list of severities does not use it
 * (src/qql/sql-compiler.ts says why). The folded expression must stay exactly the compiler's, or
 * the index is not used.
 *
 * PostgreSQL: nothing; migration 0011 made its own.
 */
export function sqliteSeverityIndexMigration(dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<any>) {
      if (dialect !== 'sqlite') return;
      await sql`create index if not exists patches_pm_severity_listing on patches (lower(vendor_severity), id,
        platform, vendor_severity, is_security, patch_type, published_ms, modified_ms, reboot_required)`.execute(db);
    },
    async down(db: Kysely<any>) {
      if (dialect !== 'sqlite') return;
      await db.schema.dropIndex('patches_pm_severity_listing').ifExists().execute();
    },
  };
}
