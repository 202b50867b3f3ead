/**
 * Per-patch counts of the fleet's current patch status (`patch_status_counts`): how many machines
 * miss each patch and how many have it installed, as `asset_patch_status` says. The Patch
 * Management API lists and filters patches by these counts, so they are kept exact in the same
 * transaction that changes a machine's status, instead of being counted at every request.
 *
 * Every change of `asset_patch_status` goes through this file: replacing a machine's status
 * with its latest scan (`replaceMachinePatchStatus`), and removing it with the machine
 * (`removeMachinePatchStatus`, before the machine row is deleted). Each applies only the
 * difference (a rescan that finds what the last one found writes no count) and updates count rows
 * in patch-id order in one pass, so concurrent scans on PostgreSQL wait for each other's rows in
 * the same order and never deadlock.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { PatchwardenTables } from '../db/schema.js';
import { insertBatchSize } from '../db/database.js';

/** A machine's state for one patch: Missing, Installed or InstalledPendingReboot. */
export interface MachinePatchState {
  patchId: string;
  state: string;
}

type CountDelta = [missing: number, installed: number];

function addState(deltas: Map<string, CountDelta>, { patchId, state }: MachinePatchState, sign: 1 | -1): void {
  const isMissing = state === 'Missing';
  if (!isMissing && state !== 'Installed' && state !== 'InstalledPendingReboot') return;
  const delta = deltas.get(patchId) ?? [0, 0];
  delta[isMissing ? 0 : 1] += sign;
  deltas.set(patchId, delta);
}

/** Adds `added` and subtracts `removed` from the counts: only non-zero changes, in patch-id order. */
async function applyCountChanges(trx: Transaction<PatchwardenTables>, removed: readonly MachinePatchState[], added: readonly MachinePatchState[]): Promise<void> {
  const deltas = new Map<string, CountDelta>();
  for (const row of removed) addState(deltas, row, -1);
  for (const row of added) addState(deltas, row, 1);
  const changes = [...deltas].filter(([, [missing, installed]]) => missing !== 0 || installed !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const batch = insertBatchSize(3);
  for (let i = 0; i < changes.length; i += batch) {
    await trx.insertInto('patch_status_counts')
      .values(changes.slice(i, i + batch).map(([patchId, [missing, installed]]) => ({ patch_id: patchId, missing_count: missing, installed_count: installed })))
      .onConflict((oc) => oc.column('patch_id').doUpdateSet({
        missing_count: sql<number>`patch_status_counts.missing_count + excluded.missing_count`,
        installed_count: sql<number>`patch_status_counts.installed_count + excluded.installed_count`,
      }))
      .execute();
  }
}

/**
 * Replaces a machine's current patch status with `states` (its latest scan's findings) and
 * updates the counts by the difference. Call inside the transaction that stores the scan.
 */
export async function replaceMachinePatchStatus(
  trx: Transaction<PatchwardenTables>, machineId: number, states: readonly MachinePatchState[], scanId: string, now: string,
): Promise<void> {
  const previous = await trx.deleteFrom('asset_patch_status').where('machine_id', '=', machineId)
    .returning(['patch_id', 'state']).execute();
  const batch = insertBatchSize(5);
  for (let i = 0; i < states.length; i += batch) {
    await trx.insertInto('asset_patch_status').values(states.slice(i, i + batch).map((s) => ({
      machine_id: machineId, patch_id: s.patchId, state: s.state, scan_id: scanId, updated_at: now,
    }))).execute();
  }
  await applyCountChanges(trx, previous.map((row) => ({ patchId: row.patch_id, state: row.state })), states);
}

/**
 * Removes a machine's patch status and takes it out of the counts. Call inside the transaction
 * that deletes the machine, before deleting its row (the row's deletion would otherwise remove
 * the status by cascade, leaving the counts too high).
 */
export async function removeMachinePatchStatus(trx: Transaction<PatchwardenTables>, machineId: number): Promise<void> {
  const previous = await trx.deleteFrom('asset_patch_status').where('machine_id', '=', machineId)
    .returning(['patch_id', 'state']).execute();
  await applyCountChanges(trx, previous.map((row) => ({ patchId: row.patch_id, state: row.state })), []);
}

/**
 * Recounts every patch from `asset_patch_status`, for stores whose status was written without
 * this file (bulk loads, test fixtures). Runs in its own transaction.
 */
export async function recountPatchStatus(db: Kysely<PatchwardenTables>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('patch_status_counts').execute();
    await sql`insert into patch_status_counts (patch_id, missing_count, installed_count)
      select patch_id,
        sum(case when state = 'Missing' then 1 else 0 end),
        sum(case when state in ('Installed', 'InstalledPendingReboot') then 1 else 0 end)
      from asset_patch_status group by patch_id`.execute(trx);
  });
}
