/**
 * OSV ecosystem strings of Linux distributions, and how each publisher names packages.
 *
 * | ecosystem                               | distro    | release key | package.name |
 * |-----------------------------------------|-----------|-------------|--------------|
 * | `Debian:12`, `Debian:sid`               | debian    | `bookworm`  | source       |
 * | `Ubuntu:22.04:LTS`, `Ubuntu:Pro:18.04:LTS` | ubuntu | `jammy`     | source       |
 * | `AlmaLinux:9`                           | almalinux | `9`         | binary RPM   |
 * | `Rocky Linux:9`                         | rocky     | `9`         | source RPM   |
 * | `Alpine:v3.19`                          | alpine    | `3.19`      | origin       |
 * | `Red Hat:rhel_aus:8.4::appstream`       | rhel      | `8`         | binary RPM   |
 *
 * Any other ecosystem (language registries, SUSE, ...) is not a distribution this console
 * assesses, and its entries are ignored.
 */
import { releaseKeyOf, type PackageNameKind } from '../../advisory.js';

export interface DistroEcosystem {
  distro: string;
  release: string;
  nameKind: PackageNameKind;
}

const RELEASE_NUMBER = /^v?\d+(\.\d+)*$/;

/** The distribution release an OSV ecosystem string names, or undefined for other ecosystems. */
export function parseDistroEcosystem(ecosystem: string): DistroEcosystem | undefined {
  const parts = ecosystem.split(':').map((p) => p.trim());
  const head = parts[0].toLowerCase();
  const numbered = parts.slice(1).find((p) => RELEASE_NUMBER.test(p));
  switch (head) {
    case 'debian': {
      const version = parts[1];
      if (!version) return undefined;
      return { distro: 'debian', release: releaseKeyOf('debian', version), nameKind: 'source' };
    }
    case 'ubuntu':
      return numbered ? { distro: 'ubuntu', release: releaseKeyOf('ubuntu', numbered), nameKind: 'source' } : undefined;
    case 'almalinux':
      return numbered ? { distro: 'almalinux', release: releaseKeyOf('almalinux', numbered), nameKind: 'binary' } : undefined;
    case 'rocky linux':
    case 'rocky':
      return numbered ? { distro: 'rocky', release: releaseKeyOf('rocky', numbered), nameKind: 'source' } : undefined;
    case 'alpine':
      return numbered ? { distro: 'alpine', release: releaseKeyOf('alpine', numbered), nameKind: 'source' } : undefined;
    case 'red hat': {
      const major = /(\d+)(?:\.\d+)?/.exec(parts.slice(1).join(':'));
      return major ? { distro: 'rhel', release: major[1], nameKind: 'binary' } : undefined;
    }
    default:
      return undefined;
  }
}

/** Publisher of an advisory, from its id prefix (`DSA-`, `USN-`, `ALSA-`, ...). */
export function publisherOfAdvisoryId(id: string): string | undefined {
  const prefix = /^([A-Z]+)-/.exec(id.toUpperCase())?.[1];
  switch (prefix) {
    case 'DSA': case 'DLA': case 'DTSA': case 'DEBIAN': return 'debian';
    case 'USN': case 'LSN': case 'UBUNTU': return 'ubuntu';
    case 'ALSA': case 'ALBA': case 'ALEA': return 'almalinux';
    case 'RLSA': case 'RLBA': case 'RLEA': case 'RXSA': return 'rocky';
    case 'ALPINE': return 'alpine';
    case 'RHSA': case 'RHBA': case 'RHEA': return 'rhel';
    default: return undefined;
  }
}
