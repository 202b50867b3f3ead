/**
 * Which store the suite runs against. `test/run-suite.ts` runs every test file once with
 * PATCHWARDEN_TEST_STORE=sqlite and once with PATCHWARDEN_TEST_STORE=postgres (with
 * PATCHWARDEN_TEST_PG_URL naming a server where the test user may create databases).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { openDatabase, type PatchwardenDb } from '../../src/db/database.js';

export type TestStore = 'sqlite' | 'postgres';

export function testStore(): TestStore {
  return process.env.PATCHWARDEN_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';
}

/** The PostgreSQL server tests and benchmarks use (a role that may create databases). */
export function testPostgresAdminUrl(): string {
  return process.env.PATCHWARDEN_TEST_PG_URL || 'postgres://patchwarden:patchwarden@127.0.0.1:5432/postgres';
}

/** Creates an empty PostgreSQL database with a random name; `drop()` removes it again. */
export async function createPostgresDatabase(adminUrl: string, prefix = 'pw_test'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
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
        // A pool's end() resolves before its connections have closed (pg-pool ends them without
        // waiting; a store's close() waits for them, a test's own pools may not). Dropping WITH
        // (FORCE) then would end such a session from the server side, and its client would raise
        // that as an error nobody listens to any more (an uncaught "terminating connection due
        // to administrator command" in a test that had passed). So wait a little for the
        // database's own sessions to go; FORCE ends any left over.
        for (let waited = 0; waited < 5_000; waited += 20) {
          const { rows } = await client.query<{ n: number }>(
            "select count(*)::int as n from pg_stat_activity where datname = $1 and backend_type = 'client backend'", [name]);
          if (rows[0].n === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        // FORCE ends the test's own sessions, but not an autovacuum worker that happens to be in
        // the database (it runs as the superuser, which this role may not signal: 42501, or
        // 55006 "being accessed by other users"). Such a worker finishes within moments: retry.
        for (let attempt = 1; ; attempt++) {
          try {
            await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            break;
          } catch (error) {
            const code = (error as { code?: string }).code;
            if (attempt >= 50 || (code !== '42501' && code !== '55006')) throw error;
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        }
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * A fresh, empty database for one test: undefined for SQLite (the console makes its file in the
 * data directory), or the URL of a new PostgreSQL database that `drop()` removes again.
 */
export async function freshDatabaseUrl(): Promise<{ url?: string; drop(): Promise<void> }> {
  if (testStore() !== 'postgres') return { url: undefined, drop: async () => undefined };
  if (!process.env.PATCHWARDEN_TEST_PG_URL) throw new Error('PATCHWARDEN_TEST_STORE=postgres needs PATCHWARDEN_TEST_PG_URL');
  return createPostgresDatabase(testPostgresAdminUrl());
}

/**
 * Opens a store of the current test pass (a temporary data directory, a fresh database) that is
 * closed and removed when the test ends.
 */
export async function openTestStore(t: TestContext, prefix: string): Promise<{ db: PatchwardenDb; dataDir: string; databaseUrl?: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), `patchwarden-${prefix}-`));
  const database = await freshDatabaseUrl();
  const db = openDatabase({ dataDir, databaseUrl: database.url });
  t.after(async () => {
    await db.close();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { db, dataDir, databaseUrl: database.url };
}
