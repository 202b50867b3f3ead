/**
 * Asset (host) QQL of the Patch Management API: the `query` of `POST /pm/v1/assets` and
 * `GET /pm/v1/assets/count`, and the `havingQuery` of the patch endpoints.
 *
 * Documented tokens (spec §4): `name`, `tags.name`; the others mirror the Asset response fields.
 * `lastScanDate` is another name for `scanDateTime`. Assets carry no tags yet, so `tags.name` and
 * `tags.id` parse but match no asset. `patchStatus:Missing` selects assets with at least one
 * missing patch (the SDK documents `get_assets(query="patchStatus:Missing")`). `status` is the
 * asset's patch management status, `Enabled` for every machine the console manages (the spec's
 * documented `status:Enabled`); `Disabled` is valid and matches none yet.
 */
import { defineQqlTokenTable, type QqlTokenTable } from '../../qql/index.js';
import { PM_VIEWS, type PmAssetViewRow } from '../../scans/asset-patch-queries.js';

type AssetColumn = keyof PmAssetViewRow;
const column = (name: AssetColumn): AssetColumn => name;

/** What every asset's `status` says: the console manages every machine it has scanned. */
export const ASSET_STATUS = 'Enabled';

export const ASSET_QQL_TOKENS: QqlTokenTable = defineQqlTokenTable({
  entity: 'asset',
  table: PM_VIEWS.assets,
  primaryKey: column('machine_id'),
  tokens: [
    { name: 'id', type: 'string', column: column('asset_uuid'), description: 'asset id (UUID)' },
    { name: 'name', type: 'text', column: column('name') },
    { name: 'operatingSystem', type: 'text', column: column('os_name') },
    { name: 'osIdentifier', type: 'string', column: column('os_identifier') },
    { name: 'architecture', type: 'string', column: column('architecture') },
    { name: 'platform', type: 'enum', column: column('platform'), enumValues: ['Windows', 'Linux'] },
    { name: 'status', type: 'enum', column: column('status'), enumValues: ['Enabled', 'Disabled'], description: 'patch management status' },
    { name: 'missingPatchCount', type: 'number', column: column('missing_patch_count') },
    { name: 'nonSupersededMissingPatchCount', type: 'number', column: column('missing_patch_count') },
    { name: 'installedPatchCount', type: 'number', column: column('installed_patch_count') },
    { name: 'scanDateTime', type: 'date', dateStorage: 'iso-8601', column: column('last_scanned_at') },
    { name: 'lastScanDate', type: 'date', dateStorage: 'iso-8601', column: column('last_scanned_at') },
    { name: 'tags.name', type: 'string', multiValued: { table: PM_VIEWS.assetTags, foreignKey: 'machine_id', column: 'tag_name' } },
    { name: 'tags.id', type: 'string', multiValued: { table: PM_VIEWS.assetTags, foreignKey: 'machine_id', column: 'tag_id' } },
    {
      name: 'patchStatus', type: 'enum', enumValues: ['Missing', 'Installed'],
      multiValued: { table: PM_VIEWS.patchStates, foreignKey: 'machine_id', column: 'patch_status' },
      description: 'the asset has at least one patch in this state',
    },
  ],
});
