/**
 * SSH scanning of machines judged by advisories alone: a Rocky Linux 9.3 machine (real rpm
 * database of packages built with rpmbuild, queried by the real rpm inside the machine) and an
 * Alpine 3.19 machine (busybox, apk database), each a chroot behind its own OpenSSH server on
 * loopback. Advisories are written in the publishers' formats (Rocky's RLSA OSV records with the
 * epoch in the purl, Rocky's updateinfo.xml errata, Alpine's per-CVE OSV records named by origin)
 * and imported with `patchwarden advisories import osv|updateinfo`; one scan with a stored
 * credential covers both machines, and the expected states come from the real rpm's order.
 * Before the import, the Rocky machine is scanned with a warning that no advisories exist for
 * its release.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { alpineCve, rockyRlsa } from '../support/advisory-records.js';
import { alpineTargetUnavailable, buildAlpineTarget, type ApkInstalledPackage } from '../support/alpine-target.js';
import { startTestConsole, type TestConsole } from '../support/console-fixture.js';
import { requireOrSkip } from '../support/required-service.js';
import type { RpmSpec } from '../support/rpm-packages.js';
import { buildRockyTarget, rpmTargetUnavailable, rpmVercmp } from '../support/rpm-target.js';
import { rockyUpdateinfoXml } from '../support/rocky-updateinfo.js';
import { machineNamed, scanEndpoints, storeCredential } from '../support/ssh-scan-requests.js';
import { sshTargetsUnavailable, startSshServer, testUserPassword, type SshServer } from '../support/ssh-targets.js';
import { freshDatabaseUrl, testStore } from '../support/test-database.js';
import { ScanErrorNumber } from '../../src/scans/scan-errors.js';

const run = promisify(execFile);
const USER = 'pwtest-scan';
const RUNNING = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
const ROCKY_HOST = 'pw-rocky9-target';
const ALPINE_HOST = 'pw-alpine319-target';

type State = 'Missing' | 'Installed' | 'InstalledPendingReboot';

// ---- The Rocky Linux 9.3 machine -------------------------------------------------------------

const RUNNING_KERNEL = { version: '5.14.0', release: '362.8.1.el9_3' };
const NEWER_KERNEL = { version: '5.14.0', release: '362.24.1.el9_3' };

const ROCKY_PACKAGES: RpmSpec[] = [
  // Epoch 1, which Rocky's advisories leave out of `fixed` and write into the purl.
  { name: 'openssl', epoch: 1, version: '3.0.7', release: '24.el9', files: ['/usr/share/doc/openssl/README'],
    subpackages: [{ name: 'openssl-libs', files: ['/usr/lib64/libssl.so.3'] }] },
  { name: 'bash', version: '5.1.8', release: '6.el9_1', files: ['/usr/share/doc/bash/NEWS'] },
  { name: 'sudo', version: '1.9.5p2', release: '9.el9', files: ['/usr/share/doc/sudo/README'] },
  // The running kernel owns the image of `uname -r`; a newer one is installed beside it, not booted yet.
  { name: 'kernel', ...RUNNING_KERNEL, subpackages: [{ name: 'kernel-core', files: [`/lib/modules/${RUNNING}/vmlinuz`] }] },
  { name: 'kernel', ...NEWER_KERNEL,
    subpackages: [{ name: 'kernel-core', files: [`/lib/modules/${NEWER_KERNEL.version}-${NEWER_KERNEL.release}.x86_64/vmlinuz`] }] },
];

interface RockyRecord {
  id: string;
  release: string;
  source: string;
  /** As Rocky publishes it: version-release, no epoch. */
  fixed: string;
  /** The purl's `epoch`. */
  epoch: string;
  cves: string[];
  vector: string;
  /** The vector's CVSS v3 base score, on Red Hat's scale. */
  severity: string;
  /** What a machine with ROCKY_PACKAGES has, or undefined when the advisory does not apply. */
  expected?: State;
}

/** An erratum of the repositories' updateinfo.xml: binary packages, each with its EVR attributes. */
interface RockyErratumRecord {
  id: string;
  title: string;
  severity: string;
  cves: string[];
  /** Binary packages of the x86_64 collection; `epoch` undefined = no epoch attribute. */
  packages: Array<{ name: string; source: string; epoch?: string; version: string; release: string }>;
  expected: State;
}

const NETWORK_DOS = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H'; // 7.5
const NETWORK_LOW = 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:L'; // 3.7
const LOCAL_ROOT = 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H'; // 7.8
const NETWORK_MODERATE = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L'; // 5.3

const ROCKY_RECORDS: RockyRecord[] = [
  // 1:3.0.7-24.el9 < 1:3.0.7-27.el9; without the purl's epoch, 3.0.7-27.el9 (epoch 0) would read as older.
  { id: 'RLSA-2024:2447', release: '9', source: 'openssl', fixed: '3.0.7-27.el9', epoch: '1',
    cves: ['CVE-2023-2975', 'CVE-2023-3446', 'CVE-2023-3817', 'CVE-2023-5678'], vector: NETWORK_MODERATE, severity: 'Moderate', expected: 'Missing' },
  { id: 'RLSA-2023:3722', release: '9', source: 'openssl', fixed: '3.0.7-16.el9_2', epoch: '1',
    cves: ['CVE-2023-0464', 'CVE-2023-0465', 'CVE-2023-0466', 'CVE-2023-1255', 'CVE-2023-2650'], vector: NETWORK_DOS, severity: 'Important', expected: 'Installed' },
  { id: 'RLSA-2024:0811', release: '9', source: 'sudo', fixed: '1.9.5p2-10.el9_3', epoch: '0',
    cves: ['CVE-2023-28486', 'CVE-2023-28487', 'CVE-2023-42465'], vector: NETWORK_LOW, severity: 'Low', expected: 'Missing' },
  { id: 'RLSA-2023:0340', release: '9', source: 'bash', fixed: '5.1.8-6.el9_1', epoch: '0',
    cves: ['CVE-2022-3715'], vector: LOCAL_ROOT, severity: 'Important', expected: 'Installed' },
  // Installed (the newer kernel) but the running kernel is older than the fix.
  { id: 'RLSA-2024:0461', release: '9', source: 'kernel', fixed: '5.14.0-362.18.1.el9_3', epoch: '0',
    cves: ['CVE-2023-6546', 'CVE-2023-6931', 'CVE-2024-0565'], vector: LOCAL_ROOT, severity: 'Important', expected: 'InstalledPendingReboot' },
  { id: 'RLSA-2023:7549', release: '9', source: 'kernel', fixed: '5.14.0-362.8.1.el9_3', epoch: '0',
    cves: ['CVE-2023-3812', 'CVE-2023-5178'], vector: LOCAL_ROOT, severity: 'Important', expected: 'Installed' },
  // Another release, and a package the machine does not have: no findings.
  { id: 'RLSA-2024:3061', release: '8', source: 'openssl', fixed: '1.1.1k-12.el8_9', epoch: '1',
    cves: ['CVE-2023-5678'], vector: NETWORK_MODERATE, severity: 'Moderate' },
  { id: 'RLSA-2024:1692', release: '9', source: 'curl', fixed: '7.76.1-26.el9_3.3', epoch: '0',
    cves: ['CVE-2023-46218'], vector: NETWORK_MODERATE, severity: 'Moderate' },
];

const ROCKY_ERRATA: RockyErratumRecord[] = [
  // No epoch attribute: epoch 0, as rpm reads it, so 1:3.0.7-24.el9 is already newer than 3.0.7-28.el9_4.
  { id: 'RLSA-2024:3501', title: 'Important: openssl security update', severity: 'Important', cves: ['CVE-2024-0727', 'CVE-2024-2511'],
    packages: ['openssl', 'openssl-libs'].map((name) => ({ name, source: 'openssl', version: '3.0.7', release: '28.el9_4' })), expected: 'Installed' },
  { id: 'RLSA-2024:1903', title: 'Moderate: bash security update', severity: 'Moderate', cves: ['CVE-2022-48303'],
    packages: [{ name: 'bash', source: 'bash', epoch: '0', version: '5.1.8', release: '9.el9' }], expected: 'Missing' },
];

function evrOf(spec: { epoch?: number; version: string; release: string }): string {
  return `${spec.epoch === undefined ? '' : `${spec.epoch}:`}${spec.version}-${spec.release}`;
}

/** Binary packages of a source, with their installed EVRs. */
function rockyBinariesOf(source: string): Array<{ name: string; evr: string }> {
  return ROCKY_PACKAGES.filter((spec) => spec.name === source).flatMap((spec) => [
    ...(spec.files ? [{ name: spec.name, evr: evrOf(spec) }] : []),
    ...(spec.subpackages ?? []).map((sub) => ({ name: sub.name, evr: evrOf(spec) })),
  ]);
}

// ---- The Alpine 3.19 machine -----------------------------------------------------------------

const ALPINE_PACKAGES: ApkInstalledPackage[] = [
  { name: 'musl', version: '1.2.4_git20230717-r4', origin: 'musl', description: 'the musl c library (libc) implementation', files: { lib: ['ld-musl-x86_64.so.1', 'libc.musl-x86_64.so.1'] } },
  { name: 'busybox', version: '1.36.1-r15', origin: 'busybox', description: 'Size optimized toolbox of many common UNIX utilities', files: { bin: ['busybox'] } },
  { name: 'busybox-binsh', version: '1.36.1-r15', origin: 'busybox', description: 'busybox ash /bin/sh', files: { bin: ['sh'] } },
  { name: 'alpine-baselayout', version: '3.4.3-r2', origin: 'alpine-baselayout', description: 'Alpine base dir structure and init scripts', files: { etc: ['hosts', 'profile'] } },
  { name: 'libcrypto3', version: '3.1.4-r2', origin: 'openssl', description: 'Crypto library from openssl', files: { lib: ['libcrypto.so.3'] } },
  { name: 'libssl3', version: '3.1.4-r2', origin: 'openssl', description: 'SSL shared libraries', files: { lib: ['libssl.so.3'] } },
  { name: 'zlib', version: '1.3.1-r0', origin: 'zlib', description: 'A compression/decompression Library', files: { lib: ['libz.so.1', 'libz.so.1.3.1'] } },
  { name: 'linux-virt', version: '6.6.14-r0', origin: 'linux-lts', description: 'Linux lts kernel for virtual machines',
    files: { boot: ['vmlinuz-virt', 'config-virt'], [`lib/modules/${RUNNING}`]: ['modules.order'] } },
];

interface AlpineRecord {
  cve: string;
  origin: string;
  /** Fixed apk version per Alpine release. */
  fixed: Record<string, string>;
  /** What a machine with ALPINE_PACKAGES has (apk order of its version and the 3.19 fix), or undefined when nothing applies. */
  expected?: State;
}

const ALPINE_RECORDS: AlpineRecord[] = [
  { cve: 'CVE-2024-0727', origin: 'openssl', fixed: { '3.19': '3.1.4-r5' }, expected: 'Missing' }, // -r2 < -r5
  // Each release its own fix: 3.19's applies, not 3.20's.
  { cve: 'CVE-2024-2511', origin: 'openssl', fixed: { '3.19': '3.1.4-r6', '3.20': '3.3.0-r1' }, expected: 'Missing' },
  { cve: 'CVE-2023-5678', origin: 'openssl', fixed: { '3.19': '3.1.4-r1' }, expected: 'Installed' }, // -r2 > -r1
  { cve: 'CVE-2023-42363', origin: 'busybox', fixed: { '3.19': '1.36.1-r16' }, expected: 'Missing' },
  // _git is a suffix after the numbers: 1.2.4_git20230717-r4 < 1.2.4_git20230717-r5.
  { cve: 'CVE-2025-26519', origin: 'musl', fixed: { '3.19': '1.2.4_git20230717-r5' }, expected: 'Missing' },
  { cve: 'CVE-2023-45853', origin: 'zlib', fixed: { '3.19': '1.3-r2' }, expected: 'Installed' }, // 1.3.1 > 1.3
  // Another release only, and a package the machine does not have.
  { cve: 'CVE-2023-6129', origin: 'openssl', fixed: { '3.18': '3.1.4-r3' } },
  { cve: 'CVE-2024-28757', origin: 'expat', fixed: { '3.19': '2.6.2-r0' } },
];

function alpineRecord(record: AlpineRecord): Record<string, unknown> {
  const [first, ...others] = Object.entries(record.fixed);
  const json = alpineCve(record.cve, first[0], record.origin, first[1]) as { affected: unknown[] };
  for (const [release, fixed] of others) json.affected.push(...(alpineCve(record.cve, release, record.origin, fixed) as { affected: unknown[] }).affected);
  return json;
}

// ---- What the scan reports -------------------------------------------------------------------

interface ExpectedPatch {
  bulletinId: string;
  state: State;
  severity: string;
  cves: string[];
  /** `name installed → candidate`, sorted. */
  packages: string[];
}

async function expectedRockyPatches(): Promise<ExpectedPatch[]> {
  const runningEvr = evrOf(RUNNING_KERNEL);
  const expected: ExpectedPatch[] = [];
  for (const record of ROCKY_RECORDS) {
    const binaries = record.release === '9' ? rockyBinariesOf(record.source) : [];
    if (binaries.length === 0) {
      assert.equal(record.expected, undefined, `${record.id} applies to nothing installed`);
      continue;
    }
    const fixed = record.epoch === '0' ? record.fixed : `${record.epoch}:${record.fixed}`;
    // Several versions of one package (kernels): the newest says whether the fix is installed.
    const newest = new Map<string, string>();
    for (const { name, evr } of binaries) if (!newest.has(name) || (await rpmVercmp(evr, newest.get(name)!)) > 0) newest.set(name, evr);
    const below = [];
    for (const [name, evr] of newest) if ((await rpmVercmp(evr, fixed)) < 0) below.push(name);
    let state: State = below.length > 0 ? 'Missing' : 'Installed';
    if (state === 'Installed' && record.source === 'kernel' && (await rpmVercmp(runningEvr, fixed)) < 0) state = 'InstalledPendingReboot';
    // The records say what they are meant to test; the real rpm must agree.
    assert.equal(state, record.expected, `${record.id}: rpm orders the installed versions and ${fixed} as ${state}`);
    const listed = state === 'Missing' ? below : [...newest.keys()];
    expected.push({
      bulletinId: record.id, state, severity: record.severity, cves: [...record.cves].sort(),
      packages: listed.map((name) => `${name} ${newest.get(name)} → ${state === 'Missing' ? fixed : newest.get(name)}`).sort(),
    });
  }
  for (const erratum of ROCKY_ERRATA) {
    const packages: string[] = [];
    let missing = false;
    for (const pkg of erratum.packages) {
      const installed = rockyBinariesOf(pkg.source).find((binary) => binary.name === pkg.name);
      if (installed === undefined) continue;
      const fixed = `${pkg.epoch === undefined || pkg.epoch === '0' ? '' : `${pkg.epoch}:`}${pkg.version}-${pkg.release}`;
      const below = (await rpmVercmp(installed.evr, fixed)) < 0;
      missing ||= below;
      packages.push(`${pkg.name} ${installed.evr} → ${below ? fixed : installed.evr}`);
    }
    const state: State = missing ? 'Missing' : 'Installed';
    assert.equal(state, erratum.expected, `${erratum.id}: rpm orders the installed versions and the erratum's as ${state}`);
    expected.push({ bulletinId: erratum.id, state, severity: erratum.severity, cves: [...erratum.cves].sort(), packages: packages.sort() });
  }
  return expected.sort((a, b) => (a.bulletinId < b.bulletinId ? -1 : 1));
}

function expectedAlpinePatches(): ExpectedPatch[] {
  const expected: ExpectedPatch[] = [];
  for (const record of ALPINE_RECORDS) {
    const fixed = record.fixed['3.19'];
    const installed = fixed === undefined ? [] : ALPINE_PACKAGES.filter((pkg) => pkg.origin === record.origin);
    if (installed.length === 0 || record.expected === undefined) {
      assert.equal(installed.length === 0, record.expected === undefined, `ALPINE-${record.cve} applies exactly when a package of its origin is installed`);
      continue;
    }
    expected.push({
      bulletinId: `ALPINE-${record.cve}`, state: record.expected, severity: 'None', cves: [record.cve],
      packages: installed.map((pkg) => `${pkg.name} ${pkg.version} → ${record.expected === 'Missing' ? fixed : pkg.version}`).sort(),
    });
  }
  return expected.sort((a, b) => (a.bulletinId < b.bulletinId ? -1 : 1));
}

const WIRE_STATE: Record<State, string> = { Missing: 'MissingPatch', Installed: 'FoundPatch', InstalledPendingReboot: 'FoundPatch' };

/** The patches of a scanned machine: the ST result, CVEs from the PM patches route, and the stored state. */
async function reportedPatches(console_: TestConsole, scanId: string, machine: any, cvesByPatch: Map<string, string[]>): Promise<ExpectedPatch[]> {
  const patches = await console_.request('GET', `${new URL(machine.links.patches.href).pathname}?includePackages=true&count=1000`);
  assert.equal(patches.status, 200, patches.text);
  const stored = await console_.running.db.kysely.selectFrom('scan_machine_patches')
    .innerJoin('scan_machines', 'scan_machines.id', 'scan_machine_patches.scan_machine_id')
    .select(['scan_machine_patches.patch_id', 'scan_machine_patches.scan_state'])
    .where('scan_machines.scan_id', '=', scanId).execute();
  const storedState = new Map(stored.map((row) => [row.patch_id, row.scan_state as State]));
  return patches.json.value.map((patch: any) => {
    const state = storedState.get(patch.patchId)!;
    assert.equal(patch.scanState, WIRE_STATE[state], `${patch.bulletinId}: wire state of ${state}`);
    assert.equal(patch.patchType, 'SecurityPatch', patch.bulletinId);
    return {
      bulletinId: patch.bulletinId, state, severity: patch.vendorSeverity, cves: cvesByPatch.get(patch.patchId) ?? [],
      packages: patch.packages.map((p: any) => `${p.name} ${p.installedVersion} → ${p.candidateVersion}`).sort(),
    };
  }).sort((a: ExpectedPatch, b: ExpectedPatch) => (a.bulletinId < b.bulletinId ? -1 : 1));
}

async function importWithCli(console_: TestConsole, databaseUrl: string | undefined, feed: 'osv' | 'updateinfo', location: string): Promise<any> {
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'advisories', 'import', feed, location, '--json', '--data-dir', console_.dataDir,
    ...(databaseUrl ? ['--database-url', databaseUrl] : [])];
  const { stdout } = await run(process.execPath, args, { cwd: new URL('../..', import.meta.url).pathname });
  return JSON.parse(stdout);
}

test(`an SSH scan judges a Rocky 9 and an Alpine 3.19 machine by their imported advisories (${testStore()})`, { timeout: 900_000 }, async (t) => {
  const unavailable = sshTargetsUnavailable() ?? rpmTargetUnavailable() ?? alpineTargetUnavailable();
  if (!requireOrSkip(t, unavailable === undefined, unavailable ?? '')) return;
  const password = await testUserPassword(USER);
  const rocky = await buildRockyTarget('rocky-9', ROCKY_PACKAGES);
  t.after(() => rocky.remove());
  const alpine = await buildAlpineTarget('alpine-3.19', ALPINE_PACKAGES);
  t.after(() => alpine.remove());
  const servers: SshServer[] = [];
  t.after(async () => { for (const server of servers) await server.stop(); });
  const rockyServer = await startSshServer({ hostname: ROCKY_HOST, users: [{ name: USER, chroot: rocky.root }] });
  servers.push(rockyServer);
  const alpineServer = await startSshServer({ hostname: ALPINE_HOST, users: [{ name: USER, chroot: alpine.root }] });
  servers.push(alpineServer);

  // The machine's rpm is the real one, not busybox's applet.
  const rpmInside = execFileSync('chroot', [rocky.root, '/bin/sh', '-c', 'command -v rpm && rpm --version'], { encoding: 'utf8' });
  assert.match(rpmInside, /^\/usr\/bin\/rpm\nRPM version 4\.\d+/);
  // The epoch trap: Rocky leaves openssl's epoch 1 out of `fixed` (it is in the purl); read as
  // epoch 0, the fix would look older than the installed 1:3.0.7-24.el9.
  assert.equal(await rpmVercmp('1:3.0.7-24.el9', '3.0.7-27.el9'), 1);
  assert.equal(await rpmVercmp('1:3.0.7-24.el9', '1:3.0.7-27.el9'), -1);

  const database = await freshDatabaseUrl();
  const console_ = await startTestConsole({ databaseUrl: database.url });
  t.after(async () => {
    await console_.close();
    await database.drop();
  });
  const credentialId = await storeCredential(console_, 'rpm and apk machines', USER, password);

  // No advisories yet: the Rocky machine is scanned, with a warning naming its release.
  const bare = await scanEndpoints(console_, [rockyServer.endpoint], { credentialId, sshServerValidationMode: 'SkipServerAuthentication' });
  assert.equal(bare.operation.status, 'Succeeded', 'a warning does not fail the scan');
  const unjudged = machineNamed(bare, ROCKY_HOST);
  assert.equal(unjudged.errorNumber, ScanErrorNumber.NoAdvisoryData, unjudged.errorDescription);
  assert.ok(unjudged.errorDescription.startsWith('no advisories are imported for rocky 9, so no patches could be judged'), unjudged.errorDescription);
  assert.deepEqual([unjudged.missingPatchCount, unjudged.installedPatchCount], [0, 0]);

  // The publishers' records, imported with the CLI into the console's store.
  const work = await mkdtemp(join(tmpdir(), 'patchwarden-rpm-apk-advisories-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  await mkdir(join(work, 'osv'));
  for (const r of ROCKY_RECORDS) {
    await writeFile(join(work, 'osv', `${r.id}.json`), JSON.stringify(rockyRlsa(r.id, r.release, r.source, r.fixed, r.epoch, r.cves, r.vector), null, 2));
  }
  for (const r of ALPINE_RECORDS) await writeFile(join(work, 'osv', `ALPINE-${r.cve}.json`), JSON.stringify(alpineRecord(r), null, 2));
  const osv = await importWithCli(console_, database.url, 'osv', join(work, 'osv'));
  assert.deepEqual([osv.read, osv.added, osv.invalid], [ROCKY_RECORDS.length + ALPINE_RECORDS.length, ROCKY_RECORDS.length + ALPINE_RECORDS.length, 0]);
  const errata = rockyUpdateinfoXml('9', [
    ...ROCKY_ERRATA.map((e) => ({
      id: e.id, title: e.title, severity: e.severity, cves: e.cves, issued: '2024-06-05 10:15:00',
      packages: e.packages.map((p) => ({ ...p, arch: 'x86_64' })),
    })),
    // Not a security erratum: skipped.
    { id: 'RLBA-2024:3502', type: 'bugfix', title: 'glibc bug fix update', cves: [], issued: '2024-06-05 10:15:00',
      packages: [{ name: 'glibc', version: '2.34', release: '100.el9_4.2', arch: 'x86_64' }] },
  ]);
  await writeFile(join(work, 'updateinfo.xml'), errata);
  const updateinfo = await importWithCli(console_, database.url, 'updateinfo', join(work, 'updateinfo.xml'));
  assert.deepEqual([updateinfo.added, updateinfo.ignored, updateinfo.invalid], [ROCKY_ERRATA.length, 1, 0], JSON.stringify(updateinfo));

  const outcome = await scanEndpoints(console_, [rockyServer.endpoint, alpineServer.endpoint], { credentialId, sshServerValidationMode: 'SkipServerAuthentication' });
  assert.equal(outcome.operation.status, 'Succeeded', JSON.stringify(outcome.operation));
  const catalog = await console_.request('POST', '/pm/v2/patches?platform=Linux', { body: {} });
  assert.equal(catalog.status, 200, catalog.text);
  const cvesByPatch = new Map<string, string[]>(catalog.json.map((p: any) => [p.id, [...(p.cve ?? [])].sort()]));

  const expectations: Array<[string, ExpectedPatch[]]> = [[ROCKY_HOST, await expectedRockyPatches()], [ALPINE_HOST, expectedAlpinePatches()]];
  for (const [host, expected] of expectations) {
    const machine = machineNamed(outcome, host);
    assert.equal(machine.errorNumber, 0, machine.errorDescription);
    assert.deepEqual(await reportedPatches(console_, outcome.scanId, machine, cvesByPatch), expected, `${host}: patches`);
    assert.equal(machine.missingPatchCount, expected.filter((p) => p.state === 'Missing').length, `${host}: missing count`);
    assert.equal(machine.installedPatchCount, expected.filter((p) => p.state !== 'Missing').length, `${host}: installed count`);
    t.diagnostic(`${host}: ${expected.length} advisories judged as the records and the installed versions say`);
  }
});
