import type { Kysely, Migration } from 'kysely';

/**
 * Deployment jobs of the Patch Management API: what a job targets (assets, tags, exclusions),
 * which patches it installs (explicit ids and/or QQL), its schedule, the messages shown to the
 * machine's user, notifications, and who made and last changed it. Co-authors get their own
 * table so "jobs I co-author" is one indexed lookup.
 */
export function deploymentJobsMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('deployment_jobs').ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('platform', 'text', (c) => c.notNull())
        .addColumn('job_type', 'text', (c) => c.notNull())
        .addColumn('schedule_type', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('start_date_time', 'text')
        .addColumn('timezone_type', 'text')
        .addColumn('timezone', 'text')
        .addColumn('recurring', 'integer', (c) => c.notNull())
        .addColumn('day_of_month', 'integer')
        .addColumn('recurring_day_of_month', 'integer')
        .addColumn('recurring_week_day_of_month', 'integer')
        .addColumn('recurring_week_days', 'text')
        .addColumn('recurring_last_day_of_month', 'integer', (c) => c.notNull())
        .addColumn('monthly_recurring_type', 'integer')
        .addColumn('patch_tuesday_plus_x_days', 'integer')
        .addColumn('dynamic_qql_type', 'integer', (c) => c.notNull())
        .addColumn('is_dynamic_patches_qql', 'integer', (c) => c.notNull())
        .addColumn('dynamic_patches_qql', 'text')
        .addColumn('additional_dynamic_qql_type', 'integer')
        .addColumn('additional_dynamic_patches_qql', 'text')
        .addColumn('approved_patch_ids', 'text', (c) => c.notNull())
        .addColumn('asset_ids', 'text', (c) => c.notNull())
        .addColumn('asset_tag_ids', 'text', (c) => c.notNull())
        .addColumn('match_all_tag_ids', 'text', (c) => c.notNull())
        .addColumn('exclusion_asset_ids', 'text', (c) => c.notNull())
        .addColumn('exclusion_tag_ids', 'text', (c) => c.notNull())
        .addColumn('filter_type', 'text', (c) => c.notNull())
        .addColumn('exclusion_filter_type', 'text', (c) => c.notNull())
        .addColumn('continue_on_patch_failure', 'integer')
        .addColumn('opportunistic_downloads', 'integer', (c) => c.notNull())
        .addColumn('suppress_reboots', 'integer', (c) => c.notNull())
        .addColumn('minimize_window', 'integer', (c) => c.notNull())
        .addColumn('timeout', 'integer', (c) => c.notNull())
        .addColumn('timeout_unit', 'text', (c) => c.notNull())
        .addColumn('download_randomize_time', 'integer')
        .addColumn('download_randomize_time_unit', 'text')
        .addColumn('linked_job_id', 'text')
        .addColumn('linked_job_reference_count', 'integer')
        .addColumn('user_messages', 'text', (c) => c.notNull())
        .addColumn('notification', 'text')
        .addColumn('created_by_user_id', 'integer', (c) => c.notNull())
        .addColumn('created_by_user_name', 'text', (c) => c.notNull())
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addColumn('updated_by_user_id', 'integer', (c) => c.notNull())
        .addColumn('updated_by_user_name', 'text', (c) => c.notNull())
        .addColumn('updated_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('deployment_jobs_platform_created').ifNotExists()
        .on('deployment_jobs').columns(['platform', 'created_ms', 'id']).execute();
      await db.schema.createIndex('deployment_jobs_owner').ifNotExists()
        .on('deployment_jobs').columns(['created_by_user_id', 'platform']).execute();
      await db.schema.createTable('deployment_job_coauthors').ifNotExists()
        .addColumn('job_id', 'text', (c) => c.notNull().references('deployment_jobs.id').onDelete('cascade'))
        .addColumn('user_id', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('deployment_job_coauthors_pk', ['job_id', 'user_id'])
        .execute();
      await db.schema.createIndex('deployment_job_coauthors_user').ifNotExists()
        .on('deployment_job_coauthors').columns(['user_id', 'job_id']).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('deployment_job_coauthors').ifExists().execute();
      await db.schema.dropTable('deployment_jobs').ifExists().execute();
    },
  };
}
