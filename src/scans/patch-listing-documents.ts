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
import { compiledOnce, derivedOnce, storedDocumentSplit, type PatchDocumentField } from './patch-documents.js';
import { withPmViews } from './pm-query-views.js';

/**
 * The fingerprint of how the stored part of these documents is written on this store: the SQL
 * of their head and tail. It changes with the field list and with how any value is rendered.
 */
export function patchListingDocumentFormat(db: PatchwardenDb, fields: readonly PatchDocumentField[]): string {
  return derivedOnce(fields, `${db.dialect} format`, () => {
    const { head, tail } = storedDocumentSplit(db, fields, 'p');
    const text = `${head.compile(db.kysely).sql}\u0000${tail.compile(db.kysely).sql}`;
    return createHash('sha256').update(text).digest('hex').slice(0, 16);
  });
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
   * `done`: every patch considered has a current document (as of its batch).
   * `stopped`: `shouldStop` said so between batches.
   * `busy`: on PostgreSQL, another process is refreshing, or a patch changed under a batch (that
   * batch wrote nothing); try again later.
   */
  outcome: 'done' | 'stopped' | 'busy';
}

/**
 * Which patches a refresh considers:
 * - `all`: every patch without a current row (missing, stale, or of another format), found by
 *   walking the catalog; for a console's start, when the format may have changed.
 * - `stale`: the rows marked stale since, found through a partial index without walking the
 *   catalog; for refreshes after changes.
 */
export type PatchListingRefreshScope = 'all' | 'stale';

/** Batches small enough not to hold SQLite's single connection (or a PostgreSQL lock) for long. */
const BATCH = { sqlite: 250, postgres: 2000 } as const;
/** Serialises refreshes of several PostgreSQL processes: one refreshes, the others skip. */
export const POSTGRES_REFRESH_LOCK_KEY = '7379218113452851741';

/**
 * Writes current documents for the patches of `scope`, a batch at a time in patch-id order (each
 * batch resumes after the last patch the previous one considered, so a refresh reads each patch
 * once), yielding to other work between batches.
 *
 * On PostgreSQL each batch is a repeatable-read transaction. A patch changed by a transaction
 * that commits after the batch's snapshot has its row marked stale by that change; the batch's
 * write to the same row then fails with a serialisation error instead of storing the document of
 * the older data (at read committed it would silently overwrite the mark). And a batch waits at
 * most `lockWaitMs` for a row that a running change has marked: a catalog sync marks rows in no
 * particular order, so a longer wait could end in a deadlock whose victim might be the sync.
 * Either way the batch writes nothing and the refresh reports `busy`.
 */
export async function refreshPatchListingDocuments(
  db: PatchwardenDb,
  fields: readonly PatchDocumentField[],
  options: { scope?: PatchListingRefreshScope; batchSize?: number; shouldStop?: () => boolean; lockWaitMs?: number } = {},
): Promise<PatchListingRefresh> {
  const scope = options.scope ?? 'all';
  const batchSize = options.batchSize ?? BATCH[db.dialect];
  const lockWaitMs = Math.max(1, Math.trunc(options.lockWaitMs ?? 100));
  let built = 0;
  let afterId: string | undefined;
  for (;;) {
    if (options.shouldStop?.()) return { built, outcome: 'stopped' };
    const batch = db.dialect === 'postgres'
      ? await postgresBatch(db, fields, { scope, batchSize, afterId, lockWaitMs })
      : await refreshBatch(db, db.kysely, fields, { scope, batchSize, afterId });
    if (batch === 'busy') return { built, outcome: 'busy' };
    built += batch.written;
    if (batch.lastId === undefined) return { built, outcome: 'done' };
    afterId = batch.lastId;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

interface BatchSpec {
  scope: PatchListingRefreshScope;
  batchSize: number;
  afterId: string | undefined;
}

/** One batch's result: documents written, and the last patch considered (none: nothing was left). */
type BatchResult = { written: number; lastId: string | undefined };

async function postgresBatch(db: PatchwardenDb, fields: readonly PatchDocumentField[], spec: BatchSpec & { lockWaitMs: number }): Promise<BatchResult | 'busy'> {
  try {
    return await db.kysely.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
      await sql.raw(`set local lock_timeout = ${spec.lockWaitMs}`).execute(trx);
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(cast(${POSTGRES_REFRESH_LOCK_KEY} as bigint)) as locked`.execute(trx);
      if (!rows[0].locked) return 'busy' as const;
      return refreshBatch(db, trx, fields, spec);
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // 40001 serialisation failure, 55P03 lock wait timed out, 40P01 deadlock: a concurrent
    // change won; it marked its patches.
    if (code === '40001' || code === '55P03' || code === '40P01') return 'busy';
    throw error;
  }
}

/**
 * Picks the next `batchSize` patches of the scope after `afterId` (in id order) and upserts their
 * documents. Rows of patches that no longer exist are passed over (their ids still advance).
 */
async function refreshBatch(db: PatchwardenDb, executor: typeof db.kysely | Transaction<PatchwardenTables>, fields: readonly PatchDocumentField[], spec: BatchSpec): Promise<BatchResult> {
  const format = patchListingDocumentFormat(db, fields);
  const candidates = spec.scope === 'stale'
    ? executor.selectFrom('patch_listing_documents').select('patch_id as id').where('head', 'is', null)
      .$if(spec.afterId !== undefined, (q) => q.where('patch_id', '>', spec.afterId!)).orderBy('patch_id').limit(spec.batchSize)
    : executor.selectFrom('patches as q').leftJoin('patch_listing_documents as d', 'd.patch_id', 'q.id').select('q.id')
      .where((w) => w.or([w('d.patch_id', 'is', null), w('d.format', 'is', null), w('d.format', '<>', format)]))
      .$if(spec.afterId !== undefined, (q) => q.where('q.id', '>', spec.afterId!)).orderBy('q.id').limit(spec.batchSize);
  const ids = (await candidates.execute()).map((row) => row.id);
  if (ids.length === 0) return { written: 0, lastId: undefined };
  const { head, tail } = storedDocumentSplit(db, fields, 'pm_patches');
  const result = await withPmViews(executor as typeof db.kysely, db.dialect, ['pm_patches']).insertInto('patch_listing_documents')
    .columns(['patch_id', 'format', 'head', 'tail'])
    .expression((eb) => eb.selectFrom('pm_patches')
      .select(['pm_patches.id', sql<string>`cast(${format} as text)`.as('format'), head.as('head'), tail.as('tail')])
      // On PostgreSQL the ids as one array parameter.
      .where(db.dialect === 'postgres'
        ? sql<boolean>`${sql.ref('pm_patches.id')} = any(cast(${ids} as text[]))`
        : sql<boolean>`${sql.ref('pm_patches.id')} in (${sql.join(ids)})`))
    .onConflict((oc) => oc.column('patch_id').doUpdateSet((eb) => ({
      format: eb.ref('excluded.format'), head: eb.ref('excluded.head'), tail: eb.ref('excluded.tail'),
    })))
    .executeTakeFirst();
  return { written: Number(result.numInsertedOrUpdatedRows ?? 0n), lastId: ids.length < spec.batchSize ? undefined : ids[ids.length - 1] };
}
