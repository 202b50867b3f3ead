/**
 * Statements prepared once and reused, for both stores. Kysely prepares (SQLite) or has the
 * server parse and plan (PostgreSQL) every statement anew; for the short queries an API request
 * runs, that was a large share of the request (SQLite: about 0.15 ms a statement; PostgreSQL:
 * about 1 ms of planning for a patch listing). The same SQL text is sent again and again — user
 * values are always bound parameters — so the prepared form is kept by its text:
 *
 * - SQLite: an LRU of better-sqlite3 statements on the one connection.
 * - PostgreSQL: statements seen more than once become named (server-side prepared) statements on
 *   each pooled connection, up to a bound per connection; others run unnamed as before.
 */
import { createHash } from 'node:crypto';
import type SQLite from 'better-sqlite3';
import type pg from 'pg';
import type { PostgresPool, PostgresPoolClient, SqliteDatabase, SqliteStatement } from 'kysely';

/** Prepared statements kept per SQLite connection. */
export const SQLITE_STATEMENT_CACHE_SIZE = 500;
/** Named statements per PostgreSQL connection; statements beyond it run unnamed. */
export const POSTGRES_NAMED_STATEMENTS_PER_CONNECTION = 300;
/** Times a statement text is seen before PostgreSQL connections prepare it by name. */
const POSTGRES_PREPARE_AFTER = 2;
/** Distinct statement texts whose use is counted before the count starts over. */
const POSTGRES_SEEN_LIMIT = 20_000;

/**
 * A better-sqlite3 database for Kysely whose `prepare` reuses statements by SQL text (least
 * recently used ones are dropped). A statement still being iterated is never handed out twice:
 * a fresh one is prepared instead.
 */
export function reusingSqliteStatements(database: SQLite.Database, capacity = SQLITE_STATEMENT_CACHE_SIZE): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    prepare(text: string): SqliteStatement {
      const cached = statements.get(text);
      if (cached && !cached.busy) {
        // Map order is insertion order: re-inserting marks it most recently used.
        statements.delete(text);
        statements.set(text, cached);
        return cached as unknown as SqliteStatement;
      }
      const statement = database.prepare(text);
      if (!cached) {
        statements.set(text, statement);
        if (statements.size > capacity) statements.delete(statements.keys().next().value!);
      }
      return statement as unknown as SqliteStatement;
    },
    close() {
      statements.clear();
      database.close();
    },
  };
}

interface ConnectionStatements {
  /** Names prepared on this connection. */
  named: Set<string>;
  /** Names this connection must not use again (the server refused to reuse the plan). */
  refused: Set<string>;
}

/** A text that is a single query (no semicolon anywhere), so it may be named without parameters. */
const ONE_QUERY_WITHOUT_PARAMETERS = /^\s*(?:select|with|insert|update|delete)\b[^;]*$/i;

/** PostgreSQL's refusal to run a prepared statement whose result columns changed since (e.g. `p.*` after a migration). */
function isStalePlanError(error: unknown): boolean {
  const { code, routine } = error as { code?: unknown; routine?: unknown };
  return code === '0A000' && routine === 'RevalidateCachedQuery';
}

/**
 * A pg pool for Kysely whose connections run statements they have seen before as named
 * statements, so the server parses them once per connection (and plans them once where it
 * chooses a generic plan). Statements with parameters are named, and queries without parameters
 * when they are one command: a text without a semicolon that starts as a query does (a text that
 * may hold several commands cannot be a named statement, and commands such as VACUUM or SET are
 * left to the simple protocol). A listing whose values are all literals (asset-patch-queries.ts)
 * is such a query.
 */
export function namingPostgresStatements(pool: pg.Pool, options: { perConnection?: number; prepareAfter?: number } = {}): PostgresPool {
  const perConnection = options.perConnection ?? POSTGRES_NAMED_STATEMENTS_PER_CONNECTION;
  const prepareAfter = options.prepareAfter ?? POSTGRES_PREPARE_AFTER;
  const seen = new Map<string, { uses: number; name: string | undefined }>();
  const byConnection = new WeakMap<pg.PoolClient, ConnectionStatements>();

  /** The statement's name once its text has been seen often enough; undefined before, or without parameters. */
  const nameFor = (text: string, parameters: ReadonlyArray<unknown>): string | undefined => {
    if (parameters.length === 0 && !ONE_QUERY_WITHOUT_PARAMETERS.test(text)) return undefined;
    let entry = seen.get(text);
    if (!entry) {
      if (seen.size >= POSTGRES_SEEN_LIMIT) seen.clear();
      entry = { uses: 0, name: undefined };
      seen.set(text, entry);
    }
    if (entry.name === undefined && ++entry.uses >= prepareAfter) entry.name = `pw_${createHash('sha1').update(text).digest('base64url')}`;
    return entry.name;
  };

  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    let statements = byConnection.get(client);
    if (!statements) {
      statements = { named: new Set(), refused: new Set() };
      byConnection.set(client, statements);
    }
    const own = statements;
    return {
      query: (async (text: string, parameters: ReadonlyArray<unknown>) => {
        const name = typeof text === 'string' ? nameFor(text, parameters) : undefined;
        if (name === undefined) return client.query(text as never, parameters as unknown[]);
        const usable = !own.refused.has(name) && (own.named.has(name) || own.named.size < perConnection);
        if (!usable) return client.query(text, parameters as unknown[]);
        own.named.add(name);
        // 'T' (or 'E'): inside a transaction, which a failure of this statement aborts.
        const inTransaction = client.getTransactionStatus() !== 'I';
        try {
          return await client.query({ name, text, values: parameters as unknown[] });
        } catch (error) {
          if (!isStalePlanError(error)) throw error;
          // The schema changed under a prepared statement: run it unnamed on this connection from now on.
          own.named.delete(name);
          own.refused.add(name);
          // Inside a transaction the error has aborted it: the caller must see this error, not a retry's 25P02.
          if (inTransaction) throw error;
          return client.query(text, parameters as unknown[]);
        }
      }) as unknown as PostgresPoolClient['query'],
      release: () => client.release(),
    };
  };

  return {
    connect: async () => wrap(await pool.connect()),
    end: () => pool.end(),
  };
}
