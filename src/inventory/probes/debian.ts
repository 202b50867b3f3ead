/**
 * The Debian/Ubuntu probe: one POSIX sh script that prints everything the inventory needs, and
 * a pure parser for its output. Running the script is the only round trip to the machine.
 *
 * Output format: the sectioned output every probe prints (see probe-output.ts): sections
 * introduced by `@@patchwarden:<name>@@` lines, copied files with every line prefixed by `|`,
 * command outputs that cannot start with `@` as they are, from `begin` (carrying the format
 * version) to `end`.
 */
import type { AptSourceEntry } from '../../catalog/sources/apt-repo/types.js';
import { orderAptSourceFiles, parseAptSourcesFile } from '../../catalog/sources/apt-repo/sources-list.js';
import type { InstalledPackage, Inventory } from '../types.js';
import {
  completeProbeSections,
  copiedText,
  firstLine,
  HOST_SECTIONS_SCRIPT,
  hostFactsOf,
  PROBE_SHELL_FUNCTIONS,
  ProbeOutputError,
  rootAssignment,
  sectionLookup,
  type ProbeParseResult,
  type ProbeSection,
} from './probe-output.js';

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

/**
 * The probe script. Needs only a POSIX sh, coreutils and dpkg. It reads the machine's own root
 * (`pw_root` is empty): a Debian system mounted elsewhere is not supported.
 */
export const DEBIAN_PROBE_SCRIPT = String.raw`# patchwarden Debian/Ubuntu inventory probe (output format ${DEBIAN_PROBE_FORMAT_VERSION})
${rootAssignment({})}
${PROBE_SHELL_FUNCTIONS}
pw_section begin ${DEBIAN_PROBE_FORMAT_VERSION}

${HOST_SECTIONS_SCRIPT}
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

function nonEmptyLines(section: ProbeSection | undefined): string[] {
  return (section?.lines ?? []).map((line) => line.trim()).filter((line) => line !== '');
}

export type DebianProbeParseResult = ProbeParseResult;

/** Parses the probe output into an inventory plus the problems met on the way. */
export function parseDebianProbeOutputWithProblems(
  stdout: string,
  collector: 'local' | 'ssh',
  collectedAt: Date,
): DebianProbeParseResult {
  let sections: ProbeSection[];
  try {
    sections = completeProbeSections(stdout, DEBIAN_PROBE_FORMAT_VERSION);
  } catch (error) {
    if (error instanceof ProbeOutputError) throw new DebianProbeOutputError(error.message);
    throw error;
  }
  const one = sectionLookup(sections);

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
    ...hostFactsOf(sections),
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
