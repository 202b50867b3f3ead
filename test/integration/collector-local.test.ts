import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readSystemAptSources } from '../../src/catalog/sources/apt-repo/sources-list.js';
import { collectDebianInventory, collectLocalInventory, InventoryCollectionError } from '../../src/inventory/collect.js';
import { LocalMachineShell, MachineShellTimeoutError } from '../../src/inventory/collectors/local.js';
import type { MachineShell } from '../../src/inventory/machine-shell.js';
import { osFromOsRelease } from '../../src/inventory/probes/os-release.js';

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** Whether a process is still running (a zombie waiting to be reaped counts as ended). */
function processRuns(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('LocalMachineShell', () => {
  const shell = new LocalMachineShell();

  it('runs a script from stdin and separates stdout, stderr and the exit status', async () => {
    const result = await shell.run('echo out; echo err >&2; printf "%s" "$((6 * 7))"; exit 3\n');
    assert.deepEqual(result, { stdout: 'out\n42', stderr: 'err\n', exitCode: 3 });
  });

  it('carries outputs of several megabytes intact, including multi-byte characters', async () => {
    // 6 MB of "é" (2 bytes each), so chunk boundaries fall inside characters.
    const result = await shell.run("head -c 3000000 /dev/zero | tr '\\0' 'x' | sed 's/x/é/g'; echo; echo done\n");
    assert.equal(result.exitCode, 0);
    const [body, tail] = result.stdout.split('\n');
    assert.equal(body.length, 3_000_000);
    assert.ok(/^é+$/.test(body));
    assert.equal(tail, 'done');
  });

  it('accepts a script larger than a pipe buffer', async () => {
    const filler = `# ${'padding '.repeat(200_000)}\n`;
    const result = await shell.run(`${filler}echo after-the-filler\n`);
    assert.equal(result.stdout, 'after-the-filler\n');
  });

  it('kills the script and what it started when the timeout passes', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pw-shell-'));
    try {
      const pidFile = path.join(dir, 'pid');
      const started = Date.now();
      await assert.rejects(
        shell.run(`sleep 30 & echo $! > '${pidFile}'; wait\n`, { timeoutMs: 300 }),
        (error: unknown) => error instanceof MachineShellTimeoutError && /300 ms/.test(error.message),
      );
      assert.ok(Date.now() - started < 5000, 'the timeout rejected promptly');
      const sleepPid = Number((await readFile(pidFile, 'utf8')).trim());
      assert.ok(sleepPid > 0);
      let alive = processRuns(sleepPid);
      for (let i = 0; alive && i < 50; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        alive = processRuns(sleepPid);
      }
      assert.equal(alive, false, 'the background sleep was killed with the shell');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('collectLocalInventory on this machine', () => {
  it('matches dpkg-query, uname, hostname and the apt sources read separately', async () => {
    const problems: string[] = [];
    const inventory = await collectLocalInventory({ onProblem: (p) => problems.push(p) });

    // Packages: the same set and versions as dpkg-query run on its own.
    const expected = run('dpkg-query', ['-W', '-f=${Package}\t${Architecture}\t${db:Status-Abbrev}\t${Version}\t${source:Package}\t${source:Version}\n'])
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split('\t'))
      .filter(([, , status]) => status[1] !== 'n' && status[1] !== 'c')
      .map(([name, arch, status, version, sourceName, sourceVersion]) => ({
        name,
        architecture: arch,
        version,
        status,
        sourceName: sourceName || name,
        sourceVersion: sourceVersion || version,
      }));
    assert.ok(expected.length > 50, `this machine has packages (${expected.length})`);
    const key = (p: { name: string; architecture: string }): string => `${p.name}:${p.architecture}`;
    const byKey = (list: typeof expected): typeof expected => [...list].sort((a, b) => key(a).localeCompare(key(b)));
    assert.deepEqual(byKey(inventory.packages), byKey(expected));
    const dpkg = inventory.packages.find((p) => p.name === 'dpkg');
    assert.ok(dpkg !== undefined && dpkg.version === run('dpkg-query', ['-W', '-f=${Version}', 'dpkg']));

    assert.equal(inventory.kernel.release, run('uname', ['-r']).trim());
    assert.equal(inventory.kernel.version, run('uname', ['-v']).trim());
    assert.equal(inventory.kernel.machine, run('uname', ['-m']).trim());
    assert.equal(inventory.host.hostname, run('hostname', []).trim());
    assert.ok(inventory.host.fqdn.startsWith(inventory.host.hostname.split('.')[0]));
    assert.equal(inventory.architecture, run('dpkg', ['--print-architecture']).trim());
    assert.deepEqual(inventory.foreignArchitectures, run('dpkg', ['--print-foreign-architectures']).split('\n').filter((l) => l !== ''));

    const osRelease = await readFile(existsSync('/etc/os-release') ? '/etc/os-release' : '/usr/lib/os-release', 'utf8');
    assert.deepEqual(inventory.os, osFromOsRelease(osRelease));
    assert.equal(inventory.os.family, 'debian');

    const fromDisk = await readSystemAptSources('/');
    assert.deepEqual(inventory.aptSources, fromDisk.entries);
    assert.deepEqual(problems, fromDisk.errors.map((e) => e.message));
    assert.ok(inventory.aptSources.length > 0, 'this machine has apt sources');
    assert.ok(
      inventory.aptSources.every((e) => /\.(list|sources)$/.test(e.file)),
      'files apt ignores (*.disabled-by-farm) are not read',
    );

    assert.equal(inventory.reboot.required, existsSync('/var/run/reboot-required'));
    assert.equal(inventory.collector, 'local');
    assert.ok(Math.abs(Date.parse(inventory.collectedAt) - Date.now()) < 60_000);
  });

  it('names the machine when the probe cannot run there', async () => {
    const withoutDpkg: MachineShell = {
      describe: () => 'test machine without dpkg',
      // Runs the real probe with a PATH where dpkg-query cannot be found.
      run: (script, options) => new LocalMachineShell().run(script.replace(/^PATH=.*$/m, 'PATH=/nonexistent'), options),
    };
    await assert.rejects(
      collectDebianInventory(withoutDpkg),
      (error: unknown) =>
        error instanceof InventoryCollectionError && /test machine without dpkg/.test(error.message) && /not a dpkg-based machine/.test(error.message),
    );
  });
});
