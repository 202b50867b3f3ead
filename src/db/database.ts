import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { PatchwardenTables } from './schema.js';
import { namingPostgresStatements, reusingSqliteStatements } from './prepared-statements.js';

export type SqlDialectName = 'sqlite' | 'postgres';

export interface PatchwardenDb {
  kysely: Kysely<PatchwardenTables>;
  dialect: SqlDialectName;
  /** Where the data lives, for messages: a file path or the PostgreSQL URL without its password. */
  location: string;
  close(): Promise<void>;
}

export interface DatabaseConfig {
  /** `postgres://…` selects PostgreSQL; otherwise the embedded SQLite file in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
}

/** Redacts the password of a connection URL, for logs and messages. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable database URL)';
  }
}

/** How long closing a PostgreSQL store waits for its connections to end. */
const CONNECTION_CLOSE_WAIT_MS = 5_000;

/**
 * Counts a pool's open connections, so that closing the store can wait for them to end: pg-pool's
 * `end()` resolves once its clients are ended, before their connections have closed, and a
 * caller that drops or restarts the database right after would meet sessions still open
 * (measured: right after closing, 32 sessions over 20 closes of four connections each were still
 * listed in `pg_stat_activity`). A client's connection has closed when the pool emits `remove`.
 */
function openConnections(pool: pg.Pool): { closed(timeoutMs: number): Promise<void> } {
  let open = 0;
  let allClosed: (() => void) | undefined;
  pool.on('connect', () => { open++; });
  pool.on('remove', () => {
    open--;
    if (open <= 0) allClosed?.();
  });
  return {
    async closed(timeoutMs) {
      if (open <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => { allClosed = resolve; }),
        new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); }),
      ]);
      clearTimeout(timer);
    },
  };
}

/**
 * What each of the console's PostgreSQL sessions is started with, ahead of the `options` of the
 * URL (which come after it, and so win: `?options=-c%20jit%3Don` turns JIT back on).
 * JIT compilation is off: the console's statements are short, and compiling one whose estimated
 * cost passes `jit_above_cost` took longer than running it (on the store of
 * bench/pm-patches-query.ts, counting the assets having `vendor:debian`, checked machine by
 * machine, took 172 ms with JIT and 84 ms without; see docs/benchmarks.md).
 */
const POSTGRES_SESSION_OPTIONS = '-c jit=off';

/** The pool's settings for a PostgreSQL URL: the URL's own, with the console's session options first. */
function postgresPoolConfig(url: string): pg.PoolConfig {
  let parsed: pg.ClientConfig;
  try {
    parsed = parseIntoClientConfig(url);
  } catch (error) {
    throw new Error(`DATABASE_URL is not a valid PostgreSQL URL (${(error as Error).message}): ${redactDatabaseUrl(url)}`);
  }
  return { ...parsed, options: [POSTGRES_SESSION_OPTIONS, parsed.options].filter(Boolean).join(' '), max: 10 };
}

export function openDatabase(config: DatabaseConfig): PatchwardenDb {
  const url = config.databaseUrl?.trim();
  if (url && /^postgres(ql)?:\/\//i.test(url)) {
    // COUNT(*) and BIGINT come back as strings by default; every count we keep fits a JS number.
    pg.types.setTypeParser(20, (value: string) => Number.parseInt(value, 10));
    const pool = new pg.Pool(postgresPoolConfig(url));
    const kysely = new Kysely<PatchwardenTables>({ dialect: new PostgresDialect({ pool: namingPostgresStatements(pool) }) });
    const connections = openConnections(pool);
    return {
      kysely, dialect: 'postgres', location: redactDatabaseUrl(url),
      close: async () => {
        await kysely.destroy();
        await connections.closed(CONNECTION_CLOSE_WAIT_MS);
      },
    };
  }
  if (url && !/^sqlite:/i.test(url)) {
    throw new Error(`DATABASE_URL must start with postgres:// or postgresql:// (or sqlite:<file>); got ${redactDatabaseUrl(url)}`);
  }
  let file: string;
  if (url) {
    file = url.replace(/^sqlite:(\/\/)?/i, '');
  } else {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    file = join(config.dataDir, 'patchwarden.sqlite');
  }
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const kysely = new Kysely<PatchwardenTables>({ dialect: new SqliteDialect({ database: reusingSqliteStatements(database) }) });
  return { kysely, dialect: 'sqlite', location: file, close: () => kysely.destroy() };
}

/** Rows per multi-row INSERT: stays under SQLite's and PostgreSQL's bound-parameter limits. */
export function insertBatchSize(columnsPerRow: number): number {
  return Math.max(1, Math.floor(30000 / columnsPerRow));
}
