/**
 * Reads RPM errata from an `updateinfo.xml` file (plain, `.gz` or `.xz`) or from a repository
 * base URL: `repodata/repomd.xml` names the updateinfo file, which is downloaded to a temporary
 * file, checked against the checksum repomd.xml gives, and parsed.
 *
 * Plain and gzip data is streamed through the parser. xz data is decompressed in one piece
 * (outside the JavaScript heap) before parsing: an updateinfo file is tens of MB at most.
 * zstd-compressed updateinfo (Fedora) is refused with a clear message: this Node version has no
 * zstd decoder.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { xz } from '@napi-rs/lzma';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { AdvisorySourceError, type Advisory } from '../../advisory.js';
import { downloadToFile } from '../osv/osv-reader.js';
import { UpdateinfoFormatError, UpdateinfoParser, type UpdateinfoParserOptions } from './updateinfo-parser.js';

/** What one piece of a read yields: advisories, messages for unusable updates, skipped non-security updates. */
export interface UpdateinfoBatch {
  advisories: Advisory[];
  rejected: string[];
  skipped: number;
}

type Compression = 'gz' | 'xz' | 'zstd' | 'bzip2' | 'none';

async function compressionOf(path: string): Promise<Compression> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(6);
    const { bytesRead } = await handle.read(head, 0, 6, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gz';
    if (bytesRead >= 6 && head.equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
    if (bytesRead >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    if (bytesRead >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
    return 'none';
  } finally {
    await handle.close();
  }
}

async function* decompressedChunks(path: string): AsyncGenerator<string> {
  const compression = await compressionOf(path);
  if (compression === 'zstd' || compression === 'bzip2') {
    throw new UpdateinfoFormatError(`${path} is ${compression}-compressed, which is not supported: use the repository's .xml, .xml.gz or .xml.xz copy`);
  }
  if (compression === 'xz') {
    let data: Buffer;
    try {
      data = await xz.decompress(await readFile(path));
    } catch (error) {
      throw new UpdateinfoFormatError(`${path} is not valid xz data: ${(error as Error).message}`);
    }
    const decoder = new TextDecoder();
    for (let i = 0; i < data.length; i += 1 << 20) yield decoder.decode(data.subarray(i, i + (1 << 20)), { stream: true });
    yield decoder.decode();
    return;
  }
  let stream: Readable = createReadStream(path);
  if (compression === 'gz') stream = stream.pipe(createGunzip());
  stream.setEncoding('utf8');
  try {
    for await (const chunk of stream) yield chunk as string;
  } catch (error) {
    throw new UpdateinfoFormatError(`${path} cannot be read: ${(error as Error).message}`);
  }
}

/** The advisories of one updateinfo file, a batch per chunk read. */
export async function* readUpdateinfoFile(path: string, options: UpdateinfoParserOptions = {}): AsyncGenerator<UpdateinfoBatch> {
  const parser = new UpdateinfoParser(options);
  try {
    await (await open(path, 'r')).close();
  } catch (error) {
    throw new AdvisorySourceError(`${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  for await (const chunk of decompressedChunks(path)) {
    parser.write(chunk);
    yield parser.take();
  }
  parser.close();
  yield parser.take();
}

/** Where repomd.xml says the updateinfo file is, with its checksum. */
export interface RepomdUpdateinfo {
  href: string;
  checksumType: string;
  checksum: string;
}

/** The `<data type="updateinfo">` entry of a repomd.xml document, or undefined when it has none. */
export function updateinfoOfRepomd(xml: string): RepomdUpdateinfo | undefined {
  const parser = new SaxesParser();
  let inUpdateinfo = false;
  let inChecksum = false;
  let found: RepomdUpdateinfo | undefined;
  let current: RepomdUpdateinfo = { href: '', checksumType: '', checksum: '' };
  parser.on('opentag', (tag) => {
    const attributes = (tag as SaxesTagPlain).attributes as Record<string, string>;
    if (tag.name === 'data') {
      inUpdateinfo = attributes.type === 'updateinfo';
      current = { href: '', checksumType: '', checksum: '' };
    } else if (inUpdateinfo && tag.name === 'location') current.href = attributes.href ?? '';
    else if (inUpdateinfo && tag.name === 'checksum') {
      inChecksum = true;
      current.checksumType = (attributes.type ?? '').toLowerCase();
    }
  });
  parser.on('text', (text) => { if (inChecksum) current.checksum += text.trim(); });
  parser.on('closetag', (tag) => {
    if (tag.name === 'checksum') inChecksum = false;
    if (tag.name === 'data' && inUpdateinfo) {
      if (found === undefined && current.href) found = current;
      inUpdateinfo = false;
    }
  });
  try {
    parser.write(xml).close();
  } catch (error) {
    throw new UpdateinfoFormatError(`repomd.xml is not well-formed XML: ${(error as Error).message}`);
  }
  return found;
}

const HASHES: Record<string, string> = { sha: 'sha1', sha1: 'sha1', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };

async function fileDigest(path: string, algorithm: string): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The advisories of a repository (`baseUrl` is the directory holding `repodata/`). Throws
 * {@link AdvisorySourceError} when the repository cannot be reached or has no updateinfo.
 */
export async function* readUpdateinfoRepository(baseUrl: string, options: UpdateinfoParserOptions = {}): AsyncGenerator<UpdateinfoBatch> {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const repomdUrl = new URL('repodata/repomd.xml', base).toString();
  let response: Response;
  try {
    response = await fetch(repomdUrl, { signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new AdvisorySourceError(`fetching ${repomdUrl} failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
  if (!response.ok) throw new AdvisorySourceError(`fetching ${repomdUrl} failed: HTTP ${response.status}; is ${baseUrl} an RPM repository (the directory holding repodata/)?`);
  const entry = updateinfoOfRepomd(await response.text());
  if (entry === undefined) throw new AdvisorySourceError(`${repomdUrl} lists no updateinfo: this repository publishes no errata`);
  const dir = await mkdtemp(join(tmpdir(), 'patchwarden-updateinfo-'));
  try {
    const url = new URL(entry.href, base).toString();
    const path = await downloadToFile(url, dir, 'updateinfo');
    const algorithm = HASHES[entry.checksumType];
    if (algorithm !== undefined && entry.checksum) {
      const actual = await fileDigest(path, algorithm);
      if (actual !== entry.checksum.toLowerCase()) {
        throw new AdvisorySourceError(`${url} does not match repomd.xml: ${entry.checksumType} ${actual}, expected ${entry.checksum}`);
      }
    }
    yield* readUpdateinfoFile(path, options);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
