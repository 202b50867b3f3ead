import { randomBytes, webcrypto } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { AuthenticatedUser } from './users.js';
import { readOrCreateSecretFile } from '../secrets/secret-file.js';

export const TOKEN_LIFETIME_SECONDS = 4 * 60 * 60;
const ISSUER = 'patchwarden';

/** Issues and checks the bearer tokens (HS256 JWTs) that both APIs accept. */
export class TokenService {
  private constructor(private readonly key: webcrypto.CryptoKey) {}

  /**
   * The signing key lives in the data directory (mode 0600), created at first start. It is
   * imported once (not extractable): imported on every check, it cost about 30 µs per request.
   */
  static async fromDataDir(dataDir: string): Promise<TokenService> {
    const secret = await readOrCreateSecretFile(dataDir, 'token-signing.key', () => randomBytes(32));
    const key = await webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    return new TokenService(key);
  }

  async issue(user: AuthenticatedUser, lifetimeSeconds = TOKEN_LIFETIME_SECONDS): Promise<string> {
    return new SignJWT({ username: user.username, role: user.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(user.id))
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${lifetimeSeconds}s`)
      .sign(this.key);
  }

  /** Returns the user id the token was issued to, or undefined when it is invalid or expired. */
  async verify(token: string): Promise<number | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'] });
      const id = Number.parseInt(payload.sub ?? '', 10);
      return Number.isInteger(id) ? id : undefined;
    } catch {
      return undefined;
    }
  }
}
