/**
 * The fleet's current patch status, queried: patches with how many assets miss or have each,
 * assets (scanned machines) with their missing and installed patch counts, both filterable with
 * QQL, counted, and paged by key.
 *
 * Everything is read through query-local views (common table expressions, never materialised,
 * so each store plans them as if written inline; defined in pm-query-views.ts):
 *
 * - `pm_patches`: one row per catalog patch, with its `missing_count` / `installed_count` (kept
 *   exact in `patch_status_counts` by patch-status-counts.ts);
 * - `pm_assets`: one row per machine that has an asset UUID, with its patch counts;
 * - `pm_patch_states`: one row per (patch, machine) pair from `asset_patch_status`, the state
 *   folded to the two values QQL knows (`InstalledPendingReboot` is `Installed`);
 * - `pm_patch_fleet_states`: one row per patch and folded state it has on at least one machine,
 *   read from the counts (what `patchStatus` means for patches without a havingQuery);
 * - `pm_patch_pairs`: `pm_patches` joined with its pairs: the patch's columns plus the pair's
 *   `machine_id` and `patch_status`.
 *
 * The relation between the two entities is the pair table `asset_patch_status`:
 * - patches with a `havingQuery` (asset QQL) are those with at least one pair whose asset matches
 *   it; when a patch `query` is given as well, it is evaluated per pair, so `patchStatus` then
 *   means the patch's state *on that asset* ("patchStatus:Missing" + "name:web1" = missing on web1);
 * - assets with a `havingQuery` (patch QQL) are those with at least one pair whose patch matches
 *   it, `patchStatus` again being the state on this asset.
 * Without a havingQuery, `patchStatus:Missing` selects patches missing on at least one asset.
 *
 * Token tables (which QQL token reads which column of these views) are the caller's: they are the
 * Patch Management API's vocabulary. They are handed to the constructor.
 */
import { CompiledQuery, expressionBuilder, sql, type Expression, type ExpressionBuilder, type Kysely, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { PatchwardenDb } from '../db/database.js';
import { CompiledStatementCache, StatementSlot, type StatementSlotValue } from '../db/compiled-statement-cache.js';
import {
  compileQqlToPredicate, compileQqlToWhere, defineQqlTokenTable, findQqlToken, qqlDependsOnNow, type QqlColumnToken, type QqlMultiValuedToken, type QqlNode, type QqlSqlOptions, type QqlTokenDefinition, type QqlTokenTable,
} from '../qql/index.js';
import { chunked } from '../catalog/patch-catalog-queries.js';
import {
  PM_PATCH_COUNT_COLUMN_NAMES, PM_PATCH_COUNT_COLUMNS, PM_VIEWS, withPmViews, type PmDb, type PmPatchPairViewRow, type PmPatchViewRow, type PmViewName,
} from './pm-query-views.js';
import { patchDocumentExpression, storedDocumentSplit, type PatchDocumentField } from './patch-documents.js';
import { patchListingDocumentFormat, storedPatchDocumentExpression } from './patch-listing-documents.js';
import { PATCH_PLATFORMS, PATCH_STATES_OF_STATUS } from '../assess/types.js';

export {
  PM_VIEWS, type PmAssetTagViewRow, type PmAssetViewRow, type PmPatchArchitectureViewRow, type PmPatchFleetStateViewRow, type PmPatchPairViewRow,
  type PmPatchStateViewRow, type PmPatchViewRow,
} from './pm-query-views.js';

/**
 * Values from closed sets (the platform, the page size, enum QQL values in sql-compiler.ts) are
 * written into listing statements as literals, not bound. PostgreSQL plans a prepared statement
 * either for each execution's values (a custom plan, 0.3–1.7 ms of planning on every listing) or
 * once for all (a generic plan), and prefers the generic plan only when its estimate is close to
 * the custom ones'. A generic plan that does not know the page size assumes a tenth of the
 * matching rows will be read, and one that does not know the platform or patch state estimates
 * their average share, so it lost that comparison every time; with them known it wins it for
 * most queries, while values whose selectivity matters (names, CVEs, dates, counts) stay
 * parameters and keep their custom plans where PostgreSQL judges them worth it. The texts stay
 * few: two platforms, and the page sizes clients use.
 */
const PLATFORM_VALUES: ReadonlySet<string> = new Set(PATCH_PLATFORMS);

/** A platform of the closed set as a literal; anything else stays a bound value. */
function platformValue(platform: string): string | RawBuilder<string> {
  return PLATFORM_VALUES.has(platform) ? sql.lit(platform) : platform;
}

/** A page size (a validated integer) as a literal. */
function pageSizeLiteral(limit: number): number | RawBuilder<number> {
  return Number.isSafeInteger(limit) && limit >= 0 ? sql.lit(limit) : limit;
}

/** Where a page starts (after this key), in kept statements: a patch id, a machine id. */
const PATCH_CURSOR = new StatementSlot<string>('patch cursor');
const MACHINE_CURSOR = new StatementSlot<number>('machine cursor');

/** A page: at most `limit` records after `after` (the first page without it). */
interface PageBounds<K> {
  after?: K | RawBuilder<K>;
  limit: number;
}

/** A page of patches as a kept statement takes it: its cursor a slot. */
function patchPageBounds(page: { afterId?: string; limit: number }): PageBounds<string> {
  return { limit: page.limit, ...(page.afterId !== undefined ? { after: PATCH_CURSOR.value() } : {}) };
}

/**
 * How long a statement whose query reads the time of the call (`publishedDate>now-30d`) is
 * reused: `now` then means the time the statement was compiled, at most this long before the
 * call. (A client paging through such a listing asks for its pages within moments.)
 */
export const TIME_RELATIVE_STATEMENT_MAX_AGE_MS = 1000;

/**
 * How a statement of this selection is kept (compiled-statement-cache.ts): under a key of the
 * statement's name, the selection and `shape` (what else it was built from); for a query that
 * reads the time of the call, only for TIME_RELATIVE_STATEMENT_MAX_AGE_MS (unless the selection
 * names its `now`, which is then part of the key).
 */
function statementKeeping(statement: string, selection: PlannedSelection, shape: readonly unknown[]): { key: string; maxAgeMs?: number } {
  const { platform, query, havingQuery, now, semiJoin } = selection;
  const readsTime = (query !== undefined && qqlDependsOnNow(query)) || (havingQuery !== undefined && qqlDependsOnNow(havingQuery));
  const key = JSON.stringify([statement, platform ?? null, query ?? null, havingQuery ?? null, readsTime ? now ?? null : null, semiJoin ?? null, ...shape]);
  return readsTime && now === undefined ? { key, maxAgeMs: TIME_RELATIVE_STATEMENT_MAX_AGE_MS } : { key };
}

/** Alias of a page's ids with their counts (see storedPatchDocumentsStatement). */
const PAGE_ALIAS = 'pm_page';

/** What a statement of a page of documents is built from besides its selection (statementKeeping's shape). */
function documentPageShape(page: { afterId?: string; limit: number }, fields: readonly PatchDocumentField[]): unknown[] {
  return [page.limit, page.afterId !== undefined, fields.map((field) => field.key)];
}

/** One page of a patch listing, as its response body (listPatchDocumentPage). */
export interface PatchDocumentPage {
  /** The JSON array of the page's documents: UTF-8 bytes, or text. */
  body: Uint8Array | string;
  /** Records on the page. */
  count: number;
  /** The page's last patch id; undefined for an empty page. */
  lastId: string | undefined;
  /**
   * Whether some document was built live: every one, unless stored documents were asked for; then
   * those whose stored one was not current.
   */
  builtLive: boolean;
}

/**
 * SQLite: a statement of a page's documents (`id`, `document`, in id order) wrapped to join the
 * page into one JSON array, returned as a UTF-8 blob, with the page's size, last id, and how
 * many documents were null (not stored). `[]` for an empty page.
 */
function joinedDocumentPage(
  documents: CompiledQuery<{ id: string; document: string | null }>,
): CompiledQuery<{ page: Uint8Array; records: number; last_id: string | null; unstored: number }> {
  return CompiledQuery.raw(`select cast('[' || coalesce(group_concat(page_row.document, ',' order by page_row.id), '') || ']' as blob) as page,
      count(*) as records, max(page_row.id) as last_id, count(*) - count(page_row.document) as unstored
    from (${documents.sql}) as page_row`, [...documents.parameters]);
}

/** Which QQL token table reads which view. */
export interface PmQqlTokenTables {
  /** Patch QQL over `pm_patches`. */
  patches: QqlTokenTable<any>;
  /** The same tokens over `pm_patch_pairs` (`patchStatus` is the pair's state). */
  patchPairs: QqlTokenTable<any>;
  /** Asset QQL over `pm_assets`. */
  assets: QqlTokenTable<any>;
}

/** Which records to list or count. Queries are parsed QQL, validated against the token tables. */
export interface PatchAssetSelection {
  /** `Windows` or `Linux`; absent means every platform. */
  platform?: string;
  /** QQL on the listed entity. */
  query?: QqlNode;
  /** QQL on the other entity: keep records related to at least one match. */
  havingQuery?: QqlNode;
  /** What `now` means in date values; default the time of the call. */
  now?: number;
}

/**
 * How a selection with a havingQuery keeps the records related to at least one matching pair:
 * - `in`: the matching pairs' keys are collected, and the records with one of them are kept
 *   (`key IN (SELECT ...)`). Its cost grows with the number of matching pairs: the right way
 *   when they are few (`cve:X`, one machine's name).
 * - `exists`: each record in key order is checked for a matching pair of its own, and a page
 *   stops when it is full (`EXISTS (SELECT ... WHERE pair.key = record.key)`). Its cost grows
 *   with the records passed over: the right way when matches are many (`patchStatus:Missing`,
 *   an operating system every machine runs), where collecting them all read every pair.
 * SQLite runs each as written, and cannot tell which of the two a query needs: there, the
 * selection's matching pairs are counted first, up to the limits of PairProbeLimits (`in` below
 * the limit, `exists` at it). On the store of bench/pm-patches-query.ts, 400 assets having
 * `patchStatus:Missing` took 114 ms `in` and 3 ms `exists`; 1,000 patches having
 * `operatingSystem:Debian` 1.2 s `in` and 5 ms `exists`; 400 assets having one machine's rare CVE
 * 0.02 ms `in` and 30 ms `exists`. Where the two cost the same depends on what is listed (see
 * DEFAULT_PAIR_PROBE_LIMITS).
 *
 * PostgreSQL plans either form as a semi-join of its own choosing, by its estimates, which fail
 * for assets having what many pairs match: it expects about 90,000 of 1.5 million pairs to match
 * `vendor:debian` and collects them all (a page of 400 assets 278 ms, their count 377 ms). There,
 * patches are always written `in`. Assets are written `exists`, with `OFFSET 0` so that each
 * machine is checked for a pair of its own, when the sample of postgresAssetPairShare says that
 * at least the share of PairProbeLimits.postgresAssetShares of all pairs match (or of
 * postgresAssetStatusShares, for a havingQuery that reads a pair's status); `in` otherwise (see
 * DEFAULT_PAIR_PROBE_LIMITS).
 */
export type PairSemiJoin = 'in' | 'exists';

/** A selection with the way its havingQuery is joined, once chosen (planSemiJoin). */
interface PlannedSelection extends PatchAssetSelection {
  semiJoin?: PairSemiJoin;
}

/**
 * How many matching pairs a havingQuery may have and still be joined `in` (PairSemiJoin), for a
 * page and for a count, of patches and of assets. A count checks every record, so `exists` pays
 * off there only with many more matches.
 */
export interface PairProbeLimits {
  patches: { page: number; count: number };
  assets: { page: number; count: number };
  /** PostgreSQL: the least share of all pairs matching a havingQuery on assets joined `exists`. */
  postgresAssetShares: { page: number; count: number };
  /** The same, for a havingQuery on assets that reads a pair's status in some term. */
  postgresAssetStatusShares: { page: number; count: number };
}

/**
 * Measured on the store of bench/pm-patches-query.ts (10,000 machines of about 150 pairs, 100,000
 * patches of which about 6,000 have pairs), `in` against `exists`:
 * - a page of 1,000 patches: 1,500 matching pairs 17 against 420 ms, 15,000 pairs 79 against
 *   25 ms, 150,000 pairs 800 against 7 ms. A patch passed over costs `exists` a probe of its own,
 *   and most patches have no pair at all.
 * - a page of 400 assets: 5,000 pairs 30 against 178 ms, 7,000 pairs 31 against 125 ms, 15,600
 *   pairs 14 against 11 ms, 74,000 pairs 79 against 22 ms. Machines have many pairs each, so
 *   `exists` stops soon only when most machines qualify.
 * - a count of assets: 74,000 pairs 78 against 489 ms, 235,000 pairs 623 against 1,980 ms, 300,000
 *   pairs 214 against 92 ms, 1.5 million pairs 808 against 96 ms.
 * PostgreSQL, assets, `in` against `exists` (with `OFFSET 0`), by the share of the 1.5 million
 * pairs that match, in-process:
 * - a page of 400: 1.0 (`vendor:debian`) 249 against 9 ms, 0.38 (`vendorSeverity:None`) 138
 *   against 31 ms, 0.25 (`vendorSeverity:[Critical,Important]`) 63 against 72 ms, 0.19
 *   (`vendorSeverity:Low`) 67 against 34 ms, 0.06 (`vendorSeverity:Critical`) 21 against 48 ms,
 *   a few pairs 5 against 262 ms;
 * - a count: 1.0 332–399 against 89–95 ms; from 0.49 to 0.94 about the same (45–60 ms, and
 *   340 ms both ways for 0.75); 0.38 162 against 644 ms, 0.25 81 against 1,627 ms, 0.06 22
 *   against 1,094 ms. Without a status to narrow it, a machine's check may walk the matching
 *   patches one by one, looking each up among its pairs.
 * - With a pair's status read (`vendor:debian and patchStatus:Installed`), a machine's check
 *   reads its pairs in that state (the `(machine_id, state)` index), so `exists` pays off sooner:
 *   a page, 0.8 245 against 12 ms, 0.2 108 against 9 ms, 0.14 68 against 6 ms, 0.099 5.3
 *   against 4.3 ms, 0.073 34 against 37 ms, 0.038 17 against 58 ms, 0.012 7 against 152 ms; a
 *   count, 0.8 423 against 106 ms, 0.39 and 0.75 about the same (48–61 ms), 0.14–0.2 70–134
 *   against 51–100 ms, 0.099 46 against 55 ms, 0.073 34 against 795 ms, 0.012 9 against
 *   2,886 ms. The count's share is kept well above where `exists` turns ruinous.
 */
export const DEFAULT_PAIR_PROBE_LIMITS: PairProbeLimits = {
  patches: { page: 2000, count: 20_000 },
  assets: { page: 12_000, count: 150_000 },
  postgresAssetShares: { page: 0.15, count: 0.9 },
  postgresAssetStatusShares: { page: 0.1, count: 0.3 },
};

/**
 * How many counted patches, the first in id order, postgresAssetPairShare reads: ids are UUIDs
 * derived by hashing, so these are a sample of the catalog without bias (about 2 ms).
 */
const PAIR_SHARE_SAMPLE = 500;

export interface AssetRecord {
  /** The machine's numeric id (what `POST /pm/v1/assets/uuids` maps). */
  machineId: number;
  assetUuid: string;
  name: string;
  operatingSystem: string | null;
  /** e.g. `debian:12`. */
  osIdentifier: string | null;
  architecture: string | null;
  platform: string;
  lastScannedMs: number | null;
  missingPatchCount?: number;
  installedPatchCount?: number;
}

/** Largest value of the stores' 32-bit integer keys (machine ids, QIDs). */
export const MAX_STORED_ID = 2_147_483_647;

/**
 * Child tables searched by value through an index (migration 0004), where a top-level term is
 * best run as a semi-join (`key IN (SELECT ...)`) rather than a probe per row.
 */
const INDEXED_CHILD_TABLES: ReadonlySet<string> = new Set(['patch_cves', 'patch_qids']);

/**
 * For the records listed from a view, the view of the patch states a record can have somewhere,
 * and each state with the count of the record's own row that says it has it: a patch's states on
 * the fleet (`pm_patch_fleet_states`, counted in `patch_status_counts`), and an asset's states
 * over its patches (`pm_patch_states` by machine, counted in `machine_patch_counts`).
 */
const STATE_COUNTS: Readonly<Record<string, { states: string; counts: ReadonlyArray<readonly [state: keyof typeof PATCH_STATES_OF_STATUS, count: string]> }>> = {
  [PM_VIEWS.patches]: { states: PM_VIEWS.patchFleetStates, counts: [['Missing', 'fleet_missing_count'], ['Installed', 'fleet_installed_count']] },
  [PM_VIEWS.assets]: { states: PM_VIEWS.patchStates, counts: [['Missing', 'missing_patch_count'], ['Installed', 'installed_patch_count']] },
};

/**
 * A test of a record's own counts (STATE_COUNTS) standing for "one of the states the record has
 * somewhere passes the QQL `node`" (over `table`, whose `stateColumn` holds the state): a patch
 * has `Missing` when `fleet_missing_count > 0`, `Installed` when `fleet_installed_count > 0`
 * (null, so false, for patches no machine has a status for); an asset has `Missing` when
 * `missing_patch_count > 0`, and so on. Which states pass is decided here, by the in-memory
 * predicate of the QQL on each state.
 *
 * Used for a top-level `patchStatus` term on patches or assets, and for an asset havingQuery that
 * reads nothing of a pair but its state. For assets this replaces a search of the machine's
 * status rows: counting the assets with a missing patch (`GET /pm/v1/assets/count?query=patchStatus:Missing`,
 * as the SDK documents) on the benchmark's store took 115 ms on PostgreSQL and 24 ms on SQLite
 * that way, and with `havingQuery=patchStatus:Missing` 110 and 72 ms.
 */
function stateCountTest(
  node: QqlNode, table: QqlTokenTable<any>, stateColumn: string, alias: string, counts: (typeof STATE_COUNTS)[string]['counts'], now: number,
): Expression<SqlBool> {
  const matches = compileQqlToPredicate(node, table, { now });
  const tests = counts.filter(([state]) => matches({ [stateColumn]: state })).map(([, count]) => sql<SqlBool>`${sql.ref(`${alias}.${count}`)} > 0`);
  if (tests.length === 0) return sql<SqlBool>`1 = 0`;
  return tests.length === 1 ? tests[0] : sql<SqlBool>`(${sql.join(tests, sql` or `)})`;
}

/**
 * Whether `some` term or `every` term of a query is on the token of `table` that reads `column`
 * (`patchStatus:Missing and vendor:x` reads the status in some term, not in every one).
 */
function termsReadColumn(node: QqlNode, table: QqlTokenTable<any>, column: string, terms: 'some' | 'every'): boolean {
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.operands[terms]((operand) => termsReadColumn(operand, table, column, terms));
    case 'not':
      return termsReadColumn(node.operand, table, column, terms);
    case 'term': {
      const token = findQqlToken(table, node.token);
      return token !== undefined && !token.multiValued && token.column === column;
    }
  }
}

/**
 * The `pm_patches` counts (zero for a patch no machine has a status for) and the same counts as
 * read from `patch_status_counts` alone (null for such a patch).
 */
const FLEET_COUNT_OF: Readonly<Record<string, 'fleet_missing_count' | 'fleet_installed_count'>> = {
  missing_count: 'fleet_missing_count', installed_count: 'fleet_installed_count',
};

const TITLE_COLUMN: keyof PmPatchViewRow = 'title';

const SEMI_JOIN_ALIAS = 'qql_semi';
const childTokenTables = new WeakMap<QqlTokenDefinition<any>, QqlTokenTable<any>>();

const countedTokenTables = new WeakMap<QqlColumnToken<any>, QqlTokenTable<any>>();

/** A one-token table reading a count token from its counted-only column (FLEET_COUNT_OF). */
function countedTokenTable(table: QqlTokenTable<any>, token: QqlColumnToken<any>): QqlTokenTable<any> {
  let counted = countedTokenTables.get(token);
  if (!counted) {
    counted = defineQqlTokenTable({ ...table, tokens: [{ ...token, column: FLEET_COUNT_OF[token.column] }] });
    countedTokenTables.set(token, counted);
  }
  return counted;
}

const PAIR_STATUS_COLUMN: keyof PmPatchPairViewRow = 'patch_status';

/**
 * A top-level term on a pair's `patch_status`, as a test of the state `asset_patch_status` stores
 * (`pair_state`), which the `(machine_id, state)` and `(patch_id, state)` indexes hold: the folded
 * QQL status is derived from the stored state through a join, and a test on it could not narrow
 * an index. On the benchmark's store, assets having `vendorSeverity:Critical and
 * patchStatus:Missing` then read each machine's missing pairs (about 30) instead of all of its
 * pairs (about 150) on PostgreSQL. Which statuses the term matches is decided by the in-memory
 * predicate on each.
 */
function pairStateTest(node: QqlNode, table: QqlTokenTable<any>, token: QqlColumnToken<any>, alias: string, now: number): Expression<SqlBool> {
  const matches = compileQqlToPredicate(node, table, { now });
  const states = Object.entries(PATCH_STATES_OF_STATUS).filter(([status]) => matches({ [token.column]: status })).flatMap(([, stored]) => stored);
  if (states.length === 0) return sql<SqlBool>`1 = 0`;
  return sql<SqlBool>`${sql.ref(`${alias}.pair_state`)} in (${sql.join(states.map((state) => sql.lit(state)))})`;
}

/** A one-token table over a multi-valued token's child table, to compile its test there. */
function childTokenTable(token: QqlMultiValuedToken<any>): QqlTokenTable<any> {
  let table = childTokenTables.get(token);
  if (!table) {
    const { table: childTable, column } = token.multiValued;
    table = defineQqlTokenTable({
      entity: token.name, table: childTable,
      tokens: [{
        name: token.name, type: token.type, column,
        ...(token.enumValues ? { enumValues: token.enumValues } : {}),
        ...(token.enumAliases ? { enumAliases: token.enumAliases } : {}),
        ...(token.dateStorage ? { dateStorage: token.dateStorage } : {}),
      }],
    });
    childTokenTables.set(token, table);
  }
  return table;
}

/** The terms a query ANDs together at its top level (the query itself when it is no AND). */
function topLevelConjuncts(ast: QqlNode): readonly QqlNode[] {
  return ast.kind === 'and' ? ast.operands : [ast];
}

const VIEW_NAMES: ReadonlySet<string> = new Set(Object.values(PM_VIEWS));

/** Adds the views the query's multi-valued tokens read to `views`. */
function viewsOfQuery(node: QqlNode, table: QqlTokenTable<any>, views: Set<PmViewName>): void {
  switch (node.kind) {
    case 'and':
    case 'or':
      for (const operand of node.operands) viewsOfQuery(operand, table, views);
      return;
    case 'not':
      viewsOfQuery(node.operand, table, views);
      return;
    case 'term': {
      const child = findQqlToken(table, node.token)?.multiValued?.table;
      if (child && VIEW_NAMES.has(child)) views.add(child as PmViewName);
    }
  }
}

export class AssetPatchQueries {
  /** Compiled statements of recent selections (a listing's next page reuses its first's). */
  private readonly statements = new CompiledStatementCache();

  constructor(
    private readonly db: PatchwardenDb,
    private readonly tokens: PmQqlTokenTables,
    private readonly pairProbeLimits: PairProbeLimits = DEFAULT_PAIR_PROBE_LIMITS,
  ) {}

  /**
   * Runs a statement of this selection, kept compiled as statementKeeping says; `compile` builds
   * it (with slots for the values of `values`) when it is not kept.
   */
  private async run<R>(
    statement: string, selection: PlannedSelection, shape: readonly unknown[], compile: () => CompiledQuery<R>, values: readonly StatementSlotValue[] = [],
  ): Promise<R[]> {
    const { key, maxAgeMs } = statementKeeping(statement, selection, shape);
    const compiled = this.statements.statement(key, compile, values, { maxAgeMs });
    return (await this.db.kysely.executeQuery(compiled)).rows;
  }

  /**
   * A query builder with the views a listing or count of `listed` for this selection reads; with
   * `pairsOnly`, those its matching pairs (matchingPairs) read.
   */
  private views(listed: 'patches' | 'assets', selection: PatchAssetSelection, options: { pairsOnly?: boolean } = {}): Kysely<PmDb> {
    const wanted = new Set<PmViewName>(options.pairsOnly ? [] : [listed === 'patches' ? 'pm_patches' : 'pm_assets']);
    const { query, havingQuery } = selection;
    if (listed === 'patches') {
      if (havingQuery) {
        wanted.add('pm_patch_pairs').add('pm_assets');
        viewsOfQuery(havingQuery, this.tokens.assets, wanted);
        if (query) viewsOfQuery(query, this.tokens.patchPairs, wanted);
      } else if (query) {
        viewsOfQuery(query, this.tokens.patches, wanted);
      }
    } else {
      if (query && !options.pairsOnly) viewsOfQuery(query, this.tokens.assets, wanted);
      if (havingQuery && !this.havingReadsOnlyPairStatus(selection)) {
        wanted.add('pm_patch_pairs');
        viewsOfQuery(havingQuery, this.tokens.patchPairs, wanted);
      }
    }
    // Only counted patches can qualify: `pm_patches` is read from the counts (pm-query-views.ts).
    const countedPatchesOnly = listed === 'patches' && this.onlyCountedPatches(selection);
    return withPmViews(this.db.kysely, this.db.dialect, wanted, { countedPatchesOnly });
  }

  /**
   * Compiles a query over `alias` into conditions to AND together. A top-level conjunct on a
   * multi-valued token whose child table is indexed by value (`cve:X`, `qid:N`) becomes
   * `key IN (SELECT ... FROM child WHERE test)` rather than the engine's correlated EXISTS: the
   * same rows, but the child table is searched once instead of once per patch passed over.
   */
  private compile(ast: QqlNode, table: QqlTokenTable<any>, alias: string, now: number): Array<Expression<SqlBool>> {
    const options: QqlSqlOptions = { dialect: this.db.dialect, alias, now, containsPrefilter: this.titlePrefilter(alias) };
    return topLevelConjuncts(ast).map((node) => {
      const token = node.kind === 'term' ? findQqlToken(table, node.token) : undefined;
      const stateCounts = Object.hasOwn(STATE_COUNTS, alias) ? STATE_COUNTS[alias] : undefined;
      if (stateCounts && token?.multiValued?.table === stateCounts.states) {
        const stateToken = token as QqlMultiValuedToken<any>;
        return stateCountTest(node, childTokenTable(stateToken), stateToken.multiValued.column, alias, stateCounts.counts, now);
      }
      if (token && !token.multiValued && alias === PM_VIEWS.patches && this.isCountedOnlyTerm(node, table, now)) {
        return compileQqlToWhere(node, countedTokenTable(table, token), options);
      }
      if (token && !token.multiValued && alias === PM_VIEWS.patchPairs && token.column === PAIR_STATUS_COLUMN) {
        return pairStateTest(node, table, token, alias, now);
      }
      if (!token?.multiValued || !INDEXED_CHILD_TABLES.has(token.multiValued.table)) return compileQqlToWhere(node, table, options);
      const child = token.multiValued;
      const test = compileQqlToWhere(node, childTokenTable(token as QqlMultiValuedToken<any>), { ...options, alias: SEMI_JOIN_ALIAS });
      const parentKey = sql.ref(`${alias}.${child.parentKey ?? table.primaryKey}`);
      return sql<SqlBool>`${parentKey} in (select ${sql.ref(`${SEMI_JOIN_ALIAS}.${child.foreignKey}`)} from ${sql.table(child.table)} as ${sql.id(SEMI_JOIN_ALIAS)} where ${test})`;
    });
  }

  /**
   * SQLite: a contains-match on a patch title first looks the text up in the trigram index of
   * titles (migration 0009), which finds every title containing it, ignoring case, and more
   * (it folds non-ASCII letters too); the LIKE then decides. Texts under three characters have
   * no trigram. PostgreSQL needs no help: its trigram index is on the LIKE's own expression.
   */
  private titlePrefilter(alias: string): QqlSqlOptions['containsPrefilter'] {
    if (this.db.dialect !== 'sqlite' || (alias !== PM_VIEWS.patches && alias !== PM_VIEWS.patchPairs)) return undefined;
    return (token, needle) => {
      if (token.column !== TITLE_COLUMN || [...needle].length < 3) return undefined;
      const phrase = `"${needle.replace(/"/g, '""')}"`;
      return sql<SqlBool>`${sql.ref(`${alias}.id`)} in (select k.patch_id from patch_title_keys k
        where k.key in (select t.rowid from patch_title_trigrams t where patch_title_trigrams match ${phrase}))`;
    };
  }

  /**
   * Whether a top-level conjunct is a term on a patch's count that no patch with a zero count
   * satisfies (`missingCount>=10`, `installedCount:[1..5]`): then only counted patches can match,
   * and the term is compiled against the count as read from the counts alone, null (so false)
   * for a patch without counts. The same rows, but each store can then start from the few
   * thousand counted patches instead of walking every patch (onlyCountedPatches): on the
   * benchmark's store, the statement of a `missingCount>=10` page went from 2.8 to 0.8–1.3 ms on
   * PostgreSQL and from 1.5 to 0.6–1.1 ms on SQLite. Which values pass is decided by the
   * in-memory predicate at zero.
   */
  private isCountedOnlyTerm(node: QqlNode, table: QqlTokenTable<any>, now: number): boolean {
    if (node.kind !== 'term') return false;
    const token = findQqlToken(table, node.token);
    if (!token?.column || FLEET_COUNT_OF[token.column] === undefined) return false;
    return !compileQqlToPredicate(node, table, { now })({ [token.column]: 0 });
  }

  /** `pm_patches` (the query `from` reads it) narrowed to the selection. */
  private narrowPatches(from: SelectQueryBuilder<PmDb, 'pm_patches', {}>, selection: PlannedSelection): SelectQueryBuilder<PmDb, 'pm_patches', {}> {
    const now = selection.now ?? Date.now();
    let query = from;
    if (selection.platform) query = query.where('pm_patches.platform', '=', platformValue(selection.platform));
    const { havingQuery } = selection;
    if (havingQuery) {
      query = query.where(this.pairSemiJoin('patches', { ...selection, havingQuery }));
    } else if (selection.query) {
      for (const condition of this.compile(selection.query, this.tokens.patches, PM_VIEWS.patches, now)) query = query.where(condition);
    }
    return query;
  }

  /** `pm_assets` narrowed to the selection. */
  private selectAssets(db: Kysely<PmDb>, selection: PlannedSelection): SelectQueryBuilder<PmDb, 'pm_assets', {}> {
    const now = selection.now ?? Date.now();
    let query = db.selectFrom('pm_assets');
    if (selection.platform) query = query.where('pm_assets.platform', '=', platformValue(selection.platform));
    if (selection.query) {
      for (const condition of this.compile(selection.query, this.tokens.assets, PM_VIEWS.assets, now)) query = query.where(condition);
    }
    const { havingQuery } = selection;
    if (havingQuery && this.havingReadsOnlyPairStatus(selection)) {
      query = query.where(stateCountTest(havingQuery, this.tokens.patchPairs, PAIR_STATUS_COLUMN, PM_VIEWS.assets, STATE_COUNTS[PM_VIEWS.assets].counts, now));
    } else if (havingQuery) {
      query = query.where(this.pairSemiJoin('assets', { ...selection, havingQuery }));
    }
    return query;
  }

  /**
   * Whether an asset selection's havingQuery reads nothing of a pair but its status
   * (`patchStatus:Missing`, `not patchStatus:Installed`): then whether a machine has a matching
   * pair follows from which states it has, which its counts row says (stateCountTest), and no
   * pair is read.
   */
  private havingReadsOnlyPairStatus(selection: PatchAssetSelection): boolean {
    return selection.havingQuery !== undefined && termsReadColumn(selection.havingQuery, this.tokens.patchPairs, PAIR_STATUS_COLUMN, 'every');
  }

  /**
   * The (patch, asset) pairs through which a record of `listed` is related to a match of the
   * selection's havingQuery, as a subquery (made with `from`, which defines no views: they are
   * the statement's):
   * - for patches, pairs whose asset matches the havingQuery; the patch query, if any, is
   *   evaluated on the same pair (`patchStatus` is then the state on that asset);
   * - for assets, pairs whose patch matches the havingQuery, on that pair.
   */
  private matchingPairs(
    from: ExpressionBuilder<PmDb, never>, listed: 'patches' | 'assets', selection: PatchAssetSelection & { havingQuery: QqlNode },
  ): SelectQueryBuilder<PmDb, 'pm_patch_pairs' | 'pm_assets', {}> {
    const now = selection.now ?? Date.now();
    if (listed === 'patches') {
      const conditions = [
        ...this.compile(selection.havingQuery, this.tokens.assets, PM_VIEWS.assets, now),
        ...(selection.query ? this.compile(selection.query, this.tokens.patchPairs, PM_VIEWS.patchPairs, now) : []),
      ];
      // The assets come first: both views hold a LEFT JOIN, across which SQLite does not move
      // tables, so this order lets it start from the few machines a name or system matches
      // (patches having `name:host-0004` on the benchmark's store: 160 → 8 ms).
      return conditions.reduce((pairs, condition) => pairs.where(condition),
        from.selectFrom('pm_assets').innerJoin('pm_patch_pairs', 'pm_patch_pairs.machine_id', 'pm_assets.machine_id'));
    }
    const conditions = this.compile(selection.havingQuery, this.tokens.patchPairs, PM_VIEWS.patchPairs, now);
    return conditions.reduce((pairs, condition) => pairs.where(condition),
      from.selectFrom('pm_patch_pairs') as SelectQueryBuilder<PmDb, 'pm_patch_pairs' | 'pm_assets', {}>);
  }

  /** The test that a record of `listed` has a matching pair, the way the selection chose (PairSemiJoin). */
  private pairSemiJoin(listed: 'patches' | 'assets', selection: PlannedSelection & { havingQuery: QqlNode }): Expression<SqlBool> {
    const pairs = this.matchingPairs(expressionBuilder<PmDb, never>(), listed, selection);
    const [recordKey, pairKey] = listed === 'patches'
      ? ['pm_patches.id', 'pm_patch_pairs.id'] as const : ['pm_assets.machine_id', 'pm_patch_pairs.machine_id'] as const;
    if (selection.semiJoin === 'exists') {
      const own = pairs.select(sql.lit(1).as('one')).where(sql<SqlBool>`${sql.ref(pairKey)} = ${sql.ref(recordKey)}`);
      // PostgreSQL would turn a plain EXISTS back into the semi-join it planned for `in`.
      return sql<SqlBool>`exists ${this.db.dialect === 'postgres' ? own.offset(sql.lit(0)) : own}`;
    }
    // (Kysely writes the subquery in parentheses.)
    return sql<SqlBool>`${sql.ref(recordKey)} in ${pairs.select(pairKey)}`;
  }

  /**
   * The selection with the way its havingQuery is to be joined for a page or a count: its
   * matching pairs are counted up to the limit for that purpose (PairSemiJoin).
   */
  private async planSemiJoin(listed: 'patches' | 'assets', selection: PatchAssetSelection, purpose: 'page' | 'count'): Promise<PlannedSelection> {
    const { havingQuery } = selection;
    if (!havingQuery || (listed === 'assets' && this.havingReadsOnlyPairStatus(selection))) return selection;
    if (this.db.dialect === 'postgres') {
      if (listed === 'patches') return selection;
      const share = await this.postgresAssetPairShare({ ...selection, havingQuery });
      const readsStatus = termsReadColumn(havingQuery, this.tokens.patchPairs, PAIR_STATUS_COLUMN, 'some');
      const least = readsStatus ? this.pairProbeLimits.postgresAssetStatusShares : this.pairProbeLimits.postgresAssetShares;
      return { ...selection, semiJoin: share >= least[purpose] ? 'exists' : 'in' };
    }
    const limit = this.pairProbeLimits[listed][purpose];
    const [row] = await this.run('pair probe', selection, [listed, limit], () => this.views(listed, selection, { pairsOnly: true })
      .selectFrom((eb) => this.matchingPairs(eb, listed, { ...selection, havingQuery }).select(sql.lit(1).as('one')).limit(pageSizeLiteral(limit)).as('probe'))
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .compile());
    return { ...selection, semiJoin: Number(row.n) >= limit ? 'exists' : 'in' };
  }

  /**
   * PostgreSQL: about what share of all (patch, asset) pairs match a havingQuery on assets, from a
   * sample of the counted patches (PAIR_SHARE_SAMPLE). Each patch of the sample stands for its
   * pairs in each status, weighed by its count of them (`Missing` by its missing count, and so
   * on), so a havingQuery that reads a pair's status (`vendor:debian and patchStatus:Installed`)
   * is weighed as exactly as one that does not. 0 when the sample has no pairs.
   */
  private async postgresAssetPairShare(selection: PatchAssetSelection & { havingQuery: QqlNode }): Promise<number> {
    // Kept by the havingQuery alone: the assets' own query is no part of the statement.
    const [row] = await this.run('pair share', { havingQuery: selection.havingQuery, now: selection.now }, [PAIR_SHARE_SAMPLE], () => {
      const wanted = new Set<PmViewName>(['pm_patches']);
      viewsOfQuery(selection.havingQuery, this.tokens.patchPairs, wanted);
      const alias = PM_VIEWS.patchPairs;
      const conditions = this.compile(selection.havingQuery, this.tokens.patchPairs, alias, selection.now ?? Date.now());
      // One row per (sampled patch, status), with the columns of `pm_patch_pairs` that a
      // havingQuery reads: the patch's, the status, and a stored state of that status.
      const statuses = STATE_COUNTS[PM_VIEWS.patches].counts.map(([status, count]) =>
        sql`select ${sql.lit(status)} as patch_status, ${sql.lit(PATCH_STATES_OF_STATUS[status][0])} as pair_state,
          coalesce(${sql.ref(`sample.${count}`)}, 0) as pair_count`);
      const weighted = sql<PmPatchPairViewRow & { pair_count: number }>`(select sample.*, st.patch_status, st.pair_state, st.pair_count
        from (select * from pm_patches order by id limit ${sql.lit(PAIR_SHARE_SAMPLE)}) as sample
        cross join lateral (${sql.join(statuses, sql` union all `)}) as st)`;
      return withPmViews(this.db.kysely, this.db.dialect, wanted, { countedPatchesOnly: true })
        .selectFrom(weighted.as(alias))
        .select([
          sql<number | string | null>`sum(case when ${sql.join(conditions, sql` and `)} then ${sql.ref(`${alias}.pair_count`)} end)`.as('matching'),
          sql<number | string | null>`sum(${sql.ref(`${alias}.pair_count`)})`.as('total'),
        ])
        .compile();
    });
    const total = Number(row.total ?? 0);
    return total > 0 ? Number(row.matching ?? 0) / total : 0;
  }

  /** The ids of one page of patches in id order, starting after `afterId`. */
  async listPatchIds(requested: PatchAssetSelection, page: { afterId?: string; limit: number }): Promise<string[]> {
    if (page.limit <= 0) return [];
    const selection = await this.planSemiJoin('patches', requested, 'page');
    const rows = await this.run('patch ids', selection, [page.limit, page.afterId !== undefined],
      () => this.patchPage(selection, patchPageBounds(page)).select('pm_patches.id').compile(), [[PATCH_CURSOR, page.afterId]]);
    return rows.map((row) => row.id);
  }

  /**
   * One page of patches in id order, starting after `afterId`, each as a JSON document the store
   * builds with the given keys (patch-documents.ts), with its id for paging. With `stored`, each
   * document is read from the patch's stored listing document when it has a current one
   * (patch-listing-documents.ts), and `builtLive` says which had none.
   */
  async listPatchDocuments(
    requested: PatchAssetSelection, page: { afterId?: string; limit: number }, fields: readonly PatchDocumentField[], options: { stored?: boolean } = {},
  ): Promise<Array<{ id: string; document: string; builtLive: boolean }>> {
    if (page.limit <= 0) return [];
    const selection = await this.planSemiJoin('patches', requested, 'page');
    return this.patchDocumentRows(selection, page, fields, options);
  }

  /**
   * One page of patch documents as the listing's response body, a JSON array in id order, with
   * its record count and last id (for the next page's cursor). The same records and text as
   * listPatchDocuments, joined.
   *
   * On SQLite the store joins the page itself and hands it over as one UTF-8 blob: no string per
   * patch is made, joined and encoded again in JavaScript (a 1,000-patch page on the benchmark's
   * store: 5.7 → 4.0 ms at the median, 6.4 → 5.3 ms with `vendorSeverity:Critical`). A page with
   * a patch whose stored document is not current is read again record by record, which builds
   * those documents live. On PostgreSQL, `string_agg` made the page slower (5.8 → 7.4 ms): its
   * documents are joined here.
   */
  async listPatchDocumentPage(
    requested: PatchAssetSelection, page: { afterId?: string; limit: number }, fields: readonly PatchDocumentField[], options: { stored?: boolean } = {},
  ): Promise<PatchDocumentPage> {
    if (page.limit <= 0) return { body: '[]', count: 0, lastId: undefined, builtLive: false };
    const selection = await this.planSemiJoin('patches', requested, 'page');
    if (this.db.dialect === 'sqlite') {
      const stored = options.stored === true;
      const [joined] = await this.run(stored ? 'stored patch page' : 'patch page', selection, documentPageShape(page, fields),
        () => joinedDocumentPage(stored ? this.storedPatchDocumentsStatement(selection, page, fields) : this.liveDocumentsStatement(selection, page, fields)),
        [[PATCH_CURSOR, page.afterId]]);
      if (Number(joined.unstored) === 0) {
        const count = Number(joined.records);
        return { body: joined.page, count, lastId: joined.last_id ?? undefined, builtLive: !stored && count > 0 };
      }
    }
    const rows = await this.patchDocumentRows(selection, page, fields, options);
    return {
      body: `[${rows.map((row) => row.document).join(',')}]`,
      count: rows.length,
      lastId: rows.at(-1)?.id,
      builtLive: rows.some((row) => row.builtLive),
    };
  }

  /** The page's documents, one row each (listPatchDocuments). */
  private async patchDocumentRows(
    selection: PlannedSelection, page: { afterId?: string; limit: number }, fields: readonly PatchDocumentField[], options: { stored?: boolean },
  ): Promise<Array<{ id: string; document: string; builtLive: boolean }>> {
    if (!options.stored) {
      const rows = await this.run('patch documents', selection, documentPageShape(page, fields),
        () => this.liveDocumentsStatement(selection, page, fields), [[PATCH_CURSOR, page.afterId]]);
      return rows.map((row) => ({ id: row.id, document: row.document, builtLive: true }));
    }
    const rows = await this.run('stored patch documents', selection, documentPageShape(page, fields),
      () => this.storedPatchDocumentsStatement(selection, page, fields), [[PATCH_CURSOR, page.afterId]]);
    // Patches without a current stored document (changed since the last refresh): built live.
    const unstored = rows.filter((row) => row.document === null).map((row) => row.id);
    const built = new Map<string, string>();
    for (const ids of chunked(unstored)) {
      const live = await withPmViews(this.db.kysely, this.db.dialect, ['pm_patches']).selectFrom('pm_patches')
        .select(['pm_patches.id', patchDocumentExpression(this.db, fields, PM_VIEWS.patches).as('document')])
        .where('pm_patches.id', 'in', ids)
        .execute();
      for (const row of live) built.set(row.id, row.document);
    }
    // A patch gone between the two reads (patches are not deleted by the console) is left out.
    return rows.flatMap((row) => {
      const document = row.document ?? built.get(row.id);
      return document === undefined ? [] : [{ id: row.id, document, builtLive: row.document === null }];
    });
  }

  /** The page's documents built from the patch rows, in id order. */
  private liveDocumentsStatement(
    selection: PlannedSelection, page: { afterId?: string; limit: number }, fields: readonly PatchDocumentField[],
  ): CompiledQuery<{ id: string; document: string }> {
    return this.patchPage(selection, patchPageBounds(page))
      .select(['pm_patches.id', patchDocumentExpression(this.db, fields, PM_VIEWS.patches).as('document')])
      .compile();
  }

  /**
   * The page's documents from the stored ones (`document` null where there is no current one),
   * in id order. The format is this code's own fingerprint (hex): a literal, like the other
   * constants of the plan.
   *
   * When the live part of the document reads only the counts (the whole document does), the
   * page is found with its counts, then joined to its stored documents, without reading the
   * patches again (measured on the benchmark's store, 1,000-patch pages):
   * - PostgreSQL: the page's ids as one array, joined to their counts in page order: 20–30 % less
   *   of PostgreSQL's CPU;
   * - SQLite: the page's ids with their counts as a subquery read in its own order: 2.1 → 1.7 ms
   *   for the statement alone, and 3.0 → 2.1 ms with the page joined (listPatchDocumentPage).
   */
  private storedPatchDocumentsStatement(
    selection: PlannedSelection, page: { afterId?: string; limit: number }, fields: readonly PatchDocumentField[],
  ): CompiledQuery<{ id: string; document: string | null }> {
    const bounds = patchPageBounds(page);
    const format = sql.lit(patchListingDocumentFormat(this.db, fields));
    if (storedDocumentSplit(this.db, fields, PAGE_ALIAS).liveReadsOnlyCounts) {
      // (The views are defined inside the subquery, the one part that reads them.)
      const ids = this.pageIds(this.views('patches', selection).selectFrom('pm_patches'), selection, bounds);
      const [counted, order] = this.db.dialect === 'postgres'
        ? [sql`(select u.id, u.position, ${PM_PATCH_COUNT_COLUMNS}
            from unnest(array(${ids})) with ordinality as u(id, position) left join patch_status_counts c on c.patch_id = u.id)`, 'position']
        : [ids.select(PM_PATCH_COUNT_COLUMN_NAMES.map((column) => `pm_patches.${column}` as const)), 'id'];
      return sql<{ id: string; document: string | null }>`select ${sql.ref(`${PAGE_ALIAS}.id`)},
          ${storedPatchDocumentExpression(this.db, fields, PAGE_ALIAS, 'stored')} as document
        from ${counted} as ${sql.id(PAGE_ALIAS)}
        left join patch_listing_documents as stored on stored.patch_id = ${sql.ref(`${PAGE_ALIAS}.id`)} and stored.format = ${format}
        order by ${sql.ref(`${PAGE_ALIAS}.${order}`)}`.compile(this.db.kysely);
    }
    return this.patchPage(selection, bounds)
      .leftJoin('patch_listing_documents as stored', (join) => join.onRef('stored.patch_id', '=', 'pm_patches.id').on('stored.format', '=', format))
      .select(['pm_patches.id', storedPatchDocumentExpression(this.db, fields, PM_VIEWS.patches, 'stored').as('document')])
      .compile();
  }

  /**
   * `pm_patches` rows of one page of the selection, in id order. The page's ids are found first,
   * then their rows are read: the filter then reads only the columns it tests (in SQLite a
   * covering index, migration 0009), and whole rows are read for the page alone. On PostgreSQL
   * the ids are handed over as one array, so the rows are read by key (as an IN subquery, a
   * 1,000-id page was joined by reading every patch).
   */
  private patchPage(selection: PlannedSelection, page: PageBounds<string>): SelectQueryBuilder<PmDb, 'pm_patches', {}> {
    return this.views('patches', selection).selectFrom('pm_patches')
      .where((eb) => {
        const ids = this.pageIds(eb.selectFrom('pm_patches') as unknown as SelectQueryBuilder<PmDb, 'pm_patches', {}>, selection, page);
        return this.db.dialect === 'postgres'
          ? sql<SqlBool>`${sql.ref('pm_patches.id')} = any(array(${ids}))`
          : eb('pm_patches.id', 'in', ids);
      })
      .orderBy('pm_patches.id');
  }

  /** The ids of one page of the selection, in id order, selected from `from` (`pm_patches`). */
  private pageIds(from: SelectQueryBuilder<PmDb, 'pm_patches', {}>, selection: PlannedSelection, page: PageBounds<string>) {
    // (When only counted patches can qualify, `pm_patches.id` is the counts' own key, see views():
    // each store walks `patch_status_counts` in key order and stops at the page's end.)
    let ids = this.narrowPatches(from, selection).select('pm_patches.id').orderBy('pm_patches.id').limit(pageSizeLiteral(page.limit));
    if (page.after !== undefined) ids = ids.where('pm_patches.id', '>', page.after);
    return ids;
  }

  /**
   * Whether the selection keeps only patches some machine has a status for: with a havingQuery,
   * a kept patch has a status on the matching asset; without one, a top-level `patchStatus` term
   * is a test of the fleet counts (stateCountTest), and so is a count term no zero satisfies
   * (isCountedOnlyTerm); both are false for a patch without counts.
   */
  private onlyCountedPatches(selection: PatchAssetSelection): boolean {
    if (selection.havingQuery) return true;
    if (!selection.query) return false;
    const now = selection.now ?? Date.now();
    return topLevelConjuncts(selection.query).some((node) => node.kind === 'term'
      && (findQqlToken(this.tokens.patches, node.token)?.multiValued?.table === PM_VIEWS.patchFleetStates
        || this.isCountedOnlyTerm(node, this.tokens.patches, now)));
  }

  async countPatches(requested: PatchAssetSelection): Promise<number> {
    const selection = await this.planSemiJoin('patches', requested, 'count');
    const [row] = await this.run('patch count', selection, [], () => this.narrowPatches(this.views('patches', selection).selectFrom('pm_patches'), selection)
      .select((eb) => eb.fn.countAll<number | string>().as('n')).compile());
    return Number(row.n);
  }

  /** One page of assets in machine-id order, starting after `afterMachineId`. */
  async listAssets(requested: PatchAssetSelection, page: { afterMachineId?: number; limit: number }, wanted: { counts: boolean }): Promise<AssetRecord[]> {
    if (page.limit <= 0) return [];
    const selection = await this.planSemiJoin('assets', requested, 'page');
    const compile = () => {
      let query = this.selectAssets(this.views('assets', selection), selection)
        .select(['pm_assets.machine_id', 'pm_assets.asset_uuid', 'pm_assets.name', 'pm_assets.os_name', 'pm_assets.os_identifier',
          'pm_assets.architecture', 'pm_assets.platform', 'pm_assets.last_scanned_at'])
        .$if(wanted.counts, (q) => q.select(['pm_assets.missing_patch_count', 'pm_assets.installed_patch_count']))
        .orderBy('pm_assets.machine_id')
        .limit(pageSizeLiteral(page.limit));
      if (page.afterMachineId !== undefined) query = query.where('pm_assets.machine_id', '>', MACHINE_CURSOR.value());
      return query.compile();
    };
    const rows = await this.run('assets', selection, [page.limit, page.afterMachineId !== undefined, wanted.counts], compile,
      [[MACHINE_CURSOR, page.afterMachineId]]);
    return rows.map((row) => {
      const record: AssetRecord = {
        machineId: Number(row.machine_id), assetUuid: row.asset_uuid, name: row.name, operatingSystem: row.os_name,
        osIdentifier: row.os_identifier, architecture: row.architecture, platform: row.platform,
        lastScannedMs: row.last_scanned_at === null ? null : Date.parse(row.last_scanned_at),
      };
      if (wanted.counts) {
        const counted = row as unknown as { missing_patch_count: number | string; installed_patch_count: number | string };
        record.missingPatchCount = Number(counted.missing_patch_count);
        record.installedPatchCount = Number(counted.installed_patch_count);
      }
      return record;
    });
  }

  async countAssets(requested: PatchAssetSelection): Promise<number> {
    const selection = await this.planSemiJoin('assets', requested, 'count');
    const [row] = await this.run('asset count', selection, [], () => this.selectAssets(this.views('assets', selection), selection)
      .select((eb) => eb.fn.countAll<number | string>().as('n')).compile());
    return Number(row.n);
  }

  /** Asset UUIDs of the machines with these numeric ids; machines without one are absent. */
  async assetUuidsByMachineId(machineIds: readonly number[]): Promise<Map<number, string>> {
    const found = new Map<number, string>();
    // Machine ids are 32-bit in both stores; a larger number names no machine.
    const candidates = [...new Set(machineIds)].filter((id) => Number.isSafeInteger(id) && id >= 1 && id <= MAX_STORED_ID);
    for (const ids of chunked(candidates)) {
      const rows = await this.db.kysely.selectFrom('machines').select(['id', 'asset_uuid'])
        .where('id', 'in', ids).where('asset_uuid', 'is not', null).execute();
      for (const row of rows) found.set(Number(row.id), row.asset_uuid!);
    }
    return found;
  }
}
