import { type Kysely, type Migration } from 'kysely';

/**
 * The index that finds a patch's machines in one state (`asset_patch_status (patch_id, state)`,
 * 0002) carries the machine id too, so the machines of a set of patches are read from the index
 * alone, without visiting each status row.
 *
 * The Patch Management API reads them that way for assets with a havingQuery (`POST
 * /pm/v1/assets` with `vendorSeverity:Critical and patchStatus:Missing`: the machines missing a
 * critical patch) and for their count. On the store of bench/pm-patches-query.ts (1.5 million
 * status rows), those 15,635 rows were each fetched from the table by row id: the statement of a
 * 400-asset page took 53–67 ms on SQLite and 11 ms with this index; PostgreSQL counted those
 * assets in 114–124 ms by reading the whole table, and in 24 ms from this index.
 *
 * The index is larger (PostgreSQL's B-tree no longer merges the many equal `(patch_id, state)`
 * keys: 15 MB → 111 MB for 1.5 million rows; SQLite's grows by about a third).
 */
export function patchPairsIndexMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.createIndex('asset_patch_status_patch_machine').ifNotExists().on('asset_patch_status')
        .columns(['patch_id', 'state', 'machine_id']).execute();
      await db.schema.dropIndex('asset_patch_status_patch').ifExists().execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.createIndex('asset_patch_status_patch').ifNotExists().on('asset_patch_status')
        .columns(['patch_id', 'state']).execute();
      await db.schema.dropIndex('asset_patch_status_patch_machine').ifExists().execute();
    },
  };
}
