/**
 * Strict shape checks for the Security Controls resources around scans: machine groups and
 * their discovery filters, usedby lists, machines, the console certificate and session
 * credentials. Built from the primitives of st-wire-assertions.ts, with the same strictness.
 */
import {
  arrayOf, assertLink, assertShape, bool, dateTime, guid, href, literal, nonEmptyStr, nullable, object, positiveInt, str, type Href,
} from './st-wire-assertions.js';

export const DISCOVERY_FILTER_CATEGORIES = ['MachineName', 'DomainName', 'IPAddress', 'IPRange', 'NestedGroup'] as const;

export const discoveryFilterShape = object({
  adminCredentialId: nullable(guid),
  category: literal(...DISCOVERY_FILTER_CATEGORIES),
  containerCredentialId: nullable(guid),
  id: positiveInt,
  includeChildOU: bool,
  isExcluded: bool,
  links: object({ self: href }),
  name: nonEmptyStr,
  nestedGroupId: nullable(positiveInt),
  notes: str,
});

export const machineGroupShape = object({
  connectionMethod: literal('Inherit', 'IPAddress', 'Fqdn', 'HostName'),
  creator: nonEmptyStr,
  credentialId: nullable(guid),
  description: str,
  discoveryFilters: arrayOf(discoveryFilterShape),
  id: positiveInt,
  isBuiltIn: bool,
  isReadOnly: bool,
  links: object({ self: href, discoveryFilters: href, usedby: href, virtualMachineDiscoveryFilters: href }),
  name: nonEmptyStr,
  path: str,
  serverFilterTypes: nonEmptyStr,
  virtualMachineDiscoveryFilters: arrayOf(object({})),
});

export const usedByShape = object({ name: nonEmptyStr, usageType: literal('MachineGroup', 'PatchScan') });

export const machineShape = object({
  assignedGroup: str,
  consoleName: nonEmptyStr,
  dnsName: nullable(nonEmptyStr),
  domain: str,
  id: positiveInt,
  ipAddress: nullable(nonEmptyStr),
  lastPatchScanDate: nullable(dateTime),
  links: object({ self: href }),
  name: nonEmptyStr,
  operatingSystem: nullable(nonEmptyStr),
});

export const certificateShape = object({ derEncoded: nonEmptyStr });
export const sessionCredentialCreatedShape = object({ created: literal(true) });

export function assertMachineGroup(value: unknown, consoleUrl: string): asserts value is MachineGroupWire {
  assertShape(value, machineGroupShape, 'machineGroup');
  const group = value as MachineGroupWire;
  assertLink(group.links.self, consoleUrl, `machinegroups/${group.id}`);
  assertLink(group.links.discoveryFilters, consoleUrl, `machinegroups/${group.id}/discoveryFilters`);
  assertLink(group.links.usedby, consoleUrl, `machinegroups/${group.id}/usedby`);
  assertLink(group.links.virtualMachineDiscoveryFilters, consoleUrl, `machinegroups/${group.id}/virtualMachineDiscoveryFilters`);
  for (const filter of group.discoveryFilters) assertLink(filter.links.self, consoleUrl, `machinegroups/${group.id}/discoveryFilters/${filter.id}`);
}

export function assertMachine(value: unknown, consoleUrl: string): asserts value is MachineWire {
  assertShape(value, machineShape, 'machine');
  const machine = value as MachineWire;
  assertLink(machine.links.self, consoleUrl, `machines/${machine.id}`);
}

export interface DiscoveryFilterWire {
  adminCredentialId: string | null; category: string; containerCredentialId: string | null; id: number; includeChildOU: boolean;
  isExcluded: boolean; links: { self: Href }; name: string; nestedGroupId: number | null; notes: string;
}
export interface MachineGroupWire {
  connectionMethod: string; creator: string; credentialId: string | null; description: string; discoveryFilters: DiscoveryFilterWire[];
  id: number; isBuiltIn: boolean; isReadOnly: boolean;
  links: { self: Href; discoveryFilters: Href; usedby: Href; virtualMachineDiscoveryFilters: Href };
  name: string; path: string; serverFilterTypes: string; virtualMachineDiscoveryFilters: unknown[];
}
export interface MachineWire {
  assignedGroup: string; consoleName: string; dnsName: string | null; domain: string; id: number; ipAddress: string | null;
  lastPatchScanDate: string | null; links: { self: Href }; name: string; operatingSystem: string | null;
}
