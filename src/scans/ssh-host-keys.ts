import type { PatchwardenDb } from '../db/database.js';
import type { Selectable } from 'kysely';
import type { SshHostKeysTable } from '../db/schema.js';
import { describeHostKey, type HostKeyVerdict, type PresentedHostKey } from '../inventory/collectors/ssh.js';

/**
 * The console's known-hosts store. Every host key a scan is presented is recorded per endpoint
 * (`host:port`) with its first-seen time; trusting happens only through the API or the CLI.
 * `Blocked` scans connect only when the presented key is trusted; `SkipServerAuthentication`
 * scans connect anyway and just record the key.
 */

export type SshServerValidationMode = 'Blocked' | 'SkipServerAuthentication';

export interface SshHostKey {
  id: number;
  endpoint: string;
  keyType: string;
  fingerprint: string;
  publicKey: string;
  trusted: boolean;
  firstSeen: string;
  lastSeen: string;
  trustedAt: string | null;
  trustedBy: string | null;
}

export interface SshHostKeyListQuery {
  count: number;
  /** 1-based position in the list sorted by endpoint, then id. */
  start: number;
  endpoint?: string;
}

/** A trust request that cannot be honoured (unknown key, malformed key text). */
export class SshHostKeyError extends Error {
  constructor(readonly status: 400 | 404, message: string, readonly field?: string) {
    super(message);
    this.name = 'SshHostKeyError';
  }
}

/** `host:port` as stored: lower-case host, explicit port, IPv6 literals in brackets. */
export function hostKeyEndpoint(host: string, port: number): string {
  const bare = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return `${bare.includes(':') ? `[${bare}]` : bare}:${port}`;
}

/** Accepts `host`, `host:port`, `[v6]:port`; the port defaults to 22. */
export function parseHostKeyEndpoint(text: string): string | undefined {
  const value = text.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  let host: string;
  let port = 22;
  if (bracketed) {
    host = bracketed[1];
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else {
    const parts = value.split(':');
    if (parts.length > 2) return undefined;
    host = parts[0];
    if (parts.length === 2) {
      if (!/^\d+$/.test(parts[1])) return undefined;
      port = Number(parts[1]);
    }
  }
  if (!/^[A-Za-z0-9._:%-]+$/.test(host) || host === '' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return hostKeyEndpoint(host, port);
}

/**
 * Parses an OpenSSH public key (`ssh-ed25519 AAAA… comment`, or a known_hosts line with the host
 * first) into its type and fingerprint; undefined when no field pair is a type and its key blob.
 */
export function parseOpenSshPublicKey(line: string): PresentedHostKey | undefined {
  const fields = line.trim().split(/\s+/);
  for (let i = 0; i + 1 < fields.length; i++) {
    if (!/^AAAA[A-Za-z0-9+/]+=*$/.test(fields[i + 1])) continue;
    const key = describeHostKey(Buffer.from(fields[i + 1], 'base64'));
    if (key.keyType === fields[i]) return key;
  }
  return undefined;
}

function fromRow(row: Selectable<SshHostKeysTable>): SshHostKey {
  return {
    id: Number(row.id), endpoint: row.endpoint, keyType: row.key_type, fingerprint: row.fingerprint, publicKey: row.public_key,
    trusted: Number(row.trusted) === 1, firstSeen: row.first_seen, lastSeen: row.last_seen, trustedAt: row.trusted_at, trustedBy: row.trusted_by,
  };
}

function trustAdvice(endpoint: string, fingerprint: string): string {
  return `trust it with "patchwarden hosts trust ${endpoint} ${fingerprint}" or POST /st/console/api/v1.0/sshhostkeys `
    + `{"endpoint":"${endpoint}","fingerprint":"${fingerprint}"}, or scan with sshServerValidationMode SkipServerAuthentication`;
}

export class SshHostKeyStore {
  constructor(private readonly db: PatchwardenDb) {}

  /** Records the presented key and decides whether a scan in `mode` may connect. */
  async verify(endpoint: string, presented: PresentedHostKey, mode: SshServerValidationMode): Promise<HostKeyVerdict> {
    const seen = await this.record(endpoint, presented);
    if (mode === 'SkipServerAuthentication' || seen.trusted) return { accept: true };
    const trusted = (await this.listForEndpoint(endpoint)).filter((key) => key.trusted);
    if (trusted.length > 0) {
      const previous = trusted.map((key) => `${key.keyType} ${key.fingerprint}`).join(', ');
      return {
        accept: false, reason: 'changed',
        detail: `the SSH host key of ${endpoint} has changed: the server presented ${presented.keyType} ${presented.fingerprint}, `
          + `but the trusted key is ${previous}. Someone may be intercepting the connection. If the machine's key was replaced `
          + `on purpose, check the new fingerprint on the machine (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub) and ${trustAdvice(endpoint, presented.fingerprint)}`,
      };
    }
    return {
      accept: false, reason: 'unknown',
      detail: `the SSH host key of ${endpoint} is not trusted yet: the server presented ${presented.keyType} ${presented.fingerprint} `
        + `(first seen ${seen.firstSeen}). Check the fingerprint on the machine (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then `
        + trustAdvice(endpoint, presented.fingerprint),
    };
  }

  /** Stores a presented key (or refreshes its last-seen time) and returns it. */
  async record(endpoint: string, presented: PresentedHostKey): Promise<SshHostKey> {
    const now = new Date().toISOString();
    await this.db.kysely.insertInto('ssh_host_keys').values({
      endpoint, key_type: presented.keyType, fingerprint: presented.fingerprint, public_key: presented.publicKey,
      trusted: 0, first_seen: now, last_seen: now, trusted_at: null, trusted_by: null,
    }).onConflict((oc) => oc.columns(['endpoint', 'fingerprint']).doUpdateSet({ last_seen: now })).execute();
    const row = await this.db.kysely.selectFrom('ssh_host_keys').selectAll()
      .where('endpoint', '=', endpoint).where('fingerprint', '=', presented.fingerprint).executeTakeFirstOrThrow();
    return fromRow(row);
  }

  async list(query: SshHostKeyListQuery): Promise<SshHostKey[]> {
    let q = this.db.kysely.selectFrom('ssh_host_keys').selectAll();
    if (query.endpoint !== undefined) q = q.where('endpoint', '=', query.endpoint);
    const rows = await q.orderBy('endpoint').orderBy('id').limit(query.count + 1).offset(query.start - 1).execute();
    return rows.map(fromRow);
  }

  async listForEndpoint(endpoint: string): Promise<SshHostKey[]> {
    const rows = await this.db.kysely.selectFrom('ssh_host_keys').selectAll().where('endpoint', '=', endpoint).orderBy('id').execute();
    return rows.map(fromRow);
  }

  async get(id: number): Promise<SshHostKey | undefined> {
    const row = await this.db.kysely.selectFrom('ssh_host_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  /**
   * Trusts a key of an endpoint, named by the fingerprint a scan recorded or given as an OpenSSH
   * public key line. Other keys of the same type for that endpoint stop being trusted: a
   * replaced key must not keep working.
   */
  async trust(endpoint: string, key: { fingerprint?: string; publicKeyLine?: string }, trustedBy: string): Promise<SshHostKey> {
    let fingerprint = key.fingerprint?.trim();
    if (key.publicKeyLine !== undefined) {
      const parsed = parseOpenSshPublicKey(key.publicKeyLine);
      if (!parsed) throw new SshHostKeyError(400, 'publicKey must be an OpenSSH public key line such as "ssh-ed25519 AAAAC3Nza… comment"', 'publicKey');
      if (fingerprint !== undefined && fingerprint !== parsed.fingerprint) {
        throw new SshHostKeyError(400, `fingerprint ${fingerprint} does not match the given public key (${parsed.fingerprint})`, 'fingerprint');
      }
      await this.record(endpoint, parsed);
      fingerprint = parsed.fingerprint;
    }
    if (fingerprint === undefined || fingerprint === '') throw new SshHostKeyError(400, 'give the fingerprint (SHA256:…) or the publicKey to trust', 'fingerprint');
    const existing = await this.db.kysely.selectFrom('ssh_host_keys').selectAll()
      .where('endpoint', '=', endpoint).where('fingerprint', '=', fingerprint).executeTakeFirst();
    if (!existing) {
      throw new SshHostKeyError(404, `no key with fingerprint ${fingerprint} has been seen at ${endpoint}; scan the machine once `
        + '(its error shows the fingerprint) or give the whole publicKey', 'fingerprint');
    }
    const now = new Date().toISOString();
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx.updateTable('ssh_host_keys').set({ trusted: 0, trusted_at: null, trusted_by: null })
        .where('endpoint', '=', endpoint).where('key_type', '=', existing.key_type).where('id', '!=', existing.id).execute();
      await trx.updateTable('ssh_host_keys').set({ trusted: 1, trusted_at: now, trusted_by: trustedBy }).where('id', '=', existing.id).execute();
    });
    return (await this.get(Number(existing.id)))!;
  }

  /** Forgets a key; false when there was none. A forgotten key is unknown again at the next scan. */
  async forget(id: number): Promise<boolean> {
    const result = await this.db.kysely.deleteFrom('ssh_host_keys').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
