/**
 * Security advisories as the catalog keeps them, whatever feed they came from (OSV records,
 * RPM updateinfo errata): an id, its CVEs and severity, and the package versions that fix it
 * per distribution release. Also the release keys that tie an advisory to a machine.
 */
import type { VendorSeverity } from '../assess/types.js';
import type { Inventory } from '../inventory/types.js';
import { compareApkVersions } from '../versions/apk.js';
import { compareDpkgVersions } from '../versions/dpkg.js';
import { compareRpmEvr } from '../versions/rpm.js';

/** Which comparator orders a distribution's versions. */
export type VersionScheme = 'dpkg' | 'rpm' | 'apk';

/** Whether an advisory names the source package (dpkg source, SRPM, apk origin) or a binary one. */
export type PackageNameKind = 'source' | 'binary';

/** One package version that fixes an advisory in one distribution release. */
export interface AdvisoryFix {
  /** The ecosystem as published, e.g. `Debian:12`, `Ubuntu:Pro:18.04:LTS`, `AlmaLinux:9`. */
  ecosystem: string;
  /** Lower-case distribution id as os-release spells it: `debian`, `ubuntu`, `almalinux`, `rocky`, `alpine`, `rhel`. */
  distro: string;
  /** Release key, see {@link releaseKeyOf}: `bookworm`, `jammy`, `9`, `3.19`. */
  release: string;
  packageName: string;
  nameKind: PackageNameKind;
  /** Binary architecture the fix is for; `''` when it applies to every architecture. */
  architecture: string;
  /** The first fixed version: dpkg version, rpm `[epoch:]version-release`, or apk version. */
  fixedVersion: string;
  /** Binary packages the fix updates, when the publisher lists them (narrows source-name hits). */
  binaries: string[];
}

export interface Advisory {
  /** Publisher's id: `DSA-5678-1`, `USN-7000-1`, `ALSA-2024:1234`, `DEBIAN-CVE-2024-1234`. */
  id: string;
  /** Feed the advisory was imported from. */
  source: 'osv' | 'updateinfo';
  /** Lower-case distribution id of the publisher (`debian`, `ubuntu`, ...). */
  publisher: string;
  title: string;
  severity: VendorSeverity;
  /** Sorted, distinct CVE ids. */
  cves: string[];
  /** ISO-8601; `''` when unknown. */
  published: string;
  /** ISO-8601; the import skips a record whose `modified` is not newer than the stored one. */
  modified: string;
  fixes: AdvisoryFix[];
}

/** Debian release numbers (distro-info) to the codenames apt repositories use. */
const DEBIAN_CODENAMES: Record<string, string> = {
  '7': 'wheezy', '8': 'jessie', '9': 'stretch', '10': 'buster', '11': 'bullseye', '12': 'bookworm', '13': 'trixie', '14': 'forky', '15': 'duke',
};

/** Ubuntu release numbers to codenames. */
const UBUNTU_CODENAMES: Record<string, string> = {
  '14.04': 'trusty', '16.04': 'xenial', '18.04': 'bionic', '20.04': 'focal', '22.04': 'jammy', '23.04': 'lunar', '23.10': 'mantic',
  '24.04': 'noble', '24.10': 'oracular', '25.04': 'plucky', '25.10': 'questing', '26.04': 'resolute',
};

export const VERSION_SCHEME: Record<string, VersionScheme> = {
  debian: 'dpkg', ubuntu: 'dpkg', almalinux: 'rpm', rocky: 'rpm', rhel: 'rpm', centos: 'rpm', fedora: 'rpm', ol: 'rpm', amzn: 'rpm', alpine: 'apk',
};

export function versionSchemeOf(distro: string): VersionScheme | undefined {
  return VERSION_SCHEME[distro];
}

/**
 * The release key a distribution's advisories and machines share: the codename for Debian and
 * Ubuntu (what apt repositories call the release), the major version for RPM distributions,
 * `major.minor` for Alpine. `version` is a number (`12`, `22.04`, `9.4`, `3.19.1`) or a codename.
 */
export function releaseKeyOf(distro: string, version: string): string {
  const v = version.trim().replace(/^v/, '');
  switch (distro) {
    case 'debian': return DEBIAN_CODENAMES[v.split('.')[0]] ?? v;
    case 'ubuntu': return UBUNTU_CODENAMES[v] ?? v;
    case 'alpine': return v.split('.').slice(0, 2).join('.');
    default: return versionSchemeOf(distro) === 'rpm' ? v.split('.')[0] : v;
  }
}

/** Orders two versions of one scheme; throws when either is not a valid version. */
export function compareVersions(scheme: VersionScheme, a: string, b: string): number {
  switch (scheme) {
    case 'dpkg': return compareDpkgVersions(a, b);
    // A missing epoch is epoch 0; a missing release sorts first, so a full EVR is never "equal" to a bare version.
    case 'rpm': return compareRpmEvr(a, b, { missingRelease: 'older' });
    case 'apk': return compareApkVersions(a, b);
  }
}

/** Like {@link compareVersions}, but undefined when either version cannot be parsed. */
export function tryCompareVersions(scheme: VersionScheme, a: string, b: string): number | undefined {
  try {
    return compareVersions(scheme, a, b);
  } catch {
    return undefined;
  }
}

const SEVERITY_RANK: Record<VendorSeverity, number> = { None: 0, Low: 1, Moderate: 2, Important: 3, Critical: 4 };

export function severityRank(severity: VendorSeverity): number {
  return SEVERITY_RANK[severity];
}

/** The higher of two severities. */
export function maxSeverity(a: VendorSeverity, b: VendorSeverity): VendorSeverity {
  return SEVERITY_RANK[b] > SEVERITY_RANK[a] ? b : a;
}

/**
 * Maps a publisher's severity word to the console's scale (documented in docs/advisories.md):
 * Red Hat family `Critical|Important|Moderate|Low`; Ubuntu priority `critical`, `high` →
 * Important, `medium` → Moderate, `low`, `negligible` → None; Debian urgency `high` → Important,
 * `medium` → Moderate, `low`, `unimportant` → None. Unknown words (`untriaged`, `not yet
 * assigned`, `Unspecified`) give undefined.
 */
export function vendorSeverityOf(word: string | undefined): VendorSeverity | undefined {
  switch ((word ?? '').trim().toLowerCase().replace(/\*+$/, '')) {
    case 'critical': return 'Critical';
    case 'important': case 'high': return 'Important';
    case 'moderate': case 'medium': return 'Moderate';
    case 'low': return 'Low';
    case 'negligible': case 'unimportant': case 'none': return 'None';
    default: return undefined;
  }
}

/** QID severity (1 minimal … 5 urgent) of a vendor severity. */
export function qidSeverityOf(severity: VendorSeverity): number {
  return SEVERITY_RANK[severity] + 1;
}

const CVE_ID = /^CVE-\d{4}-\d{4,}$/;

export function isCveId(id: string): boolean {
  return CVE_ID.test(id);
}

/** Distribution and release key of a machine, for its advisories; undefined for an unknown distribution. */
export function advisoryReleaseOfInventory(inventory: Inventory): { distro: string; release: string } | undefined {
  const distro = [inventory.os.id, ...inventory.os.idLike].map((id) => id.toLowerCase()).find((id) => versionSchemeOf(id) !== undefined);
  if (distro === undefined) return undefined;
  const version = inventory.os.family === 'debian' && inventory.os.versionCodename ? inventory.os.versionCodename : inventory.os.versionId;
  if (!version) return undefined;
  return { distro, release: releaseKeyOf(distro, version) };
}

/** An advisory source (file, directory, zip, URL, repository) could not be read. */
export class AdvisorySourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdvisorySourceError';
  }
}
