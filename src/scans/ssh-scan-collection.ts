/**
 * Collecting one machine of a scan over SSH: the endpoint's host and port, the settings that
 * bound a connection, the host-key check against the known-hosts store, and the translation of
 * every failure into the machine's `errorNumber` and `errorDescription`.
 */
import {
  DEFAULT_SSH_COMMAND_TIMEOUT_MS, DEFAULT_SSH_CONNECT_TIMEOUT_MS, DEFAULT_SSH_MAX_OUTPUT_BYTES, SshCollectionError, SshMachineShell,
} from '../inventory/collectors/ssh.js';
import { MachineShellTimeoutError } from '../inventory/collectors/local.js';
import type { MachineShell } from '../inventory/machine-shell.js';
import type { Inventory } from '../inventory/types.js';
import type { MachineCredentials } from './machine-credentials.js';
import { MachineScanError, ScanErrorNumber } from './scan-errors.js';
import { hostKeyEndpoint, type SshHostKeyStore, type SshServerValidationMode } from './ssh-host-keys.js';

export interface SshCollectionSettings {
  /** TCP connect, key exchange and authentication together. */
  connectTimeoutMs: number;
  /** The inventory probe, once connected. */
  commandTimeoutMs: number;
  /** Output beyond this is refused (a misbehaving machine cannot fill the console's memory). */
  maxOutputBytes: number;
  /** Each SSH connection waits a random time below this before it starts. */
  startJitterMs: number;
}

export const DEFAULT_SSH_START_JITTER_MS = 250;

function positiveIntegerFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, allowZero = false): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new Error(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} whole number of ${name.endsWith('_BYTES') ? 'bytes' : 'milliseconds'}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** The SSH settings from `PATCHWARDEN_SSH_*` environment variables, with defaults. */
export function sshCollectionSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): SshCollectionSettings {
  return {
    connectTimeoutMs: positiveIntegerFromEnv(env, 'PATCHWARDEN_SSH_CONNECT_TIMEOUT_MS', DEFAULT_SSH_CONNECT_TIMEOUT_MS),
    commandTimeoutMs: positiveIntegerFromEnv(env, 'PATCHWARDEN_SSH_COMMAND_TIMEOUT_MS', DEFAULT_SSH_COMMAND_TIMEOUT_MS),
    maxOutputBytes: positiveIntegerFromEnv(env, 'PATCHWARDEN_SSH_MAX_OUTPUT_BYTES', DEFAULT_SSH_MAX_OUTPUT_BYTES),
    startJitterMs: positiveIntegerFromEnv(env, 'PATCHWARDEN_SSH_START_JITTER_MS', DEFAULT_SSH_START_JITTER_MS, true),
  };
}

/** `host`, `host:port` or `[v6]:port` (port 22 by default); undefined when malformed. */
export function parseScanEndpoint(endpoint: string): { host: string; port: number } | undefined {
  const value = endpoint.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(value);
  if (bracketed) return checked(bracketed[1], bracketed[2]);
  const colons = value.split(':').length - 1;
  if (colons === 0) return checked(value, undefined);
  if (colons === 1) {
    const [host, port] = value.split(':');
    return /^\d{1,5}$/.test(port) ? checked(host, port) : undefined;
  }
  return checked(value, undefined); // a bare IPv6 address
}

function checked(host: string, port: string | undefined): { host: string; port: number } | undefined {
  const number = port === undefined ? 22 : Number(port);
  if (host === '' || number < 1 || number > 65535) return undefined;
  return { host, port: number };
}

/** Whether an endpoint names a port explicitly (then it is never the console's own host shell). */
export function endpointHasPort(endpoint: string): boolean {
  return /^\[[^\]]+\]:\d+$/.test(endpoint.trim()) || /^[^:]+:\d+$/.test(endpoint.trim());
}

/**
 * The probe copies the machine's apt keyrings when `PW_WITH_KEYRINGS=1` is set: the console
 * cannot read them in place on a remote machine.
 */
export function shellCopyingKeyrings(shell: MachineShell): MachineShell {
  return {
    run: (script, options) => shell.run(`PW_WITH_KEYRINGS=1\n${script}`, options),
    describe: () => shell.describe(),
  };
}

export interface SshCollectionRequest {
  endpoint: string;
  credentials: MachineCredentials;
  validation: SshServerValidationMode;
  hostKeys: SshHostKeyStore;
  settings: SshCollectionSettings;
  /** Runs the probe through the shell (one round trip) and returns the inventory. */
  collect: (shell: MachineShell, timeoutMs: number) => Promise<Inventory>;
}

/** Connects, collects and closes; every failure becomes a MachineScanError for this machine. */
export async function collectOverSsh(request: SshCollectionRequest): Promise<Inventory> {
  const { endpoint, credentials, settings } = request;
  const address = parseScanEndpoint(endpoint);
  if (!address) {
    throw new MachineScanError(ScanErrorNumber.MachineUnreachable, `${endpoint} is not a valid endpoint: use a host name or address, optionally with :port`);
  }
  const login = credentials.login;
  if (!login) {
    throw new MachineScanError(ScanErrorNumber.RemoteScanningNotConfigured,
      `remote scanning is not configured: ${endpoint} is not this console's host and the scan has no credential to reach it; `
      + 'pass credentialId (a stored credential) in the scan request, or give a session credential (POST /sessioncredentials) first');
  }
  const knownAs = hostKeyEndpoint(address.host, address.port);
  const shell = new SshMachineShell({
    host: address.host, port: address.port, username: login.username, password: login.password, privateKey: login.privateKey,
    verifyHostKey: (key) => request.hostKeys.verify(knownAs, key, request.validation),
    connectTimeoutMs: settings.connectTimeoutMs, commandTimeoutMs: settings.commandTimeoutMs, maxOutputBytes: settings.maxOutputBytes,
    sudo: credentials.runAs ? { password: credentials.runAs.password } : undefined,
  });
  try {
    await shell.connect();
    return await request.collect(shell, settings.commandTimeoutMs);
  } catch (error) {
    throw scanErrorOf(error, endpoint, settings);
  } finally {
    shell.close();
  }
}

const NUMBER_OF_KIND = {
  unreachable: ScanErrorNumber.MachineUnreachable,
  authentication: ScanErrorNumber.AuthenticationRefused,
  sudo: ScanErrorNumber.AuthenticationRefused,
  'host-key-unknown': ScanErrorNumber.UnknownHostKey,
  'host-key-changed': ScanErrorNumber.ChangedHostKey,
  dropped: ScanErrorNumber.ConnectionDropped,
  'output-too-large': ScanErrorNumber.CollectionFailed,
} as const;

function scanErrorOf(error: unknown, endpoint: string, settings: SshCollectionSettings): MachineScanError {
  if (error instanceof MachineScanError) return error;
  if (error instanceof SshCollectionError) return new MachineScanError(NUMBER_OF_KIND[error.kind], error.message);
  if (error instanceof MachineShellTimeoutError) {
    return new MachineScanError(ScanErrorNumber.CommandTimedOut,
      `the inventory probe on ${endpoint} did not finish within ${settings.commandTimeoutMs} ms and was stopped `
      + '(command timeout: PATCHWARDEN_SSH_COMMAND_TIMEOUT_MS)');
  }
  return new MachineScanError(ScanErrorNumber.CollectionFailed, `collecting the inventory of ${endpoint} failed: ${(error as Error).message}`);
}
