/**
 * A console killed in the middle of an SSH scan (SIGKILL: no graceful stop) and started again on
 * the same data directory and database finishes the scan: every machine ends Done exactly once,
 * the counts add up, and no machine has a half-written result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConsole } from '../../src/api/console.js';
import { ST, TEST_ADMIN_PASSWORD, waitForOperation, type TestConsole } from '../support/console-fixture.js';
import { requireOrSkip } from '../support/required-service.js';
import { freshDatabaseUrl } from '../support/test-database.js';
import { closedPort, debianRootfs, sshTargetsUnavailable, startSshServer, testUserPassword, type SshServer } from '../support/ssh-targets.js';
import { startScan, storeCredential } from '../support/ssh-scan-requests.js';

const USER = 'pwtest-scan';
const MACHINES = 6;

/** A client for a console that is not a TestConsole (a child process, or one started here). */
function clientFor(url: string, dataDir: string): TestConsole {
  const basicAuth = `Basic ${Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString('base64')}`;
  return {
    running: undefined as never, url, dataDir, basicAuth,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { authorization: basicAuth };
      let body: string | undefined;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] = 'application/json';
      }
      const response = await fetch(new URL(path, url), { method, headers, body });
      const text = await response.text();
      return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined, text };
    },
    close: async () => undefined,
  };
}

test('a console killed mid-scan resumes the scan after a restart: each machine done exactly once', { timeout: 600_000 }, async (t) => {
  const unavailable = sshTargetsUnavailable();
  if (!requireOrSkip(t, unavailable === undefined, unavailable ?? '')) return;
  const bookworm = await debianRootfs('bookworm');
  const password = await testUserPassword(USER);
  const servers: SshServer[] = [];
  // Cleanups run last-registered first: the console closes before its database is dropped.
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  t.after(async () => {
    const failures: unknown[] = [];
    for (const cleanup of cleanups.reverse()) {
      try { await cleanup(); } catch (error) { failures.push(error); }
    }
    if (failures.length > 0) throw failures[0];
  });
  cleanups.push(async () => { for (const server of servers) await server.stop(); });
  // The last two machines answer only after a long pause, so they are still being collected
  // when the console dies; once it is dead they answer at once.
  const slowUntilKill = (i: number) => i > MACHINES - 2;
  for (let i = 1; i <= MACHINES; i++) {
    servers.push(await startSshServer({
      hostname: `pw-resume-${i}`,
      users: [{ name: USER, chroot: bookworm, forceCommand: `sleep ${slowUntilKill(i) ? 60 : 1}; exec sh -c "$SSH_ORIGINAL_COMMAND"` }],
    }));
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'patchwarden-resume-'));
  const database = await freshDatabaseUrl();
  cleanups.push(async () => {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  // The first console runs as a child process so that it can be killed without any cleanup.
  const port = await closedPort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir,
    '--log-level', 'error', ...(database.url ? ['--database-url', database.url] : [])], {
    cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATCHWARDEN_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, PATCHWARDEN_SSH_START_JITTER_MS: '0' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanups.push(async () => { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited; } });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); if (output.includes('is listening on')) resolve(); });
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.once('exit', (code) => reject(new Error(`the console exited early (${code}): ${output}`)));
  });
  const first = clientFor(`http://127.0.0.1:${port}`, dataDir);
  const credentialId = await storeCredential(first, 'fleet', USER, password);
  const template = await first.request('POST', `${ST}/patch/scanTemplates`, { body: { name: 'two at a time', threadCount: 2 } });
  assert.equal(template.status, 201, template.text);
  const { scanId } = await startScan(first, servers.map((s) => s.endpoint), {
    credentialId, sshServerValidationMode: 'SkipServerAuthentication', templateId: template.json.id,
  });

  // Kill it once some, but not all, machines are done.
  for (;;) {
    const scan = await first.request('GET', `${ST}/patch/scans/${scanId}`);
    if (scan.json.receivedResultCount >= 1) {
      assert.ok(scan.json.receivedResultCount < MACHINES, 'the scan was still running when the console was killed');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  await exited;
  for (const [i, server] of servers.entries()) {
    if (slowUntilKill(i + 1)) await server.restart({ users: [{ name: USER, chroot: bookworm }] });
  }

  const running = await startConsole({
    host: '127.0.0.1', port: 0, dataDir, databaseUrl: database.url, tls: 'off', adminPassword: TEST_ADMIN_PASSWORD, logger: false,
    ssh: { startJitterMs: 0 },
  });
  cleanups.push(() => running.close());
  const second = clientFor(running.url, dataDir);
  const operation = await waitForOperation(second, `${running.url}${ST}/operations/${scanId}`, 300_000);
  assert.equal(operation.status, 'Succeeded', JSON.stringify(operation));

  const scan = await second.request('GET', `${ST}/patch/scans/${scanId}`);
  assert.equal(scan.json.isComplete, true);
  assert.equal(scan.json.expectedResultTotal, MACHINES);
  assert.equal(scan.json.receivedResultCount, MACHINES);
  const machines = await second.request('GET', `${ST}/patch/scans/${scanId}/machines?count=1000`);
  assert.deepEqual(machines.json.value.map((m: any) => m.name).sort(), servers.map((s) => s.hostname).sort());
  for (const machine of machines.json.value) {
    assert.equal(machine.errorNumber, 0, `${machine.name}: ${machine.errorDescription}`);
    // No half-written result: the stored patches are exactly the ones counted.
    const patches = await second.request('GET', `${new URL(machine.links.patches.href).pathname}?count=1000`);
    assert.equal(patches.json.value.length, machine.installedPatchCount + machine.missingPatchCount, machine.name);
    assert.equal(new Set(patches.json.value.map((p: any) => p.patchId)).size, patches.json.value.length, `${machine.name}: no patch twice`);
  }
  const rows = await running.db.kysely.selectFrom('scan_machines').select(['state']).where('scan_id', '=', scanId).execute();
  assert.deepEqual(rows.map((r) => r.state), Array(MACHINES).fill('Done'));
  const assets = await running.db.kysely.selectFrom('machines').select(['name']).where('name', 'like', 'pw-resume-%').execute();
  assert.equal(assets.length, MACHINES, 'each machine recorded once');
});
