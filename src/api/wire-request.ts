/**
 * Reading request bodies and query strings the way the console APIs' existing clients send them:
 * property names in any case, booleans and numbers sent as strings (`"True"`, `"12345"`),
 * explicit nulls and empty query values meaning "not given".
 */
import { unpairedSurrogateIndex } from '../qql/index.js';

export class WireRequestError extends Error {
  constructor(readonly field: string, message: string, readonly status: 400 | 404 = 400) {
    super(message);
    this.name = 'WireRequestError';
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/** A view of a JSON object or query string whose keys are looked up case-insensitively. */
export class LenientFields {
  private readonly byLowerName = new Map<string, unknown>();

  constructor(source: unknown, private readonly where: 'body' | 'query') {
    if (source !== undefined && source !== null && (typeof source !== 'object' || Array.isArray(source))) {
      throw new WireRequestError(where, where === 'body' ? 'the request body must be a JSON object' : 'malformed query string');
    }
    for (const [key, value] of Object.entries((source ?? {}) as Record<string, unknown>)) {
      this.byLowerName.set(key.toLowerCase(), value);
    }
  }

  /** The raw value, with null, undefined and (in query strings) empty text all meaning absent. */
  raw(name: string): unknown {
    let value = this.byLowerName.get(name.toLowerCase());
    if (Array.isArray(value) && this.where === 'query') value = value[value.length - 1];
    if (value === null || value === undefined) return undefined;
    if (this.where === 'query' && value === '') return undefined;
    return value;
  }

  string(name: string, options: { required?: boolean; maxLength?: number } = {}): string | undefined {
    const value = this.raw(name);
    if (value === undefined) {
      if (options.required) throw new WireRequestError(name, `${name} is required`);
      return undefined;
    }
    if (typeof value !== 'string' && typeof value !== 'number') throw new WireRequestError(name, `${name} must be a string`);
    const text = String(value).trim();
    // PostgreSQL cannot store U+0000 in text: refuse it here rather than fail with a 500 there.
    if (text.includes('\u0000')) throw new WireRequestError(name, `${name} must not contain NUL (U+0000) characters`);
    if (unpairedSurrogateIndex(text) >= 0) throw new WireRequestError(name, UNPAIRED_SURROGATE(name));
    if (options.required && text === '') throw new WireRequestError(name, `${name} must not be empty`);
    const max = options.maxLength ?? 1024;
    if (text.length > max) throw new WireRequestError(name, `${name} must be at most ${max} characters`);
    return text;
  }

  /** A comma-separated list (`a, b,c`): its items trimmed, empty ones dropped; undefined when absent. */
  commaList(name: string, options: { maxLength?: number } = {}): string[] | undefined {
    return this.string(name, options)?.split(',').map((item) => item.trim()).filter((item) => item !== '');
  }

  guid(name: string, options: { required?: boolean } = {}): string | undefined {
    const text = this.string(name, options);
    if (text === undefined || (text === '' && !options.required)) return undefined;
    if (!isGuid(text)) throw new WireRequestError(name, `${name} must be a GUID such as 01234567-89ab-cdef-0123-456789abcdef; got "${truncate(text)}"`);
    return text.toLowerCase();
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string') {
      const lower = value.trim().toLowerCase();
      if (lower === 'true' || lower === '1') return true;
      if (lower === 'false' || lower === '0') return false;
    }
    if (value === 1 || value === 0) return value === 1;
    throw new WireRequestError(name, `${name} must be true or false; got ${truncate(JSON.stringify(value))}`);
  }

  integer(name: string, options: { min: number; max: number; fallback?: number }): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return options.fallback;
    const parsed = parseWireInteger(value);
    if (parsed === undefined && typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) {
      throw new WireRequestError(name, `${name} must be between ${options.min} and ${options.max}; got ${truncate(value.trim())}`);
    }
    if (parsed === undefined && typeof value === 'number' && Number.isInteger(value)) {
      // A JSON number beyond 2^53 (1e20, 9007199254740993): whole, but out of any range here.
      throw new WireRequestError(name, `${name} must be between ${options.min} and ${options.max}; got ${truncate(String(value))}`);
    }
    if (parsed === undefined) throw new WireRequestError(name, `${name} must be a whole number; got ${truncate(JSON.stringify(value))}`);
    if (parsed < options.min || parsed > options.max) {
      throw new WireRequestError(name, `${name} must be between ${options.min} and ${options.max}; got ${parsed}`);
    }
    return parsed;
  }

  stringArray(name: string, options: { maxItems?: number } = {}): string[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    const items = Array.isArray(value) ? value : [value];
    const max = options.maxItems ?? 10_000;
    if (items.length > max) throw new WireRequestError(name, `${name} may hold at most ${max} items`);
    return items.map((item, i) => {
      if (typeof item !== 'string' || item.trim() === '') throw new WireRequestError(name, `${name}[${i}] must be a non-empty string`);
      if (item.length > 255) throw new WireRequestError(name, `${name}[${i}] must be at most 255 characters`);
      if (item.includes('\u0000')) throw new WireRequestError(name, `${name}[${i}] must not contain NUL (U+0000) characters`);
      if (unpairedSurrogateIndex(item) >= 0) throw new WireRequestError(name, UNPAIRED_SURROGATE(`${name}[${i}]`));
      return item.trim();
    });
  }

  integerArray(name: string): number[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    const items = Array.isArray(value) ? value : [value];
    return items.map((item, i) => {
      const parsed = parseWireInteger(item);
      if (parsed === undefined || parsed < 1) throw new WireRequestError(name, `${name}[${i}] must be a positive whole number; got ${truncate(JSON.stringify(item))}`);
      return parsed;
    });
  }

  /** An ISO-8601 date or date-time; returned normalised to UTC ISO text. */
  dateTime(name: string): string | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const time = /^\d{4}-\d{2}-\d{2}([Tt ][\d:.]+([Zz]|[+-]\d{2}:?\d{2})?)?$/.test(text) && isCalendarDate(text.slice(0, 10))
      ? Date.parse(text.replace(' ', 'T')) : Number.NaN;
    if (Number.isNaN(time)) throw new WireRequestError(name, `${name} must be a date such as 2024-05-01 or 2024-05-01T12:00:00Z; got "${truncate(text)}"`);
    return new Date(time).toISOString();
  }

  enumValue<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const text = this.string(name);
    if (text === undefined || text === '') return fallback;
    const match = allowed.find((a) => a.toLowerCase() === text.toLowerCase());
    if (!match) throw new WireRequestError(name, `${name} must be one of ${allowed.join(', ')}; got "${truncate(text)}"`);
    return match;
  }
}

function parseWireInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*-?\d{1,16}\s*$/.test(value)) {
    const parsed = Number.parseInt(value, 10);
    return Number.isSafeInteger(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** Whether `YYYY-MM-DD` names a real day (Date.parse rolls 2024-02-30 over to March 1st). */
function isCalendarDate(ymd: string): boolean {
  const [year, month, day] = ymd.split('-').map(Number);
  const probe = new Date(0);
  probe.setUTCFullYear(year, month - 1, day);
  return probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}

const UNPAIRED_SURROGATE = (name: string) => `${name} must be valid Unicode text; it holds an unpaired UTF-16 surrogate (half of a character)`;

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
