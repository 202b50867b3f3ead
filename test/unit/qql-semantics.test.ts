/**
 * What queries mean, checked through the in-memory predicate (the differential integration test
 * checks that the SQL compiler agrees with it on both stores).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileQqlToPredicate, defineQqlTokenTable, parseQql, parseQqlDate, QqlError, QqlValidationError, qqlDependsOnNow, validateQql,
} from '../../src/qql/index.js';
import { exampleItemTokens, type ExampleItem } from '../support/qql-example-table.js';

const MAY_1 = Date.UTC(2024, 4, 1);
const DAY = 86_400_000;

function item(id: number, fields: Partial<ExampleItem>): ExampleItem {
  return {
    id, name: null, title: null, severity: null, score: null, ratio: null, published_at: null,
    modified_at: null, is_security: null, tags: [], ports: [], ...fields,
  };
}

/** Ids of the items the query selects. */
function select(items: ExampleItem[], query: string, now = Date.UTC(2024, 4, 10, 12)): number[] {
  const matches = compileQqlToPredicate(parseQql(query), exampleItemTokens, { now });
  return items.filter(matches).map((i) => i.id);
}

function validationError(query: string): QqlValidationError {
  try {
    validateQql(parseQql(query), exampleItemTokens);
  } catch (error) {
    assert.ok(error instanceof QqlValidationError, `expected a QqlValidationError, got ${String(error)}`);
    assert.ok(error instanceof QqlError);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(query)} to be rejected`);
}

test('strings: bare and "phrase" contain, `exact` equals; ASCII letters ignore case', () => {
  const items = [
    item(1, { name: 'Alpha' }), item(2, { name: 'alpha beta' }), item(3, { name: 'ALPHA' }),
    item(4, { name: 'gamma' }), item(5, { name: null }),
  ];
  assert.deepEqual(select(items, 'name:alp'), [1, 2, 3]);
  assert.deepEqual(select(items, 'name:"ha be"'), [2]);
  assert.deepEqual(select(items, 'name:`alpha`'), [1, 3]);
  assert.deepEqual(select(items, 'name:`ALPHA BETA`'), [2]);
  assert.deepEqual(select(items, 'name:`alp`'), []);
  assert.deepEqual(select(items, 'name:[gam, `alpha`]'), [1, 3, 4]);
  assert.deepEqual(select(items, 'name:""'), [1, 2, 3, 4]);
});

test('case folding covers ASCII letters only, the same in SQLite, PostgreSQL and memory', () => {
  const items = [item(1, { title: 'Élan' }), item(2, { title: 'élan' }), item(3, { title: 'STRASSE' }), item(4, { title: 'straße' })];
  assert.deepEqual(select(items, 'title:élan'), [2]);
  assert.deepEqual(select(items, 'title:ÉLAN'), [1]);
  assert.deepEqual(select(items, 'title:LAN'), [1, 2]);
  assert.deepEqual(select(items, 'title:strasse'), [3]);
  assert.deepEqual(select(items, 'title:STRAßE'), [4]);
});

test('LIKE wildcards, quotes and backslashes in values are plain characters', () => {
  const items = [
    item(1, { name: '50% off' }), item(2, { name: '50 off' }), item(3, { name: 'a_b' }), item(4, { name: 'axb' }),
    item(5, { name: "O'Brien" }), item(6, { name: 'C:\\Windows' }), item(7, { name: 'a!b' }),
  ];
  assert.deepEqual(select(items, 'name:"50%"'), [1]);
  assert.deepEqual(select(items, 'name:a_b'), [3]);
  assert.deepEqual(select(items, 'name:%'), [1]);
  assert.deepEqual(select(items, 'name:_'), [3]);
  assert.deepEqual(select(items, "name:o'b"), [5]);
  assert.deepEqual(select(items, 'name:"C:\\Windows"'), [6]);
  assert.deepEqual(select(items, 'name:`c:\\\\windows`'), [6]);
  assert.deepEqual(select(items, 'name:!'), [7]);
});

test('enums: any quoting, ignoring ASCII case, with aliases; unknown values are errors', () => {
  const items = [item(1, { severity: 'Critical' }), item(2, { severity: 'CRITICAL' }), item(3, { severity: 'low' }), item(4, {})];
  assert.deepEqual(select(items, 'vendorSeverity:Critical'), [1, 2]);
  assert.deepEqual(select(items, 'vendorSeverity:`critical`'), [1, 2]);
  assert.deepEqual(select(items, 'vendorSeverity:"CRITICAL"'), [1, 2]);
  assert.deepEqual(select(items, 'vendorSeverity:5'), [1, 2]);
  assert.deepEqual(select(items, 'vendorSeverity:[Low, 5]'), [1, 2, 3]);
  assert.deepEqual(select(items, 'NOT vendorSeverity:Low'), [1, 2, 4]);
  const error = validationError('vendorSeverity:Crit');
  assert.equal(error.kind, 'type');
  assert.equal(error.position, 15);
  assert.equal(error.found, 'Crit');
  assert.equal(error.token, 'vendorSeverity');
  assert.equal(error.expected, 'one of Critical, Important, Moderate, Low, None');
});

test('numbers: equality, comparisons, inclusive and exclusive ranges, lists', () => {
  const items = [-3, 0, 1, 5, 9, 10].map((score, i) => item(i + 1, { score })).concat(item(7, {}));
  const ids = (query: string) => select(items, query).map((id) => items[id - 1].score);
  assert.deepEqual(ids('score:5'), [5]);
  assert.deepEqual(ids('score=5'), [5]);
  assert.deepEqual(ids('score:5.0'), [5]);
  assert.deepEqual(ids('score>5'), [9, 10]);
  assert.deepEqual(ids('score:>=5'), [5, 9, 10]);
  assert.deepEqual(ids('score<0'), [-3]);
  assert.deepEqual(ids('score <= 0'), [-3, 0]);
  assert.deepEqual(ids('score:[1..9]'), [1, 5, 9]);
  assert.deepEqual(ids('score:(1..9)'), [5]);
  assert.deepEqual(ids('score:[1..9)'), [1, 5]);
  assert.deepEqual(ids('score:(-3..+1]'), [0, 1]);
  assert.deepEqual(ids('score:[0..0.5]'), [0]);
  assert.deepEqual(ids('score:[10, -3, 4]'), [-3, 10]);
  assert.deepEqual(ids('score:`5`'), [5]);
  const items2 = [0.25, 1.5, 2].map((ratio, i) => item(i + 1, { ratio }));
  assert.deepEqual(select(items2, 'ratio>1.5'), [3]);
  assert.deepEqual(select(items2, 'ratio:[.25..1.5]'), [1, 2]);
  assert.deepEqual(select(items2, 'ratio<2e0'), [1, 2]);
});

test('dates: a literal covers its whole day, minute, second or millisecond', () => {
  const times = [MAY_1 - 1, MAY_1, MAY_1 + 10 * 3_600_000, MAY_1 + DAY - 1, MAY_1 + DAY];
  const items = times.map((t, i) => item(i + 1, { published_at: t, modified_at: new Date(t).toISOString() })).concat(item(6, {}));
  for (const token of ['publishedDate', 'modifiedDate']) {
    const q = (condition: string) => select(items, `${token}${condition}`);
    assert.deepEqual(q(':2024-05-01'), [2, 3, 4], token);
    assert.deepEqual(q('=2024-05-01'), [2, 3, 4], token);
    assert.deepEqual(q('>2024-05-01'), [5], token);
    assert.deepEqual(q('>=2024-05-01'), [2, 3, 4, 5], token);
    assert.deepEqual(q('<2024-05-01'), [1], token);
    assert.deepEqual(q('<=2024-05-01'), [1, 2, 3, 4], token);
    assert.deepEqual(q(':[2024-04-30..2024-05-01]'), [1, 2, 3, 4], token);
    assert.deepEqual(q(':(2024-04-30..2024-05-02)'), [2, 3, 4], token);
    assert.deepEqual(q(':[2024-05-01..2024-05-01]'), [2, 3, 4], token);
    assert.deepEqual(q(':2024-05'), [2, 3, 4, 5], token);
    assert.deepEqual(q(':2024-05-01T10:00'), [3], token);
    assert.deepEqual(q(':2024-05-01T12:00+02:00'), [3], token);
    assert.deepEqual(q(':2024-05-01T10:00:00.000Z'), [3], token);
    assert.deepEqual(q(`:${MAY_1 + DAY - 1}`), [4], token);
    assert.deepEqual(q('>2024-04-30T23:59:59.999Z'), [2, 3, 4, 5], token);
    assert.deepEqual(q(':[2024-05-01T10:00..now]'), [3, 4, 5], token);
    assert.deepEqual(q('>now-9d'), [4, 5], token); // now-9d is 2024-05-01T12:00
    assert.deepEqual(q(':[2024-05-01, 2024-04-30]'), [1, 2, 3, 4], token);
  }
});

test('date literals: spans, offsets, relative dates, and what is not a date', () => {
  const now = Date.UTC(2024, 0, 31, 8);
  assert.deepEqual(parseQqlDate('2024-02', now), { start: Date.UTC(2024, 1, 1), end: Date.UTC(2024, 2, 1) });
  assert.deepEqual(parseQqlDate('2024-02-29', now), { start: Date.UTC(2024, 1, 29), end: Date.UTC(2024, 2, 1) });
  assert.deepEqual(parseQqlDate('2024-02-29T23:59:30.5', now), { start: Date.UTC(2024, 1, 29, 23, 59, 30, 500), end: Date.UTC(2024, 1, 29, 23, 59, 30, 600) });
  assert.deepEqual(parseQqlDate('2024-01-01T00:30-01:00', now), { start: Date.UTC(2024, 0, 1, 1, 30), end: Date.UTC(2024, 0, 1, 1, 31) });
  assert.deepEqual(parseQqlDate('0001-01-01', now)?.start, -62135596800000);
  assert.deepEqual(parseQqlDate('NOW', now), { start: now, end: now + 1 });
  assert.deepEqual(parseQqlDate('now-2h', now)?.start, now - 7_200_000);
  assert.deepEqual(parseQqlDate('now+1w', now)?.start, now + 7 * DAY);
  assert.deepEqual(parseQqlDate('now-1M', now)?.start, Date.UTC(2023, 11, 31, 8));
  assert.deepEqual(parseQqlDate('now-1y', now)?.start, Date.UTC(2023, 0, 31, 8));
  assert.deepEqual(parseQqlDate('now-5m', now)?.start, now - 300_000);
  for (const bad of ['2024-02-30', '2023-02-29', '2024-13-01', '2024-00-10', '2024-01-01T24:00', '2024-01-01T10:60', '2024-1-1',
    'yesterday', 'now-1D', 'now-1', '99999999999999999', '2024-01-01T10:00+25:00', '']) {
    assert.equal(parseQqlDate(bad, now), undefined, bad);
  }
});

test('a query depends on the time when any of its values is a relative date, wherever it stands', () => {
  for (const query of ['published:>now-30d', 'published:NOW', 'published:[2024-01-01..now]', 'published:(now-2d..now-1d)',
    'name:web and not (severity:low or published:[now-1y, 2024-05-01])', 'name:Now-ish']) {
    assert.equal(qqlDependsOnNow(parseQql(query)), true, query);
  }
  for (const query of ['published:>2024-05-01', 'name:web and not (severity:low or published:[2024-01-01..2024-05-01])', 'title:"the snow"', 'score:[1, 2]']) {
    assert.equal(qqlDependsOnNow(parseQql(query)), false, query);
  }
});

test('booleans: true/false or 1/0 in any case', () => {
  const items = [item(1, { is_security: 1 }), item(2, { is_security: 0 }), item(3, {})];
  assert.deepEqual(select(items, 'isSecurity:true'), [1]);
  assert.deepEqual(select(items, 'isSecurity:TRUE'), [1]);
  assert.deepEqual(select(items, 'isSecurity:1'), [1]);
  assert.deepEqual(select(items, 'isSecurity:False'), [2]);
  assert.deepEqual(select(items, 'isSecurity:[true, false]'), [1, 2]);
  const error = validationError('isSecurity:yes');
  assert.equal(error.expected, 'true or false');
  assert.equal(error.position, 11);
});

test('missing values: a term on NULL is false, so NOT of it is true', () => {
  const items = [item(1, { name: 'x', score: 1, is_security: 1 }), item(2, {})];
  assert.deepEqual(select(items, 'name:x'), [1]);
  assert.deepEqual(select(items, 'NOT name:x'), [2]);
  assert.deepEqual(select(items, 'NOT name:y'), [1, 2]);
  assert.deepEqual(select(items, 'NOT score>5'), [1, 2]);
  assert.deepEqual(select(items, 'NOT isSecurity:false'), [1, 2]);
  assert.deepEqual(select(items, 'NOT (name:x OR score:1)'), [2]);
  assert.deepEqual(select(items, 'NOT NOT name:x'), [1]);
});

test('multi-valued tokens match when any value matches; none (or only NULLs) is like NULL', () => {
  const items = [
    item(1, { tags: ['Prod', 'web'], ports: [22, 443] }),
    item(2, { tags: ['Production'], ports: [8080] }),
    item(3, { tags: [], ports: [] }),
    item(4, { tags: [null], ports: [null] }),
  ];
  assert.deepEqual(select(items, 'tags.name:prod'), [1, 2]);
  assert.deepEqual(select(items, 'tags.name:`prod`'), [1]);
  assert.deepEqual(select(items, 'NOT tags.name:`prod`'), [2, 3, 4]);
  assert.deepEqual(select(items, 'tags.name:web AND tags.name:`prod`'), [1]);
  assert.deepEqual(select(items, 'ports:[80..443]'), [1]);
  assert.deepEqual(select(items, 'ports>1000'), [2]);
  assert.deepEqual(select(items, 'NOT ports:[1..65535]'), [3, 4]);
});

test('token names ignore letter case; unknown tokens name themselves and list the valid ones', () => {
  const items = [item(1, { score: 3 })];
  assert.deepEqual(select(items, 'SCORE:3'), [1]);
  assert.deepEqual(select(items, 'Tags.Name:x OR score:3'), [1]);
  const error = validationError('score:1 AND vendorSeverty:Low');
  assert.equal(error.kind, 'unknown-token');
  assert.equal(error.position, 12);
  assert.equal(error.found, 'vendorSeverty');
  assert.equal(error.token, 'vendorSeverty');
  assert.match(error.message, /Unknown item token "vendorSeverty" \(did you mean vendorSeverity\?\) at position 12/);
  assert.equal(error.expected, 'one of the item tokens: name, title, vendorSeverity, score, ratio, publishedDate, modifiedDate, isSecurity, tags.name, ports');
  assert.doesNotMatch(validationError('zzz:1').message, /did you mean/);
});

test('values of the wrong type name the token and the type expected, at the value', () => {
  const cases: [string, number, string, RegExp, RegExp][] = [
    ['score:abc', 6, 'abc', /^a number$/, /number token score/],
    ['score:[1, 2x]', 10, '2x', /^a number$/, /number token score/],
    ['score:[1..Infinity]', 10, 'Infinity', /^a number$/, /number token score/],
    ['ports:0x10', 6, '0x10', /^a number$/, /number, multi-valued token ports/],
    ['publishedDate>yesterday', 14, 'yesterday', /^a date \(YYYY-MM-DD/, /date token publishedDate/],
    ['modifiedDate:2024-02-30', 13, '2024-02-30', /^a date/, /date token modifiedDate/],
    ['title>5', 5, '>', /":" followed by a text value/, /text token title cannot take a comparison/],
    ['name:[a..b]', 5, '[a..b]', /":" followed by a text value/, /string token name cannot take a range/],
    ['isSecurity:(0..1)', 11, '(0..1)', /true or false/, /boolean token isSecurity cannot take a range/],
    ['vendorSeverity>=Low', 14, '>=', /one of Critical/, /enum token vendorSeverity cannot take a comparison/],
    ['score:[5..1]', 10, '1', /not below the lower end 5/, /ends before it starts/],
    ['publishedDate:[2024-02-01..2024-01-31]', 27, '2024-01-31', /not below the lower end/, /ends before it starts/],
  ];
  for (const [query, position, found, expected, message] of cases) {
    const error = validationError(query);
    assert.equal(error.kind, 'type', query);
    assert.equal(error.position, position, `${query}: ${error.message}`);
    assert.equal(error.found, found, query);
    assert.match(error.expected, expected, query);
    assert.match(error.message, message, query);
    assert.ok(error.message.includes(`position ${position}`) && error.message.includes(error.expected), error.message);
  }
});

test('accessors: a property name or a function over domain objects', () => {
  interface Job { title: string; owner: { name: string } | null; schedule: { tags: { name: string }[] } }
  const jobTokens = defineQqlTokenTable<Job>({
    entity: 'job', table: 'jobs', primaryKey: 'id',
    tokens: [
      { name: 'name', type: 'string', column: 'title', accessor: 'title' },
      { name: 'createdBy', type: 'string', column: 'owner_name', accessor: (job) => job.owner?.name },
      { name: 'tags.name', type: 'string', multiValued: { table: 'job_tags', foreignKey: 'job_id', column: 'name' }, accessor: (job) => job.schedule.tags.map((t) => t.name) },
    ],
  });
  const jobs: Job[] = [
    { title: 'Nightly', owner: { name: 'ann' }, schedule: { tags: [{ name: 'Servers' }] } },
    { title: 'Weekly', owner: null, schedule: { tags: [] } },
  ];
  const run = (query: string) => jobs.filter(compileQqlToPredicate(parseQql(query), jobTokens)).map((j) => j.title);
  assert.deepEqual(run('name:night'), ['Nightly']);
  assert.deepEqual(run('NOT createdBy:`ann`'), ['Weekly']);
  assert.deepEqual(run('tags.name:server'), ['Nightly']);
});

test('values read tolerantly: numeric strings, bigints, Dates, booleans', () => {
  const loose = [
    { ...item(1, {}), score: '7' as unknown as number, published_at: new Date(MAY_1) as unknown as number, is_security: true as unknown as number },
    { ...item(2, {}), score: 7n as unknown as number, published_at: String(MAY_1) as unknown as number, is_security: 'false' as unknown as number },
  ];
  assert.deepEqual(select(loose, 'score:7'), [1, 2]);
  assert.deepEqual(select(loose, 'publishedDate:2024-05-01'), [1, 2]);
  assert.deepEqual(select(loose, 'isSecurity:true'), [1]);
});
