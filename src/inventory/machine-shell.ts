/**
 * A way to run a POSIX `sh` script on one machine and get its output back: the local machine
 * (`LocalMachineShell`) or a remote one over SSH. Probes send their whole script in one
 * `run` so that collecting a machine costs a single round trip.
 */
export interface MachineShellResult {
  stdout: string;
  stderr: string;
  /** The script's exit status; 128 + signal number when a signal ended it. */
  exitCode: number;
}

export interface MachineShellRunOptions {
  /** Give up (and stop the script) after this many milliseconds. */
  timeoutMs?: number;
}

export interface MachineShell {
  /** Runs `script` with `sh` on the machine, the script text being fed on standard input. */
  run(script: string, options?: MachineShellRunOptions): Promise<MachineShellResult>;
  /** Short human description of the target, for logs and error messages. */
  describe(): string;
}
