/**
 * `attributes=id,title`, the response keys a Patch Management listing should return (patches,
 * assets, catalog patches, jobs): read against the listed object's keys, and applied to each
 * record.
 */
import { LenientFields, WireRequestError } from '../wire-request.js';

/** Longest `attributes` value read: room for every key of the largest object (jobs) many times. */
const ATTRIBUTES_MAX_LENGTH = 10_000;

/**
 * The keys wanted, or undefined for all. Names are matched ignoring case against the client's
 * field set and returned as it spells them; a name outside it is refused.
 */
export function readAttributes(fields: LenientFields, allowed: readonly string[]): Set<string> | undefined {
  const names = fields.commaList('attributes', { maxLength: ATTRIBUTES_MAX_LENGTH });
  if (names === undefined || names.length === 0) return undefined;
  const byLower = new Map(allowed.map((name) => [name.toLowerCase(), name]));
  const wanted = new Set<string>();
  for (const name of names) {
    const canonical = byLower.get(name.toLowerCase());
    if (!canonical) {
      throw new WireRequestError('attributes', `attributes: "${name.length > 60 ? `${name.slice(0, 57)}...` : name}" is not a field of this object; allowed: ${allowed.join(', ')}`);
    }
    wanted.add(canonical);
  }
  return wanted;
}

/** Keeps only the wanted keys of a wire object, in its own order; all of them without `wanted`. */
export function pickAttributes<T extends object>(wire: T, wanted: ReadonlySet<string> | undefined): T {
  if (!wanted) return wire;
  const picked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(wire)) if (wanted.has(key)) picked[key] = value;
  return picked as T;
}
