import type { TestContext } from 'node:test';

/**
 * A test that needs something from the machine (root, apt, the network) skips with a loud
 * reason when it is missing — except under CI=true, where a missing dependency is a failure.
 */
export function requireOrSkip(t: TestContext, available: boolean, what: string): boolean {
  if (available) return true;
  if (process.env.CI === 'true') throw new Error(`required for this test under CI: ${what}`);
  const line = `SKIPPED ${t.name}: ${what}`;
  process.stderr.write(`\n${'!'.repeat(line.length)}\n${line}\n${'!'.repeat(line.length)}\n`);
  t.skip(what);
  return false;
}
