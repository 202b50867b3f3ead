/**
 * The query-local views the Patch Management API's patch and asset queries read (common table
 * expressions, never materialised, so each store plans them as if written inline), with the
 * types of their rows. What each view holds is described in asset-patch-queries.ts.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { PatchwardenDb } from '../db/database.js';
import type { PatchwardenTables, PatchesTable } from '../db/schema.js';
import { PATCH_STATES_OF_STATUS } from '../assess/types.js';

/** Names of the query-local views; token tables refer to them and to their columns. */
export const PM_VIEWS = {
  patches: 'pm_patches',
  assets: 'pm_assets',
  patchStates: 'pm_patch_states',
  patchFleetStates: 'pm_patch_fleet_states',
  patchPairs: 'pm_patch_pairs',
  patchArchitectures: 'pm_patch_architectures',
  assetTags: 'pm_asset_tags',
} as const;

/** Columns of `pm_patches`: the `patches` table's plus these computed ones. */
export interface PmPatchViewRow extends PatchesTable {
  /** `Security` or `NonSecurity`. */
  patch_kind: string;
  missing_count: number;
  installed_count: number;
  /**
   * The same counts as read from `patch_status_counts`: null when no machine has a status for
   * the patch. A test on them (`fleet_missing_count > 0`) is false for such a patch, so a query
   * made only of counted patches can read the counts first (COUNTED_PM_PATCHES).
   */
  fleet_missing_count: number | null;
  fleet_installed_count: number | null;
  /** Supersession is not tracked yet: always 0. */
  is_superseded: number;
  is_rollback: number;
  enabled: number;
}

/**
 * Columns of `pm_patch_pairs`: a patch's columns plus one asset's state for it. The patch is read
 * through its counts row (COUNTED_PM_PATCHES): a patch with a status on some machine has one
 * (patch-status-counts.ts), so the rows are those of `pm_patches` joined with the status, but a
 * test on the copied filter columns (`vendorSeverity:Critical`) walks the few thousand counted
 * patches instead of the whole catalog, most of which applies to no machine. On the store of
 * bench/pm-patches-query.ts, PostgreSQL counted the assets having `vendorSeverity:Critical and
 * patchStatus:Missing` in 16 ms instead of 24 ms, and listed 400 of them in 13 ms instead of
 * 22–41 ms (with the index of migration 0015 in both cases).
 */
export interface PmPatchPairViewRow extends PmPatchViewRow {
  machine_id: number;
  /** `Missing` or `Installed`. */
  patch_status: string;
  /** The state as stored in `asset_patch_status` (PATCH_STATES_OF_STATUS in assess/types.ts). */
  pair_state: string;
}

export interface PmPatchStateViewRow {
  patch_id: string;
  machine_id: number;
  patch_status: string;
}

export interface PmPatchFleetStateViewRow {
  patch_id: string;
  /** `Missing` or `Installed`. */
  patch_status: string;
}

export interface PmPatchArchitectureViewRow {
  patch_id: string;
  architecture: string;
}

/** Columns of `pm_assets`. */
export interface PmAssetViewRow {
  machine_id: number;
  asset_uuid: string;
  name: string;
  os_name: string | null;
  os_identifier: string | null;
  architecture: string | null;
  platform: string;
  /** Patch management status: `Enabled` for every managed machine. */
  status: string;
  /** ISO-8601 text written by `toISOString()`, or null if never scanned. */
  last_scanned_at: string | null;
  missing_patch_count: number;
  installed_patch_count: number;
}

/** Tags of assets: none exist yet, so the view is empty (queries on tags match nothing). */
export interface PmAssetTagViewRow {
  machine_id: number;
  tag_id: string;
  tag_name: string;
}

export interface PmViews {
  pm_patches: PmPatchViewRow;
  pm_assets: PmAssetViewRow;
  pm_patch_states: PmPatchStateViewRow;
  pm_patch_fleet_states: PmPatchFleetStateViewRow;
  pm_patch_pairs: PmPatchPairViewRow;
  pm_patch_architectures: PmPatchArchitectureViewRow;
  pm_asset_tags: PmAssetTagViewRow;
}

export type PmDb = PatchwardenTables & PmViews;

/**
 * The two patch states QQL knows, from the stored ones. Joined (not computed with CASE) so a test
 * on the folded state still finds a patch's pairs through the `(patch_id, state)` index.
 */
const PATCH_STATUS_OF_STATE = sql`(${sql.join(Object.entries(PATCH_STATES_OF_STATUS).flatMap(([status, states]) => states.map(
  (state) => sql`select ${sql.lit(state)} as state, ${sql.lit(status)} as patch_status`)), sql` union all `)})`;

/** The columns of a patch row read from its fleet counts (PM_PATCH_COUNT_COLUMNS). */
export const PM_PATCH_COUNT_COLUMN_NAMES = ['missing_count', 'installed_count', 'fleet_missing_count', 'fleet_installed_count'] as const;

/**
 * The columns `pm_patches` takes from a patch's status counts `c` (a `patch_status_counts` row
 * left-joined on the patch id; absent when no machine has a status for the patch).
 */
export const PM_PATCH_COUNT_COLUMNS = sql`coalesce(c.missing_count, 0) as missing_count, coalesce(c.installed_count, 0) as installed_count,
        c.missing_count as fleet_missing_count, c.installed_count as fleet_installed_count`;

export type PmViewName = keyof PmViews;

/**
 * The `patches` columns that `patch_status_counts` keeps copies of (migration 0013, which keeps
 * its own list, as a migration must not change once released).
 */
const COPIED_PATCH_COLUMNS: ReadonlySet<string> = new Set(['platform', 'vendor_severity', 'is_security', 'patch_type', 'published_ms']);
/** Every `patches` column (a record, so a column added to the table must be added here). */
const PATCH_COLUMNS = Object.keys({
  id: true, title: true, bulletin: true, kb: true, vendor: true, platform: true, patch_type: true, is_security: true,
  vendor_severity: true, release: true, source_name: true, source_version: true, architectures: true, package_details: true,
  reboot_required: true, published_ms: true, modified_ms: true,
} satisfies Record<keyof PatchesTable, true>) as Array<keyof PatchesTable>;

/**
 * `pm_patches` when only counted patches can qualify: the same columns, but read from the counts
 * row first (its key as the id, its copies of the patch's filter columns), the patch's other
 * columns left-joined. A query that tests only the copied columns and the counts reads no
 * patch at all (each store drops a left join none of whose columns are used), so a page is a
 * walk of the counts in key order; one that tests other columns still joins the patch.
 */
const COUNTED_PM_PATCHES = sql<PmPatchViewRow>`(select ${sql.join(PATCH_COLUMNS.map((column) => (column === 'id'
  ? sql`c.patch_id as id`
  : sql`${sql.ref(`${COPIED_PATCH_COLUMNS.has(column) ? 'c' : 'p'}.${column}`)} as ${sql.id(column)}`)))},
        case when c.patch_type = 'SecurityPatch' then 'Security' else 'NonSecurity' end as patch_kind,
        ${PM_PATCH_COUNT_COLUMNS},
        0 as is_superseded, 0 as is_rollback, 1 as enabled
      from patch_status_counts c left join patches p on p.id = c.patch_id)`;

/**
 * A query builder with the wanted views. Only these are written into the statement: each store
 * parses and plans every view a statement defines, used or not (on PostgreSQL the six unused ones
 * took more time to plan than the listing to run). With `countedPatchesOnly`, `pm_patches` holds
 * only the patches some machine has a status for (COUNTED_PM_PATCHES); say so only when the query
 * keeps no other patch.
 */
export function withPmViews(
  db: Kysely<PatchwardenTables>, dialect: PatchwardenDb['dialect'], wanted: Iterable<PmViewName>, options: { countedPatchesOnly?: boolean } = {},
): Kysely<PmDb> {
  const definitions: Record<PmViewName, () => RawBuilder<unknown>> = {
    pm_patches: () => (options.countedPatchesOnly ? COUNTED_PM_PATCHES : sql<PmPatchViewRow>`(select p.*,
        case when p.patch_type = 'SecurityPatch' then 'Security' else 'NonSecurity' end as patch_kind,
        ${PM_PATCH_COUNT_COLUMNS},
        0 as is_superseded, 0 as is_rollback, 1 as enabled
      from patches p left join patch_status_counts c on c.patch_id = p.id)`),
    pm_patch_states: () => sql<PmPatchStateViewRow>`(select s.patch_id, s.machine_id, st.patch_status
      from asset_patch_status s join ${PATCH_STATUS_OF_STATE} st on st.state = s.state)`,
    pm_patch_fleet_states: () => sql<PmPatchFleetStateViewRow>`(
      select c.patch_id, cast('Missing' as text) as patch_status from patch_status_counts c where c.missing_count > 0
      union all select c.patch_id, cast('Installed' as text) from patch_status_counts c where c.installed_count > 0)`,
    pm_patch_pairs: () => sql<PmPatchPairViewRow>`(select pp.*, s.machine_id, st.patch_status, s.state as pair_state
      from ${COUNTED_PM_PATCHES} pp join asset_patch_status s on s.patch_id = pp.id join ${PATCH_STATUS_OF_STATE} st on st.state = s.state)`,
    pm_patch_architectures: () => (dialect === 'postgres'
      ? sql<PmPatchArchitectureViewRow>`(select p.id as patch_id, a.architecture from patches p cross join lateral jsonb_array_elements_text(p.architectures::jsonb) as a(architecture))`
      : sql<PmPatchArchitectureViewRow>`(select p.id as patch_id, a.value as architecture from patches p, json_each(p.architectures) as a)`),
    pm_assets: () => sql<PmAssetViewRow>`(select m.id as machine_id, m.asset_uuid, m.name, m.os_name,
        m.os_identifier, m.architecture, cast('Linux' as text) as platform, cast('Enabled' as text) as status, m.last_scanned_at,
        coalesce(c.missing_count, 0) as missing_patch_count, coalesce(c.installed_count, 0) as installed_patch_count
      from machines m left join machine_patch_counts c on c.machine_id = m.id where m.asset_uuid is not null)`,
    pm_asset_tags: () => sql<PmAssetTagViewRow>`(select m.id as machine_id, m.name as tag_id, m.name as tag_name
      from machines m where 1 = 0)`,
  };
  let builder = db as unknown as Kysely<any>;
  for (const name of new Set(wanted)) {
    builder = builder.with((cte) => cte(name).notMaterialized(), definitions[name] as never) as unknown as Kysely<any>;
  }
  return builder as Kysely<PmDb>;
}
