/**
 * The machines and patches a deployment job names by id must be this console's: an asset it has
 * scanned and a patch of its catalog, both of the job's platform. A mistyped id is refused when
 * the job is created, instead of leaving a job that targets nothing while counting one asset.
 *
 * Tag ids are not checked: assets carry no tags yet, so no tag id could be resolved; they are
 * stored for when tags are.
 */
import type { Kysely } from 'kysely';
import type { PatchwardenDb } from '../db/database.js';
import type { PatchwardenTables } from '../db/schema.js';
import type { PatchPlatform } from '../assess/types.js';
import { chunked } from '../catalog/patch-catalog-queries.js';
import { withPmViews } from '../scans/pm-query-views.js';
import { DeploymentJobValidationError } from './deployment-job-validation.js';

/** A found record: its id, a name for messages, and its platform. */
interface Referenced {
  id: string;
  name: string;
  platform: string;
}

/** How many records a message names before "and N more". */
const NAMED_IN_MESSAGE = 5;

/** Records named in a message: the first few, joined by commas, then "and N more". */
export function namedInMessage(names: readonly string[]): string {
  const named = names.slice(0, NAMED_IN_MESSAGE).join(', ');
  return names.length > NAMED_IN_MESSAGE ? `${named} and ${names.length - NAMED_IN_MESSAGE} more` : named;
}

async function lookUp(ids: readonly string[], find: (chunk: string[]) => Promise<Referenced[]>): Promise<Map<string, Referenced>> {
  const found = new Map<string, Referenced>();
  for (const chunk of chunked(ids)) for (const row of await find(chunk)) found.set(row.id, row);
  return found;
}

/**
 * Refuses ids that name nothing (`no asset has id …`) and, where `platform` is given, records of
 * another platform. Throws DeploymentJobValidationError naming the field.
 */
function check(field: string, kind: 'asset' | 'patch', ids: readonly string[], found: Map<string, Referenced>, platform?: PatchPlatform): void {
  const unknown = ids.filter((id) => !found.has(id));
  if (unknown.length > 0) {
    const where = kind === 'asset' ? 'no asset (a machine this console has scanned) has' : 'no patch of the catalog has';
    throw new DeploymentJobValidationError(field, `${field}: ${where} id ${namedInMessage(unknown)}`);
  }
  if (platform === undefined) return;
  const other = ids.map((id) => found.get(id)!).find((record) => record.platform !== platform);
  if (other) {
    const what = kind === 'asset' ? `asset ${other.id} (${other.name}) is a ${other.platform} machine` : `patch ${other.id} (${other.name}) is a ${other.platform} patch`;
    const rule = kind === 'asset' ? `targets only ${platform} assets` : `installs only ${platform} patches`;
    throw new DeploymentJobValidationError(field, `${field}: ${what}; a ${platform} job ${rule}`);
  }
}

/**
 * Checks a job's asset and patch ids (already GUIDs in lower case) in the transaction that stores
 * it: targeted assets and approved patches must exist and be of the job's platform; excluded
 * assets must exist (excluding a machine of another platform is harmless).
 */
export async function checkJobReferences(
  db: Kysely<PatchwardenTables>, dialect: PatchwardenDb['dialect'],
  job: { platform: PatchPlatform; assetIds: readonly string[]; exclusionAssetIds: readonly string[]; approvedPatchIds: readonly string[] },
): Promise<void> {
  const assets = await lookUp([...new Set([...job.assetIds, ...job.exclusionAssetIds])], (chunk) =>
    withPmViews(db, dialect, ['pm_assets']).selectFrom('pm_assets')
      .select(['pm_assets.asset_uuid as id', 'pm_assets.name', 'pm_assets.platform']).where('pm_assets.asset_uuid', 'in', chunk).execute());
  check('assetIds', 'asset', job.assetIds, assets, job.platform);
  check('exclusionAssetIds', 'asset', job.exclusionAssetIds, assets);
  const patches = await lookUp(job.approvedPatchIds, (chunk) =>
    db.selectFrom('patches').select(['id', 'title as name', 'platform']).where('id', 'in', chunk).execute());
  check('approvedPatches', 'patch', job.approvedPatchIds, patches, job.platform);
}
