/**
 * The rules a deployment job must satisfy before it is stored: allowed values, ranges, what each
 * schedule type needs, which options belong to which platform, and that patch queries parse.
 *
 * Input is a `DeploymentJobDraft`: the caller's fields already read into JavaScript types (the API
 * layer does that), nothing checked yet. Output is a complete `DeploymentJobDefinition` with
 * defaults filled in. Every failure names the field and what is allowed.
 */
import { PATCH_PLATFORMS, type PatchPlatform } from '../assess/types.js';
import type { DeploymentJobDefinition, JobNotification, JobSchedule, JobStartTime, JobUserMessage, JobUserMessages } from './deployment-jobs.js';

/** A job's platform: that of the patches it deploys. */
export type JobPlatform = PatchPlatform;

export const JOB_TYPES = ['Install', 'Rollback'] as const;
export type JobType = (typeof JOB_TYPES)[number];

export const JOB_SCHEDULE_TYPES = ['On-demand', 'Once', 'Daily', 'Weekly', 'Monthly'] as const;
export type JobScheduleType = (typeof JOB_SCHEDULE_TYPES)[number];

export const JOB_STATUSES = ['Enabled', 'Disabled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const JOB_TIME_UNITS = ['HOURS', 'MINUTES'] as const;
export type JobTimeUnit = (typeof JOB_TIME_UNITS)[number];

export const JOB_TIMEZONE_TYPES = ['AGENT_TZ', 'SPECIFIC_TZ'] as const;
export type JobTimezoneType = (typeof JOB_TIMEZONE_TYPES)[number];

/** Whether a machine must carry all of the listed tags or any one of them. */
export const JOB_TAG_MATCHES = ['all', 'any'] as const;
export type JobTagMatch = (typeof JOB_TAG_MATCHES)[number];

/** 0 = no query, 1 = patch QQL, 2 = vulnerability QQL. */
export type JobQqlType = 0 | 1 | 2;

export const JOB_NAME_MAX_LENGTH = 255;
export const JOB_DESCRIPTION_MAX_LENGTH = 4000;
export const JOB_MESSAGE_MAX_LENGTH = 4000;

/** Timeout limits per unit: 1–168 hours or 1–10,080 minutes (one week either way). */
const TIMEOUT_MAX: Record<JobTimeUnit, number> = { HOURS: 168, MINUTES: 10_080 };
/** Download randomisation limits per unit: at most 2 hours or 120 minutes. */
const RANDOMIZE_MAX: Record<JobTimeUnit, number> = { HOURS: 2, MINUTES: 120 };
const MINUTES_PER: Record<JobTimeUnit, number> = { HOURS: 60, MINUTES: 1 };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/;
const WEEK_DAYS = /^[01](,[01]){6}$/;
/** `%Y-%m-%d %I:%M:%S %p` as Python's strptime reads it: `2025-4-14 01:45:48 PM`. */
const START_DATE_TIME = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2}) ([AaPp][Mm])$/;

/** Messages shown on the machine, as given. */
export interface JobUserMessageDraft {
  description?: string;
  userMessage?: string;
}

/** A job as the caller described it: typed, but not yet checked. */
export interface DeploymentJobDraft {
  name?: string;
  description?: string;
  platform?: string;
  type?: string;
  scheduleType?: string;
  status?: string;
  startDateTime?: string;
  timezoneType?: string;
  timezone?: string;
  recurring?: boolean;
  dayOfMonth?: number;
  recurringDayOfMonth?: number;
  recurringWeekDayOfMonth?: number;
  recurringWeekDays?: string;
  recurringLastDayOfMonth?: boolean;
  monthlyRecurringType?: number;
  patchTuesdayPlusXDays?: number;
  approvedPatches: string[];
  dynamicQQLType?: number;
  isDynamicPatchesQQL?: boolean;
  dynamicPatchesQQL?: string;
  additionalDynamicQQLType?: number;
  additionalDynamicPatchesQQL?: string;
  assetIds: string[];
  assetTagIds: string[];
  matchAllTagIds: string[];
  exclusionAssetIds: string[];
  exclusionTagIds: string[];
  filterType?: string;
  exclusionFilterType?: string;
  coAuthorUserIds: string[];
  continueOnPatchFailure?: boolean;
  opportunisticDownloads?: boolean;
  suppressReboots?: boolean;
  minimizeWindow?: boolean;
  timeout?: number;
  timeoutUnit?: string;
  downloadRandomizeTime?: number;
  downloadRandomizeTimeUnit?: string;
  linkedJobId?: string;
  linkedJobReferenceCount?: number;
  preDeployment?: JobUserMessageDraft;
  duringDeployment?: JobUserMessageDraft;
  postDeployment?: JobUserMessageDraft;
  rebootCountdown?: JobUserMessageDraft;
  rebootOption?: JobUserMessageDraft & { deferment?: { count?: number; interval?: number; intervalUnit?: string } };
  notification?: {
    recipientEmails: string[];
    completedPercentage?: number;
    email?: boolean;
    onJobStart?: boolean;
    onJobComplete?: boolean;
  };
}

/** A job field that breaks a rule. `field` is the request's name for it (dotted inside objects). */
export class DeploymentJobValidationError extends Error {
  /** `cause` is the QqlError when a query of the job is at fault. */
  constructor(readonly field: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'DeploymentJobValidationError';
  }
}

/**
 * Checks a patch or vulnerability query; throws (a QqlError) when it does not parse or names
 * tokens the query kind does not have.
 */
export type JobQqlCheck = (qql: string, kind: 'patch' | 'vulnerability') => void;

/** Job, asset, tag and patch ids are GUIDs. */
export function isGuidText(value: string): boolean {
  return GUID.test(value);
}

/** Daily, Weekly and Monthly jobs repeat; On-demand and Once jobs do not. */
export function isRecurringSchedule(scheduleType: JobScheduleType): boolean {
  return scheduleType === 'Daily' || scheduleType === 'Weekly' || scheduleType === 'Monthly';
}

function invalid(field: string, message: string): never {
  throw new DeploymentJobValidationError(field, message);
}

function oneOf<T extends string>(field: string, value: string | undefined, allowed: readonly T[], fallback?: T): T {
  if (value === undefined || value.trim() === '') {
    if (fallback !== undefined) return fallback;
    invalid(field, `${field} is required: one of ${allowed.join(', ')}`);
  }
  const match = allowed.find((a) => a.toLowerCase() === value.trim().toLowerCase());
  if (!match) invalid(field, `${field} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}`);
  return match;
}

function inRange(field: string, value: number | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (value < min || value > max) invalid(field, `${field} must be between ${min} and ${max}; got ${value}`);
  return value;
}

function text(field: string, value: string | undefined, maxLength: number): string | undefined {
  if (value === undefined) return undefined;
  if (value.length > maxLength) invalid(field, `${field} must be at most ${maxLength} characters; got ${value.length}`);
  return value;
}

function guids(field: string, values: string[]): string[] {
  const seen = new Set<string>();
  values.forEach((value, i) => {
    if (!GUID.test(value)) invalid(field, `${field}[${i}] must be a GUID such as 01234567-89ab-cdef-0123-456789abcdef; got ${JSON.stringify(value)}`);
    seen.add(value.toLowerCase());
  });
  return [...seen];
}

function isCalendarDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const probe = new Date(0);
  probe.setUTCFullYear(year, month - 1, day);
  return probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}

/** Reads `2025-4-14 01:45:48 PM` (the documented `%Y-%m-%d %I:%M:%S %p`); undefined if it is not one. */
export function parseJobStartDateTime(value: string): JobStartTime | undefined {
  const match = START_DATE_TIME.exec(value.trim());
  if (!match) return undefined;
  const [year, month, day, hour12, minute, second] = match.slice(1, 7).map(Number);
  const pm = match[7].toUpperCase() === 'PM';
  if (!isCalendarDay(year, month, day) || hour12 < 1 || hour12 > 12 || minute > 59 || second > 59) return undefined;
  return { year, month, day, hour: (hour12 % 12) + (pm ? 12 : 0), minute, second };
}

/** Writes a start time in the documented format, e.g. `2025-4-14 01:45:48 PM`. */
export function formatJobStartDateTime(time: JobStartTime): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const hour12 = time.hour % 12 === 0 ? 12 : time.hour % 12;
  return `${time.year}-${time.month}-${time.day} ${two(hour12)}:${two(time.minute)}:${two(time.second)} ${time.hour < 12 ? 'AM' : 'PM'}`;
}

function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The most any time zone's clock runs behind UTC (UTC−12). */
const LATEST_ZONE_BEHIND_UTC_MS = 12 * 3_600_000;

/**
 * Whether a wall-clock time has passed in every time zone, so in whichever the job is read (its
 * own, or each machine's with AGENT_TZ). A time some zone has not reached yet is accepted.
 */
function hasPassedEverywhere(time: JobStartTime, now = Date.now()): boolean {
  const asUtc = Date.UTC(time.year, time.month - 1, time.day, time.hour, time.minute, time.second);
  return asUtc + LATEST_ZONE_BEHIND_UTC_MS < now;
}

function validateSchedule(draft: DeploymentJobDraft): JobSchedule {
  const scheduleType = oneOf('scheduleType', draft.scheduleType, JOB_SCHEDULE_TYPES);
  const recurs = isRecurringSchedule(scheduleType);

  let startDateTime: JobStartTime | undefined;
  if (draft.startDateTime === undefined || draft.startDateTime.trim() === '') {
    if (scheduleType !== 'On-demand') invalid('startDateTime', `startDateTime is required for ${scheduleType} jobs (only On-demand jobs may omit it), e.g. "2025-4-14 01:45:48 PM"`);
  } else {
    startDateTime = parseJobStartDateTime(draft.startDateTime);
    if (!startDateTime) {
      invalid('startDateTime', `startDateTime must be a date and time in the form YYYY-M-D hh:mm:ss AM|PM (12-hour clock), e.g. "2025-4-14 01:45:48 PM"; got ${JSON.stringify(draft.startDateTime)}`);
    }
    if (scheduleType === 'Once' && hasPassedEverywhere(startDateTime)) {
      invalid('startDateTime', `startDateTime ${JSON.stringify(draft.startDateTime)} has passed in every time zone: a Once job starting then would never run`);
    }
  }

  let timezoneType = draft.timezoneType === undefined ? undefined : oneOf('timezoneType', draft.timezoneType, JOB_TIMEZONE_TYPES);
  const timezone = draft.timezone?.trim() || undefined;
  if (timezone !== undefined) {
    if (!isKnownTimeZone(timezone)) invalid('timezone', `timezone must be an IANA time zone name such as "America/New_York"; got ${JSON.stringify(timezone)}`);
    if (timezoneType === 'AGENT_TZ') invalid('timezone', 'timezone applies only with timezoneType SPECIFIC_TZ; with AGENT_TZ each machine uses its own time zone');
    timezoneType ??= 'SPECIFIC_TZ';
  } else if (timezoneType === 'SPECIFIC_TZ') {
    invalid('timezone', 'timezone is required when timezoneType is SPECIFIC_TZ, e.g. "America/New_York"');
  }

  const recurring = draft.recurring ?? false;
  if (recurring && !recurs) invalid('recurring', `recurring applies only to Daily, Weekly and Monthly jobs; this job is ${scheduleType}`);

  const recurringWeekDays = draft.recurringWeekDays?.replace(/\s+/g, '');
  if (recurringWeekDays !== undefined) {
    if (!WEEK_DAYS.test(recurringWeekDays)) {
      invalid('recurringWeekDays', `recurringWeekDays must be seven comma-separated 0/1 flags, Sunday first, e.g. "0,1,0,0,0,0,0" for Mondays; got ${JSON.stringify(draft.recurringWeekDays)}`);
    }
    if (scheduleType !== 'Weekly') invalid('recurringWeekDays', `recurringWeekDays applies only to Weekly jobs; this job is ${scheduleType}`);
  }
  if (scheduleType === 'Weekly' && !recurringWeekDays?.includes('1')) {
    invalid('recurringWeekDays', 'a Weekly job needs recurringWeekDays with at least one day set, e.g. "0,1,0,0,0,0,0" for Mondays');
  }

  const dayOfMonth = inRange('dayOfMonth', draft.dayOfMonth, 0, 31);
  const recurringDayOfMonth = inRange('recurringDayOfMonth', draft.recurringDayOfMonth, 1, 5);
  const recurringWeekDayOfMonth = inRange('recurringWeekDayOfMonth', draft.recurringWeekDayOfMonth, 0, 6);
  const patchTuesdayPlusXDays = inRange('patchTuesdayPlusXDays', draft.patchTuesdayPlusXDays, -27, 27);
  const monthlyRecurringType = inRange('monthlyRecurringType', draft.monthlyRecurringType, 0, 1) as 0 | 1 | undefined;
  const recurringLastDayOfMonth = draft.recurringLastDayOfMonth ?? false;
  const monthlyFields: Array<[string, unknown]> = [
    ['dayOfMonth', dayOfMonth], ['recurringDayOfMonth', recurringDayOfMonth], ['recurringWeekDayOfMonth', recurringWeekDayOfMonth],
    ['patchTuesdayPlusXDays', patchTuesdayPlusXDays], ['monthlyRecurringType', monthlyRecurringType],
    ['recurringLastDayOfMonth', recurringLastDayOfMonth || undefined],
  ];
  if (scheduleType !== 'Monthly') {
    const given = monthlyFields.find(([, value]) => value !== undefined);
    if (given) invalid(given[0], `${given[0]} applies only to Monthly jobs; this job is ${scheduleType}`);
  } else {
    if ((recurringDayOfMonth === undefined) !== (recurringWeekDayOfMonth === undefined)) {
      const missing = recurringDayOfMonth === undefined ? 'recurringDayOfMonth' : 'recurringWeekDayOfMonth';
      invalid(missing, 'recurringDayOfMonth (week 1–5) and recurringWeekDayOfMonth (0 = Sunday … 6 = Saturday) go together: give both');
    }
    if (patchTuesdayPlusXDays !== undefined && monthlyRecurringType !== 1) {
      invalid('patchTuesdayPlusXDays', 'patchTuesdayPlusXDays applies only with monthlyRecurringType 1 (run relative to Patch Tuesday)');
    }
    const ways = [(dayOfMonth ?? 0) > 0, recurringLastDayOfMonth, recurringDayOfMonth !== undefined, monthlyRecurringType === 1].filter(Boolean).length;
    if (ways === 0) {
      invalid('dayOfMonth', 'a Monthly job needs a day: dayOfMonth (1–31), recurringLastDayOfMonth, recurringDayOfMonth with recurringWeekDayOfMonth, or monthlyRecurringType 1 (Patch Tuesday)');
    }
    if (ways > 1) {
      invalid('dayOfMonth', 'a Monthly job takes one way of choosing its day: dayOfMonth, recurringLastDayOfMonth, recurringDayOfMonth with recurringWeekDayOfMonth, or monthlyRecurringType 1 (Patch Tuesday)');
    }
  }

  return {
    scheduleType, startDateTime, timezoneType, timezone, recurring, dayOfMonth, recurringDayOfMonth, recurringWeekDayOfMonth,
    recurringWeekDays, recurringLastDayOfMonth, monthlyRecurringType, patchTuesdayPlusXDays,
  };
}

function checkQql(field: string, qql: string, kind: 'patch' | 'vulnerability', check: JobQqlCheck): void {
  try {
    check(qql, kind);
  } catch (error) {
    throw new DeploymentJobValidationError(field, `${field}: ${(error as Error).message}`, error);
  }
}

function validatePatchSelection(draft: DeploymentJobDraft, checkQqlText: JobQqlCheck): DeploymentJobDefinition['patches'] {
  const approvedPatchIds = guids('approvedPatches', draft.approvedPatches);
  const dynamicPatchesQql = draft.dynamicPatchesQQL?.trim() || undefined;
  const dynamicQqlType = (inRange('dynamicQQLType', draft.dynamicQQLType, 0, 2) ?? (dynamicPatchesQql ? 1 : 0)) as JobQqlType;
  const isDynamicPatchesQql = draft.isDynamicPatchesQQL ?? dynamicPatchesQql !== undefined;
  if (dynamicPatchesQql === undefined) {
    if (isDynamicPatchesQql) invalid('dynamicPatchesQQL', 'dynamicPatchesQQL is required when isDynamicPatchesQQL is true');
    if (dynamicQqlType !== 0) invalid('dynamicPatchesQQL', `dynamicPatchesQQL is required when dynamicQQLType is ${dynamicQqlType}`);
  } else {
    if (dynamicQqlType === 0) invalid('dynamicQQLType', 'dynamicQQLType 0 means "no query", but dynamicPatchesQQL is given: use 1 (patch QQL) or 2 (vulnerability QQL)');
    if (!isDynamicPatchesQql) invalid('isDynamicPatchesQQL', 'isDynamicPatchesQQL is false, but dynamicPatchesQQL is given: set it to true or leave the query out');
    checkQql('dynamicPatchesQQL', dynamicPatchesQql, dynamicQqlType === 1 ? 'patch' : 'vulnerability', checkQqlText);
  }

  const additionalDynamicPatchesQql = draft.additionalDynamicPatchesQQL?.trim() || undefined;
  let additionalDynamicQqlType = inRange('additionalDynamicQQLType', draft.additionalDynamicQQLType, 1, 2) as 1 | 2 | undefined;
  if (additionalDynamicPatchesQql === undefined) {
    if (additionalDynamicQqlType !== undefined) invalid('additionalDynamicPatchesQQL', 'additionalDynamicPatchesQQL is required when additionalDynamicQQLType is given');
  } else {
    additionalDynamicQqlType ??= 1;
    checkQql('additionalDynamicPatchesQQL', additionalDynamicPatchesQql, additionalDynamicQqlType === 1 ? 'patch' : 'vulnerability', checkQqlText);
  }
  return { approvedPatchIds, dynamicQqlType, isDynamicPatchesQql, dynamicPatchesQql, additionalDynamicQqlType, additionalDynamicPatchesQql };
}

function validateOptions(draft: DeploymentJobDraft, platform: JobPlatform): DeploymentJobDefinition['options'] {
  if (draft.continueOnPatchFailure !== undefined && platform !== 'Linux') {
    invalid('continueOnPatchFailure', 'continueOnPatchFailure applies only to Linux jobs');
  }
  const opportunisticDownloads = draft.opportunisticDownloads ?? false;
  if (opportunisticDownloads && platform !== 'Windows') invalid('opportunisticDownloads', 'opportunisticDownloads is available only for Windows jobs');

  const timeoutUnit = oneOf('timeoutUnit', draft.timeoutUnit, JOB_TIME_UNITS, 'HOURS');
  const timeout = draft.timeout ?? -1;
  if (timeout !== -1 && (timeout < 1 || timeout > TIMEOUT_MAX[timeoutUnit])) {
    invalid('timeout', `timeout must be -1 (none) or between 1 and ${TIMEOUT_MAX[timeoutUnit]} ${timeoutUnit.toLowerCase()}; got ${timeout}`);
  }

  let downloadRandomizeTimeUnit: JobTimeUnit | undefined;
  const downloadRandomizeTime = draft.downloadRandomizeTime;
  if (downloadRandomizeTime === undefined) {
    if (draft.downloadRandomizeTimeUnit !== undefined) invalid('downloadRandomizeTime', 'downloadRandomizeTime is required when downloadRandomizeTimeUnit is given');
  } else {
    downloadRandomizeTimeUnit = oneOf('downloadRandomizeTimeUnit', draft.downloadRandomizeTimeUnit, JOB_TIME_UNITS, 'HOURS');
    const max = RANDOMIZE_MAX[downloadRandomizeTimeUnit];
    if (downloadRandomizeTime < 1 || downloadRandomizeTime > max) {
      invalid('downloadRandomizeTime', `downloadRandomizeTime must be between 1 and ${max} ${downloadRandomizeTimeUnit.toLowerCase()} (2 hours at most); got ${downloadRandomizeTime}`);
    }
    if (timeout !== -1 && downloadRandomizeTime * MINUTES_PER[downloadRandomizeTimeUnit] >= timeout * MINUTES_PER[timeoutUnit]) {
      invalid('downloadRandomizeTime', `downloadRandomizeTime (${downloadRandomizeTime} ${downloadRandomizeTimeUnit.toLowerCase()}) must be less than the timeout (${timeout} ${timeoutUnit.toLowerCase()})`);
    }
  }

  return {
    continueOnPatchFailure: platform === 'Linux' ? (draft.continueOnPatchFailure ?? true) : undefined,
    opportunisticDownloads, suppressReboots: draft.suppressReboots ?? false, minimizeWindow: draft.minimizeWindow ?? false,
    timeout, timeoutUnit, downloadRandomizeTime, downloadRandomizeTimeUnit,
  };
}

function userMessage(field: string, draft: JobUserMessageDraft | undefined): JobUserMessage | undefined {
  if (!draft) return undefined;
  const description = text(`${field}.description`, draft.description, JOB_MESSAGE_MAX_LENGTH);
  const message = text(`${field}.userMessage`, draft.userMessage, JOB_MESSAGE_MAX_LENGTH);
  if (description === undefined && message === undefined) return undefined;
  return { ...(description !== undefined ? { description } : {}), ...(message !== undefined ? { userMessage: message } : {}) };
}

function validateMessages(draft: DeploymentJobDraft, suppressReboots: boolean): JobUserMessages {
  const messages: JobUserMessages = {};
  for (const field of ['preDeployment', 'duringDeployment', 'postDeployment', 'rebootCountdown'] as const) {
    const message = userMessage(field, draft[field]);
    if (message) messages[field] = message;
  }
  if (draft.rebootOption) {
    const option: NonNullable<JobUserMessages['rebootOption']> = { ...userMessage('rebootOption', draft.rebootOption) };
    const deferment = draft.rebootOption.deferment;
    if (deferment) {
      if (!suppressReboots) invalid('rebootOption.deferment', 'rebootOption.deferment applies only when suppressReboots is true');
      const count = deferment.count;
      const interval = deferment.interval;
      if (count === undefined) invalid('rebootOption.deferment.count', 'rebootOption.deferment.count is required: how many times the user may postpone the reboot');
      if (interval === undefined) invalid('rebootOption.deferment.interval', 'rebootOption.deferment.interval is required: how long each postponement lasts');
      inRange('rebootOption.deferment.count', count, 1, 100);
      const intervalUnit = oneOf('rebootOption.deferment.intervalUnit', deferment.intervalUnit, JOB_TIME_UNITS, 'MINUTES');
      inRange('rebootOption.deferment.interval', interval, 1, TIMEOUT_MAX[intervalUnit]);
      option.deferment = { count, interval, intervalUnit };
    }
    if (Object.keys(option).length > 0) messages.rebootOption = option;
  }
  return messages;
}

function validateNotification(draft: DeploymentJobDraft['notification']): JobNotification | undefined {
  if (!draft) return undefined;
  const recipientEmails: string[] = [];
  for (const [i, email] of draft.recipientEmails.entries()) {
    if (!EMAIL.test(email)) invalid('notification.notificationConfigs.recipientEmails', `notification.notificationConfigs.recipientEmails[${i}] is not an email address: ${JSON.stringify(email)}`);
    if (!recipientEmails.includes(email)) recipientEmails.push(email);
  }
  const completedPercentage = inRange('notification.notificationConfigs.completedPercentage', draft.completedPercentage, 1, 100);
  const notification: JobNotification = { recipientEmails };
  if (completedPercentage !== undefined) notification.completedPercentage = completedPercentage;
  if (draft.email !== undefined) notification.email = draft.email;
  if (draft.onJobStart !== undefined) notification.onJobStart = draft.onJobStart;
  if (draft.onJobComplete !== undefined) notification.onJobComplete = draft.onJobComplete;
  const sendsEmail = notification.email === true || notification.onJobStart === true || notification.onJobComplete === true || completedPercentage !== undefined;
  if (sendsEmail && recipientEmails.length === 0) {
    invalid('notification.notificationConfigs.recipientEmails', 'email notifications need at least one address in notification.notificationConfigs.recipientEmails');
  }
  if (recipientEmails.length === 0 && Object.keys(notification).length === 1) return undefined;
  return notification;
}

/** Parses a user id of this console (a positive whole number, sent as a number or a string). */
function userIds(field: string, values: string[]): number[] {
  const ids: number[] = [];
  values.forEach((value, i) => {
    if (!/^\d{1,15}$/.test(value) || Number(value) < 1) invalid(field, `${field}[${i}] must be the id of a user of this console (a positive whole number); got ${JSON.stringify(value)}`);
    if (!ids.includes(Number(value))) ids.push(Number(value));
  });
  return ids;
}

/**
 * Checks a draft and fills in defaults: status Disabled, filter types `any`, timeout -1 (none)
 * in HOURS, continueOnPatchFailure true for Linux. References to other records (co-authors, the
 * linked job) are checked by the service, which can see the store.
 */
export function validateDeploymentJobDraft(draft: DeploymentJobDraft, checkQqlText: JobQqlCheck): DeploymentJobDefinition {
  const name = draft.name?.trim();
  if (!name) invalid('name', 'name is required');
  text('name', name, JOB_NAME_MAX_LENGTH);
  const description = text('description', draft.description ?? '', JOB_DESCRIPTION_MAX_LENGTH)!;
  const platform = oneOf('platform', draft.platform, PATCH_PLATFORMS);
  const type = oneOf('type', draft.type, JOB_TYPES);
  if (type === 'Rollback' && platform !== 'Windows') invalid('type', 'Rollback jobs are available only for Windows; Linux jobs are Install jobs');
  const status = oneOf('status', draft.status, JOB_STATUSES, 'Disabled');
  const schedule = validateSchedule(draft);
  const patches = validatePatchSelection(draft, checkQqlText);
  const targets = {
    assetIds: guids('assetIds', draft.assetIds),
    assetTagIds: guids('assetTagIds', draft.assetTagIds),
    matchAllTagIds: guids('matchAllTagIds', draft.matchAllTagIds),
    exclusionAssetIds: guids('exclusionAssetIds', draft.exclusionAssetIds),
    exclusionTagIds: guids('exclusionTagIds', draft.exclusionTagIds),
    filterType: oneOf('filterType', draft.filterType, JOB_TAG_MATCHES, 'any'),
    exclusionFilterType: oneOf('exclusionFilterType', draft.exclusionFilterType, JOB_TAG_MATCHES, 'any'),
  };
  const excludedTargets = targets.assetIds.filter((id) => targets.exclusionAssetIds.includes(id));
  if (excludedTargets.length > 0) invalid('exclusionAssetIds', `asset ${excludedTargets[0]} is both targeted (assetIds) and excluded (exclusionAssetIds)`);
  const options = validateOptions(draft, platform);
  const messages = validateMessages(draft, options.suppressReboots);
  const notification = validateNotification(draft.notification);
  const coAuthorUserIds = userIds('coAuthorUserIds', draft.coAuthorUserIds);
  let linkedJobId: string | undefined;
  if (draft.linkedJobId !== undefined && draft.linkedJobId.trim() !== '') {
    linkedJobId = draft.linkedJobId.trim().toLowerCase();
    if (!GUID.test(linkedJobId)) invalid('linkedJobId', `linkedJobId must be the id (a GUID) of an existing job; got ${JSON.stringify(draft.linkedJobId)}`);
  }
  // The console counts the jobs linking to a job itself; a count sent by a client is checked
  // (clients send it, as the create body lists it) and otherwise not used.
  inRange('linkedJobReferenceCount', draft.linkedJobReferenceCount, 0, 1_000_000);
  return {
    name, description, platform, type, status, schedule, patches, targets, options, coAuthorUserIds, linkedJobId, messages, notification,
  };
}
