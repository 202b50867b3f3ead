/**
 * A {@link MachineShell} over SSH (ssh2): one connection per machine, the whole probe script fed
 * to `sh -s` on standard input of a single exec channel. Password and private-key
 * authentication, connect and command timeouts, an output size cap, and optional sudo.
 * Host-key decisions are the caller's: it gets the presented key and answers accept or refuse.
 */
import { createHash } from 'node:crypto';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import type { MachineShell, MachineShellResult, MachineShellRunOptions } from '../machine-shell.js';
import { exitCodeOfSignal, MachineShellTimeoutError } from './local.js';

export const DEFAULT_SSH_CONNECT_TIMEOUT_MS = 20_000;
export const DEFAULT_SSH_COMMAND_TIMEOUT_MS = 120_000;
/** A large machine's probe prints a few MiB at most; more than this is refused. */
export const DEFAULT_SSH_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** A server's host key as OpenSSH shows it. */
export interface PresentedHostKey {
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, ... */
  keyType: string;
  /** `SHA256:` and the unpadded base64 SHA-256 of the key blob, as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /** The key blob, base64 (the second field of a known_hosts line). */
  publicKey: string;
}

/** Fingerprint and type of an SSH public key blob (wire format). */
export function describeHostKey(blob: Buffer): PresentedHostKey {
  const typeLength = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
  const keyType = typeLength > 0 && typeLength + 4 <= blob.length ? blob.subarray(4, 4 + typeLength).toString('latin1') : 'unknown';
  const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  return { keyType, fingerprint, publicKey: blob.toString('base64') };
}

/** What the host-key check answered; a refusal carries the reason shown to the user. */
export type HostKeyVerdict = { accept: true } | { accept: false; reason: 'unknown' | 'changed'; detail: string };

export interface SshShellOptions {
  host: string;
  port: number;
  username: string;
  password?: string;
  /** PEM/OpenSSH private key text; tried before the password when both are given. */
  privateKey?: string;
  passphrase?: string;
  /** Called once per connection with the server's key; refusing aborts the connection. */
  verifyHostKey: (key: PresentedHostKey) => Promise<HostKeyVerdict>;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  maxOutputBytes?: number;
  /** Run scripts through `sudo` as root; `password` answers sudo's prompt when it asks. */
  sudo?: { password?: string };
}

/** Why an SSH collection failed, so the scan can report a specific error number. */
export type SshFailureKind = 'unreachable' | 'authentication' | 'host-key-unknown' | 'host-key-changed' | 'dropped' | 'output-too-large' | 'sudo';

export class SshCollectionError extends Error {
  constructor(readonly kind: SshFailureKind, message: string, readonly hostKey?: PresentedHostKey) {
    super(message);
    this.name = 'SshCollectionError';
  }
}

const SUDO_SCRIPT_MARKER = 'patchwarden-probe-script-follows';

/**
 * How long a refused probe waits to see whether the connection is ending: a session killed as it
 * starts makes ssh2 fail the request before the connection is seen to close.
 */
const EXEC_REFUSAL_GRACE_MS = 1_000;

/**
 * With sudo, the password (when there is one) is sent first; sudo reads it, and the wrapper
 * skips any line before the marker, so a password sudo did not ask for is never run as a command.
 */
function sudoCommand(): string {
  const skipToScript = `while IFS= read -r pw_l; do [ "$pw_l" = ${SUDO_SCRIPT_MARKER} ] && exec sh -s; done; exit 97`;
  return `sudo -k -S -p '' -- sh -c '${skipToScript}'`;
}

function errorCode(error: unknown): string {
  return String((error as NodeJS.ErrnoException)?.code ?? '');
}

/** Runs scripts on one remote machine over a single SSH connection, opened on first use. */
export class SshMachineShell implements MachineShell {
  private client?: Client;
  /** Whether the connection has ended (the server or the network closed it). */
  private connectionEnded = false;
  private connecting?: Promise<Client>;
  private closed = false;
  private presentedKey?: PresentedHostKey;

  constructor(private readonly options: SshShellOptions) {}

  describe(): string {
    return `${this.options.username}@${this.options.host}:${this.options.port}`;
  }

  /** The host key the server presented, once connected (or refused). */
  hostKey(): PresentedHostKey | undefined {
    return this.presentedKey;
  }

  connect(): Promise<Client> {
    if (this.closed) return Promise.reject(new Error(`the SSH shell to ${this.describe()} is closed`));
    this.connecting ??= this.openConnection();
    return this.connecting;
  }

  private openConnection(): Promise<Client> {
    const target = `${this.options.host}:${this.options.port}`;
    const connectTimeoutMs = this.options.connectTimeoutMs ?? DEFAULT_SSH_CONNECT_TIMEOUT_MS;
    return new Promise<Client>((resolve, reject) => {
      const client = new Client();
      const ended = (): void => { this.connectionEnded = true; };
      client.once('end', ended).once('close', ended);
      let refusal: SshCollectionError | undefined;
      let settled = false;
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        client.destroy();
        reject(error);
      };
      const config: ConnectConfig = {
        host: this.options.host,
        port: this.options.port,
        username: this.options.username,
        password: this.options.password,
        privateKey: this.options.privateKey,
        passphrase: this.options.passphrase,
        readyTimeout: connectTimeoutMs,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 3,
        tryKeyboard: false,
        hostVerifier: (blob: Buffer, verify: (valid: boolean) => void) => {
          const key = describeHostKey(blob);
          this.presentedKey = key;
          this.options.verifyHostKey(key).then((verdict) => {
            if (!verdict.accept) {
              refusal = new SshCollectionError(verdict.reason === 'changed' ? 'host-key-changed' : 'host-key-unknown', verdict.detail, key);
            }
            verify(verdict.accept);
          }, (error: unknown) => {
            refusal = new SshCollectionError('host-key-unknown', `the host key of ${target} could not be checked: ${(error as Error).message}`, key);
            verify(false);
          });
        },
      };
      // readyTimeout only starts once the TCP connection is up on some platforms; bound it all.
      const timer = setTimeout(() => fail(new SshCollectionError('unreachable',
        `no SSH connection to ${target} within ${connectTimeoutMs} ms`)), connectTimeoutMs + 1_000);
      client.once('ready', () => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        this.client = client;
        resolve(client);
      });
      client.on('error', (error: Error & { level?: string }) => {
        clearTimeout(timer);
        if (refusal) return fail(refusal);
        if (error.level === 'client-authentication') {
          const methods = [this.options.privateKey ? 'private key' : '', this.options.password !== undefined ? 'password' : ''].filter(Boolean).join(' and ');
          return fail(new SshCollectionError('authentication',
            `${target} refused the authentication of user ${this.options.username} (${methods || 'no method'} tried)`));
        }
        if (error.level === 'client-timeout' || /timed out/i.test(error.message)) {
          return fail(new SshCollectionError('unreachable', `no SSH connection to ${target} within ${connectTimeoutMs} ms: ${error.message}`));
        }
        const code = errorCode(error);
        if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT'].includes(code)) {
          return fail(new SshCollectionError('unreachable', `cannot connect to ${target}: ${code === 'ECONNREFUSED' ? 'connection refused (no SSH server listens on that port)' : error.message}`));
        }
        if (!settled) return fail(new SshCollectionError('unreachable', `SSH connection to ${target} failed: ${error.message}`));
      });
      client.on('close', () => {
        clearTimeout(timer);
        if (refusal) return fail(refusal);
        fail(new SshCollectionError('unreachable', `${target} closed the connection before the SSH session was set up`));
      });
      try {
        client.connect(config);
      } catch (error) {
        clearTimeout(timer);
        fail(new SshCollectionError('authentication', `cannot connect to ${target}: ${(error as Error).message}`));
      }
    });
  }

  async run(script: string, options: MachineShellRunOptions = {}): Promise<MachineShellResult> {
    const client = await this.connect();
    const timeoutMs = options.timeoutMs ?? this.options.commandTimeoutMs ?? DEFAULT_SSH_COMMAND_TIMEOUT_MS;
    const maxBytes = this.options.maxOutputBytes ?? DEFAULT_SSH_MAX_OUTPUT_BYTES;
    const sudo = this.options.sudo;
    const command = sudo ? sudoCommand() : 'sh -s';
    const input = sudo ? `${sudo.password !== undefined ? `${sudo.password}\n` : ''}${SUDO_SCRIPT_MARKER}\n${script}` : script;
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      client.exec(command, (error, stream) => {
        if (!error) return resolve(stream);
        // ssh2 answers a refused request and a connection lost before the answer (a session
        // killed at once) with the same error: the connection ending tells them apart.
        void this.connectionEnds(client, EXEC_REFUSAL_GRACE_MS).then((lost) => reject(new SshCollectionError('dropped', lost
          ? `the connection to ${this.describe()} was lost before the probe started`
          : `${this.describe()} refused to start the probe: ${error.message}`)));
      });
    });
    return new Promise<MachineShellResult>((resolve, reject) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let size = 0;
      let exitCode: number | undefined;
      let settled = false;
      const finish = (error: Error | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.removeListener('close', onConnectionClose);
        if (error) {
          channel.destroy();
          reject(error);
          return;
        }
        resolve({ stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), exitCode: exitCode ?? 1 });
      };
      const timer = setTimeout(() => {
        // Stopping the channel is not enough when the server ignores signals: drop the connection.
        try { channel.signal('KILL'); } catch { /* the channel is gone already */ }
        finish(new MachineShellTimeoutError(this.describe(), timeoutMs));
        this.close();
      }, timeoutMs);
      const take = (into: Buffer[]) => (chunk: Buffer): void => {
        size += chunk.length;
        if (size > maxBytes) {
          finish(new SshCollectionError('output-too-large', `the probe on ${this.describe()} printed more than ${maxBytes} bytes; output refused`));
          this.close();
          return;
        }
        into.push(chunk);
      };
      const onConnectionClose = (): void => finish(new SshCollectionError('dropped',
        `the connection to ${this.describe()} was lost while collecting (after ${size} bytes of output)`));
      client.once('close', onConnectionClose);
      channel.on('data', take(stdout));
      channel.stderr.on('data', take(stderr));
      // ssh2 names a signal as Node does (`SIGKILL`; the protocol sends `KILL`).
      channel.on('exit', (code: number | null, signal?: string) => {
        exitCode = typeof code === 'number' ? code : signal ? exitCodeOfSignal(signal) : undefined;
      });
      channel.on('close', () => {
        if (exitCode === undefined) {
          finish(new SshCollectionError('dropped',
            `the session on ${this.describe()} ended without an exit status while collecting (after ${size} bytes of output)`));
        } else if (sudo && exitCode === 1 && /sudo|password/i.test(Buffer.concat(stderr).toString('utf8')) && stdout.length === 0) {
          finish(new SshCollectionError('sudo', `sudo refused to run the probe on ${this.describe()}: ${Buffer.concat(stderr).toString('utf8').trim().split('\n').slice(-1)[0]}`));
        } else {
          finish(undefined);
        }
      });
      channel.on('error', (error: Error) => finish(new SshCollectionError('dropped', `the session on ${this.describe()} failed: ${error.message}`)));
      channel.end(input);
    });
  }

  /** Whether the connection has ended, or ends within `withinMs`. */
  private connectionEnds(client: Client, withinMs: number): Promise<boolean> {
    if (this.connectionEnded) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const settle = (ended: boolean): void => {
        clearTimeout(timer);
        client.removeListener('end', onEnd).removeListener('close', onEnd);
        resolve(ended);
      };
      const onEnd = (): void => settle(true);
      const timer = setTimeout(() => settle(false), withinMs);
      client.once('end', onEnd).once('close', onEnd);
    });
  }

  /** Closes the connection; safe to call more than once. */
  close(): void {
    this.closed = true;
    this.client?.end();
    this.client = undefined;
  }
}
