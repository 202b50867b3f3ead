/** One configured apt source line (one-line format) or one expanded deb822 stanza entry. */
export interface AptSourceEntry {
  type: 'deb' | 'deb-src';
  /** Archive root URI without a trailing slash, e.g. `http://deb.debian.org/debian`. */
  uri: string;
  /** The distribution as configured: `bookworm`, `bookworm-security`, or a flat path ending in `/`. */
  suite: string;
  /** Components; empty for a flat repository (suite ends with `/`). */
  components: string[];
  /** `[arch=...]` / `Architectures:`; undefined means the host's architectures. */
  architectures?: string[];
  /** `signed-by` keyring file paths, or armored public key blocks embedded in deb822. */
  signedBy?: string[];
  /** `[trusted=yes]` / `Trusted: yes`: accept unsigned or badly signed metadata. */
  trusted?: boolean;
  /** deb822 `Enabled: no` entries are kept but marked disabled. */
  enabled: boolean;
  /** Where the entry was read from, e.g. `/etc/apt/sources.list.d/debian.sources`. */
  file: string;
}

/** The fields of a Release/InRelease file that the catalog and apt's pinning rules use. */
export interface AptReleaseInfo {
  origin: string;
  label: string;
  /** The archive name (`Suite:`), e.g. `oldstable-security`. */
  suite: string;
  codename: string;
  version: string;
  /** `Date:` as ISO-8601. */
  date: string;
  validUntil?: string;
  notAutomatic: boolean;
  butAutomaticUpgrades: boolean;
  acquireByHash: boolean;
  architectures: string[];
  components: string[];
  /** Release-relative path → SHA256 and size. */
  sha256: Map<string, { hash: string; size: number }>;
}

/** One stanza of a Packages index, reduced to what detection needs. */
export interface AptPackageRecord {
  package: string;
  version: string;
  architecture: string;
  /** Source package name (the binary name when the stanza has no `Source:`). */
  sourceName: string;
  /** Source version (the binary version when `Source:` carries no version). */
  sourceVersion: string;
  section?: string;
  priority?: string;
  multiArch?: string;
}
