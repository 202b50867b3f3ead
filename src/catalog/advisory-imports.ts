/**
 * Imports of advisory sources into the store: OSV records (directory, zip dump, JSON file or
 * URL) and RPM updateinfo errata (file or repository). Records stream from the source into
 * the database in batches; see advisory-store.ts for the incremental rules.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PatchwardenDb } from '../db/database.js';
import { AdvisoryImport, type AdvisoryImportOptions, type AdvisoryImportSummary } from './advisory-store.js';
import { advisoryFromOsvRecord, OsvRecordError } from './sources/osv/osv-record.js';
import { downloadToFile, readOsvRecords } from './sources/osv/osv-reader.js';
import { readUpdateinfoFile, readUpdateinfoRepository, type UpdateinfoBatch } from './sources/updateinfo/updateinfo-reader.js';

export type AdvisoryFeed = 'osv' | 'updateinfo';

export interface AdvisoryImportRequest extends AdvisoryImportOptions {
  /** updateinfo only: the release the errata are for, e.g. `AlmaLinux:9` (else inferred per advisory). */
  ecosystem?: string;
}

/** Imports every OSV record at `location` (directory, `.zip`, `.json`, or http(s) URL of a zip/JSON). */
export async function importOsvAdvisories(db: PatchwardenDb, location: string, request: AdvisoryImportRequest = {}): Promise<AdvisoryImportSummary> {
  const target = new AdvisoryImport(db, request);
  for await (const raw of readOsvRecords(location)) {
    let advisory;
    try {
      advisory = advisoryFromOsvRecord(raw.record);
    } catch (error) {
      if (!(error instanceof OsvRecordError)) throw error;
      target.reject(`${raw.origin}: ${error.message}`);
      continue;
    }
    if (advisory === undefined) target.ignore();
    else await target.add(advisory);
  }
  return target.finish();
}

/**
 * Imports the security errata of an updateinfo file (`.xml`, `.xml.gz`, `.xml.xz`) or of an
 * RPM repository given by its http(s) base URL.
 */
export async function importUpdateinfoAdvisories(db: PatchwardenDb, location: string, request: AdvisoryImportRequest = {}): Promise<AdvisoryImportSummary> {
  const target = new AdvisoryImport(db, request);
  const options = { ecosystem: request.ecosystem };
  const batches = /^https?:\/\//i.test(location) && !/\.xml(\.(gz|xz|zst|bz2))?$/i.test(new URL(location).pathname)
    ? readUpdateinfoRepository(location, options)
    : readUpdateinfoFromFileOrUrl(location, options);
  for await (const batch of batches) {
    for (const message of batch.rejected) target.reject(message);
    for (let i = 0; i < batch.skipped; i++) target.ignore();
    for (const advisory of batch.advisories) await target.add(advisory);
  }
  return target.finish();
}

async function* readUpdateinfoFromFileOrUrl(location: string, options: { ecosystem?: string }): AsyncGenerator<UpdateinfoBatch> {
  if (!/^https?:\/\//i.test(location)) {
    yield* readUpdateinfoFile(location, options);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'patchwarden-updateinfo-'));
  try {
    yield* readUpdateinfoFile(await downloadToFile(location, dir, 'updateinfo'), options);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the import of one feed. */
export function importAdvisories(db: PatchwardenDb, feed: AdvisoryFeed, location: string, request: AdvisoryImportRequest = {}): Promise<AdvisoryImportSummary> {
  return feed === 'osv' ? importOsvAdvisories(db, location, request) : importUpdateinfoAdvisories(db, location, request);
}
