/**
 * Deployment jobs: what a job installs (explicit patch ids and/or a patch query), where (assets,
 * tags, exclusions), when (its schedule), how (timeouts, reboots, messages shown on the machine)
 * and who is told (notifications); and the service that stores, lists, enables, disables and
 * deletes them.
 *
 * Running jobs belongs to the deployment engine, which does not exist yet: until it does, every
 * job has no runs and no results, and the service says exactly that.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Expression, type SelectQueryBuilder, type SqlBool, type Transaction } from 'kysely';
import type { PatchwardenDb } from '../db/database.js';
import type { DeploymentJobsTable, PatchwardenTables } from '../db/schema.js';
import type { AuthenticatedUser } from '../auth/users.js';
import { compileQqlToWhere, parseQql } from '../qql/index.js';
import { deploymentJobQqlTokens } from './job-qql-tokens.js';
import { checkJobReferences, namedInMessage } from './job-references.js';
import {
  DeploymentJobValidationError, isGuidText, validateDeploymentJobDraft,
  type DeploymentJobDraft, type JobPlatform, type JobQqlCheck, type JobQqlType, type JobScheduleType, type JobStatus,
  type JobTagMatch, type JobTimeUnit, type JobTimezoneType, type JobType,
} from './deployment-job-validation.js';

/** A wall-clock time in the job's time zone (the machine's own, or `timezone`); hour is 0–23. */
export interface JobStartTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export interface JobSchedule {
  scheduleType: JobScheduleType;
  startDateTime?: JobStartTime;
  timezoneType?: JobTimezoneType;
  timezone?: string;
  recurring: boolean;
  /** Monthly: run on this day of the month (0 = not set). */
  dayOfMonth?: number;
  /** Monthly: run in this week of the month (1–5), on `recurringWeekDayOfMonth`. */
  recurringDayOfMonth?: number;
  /** Monthly: the weekday (0 = Sunday … 6 = Saturday) used with `recurringDayOfMonth`. */
  recurringWeekDayOfMonth?: number;
  /** Weekly: seven comma-separated 0/1 flags, Sunday first. */
  recurringWeekDays?: string;
  recurringLastDayOfMonth: boolean;
  /** Monthly: 1 = relative to Patch Tuesday. */
  monthlyRecurringType?: 0 | 1;
  /** Days before (negative) or after Patch Tuesday, −27…27. */
  patchTuesdayPlusXDays?: number;
}

export interface JobPatchSelection {
  approvedPatchIds: string[];
  dynamicQqlType: JobQqlType;
  isDynamicPatchesQql: boolean;
  dynamicPatchesQql?: string;
  additionalDynamicQqlType?: 1 | 2;
  additionalDynamicPatchesQql?: string;
}

export interface JobTargets {
  assetIds: string[];
  assetTagIds: string[];
  matchAllTagIds: string[];
  exclusionAssetIds: string[];
  exclusionTagIds: string[];
  filterType: JobTagMatch;
  exclusionFilterType: JobTagMatch;
}

export interface JobDeploymentOptions {
  /** Linux only. */
  continueOnPatchFailure?: boolean;
  /** Windows only. */
  opportunisticDownloads: boolean;
  suppressReboots: boolean;
  minimizeWindow: boolean;
  /** −1 = no timeout. */
  timeout: number;
  timeoutUnit: JobTimeUnit;
  downloadRandomizeTime?: number;
  downloadRandomizeTimeUnit?: JobTimeUnit;
}

export interface JobUserMessage {
  description?: string;
  userMessage?: string;
}

/** Messages shown to the person at the machine. */
export interface JobUserMessages {
  preDeployment?: JobUserMessage;
  duringDeployment?: JobUserMessage;
  postDeployment?: JobUserMessage;
  rebootCountdown?: JobUserMessage;
  rebootOption?: JobUserMessage & { deferment?: { count: number; interval: number; intervalUnit: JobTimeUnit } };
}

export interface JobNotification {
  recipientEmails: string[];
  /** Notify when the job reaches this completion percentage (1–100). */
  completedPercentage?: number;
  email?: boolean;
  onJobStart?: boolean;
  onJobComplete?: boolean;
}

/** Everything a caller sets when creating a job. */
export interface DeploymentJobDefinition {
  name: string;
  description: string;
  platform: JobPlatform;
  type: JobType;
  status: JobStatus;
  schedule: JobSchedule;
  patches: JobPatchSelection;
  targets: JobTargets;
  options: JobDeploymentOptions;
  /** Users (ids of this console) who may change the job besides its owner. */
  coAuthorUserIds: number[];
  /** A job this one is linked to; it cannot be deleted while this one links to it. */
  linkedJobId?: string;
  messages: JobUserMessages;
  notification?: JobNotification;
}

export interface JobChange {
  /** Epoch milliseconds. */
  ms: number;
  userId: number;
  userName: string;
}

export interface DeploymentJob extends DeploymentJobDefinition {
  id: string;
  created: JobChange;
  updated: JobChange;
  /** How many jobs link to this one (their `linkedJobId`), counted when read. */
  linkedJobReferenceCount: number;
}

export const JOB_SORT_FIELDS = ['name', 'status', 'platform', 'type', 'scheduleType', 'startDateTime', 'created', 'updated'] as const;
export type JobSortField = (typeof JOB_SORT_FIELDS)[number];
export interface JobSortKey {
  field: JobSortField;
  direction: 'asc' | 'desc';
}

export interface DeploymentJobListQuery {
  platform?: JobPlatform;
  /** Page number from 0. */
  pageNumber: number;
  pageSize: number;
  /** Job QQL (see job-qql-tokens.ts). */
  filter?: string;
  /** Only jobs `viewer` owns, or co-authors, or either when both are set. */
  ownedJob: boolean;
  coauthorJob: boolean;
  /** Default: newest first. */
  sort: JobSortKey[];
}

/** The most records a listing reaches into, as the PM API promises its clients. */
export const JOB_LIST_RECORD_LIMIT = 10_000;

/** A page would reach past record 10,000 of the matching jobs. */
export class JobListRecordLimitError extends Error {
  constructor(readonly total: number, readonly pageNumber: number, readonly pageSize: number) {
    super(`this page would reach past the first ${JOB_LIST_RECORD_LIMIT.toLocaleString('en-US')} of the ${total} matching jobs `
      + `(pageNumber ${pageNumber} × pageSize ${pageSize}); narrow the listing with filter, platform, ownedJob or coauthorJob`);
    this.name = 'JobListRecordLimitError';
  }
}

/** What happened to one job of a bulk action (delete, enable, disable). */
export interface JobActionOutcome {
  /** The id as the caller gave it. */
  id: string;
  /** The job's name, or null when there is no such job. */
  name: string | null;
  succeeded: boolean;
  error?: string;
}

/** A job's results: nothing has run yet, so no assets and no patches. */
export interface DeploymentJobResultSummary {
  id: string;
  name: string;
  assetCount: number;
  patchCount: number;
  createdBy: string;
  createdMs: number;
  assets: never[];
}

/** One run of a job. No run exists until the deployment engine does. */
export interface DeploymentJobRun {
  jobInstanceId: number;
  /** ISO-8601. */
  scheduledDateTime: string;
  timezoneType: JobTimezoneType;
}

/**
 * The fallback check of `dynamicPatchesQQL` / `additionalDynamicPatchesQQL`: syntax only. The
 * patch token table belongs to the patch listing (an API surface), so whoever builds the
 * service passes a check that knows it.
 */
export function jobQqlSyntaxCheck(qql: string): void {
  parseQql(qql);
}

type JobQuery = SelectQueryBuilder<PatchwardenTables, 'deployment_jobs', object>;

function flag(value: boolean): number {
  return value ? 1 : 0;
}

function startTimeText(time: JobStartTime | undefined): string | null {
  if (!time) return null;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${String(time.year).padStart(4, '0')}-${two(time.month)}-${two(time.day)} ${two(time.hour)}:${two(time.minute)}:${two(time.second)}`;
}

function startTimeFromText(text: string | null): JobStartTime | undefined {
  const match = text ? /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text) : null;
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  return { year, month, day, hour, minute, second };
}

function optional<T>(value: T | null): T | undefined {
  return value === null ? undefined : value;
}

function rowFromJob(job: DeploymentJob): DeploymentJobsTable {
  const { schedule, patches, targets, options } = job;
  return {
    id: job.id, name: job.name, description: job.description, platform: job.platform, job_type: job.type,
    schedule_type: schedule.scheduleType, status: job.status, start_date_time: startTimeText(schedule.startDateTime),
    timezone_type: schedule.timezoneType ?? null, timezone: schedule.timezone ?? null, recurring: flag(schedule.recurring),
    day_of_month: schedule.dayOfMonth ?? null, recurring_day_of_month: schedule.recurringDayOfMonth ?? null,
    recurring_week_day_of_month: schedule.recurringWeekDayOfMonth ?? null, recurring_week_days: schedule.recurringWeekDays ?? null,
    recurring_last_day_of_month: flag(schedule.recurringLastDayOfMonth), monthly_recurring_type: schedule.monthlyRecurringType ?? null,
    patch_tuesday_plus_x_days: schedule.patchTuesdayPlusXDays ?? null,
    dynamic_qql_type: patches.dynamicQqlType, is_dynamic_patches_qql: flag(patches.isDynamicPatchesQql),
    dynamic_patches_qql: patches.dynamicPatchesQql ?? null, additional_dynamic_qql_type: patches.additionalDynamicQqlType ?? null,
    additional_dynamic_patches_qql: patches.additionalDynamicPatchesQql ?? null,
    approved_patch_ids: JSON.stringify(patches.approvedPatchIds),
    asset_ids: JSON.stringify(targets.assetIds), asset_tag_ids: JSON.stringify(targets.assetTagIds),
    match_all_tag_ids: JSON.stringify(targets.matchAllTagIds), exclusion_asset_ids: JSON.stringify(targets.exclusionAssetIds),
    exclusion_tag_ids: JSON.stringify(targets.exclusionTagIds), filter_type: targets.filterType, exclusion_filter_type: targets.exclusionFilterType,
    continue_on_patch_failure: options.continueOnPatchFailure === undefined ? null : flag(options.continueOnPatchFailure),
    opportunistic_downloads: flag(options.opportunisticDownloads), suppress_reboots: flag(options.suppressReboots),
    minimize_window: flag(options.minimizeWindow), timeout: options.timeout, timeout_unit: options.timeoutUnit,
    download_randomize_time: options.downloadRandomizeTime ?? null, download_randomize_time_unit: options.downloadRandomizeTimeUnit ?? null,
    // The reference count is counted when read (migration 0003's column is no longer written).
    linked_job_id: job.linkedJobId ?? null, linked_job_reference_count: null,
    user_messages: JSON.stringify(job.messages), notification: job.notification ? JSON.stringify(job.notification) : null,
    created_by_user_id: job.created.userId, created_by_user_name: job.created.userName, created_ms: job.created.ms,
    updated_by_user_id: job.updated.userId, updated_by_user_name: job.updated.userName, updated_ms: job.updated.ms,
  };
}

function jobFromRow(row: DeploymentJobsTable, coAuthorUserIds: number[], linkedJobReferenceCount: number): DeploymentJob {
  return {
    id: row.id, name: row.name, description: row.description, platform: row.platform as JobPlatform, type: row.job_type as JobType,
    status: row.status as JobStatus,
    schedule: {
      scheduleType: row.schedule_type as JobScheduleType, startDateTime: startTimeFromText(row.start_date_time),
      timezoneType: optional(row.timezone_type) as JobTimezoneType | undefined, timezone: optional(row.timezone),
      recurring: row.recurring !== 0, dayOfMonth: optional(row.day_of_month), recurringDayOfMonth: optional(row.recurring_day_of_month),
      recurringWeekDayOfMonth: optional(row.recurring_week_day_of_month), recurringWeekDays: optional(row.recurring_week_days),
      recurringLastDayOfMonth: row.recurring_last_day_of_month !== 0,
      monthlyRecurringType: optional(row.monthly_recurring_type) as 0 | 1 | undefined, patchTuesdayPlusXDays: optional(row.patch_tuesday_plus_x_days),
    },
    patches: {
      approvedPatchIds: JSON.parse(row.approved_patch_ids) as string[], dynamicQqlType: row.dynamic_qql_type as JobQqlType,
      isDynamicPatchesQql: row.is_dynamic_patches_qql !== 0, dynamicPatchesQql: optional(row.dynamic_patches_qql),
      additionalDynamicQqlType: optional(row.additional_dynamic_qql_type) as 1 | 2 | undefined,
      additionalDynamicPatchesQql: optional(row.additional_dynamic_patches_qql),
    },
    targets: {
      assetIds: JSON.parse(row.asset_ids) as string[], assetTagIds: JSON.parse(row.asset_tag_ids) as string[],
      matchAllTagIds: JSON.parse(row.match_all_tag_ids) as string[], exclusionAssetIds: JSON.parse(row.exclusion_asset_ids) as string[],
      exclusionTagIds: JSON.parse(row.exclusion_tag_ids) as string[], filterType: row.filter_type as JobTagMatch,
      exclusionFilterType: row.exclusion_filter_type as JobTagMatch,
    },
    options: {
      continueOnPatchFailure: row.continue_on_patch_failure === null ? undefined : row.continue_on_patch_failure !== 0,
      opportunisticDownloads: row.opportunistic_downloads !== 0, suppressReboots: row.suppress_reboots !== 0,
      minimizeWindow: row.minimize_window !== 0, timeout: row.timeout, timeoutUnit: row.timeout_unit as JobTimeUnit,
      downloadRandomizeTime: optional(row.download_randomize_time),
      downloadRandomizeTimeUnit: optional(row.download_randomize_time_unit) as JobTimeUnit | undefined,
    },
    coAuthorUserIds, linkedJobId: optional(row.linked_job_id), linkedJobReferenceCount,
    messages: JSON.parse(row.user_messages) as JobUserMessages,
    notification: row.notification === null ? undefined : JSON.parse(row.notification) as JobNotification,
    created: { ms: Number(row.created_ms), userId: row.created_by_user_id, userName: row.created_by_user_name },
    updated: { ms: Number(row.updated_ms), userId: row.updated_by_user_id, userName: row.updated_by_user_name },
  };
}

const SORT_COLUMNS: Record<Exclude<JobSortField, 'startDateTime'>, keyof DeploymentJobsTable> = {
  name: 'name', status: 'status', platform: 'platform', type: 'job_type', scheduleType: 'schedule_type',
  created: 'created_ms', updated: 'updated_ms',
};

export class DeploymentJobService {
  /**
   * @param checkQql checks `dynamicPatchesQQL` / `additionalDynamicPatchesQQL`; by default syntax
   *   only (see `jobQqlSyntaxCheck`).
   */
  constructor(private readonly db: PatchwardenDb, private readonly checkQql: JobQqlCheck = jobQqlSyntaxCheck) {}

  /** Validates and stores a new job owned by `owner`. Throws DeploymentJobValidationError. */
  async create(draft: DeploymentJobDraft, owner: AuthenticatedUser): Promise<DeploymentJob> {
    const definition = validateDeploymentJobDraft(draft, this.checkQql);
    if (definition.coAuthorUserIds.includes(owner.id)) {
      throw new DeploymentJobValidationError('coAuthorUserIds', `user ${owner.id} (${owner.username}) owns the job and cannot also be its co-author`);
    }
    const now = Date.now();
    const change: JobChange = { ms: now, userId: owner.id, userName: owner.username };
    const job: DeploymentJob = { ...definition, id: randomUUID(), created: change, updated: change, linkedJobReferenceCount: 0 };
    await this.db.kysely.transaction().execute(async (trx) => {
      if (definition.coAuthorUserIds.length > 0) {
        const found = await trx.selectFrom('users').select('id').where('id', 'in', definition.coAuthorUserIds).execute();
        const missing = definition.coAuthorUserIds.filter((id) => !found.some((row) => row.id === id));
        if (missing.length > 0) throw new DeploymentJobValidationError('coAuthorUserIds', `no user has id ${missing.join(', ')}`);
      }
      if (definition.linkedJobId !== undefined) {
        const linked = await trx.selectFrom('deployment_jobs').select('id').where('id', '=', definition.linkedJobId).executeTakeFirst();
        if (!linked) throw new DeploymentJobValidationError('linkedJobId', `no deployment job has id ${definition.linkedJobId}`);
      }
      await checkJobReferences(trx, this.db.dialect, {
        platform: definition.platform, assetIds: definition.targets.assetIds, exclusionAssetIds: definition.targets.exclusionAssetIds,
        approvedPatchIds: definition.patches.approvedPatchIds,
      });
      await trx.insertInto('deployment_jobs').values(rowFromJob(job)).execute();
      if (definition.coAuthorUserIds.length > 0) {
        await trx.insertInto('deployment_job_coauthors').values(definition.coAuthorUserIds.map((userId) => ({ job_id: job.id, user_id: userId }))).execute();
      }
    });
    return job;
  }

  async find(id: string): Promise<DeploymentJob | undefined> {
    if (!isGuidText(id)) return undefined;
    const row = await this.db.kysely.selectFrom('deployment_jobs').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst();
    if (!row) return undefined;
    const [coAuthors, references] = await Promise.all([this.coAuthorsOf([row.id]), this.referenceCountsOf([row.id])]);
    return jobFromRow(row, coAuthors.get(row.id) ?? [], references.get(row.id) ?? 0);
  }

  /**
   * One page of the jobs `viewer` asks for. A page past the last job is empty; a page that would
   * reach past the 10,000th matching job throws JobListRecordLimitError; a bad `filter` throws
   * the QQL engine's QqlError.
   */
  async list(query: DeploymentJobListQuery, viewer: AuthenticatedUser): Promise<DeploymentJob[]> {
    const matching = this.matchingJobs(query, viewer);
    const offset = query.pageNumber * query.pageSize;
    if (offset + query.pageSize > JOB_LIST_RECORD_LIMIT) {
      const { n } = await matching().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const total = Number(n);
      if (offset >= total) return [];
      if (Math.min(offset + query.pageSize, total) > JOB_LIST_RECORD_LIMIT) throw new JobListRecordLimitError(total, query.pageNumber, query.pageSize);
    }
    let page = matching().selectAll();
    for (const key of query.sort.length > 0 ? query.sort : [{ field: 'created', direction: 'desc' } as JobSortKey]) {
      if (key.field === 'startDateTime') {
        // Jobs without a start time (On-demand) last in either direction, the same in both databases.
        page = page.orderBy(sql`case when start_date_time is null then 1 else 0 end`).orderBy('start_date_time', key.direction);
      } else if (key.field === 'name') {
        page = page.orderBy(sql`lower(name)`, key.direction);
      } else {
        page = page.orderBy(SORT_COLUMNS[key.field], key.direction);
      }
    }
    const rows = await page.orderBy('id').limit(query.pageSize).offset(offset).execute();
    const ids = rows.map((row) => row.id);
    const [coAuthors, references] = await Promise.all([this.coAuthorsOf(ids), this.referenceCountsOf(ids)]);
    return rows.map((row) => jobFromRow(row, coAuthors.get(row.id) ?? [], references.get(row.id) ?? 0));
  }

  /**
   * Deletes each job; one outcome per distinct id, in the order given. A job that another job
   * still links to (`linkedJobId`) is not deleted, unless that job is deleted in the same call:
   * its outcome is a failure naming the linking jobs, and the others are deleted.
   */
  async delete(ids: string[]): Promise<JobActionOutcome[]> {
    return this.db.kysely.transaction().execute(async (trx) => {
      const found = await jobNamesAndStatuses(trx, ids);
      const linkers = new Map<string, Array<{ id: string; name: string }>>();
      for (const chunk of chunks([...found.keys()])) {
        const rows = await trx.selectFrom('deployment_jobs').select(['id', 'name', 'linked_job_id']).where('linked_job_id', 'in', chunk).execute();
        for (const row of rows) {
          const list = linkers.get(row.linked_job_id!) ?? [];
          list.push({ id: row.id, name: row.name });
          linkers.set(row.linked_job_id!, list);
        }
      }
      // A job stays while a job that stays links to it; keeping one may keep the job it links to.
      const deleting = new Set(found.keys());
      const staysLinked = (id: string) => (linkers.get(id) ?? []).filter((linker) => !deleting.has(linker.id));
      for (let changed = true; changed;) {
        changed = false;
        for (const id of deleting) {
          if (staysLinked(id).length === 0) continue;
          deleting.delete(id);
          changed = true;
        }
      }
      const refused = new Map<string, string>();
      for (const id of found.keys()) {
        if (deleting.has(id)) continue;
        const staying = staysLinked(id);
        const names = namedInMessage(staying.map((linker) => `"${linker.name}" (${linker.id})`));
        refused.set(id, `job ${names} ${staying.length === 1 ? 'links' : 'link'} to this job; delete or change ${staying.length === 1 ? 'it' : 'them'} first, or in the same request`);
      }
      for (const chunk of chunks([...deleting])) {
        await trx.deleteFrom('deployment_job_coauthors').where('job_id', 'in', chunk).execute();
        await trx.deleteFrom('deployment_jobs').where('id', 'in', chunk).execute();
      }
      return outcomesFor(ids, found, refused);
    });
  }

  /** Enables or disables each job; a job already in that state counts as done. */
  async setStatus(ids: string[], status: JobStatus, actor: AuthenticatedUser): Promise<JobActionOutcome[]> {
    return this.db.kysely.transaction().execute(async (trx) => {
      const found = await jobNamesAndStatuses(trx, ids);
      const changing = [...found].filter(([, row]) => row.status !== status).map(([id]) => id);
      const change = { status, updated_ms: Date.now(), updated_by_user_id: actor.id, updated_by_user_name: actor.username };
      for (const chunk of chunks(changing)) await trx.updateTable('deployment_jobs').set(change).where('id', 'in', chunk).execute();
      return outcomesFor(ids, found);
    });
  }

  /** The job's results, or undefined when there is no such job. Nothing has run yet. */
  async resultSummary(id: string): Promise<DeploymentJobResultSummary | undefined> {
    const job = await this.find(id);
    if (!job) return undefined;
    return { id: job.id, name: job.name, assetCount: 0, patchCount: 0, createdBy: job.created.userName, createdMs: job.created.ms, assets: [] };
  }

  /** The job's runs, or undefined when there is no such job. Nothing has run yet. */
  async runs(id: string): Promise<DeploymentJobRun[] | undefined> {
    const job = await this.find(id);
    return job ? [] : undefined;
  }

  /** The jobs a listing selects, before paging (the QQL is compiled once, used for count and page). */
  private matchingJobs(query: DeploymentJobListQuery, viewer: AuthenticatedUser): () => JobQuery {
    const qql = query.filter === undefined ? undefined : compileQqlToWhere(parseQql(query.filter), deploymentJobQqlTokens, { dialect: this.db.dialect });
    return () => {
      let jobs: JobQuery = this.db.kysely.selectFrom('deployment_jobs');
      if (query.platform) jobs = jobs.where('platform', '=', query.platform);
      if (query.ownedJob || query.coauthorJob) {
        jobs = jobs.where((eb) => {
          const either: Expression<SqlBool>[] = [];
          if (query.ownedJob) either.push(eb('created_by_user_id', '=', viewer.id));
          if (query.coauthorJob) {
            either.push(eb('id', 'in', eb.selectFrom('deployment_job_coauthors').select('job_id').where('user_id', '=', viewer.id)));
          }
          return eb.or(either);
        });
      }
      if (qql) jobs = jobs.where(qql);
      return jobs;
    };
  }

  /** For each of these jobs that some job links to, how many do. */
  private async referenceCountsOf(jobIds: string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const chunk of chunks(jobIds)) {
      const rows = await this.db.kysely.selectFrom('deployment_jobs').select(['linked_job_id', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('linked_job_id', 'in', chunk).groupBy('linked_job_id').execute();
      for (const row of rows) counts.set(row.linked_job_id!, Number(row.n));
    }
    return counts;
  }

  private async coAuthorsOf(jobIds: string[]): Promise<Map<string, number[]>> {
    const byJob = new Map<string, number[]>();
    if (jobIds.length === 0) return byJob;
    const rows = await this.db.kysely.selectFrom('deployment_job_coauthors').select(['job_id', 'user_id'])
      .where('job_id', 'in', jobIds).orderBy('user_id').execute();
    for (const row of rows) {
      const list = byJob.get(row.job_id) ?? [];
      list.push(row.user_id);
      byJob.set(row.job_id, list);
    }
    return byJob;
  }
}

/** Rows per `IN (...)` list: well under both databases' bound-parameter limits. */
const IN_LIST_SIZE = 1000;

function chunks<T>(items: T[]): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += IN_LIST_SIZE) result.push(items.slice(i, i + IN_LIST_SIZE));
  return result;
}

/** The stored jobs among `ids` (matched ignoring letter case), by stored id. */
async function jobNamesAndStatuses(trx: Transaction<PatchwardenTables>, ids: string[]): Promise<Map<string, { name: string; status: string }>> {
  const wanted = [...new Set(ids.filter(isGuidText).map((id) => id.toLowerCase()))];
  const found = new Map<string, { name: string; status: string }>();
  for (const chunk of chunks(wanted)) {
    const rows = await trx.selectFrom('deployment_jobs').select(['id', 'name', 'status']).where('id', 'in', chunk).execute();
    for (const row of rows) found.set(row.id, { name: row.name, status: row.status });
  }
  return found;
}

/** One outcome per distinct id (ignoring letter case), in the order given; `refused` jobs failed with their reason. */
function outcomesFor(ids: string[], found: Map<string, { name: string }>, refused: ReadonlyMap<string, string> = new Map()): JobActionOutcome[] {
  const seen = new Set<string>();
  const outcomes: JobActionOutcome[] = [];
  for (const id of ids) {
    const key = id.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const job = found.get(key);
    const reason = refused.get(key);
    if (!job) outcomes.push({ id, name: null, succeeded: false, error: `no deployment job has id ${JSON.stringify(id)}` });
    else if (reason !== undefined) outcomes.push({ id, name: job.name, succeeded: false, error: reason });
    else outcomes.push({ id, name: job.name, succeeded: true });
  }
  return outcomes;
}
