/**
 * Differential test: for thousands of random valid queries, the SQL compiled by
 * compileQqlToWhere must select exactly the rows the in-memory predicate accepts, on the store
 * this run uses (PATCHWARDEN_TEST_STORE; the suite runs the file once per store).
 *
 * The data is a few hundred generated items with NULLs, LIKE wildcards, quotes, backslashes,
 * mixed case and non-ASCII text, plus child tables for two multi-valued tokens.
 *
 * Environment:
 *   QQL_DIFF_SEED=<int>     seed for data and queries (default below; always printed)
 *   QQL_DIFF_QUERIES=<int>  number of queries (default 2500, minimum 2000)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { compileQqlToPredicate, compileQqlToWhere, parseQql } from '../../src/qql/index.js';
import { createExampleItemsSchema, exampleItemTokens, insertExampleItems, loadExampleItems } from '../support/qql-example-table.js';
import { generateExampleItems, generateQueryText, QUERY_NOW, SeededRandom } from '../support/qql-random.js';
import { openTestStore, testStore } from '../support/test-database.js';
import { envInt } from '../support/env-settings.js';

const DEFAULT_SEED = 7_031_977;
const MIN_QUERIES = 2000;
const ITEM_COUNT = 400;


test(`QQL compiled to SQL selects the same rows as the in-memory predicate (${testStore()})`, async (t) => {
  const seed = envInt('QQL_DIFF_SEED', DEFAULT_SEED);
  const wanted = Math.max(MIN_QUERIES, envInt('QQL_DIFF_QUERIES', 2500));
  console.log(`# QQL differential on ${testStore()}: seed=${seed} queries=${wanted} (set QQL_DIFF_SEED to change)`);
  t.diagnostic(`seed=${seed}`);

  const { db } = await openTestStore(t, 'qql');

  const kysely = db.kysely as unknown as Kysely<any>; // the example tables are not in the app schema
  const random = new SeededRandom(seed);
  await createExampleItemsSchema(kysely, db.dialect);
  await insertExampleItems(kysely, generateExampleItems(random, ITEM_COUNT));
  const items = await loadExampleItems(kysely);
  assert.equal(items.length, ITEM_COUNT);
  // The store gives back what was written: a non-ASCII, quote-laden value survives the round trip.
  assert.ok(items.some((item) => item.title !== null && /[^\x00-\x7f]/.test(item.title)));

  let checked = 0;
  let selective = 0;
  while (checked < wanted) {
    const text = generateQueryText(random, items);
    const ast = parseQql(text);
    let expected: number[];
    try {
      const matches = compileQqlToPredicate(ast, exampleItemTokens, { now: QUERY_NOW });
      expected = items.filter(matches).map((item) => item.id);
    } catch (error) {
      // The generator only makes valid queries: a rejection is a generator or validator bug.
      throw new Error(`seed=${seed}: valid query rejected: ${text}\n${(error as Error).message}`);
    }
    const where = compileQqlToWhere(ast, exampleItemTokens, { dialect: db.dialect, alias: 'i', now: QUERY_NOW });
    let actual: number[];
    try {
      const rows = await kysely.selectFrom('qql_items as i').select('i.id').where(where).orderBy('i.id').execute();
      actual = rows.map((row) => Number(row.id));
    } catch (error) {
      throw new Error(`seed=${seed}: the SQL for this query failed on ${db.dialect}: ${text}\n${(error as Error).message}`);
    }
    if (actual.join() !== expected.join()) {
      const onlySql = actual.filter((id) => !expected.includes(id));
      const onlyMemory = expected.filter((id) => !actual.includes(id));
      const show = (ids: number[]) => JSON.stringify(ids.slice(0, 5).map((id) => items[id - 1]));
      assert.fail(`seed=${seed} query #${checked}: ${text}\n`
        + `SQL only (${onlySql.length}): ${show(onlySql)}\nmemory only (${onlyMemory.length}): ${show(onlyMemory)}`);
    }
    if (expected.length > 0 && expected.length < items.length) selective++;
    checked++;
  }
  t.diagnostic(`${checked} queries agreed; ${selective} selected some but not all rows`);
  // Queries that select nothing or everything prove little: most must be selective.
  assert.ok(selective >= checked * 0.5, `only ${selective} of ${checked} queries were selective; the generator needs tuning`);
});
