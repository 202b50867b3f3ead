import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConsole } from '../../src/api/console.js';
import { freshDatabaseUrl } from '../support/test-database.js';

function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, servername: 'localhost' }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a self-signed certificate is generated once into the data directory and served', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'patchwarden-tls-'));
  const database = await freshDatabaseUrl();
  t.after(async () => {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });
  const first = await startConsole({ host: '127.0.0.1', port: 0, dataDir, databaseUrl: database.url, tls: 'self-signed', adminPassword: 'pw-one-two-three', logger: false });
  const certPath = join(dataDir, 'tls', 'console-cert.pem');
  const cert = await readFile(certPath, 'utf8');
  try {
    assert.match(first.url, /^https:\/\//);
    const health = await httpsGet(`${first.url.replace('127.0.0.1', 'localhost')}/health`, cert);
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.body), { status: 'ok' });
    assert.equal((await stat(join(dataDir, 'tls', 'console-key.pem'))).mode & 0o077, 0, 'the private key is readable by its owner only');
  } finally {
    await first.close();
  }
  // A restart reuses the same certificate, so clients that pinned it keep working.
  const second = await startConsole({ host: '127.0.0.1', port: 0, dataDir, databaseUrl: database.url, tls: 'self-signed', adminPassword: 'pw-one-two-three', logger: false });
  try {
    assert.equal(await readFile(certPath, 'utf8'), cert);
  } finally {
    await second.close();
  }
});

test('listening on a non-loopback address without TLS is refused with a clear message', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'patchwarden-tls-'));
  try {
    await assert.rejects(
      startConsole({ host: '0.0.0.0', port: 0, dataDir, tls: 'off', logger: false }),
      (error: Error) => /without TLS/.test(error.message) && /--tls-cert/.test(error.message),
    );
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
