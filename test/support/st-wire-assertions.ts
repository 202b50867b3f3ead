/**
 * Strict shape checks for the Security Controls console API (`/st/console/api/v1.0`).
 *
 * Every object kind the API returns has a shape here: each documented field with its type. A
 * check fails on a missing field, a field of the wrong type, and on any key the shape does not
 * declare, so a renamed, dropped or leaked field is caught. Optional fields (`dnsName`,
 * `resourceLocation`, `packages`, ...) may be absent, but when present they must have their type.
 */
import assert from 'node:assert/strict';
import type { RunningConsole } from '../../src/api/console.js';
import { hashPassword } from '../../src/auth/password-hash.js';
import type { AuthenticatedUser } from '../../src/auth/users.js';

export type Shape = (value: unknown, path: string) => void;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})?$/;

function fail(path: string, expected: string, value: unknown): never {
  assert.fail(`${path}: expected ${expected}, got ${value === undefined ? 'undefined' : JSON.stringify(value)}`);
}

export const str: Shape = (v, p) => {
  if (typeof v !== 'string') fail(p, 'a string', v);
};
export const nonEmptyStr: Shape = (v, p) => {
  if (typeof v !== 'string' || v.length === 0) fail(p, 'a non-empty string', v);
};
export const int: Shape = (v, p) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(p, 'an integer', v);
};
export const nonNegativeInt: Shape = (v, p) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(p, 'a non-negative integer', v);
};
export const positiveInt: Shape = (v, p) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) fail(p, 'a positive integer', v);
};
export const bool: Shape = (v, p) => {
  if (typeof v !== 'boolean') fail(p, 'a boolean', v);
};
export const guid: Shape = (v, p) => {
  if (typeof v !== 'string' || !GUID.test(v)) fail(p, 'a GUID', v);
};
export const dateTime: Shape = (v, p) => {
  if (typeof v !== 'string' || !ISO_DATE_TIME.test(v) || Number.isNaN(Date.parse(v))) fail(p, 'an ISO 8601 date-time', v);
};
export const absoluteUrl: Shape = (v, p) => {
  if (typeof v !== 'string') fail(p, 'an absolute URL', v);
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    fail(p, 'an absolute URL', v);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(p, 'an http(s) URL', v);
};

export function literal(...allowed: Array<string | number | boolean>): Shape {
  return (v, p) => {
    if (!allowed.includes(v as string)) fail(p, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, v);
  };
}

export function nullable(inner: Shape): Shape {
  return (v, p) => {
    if (v !== null) inner(v, p);
  };
}

export function arrayOf(item: Shape): Shape {
  return (v, p) => {
    if (!Array.isArray(v)) fail(p, 'an array', v);
    v.forEach((element, i) => item(element, `${p}[${i}]`));
  };
}

const OPTIONAL = Symbol('optional');
type OptionalShape = Shape & { [OPTIONAL]: true };

/** A field that may be absent; when present it must match `inner` (null is not "absent"). */
export function optional(inner: Shape): OptionalShape {
  const shape = ((v: unknown, p: string) => inner(v, p)) as OptionalShape;
  shape[OPTIONAL] = true;
  return shape;
}

/** A field that must NOT be present. */
export const absent: OptionalShape = Object.assign((v: unknown, p: string) => fail(p, 'no such field', v), { [OPTIONAL]: true as const });

/** A JSON object with exactly these keys (optional ones may be missing); any other key fails. */
export function object(fields: Record<string, Shape>): Shape {
  return (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(p, 'an object', v);
    const record = v as Record<string, unknown>;
    for (const [key, shape] of Object.entries(fields)) {
      const isOptional = (shape as Partial<OptionalShape>)[OPTIONAL] === true;
      if (!Object.hasOwn(record, key)) {
        if (!isOptional) assert.fail(`${p}: missing field "${key}" (has ${JSON.stringify(Object.keys(record))})`);
        continue;
      }
      shape(record[key], `${p}.${key}`);
    }
    const unexpected = Object.keys(record).filter((key) => !Object.hasOwn(fields, key));
    if (unexpected.length > 0) assert.fail(`${p}: unexpected field(s) ${JSON.stringify(unexpected)}`);
  };
}

export const href: Shape = object({ href: absoluteUrl });

/** Checks `value` against `shape`; the message names the path of the first mismatch. */
export function assertShape(value: unknown, shape: Shape, label = '$'): void {
  shape(value, label);
}

// ---------------------------------------------------------------------------------------------
// The object kinds of the API.

export const SCAN_STATES = ['MissingPatch', 'FoundPatch'] as const;
export const PATCH_TYPES = ['SecurityPatch', 'NonSecurityPatch'] as const;
export const VENDOR_SEVERITIES = ['None', 'Critical', 'Important', 'Moderate', 'Low'] as const;
export const OPERATION_STATUSES = ['Running', 'Succeeded', 'Failed', 'Cancelled'] as const;

export const scanShape = object({
  consoleName: nonEmptyStr,
  definitionDate: nullable(dateTime),
  definitionVersion: nullable(nonEmptyStr),
  expectedResultTotal: nonNegativeInt,
  id: guid,
  isComplete: bool,
  links: object({ self: href, machines: href, template: href }),
  name: str,
  receivedResultCount: nonNegativeInt,
  scanType: literal('Patch'),
  startedOn: dateTime,
  updatedOn: dateTime,
  user: nonEmptyStr,
});

export const scanMachineShape = object({
  completedOn: nullable(dateTime),
  dnsName: optional(nonEmptyStr),
  domain: str,
  errorDescription: str,
  errorNumber: nonNegativeInt,
  id: positiveInt,
  installedPatchCount: nonNegativeInt,
  links: object({ self: href, patches: href }),
  missingPatchCount: nonNegativeInt,
  missingServicePackCount: nonNegativeInt,
  name: nonEmptyStr,
  virtualMachinePath: nullable(str),
  virtualServer: nullable(str),
});

export const detectedPatchPackageShape = object({
  name: nonEmptyStr,
  architecture: nonEmptyStr,
  installedVersion: nonEmptyStr,
  candidateVersion: nonEmptyStr,
  suites: arrayOf(str),
});

/** A detected patch; `packages` (patchwarden's extension) only with `includePackages=true`. */
export function detectedPatchShape(options: { packages: boolean }): Shape {
  return object({
    bulletinId: nonEmptyStr,
    cultureName: str,
    instanceName: nullable(str),
    kb: nonEmptyStr,
    links: object({ download: href }),
    patchId: guid,
    patchType: literal(...PATCH_TYPES),
    productId: guid,
    productName: nonEmptyStr,
    scanItemId: positiveInt,
    scanState: literal(...SCAN_STATES),
    servicePackName: str,
    vendorSeverity: literal(...VENDOR_SEVERITIES),
    packages: options.packages ? arrayOf(detectedPatchPackageShape) : absent,
  });
}

/** An operation; `resourceLocation` only once finished, `error` only when it failed. */
export function operationShape(state: 'running' | 'finished' | 'any' = 'any'): Shape {
  return object({
    created: dateTime,
    lastAction: dateTime,
    operation: literal('PatchScan', 'PatchDownload', 'PatchDeployment'),
    percentComplete: (v, p) => {
      int(v, p);
      if ((v as number) < 0 || (v as number) > 100) fail(p, 'a percentage 0..100', v);
    },
    resourceLocation: state === 'running' ? absent : state === 'finished' ? absoluteUrl : optional(absoluteUrl),
    status: state === 'running' ? literal('Running') : state === 'finished' ? literal('Succeeded', 'Failed', 'Cancelled') : literal(...OPERATION_STATUSES),
    error: optional(object({ message: nonEmptyStr })),
  });
}

export const scanTemplateShape = object({
  creator: nonEmptyStr,
  description: str,
  id: guid,
  isSystem: bool,
  links: object({ self: href, usedby: href }),
  name: nonEmptyStr,
  path: str,
  patchFilter: object({
    patchGroupFilterType: literal('None', 'Scan', 'Skip'),
    patchGroupIds: arrayOf(positiveInt),
    patchPropertyFilter: object({
      customActions: bool,
      nonSecurityPatchSeverities: nonEmptyStr,
      securityPatchSeverities: nonEmptyStr,
      securityTools: bool,
    }),
    scanFor: nonEmptyStr,
    softwareDistribution: bool,
    vendorFamilyProductFilter: object({}),
  }),
  threadCount: positiveInt,
});

export const configurationVersionShape = object({
  latestApiVersion: literal('1.0'),
  productName: nonEmptyStr,
  productVersion: nonEmptyStr,
});

export const productLevelGroupShape = object({ id: positiveInt, name: nonEmptyStr });

/** The error body every 4xx carries: a message, and the field at fault when there is one. */
export const errorBodyShape = object({ message: nonEmptyStr, field: optional(nonEmptyStr) });

/**
 * The list envelope. `count` must equal the number of items; `links.next` is required,
 * forbidden, or either, as `next` says.
 */
export function listShape(item: Shape, next: boolean | 'any' = 'any'): Shape {
  const inner = object({
    count: nonNegativeInt,
    links: object({ self: optional(href), next: next === 'any' ? optional(href) : next ? href : absent }),
    value: arrayOf(item),
  });
  return (v, p) => {
    inner(v, p);
    const list = v as { count: number; value: unknown[] };
    if (list.count !== list.value.length) assert.fail(`${p}.count: ${list.count} but value holds ${list.value.length} items`);
  };
}

// ---------------------------------------------------------------------------------------------
// Checks that go beyond types: links point where they should.

/** The link must be `<console>/st/console/api/v1.0/<path>` (path compared case-sensitively). */
export function assertLink(link: { href: string }, consoleUrl: string, path: string): void {
  assert.equal(link.href, `${consoleUrl}/st/console/api/v1.0/${path}`);
}

export function assertScan(value: unknown, consoleUrl: string): asserts value is ScanWire {
  assertShape(value, scanShape, 'scan');
  const scan = value as ScanWire;
  assertLink(scan.links.self, consoleUrl, `patch/scans/${scan.id}`);
  assertLink(scan.links.machines, consoleUrl, `patch/scans/${scan.id}/machines`);
  assert.match(scan.links.template.href, new RegExp(`^${escapeRegExp(consoleUrl)}/st/console/api/v1\\.0/patch/scanTemplates/[0-9a-f-]{36}$`));
  assert.ok(scan.receivedResultCount <= scan.expectedResultTotal, 'receivedResultCount must not exceed expectedResultTotal');
  assert.ok(scan.updatedOn >= scan.startedOn, 'updatedOn must not be before startedOn');
}

export function assertScanMachine(value: unknown, consoleUrl: string, scanId: string): asserts value is ScanMachineWire {
  assertShape(value, scanMachineShape, 'scanMachine');
  const machine = value as ScanMachineWire;
  assertLink(machine.links.self, consoleUrl, `patch/scans/${scanId}/machines/${machine.id}`);
  assertLink(machine.links.patches, consoleUrl, `patch/scans/${scanId}/machines/${machine.id}/patches`);
}

export function assertDetectedPatch(value: unknown, consoleUrl: string, options: { packages: boolean }): asserts value is DetectedPatchWire {
  assertShape(value, detectedPatchShape(options), 'detectedPatch');
  const patch = value as DetectedPatchWire;
  assertLink(patch.links.download, consoleUrl, `patch/downloads/${patch.patchId}?culture=en-US`);
}

export function assertScanTemplate(value: unknown, consoleUrl: string): asserts value is ScanTemplateWire {
  assertShape(value, scanTemplateShape, 'scanTemplate');
  const template = value as ScanTemplateWire;
  assertLink(template.links.self, consoleUrl, `patch/scanTemplates/${template.id}`);
  assertLink(template.links.usedby, consoleUrl, `patch/scanTemplates/${template.id}/usedby`);
}

/** A 4xx answer: the status, a JSON error body, and a message matching every pattern. */
export function assertErrorResponse(
  response: { status: number; headers: Headers; json: unknown; text: string },
  status: number,
  ...messagePatterns: RegExp[]
): { message: string; field?: string } {
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${response.text}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  assertShape(response.json, errorBodyShape, 'error');
  const body = response.json as { message: string; field?: string };
  for (const pattern of messagePatterns) assert.match(body.message, pattern);
  return body;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// Wire types, as the tests read them.

export interface Href { href: string }
export interface ListWire<T> { count: number; links: { self?: Href; next?: Href }; value: T[] }
export interface ScanWire {
  consoleName: string; definitionDate: string | null; definitionVersion: string | null; expectedResultTotal: number;
  id: string; isComplete: boolean; links: { self: Href; machines: Href; template: Href }; name: string;
  receivedResultCount: number; scanType: string; startedOn: string; updatedOn: string; user: string;
}
export interface ScanMachineWire {
  completedOn: string | null; dnsName?: string; domain: string; errorDescription: string; errorNumber: number; id: number;
  installedPatchCount: number; links: { self: Href; patches: Href }; missingPatchCount: number; missingServicePackCount: number;
  name: string; virtualMachinePath: string | null; virtualServer: string | null;
}
export interface DetectedPatchWire {
  bulletinId: string; cultureName: string; instanceName: string | null; kb: string; links: { download: Href };
  patchId: string; patchType: string; productId: string; productName: string; scanItemId: number; scanState: string;
  servicePackName: string; vendorSeverity: string;
  packages?: Array<{ name: string; architecture: string; installedVersion: string; candidateVersion: string; suites: string[] }>;
}
export interface OperationWire {
  created: string; lastAction: string; operation: string; percentComplete: number; resourceLocation?: string; status: string;
  error?: { message: string };
}
export interface ScanTemplateWire {
  creator: string; description: string; id: string; isSystem: boolean; links: { self: Href; usedby: Href }; name: string;
  path: string; threadCount: number;
  patchFilter: {
    patchGroupFilterType: string; patchGroupIds: number[]; scanFor: string; softwareDistribution: boolean;
    patchPropertyFilter: { customActions: boolean; nonSecurityPatchSeverities: string; securityPatchSeverities: string; securityTools: boolean };
    vendorFamilyProductFilter: Record<string, never>;
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers for driving the console.

/** The path and query of an absolute link, for the fixture's `request` (which takes paths). */
export function pathOf(link: string | Href): string {
  const url = new URL(typeof link === 'string' ? link : link.href);
  return `${url.pathname}${url.search}`;
}

/**
 * Occupies every worker slot of the console's task queue with a task that waits for
 * `release()`, so scans started meanwhile deterministically stay `Running` (their machines wait
 * in line). Start the console with a small `scanConcurrency` and pass the same number here.
 */
export async function holdScanQueue(running: RunningConsole, slots: number): Promise<{ release(): void; started: Promise<void> }> {
  const kind = `test-hold-${Math.random().toString(36).slice(2)}`;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  let startedCount = 0;
  let allStarted!: () => void;
  const started = new Promise<void>((resolve) => { allStarted = resolve; });
  running.queue.register<null>(kind, async () => {
    startedCount++;
    if (startedCount === slots) allStarted();
    await gate;
  });
  for (let i = 0; i < slots; i++) await running.queue.enqueue(kind, null);
  return { release, started };
}

/** Adds a user straight to the store (there is no user-management API yet). */
export async function createUser(running: RunningConsole, username: string, password: string, role = 'operator'): Promise<AuthenticatedUser> {
  const { id } = await running.db.kysely.insertInto('users').values({
    username, password_hash: await hashPassword(password), role, created_at: new Date().toISOString(),
  }).returning('id').executeTakeFirstOrThrow();
  return { id, username, role };
}

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** How many rows the scan tables hold, to prove a refused request changed nothing. */
export async function storedScanCounts(running: RunningConsole): Promise<{ scans: number; machines: number; patches: number; operations: number }> {
  const count = async (table: 'scans' | 'scan_machines' | 'scan_machine_patches' | 'operations') => {
    const row = await running.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  };
  return { scans: await count('scans'), machines: await count('scan_machines'), patches: await count('scan_machine_patches'), operations: await count('operations') };
}
