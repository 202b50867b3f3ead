import type { FastifyError, FastifyInstance } from 'fastify';
import type { ConsoleServices } from '../console-services.js';
import { AuthenticationRequiredError } from '../authentication.js';
import { WireRequestError } from '../wire-request.js';
import { PmErrorCode, PmRequestError, pmErrorBody } from './pm-errors.js';
import { registerDeploymentJobRoutes } from './deployment-job-routes.js';
import { registerPatchRoutes } from './patch-routes.js';
import { registerAssetRoutes } from './asset-routes.js';
import { registerVulnerabilityRoutes } from './vulnerability-routes.js';
import { registerPatchCatalogRoutes } from './patch-catalog-routes.js';
import { answerUnmatched, type RouteMethodIndex } from '../route-methods.js';

/**
 * The Patch Management API (`/pm/v1`, `/pm/v2`) as the qualysdk SDK and its CLI call it: bearer
 * tokens from `POST /auth`, JSON bodies (often none at all), `True`/`False` query booleans, and
 * errors as `{"_error": {...}}`.
 */
export async function patchManagementApi(app: FastifyInstance, services: ConsoleServices, routeMethods: RouteMethodIndex): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    try {
      request.user = await services.authenticator.authenticate(request);
    } catch (error) {
      if (error instanceof AuthenticationRequiredError) {
        return reply.code(401).send(pmErrorBody(PmErrorCode.Unauthorized, error.message));
      }
      throw error;
    }
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof PmRequestError) return reply.code(error.status).send(pmErrorBody(error.errorCode, error.message, error.details));
    if (error instanceof WireRequestError) {
      return reply.code(error.status).send(pmErrorBody(error.status === 404 ? PmErrorCode.NotFound : PmErrorCode.InvalidRequest, error.message, { field: error.field }));
    }
    if (error.statusCode === 415) {
      return reply.code(415).send(pmErrorBody(PmErrorCode.UnsupportedMediaType, `unsupported Content-Type "${request.headers['content-type'] ?? ''}": send JSON`));
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send(pmErrorBody(PmErrorCode.InvalidRequest, error.message));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send(pmErrorBody(PmErrorCode.Internal, 'internal error; the console log has the details'));
  });

  app.setNotFoundHandler(answerUnmatched(routeMethods, (status, message) =>
    pmErrorBody(status === 405 ? PmErrorCode.MethodNotAllowed : PmErrorCode.NotFound, message)));

  // An empty body with a JSON content type is "no body", as the SDK sends for bodiless POSTs.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 10 * 1024 * 1024 }, (_request, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new PmRequestError(400, PmErrorCode.InvalidRequest, 'the request body is not valid JSON'), undefined);
    }
  });

  // The SDK sends JSON or nothing: a text/plain body (even one holding JSON) gets the 415 that
  // every other type does, not a complaint that it is no JSON object.
  app.removeContentTypeParser('text/plain');

  // Routes below are relative to the /pm prefix.
  app.get('/v1/details', async () => ({ appVersion: services.productVersion }));
  registerDeploymentJobRoutes(app, services);
  registerPatchRoutes(app, services);
  registerAssetRoutes(app, services);
  registerVulnerabilityRoutes(app, services);
  registerPatchCatalogRoutes(app, services);
}
