import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PerScanLimiter } from '../../src/scans/scan-concurrency.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

test('a scan never runs more machines at once than its threadCount; other scans are not held back', async () => {
  const limiter = new PerScanLimiter();
  let active = 0;
  let peak = 0;
  const gates = Array.from({ length: 5 }, deferred);
  const runs = gates.map((gate, i) => limiter.run('scan-a', 2, async () => {
    active++;
    peak = Math.max(peak, active);
    await gate.promise;
    active--;
    return i;
  }));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(limiter.activeFor('scan-a'), 2);
  assert.equal(active, 2);
  // Another scan gets its own slots at once.
  assert.equal(await limiter.run('scan-b', 1, async () => 'b'), 'b');
  for (const gate of gates) {
    gate.resolve();
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3, 4]);
  assert.equal(peak, 2);
  assert.equal(limiter.activeFor('scan-a'), 0);
});

test('a failing machine frees its slot', async () => {
  const limiter = new PerScanLimiter();
  await assert.rejects(limiter.run('scan', 1, async () => { throw new Error('unreachable'); }), /unreachable/);
  assert.equal(await limiter.run('scan', 1, async () => 'next'), 'next');
  assert.equal(limiter.activeFor('scan'), 0);
});
