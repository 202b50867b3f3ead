/**
 * Errors found before any route runs — a request head too large to read, a path that is not
 * valid percent-encoding, a path segment too long, a query string whose percent-encoding is not
 * UTF-8 — answered in the error format of the API the URL belongs to: `{"_error": {...}}` under
 * `/pm` (clients without `_error` crash), `{"message": ...}` elsewhere.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { PmErrorCode, pmErrorBody } from './pm/pm-errors.js';
import { WireRequestError } from './wire-request.js';

/**
 * Largest request head (request line and headers) the server reads. Node's default is 16 KiB; a
 * GET count with two QQL parameters at their 4,000-character limit can take 72 KiB once
 * percent-encoded (a non-ASCII character becomes up to 9 characters).
 */
export const MAX_REQUEST_HEAD_BYTES = 128 * 1024;

/** Longest path parameter (an id in the path) the router takes; longer ones are refused with 414. */
export const MAX_PATH_PARAMETER_LENGTH = 1024;

function isPatchManagementPath(path: string): boolean {
  return /^\/pm(\/|$|\?)/i.test(path);
}

/** The error body of the API `path` belongs to. */
function errorBodyFor(path: string, status: number, message: string): object {
  if (!isPatchManagementPath(path)) return { message };
  return pmErrorBody(status >= 500 ? PmErrorCode.Internal : PmErrorCode.InvalidRequest, message);
}

/**
 * Fastify's `frameworkErrors`: a path that does not decode (`%ZZ`, bytes that are not UTF-8) or
 * whose parameter is longer than the router takes.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.raw.url ?? '';
  if (error.code === 'FST_ERR_BAD_URL') {
    return reply.code(400).send(errorBodyFor(path, 400, 'the URL path is not valid percent-encoded UTF-8 (such as %ZZ, or bytes that are no UTF-8 character)'));
  }
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return reply.code(414).send(errorBodyFor(path, 414, `a path segment is longer than ${MAX_PATH_PARAMETER_LENGTH.toLocaleString('en-US')} characters; no id is that long`));
  }
  request.log.error({ err: error }, 'request failed before routing');
  return reply.code(500).send(errorBodyFor(path, 500, 'internal error; the console log has the details'));
}

/**
 * The HTTP server's `clientError`: a request Node could not parse (head too large, malformed,
 * too slow). Which API it was for is unknown (the path was not read: the bytes in hand are those
 * of the packet that overflowed), so the body carries both formats: `_error` for Patch
 * Management clients, `message` for the others.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] = error.code === 'HPE_HEADER_OVERFLOW'
    ? [431, `the request line and headers exceed ${MAX_REQUEST_HEAD_BYTES / 1024} KiB; send long queries in a POST body where the API takes one`]
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'the request was not received in time']
      : [400, 'the request is not valid HTTP/1.1'];
  const body = JSON.stringify({ ...pmErrorBody(PmErrorCode.InvalidRequest, message), message });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

/**
 * Refuses a query string whose percent-encoding does not decode to UTF-8 (`%FF`, a lone `%C3`):
 * the parser would hand such a value on undecoded, and it would fail later with a misleading
 * message (a QQL error about `title%3A%FF`).
 */
export function checkQueryStringEncoding(request: FastifyRequest): void {
  const url = request.raw.url ?? '';
  const start = url.indexOf('?');
  if (start < 0) return;
  for (const pair of url.slice(start + 1).split('&')) {
    const equals = pair.indexOf('=');
    const [name, value] = equals < 0 ? [pair, ''] : [pair.slice(0, equals), pair.slice(equals + 1)];
    if (!decodes(name)) throw new WireRequestError('query', 'a query parameter name is not valid percent-encoded UTF-8');
    if (!decodes(value)) {
      throw new WireRequestError(decodeURIComponent(name), `query parameter ${decodeURIComponent(name)} is not valid percent-encoded UTF-8 (such as %FF, or %C3 without its second byte)`);
    }
  }
}

/** Whether form-encoded text (`+` for a space) percent-decodes to UTF-8. */
function decodes(text: string): boolean {
  try {
    decodeURIComponent(text.replace(/\+/g, ' '));
    return true;
  } catch {
    return false;
  }
}
