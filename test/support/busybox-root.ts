/**
 * A minimal system root whose only tools are busybox's applets (as on Alpine, where /bin/sh is
 * busybox ash), and a MachineShell that runs scripts inside it through chroot(8).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { MachineShell, MachineShellResult, MachineShellRunOptions } from '../../src/inventory/machine-shell.js';

function busyboxPath(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** Whether a busybox root can be made and entered here (needs busybox and root for chroot). */
export function busyboxRootAvailable(): boolean {
  return busyboxPath() !== undefined && process.getuid?.() === 0 && spawnSync('chroot', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Makes `root` a busybox system: the binary, the libraries it links, and every applet in /bin. */
export async function makeBusyboxRoot(root: string): Promise<void> {
  const busybox = busyboxPath();
  if (busybox === undefined) throw new Error('busybox is not installed');
  await mkdir(path.join(root, 'bin'), { recursive: true });
  await copyFile(busybox, path.join(root, 'bin/busybox'));
  // Shared libraries, when busybox is not the static build: `ldd` lines name absolute paths.
  const ldd = spawnSync('ldd', [busybox], { encoding: 'utf8' });
  for (const library of ldd.stdout.match(/\/\S+/g) ?? []) {
    await mkdir(path.join(root, path.dirname(library)), { recursive: true });
    await copyFile(library, path.join(root, library));
  }
  execFileSync('chroot', [root, '/bin/busybox', '--install', '-s', '/bin']);
  await mkdir(path.join(root, 'dev'), { recursive: true });
  execFileSync('chroot', [root, '/bin/mknod', '-m', '666', '/dev/null', 'c', '1', '3']);
}

/** Runs scripts with the root's own `/bin/sh` inside a chroot. */
export class ChrootMachineShell implements MachineShell {
  constructor(private readonly root: string) {}

  describe(): string {
    return `chroot ${this.root}`;
  }

  run(script: string, options: MachineShellRunOptions = {}): Promise<MachineShellResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('chroot', [this.root, '/bin/sh', '-s'], { stdio: ['pipe', 'pipe', 'pipe'] });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`script in ${this.describe()} did not finish within ${options.timeoutMs} ms`));
      }, options.timeoutMs ?? 60_000);
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), exitCode: code ?? 1 });
      });
      child.stdin.end(script);
    });
  }
}
