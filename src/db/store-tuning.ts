/**
 * Keeps the embedded (SQLite) store's aids to its queries current, which SQLite does not do by
 * itself:
 *
 * - Planner statistics. SQLite gathers none unless asked, and without them it guesses at every
 *   table's size. On the benchmark's 100,000-patch store it then planned a page of counted
 *   patches (`patchStatus:Missing and isSecurity:true`) by walking every patch: 24 ms instead of
 *   0.7 ms, before migration 0013 made such pages start from the counts whatever the planner
 *   knows; a havingQuery page still takes 1.8 ms instead of 1.3 ms without them.
 *   `PRAGMA optimize=0x10002` analyses the tables that have no statistics or whose size changed
 *   a lot since they were analysed (with SQLite's own bound on the rows it samples), and is a
 *   check of a few tens of milliseconds when none did.
 * - The trigram index of titles (an FTS5 table, migration 0009). Patches written in batches leave
 *   it in many segments, and a title search reads each segment's list for each trigram: half the
 *   time of a search on the benchmark's store went to that. FTS5's `optimize` merges them into
 *   one, and is a no-op when the index is one segment already.
 *
 * PostgreSQL needs neither: autovacuum keeps its statistics, and its trigram index is a GIN index
 * that keeps itself.
 */
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { PatchwardenDb } from './database.js';

/** How often a console tunes its store while it runs (scans grow the status tables steadily). */
export const STORE_TUNING_INTERVAL_MS = 3_600_000;

/** Brings the planner statistics and the title index up to date; a no-op on PostgreSQL. */
export async function tuneStoreForQueries(db: PatchwardenDb): Promise<void> {
  if (db.dialect !== 'sqlite') return;
  // The index first, so the statistics describe it as it now is.
  await sql`insert into patch_title_trigrams (patch_title_trigrams) values ('optimize')`.execute(db.kysely);
  await sql`pragma optimize = 0x10002`.execute(db.kysely);
}

/**
 * `tuneStoreForQueries` for a running console: never rejects (listings stay right without it,
 * only slower), says when it took long (a large store's first analysis takes a second or two),
 * and warns when it failed.
 */
export async function tuneStoreQuietly(db: PatchwardenDb, log: Pick<Logger, 'info' | 'warn'>, reason: string): Promise<void> {
  if (db.dialect !== 'sqlite') return;
  const started = performance.now();
  try {
    await tuneStoreForQueries(db);
    const ms = Math.round(performance.now() - started);
    if (ms >= 1_000) log.info({ reason, ms }, 'store statistics and title index brought up to date');
  } catch (error) {
    log.warn({ err: error, reason }, 'store statistics and title index could not be brought up to date; queries stay right but may be slower');
  }
}
