import type { Kysely, Migration } from 'kysely';

/**
 * Imported security advisories (OSV, RPM updateinfo) and the package versions that fix them,
 * looked up by (distro, release, package name) when a machine is assessed. Each advisory has
 * a QID of its own, assigned at its first import and never changed.
 */
export function advisoriesMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('advisories').ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('qid', 'integer', (c) => c.notNull().unique())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('publisher', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('cves', 'text', (c) => c.notNull())
        .addColumn('published', 'text', (c) => c.notNull())
        .addColumn('modified', 'text', (c) => c.notNull())
        .addColumn('imported_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createTable('advisory_fixes').ifNotExists()
        .addColumn('advisory_id', 'text', (c) => c.notNull().references('advisories.id').onDelete('cascade'))
        .addColumn('ecosystem', 'text', (c) => c.notNull())
        .addColumn('distro', 'text', (c) => c.notNull())
        .addColumn('release', 'text', (c) => c.notNull())
        .addColumn('package_name', 'text', (c) => c.notNull())
        .addColumn('name_kind', 'text', (c) => c.notNull())
        .addColumn('architecture', 'text', (c) => c.notNull())
        .addColumn('fixed_version', 'text', (c) => c.notNull())
        .addColumn('binaries', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('advisory_fixes_release_package').ifNotExists().on('advisory_fixes')
        .columns(['distro', 'release', 'package_name']).execute();
      await db.schema.createIndex('advisory_fixes_advisory').ifNotExists().on('advisory_fixes').column('advisory_id').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('advisory_fixes').ifExists().execute();
      await db.schema.dropTable('advisories').ifExists().execute();
    },
  };
}
