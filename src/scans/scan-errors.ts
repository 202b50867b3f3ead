/**
 * Per-machine scan error numbers (`errorNumber`), with the description stored beside each.
 * The numbers are ours and stable: scripts may branch on them.
 */
export const ScanErrorNumber = {
  /** The endpoint is not this console's host and no remote collector is configured. */
  RemoteScanningNotConfigured: 1001,
  /** Collecting the inventory failed (command failed, timed out, output unreadable). */
  CollectionFailed: 1002,
  /** The machine runs an operating system this console cannot assess yet. */
  UnsupportedOperatingSystem: 1003,
  /** The catalog could not be brought up to date for the machine's configured repositories. */
  CatalogSyncFailed: 1004,
  /** Anything else that went wrong while assessing or storing the result. */
  AssessmentFailed: 1005,
  /** Assessed, but some of the machine's repositories could not be refreshed (the result says which). */
  OutdatedRepositoryData: 1007,
  /**
   * Assessed, but no advisories are imported for the machine's release (RPM-family and Alpine
   * machines are judged by advisories alone), so the result lists no patches.
   */
  NoAdvisoryData: 1008,
  /** No SSH connection could be made (nothing listens, no route, name unknown, connect timeout). */
  MachineUnreachable: 1010,
  /** The SSH server refused the credential (or sudo refused the run-as credential). */
  AuthenticationRefused: 1011,
  /** `Blocked` validation: the server's host key is not trusted yet; the description shows its fingerprint. */
  UnknownHostKey: 1012,
  /** `Blocked` validation: the server presented a different key than the trusted one. */
  ChangedHostKey: 1013,
  /** The inventory probe did not finish within the command timeout. */
  CommandTimedOut: 1014,
  /** The connection or session ended before the probe finished. */
  ConnectionDropped: 1015,
  /** The scan was cancelled (`DELETE /operations/{id}`) before this machine's result was stored. */
  Cancelled: 1020,
} as const;

/** Numbers a machine may carry although it was scanned and its result stored (warnings, not failures). */
export const SCAN_WARNING_NUMBERS: ReadonlySet<number> = new Set([ScanErrorNumber.OutdatedRepositoryData, ScanErrorNumber.NoAdvisoryData]);

/** A note stored with a machine that was scanned: its number and description. */
export interface ScanWarning {
  errorNumber: number;
  description: string;
}

/** An error that carries the per-machine error number to report. */
export class MachineScanError extends Error {
  constructor(readonly errorNumber: number, message: string) {
    super(message);
    this.name = 'MachineScanError';
  }
}
