/**
 * Integration tests of the apt repository sync.
 *
 * - Live: this host's configured Debian sources against the real mirror, compared with what
 *   `apt-get update` itself downloads (needs root for apt-get; skipped, loudly, without
 *   network unless CI=true, where no network is a failure).
 * - Faults: a local 127.0.0.1 HTTP server serving a real Debian InRelease and Packages.xz
 *   (test/fixtures/apt/bookworm-updates), tampered copies of them, and small repositories
 *   signed in the test with a freshly generated OpenPGP key.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { gzipSync } from 'node:zlib';
import { xz } from '@napi-rs/lzma';
import * as openpgp from 'openpgp';
import {
  aptDistributionKey,
  syncAptRepositories,
  type AptReleaseValidators,
  type AptSyncOptions,
  type AptSyncOutcome,
  type AptSyncProgress,
  describeAptSyncProgress,
} from '../../src/catalog/sources/apt-repo/repository-sync.js';
import { AptFetchError, ConcurrencyLimiter, httpGet } from '../../src/catalog/sources/apt-repo/repository-fetcher.js';
import type { AptSourceEntry } from '../../src/catalog/sources/apt-repo/types.js';

const MIRROR = 'http://deb.debian.org';
const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const HOST_SOURCES = '/etc/apt/sources.list.d/debian.sources';
const APT_HELPER = '/usr/lib/apt/apt-helper';
const FIXTURES = new URL('../fixtures/apt/bookworm-updates/', import.meta.url);
const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

// ---------------------------------------------------------------- helpers: network gate

let mirrorProblem: string | undefined;

async function probeMirror(): Promise<string | undefined> {
  try {
    const response = await fetch(`${MIRROR}/debian/dists/bookworm/InRelease`, { method: 'HEAD', signal: AbortSignal.timeout(8000) });
    return response.ok ? undefined : `HEAD ${MIRROR}/debian/dists/bookworm/InRelease returned HTTP ${response.status}`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return `${MIRROR} is unreachable: ${cause?.code ?? cause?.message ?? (error as Error).message}`;
  }
}

/** Skips (loudly) when the mirror is unreachable, except under CI=true where that fails the test. */
function needsMirror(t: TestContext): boolean {
  if (mirrorProblem === undefined) return true;
  if (process.env.CI === 'true') assert.fail(`network test cannot run under CI: ${mirrorProblem}`);
  const reason = `SKIPPED, NO NETWORK: ${mirrorProblem}`;
  process.stderr.write(`\n*** ${t.name}: ${reason} ***\n\n`);
  t.skip(reason);
  return false;
}

// ---------------------------------------------------------------- helpers: host configuration

/** A minimal reading of a deb822 .sources file (one-line paths in Signed-By only). */
function readHostSources(path: string): AptSourceEntry[] {
  const entries: AptSourceEntry[] = [];
  const text = readFileSync(path, 'utf8');
  for (const paragraph of text.split(/\n[ \t]*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of paragraph.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      if (/^[ \t]/.test(line) && last !== undefined) {
        fields.set(last, `${fields.get(last)} ${line.trim()}`);
        continue;
      }
      const colon = line.indexOf(':');
      last = line.slice(0, colon).trim().toLowerCase();
      fields.set(last, line.slice(colon + 1).trim());
    }
    const words = (name: string): string[] => (fields.get(name) ?? '').split(/\s+/).filter(Boolean);
    if (!fields.has('uris')) continue;
    for (const type of words('types')) {
      for (const uri of words('uris')) {
        for (const suite of words('suites')) {
          entries.push({
            type: type as 'deb' | 'deb-src',
            uri: uri.replace(/\/+$/, ''),
            suite,
            components: words('components'),
            architectures: fields.has('architectures') ? words('architectures') : undefined,
            signedBy: fields.has('signed-by') ? words('signed-by') : undefined,
            trusted: fields.get('trusted')?.toLowerCase() === 'yes' ? true : undefined,
            enabled: fields.get('enabled')?.toLowerCase() !== 'no',
            file: path,
          });
        }
      }
    }
  }
  return entries;
}

function hostArchitectures(): string[] {
  const native = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  const foreign = execFileSync('dpkg', ['--print-foreign-architectures'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  return [native, ...foreign];
}

/** `package version architecture` of each paragraph, read without the code under test. */
function plainPackageTriples(text: string): string[] {
  const triples: string[] = [];
  for (const paragraph of text.split(/\n[ \t]*\n/)) {
    let name: string | undefined;
    let version: string | undefined;
    let architecture: string | undefined;
    for (const line of paragraph.split('\n')) {
      if (line.startsWith('Package: ')) name = line.slice(9).trim();
      else if (line.startsWith('Version: ')) version = line.slice(9).trim();
      else if (line.startsWith('Architecture: ')) architecture = line.slice(14).trim();
    }
    if (name !== undefined) triples.push(`${name} ${version} ${architecture}`);
  }
  return triples.sort();
}

/** apt's list file name of a URL (scheme removed, `/` → `_`), found with any compression suffix. */
function aptListFile(listsDir: string, url: string): string | undefined {
  const base = url.replace(/^[a-z]+:\/\//, '').replace(/\//g, '_');
  const name = readdirSync(listsDir).find((file) => file === base || (file.startsWith(`${base}.`) && !file.slice(base.length + 1).includes('_')));
  return name === undefined ? undefined : join(listsDir, name);
}

interface AptRun {
  listsDir: string;
  wallMs: number;
  cleanup: () => void;
}

/** `apt-get update` into empty, private lists and cache directories (does not touch the system's). */
function aptGetUpdateIntoEmptyLists(): AptRun {
  const listsDir = mkdtempSync(join(tmpdir(), 'pw-apt-lists-'));
  const cacheDir = mkdtempSync(join(tmpdir(), 'pw-apt-cache-'));
  execFileSync('mkdir', ['-p', join(listsDir, 'partial'), join(cacheDir, 'archives', 'partial')]);
  const started = performance.now();
  const run = spawnSync('apt-get', ['update', '-qq', '-o', `Dir::State::Lists=${listsDir}`, '-o', `Dir::Cache=${cacheDir}`], { encoding: 'utf8' });
  const wallMs = performance.now() - started;
  const cleanup = (): void => {
    rmSync(listsDir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  };
  if (run.status !== 0) {
    cleanup();
    throw new Error(`apt-get update failed (${run.status}): ${run.stderr}`);
  }
  return { listsDir, wallMs, cleanup };
}

/** A fetch that records every URL it is asked for. */
function recordingFetch(): { fetchImpl: NonNullable<AptSyncOptions['fetchImpl']>; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetchImpl: (input, init) => {
      urls.push(input);
      return fetch(input, init);
    },
  };
}

function validatorsOf(outcome: AptSyncOutcome): (key: string) => AptReleaseValidators | undefined {
  const map = new Map(outcome.distributions.map((distribution) => [distribution.key, distribution.validators]));
  return (key) => map.get(key);
}

// ---------------------------------------------------------------- helpers: local repository server

/** A route's answer; `cutAfter` sends only that many bytes of the body, then drops the connection. */
type RouteAnswer = { status: number; body?: Buffer; headers?: Record<string, string>; cutAfter?: number };
type Route = Buffer | { status: number } | ((headers: IncomingHttpHeaders) => RouteAnswer);

interface RepositoryServer {
  url: string;
  routes: Map<string, Route>;
  requests: Array<{ path: string; headers: IncomingHttpHeaders }>;
  close(): Promise<void>;
}

async function startRepositoryServer(): Promise<RepositoryServer> {
  const routes = new Map<string, Route>();
  const requests: RepositoryServer['requests'] = [];
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    requests.push({ path, headers: request.headers });
    const route = routes.get(path);
    let status = 404;
    let body: Buffer | undefined;
    let headers: Record<string, string> = {};
    let cutAfter: number | undefined;
    if (Buffer.isBuffer(route)) {
      status = 200;
      body = route;
    } else if (typeof route === 'function') {
      ({ status, body, headers = {}, cutAfter } = route(request.headers));
    } else if (route !== undefined) {
      status = route.status;
    }
    response.writeHead(status, { 'content-length': String(body?.length ?? 0), ...headers });
    if (cutAfter !== undefined && body !== undefined) {
      response.write(body.subarray(0, cutAfter), () => response.socket?.destroy());
      return;
    }
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    routes,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function entry(uri: string, suite: string, extra: Partial<AptSourceEntry> = {}): AptSourceEntry {
  return { type: 'deb', uri, suite, components: suite.endsWith('/') ? [] : ['main'], enabled: true, file: 'test', ...extra };
}

/** A Release text with the given fields and SHA256 entries. */
function releaseText(fields: Record<string, string>, files: Record<string, Buffer>): string {
  const lines = Object.entries(fields).map(([name, value]) => `${name}: ${value}`);
  lines.push('SHA256:');
  for (const [path, data] of Object.entries(files)) lines.push(` ${sha256(data)} ${String(data.length).padStart(8)} ${path}`);
  return `${lines.join('\n')}\n`;
}

const SMALL_INDEX = `Package: hello
Version: 2.10-3
Architecture: amd64
Section: devel
Priority: optional

Package: hello-i386-only
Version: 1.0-1
Architecture: i386

Package: hello-doc
Source: hello (2.10-3)
Version: 2.10-3+b1
Architecture: all
Multi-Arch: foreign
`;

// ---------------------------------------------------------------- live tests

describe('apt repository sync against the real Debian mirror', () => {
  before(async () => {
    mirrorProblem = await probeMirror();
  });

  it("syncs this host's sources from scratch and parses exactly what apt-get update downloads", async (t) => {
    if (!needsMirror(t)) return;
    const entries = readHostSources(HOST_SOURCES).filter((candidate) => candidate.type === 'deb' && candidate.enabled);
    assert.ok(entries.length > 0, `no enabled deb entries in ${HOST_SOURCES}`);
    const architectures = hostArchitectures();
    const canRunApt = process.getuid?.() === 0 && existsSync(APT_HELPER);

    for (let attempt = 1; ; attempt++) {
      // apt first, then us: both should see the same mirror state (retried once if the mirror moved).
      const apt = canRunApt ? aptGetUpdateIntoEmptyLists() : undefined;
      try {
        const started = performance.now();
        const outcome = await syncAptRepositories(entries, { hostArchitectures: architectures });
        const ourMs = performance.now() - started;
        assert.deepEqual(outcome.errors, []);
        const dists = new Set(entries.map((source) => aptDistributionKey(source.uri, source.suite)));
        assert.equal(outcome.distributions.length, dists.size);
        const summary = outcome.distributions.map((d) => `${d.dist}: ${d.indexes.map((i) => `${i.path}=${i.packages.length}`).join(', ')}`);
        t.diagnostic(`our sync from scratch: ${ourMs.toFixed(0)} ms (${outcome.stats.requests} requests, ${(outcome.stats.bytesDownloaded / 1e6).toFixed(1)} MB, signatures ${outcome.stats.signatureMs.toFixed(0)} ms, xz ${outcome.stats.decompressMs.toFixed(0)} ms, parse ${outcome.stats.parseMs.toFixed(0)} ms)`);
        t.diagnostic(summary.join(' | '));
        for (const distribution of outcome.distributions) {
          assert.equal(distribution.unchanged, false);
          assert.ok(distribution.release !== undefined && distribution.release.codename.length > 0);
          assert.ok(distribution.signatureKeyIds.length > 0, `${distribution.key} verified by no key`);
          assert.ok(distribution.indexes.length > 0, `${distribution.key} has no index`);
          for (const index of distribution.indexes) assert.equal(index.sha256, distribution.release.sha256.get(index.path)?.hash);
        }
        const main = outcome.distributions.find((d) => d.dist === 'bookworm');
        if (main !== undefined) assert.ok(main.indexes[0].packages.length > 50_000, 'bookworm main should have > 50,000 packages');

        if (apt === undefined) {
          t.diagnostic('not root or no apt-helper: comparison with apt-get update skipped');
          return;
        }
        t.diagnostic(`apt-get update into empty lists: ${apt.wallMs.toFixed(0)} ms; ratio ours/apt = ${(ourMs / apt.wallMs).toFixed(2)}`);
        // Same Release files as apt saw?
        let sameMirrorState = true;
        for (const distribution of outcome.distributions) {
          const aptRelease = aptListFile(apt.listsDir, distribution.releaseUrl);
          if (aptRelease === undefined || sha256(readFileSync(aptRelease)) !== distribution.validators.inReleaseSha256) sameMirrorState = false;
        }
        if (!sameMirrorState && attempt < 2) {
          t.diagnostic('the mirror changed between apt-get update and our sync; retrying once');
          continue;
        }
        assert.ok(sameMirrorState, 'apt and we saw different Release files twice in a row');
        let compared = 0;
        for (const distribution of outcome.distributions) {
          const base = distribution.releaseUrl.slice(0, distribution.releaseUrl.lastIndexOf('/') + 1);
          for (const index of distribution.indexes) {
            const plainPath = index.path.replace(/\.(xz|gz)$/, '');
            const aptFile = aptListFile(apt.listsDir, base + plainPath);
            assert.ok(aptFile !== undefined, `apt has no list for ${base + plainPath}`);
            const aptText = execFileSync(APT_HELPER, ['cat-file', aptFile], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
            const expected = plainPackageTriples(aptText);
            const ours = index.packages.map((record) => `${record.package} ${record.version} ${record.architecture}`).sort();
            assert.equal(ours.length, expected.length, `${index.path}: ${ours.length} records vs apt's ${expected.length}`);
            assert.deepEqual(ours, expected, `${index.url} differs from apt's ${aptFile}`);
            compared++;
          }
        }
        assert.ok(compared > 0);
        return;
      } finally {
        apt?.cleanup();
      }
    }
  });

  it('reports every distribution unchanged on a second sync and fetches no Packages index', async (t) => {
    if (!needsMirror(t)) return;
    const entries = readHostSources(HOST_SOURCES).filter((candidate) => candidate.type === 'deb' && candidate.enabled);
    const architectures = hostArchitectures();
    const first = await syncAptRepositories(entries, { hostArchitectures: architectures });
    assert.deepEqual(first.errors, []);
    const recorder = recordingFetch();
    const started = performance.now();
    const second = await syncAptRepositories(entries, {
      hostArchitectures: architectures,
      previous: validatorsOf(first),
      fetchImpl: recorder.fetchImpl,
    });
    t.diagnostic(`second sync: ${(performance.now() - started).toFixed(0)} ms, ${recorder.urls.length} requests`);
    assert.deepEqual(second.errors, []);
    assert.equal(second.distributions.length, first.distributions.length);
    for (const distribution of second.distributions) {
      assert.equal(distribution.unchanged, true, `${distribution.key} not unchanged`);
      assert.deepEqual(distribution.indexes, []);
    }
    assert.deepEqual(recorder.urls.filter((url) => !url.endsWith('/InRelease')), []);
  });

  it('refuses a real InRelease past its Valid-Until unless the source is trusted', async (t) => {
    if (!needsMirror(t)) return;
    const security = entry(`${MIRROR}/debian-security`, 'bookworm-security', { signedBy: [DEBIAN_KEYRING] });
    const current = await syncAptRepositories([security], { hostArchitectures: ['amd64'] });
    assert.deepEqual(current.errors, []);
    const validUntil = current.distributions[0].release?.validUntil;
    assert.ok(validUntil !== undefined, 'the security archive sets Valid-Until');
    const later = () => new Date(Date.parse(validUntil) + 24 * 3600_000);
    const expired = await syncAptRepositories([security], { hostArchitectures: ['amd64'], now: later });
    assert.equal(expired.distributions.length, 0);
    assert.equal(expired.errors[0]?.kind, 'expired');
    assert.match(expired.errors[0].message, /debian-security\/dists\/bookworm-security\/InRelease expired: Valid-Until/);
    const trusted = await syncAptRepositories([{ ...security, trusted: true }], { hostArchitectures: ['amd64'], now: later });
    assert.deepEqual(trusted.errors, []);
    assert.equal(trusted.distributions[0].signatureKeyIds.length, 0); // trusted: not verified
    assert.equal(trusted.warnings.filter((warning) => warning.kind === 'expired').length, 1);
  });

  it('parses the gzip variant of bookworm main, streamed while downloading, to the same records as the xz one', async (t) => {
    if (!needsMirror(t)) return;
    const bookworm = entry(`${MIRROR}/debian`, 'bookworm', { signedBy: [DEBIAN_KEYRING] });
    const [viaGzip, viaXz] = await Promise.all([
      syncAptRepositories([bookworm], { hostArchitectures: ['amd64'], compressionPreference: ['gz'] }),
      syncAptRepositories([bookworm], { hostArchitectures: ['amd64'] }),
    ]);
    assert.deepEqual(viaGzip.errors, []);
    assert.deepEqual(viaXz.errors, []);
    t.diagnostic(`gz: ${viaGzip.stats.durationMs.toFixed(0)} ms (parse ${viaGzip.stats.parseMs.toFixed(0)} ms); xz: ${viaXz.stats.durationMs.toFixed(0)} ms (xz ${viaXz.stats.decompressMs.toFixed(0)} ms, parse ${viaXz.stats.parseMs.toFixed(0)} ms), concurrently`);
    const gz = viaGzip.distributions[0].indexes[0];
    const xzIndex = viaXz.distributions[0].indexes[0];
    assert.equal(gz.path, 'main/binary-amd64/Packages.gz');
    assert.equal(xzIndex.path, 'main/binary-amd64/Packages.xz');
    if (viaGzip.distributions[0].validators.inReleaseSha256 !== viaXz.distributions[0].validators.inReleaseSha256) {
      t.diagnostic('the mirror changed between the two syncs: records not compared');
      return;
    }
    assert.ok(gz.packages.length > 50_000);
    assert.deepEqual(gz.packages, xzIndex.packages);
  });
});

// ---------------------------------------------------------------- local fault tests

describe('apt repository sync faults (local server)', () => {
  let server: RepositoryServer;
  let debianInRelease: Buffer;
  let debianPackagesXz: Buffer;
  let debianPackagesCount: number;
  let testKey: { privateKey: openpgp.PrivateKey; publicKey: openpgp.PublicKey; armoredPublicKey: string };
  let workDir: string;
  const DIST = '/debian/dists/bookworm-updates';
  const debian = (): AptSourceEntry => entry(`${server.url}/debian`, 'bookworm-updates', { signedBy: [DEBIAN_KEYRING] });
  const sync = (entries: AptSourceEntry[], options: Partial<AptSyncOptions> = {}) =>
    syncAptRepositories(entries, { hostArchitectures: ['amd64'], ...options });

  before(async () => {
    server = await startRepositoryServer();
    workDir = mkdtempSync(join(tmpdir(), 'pw-apt-sync-'));
    debianInRelease = readFileSync(new URL('InRelease', FIXTURES));
    debianPackagesXz = readFileSync(new URL('Packages.xz', FIXTURES));
    debianPackagesCount = plainPackageTriples((await xz.decompress(debianPackagesXz)).toString('utf8')).length;
    const generated = await openpgp.generateKey({ userIDs: [{ name: 'patchwarden test repository' }], date: new Date('2020-01-01T00:00:00Z'), format: 'object' });
    testKey = { privateKey: generated.privateKey, publicKey: generated.publicKey, armoredPublicKey: generated.publicKey.armor() };
  });

  after(async () => {
    await server.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  /** Serves the real Debian files: InRelease and the amd64 Packages.xz at its plain path. */
  function serveDebian(inRelease = debianInRelease, packagesXz = debianPackagesXz): void {
    server.routes.clear();
    server.routes.set(`${DIST}/InRelease`, inRelease);
    server.routes.set(`${DIST}/main/binary-amd64/Packages.xz`, packagesXz);
  }

  async function clearsign(text: string, date?: Date): Promise<Buffer> {
    const signed = await openpgp.sign({ message: await openpgp.createCleartextMessage({ text }), signingKeys: testKey.privateKey, date });
    return Buffer.from(signed);
  }

  it('syncs the real InRelease and Packages.xz, falling back from by-hash to the plain path', async () => {
    serveDebian();
    server.requests.length = 0;
    const progress: string[] = [];
    const outcome = await sync([debian()], { onProgress: (message, event) => progress.push(`${event.type}: ${message}`) });
    assert.deepEqual(outcome.errors, []);
    assert.deepEqual(progress, [
      `release: Got ${server.url}${DIST}/InRelease`,
      `index: Got ${server.url}${DIST}/main/binary-amd64/Packages.xz (${debianPackagesXz.length} bytes, ${debianPackagesCount} packages)`,
    ]);
    const [distribution] = outcome.distributions;
    assert.equal(distribution.unchanged, false);
    assert.equal(distribution.release?.codename, 'bookworm-updates');
    assert.equal(distribution.validators.inReleaseSha256, sha256(debianInRelease));
    assert.equal(distribution.signatureKeyIds.length, 2);
    assert.equal(distribution.indexes.length, 1); // no binary-all: Debian folds `all` into amd64
    const [index] = distribution.indexes;
    assert.equal(index.path, 'main/binary-amd64/Packages.xz');
    assert.equal(index.sha256, sha256(debianPackagesXz));
    assert.equal(index.packages.length, debianPackagesCount);
    const paths = server.requests.map((request) => request.path);
    assert.deepEqual(paths, [`${DIST}/InRelease`, `${DIST}/main/binary-amd64/by-hash/SHA256/${sha256(debianPackagesXz)}`, `${DIST}/main/binary-amd64/Packages.xz`]);
  });

  it('uses the by-hash file when it is there', async () => {
    serveDebian();
    server.routes.delete(`${DIST}/main/binary-amd64/Packages.xz`);
    server.routes.set(`${DIST}/main/binary-amd64/by-hash/SHA256/${sha256(debianPackagesXz)}`, debianPackagesXz);
    const outcome = await sync([debian()]);
    assert.deepEqual(outcome.errors, []);
    assert.match(outcome.distributions[0].indexes[0].url, /by-hash\/SHA256\/[0-9a-f]{64}$/);
  });

  it('refuses a real InRelease with one byte changed (signature error)', async () => {
    const tampered = Buffer.from(debianInRelease);
    const at = tampered.indexOf('Debian 12 - Updates');
    assert.ok(at > 0);
    tampered[at + 'Debian 12 - Update'.length] = 'z'.charCodeAt(0);
    serveDebian(tampered);
    const outcome = await sync([debian()]);
    assert.equal(outcome.distributions.length, 0);
    assert.equal(outcome.errors.length, 1);
    const [error] = outcome.errors;
    assert.equal(error.kind, 'signature');
    assert.equal(error.url, `${server.url}${DIST}/InRelease`);
    assert.match(error.message, /no valid signature on http:\/\/127\.0\.0\.1:\d+\/debian\/dists\/bookworm-updates\/InRelease/);
  });

  it('refuses text outside the signed part, even with a valid signature', async () => {
    serveDebian(Buffer.concat([Buffer.from('Package: evil\nVersion: 1\n\n'), debianInRelease]));
    const before = await sync([debian()]);
    assert.equal(before.errors[0]?.kind, 'signature');
    assert.match(before.errors[0].message, /data before the signed message/);
    serveDebian(Buffer.concat([debianInRelease, Buffer.from('\nSHA256:\n evil\n')]));
    const afterwards = await sync([debian()]);
    assert.equal(afterwards.errors[0]?.kind, 'signature');
    assert.match(afterwards.errors[0].message, /data after the signature/);
  });

  it('refuses a signature by a key that is not in the Signed-By keyring', async () => {
    serveDebian();
    const keyring = join(workDir, 'other.asc');
    writeFileSync(keyring, testKey.armoredPublicKey);
    const outcome = await sync([{ ...debian(), signedBy: [keyring] }]);
    assert.equal(outcome.errors[0]?.kind, 'signature');
    const missingKeyring = await sync([{ ...debian(), signedBy: [join(workDir, 'absent.gpg')] }]);
    assert.equal(missingKeyring.errors[0]?.kind, 'keyring');
    assert.match(missingKeyring.errors[0].message, /absent\.gpg/);
  });

  it('verifies against the system keyrings when the entry names none', async () => {
    serveDebian();
    const withSystemKeys = await sync([{ ...debian(), signedBy: undefined }], { systemKeyrings: ['/etc/apt/trusted.gpg', '/etc/apt/trusted.gpg.d', DEBIAN_KEYRING] });
    assert.deepEqual(withSystemKeys.errors, []);
    const keyringDir = mkdtempSync(join(workDir, 'keys-'));
    writeFileSync(join(keyringDir, 'test.asc'), testKey.armoredPublicKey);
    const withOtherKeys = await sync([{ ...debian(), signedBy: undefined }], { systemKeyrings: [keyringDir] });
    assert.equal(withOtherKeys.errors[0]?.kind, 'signature');
  });

  it('refuses a Packages.xz whose SHA256 does not match the Release (hash error naming the URL)', async () => {
    const tampered = Buffer.from(debianPackagesXz);
    tampered[100] ^= 0xff;
    serveDebian(debianInRelease, tampered);
    const outcome = await sync([debian()]);
    assert.equal(outcome.distributions.length, 0);
    const [error] = outcome.errors;
    assert.equal(error.kind, 'hash');
    assert.equal(error.url, `${server.url}${DIST}/main/binary-amd64/Packages.xz`);
    assert.match(error.message, /SHA256 mismatch for http:\/\/127\.0\.0\.1:\d+\/debian\/dists\/bookworm-updates\/main\/binary-amd64\/Packages\.xz/);
    // A file of the wrong size is refused as soon as it exceeds the expected size.
    serveDebian(debianInRelease, Buffer.concat([debianPackagesXz, Buffer.alloc(10)]));
    const tooBig = await sync([debian()]);
    assert.equal(tooBig.errors[0]?.kind, 'size');
  });

  it('reports a 404 on everything as an HTTP error naming the URLs, without stopping other repositories', async () => {
    serveDebian();
    const missing = entry(`${server.url}/nowhere`, 'bookworm', { signedBy: [DEBIAN_KEYRING] });
    const outcome = await sync([missing, debian()]);
    assert.deepEqual(outcome.distributions.map((distribution) => distribution.dist), ['bookworm-updates']);
    assert.equal(outcome.errors.length, 1);
    const [error] = outcome.errors;
    assert.equal(error.kind, 'http');
    assert.equal(error.key, aptDistributionKey(`${server.url}/nowhere`, 'bookworm'));
    assert.match(error.message, /\/nowhere\/dists\/bookworm\/InRelease and http:\/\/127\.0\.0\.1:\d+\/nowhere\/dists\/bookworm\/Release both returned HTTP 404/);
    // Other statuses are named too; a 503 is sent again before it is given up.
    server.routes.set('/broken/dists/stable/InRelease', { status: 503 });
    server.requests.length = 0;
    const unavailable = await sync([entry(`${server.url}/broken`, 'stable')], { retryDelayMs: 5 });
    assert.equal(unavailable.errors[0]?.kind, 'http');
    assert.match(unavailable.errors[0].message, /\/broken\/dists\/stable\/InRelease returned HTTP 503 Service Unavailable \(tried 3 times\)$/);
    assert.equal(server.requests.length, 3);
    const once = await sync([entry(`${server.url}/broken`, 'stable')], { retries: 0 });
    assert.match(once.errors[0].message, /returned HTTP 503 Service Unavailable$/);
  });

  it('reports connection failures and stalled servers as network errors naming the URL', async () => {
    const closed = await startRepositoryServer();
    await closed.close();
    const refused = await sync([entry(`${closed.url}/debian`, 'bookworm')], { retryDelayMs: 5 });
    assert.equal(refused.errors[0]?.kind, 'network');
    assert.equal(refused.errors[0].url, `${closed.url}/debian/dists/bookworm/InRelease`);
    assert.match(refused.errors[0].message, /ECONNREFUSED.*\(tried 3 times\)$/);

    // A host name that does not exist (.invalid never resolves) is not asked for again; a lookup
    // that could not be made (EAI_AGAIN, no resolver) is.
    const recorder = recordingFetch();
    const unknown = await sync([entry('http://no-such-mirror.invalid/debian', 'bookworm')], { retryDelayMs: 5, fetchImpl: recorder.fetchImpl });
    assert.equal(unknown.errors[0]?.kind, 'network');
    if (/ENOTFOUND/.test(unknown.errors[0].message)) {
      assert.equal(recorder.urls.length, 1, unknown.errors[0].message);
      assert.doesNotMatch(unknown.errors[0].message, /tried/);
    } else {
      assert.match(unknown.errors[0].message, /EAI_AGAIN.*\(tried 3 times\)$/);
    }

    const stalled = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = stalled.address() as AddressInfo;
      const started = performance.now();
      const outcome = await sync([entry(`http://127.0.0.1:${port}/debian`, 'bookworm')], { idleTimeoutMs: 300, retries: 1, retryDelayMs: 5 });
      assert.ok(performance.now() - started < 5000);
      assert.equal(outcome.errors[0]?.kind, 'network');
      assert.match(outcome.errors[0].message, /no response within 300 ms \(tried 2 times\)$/);
    } finally {
      stalled.closeAllConnections();
      await new Promise<void>((resolve) => stalled.close(() => resolve()));
    }
  });

  it('sends transient failures again: a 503 with Retry-After, then a connection lost in the middle of an index', async () => {
    serveDebian();
    let inReleaseCalls = 0;
    server.routes.set(`${DIST}/InRelease`, () => (++inReleaseCalls === 1
      ? { status: 503, headers: { 'retry-after': '0' } }
      : { status: 200, body: debianInRelease }));
    let packagesCalls = 0;
    const half = Math.floor(debianPackagesXz.length / 2);
    server.routes.set(`${DIST}/main/binary-amd64/Packages.xz`, () => (++packagesCalls === 1
      ? { status: 200, body: debianPackagesXz, cutAfter: half }
      : { status: 200, body: debianPackagesXz }));
    const events: AptSyncProgress[] = [];
    const outcome = await sync([debian()], { retryDelayMs: 5, onProgress: (_message, event) => events.push(event) });
    assert.deepEqual(outcome.errors, []);
    assert.equal(outcome.distributions[0].indexes[0].packages.length, debianPackagesCount);
    assert.deepEqual([inReleaseCalls, packagesCalls], [2, 2]);
    const retries = events.filter((event) => event.type === 'retry');
    assert.equal(retries.length, 2, JSON.stringify(events));
    assert.deepEqual(retries.map((event) => [event.url, event.attempt, event.attempts]), [
      [`${server.url}${DIST}/InRelease`, 2, 3],
      [`${server.url}${DIST}/main/binary-amd64/Packages.xz`, 2, 3],
    ]);
    assert.equal(retries[0].delayMs, 0, "the server's Retry-After: 0");
    assert.equal(retries[1].delayMs, 5, 'no Retry-After: the policy delay');
    assert.match(retries[0].reason, /returned HTTP 503/);
    assert.match(retries[1].reason, /^reading .*Packages\.xz failed after \d+ bytes/);
    assert.match(describeAptSyncProgress(retries[0]), /^Retrying http:\/\/127\.0\.0\.1:\d+\/debian\/dists\/bookworm-updates\/InRelease in 0 ms \(attempt 2 of 3\): GET /);
  });

  it('doubles the delay between attempts, and honours only a reasonable Retry-After', async () => {
    server.routes.clear();
    server.routes.set('/slow/dists/stable/InRelease', { status: 502 });
    server.routes.set('/busy/dists/stable/InRelease', () => ({ status: 429, headers: { 'retry-after': '3600' } }));
    server.routes.set('/later/dists/stable/InRelease', () => ({ status: 503, headers: { 'retry-after': new Date(Date.now() - 60_000).toUTCString() } }));
    const delays = async (path: string): Promise<number[]> => {
      const events: AptSyncProgress[] = [];
      await sync([entry(`${server.url}/${path}`, 'stable')], { retries: 3, retryDelayMs: 2, onProgress: (_message, event) => events.push(event) });
      return events.flatMap((event) => (event.type === 'retry' ? [event.delayMs] : []));
    };
    assert.deepEqual(await delays('slow'), [2, 4, 8]);
    assert.deepEqual(await delays('busy'), [2, 4, 8], 'an hour-long Retry-After is not waited for');
    assert.deepEqual(await delays('later'), [0, 0, 0], 'a Retry-After date in the past: at once');
    await assert.rejects(sync([debian()], { retries: -1 }), /retries must be a whole number of at least 0/);
    await assert.rejects(sync([debian()], { retryDelayMs: Number.NaN }), /retryDelayMs must be at least 0/);
  });

  it('does not send again what cannot change (404, hash) nor a body already handed to a streaming reader', async () => {
    const tampered = Buffer.from(debianPackagesXz);
    tampered[100] ^= 0xff;
    serveDebian(debianInRelease, tampered);
    server.requests.length = 0;
    const outcome = await sync([debian()], { retryDelayMs: 5 });
    assert.equal(outcome.errors[0]?.kind, 'hash');
    assert.deepEqual(server.requests.map((request) => request.path.split('/').pop()), ['InRelease', sha256(debianPackagesXz), 'Packages.xz'], 'one request each');

    let calls = 0;
    server.routes.set('/stream/cut', () => (++calls, { status: 200, body: Buffer.alloc(1 << 20, 7), cutAfter: 1 << 16 }));
    const request = (onChunk?: (chunk: Uint8Array) => void) => httpGet(`${server.url}/stream/cut`, {
      fetchImpl: (input, init) => fetch(input, init), limiter: new ConcurrencyLimiter(1), counters: { requests: 0, bytes: 0 },
      idleTimeoutMs: 5_000, onChunk, retry: { retries: 2, delayMs: 1 },
    });
    let received = 0;
    await assert.rejects(request((chunk) => { received += chunk.byteLength; }), (error: AptFetchError) => {
      assert.equal(error.failure, 'network');
      assert.doesNotMatch(error.message, /tried/);
      return true;
    });
    assert.equal(calls, 1, 'a streamed body is not sent again');
    assert.ok(received > 0 && received <= 1 << 16);
    calls = 0;
    await assert.rejects(request(), /\(tried 3 times\)$/);
    assert.equal(calls, 3, 'a buffered body is');
  });

  it('refuses an unsigned repository (Release without Release.gpg) unless trusted', async () => {
    const signedText = (await openpgp.readCleartextMessage({ cleartextMessage: debianInRelease.toString('utf8') })).getText();
    server.routes.clear();
    server.routes.set(`${DIST}/Release`, Buffer.from(signedText));
    server.routes.set(`${DIST}/main/binary-amd64/Packages.xz`, debianPackagesXz);
    const refused = await sync([debian()]);
    assert.equal(refused.distributions.length, 0);
    assert.equal(refused.errors[0]?.kind, 'unsigned');
    assert.match(refused.errors[0].message, /Release\.gpg are missing/);
    const accepted = await sync([{ ...debian(), trusted: true }]);
    assert.deepEqual(accepted.errors, []);
    assert.equal(accepted.distributions[0].releaseUrl, `${server.url}${DIST}/Release`);
    assert.equal(accepted.distributions[0].validators.releaseFile, 'Release');
    assert.equal(accepted.distributions[0].indexes[0].packages.length, debianPackagesCount);
  });

  it('verifies Release + Release.gpg (detached signature) and refuses a modified Release', async () => {
    const packages = Buffer.from(SMALL_INDEX);
    const packagesXz = await xz.compress(packages);
    const release = Buffer.from(releaseText({ Suite: 'stable', Codename: 'detached', Date: 'Sun, 22 Nov 2026 00:00:00 UTC', Architectures: 'amd64 i386 all', Components: 'main' }, { 'main/binary-amd64/Packages.xz': packagesXz, 'main/binary-amd64/Packages': packages }));
    const detached = await openpgp.sign({ message: await openpgp.createMessage({ binary: release }), signingKeys: testKey.privateKey, detached: true, format: 'binary' });
    server.routes.clear();
    server.routes.set('/repo/dists/detached/Release', release);
    server.routes.set('/repo/dists/detached/Release.gpg', Buffer.from(detached as Uint8Array));
    server.routes.set('/repo/dists/detached/main/binary-amd64/Packages.xz', packagesXz);
    const source = entry(`${server.url}/repo`, 'detached', { signedBy: [testKey.armoredPublicKey] });
    const outcome = await sync([source]);
    assert.deepEqual(outcome.errors, []);
    const [distribution] = outcome.distributions;
    assert.equal(distribution.release?.codename, 'detached');
    assert.deepEqual(distribution.signatureKeyIds, [testKey.publicKey.getKeyID().toHex()]);
    // binary-all is not listed in this Release, so only the amd64 index; records as in the file.
    assert.deepEqual(distribution.indexes.map((index) => index.path), ['main/binary-amd64/Packages.xz']);
    assert.deepEqual(distribution.indexes[0].packages.map((record) => record.package), ['hello', 'hello-i386-only', 'hello-doc']);

    server.routes.set('/repo/dists/detached/Release', Buffer.from(release.toString('utf8').replace('Codename: detached', 'Codename: detachex')));
    const modified = await sync([source]);
    assert.equal(modified.errors[0]?.kind, 'signature');
    assert.match(modified.errors[0].message, /\/repo\/dists\/detached\/Release/);
  });

  it('answers unchanged on 304 (conditional request) and on an identical InRelease, fetching no index', async () => {
    const etag = `"${sha256(debianInRelease).slice(0, 16)}"`;
    const lastModified = 'Sat, 21 Nov 2026 02:10:46 GMT';
    server.routes.clear();
    server.routes.set(`${DIST}/InRelease`, (headers) =>
      headers['if-none-match'] === etag ? { status: 304 } : { status: 200, body: debianInRelease, headers: { etag, 'last-modified': lastModified } },
    );
    server.routes.set(`${DIST}/main/binary-amd64/Packages.xz`, debianPackagesXz);
    const first = await sync([debian()]);
    assert.deepEqual(first.errors, []);
    assert.equal(first.distributions[0].validators.etag, etag);
    assert.equal(first.distributions[0].validators.lastModified, lastModified);

    server.requests.length = 0;
    const second = await sync([debian()], { previous: validatorsOf(first) });
    assert.deepEqual(second.errors, []);
    assert.equal(second.distributions[0].unchanged, true);
    assert.equal(second.distributions[0].release, undefined); // nothing downloaded
    assert.equal(second.distributions[0].validators.inReleaseSha256, sha256(debianInRelease));
    assert.deepEqual(server.requests.map((request) => request.path), [`${DIST}/InRelease`]);
    assert.equal(server.requests[0].headers['if-none-match'], etag);
    assert.equal(server.requests[0].headers['if-modified-since'], lastModified);

    // Without HTTP validators: same bytes → unchanged, Release parsed, no index fetched.
    server.requests.length = 0;
    const third = await sync([debian()], { previous: () => ({ inReleaseSha256: sha256(debianInRelease) }) });
    assert.equal(third.distributions[0].unchanged, true);
    assert.equal(third.distributions[0].release?.codename, 'bookworm-updates');
    assert.deepEqual(server.requests.map((request) => request.path), [`${DIST}/InRelease`]);

    // Same Release but the configured indexes changed (i386 added): no conditional request, and
    // the indexes are fetched (the i386 one is not on this server, hence the error).
    server.requests.length = 0;
    const widened = await sync([debian()], { previous: validatorsOf(first), hostArchitectures: ['amd64', 'i386'] });
    assert.equal(server.requests[0].headers['if-none-match'], undefined);
    assert.ok(server.requests.some((request) => request.path.endsWith('/binary-amd64/Packages.xz')));
    assert.match(widened.errors[0]?.message ?? '', /binary-i386\/Packages\.xz \(HTTP 404\)/);
  });

  it('refuses an unknown component and merges entries of the same distribution into one fetch', async () => {
    serveDebian();
    const unknown = await sync([{ ...debian(), components: ['main', 'mian'] }]);
    assert.equal(unknown.errors[0]?.kind, 'unknown-component');
    assert.match(unknown.errors[0].message, /no component "mian"/);

    server.requests.length = 0;
    const merged = await sync([debian(), { ...debian(), architectures: ['amd64'] }]);
    assert.deepEqual(merged.errors, []);
    assert.equal(merged.distributions.length, 1);
    assert.equal(server.requests.filter((request) => request.path.endsWith('/InRelease')).length, 1);
    assert.equal(server.requests.filter((request) => request.path.includes('binary-amd64')).length, 2); // by-hash 404 + plain

    const conflicting = await sync([debian(), { ...debian(), signedBy: undefined }]);
    assert.equal(conflicting.errors[0]?.kind, 'config');
  });

  it('skips disabled and deb-src entries', async () => {
    server.requests.length = 0;
    const outcome = await sync([{ ...debian(), enabled: false }, { ...debian(), type: 'deb-src' }]);
    assert.deepEqual(outcome, { ...outcome, distributions: [], errors: [] });
    assert.equal(server.requests.length, 0);
  });

  it('checks Valid-Until of a repository signed with an embedded key, also on 304', async () => {
    const packages = Buffer.from(SMALL_INDEX);
    const packagesXz = await xz.compress(packages);
    const text = releaseText(
      { Suite: 'stable', Codename: 'embedded', Date: 'Sun, 01 Nov 2026 00:00:00 UTC', 'Valid-Until': 'Sun, 08 Nov 2026 00:00:00 UTC', Components: 'main', 'No-Support-for-Architecture-all': 'Packages' },
      { 'main/binary-amd64/Packages.xz': packagesXz },
    );
    server.routes.clear();
    server.routes.set('/embedded/dists/stable/InRelease', await clearsign(text, new Date('2026-11-01T00:00:00Z')));
    server.routes.set('/embedded/dists/stable/main/binary-amd64/Packages.xz', packagesXz);
    const source = entry(`${server.url}/embedded`, 'stable', { signedBy: [testKey.armoredPublicKey] });
    const inTime = await sync([source], { now: () => new Date('2026-11-05T00:00:00Z') });
    assert.deepEqual(inTime.errors, []);
    assert.equal(inTime.distributions[0].validators.validUntil, '2026-11-08T00:00:00.000Z');
    const late = () => new Date('2026-11-09T00:00:00Z');
    const expired = await sync([source], { now: late });
    assert.equal(expired.errors[0]?.kind, 'expired');
    // A 304 cannot revive expired metadata.
    server.routes.set('/embedded/dists/stable/InRelease', { status: 304 });
    const notModified = await sync([source], { now: late, previous: () => ({ ...inTime.distributions[0].validators, etag: '"x"' }) });
    assert.equal(notModified.errors[0]?.kind, 'expired');
  });

  it('syncs a flat repository with a gzip index, streaming, keeping only host architectures and all', async () => {
    const packagesGz = gzipSync(Buffer.from(SMALL_INDEX));
    server.routes.clear();
    server.routes.set('/flat/sub/InRelease', await clearsign(releaseText({ Suite: 'flat', Date: 'Sun, 22 Nov 2026 00:00:00 UTC' }, { 'Packages.gz': packagesGz })));
    server.routes.set('/flat/sub/Packages.gz', packagesGz);
    const keyring = join(workDir, 'flat.gpg');
    writeFileSync(keyring, testKey.publicKey.write());
    const outcome = await sync([entry(`${server.url}/flat`, 'sub/', { signedBy: [keyring] })]);
    assert.deepEqual(outcome.errors, []);
    const [index] = outcome.distributions[0].indexes;
    assert.equal(index.path, 'Packages.gz');
    assert.equal(index.url, `${server.url}/flat/sub/Packages.gz`);
    assert.deepEqual(index.packages, [
      { package: 'hello', version: '2.10-3', architecture: 'amd64', sourceName: 'hello', sourceVersion: '2.10-3', section: 'devel', priority: 'optional' },
      { package: 'hello-doc', version: '2.10-3+b1', architecture: 'all', sourceName: 'hello', sourceVersion: '2.10-3', multiArch: 'foreign' },
    ]);
    const corrupt = Buffer.from(packagesGz);
    corrupt[corrupt.length - 5] ^= 0xff;
    server.routes.set('/flat/sub/Packages.gz', corrupt);
    const broken = await sync([entry(`${server.url}/flat`, 'sub/', { signedBy: [keyring] })]);
    assert.equal(broken.errors[0]?.kind, 'hash');
  });

  it('fetches binary-all when the Release lists `all` and does not fold it', async () => {
    const amd64 = Buffer.from('Package: a\nVersion: 1\nArchitecture: amd64\n');
    const all = Buffer.from('Package: b\nVersion: 2\nArchitecture: all\n');
    server.routes.clear();
    server.routes.set('/withall/dists/s/InRelease', await clearsign(releaseText({ Suite: 's', Architectures: 'amd64 all', Components: 'main' }, { 'main/binary-amd64/Packages': amd64, 'main/binary-all/Packages': all })));
    server.routes.set('/withall/dists/s/main/binary-amd64/Packages', amd64);
    server.routes.set('/withall/dists/s/main/binary-all/Packages', all);
    const outcome = await sync([entry(`${server.url}/withall`, 's', { signedBy: [testKey.armoredPublicKey] })], { hostArchitectures: ['amd64', 'arm64'] });
    assert.deepEqual(outcome.errors, []);
    const indexes = outcome.distributions[0].indexes.map((index) => `${index.architecture}:${index.packages.map((record) => record.package).join(',')}`).sort();
    assert.deepEqual(indexes, ['all:b', 'amd64:a']);
    // arm64 is not in the Release's Architectures: skipped with a warning, not an error.
    assert.deepEqual(outcome.warnings.map((warning) => warning.kind), ['unsupported-architecture']);
  });
});
