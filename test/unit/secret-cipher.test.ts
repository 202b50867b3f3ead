import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretCipher, SecretDecryptionError } from '../../src/secrets/secret-cipher.js';

test('secrets round-trip, never appear in the stored form, and are bound to their context', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'patchwarden-secrets-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const cipher = await SecretCipher.fromDataDir(dataDir);
  const secret = 'S3cret password ünïcode';
  const stored = cipher.encrypt(secret, 'credential:1');
  assert.match(stored, /^pwsec1:[A-Za-z0-9+/=]+$/);
  assert.ok(!stored.includes('S3cret'));
  assert.notEqual(cipher.encrypt(secret, 'credential:1'), stored, 'a fresh IV every time');
  assert.equal(cipher.decrypt(stored, 'credential:1'), secret);
  assert.throws(() => cipher.decrypt(stored, 'credential:2'), SecretDecryptionError);

  // One bit flipped anywhere is detected.
  const raw = Buffer.from(stored.slice('pwsec1:'.length), 'base64');
  raw[raw.length - 1] ^= 1;
  assert.throws(() => cipher.decrypt(`pwsec1:${raw.toString('base64')}`, 'credential:1'), SecretDecryptionError);

  // The master key is created once (0600) and reused: a second instance decrypts.
  const keyFile = join(dataDir, 'master.key');
  assert.equal((await stat(keyFile)).mode & 0o077, 0);
  assert.equal((await readFile(keyFile)).length, 32);
  assert.equal((await SecretCipher.fromDataDir(dataDir)).decrypt(stored, 'credential:1'), secret);
  assert.throws(() => SecretCipher.fromKey(Buffer.alloc(32, 7)).decrypt(stored, 'credential:1'), SecretDecryptionError);
});
