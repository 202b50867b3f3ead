/**
 * An Alpine machine for SSH scan tests: a busybox root filesystem (as on Alpine, /bin/sh is
 * busybox ash) with Alpine 3.19's os-release, apk repositories and apk database of installed
 * packages. Built under the SSH targets directory (sshd requires a chroot path whose every
 * directory is root-owned and not writable by others), one tree per test process.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { busyboxRootAvailable, makeBusyboxRoot } from './busybox-root.js';
import { TARGETS_DIR } from './ssh-targets.js';

export const ALPINE_3_19_OS_RELEASE = `NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.1
PRETTY_NAME="Alpine Linux v3.19"
HOME_URL="https://alpinelinux.org/"
BUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"
`;

export const ALPINE_3_19_REPOSITORIES = `https://dl-cdn.alpinelinux.org/alpine/v3.19/main
https://dl-cdn.alpinelinux.org/alpine/v3.19/community
`;

/** One installed package, as a record of `/lib/apk/db/installed` describes it. */
export interface ApkInstalledPackage {
  name: string;
  version: string;
  /** The source package (aport) it was built from. */
  origin: string;
  description: string;
  /** Directories the package installed files into, each with the files in it. */
  files: Record<string, string[]>;
}

/**
 * `/lib/apk/db/installed` as apk writes it: one record per package, fields one per line, a
 * blank line after each record. Checksums and sizes are placeholders of the right shape.
 */
export function apkInstalledDatabase(packages: ApkInstalledPackage[], architecture = 'x86_64'): string {
  const records = packages.map((pkg, index) => {
    const lines = [
      `C:Q1${Buffer.from(`${pkg.name}-${pkg.version}`).toString('base64').slice(0, 26)}=`,
      `P:${pkg.name}`, `V:${pkg.version}`, `A:${architecture}`, `S:${100_000 + index * 4_096}`, `I:${300_000 + index * 8_192}`,
      `T:${pkg.description}`, 'U:https://alpinelinux.org', 'L:MIT', `o:${pkg.origin}`,
      'm:Natanael Copa <ncopa@alpinelinux.org>', `t:${1_704_800_000 + index * 3_600}`, `c:${(0x1f3a5c7 + index).toString(16).padStart(40, '0')}`,
    ];
    for (const [directory, files] of Object.entries(pkg.files)) {
      lines.push(`F:${directory}`);
      for (const file of files) lines.push(`R:${file}`, 'a:0:0:755', `Z:Q1${Buffer.from(file).toString('base64').slice(0, 26)}=`);
    }
    return `${lines.join('\n')}\n`;
  });
  return `${records.join('\n')}\n`;
}

/** Why an Alpine target cannot be built here, or undefined when it can. */
export function alpineTargetUnavailable(): string | undefined {
  return busyboxRootAvailable() ? undefined : 'an Alpine target needs busybox (Debian package busybox) and root';
}

export interface AlpineTarget {
  /** The root filesystem (a chroot for sshd). */
  root: string;
  remove(): Promise<void>;
}

/** Builds an Alpine 3.19 root filesystem whose apk database lists `packages`. */
export async function buildAlpineTarget(name: string, packages: ApkInstalledPackage[]): Promise<AlpineTarget> {
  const root = join(TARGETS_DIR, 'rootfs', `${name}-${process.pid}`);
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true, mode: 0o755 });
  try {
    await makeBusyboxRoot(root);
    const files: Record<string, string> = {
      'etc/os-release': ALPINE_3_19_OS_RELEASE,
      'etc/alpine-release': '3.19.1\n',
      'etc/apk/arch': 'x86_64\n',
      'etc/apk/repositories': ALPINE_3_19_REPOSITORIES,
      'lib/apk/db/installed': apkInstalledDatabase(packages),
    };
    for (const [file, text] of Object.entries(files)) {
      await mkdir(dirname(join(root, file)), { recursive: true });
      await writeFile(join(root, file), text);
    }
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}
