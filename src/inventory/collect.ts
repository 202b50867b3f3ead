/**
 * Collecting an inventory: run a probe on a machine through a {@link MachineShell} (one round
 * trip) and parse what it printed.
 */
import { LocalMachineShell } from './collectors/local.js';
import type { MachineShell } from './machine-shell.js';
import { DEBIAN_PROBE_SCRIPT, parseDebianProbeOutputWithProblems } from './probes/debian.js';
import type { ProbeParseResult } from './probes/probe-output.js';
import { INVENTORY_PROBE_SCRIPT, inventoryProbeScript, parseInventoryProbeOutput } from './probes/dispatch.js';
import type { Inventory } from './types.js';

/** Used when no timeout is given: a large machine lists a few thousand packages. */
export const DEFAULT_COLLECTION_TIMEOUT_MS = 120_000;

export interface CollectOptions {
  timeoutMs?: number;
  /** How the shell reaches the machine; by default `local` for a LocalMachineShell, else `ssh`. */
  collector?: Inventory['collector'];
  /** Receives problems that did not stop the collection (bad source lines, unreadable files). */
  onProblem?: (problem: string) => void;
}

export interface CollectInventoryOptions extends CollectOptions {
  /**
   * Read the files of a system mounted at this directory instead of the machine's own (rpm and
   * Alpine systems). The running kernel and host names still come from the machine.
   */
  rootDirectory?: string;
}

/** The machine could not be collected; the message names the machine and the cause. */
export class InventoryCollectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InventoryCollectionError';
  }
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/**
 * Runs a probe script on the machine and parses what it printed; a failed run or an unreadable
 * output becomes an {@link InventoryCollectionError} naming the machine and the end of stderr.
 */
async function runProbe(
  shell: MachineShell,
  script: string,
  options: CollectOptions,
  parse: (stdout: string, collector: Inventory['collector'], collectedAt: Date) => ProbeParseResult,
): Promise<Inventory> {
  const collector = options.collector ?? (shell instanceof LocalMachineShell ? 'local' : 'ssh');
  const result = await shell.run(script, { timeoutMs: options.timeoutMs ?? DEFAULT_COLLECTION_TIMEOUT_MS });
  const finishedAt = new Date();
  const stderrTail = result.stderr.trim() === '' ? '' : `; stderr: ${lastLines(result.stderr, 5)}`;
  if (result.exitCode !== 0) {
    throw new InventoryCollectionError(
      `inventory probe on ${shell.describe()} exited with status ${result.exitCode}${stderrTail}`,
    );
  }
  let parsed;
  try {
    parsed = parse(result.stdout, collector, finishedAt);
  } catch (error) {
    throw new InventoryCollectionError(
      `cannot read the inventory of ${shell.describe()}: ${(error as Error).message}${stderrTail}`,
      { cause: error },
    );
  }
  for (const problem of parsed.problems) options.onProblem?.(problem);
  return parsed.inventory;
}

/** Collects a Debian/Ubuntu machine's inventory with the Debian probe. */
export async function collectDebianInventory(shell: MachineShell, options: CollectOptions = {}): Promise<Inventory> {
  return runProbe(shell, DEBIAN_PROBE_SCRIPT, options, parseDebianProbeOutputWithProblems);
}

/**
 * Collects any machine's inventory with the dispatching probe: Debian/Ubuntu, rpm (RHEL,
 * AlmaLinux, Rocky, Fedora, Amazon Linux, SUSE) and Alpine machines get their packages; any
 * other OS gets an inventory of family `unknown` with its os-release, host names and kernel.
 */
export async function collectInventory(shell: MachineShell, options: CollectInventoryOptions = {}): Promise<Inventory> {
  const script = options.rootDirectory === undefined ? INVENTORY_PROBE_SCRIPT : inventoryProbeScript({ rootDirectory: options.rootDirectory });
  return runProbe(shell, script, options, parseInventoryProbeOutput);
}

/** Collects the inventory of the machine this process runs on. */
export function collectLocalInventory(options: CollectOptions = {}): Promise<Inventory> {
  return collectDebianInventory(new LocalMachineShell(), { collector: 'local', ...options });
}
