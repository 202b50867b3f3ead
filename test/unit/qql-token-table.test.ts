import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  defineQqlTokenTable, findQqlToken, parseQql, QqlError, validateQql,
  type QqlTokenTable,
} from '../../src/qql/index.js';
import { exampleItemTokens } from '../support/qql-example-table.js';
import { pmQqlErrorResponse } from '../../src/api/pm/qql-error-body.js';
import { PmErrorCode } from '../../src/api/pm/pm-errors.js';

test('defineQqlTokenTable freezes a good table and finds tokens ignoring case', () => {
  assert.ok(Object.isFrozen(exampleItemTokens));
  assert.ok(Object.isFrozen(exampleItemTokens.tokens));
  assert.equal(findQqlToken(exampleItemTokens, 'VENDORSEVERITY')?.column, 'severity');
  assert.equal(findQqlToken(exampleItemTokens, 'tags.NAME')?.multiValued?.table, 'qql_item_tags');
  assert.equal(findQqlToken(exampleItemTokens, 'tags'), undefined);
});

test('defineQqlTokenTable lists every problem of a bad table', () => {
  const bad = {
    entity: 'thing', table: 'things',
    tokens: [
      { name: 'a', type: 'string', column: 'a' },
      { name: 'A', type: 'string', column: 'a2' },
      { name: '1x', type: 'number', column: 'x' },
      { name: 'both', type: 'string', column: 'b', multiValued: { table: 't', foreignKey: 'f', column: 'c' } },
      { name: 'neither', type: 'string' },
      { name: 'kids', type: 'string', multiValued: { table: 't', foreignKey: 'f', column: 'c' } },
      { name: 'sev', type: 'enum', column: 's', enumValues: ['Low', 'low'], enumAliases: { 1: 'High' } },
      { name: 'e', type: 'enum', column: 'e' },
      { name: 'q', type: 'enum', column: 'q', enumValues: ["it's"] },
      { name: 'n', type: 'number', column: 'n', enumValues: ['x'] },
      { name: 'd', type: 'string', column: 'd', dateStorage: 'iso-8601' },
      { name: 'w', type: 'weird', column: 'w' },
    ],
  } as unknown as QqlTokenTable;
  assert.throws(() => defineQqlTokenTable(bad), (error: Error) => {
    for (const problem of [
      'token "A": defined twice', 'token "1x": a name is', 'token "both": give exactly one of column and multiValued',
      'token "neither": give exactly one', 'token "kids": multiValued needs parentKey or the table\'s primaryKey',
      'token "sev": enum value "low" listed twice', 'token "sev": alias "1" maps to "High"', 'token "e": an enum needs enumValues',
      'token "q": enum value "it\'s" is not a plain word',
      'token "n": enumValues and enumAliases are only for enum tokens', 'token "d": dateStorage is only for date tokens',
      'token "w": unknown type "weird"',
    ]) {
      assert.ok(error.message.includes(problem), `missing "${problem}" in: ${error.message}`);
    }
    return !(error instanceof QqlError);
  });
});

test('a table that was never defined is checked on first use', () => {
  const raw: QqlTokenTable = { entity: 'x', table: 'x', tokens: [{ name: 'a', type: 'enum', column: 'a' }] };
  assert.throws(() => validateQql(parseQql('a:1'), raw), /an enum needs enumValues/);
});

test('pmQqlErrorResponse gives the PM API 400 body with position, found and expected', () => {
  let caught: unknown;
  try {
    validateQql(parseQql('vendorSeverity:Critical and scroe>5'), exampleItemTokens);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof QqlError);
  const before = Date.now();
  const response = pmQqlErrorResponse(caught, 'query');
  assert.equal(response.statusCode, 400);
  // Like every other `_error`, stamped with the time in epoch milliseconds.
  const { timestamp } = response.body._error;
  assert.ok(Number.isInteger(timestamp) && timestamp >= before && timestamp <= Date.now(), `timestamp ${timestamp}`);
  assert.deepEqual(response.body, {
    _error: {
      errorCode: PmErrorCode.InvalidQuery,
      message: `query: ${caught.message}`,
      timestamp,
      qql: { parameter: 'query', position: 28, found: 'scroe', expected: caught.expected, token: 'scroe' },
    },
  });
  assert.notEqual(response.body._error.errorCode, '2501'); // 2501 means "over 10,000 records" to qualysdk
  assert.match(response.body._error.message, /^query: Unknown item token "scroe" \(did you mean score\?\) at position 28: found "scroe", expected one of the item tokens: /);

  let syntax: unknown;
  try {
    parseQql('name:');
  } catch (error) {
    syntax = error;
  }
  assert.ok(syntax instanceof QqlError);
  const syntaxBody = pmQqlErrorResponse(syntax).body;
  assert.deepEqual(syntaxBody._error.qql, { position: 5, found: 'end of query', expected: syntax.expected });
  assert.equal(syntaxBody._error.message, syntax.message);
  // The body is plain JSON (built once: each call stamps its own millisecond).
  assert.deepEqual(JSON.parse(JSON.stringify(syntaxBody)), syntaxBody);
});
