import { spawn } from 'node:child_process';
import { constants as osConstants, hostname } from 'node:os';
import type { MachineShell, MachineShellResult, MachineShellRunOptions } from '../machine-shell.js';

/** Used when a run gives no timeout of its own. */
export const DEFAULT_LOCAL_SHELL_TIMEOUT_MS = 120_000;

/** The script did not finish in time; it has been killed. */
export class MachineShellTimeoutError extends Error {
  constructor(
    readonly target: string,
    readonly timeoutMs: number,
  ) {
    super(`script on ${target} did not finish within ${timeoutMs} ms and was killed`);
    this.name = 'MachineShellTimeoutError';
  }
}

/** The shell's exit status for a process killed by `signal` (`SIGKILL` → 137); 128 for one it does not know. */
export function exitCodeOfSignal(signal: string): number {
  const number = osConstants.signals[signal as NodeJS.Signals];
  return 128 + (typeof number === 'number' ? number : 0);
}

/**
 * Runs scripts on this machine with `/bin/sh -s`, the script on standard input. The shell gets
 * its own process group so that a timeout stops the commands it started as well.
 */
export class LocalMachineShell implements MachineShell {
  constructor(private readonly defaultTimeoutMs: number = DEFAULT_LOCAL_SHELL_TIMEOUT_MS) {}

  describe(): string {
    return `local machine ${hostname()}`;
  }

  run(script: string, options: MachineShellRunOptions = {}): Promise<MachineShellResult> {
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise<MachineShellResult>((resolve, reject) => {
      const child = spawn('/bin/sh', ['-s'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let settled = false;

      const killGroup = (): void => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // The group is already gone.
        }
      };
      // Settle at once on timeout: a command that escaped the group could hold the pipes open.
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        killGroup();
        child.stdout.destroy();
        child.stderr.destroy();
        reject(new MachineShellTimeoutError(this.describe(), timeoutMs));
      }, timeoutMs);

      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      // The shell may exit before reading the whole script; that is not an error of its own.
      child.stdin.on('error', () => {});

      child.on('error', (error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        killGroup();
        reject(new Error(`cannot start /bin/sh on ${this.describe()}: ${error.message}`, { cause: error }));
      });

      // 'close' fires once the process exited and its output streams are drained.
      child.on('close', (code, signal) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
          exitCode: code ?? (signal !== null ? exitCodeOfSignal(signal) : 1),
        });
      });

      child.stdin.end(script);
    });
  }
}
