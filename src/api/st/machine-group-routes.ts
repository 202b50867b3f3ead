import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ConsoleServices } from '../console-services.js';
import { LenientFields, WireRequestError } from '../wire-request.js';
import { LinkBuilder, pageEnvelope } from './links.js';
import { ListOf } from './wire-models.js';
import type { MachineGroup, MachineGroupInput, NewDiscoveryFilter } from '../../scans/machine-groups.js';
import type { DiscoveryFilter, DiscoveryFilterCategory } from '../../scans/discovery-filters.js';
import type { CredentialOwner } from '../../scans/credentials.js';

/** `/machinegroups` and their discovery filters. */
const Href = Type.Object({ href: Type.String() });
const NullableString = Type.Union([Type.String(), Type.Null()]);

export const DiscoveryFilterWire = Type.Object({
  adminCredentialId: NullableString,
  category: Type.String(),
  containerCredentialId: NullableString,
  id: Type.Integer(),
  includeChildOU: Type.Boolean(),
  isExcluded: Type.Boolean(),
  links: Type.Object({ self: Href }),
  name: Type.String(),
  nestedGroupId: Type.Union([Type.Integer(), Type.Null()]),
  notes: Type.String(),
});

export const MachineGroupWire = Type.Object({
  connectionMethod: Type.String(),
  creator: Type.String(),
  credentialId: NullableString,
  description: Type.String(),
  discoveryFilters: Type.Array(DiscoveryFilterWire),
  id: Type.Integer(),
  isBuiltIn: Type.Boolean(),
  isReadOnly: Type.Boolean(),
  links: Type.Object({ self: Href, discoveryFilters: Href, usedby: Href, virtualMachineDiscoveryFilters: Href }),
  name: Type.String(),
  path: Type.String(),
  serverFilterTypes: Type.String(),
  virtualMachineDiscoveryFilters: Type.Array(Type.Object({})),
});

export const UsedByWire = Type.Object({ name: Type.String(), usageType: Type.String() });

export const CONNECTION_METHODS = ['Inherit', 'IPAddress', 'Fqdn', 'HostName'] as const;

/** Category names as clients spell them, mapped to ours (lookups ignore case). */
const CATEGORY_NAMES: Record<string, DiscoveryFilterCategory> = {
  machinename: 'MachineName', domainname: 'DomainName', domain: 'DomainName', dnsname: 'DomainName',
  ipaddress: 'IPAddress', iprange: 'IPRange', nestedgroup: 'NestedGroup', machinegroup: 'NestedGroup',
};
const UNSUPPORTED_CATEGORIES = ['machinefile', 'domainfile', 'iprangefile', 'ipaddressfile', 'organizationalunit', 'virtualserverwildcard'];

function filterToWire(filter: DiscoveryFilter, links: LinkBuilder) {
  return {
    adminCredentialId: filter.adminCredentialId,
    category: filter.category,
    containerCredentialId: null,
    id: filter.id,
    includeChildOU: false,
    isExcluded: filter.isExcluded,
    links: { self: links.href(`machinegroups/${filter.groupId}/discoveryFilters/${filter.id}`) },
    name: filter.name,
    nestedGroupId: filter.nestedGroupId,
    notes: filter.notes,
  };
}

function groupToWire(group: MachineGroup, links: LinkBuilder) {
  return {
    connectionMethod: group.connectionMethod,
    creator: group.creator,
    credentialId: group.credentialId,
    description: group.description,
    discoveryFilters: group.filters.map((f) => filterToWire(f, links)),
    id: group.id,
    isBuiltIn: false,
    isReadOnly: false,
    links: {
      self: links.href(`machinegroups/${group.id}`),
      discoveryFilters: links.href(`machinegroups/${group.id}/discoveryFilters`),
      usedby: links.href(`machinegroups/${group.id}/usedby`),
      virtualMachineDiscoveryFilters: links.href(`machinegroups/${group.id}/virtualMachineDiscoveryFilters`),
    },
    name: group.name,
    path: group.path,
    serverFilterTypes: 'None',
    virtualMachineDiscoveryFilters: [],
  };
}

function readFilter(value: unknown, field: string): NewDiscoveryFilter {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new WireRequestError(field, `${field} must be an object such as {"category": "MachineName", "name": "host1"}`);
  const fields = new LenientFields(value, 'body');
  const prefixed = (inner: () => unknown) => {
    try {
      return inner();
    } catch (error) {
      if (error instanceof WireRequestError) throw new WireRequestError(`${field}.${error.field}`, `${field}.${error.message}`);
      throw error;
    }
  };
  const rawCategory = prefixed(() => fields.string('category', { required: true, maxLength: 64 })) as string;
  const category = CATEGORY_NAMES[rawCategory.toLowerCase()];
  if (!category) {
    const why = UNSUPPORTED_CATEGORIES.includes(rawCategory.toLowerCase()) ? 'is not supported by this console' : 'is not a discovery filter category';
    throw new WireRequestError(`${field}.category`, `${field}.category "${rawCategory}" ${why}; use MachineName, DomainName, IPAddress, IPRange or NestedGroup`);
  }
  if (prefixed(() => fields.guid('containerCredentialId')) !== undefined) {
    throw new WireRequestError(`${field}.containerCredentialId`, `${field}.containerCredentialId applies to organizational units and virtual servers, which this console does not support; use adminCredentialId`);
  }
  if (prefixed(() => fields.boolean('includeChildOU', false))) {
    throw new WireRequestError(`${field}.includeChildOU`, `${field}.includeChildOU applies to organizational units, which this console does not support`);
  }
  const name = prefixed(() => fields.string('name', { maxLength: 255 })) as string | undefined;
  const nestedGroupId = prefixed(() => fields.integer('nestedGroupId', { min: 1, max: Number.MAX_SAFE_INTEGER })) as number | undefined;
  if (category === 'NestedGroup' && nestedGroupId === undefined && !name) {
    throw new WireRequestError(`${field}.nestedGroupId`, `${field}: a NestedGroup filter needs nestedGroupId (or the group's name)`);
  }
  if (category !== 'NestedGroup' && nestedGroupId !== undefined) {
    throw new WireRequestError(`${field}.nestedGroupId`, `${field}.nestedGroupId is only for NestedGroup filters`);
  }
  return {
    category,
    name: name || undefined,
    isExcluded: prefixed(() => fields.boolean('isExcluded', false)) as boolean,
    adminCredentialId: (prefixed(() => fields.guid('adminCredentialId')) as string | undefined) ?? null,
    nestedGroupId: nestedGroupId ?? null,
    notes: (prefixed(() => fields.string('notes', { maxLength: 1024 })) as string | undefined) ?? '',
  };
}

function readFilters(value: unknown, field: string): NewDiscoveryFilter[] {
  const items = Array.isArray(value) ? value : [value];
  return items.map((item, i) => readFilter(item, `${field}[${i}]`));
}

function readGroup(body: unknown, forReplace: boolean): MachineGroupInput {
  const fields = new LenientFields(body, 'body');
  const errorPolicy = fields.enumValue('errorPolicy', ['Throw', 'Omit'] as const, 'Throw');
  if (errorPolicy === 'Omit') throw new WireRequestError('errorPolicy', 'errorPolicy Omit is not supported: invalid discovery filters are always refused (errorPolicy Throw)');
  const filters = fields.raw('discoveryFilters');
  if (fields.raw('virtualMachineDiscoveryFilters') !== undefined && [fields.raw('virtualMachineDiscoveryFilters')].flat().length > 0) {
    throw new WireRequestError('virtualMachineDiscoveryFilters', 'virtual machine discovery filters are not supported by this console');
  }
  return {
    name: fields.string('name', { required: true, maxLength: 255 })!,
    description: fields.string('description', { maxLength: 1024 }) ?? '',
    path: fields.string('path', { maxLength: 1024 }) ?? '',
    credentialId: fields.guid('credentialId') ?? null,
    connectionMethod: fields.enumValue('connectionMethod', CONNECTION_METHODS, 'Inherit'),
    filters: filters === undefined ? (forReplace ? undefined : []) : readFilters(filters, 'discoveryFilters'),
  };
}

function owner(request: FastifyRequest): CredentialOwner {
  return { id: request.user!.id, username: request.user!.username };
}

function groupId(request: FastifyRequest): number {
  return new LenientFields(request.params, 'query').integer('groupId', { min: 1, max: Number.MAX_SAFE_INTEGER })!;
}

function filterId(request: FastifyRequest): number {
  return new LenientFields(request.params, 'query').integer('filterId', { min: 1, max: Number.MAX_SAFE_INTEGER })!;
}

function readPage(request: FastifyRequest) {
  const fields = new LenientFields(request.query, 'query');
  return {
    fields,
    count: fields.integer('count', { min: 1, max: 1000, fallback: 10 })!,
    start: fields.integer('start', { min: 1, max: Number.MAX_SAFE_INTEGER, fallback: 1 })!,
  };
}

const groupNotFound = (id: number) => new WireRequestError('groupId', `machine group ${id} does not exist`, 404);

/** The ids of `DELETE .../discoveryFilters`: a JSON array, or an object with `ids` (or `discoveryFilterIds`). */
function readFilterIds(body: unknown): number[] {
  const holder = Array.isArray(body) ? { ids: body } : body;
  const fields = new LenientFields(holder, 'body');
  const key = fields.raw('discoveryFilterIds') !== undefined ? 'discoveryFilterIds' : fields.raw('filterIds') !== undefined ? 'filterIds' : 'ids';
  const ids = fields.integerArray(key);
  if (ids.length === 0) throw new WireRequestError('ids', 'send the ids of the discovery filters to remove, as a JSON array such as [3, 4]');
  return [...new Set(ids)];
}

export function registerMachineGroupRoutes(app: FastifyInstance, services: ConsoleServices): void {
  const groups = services.machineGroups;

  app.get('/machinegroups', { schema: { response: { 200: ListOf(MachineGroupWire) } } }, async (request) => {
    const { fields, count, start } = readPage(request);
    const rows = await groups.list({ count, start, name: fields.string('name', { maxLength: 255 }), path: fields.string('path', { maxLength: 1024 }) });
    const links = new LinkBuilder(request, services.publicUrl);
    return pageEnvelope(request, links, rows, count, start, (g) => groupToWire(g, links));
  });

  app.get('/machinegroups/:groupId', { schema: { response: { 200: MachineGroupWire } } }, async (request) => {
    const id = groupId(request);
    const group = await groups.get(id);
    if (!group) throw groupNotFound(id);
    return groupToWire(group, new LinkBuilder(request, services.publicUrl));
  });

  app.post('/machinegroups', { schema: { response: { 201: MachineGroupWire } } }, async (request, reply) => {
    const group = await groups.create(owner(request), readGroup(request.body, false));
    const links = new LinkBuilder(request, services.publicUrl);
    reply.header('Location', links.href(`machinegroups/${group.id}`).href);
    return reply.code(201).send(groupToWire(group, links));
  });

  app.put('/machinegroups/:groupId', { schema: { response: { 200: MachineGroupWire } } }, async (request) => {
    const id = groupId(request);
    const group = await groups.replace(owner(request), id, readGroup(request.body, true));
    return groupToWire(group, new LinkBuilder(request, services.publicUrl));
  });

  app.delete('/machinegroups/:groupId', async (request, reply) => {
    const id = groupId(request);
    if (!(await groups.delete(id))) throw groupNotFound(id);
    return reply.code(204).send();
  });

  app.get('/machinegroups/:groupId/usedby', { schema: { response: { 200: ListOf(UsedByWire) } } }, async (request) => {
    const id = groupId(request);
    if (!(await groups.group(id))) throw groupNotFound(id);
    const value = await groups.usedBy(id);
    return { count: value.length, links: { self: new LinkBuilder(request, services.publicUrl).href(`machinegroups/${id}/usedby`) }, value };
  });

  app.get('/machinegroups/:groupId/discoveryFilters', { schema: { response: { 200: ListOf(DiscoveryFilterWire) } } }, async (request) => {
    const id = groupId(request);
    const { count, start } = readPage(request);
    if (!(await groups.group(id))) throw groupNotFound(id);
    const rows = await groups.filters(id, { count, start });
    const links = new LinkBuilder(request, services.publicUrl);
    return pageEnvelope(request, links, rows, count, start, (f) => filterToWire(f, links));
  });

  app.post('/machinegroups/:groupId/discoveryFilters', { schema: { response: { 201: ListOf(DiscoveryFilterWire) } } }, async (request, reply) => {
    const id = groupId(request);
    const body = request.body;
    const raw = Array.isArray(body) ? body : new LenientFields(body, 'body').raw('discoveryFilters');
    if (raw === undefined) throw new WireRequestError('discoveryFilters', 'send {"discoveryFilters": [{"category": "MachineName", "name": "host1"}, ...]}');
    const added = await groups.addFilters(owner(request), id, readFilters(raw, 'discoveryFilters'));
    const links = new LinkBuilder(request, services.publicUrl);
    return reply.code(201).send({ count: added.length, links: { self: links.href(`machinegroups/${id}/discoveryFilters`) }, value: added.map((f) => filterToWire(f, links)) });
  });

  app.delete('/machinegroups/:groupId/discoveryFilters', async (request, reply) => {
    const id = groupId(request);
    await groups.removeFilters(id, readFilterIds(request.body));
    return reply.code(204).send();
  });

  app.get('/machinegroups/:groupId/discoveryFilters/:filterId', { schema: { response: { 200: DiscoveryFilterWire } } }, async (request) => {
    const id = groupId(request);
    const fid = filterId(request);
    const filter = await groups.getFilter(id, fid);
    if (!filter) throw new WireRequestError('filterId', `machine group ${id} has no discovery filter ${fid}`, 404);
    return filterToWire(filter, new LinkBuilder(request, services.publicUrl));
  });

  app.delete('/machinegroups/:groupId/discoveryFilters/:filterId', async (request, reply) => {
    await groups.removeFilters(groupId(request), [filterId(request)]);
    return reply.code(204).send();
  });

  app.get('/machinegroups/:groupId/virtualMachineDiscoveryFilters', { schema: { response: { 200: ListOf(Type.Object({})) } } }, async (request) => {
    const id = groupId(request);
    if (!(await groups.group(id))) throw groupNotFound(id);
    return { count: 0, links: { self: new LinkBuilder(request, services.publicUrl).href(`machinegroups/${id}/virtualMachineDiscoveryFilters`) }, value: [] };
  });
}
