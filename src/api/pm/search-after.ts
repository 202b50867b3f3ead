/**
 * Search-after paging of `POST /pm/v2/patches` and `POST /pm/v1/assets`, as the qualysdk client
 * drives it: a full page carries a `searchAfter` response header; the client sends that value
 * back unchanged as the `searchAfter` request header of the next call, and stops at the first page
 * shorter than `pageSize` (so when the total is an exact multiple, one more call gets `[]`).
 *
 * The value is opaque to clients: base64url of `[position, lastKey]`, where `position` counts the
 * records already returned (for the 10,000-record limit) and `lastKey` is the sort key of the last
 * record (patch id, or machine id for assets), so the next page starts right after it whatever
 * was added or removed meanwhile, and every record is visited once.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PmErrorCode, PmRequestError } from './pm-errors.js';
import { WireRequestError } from '../wire-request.js';

export const SEARCH_AFTER_HEADER = 'searchAfter';

/** Qualys' limit: no listing goes past this many records (error 2501). */
export const RECORD_LIMIT = 10_000;

export interface SearchAfterCursor<K extends string | number> {
  /** Records returned before this page. */
  position: number;
  /** Sort key of the last record returned. */
  lastKey: K;
}

export function encodeSearchAfter(cursor: SearchAfterCursor<string | number>): string {
  return Buffer.from(JSON.stringify([cursor.position, cursor.lastKey]), 'utf8').toString('base64url');
}

function invalid(reason: string): WireRequestError {
  return new WireRequestError(SEARCH_AFTER_HEADER,
    `the searchAfter header is not valid (${reason}): send back exactly the value of the previous response's searchAfter header, or no header for the first page`);
}

/**
 * Reads the request's `searchAfter` header: undefined for the first page. `keyKind` is the type
 * of the listing's sort key, so a value from the other listing is refused too.
 */
export function readSearchAfter(request: FastifyRequest, keyKind: 'string'): SearchAfterCursor<string> | undefined;
export function readSearchAfter(request: FastifyRequest, keyKind: 'integer'): SearchAfterCursor<number> | undefined;
export function readSearchAfter(request: FastifyRequest, keyKind: 'string' | 'integer'): SearchAfterCursor<string | number> | undefined {
  let header = request.headers.searchafter;
  if (Array.isArray(header)) header = header[header.length - 1];
  if (header === undefined) return undefined;
  const text = header.trim();
  if (text === '') return undefined;
  if (text.length > 512 || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalid('not a value this console issued');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not a value this console issued');
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw invalid('not a value this console issued');
  const [position, lastKey] = decoded as [unknown, unknown];
  if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 1) throw invalid('bad position');
  if (keyKind === 'string' && (typeof lastKey !== 'string' || lastKey === '' || lastKey.length > 255)) throw invalid('it belongs to another listing');
  if (keyKind === 'integer' && (typeof lastKey !== 'number' || !Number.isSafeInteger(lastKey) || lastKey < 0 || lastKey > 2_147_483_647)) throw invalid('it belongs to another listing');
  return { position, lastKey: lastKey as string | number };
}

/**
 * How many records the page may hold: never past record 10,000. Zero means the page would start
 * beyond it; the caller then answers `[]` if nothing is left, or {@link recordLimitExceeded}.
 */
export function pageLimit(position: number, pageSize: number): number {
  return Math.max(0, Math.min(pageSize, RECORD_LIMIT - position));
}

/** Qualys' error 2501: the listing would go past its 10,000th record. */
export function recordLimitExceeded(): PmRequestError {
  return new PmRequestError(400, PmErrorCode.RecordLimit,
    `the query matches more than ${RECORD_LIMIT.toLocaleString('en-US')} records, the most one listing returns: narrow it with query or havingQuery`);
}

/**
 * Sets the `searchAfter` response header when the page is full (more records may follow). A short
 * page ends the listing, so it carries none.
 */
export function sendSearchAfter<K extends string | number>(reply: FastifyReply, position: number, limit: number, page: { count: number; lastKey: K | undefined }): void {
  if (limit === 0 || page.count < limit || page.lastKey === undefined) return;
  reply.header(SEARCH_AFTER_HEADER, encodeSearchAfter({ position: position + page.count, lastKey: page.lastKey }));
}
