/**
 * Statements kept prepared by their SQL text. SQLite: the same text gives back the very same
 * better-sqlite3 statement (least recently used ones are dropped beyond the capacity), never one
 * that is still being iterated. PostgreSQL: statements with parameters, and single queries without
 * them, run as named statements on a connection once their text has been seen often enough, up to a bound per connection, and a
 * plan made stale by a schema change is recovered by running the text unnamed. Both checked
 * directly and through `openDatabase` and Kysely, against a real SQLite and a real PostgreSQL.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { sql } from 'kysely';
import type { PostgresPoolClient, SqliteStatement } from 'kysely';
import { namingPostgresStatements, reusingSqliteStatements } from '../../src/db/prepared-statements.js';
import { createPostgresDatabase, openTestStore, testPostgresAdminUrl, testStore, type TestStore } from '../support/test-database.js';

/** Registers the test only in the suite's pass on `store` (each pass runs the suite on one store). */
function storeTest(store: TestStore, name: string, fn: (t: TestContext) => void | Promise<void>): void {
  if (testStore() === store) test(name, fn);
}

/** An in-memory SQLite database with `numbers(value)` holding 1..count. */
function sqliteNumbers(t: TestContext, count: number): SQLite.Database {
  const database = new SQLite(':memory:');
  t.after(() => {
    if (database.open) database.close();
  });
  database.exec('create table numbers (value integer primary key, label text not null)');
  const insert = database.prepare('insert into numbers (value, label) values (?, ?)');
  for (let value = 1; value <= count; value++) insert.run(value, `n${value}`);
  return database;
}

/** The better-sqlite3 statement behind Kysely's view of it. */
const raw = (statement: SqliteStatement) => statement as unknown as SQLite.Statement;

storeTest('sqlite', 'SQLite: the same SQL text gives back the same prepared statement, with right rows for any parameters', (t) => {
  const database = sqliteNumbers(t, 10);
  const statements = reusingSqliteStatements(database, 10);
  const text = 'select value, label from numbers where value between ? and ? order by value';

  const first = statements.prepare(text);
  assert.equal(first.reader, true);
  assert.deepEqual(first.all([2, 4]), [{ value: 2, label: 'n2' }, { value: 3, label: 'n3' }, { value: 4, label: 'n4' }]);
  const second = statements.prepare(text);
  assert.equal(second, first, 'the second prepare of the same text must reuse the statement');
  assert.deepEqual(second.all([9, 20]), [{ value: 9, label: 'n9' }, { value: 10, label: 'n10' }]);
  assert.deepEqual(statements.prepare(text).all([5, 5]), [{ value: 5, label: 'n5' }]);
  assert.deepEqual(statements.prepare(text).all([11, 20]), []);

  const other = statements.prepare('select count(*) as n from numbers where value > ?');
  assert.notEqual(other, first, 'a different text is a different statement');

  // A writing statement reused: every run takes its own parameters.
  const insert = statements.prepare('insert into numbers (value, label) values (?, ?)');
  assert.equal(insert.reader, false);
  for (let value = 11; value <= 15; value++) {
    const again = statements.prepare('insert into numbers (value, label) values (?, ?)');
    assert.equal(again, insert);
    assert.equal(Number(again.run([value, `n${value}`]).changes), 1);
  }
  assert.deepEqual(statements.prepare('select count(*) as n from numbers where value > ?').all([10]), [{ n: 5 }]);
  assert.deepEqual(statements.prepare(text).all([14, 99]), [{ value: 14, label: 'n14' }, { value: 15, label: 'n15' }]);

  statements.close();
  assert.equal(database.open, false, 'close() closes the database');
});

storeTest('sqlite', 'SQLite: beyond the capacity the least recently used statement is prepared anew', (t) => {
  const database = sqliteNumbers(t, 3);
  const statements = reusingSqliteStatements(database, 2);
  const a = 'select label from numbers where value = ?';
  const b = 'select value from numbers where label = ?';
  const c = 'select count(*) as n from numbers where value < ?';

  const a1 = statements.prepare(a);
  const b1 = statements.prepare(b);
  const c1 = statements.prepare(c); // a is the least recently used: dropped
  assert.equal(statements.prepare(c), c1);
  const a2 = statements.prepare(a); // prepared anew; b is dropped now
  assert.notEqual(a2, a1, 'a was dropped when c came, so it must be prepared anew');
  assert.deepEqual(a2.all([2]), [{ label: 'n2' }]);
  assert.notEqual(statements.prepare(b), b1, 'b was dropped when a came back');

  // Using a statement makes it the most recently used: with a, then c used again, b goes when a new text comes.
  const fresh = reusingSqliteStatements(database, 2);
  const fa = fresh.prepare(a);
  const fb = fresh.prepare(b);
  assert.equal(fresh.prepare(a), fa); // a is now more recent than b
  fresh.prepare(c); // drops b, keeps a
  assert.equal(fresh.prepare(a), fa, 'a was used after b, so b must be the one dropped');
  assert.notEqual(fresh.prepare(b), fb);
  assert.deepEqual(fresh.prepare(c).all([3]), [{ n: 2 }]);
});

storeTest('sqlite', 'SQLite: a statement being iterated is not handed out again until it is done', (t) => {
  const database = sqliteNumbers(t, 6);
  const statements = reusingSqliteStatements(database, 10);
  const text = 'select value from numbers where value <= ? order by value';

  const outer = statements.prepare(text);
  const iterator = outer.iterate([3]);
  assert.deepEqual(iterator.next().value, { value: 1 });
  assert.equal(raw(outer).busy, true, 'mid-way through an iteration the statement is busy');

  const inner = statements.prepare(text);
  assert.notEqual(inner, outer, 'a busy statement must not be handed out again');
  assert.deepEqual(inner.all([6]).map((row) => (row as { value: number }).value), [1, 2, 3, 4, 5, 6]);
  const innerAgain = statements.prepare(text);
  assert.notEqual(innerAgain, outer);
  assert.deepEqual(innerAgain.all([2]), [{ value: 1 }, { value: 2 }]);

  // The outer iteration goes on with its own parameter, undisturbed.
  assert.deepEqual([...iterator], [{ value: 2 }, { value: 3 }]);
  assert.equal(raw(outer).busy, false);
  assert.equal(statements.prepare(text), outer, 'once the iteration is done the kept statement is reused again');
  assert.deepEqual(statements.prepare(text).all([1]), [{ value: 1 }]);
});

storeTest('sqlite', 'SQLite through openDatabase and Kysely: repeated queries are right, and a new column shows in select *', async (t) => {
  const { db } = await openTestStore(t, 'prepared-statements');
  assert.equal(db.dialect, 'sqlite');
  await sql`create table probe (id integer primary key, label text not null)`.execute(db.kysely);
  for (let id = 1; id <= 20; id++) await sql`insert into probe (id, label) values (${id}, ${`label-${id}`})`.execute(db.kysely);

  for (let round = 0; round < 3; round++) {
    for (let id = 1; id <= 21; id++) {
      const { rows } = await sql<{ id: number; label: string }>`select * from probe where id = ${id}`.execute(db.kysely);
      assert.deepEqual(rows, id <= 20 ? [{ id, label: `label-${id}` }] : []);
    }
  }
  const probe = db.kysely.withTables<{ probe: { id: number; label: string } }>();
  for (let limit = 1; limit <= 5; limit++) {
    const rows = await probe.selectFrom('probe').select('id').where('id', '<=', limit).orderBy('id').execute();
    assert.deepEqual(rows.map((row) => row.id), Array.from({ length: limit }, (_, i) => i + 1));
  }

  await sql`alter table probe add column extra text not null default 'added'`.execute(db.kysely);
  await sql`update probe set extra = ${'changed'} where id = ${2}`.execute(db.kysely);
  for (const id of [1, 2, 1]) {
    const { rows } = await sql`select * from probe where id = ${id}`.execute(db.kysely);
    assert.deepEqual(rows, [{ id, label: `label-${id}`, extra: id === 2 ? 'changed' : 'added' }]);
  }
});

/**
 * A one-connection pool on a fresh PostgreSQL database (so every query shares one connection) and
 * a `connect` through the naming wrapper; clients still held are released, then the pool ended and
 * the database dropped, when the test ends.
 */
async function postgresPool(t: TestContext, options?: { perConnection?: number; prepareAfter?: number }) {
  const database = await createPostgresDatabase(testPostgresAdminUrl(), 'pw_prepared');
  const pool = new pg.Pool({ connectionString: database.url, max: 1 });
  const naming = namingPostgresStatements(pool, options);
  const held = new Set<PostgresPoolClient>();
  t.after(async () => {
    for (const client of held) client.release();
    await pool.end();
    await database.drop();
  });
  return {
    url: database.url,
    async connect(): Promise<PostgresPoolClient> {
      const client = await naming.connect();
      held.add(client);
      return {
        query: client.query.bind(client),
        release: () => {
          held.delete(client);
          client.release();
        },
      };
    },
  };
}

/** The named statements on the client's connection, with the text each was prepared from. */
async function preparedOn(client: PostgresPoolClient): Promise<Array<{ name: string; statement: string }>> {
  // (This query is named too from its second use: it is left out of what it reports.)
  const { rows } = await client.query<{ name: string; statement: string }>(
    "select name, statement from pg_prepared_statements where statement not like '%pg_prepared_statements%' order by statement", []);
  return rows;
}

async function preparedTexts(client: PostgresPoolClient): Promise<string[]> {
  return (await preparedOn(client)).map((row) => row.statement);
}

async function createLabels(client: PostgresPoolClient): Promise<void> {
  await client.query('create table labels (id integer primary key, label text not null)', []);
  await client.query("insert into labels values (1, 'one'), (2, 'two'), (3, 'three')", []);
}

storeTest('postgres', 'PostgreSQL: a statement runs unnamed when first seen and as a named statement from its second use', async (t) => {
  const naming = await postgresPool(t);
  const client = await naming.connect();
  await createLabels(client);
  const text = 'select label from labels where id = $1';

  assert.deepEqual((await client.query(text, [1])).rows, [{ label: 'one' }]);
  assert.deepEqual(await preparedOn(client), [], 'a text seen once is not prepared');
  assert.deepEqual((await client.query(text, [2])).rows, [{ label: 'two' }]);
  const named = await preparedOn(client);
  assert.deepEqual(named.map((row) => row.statement), [text], 'a text seen twice is prepared by name');
  assert.match(named[0].name, /^pw_/);
  assert.deepEqual((await client.query(text, [3])).rows, [{ label: 'three' }]);
  assert.deepEqual((await client.query(text, [4])).rows, []);
  assert.deepEqual(await preparedOn(client), named, 'later uses reuse the one named statement');

  // The same connection handed out again by the pool keeps its named statement.
  client.release();
  const again = await naming.connect();
  assert.deepEqual((await again.query(text, [1])).rows, [{ label: 'one' }]);
  assert.deepEqual(await preparedOn(again), named);
  again.release();
});

storeTest('postgres', 'PostgreSQL: one query without parameters is named; several commands in one text, and commands that are not queries, never are', async (t) => {
  const client = await (await postgresPool(t)).connect();
  await createLabels(client);
  const count = "with kept as (select id from labels where label <> 'none') select count(*)::int as n from kept";

  for (let run = 0; run < 4; run++) {
    assert.deepEqual((await client.query(count, [])).rows, [{ n: 3 }]);
    // Several commands in one text work only unnamed (simple protocol): it must keep working.
    await client.query(`update labels set label = 'x${run}' where id = 3; update labels set label = 'y${run}' where id = 2`, []);
    // A command a named statement may not run (VACUUM, outside any transaction) keeps working too.
    await client.query('vacuum labels', []);
    await client.query("set application_name = 'labels'", []);
  }
  assert.deepEqual((await client.query('select label from labels where id = $1', [3])).rows, [{ label: 'x3' }]);
  assert.deepEqual(await preparedTexts(client), [count], 'only the single query was named');
});

storeTest('postgres', 'PostgreSQL: a connection names at most perConnection statements; the others still run right', async (t) => {
  const client = await (await postgresPool(t, { perConnection: 2 })).connect();
  await createLabels(client);
  const texts = [
    'select label from labels where id = $1',
    'select id from labels where label = $1',
    'select count(*)::int as n from labels where id > $1',
  ];
  const expected = [
    (run: number) => [{ label: ['one', 'two', 'three'][run] }],
    (run: number) => [{ id: run + 1 }],
    (run: number) => [{ n: 2 - run }],
  ];
  const parameter = [(run: number) => run + 1, (run: number) => ['one', 'two', 'three'][run], (run: number) => run + 1];
  for (const [index, text] of texts.entries()) {
    for (let run = 0; run < 3; run++) {
      assert.deepEqual((await client.query(text, [parameter[index](run)])).rows, expected[index](run), `${text}, run ${run}`);
    }
  }
  assert.deepEqual(await preparedTexts(client), [texts[0], texts[1]].sort());
  // Earlier named statements keep being used; the third keeps running unnamed.
  assert.deepEqual((await client.query(texts[2], [0])).rows, [{ n: 3 }]);
  assert.deepEqual((await client.query(texts[0], [2])).rows, [{ label: 'two' }]);
  assert.equal((await preparedOn(client)).length, 2);
});

storeTest('postgres', 'PostgreSQL: prepareAfter sets how many sightings come before a statement is named', async (t) => {
  const client = await (await postgresPool(t, { prepareAfter: 3 })).connect();
  await createLabels(client);
  const text = 'select label from labels where id = $1';
  for (const id of [1, 2]) assert.deepEqual((await client.query(text, [id])).rows.length, 1);
  assert.deepEqual(await preparedTexts(client), []);
  assert.deepEqual((await client.query(text, [3])).rows, [{ label: 'three' }]);
  assert.deepEqual(await preparedTexts(client), [text]);

  const eagerClient = await (await postgresPool(t, { prepareAfter: 1 })).connect();
  await createLabels(eagerClient);
  assert.deepEqual((await eagerClient.query(text, [1])).rows, [{ label: 'one' }]);
  // (createLabels' insert, a query without parameters, was named at its first sight too.)
  assert.deepEqual((await preparedTexts(eagerClient)).filter((prepared) => !prepared.startsWith('insert')), [text]);
});

storeTest('postgres', 'PostgreSQL: a named select * whose columns changed is run unnamed instead of failing', async (t) => {
  const store = await postgresPool(t);
  const client = await store.connect();
  await createLabels(client);
  const text = 'select * from labels where id = $1';

  // The server really refuses such a statement: the error the recovery looks for.
  const plain = new pg.Client({ connectionString: store.url });
  await plain.connect();
  assert.deepEqual((await plain.query({ name: 'probe_select', text, values: [1] })).rows, [{ id: 1, label: 'one' }]);

  for (const id of [1, 2, 3]) assert.deepEqual((await client.query(text, [id])).rows.length, 1);
  assert.deepEqual(await preparedTexts(client), [text]);

  await client.query("alter table labels add column note text not null default 'none'", []);
  await assert.rejects(plain.query({ name: 'probe_select', text, values: [1] }), (error: { code?: string; routine?: string }) => {
    assert.equal(error.code, '0A000');
    assert.equal(error.routine, 'RevalidateCachedQuery');
    return true;
  });
  await plain.end();

  assert.deepEqual((await client.query(text, [1])).rows, [{ id: 1, label: 'one', note: 'none' }]);
  await client.query("update labels set note = 'noted' where id = 2", []);
  for (const id of [2, 3, 2]) {
    assert.deepEqual((await client.query(text, [id])).rows, [{ id, label: ['one', 'two', 'three'][id - 1], note: id === 2 ? 'noted' : 'none' }]);
  }
  // Another schema change: the text now runs unnamed, so it follows without any error.
  await client.query('alter table labels drop column note', []);
  assert.deepEqual((await client.query(text, [3])).rows, [{ id: 3, label: 'three' }]);
});

storeTest('postgres', 'PostgreSQL: a stale named statement inside a transaction fails with its own error, and runs after the rollback', async (t) => {
  const store = await postgresPool(t);
  const client = await store.connect();
  await createLabels(client);
  const text = 'select * from labels where id = $1';
  for (const id of [1, 2]) assert.equal((await client.query(text, [id])).rows.length, 1);
  assert.deepEqual(await preparedTexts(client), [text]);
  await client.query("alter table labels add column note text not null default 'none'", []);
  await client.query('begin', []);
  // The transaction is aborted by the refusal: a retry there would only say "current transaction is aborted" (25P02).
  await assert.rejects(client.query(text, [1]), (error: { code?: string }) => {
    assert.equal(error.code, '0A000');
    return true;
  });
  await client.query('rollback', []);
  assert.deepEqual((await client.query(text, [1])).rows, [{ id: 1, label: 'one', note: 'none' }]);
});

storeTest('postgres', 'PostgreSQL through openDatabase and Kysely: repeated parameterised queries are right and get named', async (t) => {
  const { db } = await openTestStore(t, 'prepared-statements');
  assert.equal(db.dialect, 'postgres');
  await sql`create table probe (id integer primary key, label text not null)`.execute(db.kysely);
  for (let id = 1; id <= 20; id++) await sql`insert into probe (id, label) values (${id}, ${`label-${id}`})`.execute(db.kysely);

  const byId = (id: number) => sql<{ id: number; label: string }>`select * from probe where id = ${id}`;
  for (let round = 0; round < 3; round++) {
    for (let id = 1; id <= 21; id++) {
      const { rows } = await byId(id).execute(db.kysely);
      assert.deepEqual(rows, id <= 20 ? [{ id, label: `label-${id}` }] : []);
    }
  }
  const probe = db.kysely.withTables<{ probe: { id: number; label: string } }>();
  const upTo = (limit: number) => probe.selectFrom('probe').select('id').where('id', '<=', limit).orderBy('id');
  for (let limit = 1; limit <= 5; limit++) {
    assert.deepEqual((await upTo(limit).execute()).map((row) => row.id), Array.from({ length: limit }, (_, i) => i + 1));
  }

  // One query at a time: the pool hands out the same connection, whose named statements are these.
  const { rows: prepared } = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db.kysely);
  const texts = prepared.map((row) => row.statement);
  assert.ok(texts.includes(byId(1).compile(db.kysely).sql), `select by id not named: ${texts.join(' | ')}`);
  assert.ok(texts.includes(upTo(1).compile().sql), `builder query not named: ${texts.join(' | ')}`);

  await sql`alter table probe add column extra text not null default 'added'`.execute(db.kysely);
  for (const id of [1, 2, 1]) {
    const { rows } = await byId(id).execute(db.kysely);
    assert.deepEqual(rows, [{ id, label: `label-${id}`, extra: 'added' }]);
  }
});
