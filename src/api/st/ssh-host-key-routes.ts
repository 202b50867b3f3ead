import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ConsoleServices } from '../console-services.js';
import { LenientFields, WireRequestError } from '../wire-request.js';
import { LinkBuilder, pageEnvelope } from './links.js';
import { ListOf } from './wire-models.js';
import { parseHostKeyEndpoint, SshHostKeyError, type SshHostKey } from '../../scans/ssh-host-keys.js';

/**
 * `/sshhostkeys` (a patchwarden extension): the known-hosts store of SSH scans. Scans record
 * every key they are presented; trusting one (by the fingerprint a scan error showed, or by its
 * OpenSSH public key line) lets `Blocked` scans connect; deleting a key forgets it.
 */
const Href = Type.Object({ href: Type.String() });

export const SshHostKeyWire = Type.Object({
  id: Type.Integer(),
  links: Type.Object({ self: Href }),
  endpoint: Type.String(),
  keyType: Type.String(),
  fingerprint: Type.String(),
  publicKey: Type.String(),
  trusted: Type.Boolean(),
  firstSeen: Type.String(),
  lastSeen: Type.String(),
  trustedOn: Type.Union([Type.String(), Type.Null()]),
  trustedBy: Type.Union([Type.String(), Type.Null()]),
});

function hostKeyToWire(key: SshHostKey, links: LinkBuilder) {
  return {
    id: key.id, links: { self: links.href(`sshhostkeys/${key.id}`) }, endpoint: key.endpoint, keyType: key.keyType,
    fingerprint: key.fingerprint, publicKey: `${key.keyType} ${key.publicKey}`, trusted: key.trusted,
    firstSeen: key.firstSeen, lastSeen: key.lastSeen, trustedOn: key.trustedAt, trustedBy: key.trustedBy,
  };
}

function endpointField(fields: LenientFields, required: boolean): string | undefined {
  const text = fields.string('endpoint', { required, maxLength: 300 });
  if (text === undefined) return undefined;
  const endpoint = parseHostKeyEndpoint(text);
  if (!endpoint) throw new WireRequestError('endpoint', `endpoint "${text}" must be host or host:port (port 1-65535)`);
  return endpoint;
}

function hostKeyId(request: FastifyRequest): number {
  return new LenientFields(request.params, 'query').integer('hostKeyId', { min: 1, max: 2_147_483_647 })!;
}

function notFound(id: number): WireRequestError {
  return new WireRequestError('hostKeyId', `SSH host key ${id} does not exist`, 404);
}

export function registerSshHostKeyRoutes(app: FastifyInstance, services: ConsoleServices): void {
  app.get('/sshhostkeys', { schema: { response: { 200: ListOf(SshHostKeyWire) } } }, async (request) => {
    const fields = new LenientFields(request.query, 'query');
    const count = fields.integer('count', { min: 1, max: 1000, fallback: 10 })!;
    const start = fields.integer('start', { min: 1, max: Number.MAX_SAFE_INTEGER, fallback: 1 })!;
    const endpoint = endpointField(fields, false);
    const rows = await services.hostKeys.list({ count, start, endpoint });
    const links = new LinkBuilder(request, services.publicUrl);
    return pageEnvelope(request, links, rows, count, start, (key) => hostKeyToWire(key, links));
  });

  app.get('/sshhostkeys/:hostKeyId', { schema: { response: { 200: SshHostKeyWire } } }, async (request) => {
    const id = hostKeyId(request);
    const key = await services.hostKeys.get(id);
    if (!key) throw notFound(id);
    return hostKeyToWire(key, new LinkBuilder(request, services.publicUrl));
  });

  // Trust: {endpoint, fingerprint} for a key a scan recorded, or {endpoint, publicKey} for any key.
  app.post('/sshhostkeys', { schema: { response: { 200: SshHostKeyWire } } }, async (request, reply) => {
    const body = new LenientFields(request.body, 'body');
    const endpoint = endpointField(body, true)!;
    const fingerprint = body.string('fingerprint', { maxLength: 200 });
    const publicKeyLine = body.string('publicKey', { maxLength: 20_000 });
    if (fingerprint !== undefined && !/^SHA256:[A-Za-z0-9+/]{43}$/.test(fingerprint.trim())) {
      throw new WireRequestError('fingerprint', 'fingerprint must look like SHA256:<43 base64 characters>, as ssh-keygen -l prints it');
    }
    try {
      const key = await services.hostKeys.trust(endpoint, { fingerprint, publicKeyLine }, request.user!.username);
      return reply.code(200).send(hostKeyToWire(key, new LinkBuilder(request, services.publicUrl)));
    } catch (error) {
      if (error instanceof SshHostKeyError) throw new WireRequestError(error.field ?? 'fingerprint', error.message, error.status);
      throw error;
    }
  });

  app.delete('/sshhostkeys/:hostKeyId', async (request, reply) => {
    const id = hostKeyId(request);
    if (!(await services.hostKeys.forget(id))) throw notFound(id);
    return reply.code(204).send();
  });
}
