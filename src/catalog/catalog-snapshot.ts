import type { AptPackageRecord } from './sources/apt-repo/types.js';

/** The Release facts of one synced archive that apt's default pinning and patch typing need. */
export interface CatalogReleaseFacts {
  origin: string;
  label: string;
  /** Archive name from `Suite:`, e.g. `oldstable-security`. */
  suite: string;
  codename: string;
  notAutomatic: boolean;
  butAutomaticUpgrades: boolean;
}

/**
 * One Packages index of one repository as stored in the catalog. Identity is
 * (uri, dist, component, architecture), which matches a configured `AptSourceEntry`
 * (uri, suite) plus one of its components and one host architecture.
 */
export interface CatalogIndex {
  id: number;
  uri: string;
  dist: string;
  /** Empty for flat repositories. */
  component: string;
  architecture: string;
  release: CatalogReleaseFacts;
  packages: AptPackageRecord[];
}

/** Everything the assessment engine may read: a consistent snapshot of the catalog. */
export interface CatalogSnapshot {
  definitionVersion: string;
  /** ISO-8601 date of the last sync that changed the catalog. */
  definitionDate: string;
  indexes: CatalogIndex[];
}
