/**
 * SSH scan faults against real OpenSSH servers on loopback: each broken machine gets its own
 * errorNumber and a specific errorDescription, and the healthy machines of the same scan are
 * still scanned. Host keys: Blocked refuses unknown and changed keys until trusted through the
 * API or the CLI.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestConsole, ST, type TestConsole } from '../support/console-fixture.js';
import { requireOrSkip } from '../support/required-service.js';
import { freshDatabaseUrl } from '../support/test-database.js';
import {
  bookwormRootfsWithSudo, closedPort, debianRootfs, foreignRootfs, sshTargetsUnavailable, startSshServer, testUserPassword, type SshServer, type SshTargetUser,
} from '../support/ssh-targets.js';
import { machineNamed, scanEndpoints, storeCredential } from '../support/ssh-scan-requests.js';
import { ScanErrorNumber } from '../../src/scans/scan-errors.js';
import type { SshCollectionSettings } from '../../src/scans/ssh-scan-collection.js';

const run = promisify(execFile);
const USER = 'pwtest-scan';
const COMMAND_TIMEOUT_MS = 3_000;

interface Fleet {
  console_: TestConsole;
  credentialId: string;
  databaseUrl?: string;
  server(hostname: string, user?: Partial<SshTargetUser>, extraConfig?: string[]): Promise<SshServer>;
}

async function fleet(t: TestContext, ssh: Partial<SshCollectionSettings> = {}): Promise<Fleet | undefined> {
  const unavailable = sshTargetsUnavailable();
  if (!requireOrSkip(t, unavailable === undefined, unavailable ?? '')) return undefined;
  const bookworm = await debianRootfs('bookworm');
  const password = await testUserPassword(USER);
  const database = await freshDatabaseUrl();
  const console_ = await startTestConsole({
    databaseUrl: database.url, ssh: { commandTimeoutMs: COMMAND_TIMEOUT_MS, connectTimeoutMs: 5_000, startJitterMs: 20, ...ssh },
  });
  const servers: SshServer[] = [];
  t.after(async () => {
    for (const server of servers) await server.stop();
    await console_.close();
    await database.drop();
  });
  const credentialId = await storeCredential(console_, 'fleet', USER, password);
  return {
    console_, credentialId, databaseUrl: database.url,
    async server(hostname, user = {}, extraConfig = []) {
      const server = await startSshServer({ hostname, users: [{ name: USER, chroot: bookworm, ...user }], extraConfig });
      servers.push(server);
      return server;
    },
  };
}

test('each broken machine gets its own error, and the healthy machine of the same scan is scanned', { timeout: 600_000 }, async (t) => {
  const f = await fleet(t);
  if (!f) return;
  const healthy = await f.server('pw-healthy-target');
  const slow = await f.server('pw-slow-target', { forceCommand: 'exec sleep 60' });
  const dropping = await f.server('pw-dropping-target', {
    forceCommand: String.raw`printf '@@patchwarden:begin@@ 1\n@@patchwarden:os-release@@\n|ID=debian\n'; kill -KILL $PPID`,
  });
  const foreign = await f.server('pw-foreign-target', {
    chroot: await foreignRootfs('NAME="Toy OS"\nID=toyos\nVERSION_ID=7\nPRETTY_NAME="Toy OS 7 (Plan)"\n'),
  });
  const noPasswords = await f.server('pw-keys-only-target', {}, ['PasswordAuthentication no']);
  const unreachable = `127.0.0.1:${await closedPort()}`;

  const outcome = await scanEndpoints(f.console_, [healthy.endpoint, slow.endpoint, dropping.endpoint, foreign.endpoint, noPasswords.endpoint, unreachable], {
    credentialId: f.credentialId, sshServerValidationMode: 'SkipServerAuthentication',
  });
  assert.equal(outcome.operation.status, 'Succeeded', JSON.stringify(outcome.operation));
  assert.equal(outcome.machines.length, 6);

  const ok = machineNamed(outcome, 'pw-healthy-target');
  assert.equal(ok.errorNumber, 0, ok.errorDescription);
  assert.ok(ok.installedPatchCount + ok.missingPatchCount > 0, 'the healthy machine has results');

  const timedOut = machineNamed(outcome, slow.endpoint);
  assert.equal(timedOut.errorNumber, ScanErrorNumber.CommandTimedOut, timedOut.errorDescription);
  assert.equal(timedOut.errorDescription,
    `the inventory probe on ${slow.endpoint} did not finish within ${COMMAND_TIMEOUT_MS} ms and was stopped (command timeout: PATCHWARDEN_SSH_COMMAND_TIMEOUT_MS)`);

  const dropped = machineNamed(outcome, dropping.endpoint);
  assert.equal(dropped.errorNumber, ScanErrorNumber.ConnectionDropped, dropped.errorDescription);
  assert.match(dropped.errorDescription, new RegExp(`^the (connection to|session on) ${USER}@127\\.0\\.0\\.1:${dropping.port} (was lost|ended without an exit status) (while collecting \\(after \\d+ bytes of output\\)|before the probe started)$`));

  const unsupported = machineNamed(outcome, foreign.endpoint);
  assert.equal(unsupported.errorNumber, ScanErrorNumber.UnsupportedOperatingSystem, unsupported.errorDescription);
  assert.match(unsupported.errorDescription, /Toy OS 7 \(Plan\)/);

  const refused = machineNamed(outcome, noPasswords.endpoint);
  assert.equal(refused.errorNumber, ScanErrorNumber.AuthenticationRefused, refused.errorDescription);
  assert.equal(refused.errorDescription, `127.0.0.1:${noPasswords.port} refused the authentication of user ${USER} (password tried)`);

  const down = machineNamed(outcome, unreachable);
  assert.equal(down.errorNumber, ScanErrorNumber.MachineUnreachable, down.errorDescription);
  assert.equal(down.errorDescription, `cannot connect to ${unreachable}: connection refused (no SSH server listens on that port)`);

  const scan = await f.console_.request('GET', `${ST}/patch/scans/${outcome.scanId}`);
  assert.equal(scan.json.receivedResultCount, 6);
  assert.equal(scan.json.isComplete, true);
});

test('a wrong password is refused with its own error', { timeout: 300_000 }, async (t) => {
  const f = await fleet(t);
  if (!f) return;
  const server = await f.server('pw-password-target');
  const wrong = await storeCredential(f.console_, 'wrong password', USER, 'not-the-password');
  const outcome = await scanEndpoints(f.console_, [server.endpoint], { credentialId: wrong, sshServerValidationMode: 'SkipServerAuthentication' });
  const machine = machineNamed(outcome, server.endpoint);
  assert.equal(machine.errorNumber, ScanErrorNumber.AuthenticationRefused);
  assert.equal(machine.errorDescription, `127.0.0.1:${server.port} refused the authentication of user ${USER} (password tried)`);
  assert.equal(outcome.operation.status, 'Failed', 'a scan whose only machine failed fails');
});

test('Blocked refuses unknown and changed host keys until they are trusted through the API or the CLI', { timeout: 600_000 }, async (t) => {
  const f = await fleet(t);
  if (!f) return;
  const unknown = await f.server('pw-unknown-key-target');
  const known = await f.server('pw-known-key-target');
  const pretrusted = await f.console_.request('POST', `${ST}/sshhostkeys`, { body: { endpoint: known.endpoint, publicKey: await known.publicKeyLine() } });
  assert.equal(pretrusted.status, 200, pretrusted.text);
  assert.equal(pretrusted.json.fingerprint, known.fingerprint());
  assert.equal(pretrusted.json.trusted, true);

  // An unknown key is refused, with the fingerprint OpenSSH prints and how to trust it.
  const first = await scanEndpoints(f.console_, [unknown.endpoint, known.endpoint], { credentialId: f.credentialId });
  const refused = machineNamed(first, unknown.endpoint);
  assert.equal(refused.errorNumber, ScanErrorNumber.UnknownHostKey, refused.errorDescription);
  assert.ok(refused.errorDescription.startsWith(`the SSH host key of ${unknown.endpoint} is not trusted yet: the server presented ssh-ed25519 ${unknown.fingerprint()} (first seen `), refused.errorDescription);
  assert.ok(refused.errorDescription.includes(`patchwarden hosts trust ${unknown.endpoint} ${unknown.fingerprint()}`), refused.errorDescription);
  assert.equal(machineNamed(first, 'pw-known-key-target').errorNumber, 0, 'the machine with a trusted key is scanned');

  // The refused key was recorded, untrusted; trusting it through the API lets the next scan in.
  const listed = await f.console_.request('GET', `${ST}/sshhostkeys?endpoint=${unknown.endpoint}`);
  assert.deepEqual(listed.json.value.map((k: any) => [k.fingerprint, k.trusted]), [[unknown.fingerprint(), false]]);
  const trusted = await f.console_.request('POST', `${ST}/sshhostkeys`, { body: { endpoint: unknown.endpoint, fingerprint: unknown.fingerprint() } });
  assert.equal(trusted.status, 200, trusted.text);
  assert.equal(trusted.json.trusted, true);
  assert.equal(trusted.json.trustedBy, 'admin');
  const second = await scanEndpoints(f.console_, [unknown.endpoint], { credentialId: f.credentialId });
  assert.equal(machineNamed(second, 'pw-unknown-key-target').errorNumber, 0);

  // The server gets a new key: refused as changed, naming both keys.
  const oldFingerprint = unknown.fingerprint();
  await unknown.restart({ newHostKey: true });
  assert.notEqual(unknown.fingerprint(), oldFingerprint);
  const third = await scanEndpoints(f.console_, [unknown.endpoint, known.endpoint], { credentialId: f.credentialId });
  const changed = machineNamed(third, unknown.endpoint);
  assert.equal(changed.errorNumber, ScanErrorNumber.ChangedHostKey, changed.errorDescription);
  assert.ok(changed.errorDescription.startsWith(`the SSH host key of ${unknown.endpoint} has changed: the server presented ssh-ed25519 ${unknown.fingerprint()}, but the trusted key is ssh-ed25519 ${oldFingerprint}.`), changed.errorDescription);
  assert.equal(machineNamed(third, 'pw-known-key-target').errorNumber, 0);

  // Trusting the new key with the CLI replaces the old one.
  const cli = ['--import', 'tsx', 'src/cli/main.ts', 'hosts', 'trust', unknown.endpoint, unknown.fingerprint(), '--data-dir', f.console_.dataDir,
    ...(f.databaseUrl ? ['--database-url', f.databaseUrl] : [])];
  const { stdout } = await run(process.execPath, cli, { cwd: new URL('../..', import.meta.url).pathname });
  assert.equal(stdout.trim(), `trusted ssh-ed25519 ${unknown.fingerprint()} for ${unknown.endpoint}`);
  const fourth = await scanEndpoints(f.console_, [unknown.endpoint], { credentialId: f.credentialId });
  assert.equal(machineNamed(fourth, 'pw-unknown-key-target').errorNumber, 0);
  const keys = await f.console_.request('GET', `${ST}/sshhostkeys?endpoint=${unknown.endpoint}`);
  assert.deepEqual(keys.json.value.map((k: any) => [k.fingerprint, k.trusted]), [[oldFingerprint, false], [unknown.fingerprint(), true]]);

  // Forgetting a key makes it unknown again.
  const forgotten = await f.console_.request('DELETE', `${ST}/sshhostkeys/${keys.json.value[1].id}`);
  assert.equal(forgotten.status, 204);
  const fifth = await scanEndpoints(f.console_, [unknown.endpoint], { credentialId: f.credentialId });
  assert.equal(machineNamed(fifth, unknown.endpoint).errorNumber, ScanErrorNumber.UnknownHostKey);
});

test('runAsCredentialId runs the probe through sudo, and a wrong run-as password is refused', { timeout: 600_000 }, async (t) => {
  // sudo pauses after each wrong password (and tries three times): give it time.
  const f = await fleet(t, { commandTimeoutMs: 60_000 });
  if (!f) return;
  const withSudo = await bookwormRootfsWithSudo(USER);
  const server = await f.server('pw-sudo-target', { chroot: withSudo });
  const runAs = await storeCredential(f.console_, 'sudo', USER, await testUserPassword(USER));
  const wrongRunAs = await storeCredential(f.console_, 'wrong sudo', USER, 'not-the-password');

  const refused = await scanEndpoints(f.console_, [server.endpoint], { credentialId: f.credentialId, runAsCredentialId: wrongRunAs, sshServerValidationMode: 'SkipServerAuthentication' });
  const machine = machineNamed(refused, server.endpoint);
  assert.equal(machine.errorNumber, ScanErrorNumber.AuthenticationRefused, machine.errorDescription);
  assert.match(machine.errorDescription, new RegExp(`^sudo refused to run the probe on ${USER}@127\\.0\\.0\\.1:${server.port}: .*incorrect password`));
  assert.ok(!machine.errorDescription.includes('not-the-password'), 'the password never appears in the error');

  const accepted = await scanEndpoints(f.console_, [server.endpoint], { credentialId: f.credentialId, runAsCredentialId: runAs, sshServerValidationMode: 'SkipServerAuthentication' });
  const scanned = machineNamed(accepted, 'pw-sudo-target');
  assert.equal(scanned.errorNumber, 0, scanned.errorDescription);
  assert.ok(scanned.installedPatchCount + scanned.missingPatchCount > 0);
});

test('a credential holding an OpenSSH private key logs on with that key', { timeout: 300_000 }, async (t) => {
  const f = await fleet(t);
  if (!f) return;
  const server = await f.server('pw-key-target', {}, ['PasswordAuthentication no']);
  const dir = await mkdtemp(join(tmpdir(), 'patchwarden-key-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'scanner', '-f', join(dir, 'id')]);
  await server.authorizeKey(USER, await readFile(join(dir, 'id.pub'), 'utf8'));
  const keyCredential = await storeCredential(f.console_, 'key', USER, await readFile(join(dir, 'id'), 'utf8'));
  const outcome = await scanEndpoints(f.console_, [server.endpoint], { credentialId: keyCredential, sshServerValidationMode: 'SkipServerAuthentication' });
  const machine = machineNamed(outcome, 'pw-key-target');
  assert.equal(machine.errorNumber, 0, machine.errorDescription);
});

test('a machine that prints more than the output cap is refused without filling the console\'s memory', { timeout: 300_000 }, async (t) => {
  const f = await fleet(t, { maxOutputBytes: 4096 });
  if (!f) return;
  const server = await f.server('pw-chatty-target');
  const outcome = await scanEndpoints(f.console_, [server.endpoint], { credentialId: f.credentialId, sshServerValidationMode: 'SkipServerAuthentication' });
  const machine = machineNamed(outcome, server.endpoint);
  assert.equal(machine.errorNumber, ScanErrorNumber.CollectionFailed, machine.errorDescription);
  assert.equal(machine.errorDescription, `the probe on ${USER}@127.0.0.1:${server.port} printed more than 4096 bytes; output refused`);
});
