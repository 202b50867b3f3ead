import { createHmac, randomBytes } from 'node:crypto';
import type { PatchwardenDb } from '../db/database.js';
import { hashPassword, verifyPassword } from './password-hash.js';

export interface AuthenticatedUser {
  id: number;
  username: string;
  role: string;
}

export interface AdminBootstrap {
  /** Set only when the password was generated now: shown once, never stored in plain text. */
  generatedPassword?: string;
  created: boolean;
}

/** Generates a password people can type: 24 characters of base64url (144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/** Creates the `admin` user on first start. The password comes from the caller or is generated. */
export async function ensureAdminUser(db: PatchwardenDb, password: string | undefined): Promise<AdminBootstrap> {
  const existing = await db.kysely.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirst();
  if (existing) return { created: false };
  const chosen = password && password.length > 0 ? password : generatePassword();
  await db.kysely.insertInto('users').values({
    username: 'admin', password_hash: await hashPassword(chosen), role: 'administrator', created_at: new Date().toISOString(),
  }).onConflict((oc) => oc.column('username').doNothing()).execute();
  return { created: true, generatedPassword: password ? undefined : chosen };
}

export async function setUserPassword(db: PatchwardenDb, username: string, password: string): Promise<boolean> {
  const result = await db.kysely.updateTable('users').set({ password_hash: await hashPassword(password) })
    .where('username', '=', username).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function findUserById(db: PatchwardenDb, id: number): Promise<AuthenticatedUser | undefined> {
  return db.kysely.selectFrom('users').select(['id', 'username', 'role']).where('id', '=', id).executeTakeFirst();
}

/**
 * Verifies user names and passwords. A slow hash on every HTTP Basic request would cap the API
 * at a few dozen requests per second, so a successful check is remembered for a short time,
 * keyed by an HMAC of the credentials under a per-process random key (the password itself is
 * never kept).
 */
export class PasswordAuthenticator {
  private readonly cacheKey = randomBytes(32);
  private readonly verified = new Map<string, { user: AuthenticatedUser; expires: number }>();

  constructor(private readonly db: PatchwardenDb, private readonly ttlMs = 5 * 60_000) {}

  async authenticate(username: string, password: string): Promise<AuthenticatedUser | undefined> {
    const key = createHmac('sha256', this.cacheKey).update(username).update('\0').update(password).digest('base64');
    const hit = this.verified.get(key);
    if (hit && hit.expires > Date.now()) return hit.user;
    const row = await this.db.kysely.selectFrom('users').select(['id', 'username', 'role', 'password_hash'])
      .where('username', '=', username).executeTakeFirst();
    // Hash even for unknown users so timing does not reveal which names exist.
    const ok = await verifyPassword(password, row?.password_hash ?? UNKNOWN_USER_HASH);
    if (!row || !ok) return undefined;
    const user = { id: row.id, username: row.username, role: row.role };
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(key, { user, expires: Date.now() + this.ttlMs });
    return user;
  }

  /** Forget cached checks, e.g. after a password change. */
  forget(): void {
    this.verified.clear();
  }
}

// A valid hash of a random throwaway password, used to spend the same time on unknown users.
const UNKNOWN_USER_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$KXc0y2oSy96954+SeM3SD+F9PRwwN022MS9AG8bLnAY=';

export async function findUserByName(db: PatchwardenDb, username: string): Promise<AuthenticatedUser | undefined> {
  return db.kysely.selectFrom('users').select(['id', 'username', 'role']).where('username', '=', username).executeTakeFirst();
}
