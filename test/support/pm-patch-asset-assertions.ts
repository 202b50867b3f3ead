/**
 * Strict checks for the Patch Management API's patch, asset, vulnerability and patch-catalog
 * answers, and fixtures that put patches, assets and their status straight into the store.
 *
 * The qualysdk client builds `Patch(**json)`, `Asset(**json)`, `CatalogPatch(**json)`: one key
 * outside the class's field set crashes it. The field sets below are copied from the wire spec
 * (§2.14), independently of the server's own lists, so a key the server leaks, misspells or nests
 * wrongly fails here. Fields the client post-processes have their types checked too.
 */
import assert from 'node:assert/strict';
import { v5 as uuidV5 } from 'uuid';
import { insertBatchSize, type PatchwardenDb } from '../../src/db/database.js';
import type { TestConsole } from './console-fixture.js';
import { recountPatchStatus } from '../../src/scans/patch-status-counts.js';

type Check = (value: unknown, path: string) => void;

function fail(path: string, expected: string, value: unknown): never {
  assert.fail(`${path}: expected ${expected}, got ${value === undefined ? 'undefined' : JSON.stringify(value)?.slice(0, 200)}`);
}

const str: Check = (v, p) => { if (typeof v !== 'string') fail(p, 'a string', v); };
const nonEmptyStr: Check = (v, p) => { if (typeof v !== 'string' || v === '') fail(p, 'a non-empty string', v); };
const bool: Check = (v, p) => { if (typeof v !== 'boolean') fail(p, 'a boolean', v); };
const count: Check = (v, p) => { if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(p, 'a non-negative integer', v); };
const int: Check = (v, p) => { if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(p, 'an integer', v); };
/** Epoch milliseconds (the client divides by 1000): after 1970, before 2200. */
const epochMs: Check = (v, p) => { if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > 7_258_118_400_000) fail(p, 'epoch milliseconds', v); };
const guid: Check = (v, p) => { if (typeof v !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) fail(p, 'a GUID', v); };
const oneOf = (...allowed: string[]): Check => (v, p) => { if (!allowed.includes(v as string)) fail(p, `one of ${allowed.join(', ')}`, v); };
const listOf = (item: Check): Check => (v, p) => {
  if (!Array.isArray(v)) fail(p, 'an array', v);
  v.forEach((element, i) => item(element, `${p}[${i}]`));
};
/** An object whose keys are all in `fields` (each checked), with at least the `required` ones. */
const objectWith = (fields: Record<string, Check>, required: readonly string[] = Object.keys(fields)): Check => (v, p) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(p, 'an object', v);
  const record = v as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !Object.hasOwn(fields, key));
  if (unknown.length > 0) assert.fail(`${p}: key(s) outside the client's field set: ${JSON.stringify(unknown)}`);
  for (const key of required) if (!Object.hasOwn(record, key)) assert.fail(`${p}: missing "${key}" (has ${JSON.stringify(Object.keys(record))})`);
  for (const [key, value] of Object.entries(record)) fields[key](value, `${p}.${key}`);
};
/** Fields the client accepts but this console never fills; sending them would be a change to review. */
const neverSent: Check = (v, p) => fail(p, 'not sent by this console', v);

// ---------------------------------------------------------------------------------------------
// §2.14 field sets

/** `Patch`: every allowed key, with the checks for the ones this console sends. */
export const PATCH_FIELDS: Record<string, Check> = {
  id: guid, title: nonEmptyStr, type: oneOf('Security', 'NonSecurity'), platform: oneOf('Linux', 'Windows'),
  architecture: listOf(nonEmptyStr), bulletin: nonEmptyStr, category: neverSent, cve: listOf(str), kb: nonEmptyStr,
  modifiedDate: epochMs, appFamily: nonEmptyStr, product: listOf(nonEmptyStr), publishedDate: epochMs,
  qid: listOf(int), rebootRequired: bool, supersededBy: listOf(str), supersedes: listOf(str), vendor: nonEmptyStr,
  vendorSeverity: oneOf('Critical', 'Important', 'Moderate', 'Low', 'None'), vendorlink: neverSent,
  missingCount: count, installedCount: count, downloadMethod: neverSent, advisory: neverSent, enabled: bool,
  packageDetails: listOf(objectWith({ packageName: nonEmptyStr, architecture: nonEmptyStr })),
  isSecurity: bool, isSuperseded: bool, isRollback: bool, isCustomizedDownloadUrl: bool,
};
/** What a full Patch (no `attributes`) always carries. */
export const PATCH_SENT_KEYS = Object.keys(PATCH_FIELDS).filter((key) => PATCH_FIELDS[key] !== neverSent);

const pmInterface = objectWith({ interfaceName: str, macAddress: str, address: str, gatewayAddress: str }, []);

/** `Asset`. */
export const ASSET_FIELDS: Record<string, Check> = {
  id: guid, name: nonEmptyStr, operatingSystem: nonEmptyStr, version: neverSent, platform: oneOf('Linux', 'Windows'),
  osIdentifier: nonEmptyStr, tags: listOf(str), interfaces: listOf(pmInterface), scanStatus: neverSent, status: oneOf('Enabled'),
  statusCode: neverSent, installedPatchCount: count, missingPatchCount: count, nonSupersededMissingPatchCount: count,
  activatedModules: neverSent, lastLoggedOnUser: neverSent, scanDateTime: epochMs, statusDateTime: neverSent,
  hardware: neverSent, hardware_model: neverSent, hardware_manufacturer: neverSent, architecture: nonEmptyStr,
  osNotSupportedForModules: neverSent,
};
/** Keys a full Asset always carries (operatingSystem, osIdentifier, architecture, scanDateTime only when known). */
export const ASSET_REQUIRED_KEYS = ['id', 'name', 'platform', 'tags', 'interfaces', 'status', 'installedPatchCount', 'missingPatchCount', 'nonSupersededMissingPatchCount'];

/** `CatalogPatch`. */
export const CATALOG_PATCH_FIELDS: Record<string, Check> = {
  patchId: guid, id: guid, title: nonEmptyStr, type: oneOf('Security', 'NonSecurity'), appFamily: nonEmptyStr, vendor: nonEmptyStr,
  product: listOf(nonEmptyStr), platform: oneOf('Linux', 'Windows'), kb: nonEmptyStr, isSuperseded: bool, isSecurity: bool,
  isRollback: bool, servicePack: neverSent, advisory: neverSent, vendorlink: neverSent, osIdentifier: neverSent,
  advisoryLink: neverSent, deleted: bool, rebootRequired: bool, vendorSeverity: oneOf('Critical', 'Important', 'Moderate', 'Low', 'None'),
  description: neverSent, qid: listOf(int), enabled: bool, downloadMethod: neverSent, supportedOs: neverSent, supersedes: listOf(str),
  notification: neverSent, cve: listOf(str), architecture: listOf(nonEmptyStr),
  packageDetails: listOf(objectWith({ packageName: nonEmptyStr, architecture: nonEmptyStr, patchId: guid })),
  patchFeedProviderId: neverSent, syncDateTime: epochMs, vendorPatchId: neverSent, modifiedDate: epochMs, publishedDate: epochMs,
  category: neverSent, isEsuPatch: bool, supersededBy: listOf(str), bulletin: nonEmptyStr,
};
export const CATALOG_PATCH_SENT_KEYS = Object.keys(CATALOG_PATCH_FIELDS).filter((key) => CATALOG_PATCH_FIELDS[key] !== neverSent);

/** `PMVulnerability`: `detectedDate` only when known. */
export const VULNERABILITY_FIELDS: Record<string, Check> = {
  id: int, title: str, cves: listOf(nonEmptyStr), detectedDate: epochMs, severity: int, vulnType: nonEmptyStr,
};

function assertObjects(value: unknown, fields: Record<string, Check>, required: readonly string[], label: string): void {
  if (!Array.isArray(value)) fail(label, 'a JSON array', value);
  value.forEach((item, i) => objectWith(fields, required)(item, `${label}[${i}]`));
}

/**
 * A `POST /pm/v2/patches` page: only Patch keys, typed. Without `attributes` every key this
 * console fills is present; with it, exactly the asked keys that it fills.
 */
export function assertPatches(value: unknown, attributes?: string[]): asserts value is Array<Record<string, any>> {
  assertObjects(value, PATCH_FIELDS, attributes ? attributes.filter((key) => PATCH_SENT_KEYS.includes(key)) : PATCH_SENT_KEYS, 'patches');
  if (attributes) for (const [i, patch] of (value as object[]).entries()) assert.deepEqual(Object.keys(patch).sort(), attributes.filter((key) => PATCH_SENT_KEYS.includes(key)).sort(), `patches[${i}] has exactly the asked attributes`);
}

export function assertAssets(value: unknown, attributes?: string[]): asserts value is Array<Record<string, any>> {
  assertObjects(value, ASSET_FIELDS, attributes ?? ASSET_REQUIRED_KEYS, 'assets');
  if (attributes) for (const [i, asset] of (value as object[]).entries()) assert.deepEqual(Object.keys(asset).sort(), [...attributes].sort(), `assets[${i}] has exactly the asked attributes`);
}

export function assertCatalogPatches(value: unknown, attributes?: string[]): asserts value is Array<Record<string, any>> {
  assertObjects(value, CATALOG_PATCH_FIELDS, attributes ?? CATALOG_PATCH_SENT_KEYS, 'catalogPatches');
  if (attributes) for (const [i, patch] of (value as object[]).entries()) assert.deepEqual(Object.keys(patch).sort(), [...attributes].sort(), `catalogPatches[${i}] has exactly the asked attributes`);
}

export function assertVulnerabilities(value: unknown): asserts value is Array<Record<string, any>> {
  assertObjects(value, VULNERABILITY_FIELDS, ['id', 'title', 'cves', 'severity', 'vulnType'], 'vulnerabilities');
}

/** `{"patches":{"count":N}}` or `{"assets":{"count":N}}` and nothing else; returns N. */
export function assertCount(value: unknown, key: 'patches' | 'assets'): number {
  objectWith({ [key]: objectWith({ count: count }) })(value, 'count');
  return (value as Record<string, { count: number }>)[key].count;
}

/** A PM error answer: the status, an `_error` object with the code, and a message matching `message`. */
export function assertPmError(response: { status: number; json: any; text: string }, status: number, message: RegExp, errorCode?: string): void {
  assert.equal(response.status, status, response.text);
  assert.ok(response.json && typeof response.json === 'object' && response.json._error, `an _error body: ${response.text}`);
  assert.deepEqual(Object.keys(response.json), ['_error'], 'the only key is _error');
  assert.equal(typeof response.json._error.errorCode, 'string');
  if (errorCode !== undefined) assert.equal(response.json._error.errorCode, errorCode, response.text);
  assert.match(response.json._error.message, message);
}

/** A bad QQL parameter: 400 naming the parameter, the position, what was found and what was expected. */
export function assertQqlError(response: { status: number; json: any; text: string }, parameter: string, position: number, found: string): void {
  assertPmError(response, 400, new RegExp(`^${parameter}: .*position ${position}`));
  const qql = response.json._error.qql;
  assert.equal(qql.parameter, parameter);
  assert.equal(qql.position, position);
  assert.equal(qql.found, found);
  assert.equal(typeof qql.expected, 'string');
  assert.ok(qql.expected.length > 0);
}

// ---------------------------------------------------------------------------------------------
// Store fixtures

const FIXTURE_NAMESPACE = '0d6a3f8e-2b7c-4e1a-9f5d-3c8b7a6e5d4f';

export interface PatchFixture {
  id?: string;
  source: string;
  version?: string;
  severity?: 'Critical' | 'Important' | 'Moderate' | 'Low' | 'None';
  security?: boolean;
  vendor?: string;
  packages?: Array<{ packageName: string; architecture: string }>;
  publishedMs?: number;
  rebootRequired?: boolean;
  cves?: string[];
  qids?: number[];
}

export function fixturePatchId(source: string, version: string): string {
  return uuidV5(`bookworm/${source}/${version}`, FIXTURE_NAMESPACE);
}

/** The asset id (`machines.asset_uuid`) insertAssets gives the machine of this name. */
export function fixtureAssetId(name: string): string {
  return uuidV5(`asset/${name}`, FIXTURE_NAMESPACE);
}

/** What the fixtures write through: a running console, or a store opened by the test. */
type FixtureTarget = { db: PatchwardenDb };

async function insertMany(running: FixtureTarget, table: string, rows: Array<Record<string, unknown>>): Promise<void> {
  if (rows.length === 0) return;
  const batch = insertBatchSize(Object.keys(rows[0]).length);
  await running.db.kysely.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += batch) await trx.insertInto(table as 'patches').values(rows.slice(i, i + batch) as never).execute();
  });
}

/** Inserts catalog patches (with CVEs and QIDs) as a sync would store them; returns their ids. */
export async function insertPatches(running: FixtureTarget, fixtures: PatchFixture[]): Promise<string[]> {
  const rows = fixtures.map((f) => {
    const version = f.version ?? '1.0-1';
    const security = f.security ?? f.severity !== undefined;
    const packages = f.packages ?? [{ packageName: `${f.source}-bin`, architecture: 'amd64' }];
    const published = f.publishedMs ?? Date.UTC(2025, 0, 15);
    return {
      id: f.id ?? fixturePatchId(f.source, version), title: `${f.source} ${version} ${security ? 'security update' : 'update'} for bookworm`,
      bulletin: `DEB-bookworm-${f.source}-${version}`, kb: `${f.source}_${version}`, vendor: f.vendor ?? 'Debian', platform: 'Linux',
      patch_type: security ? 'SecurityPatch' : 'NonSecurityPatch', is_security: security ? 1 : 0, vendor_severity: f.severity ?? 'None',
      release: 'bookworm', source_name: f.source, source_version: version,
      architectures: JSON.stringify([...new Set(packages.map((p) => p.architecture))].sort()), package_details: JSON.stringify(packages),
      reboot_required: f.rebootRequired ? 1 : 0, published_ms: published, modified_ms: published + 3_600_000,
    };
  });
  await insertMany(running, 'patches', rows);
  await insertMany(running, 'patch_cves', fixtures.flatMap((f, i) => (f.cves ?? []).map((cve) => ({ patch_id: rows[i].id, cve }))));
  await insertMany(running, 'patch_qids', fixtures.flatMap((f, i) => (f.qids ?? []).map((qid) => ({ patch_id: rows[i].id, qid }))));
  return rows.map((r) => r.id);
}

export interface AssetFixture {
  name: string;
  os?: string;
  osIdentifier?: string;
  architecture?: string;
  scannedAt?: string;
  /** Patch id → state (Missing | Installed | InstalledPendingReboot). */
  patches?: Record<string, string>;
}

/** Inserts scanned machines with asset UUIDs and their current patch status; returns machine ids. */
export async function insertAssets(running: FixtureTarget, fixtures: AssetFixture[]): Promise<Array<{ machineId: number; assetUuid: string }>> {
  const machines = fixtures.map((f) => ({
    name: f.name, created_at: '2025-01-01T00:00:00.000Z', asset_uuid: fixtureAssetId(f.name),
    os_name: f.os ?? 'Debian GNU/Linux 12 (bookworm)', os_identifier: f.osIdentifier ?? 'debian:12', architecture: f.architecture ?? 'amd64',
    last_scanned_at: f.scannedAt ?? '2025-02-01T10:00:00.000Z',
  }));
  await insertMany(running, 'machines', machines);
  const stored = await running.db.kysely.selectFrom('machines').select(['id', 'name', 'asset_uuid'])
    .where('name', 'in', fixtures.map((f) => f.name)).execute();
  const byName = new Map(stored.map((m) => [m.name, m]));
  const status = fixtures.flatMap((f) => Object.entries(f.patches ?? {}).map(([patchId, state]) => ({
    machine_id: byName.get(f.name)!.id, patch_id: patchId, state, scan_id: 'fixture', updated_at: '2025-02-01T10:00:00.000Z',
  })));
  await insertMany(running, 'asset_patch_status', status);
  await recountPatchStatus(running.db.kysely); // written directly, so counted here as a scan would
  return fixtures.map((f) => ({ machineId: byName.get(f.name)!.id, assetUuid: byName.get(f.name)!.asset_uuid! }));
}

// ---------------------------------------------------------------------------------------------
// Paging as the SDK does it

/**
 * Follows `searchAfter` as qualysdk does: no header on the first call, then the previous answer's
 * header value; stops at the first page shorter than pageSize. Checks every page's shape and that
 * a header comes with every full page and never with a short one.
 */
export async function pageThrough(c: TestConsole, path: string, body: unknown, pageSize: number, check: (page: unknown) => void, maxPages = 100): Promise<{ records: Array<Record<string, any>>; pageLengths: number[] }> {
  const records: Array<Record<string, any>> = [];
  const pageLengths: number[] = [];
  let searchAfter: string | undefined;
  for (;;) {
    assert.ok(pageLengths.length < maxPages, 'paging never ends');
    const response = await c.request('POST', path, { body, headers: searchAfter ? { searchAfter } : {} });
    assert.equal(response.status, 200, response.text);
    check(response.json);
    const page = response.json as Array<Record<string, any>>;
    pageLengths.push(page.length);
    records.push(...page);
    const next = response.headers.get('searchafter');
    if (page.length < pageSize) {
      assert.equal(next, null, 'a short page ends the listing: no searchAfter header');
      return { records, pageLengths };
    }
    assert.ok(next, `a full page (${page.length}) carries a searchAfter header`);
    assert.notEqual(next, searchAfter, 'searchAfter moves on');
    searchAfter = next;
  }
}
