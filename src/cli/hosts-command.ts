import { Command } from 'commander';
import { openDatabase, type PatchwardenDb } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { parseHostKeyEndpoint, SshHostKeyError, SshHostKeyStore, type SshHostKey } from '../scans/ssh-host-keys.js';

/** `patchwarden hosts ...`: the SSH known-hosts store of scans, on the local store. */

interface StoreOptions {
  dataDir: string;
  databaseUrl?: string;
}

async function withStore<T>(options: StoreOptions, work: (store: SshHostKeyStore, db: PatchwardenDb) => Promise<T>): Promise<T> {
  const db = openDatabase({ dataDir: options.dataDir, databaseUrl: options.databaseUrl });
  try {
    await migrateToLatest(db);
    return await work(new SshHostKeyStore(db), db);
  } finally {
    await db.close();
  }
}

function storeOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'data directory (env PATCHWARDEN_DATA_DIR)', process.env.PATCHWARDEN_DATA_DIR ?? './data')
    .option('--database-url <url>', 'PostgreSQL URL (env DATABASE_URL)', process.env.DATABASE_URL);
}

function endpointArgument(text: string): string {
  const endpoint = parseHostKeyEndpoint(text);
  if (!endpoint) throw new Error(`"${text}" is not an endpoint: use host or host:port`);
  return endpoint;
}

function fail(message: string): void {
  process.stderr.write(`patchwarden: ${message}\n`);
  process.exitCode = 1;
}

function printTable(keys: SshHostKey[]): void {
  const rows = [['ID', 'ENDPOINT', 'TYPE', 'FINGERPRINT', 'TRUSTED', 'FIRST SEEN'],
    ...keys.map((k) => [String(k.id), k.endpoint, k.keyType, k.fingerprint, k.trusted ? 'yes' : 'no', k.firstSeen])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()}\n`);
}

export function hostsCommand(): Command {
  const hosts = new Command('hosts').description('SSH host keys scans have seen, and which are trusted');

  storeOptions(hosts.command('list').description('list recorded host keys'))
    .option('--endpoint <host:port>', 'only this endpoint')
    .option('--json', 'print JSON')
    .action(async (options) => {
      const endpoint = options.endpoint === undefined ? undefined : endpointArgument(options.endpoint);
      const keys = await withStore(options, (store) => store.list({ count: 100_000, start: 1, endpoint }));
      if (options.json) process.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
      else if (keys.length === 0) process.stdout.write('no SSH host keys recorded yet\n');
      else printTable(keys);
    });

  storeOptions(hosts.command('trust').description('trust a host key: by the fingerprint a scan reported, or an OpenSSH public key line'))
    .argument('<endpoint>', 'host or host:port')
    .argument('[fingerprint]', 'SHA256:... as shown in the scan error')
    .option('--public-key <line>', 'the key as "ssh-ed25519 AAAA..." (e.g. from ssh-keyscan)')
    .action(async (endpointText: string, fingerprint: string | undefined, options) => {
      const endpoint = endpointArgument(endpointText);
      try {
        const key = await withStore(options, (store) => store.trust(endpoint, { fingerprint, publicKeyLine: options.publicKey }, process.env.USER ?? 'cli'));
        process.stdout.write(`trusted ${key.keyType} ${key.fingerprint} for ${key.endpoint}\n`);
      } catch (error) {
        if (error instanceof SshHostKeyError) return fail(error.message);
        throw error;
      }
    });

  storeOptions(hosts.command('forget').description('forget a recorded host key (by id, see "hosts list")'))
    .argument('<id>', 'host key id')
    .action(async (idText: string, options) => {
      const id = Number(idText);
      if (!Number.isInteger(id) || id < 1) return fail(`"${idText}" is not a host key id; see "patchwarden hosts list"`);
      const forgotten = await withStore(options, (store) => store.forget(id));
      if (!forgotten) return fail(`no host key with id ${id}; see "patchwarden hosts list"`);
      process.stdout.write(`forgot host key ${id}\n`);
    });

  return hosts;
}
