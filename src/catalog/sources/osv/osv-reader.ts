/**
 * Reads OSV records one at a time from a directory of `.json` files, a `.zip` dump (such as
 * `https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip`, read entry by entry),
 * a single `.json` file (one record or a list), or an http(s) URL of either (downloaded to a
 * temporary file first). Only one record is in memory at a time, so a dump of any size can be
 * streamed into the database.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import yauzl from 'yauzl';
import { AdvisorySourceError } from '../../advisory.js';

/** One record as read, before interpretation. */
export interface OsvRawRecord {
  /** Where it came from: file path, or `dump.zip!entry.json`. */
  origin: string;
  record: unknown;
}


/** A single record larger than this is refused (real ones are a few kB). */
const MAX_RECORD_BYTES = 32 * 1024 * 1024;

function parseJson(text: string, origin: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AdvisorySourceError(`${origin} is not valid JSON: ${(error as Error).message}`);
  }
}

function* recordsOf(value: unknown, origin: string): Generator<OsvRawRecord> {
  if (Array.isArray(value)) for (const record of value) yield { origin, record };
  else yield { origin, record: value };
}

async function* readDirectory(dir: string): AsyncGenerator<OsvRawRecord> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* readDirectory(path);
    else if (entry.isFile() && entry.name.toLowerCase().endsWith('.json')) yield* recordsOf(parseJson(await readFile(path, 'utf8'), path), path);
  }
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false, strictFileNames: false }, (error, zip) => {
      if (error || !zip) reject(new AdvisorySourceError(`${path} is not a readable zip file: ${error?.message ?? 'no archive'}`));
      else resolve(zip);
    });
  });
}

function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, origin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    if (entry.uncompressedSize > MAX_RECORD_BYTES) {
      reject(new AdvisorySourceError(`${origin} is ${entry.uncompressedSize} bytes: larger than any OSV record (limit ${MAX_RECORD_BYTES})`));
      return;
    }
    zip.openReadStream(entry, (error, stream) => {
      if (error || !stream) {
        reject(new AdvisorySourceError(`${origin} cannot be read: ${error?.message ?? 'no data'}`));
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (e) => reject(new AdvisorySourceError(`${origin} cannot be read: ${e.message}`)));
      stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
  });
}

/** Entries of a zip, one at a time: the next entry is only read when the consumer asks for it. */
async function* readZip(path: string): AsyncGenerator<OsvRawRecord> {
  const zip = await openZip(path);
  let failure: Error | undefined;
  let waiting: { resolve: (entry: yauzl.Entry | undefined) => void; reject: (error: Error) => void } | undefined;
  zip.on('entry', (entry: yauzl.Entry) => waiting?.resolve(entry));
  zip.on('end', () => waiting?.resolve(undefined));
  zip.on('error', (error: Error) => {
    failure = new AdvisorySourceError(`${path} is a damaged zip file: ${error.message}`);
    waiting?.reject(failure);
  });
  const next = (): Promise<yauzl.Entry | undefined> => new Promise((resolve, reject) => {
    if (failure) {
      reject(failure);
      return;
    }
    waiting = { resolve, reject };
    zip.readEntry();
  });
  try {
    for (let entry = await next(); entry !== undefined; entry = await next()) {
      if (entry.fileName.endsWith('/') || !entry.fileName.toLowerCase().endsWith('.json')) continue;
      const origin = `${path}!${entry.fileName}`;
      yield* recordsOf(parseJson(await readEntry(zip, entry, origin), origin), origin);
    }
  } finally {
    zip.close();
  }
}

async function isZipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && head.readUInt32LE(0) === 0x04034b50;
  } finally {
    await handle.close();
  }
}

async function* readFileOrZip(path: string): AsyncGenerator<OsvRawRecord> {
  if (await isZipFile(path)) yield* readZip(path);
  else yield* recordsOf(parseJson(await readFile(path, 'utf8'), path), path);
}

/** Downloads a URL into `dir`, streaming; returns the file path. */
export async function downloadToFile(url: string, dir: string, name: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(15 * 60_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new AdvisorySourceError(`downloading ${url} failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
  if (!response.ok || !response.body) {
    throw new AdvisorySourceError(`downloading ${url} failed: HTTP ${response.status} ${response.statusText}`.trim());
  }
  const path = join(dir, name);
  await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(path));
  return path;
}

/**
 * Every record at `location`: a directory, a `.zip` or `.json` file, or an http(s) URL of a
 * zip or JSON file. Throws {@link AdvisorySourceError} when the location cannot be read.
 */
export async function* readOsvRecords(location: string): AsyncGenerator<OsvRawRecord> {
  if (/^https?:\/\//i.test(location)) {
    const dir = await mkdtemp(join(tmpdir(), 'patchwarden-osv-'));
    try {
      const path = await downloadToFile(location, dir, 'download');
      for await (const raw of readFileOrZip(path)) yield { origin: raw.origin.replace(path, location), record: raw.record };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return;
  }
  let info;
  try {
    info = await stat(location);
  } catch (error) {
    throw new AdvisorySourceError(`${location} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (info.isDirectory()) yield* readDirectory(location);
  else yield* readFileOrZip(location);
}
