/**
 * Advisories in assessment. Pure, like the rest of the engine.
 *
 * Debian and Ubuntu machines: a patch found from the apt repositories takes its identity from
 * the advisory that describes the same fix. Same release, same source package, and an advisory
 * fixed version that the patch's candidate source version satisfies (fixed ≤ candidate) and
 * that the machine does not have yet (fixed > the installed source version of one of the
 * patch's packages). For an installed patch, the fix must be newer than the next lower version
 * the repositories offer (or equal to the installed version when they offer none), so an old
 * advisory is not pinned on a later update. When several advisories qualify, the one with the
 * highest fixed version gives the bulletin id (a publisher's advisory before a per-CVE record
 * at the same version), the severity (the highest among the qualifying ones when it states
 * none) and the patch becomes a security patch; CVEs and QIDs are the union of all of them.
 * Ubuntu's binary list, when present, must name one of the patch's packages. The patch id
 * stays the UUID of (release, source, source version).
 *
 * RPM and Alpine machines (no apt data): findings come from advisories alone. An installed
 * package below an advisory's fixed version for the machine's release is Missing (candidate =
 * the fixed version); at or above it, Installed. One patch per advisory.
 */
import { v5 as uuidV5 } from 'uuid';
import {
  advisoryReleaseOfInventory, maxSeverity, severityRank, tryCompareVersions, versionSchemeOf, type VersionScheme,
} from '../catalog/advisory.js';
import type { StoredAdvisoryFix } from '../catalog/advisory-store.js';
import type { CatalogView, SourceSetAvailability } from '../catalog/catalog-view.js';
import type { InstalledPackage, Inventory } from '../inventory/types.js';
import { DEBIAN_PATCH_ID_NAMESPACE, patchTitleOf } from './patch-identity.js';
import type { PatchFinding, PatchPackageFinding, VendorSeverity } from './types.js';

/** Per-CVE records rank below a publisher's advisory fixing the same version. */
const PER_CVE_RECORD = /^[A-Z]+-CVE-/;

function packageKey(name: string, architecture: string): string {
  return `${name}\u0000${architecture}`;
}

/** The best advisory first: highest fixed version, then publisher advisories, then id. */
function byPreference(scheme: VersionScheme) {
  return (a: StoredAdvisoryFix, b: StoredAdvisoryFix): number => {
    const order = tryCompareVersions(scheme, b.fixedVersion, a.fixedVersion) ?? 0;
    if (order !== 0) return order;
    const aCve = PER_CVE_RECORD.test(a.advisoryId);
    if (aCve !== PER_CVE_RECORD.test(b.advisoryId)) return aCve ? 1 : -1;
    return a.advisoryId < b.advisoryId ? -1 : a.advisoryId > b.advisoryId ? 1 : 0;
  };
}

/** Bulletin, severity, CVEs and QIDs of the qualifying advisories, best first. */
function identityFrom(matched: StoredAdvisoryFix[], scheme: VersionScheme): Pick<PatchFinding, 'bulletinId' | 'vendorSeverity' | 'cves' | 'qids'> {
  matched.sort(byPreference(scheme));
  const best = matched[0];
  let severity: VendorSeverity = best.severity;
  if (severityRank(severity) === 0) for (const fix of matched) severity = maxSeverity(severity, fix.severity);
  const cves = new Set<string>();
  const qids = new Set<number>();
  for (const fix of matched) {
    for (const cve of fix.cves) cves.add(cve);
    qids.add(fix.qid);
  }
  return { bulletinId: best.advisoryId, vendorSeverity: severity, cves: [...cves].sort(), qids: [...qids].sort((x, y) => x - y) };
}

/** The source version of the next lower version the repositories offer, if any. */
function lowerAvailableSource(availability: SourceSetAvailability, pkg: PatchPackageFinding, scheme: VersionScheme): string | undefined {
  const versions = availability.versionsOf(pkg.name, pkg.architecture);
  if (versions === undefined) return undefined;
  const at = versions.findIndex((v) => v.version === pkg.candidateVersion);
  if (at < 0) return undefined;
  const candidateSource = versions[at].record.sourceVersion;
  for (let i = at + 1; i < versions.length; i++) {
    const source = versions[i].record.sourceVersion;
    if (tryCompareVersions(scheme, source, candidateSource) !== 0) return source;
  }
  return undefined;
}

/** Gives Debian-family patches the identity of the advisories that describe their fix (in place). */
function applyToAptFindings(patches: PatchFinding[], inventory: Inventory, view: CatalogView, availability: SourceSetAvailability, distro: string): void {
  const scheme = versionSchemeOf(distro) ?? 'dpkg';
  let installed: Map<string, InstalledPackage> | undefined; // built on the first patch an advisory names
  for (const patch of patches) {
    const fixes = view.advisories.of(distro, patch.release).bySource.get(patch.sourceName);
    if (fixes === undefined) continue;
    if (installed === undefined) {
      installed = new Map();
      for (const pkg of inventory.packages) installed.set(packageKey(pkg.name, pkg.architecture), pkg);
    }
    const names = new Set(patch.packages.map((p) => p.name));
    let floors: string[];
    if (patch.state === 'Missing') {
      floors = patch.packages.map((p) => installed!.get(packageKey(p.name, p.architecture))?.sourceVersion ?? p.installedVersion);
    } else {
      floors = patch.packages.map((p) => lowerAvailableSource(availability, p, scheme)).filter((v): v is string => v !== undefined);
    }
    const matched = fixes.filter((fix) => {
      if (fix.binaries.length > 0 && !fix.binaries.some((b) => names.has(b))) return false;
      const toCandidate = tryCompareVersions(scheme, fix.fixedVersion, patch.sourceVersion);
      if (toCandidate === undefined || toCandidate > 0) return false;
      if (floors.length === 0) return toCandidate === 0;
      return floors.some((floor) => (tryCompareVersions(scheme, fix.fixedVersion, floor) ?? 0) > 0);
    });
    if (matched.length === 0) continue;
    Object.assign(patch, identityFrom(matched, scheme), {
      patchType: 'SecurityPatch',
      title: patchTitleOf({ release: patch.release, sourceName: patch.sourceName, sourceVersion: patch.sourceVersion }, 'SecurityPatch'),
    });
  }
}

function architectureMatches(fix: StoredAdvisoryFix, pkg: InstalledPackage): boolean {
  return fix.architecture === '' || fix.architecture === pkg.architecture || fix.architecture === 'noarch' || pkg.architecture === 'noarch';
}

/** Patch id of an advisory on an RPM or Alpine release: UUID v5 of `advisory/<distro>-<release>/<id>`. */
export function advisoryPatchIdOf(release: string, advisoryId: string): string {
  return uuidV5(`advisory/${release}/${advisoryId}`, DEBIAN_PATCH_ID_NAMESPACE);
}

/**
 * The newest installed version of each (name, architecture): RPM keeps several kernels installed
 * side by side, and only the newest says whether a fix is installed (which one runs is the
 * running-kernel judgement's business).
 */
function newestInstalled(packages: readonly InstalledPackage[], scheme: VersionScheme): InstalledPackage[] {
  const newest = new Map<string, InstalledPackage>();
  for (const pkg of packages) {
    const key = packageKey(pkg.name, pkg.architecture);
    const known = newest.get(key);
    if (known === undefined || (tryCompareVersions(scheme, pkg.version, known.version) ?? 0) > 0) newest.set(key, pkg);
  }
  return [...newest.values()];
}

/** Findings of an RPM or Alpine machine, from advisories alone. */
function findingsFromAdvisories(inventory: Inventory, view: CatalogView, distro: string, release: string): PatchFinding[] {
  const scheme = versionSchemeOf(distro);
  if (scheme === undefined) return [];
  const advisories = view.advisories.of(distro, release);
  const releaseName = `${distro}-${release}`;
  const byAdvisory = new Map<string, { fix: StoredAdvisoryFix; sourceName: string; fixed: string; missing: PatchPackageFinding[]; installed: PatchPackageFinding[] }>();
  for (const pkg of newestInstalled(inventory.packages, scheme)) {
    // rpm and apk: a binary package has its source's version, so the binary EVR (with its epoch) is compared.
    const candidates = [...(advisories.byBinary.get(pkg.name) ?? []), ...(advisories.bySource.get(pkg.sourceName) ?? [])];
    const best = new Map<string, StoredAdvisoryFix>();
    for (const fix of candidates) {
      if (!architectureMatches(fix, pkg)) continue;
      const previous = best.get(fix.advisoryId);
      if (previous === undefined || (tryCompareVersions(scheme, fix.fixedVersion, previous.fixedVersion) ?? 0) > 0) best.set(fix.advisoryId, fix);
    }
    for (const fix of best.values()) {
      const order = tryCompareVersions(scheme, pkg.version, fix.fixedVersion);
      if (order === undefined) continue;
      let entry = byAdvisory.get(fix.advisoryId);
      if (entry === undefined) {
        entry = { fix, sourceName: fix.nameKind === 'source' ? fix.packageName : pkg.sourceName || fix.packageName, fixed: fix.fixedVersion, missing: [], installed: [] };
        byAdvisory.set(fix.advisoryId, entry);
      } else if ((tryCompareVersions(scheme, fix.fixedVersion, entry.fixed) ?? 0) > 0) {
        entry.fixed = fix.fixedVersion;
      }
      const finding: PatchPackageFinding = {
        name: pkg.name, architecture: pkg.architecture, installedVersion: pkg.version,
        candidateVersion: order < 0 ? fix.fixedVersion : pkg.version, suites: [],
      };
      (order < 0 ? entry.missing : entry.installed).push(finding);
    }
  }
  const findings: PatchFinding[] = [];
  for (const [advisoryId, entry] of byAdvisory) {
    const missing = entry.missing.length > 0;
    const packages = (missing ? entry.missing : entry.installed).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.architecture < b.architecture ? -1 : 1));
    const { fix } = entry;
    findings.push({
      patchId: advisoryPatchIdOf(releaseName, advisoryId), bulletinId: advisoryId,
      title: fix.title && fix.title !== advisoryId ? fix.title : `${entry.sourceName} ${entry.fixed} security update for ${releaseName}`,
      release: releaseName, sourceName: entry.sourceName, sourceVersion: entry.fixed, patchType: 'SecurityPatch',
      vendorSeverity: fix.severity, cves: [...fix.cves], qids: [fix.qid], state: missing ? 'Missing' : 'Installed', packages,
    });
  }
  return findings;
}

/**
 * Applies the catalog's advisories to a machine's findings: Debian-family patches take the
 * identity of the advisories describing their fix (in place); RPM and Alpine machines get one
 * finding per applicable advisory, appended. Returns `patches`.
 */
export function withAdvisories(patches: PatchFinding[], inventory: Inventory, view: CatalogView, availability: SourceSetAvailability): PatchFinding[] {
  const release = advisoryReleaseOfInventory(inventory);
  if (release === undefined) return patches;
  if (inventory.os.family === 'debian') applyToAptFindings(patches, inventory, view, availability, release.distro);
  else if (inventory.os.family === 'rpm' || inventory.os.family === 'alpine') patches.push(...findingsFromAdvisories(inventory, view, release.distro, release.release));
  return patches;
}
