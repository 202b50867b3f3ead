/**
 * What the Debian, rpm, apk and other-OS probes share: the shell functions and host sections at
 * the start of each script, reading the sectioned output they print, and the host facts in it.
 *
 * Output format: sections introduced by a line
 * `@@patchwarden:<name>@@`, optionally followed by a space and an argument (a file path).
 * Copied file contents have every line prefixed by `|`, so a file can never forge a section
 * line. The output starts with `begin` (carrying the probe's format name) and ends with `end`,
 * so a cut-off output is detected; anything printed before `begin` (login banners) is ignored.
 *
 * The rpm, apk and other-OS probes honour `pw_root` (the Debian probe sets it empty): when
 * set, the machine's files are read under that directory instead of `/` (a mounted system
 * image). Commands that ask the live system (uname, hostname, `needs-restarting`, `zypper`)
 * still answer for the machine running the script.
 */
import type { Inventory, PackageRepository } from '../types.js';
import { osFromOsRelease } from './os-release.js';

/** Options for building a probe script. */
export interface ProbeScriptOptions {
  /**
   * Read the system's files under this directory instead of `/`, e.g. a mounted image.
   * Absolute path; the default is the machine's own root.
   */
  rootDirectory?: string;
}

/** Quotes a value for POSIX sh. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The root-directory assignment that starts every script. */
export function rootAssignment(options: ProbeScriptOptions): string {
  const root = options.rootDirectory ?? '';
  if (root !== '' && !root.startsWith('/')) throw new Error(`root directory '${root}' is not an absolute path`);
  return `pw_root=${shellQuote(root.replace(/\/+$/, ''))}`;
}

/** Environment and helper functions every probe script starts with. */
export const PROBE_SHELL_FUNCTIONS = String.raw`LC_ALL=C
export LC_ALL
PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
export PATH

pw_section() {
  if [ $# -gt 1 ]; then printf '@@patchwarden:%s@@ %s\n' "$1" "$2"; else printf '@@patchwarden:%s@@\n' "$1"; fi
}
# Copies a file with each line prefixed by "|"; a last line without newline is kept too.
pw_file() {
  while IFS= read -r pw_line || [ -n "$pw_line" ]; do printf '|%s\n' "$pw_line"; done < "$1"
}
# Runs a command for at most $1 seconds when timeout(1) exists (busybox has it too).
pw_timeout() {
  pw_seconds=$1
  shift
  if command -v timeout >/dev/null 2>&1; then timeout "$pw_seconds" "$@"; else "$@"; fi
}
# Name lookups can hang on a broken resolver; bound them.
pw_bounded() {
  pw_timeout 10 "$@"
}
`;

/** Prints os-release, host names and the running kernel: the first sections of every probe. */
export const HOST_SECTIONS_SCRIPT = String.raw`pw_section os-release
if [ -r "$pw_root/etc/os-release" ]; then pw_file "$pw_root/etc/os-release"
elif [ -r "$pw_root/usr/lib/os-release" ]; then pw_file "$pw_root/usr/lib/os-release"
fi

pw_host=$(hostname 2>/dev/null) || pw_host=
[ -n "$pw_host" ] || pw_host=$(uname -n 2>/dev/null) || pw_host=
pw_section hostname
printf '%s\n' "$pw_host"

pw_fqdn=$(pw_bounded hostname -f 2>/dev/null) || pw_fqdn=
pw_section fqdn
printf '%s\n' "$pw_fqdn"
if [ -z "$pw_fqdn" ] && [ -n "$pw_host" ]; then
  pw_section hosts-entry
  pw_bounded getent hosts "$pw_host" 2>/dev/null
fi

pw_kernel_release=$(uname -r)
pw_section kernel-release
printf '%s\n' "$pw_kernel_release"
pw_section kernel-version
uname -v
pw_section machine
uname -m
`;

/** The probe output cannot be turned into an inventory. */
export class ProbeOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeOutputError';
  }
}

export interface ProbeSection {
  name: string;
  argument: string;
  lines: string[];
}

const SECTION_LINE = /^@@patchwarden:([a-z0-9-]+)@@(?: (.*))?$/;

/** The sections of a probe output, from the first `begin` on. */
export function splitProbeSections(stdout: string): ProbeSection[] {
  const sections: ProbeSection[] = [];
  const lines = stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let current: ProbeSection | undefined;
  for (const line of lines) {
    const marker = SECTION_LINE.exec(line);
    if (marker !== null) {
      current = { name: marker[1], argument: marker[2] ?? '', lines: [] };
      sections.push(current);
    } else if (current !== undefined) {
      current.lines.push(line);
    }
  }
  const begin = sections.findIndex((section) => section.name === 'begin');
  return begin === -1 ? [] : sections.slice(begin);
}

/** The sections of a complete output of the probe with format `format`; throws otherwise. */
export function completeProbeSections(stdout: string, format: string): ProbeSection[] {
  const sections = splitProbeSections(stdout);
  if (sections.length === 0) throw new ProbeOutputError('probe output has no begin marker: the probe did not run');
  if (sections[0].argument !== format) {
    throw new ProbeOutputError(`probe output format '${sections[0].argument}' is not the expected '${format}'`);
  }
  if (sections[sections.length - 1].name !== 'end') throw new ProbeOutputError('probe output is cut off: it has no end marker');
  return sections;
}

/** Looks up a probe output's sections by name (the first section of that name). */
export function sectionLookup(sections: ProbeSection[]): (name: string) => ProbeSection | undefined {
  return (name) => sections.find((section) => section.name === name);
}

/** What a probe's parser returns. */
export interface ProbeParseResult {
  inventory: Inventory;
  /** Things that were skipped or unreadable (bad source lines, unreadable files...). */
  problems: string[];
}

/** The text of a copied file: lines with their `|` prefix removed. */
export function copiedText(section: ProbeSection | undefined): string {
  if (section === undefined) return '';
  return section.lines
    .filter((line) => line.startsWith('|'))
    .map((line) => line.slice(1))
    .join('\n');
}

export function firstLine(section: ProbeSection | undefined): string {
  return section?.lines.find((line) => line.trim() !== '')?.trim() ?? '';
}

function isLocalhostName(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === 'localhost' || lower.startsWith('localhost.');
}

/**
 * The machine's FQDN: `hostname -f` when it answered, else the canonical name of the
 * hostname's hosts/DNS entry, else the hostname itself. A `localhost` answer for a machine
 * that is not called localhost comes from a misconfigured hosts file and is not used.
 */
function chooseFqdn(hostname: string, fqdnAnswer: string, hostsEntry: string): string {
  const usable = (name: string): boolean => name !== '' && !/\s/.test(name) && (!isLocalhostName(name) || isLocalhostName(hostname));
  if (usable(fqdnAnswer)) return fqdnAnswer;
  const canonical = hostsEntry.split(/\s+/)[1] ?? '';
  if (usable(canonical)) return canonical;
  return hostname;
}

/** The parts of an inventory every probe fills the same way. */
export type HostFacts = Pick<Inventory, 'host' | 'os' | 'kernel'>;

/** What a probe of a machine without apt found beyond its {@link HostFacts}. */
export type PackageFacts = Pick<Inventory, 'architecture' | 'packages' | 'reboot'> & { repositories: PackageRepository[] };

/** The inventory of a machine without apt (rpm, Alpine, any other OS): no apt sources, no foreign architectures. */
export function inventoryWithoutApt(
  collector: Inventory['collector'],
  collectedAt: Date,
  facts: HostFacts,
  found: PackageFacts,
): Inventory {
  return {
    schemaVersion: 1,
    collectedAt: collectedAt.toISOString(),
    collector,
    ...facts,
    architecture: found.architecture,
    foreignArchitectures: [],
    packages: found.packages,
    aptSources: [],
    repositories: found.repositories,
    reboot: found.reboot,
  };
}

/** Host, OS and running-kernel facts from the sections {@link HOST_SECTIONS_SCRIPT} printed. */
export function hostFactsOf(sections: ProbeSection[]): HostFacts {
  const one = sectionLookup(sections);
  const hostname = firstLine(one('hostname'));
  const fqdn = chooseFqdn(hostname, firstLine(one('fqdn')), firstLine(one('hosts-entry')));
  const dot = fqdn.indexOf('.');
  return {
    host: { hostname, fqdn, domain: dot === -1 ? '' : fqdn.slice(dot + 1) },
    os: osFromOsRelease(copiedText(one('os-release'))),
    kernel: {
      release: firstLine(one('kernel-release')),
      version: firstLine(one('kernel-version')),
      machine: firstLine(one('machine')),
    },
  };
}
