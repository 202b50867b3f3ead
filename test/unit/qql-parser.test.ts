import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  END_OF_QUERY, formatQql, parseQql, QQL_LIMITS, QqlError, QqlSyntaxError, stripQqlPositions, tokenizeQql,
  type QqlCondition, type QqlNode, type QqlValue,
} from '../../src/qql/index.js';

// Builders for expected trees (positions are compared separately, where they matter).
const bare = (text: string): QqlValue => ({ style: 'bare', text, position: 0 });
const phrase = (text: string): QqlValue => ({ style: 'phrase', text, position: 0 });
const exact = (text: string): QqlValue => ({ style: 'exact', text, position: 0 });
const term = (token: string, condition: QqlCondition): QqlNode => ({ kind: 'term', token, condition, position: 0 });
const match = (token: string, value: QqlValue): QqlNode => term(token, { kind: 'match', value });
const and = (...operands: QqlNode[]): QqlNode => ({ kind: 'and', operands, position: 0 });
const or = (...operands: QqlNode[]): QqlNode => ({ kind: 'or', operands, position: 0 });
const not = (operand: QqlNode): QqlNode => ({ kind: 'not', operand, position: 0 });

function parsed(text: string): QqlNode {
  return stripQqlPositions(parseQql(text));
}

function syntaxError(text: string): QqlSyntaxError {
  try {
    parseQql(text);
  } catch (error) {
    assert.ok(error instanceof QqlSyntaxError, `expected a QqlSyntaxError for ${JSON.stringify(text)}, got ${String(error)}`);
    assert.ok(error instanceof QqlError);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(text)} to be rejected`);
}

test('token:value with each quoting style', () => {
  assert.deepEqual(parsed('vendorSeverity:Critical'), match('vendorSeverity', bare('Critical')));
  assert.deepEqual(parsed('vendorSeverity:`Critical`'), match('vendorSeverity', exact('Critical')));
  assert.deepEqual(parsed('name:"two words"'), match('name', phrase('two words')));
  assert.deepEqual(parsed('tags.name:`Prod`'), match('tags.name', exact('Prod')));
  assert.deepEqual(parsed('patch.vendorSeverity:5'), match('patch.vendorSeverity', bare('5')));
});

test('positions point at the token, the operator and each value', () => {
  const ast = parseQql('  title:"x y" AND n:[1, `2`]');
  assert.equal(ast.kind, 'and');
  if (ast.kind !== 'and') return;
  const [first, second] = ast.operands;
  assert.equal(first.position, 2);
  assert.ok(first.kind === 'term' && first.condition.kind === 'match');
  assert.equal(first.condition.value.position, 8);
  assert.ok(second.kind === 'term' && second.condition.kind === 'list');
  assert.equal(second.position, 18);
  assert.equal(second.condition.position, 20);
  assert.deepEqual(second.condition.values.map((v) => v.position), [21, 24]);
});

test('whitespace around ":" is allowed, as in the SDK examples', () => {
  const expected = match('operatingSystem.category', exact('Windows / Server'));
  assert.deepEqual(parsed('operatingSystem.category: `Windows / Server`'), expected);
  assert.deepEqual(parsed('operatingSystem.category :`Windows / Server`'), expected);
  assert.deepEqual(parsed('\t operatingSystem.category\n:\n`Windows / Server`  '), expected);
});

test('escapes inside quotes: the closing quote and the backslash; other backslashes stay', () => {
  assert.deepEqual(parsed('name:"say \\"hi\\""'), match('name', phrase('say "hi"')));
  assert.deepEqual(parsed('name:`tick\\`tock`'), match('name', exact('tick`tock')));
  assert.deepEqual(parsed('name:`a\\\\b`'), match('name', exact('a\\b')));
  assert.deepEqual(parsed('path:"C:\\Windows\\System32"'), match('path', phrase('C:\\Windows\\System32')));
  // A backtick inside a phrase and a double quote inside backticks need no escape.
  assert.deepEqual(parsed('name:"a`b"'), match('name', phrase('a`b')));
  assert.deepEqual(parsed('name:`a"b`'), match('name', exact('a"b')));
  // Punctuation and keywords inside quotes are just text.
  assert.deepEqual(parsed('title:"a:b (c) [d..e], AND OR NOT"'), match('title', phrase('a:b (c) [d..e], AND OR NOT')));
  assert.deepEqual(parsed('title:""'), match('title', phrase('')));
});

test('bare values may contain most punctuation-free characters, including unicode', () => {
  assert.deepEqual(parsed('cve:CVE-2024-1234'), match('cve', bare('CVE-2024-1234')));
  assert.deepEqual(parsed('kb:KB5034441'), match('kb', bare('KB5034441')));
  assert.deepEqual(parsed('title:Ünïcödé😀'), match('title', bare('Ünïcödé😀')));
  assert.deepEqual(parsed('title:50%_off'), match('title', bare('50%_off')));
  assert.deepEqual(parsed('path:C\\temp'), match('path', bare('C\\temp')));
  // Keywords are values where a value is expected.
  assert.deepEqual(parsed('name:and'), match('name', bare('and')));
  assert.deepEqual(parsed('name:NOT AND x:OR'), and(match('name', bare('NOT')), match('x', bare('OR'))));
});

test('lists match any of their values', () => {
  const list = (values: QqlValue[]): QqlCondition => ({ kind: 'list', values, position: 0 });
  assert.deepEqual(parsed('patchStatus:[Missing,Installed]'), term('patchStatus', list([bare('Missing'), bare('Installed')])));
  assert.deepEqual(parsed('patchStatus: [ Missing , Installed ]'), term('patchStatus', list([bare('Missing'), bare('Installed')])));
  assert.deepEqual(parsed('x:[one]'), term('x', list([bare('one')])));
  assert.deepEqual(parsed('x:[`a b`, "c d", e]'), term('x', list([exact('a b'), phrase('c d'), bare('e')])));
});

test('ranges: [..] inclusive, (..) exclusive, mixed, numbers and dates, with or without spaces', () => {
  const range = (low: string, high: string, lowInclusive: boolean, highInclusive: boolean): QqlCondition =>
    ({ kind: 'range', low: bare(low), high: bare(high), lowInclusive, highInclusive, position: 0 });
  assert.deepEqual(parsed('port:[1..1024]'), term('port', range('1', '1024', true, true)));
  assert.deepEqual(parsed('port:(1..1024)'), term('port', range('1', '1024', false, false)));
  assert.deepEqual(parsed('port:[1 .. 1024)'), term('port', range('1', '1024', true, false)));
  assert.deepEqual(parsed('port:(1 ..1024]'), term('port', range('1', '1024', false, true)));
  assert.deepEqual(parsed('r:[-2.5..-0.5]'), term('r', range('-2.5', '-0.5', true, true)));
  assert.deepEqual(parsed('d:[2024-01-01..2024-03-31]'), term('d', range('2024-01-01', '2024-03-31', true, true)));
  assert.deepEqual(parsed('d:[2024-01-01T10:00:00Z..now-1d]'), term('d', range('2024-01-01T10:00:00Z', 'now-1d', true, true)));
});

test('comparisons: > >= < <= =, directly or after ":"', () => {
  for (const operator of ['>', '>=', '<', '<=', '='] as const) {
    const expected = term('n', { kind: 'compare', operator, value: bare('5'), position: 0 });
    assert.deepEqual(parsed(`n${operator}5`), expected);
    assert.deepEqual(parsed(`n ${operator} 5`), expected);
    assert.deepEqual(parsed(`n:${operator}5`), expected);
  }
  // An ISO timestamp keeps its colons and offset.
  assert.deepEqual(parsed('d>=2024-05-01T10:00:00+02:00'),
    term('d', { kind: 'compare', operator: '>=', value: bare('2024-05-01T10:00:00+02:00'), position: 0 }));
  assert.deepEqual(parsed('d<2024-05-01T10:00'), term('d', { kind: 'compare', operator: '<', value: bare('2024-05-01T10:00'), position: 0 }));
});

test('precedence: NOT over AND over OR; parentheses group; chains are flattened', () => {
  const a = match('a', bare('1'));
  const b = match('b', bare('2'));
  const c = match('c', bare('3'));
  assert.deepEqual(parsed('a:1 OR b:2 AND c:3'), or(a, and(b, c)));
  assert.deepEqual(parsed('a:1 AND b:2 OR c:3'), or(and(a, b), c));
  assert.deepEqual(parsed('NOT a:1 AND b:2'), and(not(a), b));
  assert.deepEqual(parsed('NOT a:1 OR b:2'), or(not(a), b));
  assert.deepEqual(parsed('NOT (a:1 OR b:2)'), not(or(a, b)));
  assert.deepEqual(parsed('(a:1 OR b:2) AND c:3'), and(or(a, b), c));
  assert.deepEqual(parsed('a:1 AND (b:2 AND c:3)'), and(a, b, c));
  assert.deepEqual(parsed('(a:1 OR b:2) OR c:3'), or(a, b, c));
  assert.deepEqual(parsed('((a:1))'), a);
  assert.deepEqual(parsed('NOT NOT a:1'), not(not(a)));
  assert.deepEqual(parsed('a:1 AND NOT (b:2 OR NOT c:3)'), and(a, not(or(b, not(c)))));
});

test('keywords in any letter case; a keyword glued to "(" still counts', () => {
  const expected = or(and(match('a', bare('1')), match('b', bare('2'))), not(match('c', bare('3'))));
  for (const text of ['a:1 AND b:2 OR NOT c:3', 'a:1 and b:2 or not c:3', 'a:1 And b:2 oR nOt c:3', 'a:1 and(b:2) or not(c:3)']) {
    assert.deepEqual(parsed(text), expected, text);
  }
  // The qualysdk default Windows query.
  assert.deepEqual(parsed('patchStatus:[Missing,Installed] and isSuperseded:false'), and(
    term('patchStatus', { kind: 'list', values: [bare('Missing'), bare('Installed')], position: 0 }),
    match('isSuperseded', bare('false')),
  ));
});

test('the lexer splits words at punctuation and "..", and keeps quoted text whole', () => {
  const kinds = (text: string) => tokenizeQql(text).map((l) => `${l.kind}@${l.position}:${l.text}`);
  assert.deepEqual(kinds('a:[1..5]'), ['word@0:a', 'colon@1::', 'lbracket@2:[', 'word@3:1', 'dotdot@4:..', 'word@6:5', 'rbracket@7:]', 'end@8:']);
  assert.deepEqual(kinds('n>=-1.5'), ['word@0:n', 'operator@1:>=', 'word@3:-1.5', 'end@7:']);
  assert.deepEqual(kinds('x:"a\\"b"'), ['word@0:x', 'colon@1::', 'phrase@2:a"b', 'end@8:']);
  assert.deepEqual(tokenizeQql('x:"a\\"b"')[2].raw, '"a\\"b"');
  assert.deepEqual(kinds('x:1.2.3'), ['word@0:x', 'colon@1::', 'word@2:1.2.3', 'end@7:']);
});

test('formatQql prints canonical text that parses back to the same tree', () => {
  const cases: [string, string][] = [
    ['a:1 or b:2 and c:3', 'a:1 OR b:2 AND c:3'],
    ['(a:1 or b:2) and c:3', '(a:1 OR b:2) AND c:3'],
    ['not (a:1 and b:2)', 'NOT (a:1 AND b:2)'],
    ['not not a:1', 'NOT NOT a:1'],
    ['x : [ a , "b c" , `d` ]', 'x:[a,"b c",`d`]'],
    ['n:( 1 .. 5 ]', 'n:(1..5]'],
    ['n:[1. .. .5]', 'n:[1. .. .5]'],
    ['n:>=5', 'n>=5'],
    // Backslashes are escaped only where they would be misread.
    ['name:"say \\"hi\\" \\\\ C:\\x"', 'name:"say \\"hi\\" \\ C:\\x"'],
    ['name:"a\\\\"', 'name:"a\\\\"'],
    ['name:"a\\\\\\\\b\\\\\\""', 'name:"a\\\\\\b\\\\\\""'],
    ['name:`tick\\`tock`', 'name:`tick\\`tock`'],
  ];
  for (const [input, canonical] of cases) {
    const ast = parseQql(input);
    assert.equal(formatQql(ast), canonical, input);
    assert.deepEqual(stripQqlPositions(parseQql(canonical)), stripQqlPositions(ast), canonical);
  }
});

test('errors give the exact position, what was found and what was expected', () => {
  const cases: [string, number, string, RegExp][] = [
    ['name:', 5, END_OF_QUERY, /a value/],
    ['', 0, END_OF_QUERY, /a term/],
    ['   ', 3, END_OF_QUERY, /a term/],
    ['a:b c:d', 4, 'c', /AND, OR/],
    ['a:b AND', 7, END_OF_QUERY, /a term/],
    ['a:b AND OR c:d', 8, 'OR', /a term/],
    ['AND a:b', 0, 'AND', /a term/],
    ['(a:b', 4, END_OF_QUERY, /"\)" to close the "\(" at position 0/],
    ['a:b)', 3, ')', /AND, OR, "\)" or the end/],
    ['()', 1, ')', /a term/],
    [':b', 0, ':', /a term/],
    ['a', 1, END_OF_QUERY, /":" or a comparison operator/],
    ['a b', 2, 'b', /":" or a comparison operator/],
    ['1abc:x', 0, '1abc', /a token name/],
    ['a..b:x', 1, '..', /":" or a comparison operator/],
    ['a:"abc', 6, END_OF_QUERY, /closing double quote .* opened at position 2/],
    ['a:`abc\\`', 8, END_OF_QUERY, /closing backtick .* opened at position 2/],
    ['a:[1,2', 6, END_OF_QUERY, /"," or "\]" to close the list opened at position 2/],
    ['a:[]', 3, ']', /a value/],
    ['a:[1,]', 5, ']', /a value/],
    ['a:[1..]', 6, ']', /a value/],
    ['a:[1..2', 7, END_OF_QUERY, /"\]" \(inclusive\) or "\)" \(exclusive\)/],
    ['a:(1,2)', 4, ',', /"\.\." between/],
    ['a:(x)', 4, ')', /"\.\." between/],
    ['a:>', 3, END_OF_QUERY, /a value/],
    ['a:>[1..2]', 3, '[', /a value/],
    ['a>>1', 2, '>', /a value/],
    ['a:b:c', 3, ':', /AND, OR/],
    ['a:b\u0000', 3, 'U+0000', /other than NUL/],
    ['a:\ud800x', 2, 'U+D800', /unpaired surrogate/],
    ['a:x\udc00', 3, 'U+DC00', /unpaired surrogate/],
  ];
  for (const [text, position, found, expected] of cases) {
    const error = syntaxError(text);
    assert.equal(error.position, position, `position for ${JSON.stringify(text)}: ${error.message}`);
    assert.equal(error.found, found, `found for ${JSON.stringify(text)}`);
    assert.match(error.expected, expected, `expected for ${JSON.stringify(text)}`);
    assert.equal(error.kind, 'syntax');
    // The message states all three.
    assert.ok(error.message.includes(`position ${position}`), error.message);
    assert.ok(error.message.includes(found === END_OF_QUERY ? END_OF_QUERY : JSON.stringify(found)), error.message);
    assert.ok(error.message.includes(error.expected), error.message);
  }
});

test('length and nesting limits stop hostile input early, as syntax errors', () => {
  const ok = `x:${'a'.repeat(QQL_LIMITS.maxLength - 2)}`;
  assert.equal(parseQql(ok).kind, 'term');
  const tooLong = syntaxError(`${ok}b`);
  assert.equal(tooLong.kind, 'limit');
  assert.equal(tooLong.position, QQL_LIMITS.maxLength);
  assert.match(tooLong.expected, /at most 4000 characters/);

  const depth = QQL_LIMITS.maxDepth;
  assert.equal(parseQql(`${'('.repeat(depth)}a:1${')'.repeat(depth)}`).kind, 'term');
  const deepParens = syntaxError(`${'('.repeat(depth + 1)}a:1${')'.repeat(depth + 1)}`);
  assert.equal(deepParens.kind, 'limit');
  assert.equal(deepParens.position, depth);
  assert.equal(deepParens.found, '(');
  assert.match(deepParens.message, /nested too deeply/);

  assert.equal(parseQql(`${'NOT '.repeat(depth)}a:1`).kind, 'not');
  const deepNots = syntaxError(`${'NOT '.repeat(depth + 1)}a:1`);
  assert.equal(deepNots.kind, 'limit');
  assert.equal(deepNots.position, depth * 4);

  // Far beyond the limits: refused by length before any recursion.
  assert.equal(syntaxError('('.repeat(100_000)).kind, 'limit');
  // Long flat chains are fine: AND/OR are loops, not recursion.
  const chain = Array.from({ length: 400 }, (_, i) => `a:${i}`).join(' OR ');
  assert.ok(chain.length <= QQL_LIMITS.maxLength);
  const ast = parseQql(chain);
  assert.ok(ast.kind === 'or' && ast.operands.length === 400);
});
