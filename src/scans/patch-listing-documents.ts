/**
 * Patch listing documents kept in the store (`patch_listing_documents`, migration 0010): each
 * patch's JSON document without its live counts, so a listing page splices in the counts instead
 * of building twenty values and two sorted lists per patch (measured in docs/benchmarks.md).
 *
 * - Written here, with the same SQL that builds documents live (patch-documents.ts), tagged with
 *   a `format`: a fingerprint of that SQL. A listing reads only rows of its own format, so a
 *   console whose field list changed never sends another version's text; it rebuilds them.
 * - Made stale by triggers (migration 0010) in the transaction that changes the patch, its CVEs
 *   or its QIDs. A patch without a current row has its document built live when listed, so a
 *   listing is always as current as the data, stored or not.
 * - Refreshed in batches by whoever serves listings (api/pm keeps them up), never as part of a
 *   catalog write.
 */
import { createHash } from 'node:crypto';
import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { PatchwardenDb } from '../db/database.js';
import type { PatchwardenTables } from '../db/schema.js';
import { compiledOnce, storedDocumentSplit, type PatchDocumentField } from './patch-documents.js';
import { withPmViews } from './pm-query-views.js';

/** Formats by field list (the lists are module constants, so this stays small). */
const formats = new WeakMap<readonly PatchDocumentField[], Map<string, string>>();

/**
 * The fingerprint of how the stored part of these documents is written on this store: the SQL
 * of their head and tail. It changes with the field list and with how any value is rendered.
 */
export function patchListingDocumentFormat(db: PatchwardenDb, fields: readonly PatchDocumentField[]): string {
  let byDialect = formats.get(fields);
  if (!byDialect) formats.set(fields, (byDialect = new Map()));
  let format = byDialect.get(db.dialect);
  if (format === undefined) {
    const { head, tail } = storedDocumentSplit(db, fields, 'p');
    const text = `${head.compile(db.kysely).sql}\u0000${tail.compile(db.kysely).sql}`;
    format = createHash('sha256').update(text).digest('hex').slice(0, 16);
    byDialect.set(db.dialect, format);
  }
  return format;
}

/**
 * The document of `alias` (a `pm_patches` row) from its stored row `storedAlias` (joined on the
 * patch id and this format): the stored head and tail around the live counts, or null when the
 * row is absent, stale or of another format; the caller then builds that document live.
 *
 * Deliberately without a live fallback in the same expression: on PostgreSQL planning it doubled
 * the statement's planning time (0.27 → 0.6 ms, paid on every listing, as parameter values make
 * the planner re-plan), while stale documents are rare and short-lived.
 */
export function storedPatchDocumentExpression(db: PatchwardenDb, fields: readonly PatchDocumentField[], alias: string, storedAlias: string): RawBuilder<string | null> {
  return compiledOnce(db, fields, `stored ${alias} ${storedAlias}`, () => {
    const { live } = storedDocumentSplit(db, fields, alias);
    const stored = (column: string) => sql.ref(`${storedAlias}.${column}`);
    return live ? sql<string>`${stored('head')} || ${live} || ${stored('tail')}` : sql<string>`${stored('head')} || ${stored('tail')}`;
  });
}

export interface PatchListingRefresh {
  /** Documents written. */
  built: number;
  /**
   * `done`: no patch was left without a current document (as of the last batch).
   * `stopped`: `shouldStop` said so between batches.
   * `busy`: on PostgreSQL, another process is refreshing, or a patch changed under a batch (that
   * batch wrote nothing); try again later.
   */
  outcome: 'done' | 'stopped' | 'busy';
}

/** Batches small enough not to hold SQLite's single connection (or a PostgreSQL lock) for long. */
const BATCH = { sqlite: 250, postgres: 2000 } as const;
/** Serialises refreshes of several PostgreSQL processes: one refreshes, the others skip. */
export const POSTGRES_REFRESH_LOCK_KEY = '7379218113452851741';

/**
 * Writes current documents for patches whose row is missing, stale or of another format, a batch
 * at a time in patch-id order, yielding to other work between batches.
 *
 * On PostgreSQL each batch is one statement in a repeatable-read transaction. A patch changed by
 * a transaction that commits after the batch's snapshot has its row marked stale by that change;
 * the batch's write to the same row then fails with a serialisation error instead of storing the
 * document of the older data (at read committed it would silently overwrite the mark). Such a
 * batch writes nothing and the refresh reports `busy`.
 */
export async function refreshPatchListingDocuments(
  db: PatchwardenDb,
  fields: readonly PatchDocumentField[],
  options: { batchSize?: number; shouldStop?: () => boolean } = {},
): Promise<PatchListingRefresh> {
  const batchSize = options.batchSize ?? BATCH[db.dialect];
  let built = 0;
  for (;;) {
    if (options.shouldStop?.()) return { built, outcome: 'stopped' };
    const written = db.dialect === 'postgres'
      ? await postgresBatch(db, fields, batchSize)
      : Number((await refreshBatch(db, db.kysely, fields, batchSize).executeTakeFirst()).numInsertedOrUpdatedRows ?? 0n);
    if (written === 'busy') return { built, outcome: 'busy' };
    built += written;
    if (written < batchSize) return { built, outcome: 'done' };
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function postgresBatch(db: PatchwardenDb, fields: readonly PatchDocumentField[], batchSize: number): Promise<number | 'busy'> {
  try {
    return await db.kysely.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(cast(${POSTGRES_REFRESH_LOCK_KEY} as bigint)) as locked`.execute(trx);
      if (!rows[0].locked) return 'busy' as const;
      const result = await refreshBatch(db, trx, fields, batchSize).executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n);
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // 40001 serialisation failure, 40P01 deadlock: a concurrent change won; it marked its patches.
    if (code === '40001' || code === '40P01') return 'busy';
    throw error;
  }
}

/** Upserts the documents of the next `batchSize` patches (in id order) without a current row. */
function refreshBatch(db: PatchwardenDb, executor: typeof db.kysely | Transaction<PatchwardenTables>, fields: readonly PatchDocumentField[], batchSize: number) {
  const format = patchListingDocumentFormat(db, fields);
  const { head, tail } = storedDocumentSplit(db, fields, 'pm_patches');
  const views = withPmViews(executor as typeof db.kysely, db.dialect, ['pm_patches']);
  return views.insertInto('patch_listing_documents')
    .columns(['patch_id', 'format', 'head', 'tail'])
    .expression((eb) => {
      const stale = eb.selectFrom('patches as q')
        .leftJoin('patch_listing_documents as d', 'd.patch_id', 'q.id')
        .select('q.id')
        .where((w) => w.or([w('d.patch_id', 'is', null), w('d.format', 'is', null), w('d.format', '<>', format)]))
        .orderBy('q.id')
        .limit(batchSize);
      return eb.selectFrom('pm_patches')
        .select(['pm_patches.id', sql<string>`cast(${format} as text)`.as('format'), head.as('head'), tail.as('tail')])
        // As in patch listings: on PostgreSQL the ids as one array, read by key.
        .where(db.dialect === 'postgres'
          ? sql<boolean>`${sql.ref('pm_patches.id')} = any(array(${stale}))`
          : sql<boolean>`${sql.ref('pm_patches.id')} in (${stale})`);
    })
    .onConflict((oc) => oc.column('patch_id').doUpdateSet((eb) => ({
      format: eb.ref('excluded.format'), head: eb.ref('excluded.head'), tail: eb.ref('excluded.tail'),
    })));
}
