/**
 * How the stores plan Patch Management listings (asset-patch-queries.ts).
 *
 * PostgreSQL: values of closed sets —
 * the platform, enum QQL values such as a severity or a patch state, the page size — are written
 * into the statement, so a listing filtered only by them has no parameters and runs on the plan
 * PostgreSQL made once; values a user types (a machine name, a CVE) stay bound, and one statement
 * serves every such value. A test on a folded text column is estimated from statistics on the
 * folded expression (migration 0016), so a value every machine has is not taken for a rare one.
 *
 * SQLite (its store tuned as a console does, src/db/store-tuning.ts): one severity reads its
 * patches from the severity index in id order (migration 0012), with the other filters tested in
 * the index; a list of severities walks the patches in id order instead of reading and sorting
 * every patch of each severity. A patch state on one machine (a havingQuery) is tested on the
 * stored state, through the `(machine_id, state)` index.
 *
 * The rows are checked too, so a plan is never bought with a wrong answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { PatchwardenDb } from '../../src/db/database.js';
import type { PatchwardenTables } from '../../src/db/schema.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { AssetPatchQueries, type PatchAssetSelection } from '../../src/scans/asset-patch-queries.js';
import { PATCH_PAIR_QQL_TOKENS, PATCH_QQL_TOKENS } from '../../src/api/pm/patch-qql-tokens.js';
import { ASSET_QQL_TOKENS } from '../../src/api/pm/asset-qql-tokens.js';
import { PATCH_WIRE_DOCUMENT } from '../../src/api/pm/patch-wire-document.js';
import { compileQqlToWhere, parseQql } from '../../src/qql/index.js';
import { withPmViews } from '../../src/scans/pm-query-views.js';
import { refreshPatchListingDocuments } from '../../src/scans/patch-listing-documents.js';
import { tuneStoreForQueries } from '../../src/db/store-tuning.js';
import { openTestStore, testStore } from '../support/test-database.js';
import { sqliteListingPlans } from '../support/sqlite-listing-plans.js';
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

  /** Every node of a plan that reads `relation`, with the rows PostgreSQL expected from it. */
  function scansOf(plan: any, relation: string): Array<{ rows: number; filter: string }> {
    const found = plan['Relation Name'] === relation ? [{ rows: plan['Plan Rows'] as number, filter: String(plan.Filter ?? '') }] : [];
    return [...found, ...((plan.Plans ?? []) as any[]).flatMap((child) => scansOf(child, relation))];
  }

  test('PostgreSQL: a folded text value that every machine or patch has is estimated as common, from statistics (postgres)', { timeout: 120_000 }, async (t) => {
    const { db } = await openTestStore(t, 'folded-statistics');
    await migrateToLatest(db);
    await insertPatches({ db }, Array.from({ length: 300 }, (_, i) => ({ source: `src${i}` })));
    await insertAssets({ db }, Array.from({ length: 400 }, (_, i) => ({ name: `host-${i}` })));
    await sql`analyze machines`.execute(db.kysely);
    await sql`analyze patches`.execute(db.kysely);
    const now = Date.now();
    // The statement the QQL compiler writes for the view, as PostgreSQL plans it with the value.
    const expectedRows = async (view: 'pm_assets' | 'pm_patches', qql: string, table: 'machines' | 'patches'): Promise<number> => {
      const tokens = view === 'pm_assets' ? ASSET_QQL_TOKENS : PATCH_QQL_TOKENS;
      const query = withPmViews(db.kysely, 'postgres', [view]).selectFrom(view as 'pm_assets').select((eb) => eb.fn.countAll().as('n'))
        .where(compileQqlToWhere(parseQql(qql), tokens, { dialect: 'postgres', now }));
      const [row] = await query.explain('json');
      const scans = scansOf((row as any)['QUERY PLAN'][0].Plan, table).filter((scan) => scan.filter.includes('lower'));
      assert.equal(scans.length, 1, `one filtered scan of ${table}: ${JSON.stringify(row)}`);
      return scans[0].rows;
    };
    // Without statistics PostgreSQL takes any such test to match 0.5% of the rows (2 machines).
    for (const qql of ['operatingSystem:Debian', 'osIdentifier:debian', 'architecture:amd64', 'name:host']) {
      const rows = await expectedRows('pm_assets', qql, 'machines');
      assert.ok(rows >= 200, `${qql}: all 400 machines match, PostgreSQL expected ${rows}`);
    }
    assert.ok(await expectedRows('pm_assets', 'operatingSystem:Ubuntu', 'machines') < 20, 'and a value no machine has as rare');
    for (const qql of ['vendor:debian', 'kb:_1.0', 'bulletin:DEB-bookworm']) {
      const rows = await expectedRows('pm_patches', qql, 'patches');
      assert.ok(rows >= 150, `${qql}: all 300 patches match, PostgreSQL expected ${rows}`);
    }
  });
}

if (testStore() === 'sqlite') {
  test('SQLite: one severity is read from its index in id order; a list of severities walks the patches in id order (sqlite)', { timeout: 120_000 }, async (t) => {
    const { db, dataDir } = await openTestStore(t, 'listing-plans');
    await migrateToLatest(db);
    const severities = ['Critical', 'Important', 'Moderate', 'Low', 'None'] as const;
    const day = 86_400_000;
    const now = Date.UTC(2026, 0, 1);
    const fixtures = Array.from({ length: 5_000 }, (_, i) => ({
      source: `src${i}`, severity: severities[i % 5], security: i % 5 !== 4, publishedMs: now - (i % 400) * day,
    }));
    const ids = await insertPatches({ db }, fixtures);
    // web1 misses a third of 600 patches and has the rest installed, some pending a reboot.
    const states = ['Missing', 'Installed', 'InstalledPendingReboot'] as const;
    await insertAssets({ db }, [
      { name: 'web1', patches: Object.fromEntries(ids.slice(0, 600).map((id, i) => [id, states[i % 3]])) },
      { name: 'web2', patches: Object.fromEntries(ids.slice(300, 900).map((id) => [id, 'Missing'])) },
    ]);
    await refreshPatchListingDocuments(db, PATCH_WIRE_DOCUMENT);
    await tuneStoreForQueries(db);
    const file = join(dataDir, 'patchwarden.sqlite');
    const expected = (keep: (fixture: typeof fixtures[number]) => boolean) => ids.filter((_, i) => keep(fixtures[i])).sort().slice(0, 20);
    const list = (query: string) => sqliteListingPlans(file, { platform: 'Linux', query: parseQql(query), now });

    const critical = await list('vendorSeverity:Critical');
    assert.deepEqual(critical.ids, expected((f) => f.severity === 'Critical'));
    assert.match(critical.plans.join('\n'), /USING COVERING INDEX patches_pm_severity_listing/, critical.plans.join('\n'));
    assert.doesNotMatch(critical.plans.join('\n'), /TEMP B-TREE/, 'in id order, not sorted');

    const recent = await list('vendorSeverity:Critical and publishedDate>now-30d');
    assert.deepEqual(recent.ids, expected((f) => f.severity === 'Critical' && f.publishedMs > now - 30 * day));
    assert.match(recent.plans.join('\n'), /USING COVERING INDEX patches_pm_severity_listing/, 'the date is tested in the index');

    const listed = await list('vendorSeverity:[critical, Important] and publishedDate>now-1y');
    assert.deepEqual(listed.ids, expected((f) => (f.severity === 'Critical' || f.severity === 'Important') && f.publishedMs > now - 365 * day));
    const plan = listed.plans.join('\n');
    assert.doesNotMatch(plan, /patches_pm_severity_listing/, `a list of severities does not read the severity index:\n${plan}`);
    assert.doesNotMatch(plan, /TEMP B-TREE/, `nor sorts:\n${plan}`);

    // A patch state on one machine is tested on the stored state, through the (machine_id, state) index.
    const installedOnWeb1 = await sqliteListingPlans(file, { platform: 'Linux', query: parseQql('patchStatus:Installed'), havingQuery: parseQql('name:`web1`'), now });
    assert.deepEqual(installedOnWeb1.ids, ids.slice(0, 600).filter((_, i) => i % 3 !== 0).sort().slice(0, 20), 'Installed includes pending a reboot');
    const pairPlan = installedOnWeb1.plans.join('\n');
    assert.match(pairPlan, /asset_patch_status_machine_state \(machine_id=\? AND state=\?\)/, pairPlan);
  });
}
