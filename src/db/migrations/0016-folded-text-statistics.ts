import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../database.js';

/**
 * PostgreSQL: statistics on the case-folded text columns that QQL tests without an index of
 * their own, so the planner knows how many rows a value matches.
 *
 * The QQL compiler tests a text token as `lower(column COLLATE "C") LIKE '%value%'`. PostgreSQL
 * keeps statistics for columns and for indexed expressions, not for other expressions, so it took
 * such a test to match half a percent of the rows, whatever the value. For a value every machine
 * has (`operatingSystem:Debian`), it then read every status row of the "few" machines: on the
 * store of bench/pm-patches-query.ts (10,000 machines, 1.5 million status rows) the first 1,000
 * patches having `operatingSystem:Debian` took 2.9 s, and 14–17 ms with these statistics; having
 * `osIdentifier:debian` 2.8 s → 12 ms, `architecture:amd64` 1.5 s → 13 ms. Assets having
 * `vendor:debian` (a patch column) took 915 ms, now 345 ms.
 *
 * Columns that have an index on the folded expression already (patch source name, severity and
 * title) need none. SQLite keeps no statistics of this kind and has nothing to add.
 *
 * The expressions are written here as the compiler writes them today (migrations stay as they
 * were released); a test compares the planner's estimates with the real counts.
 */
const FOLDED_COLUMNS: Record<'machines' | 'patches', string[]> = {
  machines: ['name', 'os_name', 'os_identifier', 'architecture'],
  patches: ['vendor', 'kb', 'bulletin'],
};

const statisticsName = (table: string, column: string): string => `${table}_folded_${column}`;

export function foldedTextStatisticsMigration(dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      for (const [table, columns] of Object.entries(FOLDED_COLUMNS)) {
        for (const column of columns) {
          await sql`create statistics if not exists ${sql.id(statisticsName(table, column))}
            on (lower(${sql.ref(column)} collate "C")) from ${sql.table(table)}`.execute(db);
        }
        // Gathered now, not at the next automatic analyze.
        await sql`analyze ${sql.table(table)}`.execute(db);
      }
    },
    async down(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      for (const [table, columns] of Object.entries(FOLDED_COLUMNS)) {
        for (const column of columns) await sql`drop statistics if exists ${sql.id(statisticsName(table, column))}`.execute(db);
      }
    },
  };
}
