/**
 * The advisories of the distribution releases in use, in memory for the assessment engine:
 * per (distro, release), the fixes by source package name and by binary package name.
 * Releases are added as machines of new releases appear; nothing else ever changes, so an
 * assessment running against it always sees a consistent set.
 */
import type { StoredAdvisoryFix } from './advisory-store.js';

export interface ReleaseAdvisories {
  /** Fixes of publishers that name source packages (dpkg source, SRPM, apk origin). */
  bySource: ReadonlyMap<string, readonly StoredAdvisoryFix[]>;
  /** Fixes of publishers that name binary packages (AlmaLinux, updateinfo, Red Hat). */
  byBinary: ReadonlyMap<string, readonly StoredAdvisoryFix[]>;
}

const EMPTY: ReleaseAdvisories = { bySource: new Map(), byBinary: new Map() };

export function releaseIndexKey(distro: string, release: string): string {
  return `${distro}:${release}`;
}

export class AdvisoryIndex {
  readonly #releases = new Map<string, ReleaseAdvisories>();

  /** Whether the release's advisories were loaded (possibly none). */
  has(distro: string, release: string): boolean {
    return this.#releases.has(releaseIndexKey(distro, release));
  }

  /** Adds (or replaces) the advisories of one release. */
  set(distro: string, release: string, fixes: readonly StoredAdvisoryFix[]): void {
    const bySource = new Map<string, StoredAdvisoryFix[]>();
    const byBinary = new Map<string, StoredAdvisoryFix[]>();
    for (const fix of fixes) {
      const table = fix.nameKind === 'source' ? bySource : byBinary;
      const list = table.get(fix.packageName);
      if (list === undefined) table.set(fix.packageName, [fix]);
      else list.push(fix);
    }
    this.#releases.set(releaseIndexKey(distro, release), { bySource, byBinary });
  }

  /** The release's advisories; empty when none were loaded. */
  of(distro: string, release: string): ReleaseAdvisories {
    return this.#releases.get(releaseIndexKey(distro, release)) ?? EMPTY;
  }

  /** Loaded releases, as `distro:release`. */
  get releases(): string[] {
    return [...this.#releases.keys()].sort();
  }
}
