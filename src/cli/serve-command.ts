import { Command, InvalidArgumentError } from 'commander';
import { destination, pino } from 'pino';
import { startConsole, type ConsoleConfig } from '../api/console.js';
import { FULL_PATCH_SCAN_TEMPLATE_ID } from '../scans/scan-templates.js';
import { printLocalScanSummary } from './local-scan-summary.js';

export function parseListenAddress(value: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[^:\s]+)?(?::(\d{1,5}))?$/.exec(value.trim());
  const port = match?.[2] === undefined ? 3121 : Number.parseInt(match[2], 10);
  if (!match || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`expected HOST:PORT such as 127.0.0.1:3121 or 0.0.0.0:3121; got "${value}"`);
  }
  return { host: (match[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('start the console (embedded SQLite by default; PostgreSQL with DATABASE_URL)')
    .option('--listen <host:port>', 'address to listen on (env PATCHWARDEN_LISTEN)', process.env.PATCHWARDEN_LISTEN ?? '127.0.0.1:3121')
    .option('--data-dir <dir>', 'where the database, keys and certificates live (env PATCHWARDEN_DATA_DIR)', process.env.PATCHWARDEN_DATA_DIR ?? './data')
    .option('--database-url <url>', 'postgres://user:pass@host/db to use PostgreSQL (env DATABASE_URL)', process.env.DATABASE_URL)
    .option('--tls-cert <file>', 'PEM certificate for HTTPS')
    .option('--tls-key <file>', 'PEM private key for HTTPS')
    .option('--tls-self-signed', 'serve HTTPS with a self-signed certificate kept in the data directory')
    .option('--public-url <url>', 'scheme://host:port used in absolute links (behind a proxy)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug', process.env.PATCHWARDEN_LOG_LEVEL ?? 'info')
    .option('--scan-local', 'at start, sync the catalog for this host\'s apt sources, scan this host and print a summary')
    .action(async (options) => {
      const { host, port } = parseListenAddress(options.listen);
      if (Boolean(options.tlsCert) !== Boolean(options.tlsKey)) {
        throw new InvalidArgumentError('--tls-cert and --tls-key go together: give both or neither');
      }
      const tls: ConsoleConfig['tls'] = options.tlsCert ? { certFile: options.tlsCert, keyFile: options.tlsKey }
        : options.tlsSelfSigned ? 'self-signed' : 'off';
      // Logs go to stderr as JSON lines; the summary for people goes to stdout.
      const logger = pino({ level: options.logLevel }, destination(2));
      const running = await startConsole({
        host, port, dataDir: options.dataDir, databaseUrl: options.databaseUrl, tls, publicUrl: options.publicUrl,
        adminPassword: process.env.PATCHWARDEN_ADMIN_PASSWORD, logger,
      });
      const base = `${options.publicUrl?.replace(/\/+$/, '') ?? running.url}/st/console/api/v1.0`;
      const out = (line = '') => process.stdout.write(`${line}\n`);
      out(`patchwarden ${running.services.productVersion} is listening on ${running.url}`);
      out(`  store: ${running.db.dialect} (${running.db.location})`);
      if (running.tls) out(`  TLS certificate: ${running.tls.source}`);
      if (running.admin.generatedPassword) {
        out('');
        out(`  First start: the user "admin" was created with this password (shown once, stored only as a hash):`);
        out(`      ${running.admin.generatedPassword}`);
        out('  Set PATCHWARDEN_ADMIN_PASSWORD before the first start to choose it yourself,');
        out('  or run "patchwarden admin set-password" to change it.');
      }
      const stop = async (signal: string) => {
        logger.info({ signal }, 'stopping');
        await running.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
      if (options.scanLocal) {
        await printLocalScanSummary(running, FULL_PATCH_SCAN_TEMPLATE_ID, out);
      }
      out('');
      out(`API: ${base}`);
      out(`  Authenticate with HTTP Basic (user admin) or a bearer token from POST ${running.url}/auth:`);
      out(`    curl${running.tls ? ' -k' : ''} -u admin:PASSWORD ${base}/patch/scans`);
      out(`    TOKEN=$(curl${running.tls ? ' -k' : ''} -s -d username=admin -d password=PASSWORD ${running.url}/auth)`);
      out('Press Ctrl+C to stop.');
    });
}
