/**
 * The per-patch counts of `patch_status_counts` and the per-machine ones of `machine_patch_counts`
 * stay exactly what `asset_patch_status` says:
 * after first scans, rescans that change, add and drop patches, a machine's removal, concurrent
 * scans of many machines sharing patches (PostgreSQL: no deadlock), and the migration's backfill.
 * Every check recounts `asset_patch_status` independently, in JavaScript.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { PatchwardenDb } from '../../src/db/database.js';
import { pmPatchCountsMigration } from '../../src/db/migrations/0009-pm-patch-counts.js';
import { machinePatchCountsMigration } from '../../src/db/migrations/0014-machine-patch-counts.js';
import { recountPatchStatus, removeMachinePatchStatus, replaceMachinePatchStatus, type MachinePatchState } from '../../src/scans/patch-status-counts.js';
import { openTestStore, testStore } from '../support/test-database.js';
import { seededRandom } from '../support/seeded-random.js';

const STATES = ['Missing', 'Installed', 'InstalledPendingReboot'] as const;
const NOW = '2026-01-01T00:00:00.000Z';

async function addMachines(db: PatchwardenDb, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const row = await db.kysely.insertInto('machines').values({ name: `counted-${i}`, created_at: NOW } as never).returning('id').executeTakeFirstOrThrow();
    ids.push(Number(row.id));
  }
  return ids;
}

/** What the counts must be, per patch or per machine, from the status rows, without the code under test. */
async function expectedCounts(db: PatchwardenDb, per: 'patch_id' | 'machine_id' = 'patch_id'): Promise<Map<string, [number, number]>> {
  const expected = new Map<string, [number, number]>();
  for (const row of await db.kysely.selectFrom('asset_patch_status').select(['patch_id', 'machine_id', 'state']).execute()) {
    const key = String(row[per]);
    const counts = expected.get(key) ?? [0, 0];
    if (row.state === 'Missing') counts[0]++;
    else counts[1]++;
    expected.set(key, counts);
  }
  return expected;
}

/** Stored counts rows, keyed as expectedCounts keys them; a row of zeros counts as absent. */
function nonZero(rows: Array<{ key: unknown; missing_count: unknown; installed_count: unknown }>): Map<string, [number, number]> {
  const stored = new Map<string, [number, number]>();
  for (const row of rows) {
    if (Number(row.missing_count) !== 0 || Number(row.installed_count) !== 0) stored.set(String(row.key), [Number(row.missing_count), Number(row.installed_count)]);
  }
  return stored;
}

async function assertCountsExact(db: PatchwardenDb, message: string): Promise<void> {
  const patches = nonZero(await db.kysely.selectFrom('patch_status_counts').select(['patch_id as key', 'missing_count', 'installed_count']).execute());
  assert.deepEqual([...patches].sort(), [...await expectedCounts(db)].sort(), `${message}: per patch`);
  const machines = nonZero(await db.kysely.selectFrom('machine_patch_counts').select(['machine_id as key', 'missing_count', 'installed_count']).execute());
  assert.deepEqual([...machines].sort(), [...await expectedCounts(db, 'machine_id')].sort(), `${message}: per machine`);
}

function randomStates(random: () => number, patchPool: number, size: number): MachinePatchState[] {
  const chosen = new Map<string, string>();
  while (chosen.size < size) chosen.set(`patch-${String(Math.floor(random() * patchPool)).padStart(3, '0')}`, STATES[Math.floor(random() * STATES.length)]);
  // Unsorted on purpose: the code must not rely on the caller's order.
  return [...chosen].map(([patchId, state]) => ({ patchId, state }));
}

test(`patch status counts follow scans, rescans and removals (${testStore()})`, async (t) => {
  const { db } = await openTestStore(t, 'counts');
  await migrateToLatest(db);
  const [web, db1, mail] = await addMachines(db, 3);
  const fold = (machineId: number, states: MachinePatchState[], scanId: string) =>
    db.kysely.transaction().execute((trx) => replaceMachinePatchStatus(trx, machineId, states, scanId, NOW));

  await fold(web, [{ patchId: 'p-a', state: 'Missing' }, { patchId: 'p-b', state: 'Installed' }, { patchId: 'p-c', state: 'InstalledPendingReboot' }], 's1');
  await fold(db1, [{ patchId: 'p-a', state: 'Missing' }, { patchId: 'p-b', state: 'Missing' }], 's1');
  await fold(mail, [{ patchId: 'p-a', state: 'Installed' }], 's1');
  const counts = async () => Object.fromEntries((await db.kysely.selectFrom('patch_status_counts').selectAll().orderBy('patch_id').execute())
    .map((r) => [r.patch_id, [Number(r.missing_count), Number(r.installed_count)]]));
  assert.deepEqual(await counts(), { 'p-a': [2, 1], 'p-b': [1, 1], 'p-c': [0, 1] });

  // Rescan of web: p-a installed now, p-b gone, p-c rebooted, p-d new.
  await fold(web, [{ patchId: 'p-a', state: 'Installed' }, { patchId: 'p-c', state: 'Installed' }, { patchId: 'p-d', state: 'Missing' }], 's2');
  assert.deepEqual(await counts(), { 'p-a': [1, 2], 'p-b': [1, 0], 'p-c': [0, 1], 'p-d': [1, 0] });
  // The same result again changes nothing.
  await fold(web, [{ patchId: 'p-a', state: 'Installed' }, { patchId: 'p-c', state: 'Installed' }, { patchId: 'p-d', state: 'Missing' }], 's3');
  assert.deepEqual(await counts(), { 'p-a': [1, 2], 'p-b': [1, 0], 'p-c': [0, 1], 'p-d': [1, 0] });
  // A scan that finds nothing clears the machine's part.
  await fold(mail, [], 's3');
  assert.deepEqual(await counts(), { 'p-a': [1, 1], 'p-b': [1, 0], 'p-c': [0, 1], 'p-d': [1, 0] });

  // Removing a machine takes its status out of the counts; deleting its row afterwards changes nothing.
  await db.kysely.transaction().execute(async (trx) => {
    await removeMachinePatchStatus(trx, db1);
    await trx.deleteFrom('machines').where('id', '=', db1).execute();
  });
  assert.deepEqual(await counts(), { 'p-a': [0, 1], 'p-b': [0, 0], 'p-c': [0, 1], 'p-d': [1, 0] });
  await assertCountsExact(db, 'after the removal');

  // A rolled-back scan leaves the counts as they were.
  await assert.rejects(db.kysely.transaction().execute(async (trx) => {
    await replaceMachinePatchStatus(trx, web, [{ patchId: 'p-z', state: 'Missing' }], 's4', NOW);
    throw new Error('the scan failed after folding');
  }), /failed after folding/);
  assert.deepEqual(await counts(), { 'p-a': [0, 1], 'p-b': [0, 0], 'p-c': [0, 1], 'p-d': [1, 0] });
});

test(`concurrent scans of machines sharing patches keep the counts exact (${testStore()})`, { timeout: 120_000 }, async (t) => {
  const { db } = await openTestStore(t, 'counts-concurrent');
  await migrateToLatest(db);
  const random = seededRandom(20_261_122);
  const machines = await addMachines(db, 12);
  // Three rounds of every machine scanned at once, each with ~120 of 150 shared patches in
  // random order: on PostgreSQL, count rows taken in different orders would deadlock.
  for (let round = 0; round < 3; round++) {
    const results = await Promise.allSettled(machines.map((machineId) => db.kysely.transaction().execute(async (trx) => {
      await replaceMachinePatchStatus(trx, machineId, randomStates(random, 150, 100 + Math.floor(random() * 40)), `round-${round}`, NOW);
      // Hold the locks a little, as a scan's later writes do, so transactions overlap.
      await sql`select 1`.execute(trx);
    })));
    const failures = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    assert.deepEqual(failures, [], `round ${round}: every concurrent scan commits`);
    await assertCountsExact(db, `after round ${round}`);
  }
  await db.kysely.transaction().execute(async (trx) => {
    for (const machineId of machines.slice(0, 5)) await removeMachinePatchStatus(trx, machineId);
  });
  await assertCountsExact(db, 'after removing five machines');
});

test(`the migration counts the status already stored, and recountPatchStatus repairs bulk-loaded stores (${testStore()})`, async (t) => {
  const { db } = await openTestStore(t, 'counts-backfill');
  await migrateToLatest(db);
  const random = seededRandom(9);
  const machines = await addMachines(db, 6);
  const rows = machines.flatMap((machineId) => randomStates(random, 60, 40).map((s) => ({
    machine_id: machineId, patch_id: s.patchId, state: s.state, scan_id: 'bulk', updated_at: NOW,
  })));
  // Status stored as before the counts existed: undo 0009 and 0014, write, migrate them again.
  const migrations = [pmPatchCountsMigration(db.dialect), machinePatchCountsMigration()];
  for (const migration of migrations) await db.kysely.transaction().execute((trx) => migration.down!(trx));
  await db.kysely.insertInto('asset_patch_status').values(rows).execute();
  for (const migration of migrations) await db.kysely.transaction().execute((trx) => migration.up(trx));
  await assertCountsExact(db, 'after the backfill');

  // Written directly, bypassing the counts: wrong until recounted.
  await db.kysely.deleteFrom('asset_patch_status').where('machine_id', '=', machines[0]).execute();
  const expected = await expectedCounts(db);
  const touched = [...new Set(rows.filter((r) => r.machine_id === machines[0]).map((r) => r.patch_id))];
  const stale = await db.kysely.selectFrom('patch_status_counts').selectAll().where('patch_id', 'in', touched).execute();
  assert.ok(stale.some((r) => Number(r.missing_count) + Number(r.installed_count) !== (expected.get(r.patch_id) ?? [0, 0]).reduce((a, b) => a + b)),
    'a direct delete leaves the counts behind');
  const machineRow = await db.kysely.selectFrom('machine_patch_counts').selectAll().where('machine_id', '=', machines[0]).executeTakeFirst();
  assert.ok(machineRow && Number(machineRow.missing_count) + Number(machineRow.installed_count) > 0, "and the machine's too");
  await recountPatchStatus(db.kysely);
  await assertCountsExact(db, 'after the recount');
});
