/**
 * The acceptance check of SSH scanning: two real machines reached through OpenSSH on loopback —
 * a Debian bookworm without its updates and a Debian trixie, each a debootstrapped root
 * filesystem behind a chrooted sshd user — scanned in one scan through the HTTP API with a
 * stored credential. For each, the missing packages and candidate versions equal what
 * `apt list --upgradable` reports inside that machine with the same sources.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestConsole, ST, waitForOperation, type TestConsole } from '../support/console-fixture.js';
import { requireOrSkip } from '../support/required-service.js';
import {
  aptUpgradableInside, debianRootfs, sshTargetsUnavailable, startSshServer, testUserPassword, type DebianSuite, type SshServer,
} from '../support/ssh-targets.js';
import { FULL_PATCH_SCAN_TEMPLATE_ID } from '../../src/scans/scan-templates.js';

const USER = 'pwtest-scan';

async function missingPackagesOf(console_: TestConsole, machine: any): Promise<Map<string, string>> {
  const patches = await console_.request('GET', `${new URL(machine.links.patches.href).pathname}?includePackages=true&count=1000`);
  assert.equal(patches.status, 200, patches.text);
  assert.equal(patches.json.links.next, undefined, 'all patches fit one page');
  const found = new Map<string, string>();
  for (const patch of patches.json.value) {
    if (patch.scanState !== 'MissingPatch') continue;
    for (const pkg of patch.packages) {
      const key = `${pkg.name}:${pkg.architecture}`;
      assert.ok(!found.has(key), `${key} appears in two missing patches`);
      found.set(key, pkg.candidateVersion);
    }
  }
  return found;
}

test('an SSH scan of bookworm and trixie machines finds exactly what apt list --upgradable reports inside each', { timeout: 1_800_000 }, async (t) => {
  const unavailable = sshTargetsUnavailable();
  if (!requireOrSkip(t, unavailable === undefined, unavailable ?? '')) return;
  const suites: DebianSuite[] = ['bookworm', 'trixie'];
  const rootfs = new Map<DebianSuite, string>();
  for (const suite of suites) rootfs.set(suite, await debianRootfs(suite));
  const password = await testUserPassword(USER);

  const servers = new Map<DebianSuite, SshServer>();
  t.after(async () => { for (const server of servers.values()) await server.stop(); });
  for (const suite of suites) {
    servers.set(suite, await startSshServer({ hostname: `pw-${suite}-target`, users: [{ name: USER, chroot: rootfs.get(suite)! }] }));
  }
  const expected = new Map<DebianSuite, Map<string, string>>();
  for (const suite of suites) {
    const apt = await aptUpgradableInside(rootfs.get(suite)!);
    expected.set(suite, new Map(apt.map((a) => [`${a.name}:${a.architecture}`, a.candidate])));
  }

  const console_ = await startTestConsole();
  t.after(() => console_.close());
  const credential = await console_.request('POST', `${ST}/credentials`, { body: { name: 'targets', userName: USER, password: { clearText: password } } });
  assert.equal(credential.status, 201, credential.text);
  const started = await console_.request('POST', `${ST}/patch/scans`, {
    body: {
      name: 'ssh apt comparison', templateId: FULL_PATCH_SCAN_TEMPLATE_ID, credentialId: credential.json.id,
      endpointNames: suites.map((suite) => servers.get(suite)!.endpoint), sshServerValidationMode: 'SkipServerAuthentication',
    },
  });
  assert.equal(started.status, 202, started.text);
  const operation = await waitForOperation(console_, started.headers.get('operation-location')!, 900_000);
  assert.equal(operation.status, 'Succeeded', JSON.stringify(operation));
  const machines = await console_.request('GET', `${ST}/patch/scans/${started.json.id}/machines`);
  assert.equal(machines.json.count, 2);

  for (const suite of suites) {
    const machine = machines.json.value.find((m: any) => m.name === `pw-${suite}-target`);
    assert.ok(machine, `a machine named pw-${suite}-target in ${JSON.stringify(machines.json.value.map((m: any) => m.name))}`);
    assert.equal(machine.errorNumber, 0, machine.errorDescription);
    const found = await missingPackagesOf(console_, machine);
    const wanted = expected.get(suite)!;
    assert.deepEqual([...wanted.keys()].filter((k) => !found.has(k)), [], `${suite}: packages apt reports as upgradable but the scan did not`);
    assert.deepEqual([...found.keys()].filter((k) => !wanted.has(k)), [], `${suite}: packages the scan reports missing but apt does not`);
    for (const [key, candidate] of wanted) assert.equal(found.get(key), candidate, `${suite}: candidate version of ${key}`);
    t.diagnostic(`${suite}: apt and the scan agree on ${wanted.size} upgradable packages in ${machine.missingPatchCount} patches`);
  }

  // The scan recorded each server's key, with the fingerprint OpenSSH itself computes.
  const keys = await console_.request('GET', `${ST}/sshhostkeys?count=100`);
  assert.equal(keys.status, 200, keys.text);
  for (const server of servers.values()) {
    const recorded = keys.json.value.filter((k: any) => k.endpoint === server.endpoint);
    assert.deepEqual(recorded.map((k: any) => [k.fingerprint, k.trusted]), [[server.fingerprint(), false]]);
  }
});
