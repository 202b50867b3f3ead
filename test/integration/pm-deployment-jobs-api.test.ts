/**
 * Deployment jobs of the Patch Management API through real HTTP, as the qualysdk client sends
 * them (spec §2.2–2.7): list with page numbers from 0 until an empty page, create, delete,
 * enable/disable, results and runs. Every answer is checked strictly against the client's field
 * sets, and every refused request must leave the stored jobs exactly as they were.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestConsole, TEST_ADMIN_PASSWORD, type TestConsole } from '../support/console-fixture.js';
import { testStore } from '../support/test-database.js';
import { hashPassword } from '../../src/auth/password-hash.js';
import { findUserByName } from '../../src/auth/users.js';
import { insertBatchSize } from '../../src/db/database.js';
import {
  assertJobActionResults, assertJobResultSummary, assertJsonResponse, assertPmError, assertPmJob, assertPmJobList, assertPmRuns,
  PM_JOB_KEYS, type PmJobWire,
} from '../support/pm-job-assertions.js';
import { fixtureAssetId, fixturePatchId, insertAssets, insertPatches } from '../support/pm-patch-asset-assertions.js';

const SUMMARY = '/pm/v1/deploymentjobs/summary';
const CREATE = '/pm/v1/deploymentjob';
const DELETE = '/pm/v1/deploymentjobs';
const STATUS = '/pm/v1/deploymentjobs/update/status';

/** Machines and a patch of the console's own (seedTargets): jobs may name only those. */
const ASSET_1 = fixtureAssetId('web01');
const ASSET_2 = fixtureAssetId('web02');
const ASSET_3 = fixtureAssetId('web03');
const UNKNOWN_ASSET = '0a1b2c3d-0000-4000-8000-0000000000ff';
const TAG_1 = '22222222-3333-4444-5555-666666666666';
const TAG_2 = '22222222-3333-4444-5555-777777777777';
const PATCH_1 = fixturePatchId('openssl', '1.0-1');
const UNKNOWN_PATCH = '9f1e2d3c-0000-5000-8000-00000000000a';

/** Three Linux machines (web01–web03) and one Linux patch (openssl) in the console's store. */
async function seedTargets(c: TestConsole): Promise<void> {
  await insertPatches(c.running, [{ source: 'openssl', severity: 'Critical' }]);
  await insertAssets(c.running, [{ name: 'web01' }, { name: 'web02' }, { name: 'web03' }]);
}

/**
 * The body create_job sends for the documented example (spec §2.5, observed), without its
 * `assetIds`: that example is a Windows job, and this console has no Windows machine to target.
 */
function sdkCreateBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    dynamicPatchesQQL: 'vendorSeverity:`Critical`',
    dynamicQQLType: 1,
    isDynamicPatchesQQL: true,
    name: 'J',
    notification: { notificationConfigs: { recipientEmails: 'a@b.example' }, notificationTypes: { email: true } },
    platform: 'Windows',
    rebootOption: { deferment: { count: 3, interval: 30, intervalUnit: 'MINUTES' } },
    suppressReboots: true,
    scheduleType: 'On-demand',
    status: 'Enabled',
    timeout: 2,
    timeoutUnit: 'HOURS',
    type: 'Install',
    ...overrides,
  };
}

/** The smallest job create_job sends: its defaults (status Disabled, timeout -1) and nothing else. */
function minimalBody(name: string, platform: 'Windows' | 'Linux' = 'Windows', overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name, platform, type: 'Install', scheduleType: 'On-demand', status: 'Disabled', timeout: -1,
    ...(platform === 'Linux' ? { continueOnPatchFailure: true } : {}), ...overrides,
  };
}

/** An epoch-ms time as the UTC wall-clock text create_job takes, e.g. `2026-3-7 09:05:00 PM`. */
function startTimeText(ms: number): string {
  const t = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  const hour = t.getUTCHours() % 12 === 0 ? 12 : t.getUTCHours() % 12;
  return `${t.getUTCFullYear()}-${t.getUTCMonth() + 1}-${t.getUTCDate()} ${two(hour)}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())} ${t.getUTCHours() < 12 ? 'AM' : 'PM'}`;
}

async function createJob(c: TestConsole, body: Record<string, unknown>, auth?: string): Promise<string> {
  const response = await c.request('POST', CREATE, { body, auth });
  assert.equal(response.status, 201, response.text);
  return (response.json as { id: string }).id;
}

async function listJobs(c: TestConsole, query: string, auth?: string): Promise<PmJobWire[]> {
  const response = await c.request('GET', `${SUMMARY}?${query}`, { auth });
  assertJsonResponse(response, 200);
  assertPmJobList(response.json, { full: !/(^|&)attributes=/.test(query) });
  return response.json;
}

/** Pages through a listing the way list_jobs does: from page 0 until an empty page. */
async function listAllPages(c: TestConsole, query: string, auth?: string): Promise<{ pages: PmJobWire[][]; jobs: PmJobWire[] }> {
  const pages: PmJobWire[][] = [];
  for (let pageNumber = 0; pageNumber < 100; pageNumber++) {
    const page = await listJobs(c, `${query}&pageNumber=${pageNumber}`, auth);
    pages.push(page);
    if (page.length === 0) return { pages, jobs: pages.flat() };
  }
  assert.fail('the listing never returned an empty page');
}

/** Everything stored about jobs, to prove a refused request changed nothing. */
async function storedJobs(c: TestConsole): Promise<string> {
  const jobs = await c.running.db.kysely.selectFrom('deployment_jobs').selectAll().orderBy('id').execute();
  const coauthors = await c.running.db.kysely.selectFrom('deployment_job_coauthors').selectAll().orderBy('job_id').orderBy('user_id').execute();
  return JSON.stringify({ jobs, coauthors });
}

async function addUser(c: TestConsole, username: string, password: string): Promise<{ id: number; auth: string }> {
  await c.running.db.kysely.insertInto('users').values({
    username, password_hash: await hashPassword(password), role: 'operator', created_at: new Date().toISOString(),
  }).execute();
  const user = await findUserByName(c.running.db, username);
  assert.ok(user);
  return { id: user.id, auth: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
}

/** A bearer token the way the client gets one: form POST /auth, 201, bare token. */
async function bearerToken(c: TestConsole, username: string, password: string): Promise<string> {
  const response = await c.request('POST', '/auth', {
    auth: null, headers: { 'content-type': 'application/x-www-form-urlencoded' },
    rawBody: new URLSearchParams({ username, password, permissions: 'true', token: 'true' }).toString(),
  });
  assert.equal(response.status, 201, response.text);
  return `Bearer ${response.text}`;
}

function byId(jobs: PmJobWire[], id: string): PmJobWire {
  const job = jobs.find((j) => j.id === id);
  assert.ok(job, `job ${id} is listed`);
  return job;
}

test(`create_job bodies are stored in full and listed with only PMJob keys (${testStore()})`, async (t) => {
  const c = await startTestConsole();
  t.after(() => c.close());
  await seedTargets(c);
  const admin = (await findUserByName(c.running.db, 'admin'))!;
  const bob = await addUser(c, 'bob', 'bob-password-1234');

  await t.test('the observed SDK body: 201 with id and name, then listed as PMJob', async () => {
    const before = Date.now();
    const response = await c.request('POST', CREATE, { body: sdkCreateBody(), auth: await bearerToken(c, 'admin', TEST_ADMIN_PASSWORD) });
    const after = Date.now();
    assertJsonResponse(response, 201);
    assert.deepEqual(Object.keys(response.json).sort(), ['id', 'name']);
    assert.match(response.json.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(response.json.name, 'J');

    const job = byId(await listJobs(c, 'platform=Windows'), response.json.id);
    assertPmJob(job, { full: true });
    assert.equal(job.type, 'Install');
    assert.equal(job.status, 'Enabled');
    assert.equal(job.scheduleType, 'On-demand');
    assert.equal(job.startDateTime, undefined, 'an On-demand job without a start time has none');
    assert.equal(job.dynamicPatchesQQL, 'vendorSeverity:`Critical`');
    assert.equal(job.dynamicQQLType, 1);
    assert.equal(job.isDynamicPatchesQQL, true);
    assert.equal(job.isRecurring, false);
    assert.equal(job.assetCount, 0);
    assert.equal(job.completionPercent, 0, 'nothing has run');
    assert.equal(job.assetResultReceivedCount, 0, 'nothing has run');
    assert.equal(job.nextScheduleDateTime, undefined);
    assert.equal(job.lastScheduleDateTime, undefined, 'nothing has run');
    assert.deepEqual(job.created.user, { name: 'admin', id: String(admin.id) });
    assert.ok(job.created.date >= before && job.created.date <= after, 'created.date is the epoch-ms time of the request');
    assert.deepEqual(job.updated, job.created);
    assert.equal(Number.parseFloat(String(job.schemaVersion)), 1);

    const row = await c.running.db.kysely.selectFrom('deployment_jobs').selectAll().where('id', '=', job.id).executeTakeFirstOrThrow();
    assert.deepEqual(JSON.parse(row.asset_ids), []);
    assert.equal(row.timeout, 2);
    assert.equal(row.timeout_unit, 'HOURS');
    assert.equal(row.suppress_reboots, 1);
    assert.deepEqual(JSON.parse(row.user_messages), { rebootOption: { deferment: { count: 3, interval: 30, intervalUnit: 'MINUTES' } } });
    assert.deepEqual(JSON.parse(row.notification!), { recipientEmails: ['a@b.example'], email: true });
    assert.equal(row.continue_on_patch_failure, null, 'continueOnPatchFailure is a Linux option');
  });

  await t.test('every create field of a Windows Monthly job is kept', async () => {
    const linkedId = await createJob(c, minimalBody('Linked target'));
    const body = {
      name: 'Patch Tuesday servers',
      description: 'Critical and important patches, second week',
      platform: 'Windows', type: 'Install', scheduleType: 'Monthly', status: 'Disabled',
      startDateTime: '2025-4-14 01:45:48 PM', timezoneType: 'SPECIFIC_TZ', timezone: 'America/New_York',
      recurring: true, monthlyRecurringType: '1', patchTuesdayPlusXDays: -27,
      assetTagIds: [TAG_1], matchAllTagIds: [TAG_2], exclusionTagIds: [TAG_2], filterType: 'all', exclusionFilterType: 'any',
      coAuthorUserIds: [String(bob.id)],
      dynamicPatchesQQL: 'vendorSeverity:[Critical, Important] and isSecurity:true', dynamicQQLType: 1, isDynamicPatchesQQL: true,
      additionalDynamicPatchesQQL: 'appFamily:Firefox', additionalDynamicQQLType: '1',
      opportunisticDownloads: true, suppressReboots: true, minimizeWindow: true,
      timeout: 600, timeoutUnit: 'MINUTES', downloadRandomizeTime: '90', downloadRandomizeTimeUnit: 'MINUTES',
      linkedJobId: linkedId, linkedJobReferenceCount: 0,
      preDeployment: { description: 'before', userMessage: 'Patching starts soon' },
      duringDeployment: { description: 'during', userMessage: 'Patching in progress' },
      postDeployment: { description: 'after', userMessage: 'Patching done' },
      rebootCountdown: { description: 'countdown', userMessage: 'Rebooting in 5 minutes' },
      rebootOption: { deferment: { count: 3, interval: 30, intervalUnit: 'MINUTES' }, description: 'reboot', userMessage: 'Reboot now?' },
      notification: {
        notificationConfigs: { recipientEmails: 'ops@example.org, lead@example.org', completedPercentage: 50 },
        notificationTypes: { email: true },
        notificationEvents: { onJobStart: true, onJobComplete: true },
      },
    };
    const id = await createJob(c, body);
    const job = byId(await listJobs(c, 'platform=Windows&pageSize=100'), id);
    assertPmJob(job, { full: true });
    assert.equal(job.startDateTime, '2025-4-14 01:45:48 PM');
    assert.equal(job.timezoneType, 'SPECIFIC_TZ');
    assert.equal(job.timezone, 'America/New_York');
    assert.equal(job.isRecurring, true);
    assert.equal(job.monthlyRecurringType, 1);
    assert.equal(job.patchTuesdayPlusXDays, -27);
    assert.equal(job.filterType, 'all');
    assert.deepEqual(job.tags, [{ id: TAG_1 }]);
    assert.deepEqual(job.matchAllTags, [TAG_2]);
    assert.deepEqual(job.exclusionTags, [TAG_2]);
    assert.deepEqual(job.coAuthorUserIds, [String(bob.id)]);
    assert.deepEqual(job.additionalQQLS, ['appFamily:Firefox']);
    assert.equal(job.linkedJobId, linkedId);
    assert.equal(job.linkedJobReferenceCount, 0);
    assert.equal(job.status, 'Disabled');

    const row = await c.running.db.kysely.selectFrom('deployment_jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    assert.equal(row.description, body.description);
    assert.equal(row.start_date_time, '2025-04-14 13:45:48', 'stored as a 24-hour wall-clock time');
    assert.equal(row.recurring, 1);
    assert.equal(row.additional_dynamic_qql_type, 1);
    assert.equal(row.opportunistic_downloads, 1);
    assert.equal(row.minimize_window, 1);
    assert.equal(row.timeout, 600);
    assert.equal(row.timeout_unit, 'MINUTES');
    assert.equal(row.download_randomize_time, 90);
    assert.equal(row.download_randomize_time_unit, 'MINUTES');
    assert.deepEqual(JSON.parse(row.user_messages), {
      preDeployment: body.preDeployment, duringDeployment: body.duringDeployment, postDeployment: body.postDeployment,
      rebootCountdown: body.rebootCountdown, rebootOption: body.rebootOption,
    });
    assert.deepEqual(JSON.parse(row.notification!), {
      recipientEmails: ['ops@example.org', 'lead@example.org'], completedPercentage: 50, email: true, onJobStart: true, onJobComplete: true,
    });
    const coauthors = await c.running.db.kysely.selectFrom('deployment_job_coauthors').select('user_id').where('job_id', '=', id).execute();
    assert.deepEqual(coauthors.map((r) => r.user_id), [bob.id]);
  });

  await t.test('a Linux job names machines and patches of the console by id: stored, counted and listed', async () => {
    const id = await createJob(c, minimalBody('Web servers', 'Linux', {
      approvedPatches: [PATCH_1.toUpperCase()], assetIds: [ASSET_1, ASSET_2, ASSET_1], exclusionAssetIds: [ASSET_3],
    }));
    const job = byId(await listJobs(c, 'platform=Linux&pageSize=100'), id);
    assertPmJob(job, { full: true });
    assert.equal(job.assetCount, 2, 'a repeated id counts once');
    assert.equal(job.totalAssetCount, 2);
    assert.equal(job.patchCount, 1);
    assert.deepEqual(job.exclusionAssetIds, [ASSET_3]);
    const row = await c.running.db.kysely.selectFrom('deployment_jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    assert.deepEqual(JSON.parse(row.approved_patch_ids), [PATCH_1], 'ids are stored in lower case');
    assert.deepEqual(JSON.parse(row.asset_ids), [ASSET_1, ASSET_2]);
    assert.deepEqual(JSON.parse(row.exclusion_asset_ids), [ASSET_3]);
  });

  await t.test('a Once job at a time some time zone has not reached yet is accepted', async () => {
    const text = startTimeText(Date.now() - 6 * 3_600_000);
    const id = await createJob(c, minimalBody('Six hours ago in UTC', 'Linux', { scheduleType: 'Once', startDateTime: text }));
    assert.equal(byId(await listJobs(c, 'platform=Linux&pageSize=100'), id).startDateTime, text);
  });

  await t.test('Linux Weekly and Daily jobs, lower-case values and keys in any case, defaults filled in', async () => {
    const weekly = await createJob(c, {
      NAME: 'Linux weekly', Platform: 'linux', type: 'install', scheduleType: 'weekly', startDateTime: '2030-12-31 12:00:00 am',
      recurringWeekDays: '0,1,0,1,0,0,0', timezoneType: 'agent_tz',
    });
    const daily = await createJob(c, minimalBody('Linux daily', 'Linux', {
      scheduleType: 'Daily', startDateTime: '2030-1-2 12:30:05 PM', continueOnPatchFailure: false, recurring: 'True',
    }));
    const jobs = await listJobs(c, 'platform=Linux');
    const weeklyJob = byId(jobs, weekly);
    assert.equal(weeklyJob.platform, 'Linux');
    assert.equal(weeklyJob.type, 'Install');
    assert.equal(weeklyJob.scheduleType, 'Weekly');
    assert.equal(weeklyJob.status, 'Disabled', 'status defaults to Disabled');
    assert.equal(weeklyJob.startDateTime, '2030-12-31 12:00:00 AM');
    assert.equal(weeklyJob.timezoneType, 'AGENT_TZ');
    assert.equal(weeklyJob.recurringWeekDays, '0,1,0,1,0,0,0');
    assert.equal(weeklyJob.isRecurring, true);
    assert.equal(weeklyJob.dynamicQQLType, 0);
    assert.equal(weeklyJob.isDynamicPatchesQQL, false);
    assert.equal(byId(jobs, daily).startDateTime, '2030-1-2 12:30:05 PM');
    const rows = await c.running.db.kysely.selectFrom('deployment_jobs').select(['id', 'continue_on_patch_failure', 'timeout', 'timeout_unit', 'filter_type'])
      .where('id', 'in', [weekly, daily]).execute();
    const weeklyRow = rows.find((r) => r.id === weekly)!;
    assert.equal(weeklyRow.continue_on_patch_failure, 1, 'Linux jobs continue on patch failure unless told otherwise');
    assert.equal(weeklyRow.timeout, -1);
    assert.equal(weeklyRow.timeout_unit, 'HOURS');
    assert.equal(weeklyRow.filter_type, 'any');
    assert.equal(rows.find((r) => r.id === daily)!.continue_on_patch_failure, 0);
  });

  await t.test('a Linux job lists nothing from Windows and the reverse', async () => {
    const linux = await listJobs(c, 'platform=Linux');
    const windows = await listJobs(c, 'platform=Windows');
    assert.ok(linux.length > 0 && windows.length > 0);
    assert.ok(linux.every((j) => j.platform === 'Linux'));
    assert.ok(windows.every((j) => j.platform === 'Windows'));
    const all = await listJobs(c, 'pageSize=100');
    assert.equal(all.length, linux.length + windows.length, 'without platform, both');
  });
});

test(`list_jobs paging from page 0 until an empty page (${testStore()})`, async (t) => {
  const c = await startTestConsole();
  t.after(() => c.close());
  const windowsIds: string[] = [];
  for (let i = 0; i < 25; i++) windowsIds.push(await createJob(c, minimalBody(`Windows job ${String(i).padStart(2, '0')}`)));
  const linuxIds: string[] = [];
  for (let i = 0; i < 3; i++) linuxIds.push(await createJob(c, minimalBody(`Linux job ${i}`, 'Linux')));

  await t.test('25 jobs in pages of 10: 10, 10, 5, then []', async () => {
    const { pages, jobs } = await listAllPages(c, 'pageSize=10&platform=Windows');
    assert.deepEqual(pages.map((p) => p.length), [10, 10, 5, 0]);
    assert.deepEqual(jobs.map((j) => j.id).sort(), [...windowsIds].sort(), 'every job exactly once');
  });

  await t.test('25 jobs in pages of 5 (an exact multiple): five full pages, then []', async () => {
    const { pages, jobs } = await listAllPages(c, 'pageSize=5&platform=Windows');
    assert.deepEqual(pages.map((p) => p.length), [5, 5, 5, 5, 5, 0]);
    assert.equal(new Set(jobs.map((j) => j.id)).size, 25);
  });

  await t.test('the default page size is 10', async () => {
    assert.equal((await listJobs(c, 'platform=Windows&pageNumber=0')).length, 10);
    assert.equal((await listJobs(c, 'platform=Windows')).length, 10, 'pageNumber defaults to 0');
    assert.deepEqual(await listJobs(c, 'platform=Windows&pageNumber=3'), []);
  });

  await t.test('the observed query string of list_jobs (kwargs, then platform, then pageNumber)', async () => {
    const page = await listJobs(c, 'pageSize=5&coauthorJob=False&ownedJob=True&filter=status%3ADisabled&platform=Windows&pageNumber=0');
    assert.equal(page.length, 5);
    assert.deepEqual(await listJobs(c, 'pageSize=5&coauthorJob=True&filter=status%3AEnabled&platform=Windows&pageNumber=0'), []);
  });

  await t.test('newest first by default; sort orders by name in either direction', async () => {
    const all = (await listAllPages(c, 'pageSize=7&platform=Windows')).jobs;
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].created.date >= all[i].created.date, 'created descending');
    const ascending = (await listAllPages(c, `pageSize=10&platform=Windows&sort=${encodeURIComponent('[{"name":"asc"}]')}`)).jobs.map((j) => j.name);
    assert.deepEqual(ascending, [...ascending].sort());
    assert.equal(ascending[0], 'Windows job 00');
    const descending = (await listJobs(c, `platform=Windows&sort=${encodeURIComponent('[{"name":"desc"}]')}`)).map((j) => j.name);
    assert.equal(descending[0], 'Windows job 24');
    assert.deepEqual((await listJobs(c, 'platform=Linux&sort=name')).map((j) => j.name), ['Linux job 0', 'Linux job 1', 'Linux job 2']);
  });

  await t.test('attributes returns only the named PMJob keys, as the patch and asset listings do', async () => {
    const page = await listJobs(c, `platform=Linux&attributes=${encodeURIComponent('name,status,created')}`);
    assert.equal(page.length, 3);
    for (const job of page) {
      assertPmJob(job, { full: false });
      assert.deepEqual(Object.keys(job).sort(), ['created', 'name', 'status']);
    }
    const ids = await listJobs(c, 'platform=Linux&attributes=id');
    assert.deepEqual(ids.map((j) => Object.keys(j)), [['id'], ['id'], ['id']]);
  });

  await t.test('refused listing parameters: 400 _error naming the parameter', async () => {
    for (const [query, pattern] of [
      ['platform=Mac', /platform must be one of Windows, Linux/],
      ['pageSize=0', /pageSize must be between 1 and 10000/],
      ['pageSize=10001', /pageSize must be between 1 and 10000/],
      ['pageNumber=-1', /pageNumber must be between 0/],
      ['pageNumber=two', /pageNumber must be a whole number/],
      ['ownedJob=maybe', /ownedJob must be true or false/],
      ['attributes=name,colour', /attributes: "colour" is not a field of this object; allowed: id, /],
      ['sort=%5B%7B%22colour%22%3A%22asc%22%7D%5D', /cannot sort by "colour"/],
      ['sort=%5B%7B%22name%22%3A%22up%22%7D%5D', /must be "asc" or "desc"/],
      ['sort=%5Bnot+json', /sort is not valid JSON/],
    ] as const) {
      const error = assertPmError(await c.request('GET', `${SUMMARY}?${query}`), 400, pattern);
      assert.equal(error.errorCode, '1001', query);
      assert.notEqual(error.errorCode, '2501');
    }
  });
});

test(`job QQL in filter (${testStore()})`, async (t) => {
  const c = await startTestConsole();
  t.after(() => c.close());
  const bob = await addUser(c, 'bob', 'bob-password-1234');
  const enabledWindows = await createJob(c, minimalBody('Servers critical', 'Windows', { status: 'Enabled' }));
  const disabledWindows = await createJob(c, minimalBody('Desktops', 'Windows', {
    scheduleType: 'Once', startDateTime: '2031-3-1 09:00:00 AM',
  }));
  const bobLinux = await createJob(c, minimalBody('Servers weekly', 'Linux', {
    scheduleType: 'Weekly', startDateTime: '2031-3-1 09:00:00 PM', recurringWeekDays: '1,0,0,0,0,0,0', status: 'Enabled',
  }), bob.auth);

  const ids = async (filter: string) => (await listJobs(c, `pageSize=100&filter=${encodeURIComponent(filter)}`)).map((j) => j.id).sort();

  await t.test('tokens: status, platform, name, type, scheduleType, createdBy, and boolean logic', async () => {
    assert.deepEqual(await ids('status:Enabled'), [enabledWindows, bobLinux].sort());
    assert.deepEqual(await ids('status:`Disabled`'), [disabledWindows]);
    assert.deepEqual(await ids('platform:Linux'), [bobLinux]);
    assert.deepEqual(await ids('name:servers'), [enabledWindows, bobLinux].sort(), 'a bare value means "contains", ignoring case');
    assert.deepEqual(await ids('name:`Servers weekly`'), [bobLinux]);
    assert.deepEqual(await ids('type:Install'), [enabledWindows, disabledWindows, bobLinux].sort());
    assert.deepEqual(await ids('scheduleType:[Once, Weekly]'), [disabledWindows, bobLinux].sort());
    assert.deepEqual(await ids('scheduleType:On-demand'), [enabledWindows]);
    assert.deepEqual(await ids('createdBy:`bob`'), [bobLinux]);
    assert.deepEqual(await ids('status:Enabled and not platform:Linux'), [enabledWindows]);
    assert.deepEqual(await ids('name:Desktops or createdBy:`bob`'), [disabledWindows, bobLinux].sort());
    assert.deepEqual(await ids('createdDate>2000-01-01'), [enabledWindows, disabledWindows, bobLinux].sort());
    assert.deepEqual(await ids('createdDate<2000-01-01'), []);
  });

  await t.test('filter combines with platform and paging', async () => {
    assert.deepEqual((await listJobs(c, 'platform=Windows&filter=status%3AEnabled')).map((j) => j.id), [enabledWindows]);
    const { pages } = await listAllPages(c, `pageSize=1&filter=${encodeURIComponent('type:Install')}`);
    assert.deepEqual(pages.map((p) => p.length), [1, 1, 1, 0]);
  });

  await t.test('a bad filter answers 400 with position, found and expected, and is never 2501', async () => {
    const before = await storedJobs(c);
    let error = assertPmError(await c.request('GET', `${SUMMARY}?platform=Windows&filter=${encodeURIComponent('status:Enabled and')}`), 400, /filter/);
    assert.notEqual(error.errorCode, '2501');
    assert.deepEqual({ ...error.qql, expected: undefined }, { parameter: 'filter', position: 'status:Enabled and'.length, found: 'end of query', expected: undefined });
    assert.match(error.qql!.expected, /term/);

    error = assertPmError(await c.request('GET', `${SUMMARY}?filter=${encodeURIComponent('colour:red')}`), 400, /colour/);
    assert.equal(error.qql!.position, 0);
    assert.equal(error.qql!.found, 'colour');

    error = assertPmError(await c.request('GET', `${SUMMARY}?filter=${encodeURIComponent('status:Paused')}`), 400, /Paused/);
    assert.equal(error.qql!.found, 'Paused');
    assert.match(error.qql!.expected, /Enabled/);
    assert.equal(await storedJobs(c), before);
  });
});

test(`ownedJob and coauthorJob with two users (${testStore()})`, async (t) => {
  const c = await startTestConsole();
  t.after(() => c.close());
  const admin = (await findUserByName(c.running.db, 'admin'))!;
  const bob = await addUser(c, 'bob', 'bob-password-1234');
  const bobBearer = await bearerToken(c, 'bob', 'bob-password-1234');
  const adminWithBob = await createJob(c, minimalBody('admin job co-authored by bob', 'Windows', { coAuthorUserIds: [bob.id] }));
  const adminAlone = await createJob(c, minimalBody('admin job', 'Windows'));
  const bobWithAdmin = await createJob(c, minimalBody('bob job co-authored by admin', 'Windows', { coAuthorUserIds: [String(admin.id)] }), bob.auth);

  const ids = async (query: string, auth?: string) => (await listJobs(c, `platform=Windows&${query}`, auth)).map((j) => j.id).sort();

  await t.test('as bob', async () => {
    assert.deepEqual(await ids('ownedJob=True', bobBearer), [bobWithAdmin]);
    assert.deepEqual(await ids('coauthorJob=True', bobBearer), [adminWithBob]);
    assert.deepEqual(await ids('coauthorJob=True&ownedJob=True', bobBearer), [adminWithBob, bobWithAdmin].sort());
    assert.deepEqual(await ids('coauthorJob=False&ownedJob=False', bobBearer), [adminWithBob, adminAlone, bobWithAdmin].sort());
    assert.deepEqual(await ids('ownedJob=true&filter=name%3Aco-authored', bob.auth), [bobWithAdmin]);
  });

  await t.test('as admin', async () => {
    assert.deepEqual(await ids('ownedJob=True'), [adminWithBob, adminAlone].sort());
    assert.deepEqual(await ids('coauthorJob=True'), [bobWithAdmin]);
    assert.deepEqual(await ids(''), [adminWithBob, adminAlone, bobWithAdmin].sort());
  });

  await t.test('the owner and co-authors show in the job', async () => {
    const job = byId(await listJobs(c, 'platform=Windows'), bobWithAdmin);
    assert.deepEqual(job.created.user, { name: 'bob', id: String(bob.id) });
    assert.deepEqual(job.coAuthorUserIds, [String(admin.id)]);
  });

  await t.test('co-authors must be other, existing users', async () => {
    const before = await storedJobs(c);
    let error = assertPmError(await c.request('POST', CREATE, { body: minimalBody('x', 'Windows', { coAuthorUserIds: [9999] }) }), 400, /no user has id 9999/);
    assert.equal(error.field, 'coAuthorUserIds');
    error = assertPmError(await c.request('POST', CREATE, { body: minimalBody('x', 'Windows', { coAuthorUserIds: [String(bob.id)] }), auth: bob.auth }), 400, /owns the job/);
    assert.equal(error.field, 'coAuthorUserIds');
    error = assertPmError(await c.request('POST', CREATE, { body: minimalBody('x', 'Windows', { coAuthorUserIds: ['bob'] }) }), 400, /user of this console/);
    assert.equal(error.field, 'coAuthorUserIds');
    assert.equal(await storedJobs(c), before);
  });
});

test(`the 10,000-record limit answers 2501 (${testStore()})`, async (t) => {
  const c = await startTestConsole();
  t.after(() => c.close());
  const templateId = await createJob(c, minimalBody('bulk template'));
  const template = await c.running.db.kysely.selectFrom('deployment_jobs').selectAll().where('id', '=', templateId).executeTakeFirstOrThrow();
  // 10,001 Windows jobs in all, written straight to the store (10,000 POSTs would only slow the test).
  const rows = Array.from({ length: 10_000 }, (_, i) => ({ ...template, id: randomUUID(), name: `bulk ${i}`, created_ms: Number(template.created_ms) - i - 1 }));
  const batch = insertBatchSize(Object.keys(template).length);
  for (let i = 0; i < rows.length; i += batch) await c.running.db.kysely.insertInto('deployment_jobs').values(rows.slice(i, i + batch)).execute();

  await t.test('pages inside the first 10,000 records are served', async () => {
    assert.equal((await listJobs(c, 'platform=Windows&pageSize=10&pageNumber=999')).length, 10);
    assert.equal((await listJobs(c, 'platform=Windows&pageSize=10000&pageNumber=0&attributes=id')).length, 10_000);
  });

  await t.test('a page reaching past record 10,000 is refused with errorCode 2501', async () => {
    for (const query of ['pageSize=10&pageNumber=1000', 'pageSize=10000&pageNumber=1', 'pageSize=3000&pageNumber=3', 'pageSize=9999&pageNumber=1']) {
      const error = assertPmError(await c.request('GET', `${SUMMARY}?platform=Windows&${query}`), 400, /10,000/);
      assert.equal(error.errorCode, '2501', query);
    }
  });

  await t.test('past the end of a smaller listing is an empty page, not 2501', async () => {
    assert.deepEqual(await listJobs(c, 'platform=Linux&pageSize=10&pageNumber=5000'), []);
    assert.deepEqual(await listJobs(c, `platform=Windows&pageSize=10&pageNumber=1000&filter=${encodeURIComponent('name:template')}`), []);
    assert.equal((await listJobs(c, `platform=Windows&pageSize=10000&filter=${encodeURIComponent('name:template')}`)).length, 1);
  });
});

test(`delete_job and change_job_status (${testStore()})`, async (t) => {
  const c = await startTestConsole();
  t.after(() => c.close());
  const bob = await addUser(c, 'bob', 'bob-password-1234');
  const a = await createJob(c, minimalBody('job a', 'Windows', { coAuthorUserIds: [bob.id] }));
  const b = await createJob(c, minimalBody('job b', 'Linux'));
  const d = await createJob(c, minimalBody('job d', 'Windows', { status: 'Enabled' }));
  const unknown = randomUUID();

  const statusOf = async (id: string) => byId(await listJobs(c, 'pageSize=100'), id);

  await t.test('change status: every spelling of the action, any letter case', async () => {
    for (const [action, expected] of [
      ['Enabled', 'Enabled'], ['Disabled', 'Disabled'], ['Enable', 'Enabled'], ['Disable', 'Disabled'],
      ['enable', 'Enabled'], ['DISABLED', 'Disabled'], ['eNaBlEd', 'Enabled'],
    ] as const) {
      const response = await c.request('POST', `${STATUS}/${action}`, { body: { ids: [a, b] }, auth: bob.auth });
      assertJsonResponse(response, 200);
      assertJobActionResults(response.json);
      assert.deepEqual(response.json, [{ id: a, name: 'job a', status: 'success' }, { id: b, name: 'job b', status: 'success' }], action);
      assert.equal((await statusOf(a)).status, expected, action);
      assert.equal((await statusOf(b)).status, expected, action);
    }
    const job = await statusOf(a);
    assert.deepEqual(job.updated.user, { name: 'bob', id: String(bob.id) }, 'the change is recorded as bob\'s');
    assert.ok(job.updated.date >= job.created.date);
  });

  await t.test('change status: unknown ids fail one by one, known ones still change', async () => {
    const response = await c.request('POST', `${STATUS}/Disabled`, { body: { ids: [d, unknown, 'not-a-guid'] } });
    assertJsonResponse(response, 200);
    assertJobActionResults(response.json);
    assert.deepEqual(response.json.map((r) => [r.id, r.name, r.status]), [[d, 'job d', 'success'], [unknown, null, 'failure'], ['not-a-guid', null, 'failure']]);
    assert.match(response.json[1].error!, /no deployment job has id/);
    assert.equal((await statusOf(d)).status, 'Disabled');
  });

  await t.test('change status: refused requests change nothing', async () => {
    const before = await storedJobs(c);
    assertPmError(await c.request('POST', `${STATUS}/Pause`, { body: { ids: [a] } }), 400, /unknown action "Pause"/);
    assertPmError(await c.request('POST', `${STATUS}/Enabled`), 400, /ids/);
    assertPmError(await c.request('POST', `${STATUS}/Enabled`, { body: { ids: [] } }), 400, /at least one job id/);
    assertPmError(await c.request('POST', `${STATUS}/Enabled`, { body: { jobIds: [a] } }), 400, /unknown field/);
    assertPmError(await c.request('POST', `${STATUS}/Enabled`, { body: [a] }), 400, /JSON object/);
    assertPmError(await c.request('POST', `${STATUS}/Enabled`, { rawBody: '{"ids": [', headers: { 'content-type': 'application/json' } }), 400, /not valid JSON/);
    assert.equal(await storedJobs(c), before);
  });

  await t.test('delete: a single id, duplicates and unknown ids', async () => {
    const response = await c.request('DELETE', DELETE, { body: { ids: [a, unknown, a.toUpperCase()] } });
    assertJsonResponse(response, 200);
    assertJobActionResults(response.json);
    assert.deepEqual(response.json.map((r) => [r.id, r.name, r.status]), [[a, 'job a', 'success'], [unknown, null, 'failure']]);
    const remaining = (await listJobs(c, 'pageSize=100')).map((j) => j.id).sort();
    assert.deepEqual(remaining, [b, d].sort());
    const coauthors = await c.running.db.kysely.selectFrom('deployment_job_coauthors').selectAll().where('job_id', '=', a).execute();
    assert.deepEqual(coauthors, [], 'its co-authors go with it');
    const again = await c.request('DELETE', DELETE, { body: { ids: [a] } });
    assert.deepEqual(again.json.map((r: { status: string }) => r.status), ['failure']);
  });

  await t.test('delete: refused requests change nothing', async () => {
    const before = await storedJobs(c);
    assertPmError(await c.request('DELETE', DELETE), 400, /ids/);
    assertPmError(await c.request('DELETE', DELETE, { body: { ids: [] } }), 400, /at least one job id/);
    assertPmError(await c.request('DELETE', DELETE, { body: { ids: [5] } }), 400, /ids\[0\] must be a non-empty string/);
    assertPmError(await c.request('DELETE', DELETE, { body: { ids: [b] }, auth: 'Bearer not-a-token' }), 401);
    assert.equal(await storedJobs(c), before);
  });

  await t.test('delete: several jobs at once', async () => {
    const response = await c.request('DELETE', DELETE, { body: { ids: [b, d] } });
    assertJobActionResults(response.json);
    assert.deepEqual(response.json, [{ id: b, name: 'job b', status: 'success' }, { id: d, name: 'job d', status: 'success' }]);
    assert.deepEqual(await listJobs(c, 'pageSize=100'), []);
  });

  await t.test('linked jobs: counted by the console, and a job others link to is not deleted alone', async () => {
    // A client-sent reference count is checked, then replaced by the console's own count.
    const base = await createJob(c, minimalBody('base', 'Linux', { linkedJobReferenceCount: 5 }));
    const first = await createJob(c, minimalBody('first follower', 'Linux', { linkedJobId: base }));
    const second = await createJob(c, minimalBody('second follower', 'Linux', { linkedJobId: base.toUpperCase() }));
    const chained = await createJob(c, minimalBody('chained', 'Linux', { linkedJobId: second }));
    const counts = async () => Object.fromEntries((await listJobs(c, 'platform=Linux&pageSize=100')).map((job) => [job.name, job.linkedJobReferenceCount]));
    assert.deepEqual(await counts(), { base: 2, 'first follower': 0, 'second follower': 1, chained: 0 });

    // `base` stays while the followers stay; `second` stays while `chained` stays.
    let response = await c.request('DELETE', DELETE, { body: { ids: [base, second] } });
    assertJobActionResults(response.json);
    assert.deepEqual(response.json.map((r) => [r.id, r.status]), [[base, 'failure'], [second, 'failure']]);
    // Each reason names the linking jobs that stay: `second` stays, so it keeps `base` too.
    assert.equal(response.json[0].error, `job "first follower" (${first}), "second follower" (${second}) link to this job; delete or change them first, or in the same request`);
    assert.equal(response.json[1].error, `job "chained" (${chained}) links to this job; delete or change it first, or in the same request`);
    assert.deepEqual(Object.keys(await counts()).sort(), ['base', 'chained', 'first follower', 'second follower']);

    // Deleting `first` and `chained` with them lets all four go; a follower alone goes at once.
    response = await c.request('DELETE', DELETE, { body: { ids: [chained] } });
    assert.deepEqual(response.json.map((r: { status: string }) => r.status), ['success']);
    assert.deepEqual(await counts(), { base: 2, 'first follower': 0, 'second follower': 0 });
    response = await c.request('DELETE', DELETE, { body: { ids: [base, first, second] } });
    assert.deepEqual(response.json.map((r: { status: string }) => r.status), ['success', 'success', 'success']);
    assert.deepEqual(await listJobs(c, 'pageSize=100'), []);
  });
});

test(`job results and runs say honestly that nothing has run (${testStore()})`, async (t) => {
  const c = await startTestConsole();
  t.after(() => c.close());
  await seedTargets(c);
  const id = await createJob(c, minimalBody('Results job', 'Linux', { approvedPatches: [PATCH_1], assetIds: [ASSET_1] }));
  const job = byId(await listJobs(c, 'platform=Linux'), id);

  await t.test('results: an empty POST with no Content-Type gives a JobResultSummary with zero counts', async () => {
    const response = await c.request('POST', `/pm/v1/deploymentjob/${id}/deploymentjobresult/summary`);
    assertJsonResponse(response, 200);
    assertJobResultSummary(response.json);
    assert.deepEqual(response.json, { id, name: 'Results job', assetCount: 0, patchCount: 0, createdBy: 'admin', createdOn: job.created.date, assets: [] });
    const withJsonType = await c.request('POST', `/pm/v1/deploymentjob/${id}/deploymentjobresult/summary`, { headers: { 'content-type': 'application/json' }, rawBody: '' });
    assertJsonResponse(withJsonType, 200);
    assert.deepEqual(withJsonType.json, response.json);
  });

  await t.test('runs: an empty array', async () => {
    const response = await c.request('GET', `/pm/v1/deploymentjob/${id}/runs`);
    assertJsonResponse(response, 200);
    assertPmRuns(response.json);
    assert.deepEqual(response.json, []);
  });

  await t.test('unknown jobs: 404 _error', async () => {
    for (const missing of [randomUUID(), 'not-a-job']) {
      assert.equal(assertPmError(await c.request('POST', `/pm/v1/deploymentjob/${missing}/deploymentjobresult/summary`), 404, /no deployment job/).errorCode, '1404');
      assert.equal(assertPmError(await c.request('GET', `/pm/v1/deploymentjob/${missing}/runs`), 404, /no deployment job/).errorCode, '1404');
    }
  });

  await t.test('without credentials: 401 _error', async () => {
    assertPmError(await c.request('GET', `${SUMMARY}?platform=Windows`, { auth: null }), 401);
    assertPmError(await c.request('POST', `/pm/v1/deploymentjob/${id}/deploymentjobresult/summary`, { auth: null }), 401);
  });
});

test(`create_job validation: each rule answers 400 naming the field and stores nothing (${testStore()})`, async (t) => {
  const c = await startTestConsole();
  t.after(() => c.close());
  await seedTargets(c);
  await createJob(c, minimalBody('existing job'));
  const before = await storedJobs(c);

  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['no name', minimalBody('', 'Windows'), 'name', /name is required/],
    ['no platform', { ...minimalBody('x'), platform: undefined }, 'platform', /platform is required: one of Windows, Linux/],
    ['platform Mac', minimalBody('x', 'Windows', { platform: 'Mac' }), 'platform', /one of Windows, Linux; got "Mac"/],
    ['type Upgrade', minimalBody('x', 'Windows', { type: 'Upgrade' }), 'type', /one of Install, Rollback/],
    ['Rollback on Linux', minimalBody('x', 'Linux', { type: 'Rollback' }), 'type', /Rollback jobs are available only for Windows/],
    ['scheduleType Hourly', minimalBody('x', 'Windows', { scheduleType: 'Hourly' }), 'scheduleType', /On-demand, Once, Daily, Weekly, Monthly/],
    ['status Paused', minimalBody('x', 'Windows', { status: 'Paused' }), 'status', /one of Enabled, Disabled/],
    ['Once without start', minimalBody('x', 'Windows', { scheduleType: 'Once' }), 'startDateTime', /required for Once jobs/],
    ['ISO start', minimalBody('x', 'Windows', { scheduleType: 'Once', startDateTime: '2025-04-14T13:45:48Z' }), 'startDateTime', /YYYY-M-D hh:mm:ss AM\|PM/],
    ['24-hour start', minimalBody('x', 'Windows', { scheduleType: 'Once', startDateTime: '2025-4-14 13:45:48 PM' }), 'startDateTime', /12-hour/],
    ['no such day', minimalBody('x', 'Windows', { scheduleType: 'Once', startDateTime: '2025-2-30 01:00:00 PM' }), 'startDateTime', /"2025-2-30 01:00:00 PM"/],
    ['Once in the past', minimalBody('x', 'Windows', { scheduleType: 'Once', startDateTime: '2020-6-1 09:00:00 AM' }), 'startDateTime', /"2020-6-1 09:00:00 AM" has passed in every time zone: a Once job starting then would never run/],
    ['Once a day ago', minimalBody('x', 'Linux', { scheduleType: 'Once', startDateTime: startTimeText(Date.now() - 86_400_000) }), 'startDateTime', /has passed in every time zone/],
    ['bad time zone', minimalBody('x', 'Windows', { timezone: 'Mars/Olympus_Mons' }), 'timezone', /IANA time zone/],
    ['SPECIFIC_TZ without zone', minimalBody('x', 'Windows', { timezoneType: 'SPECIFIC_TZ' }), 'timezone', /required when timezoneType is SPECIFIC_TZ/],
    ['zone with AGENT_TZ', minimalBody('x', 'Windows', { timezoneType: 'AGENT_TZ', timezone: 'UTC' }), 'timezone', /only with timezoneType SPECIFIC_TZ/],
    ['timezoneType bogus', minimalBody('x', 'Windows', { timezoneType: 'LOCAL' }), 'timezoneType', /AGENT_TZ, SPECIFIC_TZ/],
    ['recurring On-demand', minimalBody('x', 'Windows', { recurring: true }), 'recurring', /only to Daily, Weekly and Monthly/],
    ['Weekly without days', minimalBody('x', 'Windows', { scheduleType: 'Weekly', startDateTime: '2030-1-1 01:00:00 AM' }), 'recurringWeekDays', /at least one day/],
    ['week days malformed', minimalBody('x', 'Windows', { scheduleType: 'Weekly', startDateTime: '2030-1-1 01:00:00 AM', recurringWeekDays: '1,1,1' }), 'recurringWeekDays', /seven comma-separated/],
    ['week days on Daily', minimalBody('x', 'Windows', { scheduleType: 'Daily', startDateTime: '2030-1-1 01:00:00 AM', recurringWeekDays: '1,0,0,0,0,0,0' }), 'recurringWeekDays', /only to Weekly jobs/],
    ['patchTuesdayPlusXDays 28', monthly({ monthlyRecurringType: 1, patchTuesdayPlusXDays: 28 }), 'patchTuesdayPlusXDays', /between -27 and 27; got 28/],
    ['patchTuesdayPlusXDays -28', monthly({ monthlyRecurringType: 1, patchTuesdayPlusXDays: -28 }), 'patchTuesdayPlusXDays', /between -27 and 27; got -28/],
    ['patchTuesdayPlusXDays without Patch Tuesday', monthly({ dayOfMonth: 3, patchTuesdayPlusXDays: 2 }), 'patchTuesdayPlusXDays', /monthlyRecurringType 1/],
    ['dayOfMonth 32', monthly({ dayOfMonth: 32 }), 'dayOfMonth', /between 0 and 31/],
    ['recurringDayOfMonth 6', monthly({ recurringDayOfMonth: 6, recurringWeekDayOfMonth: 2 }), 'recurringDayOfMonth', /between 1 and 5/],
    ['recurringWeekDayOfMonth 7', monthly({ recurringDayOfMonth: 2, recurringWeekDayOfMonth: 7 }), 'recurringWeekDayOfMonth', /between 0 and 6/],
    ['week of month without weekday', monthly({ recurringDayOfMonth: 2 }), 'recurringWeekDayOfMonth', /give both/],
    ['monthlyRecurringType 2', monthly({ monthlyRecurringType: '2' }), 'monthlyRecurringType', /between 0 and 1/],
    ['Monthly without a day', monthly({}), 'dayOfMonth', /needs a day/],
    ['Monthly with two days', monthly({ dayOfMonth: 3, recurringLastDayOfMonth: true }), 'dayOfMonth', /one way of choosing its day/],
    ['dayOfMonth on Once', minimalBody('x', 'Windows', { scheduleType: 'Once', startDateTime: '2030-1-1 01:00:00 AM', dayOfMonth: 3 }), 'dayOfMonth', /only to Monthly jobs/],
    ['dynamicQQLType 3', minimalBody('x', 'Windows', { dynamicQQLType: 3, dynamicPatchesQQL: 'vendorSeverity:Critical' }), 'dynamicQQLType', /between 0 and 2/],
    ['isDynamicPatchesQQL without query', minimalBody('x', 'Windows', { isDynamicPatchesQQL: true }), 'dynamicPatchesQQL', /required when isDynamicPatchesQQL is true/],
    ['query with type 0', minimalBody('x', 'Windows', { dynamicQQLType: 0, dynamicPatchesQQL: 'vendorSeverity:Critical' }), 'dynamicQQLType', /no query/],
    ['query switched off', minimalBody('x', 'Windows', { isDynamicPatchesQQL: false, dynamicPatchesQQL: 'vendorSeverity:Critical' }), 'isDynamicPatchesQQL', /isDynamicPatchesQQL is false/],
    ['additional type without query', minimalBody('x', 'Windows', { additionalDynamicQQLType: '2' }), 'additionalDynamicPatchesQQL', /required when additionalDynamicQQLType/],
    ['timeout 169 hours', minimalBody('x', 'Windows', { timeout: 169, timeoutUnit: 'HOURS' }), 'timeout', /between 1 and 168 hours/],
    ['timeout 10081 minutes', minimalBody('x', 'Windows', { timeout: 10081, timeoutUnit: 'MINUTES' }), 'timeout', /between 1 and 10080 minutes/],
    ['timeout 0', minimalBody('x', 'Windows', { timeout: 0 }), 'timeout', /-1 \(none\)/],
    ['timeoutUnit DAYS', minimalBody('x', 'Windows', { timeout: 2, timeoutUnit: 'DAYS' }), 'timeoutUnit', /HOURS, MINUTES/],
    ['randomize 3 hours', minimalBody('x', 'Windows', { downloadRandomizeTime: 3, downloadRandomizeTimeUnit: 'HOURS' }), 'downloadRandomizeTime', /between 1 and 2 hours/],
    ['randomize 121 minutes', minimalBody('x', 'Windows', { downloadRandomizeTime: '121', downloadRandomizeTimeUnit: 'MINUTES' }), 'downloadRandomizeTime', /between 1 and 120 minutes/],
    ['randomize not below timeout', minimalBody('x', 'Windows', { timeout: 60, timeoutUnit: 'MINUTES', downloadRandomizeTime: 1, downloadRandomizeTimeUnit: 'HOURS' }), 'downloadRandomizeTime', /less than the timeout/],
    ['opportunistic on Linux', minimalBody('x', 'Linux', { opportunisticDownloads: true }), 'opportunisticDownloads', /only for Windows/],
    ['continueOnPatchFailure on Windows', minimalBody('x', 'Windows', { continueOnPatchFailure: true }), 'continueOnPatchFailure', /only to Linux/],
    ['asset id not a GUID', minimalBody('x', 'Windows', { assetIds: ['host-1'] }), 'assetIds', /assetIds\[0\] must be a GUID/],
    ['tag id not a GUID', minimalBody('x', 'Windows', { assetTagIds: [TAG_1, 'Servers'] }), 'assetTagIds', /assetTagIds\[1\] must be a GUID/],
    ['asset targeted and excluded', minimalBody('x', 'Windows', { assetIds: [ASSET_1], exclusionAssetIds: [ASSET_1] }), 'exclusionAssetIds', /both targeted/],
    ['asset of no machine', minimalBody('x', 'Linux', { assetIds: [ASSET_1, UNKNOWN_ASSET] }), 'assetIds',
      new RegExp(`^assetIds: no asset \\(a machine this console has scanned\\) has id ${UNKNOWN_ASSET}$`)],
    ['seven assets of no machine', minimalBody('x', 'Linux', { assetIds: Array.from({ length: 7 }, () => randomUUID()) }), 'assetIds', /has id [-0-9a-f]{36}(, [-0-9a-f]{36}){4} and 2 more$/],
    ['a Linux machine in a Windows job', minimalBody('x', 'Windows', { assetIds: [ASSET_2] }), 'assetIds',
      new RegExp(`^assetIds: asset ${ASSET_2} \\(web02\\) is a Linux machine; a Windows job targets only Windows assets$`)],
    ['excluded asset of no machine', minimalBody('x', 'Linux', { assetIds: [ASSET_1], exclusionAssetIds: [UNKNOWN_ASSET] }), 'exclusionAssetIds', /^exclusionAssetIds: no asset .* has id /],
    ['patch not in the catalog', minimalBody('x', 'Linux', { approvedPatches: [UNKNOWN_PATCH] }), 'approvedPatches', new RegExp(`^approvedPatches: no patch of the catalog has id ${UNKNOWN_PATCH}$`)],
    ['a Linux patch in a Windows job', minimalBody('x', 'Windows', { approvedPatches: [PATCH_1] }), 'approvedPatches', /^approvedPatches: patch [-0-9a-f]{36} \(openssl 1\.0-1 security update for bookworm\) is a Linux patch; a Windows job installs only Windows patches$/],
    ['filterType some', minimalBody('x', 'Windows', { filterType: 'some' }), 'filterType', /one of all, any/],
    ['bad email', minimalBody('x', 'Windows', { notification: { notificationConfigs: { recipientEmails: 'ops-at-example' }, notificationTypes: { email: true } } }), 'notification.notificationConfigs.recipientEmails', /not an email address/],
    ['email without recipients', minimalBody('x', 'Windows', { notification: { notificationTypes: { email: true } } }), 'notification.notificationConfigs.recipientEmails', /at least one address/],
    ['completedPercentage 101', minimalBody('x', 'Windows', { notification: { notificationConfigs: { recipientEmails: 'a@b.example', completedPercentage: 101 } } }), 'notification.notificationConfigs.completedPercentage', /between 1 and 100/],
    ['deferment without suppressReboots', minimalBody('x', 'Windows', { rebootOption: { deferment: { count: 3, interval: 30, intervalUnit: 'MINUTES' } } }), 'rebootOption.deferment', /only when suppressReboots/],
    ['unknown message key', minimalBody('x', 'Windows', { preDeployment: { message: 'hi' } }), 'preDeployment.message', /unknown field "preDeployment.message"/],
    ['message not an object', minimalBody('x', 'Windows', { preDeployment: 'hi' }), 'preDeployment', /must be a JSON object/],
    ['unknown top-level key', minimalBody('x', 'Windows', { assetId: ASSET_1 }), 'assetId', /unknown field "assetId"/],
    ['timeout not a number', minimalBody('x', 'Windows', { timeout: 'two' }), 'timeout', /whole number/],
    ['suppressReboots not a boolean', minimalBody('x', 'Windows', { suppressReboots: 'perhaps' }), 'suppressReboots', /true or false/],
    ['unknown linked job', minimalBody('x', 'Windows', { linkedJobId: randomUUID() }), 'linkedJobId', /no deployment job has id/],
    ['linked job not a GUID', minimalBody('x', 'Windows', { linkedJobId: 'job-7' }), 'linkedJobId', /must be the id \(a GUID\)/],
    ['name too long', minimalBody('x'.repeat(256)), 'name', /at most 255 characters/],
  ];

  for (const [label, body, field, pattern] of cases) {
    await t.test(label, async () => {
      const error = assertPmError(await c.request('POST', CREATE, { body }), 400, pattern);
      assert.equal(error.errorCode, '1001');
      assert.equal(error.field, field);
    });
  }

  await t.test('dynamicPatchesQQL must parse: 400 names position, found and expected', async () => {
    const error = assertPmError(await c.request('POST', CREATE, { body: sdkCreateBody({ dynamicPatchesQQL: 'vendorSeverity:`Critical' }) }), 400, /dynamicPatchesQQL/);
    assert.equal(error.qql!.parameter, 'dynamicPatchesQQL');
    assert.equal(error.qql!.found, 'end of query');
    assert.match(error.qql!.expected, /closing backtick/);
    assert.equal(error.qql!.position, 'vendorSeverity:`Critical'.length);
    const additional = assertPmError(await c.request('POST', CREATE, { body: sdkCreateBody({ additionalDynamicPatchesQQL: 'appFamily:Firefox Chrome' }) }), 400);
    assert.equal(additional.qql!.parameter, 'additionalDynamicPatchesQQL');
    assert.equal(additional.qql!.found, 'Chrome');
  });

  await t.test('patch QQL (dynamicQQLType 1) must use patch tokens and values', async () => {
    let error = assertPmError(await c.request('POST', CREATE, { body: sdkCreateBody({ dynamicPatchesQQL: 'colour:red' }) }), 400, /colour/);
    assert.equal(error.qql!.parameter, 'dynamicPatchesQQL');
    assert.equal(error.qql!.position, 0);
    assert.equal(error.qql!.found, 'colour');
    error = assertPmError(await c.request('POST', CREATE, { body: sdkCreateBody({ dynamicPatchesQQL: 'isSecurity:true and vendorSeverity:Severe' }) }), 400, /Severe/);
    assert.equal(error.qql!.position, 'isSecurity:true and vendorSeverity:'.length);
    assert.match(error.qql!.expected, /Critical/);
    error = assertPmError(await c.request('POST', CREATE, {
      body: sdkCreateBody({ additionalDynamicPatchesQQL: 'kbb:5001', additionalDynamicQQLType: '1' }),
    }), 400, /kbb/);
    assert.equal(error.qql!.parameter, 'additionalDynamicPatchesQQL');
  });

  await t.test('bodies that are not a job object', async () => {
    assertPmError(await c.request('POST', CREATE), 400, /name is required/);
    assertPmError(await c.request('POST', CREATE, { body: [sdkCreateBody()] }), 400, /JSON object/);
    assertPmError(await c.request('POST', CREATE, { rawBody: '{"name": "J",', headers: { 'content-type': 'application/json' } }), 400, /not valid JSON/);
    // text/plain, even holding JSON, is no JSON body: 415 like any other type.
    assertPmError(await c.request('POST', CREATE, { rawBody: 'name=J', headers: { 'content-type': 'text/plain' } }), 415, /unsupported Content-Type "text\/plain"/);
    assertPmError(await c.request('POST', CREATE, { rawBody: JSON.stringify(sdkCreateBody()), headers: { 'content-type': 'text/plain' } }), 415);
    assertPmError(await c.request('POST', CREATE, { rawBody: '<job/>', headers: { 'content-type': 'application/xml' } }), 415);
  });

  await t.test('nothing was stored by any refused request', async () => {
    assert.equal(await storedJobs(c), before);
  });

  await t.test('the edges of each range are accepted', async () => {
    const edges = [
      // Vulnerability QQL (dynamicQQLType 2) is checked for syntax only: no vulnerability token table exists yet.
      minimalBody('vulnerability query', 'Windows', { dynamicQQLType: 2, dynamicPatchesQQL: 'vulnerabilities.severity:5' }),
      monthly({ monthlyRecurringType: 1, patchTuesdayPlusXDays: 27 }),
      monthly({ monthlyRecurringType: '1', patchTuesdayPlusXDays: -27 }),
      monthly({ dayOfMonth: 31 }),
      monthly({ recurringDayOfMonth: 5, recurringWeekDayOfMonth: 6 }),
      monthly({ recurringLastDayOfMonth: true }),
      minimalBody('edge', 'Windows', { timeout: 168, timeoutUnit: 'hours', downloadRandomizeTime: 2, downloadRandomizeTimeUnit: 'HOURS' }),
      minimalBody('edge', 'Windows', { timeout: 10080, timeoutUnit: 'MINUTES', downloadRandomizeTime: 120, downloadRandomizeTimeUnit: 'minutes' }),
      minimalBody('edge', 'Windows', { type: 'Rollback', scheduleType: 'Once', startDateTime: '2030-12-31 11:59:59 PM' }),
      minimalBody('edge', 'Windows', { notification: { notificationConfigs: { recipientEmails: ['a@b.example'], completedPercentage: 100 } } }),
      minimalBody('x'.repeat(255)),
    ];
    for (const body of edges) assert.equal((await c.request('POST', CREATE, { body })).status, 201, JSON.stringify(body));
    const jobs = await listJobs(c, 'pageSize=100&platform=Windows');
    assert.equal(jobs.length, edges.length + 1);
    for (const job of jobs) assert.ok(Object.keys(job).every((key) => (PM_JOB_KEYS as readonly string[]).includes(key)));
  });
});

function monthly(overrides: Record<string, unknown>): Record<string, unknown> {
  return minimalBody('monthly', 'Windows', { scheduleType: 'Monthly', startDateTime: '2030-1-1 01:00:00 AM', recurring: true, ...overrides });
}
