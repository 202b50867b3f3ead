/**
 * The SQL the compiler produces, without a database: values only ever travel as parameters,
 * identifiers come from the token table, and each dialect gets its own case folding. (Whether
 * the SQL selects the right rows is the differential integration test's job.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler,
  SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler,
} from 'kysely';
import type { SqlDialectName } from '../../src/db/database.js';
import { compileQqlToWhere, escapeQqlLikePattern, parseQql, QqlValidationError } from '../../src/qql/index.js';
import { exampleItemTokens } from '../support/qql-example-table.js';

function compilerOnly(dialect: SqlDialectName): Kysely<any> {
  return new Kysely<any>({
    dialect: dialect === 'postgres'
      ? { createAdapter: () => new PostgresAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (db) => new PostgresIntrospector(db), createQueryCompiler: () => new PostgresQueryCompiler() }
      : { createAdapter: () => new SqliteAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (db) => new SqliteIntrospector(db), createQueryCompiler: () => new SqliteQueryCompiler() },
  });
}

function compile(dialect: SqlDialectName, query: string, alias?: string): { sql: string; parameters: readonly unknown[] } {
  const where = compileQqlToWhere(parseQql(query), exampleItemTokens, { dialect, alias, now: 0 });
  const from = alias ? `qql_items as ${alias}` : 'qql_items';
  return compilerOnly(dialect).selectFrom(from).select('id').where(where).compile();
}

const HOSTILE = [
  "'; DROP TABLE qql_items; --",
  '" OR 1=1 --',
  '\\\'); select pg_sleep(10); --',
  'x) OR (1=1',
  '$1',
  '?',
];

test('values from the query reach SQL only as bound parameters', () => {
  const queries = (value: string) => {
    const inBackticks = value.replace(/[\\`]/g, (ch) => `\\${ch}`);
    const inQuotes = value.replace(/[\\"]/g, (ch) => `\\${ch}`);
    return [`name:\`${inBackticks}\``, `title:"${inQuotes}"`, `tags.name:[\`${inBackticks}\`, x]`];
  };
  for (const dialect of ['sqlite', 'postgres'] as const) {
    const benign = queries('zzz').map((query) => compile(dialect, query).sql);
    for (const hostile of HOSTILE) {
      queries(hostile).forEach((query, i) => {
        const { sql, parameters } = compile(dialect, query);
        // The SQL text does not depend on the value at all...
        assert.equal(sql, benign[i], `${dialect}: ${query}`);
        // ...which travels, folded (and LIKE-escaped for contains), as a parameter.
        const folded = hostile.toLowerCase();
        assert.ok(parameters.some((p) => p === folded || p === `%${escapeQqlLikePattern(folded)}%`), `${dialect}: ${JSON.stringify(parameters)}`);
      });
    }
  }
});

test("an enum's values are the token table's own, written as literals; the query's spelling never reaches SQL", () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    // An alias and odd letter case pick the canonical value; the SQL is the same for every spelling.
    const spellings = ['vendorSeverity:Critical', 'vendorSeverity:`cRiTiCaL`', 'vendorSeverity:5'].map((query) => compile(dialect, query));
    for (const { sql, parameters } of spellings) {
      assert.equal(sql, spellings[0].sql);
      assert.match(sql, /= 'critical'/);
      assert.deepEqual(parameters, []);
    }
    const list = compile(dialect, 'vendorSeverity:[Low, Moderate] AND name:x');
    assert.match(list.sql, /in \('low', 'moderate'\)/);
    assert.deepEqual(list.parameters, ['%x%']);
  }
});

test("SQLite: a list of an enum's values is kept from constraining an index (unary +); other lists and single values are not", () => {
  assert.match(compile('sqlite', 'vendorSeverity:[Low, Moderate]').sql, / \+lower\("qql_items"\."severity"\) in \('low', 'moderate'\)/);
  assert.match(compile('sqlite', 'vendorSeverity:Low').sql, / lower\("qql_items"\."severity"\) = 'low'/);
  assert.match(compile('sqlite', 'name:[`a`, `b`]').sql, / lower\("qql_items"\."name"\) in \(\?, \?\)/);
  assert.doesNotMatch(compile('postgres', 'vendorSeverity:[Low, Moderate]').sql, /\+/);
});

test('identifiers come from the token table, quoted and qualified with the alias', () => {
  const pg = compile('postgres', 'vendorSeverity:Low AND tags.name:x', 'i');
  assert.match(pg.sql, /"i"\."severity" is not null/);
  assert.match(pg.sql, /exists \(select 1 from "qql_item_tags" as "qql_child_1" where "qql_child_1"\."item_id" = "i"\."id"/);
  const sqlite = compile('sqlite', 'score>1');
  assert.match(sqlite.sql, /"qql_items"\."score" is not null and "qql_items"\."score" > cast\(\? as bigint\)/);
  // Each multi-valued term gets its own child alias.
  assert.match(compile('sqlite', 'ports:1 OR ports:2').sql, /"qql_child_1".*"qql_child_2"/);
});

test('case folding: lower() on SQLite, an ASCII-only lower() under the C collation on PostgreSQL; values folded in JS', () => {
  const sqlite = compile('sqlite', 'name:`ABC É`');
  assert.match(sqlite.sql, /lower\("qql_items"\."name"\) = \?/);
  assert.deepEqual(sqlite.parameters, ['abc É']);
  const pg = compile('postgres', 'name:`ABC É`');
  assert.match(pg.sql, /lower\("qql_items"\."name" collate "C"\) = \$1/);
  // Without the C collation PostgreSQL's lower() would fold É as well.
  assert.doesNotMatch(pg.sql, /lower\("qql_items"\."name"\)/);
  // SQLite's LIKE ignores ASCII case by itself: contains-matching reads the column as is.
  assert.match(compile('sqlite', 'name:AB').sql, /"qql_items"\."name" like \? escape '!'/);
  assert.match(compile('postgres', 'name:AB').sql, /lower\("qql_items"\."name" collate "C"\) like \$1 escape '!'/);
});

test('contains uses LIKE with escaped wildcards and an ESCAPE clause', () => {
  assert.equal(escapeQqlLikePattern('50%_a!b'), '50!%!_a!!b');
  for (const dialect of ['sqlite', 'postgres'] as const) {
    const { sql, parameters } = compile(dialect, 'title:"50%_A!"');
    assert.match(sql, / like (\?|\$1) escape '!'/);
    assert.deepEqual(parameters, ['%50!%!_a!!%']);
  }
});

test('numbers bind as bigint when integral, double precision otherwise; lists of points use IN', () => {
  const { sql, parameters } = compile('postgres', 'score:[1, 2, 3] OR ratio>=1.5');
  assert.match(sql, /"score" in \(cast\(\$1 as bigint\), cast\(\$2 as bigint\), cast\(\$3 as bigint\)\)/);
  assert.match(sql, /"ratio" >= cast\(\$4 as double precision\)/);
  assert.deepEqual(parameters, [1, 2, 3, 1.5]);
});

test('dates: epoch columns compare numbers; ISO columns compare text, byte-wise on PostgreSQL', () => {
  const epoch = compile('sqlite', 'publishedDate:2024-05-01');
  assert.match(epoch.sql, /"published_at" >= cast\(\? as bigint\) and "qql_items"\."published_at" < cast\(\? as bigint\)/);
  assert.deepEqual(epoch.parameters, [Date.UTC(2024, 4, 1), Date.UTC(2024, 4, 2)]);
  const iso = compile('postgres', 'modifiedDate<2024-05-01');
  assert.match(iso.sql, /"modified_at" collate "C" < \$1/);
  assert.deepEqual(iso.parameters, ['2024-05-01T00:00:00.000Z']);
});

test('booleans and NOT keep two-valued logic', () => {
  const { sql } = compile('sqlite', 'NOT isSecurity:true');
  assert.match(sql, /not \(\("qql_items"\."is_security" is not null and "qql_items"\."is_security" <> 0\)\)/);
});

test('the SQL compiler validates like the predicate does', () => {
  assert.throws(() => compile('sqlite', 'nope:1'), (error: unknown) => error instanceof QqlValidationError && error.kind === 'unknown-token');
  assert.throws(() => compile('postgres', 'score:x'), (error: unknown) => error instanceof QqlValidationError && error.kind === 'type');
});
