/**
 * Patches of the Patch Management API: `POST /pm/v2/patches` (search-after paging through
 * headers), the same listing as `GET /pm/v1/patches`, and `GET /pm/v1/patches/count`. Also the
 * request reading shared with the asset listing, which the SDK drives the same way (spec §2.9,
 * §2.10).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleServices } from '../console-services.js';
import { LenientFields } from '../wire-request.js';
import { readAttributes } from './attributes.js';
import { isQqlError, parseQql, validateQql, type QqlError, type QqlNode, type QqlTokenTable } from '../../qql/index.js';
import { AssetPatchQueries } from '../../scans/asset-patch-queries.js';
import { PATCH_WIRE_KEYS, PmPatch, PmPatchCount } from './pm-wire-models.js';
import { PATCH_WIRE_DOCUMENT, patchWireFields } from './patch-wire-document.js';
import { PatchListingDocumentUpkeep } from './patch-listing-upkeep.js';
import { PATCH_PAIR_QQL_TOKENS, PATCH_QQL_TOKENS } from './patch-qql-tokens.js';
import { ASSET_QQL_TOKENS } from './asset-qql-tokens.js';
import { pageLimit, readSearchAfter, recordLimitExceeded, sendSearchAfter } from './search-after.js';
import { pmQqlErrorResponse } from './qql-error-body.js';
import { PATCH_PLATFORMS } from '../../assess/types.js';

/** A QQL parameter that failed to parse or validate, answered as the QQL engine's 400 body. */
export class QqlParameterError extends Error {
  constructor(readonly parameter: string, readonly qqlError: QqlError) {
    super(qqlError.message);
    this.name = 'QqlParameterError';
  }
}

/**
 * Runs a handler, answering a bad QQL parameter with a 400 whose `_error` names the parameter,
 * the position, what was found and what was expected.
 */
export function answeringQqlErrors<R>(handler: (request: FastifyRequest, reply: FastifyReply) => Promise<R>) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<R | FastifyReply> => {
    try {
      return await handler(request, reply);
    } catch (error) {
      if (error instanceof QqlParameterError) {
        const { body } = pmQqlErrorResponse(error.qqlError, error.parameter);
        return reply.code(400).send(body);
      }
      throw error;
    }
  };
}

/**
 * QQL text is read whatever its length (the body and head limits bound it) and handed to the QQL
 * engine, whose own limit (QQL_LIMITS.maxLength) refuses a long query with the same 1002 answer,
 * naming the position, as any other bad query.
 */
export const QQL_TEXT_READ_LIMIT = Number.MAX_SAFE_INTEGER;

/** Parses and validates one QQL parameter; empty means absent. */
export function readQqlParameter(fields: LenientFields, parameter: string, tokens: QqlTokenTable<any>): QqlNode | undefined {
  const text = fields.string(parameter, { maxLength: QQL_TEXT_READ_LIMIT });
  if (text === undefined || text === '') return undefined;
  try {
    const ast = parseQql(text);
    validateQql(ast, tokens);
    return ast;
  } catch (error) {
    if (isQqlError(error)) throw new QqlParameterError(parameter, error);
    throw error;
  }
}

export interface ListingRequest {
  pageSize: number;
  platform?: string;
  query?: QqlNode;
  havingQuery?: QqlNode;
  attributes?: Set<string>;
}

/**
 * Reads a listing request: `pageSize` and `platform` from the query string; `query`,
 * `havingQuery` and `attributes` from the JSON body (which may be absent altogether) or, failing
 * that, the query string.
 */
export function readListingRequest(request: FastifyRequest, options: {
  defaultPageSize: number; maxPageSize: number; queryTokens: QqlTokenTable<any>; havingTokens: QqlTokenTable<any>; attributeKeys: readonly string[];
}): ListingRequest {
  const queryString = new LenientFields(request.query, 'query');
  const body = new LenientFields(request.body, 'body');
  const pick = (name: string) => (body.raw(name) !== undefined ? body : queryString);
  const pageSize = queryString.integer('pageSize', { min: 1, max: options.maxPageSize, fallback: options.defaultPageSize })!;
  const platform = queryString.string('platform') ? queryString.enumValue('platform', PATCH_PLATFORMS, 'Linux') : undefined;
  return {
    pageSize,
    platform,
    query: readQqlParameter(pick('query'), 'query', options.queryTokens),
    havingQuery: readQqlParameter(pick('havingQuery'), 'havingQuery', options.havingTokens),
    attributes: readAttributes(pick('attributes'), options.attributeKeys),
  };
}

export function registerPatchRoutes(app: FastifyInstance, services: ConsoleServices): void {
  const queries = new AssetPatchQueries(services.db, { patches: PATCH_QQL_TOKENS, patchPairs: PATCH_PAIR_QQL_TOKENS, assets: ASSET_QQL_TOKENS });
  // Whole documents (no `attributes`) are kept in the store; see patch-listing-upkeep.ts.
  const upkeep = new PatchListingDocumentUpkeep(services.db, PATCH_WIRE_DOCUMENT, app.log);
  app.addHook('onClose', () => upkeep.close());
  upkeep.request();

  // `GET /pm/v1/patches` (Qualys' older listing, which takes everything in the query string) is
  // answered by the same handler: the request reader falls back to the query string.
  const listPatches = answeringQqlErrors(async (request, reply) => {
    const listing = readListingRequest(request, {
      defaultPageSize: 1000, maxPageSize: 10_000, queryTokens: PATCH_QQL_TOKENS, havingTokens: ASSET_QQL_TOKENS, attributeKeys: PATCH_WIRE_KEYS,
    });
    const cursor = readSearchAfter(request, 'string');
    const position = cursor?.position ?? 0;
    const selection = { platform: listing.platform, query: listing.query, havingQuery: listing.havingQuery };
    const limit = pageLimit(position, listing.pageSize);
    if (limit === 0) {
      const beyond = await queries.listPatchIds(selection, { afterId: cursor?.lastKey, limit: 1 });
      if (beyond.length > 0) throw recordLimitExceeded();
      return [];
    }
    // The store writes each patch's JSON (only keys the response schema declares, see
    // patch-wire-document.ts), from its stored document when current, and the page is sent as
    // their array, as the store joined it.
    const whole = listing.attributes === undefined;
    const page = await queries.listPatchDocumentPage(selection, { afterId: cursor?.lastKey, limit }, patchWireFields(listing.attributes), { stored: whole });
    if (whole && page.builtLive) upkeep.request();
    sendSearchAfter(reply, position, limit, { count: page.count, lastKey: page.lastId });
    return reply.type('application/json; charset=utf-8').send(page.body);
  });
  app.post('/v2/patches', { schema: { response: { 200: { type: 'array', items: PmPatch } } } }, listPatches);
  app.get('/v1/patches', { schema: { response: { 200: { type: 'array', items: PmPatch } } } }, listPatches);

  app.get('/v1/patches/count', { schema: { response: { 200: PmPatchCount } } }, answeringQqlErrors(async (request) => {
    const fields = new LenientFields(request.query, 'query');
    const platform = fields.string('platform') ? fields.enumValue('platform', PATCH_PLATFORMS, 'Linux') : undefined;
    const count = await queries.countPatches({
      platform,
      query: readQqlParameter(fields, 'query', PATCH_QQL_TOKENS),
      havingQuery: readQqlParameter(fields, 'havingQuery', ASSET_QQL_TOKENS),
    });
    return { patches: { count } };
  }));
}
