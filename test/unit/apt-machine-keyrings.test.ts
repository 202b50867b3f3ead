import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { withMachineKeyrings } from '../../src/catalog/sources/apt-repo/machine-keyrings.js';
import { isEmbeddedKeyBlock, KeyringStore, readKeyringKeys } from '../../src/catalog/sources/apt-repo/release-signature.js';
import type { AptSourceEntry } from '../../src/catalog/sources/apt-repo/types.js';
import { requireOrSkip } from '../support/required-service.js';

const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

function entry(suite: string, signedBy?: string[]): AptSourceEntry {
  return { type: 'deb', uri: 'http://deb.debian.org/debian', suite, components: ['main'], signedBy, enabled: true, file: '/etc/apt/sources.list.d/debian.sources' };
}

test('a remote machine\'s sources are verified with the keyrings copied from it, never the console\'s files', async (t) => {
  if (!requireOrSkip(t, existsSync(KEYRING), `${KEYRING} (apt-get install debian-archive-keyring)`)) return;
  const bytes = readFileSync(KEYRING);
  const expectedKeys = (await readKeyringKeys(bytes, KEYRING)).map((key) => key.getFingerprint()).sort();
  const copied = [
    { path: '/usr/share/keyrings/only-on-the-machine.pgp', data: bytes.toString('base64') },
    { path: '/etc/apt/trusted.gpg.d/debian.gpg', data: bytes.toString('base64') },
  ];
  const result = await withMachineKeyrings([
    entry('trixie', ['/usr/share/keyrings/only-on-the-machine.pgp']),
    entry('trixie-updates', [KEYRING]), // exists on the console, but was not copied from the machine
    entry('bookworm'),
  ], copied);

  assert.deepEqual(result.entries.map((e) => e.suite), ['trixie', 'bookworm']);
  assert.deepEqual(result.errors, [
    `http://deb.debian.org/debian trixie-updates (/etc/apt/sources.list.d/debian.sources): keyring ${KEYRING} named in signed-by is not readable on the machine`,
  ]);
  const store = new KeyringStore();
  for (const rewritten of result.entries) {
    assert.ok(rewritten.signedBy!.every(isEmbeddedKeyBlock), `${rewritten.suite}: only embedded keys remain`);
    const keys = await store.keysFor(rewritten.signedBy, ['/nonexistent']);
    assert.deepEqual(keys.map((key) => key.getFingerprint()).sort(), expectedKeys, rewritten.suite);
  }
});

test('a machine with no trusted keyring cannot vouch for sources without signed-by', async () => {
  const result = await withMachineKeyrings([entry('bookworm'), { ...entry('local/'), trusted: true }], []);
  assert.deepEqual(result.entries.map((e) => e.suite), ['local/'], 'trusted=yes entries need no keys');
  assert.match(result.errors[0], /bookworm .*: the machine has no readable trusted apt keyring to verify it with$/);
});
