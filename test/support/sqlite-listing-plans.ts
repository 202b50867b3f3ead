/**
 * How SQLite plans a Patch Management listing: the listing is run through a second connection to
 * the store's file, and each statement it runs is explained (EXPLAIN QUERY PLAN) with its own
 * parameters, so the plans are those of the statements the console really runs.
 */
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { AssetPatchQueries, type PatchAssetSelection } from '../../src/scans/asset-patch-queries.js';
import { PATCH_PAIR_QQL_TOKENS, PATCH_QQL_TOKENS } from '../../src/api/pm/patch-qql-tokens.js';
import { ASSET_QQL_TOKENS } from '../../src/api/pm/asset-qql-tokens.js';
import { PATCH_WIRE_DOCUMENT } from '../../src/api/pm/patch-wire-document.js';

/** The ids of one page of the listing and the plans of its statements (one text per statement). */
export async function sqliteListingPlans(file: string, selection: PatchAssetSelection, limit = 20): Promise<{ ids: string[]; documents: string[]; plans: string[] }> {
  const database = new SQLite(file);
  const plans: string[] = [];
  const kysely = new Kysely<any>({
    dialect: new SqliteDialect({ database }),
    log(event) {
      if (event.level !== 'query') return;
      const steps = database.prepare(`explain query plan ${event.query.sql}`).all(...event.query.parameters as unknown[]) as Array<{ detail: string }>;
      plans.push(steps.map((step) => step.detail).join('\n'));
    },
  });
  try {
    const queries = new AssetPatchQueries({ kysely, dialect: 'sqlite', location: file, close: async () => {} },
      { patches: PATCH_QQL_TOKENS, patchPairs: PATCH_PAIR_QQL_TOKENS, assets: ASSET_QQL_TOKENS });
    const rows = await queries.listPatchDocuments(selection, { limit }, PATCH_WIRE_DOCUMENT, { stored: true });
    return { ids: rows.map((row) => row.id), documents: rows.map((row) => row.document), plans };
  } finally {
    await kysely.destroy();
  }
}
