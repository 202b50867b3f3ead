/**
 * The inventory probe for any machine: one POSIX sh script that reads `/etc/os-release`, picks
 * the package family from `ID` then `ID_LIKE` (the same table as {@link osFamilyOf}) and runs
 * that family's probe, so collecting any machine is still one round trip. The output starts
 * with `@@patchwarden:probe@@ <family>`, followed by that probe's own output.
 *
 * A machine of no supported family still gets an inventory: os-release, host names and the
 * running kernel, with no packages and family `unknown`.
 */
import type { Inventory, OsFamily } from '../types.js';
import { ALPINE_PROBE_BODY, parseAlpineProbeOutput } from './alpine.js';
import { DEBIAN_PROBE_SCRIPT, parseDebianProbeOutputWithProblems } from './debian.js';
import { FAMILY_BY_ID } from './os-release.js';
import {
  completeProbeSections,
  hostFactsOf,
  inventoryWithoutApt,
  HOST_SECTIONS_SCRIPT,
  PROBE_SHELL_FUNCTIONS,
  ProbeOutputError,
  rootAssignment,
  type ProbeParseResult,
  type ProbeScriptOptions,
} from './probe-output.js';
import { parseRpmProbeOutput, RPM_PROBE_BODY } from './rpm.js';

export const OTHER_OS_PROBE_FORMAT = 'other-1';

const OTHER_OS_PROBE_BODY = `pw_section begin ${OTHER_OS_PROBE_FORMAT}
${HOST_SECTIONS_SCRIPT}
pw_section end
`;

/** `case` patterns of each family, from the os-release table. */
function casePatterns(family: OsFamily): string {
  return Object.entries(FAMILY_BY_ID)
    .filter(([, value]) => value === family)
    .map(([id]) => id)
    .join('|');
}

function indent(text: string, depth = 4): string {
  return text.replace(/^(?=.)/gm, ' '.repeat(depth));
}

/**
 * The dispatching probe script. With `rootDirectory`, the files of a system mounted there are
 * read instead (rpm and Alpine systems only).
 */
export function inventoryProbeScript(options: ProbeScriptOptions = {}): string {
  return `# patchwarden inventory probe: picks the probe of the machine's package family
${rootAssignment(options)}
${PROBE_SHELL_FUNCTIONS}
pw_os_file=
if [ -r "$pw_root/etc/os-release" ]; then pw_os_file="$pw_root/etc/os-release"
elif [ -r "$pw_root/usr/lib/os-release" ]; then pw_os_file="$pw_root/usr/lib/os-release"
fi
# The words of an os-release value: the last assignment, lower case, quotes dropped.
pw_os_words() {
  [ -n "$pw_os_file" ] || return 0
  sed -n "s/^[[:space:]]*$1=//p" "$pw_os_file" | tail -n 1 | tr 'A-Z' 'a-z' | tr -c 'a-z0-9._\\n-' ' '
}
pw_family=unknown
set -f
for pw_word in $(pw_os_words ID) $(pw_os_words ID_LIKE); do
  case "$pw_word" in
    ${casePatterns('debian')}) pw_family=debian ;;
    ${casePatterns('rpm')}) pw_family=rpm ;;
    ${casePatterns('alpine')}) pw_family=alpine ;;
    *) continue ;;
  esac
  break
done
set +f

case "$pw_family" in
  debian)
    if [ -n "$pw_root" ]; then
      pw_section probe debian-under-root
    else
      pw_section probe debian
${indent(DEBIAN_PROBE_SCRIPT, 6)}
    fi
    ;;
  rpm)
    pw_section probe rpm
${indent(RPM_PROBE_BODY)}
    ;;
  alpine)
    pw_section probe alpine
${indent(ALPINE_PROBE_BODY)}
    ;;
  *)
    pw_section probe unknown
${indent(OTHER_OS_PROBE_BODY)}
    ;;
esac
`;
}

/** The dispatching probe for the machine's own root. */
export const INVENTORY_PROBE_SCRIPT = inventoryProbeScript();

export interface InventoryProbeParseResult extends ProbeParseResult {
  /** Which probe ran. */
  probe: OsFamily;
}

const PROBE_LINE = /^@@patchwarden:probe@@ (\S+)$/m;

function otherOsInventory(stdout: string, collector: Inventory['collector'], collectedAt: Date): Inventory {
  const facts = hostFactsOf(completeProbeSections(stdout, OTHER_OS_PROBE_FORMAT));
  return inventoryWithoutApt(collector, collectedAt, facts, {
    architecture: facts.kernel.machine,
    packages: [],
    repositories: [],
    reboot: { required: false, packages: [], reasons: [] },
  });
}

/** Parses the dispatching probe's output. Throws {@link ProbeOutputError} (or the Debian parser's error). */
export function parseInventoryProbeOutput(stdout: string, collector: Inventory['collector'], collectedAt: Date): InventoryProbeParseResult {
  const probe = PROBE_LINE.exec(stdout)?.[1];
  if (probe === undefined) throw new ProbeOutputError('probe output names no probe: the probe did not run');
  let inventory: Inventory;
  let problems: string[] = [];
  let family: OsFamily;
  switch (probe) {
    case 'debian':
      ({ inventory, problems } = parseDebianProbeOutputWithProblems(stdout, collector, collectedAt));
      family = 'debian';
      break;
    case 'rpm':
      ({ inventory, problems } = parseRpmProbeOutput(stdout, collector, collectedAt));
      family = 'rpm';
      break;
    case 'alpine':
      ({ inventory, problems } = parseAlpineProbeOutput(stdout, collector, collectedAt));
      family = 'alpine';
      break;
    case 'unknown':
      inventory = otherOsInventory(stdout, collector, collectedAt);
      family = 'unknown';
      break;
    case 'debian-under-root':
      throw new ProbeOutputError('reading a Debian-family system under a root directory is not supported');
    default:
      throw new ProbeOutputError(`probe output names an unknown probe '${probe}'`);
  }
  if (inventory.os.family !== family) {
    problems.push(`os-release reads as family '${inventory.os.family}' but the ${family} probe ran; the inventory is recorded as ${family}`);
    inventory.os.family = family;
  }
  return { inventory, probe: family, problems };
}
