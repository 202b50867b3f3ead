/**
 * Counts of the fleet's current patch status, as `asset_patch_status` says:
 * - per patch (`patch_status_counts`): how many machines miss it and how many have it installed;
 * - per machine (`machine_patch_counts`): how many patches it misses and how many it has installed.
 * The Patch Management API lists and filters patches and assets by these counts, so they are kept
 * exact in the same transaction that changes a machine's status, instead of being counted at
 * every request.
 *
 * Every change of `asset_patch_status` goes through this file: replacing a machine's status
 * with its latest scan (`replaceMachinePatchStatus`), and removing it with the machine
 * (`removeMachinePatchStatus`, before the machine row is deleted). The per-patch counts get only
 * the difference (a rescan that finds what the last one found writes no count), in patch-id order
 * in one pass, so concurrent scans on PostgreSQL wait for each other's rows in the same order and
 * never deadlock. The machine's own counts row is written whole: only its scan writes it.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { PatchwardenTables } from '../db/schema.js';
import { insertBatchSize } from '../db/database.js';
import { PATCH_STATES_OF_STATUS } from '../assess/types.js';

/** A machine's state for one patch: Missing, Installed or InstalledPendingReboot. */
export interface MachinePatchState {
  patchId: string;
  state: string;
}

type CountDelta = [missing: number, installed: number];

const MISSING_STATES: readonly string[] = PATCH_STATES_OF_STATUS.Missing;
const INSTALLED_STATES: readonly string[] = PATCH_STATES_OF_STATUS.Installed;

/** Which count a state adds to: 0 missing, 1 installed, undefined neither. */
function countIndex(state: string): 0 | 1 | undefined {
  if (MISSING_STATES.includes(state)) return 0;
  return INSTALLED_STATES.includes(state) ? 1 : undefined;
}

function addState(deltas: Map<string, CountDelta>, { patchId, state }: MachinePatchState, sign: 1 | -1): void {
  const index = countIndex(state);
  if (index === undefined) return;
  const delta = deltas.get(patchId) ?? [0, 0];
  delta[index] += sign;
  deltas.set(patchId, delta);
}

/** Writes the machine's counts of `states`, its whole current status. */
async function writeMachineCounts(trx: Transaction<PatchwardenTables>, machineId: number, states: readonly MachinePatchState[]): Promise<void> {
  const counts: CountDelta = [0, 0];
  for (const { state } of states) {
    const index = countIndex(state);
    if (index !== undefined) counts[index]++;
  }
  await trx.insertInto('machine_patch_counts')
    .values({ machine_id: machineId, missing_count: counts[0], installed_count: counts[1] })
    .onConflict((oc) => oc.column('machine_id').doUpdateSet({
      missing_count: (eb) => eb.ref('excluded.missing_count'),
      installed_count: (eb) => eb.ref('excluded.installed_count'),
    }))
    .execute();
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
  await writeMachineCounts(trx, machineId, states);
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
  await trx.deleteFrom('machine_patch_counts').where('machine_id', '=', machineId).execute();
}

/**
 * Recounts every patch and every machine from `asset_patch_status`, for stores whose status was
 * written without this file (bulk loads, test fixtures). Runs in its own transaction.
 */
export async function recountPatchStatus(db: Kysely<PatchwardenTables>): Promise<void> {
  const counting = (states: readonly string[]) => sql<number>`sum(case when state in (${sql.join(states.map((state) => sql.lit(state)))}) then 1 else 0 end)`;
  const missing = counting(MISSING_STATES);
  const installed = counting(INSTALLED_STATES);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('patch_status_counts').execute();
    await sql`insert into patch_status_counts (patch_id, missing_count, installed_count)
      select patch_id, ${missing}, ${installed} from asset_patch_status group by patch_id`.execute(trx);
    await trx.deleteFrom('machine_patch_counts').execute();
    await sql`insert into machine_patch_counts (machine_id, missing_count, installed_count)
      select machine_id, ${missing}, ${installed} from asset_patch_status group by machine_id`.execute(trx);
  });
}
