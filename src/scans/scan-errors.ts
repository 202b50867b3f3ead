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
} as const;

/** An error that carries the per-machine error number to report. */
export class MachineScanError extends Error {
  constructor(readonly errorNumber: number, message: string) {
    super(message);
    this.name = 'MachineScanError';
  }
}
