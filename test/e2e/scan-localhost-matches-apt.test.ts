/**
 * The acceptance check of the foundation: after `apt-get update`, a patch scan of localhost
 * through the HTTP API finds exactly the binary packages and candidate versions that
 * `apt list --upgradable` reports, and every candidate apt attributes to a -security suite
 * belongs to a SecurityPatch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startTestConsole, ST, waitForOperation } from '../support/console-fixture.js';
import { requireOrSkip } from '../support/required-service.js';
import { FULL_PATCH_SCAN_TEMPLATE_ID } from '../../src/scans/scan-templates.js';

interface AptUpgradable { name: string; architecture: string; version: string; suites: string[] }

/** Parses `apt list --upgradable`: `name/suite1,suite2 version arch [upgradable from: old]`. */
function aptListUpgradable(): AptUpgradable[] {
  const out = execFileSync('apt', ['list', '--upgradable'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
  const result: AptUpgradable[] = [];
  for (const line of out.split('\n')) {
    const match = /^(\S+?)\/(\S+)\s+(\S+)\s+(\S+)\s+\[upgradable from: /.exec(line);
    if (!match) continue;
    result.push({ name: match[1].replace(/:[^:]+$/, ''), suites: match[2].split(','), version: match[3], architecture: match[4] });
  }
  return result;
}

test('a localhost scan finds exactly what apt list --upgradable reports', { timeout: 600_000 }, async (t) => {
  const isRoot = process.getuid?.() === 0;
  if (!requireOrSkip(t, isRoot && existsSync('/usr/bin/apt-get'), 'root and apt-get (to run apt-get update on a Debian host)')) return;
  const update = spawnSync('apt-get', ['update', '-q'], { encoding: 'utf8', timeout: 300_000 });
  if (!requireOrSkip(t, update.status === 0, `apt-get update succeeding (it said: ${(update.stderr || update.stdout).slice(-300)})`)) return;
  const apt = aptListUpgradable();

  const console_ = await startTestConsole();
  t.after(() => console_.close());
  const started = await console_.request('POST', `${ST}/patch/scans`, {
    body: { name: 'apt comparison', templateId: FULL_PATCH_SCAN_TEMPLATE_ID, endpointNames: ['localhost'] },
  });
  assert.equal(started.status, 202, started.text);
  const operation = await waitForOperation(console_, started.headers.get('operation-location')!, 300_000);
  assert.equal(operation.status, 'Succeeded', JSON.stringify(operation));
  const machines = await console_.request('GET', `${ST}/patch/scans/${started.json.id}/machines`);
  assert.equal(machines.json.count, 1);
  const machine = machines.json.value[0];
  assert.equal(machine.errorNumber, 0, machine.errorDescription);
  const patches = await console_.request('GET', `${new URL(machine.links.patches.href).pathname}?includePackages=true&count=1000`);
  assert.equal(patches.status, 200);
  assert.equal(patches.json.links.next, undefined, 'all patches fit one page');

  const found = new Map<string, { version: string; patchType: string }>();
  for (const patch of patches.json.value) {
    if (patch.scanState !== 'MissingPatch') continue;
    for (const pkg of patch.packages) {
      const key = `${pkg.name}:${pkg.architecture}`;
      assert.ok(!found.has(key), `${key} appears in two missing patches`);
      found.set(key, { version: pkg.candidateVersion, patchType: patch.patchType });
    }
  }
  const expected = new Map(apt.map((a) => [`${a.name}:${a.architecture}`, a]));
  const missingFromScan = [...expected.keys()].filter((k) => !found.has(k));
  const notInApt = [...found.keys()].filter((k) => !expected.has(k));
  assert.deepEqual(missingFromScan, [], 'packages apt reports as upgradable but the scan did not');
  assert.deepEqual(notInApt, [], 'packages the scan reports missing but apt does not');
  for (const [key, aptEntry] of expected) {
    assert.equal(found.get(key)!.version, aptEntry.version, `candidate version of ${key}`);
    if (aptEntry.suites.some((s) => s.endsWith('-security'))) {
      assert.equal(found.get(key)!.patchType, 'SecurityPatch', `${key} comes from ${aptEntry.suites.join(',')}`);
    }
  }
  assert.equal(machine.missingPatchCount, patches.json.value.filter((p: any) => p.scanState === 'MissingPatch').length);
  t.diagnostic(`apt and the scan agree on ${expected.size} upgradable packages in ${machine.missingPatchCount} patches`);
});
