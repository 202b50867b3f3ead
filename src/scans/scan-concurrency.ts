/**
 * How many machines of one scan are collected at once: at most the scan template's
 * `threadCount` per scan, inside the console-wide limit of the task queue (`scanConcurrency`).
 * Each SSH connection also waits a small random delay first, so a large scan does not open all
 * its connections in the same instant.
 */

interface ScanSlots {
  active: number;
  waiting: Array<() => void>;
}

/** Limits the machines collected at once per scan; scans do not share slots. */
export class PerScanLimiter {
  private readonly scans = new Map<string, ScanSlots>();

  /** Runs `work` once one of the scan's `limit` slots is free. */
  async run<T>(scanId: string, limit: number, work: () => Promise<T>): Promise<T> {
    const slots = this.scans.get(scanId) ?? { active: 0, waiting: [] };
    this.scans.set(scanId, slots);
    if (slots.active >= Math.max(1, limit)) await new Promise<void>((resolve) => slots.waiting.push(resolve));
    else slots.active++;
    try {
      return await work();
    } finally {
      const next = slots.waiting.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else if (--slots.active === 0) this.scans.delete(scanId);
    }
  }

  /** Machines of the scan being collected right now. */
  activeFor(scanId: string): number {
    return this.scans.get(scanId)?.active ?? 0;
  }
}

/** Waits a random time in [0, maxMs). */
export function startJitter(maxMs: number): Promise<void> {
  if (maxMs <= 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * maxMs)));
}
