/** A request a scans service refuses, with the field at fault. The APIs map it to a 4xx. */
export class ScanRequestError extends Error {
  constructor(readonly status: 400 | 403 | 404 | 409, message: string, readonly field?: string) {
    super(message);
    this.name = 'ScanRequestError';
  }
}
