import { Command } from 'commander';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { generatePassword, setUserPassword } from '../auth/users.js';

export function adminCommand(): Command {
  const admin = new Command('admin').description('console administration on the local store');
  admin.command('set-password')
    .description('set a user\'s password (reads PATCHWARDEN_NEW_PASSWORD, or generates one and prints it)')
    .option('--user <name>', 'user name', 'admin')
    .option('--data-dir <dir>', 'data directory', process.env.PATCHWARDEN_DATA_DIR ?? './data')
    .option('--database-url <url>', 'PostgreSQL URL (env DATABASE_URL)', process.env.DATABASE_URL)
    .action(async (options) => {
      const db = openDatabase({ dataDir: options.dataDir, databaseUrl: options.databaseUrl });
      try {
        await migrateToLatest(db);
        const password = process.env.PATCHWARDEN_NEW_PASSWORD || generatePassword();
        if (!(await setUserPassword(db, options.user, password))) {
          process.stderr.write(`patchwarden: no user named "${options.user}"\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(process.env.PATCHWARDEN_NEW_PASSWORD ? `password of ${options.user} changed\n` : `new password of ${options.user}: ${password}\n`);
      } finally {
        await db.close();
      }
    });
  return admin;
}
