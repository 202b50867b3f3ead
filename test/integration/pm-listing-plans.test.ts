/**
 * How PostgreSQL plans Patch Management listings (asset-patch-queries.ts): values of closed sets —
 * the platform, enum QQL values such as a severity or a patch state, the page size — are written
 * into the statement, so a listing filtered only by them has no parameters and runs on the plan
 * PostgreSQL made once; values a user types (a machine name, a CVE) stay bound, and one statement
 * serves every such value. The rows are checked too, so a plan is never bought with a wrong answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import type { PatchwardenDb } from '../../src/db/database.js';
import type { PatchwardenTables } from '../../src/db/schema.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { AssetPatchQueries, type PatchAssetSelection } from '../../src/scans/asset-patch-queries.js';
import { PATCH_PAIR_QQL_TOKENS, PATCH_QQL_TOKENS } from '../../src/api/pm/patch-qql-tokens.js';
import { ASSET_QQL_TOKENS } from '../../src/api/pm/asset-qql-tokens.js';
import { PATCH_WIRE_DOCUMENT } from '../../src/api/pm/patch-wire-document.js';
import { parseQql } from '../../src/qql/index.js';
import { refreshPatchListingDocuments } from '../../src/scans/patch-listing-documents.js';
import { openTestStore, testStore } from '../support/test-database.js';
import { insertAssets, insertPatches } from '../support/pm-patch-asset-assertions.js';

interface PreparedListing {
  parameterTypes: string;
  genericPlans: number;
  customPlans: number;
}

/** The listing statements prepared on this connection (the ones reading stored documents). */
async function preparedListings(connection: Kysely<PatchwardenTables>): Promise<PreparedListing[]> {
  const { rows } = await sql<{ parameter_types: string; generic_plans: string; custom_plans: string }>`
    select cast(parameter_types as text) as parameter_types, generic_plans, custom_plans from pg_prepared_statements
    where statement like '%patch_listing_documents%' and statement not like '%pg_prepared_statements%' order by prepare_time`.execute(connection);
  return rows.map((row) => ({ parameterTypes: row.parameter_types, genericPlans: Number(row.generic_plans), customPlans: Number(row.custom_plans) }));
}

if (testStore() === 'postgres') {
  test('PostgreSQL: listings by closed-set values have no parameters and reuse one plan; typed values stay bound (postgres)', { timeout: 120_000 }, async (t) => {
    const { db } = await openTestStore(t, 'listing-plans');
    await migrateToLatest(db);
    const severities = ['Critical', 'Important', 'Low'] as const;
    const ids = await insertPatches({ db }, Array.from({ length: 30 }, (_, i) => ({ source: `src${i}`, severity: severities[i % 3], cves: [`CVE-2025-${1000 + i}`] })));
    await insertAssets({ db }, [
      { name: 'web1', patches: Object.fromEntries(ids.slice(0, 10).map((id) => [id, 'Missing'])) },
      { name: 'web2', patches: Object.fromEntries(ids.slice(5, 20).map((id) => [id, 'Installed'])) },
    ]);
    await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT);
    await db.kysely.connection().execute(async (connection) => {
      // One connection, so the named statements it prepares can be looked at.
      const queries = new AssetPatchQueries({ ...db, kysely: connection } as PatchwardenDb, { patches: PATCH_QQL_TOKENS, patchPairs: PATCH_PAIR_QQL_TOKENS, assets: ASSET_QQL_TOKENS });
      const list = async (selection: PatchAssetSelection) => {
        const rows = await queries.listPatchDocuments(selection, { limit: 7 }, PATCH_WIRE_DOCUMENT, { stored: true });
        assert.ok(rows.every((row) => !row.builtLive), 'read from the stored documents');
        return rows.map((row) => JSON.parse(row.document) as { id: string; vendorSeverity: string });
      };

      // Severity (enum) and platform: the same statement text for every run, without parameters.
      for (let run = 0; run < 8; run++) {
        const critical = await list({ platform: 'Linux', query: parseQql('vendorSeverity:`critical`') });
        assert.equal(critical.length, 7);
        assert.ok(critical.every((patch) => patch.vendorSeverity === 'Critical'), JSON.stringify(critical));
      }
      const [bySeverity] = await preparedListings(connection);
      assert.equal(bySeverity.parameterTypes, '{}', 'no bound values: platform, severity and page size are literals');
      assert.ok(bySeverity.genericPlans >= 5, `planned once and reused: ${JSON.stringify(bySeverity)}`);
      assert.equal(bySeverity.customPlans, 0);

      // A machine's name is typed by the user: bound, so one statement serves web1 and web2.
      const missingOn = async (name: string) => (await list({ platform: 'Linux', query: parseQql('patchStatus:Missing'), havingQuery: parseQql(`name:\`${name}\``) })).map((p) => p.id);
      for (let run = 0; run < 4; run++) {
        assert.deepEqual(await missingOn('web1'), [...ids.slice(0, 10)].sort().slice(0, 7));
        assert.deepEqual(await missingOn('web2'), [], 'web2 has its patches installed');
      }
      const prepared = await preparedListings(connection);
      assert.equal(prepared.length, 2, `one more statement for both names: ${JSON.stringify(prepared)}`);
      assert.equal(prepared[1].parameterTypes, '{text}', 'only the name is bound');
    });
  });
}
