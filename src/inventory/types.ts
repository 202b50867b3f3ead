import type { AptSourceEntry } from '../catalog/sources/apt-repo/types.js';

/** One installed binary package as the package manager reports it. */
export interface InstalledPackage {
  name: string;
  architecture: string;
  version: string;
  /** dpkg `db:Status-Abbrev`, e.g. `ii `, `hi `, `rc `. */
  status: string;
  sourceName: string;
  sourceVersion: string;
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
  };
  /** dpkg's native architecture, e.g. `amd64`. */
  architecture: string;
  /** `dpkg --print-foreign-architectures`. */
  foreignArchitectures: string[];
  packages: InstalledPackage[];
  aptSources: AptSourceEntry[];
  reboot: {
    required: boolean;
    /** Packages listed in `/var/run/reboot-required.pkgs`. */
    packages: string[];
  };
}
