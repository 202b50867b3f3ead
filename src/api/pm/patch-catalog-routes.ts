/**
 * The patch catalog of the Patch Management API (spec §2.13): catalog entries by patch UUID, the
 * binary packages of a Linux patch, the products a patch updates (for a Linux patch, its source
 * package), and the count of each product's vulnerabilities on the fleet.
 */
import type { FastifyInstance } from 'fastify';
import type { ConsoleServices } from '../console-services.js';
import { LenientFields, WireRequestError } from '../wire-request.js';
import { compileQqlToPredicate } from '../../qql/index.js';
import { PatchCatalogQueries, type CatalogPatchDetails } from '../../catalog/patch-catalog-queries.js';
import {
  CATALOG_PATCH_WIRE_KEYS, PmCatalogPatch, PmPatchPackage, PmPatchProducts, PmProductVulnCount, type PmCatalogPatchWire, type PmPatchPackageWire,
  type PmProductVulnCountWire,
} from './pm-wire-models.js';
import { PATCH_PACKAGE_QQL_TOKENS, VENDOR_SEVERITIES } from './patch-qql-tokens.js';
import { answeringQqlErrors, readQqlParameter } from './patch-routes.js';
import { pickAttributes, readAttributes } from './attributes.js';
import { PmErrorCode, PmRequestError } from './pm-errors.js';
import { RECORD_LIMIT } from './search-after.js';
import { PATCH_PLATFORMS } from '../../assess/types.js';

/** The client's `CatalogPatch` object: only its field names (spec §2.14). */
export function catalogPatchToWire(patch: CatalogPatchDetails): PmCatalogPatchWire {
  return {
    patchId: patch.id,
    id: patch.id,
    title: patch.title,
    type: patch.patchType === 'SecurityPatch' ? 'Security' : 'NonSecurity',
    appFamily: patch.sourceName,
    vendor: patch.vendor,
    product: [patch.sourceName],
    platform: patch.platform,
    kb: patch.kb,
    isSuperseded: false,
    isSecurity: patch.isSecurity,
    isRollback: false,
    deleted: false,
    rebootRequired: patch.rebootRequired,
    vendorSeverity: patch.vendorSeverity,
    qid: patch.qids,
    enabled: true,
    supersedes: [],
    cve: patch.cves,
    architecture: patch.architectures,
    packageDetails: patch.packages.map((p) => ({ packageName: p.packageName, architecture: p.architecture, patchId: patch.id })),
    syncDateTime: patch.modifiedMs,
    modifiedDate: patch.modifiedMs,
    publishedDate: patch.publishedMs,
    isEsuPatch: false,
    supersededBy: [],
    bulletin: patch.bulletin,
  };
}

/** Source packages that are the operating system's kernel rather than an application on it. */
const KERNEL_SOURCE = /^(linux|kernel)(-|$)/;

/**
 * `severityList`: one vendor severity as the client sends it (`Critical`), or several joined by
 * commas; absent means all of them.
 */
function readSeverityList(fields: LenientFields): string[] {
  const words = fields.commaList('severityList', { maxLength: 200 });
  if (words === undefined) return [...VENDOR_SEVERITIES];
  const severities = new Set<string>();
  for (const word of words) {
    const severity = VENDOR_SEVERITIES.find((s) => s.toLowerCase() === word.toLowerCase());
    if (!severity) throw new WireRequestError('severityList', `severityList: "${word.slice(0, 40)}" is not a vendor severity; use ${VENDOR_SEVERITIES.join(', ')}`);
    severities.add(severity);
  }
  return severities.size > 0 ? [...severities] : [...VENDOR_SEVERITIES];
}

/**
 * A product's vulnerabilities on the fleet: its QIDs that some machine still has, through a
 * missing patch. A vulnerability is found only through the patch that fixes it, so every one
 * counted is patchable.
 */
function productVulnCountToWire(product: string, qids: readonly number[]): PmProductVulnCountWire {
  const list = qids.join(',');
  return {
    name: product, totalQIDCount: qids.length, patchableQIDCount: qids.length,
    type: KERNEL_SOURCE.test(product) ? 'OS' : 'Application', patchableQIDs: list, totalQIDs: list,
  };
}

function notFound(patchId: string): PmRequestError {
  return new PmRequestError(404, PmErrorCode.NotFound, `no patch with id ${JSON.stringify(patchId.slice(0, 80))} in the patch catalog`, { field: 'patchUuid' });
}

export function registerPatchCatalogRoutes(app: FastifyInstance, services: ConsoleServices): void {
  const catalog = new PatchCatalogQueries(services.db);

  app.post('/v1/patchcatalog/patches', { schema: { response: { 200: { type: 'array', items: PmCatalogPatch } } } }, async (request) => {
    const queryString = new LenientFields(request.query, 'query');
    const body = new LenientFields(request.body, 'body');
    const platform = queryString.string('platform') ? queryString.enumValue('platform', PATCH_PLATFORMS, 'Linux') : undefined;
    const attributes = readAttributes(queryString.raw('attributes') !== undefined ? queryString : body, CATALOG_PATCH_WIRE_KEYS);
    const raw = body.raw('patchUuid');
    if (raw === undefined) throw new WireRequestError('patchUuid', 'patchUuid is required: send {"patchUuid": ["<patch id>", ...]}');
    const items = Array.isArray(raw) ? raw : [raw];
    if (items.length > RECORD_LIMIT) {
      throw new PmRequestError(400, PmErrorCode.RecordLimit, `at most ${RECORD_LIMIT.toLocaleString('en-US')} patch ids per request; got ${items.length}`);
    }
    const ids = items.map((item, i) => {
      if ((typeof item !== 'string' && typeof item !== 'number') || String(item).trim() === '' || String(item).length > 255 || String(item).includes('\u0000')) {
        throw new WireRequestError('patchUuid', `patchUuid[${i}] must be a patch id (a non-empty string of at most 255 characters); got ${JSON.stringify(item)?.slice(0, 80)}`);
      }
      return String(item).trim().toLowerCase();
    });
    const patches = await catalog.patchesById(ids, { platform });
    return patches.map((patch) => pickAttributes(catalogPatchToWire(patch), attributes));
  });

  app.get('/v1/patchcatalog/patch/packages', { schema: { response: { 200: { type: 'array', items: PmPatchPackage } } } }, answeringQqlErrors(async (request) => {
    const fields = new LenientFields(request.query, 'query');
    const patchId = fields.string('patchUuid', { required: true, maxLength: 255 })!;
    const pageNumber = fields.integer('pageNumber', { min: 0, max: 1_000_000, fallback: 0 })!;
    const pageSize = fields.integer('pageSize', { min: 1, max: RECORD_LIMIT, fallback: 10 })!;
    const filter = readQqlParameter(fields, 'filter', PATCH_PACKAGE_QQL_TOKENS);
    const patch = await catalog.patchById(patchId.toLowerCase());
    if (!patch) throw notFound(patchId);
    const matches = filter ? compileQqlToPredicate(filter, PATCH_PACKAGE_QQL_TOKENS) : () => true;
    const packages: PmPatchPackageWire[] = patch.packages
      .map((p) => ({ packageName: p.packageName, architecture: p.architecture }))
      .filter(matches)
      .sort((a, b) => (a.packageName === b.packageName ? (a.architecture < b.architecture ? -1 : 1) : a.packageName < b.packageName ? -1 : 1));
    return packages.slice(pageNumber * pageSize, (pageNumber + 1) * pageSize);
  }));

  app.get('/v1/patchcatalog/patch/products/vulnerability/count', { schema: { response: { 200: { type: 'array', items: PmProductVulnCount } } } }, async (request) => {
    const fields = new LenientFields(request.query, 'query');
    const severities = readSeverityList(fields);
    // Assets carry no tags yet: a tag filter keeps no machine.
    if ((fields.commaList('tagUUIDs', { maxLength: 100_000 }) ?? []).length > 0) return [];
    const products = await catalog.activeQidsByProduct(severities);
    return products.map(({ product, qids }) => productVulnCountToWire(product, qids))
      .sort((a, b) => b.totalQIDCount - a.totalQIDCount || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  });

  app.get('/v1/patchcatalog/patch/:patchId/products', { schema: { response: { 200: { type: 'array', items: PmPatchProducts } } } }, async (request) => {
    const patchId = String((request.params as { patchId: string }).patchId ?? '').trim();
    const patch = patchId.length <= 255 && !patchId.includes('\u0000') ? await catalog.patchById(patchId.toLowerCase()) : undefined;
    if (!patch) throw notFound(patchId);
    return [{ product: [patch.sourceName] }];
  });
}
