import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConsole, type ConsoleConfig, type RunningConsole } from '../../src/api/console.js';
import { freshDatabaseUrl } from './test-database.js';

export const TEST_ADMIN_PASSWORD = 'correct horse battery staple';
export const ST = '/st/console/api/v1.0';

export interface TestConsole {
  running: RunningConsole;
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  dataDir: string;
  /** Authorization header value for the admin user (HTTP Basic). */
  basicAuth: string;
  /** Calls the API through real HTTP; `path` is relative to the console URL. */
  request(method: string, path: string, options?: { body?: unknown; auth?: string | null; headers?: Record<string, string>; rawBody?: string }): Promise<{ status: number; headers: Headers; json: any; text: string }>;
  close(): Promise<void>;
}

/** Starts a real console on a random loopback port, with a fresh data directory and database. */
export async function startTestConsole(overrides: Partial<ConsoleConfig> = {}): Promise<TestConsole> {
  const dataDir = await mkdtemp(join(tmpdir(), 'patchwarden-test-'));
  const database = await freshDatabaseUrl();
  const running = await startConsole({
    host: '127.0.0.1', port: 0, dataDir, databaseUrl: database.url, tls: 'off',
    adminPassword: TEST_ADMIN_PASSWORD, logger: false, ...overrides,
  });
  const basicAuth = `Basic ${Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString('base64')}`;
  return {
    running, url: running.url, dataDir, basicAuth,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.auth !== null) headers.authorization = options.auth ?? basicAuth;
      let body: string | undefined;
      if (options.rawBody !== undefined) body = options.rawBody;
      else if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(new URL(path, running.url), { method, headers, body });
      const text = await response.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, json, text };
    },
    async close() {
      await running.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls an operation until it is no longer Running (bounded: fails after `timeoutMs`). */
export async function waitForOperation(console_: TestConsole, operationUrl: string, timeoutMs = 120_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, json } = await console_.request('GET', new URL(operationUrl).pathname);
    if (status !== 200) throw new Error(`operation poll answered ${status}`);
    if (json.status !== 'Running') return json;
    if (Date.now() > deadline) throw new Error(`operation still running after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
