import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

/** `DELETE /operations/{id}`: cancels a running patch scan (204); 409 once finished. */
export function registerOperationCancelRoutes(app: FastifyInstance, services: ConsoleServices): void {
  const cancel = async (request: FastifyRequest, reply: FastifyReply) => {
    const params = new LenientFields(request.params, 'query');
    const id = params.guid('operationId', { required: true })!;
    // The run-as credential of the documented variant must be the caller's own; it changes nothing else here.
    const runAs = params.guid('runAsCredentialId');
    if (runAs !== undefined && !(await services.credentials.get(request.user!, runAs))) {
      throw new WireRequestError('runAsCredentialId', `credential ${runAs} does not exist (or is not yours)`, 404);
    }
    await services.scans.cancelScan(id, request.user!);
    return reply.code(204).send();
  };
  app.delete('/operations/:operationId', cancel);
  app.delete('/operations/:operationId/:runAsCredentialId', cancel);
}
