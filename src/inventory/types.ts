import type { AptSourceEntry } from '../catalog/sources/apt-repo/types.js';

/**
 * One installed binary package as the package manager reports it.
 *
 * `version` is the manager's full version string: dpkg's `[epoch:]upstream[-revision]`, rpm's
 * EVR `[epoch:]version-release` (the epoch written only when the package has one), apk's
 * `version-rREV`. `sourceName`/`sourceVersion` are the source identity advisories key on:
 * dpkg's `Source:`, rpm's `SOURCERPM` file name, apk's origin (whose version is the binary's).
 */
export interface InstalledPackage {
  name: string;
  architecture: string;
  version: string;
  /**
   * dpkg `db:Status-Abbrev`, e.g. `ii `, `hi `, `rc `. Empty for rpm and apk, whose databases
   * only hold installed packages.
   */
  status: string;
  sourceName: string;
  sourceVersion: string;
  /** rpm only: the epoch when the package has one (`EPOCH` tag); absent when it has none. */
  epoch?: number;
  /** rpm only: when the package was installed (ISO-8601), from `INSTALLTIME`. */
  installedAt?: string;
  /** rpm only: the module stream it came from (`MODULARITYLABEL`), e.g. `nodejs:18:9040...`. */
  modularityLabel?: string;
}

/**
 * A package repository configured on an rpm or apk machine: a section of a `.repo` file in
 * `/etc/yum.repos.d` or `/etc/zypp/repos.d`, or a line of `/etc/apk/repositories`. Values are
 * as written; variables such as `$releasever` and `$basearch` are not expanded.
 */
export interface PackageRepository {
  /** File the repository is configured in. */
  file: string;
  /** The repository id (the `[section]` name); for apk the tag without `@`, or empty. */
  id: string;
  /** `name=`; empty when not given (and for apk). */
  name: string;
  enabled: boolean;
  /** `baseurl=` (one or more), or the apk repository URL or path. */
  baseUrls: string[];
  /** `mirrorlist=`, empty when not given. */
  mirrorList: string;
  /** `metalink=`, empty when not given. */
  metalink: string;
}

/** The installed package the running kernel was booted from. */
export interface RunningKernelPackage {
  name: string;
  version: string;
  architecture: string;
}

export type OsFamily = 'debian' | 'rpm' | 'alpine' | 'unknown';

/**
 * Everything collected from one machine. A plain JSON-serialisable value: it can be saved,
 * loaded and assessed again later without the machine.
 */
export interface Inventory {
  schemaVersion: 1;
  /** ISO-8601 time the collection finished. */
  collectedAt: string;
  collector: 'local' | 'ssh';
  host: {
    hostname: string;
    fqdn: string;
    /** DNS domain of the FQDN; empty when the FQDN has no dot. */
    domain: string;
  };
  os: {
    family: OsFamily;
    id: string;
    idLike: string[];
    versionId: string;
    versionCodename: string;
    prettyName: string;
  };
  kernel: {
    /** `uname -r` */
    release: string;
    /** `uname -v` */
    version: string;
    /** `uname -m` */
    machine: string;
    /**
     * rpm and apk: the installed package that owns the running kernel's image or modules
     * directory, when one does (absent in containers, for self-built kernels, and on Debian,
     * where the running-kernel judgement finds `linux-image-<release>` by name).
     */
    package?: RunningKernelPackage;
  };
  /** The native package architecture: dpkg's (`amd64`), rpm's (`x86_64`) or apk's (`x86_64`). */
  architecture: string;
  /** `dpkg --print-foreign-architectures`; empty on rpm and apk machines. */
  foreignArchitectures: string[];
  packages: InstalledPackage[];
  /** Debian family only; empty elsewhere. */
  aptSources: AptSourceEntry[];
  /**
   * Debian family, collected over SSH: the apt keyrings the machine's sources rely on (those named
   * in `signed-by`, and apt's trusted keyrings), base64, so its repositories are verified with the
   * machine's own keys. Absent for the console's own host, whose keyrings are read in place.
   */
  aptKeyrings?: Array<{ path: string; data: string }>;
  /** rpm and apk machines: the configured repositories (absent on Debian-family machines). */
  repositories?: PackageRepository[];
  reboot: {
    required: boolean;
    /**
     * Packages that call for the reboot: those in `/var/run/reboot-required.pkgs` (Debian
     * family), or the newer kernel package that is installed but not running (rpm, apk).
     */
    packages: string[];
    /**
     * Which signals said a reboot is needed, e.g. `needs-restarting -r`, `/run/reboot-needed`,
     * `kernel-core 5.14.0-427.el9 is installed but 5.14.0-362.el9 is running`. Empty when none
     * did; absent in inventories of the Debian probe.
     */
    reasons?: string[];
  };
}
