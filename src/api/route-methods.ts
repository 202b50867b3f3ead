/**
 * Which methods answer each path of the server, so that a request whose path exists under other
 * methods gets 405 with an `Allow` header instead of 404 (RFC 9110 §15.5.6). A second router,
 * fed every route as it is added, with the server's own router options, is asked for each
 * method; the server's own router only answers whether one method matches.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay from 'find-my-way';

type RouterOptions = { caseSensitive: boolean; ignoreTrailingSlash: boolean; maxParamLength: number };
type Method = FindMyWay.HTTPMethod;

export class RouteMethodIndex {
  private readonly router: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>;
  /** The methods some route answers, in the order they were first seen. */
  private readonly methods = new Set<Method>();

  constructor(options: RouterOptions) {
    this.router = FindMyWay(options);
  }

  /** Records a route (the URL with its prefix, as an `onRoute` hook sees it). */
  add(method: string | string[], url: string): void {
    for (const one of Array.isArray(method) ? method : [method]) {
      const upper = one.toUpperCase() as Method;
      if (this.router.hasRoute(upper, url)) continue;
      this.router.on(upper, url, () => undefined);
      this.methods.add(upper);
    }
  }

  /** The methods that answer a path (without its query string), sorted; none for an unknown path. */
  allowed(path: string): string[] {
    return [...this.methods].filter((method) => this.router.find(method, path) !== null).sort();
  }
}

/**
 * A not-found handler: 405 with `Allow` when the request's path exists under other methods, 404
 * otherwise, with the body `errorBody` makes of the status and message (each API its own format).
 */
export function answerUnmatched(index: RouteMethodIndex, errorBody: (status: 404 | 405, message: string) => object) {
  return (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = request.url.split('?')[0];
    const allowed = index.allowed(path);
    if (allowed.length === 0) return reply.code(404).send(errorBody(404, `no such resource: ${request.method} ${path}`));
    return reply.code(405).header('allow', allowed.join(', '))
      .send(errorBody(405, `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`));
  };
}
