import type { FastifyError, FastifyInstance } from 'fastify';
import type { ConsoleServices } from '../console-services.js';
import { AuthenticationRequiredError, sendUnauthorized } from '../authentication.js';
import { WireRequestError } from '../wire-request.js';
import { ScanRequestError } from '../../scans/scan-service.js';
import { registerPatchScanRoutes } from './patch-scan-routes.js';
import { registerOperationCancelRoutes, registerOperationRoutes } from './operation-routes.js';
import { registerMachineGroupRoutes } from './machine-group-routes.js';
import { registerMachineRoutes } from './machine-routes.js';
import { registerSessionCredentialRoutes } from './session-credential-routes.js';
import { registerScanTemplateRoutes } from './scan-template-routes.js';
import { registerConfigurationRoutes } from './configuration-routes.js';
import { registerCredentialRoutes } from './credential-routes.js';
import { registerSshHostKeyRoutes } from './ssh-host-key-routes.js';
import { answerUnmatched, type RouteMethodIndex } from '../route-methods.js';

/** The Security Controls console API (`/st/console/api/v1.0`). Every route needs a user. */
export async function securityControlsApi(app: FastifyInstance, services: ConsoleServices, routeMethods: RouteMethodIndex): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    try {
      request.user = await services.authenticator.authenticate(request);
    } catch (error) {
      if (error instanceof AuthenticationRequiredError) return sendUnauthorized(reply, error.message);
      throw error;
    }
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof WireRequestError) return reply.code(error.status).send({ message: error.message, field: error.field });
    if (error instanceof ScanRequestError) return reply.code(error.status).send({ message: error.message, field: error.field });
    if (error instanceof AuthenticationRequiredError) return sendUnauthorized(reply, error.message);
    if (error.statusCode === 415) {
      return reply.code(415).send({ message: `unsupported Content-Type "${request.headers['content-type'] ?? ''}": send the body as JSON with Content-Type: application/json` });
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ message: error.message });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ message: 'internal error; the console log has the details' });
  });

  app.setNotFoundHandler(answerUnmatched(routeMethods, (_status, message) => ({ message })));

  registerConfigurationRoutes(app, services);
  registerOperationRoutes(app, services);
  registerScanTemplateRoutes(app, services);
  registerPatchScanRoutes(app, services);
  registerCredentialRoutes(app, services);
  registerOperationCancelRoutes(app, services);
  registerMachineGroupRoutes(app, services);
  registerMachineRoutes(app, services);
  registerSessionCredentialRoutes(app, services);
  registerSshHostKeyRoutes(app, services);
}
