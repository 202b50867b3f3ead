import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../database.js';

/**
 * Indexes for the Patch Management API's patch and asset listings and their QQL filters
 * (measured with bench/pm-patches-query.ts):
 *
 * - `patch_cves_folded_cve`, `patch_qids_qid`: the patches of one CVE or QID. QQL compares text
 *   ignoring ASCII case, as `lower(x)` in SQLite and `translate(x, 'A…Z', 'a…z')` in PostgreSQL,
 *   so the CVE index is on exactly that expression.
 * - `asset_patch_status_machine_state`: one machine's missing or installed patches, for the
 *   asset counts and `patchStatus` on assets.
 * - SQLite only, `patches_pm_listing`: patches in id order (the listing order) with the columns
 *   QQL filters on, so a filtered page walks this index and reads a patch row only when it
 *   matches instead of every row it passes over.
 * - PostgreSQL only, `patches_pm_folded_severity`: `vendorSeverity:X` pages in id order straight
 *   from the index (without it PostgreSQL folds every patch's severity and sorts: 160 ms for a
 *   1,000-patch page of 100,000 patches, against 20 ms).
 *
 * The folded expressions must stay exactly those of src/qql/sql-compiler.ts: if its case folding
 * changes, these two indexes stop being used (results stay right, only slower).
 */
export function pmQueryIndexesMigration(dialect: SqlDialectName): Migration {
  const folded = (column: string) => (dialect === 'postgres'
    ? sql`translate(${sql.ref(column)}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`
    : sql`lower(${sql.ref(column)})`);
  return {
    async up(db: Kysely<any>) {
      await sql`create index if not exists patch_cves_folded_cve on patch_cves (${folded('cve')}, patch_id)`.execute(db);
      await db.schema.createIndex('patch_qids_qid').ifNotExists().on('patch_qids').columns(['qid', 'patch_id']).execute();
      await db.schema.createIndex('asset_patch_status_machine_state').ifNotExists().on('asset_patch_status')
        .columns(['machine_id', 'state']).execute();
      if (dialect === 'sqlite') {
        await db.schema.createIndex('patches_pm_listing').ifNotExists().on('patches')
          .columns(['id', 'platform', 'vendor_severity', 'is_security', 'patch_type', 'published_ms', 'modified_ms', 'reboot_required',
            'source_name', 'title', 'kb', 'bulletin', 'vendor'])
          .execute();
      } else {
        await sql`create index if not exists patches_pm_folded_severity on patches (${folded('vendor_severity')}, id)`.execute(db);
      }
    },
    async down(db: Kysely<any>) {
      for (const index of ['patches_pm_folded_severity', 'patches_pm_listing', 'asset_patch_status_machine_state', 'patch_qids_qid', 'patch_cves_folded_cve']) {
        await db.schema.dropIndex(index).ifExists().execute();
      }
    },
  };
}
