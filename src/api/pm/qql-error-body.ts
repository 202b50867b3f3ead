import type { QqlError } from '../../qql/index.js';
import { PmErrorCode } from './pm-errors.js';

/**
 * The 400 body the PM API returns for a bad QQL parameter. The qualysdk client only looks for the
 * `_error` object and its `errorCode` (2501 is reserved for the 10,000-record limit, so any other
 * code makes list_jobs stop quietly); the rest is there for people reading the response.
 */
export interface PmQqlErrorBody {
  _error: {
    errorCode: string;
    message: string;
    /** Epoch milliseconds, as in every other `_error`. */
    timestamp: number;
    qql: {
      parameter?: string;
      position: number;
      found: string;
      expected: string;
      token?: string;
    };
  };
}

/**
 * Turns a QQL error into the PM API's 400 response. `parameter` names the request field the
 * query came from (`query`, `havingQuery`, `filter`, `dynamicPatchesQQL`…) so the message says
 * which of several queries was wrong.
 */
export function pmQqlErrorResponse(error: QqlError, parameter?: string): { statusCode: 400; body: PmQqlErrorBody } {
  const qql: PmQqlErrorBody['_error']['qql'] = { position: error.position, found: error.found, expected: error.expected };
  if (parameter !== undefined) qql.parameter = parameter;
  if (error.token !== undefined) qql.token = error.token;
  const message = parameter === undefined ? error.message : `${parameter}: ${error.message}`;
  return { statusCode: 400, body: { _error: { errorCode: PmErrorCode.InvalidQuery, message, timestamp: Date.now(), qql } } };
}
