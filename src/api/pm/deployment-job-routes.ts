import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { ConsoleServices } from '../console-services.js';
import { WireRequestError } from '../wire-request.js';
import { PmErrorCode, PmRequestError } from './pm-errors.js';
import { isQqlError } from '../../qql/index.js';
import { JobListRecordLimitError } from '../../deploy/deployment-jobs.js';
import { DeploymentJobValidationError } from '../../deploy/deployment-job-validation.js';
import {
  actionOutcomeToWire, jobStatusFromAction, jobToWire, PmCreatedJob, PmJob, PmJobActionResult, PmJobResultSummary, PmRun,
  readJobDraft, readJobIds, readJobListQuery, resultSummaryToWire, runToWire,
} from './deployment-job-wire.js';
import { pmQqlErrorResponse } from './qql-error-body.js';

/**
 * Turns the domain's refusals into PM errors: a QQL problem names its position, what was found
 * and what was expected; a rule a job breaks names its field; the record limit is code 2501,
 * the one code the client raises on.
 */
async function answeringJobErrors<T>(reply: FastifyReply, parameter: string, work: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await work();
  } catch (error) {
    if (isQqlError(error)) {
      const { statusCode, body } = pmQqlErrorResponse(error, parameter);
      return reply.code(statusCode).send(body);
    }
    if (error instanceof DeploymentJobValidationError) {
      if (isQqlError(error.cause)) {
        const { statusCode, body } = pmQqlErrorResponse(error.cause, error.field);
        return reply.code(statusCode).send(body);
      }
      throw new PmRequestError(400, PmErrorCode.InvalidRequest, error.message, { field: error.field });
    }
    if (error instanceof JobListRecordLimitError) throw new PmRequestError(400, PmErrorCode.RecordLimit, error.message);
    throw error;
  }
}

function jobIdParam(params: unknown): string {
  return String((params as { jobId?: unknown }).jobId ?? '');
}

function noSuchJob(id: string): WireRequestError {
  return new WireRequestError('jobId', `no deployment job has id ${JSON.stringify(id)}`, 404);
}

/** Deployment jobs (spec §2.2–2.7); paths are relative to the `/pm` prefix. */
export function registerDeploymentJobRoutes(app: FastifyInstance, services: ConsoleServices): void {
  const { jobs } = services;

  app.get('/v1/deploymentjobs/summary', { schema: { response: { 200: Type.Array(PmJob) } } }, async (request, reply) => {
    const { listQuery, attributes } = readJobListQuery(request.query);
    return answeringJobErrors(reply, 'filter', async () => {
      const page = await jobs.list(listQuery, request.user!);
      return page.map((job) => jobToWire(job, attributes));
    });
  });

  app.post('/v1/deploymentjob', { schema: { response: { 201: PmCreatedJob } } }, async (request, reply) => {
    const draft = readJobDraft(request.body);
    return answeringJobErrors(reply, 'dynamicPatchesQQL', async () => {
      const job = await jobs.create(draft, request.user!);
      return reply.code(201).send({ id: job.id, name: job.name });
    });
  });

  app.delete('/v1/deploymentjobs', { schema: { response: { 200: Type.Array(PmJobActionResult) } } }, async (request) => {
    const outcomes = await jobs.delete(readJobIds(request.body));
    return outcomes.map(actionOutcomeToWire);
  });

  app.post('/v1/deploymentjobs/update/status/:action', { schema: { response: { 200: Type.Array(PmJobActionResult) } } }, async (request) => {
    const status = jobStatusFromAction(String((request.params as { action?: unknown }).action ?? ''));
    const outcomes = await jobs.setStatus(readJobIds(request.body), status, request.user!);
    return outcomes.map(actionOutcomeToWire);
  });

  app.post('/v1/deploymentjob/:jobId/deploymentjobresult/summary', { schema: { response: { 200: PmJobResultSummary } } }, async (request) => {
    const id = jobIdParam(request.params);
    const summary = await jobs.resultSummary(id);
    if (!summary) throw noSuchJob(id);
    return resultSummaryToWire(summary);
  });

  app.get('/v1/deploymentjob/:jobId/runs', { schema: { response: { 200: Type.Array(PmRun) } } }, async (request) => {
    const id = jobIdParam(request.params);
    const runs = await jobs.runs(id);
    if (!runs) throw noSuchJob(id);
    return runs.map(runToWire);
  });
}
