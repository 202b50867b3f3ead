/**
 * The Alpine probe: a POSIX sh script body and a pure parser for what it prints. See
 * probe-output.ts for the output format.
 *
 * It reads apk's database of installed packages, `/lib/apk/db/installed`, directly, so it
 * needs no apk binary and no root. That file holds one record per package, records separated
 * by a blank line, each line a one-letter field, a colon and the value: `P` name, `V` version,
 * `A` architecture, `o` origin (the source package), `F` a directory the package installed
 * files into, and others the probe does not need. The script keeps only those lines (and only
 * the `F` lines of kernel module directories), which tell which package installed the running
 * kernel: the owner of `/lib/modules/<uname -r>`.
 *
 * Alpine has no standard reboot-needed marker. apk upgrades a kernel package in place, which
 * removes the running kernel's module directory; so a reboot is needed when an installed
 * kernel package exists but none owns the running kernel's module directory.
 */
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
import { parseApkRepositories } from './repo-file.js';

export const ALPINE_PROBE_FORMAT = 'alpine-1';

/** The Alpine part of a probe script (after the shell functions and `pw_root`). */
export const ALPINE_PROBE_BODY = String.raw`pw_section begin ${ALPINE_PROBE_FORMAT}
${HOST_SECTIONS_SCRIPT}
pw_section apk-architecture
if [ -r "$pw_root/etc/apk/arch" ]; then pw_file "$pw_root/etc/apk/arch"; fi

for pw_path in "$pw_root/etc/apk/repositories" "$pw_root"/etc/apk/repositories.d/*.list; do
  [ -f "$pw_path" ] || continue
  if [ -r "$pw_path" ]; then
    pw_section apk-repositories "${'$'}{pw_path#"$pw_root"}"
    pw_file "$pw_path"
  else
    pw_section apk-repositories-unreadable "${'$'}{pw_path#"$pw_root"}"
  fi
done

pw_db=
for pw_path in "$pw_root/lib/apk/db/installed" "$pw_root/usr/lib/apk/db/installed"; do
  if [ -e "$pw_path" ]; then pw_db=$pw_path; break; fi
done
if [ -z "$pw_db" ]; then
  pw_section apk-installed-state
  echo missing
elif [ ! -r "$pw_db" ]; then
  pw_section apk-installed-state
  echo unreadable
else
  pw_section apk-installed "${'$'}{pw_db#"$pw_root"}"
  grep -E '^$|^[PVAo]:|^F:(usr/)?lib/modules/[^/]+$' "$pw_db"
  pw_status=$?
  pw_section apk-installed-state
  if [ "$pw_status" -le 1 ]; then echo ok; else echo "grep-failed $pw_status"; fi
fi

pw_section end
`;

interface ApkRecord {
  pkg: InstalledPackage;
  /** Kernel releases whose module directory the package installed. */
  kernelReleases: string[];
}

function parseInstalled(section: ProbeSection | undefined, problems: string[]): ApkRecord[] {
  const records: ApkRecord[] = [];
  let fields = new Map<string, string>();
  let kernelReleases: string[] = [];
  const finish = (): void => {
    if (fields.size === 0 && kernelReleases.length === 0) return;
    const name = fields.get('P') ?? '';
    const version = fields.get('V') ?? '';
    if (name === '' || version === '') {
      problems.push(`apk database record without ${name === '' ? 'a name (P:)' : `a version (V:) for ${name}`}`);
    } else {
      records.push({
        pkg: {
          name,
          architecture: fields.get('A') ?? '',
          version,
          status: '',
          sourceName: fields.get('o') || name,
          sourceVersion: version,
        },
        kernelReleases,
      });
    }
    fields = new Map();
    kernelReleases = [];
  };
  for (const line of section?.lines ?? []) {
    if (line.trim() === '') {
      finish();
      continue;
    }
    const key = line.charAt(0);
    const value = line.slice(2);
    if (line.charAt(1) !== ':') continue;
    // A record starts with its P: line; a missing blank line must not merge two records.
    if (key === 'P' && fields.has('P')) finish();
    if (key === 'F') kernelReleases.push(value.slice(value.lastIndexOf('/') + 1));
    else fields.set(key, value);
  }
  finish();
  return records;
}

/** Among several owners of a module directory, the kernel itself (`linux-lts`, not `linux-lts-dev`). */
function preferKernelPackage(records: ApkRecord[]): ApkRecord | undefined {
  return records.find((r) => /^linux-/.test(r.pkg.name) && !/-dev$/.test(r.pkg.name)) ?? records[0];
}

export type AlpineProbeParseResult = ProbeParseResult;

/** Parses the Alpine probe's output into an inventory plus the problems met on the way. */
export function parseAlpineProbeOutput(stdout: string, collector: Inventory['collector'], collectedAt: Date): AlpineProbeParseResult {
  const sections = completeProbeSections(stdout, ALPINE_PROBE_FORMAT);
  const one = sectionLookup(sections);
  const state = firstLine(one('apk-installed-state'));
  if (state !== 'ok') {
    throw new ProbeOutputError(
      state === 'missing'
        ? 'apk database /lib/apk/db/installed was not found: this is not an apk-based machine'
        : state === 'unreadable'
          ? 'apk database /lib/apk/db/installed cannot be read'
          : `reading the apk database failed (${state || 'no answer'})`,
    );
  }
  const problems: string[] = [];
  const records = parseInstalled(one('apk-installed'), problems);
  const facts = hostFactsOf(sections);

  const repositories: PackageRepository[] = [];
  for (const section of sections) {
    if (section.name === 'apk-repositories') repositories.push(...parseApkRepositories(section.argument, copiedText(section)));
    if (section.name === 'apk-repositories-unreadable') problems.push(`${section.argument}: cannot be read`);
  }

  const release = facts.kernel.release;
  const owner = preferKernelPackage(records.filter((r) => r.kernelReleases.includes(release)));
  if (owner !== undefined) {
    const running: RunningKernelPackage = { name: owner.pkg.name, version: owner.pkg.version, architecture: owner.pkg.architecture };
    facts.kernel.package = running;
  }

  const reasons: string[] = [];
  const rebootPackages: string[] = [];
  const kernels = records.filter((r) => r.kernelReleases.length > 0 && /^linux-/.test(r.pkg.name) && !/-dev$/.test(r.pkg.name));
  if (owner === undefined && kernels.length > 0) {
    // Prefer the package of the running flavour (`6.6.30-0-lts` → linux-lts).
    const flavour = release.slice(release.lastIndexOf('-') + 1);
    const sameFlavour = kernels.filter((r) => r.pkg.name === `linux-${flavour}`);
    for (const record of sameFlavour.length > 0 ? sameFlavour : kernels) {
      rebootPackages.push(record.pkg.name);
      reasons.push(`${record.pkg.name} ${record.pkg.version} provides kernel ${record.kernelReleases.join(', ')} but ${release} is running`);
    }
  }

  const inventory = inventoryWithoutApt(collector, collectedAt, facts, {
    architecture: copiedText(one('apk-architecture')).split('\n')[0].trim() || facts.kernel.machine,
    packages: records.map((r) => r.pkg),
    repositories,
    reboot: { required: reasons.length > 0, packages: rebootPackages, reasons },
  });
  return { inventory, problems };
}
