/**
 * The suite repeats its failures at the end of its output from the TAP report: checked against
 * a report the test runner really writes for a file with failing tests of every shape.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeTapFailures, tapFailures } from '../support/tap-failures.js';

const FAILING_FILE = `
import { test, describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
test('passes', () => {});
test('fails an assertion', () => { assert.equal(1, 2, "one isn't two"); });
describe('a suite', () => {
  it('throws a two-line error', () => { throw new Error('first line\\nsecond line'); });
  it('passes inside', () => {});
});
test('skipped', { skip: 'not here' }, () => {});
test('name with # and a quote\\'s', async () => { await assert.rejects(Promise.resolve(), /never/); });
describe('a suite whose hook fails', () => {
  after(() => { throw new Error('cleanup broke'); });
  it('passes before the hook', () => {});
});
`;

function runnerTap(): { tap: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pw-tap-'));
  writeFileSync(join(dir, 'sample.test.mjs'), FAILING_FILE);
  // Without the variable that makes a runner started by a test report to its parent instead.
  const { NODE_TEST_CONTEXT: _parent, ...env } = process.env;
  const run = spawnSync(process.execPath, ['--test', '--test-reporter=tap', 'sample.test.mjs'], { cwd: dir, encoding: 'utf8', env });
  assert.notEqual(run.status, 0, 'the sample fails');
  return { tap: run.stdout, dir };
}

test('tapFailures lists each failed test with its location and whole error, not the suites around it', () => {
  const { tap, dir } = runnerTap();
  try {
    const failures = tapFailures(tap);
    assert.deepEqual(failures.map((f) => f.name), ['fails an assertion', 'throws a two-line error', "name with # and a quote's", 'a suite whose hook fails']);
    assert.deepEqual(failures.map((f) => f.failureType), ['testCodeFailure', 'testCodeFailure', 'testCodeFailure', 'hookFailed']);
    assert.match(failures[0].location ?? '', /sample\.test\.mjs:5:1$/);
    assert.match(failures[0].error, /^one isn't two\n\n1 !== 2/);
    assert.equal(failures[1].error, 'first line\nsecond line');
    assert.equal(failures[2].error, 'Missing expected rejection.', 'a single-quoted scalar');
    assert.match(failures[3].error, /cleanup broke/);

    const text = describeTapFailures(failures, dir, 1);
    assert.match(text, /^✖ fails an assertion\n {2}at sample\.test\.mjs:5:1 \(testCodeFailure\)\n {2}one isn't two\n {2}\.\.\. \(\d+ more lines\)\n\n✖ throws a two-line error\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a report without failures gives none', () => {
  assert.deepEqual(tapFailures('TAP version 13\n# Subtest: ok\nok 1 - ok\n  ---\n  duration_ms: 1\n  ...\n1..1\n'), []);
  assert.deepEqual(tapFailures(''), []);
});
