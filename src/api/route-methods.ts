/**
 * Which methods answer each path of the server, so that a request whose path exists under other
 * methods gets 405 with an `Allow` header instead of 404 (RFC 9110 §15.5.6). A second router,
 * fed every route as it is added, with the server's own router options, is asked for each
 * method; the server's own router only answers whether one method matches.
 */
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

  /** The methods that answer the request's path (its query string ignored), sorted; none for an unknown path. */
  allowed(url: string): string[] {
    const path = url.split('?')[0];
    return [...this.methods].filter((method) => this.router.find(method, path) !== null).sort();
  }
}

/**
 * What a request that matched no route gets: `allowed` set when its path exists under other
 * methods (then 405 with that `Allow`), the message to send either way.
 */
export function unmatchedRequest(index: RouteMethodIndex, method: string, url: string): { status: 404 | 405; allowed?: string; message: string } {
  const path = url.split('?')[0];
  const allowed = index.allowed(url);
  if (allowed.length === 0) return { status: 404, message: `no such resource: ${method} ${path}` };
  return { status: 405, allowed: allowed.join(', '), message: `${method} is not allowed on ${path}; allowed: ${allowed.join(', ')}` };
}
