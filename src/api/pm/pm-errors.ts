/**
 * Errors of the Patch Management API. Every non-2xx answer of `/pm` is a JSON object whose only
 * key is `_error` (clients read `_error.errorCode`; without `_error` they crash).
 */
export const PmErrorCode = {
  InvalidRequest: '1001',
  InvalidQuery: '1002',
  Unauthorized: '1401',
  NotFound: '1404',
  MethodNotAllowed: '1405',
  Conflict: '1409',
  UnsupportedMediaType: '1415',
  Internal: '1500',
  /** The query would return more than 10,000 records: narrow it. */
  RecordLimit: '2501',
} as const;

export class PmRequestError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly details: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = 'PmRequestError';
  }
}

export function pmErrorBody(errorCode: string, message: string, details: Record<string, string | number> = {}) {
  return { _error: { errorCode, message, timestamp: Date.now(), ...details } };
}
