import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PatchwardenDb } from '../db/database.js';
import type { TokenService } from '../auth/tokens.js';
import { findUserById, type AuthenticatedUser, type PasswordAuthenticator } from '../auth/users.js';

declare module 'fastify' {
  interface FastifyRequest {
    user?: AuthenticatedUser;
  }
}

/** Why a request carries no usable identity; the API turns it into a 401 in its own format. */
export class AuthenticationRequiredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationRequiredError';
  }
}

/** Resolves `Authorization: Basic …` or `Authorization: Bearer …` to a user. */
export class RequestAuthenticator {
  constructor(
    private readonly db: PatchwardenDb,
    private readonly passwords: PasswordAuthenticator,
    private readonly tokens: TokenService,
  ) {}

  async authenticate(request: FastifyRequest): Promise<AuthenticatedUser> {
    const header = request.headers.authorization;
    if (!header) throw new AuthenticationRequiredError('authentication required: send HTTP Basic credentials or a Bearer token');
    const space = header.indexOf(' ');
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : header.slice(space + 1).trim();
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new AuthenticationRequiredError('malformed Basic credentials: expected base64 of user:password');
      // No user name holds U+0000 (PostgreSQL could not even compare it): refuse before the lookup.
      if (decoded.slice(0, colon).includes('\u0000')) throw new AuthenticationRequiredError('invalid user name or password');
      const user = await this.passwords.authenticate(decoded.slice(0, colon), decoded.slice(colon + 1));
      if (!user) throw new AuthenticationRequiredError('invalid user name or password');
      return user;
    }
    if (scheme === 'bearer') {
      const userId = await this.tokens.verify(value);
      const user = userId === undefined ? undefined : await findUserById(this.db, userId);
      if (!user) throw new AuthenticationRequiredError('invalid or expired bearer token');
      return user;
    }
    throw new AuthenticationRequiredError(`unsupported authorization scheme "${scheme}": use Basic or Bearer`);
  }
}

export function sendUnauthorized(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(401).header('WWW-Authenticate', 'Basic realm="patchwarden", charset="UTF-8"').send({ message });
}
