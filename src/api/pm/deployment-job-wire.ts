/**
 * Deployment jobs on the wire of the Patch Management API: reading the create body, the listing
 * query and `{"ids": [...]}` bodies, and writing PMJob, JobResultSummary, PMRun and the bulk
 * action result.
 *
 * The qualysdk client builds its objects with `cls(**json)`, so one key outside its field set
 * crashes it (spec §2.14). Each response shape below declares only keys of that set, and Fastify
 * serialises through these schemas, so nothing undeclared reaches a client. Every PMJob property
 * is optional because `attributes=id,name` asks for a subset; absent data is left out.
 */
import { Type, type Static } from 'typebox';
import { LenientFields, WireRequestError } from '../wire-request.js';
import {
  JOB_SORT_FIELDS, type DeploymentJob, type DeploymentJobListQuery, type DeploymentJobResultSummary, type DeploymentJobRun,
  type JobActionOutcome, type JobSortKey,
} from '../../deploy/deployment-jobs.js';
import {
  formatJobStartDateTime, isRecurringSchedule, type DeploymentJobDraft, type JobStatus, type JobUserMessageDraft,
} from '../../deploy/deployment-job-validation.js';
import { PATCH_PLATFORMS } from '../../assess/types.js';
import { QQL_TEXT_READ_LIMIT } from './patch-routes.js';
import { pickAttributes, readAttributes } from './attributes.js';

// ---------------------------------------------------------------------------------------------
// Response shapes.

const ChangeStamp = Type.Object({
  /** Epoch milliseconds. */
  date: Type.Integer(),
  user: Type.Object({ name: Type.String(), id: Type.String() }),
});

/** `PMJob` (qualysdk `Job.py`). */
export const PmJob = Type.Object({
  id: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  type: Type.Optional(Type.String()),
  platform: Type.Optional(Type.String()),
  status: Type.Optional(Type.String()),
  scheduleType: Type.Optional(Type.String()),
  /** `%Y-%m-%d %I:%M:%S %p`, e.g. `2025-4-14 01:45:48 PM`. */
  startDateTime: Type.Optional(Type.String()),
  timezoneType: Type.Optional(Type.String()),
  timezone: Type.Optional(Type.String()),
  isRecurring: Type.Optional(Type.Boolean()),
  recurringWeekDays: Type.Optional(Type.String()),
  dayOfMonth: Type.Optional(Type.Integer()),
  recurringDayOfMonth: Type.Optional(Type.Integer()),
  recurringWeekDayOfMonth: Type.Optional(Type.Integer()),
  recurringLastDayOfMonth: Type.Optional(Type.Boolean()),
  monthlyRecurringType: Type.Optional(Type.Integer()),
  patchTuesdayPlusXDays: Type.Optional(Type.Integer()),
  dynamicQQLType: Type.Optional(Type.Integer()),
  isDynamicPatchesQQL: Type.Optional(Type.Boolean()),
  dynamicPatchesQQL: Type.Optional(Type.String()),
  additionalQQLS: Type.Optional(Type.Array(Type.String())),
  filterType: Type.Optional(Type.String()),
  exclusionFilterType: Type.Optional(Type.String()),
  /** Target tags as `{id}` objects (the client reads them as Tag objects). */
  tags: Type.Optional(Type.Array(Type.Object({ id: Type.String() }))),
  matchAllTags: Type.Optional(Type.Array(Type.String())),
  /** Excluded tag ids as strings (the client wraps each as `Tag(id=...)`). */
  exclusionTags: Type.Optional(Type.Array(Type.String())),
  exclusionAssetIds: Type.Optional(Type.Array(Type.String())),
  coAuthorUserIds: Type.Optional(Type.Array(Type.String())),
  assetCount: Type.Optional(Type.Integer()),
  totalAssetCount: Type.Optional(Type.Integer()),
  patchCount: Type.Optional(Type.Integer()),
  assetResultReceivedCount: Type.Optional(Type.Integer()),
  completionPercent: Type.Optional(Type.Integer()),
  linkedJobId: Type.Optional(Type.String()),
  linkedJobReferenceCount: Type.Optional(Type.Integer()),
  created: Type.Optional(ChangeStamp),
  updated: Type.Optional(ChangeStamp),
  schemaVersion: Type.Optional(Type.String()),
  deleted: Type.Optional(Type.Boolean()),
});
export type PmJobWire = Static<typeof PmJob>;

/** Every key the client's `PMJob` accepts (for `attributes`), including ones this console never fills. */
export const PM_JOB_WIRE_KEYS = [
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

const Tag = Type.Object({ id: Type.Optional(Type.String()), name: Type.Optional(Type.String()) });
const PmInterface = Type.Object({
  interfaceName: Type.Optional(Type.String()),
  macAddress: Type.Optional(Type.String()),
  address: Type.Optional(Type.String()),
  gatewayAddress: Type.Optional(Type.String()),
});

/** `PMAssetJobView` (qualysdk `PMAsset.py`): one asset of a job result. The client adds `jobId`. */
export const PmAssetJobView = Type.Object({
  id: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  operatingSystem: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Array(Tag)),
  lastLoggedOnUser: Type.Optional(Type.String()),
  interfaces: Type.Optional(Type.Array(PmInterface)),
  status: Type.Optional(Type.String()),
  statusCode: Type.Optional(Type.Integer()),
  startDateTime: Type.Optional(Type.Integer()),
  endDateTime: Type.Optional(Type.Integer()),
  statusDateTime: Type.Optional(Type.Integer()),
  jobSentOn: Type.Optional(Type.Integer()),
  scanDateTime: Type.Optional(Type.Integer()),
  jobInstanceId: Type.Optional(Type.Integer()),
  installed: Type.Optional(Type.Array(Type.String())),
  failed: Type.Optional(Type.Array(Type.String())),
  success: Type.Optional(Type.Array(Type.String())),
  superseded: Type.Optional(Type.Array(Type.String())),
  notApplicable: Type.Optional(Type.Array(Type.String())),
  totalPatchCount: Type.Optional(Type.Integer()),
  osIdentifier: Type.Optional(Type.String()),
});

/** `JobResultSummary` (qualysdk `JobResultSummary.py`). */
export const PmJobResultSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  assetCount: Type.Integer(),
  patchCount: Type.Integer(),
  createdBy: Type.String(),
  /** Epoch milliseconds. */
  createdOn: Type.Integer(),
  assets: Type.Array(PmAssetJobView),
});

/** `PMRun` (qualysdk `PMRun.py`); the client adds `jobId` itself. */
export const PmRun = Type.Object({
  jobInstanceId: Type.Integer(),
  /** ISO-8601: the client reads it with `datetime.fromisoformat`. */
  scheduledDateTime: Type.String(),
  timezoneType: Type.String(),
});

/** One element of the delete / change-status answer. */
export const PmJobActionResult = Type.Object({
  id: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
  error: Type.Optional(Type.String()),
});

/** The create answer: the client returns `id` (and newer versions print `name`). */
export const PmCreatedJob = Type.Object({ id: Type.String(), name: Type.String() });

// ---------------------------------------------------------------------------------------------
// Writing.

function changeStamp(change: DeploymentJob['created']) {
  return { date: change.ms, user: { name: change.userName, id: String(change.userId) } };
}

/**
 * A job as PMJob. With `attributes`, only those keys (as the patch and asset listings answer).
 * Nothing has run yet, so completion and received results are 0 and there is no last run; the
 * next run is the scheduler's to compute and is left out.
 */
export function jobToWire(job: DeploymentJob, attributes?: ReadonlySet<string>): PmJobWire {
  const { schedule, patches, targets } = job;
  const wire: PmJobWire = {
    id: job.id,
    name: job.name,
    type: job.type,
    platform: job.platform,
    status: job.status,
    scheduleType: schedule.scheduleType,
    startDateTime: schedule.startDateTime ? formatJobStartDateTime(schedule.startDateTime) : undefined,
    timezoneType: schedule.timezoneType,
    timezone: schedule.timezone,
    isRecurring: isRecurringSchedule(schedule.scheduleType),
    recurringWeekDays: schedule.recurringWeekDays,
    dayOfMonth: schedule.dayOfMonth,
    recurringDayOfMonth: schedule.recurringDayOfMonth,
    recurringWeekDayOfMonth: schedule.recurringWeekDayOfMonth,
    recurringLastDayOfMonth: schedule.recurringLastDayOfMonth,
    monthlyRecurringType: schedule.monthlyRecurringType,
    patchTuesdayPlusXDays: schedule.patchTuesdayPlusXDays,
    dynamicQQLType: patches.dynamicQqlType,
    isDynamicPatchesQQL: patches.isDynamicPatchesQql,
    dynamicPatchesQQL: patches.dynamicPatchesQql,
    additionalQQLS: patches.additionalDynamicPatchesQql === undefined ? [] : [patches.additionalDynamicPatchesQql],
    filterType: targets.filterType,
    exclusionFilterType: targets.exclusionFilterType,
    tags: targets.assetTagIds.map((id) => ({ id })),
    matchAllTags: targets.matchAllTagIds,
    exclusionTags: targets.exclusionTagIds,
    exclusionAssetIds: targets.exclusionAssetIds,
    coAuthorUserIds: job.coAuthorUserIds.map(String),
    assetCount: targets.assetIds.length,
    totalAssetCount: targets.assetIds.length,
    patchCount: patches.approvedPatchIds.length,
    assetResultReceivedCount: 0,
    completionPercent: 0,
    linkedJobId: job.linkedJobId,
    linkedJobReferenceCount: job.linkedJobReferenceCount,
    created: changeStamp(job.created),
    updated: changeStamp(job.updated),
    schemaVersion: '1.0',
    deleted: false,
  };
  return pickAttributes(wire, attributes);
}

export function resultSummaryToWire(summary: DeploymentJobResultSummary): Static<typeof PmJobResultSummary> {
  return {
    id: summary.id, name: summary.name, assetCount: summary.assetCount, patchCount: summary.patchCount,
    createdBy: summary.createdBy, createdOn: summary.createdMs, assets: summary.assets,
  };
}

export function runToWire(run: DeploymentJobRun): Static<typeof PmRun> {
  return { jobInstanceId: run.jobInstanceId, scheduledDateTime: run.scheduledDateTime, timezoneType: run.timezoneType };
}

export function actionOutcomeToWire(outcome: JobActionOutcome): Static<typeof PmJobActionResult> {
  return outcome.succeeded
    ? { id: outcome.id, name: outcome.name, status: 'success' }
    : { id: outcome.id, name: outcome.name, status: 'failure', error: outcome.error ?? 'failed' };
}

// ---------------------------------------------------------------------------------------------
// Reading.

/** Body keys of `POST /pm/v1/deploymentjob` (spec §2.5), matched ignoring letter case. */
const CREATE_KEYS = [
  'approvedPatches', 'assetIds', 'assetTagIds', 'coAuthorUserIds', 'continueOnPatchFailure', 'dayOfMonth', 'description',
  'duringDeployment', 'dynamicPatchesQQL', 'dynamicQQLType', 'additionalDynamicPatchesQQL', 'additionalDynamicQQLType',
  'exclusionAssetIds', 'exclusionFilterType', 'exclusionTagIds', 'filterType', 'isDynamicPatchesQQL', 'matchAllTagIds',
  'minimizeWindow', 'monthlyRecurringType', 'name', 'notification', 'opportunisticDownloads', 'patchTuesdayPlusXDays', 'platform',
  'postDeployment', 'rebootCountdown', 'rebootOption', 'suppressReboots', 'preDeployment', 'recurring', 'recurringDayOfMonth',
  'recurringLastDayOfMonth', 'recurringWeekDayOfMonth', 'recurringWeekDays', 'scheduleType', 'startDateTime', 'status', 'timeout',
  'timeoutUnit', 'downloadRandomizeTime', 'downloadRandomizeTimeUnit', 'timezone', 'timezoneType', 'type', 'linkedJobId',
  'linkedJobReferenceCount',
] as const;

const WIDE = { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };

function rejectUnknownKeys(source: unknown, allowed: readonly string[], where: string): void {
  if (source === null || typeof source !== 'object' || Array.isArray(source)) return;
  const known = new Set(allowed.map((key) => key.toLowerCase()));
  const unknown = Object.keys(source).filter((key) => !known.has(key.toLowerCase()));
  if (unknown.length > 0) {
    const field = where === '' ? unknown[0] : `${where}.${unknown[0]}`;
    throw new WireRequestError(field, `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(where === '' ? k : `${where}.${k}`)).join(', ')}; `
      + `${where === '' ? 'the job' : where} takes ${allowed.join(', ')}`);
  }
}

/** Reads a nested object, naming its fields `outer.inner` in errors. */
function nested<T>(prefix: string, value: unknown, allowed: readonly string[], read: (fields: LenientFields) => T): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new WireRequestError(prefix, `${prefix} must be a JSON object with ${allowed.join(', ')}`);
  rejectUnknownKeys(value, allowed, prefix);
  try {
    return read(new LenientFields(value, 'body'));
  } catch (error) {
    if (error instanceof WireRequestError && !error.field.startsWith(`${prefix}.`)) {
      const field = `${prefix}.${error.field}`;
      throw new WireRequestError(field, error.message.startsWith(error.field) ? field + error.message.slice(error.field.length) : `${field}: ${error.message}`);
    }
    throw error;
  }
}

function optionalBoolean(fields: LenientFields, name: string): boolean | undefined {
  return fields.raw(name) === undefined ? undefined : fields.boolean(name, false);
}

function optionalInteger(fields: LenientFields, name: string): number | undefined {
  return fields.integer(name, WIDE);
}

function userMessage(fields: LenientFields, name: string): JobUserMessageDraft | undefined {
  return nested(name, fields.raw(name), ['description', 'userMessage'], (inner) => ({
    description: inner.string('description', { maxLength: 100_000 }),
    userMessage: inner.string('userMessage', { maxLength: 100_000 }),
  }));
}

/** Ids of users: numbers or digit strings. */
function userIdList(fields: LenientFields, name: string): string[] {
  const value = fields.raw(name);
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.map((item, i) => {
    if (typeof item === 'number' || (typeof item === 'string' && item.trim() !== '')) return String(item).trim();
    throw new WireRequestError(name, `${name}[${i}] must be a user id; got ${JSON.stringify(item)}`);
  });
}

/** `recipientEmails`: one string (addresses separated by commas or semicolons) or a list. */
function emailList(fields: LenientFields, name: string): string[] {
  const value = fields.raw(name);
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((item, i) => {
    if (typeof item !== 'string') throw new WireRequestError(name, `${name}[${i}] must be a string of email addresses; got ${JSON.stringify(item)}`);
    return item.split(/[,;]/).map((part) => part.trim()).filter((part) => part !== '');
  });
}

/** The create body as a draft for the domain's validation. Unknown keys are refused. */
export function readJobDraft(body: unknown): DeploymentJobDraft {
  const fields = new LenientFields(body, 'body');
  rejectUnknownKeys(body, CREATE_KEYS, '');
  const str = (name: string, maxLength = 100_000) => fields.string(name, { maxLength });
  const deferment = (option: LenientFields) => nested('deferment', option.raw('deferment'), ['count', 'interval', 'intervalUnit'], (inner) => ({
    count: optionalInteger(inner, 'count'), interval: optionalInteger(inner, 'interval'), intervalUnit: inner.string('intervalUnit'),
  }));
  return {
    name: str('name'),
    description: str('description'),
    platform: str('platform'),
    type: str('type'),
    scheduleType: str('scheduleType'),
    status: str('status'),
    startDateTime: str('startDateTime'),
    timezoneType: str('timezoneType'),
    timezone: str('timezone'),
    recurring: optionalBoolean(fields, 'recurring'),
    dayOfMonth: optionalInteger(fields, 'dayOfMonth'),
    recurringDayOfMonth: optionalInteger(fields, 'recurringDayOfMonth'),
    recurringWeekDayOfMonth: optionalInteger(fields, 'recurringWeekDayOfMonth'),
    recurringWeekDays: str('recurringWeekDays'),
    recurringLastDayOfMonth: optionalBoolean(fields, 'recurringLastDayOfMonth'),
    monthlyRecurringType: optionalInteger(fields, 'monthlyRecurringType'),
    patchTuesdayPlusXDays: optionalInteger(fields, 'patchTuesdayPlusXDays'),
    approvedPatches: fields.stringArray('approvedPatches'),
    dynamicQQLType: optionalInteger(fields, 'dynamicQQLType'),
    isDynamicPatchesQQL: optionalBoolean(fields, 'isDynamicPatchesQQL'),
    dynamicPatchesQQL: str('dynamicPatchesQQL', QQL_TEXT_READ_LIMIT),
    additionalDynamicQQLType: optionalInteger(fields, 'additionalDynamicQQLType'),
    additionalDynamicPatchesQQL: str('additionalDynamicPatchesQQL', QQL_TEXT_READ_LIMIT),
    assetIds: fields.stringArray('assetIds'),
    assetTagIds: fields.stringArray('assetTagIds'),
    matchAllTagIds: fields.stringArray('matchAllTagIds'),
    exclusionAssetIds: fields.stringArray('exclusionAssetIds'),
    exclusionTagIds: fields.stringArray('exclusionTagIds'),
    filterType: str('filterType'),
    exclusionFilterType: str('exclusionFilterType'),
    coAuthorUserIds: userIdList(fields, 'coAuthorUserIds'),
    continueOnPatchFailure: optionalBoolean(fields, 'continueOnPatchFailure'),
    opportunisticDownloads: optionalBoolean(fields, 'opportunisticDownloads'),
    suppressReboots: optionalBoolean(fields, 'suppressReboots'),
    minimizeWindow: optionalBoolean(fields, 'minimizeWindow'),
    timeout: optionalInteger(fields, 'timeout'),
    timeoutUnit: str('timeoutUnit'),
    downloadRandomizeTime: optionalInteger(fields, 'downloadRandomizeTime'),
    downloadRandomizeTimeUnit: str('downloadRandomizeTimeUnit'),
    linkedJobId: str('linkedJobId'),
    linkedJobReferenceCount: optionalInteger(fields, 'linkedJobReferenceCount'),
    preDeployment: userMessage(fields, 'preDeployment'),
    duringDeployment: userMessage(fields, 'duringDeployment'),
    postDeployment: userMessage(fields, 'postDeployment'),
    rebootCountdown: userMessage(fields, 'rebootCountdown'),
    rebootOption: nested('rebootOption', fields.raw('rebootOption'), ['description', 'userMessage', 'deferment'], (option) => ({
      description: option.string('description', { maxLength: 100_000 }),
      userMessage: option.string('userMessage', { maxLength: 100_000 }),
      deferment: deferment(option),
    })),
    notification: nested('notification', fields.raw('notification'), ['notificationConfigs', 'notificationTypes', 'notificationEvents'], (outer) => {
      const configs = nested('notificationConfigs', outer.raw('notificationConfigs'), ['recipientEmails', 'completedPercentage'], (inner) => ({
        recipientEmails: emailList(inner, 'recipientEmails'), completedPercentage: optionalInteger(inner, 'completedPercentage'),
      }));
      const types = nested('notificationTypes', outer.raw('notificationTypes'), ['email'], (inner) => ({ email: optionalBoolean(inner, 'email') }));
      const events = nested('notificationEvents', outer.raw('notificationEvents'), ['onJobStart', 'onJobComplete'], (inner) => ({
        onJobStart: optionalBoolean(inner, 'onJobStart'), onJobComplete: optionalBoolean(inner, 'onJobComplete'),
      }));
      return {
        recipientEmails: configs?.recipientEmails ?? [], completedPercentage: configs?.completedPercentage,
        email: types?.email, onJobStart: events?.onJobStart, onJobComplete: events?.onJobComplete,
      };
    }),
  };
}

/** `sort`: `[{"name":"asc"}]` (several keys in order), `{"name":"desc"}`, or a bare field name. */
function readSort(text: string | undefined): JobSortKey[] {
  if (text === undefined || text === '') return [];
  const allowed = `sort takes [{"<field>":"asc"|"desc"}, ...] or a field name; fields: ${JOB_SORT_FIELDS.join(', ')}`;
  let parsed: unknown = text;
  if (/^[[{]/.test(text)) {
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new WireRequestError('sort', `sort is not valid JSON; ${allowed}`);
    }
  }
  const entries: Array<[string, unknown]> = [];
  for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
    if (typeof item === 'string') entries.push([item, 'asc']);
    else if (item && typeof item === 'object' && !Array.isArray(item)) entries.push(...Object.entries(item));
    else throw new WireRequestError('sort', allowed);
  }
  if (entries.length === 0) throw new WireRequestError('sort', allowed);
  return entries.map(([name, direction]) => {
    const field = JOB_SORT_FIELDS.find((f) => f.toLowerCase() === name.trim().toLowerCase());
    if (!field) throw new WireRequestError('sort', `cannot sort by ${JSON.stringify(name)}; ${allowed}`);
    const dir = typeof direction === 'string' ? direction.trim().toLowerCase() : '';
    if (dir !== 'asc' && dir !== 'desc') throw new WireRequestError('sort', `sort direction of ${field} must be "asc" or "desc"; got ${JSON.stringify(direction)}`);
    return { field, direction: dir };
  });
}

/** The query of `GET /pm/v1/deploymentjobs/summary`. */
export function readJobListQuery(query: unknown): { listQuery: DeploymentJobListQuery; attributes?: ReadonlySet<string> } {
  const fields = new LenientFields(query, 'query');
  const platform = fields.string('platform');
  const attributes = readAttributes(fields, PM_JOB_WIRE_KEYS);
  return {
    listQuery: {
      platform: platform === undefined || platform === '' ? undefined : fields.enumValue('platform', PATCH_PLATFORMS, 'Windows'),
      pageNumber: fields.integer('pageNumber', { min: 0, max: 1_000_000_000, fallback: 0 })!,
      pageSize: fields.integer('pageSize', { min: 1, max: 10_000, fallback: 10 })!,
      filter: fields.string('filter', { maxLength: QQL_TEXT_READ_LIMIT }) || undefined,
      ownedJob: fields.boolean('ownedJob', false),
      coauthorJob: fields.boolean('coauthorJob', false),
      sort: readSort(fields.string('sort', { maxLength: 10_000 })),
    },
    attributes,
  };
}

/** `{"ids": [...]}` of delete and change-status: at least one job id. */
export function readJobIds(body: unknown): string[] {
  if (body === undefined) throw new WireRequestError('ids', 'send a JSON body {"ids": ["<job id>", ...]}');
  const fields = new LenientFields(body, 'body');
  rejectUnknownKeys(body, ['ids'], '');
  const ids = fields.stringArray('ids');
  if (ids.length === 0) throw new WireRequestError('ids', 'ids must list at least one job id: {"ids": ["<job id>", ...]}');
  return ids;
}

/** `{action}` of change-status: Enabled/Enable or Disabled/Disable, in any letter case. */
export function jobStatusFromAction(action: string): JobStatus {
  switch (action.trim().toLowerCase()) {
    case 'enabled':
    case 'enable':
      return 'Enabled';
    case 'disabled':
    case 'disable':
      return 'Disabled';
    default:
      throw new WireRequestError('action', `unknown action ${JSON.stringify(action)}: use Enabled (or Enable) or Disabled (or Disable)`);
  }
}
