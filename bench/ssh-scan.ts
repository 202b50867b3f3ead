/**
 * Fleet scan benchmark: a patch scan of N SSH targets on loopback (each its own OpenSSH server
 * with its own host name, all chrooted into one debootstrapped Debian bookworm root filesystem)
 * through the console's HTTP API, against plain `ssh host dpkg-query …` to the same targets with
 * the same parallelism, alternating in the same run. Target: the scan takes ≤ 1.3× the plain-ssh
 * time.
 *
 * The scan does everything a real one does per machine: SSH logon (ed25519 key), the inventory
 * probe (os-release, packages with source names, apt sources, keyrings, kernel, reboot signals),
 * the catalog freshness check, assessment, and storing results, counts and asset status. The
 * catalog is synced once before the measured rounds, as on a console that has scanned before.
 *
 * Run as root on Debian: node --import tsx bench/ssh-scan.ts [--targets 100] [--parallel 8] [--rounds 2] [--store postgres]
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ST, startTestConsole, waitForOperation, type TestConsole } from '../test/support/console-fixture.js';
import { debianRootfs, sshTargetsUnavailable, startSshServer, testUserPassword, type SshServer } from '../test/support/ssh-targets.js';

const run = promisify(execFile);
const args = process.argv.slice(2);
function option(name: string, fallback: number): number {
  const at = args.indexOf(name);
  const value = at >= 0 ? Number(args[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}
const targetCount = option('--targets', 100);
const parallel = option('--parallel', 8);
const rounds = option('--rounds', 2);
if (args.includes('--store') && args[args.indexOf('--store') + 1] === 'postgres') process.env.PATCHWARDEN_TEST_STORE = 'postgres';
process.env.PATCHWARDEN_TEST_PG_URL ??= 'postgres://patchwarden:patchwarden@127.0.0.1:5432/postgres';

const USER = 'pwbench';
/** What the plain-ssh baseline asks each target: the installed packages with their source names. */
const DPKG_QUERY = "dpkg-query -W -f '${binary:Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\t${db:Status-Abbrev}\\n'";

async function runLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

function sshOnce(keyFile: string, server: SshServer): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', ['-i', keyFile, '-p', String(server.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no',
      '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `${USER}@127.0.0.1`, DPKG_QUERY], { stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { for (const byte of chunk) if (byte === 10) lines++; });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(lines) : reject(new Error(`ssh to ${server.endpoint} exited ${code}: ${stderr}`))));
  });
}

async function plainSshSeconds(keyFile: string, servers: SshServer[]): Promise<number> {
  const started = process.hrtime.bigint();
  let packages = 0;
  await runLimited(servers, parallel, async (server) => {
    const listed = await sshOnce(keyFile, server);
    packages += listed;
  });
  if (packages < servers.length * 50) throw new Error(`plain ssh listed only ${packages} packages on ${servers.length} targets`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function scanSeconds(c: TestConsole, templateId: string, credentialId: string, servers: SshServer[], name: string): Promise<number> {
  const started = process.hrtime.bigint();
  const response = await c.request('POST', `${ST}/patch/scans`, {
    body: { name, templateId, credentialId, endpointNames: servers.map((s) => s.endpoint), sshServerValidationMode: 'SkipServerAuthentication' },
  });
  if (response.status !== 202) throw new Error(`starting the scan failed: ${response.status} ${response.text}`);
  const operation = await waitForOperation(c, response.headers.get('operation-location')!, 30 * 60_000);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const machines = await c.request('GET', `${ST}/patch/scans/${response.json.id}/machines?count=1000`);
  const failed = (machines.json.value as Array<{ errorNumber?: number; errorDescription?: string; name: string }>).filter((m) => m.errorNumber);
  if (operation.status !== 'Succeeded' || failed.length > 0 || machines.json.value.length !== servers.length) {
    throw new Error(`scan ${name} did not scan every target: ${operation.status}; ${failed.slice(0, 3).map((m) => `${m.name}: ${m.errorNumber} ${m.errorDescription}`).join('; ')}`);
  }
  return seconds;
}

async function main(): Promise<void> {
  const missing = sshTargetsUnavailable();
  if (missing) throw new Error(missing);
  const rootfs = await debianRootfs('bookworm');
  await testUserPassword(USER); // creates the account
  const keyDir = await mkdtemp(join(tmpdir(), 'bench-ssh-key-'));
  const keyFile = join(keyDir, 'id_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'patchwarden-bench', '-f', keyFile]);
  const publicKey = await readFile(`${keyFile}.pub`, 'utf8');

  const servers: SshServer[] = [];
  const c = await startTestConsole({ scanConcurrency: parallel });
  try {
    process.stdout.write(`starting ${targetCount} OpenSSH servers… `);
    for (let i = 0; i < targetCount; i++) {
      const server = await startSshServer({ hostname: `bench-target-${String(i).padStart(3, '0')}`, users: [{ name: USER, chroot: rootfs }] });
      await server.authorizeKey(USER, publicKey);
      servers.push(server);
    }
    console.log('done');
    const credential = await c.request('POST', `${ST}/credentials`, { body: { name: 'bench key', userName: USER, password: { clearText: await readFile(keyFile, 'utf8') } } });
    if (credential.status !== 201) throw new Error(`storing the key failed: ${credential.text}`);
    const template = await c.request('POST', `${ST}/patch/scanTemplates`, { body: { name: `bench ${parallel} threads`, threadCount: parallel } });
    if (template.status !== 201) throw new Error(`creating the template failed: ${template.text}`);

    // Warm-up: the first scan syncs the catalog for bookworm's sources; plain ssh warms the page cache.
    await scanSeconds(c, template.json.id, credential.json.id, servers.slice(0, 1), 'warm-up');
    await plainSshSeconds(keyFile, servers.slice(0, parallel));

    const plain: number[] = [];
    const scans: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      plain.push(await plainSshSeconds(keyFile, servers));
      scans.push(await scanSeconds(c, template.json.id, credential.json.id, servers, `bench round ${round}`));
      console.log(`round ${round}: plain ssh ${plain.at(-1)!.toFixed(2)} s, scan ${scans.at(-1)!.toFixed(2)} s`);
    }
    const total = (values: number[]) => values.reduce((a, b) => a + b, 0);
    const plainMean = total(plain) / rounds;
    const scanMean = total(scans) / rounds;
    console.log(`\n| store | targets | parallel | plain ssh dpkg-query s | hosts/min | patch scan s | hosts/min | ratio |`);
    console.log(`|---|---|---|---|---|---|---|---|`);
    console.log(`| ${process.env.PATCHWARDEN_TEST_STORE ?? 'sqlite'} | ${targetCount} | ${parallel} | ${plainMean.toFixed(2)} | ${Math.round((60 * targetCount) / plainMean)} | ${scanMean.toFixed(2)} | ${Math.round((60 * targetCount) / scanMean)} | ${(scanMean / plainMean).toFixed(2)}× |`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await c.close();
    await rm(keyDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
