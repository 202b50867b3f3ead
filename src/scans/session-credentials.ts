/**
 * Session credentials: one password per console user, given for the session (`POST
 * /sessioncredentials`) so that work started through the API can log on to machines as that
 * user. Held in this process's memory only: never written to disk or to the database, never
 * returned by the API, gone when the console stops or the user deletes it.
 */

export interface SessionCredential {
  /** The console user's name. */
  username: string;
  password: string;
}

export class SessionCredentialStore {
  private readonly byUser = new Map<number, SessionCredential>();

  /** Stores the user's session credential; false (nothing changed) when one already exists. */
  create(user: { id: number; username: string }, password: string): boolean {
    if (this.byUser.has(user.id)) return false;
    this.byUser.set(user.id, Object.freeze({ username: user.username, password }));
    return true;
  }

  /** Forgets the user's session credential; false when there was none. */
  delete(userId: number): boolean {
    return this.byUser.delete(userId);
  }

  /** The user's session credential, for the collector; undefined when none was given. */
  get(userId: number): SessionCredential | undefined {
    return this.byUser.get(userId);
  }

  has(userId: number): boolean {
    return this.byUser.has(userId);
  }
}
