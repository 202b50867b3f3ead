/**
 * A scan that names no stored credential logs on with the scanning user's session credential
 * (`POST /sessioncredentials`), as that console user, against a real OpenSSH server on loopback;
 * without one the machine gets errorNumber 1001, and another user's session credential is never
 * used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ST, startTestConsole, waitForOperation, type TestConsole } from '../support/console-fixture.js';
import { requireOrSkip } from '../support/required-service.js';
import { basicAuth, createUser } from '../support/st-wire-assertions.js';
import { debianRootfs, sshTargetsUnavailable, startSshServer, testUserPassword } from '../support/ssh-targets.js';
import { FULL_PATCH_SCAN_TEMPLATE_ID } from '../../src/scans/scan-templates.js';
import { ScanErrorNumber } from '../../src/scans/scan-errors.js';

/** The console user and the SSH account share this name, as a session credential logs on as the console user. */
const USER = 'pwtest-session';

async function scanAs(c: TestConsole, auth: string, endpoint: string) {
  const started = await c.request('POST', `${ST}/patch/scans`, {
    auth, body: { name: 'session scan', templateId: FULL_PATCH_SCAN_TEMPLATE_ID, endpointNames: [endpoint], sshServerValidationMode: 'SkipServerAuthentication' },
  });
  assert.equal(started.status, 202, started.text);
  const operation = await waitForOperation(c, started.headers.get('operation-location')!, 300_000);
  const machines = await c.request('GET', `${ST}/patch/scans/${started.json.id}/machines`, { auth });
  assert.equal(machines.status, 200, machines.text);
  assert.equal(machines.json.value.length, 1);
  return { operation, machine: machines.json.value[0] };
}

test('a scan without a stored credential logs on with the scanning user\'s session credential', { timeout: 600_000 }, async (t) => {
  const unavailable = sshTargetsUnavailable();
  if (!requireOrSkip(t, unavailable === undefined, unavailable ?? '')) return;
  const password = await testUserPassword(USER);
  const server = await startSshServer({ hostname: 'pw-session-target', users: [{ name: USER, chroot: await debianRootfs('bookworm') }] });
  const c = await startTestConsole({ ssh: { startJitterMs: 0 } });
  t.after(async () => {
    await server.stop();
    await c.close();
  });
  await createUser(c.running, USER, password);
  const userAuth = basicAuth(USER, password);

  // No stored credential and no session credential: nothing to log on with.
  const without = await scanAs(c, userAuth, server.endpoint);
  assert.equal(without.machine.errorNumber, ScanErrorNumber.RemoteScanningNotConfigured, without.machine.errorDescription);
  assert.match(without.machine.errorDescription, /POST \/sessioncredentials/);

  // The administrator's session credential is theirs alone: it does not log this user on.
  assert.equal((await c.request('POST', `${ST}/sessioncredentials`, { body: { clearText: password } })).status, 201);
  const othersOnly = await scanAs(c, userAuth, server.endpoint);
  assert.equal(othersOnly.machine.errorNumber, ScanErrorNumber.RemoteScanningNotConfigured, othersOnly.machine.errorDescription);

  // With the user's own session credential the machine is scanned, under its own host name.
  const created = await c.request('POST', `${ST}/sessioncredentials`, { auth: userAuth, body: { clearText: password } });
  assert.equal(created.status, 201, created.text);
  const scanned = await scanAs(c, userAuth, server.endpoint);
  assert.equal(scanned.operation.status, 'Succeeded', JSON.stringify(scanned.operation));
  assert.equal(scanned.machine.errorNumber, 0, scanned.machine.errorDescription);
  assert.equal(scanned.machine.name, 'pw-session-target');
  assert.ok(scanned.machine.installedPatchCount + scanned.machine.missingPatchCount > 0, 'the scanned machine has results');

  // A wrong session password is refused by the server like any wrong password.
  assert.equal((await c.request('DELETE', `${ST}/sessioncredentials`, { auth: userAuth })).status, 204);
  assert.equal((await c.request('POST', `${ST}/sessioncredentials`, { auth: userAuth, body: { clearText: `${password}-wrong` } })).status, 201);
  const refused = await scanAs(c, userAuth, server.endpoint);
  assert.equal(refused.machine.errorNumber, ScanErrorNumber.AuthenticationRefused, refused.machine.errorDescription);
});
