/**
 * The catalog's memory of mirrors that failed: a distribution whose mirror could not be reached
 * or answered with an HTTP error is not tried again for a while (each machine scanned meanwhile
 * would wait for the same mirror), but reported as failed with the original reason; a forced
 * sync tries it at once, the other distributions are not held back, and a success forgets it.
 *
 * A local 127.0.0.1 HTTP server answers 503 (with `Retry-After: 0`, so the sync's own retries
 * are immediate) or serves a real Debian InRelease and Packages.xz (test/fixtures/apt).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import pino from 'pino';
import { migrateToLatest } from '../../src/db/migrate.js';
import { CatalogService } from '../../src/catalog/catalog-service.js';
import type { AptSourceEntry } from '../../src/catalog/sources/apt-repo/types.js';
import { openTestStore, testStore } from '../support/test-database.js';

const FIXTURES = new URL('../fixtures/apt/bookworm-updates/', import.meta.url);
const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const DIST = '/debian/dists/bookworm-updates';
const WAIT_MS = 1_500;

test(`a distribution whose mirror failed is not tried again for a while, unless forced (${testStore()})`, { timeout: 60_000 }, async (t) => {
  const { db } = await openTestStore(t, 'sync-failures');
  await migrateToLatest(db);
  const files = new Map([
    [`${DIST}/InRelease`, readFileSync(new URL('InRelease', FIXTURES))],
    [`${DIST}/main/binary-amd64/Packages.xz`, readFileSync(new URL('Packages.xz', FIXTURES))],
  ]);
  let failing = true;
  const requested: string[] = [];
  const server = createServer((request, response) => {
    const path = request.url ?? '';
    requested.push(path);
    const file = files.get(path);
    if (failing && path.startsWith(DIST)) {
      response.writeHead(503, { 'retry-after': '0' }).end('down for maintenance');
    } else if (file) {
      response.writeHead(200, { 'content-length': file.length }).end(file);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const source = (suite: string, path = '/debian'): AptSourceEntry => ({
    type: 'deb', uri: `${base}${path}`, suite, components: ['main'], enabled: true, file: 'test', signedBy: [DEBIAN_KEYRING],
  });
  const updates = source('bookworm-updates');
  const other = source('stable', '/elsewhere');
  // Checked again at each sync once synced (no recheck window), so only the failure memory holds a sync back.
  const catalog = new CatalogService(db, pino({ level: 'silent' }), { recheckAfterMs: 0, retryFailedAfterMs: WAIT_MS });
  const sync = async (entries: AptSourceEntry[], force = false) => {
    requested.length = 0;
    const report = await catalog.syncSources(entries, ['amd64'], { force });
    return { report, requested: [...requested] };
  };

  const first = await sync([updates]);
  assert.deepEqual(first.requested, [`${DIST}/InRelease`, `${DIST}/InRelease`, `${DIST}/InRelease`], 'the sync itself retried twice');
  assert.equal(first.report.errors.length, 1);
  assert.match(first.report.errors[0], /InRelease returned HTTP 503 Service Unavailable \(tried 3 times\)$/);
  assert.equal(first.report.anyIndexAvailable, false);
  const failedAt = Date.now();

  // Right after: the failed distribution is held back with its reason; another one on the same server is tried.
  const held = await sync([updates, other]);
  assert.deepEqual(held.requested.filter((path) => path.startsWith(DIST)), [], 'the failed mirror is not asked again');
  assert.ok(held.requested.some((path) => path.startsWith('/elsewhere/dists/stable/')), 'another distribution is still tried');
  const heldError = held.report.errors.find((error) => error.includes(DIST));
  assert.ok(heldError, `the held distribution is reported: ${JSON.stringify(held.report.errors)}`);
  assert.match(heldError, /InRelease returned HTTP 503 Service Unavailable \(tried 3 times\) \(\d+ s ago; not tried again before \d{4}-\d\d-\d\dT[\d:.]+Z\)$/);
  const until = Date.parse(heldError.match(/before (\S+)\)$/)![1]);
  assert.ok(Math.abs(until - (failedAt + WAIT_MS)) < 1_000, `held until about ${WAIT_MS} ms after the failure (${new Date(until).toISOString()})`);

  // A forced sync (the CLI's) asks at once.
  const forced = await sync([updates], true);
  assert.equal(forced.requested.filter((path) => path === `${DIST}/InRelease`).length, 3);
  assert.match(forced.report.errors[0], /\(tried 3 times\)$/, 'a fresh failure, not the remembered one');

  // Once the time has passed, the mirror (now back) is asked, and the success is not held back afterwards.
  failing = false;
  const stillHeld = await sync([updates]);
  assert.deepEqual(stillHeld.requested, [], 'the forced failure started a new wait');
  await new Promise((resolve) => setTimeout(resolve, WAIT_MS + 100));
  const recovered = await sync([updates]);
  assert.deepEqual(recovered.report.errors, []);
  assert.equal(recovered.report.anyIndexAvailable, true);
  assert.deepEqual(recovered.report.changed, [`${base}/debian bookworm-updates`]);
  assert.ok(recovered.requested.includes(`${DIST}/main/binary-amd64/Packages.xz`));

  failing = true;
  const failedAgain = await sync([updates]);
  assert.equal(failedAgain.requested.length, 3, 'a success forgets the earlier failure; the new one is tried');
  assert.equal(failedAgain.report.anyIndexAvailable, true, 'the stored catalog still serves');
});

test(`a failure that is not the mirror's (a bad signature) is tried again at the next sync (${testStore()})`, { timeout: 60_000 }, async (t) => {
  const { db } = await openTestStore(t, 'sync-signature-failure');
  await migrateToLatest(db);
  const inRelease = readFileSync(new URL('InRelease', FIXTURES)).toString('utf8').replace('Codename: bookworm-updates', 'Codename: bookworm-updatez');
  let requests = 0;
  const server = createServer((request, response) => {
    requests++;
    if (request.url === `${DIST}/InRelease`) response.writeHead(200).end(inRelease);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const entry: AptSourceEntry = {
    type: 'deb', uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/debian`, suite: 'bookworm-updates',
    components: ['main'], enabled: true, file: 'test', signedBy: [DEBIAN_KEYRING],
  };
  const catalog = new CatalogService(db, pino({ level: 'silent' }), { retryFailedAfterMs: 60_000 });
  for (let attempt = 1; attempt <= 2; attempt++) {
    requests = 0;
    const report = await catalog.syncSources([entry], ['amd64']);
    assert.equal(report.errors.length, 1);
    assert.doesNotMatch(report.errors[0], /not tried again/);
    assert.ok(requests >= 1, `attempt ${attempt} asked the mirror`);
  }
});
