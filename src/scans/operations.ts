import type { Kysely, Transaction } from 'kysely';
import type { PatchwardenDb } from '../db/database.js';
import type { PatchwardenTables } from '../db/schema.js';

export type OperationStatus = 'Running' | 'Succeeded' | 'Failed' | 'Cancelled';

export interface OperationRecord {
  id: string;
  operation: string;
  status: OperationStatus;
  percentComplete: number;
  created: string;
  lastAction: string;
  /** API-relative path of the result, set once the operation has finished. */
  resourcePath: string | null;
  error: string | null;
  userId: number;
}

type Executor = Kysely<PatchwardenTables> | Transaction<PatchwardenTables>;

export async function createOperation(db: Executor, input: { id: string; operation: string; userId: number; now: string }): Promise<void> {
  await db.insertInto('operations').values({
    id: input.id, operation: input.operation, status: 'Running', percent_complete: 0, created: input.now,
    last_action: input.now, resource_path: null, error: null, user_id: input.userId,
  }).execute();
}

export async function findOperation(db: PatchwardenDb, id: string): Promise<OperationRecord | undefined> {
  const row = await db.kysely.selectFrom('operations').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id, operation: row.operation, status: row.status as OperationStatus, percentComplete: row.percent_complete,
    created: row.created, lastAction: row.last_action, resourcePath: row.resource_path, error: row.error, userId: row.user_id,
  };
}

export async function updateOperationProgress(db: Executor, id: string, percentComplete: number): Promise<void> {
  await db.updateTable('operations').set({ percent_complete: Math.min(99, Math.max(0, Math.floor(percentComplete))), last_action: new Date().toISOString() })
    .where('id', '=', id).where('status', '=', 'Running').execute();
}

export async function finishOperation(db: Executor, id: string, status: Exclude<OperationStatus, 'Running'>, resourcePath: string | null, error: string | null): Promise<void> {
  await db.updateTable('operations').set({
    status, percent_complete: 100, last_action: new Date().toISOString(), resource_path: resourcePath, error,
  }).where('id', '=', id).where('status', '=', 'Running').execute();
}

/** Ends a running operation as Cancelled; false when it was no longer running. */
export async function cancelOperation(db: Executor, id: string, message: string, resourcePath: string | null): Promise<boolean> {
  const result = await db.updateTable('operations').set({
    status: 'Cancelled', percent_complete: 100, last_action: new Date().toISOString(), resource_path: resourcePath, error: message,
  }).where('id', '=', id).where('status', '=', 'Running').executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
