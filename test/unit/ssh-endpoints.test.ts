import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endpointHasPort, parseScanEndpoint } from '../../src/scans/ssh-scan-collection.js';
import { parseHostKeyEndpoint, parseOpenSshPublicKey } from '../../src/scans/ssh-host-keys.js';
import { requireOrSkip } from '../support/required-service.js';

test('scan endpoints name a host and optionally a port', () => {
  assert.deepEqual(parseScanEndpoint('web01'), { host: 'web01', port: 22 });
  assert.deepEqual(parseScanEndpoint('10.0.0.5:2222'), { host: '10.0.0.5', port: 2222 });
  assert.deepEqual(parseScanEndpoint('[fe80::1]:22022'), { host: 'fe80::1', port: 22022 });
  assert.deepEqual(parseScanEndpoint('fe80::1'), { host: 'fe80::1', port: 22 });
  assert.equal(parseScanEndpoint('web01:0'), undefined);
  assert.equal(parseScanEndpoint('web01:70000'), undefined);
  assert.equal(parseScanEndpoint('web01:ssh'), undefined);
  assert.equal(endpointHasPort('localhost:22'), true);
  assert.equal(endpointHasPort('localhost'), false);
  assert.equal(endpointHasPort('fe80::1'), false);
});

test('known-hosts endpoints are stored as lower-case host:port', () => {
  assert.equal(parseHostKeyEndpoint('Web01.Example.COM'), 'web01.example.com:22');
  assert.equal(parseHostKeyEndpoint('127.0.0.1:2222'), '127.0.0.1:2222');
  assert.equal(parseHostKeyEndpoint('[FE80::1]:2200'), '[fe80::1]:2200');
  assert.equal(parseHostKeyEndpoint('host:99999'), undefined);
  assert.equal(parseHostKeyEndpoint('two words'), undefined);
  assert.equal(parseHostKeyEndpoint(''), undefined);
});

test('public key fingerprints equal what ssh-keygen -l prints', (t) => {
  if (!requireOrSkip(t, existsSync('/usr/bin/ssh-keygen'), 'ssh-keygen (apt-get install openssh-client)')) return;
  const dir = mkdtempSync(join(tmpdir(), 'patchwarden-keys-'));
  try {
    for (const type of ['ed25519', 'ecdsa', 'rsa']) {
      const file = join(dir, type);
      execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'test key', '-f', file]);
      const line = readFileSync(`${file}.pub`, 'utf8');
      const expected = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' }).split(/\s+/)[1];
      const parsed = parseOpenSshPublicKey(line);
      assert.equal(parsed?.fingerprint, expected, type);
      assert.equal(parsed?.keyType, line.split(' ')[0]);
      // A known_hosts line (host first) works too.
      assert.equal(parseOpenSshPublicKey(`[127.0.0.1]:2222 ${line}`)?.fingerprint, expected);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(parseOpenSshPublicKey('ssh-ed25519 not-base64'), undefined);
  assert.equal(parseOpenSshPublicKey('ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ'), undefined, 'type and blob disagree');
});
