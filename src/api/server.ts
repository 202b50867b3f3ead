import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ConsoleServices } from './console-services.js';
import { securityControlsApi } from './st/index.js';
import { patchManagementApi } from './pm/index.js';
import { ST_PREFIX } from './st/links.js';
import { registerTokenRoute } from './token-route.js';
import { RouteMethodIndex, answerUnmatched } from './route-methods.js';
import { WireRequestError } from './wire-request.js';
import {
  MAX_PATH_PARAMETER_LENGTH, MAX_REQUEST_HEAD_BYTES, answerClientError, answerFrameworkError, checkQueryStringEncoding,
} from './request-line-errors.js';

export interface ServerOptions {
  logger: Logger | false;
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/** Assembles the HTTP server: health check, token login, and the API route modules. */
export async function buildServer(services: ConsoleServices, options: ServerOptions): Promise<FastifyInstance> {
  const routerOptions = { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: MAX_PATH_PARAMETER_LENGTH };
  const app = Fastify({
    loggerInstance: options.logger === false ? undefined : options.logger,
    logger: options.logger === false ? false : undefined,
    https: options.tls ? { cert: options.tls.cert, key: options.tls.key, maxHeaderSize: MAX_REQUEST_HEAD_BYTES } : null,
    http: { maxHeaderSize: MAX_REQUEST_HEAD_BYTES },
    bodyLimit: 10 * 1024 * 1024,
    routerOptions,
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  } as any) as unknown as FastifyInstance;

  // Every route, after its authentication: a query string that does not decode is refused.
  app.addHook('preValidation', async (request) => checkQueryStringEncoding(request));

  // Outside the API scopes (which format their own errors): never leak internal messages.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof WireRequestError) return reply.code(error.status).send({ message: error.message, field: error.field });
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return reply.code(error.statusCode).send({ message: error.message });
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ message: 'internal error; the console log has the details' });
  });
  // A path that exists under other methods: 405 with Allow (each API scope formats its own).
  const routeMethods = new RouteMethodIndex(routerOptions);
  app.addHook('onRoute', (route) => routeMethods.add(route.method, route.url));
  app.setNotFoundHandler(answerUnmatched(routeMethods, (_status, message) => ({ message })));

  app.get('/health', async () => ({ status: 'ok' }));
  registerTokenRoute(app, services);
  await app.register(async (scope) => securityControlsApi(scope, services, routeMethods), { prefix: ST_PREFIX });
  await app.register(async (scope) => patchManagementApi(scope, services, routeMethods), { prefix: '/pm' });
  return app;
}
