/**
 * Fuzzing the QQL front end with seeded random input:
 * - junk and mutated queries only ever fail with QqlError (never TypeError, RangeError, stack
 *   overflow…), with a position inside the text and a message naming found and expected;
 * - valid queries survive formatQql → parseQql unchanged, and formatting is idempotent.
 *
 * QQL_FUZZ_SEED=<int> overrides the seed (always printed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileQqlToPredicate, compileQqlToWhere, END_OF_QUERY, formatQql, parseQql, QQL_LIMITS, QqlError, stripQqlPositions,
  type QqlNode,
} from '../../src/qql/index.js';
import { exampleItemTokens } from '../support/qql-example-table.js';
import { generateExampleItems, generateFuzzText, generateQueryText, mutateText, QUERY_NOW, SeededRandom } from '../support/qql-random.js';

const DEFAULT_SEED = 424_242;
const seed = process.env.QQL_FUZZ_SEED ? Number(process.env.QQL_FUZZ_SEED) : DEFAULT_SEED;
console.log(`# QQL fuzz: seed=${seed} (set QQL_FUZZ_SEED to change)`);

/** Parses (and if that works, validates and compiles) text; returns the tree or the QqlError. */
function attempt(text: string): QqlNode | QqlError {
  try {
    const ast = parseQql(text);
    compileQqlToPredicate(ast, exampleItemTokens, { now: QUERY_NOW });
    compileQqlToWhere(ast, exampleItemTokens, { dialect: 'sqlite', now: QUERY_NOW });
    compileQqlToWhere(ast, exampleItemTokens, { dialect: 'postgres', now: QUERY_NOW });
    return ast;
  } catch (error) {
    if (error instanceof QqlError) return error;
    assert.fail(`seed=${seed}: ${JSON.stringify(text)} threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.stack}`);
  }
}

function checkOutcome(text: string, outcome: QqlNode | QqlError): void {
  if (outcome instanceof QqlError) {
    const where = `seed=${seed}: ${JSON.stringify(text)} → ${outcome.message}`;
    assert.ok(Number.isInteger(outcome.position) && outcome.position >= 0 && outcome.position <= text.length, where);
    assert.ok(outcome.found.length > 0 && outcome.expected.length > 0, where);
    assert.ok(outcome.message.includes(`position ${outcome.position}`) && outcome.message.includes(outcome.expected), where);
    if (outcome.found !== END_OF_QUERY && outcome.kind === 'syntax') {
      // A syntax error's `found` is the text at its position (shown as U+XXXX for control characters).
      assert.ok(text.startsWith(outcome.found, outcome.position) || outcome.found.startsWith('U+'), where);
    }
    return;
  }
  checkRoundTrip(text, outcome);
}

function checkRoundTrip(text: string, ast: QqlNode): void {
  const printed = formatQql(ast);
  if (printed.length > QQL_LIMITS.maxLength) {
    // Only a keyword glued to a quote or parenthesis makes the canonical form longer (format.ts).
    assert.ok(printed.length - text.length <= (text.match(/[)"`](and|or|not)\b|\b(and|or|not)[("`]/gi)?.length ?? 0),
      `seed=${seed}: ${JSON.stringify(text)} printed ${printed.length - text.length} characters longer`);
    return;
  }
  let reparsed: QqlNode;
  try {
    reparsed = parseQql(printed);
  } catch (error) {
    assert.fail(`seed=${seed}: ${JSON.stringify(text)} printed as ${JSON.stringify(printed)}, which does not parse: ${(error as Error).message}`);
  }
  assert.deepEqual(stripQqlPositions(reparsed), stripQqlPositions(ast), `seed=${seed}: ${JSON.stringify(text)} → ${JSON.stringify(printed)}`);
  assert.equal(formatQql(reparsed), printed, `seed=${seed}: formatting is not idempotent for ${JSON.stringify(text)}`);
}

test('random and mutated input only ever fails with QqlError', { timeout: 300_000 }, () => {
  const random = new SeededRandom(seed);
  const items = generateExampleItems(random, 50);
  const outcomes = { valid: 0, syntax: 0, limit: 0, 'unknown-token': 0, type: 0 };
  const count = (outcome: QqlNode | QqlError) => outcomes[outcome instanceof QqlError ? outcome.kind : 'valid']++;
  for (let i = 0; i < 6000; i++) {
    const text = generateFuzzText(random);
    const outcome = attempt(text);
    checkOutcome(text, outcome);
    count(outcome);
  }
  for (let i = 0; i < 6000; i++) {
    const text = mutateText(random, generateQueryText(random, items));
    const outcome = attempt(text);
    checkOutcome(text, outcome);
    count(outcome);
  }
  // Hostile shapes: deep nesting of every kind, huge inputs, long runs of one character.
  const hostile = [
    '('.repeat(10_000), ')'.repeat(10_000), 'NOT '.repeat(1000) + 'a:1', `a:${'['.repeat(1000)}`, '"'.repeat(3999), '`'.repeat(4000),
    `${'(NOT '.repeat(30)}name:x${')'.repeat(30)}`, `name:${'\\'.repeat(3990)}`, `title:"${'\\'.repeat(3990)}"`, 'a:1 AND '.repeat(600),
    '.'.repeat(4000), 'x'.repeat(1_000_000), `name:[${'a,'.repeat(1990)}a]`, '\ud83d'.repeat(100), `score:${'9'.repeat(400)}`,
    `publishedDate:${'9'.repeat(15)}`, 'publishedDate>now-999999y', 'ratio:1e308', 'ratio:1e309', 'ratio:-0',
  ];
  for (const text of hostile) {
    const outcome = attempt(text);
    checkOutcome(text, outcome);
    count(outcome);
  }
  // Every outcome must be well represented, or the fuzzing is not exercising much.
  const summary = JSON.stringify(outcomes);
  console.log(`# outcomes: ${summary}`);
  assert.ok(outcomes.valid >= 300 && outcomes.syntax >= 3000 && outcomes['unknown-token'] >= 300 && outcomes.type >= 150 && outcomes.limit >= 5, summary);
});

test('valid queries round-trip through formatQql to an equal tree', { timeout: 300_000 }, () => {
  const random = new SeededRandom(seed + 1);
  const items = generateExampleItems(random, 50);
  for (let i = 0; i < 4000; i++) {
    const text = generateQueryText(random, items);
    checkRoundTrip(text, parseQql(text));
  }
});

test('a query of exactly the maximum length and depth still parses', () => {
  const depth = QQL_LIMITS.maxDepth;
  const core = `${'('.repeat(depth)}name:x${')'.repeat(depth)}`;
  const text = `${core} OR title:"${'y'.repeat(QQL_LIMITS.maxLength - core.length - 12)}"`;
  assert.equal(text.length, QQL_LIMITS.maxLength);
  checkRoundTrip(text, parseQql(text));
});
