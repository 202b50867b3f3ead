import type { ColumnType, Generated } from 'kysely';

/**
 * Table types for Kysely. Portable across SQLite and PostgreSQL: booleans are stored as
 * integers 0/1, timestamps as ISO-8601 text, structured values as JSON text.
 */
export interface PatchwardenTables {
  settings: SettingsTable;
  users: UsersTable;
  apt_releases: AptReleasesTable;
  apt_indexes: AptIndexesTable;
  apt_packages: AptPackagesTable;
  machines: MachinesTable;
  scan_templates: ScanTemplatesTable;
  scans: ScansTable;
  scan_machines: ScanMachinesTable;
  scan_machine_patches: ScanMachinePatchesTable;
  operations: OperationsTable;
  patches: PatchesTable;
  patch_cves: PatchCvesTable;
  patch_qids: PatchQidsTable;
  vulnerabilities: VulnerabilitiesTable;
  asset_patch_status: AssetPatchStatusTable;
  patch_status_counts: PatchStatusCountsTable;
  machine_patch_counts: MachinePatchCountsTable;
  patch_listing_documents: PatchListingDocumentsTable;
  deployment_jobs: DeploymentJobsTable;
  deployment_job_coauthors: DeploymentJobCoauthorsTable;
  credentials: CredentialsTable;
  advisories: AdvisoriesTable;
  advisory_fixes: AdvisoryFixesTable;
  machine_groups: MachineGroupsTable;
  machine_group_filters: MachineGroupFiltersTable;
  ssh_host_keys: SshHostKeysTable;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface UsersTable {
  id: Generated<number>;
  username: string;
  /** scrypt$N$r$p$salt$hash — never the password itself. */
  password_hash: string;
  role: string;
  created_at: string;
}

export interface AptReleasesTable {
  id: Generated<number>;
  uri: string;
  dist: string;
  origin: string;
  label: string;
  suite: string;
  codename: string;
  version: string;
  release_date: string;
  not_automatic: number;
  but_automatic_upgrades: number;
  inrelease_sha256: string;
  /** JSON of what conditional re-fetching needs (ETag, Last-Modified, Valid-Until, ...). */
  validators: string;
  synced_at: string;
}

export interface AptIndexesTable {
  id: Generated<number>;
  release_id: number;
  component: string;
  architecture: string;
  path: string;
  sha256: string;
  package_count: number;
}

export interface AptPackagesTable {
  index_id: number;
  name: string;
  version: string;
  architecture: string;
  source_name: string;
  source_version: string;
}

export interface MachinesTable {
  id: Generated<number>;
  name: string;
  dns_name: string | null;
  domain: string | null;
  os_name: string | null;
  last_scanned_at: string | null;
  /** The last collected inventory as JSON, re-assessable without the machine. */
  last_inventory: string | null;
  created_at: string;
  /** The machine's id in the Patch Management API (a UUID). */
  asset_uuid: string | null;
  /** e.g. `debian:12`. */
  os_identifier: string | null;
  architecture: string | null;
  /** The IP address the machine was last scanned at, when it was named by address. */
  ip_address: string | null;
}

export interface ScanTemplatesTable {
  id: string;
  name: string;
  description: string;
  creator: string;
  is_system: number;
  path: string;
  thread_count: number;
  /** JSON of the template's patch filter in the domain model. */
  patch_filter: string;
  created_at: string;
}

export interface ScansTable {
  id: string;
  name: string;
  template_id: string;
  user_name: string;
  user_id: number;
  console_name: string;
  started_on: string;
  updated_on: string;
  is_complete: number;
  definition_version: string | null;
  definition_date: string | null;
  expected_result_total: number;
  received_result_count: number;
  /** JSON of the normalised start request (endpoint names, groups, options). */
  request: string;
}

export interface ScanMachinesTable {
  id: Generated<number>;
  scan_id: string;
  machine_id: number | null;
  endpoint: string;
  name: string;
  dns_name: string | null;
  domain: string | null;
  /** Pending | Running | Done */
  state: string;
  completed_on: string | null;
  error_number: number | null;
  error_description: string | null;
  installed_patch_count: number;
  missing_patch_count: number;
  /** The stored credential resolved for this machine when the scan started; null for none. */
  credential_id: string | null;
}

export interface ScanMachinePatchesTable {
  id: Generated<number>;
  scan_machine_id: number;
  patch_id: string;
  bulletin_id: string;
  kb: string;
  patch_type: string;
  product_id: string;
  product_name: string;
  scan_state: string;
  vendor_severity: string;
  title: string;
  release: string;
  source_name: string;
  source_version: string;
  /** JSON array of PatchPackageFinding. */
  packages: string;
  cves: string;
}

export interface OperationsTable {
  id: string;
  operation: string;
  /** Running | Succeeded | Failed | Cancelled */
  status: string;
  percent_complete: number;
  created: string;
  last_action: string;
  /** API-relative path of the resulting resource, e.g. `patch/scans/{id}`. */
  resource_path: string | null;
  error: string | null;
  user_id: number;
}


/** One patch of the catalog (from repository updates now, advisories later). */
export interface PatchesTable {
  id: string;
  title: string;
  bulletin: string;
  kb: string;
  vendor: string;
  platform: string;
  patch_type: string;
  is_security: number;
  vendor_severity: string;
  release: string;
  source_name: string;
  source_version: string;
  /** JSON array of architecture names (patch listings embed it as written). */
  architectures: string;
  /** JSON array of objects with exactly the keys packageName and architecture (patch listings embed it as written). */
  package_details: string;
  reboot_required: number;
  /** Epoch milliseconds. */
  published_ms: number;
  modified_ms: number;
}

export interface PatchCvesTable {
  patch_id: string;
  cve: string;
}

export interface PatchQidsTable {
  patch_id: string;
  qid: number;
}

export interface VulnerabilitiesTable {
  qid: number;
  title: string;
  /** 1 (minimal) to 5 (urgent). */
  severity: number;
  vuln_type: string;
  detected_ms: number | null;
  /** JSON array of CVE ids. */
  cves: string;
}

/** A machine's current state for one patch, from its latest successful scan. */
export interface AssetPatchStatusTable {
  machine_id: number;
  patch_id: string;
  /** Missing | Installed | InstalledPendingReboot */
  state: string;
  scan_id: string;
  updated_at: string;
}

/** Per machine: patches it misses and patches it has installed (see src/scans/patch-status-counts.ts). */
export interface MachinePatchCountsTable {
  machine_id: number;
  missing_count: number;
  /** Installed or InstalledPendingReboot. */
  installed_count: number;
}

/** Per patch: machines missing it and machines with it installed (see src/scans/patch-status-counts.ts). */
export interface PatchStatusCountsTable {
  patch_id: string;
  missing_count: number;
  /** Installed or InstalledPendingReboot. */
  installed_count: number;
  /** Copies of the patch's columns, kept by triggers (migration 0013); never written by code. */
  platform: ColumnType<string | null, never, never>;
  vendor_severity: ColumnType<string | null, never, never>;
  is_security: ColumnType<number | null, never, never>;
  patch_type: ColumnType<string | null, never, never>;
  published_ms: ColumnType<number | null, never, never>;
}

/**
 * A patch's listing document without its live counts (src/scans/patch-listing-documents.ts);
 * `format`, `head` and `tail` are null while the row is stale (marked by triggers, migration 0010).
 */
export interface PatchListingDocumentsTable {
  patch_id: string;
  format: string | null;
  head: string | null;
  tail: string | null;
}

/** A deployment job of the Patch Management API (see src/deploy/deployment-jobs.ts). */
export interface DeploymentJobsTable {
  id: string;
  name: string;
  description: string;
  /** Windows | Linux */
  platform: string;
  /** Install | Rollback */
  job_type: string;
  /** On-demand | Once | Daily | Weekly | Monthly */
  schedule_type: string;
  /** Enabled | Disabled */
  status: string;
  /** Wall-clock start `YYYY-MM-DD HH:MM:SS` (24 h) in the job's time zone; null when not given. */
  start_date_time: string | null;
  /** AGENT_TZ | SPECIFIC_TZ */
  timezone_type: string | null;
  /** IANA zone name, e.g. `America/New_York`. */
  timezone: string | null;
  recurring: number;
  day_of_month: number | null;
  recurring_day_of_month: number | null;
  recurring_week_day_of_month: number | null;
  /** Seven comma-separated 0/1 flags, Sunday first. */
  recurring_week_days: string | null;
  recurring_last_day_of_month: number;
  monthly_recurring_type: number | null;
  patch_tuesday_plus_x_days: number | null;
  /** 0 none, 1 patch QQL, 2 vulnerability QQL. */
  dynamic_qql_type: number;
  is_dynamic_patches_qql: number;
  dynamic_patches_qql: string | null;
  additional_dynamic_qql_type: number | null;
  additional_dynamic_patches_qql: string | null;
  /** JSON arrays of ids. */
  approved_patch_ids: string;
  asset_ids: string;
  asset_tag_ids: string;
  match_all_tag_ids: string;
  exclusion_asset_ids: string;
  exclusion_tag_ids: string;
  /** all | any */
  filter_type: string;
  exclusion_filter_type: string;
  continue_on_patch_failure: number | null;
  opportunistic_downloads: number;
  suppress_reboots: number;
  minimize_window: number;
  /** -1 means no timeout. */
  timeout: number;
  /** HOURS | MINUTES */
  timeout_unit: string;
  download_randomize_time: number | null;
  download_randomize_time_unit: string | null;
  linked_job_id: string | null;
  linked_job_reference_count: number | null;
  /** JSON of the messages shown on the machine (pre/during/post deployment, reboot countdown, reboot option). */
  user_messages: string;
  /** JSON of the notification settings, or null for none. */
  notification: string | null;
  created_by_user_id: number;
  created_by_user_name: string;
  /** Epoch milliseconds. */
  created_ms: number;
  updated_by_user_id: number;
  updated_by_user_name: string;
  updated_ms: number;
}

export interface DeploymentJobCoauthorsTable {
  job_id: string;
  user_id: number;
}

/** A stored credential (see src/scans/credentials.ts); the password only ever encrypted. */
export interface CredentialsTable {
  id: string;
  name: string;
  username: string;
  /** `pwsec1:…` from SecretCipher, with the credential id as context — never the password itself. */
  encrypted_password: string;
  owner_user_id: number;
  owner_name: string;
  created_at: string;
  updated_at: string;
}

/** A machine group of the Security Controls API (see src/scans/machine-groups.ts). */
export interface MachineGroupsTable {
  id: Generated<number>;
  name: string;
  description: string;
  path: string;
  /** Default stored credential for the group's machines. */
  credential_id: string | null;
  connection_method: string;
  creator: string;
  created_at: string;
  updated_at: string;
}

/** One discovery filter of a machine group: which machines it adds or (is_excluded) removes. */
export interface MachineGroupFiltersTable {
  id: Generated<number>;
  group_id: number;
  /** MachineName | DomainName | IPAddress | IPRange | NestedGroup */
  category: string;
  name: string;
  is_excluded: number;
  admin_credential_id: string | null;
  nested_group_id: number | null;
  notes: string;
}

/** One SSH host key a scan was presented (see src/scans/ssh-host-keys.ts). */
export interface SshHostKeysTable {
  id: Generated<number>;
  /** `host:port`, lower-case. */
  endpoint: string;
  key_type: string;
  /** `SHA256:…` as OpenSSH prints it. */
  fingerprint: string;
  /** The key blob, base64. */
  public_key: string;
  trusted: number;
  first_seen: string;
  last_seen: string;
  trusted_at: string | null;
  trusted_by: string | null;
}

/** One imported security advisory (OSV record or updateinfo erratum); see src/catalog/advisory-store.ts. */
export interface AdvisoriesTable {
  /** Publisher's id, e.g. `DSA-5678-1`, `ALSA-2024:1234`. */
  id: string;
  /** Stable QID of the advisory's vulnerability: assigned once, kept on every re-import. */
  qid: number;
  /** osv | updateinfo */
  source: string;
  publisher: string;
  title: string;
  /** Critical | Important | Moderate | Low | None */
  severity: string;
  /** JSON array of CVE ids. */
  cves: string;
  published: string;
  modified: string;
  imported_at: string;
}

/** One package version that fixes an advisory in one distribution release. */
export interface AdvisoryFixesTable {
  advisory_id: string;
  ecosystem: string;
  distro: string;
  release: string;
  package_name: string;
  /** source | binary */
  name_kind: string;
  /** `''` = every architecture. */
  architecture: string;
  fixed_version: string;
  /** JSON array of binary package names (empty = not narrowed). */
  binaries: string;
}
