/**
 * Keeps the store's patch listing documents (src/scans/patch-listing-documents.ts) current for
 * this console: a refresh of the whole catalog when the console starts, then one of the stale
 * documents whenever a listing had to build documents live because patches changed since the
 * last one, and a look for stale documents every `checkEveryMs` (30 s by default), so documents
 * made stale by a catalog sync, a scan or another console process on the same database are
 * rebuilt before a listing has to build them live. A look that finds nothing stale is one
 * indexed query. Listings are right either way; this only keeps them fast. One refresh at a time
 * per console, requests during one folded into a single next run, and that run no sooner than
 * `minIntervalMs` after (after a failure, `retryAfterFailureMs`, so a broken store is not retried
 * and logged per request).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { PatchwardenDb } from '../../db/database.js';
import type { PatchDocumentField } from '../../scans/patch-documents.js';
import { refreshPatchListingDocuments, type PatchListingRefreshScope } from '../../scans/patch-listing-documents.js';

export class PatchListingDocumentUpkeep {
  private running: Promise<void> | undefined;
  private wanted = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private checks: NodeJS.Timeout | undefined;
  /** The first refresh walks the whole catalog (the format may have changed); later ones only stale rows. */
  private scope: PatchListingRefreshScope = 'all';

  constructor(
    private readonly db: PatchwardenDb,
    private readonly fields: readonly PatchDocumentField[],
    private readonly log: FastifyBaseLogger,
    private readonly minIntervalMs = 1_000,
    private readonly retryAfterFailureMs = 60_000,
    private readonly checkEveryMs = 30_000,
  ) {}

  /** Asks for a refresh soon; the first request also starts the periodic looks for stale documents. */
  request(): void {
    if (this.closed) return;
    this.checks ??= setInterval(() => this.request(), this.checkEveryMs).unref();
    if (this.running || this.timer) {
      this.wanted = true;
      return;
    }
    this.running = this.run().then((failed) => {
      this.running = undefined;
      if (failed) this.later(this.retryAfterFailureMs);
      else if (this.wanted) this.later(this.minIntervalMs);
    });
  }

  /** Stops refreshing: the running batch finishes, no other starts. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    clearInterval(this.checks);
    this.checks = undefined;
    await this.running;
  }

  private later(delayMs: number): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wanted = false;
      this.request();
    }, delayMs);
    this.timer.unref();
  }

  /** One refresh; resolves to whether it failed (never rejects). */
  private async run(): Promise<boolean> {
    this.wanted = false;
    const started = performance.now();
    try {
      const { built, outcome } = await refreshPatchListingDocuments(this.db, this.fields, { scope: this.scope, shouldStop: () => this.closed });
      if (outcome === 'done') this.scope = 'stale';
      const ms = Math.round(performance.now() - started);
      // A first start or an upgrade builds the whole catalog's documents: worth a line.
      if (built >= 1_000) this.log.info({ built, ms }, 'patch listing documents refreshed');
      else if (built > 0) this.log.debug({ built, ms }, 'patch listing documents refreshed');
      // Another process was refreshing, or patches changed under the batch: look again later.
      if (outcome === 'busy') this.wanted = true;
      return false;
    } catch (error) {
      if (this.closed) return false;
      this.log.warn({ err: error }, 'patch listing documents could not be refreshed; listings build them live meanwhile');
      return true;
    }
  }
}
