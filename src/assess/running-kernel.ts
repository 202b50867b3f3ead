/**
 * Kernel fixes are judged against the running kernel, not the newest one on disk: a fix whose
 * kernel is installed but not booted yet is `InstalledPendingReboot`, and old kernels kept on
 * disk do not make a machine look vulnerable or in need of a reboot. Pure; no I/O.
 *
 * Debian and Ubuntu: `uname -r` (e.g. `6.1.0-13-amd64`, `6.8.0-45-generic`) is the ABI name of
 * the image package `linux-image-<release>` (also `linux-image-unsigned-<release>`,
 * `linux-image-<release>-unsigned`, `linux-signed-image-<release>`). The running build's
 * version is the one `uname -v` names (Debian: `... Debian 6.1.76-1 (2024-02-01)`; Ubuntu:
 * `#45-Ubuntu` with release `6.8.0-45-generic` is `6.8.0-45.45`), which also catches an image
 * upgraded in place under the same ABI; without it, the installed version of the running image.
 * Versions of Debian's signed images (`6.1.76+1`, source `linux-signed-amd64`) are read as the
 * `linux` version they were signed from (`6.1.76-1`).
 *
 * An installed Debian-family patch is pending a reboot when one of its packages is
 * - an ABI image or modules package (`linux-image-6.1.0-18-amd64`, `linux-modules-6.8.0-45-generic`)
 *   whose version is newer than the running build, or
 * - an image meta package (`linux-image-amd64`, `linux-image-generic`) while some installed ABI
 *   image is newer than the running build (the meta package pulls the newest kernel).
 *
 * rpm and Alpine machines: the probe records the package that owns the running kernel
 * (`inventory.kernel.package`); {@link stateOfInstalledKernelFix} compares a fix's version with it.
 */
import { RPM_KERNEL_PACKAGE_NAMES } from '../inventory/probes/rpm.js';
import type { InstalledPackage, Inventory } from '../inventory/types.js';
import { compareApkVersions } from '../versions/apk.js';
import { compareDpkgVersions } from '../versions/dpkg.js';
import { compareRpmEvr } from '../versions/rpm.js';
import type { PatchFinding, PatchState } from './types.js';

/** A kernel image package: its name and version. */
export interface KernelPackageVersion {
  name: string;
  version: string;
}

export interface RunningKernelJudgement {
  family: Inventory['os']['family'];
  /** `uname -r` */
  release: string;
  /** The installed package the running kernel came from, when known. */
  runningPackage?: KernelPackageVersion;
  /** Version of the running build, comparable with kernel package versions; absent when unknown. */
  runningVersion?: string;
  /** Installed kernel image packages newer than the running build (Debian family, rpm). */
  newerInstalled: KernelPackageVersion[];
}

/** `linux-image-<release>` and its variants; group 1 is the kernel release (ABI name). */
const DEBIAN_ABI_IMAGE = /^linux-(?:signed-)?image-(?:unsigned-)?(\d[^\s]*?)(?:-unsigned)?$/;
/** Ubuntu's per-ABI module packages. */
const DEBIAN_ABI_MODULES = /^linux-modules-(?:extra-|nvidia-[^-]+-)?(\d[^\s]*)$/;
/** Image meta packages: `linux-image-amd64`, `linux-image-generic`, `linux-image-cloud-amd64`... */
const DEBIAN_IMAGE_META = /^linux-(?:signed-)?image-(?!unsigned-\d)[a-z][a-z0-9.+-]*$/;

function isDebugPackage(name: string): boolean {
  return /-(?:dbg|dbgsym)$/.test(name);
}

/** The kernel release an ABI image or modules package belongs to; undefined for others. */
export function debianKernelAbiOf(packageName: string): string | undefined {
  if (isDebugPackage(packageName)) return undefined;
  return DEBIAN_ABI_IMAGE.exec(packageName)?.[1] ?? DEBIAN_ABI_MODULES.exec(packageName)?.[1];
}

function isDebianImageMeta(packageName: string): boolean {
  return DEBIAN_IMAGE_META.test(packageName) && !isDebugPackage(packageName) && debianKernelAbiOf(packageName) === undefined;
}

/**
 * A Debian kernel package version as the `linux` source version it was built from: the
 * signed images' `6.1.76+1` (no revision; the first `+` stands for the `-`) is `6.1.76-1`.
 */
export function debianKernelBuildVersion(version: string): string {
  const upstream = version.replace(/^\d+:/, '');
  if (upstream.includes('-') || !upstream.includes('+')) return version;
  return version.replace('+', '-');
}

/** The running build's version as `uname -v` tells it, for Debian and Ubuntu kernels. */
export function debianRunningBuildVersion(release: string, unameVersion: string): string | undefined {
  const debian = /\bDebian (\d[^\s]*)/.exec(unameVersion);
  if (debian !== null) return debian[1];
  const ubuntu = /^#(\d+(?:~[^\s-]+)?)-Ubuntu\b/.exec(unameVersion);
  const abi = /^(\d+\.\d+\.\d+-\d+)/.exec(release);
  if (ubuntu !== null && abi !== null) return `${abi[1]}.${ubuntu[1]}`;
  return undefined;
}

function dpkgNewer(a: string, b: string): boolean {
  try {
    return compareDpkgVersions(debianKernelBuildVersion(a), debianKernelBuildVersion(b)) > 0;
  } catch {
    return false;
  }
}

function installed(pkg: InstalledPackage): boolean {
  // dpkg status letters n (not-installed) and c (config-files) mean no version is present.
  const state = pkg.status.charAt(1);
  return state !== 'n' && state !== 'c';
}

function judgeDebian(inventory: Inventory): RunningKernelJudgement {
  const release = inventory.kernel.release;
  const images = inventory.packages.filter((pkg) => installed(pkg) && DEBIAN_ABI_IMAGE.test(pkg.name) && !isDebugPackage(pkg.name));
  const running = images.find((pkg) => debianKernelAbiOf(pkg.name) === release);
  const runningVersion = debianRunningBuildVersion(release, inventory.kernel.version) ?? running?.version;
  const newerInstalled = runningVersion === undefined
    ? []
    : images.filter((pkg) => dpkgNewer(pkg.version, runningVersion)).map((pkg) => ({ name: pkg.name, version: pkg.version }));
  return {
    family: 'debian',
    release,
    runningPackage: running === undefined ? undefined : { name: running.name, version: running.version },
    runningVersion,
    newerInstalled,
  };
}

function rpmNewer(a: string, b: string): boolean {
  try {
    return compareRpmEvr(a, b, { missingRelease: 'older' }) > 0;
  } catch {
    return false;
  }
}

/** What is known about the machine's running kernel. */
export function judgeRunningKernel(inventory: Inventory): RunningKernelJudgement {
  const family = inventory.os.family;
  if (family === 'debian') return judgeDebian(inventory);
  const owner = inventory.kernel.package;
  const judgement: RunningKernelJudgement = { family, release: inventory.kernel.release, newerInstalled: [] };
  if (owner === undefined) return judgement;
  judgement.runningPackage = { name: owner.name, version: owner.version };
  judgement.runningVersion = owner.version;
  if (family === 'rpm') {
    judgement.newerInstalled = inventory.packages
      .filter((pkg) => pkg.name === owner.name && pkg.architecture === owner.architecture && rpmNewer(pkg.version, owner.version))
      .map((pkg) => ({ name: pkg.name, version: pkg.version }));
  }
  return judgement;
}

/** Whether `packageName` is part of the booted kernel on a machine of this family. */
export function isRunningKernelPackage(judgement: RunningKernelJudgement, packageName: string): boolean {
  switch (judgement.family) {
    case 'debian':
      return debianKernelAbiOf(packageName) !== undefined || isDebianImageMeta(packageName);
    case 'rpm':
      return RPM_KERNEL_PACKAGE_NAMES.has(packageName) || /^kernel(?:-[a-z0-9]+)?-modules(?:-core|-extra)?$/.test(packageName);
    case 'alpine':
      return packageName === judgement.runningPackage?.name;
    default:
      return false;
  }
}

function newerThanRunning(judgement: RunningKernelJudgement, version: string): boolean | undefined {
  const running = judgement.runningVersion;
  if (running === undefined) return undefined;
  try {
    switch (judgement.family) {
      case 'debian':
        return compareDpkgVersions(debianKernelBuildVersion(version), debianKernelBuildVersion(running)) > 0;
      case 'rpm':
        return compareRpmEvr(version, running, { missingRelease: 'older' }) > 0;
      case 'alpine':
        return compareApkVersions(version, running) > 0;
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/**
 * The state of a fix the machine has installed, for a package fixed at `fixedVersion`: pending a
 * reboot when the package is part of the booted kernel and the running kernel is older than
 * the fix. Anything that cannot be told (not a kernel package, unknown running kernel) stays
 * `Installed`.
 */
export function stateOfInstalledKernelFix(judgement: RunningKernelJudgement, packageName: string, fixedVersion: string): PatchState {
  if (judgement.family === 'debian') return debianPackagePending(judgement, packageName, fixedVersion) ? 'InstalledPendingReboot' : 'Installed';
  if (!isRunningKernelPackage(judgement, packageName)) return 'Installed';
  return newerThanRunning(judgement, fixedVersion) === true ? 'InstalledPendingReboot' : 'Installed';
}

/**
 * Whether a Debian-family kernel package at `version` is not running yet. A meta package's
 * version does not follow the images' (Ubuntu writes `6.8.0.45.45`), so a meta package is
 * pending exactly when a newer image than the running one is installed.
 */
function debianPackagePending(judgement: RunningKernelJudgement, name: string, version: string): boolean {
  if (debianKernelAbiOf(name) !== undefined) return newerThanRunning(judgement, version) === true;
  if (isDebianImageMeta(name)) return judgement.newerInstalled.length > 0;
  return false;
}

/**
 * Marks the installed patches whose kernel is not running yet as `InstalledPendingReboot` (see
 * the module comment): on Debian-family machines by the versions of their packages, on rpm and
 * Alpine machines (one patch per advisory, `sourceVersion` its fixed version) by comparing the
 * fix with the running kernel's package. Returns the same array.
 */
export function applyRunningKernel(patches: PatchFinding[], judgement: RunningKernelJudgement): PatchFinding[] {
  if (judgement.runningVersion === undefined) return patches;
  for (const patch of patches) {
    if (patch.state !== 'Installed') continue;
    const pending = judgement.family === 'debian'
      ? patch.packages.some((pkg) => debianPackagePending(judgement, pkg.name, pkg.installedVersion))
      : patch.packages.some((pkg) => stateOfInstalledKernelFix(judgement, pkg.name, patch.sourceVersion) === 'InstalledPendingReboot');
    if (pending) patch.state = 'InstalledPendingReboot';
  }
  return patches;
}
