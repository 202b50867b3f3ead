import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { PatchwardenDb } from './database.js';
import { foundationMigration } from './migrations/0001-foundation.js';
import { patchStatusMigration } from './migrations/0002-patch-status.js';
import { deploymentJobsMigration } from './migrations/0003-deployment-jobs.js';
import { pmQueryIndexesMigration } from './migrations/0004-pm-query-indexes.js';
import { credentialsMigration } from './migrations/0005-credentials.js';
import { advisoriesMigration } from './migrations/0006-advisories.js';
import { machineGroupsMigration } from './migrations/0007-machine-groups.js';
import { sshHostKeysMigration } from './migrations/0008-ssh-host-keys.js';
import { pmPatchCountsMigration } from './migrations/0009-pm-patch-counts.js';
import { patchListingDocumentsMigration } from './migrations/0010-patch-listing-documents.js';
import { pmSeverityIndexMigration } from './migrations/0011-pm-severity-index.js';
import { sqliteSeverityIndexMigration } from './migrations/0012-sqlite-severity-index.js';
import { countedPatchFiltersMigration } from './migrations/0013-counted-patch-filters.js';
import { machinePatchCountsMigration } from './migrations/0014-machine-patch-counts.js';
import { patchPairsIndexMigration } from './migrations/0015-patch-pairs-index.js';
import { foldedTextStatisticsMigration } from './migrations/0016-folded-text-statistics.js';

/** Migrations in order; names are permanent once released. */
function migrationsFor(db: PatchwardenDb): Record<string, Migration> {
  return {
    '0001-foundation': foundationMigration(db.dialect),
    '0002-patch-status': patchStatusMigration(),
    '0003-deployment-jobs': deploymentJobsMigration(),
    '0004-pm-query-indexes': pmQueryIndexesMigration(db.dialect),
    '0005-credentials': credentialsMigration(),
    '0006-advisories': advisoriesMigration(),
    '0007-machine-groups': machineGroupsMigration(db.dialect),
    '0008-ssh-host-keys': sshHostKeysMigration(db.dialect),
    '0009-pm-patch-counts': pmPatchCountsMigration(db.dialect),
    '0010-patch-listing-documents': patchListingDocumentsMigration(db.dialect),
    '0011-pm-severity-index': pmSeverityIndexMigration(db.dialect),
    '0012-sqlite-severity-index': sqliteSeverityIndexMigration(db.dialect),
    '0013-counted-patch-filters': countedPatchFiltersMigration(db.dialect),
    '0014-machine-patch-counts': machinePatchCountsMigration(),
    '0015-patch-pairs-index': patchPairsIndexMigration(),
    '0016-folded-text-statistics': foldedTextStatisticsMigration(db.dialect),
  };
}

/**
 * Brings the schema up to date. Safe to run at every start and from several processes:
 * applied migrations are recorded and skipped, and Kysely's migrator takes a lock.
 */
export async function migrateToLatest(db: PatchwardenDb): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrationsFor(db) };
  const migrator = new Migrator({ db: db.kysely, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed on ${db.location}: ${(error as Error).message ?? String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
