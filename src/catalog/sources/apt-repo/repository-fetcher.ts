/**
 * HTTP side of the apt sync: conditional GETs, bounded concurrency, size and SHA256
 * checks while the body streams in, and decompression of Packages indexes.
 */
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { xz } from '@napi-rs/lzma';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Why a download failed; `url` is always the URL that was requested. */
export type AptFetchFailure = 'http' | 'network' | 'size' | 'hash' | 'decompress';

export class AptFetchError extends Error {
  override readonly name = 'AptFetchError';
  constructor(
    readonly failure: AptFetchFailure,
    readonly url: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }

  /** The server's Retry-After, when it sent one with a transient status. */
  retryAfterMs?: number;
  /** The system's error code of a network failure (ECONNRESET, ENOTFOUND, ...), when it gave one. */
  networkCode?: string;
}

/**
 * HTTP statuses that say "not now" rather than "no": a request answered with one of them may
 * succeed when sent again (mirrors answer 5xx while they sync or restart, 429 when busy).
 */
const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Whether sending the request again may succeed: network failures and the statuses above, but
 * not a host name that does not exist (ENOTFOUND; a failed lookup that may pass is EAI_AGAIN).
 */
export function isTransientFetchError(error: unknown): error is AptFetchError {
  if (!(error instanceof AptFetchError)) return false;
  if (error.failure === 'network') return error.networkCode !== 'ENOTFOUND';
  return error.failure === 'http' && error.status !== undefined && TRANSIENT_STATUSES.has(error.status);
}

function networkFailure(url: string, message: string, error: unknown): AptFetchError {
  const failure = new AptFetchError('network', url, message);
  const code = (error as { cause?: { code?: unknown } }).cause?.code;
  if (typeof code === 'string') failure.networkCode = code;
  return failure;
}

/** How a failed request is sent again (as apt's Acquire::Retries, with a growing delay). */
export interface RetryPolicy {
  /** Further attempts after the first (0: no retry). */
  retries: number;
  /** Delay before the first retry; it doubles for each further one. */
  delayMs: number;
  /** A server's Retry-After is honoured up to this long; a longer one uses the doubling delay. */
  maxRetryAfterMs?: number;
  /** Told before each retry is waited for. */
  onRetry?: (retry: { url: string; attempt: number; attempts: number; delayMs: number; reason: string }) => void;
}

/** Limits how many HTTP requests (including reading their bodies) run at once. */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** Counters shared by all requests of one sync. */
export interface TransferCounters {
  requests: number;
  bytes: number;
}

export interface HttpGetOptions {
  fetchImpl: FetchLike;
  limiter: ConcurrencyLimiter;
  counters: TransferCounters;
  /** Extra request headers (e.g. conditional headers). */
  headers?: Record<string, string>;
  /** Reject a body larger than this many bytes (checked while streaming). */
  maxBytes?: number;
  /** Abort when no data arrives for this long. */
  idleTimeoutMs: number;
  /**
   * Receives each body chunk as it arrives (e.g. a streaming decompressor). Chunks cannot be
   * taken back, so a request whose body had started to reach `onChunk` is not retried.
   */
  onChunk?: (chunk: Uint8Array) => void;
  /** Transient failures are retried by this policy (default: not retried). */
  retry?: RetryPolicy;
}

export type HttpGetResult =
  | { status: 'ok'; body: Buffer; sha256: string; etag?: string; lastModified?: string }
  | { status: 'not-modified' }
  | { status: 'not-found'; httpStatus: number };

function describeNetworkError(error: unknown): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  const cause = err.cause;
  if (cause?.code !== undefined) return `${cause.code}${cause.message !== undefined ? ` (${cause.message})` : ''}`;
  if (cause?.message !== undefined) return `${err.message}: ${cause.message}`;
  return err.message;
}

/**
 * GET `url`. 200 → body (hashed with SHA256 while streaming); 304 → not-modified;
 * 404/410 → not-found; anything else is an {@link AptFetchError}. Transient failures are sent
 * again as `options.retry` says; the waits between attempts hold no concurrency slot.
 */
export async function httpGet(url: string, options: HttpGetOptions): Promise<HttpGetResult> {
  const retries = options.retry?.retries ?? 0;
  for (let attempt = 1; ; attempt++) {
    const delivered = { chunks: false };
    try {
      return await httpGetOnce(url, options, delivered);
    } catch (error) {
      if (!isTransientFetchError(error) || delivered.chunks) throw error;
      if (attempt > retries) {
        if (attempt === 1) throw error;
        const final = new AptFetchError(error.failure, error.url, `${error.message} (tried ${attempt} times)`, error.status);
        final.networkCode = error.networkCode;
        throw final;
      }
      const delayMs = retryDelay(options.retry!, attempt, error.retryAfterMs);
      options.retry!.onRetry?.({ url, attempt: attempt + 1, attempts: retries + 1, delayMs, reason: error.message });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

function retryDelay(policy: RetryPolicy, attempt: number, retryAfterMs: number | undefined): number {
  const doubling = policy.delayMs * 2 ** (attempt - 1);
  if (retryAfterMs !== undefined && retryAfterMs <= (policy.maxRetryAfterMs ?? 30_000)) return Math.max(retryAfterMs, 0);
  return doubling;
}

/** Retry-After in milliseconds: delay-seconds or an HTTP date (RFC 9110, 10.2.3). */
function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(date - now, 0);
}

async function httpGetOnce(url: string, options: HttpGetOptions, delivered: { chunks: boolean }): Promise<HttpGetResult> {
  return options.limiter.run(async () => {
    const controller = new AbortController();
    let idleTimer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const armIdleTimer = (): void => {
      if (idleTimer !== undefined) clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, options.idleTimeoutMs);
    };
    armIdleTimer();
    options.counters.requests++;
    try {
      let response: Response;
      try {
        // identity: hashes are over the bytes as published; a server adding Content-Encoding
        // (some do for .gz files) would otherwise have fetch decode them behind our back.
        const headers = { 'accept-encoding': 'identity', ...options.headers };
        response = await options.fetchImpl(url, { headers, signal: controller.signal, redirect: 'follow' });
      } catch (error) {
        const reason = timedOut ? `no response within ${options.idleTimeoutMs} ms` : describeNetworkError(error);
        throw networkFailure(url, `GET ${url} failed: ${reason}`, error);
      }
      if (response.status === 304) {
        await response.body?.cancel();
        return { status: 'not-modified' };
      }
      if (response.status === 404 || response.status === 410) {
        await response.body?.cancel();
        return { status: 'not-found', httpStatus: response.status };
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        const failure = new AptFetchError('http', url, `GET ${url} returned HTTP ${response.status} ${response.statusText}`.trim(), response.status);
        failure.retryAfterMs = retryAfterMs(response.headers.get('retry-after'));
        throw failure;
      }
      const declared = response.headers.get('content-length');
      if (options.maxBytes !== undefined && declared !== null && Number(declared) > options.maxBytes) {
        await response.body?.cancel();
        throw new AptFetchError('size', url, `${url} is ${declared} bytes, Release says ${options.maxBytes}`);
      }
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let total = 0;
      try {
        if (response.body !== null) {
          for await (const part of response.body as unknown as AsyncIterable<Uint8Array>) {
            armIdleTimer();
            total += part.byteLength;
            if (options.maxBytes !== undefined && total > options.maxBytes) {
              controller.abort();
              throw new AptFetchError('size', url, `${url} is larger than the ${options.maxBytes} bytes Release says`);
            }
            const chunk = Buffer.from(part.buffer, part.byteOffset, part.byteLength);
            hash.update(chunk);
            chunks.push(chunk);
            if (options.onChunk !== undefined) {
              delivered.chunks = true;
              options.onChunk(chunk);
            }
          }
        }
      } catch (error) {
        if (error instanceof AptFetchError) throw error;
        const reason = timedOut ? `stalled for ${options.idleTimeoutMs} ms` : describeNetworkError(error);
        throw networkFailure(url, `reading ${url} failed after ${total} bytes: ${reason}`, error);
      }
      options.counters.bytes += total;
      return {
        status: 'ok',
        body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total),
        sha256: hash.digest('hex'),
        etag: response.headers.get('etag') ?? undefined,
        lastModified: response.headers.get('last-modified') ?? undefined,
      };
    } finally {
      if (idleTimer !== undefined) clearTimeout(idleTimer);
    }
  });
}

export type IndexCompression = 'xz' | 'gz' | 'none';

/** File-name suffix of each compression. */
export const COMPRESSION_SUFFIX: Record<IndexCompression, string> = { xz: '.xz', gz: '.gz', none: '' };

/** Decompresses a whole downloaded index. */
export async function decompressIndex(body: Buffer, compression: IndexCompression, url: string): Promise<Buffer> {
  try {
    switch (compression) {
      case 'none':
        return body;
      case 'xz':
        return await xz.decompress(body);
      case 'gz':
        return await new Promise<Buffer>((resolve, reject) => {
          const chunks: Buffer[] = [];
          const gunzip = createGunzip();
          gunzip.on('data', (chunk: Buffer) => chunks.push(chunk));
          gunzip.on('end', () => resolve(Buffer.concat(chunks)));
          gunzip.on('error', reject);
          gunzip.end(body);
        });
    }
  } catch (error) {
    throw new AptFetchError('decompress', url, `cannot decompress ${url} (${compression}): ${(error as Error).message}`);
  }
}

/**
 * A gzip decompressor fed while the body downloads, passing decompressed data to `sink`.
 * `finish()` resolves once everything written has been decompressed.
 */
export function streamingGunzip(sink: (chunk: Buffer) => void, url: string): { write(chunk: Uint8Array): void; finish(): Promise<void>; abort(): void } {
  const gunzip = createGunzip();
  let failure: Error | undefined;
  gunzip.on('data', (chunk: Buffer) => {
    try {
      sink(chunk);
    } catch (error) {
      failure = error as Error;
      gunzip.destroy(failure);
    }
  });
  const done = new Promise<void>((resolve, reject) => {
    gunzip.on('end', resolve);
    gunzip.on('error', (error) => reject(new AptFetchError('decompress', url, `cannot decompress ${url} (gz): ${error.message}`)));
  });
  done.catch(() => undefined); // observed by finish()
  return {
    write(chunk) {
      if (failure === undefined && !gunzip.destroyed) gunzip.write(chunk);
    },
    async finish() {
      gunzip.end();
      await done;
    },
    abort() {
      gunzip.destroy();
    },
  };
}
