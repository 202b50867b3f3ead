import type { PatchwardenDb } from '../db/database.js';
import { removeMachinePatchStatus } from './patch-status-counts.js';

/**
 * The machines the console knows: every machine a scan has reached is recorded (by host name)
 * with its latest identity and patch status. Deleting one forgets it and its current patch
 * status; the scans that reached it keep their history.
 */
export interface KnownMachine {
  id: number;
  name: string;
  dnsName: string | null;
  domain: string | null;
  ipAddress: string | null;
  operatingSystem: string | null;
  lastScannedAt: string | null;
}

export interface MachineListQuery {
  count: number;
  /** 1-based position in the list sorted by id. */
  start: number;
  name?: string;
  domain?: string;
  ipAddress?: string;
}

const COLUMNS = ['id', 'name', 'dns_name', 'domain', 'ip_address', 'os_name', 'last_scanned_at'] as const;

type MachineRow = { id: number; name: string; dns_name: string | null; domain: string | null; ip_address: string | null; os_name: string | null; last_scanned_at: string | null };

function fromRow(row: MachineRow): KnownMachine {
  return {
    id: row.id, name: row.name, dnsName: row.dns_name, domain: row.domain, ipAddress: row.ip_address,
    operatingSystem: row.os_name, lastScannedAt: row.last_scanned_at,
  };
}

export class MachineService {
  constructor(private readonly db: PatchwardenDb) {}

  /** Machines sorted by id; returns one more than `count` when more follow. */
  async list(query: MachineListQuery): Promise<KnownMachine[]> {
    let q = this.db.kysely.selectFrom('machines').select(COLUMNS).orderBy('id');
    if (query.name !== undefined) q = q.where('name', '=', query.name);
    if (query.domain !== undefined) q = q.where('domain', '=', query.domain);
    if (query.ipAddress !== undefined) q = q.where('ip_address', '=', query.ipAddress);
    const rows = await q.limit(query.count + 1).offset(query.start - 1).execute();
    return rows.map(fromRow);
  }

  async get(id: number): Promise<KnownMachine | undefined> {
    const row = await this.db.kysely.selectFrom('machines').select(COLUMNS).where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  /** Forgets a machine and its current patch status; scan history stays. False when unknown. */
  async delete(id: number): Promise<boolean> {
    return this.db.kysely.transaction().execute(async (trx) => {
      // Through the counts module, so the per-patch missing/installed counts lose this machine too.
      await removeMachinePatchStatus(trx, id);
      await trx.updateTable('scan_machines').set({ machine_id: null }).where('machine_id', '=', id).execute();
      const result = await trx.deleteFrom('machines').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }
}
