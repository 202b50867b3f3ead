import type { CredentialService } from './credentials.js';
import { CredentialNotFoundError } from './credentials.js';
import { MachineScanError, ScanErrorNumber } from './scan-errors.js';

/**
 * Which credentials reach one machine of a scan. This is the single place that decides it, so
 * further sources (session credentials, a machine group's per-machine credentials) plug in here.
 */

/** A logon for a machine: a user name and either a password or a private key. */
export interface MachineLogin {
  /** The stored credential; undefined for the scanning user's session credential. */
  credentialId?: string;
  username: string;
  password?: string;
  /** Set when the stored secret is a private key (PEM or OpenSSH format) instead of a password. */
  privateKey?: string;
}

export interface MachineCredentials {
  /** How to log on; undefined when the scan gave none. */
  login?: MachineLogin;
  /** Whose password answers sudo when the probe runs through it (`runAsCredentialId`). */
  runAs?: MachineLogin;
}

/** What the scan knows when it resolves a machine's credentials. */
export interface MachineCredentialSources {
  /** The credential resolved for this machine when the scan started (e.g. from its machine group). */
  machineCredentialId: string | null;
  /** The scan request's `credentialId`. */
  credentialId?: string;
  /** The scan request's `runAsCredentialId`. */
  runAsCredentialId?: string;
  /** The user who started the scan: only their credentials can be used. */
  owner: { id: number; username: string };
  /**
   * The scanning user's session credential (`POST /sessioncredentials`), if they gave one: the
   * logon when neither the machine nor the scan names a stored credential.
   */
  sessionCredential?: { username: string; password: string };
}

const PRIVATE_KEY = /^-----BEGIN (?:OPENSSH |RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----/;

async function loadLogin(credentials: CredentialService, id: string, owner: MachineCredentialSources['owner'], field: string): Promise<MachineLogin> {
  let credential;
  let secret: string;
  try {
    credential = await credentials.get(owner, id);
    if (!credential) throw new CredentialNotFoundError(id);
    secret = await credentials.decryptPassword(credential.id, owner);
  } catch (error) {
    if (error instanceof CredentialNotFoundError) {
      throw new MachineScanError(ScanErrorNumber.RemoteScanningNotConfigured,
        `the scan's ${field} ${id} does not exist (deleted, or owned by another user); create a credential and scan again`);
    }
    throw new MachineScanError(ScanErrorNumber.RemoteScanningNotConfigured, `the scan's ${field} ${id} cannot be decrypted: ${(error as Error).message}`);
  }
  const trimmed = secret.trim();
  return PRIVATE_KEY.test(trimmed)
    ? { credentialId: credential.id, username: credential.username, privateKey: `${trimmed}\n` }
    : { credentialId: credential.id, username: credential.username, password: secret };
}

/** Resolves the logon and the sudo credential of one machine; nothing when the scan names none. */
export async function resolveMachineCredentials(credentials: CredentialService, sources: MachineCredentialSources): Promise<MachineCredentials> {
  const loginId = sources.machineCredentialId ?? sources.credentialId;
  const result: MachineCredentials = {};
  if (loginId) result.login = await loadLogin(credentials, loginId, sources.owner, 'credentialId');
  else if (sources.sessionCredential) result.login = { username: sources.sessionCredential.username, password: sources.sessionCredential.password };
  // A run-as credential that is also the logon (the scan gave no other) logs on; it does not sudo.
  if (sources.runAsCredentialId && sources.runAsCredentialId.toLowerCase() !== loginId?.toLowerCase()) {
    result.runAs = await loadLogin(credentials, sources.runAsCredentialId, sources.owner, 'runAsCredentialId');
  }
  return result;
}
