/**
 * Which store the suite runs against. `test/run-suite.ts` runs every test file once with
 * PATCHWARDEN_TEST_STORE=sqlite and once with PATCHWARDEN_TEST_STORE=postgres (with
 * PATCHWARDEN_TEST_PG_URL naming a server where the test user may create databases).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export type TestStore = 'sqlite' | 'postgres';

export function testStore(): TestStore {
  return process.env.PATCHWARDEN_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';
}

/**
 * A fresh, empty database for one test: undefined for SQLite (the console makes its file in the
 * data directory), or the URL of a new PostgreSQL database that `drop()` removes again.
 */
export async function freshDatabaseUrl(): Promise<{ url?: string; drop(): Promise<void> }> {
  if (testStore() !== 'postgres') return { url: undefined, drop: async () => undefined };
  const adminUrl = process.env.PATCHWARDEN_TEST_PG_URL;
  if (!adminUrl) throw new Error('PATCHWARDEN_TEST_STORE=postgres needs PATCHWARDEN_TEST_PG_URL');
  const name = `pw_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
