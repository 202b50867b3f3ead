import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
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

export function openDatabase(config: DatabaseConfig): PatchwardenDb {
  const url = config.databaseUrl?.trim();
  if (url && /^postgres(ql)?:\/\//i.test(url)) {
    // COUNT(*) and BIGINT come back as strings by default; every count we keep fits a JS number.
    pg.types.setTypeParser(20, (value: string) => Number.parseInt(value, 10));
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    const kysely = new Kysely<PatchwardenTables>({ dialect: new PostgresDialect({ pool: namingPostgresStatements(pool) }) });
    return { kysely, dialect: 'postgres', location: redactDatabaseUrl(url), close: () => kysely.destroy() };
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
