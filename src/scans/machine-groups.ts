import type { PatchwardenDb } from '../db/database.js';
import type { Selectable, Transaction } from 'kysely';
import type { MachineGroupFiltersTable, MachineGroupsTable, PatchwardenTables } from '../db/schema.js';
import type { CredentialOwner, CredentialService } from './credentials.js';
import {
  DiscoveryFilterError, GroupCycleError, MissingGroupError, normaliseFilterName, resolveMachineGroup,
  type DiscoveryFilter, type DiscoveryFilterCategory, type GroupSource, type ResolvedEndpoint,
} from './discovery-filters.js';
import { ScanRequestError } from './scan-request-error.js';

/**
 * Machine groups: named sets of machines described by discovery filters (machine names,
 * addresses, IP ranges, DNS domains, nested groups; each may exclude instead). Groups belong to
 * the console, not to one user; the credentials they reference must be the editing user's own.
 */

export interface MachineGroup {
  id: number;
  name: string;
  description: string;
  path: string;
  credentialId: string | null;
  connectionMethod: string;
  creator: string;
  filters: DiscoveryFilter[];
}

/** A filter to add; for NestedGroup either the group id or its name identifies the group. */
export interface NewDiscoveryFilter {
  category: DiscoveryFilterCategory;
  name?: string;
  isExcluded: boolean;
  adminCredentialId: string | null;
  nestedGroupId: number | null;
  notes: string;
}

export interface MachineGroupInput {
  name: string;
  description: string;
  path: string;
  credentialId: string | null;
  connectionMethod: string;
  /** Undefined on a replacement keeps the group's filters as they are. */
  filters?: NewDiscoveryFilter[];
}

export interface MachineGroupListQuery {
  count: number;
  /** 1-based position in the list sorted by id. */
  start: number;
  name?: string;
  path?: string;
}

export interface UsedBy {
  name: string;
  usageType: string;
}

/** The most filters one group may hold. */
export const MAX_FILTERS_PER_GROUP = 10_000;

type Executor = PatchwardenDb['kysely'] | Transaction<PatchwardenTables>;

function filterFromRow(row: Selectable<MachineGroupFiltersTable>): DiscoveryFilter {
  return {
    id: row.id, groupId: row.group_id, category: row.category as DiscoveryFilterCategory, name: row.name,
    isExcluded: row.is_excluded === 1, adminCredentialId: row.admin_credential_id, nestedGroupId: row.nested_group_id, notes: row.notes,
  };
}

function groupFromRow(row: Selectable<MachineGroupsTable>, filters: DiscoveryFilter[]): MachineGroup {
  return {
    id: row.id, name: row.name, description: row.description, path: row.path, credentialId: row.credential_id,
    connectionMethod: row.connection_method, creator: row.creator, filters,
  };
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

export class MachineGroupService implements GroupSource {
  constructor(private readonly db: PatchwardenDb, private readonly credentials: CredentialService) {}

  // GroupSource, for the resolver.
  async group(id: number) {
    const row = await this.db.kysely.selectFrom('machine_groups').select(['id', 'name', 'credential_id']).where('id', '=', id).executeTakeFirst();
    return row ? { id: row.id, name: row.name, credentialId: row.credential_id } : undefined;
  }

  async filters(groupId: number, page?: { count: number; start: number }): Promise<DiscoveryFilter[]> {
    let q = this.db.kysely.selectFrom('machine_group_filters').selectAll().where('group_id', '=', groupId).orderBy('id');
    if (page) q = q.limit(page.count + 1).offset(page.start - 1);
    return (await q.execute()).map(filterFromRow);
  }

  async machinesInDomain(domain: string): Promise<string[]> {
    const rows = await this.db.kysely.selectFrom('machines').select(['name', 'dns_name'])
      .where((eb) => eb(eb.fn('lower', ['domain']), '=', domain.toLowerCase())).orderBy('id').execute();
    return rows.map((r) => r.dns_name ?? r.name);
  }

  async list(query: MachineGroupListQuery): Promise<MachineGroup[]> {
    let q = this.db.kysely.selectFrom('machine_groups').selectAll().orderBy('id');
    if (query.name !== undefined) q = q.where('name', '=', query.name);
    if (query.path !== undefined) q = q.where('path', '=', query.path);
    const rows = await q.limit(query.count + 1).offset(query.start - 1).execute();
    return Promise.all(rows.map(async (row) => groupFromRow(row, await this.filters(row.id))));
  }

  async get(id: number): Promise<MachineGroup | undefined> {
    const row = await this.db.kysely.selectFrom('machine_groups').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? groupFromRow(row, await this.filters(row.id)) : undefined;
  }

  async getFilter(groupId: number, filterId: number): Promise<DiscoveryFilter | undefined> {
    const row = await this.db.kysely.selectFrom('machine_group_filters').selectAll()
      .where('group_id', '=', groupId).where('id', '=', filterId).executeTakeFirst();
    return row ? filterFromRow(row) : undefined;
  }

  async create(user: CredentialOwner, input: MachineGroupInput): Promise<MachineGroup> {
    await this.checkCredential(user, input.credentialId, 'credentialId');
    const filters = await this.prepareFilters(user, undefined, input.filters ?? [], 0);
    const now = new Date().toISOString();
    const id = await this.write(input.name, async (trx) => {
      const { id: groupId } = await trx.insertInto('machine_groups').values({
        name: input.name, description: input.description, path: input.path, credential_id: input.credentialId,
        connection_method: input.connectionMethod, creator: user.username, created_at: now, updated_at: now,
      }).returning('id').executeTakeFirstOrThrow();
      await insertFilters(trx, groupId, filters);
      return groupId;
    });
    return (await this.get(id))!;
  }

  async replace(user: CredentialOwner, id: number, input: MachineGroupInput): Promise<MachineGroup> {
    const existing = await this.get(id);
    if (!existing) throw groupNotFound(id);
    await this.checkCredential(user, input.credentialId, 'credentialId');
    const filters = input.filters === undefined ? undefined : await this.prepareFilters(user, id, input.filters, 0);
    await this.write(input.name, async (trx) => {
      await trx.updateTable('machine_groups').set({
        name: input.name, description: input.description, path: input.path, credential_id: input.credentialId,
        connection_method: input.connectionMethod, updated_at: new Date().toISOString(),
      }).where('id', '=', id).execute();
      if (filters) {
        await trx.deleteFrom('machine_group_filters').where('group_id', '=', id).execute();
        await insertFilters(trx, id, filters);
      }
      // Filters of other groups that nest this one carry its name.
      await trx.updateTable('machine_group_filters').set({ name: input.name }).where('nested_group_id', '=', id).execute();
      return id;
    });
    return (await this.get(id))!;
  }

  /** Deletes a group; refused (409) while another group nests it. False when there was none. */
  async delete(id: number): Promise<boolean> {
    const users = await this.usedBy(id);
    if (users.length > 0) {
      throw new ScanRequestError(409, `machine group ${id} is nested in ${users.map((u) => `"${u.name}"`).join(', ')}; remove it from there first`, 'id');
    }
    const result = await this.db.kysely.transaction().execute(async (trx) => {
      await trx.deleteFrom('machine_group_filters').where('group_id', '=', id).execute();
      return trx.deleteFrom('machine_groups').where('id', '=', id).executeTakeFirst();
    });
    return Number(result.numDeletedRows) > 0;
  }

  /** The groups whose filters nest this group. */
  async usedBy(id: number): Promise<UsedBy[]> {
    const rows = await this.db.kysely.selectFrom('machine_group_filters')
      .innerJoin('machine_groups', 'machine_groups.id', 'machine_group_filters.group_id')
      .select('machine_groups.name').distinct().where('machine_group_filters.nested_group_id', '=', id).orderBy('machine_groups.name').execute();
    return rows.map((r) => ({ name: r.name, usageType: 'MachineGroup' }));
  }

  async addFilters(user: CredentialOwner, groupId: number, filters: NewDiscoveryFilter[]): Promise<DiscoveryFilter[]> {
    if (!(await this.group(groupId))) throw groupNotFound(groupId);
    const existing = await this.db.kysely.selectFrom('machine_group_filters').select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('group_id', '=', groupId).executeTakeFirstOrThrow();
    const prepared = await this.prepareFilters(user, groupId, filters, Number(existing.n));
    const ids = await this.db.kysely.transaction().execute((trx) => insertFilters(trx, groupId, prepared));
    const all = await this.filters(groupId);
    return all.filter((f) => ids.includes(f.id));
  }

  /** Removes the given filters of a group; 404 when any of them is not a filter of that group. */
  async removeFilters(groupId: number, filterIds: number[]): Promise<void> {
    if (!(await this.group(groupId))) throw groupNotFound(groupId);
    const found = new Set((await this.filters(groupId)).map((f) => f.id));
    const unknown = filterIds.find((id) => !found.has(id));
    if (unknown !== undefined) throw new ScanRequestError(404, `machine group ${groupId} has no discovery filter ${unknown}`, 'filterId');
    await this.db.kysely.deleteFrom('machine_group_filters').where('group_id', '=', groupId).where('id', 'in', filterIds).execute();
  }

  /**
   * The endpoints a scan of these groups reaches, each with the credential its filter names.
   * Refuses unknown groups (404) and nesting cycles (409).
   */
  async resolve(groupIds: number[]): Promise<ResolvedEndpoint[]> {
    const result: ResolvedEndpoint[] = [];
    for (const id of groupIds) {
      try {
        result.push(...await resolveMachineGroup(this, id));
      } catch (error) {
        if (error instanceof MissingGroupError) throw new ScanRequestError(404, error.message, 'machineGroupIds');
        if (error instanceof GroupCycleError) throw new ScanRequestError(409, error.message, 'machineGroupIds');
        throw error;
      }
    }
    return result;
  }

  private async checkCredential(user: CredentialOwner, id: string | null, field: string): Promise<void> {
    if (id !== null && !(await this.credentials.get(user, id))) {
      throw new ScanRequestError(404, `credential ${id} does not exist (or is not yours)`, field);
    }
  }

  /** Validates filters to store in group `groupId` (undefined: a group being created). */
  private async prepareFilters(user: CredentialOwner, groupId: number | undefined, filters: NewDiscoveryFilter[], existing: number) {
    if (existing + filters.length > MAX_FILTERS_PER_GROUP) {
      throw new ScanRequestError(400, `a machine group may hold at most ${MAX_FILTERS_PER_GROUP} discovery filters`, 'discoveryFilters');
    }
    const prepared: Array<Omit<MachineGroupFiltersTable, 'id' | 'group_id'>> = [];
    for (const [i, filter] of filters.entries()) {
      const field = `discoveryFilters[${i}]`;
      await this.checkCredential(user, filter.adminCredentialId, `${field}.adminCredentialId`);
      let name = filter.name ?? '';
      let nested: number | null = null;
      if (filter.category === 'NestedGroup') {
        const target = filter.nestedGroupId !== null ? await this.group(filter.nestedGroupId)
          : await this.db.kysely.selectFrom('machine_groups').select(['id', 'name', 'credential_id']).where('name', '=', name).executeTakeFirst()
            .then((r) => r && { id: r.id, name: r.name, credentialId: r.credential_id });
        if (!target) {
          throw new ScanRequestError(404, filter.nestedGroupId !== null ? `machine group ${filter.nestedGroupId} does not exist`
            : `no machine group is named "${name}"`, `${field}.nestedGroupId`);
        }
        if (groupId !== undefined && await this.reaches(target.id, groupId)) {
          throw new ScanRequestError(409, `nesting machine group "${target.name}" would make a cycle: it already contains this group`, `${field}.nestedGroupId`);
        }
        nested = target.id;
        name = target.name;
      } else {
        if (!name) throw new ScanRequestError(400, `${field}.name is required for a ${filter.category} filter`, `${field}.name`);
        try {
          name = normaliseFilterName(filter.category, name, `${field}.name`);
        } catch (error) {
          if (error instanceof DiscoveryFilterError) throw new ScanRequestError(400, error.message, error.field);
          throw error;
        }
      }
      prepared.push({
        category: filter.category, name, is_excluded: filter.isExcluded ? 1 : 0, admin_credential_id: filter.adminCredentialId,
        nested_group_id: nested, notes: filter.notes,
      });
    }
    return prepared;
  }

  /** Whether group `from` is `to` or nests it, directly or through other groups. */
  private async reaches(from: number, to: number): Promise<boolean> {
    const seen = new Set<number>();
    const stack = [from];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (id === to) return true;
      if (seen.has(id)) continue;
      seen.add(id);
      const rows = await this.db.kysely.selectFrom('machine_group_filters').select('nested_group_id')
        .where('group_id', '=', id).where('nested_group_id', 'is not', null).execute();
      for (const row of rows) stack.push(row.nested_group_id!);
    }
    return false;
  }

  private async write(name: string, work: (trx: Transaction<PatchwardenTables>) => Promise<number>): Promise<number> {
    try {
      return await this.db.kysely.transaction().execute(work);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ScanRequestError(409, `a machine group named "${name}" already exists; choose another name`, 'name');
      throw error;
    }
  }
}

async function insertFilters(trx: Executor, groupId: number, filters: Array<Omit<MachineGroupFiltersTable, 'id' | 'group_id'>>): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < filters.length; i += 500) {
    const rows = await trx.insertInto('machine_group_filters').values(filters.slice(i, i + 500).map((f) => ({ ...f, group_id: groupId })))
      .returning('id').execute();
    ids.push(...rows.map((r) => r.id));
  }
  return ids;
}

function groupNotFound(id: number): ScanRequestError {
  return new ScanRequestError(404, `machine group ${id} does not exist`, 'id');
}
