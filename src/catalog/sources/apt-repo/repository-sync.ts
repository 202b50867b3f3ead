/**
 * Sync of apt repository metadata for the catalog: for every enabled `deb` distribution,
 * fetch and verify InRelease (or Release + Release.gpg), and when it changed, fetch, verify,
 * decompress and parse the Packages indexes the sources ask for.
 *
 * One failing distribution never stops the others: its problems go to `errors` and it has
 * no entry in `distributions` (so the caller keeps its previous data and validators).
 */
import { createHash } from 'node:crypto';
import { PackagesIndexParser } from './packages-index.js';
import { AptReleaseFormatError, parseReleaseFile, releaseProvidesComponent, type AptReleaseFile } from './release-file.js';
import {
  AptSignatureError,
  DEFAULT_SYSTEM_KEYRINGS,
  KeyringStore,
  readClearsignedTextUnverified,
  verifyClearsignedRelease,
  verifyDetachedRelease,
} from './release-signature.js';
import {
  AptFetchError,
  COMPRESSION_SUFFIX,
  ConcurrencyLimiter,
  decompressIndex,
  httpGet,
  streamingGunzip,
  type FetchLike,
  type HttpGetResult,
  type IndexCompression,
  type TransferCounters,
} from './repository-fetcher.js';
import type { AptPackageRecord, AptReleaseInfo, AptSourceEntry } from './types.js';

/** What to remember about a distribution's Release file between syncs. */
export interface AptReleaseValidators {
  /** SHA256 of the InRelease (or Release) bytes as downloaded. */
  inReleaseSha256: string;
  etag?: string;
  lastModified?: string;
  /** Which file the validators describe (conditional headers are sent for that file only). */
  releaseFile?: 'InRelease' | 'Release';
  /** `Valid-Until` of that file, ISO-8601; still enforced when the server answers 304. */
  validUntil?: string;
  /** Digest of the configured (component, architecture) set; when it changes, indexes are fetched again. */
  indexSetDigest?: string;
}

export type AptSyncProblemKind =
  | 'config'
  | 'http'
  | 'network'
  | 'unsigned'
  | 'signature'
  | 'keyring'
  | 'release-format'
  | 'expired'
  | 'unknown-component'
  | 'unsupported-architecture'
  | 'missing-index'
  | 'size'
  | 'hash'
  | 'decompress'
  /** An unexpected failure inside the sync (a bug): the message says what. */
  | 'internal';

/** An error or warning about one distribution. */
export interface AptSyncProblem {
  /** {@link aptDistributionKey} of the distribution. */
  key: string;
  uri: string;
  /** The distribution (suite) as configured. */
  dist: string;
  kind: AptSyncProblemKind;
  /** The URL concerned, when there is one. */
  url?: string;
  message: string;
}

/** One parsed Packages index. */
export interface AptIndexSyncResult {
  /** Component (`main`); empty for a flat repository. */
  component: string;
  /** Architecture of the index (`amd64`, `all`); empty for a flat repository (records carry theirs). */
  architecture: string;
  /** Release-relative path of the file that was downloaded, e.g. `main/binary-amd64/Packages.xz`. */
  path: string;
  /** URL actually downloaded (a `by-hash` URL when the Release offers it). */
  url: string;
  /** SHA256 of the downloaded (compressed) file, as listed in Release. */
  sha256: string;
  size: number;
  packages: AptPackageRecord[];
}

export interface AptDistributionSyncResult {
  key: string;
  uri: string;
  /** The distribution (suite) as configured, e.g. `bookworm-security` or a flat `path/`. */
  dist: string;
  /** URL of the Release metadata used (`.../InRelease` or `.../Release`). */
  releaseUrl: string;
  /** Parsed Release; absent only when the server answered 304 Not Modified. */
  release?: AptReleaseInfo;
  /** Store these and hand them back through `previous` next time. */
  validators: AptReleaseValidators;
  /** The Release file is the one seen last time: no index was fetched. */
  unchanged: boolean;
  /** The parsed indexes; empty when unchanged. */
  indexes: AptIndexSyncResult[];
  /** Key IDs of the good signatures; empty for a `trusted` entry (not verified). */
  signatureKeyIds: string[];
}

export type AptSyncProgress =
  | { type: 'release'; key: string; url: string; unchanged: boolean }
  | { type: 'index'; key: string; url: string; path: string; bytes: number; records: number }
  | { type: 'retry'; key: string; url: string; attempt: number; attempts: number; delayMs: number; reason: string }
  | { type: 'failed'; key: string; problems: AptSyncProblem[] };

/** One-line description of a progress event (for logs and the CLI). */
export function describeAptSyncProgress(event: AptSyncProgress): string {
  switch (event.type) {
    case 'release':
      return `${event.unchanged ? 'Unchanged' : 'Got'} ${event.url}`;
    case 'index':
      return `Got ${event.url} (${event.bytes} bytes, ${event.records} packages)`;
    case 'retry':
      return `Retrying ${event.url} in ${event.delayMs} ms (attempt ${event.attempt} of ${event.attempts}): ${event.reason}`;
    case 'failed':
      return `Failed ${event.key}: ${event.problems.map((problem) => problem.message).join('; ')}`;
  }
}

function reportProgress(options: AptSyncOptions, event: AptSyncProgress): void {
  options.onProgress?.(describeAptSyncProgress(event), event);
}

export interface AptSyncOptions {
  /** dpkg architectures, native first then foreign (`dpkg --print-architecture`, `--print-foreign-architectures`). */
  hostArchitectures: string[];
  /** Validators remembered from the last successful sync of a distribution (key: {@link aptDistributionKey}). */
  previous?: (key: string) => AptReleaseValidators | undefined;
  /** Trusted keyrings for entries without `signedBy` (files, or directories of `*.gpg`/`*.asc`). Default: apt's. */
  systemKeyrings?: string[];
  /** Maximum simultaneous HTTP requests (default 4). */
  concurrency?: number;
  /** HTTP client (default: the global `fetch`). */
  fetchImpl?: FetchLike;
  /** Progress: a one-line human-readable message, and the same event as data. */
  onProgress?: (message: string, event: AptSyncProgress) => void;
  /**
   * Preferred index compressions, best first; unlisted ones are still used, after these, when
   * the Release offers nothing better. Default `xz`, `gz`, uncompressed (smallest download;
   * on a fast link `gz` first is quicker, as xz decompression is the slowest step).
   */
  compressionPreference?: IndexCompression[];
  /** Clock for `Valid-Until` and signature checks (default: now). */
  now?: () => Date;
  /** Abort a request when no data arrives for this long (default 30 s). */
  idleTimeoutMs?: number;
  /**
   * Further attempts for a request that failed transiently (network error, timeout, HTTP 408,
   * 429 or 5xx), as apt's Acquire::Retries (default 2). Not for 404, signature, size or hash
   * errors, which another attempt would not change.
   */
  retries?: number;
  /** Wait before the first retry, doubled for each further one; a server's Retry-After wins (default 1 s). */
  retryDelayMs?: number;
  /** Keyring cache (default: one shared by all syncs in this process; files are re-read when they change). */
  keyrings?: KeyringStore;
}

export interface AptSyncStats {
  durationMs: number;
  requests: number;
  bytesDownloaded: number;
  /** Wall time of the OpenPGP verifications (keyrings already loaded), summed over distributions. */
  signatureMs: number;
  /** Time spent decompressing whole (xz) indexes, summed. */
  decompressMs: number;
  /** Time spent parsing Packages indexes, summed. */
  parseMs: number;
}

export interface AptSyncOutcome {
  distributions: AptDistributionSyncResult[];
  errors: AptSyncProblem[];
  warnings: AptSyncProblem[];
  stats: AptSyncStats;
}

/** Key of a distribution: archive URI (no trailing slash) and suite, separated by a space. */
export function aptDistributionKey(uri: string, suite: string): string {
  return `${trimTrailingSlashes(uri)} ${suite}`;
}

function trimTrailingSlashes(uri: string): string {
  let end = uri.length;
  while (end > 0 && uri.charCodeAt(end - 1) === 0x2f) end--;
  return uri.slice(0, end);
}

/** The entries of one (uri, suite), merged. */
interface DistributionPlan {
  key: string;
  uri: string;
  suite: string;
  flat: boolean;
  /** Base URL ending in `/`: `<uri>/dists/<suite>/`, or `<uri>/<suite>` for a flat repository. */
  baseUrl: string;
  /** Requested (component, architecture) pairs, in configuration order, without duplicates. */
  targets: Array<{ component: string; architecture: string }>;
  /** Architectures requested (for flat repositories: records of other architectures are dropped). */
  architectures: string[];
  signedBy?: string[];
  trusted: boolean;
  configProblems: string[];
}

function planDistributions(entries: readonly AptSourceEntry[], hostArchitectures: readonly string[]): DistributionPlan[] {
  const plans = new Map<string, DistributionPlan>();
  const seenTargets = new Map<string, Set<string>>();
  for (const entry of entries) {
    if (entry.type !== 'deb' || !entry.enabled) continue;
    const uri = trimTrailingSlashes(entry.uri);
    const key = aptDistributionKey(uri, entry.suite);
    const flat = entry.suite.endsWith('/');
    let plan = plans.get(key);
    if (plan === undefined) {
      const configProblems: string[] = [];
      let baseUrl = '';
      try {
        baseUrl = new URL(flat ? `${uri}/${entry.suite}` : `${uri}/dists/${entry.suite}/`).href;
      } catch {
        configProblems.push(`invalid URI ${JSON.stringify(entry.uri)} in ${entry.file}`);
      }
      plan = {
        key,
        uri,
        suite: entry.suite,
        flat,
        baseUrl,
        targets: [],
        architectures: [],
        signedBy: entry.signedBy,
        trusted: entry.trusted === true,
        configProblems,
      };
      plans.set(key, plan);
      seenTargets.set(key, new Set());
    } else {
      const sameKeys = JSON.stringify([...(plan.signedBy ?? [])].sort()) === JSON.stringify([...(entry.signedBy ?? [])].sort());
      if (!sameKeys) plan.configProblems.push(`conflicting Signed-By values for ${key} (again in ${entry.file})`);
      if (plan.trusted !== (entry.trusted === true)) plan.configProblems.push(`conflicting Trusted values for ${key} (again in ${entry.file})`);
    }
    if (flat && entry.components.length > 0) {
      plan.configProblems.push(`flat repository ${key} (suite ends with "/") must not list components (${entry.file})`);
    }
    if (!flat && entry.components.length === 0) {
      plan.configProblems.push(`${key} lists no components (${entry.file})`);
    }
    const architectures = entry.architectures ?? hostArchitectures;
    const seen = seenTargets.get(key)!;
    for (const architecture of architectures) {
      if (!plan.architectures.includes(architecture)) plan.architectures.push(architecture);
      for (const component of flat ? [''] : entry.components) {
        const id = `${component}\u0000${architecture}`;
        if (seen.has(id)) continue;
        seen.add(id);
        plan.targets.push({ component, architecture });
      }
    }
  }
  return [...plans.values()];
}

function indexSetDigest(plan: DistributionPlan): string {
  const ids = plan.targets.map((target) => `${target.component}/${target.architecture}`).sort();
  return createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 32);
}

/** Thrown inside a distribution's sync; turned into an {@link AptSyncProblem}. */
class DistributionFailure extends Error {
  constructor(
    readonly kind: AptSyncProblemKind,
    message: string,
    readonly url?: string,
  ) {
    super(message);
  }
}

function toFailure(error: unknown): DistributionFailure {
  if (error instanceof DistributionFailure) return error;
  if (error instanceof AptFetchError) return new DistributionFailure(error.failure, error.message, error.url);
  if (error instanceof AptSignatureError) {
    const kind: AptSyncProblemKind = error.failure === 'invalid' ? 'signature' : error.failure;
    return new DistributionFailure(kind, error.message);
  }
  if (error instanceof AptReleaseFormatError) return new DistributionFailure('release-format', error.message);
  return new DistributionFailure('internal', error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}

/** One index to fetch, with its candidate files (best compression first). */
interface IndexTarget {
  component: string;
  architecture: string;
  variants: Array<{ path: string; compression: IndexCompression; hash: string; size: number }>;
}

interface SyncContext {
  options: AptSyncOptions;
  fetchImpl: FetchLike;
  limiter: ConcurrencyLimiter;
  counters: TransferCounters;
  keyrings: KeyringStore;
  systemKeyrings: readonly string[];
  compressions: IndexCompression[];
  idleTimeoutMs: number;
  retries: number;
  retryDelayMs: number;
  now: () => Date;
  stats: AptSyncStats;
}

class DistributionSync {
  readonly warnings: AptSyncProblem[] = [];

  constructor(
    private readonly plan: DistributionPlan,
    private readonly context: SyncContext,
  ) {}

  private warn(kind: AptSyncProblemKind, message: string, url?: string): void {
    this.warnings.push({ key: this.plan.key, uri: this.plan.uri, dist: this.plan.suite, kind, message, url });
  }

  private get(url: string, extra: { headers?: Record<string, string>; maxBytes?: number; onChunk?: (chunk: Uint8Array) => void } = {}): Promise<HttpGetResult> {
    return httpGet(url, {
      fetchImpl: this.context.fetchImpl,
      limiter: this.context.limiter,
      counters: this.context.counters,
      idleTimeoutMs: this.context.idleTimeoutMs,
      retry: {
        retries: this.context.retries,
        delayMs: this.context.retryDelayMs,
        onRetry: (retry) => reportProgress(this.context.options, { type: 'retry', key: this.plan.key, ...retry }),
      },
      ...extra,
    });
  }

  async run(): Promise<AptDistributionSyncResult> {
    const { plan, context } = this;
    if (plan.configProblems.length > 0) throw new DistributionFailure('config', plan.configProblems.join('; '));
    const digest = indexSetDigest(plan);
    const remembered = context.options.previous?.(plan.key);
    // Validators recorded for another set of indexes cannot vouch for this one.
    const previous = remembered !== undefined && (remembered.indexSetDigest === undefined || remembered.indexSetDigest === digest) ? remembered : undefined;

    // Start reading keyrings while the Release file downloads.
    const keys = plan.trusted ? undefined : context.keyrings.keysFor(plan.signedBy, context.systemKeyrings);
    keys?.catch(() => undefined); // awaited below

    const conditional = (file: 'InRelease' | 'Release'): Record<string, string> | undefined => {
      if (previous === undefined || (previous.releaseFile ?? 'InRelease') !== file) return undefined;
      const headers: Record<string, string> = {};
      if (previous.etag !== undefined) headers['if-none-match'] = previous.etag;
      if (previous.lastModified !== undefined) headers['if-modified-since'] = previous.lastModified;
      return headers;
    };

    const inReleaseUrl = `${plan.baseUrl}InRelease`;
    let releaseUrl = inReleaseUrl;
    let releaseFile: 'InRelease' | 'Release' = 'InRelease';
    let download = await this.get(inReleaseUrl, { headers: conditional('InRelease') });
    let detachedSignature: Buffer | undefined;
    let signatureUrl: string | undefined;
    if (download.status === 'not-found') {
      releaseUrl = `${plan.baseUrl}Release`;
      releaseFile = 'Release';
      download = await this.get(releaseUrl, { headers: conditional('Release') });
      if (download.status === 'not-found') {
        throw new DistributionFailure('http', `no Release file: ${inReleaseUrl} and ${releaseUrl} both returned HTTP ${download.httpStatus}`, releaseUrl);
      }
      if (download.status === 'ok' && !plan.trusted) {
        signatureUrl = `${plan.baseUrl}Release.gpg`;
        const signature = await this.get(signatureUrl, { maxBytes: 1 << 20 });
        if (signature.status !== 'ok') {
          throw new DistributionFailure('unsigned', `repository is not signed: ${inReleaseUrl} and ${signatureUrl} are missing (mark the source trusted to accept it)`, signatureUrl);
        }
        detachedSignature = signature.body;
      }
    }

    if (download.status === 'not-modified') {
      if (previous === undefined) throw new DistributionFailure('http', `${releaseUrl} answered 304 Not Modified to an unconditional request`, releaseUrl);
      this.checkValidUntil(previous.validUntil, releaseUrl);
      reportProgress(context.options, { type: 'release', key: plan.key, url: releaseUrl, unchanged: true });
      return {
        key: plan.key,
        uri: plan.uri,
        dist: plan.suite,
        releaseUrl,
        validators: {
          inReleaseSha256: previous.inReleaseSha256,
          ...(previous.etag !== undefined ? { etag: previous.etag } : {}),
          ...(previous.lastModified !== undefined ? { lastModified: previous.lastModified } : {}),
          ...(previous.validUntil !== undefined ? { validUntil: previous.validUntil } : {}),
          releaseFile,
          indexSetDigest: digest,
        },
        unchanged: true,
        indexes: [],
        signatureKeyIds: [],
      };
    }
    if (download.status !== 'ok') throw new DistributionFailure('http', `unexpected answer for ${releaseUrl}`, releaseUrl);

    // Signature: only the verified signed text is used from here on.
    const allowedKeys = keys === undefined ? undefined : await keys.catch((error: unknown) => {
      const failure = toFailure(error);
      throw new DistributionFailure(failure.kind, failure.message, releaseUrl);
    });
    const signatureStarted = performance.now();
    let text: string;
    let signatureKeyIds: string[] = [];
    try {
      if (plan.trusted) {
        text = releaseFile === 'InRelease' ? await readClearsignedTextUnverified(download.body, releaseUrl) : download.body.toString('utf8');
      } else if (releaseFile === 'InRelease') {
        const verified = await verifyClearsignedRelease(download.body, allowedKeys!, { url: releaseUrl, date: context.now() });
        text = verified.text;
        signatureKeyIds = verified.goodSignatureKeyIds;
      } else {
        const verified = await verifyDetachedRelease(download.body, detachedSignature!, allowedKeys!, {
          url: releaseUrl,
          signatureUrl: signatureUrl!,
          date: context.now(),
        });
        text = verified.text;
        signatureKeyIds = verified.goodSignatureKeyIds;
      }
    } catch (error) {
      const failure = toFailure(error);
      throw new DistributionFailure(failure.kind, failure.message, failure.url ?? releaseUrl);
    } finally {
      context.stats.signatureMs += performance.now() - signatureStarted;
    }

    let release: AptReleaseFile;
    try {
      release = parseReleaseFile(text);
    } catch (error) {
      throw new DistributionFailure('release-format', `${releaseUrl}: ${(error as Error).message}`, releaseUrl);
    }
    this.checkValidUntil(release.info.validUntil, releaseUrl);

    const validators: AptReleaseValidators = {
      inReleaseSha256: download.sha256,
      releaseFile,
      indexSetDigest: digest,
    };
    if (download.etag !== undefined) validators.etag = download.etag;
    if (download.lastModified !== undefined) validators.lastModified = download.lastModified;
    if (release.info.validUntil !== undefined) validators.validUntil = release.info.validUntil;

    const unchanged = previous !== undefined && previous.inReleaseSha256 === download.sha256;
    reportProgress(context.options, { type: 'release', key: plan.key, url: releaseUrl, unchanged });
    const result: AptDistributionSyncResult = {
      key: plan.key,
      uri: plan.uri,
      dist: plan.suite,
      releaseUrl,
      release: release.info,
      validators,
      unchanged,
      indexes: [],
      signatureKeyIds,
    };
    if (unchanged) return result;

    const targets = this.chooseIndexes(release, releaseUrl);
    const settled = await Promise.allSettled(targets.map((target) => this.fetchIndex(target, release.info.acquireByHash)));
    const failures: DistributionFailure[] = [];
    for (const outcome of settled) {
      if (outcome.status === 'fulfilled') result.indexes.push(outcome.value);
      else failures.push(toFailure(outcome.reason));
    }
    if (failures.length > 0) throw new AggregateDistributionFailure(failures);
    return result;
  }

  private checkValidUntil(validUntil: string | undefined, url: string): void {
    if (validUntil === undefined) return;
    const now = this.context.now();
    if (Date.parse(validUntil) >= now.getTime()) return;
    const message = `${url} expired: Valid-Until ${validUntil} is before ${now.toISOString()}`;
    if (this.plan.trusted) this.warn('expired', `${message} (accepted: source is trusted)`, url);
    else throw new DistributionFailure('expired', message, url);
  }

  /** The indexes to download, after checking components and architectures against the Release. */
  private chooseIndexes(release: AptReleaseFile, releaseUrl: string): IndexTarget[] {
    const { plan } = this;
    const { info } = release;
    const pick = (base: string): IndexTarget['variants'] => {
      const variants: IndexTarget['variants'] = [];
      for (const compression of this.context.compressions) {
        const path = base + COMPRESSION_SUFFIX[compression];
        const listed = info.sha256.get(path);
        if (listed !== undefined) variants.push({ path, compression, hash: listed.hash, size: listed.size });
      }
      return variants;
    };

    if (plan.flat) {
      const variants = pick('Packages');
      if (variants.length === 0) throw new DistributionFailure('missing-index', `${releaseUrl} lists no Packages index with a SHA256 checksum`, releaseUrl);
      return [{ component: '', architecture: '', variants }];
    }

    const unknown = [...new Set(plan.targets.map((target) => target.component))].filter(
      (component) => !releaseProvidesComponent(info.components, component),
    );
    if (unknown.length > 0) {
      throw new DistributionFailure(
        'unknown-component',
        `${releaseUrl} has no component ${unknown.map((c) => JSON.stringify(c)).join(', ')} (it has: ${info.components.join(' ') || 'none listed'})`,
        releaseUrl,
      );
    }
    if (info.sha256.size === 0) throw new DistributionFailure('release-format', `${releaseUrl} has no SHA256 checksums`, releaseUrl);

    const targets: IndexTarget[] = [];
    const added = new Set<string>();
    const add = (component: string, architecture: string): void => {
      const id = `${component}/${architecture}`;
      if (added.has(id)) return;
      added.add(id);
      const base = `${component}/binary-${architecture}/Packages`;
      const variants = pick(base);
      if (variants.length === 0) {
        this.warn('missing-index', `${releaseUrl} does not list ${base} (skipped)`, releaseUrl);
        return;
      }
      targets.push({ component, architecture, variants });
    };
    for (const { component, architecture } of plan.targets) {
      if (architecture === 'all' && release.architectureAllFoldedIntoPackages) continue;
      if (info.architectures.length > 0 && !info.architectures.includes(architecture)) {
        this.warn('unsupported-architecture', `${releaseUrl} does not support architecture ${architecture} (skipped)`, releaseUrl);
        continue;
      }
      add(component, architecture);
    }
    // A separate binary-all index exists unless the Release folds `all` into the per-architecture
    // indexes, and only if `all` is one of the Release's architectures (when it lists them):
    // the security archive keeps stale, unsupported binary-all files without `all` in Architectures.
    const allSupported = info.architectures.length === 0 || info.architectures.includes('all');
    if (!release.architectureAllFoldedIntoPackages && allSupported) {
      for (const component of new Set(plan.targets.map((target) => target.component))) {
        if (pick(`${component}/binary-all/Packages`).length > 0) add(component, 'all');
      }
    }
    return targets;
  }

  /** Downloads one index (best listed compression, by-hash when offered), checks it, parses it. */
  private async fetchIndex(target: IndexTarget, acquireByHash: boolean): Promise<AptIndexSyncResult> {
    const { plan, context } = this;
    const missing: string[] = [];
    for (const variant of target.variants) {
      const plainUrl = plan.baseUrl + variant.path;
      const urls = [plainUrl];
      if (acquireByHash) {
        const slash = variant.path.lastIndexOf('/');
        const directory = slash === -1 ? '' : variant.path.slice(0, slash + 1);
        urls.unshift(`${plan.baseUrl}${directory}by-hash/SHA256/${variant.hash}`);
      }
      for (const url of urls) {
        const parser = new PackagesIndexParser();
        let parseMs = 0;
        const feed = (chunk: Buffer): void => {
          const started = performance.now();
          parser.push(chunk);
          parseMs += performance.now() - started;
        };
        // gzip and plain indexes are parsed while they download; xz is decompressed whole.
        const gunzip = variant.compression === 'gz' ? streamingGunzip(feed, url) : undefined;
        const onChunk =
          variant.compression === 'gz' ? (chunk: Uint8Array) => gunzip!.write(chunk) : variant.compression === 'none' ? (chunk: Uint8Array) => feed(chunk as Buffer) : undefined;
        let download: HttpGetResult;
        try {
          download = await this.get(url, { maxBytes: variant.size, onChunk });
        } catch (error) {
          gunzip?.abort();
          throw error;
        }
        if (download.status === 'not-found') {
          gunzip?.abort();
          missing.push(`${url} (HTTP ${download.httpStatus})`);
          continue;
        }
        if (download.status !== 'ok') {
          gunzip?.abort();
          throw new AptFetchError('http', url, `unexpected 304 for unconditional GET ${url}`);
        }
        if (download.body.length !== variant.size) {
          gunzip?.abort();
          throw new AptFetchError('size', url, `size mismatch for ${url}: got ${download.body.length} bytes, Release says ${variant.size}`);
        }
        if (download.sha256 !== variant.hash) {
          gunzip?.abort();
          throw new AptFetchError('hash', url, `SHA256 mismatch for ${url}: got ${download.sha256}, Release says ${variant.hash}`);
        }
        if (gunzip !== undefined) {
          await gunzip.finish();
        } else if (variant.compression === 'xz') {
          const started = performance.now();
          const data = await decompressIndex(download.body, 'xz', url);
          context.stats.decompressMs += performance.now() - started;
          feed(data);
        }
        const started = performance.now();
        let records = parser.end();
        parseMs += performance.now() - started;
        context.stats.parseMs += parseMs;
        if (plan.flat) {
          const wanted = new Set([...plan.architectures, 'all']);
          records = records.filter((record) => wanted.has(record.architecture));
        }
        reportProgress(context.options, { type: 'index', key: plan.key, url, path: variant.path, bytes: download.body.length, records: records.length });
        return {
          component: target.component,
          architecture: target.architecture,
          path: variant.path,
          url,
          sha256: variant.hash,
          size: variant.size,
          packages: records,
        };
      }
    }
    const last = target.variants[target.variants.length - 1];
    throw new AptFetchError('http', plan.baseUrl + last.path, `index not found on the server: ${missing.join(', ')}`);
  }

}

class AggregateDistributionFailure extends Error {
  constructor(readonly failures: DistributionFailure[]) {
    super(failures.map((failure) => failure.message).join('; '));
  }
}

const sharedKeyrings = new KeyringStore();

const ALL_COMPRESSIONS: readonly IndexCompression[] = ['xz', 'gz', 'none'];

/** The preferred compressions first, then the remaining supported ones in default order. */
function compressionOrder(preference: readonly IndexCompression[] | undefined): IndexCompression[] {
  const order = [...new Set(preference ?? [])].filter((compression) => ALL_COMPRESSIONS.includes(compression));
  for (const compression of ALL_COMPRESSIONS) if (!order.includes(compression)) order.push(compression);
  return order;
}

/**
 * Syncs the Release metadata and Packages indexes of the enabled `deb` entries.
 * Entries naming the same (uri, suite) are fetched once, with the union of their targets.
 */
export async function syncAptRepositories(entries: readonly AptSourceEntry[], options: AptSyncOptions): Promise<AptSyncOutcome> {
  const started = performance.now();
  const counters: TransferCounters = { requests: 0, bytes: 0 };
  const stats: AptSyncStats = { durationMs: 0, requests: 0, bytesDownloaded: 0, signatureMs: 0, decompressMs: 0, parseMs: 0 };
  if (options.hostArchitectures.length === 0) throw new RangeError('hostArchitectures must name at least the native architecture');
  if (options.retries !== undefined && (!Number.isInteger(options.retries) || options.retries < 0)) throw new RangeError(`retries must be a whole number of at least 0, got ${options.retries}`);
  if (options.retryDelayMs !== undefined && !(options.retryDelayMs >= 0)) throw new RangeError(`retryDelayMs must be at least 0, got ${options.retryDelayMs}`);
  const context: SyncContext = {
    options,
    fetchImpl: options.fetchImpl ?? ((input, init) => fetch(input, init)),
    limiter: new ConcurrencyLimiter(options.concurrency ?? 4),
    counters,
    keyrings: options.keyrings ?? sharedKeyrings,
    systemKeyrings: options.systemKeyrings ?? DEFAULT_SYSTEM_KEYRINGS,
    compressions: compressionOrder(options.compressionPreference),
    idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
    retries: options.retries ?? 2,
    retryDelayMs: options.retryDelayMs ?? 1_000,
    now: options.now ?? (() => new Date()),
    stats,
  };

  const plans = planDistributions(entries, options.hostArchitectures);
  const distributions: AptDistributionSyncResult[] = [];
  const errors: AptSyncProblem[] = [];
  const warnings: AptSyncProblem[] = [];

  await Promise.all(
    plans.map(async (plan) => {
      const sync = new DistributionSync(plan, context);
      const problem = (failure: DistributionFailure): AptSyncProblem => ({
        key: plan.key,
        uri: plan.uri,
        dist: plan.suite,
        kind: failure.kind,
        url: failure.url,
        message: failure.message,
      });
      try {
        distributions.push(await sync.run());
      } catch (error) {
        const failures = error instanceof AggregateDistributionFailure ? error.failures : [toFailure(error)];
        const problems = failures.map(problem);
        errors.push(...problems);
        reportProgress(options, { type: 'failed', key: plan.key, problems });
      } finally {
        warnings.push(...sync.warnings);
      }
    }),
  );

  // Stable output order: the order of the configuration.
  const order = new Map(plans.map((plan, index) => [plan.key, index]));
  const byPlan = (a: { key: string }, b: { key: string }): number => (order.get(a.key) ?? 0) - (order.get(b.key) ?? 0);
  distributions.sort(byPlan);
  errors.sort(byPlan);
  warnings.sort(byPlan);

  stats.durationMs = performance.now() - started;
  stats.requests = counters.requests;
  stats.bytesDownloaded = counters.bytes;
  return { distributions, errors, warnings, stats };
}

