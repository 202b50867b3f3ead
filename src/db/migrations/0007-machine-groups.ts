import type { Kysely, Migration } from 'kysely';
import type { SqlDialectName } from '../database.js';

/**
 * Machine groups and their discovery filters; the stored credential a scan resolved for each of
 * its machines; the address a machine was last reached at. Custom scan templates live in the
 * existing `scan_templates` table (`is_system = 0`) and need no schema change.
 */
export function machineGroupsMigration(dialect: SqlDialectName): Migration {
  const serialType = dialect === 'postgres' ? 'serial' : 'integer';
  const serial = (builder: any) => (dialect === 'postgres' ? builder.primaryKey() : builder.primaryKey().autoIncrement());
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('machine_groups').ifNotExists()
        .addColumn('id', serialType, serial)
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('credential_id', 'text')
        .addColumn('connection_method', 'text', (c) => c.notNull())
        .addColumn('creator', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema.createTable('machine_group_filters').ifNotExists()
        .addColumn('id', serialType, serial)
        .addColumn('group_id', 'integer', (c) => c.notNull().references('machine_groups.id').onDelete('cascade'))
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('is_excluded', 'integer', (c) => c.notNull())
        .addColumn('admin_credential_id', 'text')
        .addColumn('nested_group_id', 'integer')
        .addColumn('notes', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('machine_group_filters_group').ifNotExists()
        .on('machine_group_filters').columns(['group_id', 'id']).execute();
      await db.schema.createIndex('machine_group_filters_nested').ifNotExists()
        .on('machine_group_filters').column('nested_group_id').execute();

      await db.schema.alterTable('scan_machines').addColumn('credential_id', 'text').execute();
      await db.schema.alterTable('machines').addColumn('ip_address', 'text').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('machines').dropColumn('ip_address').execute();
      await db.schema.alterTable('scan_machines').dropColumn('credential_id').execute();
      await db.schema.dropTable('machine_group_filters').ifExists().execute();
      await db.schema.dropTable('machine_groups').ifExists().execute();
    },
  };
}
