/**
 * Kept compiled statements (src/db/compiled-statement-cache.ts): compiled once per key, slots
 * filled with each execution's values, the least recently used dropped beyond the capacity,
 * statements that may age compiled again once too old, and no keeping without a usable key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, sql, type CompiledQuery } from 'kysely';
import { CompiledStatementCache, MAX_COMPILED_STATEMENT_KEY_LENGTH, StatementSlot } from '../../src/db/compiled-statement-cache.js';

interface Tables { items: { id: number; name: string } }

const db = new Kysely<Tables>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (kysely) => new SqliteIntrospector(kysely),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
});

const AFTER = new StatementSlot<number>('after');
const NAME = new StatementSlot<string>('name');

/** A compile function that counts its calls; the statement has `after` and `name` slots around a fixed value. */
function counting(): { compile: () => CompiledQuery<{ id: number }>; calls: () => number } {
  let calls = 0;
  return {
    compile: () => {
      calls++;
      return db.selectFrom('items').select('id').where('id', '>', AFTER.value()).where('name', '=', NAME.value())
        .where(sql<boolean>`length(name) < ${7}`).compile();
    },
    calls: () => calls,
  };
}

test('a statement is compiled once per key, and each execution gets its own slot values', () => {
  const cache = new CompiledStatementCache();
  const { compile, calls } = counting();
  const first = cache.statement('k', compile, [[AFTER, 10], [NAME, 'web']]);
  const second = cache.statement('k', compile, [[NAME, 'db'], [AFTER, 20]]);
  assert.equal(calls(), 1);
  assert.equal(second.sql, first.sql);
  assert.deepEqual(first.parameters, [10, 'web', 7]);
  assert.deepEqual(second.parameters, [20, 'db', 7]);
  // The kept statement's own parameters still hold the slots, not the last execution's values.
  assert.deepEqual(cache.statement('k', compile, [[AFTER, 30], [NAME, 'x']]).parameters, [30, 'x', 7]);
  cache.statement('other', compile, [[AFTER, 1], [NAME, 'y']]);
  assert.equal(calls(), 2);
  assert.equal(cache.size, 2);
});

test('a slot without a value is an error, not a statement run with the slot object', () => {
  const cache = new CompiledStatementCache();
  const { compile } = counting();
  assert.throws(() => cache.statement('k', compile, [[AFTER, 1]]), /slot name was given no value/);
  assert.throws(() => cache.statement(undefined, compile, []), /slot after was given no value/);
});

test('beyond the capacity the least recently used statement is dropped', () => {
  const cache = new CompiledStatementCache(2);
  const { compile, calls } = counting();
  const values = [[AFTER, 0], [NAME, 'n']] as const;
  cache.statement('a', compile, values);
  cache.statement('b', compile, values);
  cache.statement('a', compile, values); // a is now the most recently used
  cache.statement('c', compile, values); // drops b
  assert.equal(calls(), 3);
  cache.statement('a', compile, values);
  cache.statement('c', compile, values);
  assert.equal(calls(), 3);
  cache.statement('b', compile, values);
  assert.equal(calls(), 4);
  assert.equal(cache.size, 2);
});

test('without a key, or with one too long, a statement is compiled every time and not kept', () => {
  const cache = new CompiledStatementCache();
  const { compile, calls } = counting();
  const values = [[AFTER, 0], [NAME, 'n']] as const;
  const long = 'q'.repeat(MAX_COMPILED_STATEMENT_KEY_LENGTH + 1);
  for (let i = 0; i < 3; i++) {
    cache.statement(undefined, compile, values);
    cache.statement(long, compile, values);
  }
  assert.equal(calls(), 6);
  assert.equal(cache.size, 0);
  cache.statement(long.slice(1), compile, values);
  cache.statement(long.slice(1), compile, values);
  assert.equal(calls(), 7);
});

test('a statement that may age is compiled again once older than its maximum age, or when the clock went back', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const cache = new CompiledStatementCache();
  const { compile, calls } = counting();
  const values = [[AFTER, 0], [NAME, 'n']] as const;
  cache.statement('k', compile, values, { maxAgeMs: 1000 });
  t.mock.timers.tick(1000);
  cache.statement('k', compile, values, { maxAgeMs: 1000 });
  assert.equal(calls(), 1);
  t.mock.timers.tick(1);
  cache.statement('k', compile, values, { maxAgeMs: 1000 });
  assert.equal(calls(), 2);
  // Recompiled at 1,001,001; kept while young, without a maximum age kept whatever its age.
  t.mock.timers.tick(500);
  cache.statement('k', compile, values, { maxAgeMs: 1000 });
  t.mock.timers.tick(5000);
  cache.statement('k', compile, values);
  assert.equal(calls(), 2);
  t.mock.timers.setTime(999_000);
  cache.statement('k', compile, values, { maxAgeMs: 1000 });
  assert.equal(calls(), 3);
  assert.equal(cache.size, 1);
});
