import type { Kysely, Migration } from 'kysely';
import type { SqlDialectName } from '../database.js';

/**
 * The console's known-hosts store: every SSH host key a scan was presented, per endpoint
 * (`host:port`), with its OpenSSH SHA256 fingerprint, when it was first and last seen, and whether
 * it is trusted. Scans in `Blocked` mode connect only to endpoints whose key is trusted.
 */
export function sshHostKeysMigration(dialect: SqlDialectName): Migration {
  const serialType = dialect === 'postgres' ? 'serial' : 'integer';
  const serial = (builder: any) => (dialect === 'postgres' ? builder.primaryKey() : builder.primaryKey().autoIncrement());
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('ssh_host_keys').ifNotExists()
        .addColumn('id', serialType, serial)
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('key_type', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('trusted', 'integer', (c) => c.notNull())
        .addColumn('first_seen', 'text', (c) => c.notNull())
        .addColumn('last_seen', 'text', (c) => c.notNull())
        .addColumn('trusted_at', 'text')
        .addColumn('trusted_by', 'text')
        .addUniqueConstraint('ssh_host_keys_endpoint_fingerprint', ['endpoint', 'fingerprint'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('ssh_host_keys').ifExists().execute();
    },
  };
}
