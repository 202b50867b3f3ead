/**
 * Patch QQL of the Patch Management API: the `query` of `POST /pm/v2/patches` and
 * `GET /pm/v1/patches/count`, the `havingQuery` of the asset endpoints, and the `filter` of a
 * Linux patch's package list.
 *
 * Documented tokens (spec §4): patchStatus, isSuperseded, isSecurity, vendorSeverity, appFamily.
 * The others mirror the Patch response fields. For Linux patches `appFamily` and `product` are
 * the source package name. `vendorSeverity` also takes 5–1 (Critical, Important, Moderate, Low,
 * None), as the SDK's `vendorSeverity:5` example writes it. Supersession is not tracked yet, so
 * `isSuperseded` is false for every patch.
 */
import { defineQqlTokenTable, type QqlTokenDefinition, type QqlTokenTable } from '../../qql/index.js';
import { PM_VIEWS, type PmPatchViewRow, type PmPatchPairViewRow } from '../../scans/asset-patch-queries.js';
import type { PatchPackageRef } from '../../catalog/patch-catalog-queries.js';

type PatchColumn = keyof PmPatchViewRow;
const column = (name: PatchColumn): PatchColumn => name;

export const VENDOR_SEVERITIES = ['Critical', 'Important', 'Moderate', 'Low', 'None'] as const;

/** Tokens common to both views; `patchStatus` differs (see below). */
const COMMON_PATCH_TOKENS: QqlTokenDefinition[] = [
  { name: 'id', type: 'string', column: column('id'), description: 'patch id (UUID)' },
  { name: 'title', type: 'text', column: column('title') },
  {
    name: 'type', type: 'enum', column: column('patch_kind'), enumValues: ['Security', 'NonSecurity'],
    enumAliases: { SecurityPatch: 'Security', NonSecurityPatch: 'NonSecurity' },
  },
  { name: 'platform', type: 'enum', column: column('platform'), enumValues: ['Windows', 'Linux'] },
  { name: 'bulletin', type: 'string', column: column('bulletin') },
  { name: 'kb', type: 'string', column: column('kb') },
  { name: 'vendor', type: 'string', column: column('vendor') },
  {
    name: 'vendorSeverity', type: 'enum', column: column('vendor_severity'), enumValues: VENDOR_SEVERITIES,
    enumAliases: { 5: 'Critical', 4: 'Important', 3: 'Moderate', 2: 'Low', 1: 'None' },
  },
  { name: 'isSecurity', type: 'boolean', column: column('is_security') },
  { name: 'isSuperseded', type: 'boolean', column: column('is_superseded') },
  { name: 'isRollback', type: 'boolean', column: column('is_rollback') },
  { name: 'enabled', type: 'boolean', column: column('enabled') },
  { name: 'rebootRequired', type: 'boolean', column: column('reboot_required') },
  { name: 'appFamily', type: 'string', column: column('source_name'), description: 'source package name' },
  { name: 'product', type: 'string', column: column('source_name'), description: 'source package name' },
  { name: 'publishedDate', type: 'date', column: column('published_ms') },
  { name: 'modifiedDate', type: 'date', column: column('modified_ms') },
  { name: 'missingCount', type: 'number', column: column('missing_count'), description: 'assets missing the patch' },
  { name: 'installedCount', type: 'number', column: column('installed_count'), description: 'assets with the patch installed' },
  {
    name: 'architecture', type: 'string',
    multiValued: { table: PM_VIEWS.patchArchitectures, foreignKey: 'patch_id', column: 'architecture', parentKey: column('id') },
  },
  { name: 'cve', type: 'string', multiValued: { table: 'patch_cves', foreignKey: 'patch_id', column: 'cve', parentKey: column('id') } },
  { name: 'qid', type: 'number', multiValued: { table: 'patch_qids', foreignKey: 'patch_id', column: 'qid', parentKey: column('id') } },
];

const PATCH_STATUSES = ['Missing', 'Installed'] as const;

/** Patch QQL over every patch: `patchStatus:Missing` = missing on at least one asset. */
export const PATCH_QQL_TOKENS: QqlTokenTable = defineQqlTokenTable({
  entity: 'patch',
  table: PM_VIEWS.patches,
  primaryKey: column('id'),
  tokens: [
    ...COMMON_PATCH_TOKENS,
    {
      name: 'patchStatus', type: 'enum', enumValues: PATCH_STATUSES,
      multiValued: { table: PM_VIEWS.patchFleetStates, foreignKey: 'patch_id', column: 'patch_status', parentKey: column('id') },
      description: 'Missing or Installed on at least one asset',
    },
  ],
});

/**
 * The same tokens over (patch, asset) pairs, used when a patch query meets an asset query:
 * `patchStatus` is then the patch's state on that one asset.
 */
export const PATCH_PAIR_QQL_TOKENS: QqlTokenTable = defineQqlTokenTable({
  entity: 'patch',
  table: PM_VIEWS.patchPairs,
  primaryKey: column('id'),
  tokens: [
    ...COMMON_PATCH_TOKENS,
    {
      name: 'patchStatus', type: 'enum', enumValues: PATCH_STATUSES, column: 'patch_status' satisfies keyof PmPatchPairViewRow,
      description: 'Missing or Installed on this asset',
    },
  ],
});

/** The `filter` of `GET /pm/v1/patchcatalog/patch/packages`, evaluated in memory on each package. */
export const PATCH_PACKAGE_QQL_TOKENS: QqlTokenTable<PatchPackageRef> = defineQqlTokenTable<PatchPackageRef>({
  entity: 'package',
  table: 'patch_packages',
  tokens: [
    { name: 'packageName', type: 'text', column: 'packageName' },
    { name: 'architecture', type: 'string', column: 'architecture' },
  ],
});
