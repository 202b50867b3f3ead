/**
 * The rpm probe (RHEL, AlmaLinux, Rocky, Fedora, Amazon Linux, Oracle Linux, SUSE): a POSIX sh
 * script body and a pure parser for what it prints. See probe-output.ts for the output format.
 *
 * It records every installed package with its epoch and `SOURCERPM`, the package owning the
 * running kernel's image, the `.repo` files of dnf/yum and zypper, and the reboot signals:
 * `needs-restarting -r` (dnf-utils / yum-utils), `zypper needs-rebooting` and
 * `/run/reboot-needed` (SUSE), and, when no tool answered, whether a newer kernel package than
 * the running one is installed.
 */
import { compareRpmEvr } from '../../versions/rpm.js';
import type { InstalledPackage, Inventory, PackageRepository, RunningKernelPackage } from '../types.js';
import {
  completeProbeSections,
  copiedText,
  firstLine,
  hostFactsOf,
  inventoryWithoutApt,
  HOST_SECTIONS_SCRIPT,
  ProbeOutputError,
  sectionLookup,
  type ProbeParseResult,
  type ProbeSection,
} from './probe-output.js';
import { parseRepoFile } from './repo-file.js';

export const RPM_PROBE_FORMAT = 'rpm-1';

const RPM_TAGS = ['NAME', 'EPOCH', 'VERSION', 'RELEASE', 'ARCH', 'SOURCERPM', 'INSTALLTIME'];
/** `MODULARITYLABEL` exists from rpm 4.15 on; older rpm refuses a format naming it. */
const QUERY_FORMAT_MODULAR = `${[...RPM_TAGS, 'MODULARITYLABEL'].map((tag) => `%{${tag}}`).join('\\t')}\\n`;
const QUERY_FORMAT_PLAIN = `${RPM_TAGS.map((tag) => `%{${tag}}`).join('\\t')}\\t(none)\\n`;
const KERNEL_OWNER_FORMAT = `${['NAME', 'EPOCH', 'VERSION', 'RELEASE', 'ARCH'].map((tag) => `%{${tag}}`).join('\\t')}\\n`;

/**
 * The rpm part of a probe script (after the shell functions and `pw_root`). Needs sh, rpm and
 * coreutils; no root. `needs-restarting` and `zypper` are asked only about the live system
 * (not under a root directory).
 */
export const RPM_PROBE_BODY = String.raw`# rpm database: under a root directory, the one inside it.
pw_rpm() {
  if [ -z "$pw_root" ]; then rpm "$@"; return; fi
  for pw_dbpath in /usr/lib/sysimage/rpm /var/lib/rpm; do
    if [ -e "$pw_root$pw_dbpath/rpmdb.sqlite" ] || [ -e "$pw_root$pw_dbpath/Packages" ] || [ -e "$pw_root$pw_dbpath/Packages.db" ]; then
      rpm --root "$pw_root" --dbpath "$pw_dbpath" "$@"
      return
    fi
  done
  rpm --root "$pw_root" "$@"
}

pw_section begin ${RPM_PROBE_FORMAT}
${HOST_SECTIONS_SCRIPT}
pw_section rpm-architecture
rpm --eval '%{_arch}' 2>/dev/null

for pw_path in "$pw_root"/etc/yum.repos.d/*.repo "$pw_root"/etc/zypp/repos.d/*.repo; do
  [ -f "$pw_path" ] || continue
  if [ -r "$pw_path" ]; then
    pw_section repo-file "${'$'}{pw_path#"$pw_root"}"
    pw_file "$pw_path"
  else
    pw_section repo-file-unreadable "${'$'}{pw_path#"$pw_root"}"
  fi
done

# The package the running kernel came from: the owner of its image file.
pw_section running-kernel-owner
for pw_path in "/lib/modules/$pw_kernel_release/vmlinuz" "/usr/lib/modules/$pw_kernel_release/vmlinuz" \
  "/boot/vmlinuz-$pw_kernel_release" "/boot/vmlinux-$pw_kernel_release" "/boot/Image-$pw_kernel_release"; do
  [ -e "$pw_root$pw_path" ] || continue
  pw_rpm -qf --queryformat '${KERNEL_OWNER_FORMAT}' "$pw_path" 2>/dev/null && break
done

if [ -z "$pw_root" ] && command -v needs-restarting >/dev/null 2>&1; then
  pw_answer=$(pw_timeout 60 needs-restarting -r 2>&1)
  pw_status=$?
  pw_section needs-restarting
  printf '%s\n' "$pw_answer" | while IFS= read -r pw_line; do printf '|%s\n' "$pw_line"; done
  pw_section needs-restarting-exit
  echo "$pw_status"
fi
pw_section zypper-needs-rebooting
if [ -z "$pw_root" ] && command -v zypper >/dev/null 2>&1; then
  pw_timeout 60 zypper --non-interactive --quiet needs-rebooting >/dev/null 2>&1
  echo $?
fi
pw_section reboot-needed-file
if [ -e "$pw_root/run/reboot-needed" ]; then echo yes; else echo no; fi

if rpm --querytags 2>/dev/null | grep -qx MODULARITYLABEL; then pw_format='${QUERY_FORMAT_MODULAR}'; else pw_format='${QUERY_FORMAT_PLAIN}'; fi
pw_section rpm-packages
pw_rpm -qa --queryformat "$pw_format"
pw_status=$?
pw_section rpm-query-exit
echo "$pw_status"

pw_section end
`;

/** Names of the packages that hold a bootable kernel image on rpm distributions. */
export const RPM_KERNEL_PACKAGE_NAMES: ReadonlySet<string> = new Set([
  'kernel', 'kernel-core', 'kernel-uek', 'kernel-uek-core', 'kernel-rt', 'kernel-rt-core',
  'kernel-64k', 'kernel-64k-core', 'kernel-debug', 'kernel-debug-core', 'kernel-lt', 'kernel-ml',
  'kernel-default', 'kernel-default-base', 'kernel-azure', 'kernel-64kb', 'kernel-kvmsmall',
]);

/** Source package identity from a `SOURCERPM` file name, e.g. `openssl-3.0.7-27.el9.src.rpm`. */
export function parseSourceRpmName(fileName: string): { name: string; version: string; release: string } | undefined {
  const match = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(fileName);
  if (match === null) return undefined;
  return { name: match[1], version: match[2], release: match[3] };
}

/** `[epoch:]version-release`, the epoch written only when there is one. */
export function rpmEvrOf(epoch: number | undefined, version: string, release: string): string {
  return `${epoch === undefined ? '' : `${epoch}:`}${version}${release === '' ? '' : `-${release}`}`;
}

function readEpoch(field: string): number | undefined {
  return /^\d+$/.test(field) ? Number(field) : undefined;
}

function noneToEmpty(field: string): string {
  return field === '(none)' ? '' : field;
}

function parsePackages(section: ProbeSection | undefined, problems: string[]): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  for (const line of section?.lines ?? []) {
    if (line.trim() === '') continue;
    const fields = line.split('\t');
    if (fields.length !== 8) {
      problems.push(`rpm query line with ${fields.length} fields instead of 8: ${JSON.stringify(line)}`);
      continue;
    }
    const [name, epochField, version, release, arch, sourceRpm, installTime, modularity] = fields;
    // Imported signing keys are listed as packages named gpg-pubkey; they are not software.
    if (name === 'gpg-pubkey' || name === 'gpg-pubkey-release') continue;
    const epoch = readEpoch(epochField);
    const evr = rpmEvrOf(epoch, version, noneToEmpty(release));
    const source = parseSourceRpmName(sourceRpm);
    const pkg: InstalledPackage = {
      name,
      architecture: noneToEmpty(arch),
      version: evr,
      status: '',
      // A subpackage shares its source package's epoch; SOURCERPM does not carry it.
      sourceName: source?.name ?? name,
      sourceVersion: source === undefined ? evr : rpmEvrOf(epoch, source.version, source.release),
    };
    if (epoch !== undefined) pkg.epoch = epoch;
    if (/^\d+$/.test(installTime)) pkg.installedAt = new Date(Number(installTime) * 1000).toISOString();
    if (noneToEmpty(modularity) !== '') pkg.modularityLabel = modularity;
    packages.push(pkg);
  }
  return packages;
}

/** `uname -r` of a kernel package, as RHEL-family (`V-R.A`) or SUSE (`V-R'-flavour`) build it. */
function kernelReleasesOf(pkg: InstalledPackage): string[] {
  const evr = pkg.version.replace(/^\d+:/, '');
  const releases = [`${evr}.${pkg.architecture}`, evr];
  const suse = /^kernel-([a-z0-9]+)(?:-base)?$/.exec(pkg.name);
  const dash = evr.lastIndexOf('-');
  if (suse !== null && dash > 0) {
    // kernel-default 5.14.21-150500.55.39.1 runs as 5.14.21-150500.55.39-default.
    const release = evr.slice(dash + 1).replace(/\.\d+$/, '');
    releases.push(`${evr.slice(0, dash)}-${release}-${suse[1]}`);
  }
  return releases;
}

function runningKernelPackage(
  ownerSection: ProbeSection | undefined,
  kernelRelease: string,
  packages: InstalledPackage[],
): RunningKernelPackage | undefined {
  const owner = ownerSection?.lines.find((line) => line.split('\t').length === 5);
  if (owner !== undefined) {
    const [name, epoch, version, release, arch] = owner.split('\t');
    return { name, version: rpmEvrOf(readEpoch(epoch), version, noneToEmpty(release)), architecture: noneToEmpty(arch) };
  }
  // No file answered (a missing or unowned image): match the release against kernel packages.
  const byName = packages.find((pkg) => RPM_KERNEL_PACKAGE_NAMES.has(pkg.name) && kernelReleasesOf(pkg).includes(kernelRelease));
  return byName === undefined ? undefined : { name: byName.name, version: byName.version, architecture: byName.architecture };
}

function newerEvr(a: string, b: string): boolean {
  try {
    return compareRpmEvr(a, b, { missingRelease: 'older' }) > 0;
  } catch {
    return false;
  }
}

/** The newest installed package named like the running kernel's, when it is not the running one. */
export function newerRpmKernelThanRunning(running: RunningKernelPackage | undefined, packages: InstalledPackage[]): InstalledPackage | undefined {
  if (running === undefined) return undefined;
  let newest: InstalledPackage | undefined;
  for (const pkg of packages) {
    if (pkg.name !== running.name || pkg.architecture !== running.architecture) continue;
    if (newerEvr(pkg.version, newest?.version ?? running.version)) newest = pkg;
  }
  return newest;
}

/**
 * What `needs-restarting -r` said: exit status 0 means no reboot is needed; 1 with its
 * "Reboot is required" text means one is, the updated core packages listed as `  * name`.
 * Anything else (an old version without `-r`, a refusal, a timeout) is no answer.
 */
function needsRestartingAnswer(
  output: ProbeSection | undefined,
  exitStatus: string,
  problems: string[],
): { required: boolean; packages: string[] } | undefined {
  if (exitStatus === '') return undefined;
  const text = copiedText(output);
  if (exitStatus === '0') return { required: false, packages: [] };
  if (exitStatus === '1' && /reboot is required/i.test(text)) {
    const packages = [...text.matchAll(/^\s*\*\s*(\S+)/gm)].map((match) => match[1]);
    return { required: true, packages: [...new Set(packages)] };
  }
  const first = text.split('\n').find((line) => line.trim() !== '')?.trim() ?? '';
  problems.push(`needs-restarting -r gave no answer (exit status ${exitStatus})${first === '' ? '' : `: ${first}`}`);
  return undefined;
}

export type RpmProbeParseResult = ProbeParseResult;

/** Parses the rpm probe's output into an inventory plus the problems met on the way. */
export function parseRpmProbeOutput(stdout: string, collector: Inventory['collector'], collectedAt: Date): RpmProbeParseResult {
  const sections = completeProbeSections(stdout, RPM_PROBE_FORMAT);
  const one = sectionLookup(sections);
  const rpmExit = firstLine(one('rpm-query-exit'));
  if (rpmExit !== '0') {
    throw new ProbeOutputError(
      rpmExit === '127' ? 'rpm was not found: this is not an rpm-based machine' : `rpm -qa failed with exit status ${rpmExit || 'unknown'}`,
    );
  }
  const problems: string[] = [];
  const packages = parsePackages(one('rpm-packages'), problems);
  const facts = hostFactsOf(sections);

  const repositories: PackageRepository[] = [];
  for (const section of sections) {
    if (section.name === 'repo-file-unreadable') problems.push(`${section.argument}: cannot be read`);
    if (section.name !== 'repo-file') continue;
    const parsed = parseRepoFile(section.argument, copiedText(section));
    repositories.push(...parsed.repositories);
    problems.push(...parsed.problems);
  }

  const running = runningKernelPackage(one('running-kernel-owner'), facts.kernel.release, packages);
  if (running !== undefined) facts.kernel.package = running;

  const reasons: string[] = [];
  const rebootPackages: string[] = [];
  const needsRestarting = needsRestartingAnswer(one('needs-restarting'), firstLine(one('needs-restarting-exit')), problems);
  if (needsRestarting?.required === true) {
    reasons.push('needs-restarting -r: a reboot is required');
    rebootPackages.push(...needsRestarting.packages);
  }
  const zypper = firstLine(one('zypper-needs-rebooting'));
  if (zypper === '102') reasons.push('zypper needs-rebooting: a reboot is required');
  if (firstLine(one('reboot-needed-file')) === 'yes') reasons.push('/run/reboot-needed exists');
  const toolAnswered = needsRestarting !== undefined || zypper === '0' || zypper === '102';
  if (!toolAnswered) {
    const newer = newerRpmKernelThanRunning(running, packages);
    if (newer !== undefined && running !== undefined) {
      reasons.push(`${newer.name} ${newer.version} is installed but ${running.version} is running`);
      rebootPackages.push(newer.name);
    }
  }

  const inventory = inventoryWithoutApt(collector, collectedAt, facts, {
    architecture: firstLine(one('rpm-architecture')) || facts.kernel.machine,
    packages,
    repositories,
    reboot: { required: reasons.length > 0, packages: rebootPackages, reasons },
  });
  return { inventory, problems };
}
