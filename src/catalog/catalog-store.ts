import { sql } from 'kysely';
import type { PatchwardenDb } from '../db/database.js';
import { insertBatchSize } from '../db/database.js';
import { readSetting, writeSetting } from '../db/settings-store.js';
import type { AptPackageRecord, AptReleaseInfo } from './sources/apt-repo/types.js';
import type { CatalogIndex, CatalogSnapshot } from './catalog-snapshot.js';
import { aptDistributionKey, type AptReleaseValidators } from './sources/apt-repo/repository-sync.js';

const DEFINITION_SERIAL = 'catalog.definitionSerial';
const DEFINITION_DATE = 'catalog.definitionDate';

export interface CatalogDefinition {
  /** `1.0.<serial>`: the serial grows by one with every sync that changed the catalog. */
  version: string;
  /** ISO-8601 time of that sync; empty before the first one. */
  date: string;
  serial: number;
}

/** What the store remembers about a distribution to fetch it conditionally next time. */
export interface StoredReleaseValidators extends AptReleaseValidators {
  syncedAt: string;
}

/** A distribution whose metadata changed: its Release facts and every index, fully parsed. */
export interface ChangedRelease {
  uri: string;
  dist: string;
  info: AptReleaseInfo;
  validators: AptReleaseValidators;
  indexes: Array<{ component: string; architecture: string; path: string; sha256: string; packages: AptPackageRecord[] }>;
}

export async function readCatalogDefinition(db: PatchwardenDb): Promise<CatalogDefinition> {
  const serial = Number.parseInt((await readSetting(db, DEFINITION_SERIAL)) ?? '0', 10) || 0;
  return { serial, version: `1.0.${serial}`, date: (await readSetting(db, DEFINITION_DATE)) ?? '' };
}

/** Records one change of the catalog (a sync or an import that changed something): serial + 1, date = now. */
export async function bumpCatalogDefinition(db: PatchwardenDb, now: string): Promise<CatalogDefinition> {
  const serial = (await readCatalogDefinition(db)).serial + 1;
  await writeSetting(db, DEFINITION_SERIAL, String(serial));
  await writeSetting(db, DEFINITION_DATE, now);
  return { serial, version: `1.0.${serial}`, date: now };
}

export async function readReleaseValidators(db: PatchwardenDb): Promise<Map<string, StoredReleaseValidators>> {
  const rows = await db.kysely.selectFrom('apt_releases')
    .select(['uri', 'dist', 'validators', 'synced_at']).execute();
  return new Map(rows.map((row) => [aptDistributionKey(row.uri, row.dist), {
    ...(JSON.parse(row.validators) as AptReleaseValidators), syncedAt: row.synced_at,
  }]));
}

/** Marks distributions as checked now without changing their content. */
export async function touchReleases(db: PatchwardenDb, releases: Array<{ uri: string; dist: string; validators: AptReleaseValidators }>, now: string): Promise<void> {
  for (const { uri, dist, validators } of releases) {
    await db.kysely.updateTable('apt_releases').set({ synced_at: now, validators: JSON.stringify(validators) })
      .where('uri', '=', uri).where('dist', '=', dist).execute();
  }
}

/**
 * Replaces the stored metadata of the changed distributions in one transaction (readers see the
 * old catalog or the new one, never half of it) and bumps the definition version.
 */
export async function storeChangedReleases(db: PatchwardenDb, changed: ChangedRelease[], now: string): Promise<CatalogDefinition> {
  const current = await readCatalogDefinition(db);
  if (changed.length === 0) return current;
  const batch = insertBatchSize(6);
  await db.kysely.transaction().execute(async (trx) => {
    for (const release of changed) {
      const facts = {
        origin: release.info.origin, label: release.info.label, suite: release.info.suite, codename: release.info.codename,
        version: release.info.version, release_date: release.info.date, not_automatic: release.info.notAutomatic ? 1 : 0,
        but_automatic_upgrades: release.info.butAutomaticUpgrades ? 1 : 0, inrelease_sha256: release.validators.inReleaseSha256,
        validators: JSON.stringify(release.validators), synced_at: now,
      };
      const { id: releaseId } = await trx.insertInto('apt_releases').values({ uri: release.uri, dist: release.dist, ...facts })
        .onConflict((oc) => oc.columns(['uri', 'dist']).doUpdateSet(facts)).returning('id').executeTakeFirstOrThrow();
      // Indexes the new Release no longer lists go away with their packages.
      const oldIndexes = await trx.selectFrom('apt_indexes').select('id').where('release_id', '=', releaseId).execute();
      if (oldIndexes.length > 0) {
        const ids = oldIndexes.map((row) => row.id);
        await trx.deleteFrom('apt_packages').where('index_id', 'in', ids).execute();
        await trx.deleteFrom('apt_indexes').where('id', 'in', ids).execute();
      }
      for (const index of release.indexes) {
        const { id: indexId } = await trx.insertInto('apt_indexes').values({
          release_id: releaseId, component: index.component, architecture: index.architecture, path: index.path,
          sha256: index.sha256, package_count: index.packages.length,
        }).returning('id').executeTakeFirstOrThrow();
        if (db.dialect === 'postgres') {
          // One array parameter per column: far fewer round trips and parameters than VALUES rows.
          for (let i = 0; i < index.packages.length; i += 25_000) {
            const chunk = index.packages.slice(i, i + 25_000);
            await sql`INSERT INTO apt_packages (index_id, name, version, architecture, source_name, source_version)
              SELECT ${indexId}::integer, * FROM unnest(${chunk.map((p) => p.package)}::text[], ${chunk.map((p) => p.version)}::text[],
                ${chunk.map((p) => p.architecture)}::text[], ${chunk.map((p) => p.sourceName)}::text[], ${chunk.map((p) => p.sourceVersion)}::text[])`
              .execute(trx);
          }
          continue;
        }
        for (let i = 0; i < index.packages.length; i += batch) {
          const rows = index.packages.slice(i, i + batch).map((p) => ({
            index_id: indexId, name: p.package, version: p.version, architecture: p.architecture,
            source_name: p.sourceName, source_version: p.sourceVersion,
          }));
          await trx.insertInto('apt_packages').values(rows).execute();
        }
      }
    }
  });
  return bumpCatalogDefinition(db, now);
}

/** Reads the whole catalog into memory for the assessment engine. */
export async function loadCatalogSnapshot(db: PatchwardenDb): Promise<CatalogSnapshot> {
  const definition = await readCatalogDefinition(db);
  const releases = await db.kysely.selectFrom('apt_releases').selectAll().execute();
  const releaseById = new Map(releases.map((r) => [r.id, r]));
  const indexRows = await db.kysely.selectFrom('apt_indexes').selectAll().orderBy('id').execute();
  const indexes = new Map<number, CatalogIndex>();
  for (const row of indexRows) {
    const release = releaseById.get(row.release_id)!;
    indexes.set(row.id, {
      id: row.id, uri: release.uri, dist: release.dist, component: row.component, architecture: row.architecture,
      release: {
        origin: release.origin, label: release.label, suite: release.suite, codename: release.codename,
        notAutomatic: release.not_automatic === 1, butAutomaticUpgrades: release.but_automatic_upgrades === 1,
      },
      packages: [],
    });
  }
  const packages = await db.kysely.selectFrom('apt_packages')
    .select(['index_id', 'name', 'version', 'architecture', 'source_name', 'source_version']).execute();
  for (const row of packages) {
    indexes.get(row.index_id)?.packages.push({
      package: row.name, version: row.version, architecture: row.architecture, sourceName: row.source_name, sourceVersion: row.source_version,
    });
  }
  return { definitionVersion: definition.version, definitionDate: definition.date, indexes: [...indexes.values()] };
}
