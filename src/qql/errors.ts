/**
 * Errors raised by the QQL engine. Every one carries where in the query text it happened
 * (`position`, a 0-based character offset), what was there (`found`) and what would have been
 * valid (`expected`), and its message states all three.
 */

/** What `found` holds when the query ended where something else was needed. */
export const END_OF_QUERY = 'end of query';

export type QqlErrorKind =
  /** The text is not QQL: bad character, unterminated quote, misplaced operator, … */
  | 'syntax'
  /** The query is longer or deeper than the engine accepts. */
  | 'limit'
  /** A token the entity does not have. */
  | 'unknown-token'
  /** A value that does not fit its token's type, or an operator the type does not support. */
  | 'type';

export interface QqlErrorDetails {
  kind: QqlErrorKind;
  position: number;
  found: string;
  expected: string;
  /** The token the error is about, when there is one. */
  token?: string;
  /** Replaces the default description that opens the message. */
  summary?: string;
}

/** Shortens what was found, for messages: a whole 4,000-character query is no help there. */
function showFound(found: string): string {
  if (found === END_OF_QUERY) return END_OF_QUERY;
  const shown = found.length > 40 ? `${found.slice(0, 37)}...` : found;
  return JSON.stringify(shown);
}

export class QqlError extends Error {
  readonly kind: QqlErrorKind;
  /** 0-based character offset into the query text. */
  readonly position: number;
  /** The text at `position` (the lexeme, token name or value), or `end of query`. */
  readonly found: string;
  /** What would have been valid at `position`, in words. */
  readonly expected: string;
  readonly token?: string;

  constructor(details: QqlErrorDetails) {
    const summary = details.summary ?? 'Invalid QQL';
    super(`${summary} at position ${details.position}: found ${showFound(details.found)}, expected ${details.expected}`);
    this.name = 'QqlError';
    this.kind = details.kind;
    this.position = details.position;
    this.found = details.found;
    this.expected = details.expected;
    if (details.token !== undefined) this.token = details.token;
  }
}

/** The text could not be parsed (including the length and nesting limits). */
export class QqlSyntaxError extends QqlError {
  constructor(details: Omit<QqlErrorDetails, 'kind'> & { kind?: 'syntax' | 'limit' }) {
    super({ ...details, kind: details.kind ?? 'syntax', summary: details.summary ?? 'QQL syntax error' });
    this.name = 'QqlSyntaxError';
  }
}

/** The query parsed but does not fit the entity's token table. */
export class QqlValidationError extends QqlError {
  constructor(details: Omit<QqlErrorDetails, 'kind'> & { kind: 'unknown-token' | 'type' }) {
    super(details);
    this.name = 'QqlValidationError';
  }
}

export function isQqlError(error: unknown): error is QqlError {
  return error instanceof QqlError;
}

