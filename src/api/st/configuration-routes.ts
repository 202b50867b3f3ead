import type { FastifyInstance } from 'fastify';
import type { ConsoleServices } from '../console-services.js';
import { LinkBuilder } from './links.js';
import { ConfigurationVersion, ListOf } from './wire-models.js';
import { Type } from 'typebox';

export function registerConfigurationRoutes(app: FastifyInstance, services: ConsoleServices): void {
  app.get('/configuration/version', { schema: { response: { 200: ConfigurationVersion } } }, async () => ({
    latestApiVersion: '1.0',
    productName: 'patchwarden',
    productVersion: services.productVersion,
  }));

  // The certificate clients encrypt passwords for (password objects with protectionMode SessionKey).
  app.get('/configuration/certificate', { schema: { response: { 200: Type.Object({ derEncoded: Type.String() }) } } }, async () => ({
    derEncoded: services.sessionKey.certificateDerBase64(),
  }));

  // Clients probe this route to learn that session credentials exist (newer consoles answer 200).
  app.get('/patch/productlevelgroups', { schema: { response: { 200: ListOf(Type.Object({ id: Type.Integer(), name: Type.String() })) } } }, async (request) => {
    const links = new LinkBuilder(request, services.publicUrl);
    return { count: 0, links: { self: links.href('patch/productlevelgroups') }, value: [] };
  });
}
