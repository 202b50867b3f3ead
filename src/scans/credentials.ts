import { randomUUID } from 'node:crypto';
import type { PatchwardenDb } from '../db/database.js';
import type { CredentialsTable } from '../db/schema.js';
import type { SecretCipher } from '../secrets/secret-cipher.js';

/**
 * Stored credentials ("friendly-name" credentials of the Security Controls API): a name, a user
 * name and a password that scans use to reach machines. The password is only ever stored
 * encrypted with the console's `SecretCipher`, bound to the credential's id, and never returned
 * by the API; only the collector asks for it, through `decryptPassword`.
 */

/** A credential as the console shows it: everything but the password. */
export interface Credential {
  id: string;
  name: string;
  username: string;
  ownerUserId: number;
  ownerName: string;
  createdAt: string;
  updatedAt: string;
}

/** Who creates or reads credentials: every credential belongs to exactly one user. */
export interface CredentialOwner {
  id: number;
  username: string;
}

export interface NewCredential {
  name: string;
  username: string;
  password: string;
}

/** A replacement: the password stays as it was when not given. */
export interface CredentialReplacement {
  name: string;
  username: string;
  password?: string;
}

export interface CredentialListQuery {
  count: number;
  /** 1-based position in the list sorted by name, then id. */
  start: number;
  name?: string;
}

/** The owner already has a credential of that name. */
export class CredentialNameTakenError extends Error {
  constructor(readonly credentialName: string) {
    super(`a credential named "${credentialName}" already exists; choose another name`);
    this.name = 'CredentialNameTakenError';
  }
}

export class CredentialNotFoundError extends Error {
  constructor(readonly credentialId: string) {
    super(`credential ${credentialId} does not exist`);
    this.name = 'CredentialNotFoundError';
  }
}

function fromRow(row: Omit<CredentialsTable, 'encrypted_password'>): Credential {
  return {
    id: row.id, name: row.name, username: row.username, ownerUserId: Number(row.owner_user_id), ownerName: row.owner_name,
    createdAt: row.created_at, updatedAt: row.updated_at,
  };
}

/** SQLite and PostgreSQL report a violated unique constraint differently. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/** Every column but the encrypted password, which only `decryptPassword` reads. */
const PUBLIC_COLUMNS = ['id', 'name', 'username', 'owner_user_id', 'owner_name', 'created_at', 'updated_at'] as const;

export class CredentialService {
  constructor(private readonly db: PatchwardenDb, private readonly cipher: SecretCipher) {}

  async create(owner: CredentialOwner, input: NewCredential): Promise<Credential> {
    const id = randomUUID();
    const now = new Date().toISOString();
    const row: CredentialsTable = {
      id, name: input.name, username: input.username, encrypted_password: this.cipher.encrypt(input.password, id),
      owner_user_id: owner.id, owner_name: owner.username, created_at: now, updated_at: now,
    };
    await this.assertNameFree(owner, input.name, undefined);
    try {
      await this.db.kysely.insertInto('credentials').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new CredentialNameTakenError(input.name);
      throw error;
    }
    return fromRow(row);
  }

  /** The owner's credentials sorted by name; returns one more than `count` when more follow. */
  async list(owner: CredentialOwner, query: CredentialListQuery): Promise<Credential[]> {
    let q = this.db.kysely.selectFrom('credentials').select(PUBLIC_COLUMNS).where('owner_user_id', '=', owner.id);
    if (query.name !== undefined) q = q.where('name', '=', query.name);
    const rows = await q.orderBy('name').orderBy('id').limit(query.count + 1).offset(query.start - 1).execute();
    return rows.map(fromRow);
  }

  /** One of the owner's credentials; undefined when it does not exist or belongs to someone else. */
  async get(owner: CredentialOwner, id: string): Promise<Credential | undefined> {
    const row = await this.db.kysely.selectFrom('credentials').select(PUBLIC_COLUMNS)
      .where('id', '=', id.toLowerCase()).where('owner_user_id', '=', owner.id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  /** One of the owner's credentials by its exact name; undefined when the owner has none of that name. */
  async getByName(owner: CredentialOwner, name: string): Promise<Credential | undefined> {
    const row = await this.db.kysely.selectFrom('credentials').select(PUBLIC_COLUMNS)
      .where('name', '=', name).where('owner_user_id', '=', owner.id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async replace(owner: CredentialOwner, id: string, input: CredentialReplacement): Promise<Credential> {
    const existing = await this.get(owner, id);
    if (!existing) throw new CredentialNotFoundError(id);
    await this.assertNameFree(owner, input.name, existing.id);
    const changes: Partial<CredentialsTable> = { name: input.name, username: input.username, updated_at: new Date().toISOString() };
    if (input.password !== undefined) changes.encrypted_password = this.cipher.encrypt(input.password, existing.id);
    try {
      const result = await this.db.kysely.updateTable('credentials').set(changes)
        .where('id', '=', existing.id).where('owner_user_id', '=', owner.id).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw new CredentialNotFoundError(id);
    } catch (error) {
      if (isUniqueViolation(error)) throw new CredentialNameTakenError(input.name);
      throw error;
    }
    return { ...existing, name: input.name, username: input.username, updatedAt: changes.updated_at! };
  }

  /** Deletes one of the owner's credentials; false when there was none. */
  async delete(owner: CredentialOwner, id: string): Promise<boolean> {
    const result = await this.db.kysely.deleteFrom('credentials')
      .where('id', '=', id.toLowerCase()).where('owner_user_id', '=', owner.id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /**
   * The clear-text password, for the collector that logs on to a machine (never for the API).
   * With `owner`, only that user's credential is found. Throws `CredentialNotFoundError`, or
   * `SecretDecryptionError` when the stored value was tampered with, moved from another row, or
   * encrypted under another master key.
   */
  async decryptPassword(id: string, owner?: CredentialOwner): Promise<string> {
    let q = this.db.kysely.selectFrom('credentials').select(['id', 'encrypted_password']).where('id', '=', id.toLowerCase());
    if (owner) q = q.where('owner_user_id', '=', owner.id);
    const row = await q.executeTakeFirst();
    if (!row) throw new CredentialNotFoundError(id);
    return this.cipher.decrypt(row.encrypted_password, row.id);
  }

  private async assertNameFree(owner: CredentialOwner, name: string, exceptId: string | undefined): Promise<void> {
    let q = this.db.kysely.selectFrom('credentials').select('id').where('owner_user_id', '=', owner.id).where('name', '=', name);
    if (exceptId !== undefined) q = q.where('id', '!=', exceptId);
    if (await q.executeTakeFirst()) throw new CredentialNameTakenError(name);
  }
}
