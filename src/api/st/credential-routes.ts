import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ConsoleServices } from '../console-services.js';
import { isGuid, LenientFields, WireRequestError } from '../wire-request.js';
import { LinkBuilder, pageEnvelope } from './links.js';
import { readPasswordObject } from './password-object.js';
import type { SessionKey } from '../../scans/session-key.js';
import { ListOf } from './wire-models.js';
import { CredentialNameTakenError, CredentialNotFoundError, type Credential, type CredentialOwner } from '../../scans/credentials.js';

/**
 * `/credentials`: stored credentials. The response schema has no password field, so Fastify's
 * serialiser could not send one even if a handler passed it along.
 */
const Href = Type.Object({ href: Type.String() });

export const UserCredential = Type.Object({
  id: Type.String(),
  links: Type.Object({ self: Href }),
  name: Type.String(),
  ownerName: Type.String(),
  sharedWith: Type.Array(Type.String()),
  sharedWithService: Type.Boolean(),
  username: Type.String(),
});

const MAX_NAME = 255;

function credentialToWire(credential: Credential, links: LinkBuilder) {
  return {
    id: credential.id,
    links: { self: links.href(`credentials/${credential.id}`) },
    name: credential.name,
    ownerName: credential.ownerName,
    sharedWith: [] as string[],
    sharedWithService: false,
    username: credential.username,
  };
}

function owner(request: FastifyRequest): CredentialOwner {
  const user = request.user!;
  return { id: user.id, username: user.username };
}

/** The `password` object of a create or replace body (spec §2.4): clear text or encrypted for this console. */
function readPassword(body: LenientFields, required: boolean, sessionKey: SessionKey): string | undefined {
  const value = body.raw('password');
  if (value === undefined) {
    if (required) throw new WireRequestError('password', 'password is required, as {"clearText": "..."} or encrypted with the key of GET /configuration/certificate');
    return undefined;
  }
  return readPasswordObject(value, 'password', sessionKey);
}

function readNameAndUser(body: LenientFields): { name: string; username: string } {
  // `userName` (documented) and `username` are the same key here: lookups ignore case.
  return {
    name: body.string('name', { required: true, maxLength: MAX_NAME })!,
    username: body.string('userName', { required: true, maxLength: MAX_NAME })!,
  };
}

function credentialId(request: FastifyRequest): string {
  return new LenientFields(request.params, 'query').guid('credentialId', { required: true })!;
}

function credentialKey(request: FastifyRequest): { id: string; name?: undefined } | { id?: undefined; name: string } {
  const fields = new LenientFields(request.params, 'query');
  const text = fields.string('credentialId', { required: true, maxLength: MAX_NAME })!;
  return isGuid(text) ? { id: text.toLowerCase() } : { name: text };
}

function notFound(id: string): WireRequestError {
  return new WireRequestError('credentialId', `credential ${id} does not exist`, 404);
}

function sendNameTaken(reply: FastifyReply, error: CredentialNameTakenError) {
  return reply.code(409).send({ message: error.message, field: 'name' });
}

export function registerCredentialRoutes(app: FastifyInstance, services: ConsoleServices): void {
  app.get('/credentials', { schema: { response: { 200: ListOf(UserCredential) } } }, async (request) => {
    const fields = new LenientFields(request.query, 'query');
    const count = fields.integer('count', { min: 1, max: 1000, fallback: 10 })!;
    const start = fields.integer('start', { min: 1, max: Number.MAX_SAFE_INTEGER, fallback: 1 })!;
    const name = fields.string('name', { maxLength: MAX_NAME });
    const rows = await services.credentials.list(owner(request), { count, start, name });
    const links = new LinkBuilder(request, services.publicUrl);
    return pageEnvelope(request, links, rows, count, start, (c) => credentialToWire(c, links));
  });

  // `{credentialId}` may also be a credential's name (the documented lookup by name): a value
  // shaped like a GUID is an id, anything else a name.
  app.get('/credentials/:credentialId', { schema: { response: { 200: UserCredential } } }, async (request) => {
    const key = credentialKey(request);
    const credential = key.id !== undefined
      ? await services.credentials.get(owner(request), key.id)
      : await services.credentials.getByName(owner(request), key.name);
    if (!credential) {
      throw key.id !== undefined ? notFound(key.id)
        : new WireRequestError('credentialId', `you have no credential named "${key.name}"`, 404);
    }
    return credentialToWire(credential, new LinkBuilder(request, services.publicUrl));
  });

  app.post('/credentials', { schema: { response: { 201: UserCredential } } }, async (request, reply) => {
    const body = new LenientFields(request.body, 'body');
    const { name, username } = readNameAndUser(body);
    const password = readPassword(body, true, services.sessionKey)!;
    try {
      const credential = await services.credentials.create(owner(request), { name, username, password });
      return reply.code(201).send(credentialToWire(credential, new LinkBuilder(request, services.publicUrl)));
    } catch (error) {
      if (error instanceof CredentialNameTakenError) return sendNameTaken(reply, error);
      throw error;
    }
  });

  app.put('/credentials/:credentialId', { schema: { response: { 200: UserCredential } } }, async (request, reply) => {
    const id = credentialId(request);
    const body = new LenientFields(request.body, 'body');
    const { name, username } = readNameAndUser(body);
    const password = readPassword(body, false, services.sessionKey);
    try {
      const credential = await services.credentials.replace(owner(request), id, { name, username, password });
      return reply.code(200).send(credentialToWire(credential, new LinkBuilder(request, services.publicUrl)));
    } catch (error) {
      if (error instanceof CredentialNameTakenError) return sendNameTaken(reply, error);
      if (error instanceof CredentialNotFoundError) throw notFound(id);
      throw error;
    }
  });

  app.delete('/credentials/:credentialId', async (request, reply) => {
    const id = credentialId(request);
    if (!(await services.credentials.delete(owner(request), id))) throw notFound(id);
    return reply.code(204).send();
  });
}
