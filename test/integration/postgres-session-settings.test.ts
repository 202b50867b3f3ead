/**
 * A PostgreSQL store starts each session with the console's own settings (database.ts,
 * POSTGRES_SESSION_OPTIONS: JIT compilation off), ahead of the `options` its URL gives, which
 * still apply and win where they set the same thing. (SQLite has no sessions: the test runs in
 * the PostgreSQL pass.)
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/database.js';
import { createPostgresDatabase, testPostgresAdminUrl, testStore } from '../support/test-database.js';

/**
 * The settings of `count` sessions at once (each statement holds its own connection) of a store
 * opened on `url`, closed again.
 */
async function sessionSettings(url: string, count: number): Promise<Array<{ jit: string; statement_timeout: string; pid: number }>> {
  const db = openDatabase({ dataDir: tmpdir(), databaseUrl: url });
  try {
    return await Promise.all(Array.from({ length: count }, async () => {
      const { rows } = await sql<{ jit: string; statement_timeout: string; pid: number }>`
        select current_setting('jit') as jit, current_setting('statement_timeout') as statement_timeout,
          pg_backend_pid() as pid, pg_sleep(0.05)::text as slept`.execute(db.kysely);
      return rows[0];
    }));
  } finally {
    await db.close();
  }
}

function withOptions(url: string, options: string): string {
  const withThem = new URL(url);
  withThem.searchParams.set('options', options);
  return withThem.toString();
}

if (testStore() === 'postgres') {
  test('PostgreSQL: every session of a store runs without JIT compilation; the URL\'s options still apply, and win (postgres)', { timeout: 60_000 }, async (t) => {
    const database = await createPostgresDatabase(testPostgresAdminUrl());
    t.after(() => database.drop());

    const plain = await sessionSettings(database.url, 3);
    assert.equal(new Set(plain.map((session) => session.pid)).size, 3, 'three sessions of the pool were asked');
    assert.deepEqual(plain.map((session) => session.jit), ['off', 'off', 'off']);

    const [timed] = await sessionSettings(withOptions(database.url, '-c statement_timeout=4321'), 1);
    assert.equal(timed.jit, 'off', 'the console\'s setting is kept beside the URL\'s options');
    assert.equal(timed.statement_timeout, '4321ms', 'the URL\'s options apply');

    const [withJit] = await sessionSettings(withOptions(database.url, '-c jit=on'), 1);
    assert.equal(withJit.jit, 'on', 'an option of the URL comes after the console\'s, and wins');
  });

  test('PostgreSQL: a URL that cannot be parsed is refused at once, with its password hidden (postgres)', () => {
    assert.throws(() => openDatabase({ dataDir: tmpdir(), databaseUrl: 'postgres://admin:hunter2@db.example:notaport/patchwarden' }),
      (error: Error) => {
        assert.match(error.message, /^DATABASE_URL is not a valid PostgreSQL URL/);
        assert.doesNotMatch(error.message, /hunter2/);
        return true;
      });
  });
}
