/**
 * The QQL tokens of deployment jobs: what `filter` of `GET /pm/v1/deploymentjobs/summary` can
 * search on. Names follow the job's own fields as the PM API lists them (`name`, `status`,
 * `platform`, `type`, `scheduleType`, …), plus who created and last changed the job and when.
 *
 *   status:Enabled and platform:Windows
 *   name:`Monthly servers` or createdBy:alice
 *   scheduleType:[Daily, Weekly] and createdDate>=now-30d
 */
import { defineQqlTokenTable } from '../qql/index.js';
import type { DeploymentJobsTable } from '../db/schema.js';
import { JOB_SCHEDULE_TYPES, JOB_STATUSES, JOB_TIMEZONE_TYPES, JOB_TYPES } from './deployment-job-validation.js';
import { PATCH_PLATFORMS } from '../assess/types.js';

/** A stored job row, optionally with its co-author ids (for the in-memory predicate). */
export type DeploymentJobQqlRow = DeploymentJobsTable & { coAuthorUserIds?: number[] };

export const deploymentJobQqlTokens = defineQqlTokenTable<DeploymentJobQqlRow>({
  entity: 'job',
  table: 'deployment_jobs',
  primaryKey: 'id',
  tokens: [
    { name: 'id', type: 'string', column: 'id', description: 'the job id (a GUID)' },
    { name: 'name', type: 'text', column: 'name', description: 'the job name' },
    { name: 'description', type: 'text', column: 'description', description: 'the job description' },
    { name: 'status', type: 'enum', column: 'status', enumValues: JOB_STATUSES, description: 'Enabled or Disabled' },
    { name: 'platform', type: 'enum', column: 'platform', enumValues: PATCH_PLATFORMS, description: 'Windows or Linux' },
    { name: 'type', type: 'enum', column: 'job_type', enumValues: JOB_TYPES, description: 'Install or Rollback' },
    {
      name: 'scheduleType', type: 'enum', column: 'schedule_type', enumValues: JOB_SCHEDULE_TYPES,
      enumAliases: { OnDemand: 'On-demand' }, description: 'On-demand, Once, Daily, Weekly or Monthly',
    },
    { name: 'timezoneType', type: 'enum', column: 'timezone_type', enumValues: JOB_TIMEZONE_TYPES, description: 'AGENT_TZ or SPECIFIC_TZ' },
    { name: 'timezone', type: 'string', column: 'timezone', description: 'the time zone of SPECIFIC_TZ jobs, e.g. America/New_York' },
    { name: 'dynamicQQLType', type: 'number', column: 'dynamic_qql_type', description: '0 no query, 1 patch QQL, 2 vulnerability QQL' },
    { name: 'isDynamicPatchesQQL', type: 'boolean', column: 'is_dynamic_patches_qql', description: 'whether the job selects patches by query' },
    { name: 'dynamicPatchesQQL', type: 'text', column: 'dynamic_patches_qql', description: 'the patch query of the job' },
    { name: 'linkedJobId', type: 'string', column: 'linked_job_id', description: 'the id of the linked job' },
    { name: 'createdBy', type: 'string', column: 'created_by_user_name', description: 'user name of the job owner' },
    { name: 'createdDate', type: 'date', column: 'created_ms', description: 'when the job was created' },
    { name: 'updatedBy', type: 'string', column: 'updated_by_user_name', description: 'user name of the last change' },
    { name: 'updatedDate', type: 'date', column: 'updated_ms', description: 'when the job was last changed' },
    {
      name: 'coAuthorUserIds', type: 'number',
      multiValued: { table: 'deployment_job_coauthors', foreignKey: 'job_id', column: 'user_id' },
      accessor: (row) => row.coAuthorUserIds, description: 'ids of the co-authors',
    },
  ],
});
