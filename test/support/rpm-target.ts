/**
 * An RPM-family machine for SSH scan tests: a root filesystem with busybox as its shell and
 * small tools, Debian's real `rpm` (with its libraries and configuration) as its package
 * manager, the os-release and dnf repository file of Rocky Linux 9.3, and a real rpm database
 * holding packages built with rpmbuild. Built under the SSH targets directory (sshd requires a
 * chroot path whose every directory is root-owned and not writable by others), one tree per
 * test process, removed by the caller.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { busyboxRootAvailable, makeBusyboxRoot } from './busybox-root.js';
import { buildRpms, installRpms, rpmToolsAvailable, type RpmSpec } from './rpm-packages.js';
import { TARGETS_DIR } from './ssh-targets.js';

const run = promisify(execFile);

const RPM_BINARY = '/usr/bin/rpm';
const RPM_CONFIG_DIRECTORIES = ['/usr/lib/rpm', '/etc/rpm'];
/** Where Rocky's rpm keeps its database (`%_dbpath`). */
export const ROCKY_RPM_DBPATH = '/var/lib/rpm';

export const ROCKY_9_OS_RELEASE = `NAME="Rocky Linux"
VERSION="9.3 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"
ANSI_COLOR="0;32"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
HOME_URL="https://rockylinux.org/"
BUG_REPORT_URL="https://bugs.rockylinux.org/"
SUPPORT_END="2032-05-31"
ROCKY_SUPPORT_PRODUCT="Rocky-Linux-9"
ROCKY_SUPPORT_PRODUCT_VERSION="9.3"
REDHAT_SUPPORT_PRODUCT="Rocky Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.3"
`;

export const ROCKY_9_REPO_FILE = `[baseos]
name=Rocky Linux $releasever - BaseOS
mirrorlist=https://mirrors.rockylinux.org/mirrorlist?arch=$basearch&repo=BaseOS-$releasever$rltype
#baseurl=http://dl.rockylinux.org/$contentdir/$releasever/BaseOS/$basearch/os/
gpgcheck=1
enabled=1
countme=1
metadata_expire=6h
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-Rocky-9

[appstream]
name=Rocky Linux $releasever - AppStream
mirrorlist=https://mirrors.rockylinux.org/mirrorlist?arch=$basearch&repo=AppStream-$releasever$rltype
#baseurl=http://dl.rockylinux.org/$contentdir/$releasever/AppStream/$basearch/os/
gpgcheck=1
enabled=1
countme=1
metadata_expire=6h
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-Rocky-9
`;

/** Why an RPM target cannot be built here, or undefined when it can. */
export function rpmTargetUnavailable(): string | undefined {
  if (!rpmToolsAvailable()) return 'an RPM target needs rpm and rpmbuild (Debian package rpm)';
  if (!busyboxRootAvailable()) return 'an RPM target needs busybox (Debian package busybox) and root, for its shell and tools';
  if (spawnSync('ldd', ['--version'], { stdio: 'ignore' }).status !== 0) return 'an RPM target needs ldd (Debian package libc-bin)';
  return undefined;
}

/** Copies a binary and the shared libraries `ldd` names for it to the same paths under `root`. */
async function copyWithLibraries(root: string, binary: string): Promise<void> {
  const { stdout } = await run('ldd', [binary]);
  for (const file of [binary, ...[...stdout.matchAll(/(\/\S+)/g)].map((m) => m[1])]) {
    await mkdir(join(root, dirname(file)), { recursive: true });
    await copyFile(file, join(root, file));
  }
  await chmod(join(root, binary), 0o755);
}

export interface RpmTarget {
  /** The root filesystem (a chroot for sshd). */
  root: string;
  remove(): Promise<void>;
}

/**
 * Builds a Rocky Linux 9.3 root filesystem whose rpm database holds the packages of `specs`
 * (built with rpmbuild, installed with `rpm -i --nodeps --noscripts`).
 */
export async function buildRockyTarget(name: string, specs: RpmSpec[]): Promise<RpmTarget> {
  const root = join(TARGETS_DIR, 'rootfs', `${name}-${process.pid}`);
  const work = await mkdtemp(join(tmpdir(), 'patchwarden-rpm-target-'));
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true, mode: 0o755 });
  try {
    await makeBusyboxRoot(root);
    // busybox brings a small rpm applet of its own; the machine's rpm is the real one.
    for (const applet of ['rpm', 'rpm2cpio']) await rm(join(root, 'bin', applet), { force: true });
    await copyWithLibraries(root, RPM_BINARY);
    for (const directory of RPM_CONFIG_DIRECTORIES) {
      if (existsSync(directory)) await cp(directory, join(root, directory), { recursive: true, verbatimSymlinks: true });
    }
    // Debian's rpm keeps its database in the user's home; Rocky's is in /var/lib/rpm.
    await mkdir(join(root, 'etc/rpm'), { recursive: true });
    await writeFile(join(root, 'etc/rpm/macros.dbpath'), `%_dbpath ${ROCKY_RPM_DBPATH}\n`);
    await mkdir(join(root, 'etc/yum.repos.d'), { recursive: true });
    await writeFile(join(root, 'etc/os-release'), ROCKY_9_OS_RELEASE);
    await writeFile(join(root, 'etc/yum.repos.d/rocky.repo'), ROCKY_9_REPO_FILE);
    await mkdir(join(root, 'tmp'), { recursive: true });
    await chmod(join(root, 'tmp'), 0o1777);

    const built = await buildRpms(work, specs);
    installRpms(root, ROCKY_RPM_DBPATH, [...built.values()]);
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

/**
 * rpm's own order of two EVRs (`[epoch:]version-release`), from the real rpm's Lua
 * `rpm.vercmp`: -1, 0 or 1.
 */
export async function rpmVercmp(a: string, b: string): Promise<number> {
  const quote = (value: string): string => `"${value.replace(/[\\"]/g, '\\$&')}"`;
  const { stdout } = await run('rpm', ['--eval', `%{lua: print(rpm.vercmp(${quote(a)}, ${quote(b)}))}`]);
  const answer = Number(stdout.trim());
  if (![-1, 0, 1].includes(answer)) throw new Error(`rpm.vercmp(${a}, ${b}) answered ${JSON.stringify(stdout)}`);
  return answer;
}
