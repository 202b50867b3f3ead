import { isIP } from 'node:net';

/**
 * Discovery filters of machine groups: what each category means, how its `name` is checked,
 * and how a group's filters become the endpoint names a scan reaches.
 */

export const DISCOVERY_FILTER_CATEGORIES = ['MachineName', 'DomainName', 'IPAddress', 'IPRange', 'NestedGroup'] as const;
export type DiscoveryFilterCategory = (typeof DISCOVERY_FILTER_CATEGORIES)[number];

/** The most addresses one IP range may hold (a /16). */
export const MAX_IP_RANGE_ADDRESSES = 65_536;

/** A filter as the domain stores it. */
export interface DiscoveryFilter {
  id: number;
  groupId: number;
  category: DiscoveryFilterCategory;
  /** Machine name, DNS domain, IP address, `first-last` IP range, or the nested group's name. */
  name: string;
  isExcluded: boolean;
  adminCredentialId: string | null;
  nestedGroupId: number | null;
  notes: string;
}

/** A filter that does not make sense; `field` names the offending property. */
export class DiscoveryFilterError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'DiscoveryFilterError';
  }
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;

/** Whether `name` is a host name or DNS domain that a collector could resolve. */
export function isHostName(name: string): boolean {
  return HOST_NAME.test(name);
}

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function numberToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Parses `a.b.c.d-e.f.g.h` (IPv4, first ≤ last, at most MAX_IP_RANGE_ADDRESSES addresses). */
export function parseIpRange(text: string, field: string): { first: number; last: number } {
  const parts = text.split('-').map((p) => p.trim());
  if (parts.length !== 2 || parts.some((p) => p === '')) {
    throw new DiscoveryFilterError(field, `an IP range is written first-last, e.g. 10.0.0.1-10.0.0.254; got "${text}"`);
  }
  for (const part of parts) {
    if (isIP(part) === 6) throw new DiscoveryFilterError(field, `IP ranges of IPv6 addresses are not supported; list IPv6 machines as IPAddress filters (got "${text}")`);
    if (isIP(part) !== 4) throw new DiscoveryFilterError(field, `"${part}" in the IP range "${text}" is not an IPv4 address`);
  }
  const first = ipv4ToNumber(parts[0]);
  const last = ipv4ToNumber(parts[1]);
  if (first > last) throw new DiscoveryFilterError(field, `the IP range "${text}" ends before it starts; write the lower address first`);
  const size = last - first + 1;
  if (size > MAX_IP_RANGE_ADDRESSES) {
    throw new DiscoveryFilterError(field, `the IP range "${text}" holds ${size} addresses; at most ${MAX_IP_RANGE_ADDRESSES} are allowed in one range (split it into several filters)`);
  }
  return { first, last };
}

/** Checks a filter's name for its category and returns it normalised (ranges without spaces). */
export function normaliseFilterName(category: DiscoveryFilterCategory, name: string, field: string): string {
  switch (category) {
    case 'MachineName':
      if (!isHostName(name)) throw new DiscoveryFilterError(field, `"${name}" is not a valid machine name (letters, digits, hyphens, dots)`);
      return name;
    case 'DomainName':
      if (!isHostName(name)) throw new DiscoveryFilterError(field, `"${name}" is not a valid DNS domain name`);
      return name.replace(/\.$/, '');
    case 'IPAddress':
      if (isIP(name) === 0) throw new DiscoveryFilterError(field, `"${name}" is not an IPv4 or IPv6 address`);
      return name;
    case 'IPRange': {
      const { first, last } = parseIpRange(name, field);
      return `${numberToIpv4(first)}-${numberToIpv4(last)}`;
    }
    case 'NestedGroup':
      return name;
  }
}

/** What a group expands to: endpoint names, each with the filter credential that applies. */
export interface ResolvedEndpoint {
  endpoint: string;
  /** The including filter's adminCredentialId, else its group's credentialId. */
  credentialId: string | null;
}

/** Reads groups and their filters for the resolver (the machine group service provides it). */
export interface GroupSource {
  group(id: number): Promise<{ id: number; name: string; credentialId: string | null } | undefined>;
  filters(groupId: number): Promise<DiscoveryFilter[]>;
  /** Known machines in a DNS domain: their DNS names (or names). */
  machinesInDomain(domain: string): Promise<string[]>;
}

export class GroupCycleError extends Error {
  constructor(readonly chain: string[]) {
    super(`machine groups nest each other in a cycle: ${chain.join(' → ')}`);
    this.name = 'GroupCycleError';
  }
}

/** A group the resolver was asked for, or that a filter nests, does not exist. */
export class MissingGroupError extends Error {
  constructor(readonly groupId: number, readonly parentName?: string) {
    super(parentName === undefined ? `machine group ${groupId} does not exist`
      : `machine group "${parentName}" nests machine group ${groupId}, which does not exist`);
    this.name = 'MissingGroupError';
  }
}

function inRange(endpoint: string, range: { first: number; last: number }): boolean {
  if (isIP(endpoint) !== 4) return false;
  const value = ipv4ToNumber(endpoint);
  return value >= range.first && value <= range.last;
}

/**
 * Expands a machine group into endpoint names: included machine names, addresses, every
 * address of included ranges, known machines of included domains, nested groups recursively,
 * minus whatever the exclusions match. Names are compared case-insensitively; the first
 * spelling and the first credential met are kept. A cycle of nested groups is refused.
 */
export async function resolveMachineGroup(source: GroupSource, groupId: number, trail: string[] = []): Promise<ResolvedEndpoint[]> {
  const group = await source.group(groupId);
  if (!group) throw new MissingGroupError(groupId, trail.at(-1));
  if (trail.includes(group.name)) throw new GroupCycleError([...trail.slice(trail.indexOf(group.name)), group.name]);
  const chain = [...trail, group.name];
  const filters = await source.filters(groupId);
  const included = new Map<string, ResolvedEndpoint>();
  const add = (endpoint: string, credentialId: string | null) => {
    const key = endpoint.toLowerCase();
    if (!included.has(key)) included.set(key, { endpoint, credentialId });
  };
  const excludedNames = new Set<string>();
  const excludedRanges: Array<{ first: number; last: number }> = [];
  const excludedDomains: string[] = [];

  for (const filter of filters) {
    const credential = filter.adminCredentialId ?? group.credentialId;
    if (filter.isExcluded) {
      switch (filter.category) {
        case 'MachineName': case 'IPAddress': excludedNames.add(filter.name.toLowerCase()); break;
        case 'IPRange': excludedRanges.push(parseIpRange(filter.name, 'name')); break;
        case 'DomainName':
          excludedDomains.push(filter.name.toLowerCase());
          for (const name of await source.machinesInDomain(filter.name)) excludedNames.add(name.toLowerCase());
          break;
        case 'NestedGroup':
          for (const inner of await resolveMachineGroup(source, filter.nestedGroupId!, chain)) excludedNames.add(inner.endpoint.toLowerCase());
          break;
      }
      continue;
    }
    switch (filter.category) {
      case 'MachineName': case 'IPAddress': add(filter.name, credential); break;
      case 'IPRange': {
        const { first, last } = parseIpRange(filter.name, 'name');
        for (let value = first; value <= last; value++) add(numberToIpv4(value), credential);
        break;
      }
      case 'DomainName':
        for (const name of await source.machinesInDomain(filter.name)) add(name, credential);
        break;
      case 'NestedGroup':
        for (const inner of await resolveMachineGroup(source, filter.nestedGroupId!, chain)) add(inner.endpoint, filter.adminCredentialId ?? inner.credentialId ?? group.credentialId);
        break;
    }
  }
  return [...included.values()].filter(({ endpoint }) => {
    const key = endpoint.toLowerCase();
    if (excludedNames.has(key)) return false;
    if (excludedRanges.some((range) => inRange(endpoint, range))) return false;
    return !excludedDomains.some((domain) => key.endsWith(`.${domain}`));
  });
}
