import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { freshDatabaseUrl, testStore } from '../support/test-database.js';

test(`migrations apply once and are idempotent on ${testStore()}`, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'patchwarden-migrate-'));
  const database = await freshDatabaseUrl();
  t.after(async () => {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });
  const db = openDatabase({ dataDir, databaseUrl: database.url });
  try {
    assert.equal(db.dialect, testStore());
    const first = await migrateToLatest(db);
    assert.deepEqual(first, ['0001-foundation', '0002-patch-status', '0003-deployment-jobs', '0004-pm-query-indexes', '0005-credentials',
      '0006-advisories', '0007-machine-groups', '0008-ssh-host-keys', '0009-pm-patch-counts', '0010-patch-listing-documents',
      '0011-pm-severity-index', '0012-sqlite-severity-index', '0013-counted-patch-filters', '0014-machine-patch-counts',
      '0015-patch-pairs-index', '0016-folded-text-statistics']);
    await db.kysely.insertInto('settings').values({ key: 'probe', value: 'kept' }).execute();
    // A second start, and two concurrent ones, apply nothing and lose nothing.
    assert.deepEqual(await migrateToLatest(db), []);
    const again = openDatabase({ dataDir, databaseUrl: database.url });
    try {
      const results = await Promise.all([migrateToLatest(db), migrateToLatest(again)]);
      assert.deepEqual(results, [[], []]);
    } finally {
      await again.close();
    }
    const row = await db.kysely.selectFrom('settings').select('value').where('key', '=', 'probe').executeTakeFirst();
    assert.equal(row?.value, 'kept');
    if (db.dialect === 'postgres') {
      // 0011 replaced 0009's severity index by its covering form.
      const { rows } = await sql<{ indexname: string; indexdef: string }>`select indexname, indexdef from pg_indexes where tablename = 'patches' and indexname like '%severity%'`.execute(db.kysely);
      assert.deepEqual(rows.map((index) => index.indexname), ['patches_pm_severity_listing']);
      assert.match(rows[0].indexdef, /\(lower\(\(vendor_severity COLLATE "C"\)\), id\) INCLUDE \(platform, vendor_severity\)/);
    } else {
      // 0012: SQLite's own, on the compiler's folded expression.
      const { rows } = await sql<{ sql: string }>`select sql from sqlite_master where type = 'index' and tbl_name = 'patches' and name like '%severity%'`.execute(db.kysely);
      assert.equal(rows.length, 1);
      assert.match(rows[0].sql.replace(/\s+/g, ' '), /^CREATE INDEX patches_pm_severity_listing on patches \(lower\(vendor_severity\), id, platform, vendor_severity, /);
    }
    for (const table of ['users', 'apt_releases', 'apt_indexes', 'apt_packages', 'machines', 'scans', 'scan_machines', 'scan_machine_patches', 'operations', 'scan_templates']) {
      const count = await db.kysely.selectFrom(table as 'users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 0, `${table} starts empty`);
    }
  } finally {
    await db.close();
  }
});

test('a DATABASE_URL that is neither PostgreSQL nor SQLite is refused with a clear message', () => {
  assert.throws(() => openDatabase({ dataDir: '/nonexistent', databaseUrl: 'mysql://root:hunter2@db/x' }),
    (error: Error) => /postgres:\/\//.test(error.message) && !error.message.includes('hunter2'));
});
