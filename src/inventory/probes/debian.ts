/**
 * The Debian/Ubuntu probe: one POSIX sh script that prints everything the inventory needs, and
 * a pure parser for its output. Running the script is the only round trip to the machine.
 *
 * Output format: the script prints sections, each introduced by a line
 * `@@patchwarden:<name>@@` (optionally followed by a space and an argument, e.g. a file path).
 * Copied file contents are printed with every line prefixed by `|`, so a file can never forge
 * a section line; command outputs that cannot start with `@` are printed as they are. The
 * output starts with `begin` (carrying the format version) and ends with `end`, so a cut-off
 * output is detected. Anything before `begin` (login banners) is ignored.
 */
import type { AptSourceEntry } from '../../catalog/sources/apt-repo/types.js';
import { orderAptSourceFiles, parseAptSourcesFile } from '../../catalog/sources/apt-repo/sources-list.js';
import type { InstalledPackage, Inventory } from '../types.js';
import { osFromOsRelease } from './os-release.js';

export const DEBIAN_PROBE_FORMAT_VERSION = '1';

/**
 * `dpkg-query` line format: name, architecture, status abbreviation, version and the source
 * package's name and version (dpkg derives those from the `Source:` field; they may be empty
 * on an old dpkg, and the parser then uses the binary's own).
 */
const DPKG_QUERY_FORMAT = [
  '${Package}',
  '${Architecture}',
  '${db:Status-Abbrev}',
  '${Version}',
  '${source:Package}',
  '${source:Version}',
].join('\\t') + '\\n';

/** The probe script. Needs only a POSIX sh, coreutils and dpkg. */
export const DEBIAN_PROBE_SCRIPT = String.raw`# patchwarden Debian/Ubuntu inventory probe (output format ${DEBIAN_PROBE_FORMAT_VERSION})
LC_ALL=C
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
# Name lookups can hang on a broken resolver; bound them when timeout(1) exists.
pw_bounded() {
  if command -v timeout >/dev/null 2>&1; then timeout 10 "$@"; else "$@"; fi
}

pw_section begin ${DEBIAN_PROBE_FORMAT_VERSION}

pw_section os-release
if [ -r /etc/os-release ]; then pw_file /etc/os-release
elif [ -r /usr/lib/os-release ]; then pw_file /usr/lib/os-release
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

pw_section kernel-release
uname -r
pw_section kernel-version
uname -v
pw_section machine
uname -m
pw_section dpkg-architecture
dpkg --print-architecture 2>/dev/null
pw_section dpkg-foreign-architectures
dpkg --print-foreign-architectures 2>/dev/null

for pw_path in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$pw_path" ] || continue
  if [ -r "$pw_path" ]; then
    pw_section apt-source "$pw_path"
    pw_file "$pw_path"
  else
    pw_section apt-source-unreadable "$pw_path"
  fi
done

# Over SSH the console cannot read the machine's keyrings itself: with PW_WITH_KEYRINGS=1 the
# probe copies (base64, at most 64 files of 1 MiB) the keyrings its sources name in signed-by and
# apt's trusted keyrings, which verify sources that name none.
if [ "$PW_WITH_KEYRINGS" = 1 ] && command -v base64 >/dev/null 2>&1; then
  pw_keyrings=0
  for pw_path in $( { sed -n -e 's/^.*[[ ,]signed-by=\([^] ]*\).*$/\1/p' \
      -e 's/^[Ss]igned-[Bb]y:[[:space:]]*\(\/[^[:space:]]*\)[[:space:]]*$/\1/p' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null | tr ',' '\n'
    ls -d /etc/apt/trusted.gpg /etc/apt/trusted.gpg.d/*.gpg /etc/apt/trusted.gpg.d/*.asc 2>/dev/null; } | sort -u ); do
    [ -f "$pw_path" ] || continue
    pw_keyrings=$((pw_keyrings + 1))
    if [ "$pw_keyrings" -gt 64 ] || [ "$(wc -c < "$pw_path")" -gt 1048576 ]; then
      pw_section apt-keyring-skipped "$pw_path"
    elif [ -r "$pw_path" ]; then
      pw_section apt-keyring "$pw_path"
      base64 < "$pw_path" | sed 's/^/|/'
    else
      pw_section apt-keyring-skipped "$pw_path"
    fi
  done
fi

pw_section reboot-required
if [ -e /var/run/reboot-required ]; then echo yes; else echo no; fi
pw_section reboot-required-pkgs
if [ -r /var/run/reboot-required.pkgs ]; then pw_file /var/run/reboot-required.pkgs; fi

pw_section dpkg-packages
dpkg-query -W -f='${DPKG_QUERY_FORMAT}'
pw_status=$?
pw_section dpkg-query-exit
echo "$pw_status"

pw_section end
`;

/** The probe output cannot be turned into an inventory. */
export class DebianProbeOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DebianProbeOutputError';
  }
}

interface ProbeSection {
  name: string;
  argument: string;
  lines: string[];
}

const SECTION_LINE = /^@@patchwarden:([a-z0-9-]+)@@(?: (.*))?$/;

function splitSections(stdout: string): ProbeSection[] {
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
  // Ignore anything printed before the probe started (login banners and the like).
  const begin = sections.findIndex((section) => section.name === 'begin');
  return begin === -1 ? [] : sections.slice(begin);
}

/** The text of a copied file: lines with their `|` prefix removed. */
function copiedText(section: ProbeSection | undefined): string {
  if (section === undefined) return '';
  return section.lines
    .filter((line) => line.startsWith('|'))
    .map((line) => line.slice(1))
    .join('\n');
}

function firstLine(section: ProbeSection | undefined): string {
  return section?.lines.find((line) => line.trim() !== '')?.trim() ?? '';
}

/**
 * Whether a dpkg status abbreviation (`${db:Status-Abbrev}`, e.g. `ii `) means a version of the
 * package is on the machine. This follows apt: it gives a package a current version (the one
 * `apt list --upgradable` compares against) in every state except not-installed (`n`) and
 * config-files (`c`, removed but not purged). So installed (`i`), unpacked (`U`),
 * half-configured (`F`), half-installed (`H`), triggers-awaited (`W`) and triggers-pending
 * (`t`) packages are kept; their `status` tells a later step that they are in trouble.
 */
export function isInstalledDpkgStatus(statusAbbrev: string): boolean {
  const current = statusAbbrev.charAt(1);
  return current !== '' && 'iUFHWt'.includes(current);
}

function parsePackages(section: ProbeSection | undefined, problems: string[]): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  for (const line of section?.lines ?? []) {
    if (line.trim() === '') continue;
    const fields = line.split('\t');
    if (fields.length !== 6) {
      problems.push(`dpkg-query line with ${fields.length} fields instead of 6: ${JSON.stringify(line)}`);
      continue;
    }
    const [name, architecture, status, version, sourceName, sourceVersion] = fields;
    if (!isInstalledDpkgStatus(status)) continue;
    packages.push({
      name,
      architecture,
      version,
      status,
      sourceName: sourceName || name,
      sourceVersion: sourceVersion || version,
    });
  }
  return packages;
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

function nonEmptyLines(section: ProbeSection | undefined): string[] {
  return (section?.lines ?? []).map((line) => line.trim()).filter((line) => line !== '');
}

export interface DebianProbeParseResult {
  inventory: Inventory;
  /** Things that were skipped or unreadable (bad source lines, unreadable files...). */
  problems: string[];
}

/** Parses the probe output into an inventory plus the problems met on the way. */
export function parseDebianProbeOutputWithProblems(
  stdout: string,
  collector: 'local' | 'ssh',
  collectedAt: Date,
): DebianProbeParseResult {
  const sections = splitSections(stdout);
  if (sections.length === 0) throw new DebianProbeOutputError('probe output has no begin marker: the probe did not run');
  const version = sections[0].argument;
  if (version !== DEBIAN_PROBE_FORMAT_VERSION) {
    throw new DebianProbeOutputError(`probe output format '${version}' is not the expected '${DEBIAN_PROBE_FORMAT_VERSION}'`);
  }
  if (sections[sections.length - 1].name !== 'end') {
    throw new DebianProbeOutputError('probe output is cut off: it has no end marker');
  }
  const one = (name: string): ProbeSection | undefined => sections.find((section) => section.name === name);

  const dpkgExit = firstLine(one('dpkg-query-exit'));
  if (dpkgExit !== '0') {
    throw new DebianProbeOutputError(
      dpkgExit === '127'
        ? 'dpkg-query was not found: this is not a dpkg-based machine'
        : `dpkg-query failed with exit status ${dpkgExit || 'unknown'}`,
    );
  }

  const problems: string[] = [];
  const packages = parsePackages(one('dpkg-packages'), problems);

  const sourceSections = new Map<string, ProbeSection>();
  for (const section of sections) {
    if (section.name === 'apt-source') sourceSections.set(section.argument, section);
    if (section.name === 'apt-source-unreadable') problems.push(`${section.argument}: cannot be read`);
  }
  const aptSources: AptSourceEntry[] = [];
  for (const file of orderAptSourceFiles([...sourceSections.keys()])) {
    const result = parseAptSourcesFile(file, copiedText(sourceSections.get(file)));
    aptSources.push(...result.entries);
    problems.push(...result.errors.map((error) => error.message));
  }

  const hostname = firstLine(one('hostname'));
  const fqdn = chooseFqdn(hostname, firstLine(one('fqdn')), firstLine(one('hosts-entry')));
  const dot = fqdn.indexOf('.');

  const rebootPackages: string[] = [];
  for (const line of copiedText(one('reboot-required-pkgs')).split('\n')) {
    const name = line.trim();
    if (name !== '' && !rebootPackages.includes(name)) rebootPackages.push(name);
  }

  const keyringSections = sections.filter((section) => section.name === 'apt-keyring' || section.name === 'apt-keyring-skipped');
  for (const section of keyringSections) {
    if (section.name === 'apt-keyring-skipped') problems.push(`${section.argument}: keyring not copied (unreadable, too large, or too many keyrings)`);
  }

  const inventory: Inventory = {
    schemaVersion: 1,
    collectedAt: collectedAt.toISOString(),
    collector,
    host: { hostname, fqdn, domain: dot === -1 ? '' : fqdn.slice(dot + 1) },
    os: osFromOsRelease(copiedText(one('os-release'))),
    kernel: {
      release: firstLine(one('kernel-release')),
      version: firstLine(one('kernel-version')),
      machine: firstLine(one('machine')),
    },
    architecture: firstLine(one('dpkg-architecture')),
    foreignArchitectures: nonEmptyLines(one('dpkg-foreign-architectures')),
    packages,
    aptSources,
    reboot: { required: firstLine(one('reboot-required')) === 'yes', packages: rebootPackages },
  };
  if (keyringSections.length > 0) {
    inventory.aptKeyrings = keyringSections.filter((section) => section.name === 'apt-keyring')
      .map((section) => ({ path: section.argument, data: copiedText(section).replace(/\s+/g, '') }));
  }
  return { inventory, problems };
}

/** Parses the probe output into an inventory (problems such as bad source lines are dropped). */
export function parseDebianProbeOutput(stdout: string, collector: 'local' | 'ssh', collectedAt: Date): Inventory {
  return parseDebianProbeOutputWithProblems(stdout, collector, collectedAt).inventory;
}
