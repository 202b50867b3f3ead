/**
 * The assessment engine for Debian-family machines: which patches are missing or installed on
 * one machine, given its inventory and a catalog view. Pure and synchronous; no I/O.
 *
 * Candidate selection reproduces apt's policy with default pinning (no /etc/apt/preferences),
 * so "missing" means exactly what `apt list --upgradable` lists:
 *
 * - every available version gets the priority of the best archive it is in: 500, or 1 with
 *   `NotAutomatic: yes`, or 100 with `NotAutomatic: yes` + `ButAutomaticUpgrades: yes`;
 *   the installed version gets at least 100 (it is in the dpkg status file);
 * - walking versions from highest to lowest, the candidate is the first version with the
 *   highest priority, and the walk stops at the installed version: below it only priorities of
 *   1000 and more count, which default pinning never gives;
 * - a package is upgradable when its candidate is higher than the installed version.
 *
 * Missing updates are grouped into patches by (release, candidate source name, candidate
 * source version). A package whose installed version is its candidate and comes from a
 * security or updates archive makes an installed patch, grouped the same way.
 */
import type { AvailableVersion, CatalogView } from '../catalog/catalog-view.js';
import { INSTALLED_VERSION_PIN_PRIORITY } from '../catalog/catalog-view.js';
import type { InstalledPackage, Inventory } from '../inventory/types.js';
import { compareDpkgVersions } from '../versions/dpkg.js';
import { bulletinIdOf, patchIdOf, patchTitleOf, type PatchIdentity } from './patch-identity.js';
import { withAdvisories } from './advisory-matching.js';
import { applyRunningKernel, judgeRunningKernel } from './running-kernel.js';
import type { Assessment, PatchFinding, PatchPackageFinding, PatchType } from './types.js';

/**
 * Whether dpkg has a current version of the package: apt ignores the versions of packages in
 * state `not-installed` or `config-files` (status letters `n` and `c` of `db:Status-Abbrev`).
 * A missing status is read as installed.
 */
export function hasInstalledVersion(pkg: InstalledPackage): boolean {
  const state = pkg.status.charCodeAt(1);
  return state !== 0x6e /* n */ && state !== 0x63 /* c */;
}

/**
 * Where an installed version the catalog does not list sits among `versions`, remembered per
 * list: a fleet runs the same few old versions on many machines, and comparing Debian versions
 * is the most expensive step of an assessment. The answer is `2 × (number of higher versions)`,
 * plus 1 when the version at that position is equal in dpkg's order (another spelling).
 */
const positions = new WeakMap<readonly AvailableVersion[], Map<string, number>>();
/** Bound on remembered versions per list (a list is forgotten wholesale when it fills up). */
const MAX_POSITIONS_PER_LIST = 256;

function positionAmong(versions: readonly AvailableVersion[], installed: string): number {
  let known = positions.get(versions);
  let position = known?.get(installed);
  if (position !== undefined) return position;
  position = versions.length * 2;
  for (let i = 0; i < versions.length; i++) {
    const order = compareDpkgVersions(versions[i].version, installed);
    if (order <= 0) {
      position = i * 2 + (order === 0 ? 1 : 0);
      break;
    }
  }
  if (known === undefined || known.size >= MAX_POSITIONS_PER_LIST) {
    known = new Map();
    positions.set(versions, known);
  }
  known.set(installed, position);
  return position;
}

/** Position of the installed version in the last {@link candidateIndex} walk; -1 = not available. */
let installedIndex = -1;

/**
 * apt's candidate among `versions` (highest first, no two equal in dpkg's order) for a
 * package installed at `installed`: the index of the chosen version, or -1 when the candidate
 * is the installed version and the catalog does not carry it. Also sets {@link installedIndex}.
 * Throws when `installed` is not a valid Debian version.
 */
function candidateIndex(versions: readonly AvailableVersion[], installed: string): number {
  // `higher` = how many versions are higher than the installed one. Usually the installed
  // version is in the catalog with the same spelling, and no version needs comparing.
  installedIndex = -1;
  let higher = -1;
  for (let i = 0; i < versions.length; i++) {
    if (versions[i].version === installed) {
      installedIndex = higher = i;
      break;
    }
  }
  if (higher < 0) {
    const position = positionAmong(versions, installed);
    higher = position >> 1;
    if ((position & 1) === 1) installedIndex = higher; // same version, other spelling (`1.0` / `1.0-0`)
  }

  // Highest priority wins; on equal priority the higher version, met first, stays (strict >).
  // The walk ends at the installed version: below it only priorities of 1000 and more count,
  // which default pinning never gives.
  let best = -1;
  let bestPriority = -1;
  for (let i = 0; i < higher; i++) {
    if (versions[i].priority > bestPriority) {
      best = i;
      bestPriority = versions[i].priority;
    }
  }
  // The installed version has at least the status file's priority.
  const installedPriority =
    installedIndex < 0
      ? INSTALLED_VERSION_PIN_PRIORITY
      : Math.max(versions[installedIndex].priority, INSTALLED_VERSION_PIN_PRIORITY);
  return installedPriority > bestPriority ? installedIndex : best;
}

/** What groups packages into one patch; computed once per catalog version and remembered. */
interface PatchKey {
  /** `release NUL source NUL sourceVersion` */
  name: string;
  identity: PatchIdentity;
  patchId: string;
  bulletinId: string;
  securityTitle: string;
  title: string;
}

const patchKeys = new WeakMap<AvailableVersion, PatchKey>();

function patchKeyOf(available: AvailableVersion): PatchKey {
  let key = patchKeys.get(available);
  if (key === undefined) {
    const release = available.origin.release;
    const { sourceName, sourceVersion } = available.record;
    const identity: PatchIdentity = { release, sourceName, sourceVersion };
    key = {
      name: `${release}\u0000${sourceName}\u0000${sourceVersion}`,
      identity,
      patchId: patchIdOf(identity),
      bulletinId: bulletinIdOf(identity),
      securityTitle: patchTitleOf(identity, 'SecurityPatch'),
      title: patchTitleOf(identity, 'NonSecurityPatch'),
    };
    patchKeys.set(available, key);
  }
  return key;
}

interface PatchGroup {
  key: PatchKey;
  missing: PatchPackageFinding[];
  missingFromSecurity: boolean;
  installed: PatchPackageFinding[];
  installedFromSecurity: boolean;
}

function groupFor(groups: Map<string, PatchGroup>, available: AvailableVersion): PatchGroup {
  const key = patchKeyOf(available);
  let group = groups.get(key.name);
  if (group === undefined) {
    group = { key, missing: [], missingFromSecurity: false, installed: [], installedFromSecurity: false };
    groups.set(key.name, group);
  }
  return group;
}

function byPackage(a: PatchPackageFinding, b: PatchPackageFinding): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  if (a.architecture !== b.architecture) return a.architecture < b.architecture ? -1 : 1;
  return 0;
}

function finding(group: PatchGroup): PatchFinding {
  const missing = group.missing.length > 0;
  const patchType: PatchType = (missing ? group.missingFromSecurity : group.installedFromSecurity)
    ? 'SecurityPatch'
    : 'NonSecurityPatch';
  const packages = missing ? group.missing : group.installed;
  if (packages.length > 1) packages.sort(byPackage);
  const { identity, patchId, bulletinId } = group.key;
  return {
    patchId,
    bulletinId,
    title: patchType === 'SecurityPatch' ? group.key.securityTitle : group.key.title,
    release: identity.release,
    sourceName: identity.sourceName,
    sourceVersion: identity.sourceVersion,
    patchType,
    vendorSeverity: 'None',
    cves: [],
    state: missing ? 'Missing' : 'Installed',
    packages,
  };
}

/**
 * Assesses one machine. Patches are sorted by bulletin id. A patch that some packages still
 * miss is `Missing` even when other packages of the same source version are already updated
 * (those are then not listed). Installed packages whose version cannot be parsed are skipped.
 */
export function assessInventory(inventory: Inventory, view: CatalogView): Assessment {
  const availability = view.availabilityFor(inventory.aptSources, {
    native: inventory.architecture,
    foreign: inventory.foreignArchitectures,
  });
  const groups = new Map<string, PatchGroup>();

  for (const pkg of inventory.packages) {
    if (!hasInstalledVersion(pkg)) continue;
    const versions = availability.versionsOf(pkg.name, pkg.architecture);
    if (versions === undefined) continue;
    let chosen: number;
    try {
      chosen = candidateIndex(versions, pkg.version);
    } catch {
      continue;
    }
    if (chosen < 0) continue;
    const candidate = versions[chosen];

    if (chosen !== installedIndex) {
      const group = groupFor(groups, candidate);
      group.missing.push({
        name: pkg.name,
        // The installed package's architecture, as `apt list --upgradable` prints it (the
        // candidate may be `all` where the installed version is not, or the reverse).
        architecture: pkg.architecture,
        installedVersion: pkg.version,
        candidateVersion: candidate.version,
        suites: candidate.suites.slice(),
      });
      if (candidate.fromSecurity) group.missingFromSecurity = true;
    } else if (candidate.fromSecurity || candidate.fromUpdates) {
      const group = groupFor(groups, candidate);
      group.installed.push({
        name: pkg.name,
        architecture: pkg.architecture,
        installedVersion: pkg.version,
        candidateVersion: candidate.version,
        suites: candidate.suites.slice(),
      });
      if (candidate.fromSecurity) group.installedFromSecurity = true;
    }
  }

  const patches = withAdvisories([...groups.values()].map(finding), inventory, view, availability);
  // Kernel fixes installed but not booted yet are InstalledPendingReboot.
  const kernel = judgeRunningKernel(inventory);
  applyRunningKernel(patches, kernel);
  let missingCount = 0;
  for (const patch of patches) if (patch.state === 'Missing') missingCount++;
  patches.sort((a, b) =>
    a.bulletinId !== b.bulletinId
      ? a.bulletinId < b.bulletinId
        ? -1
        : 1
      : a.patchId < b.patchId
        ? -1
        : a.patchId > b.patchId
          ? 1
          : 0,
  );

  return {
    patches,
    missingCount,
    installedCount: patches.length - missingCount,
    rebootRequired: inventory.reboot.required || kernel.newerInstalled.length > 0,
    definitionVersion: view.definitionVersion,
  };
}
