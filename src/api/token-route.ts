import type { FastifyInstance } from 'fastify';
import type { ConsoleServices } from './console-services.js';

/**
 * `POST /auth`: form fields `username` and `password` → 201 and the bare bearer token as the
 * body (no JSON, no trailing newline), as the Patch Management SDKs expect.
 */
export function registerTokenRoute(app: FastifyInstance, services: ConsoleServices): void {
  app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
    scope.post('/auth', async (request, reply) => {
      const form = (request.body ?? {}) as Record<string, unknown>;
      const username = typeof form.username === 'string' ? form.username : '';
      const password = typeof form.password === 'string' ? form.password : '';
      if (!username || !password) {
        return reply.code(400).type('application/json').send({ message: 'username and password form fields are required' });
      }
      // No user name holds U+0000 (PostgreSQL could not even compare it): refuse before the lookup.
      const user = username.includes('\u0000') ? undefined : await services.passwords.authenticate(username, password);
      if (!user) return reply.code(401).type('application/json').send({ message: 'invalid user name or password' });
      return reply.code(201).type('text/plain; charset=utf-8').send(await services.tokens.issue(user));
    });
  });
}
