/**
 * Assets of the Patch Management API: `POST /pm/v1/assets` (paged like the patches, spec §2.10),
 * `GET /pm/v1/assets/count` and `POST /pm/v1/assets/uuids`.
 *
 * An asset is a scanned machine (one with an asset UUID). Its `id` in every PM response is that
 * UUID. The "asset id" that `POST /pm/v1/assets/uuids` maps to it is the console's numeric id of
 * the machine (its row in `machines`, stable across scans; not the per-scan machine id of the
 * scan API). Ids that name no such machine come back in `unmappedAssets`.
 *
 * `GET /pm/v1/assets/count` exists in no qualysdk release (spec §2.15); it answers
 * `{"assets":{"count":N}}`, the shape of the patch count with `assets` for `patches`.
 */
import type { FastifyInstance } from 'fastify';
import type { ConsoleServices } from '../console-services.js';
import { LenientFields, WireRequestError } from '../wire-request.js';
import { AssetPatchQueries, type AssetRecord } from '../../scans/asset-patch-queries.js';
import { ASSET_WIRE_KEYS, PmAsset, PmAssetCount, PmAssetUuidMapping, type PmAssetUuidMappingWire, type PmAssetWire } from './pm-wire-models.js';
import { ASSET_QQL_TOKENS, ASSET_STATUS } from './asset-qql-tokens.js';
import { PATCH_PAIR_QQL_TOKENS, PATCH_QQL_TOKENS } from './patch-qql-tokens.js';
import { answeringQqlErrors, readListingRequest, readQqlParameter } from './patch-routes.js';
import { pickAttributes } from './attributes.js';
import { pageLimit, readSearchAfter, recordLimitExceeded, RECORD_LIMIT, sendSearchAfter } from './search-after.js';
import { PmErrorCode, PmRequestError } from './pm-errors.js';
import { PATCH_PLATFORMS } from '../../assess/types.js';

/** The SDK's page size for assets, which its docstring also gives as the maximum. */
const ASSET_PAGE_SIZE = 400;

/** The client's `Asset` object: only its field names (spec §2.14). */
export function assetToWire(asset: AssetRecord): PmAssetWire {
  const wire: PmAssetWire = {
    id: asset.assetUuid,
    name: asset.name,
    platform: asset.platform,
    tags: [],
    interfaces: [],
    status: ASSET_STATUS,
  };
  if (asset.operatingSystem !== null) wire.operatingSystem = asset.operatingSystem;
  if (asset.osIdentifier !== null) wire.osIdentifier = asset.osIdentifier;
  if (asset.architecture !== null) wire.architecture = asset.architecture;
  if (asset.lastScannedMs !== null && Number.isFinite(asset.lastScannedMs)) wire.scanDateTime = asset.lastScannedMs;
  if (asset.installedPatchCount !== undefined) wire.installedPatchCount = asset.installedPatchCount;
  if (asset.missingPatchCount !== undefined) {
    wire.missingPatchCount = asset.missingPatchCount;
    // Supersession is not tracked yet: every missing patch is a non-superseded one.
    wire.nonSupersededMissingPatchCount = asset.missingPatchCount;
  }
  return wire;
}

/** `["123","456"]` or `[123,456]`: the machines' numeric ids. */
function readAssetIds(body: unknown): number[] {
  if (body === undefined) throw new WireRequestError('body', 'the request body must be a JSON array of asset ids, e.g. [123, 456]');
  if (!Array.isArray(body)) throw new WireRequestError('body', 'the request body must be a JSON array of asset ids (numbers or digit strings), e.g. [123, 456]');
  if (body.length > RECORD_LIMIT) {
    throw new PmRequestError(400, PmErrorCode.RecordLimit, `at most ${RECORD_LIMIT.toLocaleString('en-US')} asset ids per request; got ${body.length}`);
  }
  return body.map((item, i) => {
    const id = typeof item === 'number' ? item : typeof item === 'string' && /^\s*\d+\s*$/.test(item) ? Number(item.trim()) : Number.NaN;
    if (Number.isInteger(id) && !Number.isSafeInteger(id)) {
      // Past 2^53 the number cannot be told from its neighbours (JSON readers round it).
      throw new WireRequestError(`[${i}]`, `[${i}]: asset id ${typeof item === 'string' ? item.trim().slice(0, 40) : String(item)} is too large; asset ids are at most ${Number.MAX_SAFE_INTEGER}`);
    }
    if (!Number.isSafeInteger(id) || id < 0) {
      throw new WireRequestError(`[${i}]`, `[${i}]: an asset id is a whole number (the machine's numeric id), as a number or a digit string; got ${JSON.stringify(item)?.slice(0, 80)}`);
    }
    return id;
  });
}

export function registerAssetRoutes(app: FastifyInstance, services: ConsoleServices): void {
  const queries = new AssetPatchQueries(services.db, { patches: PATCH_QQL_TOKENS, patchPairs: PATCH_PAIR_QQL_TOKENS, assets: ASSET_QQL_TOKENS });

  app.post('/v1/assets', { schema: { response: { 200: { type: 'array', items: PmAsset } } } }, answeringQqlErrors(async (request, reply) => {
    const listing = readListingRequest(request, {
      defaultPageSize: ASSET_PAGE_SIZE, maxPageSize: ASSET_PAGE_SIZE, queryTokens: ASSET_QQL_TOKENS, havingTokens: PATCH_QQL_TOKENS, attributeKeys: ASSET_WIRE_KEYS,
    });
    const cursor = readSearchAfter(request, 'integer');
    const position = cursor?.position ?? 0;
    const selection = { platform: listing.platform, query: listing.query, havingQuery: listing.havingQuery };
    const limit = pageLimit(position, listing.pageSize);
    if (limit === 0) {
      const beyond = await queries.listAssets(selection, { afterMachineId: cursor?.lastKey, limit: 1 }, { counts: false });
      if (beyond.length > 0) throw recordLimitExceeded();
      return [];
    }
    const attributes = listing.attributes;
    const counts = !attributes || ['installedPatchCount', 'missingPatchCount', 'nonSupersededMissingPatchCount'].some((key) => attributes.has(key));
    const assets = await queries.listAssets(selection, { afterMachineId: cursor?.lastKey, limit }, { counts });
    sendSearchAfter(reply, position, limit, { count: assets.length, lastKey: assets.at(-1)?.machineId });
    return assets.map((asset) => pickAttributes(assetToWire(asset), attributes));
  }));

  /** Not in any qualysdk release (spec §2.15): the analogue of the patch count. */
  app.get('/v1/assets/count', { schema: { response: { 200: PmAssetCount } } }, answeringQqlErrors(async (request) => {
    const fields = new LenientFields(request.query, 'query');
    const platform = fields.string('platform') ? fields.enumValue('platform', PATCH_PLATFORMS, 'Linux') : undefined;
    const count = await queries.countAssets({
      platform,
      query: readQqlParameter(fields, 'query', ASSET_QQL_TOKENS),
      havingQuery: readQqlParameter(fields, 'havingQuery', PATCH_QQL_TOKENS),
    });
    return { assets: { count } };
  }));

  app.post('/v1/assets/uuids', { schema: { response: { 200: PmAssetUuidMapping } } }, async (request): Promise<PmAssetUuidMappingWire> => {
    const ids = readAssetIds(request.body);
    const uuids = await queries.assetUuidsByMachineId(ids);
    const mapped: PmAssetUuidMappingWire['mappedAssets'] = [];
    const unmapped: number[] = [];
    const seen = new Set<number>();
    for (const id of ids) {
      if (seen.has(id)) continue;
      seen.add(id);
      const uuid = uuids.get(id);
      if (uuid === undefined) unmapped.push(id);
      else mapped.push({ assetId: id, assetUuid: uuid });
    }
    return { mappedAssets: mapped, unmappedAssets: unmapped };
  });
}
