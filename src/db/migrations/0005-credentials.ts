import type { Kysely, Migration } from 'kysely';

/**
 * Stored ("friendly-name") credentials of the Security Controls API. The password is kept only
 * encrypted (`SecretCipher`, AES-256-GCM with the credential id as associated data); a user's
 * credential names are unique per owner.
 */
export function credentialsMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('credentials').ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('encrypted_password', 'text', (c) => c.notNull())
        .addColumn('owner_user_id', 'integer', (c) => c.notNull())
        .addColumn('owner_name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('credentials_owner_name_unique', ['owner_user_id', 'name'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('credentials').ifExists().execute();
    },
  };
}
