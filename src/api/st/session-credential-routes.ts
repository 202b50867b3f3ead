import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ConsoleServices } from '../console-services.js';
import { WireRequestError } from '../wire-request.js';
import { readPasswordObject } from './password-object.js';
import { ErrorBody } from './wire-models.js';

/**
 * `/sessioncredentials`: the calling user's password for this session, kept in memory only.
 * Nothing here ever answers with the password.
 */
export function registerSessionCredentialRoutes(app: FastifyInstance, services: ConsoleServices): void {
  app.post('/sessioncredentials', { schema: { response: { 201: Type.Object({ created: Type.Boolean() }), 409: ErrorBody } } }, async (request, reply) => {
    const user = request.user!;
    const password = readPasswordObject(request.body, '', services.sessionKey);
    if (!services.sessionCredentials.create(user, password)) {
      return reply.code(409).send({ message: `a session credential for ${user.username} already exists; DELETE /sessioncredentials first to replace it` });
    }
    return reply.code(201).send({ created: true });
  });

  app.delete('/sessioncredentials', async (request, reply) => {
    const user = request.user!;
    if (!services.sessionCredentials.delete(user.id)) {
      throw new WireRequestError('sessioncredentials', `there is no session credential for ${user.username}`, 404);
    }
    return reply.code(204).send();
  });
}
