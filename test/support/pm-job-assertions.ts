/**
 * Strict shape checks for the deployment-job answers of the Patch Management API (`/pm/v1`).
 *
 * The qualysdk client builds PMJob, JobResultSummary, PMAssetJobView and PMRun with `cls(**json)`,
 * so one key outside their field sets (spec §2.14) crashes it. The checks here fail on any such
 * key, independently of the server's own schemas: the allowed sets are copied from the spec.
 * Beyond key sets they check the conversions the client makes (timestamps in epoch milliseconds,
 * `startDateTime` in `%Y-%m-%d %I:%M:%S %p`, `schemaVersion` float-able, tag objects, ISO run times).
 */
import assert from 'node:assert/strict';
import {
  arrayOf, assertShape, bool, guid, int, literal, nonEmptyStr, nonNegativeInt, nullable, object, optional, str, type Shape,
} from './st-wire-assertions.js';

/** PMJob's fields (spec §2.14), the only keys a job may carry. */
export const PM_JOB_KEYS = [
  'id', 'name', 'coAuthorUserIds', 'subCategory', 'dynamicQQLType', 'matchAllTags', 'type', 'recurringWeekDays', 'totalAssetCount',
  'isDynamicPatchesQQL', 'assetCount', 'customPatchUrlConfigured', 'linkedJobReferenceCount', 'created', 'created_date',
  'created_user_name', 'created_user_id', 'triggerStatus', 'recurringDayOfMonth', 'jobSource', 'readOnly', 'tags', 'exclusionAssetIds',
  'scheduleType', 'dayOfMonth', 'disabledPatches', 'filterType', 'updated', 'updated_date', 'updated_user_name', 'updated_user_id',
  'additionalQQLS', 'status', 'timezone', 'exclusionFilterType', 'nextScheduleDateTime', 'platform', 'mitigationActionCount',
  'isPriorityJob', 'customerId', 'exclusionTags', 'taggedAssetCount', 'patchCount', 'applicableAssetCount', 'patchTuesdayPlusXDays',
  'schemaVersion', 'recurringLastDayOfMonth', 'recurringWeekDayOfMonth', 'isRecurring', 'lastScheduleDateTime', 'dynamicPatchesQQL',
  'startDateTime', 'timezoneType', 'deleted', 'monthlyRecurringType', 'completionPercent', 'category', 'linkedJobId',
  'assetResultReceivedCount', 'isVulnContext', 'isAssetImported', 'remediationQids',
] as const;

/** JobResultSummary's fields. */
export const JOB_RESULT_SUMMARY_KEYS = ['id', 'name', 'assetCount', 'patchCount', 'createdBy', 'createdOn', 'assets'] as const;

/** PMAssetJobView's fields (an asset of a job result, after the client merges its nested `asset`). */
export const PM_ASSET_JOB_VIEW_KEYS = [
  'id', 'name', 'operatingSystem', 'jobId', 'tags', 'lastLoggedOnUser', 'successPatches', 'installedPatches', 'failedPatches',
  'supersededPatches', 'notApplicablePatches', 'executing', 'pendingExecution', 'pendingReboot', 'pendingVerification',
  'jobInstanceId', 'interfaces', 'skipPatchCount', 'additionalFields', 'endDateTime', 'startDateTime', 'statusDateTime', 'status',
  'statusCode', 'jobSentOn', 'installed', 'failed', 'success', 'superseded', 'notApplicable', 'failedActionsCount',
  'successfulActionsCount', 'skippedActionsCount', 'interimResultStatus', 'totalPatchCount', 'runId', 'scanDateTime',
  'pendingForRebootInAnotherJob', 'pendingForRebootInAnotherJobName', 'osIdentifier',
] as const;

/** PMRun's fields; the client adds `jobId` itself. */
export const PM_RUN_KEYS = ['jobInstanceId', 'jobId', 'scheduledDateTime', 'timezoneType'] as const;

/** `%Y-%m-%d %I:%M:%S %p` as Python's strptime reads it (month/day/time parts 1–2 digits). */
export const START_DATE_TIME_FORMAT = /^\d{4}-(0?[1-9]|1[0-2])-(0?[1-9]|[12]\d|3[01]) (0?[1-9]|1[0-2]):[0-5]?\d:[0-5]?\d (AM|PM)$/;

function fail(path: string, expected: string, value: unknown): never {
  assert.fail(`${path}: expected ${expected}, got ${value === undefined ? 'undefined' : JSON.stringify(value)}`);
}

/** Fails on any key outside `allowed`. */
export function assertKeysWithin(value: unknown, allowed: readonly string[], path: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
  const extra = Object.keys(value).filter((key) => !allowed.includes(key));
  if (extra.length > 0) assert.fail(`${path}: key(s) outside the client's field set: ${JSON.stringify(extra)}`);
}

/** Epoch milliseconds between 2000 and 2100: rules out seconds and ISO strings. */
export const epochMs: Shape = (v, p) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 946_684_800_000 || v > 4_102_444_800_000) fail(p, 'epoch milliseconds', v);
};

export const startDateTime: Shape = (v, p) => {
  if (typeof v !== 'string' || !START_DATE_TIME_FORMAT.test(v)) fail(p, 'a date-time like "2025-4-14 01:45:48 PM"', v);
};

export const floatable: Shape = (v, p) => {
  if (!((typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))))) {
    fail(p, 'a value float() accepts', v);
  }
};

const isoDateTime: Shape = (v, p) => {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v)) fail(p, 'an ISO-8601 date-time', v);
};

const changeStamp = object({ date: epochMs, user: object({ name: nonEmptyStr, id: nonEmptyStr }) });
const tagObject = object({ id: optional(str), name: optional(str) });

/** Type checks for every PMJob key this console sends; all optional so `attributes` subsets pass. */
const PM_JOB_FIELD_SHAPES: Record<string, Shape> = {
  id: guid,
  name: nonEmptyStr,
  type: literal('Install', 'Rollback'),
  platform: literal('Windows', 'Linux'),
  status: literal('Enabled', 'Disabled'),
  scheduleType: literal('On-demand', 'Once', 'Daily', 'Weekly', 'Monthly'),
  startDateTime,
  timezoneType: literal('AGENT_TZ', 'SPECIFIC_TZ'),
  timezone: nonEmptyStr,
  isRecurring: bool,
  recurringWeekDays: (v, p) => {
    if (typeof v !== 'string' || !/^[01](,[01]){6}$/.test(v)) fail(p, 'seven 0/1 flags', v);
  },
  dayOfMonth: nonNegativeInt,
  recurringDayOfMonth: nonNegativeInt,
  recurringWeekDayOfMonth: nonNegativeInt,
  recurringLastDayOfMonth: bool,
  monthlyRecurringType: literal(0, 1),
  patchTuesdayPlusXDays: int,
  dynamicQQLType: literal(0, 1, 2),
  isDynamicPatchesQQL: bool,
  dynamicPatchesQQL: nonEmptyStr,
  additionalQQLS: arrayOf(nonEmptyStr),
  filterType: literal('all', 'any'),
  exclusionFilterType: literal('all', 'any'),
  tags: arrayOf(tagObject),
  matchAllTags: arrayOf(nonEmptyStr),
  exclusionTags: arrayOf(nonEmptyStr),
  exclusionAssetIds: arrayOf(guid),
  coAuthorUserIds: arrayOf(nonEmptyStr),
  assetCount: nonNegativeInt,
  totalAssetCount: nonNegativeInt,
  patchCount: nonNegativeInt,
  assetResultReceivedCount: nonNegativeInt,
  completionPercent: nonNegativeInt,
  linkedJobId: guid,
  linkedJobReferenceCount: nonNegativeInt,
  created: changeStamp,
  updated: changeStamp,
  schemaVersion: floatable,
  deleted: bool,
  nextScheduleDateTime: epochMs,
  lastScheduleDateTime: epochMs,
};

const pmJobShape = object(Object.fromEntries(Object.entries(PM_JOB_FIELD_SHAPES).map(([key, shape]) => [key, optional(shape)])));

/** Keys every full job (no `attributes`) carries. */
const ALWAYS_SENT = [
  'id', 'name', 'type', 'platform', 'status', 'scheduleType', 'isRecurring', 'recurringLastDayOfMonth', 'dynamicQQLType',
  'isDynamicPatchesQQL', 'additionalQQLS', 'filterType', 'exclusionFilterType', 'tags', 'matchAllTags', 'exclusionTags',
  'exclusionAssetIds', 'coAuthorUserIds', 'assetCount', 'totalAssetCount', 'patchCount', 'assetResultReceivedCount',
  'completionPercent', 'created', 'updated', 'schemaVersion', 'deleted',
];

export interface PmJobWire {
  id: string;
  name: string;
  type: string;
  platform: string;
  status: string;
  scheduleType: string;
  startDateTime?: string;
  created: { date: number; user: { name: string; id: string } };
  updated: { date: number; user: { name: string; id: string } };
  [key: string]: unknown;
}

/** A PMJob: keys within §2.14, typed; with `full`, every always-sent key present. */
export function assertPmJob(value: unknown, options: { full?: boolean; path?: string } = {}): asserts value is PmJobWire {
  const path = options.path ?? 'job';
  assertKeysWithin(value, PM_JOB_KEYS, path);
  assertShape(value, pmJobShape, path);
  if (options.full !== false) {
    const missing = ALWAYS_SENT.filter((key) => !Object.hasOwn(value as object, key));
    if (missing.length > 0) assert.fail(`${path}: missing ${JSON.stringify(missing)}`);
  }
}

export function assertPmJobList(value: unknown, options: { full?: boolean } = {}): asserts value is PmJobWire[] {
  if (!Array.isArray(value)) fail('jobs', 'an array', value);
  value.forEach((job, i) => assertPmJob(job, { ...options, path: `jobs[${i}]` }));
}

const assetJobViewShape: Shape = (v, p) => {
  assertKeysWithin(v, [...PM_ASSET_JOB_VIEW_KEYS, 'asset'], p);
};

export const jobResultSummaryShape = object({
  id: guid,
  name: nonEmptyStr,
  assetCount: nonNegativeInt,
  patchCount: nonNegativeInt,
  createdBy: nonEmptyStr,
  createdOn: epochMs,
  assets: arrayOf(assetJobViewShape),
});

export function assertJobResultSummary(value: unknown): void {
  assertKeysWithin(value, JOB_RESULT_SUMMARY_KEYS, 'summary');
  assertShape(value, jobResultSummaryShape, 'summary');
}

export const pmRunShape = object({ jobInstanceId: int, scheduledDateTime: isoDateTime, timezoneType: nonEmptyStr });

export function assertPmRuns(value: unknown): void {
  if (!Array.isArray(value)) fail('runs', 'an array', value);
  value.forEach((run, i) => {
    assertKeysWithin(run, PM_RUN_KEYS, `runs[${i}]`);
    assertShape(run, pmRunShape, `runs[${i}]`);
  });
}

/** One element of the delete / change-status answer. */
export const jobActionResultShape: Shape = (v, p) => {
  object({ id: nonEmptyStr, name: nullable(nonEmptyStr), status: literal('success', 'failure'), error: optional(nonEmptyStr) })(v, p);
  const result = v as { status: string; error?: string };
  if (result.status === 'failure' && !result.error) assert.fail(`${p}: a failure must say why (error)`);
  if (result.status === 'success' && result.error !== undefined) assert.fail(`${p}: a success carries no error`);
};

export interface JobActionResult {
  id: string;
  name: string | null;
  status: 'success' | 'failure';
  error?: string;
}

export function assertJobActionResults(value: unknown): asserts value is JobActionResult[] {
  assertShape(value, arrayOf(jobActionResultShape), 'results');
}

const qqlDetails = object({
  parameter: optional(nonEmptyStr), position: nonNegativeInt, found: str, expected: nonEmptyStr, token: optional(nonEmptyStr),
});

/** `{"_error": {...}}`: the only body of a PM error. */
export const pmErrorShape = object({
  _error: object({
    errorCode: nonEmptyStr,
    message: nonEmptyStr,
    timestamp: optional(epochMs),
    field: optional(nonEmptyStr),
    qql: optional(qqlDetails),
  }),
});

export interface PmErrorWire {
  _error: {
    errorCode: string;
    message: string;
    timestamp?: number;
    field?: string;
    qql?: { parameter?: string; position: number; found: string; expected: string; token?: string };
  };
}

/** A PM error answer: status, JSON, `_error` shape, and a message matching every pattern. */
export function assertPmError(
  response: { status: number; headers: Headers; json: unknown; text: string },
  status: number,
  ...messagePatterns: RegExp[]
): PmErrorWire['_error'] {
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${response.text}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  assertShape(response.json, pmErrorShape, 'error');
  const error = (response.json as PmErrorWire)._error;
  for (const pattern of messagePatterns) assert.match(error.message, pattern);
  return error;
}

/** A 2xx JSON answer. */
export function assertJsonResponse(response: { status: number; headers: Headers; text: string }, status: number): void {
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${response.text}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
}
