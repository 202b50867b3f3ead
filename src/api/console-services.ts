import type { PatchwardenDb } from '../db/database.js';
import type { ScanService } from '../scans/scan-service.js';
import type { RequestAuthenticator } from './authentication.js';
import type { PasswordAuthenticator } from '../auth/users.js';
import type { TokenService } from '../auth/tokens.js';
import type { DeploymentJobService } from '../deploy/deployment-jobs.js';
import type { CredentialService } from '../scans/credentials.js';

/** The services the HTTP surfaces call; route handlers only validate, call these and serialise. */
export interface ConsoleServices {
  db: PatchwardenDb;
  scans: ScanService;
  jobs: DeploymentJobService;
  credentials: CredentialService;
  authenticator: RequestAuthenticator;
  passwords: PasswordAuthenticator;
  tokens: TokenService;
  /** Overrides the scheme://host:port of absolute links (behind a proxy). */
  publicUrl?: string;
  productVersion: string;
}
