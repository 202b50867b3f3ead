import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { openDatabase, type PatchwardenDb } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { STORE_TUNING_INTERVAL_MS, tuneStoreQuietly } from '../db/store-tuning.js';
import { ensureAdminUser, PasswordAuthenticator, type AdminBootstrap } from '../auth/users.js';
import { TokenService } from '../auth/tokens.js';
import { InProcessTaskQueue } from '../queue/in-process-queue.js';
import { CatalogService, type CatalogServiceOptions } from '../catalog/catalog-service.js';
import { ScanService, SCAN_MACHINE_TASK, type ScanMachineTask } from '../scans/scan-service.js';
import { PatchScanRunner } from '../scans/patch-scan-runner.js';
import { installPredefinedScanTemplates } from '../scans/scan-templates.js';
import { LocalHostNames } from '../inventory/collectors/local-host-names.js';
import { RequestAuthenticator } from './authentication.js';
import { DeploymentJobService } from '../deploy/deployment-jobs.js';
import { CredentialService } from '../scans/credentials.js';
import { MachineGroupService } from '../scans/machine-groups.js';
import { MachineService } from '../scans/machines.js';
import { SessionCredentialStore } from '../scans/session-credentials.js';
import { SessionKey } from '../scans/session-key.js';
import { SecretCipher } from '../secrets/secret-cipher.js';
import { SshHostKeyStore } from '../scans/ssh-host-keys.js';
import { sshCollectionSettingsFromEnv, type SshCollectionSettings } from '../scans/ssh-scan-collection.js';
import { checkJobQql } from './pm/job-qql-check.js';
import type { ConsoleServices } from './console-services.js';
import { buildServer } from './server.js';
import { readTlsFiles, selfSignedCertificate, type TlsMaterial } from './tls-certificate.js';

export interface ConsoleConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  /** Given certificate files, a self-signed certificate in the data directory, or plain HTTP. */
  tls: { certFile: string; keyFile: string } | 'self-signed' | 'off';
  publicUrl?: string;
  adminPassword?: string;
  logger?: Logger | false;
  /** Machines scanned at once by this process (default 8). */
  scanConcurrency?: number;
  catalog?: CatalogServiceOptions;
  /** SSH timeouts, output cap and start jitter; defaults from the PATCHWARDEN_SSH_* environment. */
  ssh?: Partial<SshCollectionSettings>;
}

export interface RunningConsole {
  app: FastifyInstance;
  db: PatchwardenDb;
  services: ConsoleServices;
  catalog: CatalogService;
  queue: InProcessTaskQueue;
  /** Base URL of the console, e.g. `http://127.0.0.1:3121`. */
  url: string;
  admin: AdminBootstrap;
  tls?: TlsMaterial;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function productVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Opens the store, applies migrations, prepares users and templates, and starts serving. */
export async function startConsole(config: ConsoleConfig): Promise<RunningConsole> {
  if (config.tls === 'off' && !isLoopbackHost(config.host)) {
    throw new Error(`refusing to listen on ${config.host} without TLS: credentials would cross the network in clear text. `
      + 'Pass --tls-cert and --tls-key, or --tls-self-signed, or listen on 127.0.0.1.');
  }
  const log = config.logger === false ? pino({ level: 'silent' }) : (config.logger ?? pino({ level: 'info' }));
  const db = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(db);
    // An embedded store's planner statistics and title index, before the first query needs them.
    await tuneStoreQuietly(db, log, 'console start');
    const admin = await ensureAdminUser(db, config.adminPassword);
    await installPredefinedScanTemplates(db);
    const tokens = await TokenService.fromDataDir(config.dataDir);
    const passwords = new PasswordAuthenticator(db);
    const queue = new InProcessTaskQueue(config.scanConcurrency ?? 8, log);
    const catalog = new CatalogService(db, log, config.catalog);
    const credentials = new CredentialService(db, await SecretCipher.fromDataDir(config.dataDir));
    const hostKeys = new SshHostKeyStore(db);
    const sessionCredentials = new SessionCredentialStore();
    const runner = new PatchScanRunner(db, catalog, await LocalHostNames.discover(), log, {
      credentials, hostKeys, sessionCredentials, settings: { ...sshCollectionSettingsFromEnv(), ...config.ssh },
    });
    queue.register<ScanMachineTask>(SCAN_MACHINE_TASK, (task) => runner.scanMachine(task));
    const machineGroups = new MachineGroupService(db, credentials);
    const scans = new ScanService(db, queue, hostname(), machineGroups, credentials);
    const services: ConsoleServices = {
      db, scans, jobs: new DeploymentJobService(db, checkJobQql), passwords, tokens, authenticator: new RequestAuthenticator(db, passwords, tokens),
      credentials, machineGroups, machines: new MachineService(db), hostKeys,
      sessionCredentials, sessionKey: await SessionKey.fromDataDir(config.dataDir),
      publicUrl: config.publicUrl, productVersion: productVersion(),
    };
    const tls = config.tls === 'off' ? undefined
      : config.tls === 'self-signed' ? await selfSignedCertificate(config.dataDir)
        : await readTlsFiles(config.tls.certFile, config.tls.keyFile);
    const app = await buildServer(services, { logger: config.logger === false ? false : log, tls });
    const address = await app.listen({ host: config.host, port: config.port });
    const url = new URL(address);
    if (url.hostname === '127.0.0.1' || url.hostname === '[::1]') url.hostname = isLoopbackHost(config.host) ? config.host : url.hostname;
    await resumeUnfinishedScans(db, queue);
    let tuningRun: Promise<void> = Promise.resolve();
    const tuning = db.dialect === 'sqlite'
      ? setInterval(() => { tuningRun = tuneStoreQuietly(db, log, 'hourly'); }, STORE_TUNING_INTERVAL_MS).unref()
      : undefined;
    return {
      app, db, services, catalog, queue, admin, tls, url: url.origin,
      async close() {
        clearInterval(tuning);
        await app.close();
        await queue.stop();
        await tuningRun;
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}

/**
 * Scans interrupted by a stop are picked up again: a machine's result is written in one
 * transaction with its state, so a machine not marked done has no result and is scanned again.
 */
async function resumeUnfinishedScans(db: PatchwardenDb, queue: InProcessTaskQueue): Promise<void> {
  const unfinished = await db.kysely.selectFrom('scan_machines').select(['id', 'scan_id'])
    .where('state', 'in', ['Pending', 'Running']).orderBy('id').execute();
  if (unfinished.length === 0) return;
  await db.kysely.updateTable('scan_machines').set({ state: 'Pending' }).where('state', '=', 'Running').execute();
  for (const row of unfinished) await queue.enqueue<ScanMachineTask>(SCAN_MACHINE_TASK, { scanId: row.scan_id, scanMachineId: row.id });
}
