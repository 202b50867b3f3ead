import type { Kysely, Migration } from 'kysely';
import type { SqlDialectName } from '../database.js';

/** The first schema: settings, users, the apt catalog, machines, scan templates, scans, operations. */
export function foundationMigration(dialect: SqlDialectName): Migration {
  // An auto-numbered integer primary key in either dialect.
  const serialType = dialect === 'postgres' ? 'serial' : 'integer';
  const serial = (builder: any) => (dialect === 'postgres' ? builder.primaryKey() : builder.primaryKey().autoIncrement());
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('settings').ifNotExists()
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createTable('users').ifNotExists()
        .addColumn('id', serialType, serial)
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema.createTable('apt_releases').ifNotExists()
        .addColumn('id', serialType, serial)
        .addColumn('uri', 'text', (c) => c.notNull())
        .addColumn('dist', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('suite', 'text', (c) => c.notNull())
        .addColumn('codename', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('release_date', 'text', (c) => c.notNull())
        .addColumn('not_automatic', 'integer', (c) => c.notNull())
        .addColumn('but_automatic_upgrades', 'integer', (c) => c.notNull())
        .addColumn('inrelease_sha256', 'text', (c) => c.notNull())
        .addColumn('validators', 'text', (c) => c.notNull())
        .addColumn('synced_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('apt_releases_uri_dist', ['uri', 'dist'])
        .execute();
      await db.schema.createTable('apt_indexes').ifNotExists()
        .addColumn('id', serialType, serial)
        .addColumn('release_id', 'integer', (c) => c.notNull().references('apt_releases.id').onDelete('cascade'))
        .addColumn('component', 'text', (c) => c.notNull())
        .addColumn('architecture', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('package_count', 'integer', (c) => c.notNull())
        .addUniqueConstraint('apt_indexes_release_component_arch', ['release_id', 'component', 'architecture'])
        .execute();
      await db.schema.createTable('apt_packages').ifNotExists()
        .addColumn('index_id', 'integer', (c) => c.notNull().references('apt_indexes.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('architecture', 'text', (c) => c.notNull())
        .addColumn('source_name', 'text', (c) => c.notNull())
        .addColumn('source_version', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('apt_packages_index_name').ifNotExists()
        .on('apt_packages').columns(['index_id', 'name']).execute();

      await db.schema.createTable('machines').ifNotExists()
        .addColumn('id', serialType, serial)
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('dns_name', 'text')
        .addColumn('domain', 'text')
        .addColumn('os_name', 'text')
        .addColumn('last_scanned_at', 'text')
        .addColumn('last_inventory', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema.createTable('scan_templates').ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('creator', 'text', (c) => c.notNull())
        .addColumn('is_system', 'integer', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('thread_count', 'integer', (c) => c.notNull())
        .addColumn('patch_filter', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema.createTable('scans').ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('template_id', 'text', (c) => c.notNull())
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('user_id', 'integer', (c) => c.notNull())
        .addColumn('console_name', 'text', (c) => c.notNull())
        .addColumn('started_on', 'text', (c) => c.notNull())
        .addColumn('updated_on', 'text', (c) => c.notNull())
        .addColumn('is_complete', 'integer', (c) => c.notNull())
        .addColumn('definition_version', 'text')
        .addColumn('definition_date', 'text')
        .addColumn('expected_result_total', 'integer', (c) => c.notNull())
        .addColumn('received_result_count', 'integer', (c) => c.notNull())
        .addColumn('request', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('scans_started_on').ifNotExists().on('scans').columns(['started_on', 'id']).execute();

      await db.schema.createTable('scan_machines').ifNotExists()
        .addColumn('id', serialType, serial)
        .addColumn('scan_id', 'text', (c) => c.notNull().references('scans.id').onDelete('cascade'))
        .addColumn('machine_id', 'integer', (c) => c.references('machines.id').onDelete('set null'))
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('dns_name', 'text')
        .addColumn('domain', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('completed_on', 'text')
        .addColumn('error_number', 'integer')
        .addColumn('error_description', 'text')
        .addColumn('installed_patch_count', 'integer', (c) => c.notNull())
        .addColumn('missing_patch_count', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('scan_machines_scan').ifNotExists().on('scan_machines').columns(['scan_id', 'id']).execute();

      await db.schema.createTable('scan_machine_patches').ifNotExists()
        .addColumn('id', serialType, serial)
        .addColumn('scan_machine_id', 'integer', (c) => c.notNull().references('scan_machines.id').onDelete('cascade'))
        .addColumn('patch_id', 'text', (c) => c.notNull())
        .addColumn('bulletin_id', 'text', (c) => c.notNull())
        .addColumn('kb', 'text', (c) => c.notNull())
        .addColumn('patch_type', 'text', (c) => c.notNull())
        .addColumn('product_id', 'text', (c) => c.notNull())
        .addColumn('product_name', 'text', (c) => c.notNull())
        .addColumn('scan_state', 'text', (c) => c.notNull())
        .addColumn('vendor_severity', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('release', 'text', (c) => c.notNull())
        .addColumn('source_name', 'text', (c) => c.notNull())
        .addColumn('source_version', 'text', (c) => c.notNull())
        .addColumn('packages', 'text', (c) => c.notNull())
        .addColumn('cves', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('scan_machine_patches_machine').ifNotExists()
        .on('scan_machine_patches').columns(['scan_machine_id', 'id']).execute();

      await db.schema.createTable('operations').ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('operation', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('percent_complete', 'integer', (c) => c.notNull())
        .addColumn('created', 'text', (c) => c.notNull())
        .addColumn('last_action', 'text', (c) => c.notNull())
        .addColumn('resource_path', 'text')
        .addColumn('error', 'text')
        .addColumn('user_id', 'integer', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>) {
      for (const table of ['operations', 'scan_machine_patches', 'scan_machines', 'scans', 'scan_templates', 'machines',
        'apt_packages', 'apt_indexes', 'apt_releases', 'users', 'settings']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
