/** What a scan reports for one patch on one machine. */
export type PatchState = 'Missing' | 'Installed' | 'InstalledPendingReboot';

/**
 * The two states the Patch Management API knows (`patchStatus`, the missing and installed
 * counts), each with the scan states it stands for: a patch pending a reboot is installed.
 */
export const PATCH_STATES_OF_STATUS: Readonly<Record<'Missing' | 'Installed', readonly PatchState[]>> = {
  Missing: ['Missing'],
  Installed: ['Installed', 'InstalledPendingReboot'],
};

export type PatchType = 'SecurityPatch' | 'NonSecurityPatch';

/** The platforms a patch, a machine or a deployment job belongs to (as the PM API names them). */
export const PATCH_PLATFORMS = ['Windows', 'Linux'] as const;
export type PatchPlatform = (typeof PATCH_PLATFORMS)[number];
export type VendorSeverity = 'None' | 'Critical' | 'Important' | 'Moderate' | 'Low';

/** One binary package a patch updates, as seen on this machine. */
export interface PatchPackageFinding {
  name: string;
  architecture: string;
  installedVersion: string;
  /** The version apt would install (for an installed patch: the installed version). */
  candidateVersion: string;
  /** Archive names (`Suite:`) the candidate is available from, e.g. `["oldstable-security"]`. */
  suites: string[];
}

/**
 * One patch: the binary packages of one source package that one candidate source version
 * updates, in one release. Stable identity: UUID v5 of (release, source, source version).
 */
export interface PatchFinding {
  patchId: string;
  bulletinId: string;
  title: string;
  /** Release codename, e.g. `bookworm`. */
  release: string;
  sourceName: string;
  sourceVersion: string;
  patchType: PatchType;
  vendorSeverity: VendorSeverity;
  cves: string[];
  /** QIDs of the advisories the patch fixes (absent when no advisory describes it). */
  qids?: number[];
  state: PatchState;
  packages: PatchPackageFinding[];
}

export interface Assessment {
  /** Sorted by bulletinId for stable output. */
  patches: PatchFinding[];
  missingCount: number;
  installedCount: number;
  rebootRequired: boolean;
  /** Definition version of the catalog snapshot used. */
  definitionVersion: string;
}
