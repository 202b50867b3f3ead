import { Type, type Static } from 'typebox';

/**
 * Response shapes of the Patch Management API's patch, asset, vulnerability and patch-catalog
 * endpoints. The qualysdk client builds its objects with `cls(**json)`, so a single key outside
 * its field set crashes it: each shape here declares only keys of that set (spec §2.14), and
 * Fastify serialises responses through these schemas, so nothing undeclared ever reaches a client.
 *
 * Every property is optional because `attributes=id,title` asks for a subset; absent data is
 * left out rather than sent as null.
 */

const PackageDetail = Type.Object({
  packageName: Type.String(),
  architecture: Type.String(),
});

/** `Patch` (qualysdk `Patch.py`): one patch with its live counts over the scanned assets. */
export const PmPatch = Type.Object({
  id: Type.Optional(Type.String()),
  title: Type.Optional(Type.String()),
  /** `Security` or `NonSecurity`. */
  type: Type.Optional(Type.String()),
  platform: Type.Optional(Type.String()),
  architecture: Type.Optional(Type.Array(Type.String())),
  bulletin: Type.Optional(Type.String()),
  cve: Type.Optional(Type.Array(Type.String())),
  kb: Type.Optional(Type.String()),
  modifiedDate: Type.Optional(Type.Integer()),
  appFamily: Type.Optional(Type.String()),
  product: Type.Optional(Type.Array(Type.String())),
  publishedDate: Type.Optional(Type.Integer()),
  qid: Type.Optional(Type.Array(Type.Integer())),
  rebootRequired: Type.Optional(Type.Boolean()),
  supersededBy: Type.Optional(Type.Array(Type.String())),
  supersedes: Type.Optional(Type.Array(Type.String())),
  vendor: Type.Optional(Type.String()),
  vendorSeverity: Type.Optional(Type.String()),
  missingCount: Type.Optional(Type.Integer()),
  installedCount: Type.Optional(Type.Integer()),
  enabled: Type.Optional(Type.Boolean()),
  packageDetails: Type.Optional(Type.Array(PackageDetail)),
  isSecurity: Type.Optional(Type.Boolean()),
  isSuperseded: Type.Optional(Type.Boolean()),
  isRollback: Type.Optional(Type.Boolean()),
  isCustomizedDownloadUrl: Type.Optional(Type.Boolean()),
});
export type PmPatchWire = Static<typeof PmPatch>;

/** Every key the client's `Patch` accepts (for `attributes`), including ones this console never fills. */
export const PATCH_WIRE_KEYS = [
  'id', 'title', 'type', 'platform', 'architecture', 'bulletin', 'category', 'cve', 'kb', 'modifiedDate', 'appFamily', 'product',
  'publishedDate', 'qid', 'rebootRequired', 'supersededBy', 'supersedes', 'vendor', 'vendorSeverity', 'vendorlink', 'missingCount',
  'installedCount', 'downloadMethod', 'advisory', 'enabled', 'packageDetails', 'isSecurity', 'isSuperseded', 'isRollback',
  'isCustomizedDownloadUrl',
] as const;

/**
 * `Asset` (qualysdk `PMAsset.py`): one scanned machine with its current patch status. `tags` holds
 * tag-id strings (the client wraps each as `Tag(id=...)`); `interfaces` PMInterface objects.
 * `status` is whether patch management is on for the asset: `Enabled` for every machine the
 * console manages (nothing turns it off yet).
 */
export const PmAsset = Type.Object({
  id: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  operatingSystem: Type.Optional(Type.String()),
  platform: Type.Optional(Type.String()),
  osIdentifier: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Array(Type.String())),
  interfaces: Type.Optional(Type.Array(Type.Object({
    interfaceName: Type.Optional(Type.String()),
    macAddress: Type.Optional(Type.String()),
    address: Type.Optional(Type.String()),
    gatewayAddress: Type.Optional(Type.String()),
  }))),
  installedPatchCount: Type.Optional(Type.Integer()),
  missingPatchCount: Type.Optional(Type.Integer()),
  nonSupersededMissingPatchCount: Type.Optional(Type.Integer()),
  scanDateTime: Type.Optional(Type.Integer()),
  architecture: Type.Optional(Type.String()),
  status: Type.Optional(Type.String()),
});
export type PmAssetWire = Static<typeof PmAsset>;

export const ASSET_WIRE_KEYS = [
  'id', 'name', 'operatingSystem', 'version', 'platform', 'osIdentifier', 'tags', 'interfaces', 'scanStatus', 'status', 'statusCode',
  'installedPatchCount', 'missingPatchCount', 'nonSupersededMissingPatchCount', 'activatedModules', 'lastLoggedOnUser', 'scanDateTime',
  'statusDateTime', 'hardware', 'hardware_model', 'hardware_manufacturer', 'architecture', 'osNotSupportedForModules',
] as const;

/** `PMVulnerability`: a QID with its CVEs. */
export const PmVulnerability = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  cves: Type.Array(Type.String()),
  detectedDate: Type.Optional(Type.Integer()),
  severity: Type.Integer(),
  vulnType: Type.String(),
});
export type PmVulnerabilityWire = Static<typeof PmVulnerability>;

/** `CatalogPatch` (qualysdk `CatalogPatch.py`): a patch as the catalog describes it, without counts. */
export const PmCatalogPatch = Type.Object({
  patchId: Type.Optional(Type.String()),
  id: Type.Optional(Type.String()),
  title: Type.Optional(Type.String()),
  type: Type.Optional(Type.String()),
  appFamily: Type.Optional(Type.String()),
  vendor: Type.Optional(Type.String()),
  product: Type.Optional(Type.Array(Type.String())),
  platform: Type.Optional(Type.String()),
  kb: Type.Optional(Type.String()),
  isSuperseded: Type.Optional(Type.Boolean()),
  isSecurity: Type.Optional(Type.Boolean()),
  isRollback: Type.Optional(Type.Boolean()),
  deleted: Type.Optional(Type.Boolean()),
  rebootRequired: Type.Optional(Type.Boolean()),
  vendorSeverity: Type.Optional(Type.String()),
  qid: Type.Optional(Type.Array(Type.Integer())),
  enabled: Type.Optional(Type.Boolean()),
  supersedes: Type.Optional(Type.Array(Type.String())),
  cve: Type.Optional(Type.Array(Type.String())),
  architecture: Type.Optional(Type.Array(Type.String())),
  packageDetails: Type.Optional(Type.Array(Type.Object({
    packageName: Type.String(),
    architecture: Type.String(),
    patchId: Type.String(),
  }))),
  syncDateTime: Type.Optional(Type.Integer()),
  modifiedDate: Type.Optional(Type.Integer()),
  publishedDate: Type.Optional(Type.Integer()),
  isEsuPatch: Type.Optional(Type.Boolean()),
  supersededBy: Type.Optional(Type.Array(Type.String())),
  bulletin: Type.Optional(Type.String()),
});
export type PmCatalogPatchWire = Static<typeof PmCatalogPatch>;

export const CATALOG_PATCH_WIRE_KEYS = [
  'patchId', 'id', 'title', 'type', 'appFamily', 'vendor', 'product', 'platform', 'kb', 'isSuperseded', 'isSecurity', 'isRollback',
  'servicePack', 'advisory', 'vendorlink', 'osIdentifier', 'advisoryLink', 'deleted', 'rebootRequired', 'vendorSeverity', 'description',
  'qid', 'enabled', 'downloadMethod', 'supportedOs', 'supersedes', 'notification', 'cve', 'architecture', 'packageDetails',
  'patchFeedProviderId', 'syncDateTime', 'vendorPatchId', 'modifiedDate', 'publishedDate', 'category', 'isEsuPatch', 'supersededBy',
  'bulletin',
] as const;

/** One binary package of a Linux patch (`GET /pm/v1/patchcatalog/patch/packages`). */
export const PmPatchPackage = PackageDetail;
export type PmPatchPackageWire = Static<typeof PmPatchPackage>;

/** `GET /pm/v1/patchcatalog/patch/{id}/products`: one entry naming the patch's products. */
export const PmPatchProducts = Type.Object({ product: Type.Array(Type.String()) });

/**
 * `GET /pm/v1/patchcatalog/patch/products/vulnerability/count` (qualysdk `ProductVulnCount.py`,
 * whose other field, `severity`, the client adds itself): one product and its vulnerabilities.
 * The QID lists are QIDs joined by commas.
 */
export const PmProductVulnCount = Type.Object({
  name: Type.String(),
  totalQIDCount: Type.Integer(),
  patchableQIDCount: Type.Integer(),
  type: Type.String(),
  patchableQIDs: Type.String(),
  totalQIDs: Type.String(),
});
export type PmProductVulnCountWire = Static<typeof PmProductVulnCount>;

export const PmPatchCount = Type.Object({ patches: Type.Object({ count: Type.Integer() }) });
/** Not in any qualysdk release; the shape mirrors the patch count (spec §2.15, inferred). */
export const PmAssetCount = Type.Object({ assets: Type.Object({ count: Type.Integer() }) });

export const PmAssetUuidMapping = Type.Object({
  mappedAssets: Type.Array(Type.Object({ assetId: Type.Integer(), assetUuid: Type.String() })),
  unmappedAssets: Type.Array(Type.Integer()),
});
export type PmAssetUuidMappingWire = Static<typeof PmAssetUuidMapping>;
