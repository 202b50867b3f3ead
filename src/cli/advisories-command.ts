import { Command, InvalidArgumentError } from 'commander';
import { AdvisorySourceError } from '../catalog/advisory.js';
import { importAdvisories, type AdvisoryFeed } from '../catalog/advisory-imports.js';
import type { AdvisoryImportSummary } from '../catalog/advisory-store.js';
import { UpdateinfoFormatError } from '../catalog/sources/updateinfo/updateinfo-parser.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';

function parseFeed(value: string): AdvisoryFeed {
  if (value !== 'osv' && value !== 'updateinfo') throw new InvalidArgumentError('expected "osv" or "updateinfo"');
  return value;
}

function progressLine(summary: AdvisoryImportSummary): string {
  return `read ${summary.read.toLocaleString('en-US')}: ${summary.added} new, ${summary.updated} updated, ${summary.unchanged} unchanged, `
    + `${summary.ignored} ignored, ${summary.invalid} invalid`;
}

/** `patchwarden advisories import <osv|updateinfo> <path|url>` */
export function advisoriesCommand(): Command {
  const advisories = new Command('advisories').description('security advisories (OSV, RPM updateinfo) in the patch catalog');
  advisories.command('import')
    .description('import advisories: OSV from a directory of .json files, a .zip dump or an http(s) URL of one; '
      + 'updateinfo from an updateinfo.xml[.gz|.xz] file or URL, or an RPM repository base URL (the directory holding repodata/)')
    .argument('<feed>', 'osv or updateinfo', parseFeed)
    .argument('<location>', 'path or http(s) URL')
    .option('--release <ecosystem>', 'updateinfo only: the release the errata are for, e.g. "AlmaLinux:9" (default: from the advisory ids and .elN package releases)')
    .option('--json', 'print the summary as JSON')
    .option('--data-dir <dir>', 'data directory (env PATCHWARDEN_DATA_DIR)', process.env.PATCHWARDEN_DATA_DIR ?? './data')
    .option('--database-url <url>', 'PostgreSQL URL (env DATABASE_URL)', process.env.DATABASE_URL)
    .action(async (feed: AdvisoryFeed, location: string, options) => {
      if (options.release !== undefined && feed !== 'updateinfo') {
        process.stderr.write('patchwarden: --release applies to updateinfo imports only (OSV records name their own release)\n');
        process.exitCode = 2;
        return;
      }
      const db = openDatabase({ dataDir: options.dataDir, databaseUrl: options.databaseUrl });
      const started = Date.now();
      const interactive = process.stderr.isTTY === true && !options.json;
      let lastPrinted = 0;
      try {
        await migrateToLatest(db);
        const summary = await importAdvisories(db, feed, location, {
          ecosystem: options.release,
          onProgress: (progress) => {
            const now = Date.now();
            if (options.json || now - lastPrinted < 1000) return;
            lastPrinted = now;
            process.stderr.write(interactive ? `\r${progressLine(progress)}` : `${progressLine(progress)}\n`);
          },
        });
        if (interactive && lastPrinted > 0) process.stderr.write('\n');
        const seconds = (Date.now() - started) / 1000;
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ ...summary, definitionVersion: summary.definition?.version ?? null, seconds }, null, 2)}\n`);
        } else {
          process.stdout.write(`${progressLine(summary)}; ${summary.fixesStored.toLocaleString('en-US')} package fixes stored in ${seconds.toFixed(1)} s\n`);
          process.stdout.write(summary.definition
            ? `catalog definition is now ${summary.definition.version}\n`
            : 'nothing changed: the catalog definition stays as it was\n');
          for (const error of summary.errors) process.stdout.write(`  skipped: ${error}\n`);
          if (summary.invalid > summary.errors.length) process.stdout.write(`  … and ${summary.invalid - summary.errors.length} more\n`);
        }
      } catch (error) {
        if (error instanceof AdvisorySourceError || error instanceof UpdateinfoFormatError) {
          process.stderr.write(`${interactive ? '\n' : ''}patchwarden: ${error.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw error;
      } finally {
        await db.close();
      }
    });
  return advisories;
}
