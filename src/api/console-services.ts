import type { PatchwardenDb } from '../db/database.js';
import type { ScanService } from '../scans/scan-service.js';
import type { RequestAuthenticator } from './authentication.js';
import type { PasswordAuthenticator } from '../auth/users.js';
import type { TokenService } from '../auth/tokens.js';
import type { DeploymentJobService } from '../deploy/deployment-jobs.js';
import type { CredentialService } from '../scans/credentials.js';
import type { SshHostKeyStore } from '../scans/ssh-host-keys.js';
import type { MachineGroupService } from '../scans/machine-groups.js';
import type { MachineService } from '../scans/machines.js';
import type { SessionCredentialStore } from '../scans/session-credentials.js';
import type { SessionKey } from '../scans/session-key.js';

/** The services the HTTP surfaces call; route handlers only validate, call these and serialise. */
export interface ConsoleServices {
  db: PatchwardenDb;
  scans: ScanService;
  jobs: DeploymentJobService;
  credentials: CredentialService;
  /** The known-hosts store of SSH scans. */
  hostKeys: SshHostKeyStore;
  machineGroups: MachineGroupService;
  machines: MachineService;
  /** Per-user session credentials, in memory only. */
  sessionCredentials: SessionCredentialStore;
  /** The key pair clients encrypt passwords for (`GET /configuration/certificate`). */
  sessionKey: SessionKey;
  authenticator: RequestAuthenticator;
  passwords: PasswordAuthenticator;
  tokens: TokenService;
  /** Overrides the scheme://host:port of absolute links (behind a proxy). */
  publicUrl?: string;
  productVersion: string;
}
