import type { Kysely, Migration } from 'kysely';

/**
 * The patch catalog as the Patch Management API lists it, each machine's current patch status
 * (folded from its latest scan), vulnerabilities (QIDs) and a UUID per machine for that API.
 */
export function patchStatusMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('patches').ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('bulletin', 'text', (c) => c.notNull())
        .addColumn('kb', 'text', (c) => c.notNull())
        .addColumn('vendor', 'text', (c) => c.notNull())
        .addColumn('platform', 'text', (c) => c.notNull())
        .addColumn('patch_type', 'text', (c) => c.notNull())
        .addColumn('is_security', 'integer', (c) => c.notNull())
        .addColumn('vendor_severity', 'text', (c) => c.notNull())
        .addColumn('release', 'text', (c) => c.notNull())
        .addColumn('source_name', 'text', (c) => c.notNull())
        .addColumn('source_version', 'text', (c) => c.notNull())
        .addColumn('architectures', 'text', (c) => c.notNull())
        .addColumn('package_details', 'text', (c) => c.notNull())
        .addColumn('reboot_required', 'integer', (c) => c.notNull())
        .addColumn('published_ms', 'bigint', (c) => c.notNull())
        .addColumn('modified_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('patches_source').ifNotExists().on('patches').columns(['source_name', 'release']).execute();
      await db.schema.createTable('patch_cves').ifNotExists()
        .addColumn('patch_id', 'text', (c) => c.notNull().references('patches.id').onDelete('cascade'))
        .addColumn('cve', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('patch_cves_pk', ['patch_id', 'cve'])
        .execute();
      await db.schema.createIndex('patch_cves_cve').ifNotExists().on('patch_cves').column('cve').execute();
      await db.schema.createTable('vulnerabilities').ifNotExists()
        .addColumn('qid', 'integer', (c) => c.primaryKey())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('severity', 'integer', (c) => c.notNull())
        .addColumn('vuln_type', 'text', (c) => c.notNull())
        .addColumn('detected_ms', 'bigint')
        .addColumn('cves', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createTable('patch_qids').ifNotExists()
        .addColumn('patch_id', 'text', (c) => c.notNull().references('patches.id').onDelete('cascade'))
        .addColumn('qid', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('patch_qids_pk', ['patch_id', 'qid'])
        .execute();
      await db.schema.createTable('asset_patch_status').ifNotExists()
        .addColumn('machine_id', 'integer', (c) => c.notNull().references('machines.id').onDelete('cascade'))
        .addColumn('patch_id', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('scan_id', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('asset_patch_status_pk', ['machine_id', 'patch_id'])
        .execute();
      await db.schema.createIndex('asset_patch_status_patch').ifNotExists().on('asset_patch_status').columns(['patch_id', 'state']).execute();
      await db.schema.alterTable('machines').addColumn('asset_uuid', 'text').execute();
      await db.schema.alterTable('machines').addColumn('os_identifier', 'text').execute();
      await db.schema.alterTable('machines').addColumn('architecture', 'text').execute();
      await db.schema.createIndex('machines_asset_uuid').ifNotExists().on('machines').column('asset_uuid').unique().execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('machines_asset_uuid').ifExists().execute();
      for (const column of ['asset_uuid', 'os_identifier', 'architecture']) await db.schema.alterTable('machines').dropColumn(column).execute();
      for (const table of ['asset_patch_status', 'patch_qids', 'vulnerabilities', 'patch_cves', 'patches']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
