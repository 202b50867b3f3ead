import type { FastifyInstance } from 'fastify';
import type { ConsoleServices } from '../console-services.js';
import { LenientFields, WireRequestError } from '../wire-request.js';
import { LinkBuilder } from './links.js';
import { Operation } from './wire-models.js';
import { findOperation } from '../../scans/operations.js';

export function registerOperationRoutes(app: FastifyInstance, services: ConsoleServices): void {
  app.get('/operations/:operationId', { schema: { response: { 200: Operation } } }, async (request) => {
    const id = new LenientFields(request.params, 'query').guid('operationId', { required: true })!;
    const operation = await findOperation(services.db, id);
    if (!operation) throw new WireRequestError('operationId', `operation ${id} does not exist`, 404);
    const links = new LinkBuilder(request, services.publicUrl);
    return {
      created: operation.created,
      lastAction: operation.lastAction,
      operation: operation.operation,
      percentComplete: operation.percentComplete,
      // Only once the resource exists: clients wait for it to appear.
      resourceLocation: operation.resourcePath && operation.status !== 'Running' ? links.href(operation.resourcePath).href : undefined,
      status: operation.status,
      error: operation.error ? { message: operation.error } : undefined,
    };
  });
}
