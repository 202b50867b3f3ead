import type { FastifyRequest } from 'fastify';

export const ST_PREFIX = '/st/console/api/v1.0';

/** Builds absolute links: from the configured public URL, or from the request's own scheme and host. */
export class LinkBuilder {
  readonly base: string;

  constructor(request: FastifyRequest, publicUrl: string | undefined) {
    const origin = publicUrl ? publicUrl.replace(/\/+$/, '') : `${request.protocol}://${request.host}`;
    this.base = `${origin}${ST_PREFIX}`;
  }

  href(path: string): { href: string } {
    return { href: `${this.base}/${path.replace(/^\/+/, '')}` };
  }

  /** The same list URL with a new `start`, keeping the caller's other query parameters. */
  page(request: FastifyRequest, start: number): { href: string } {
    const url = new URL(request.url, 'http://placeholder');
    const params = url.searchParams;
    for (const key of [...params.keys()]) if (key.toLowerCase() === 'start') params.delete(key);
    params.set('start', String(start));
    return { href: `${this.base}${url.pathname.slice(ST_PREFIX.length)}?${params.toString()}` };
  }
}

/** Turns an over-fetched page (`count + 1` rows) into the list envelope's fields. */
export function pageEnvelope<T, W>(request: FastifyRequest, links: LinkBuilder, rows: T[], count: number, start: number, map: (row: T) => W) {
  const page = rows.slice(0, count).map(map);
  const envelope: { count: number; links: { self: { href: string }; next?: { href: string } }; value: W[] } = {
    count: page.length,
    links: { self: links.page(request, start) },
    value: page,
  };
  if (rows.length > count) envelope.links.next = links.page(request, start + count);
  return envelope;
}
