/**
 * Closing a PostgreSQL store returns once its connections have ended (database.ts): a caller that
 * drops or restarts the database right after must find none of the store's sessions. pg-pool's
 * own `end()` resolves before they close, which left sessions listed after most closes.
 * (SQLite has no connections to wait for: the test runs in the PostgreSQL pass.)
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.js';
import { createPostgresDatabase, testPostgresAdminUrl, testStore } from '../support/test-database.js';

if (testStore() === 'postgres') {
  test('PostgreSQL: closing a store returns once its connections have ended (postgres)', { timeout: 60_000 }, async (t) => {
    const database = await createPostgresDatabase(testPostgresAdminUrl());
    t.after(() => database.drop());
    const admin = new pg.Client({ connectionString: testPostgresAdminUrl() });
    await admin.connect();
    t.after(() => admin.end());
    const name = decodeURIComponent(new URL(database.url).pathname.slice(1));
    const sessions = async (): Promise<number> => (await admin.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where datname = $1 and backend_type = 'client backend'", [name])).rows[0].n;

    for (let round = 1; round <= 10; round++) {
      const db = openDatabase({ dataDir: tmpdir(), databaseUrl: database.url });
      // Four statements at once take four connections of the pool.
      await Promise.all(Array.from({ length: 4 }, () => sql`select pg_sleep(0.01)`.execute(db.kysely)));
      assert.equal(await sessions(), 4, `round ${round}: the store's connections are open`);
      await db.close();
      assert.equal(await sessions(), 0, `round ${round}: no session is left once close() has returned`);
    }
  });
}
