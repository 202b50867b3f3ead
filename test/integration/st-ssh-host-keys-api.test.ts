import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { startTestConsole, ST } from '../support/console-fixture.js';

/** An OpenSSH ed25519 public key line and its SHA256 fingerprint, built from a fresh key pair. */
function ed25519PublicKey(): { line: string; fingerprint: string } {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const field = (data: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, data.length]), data]);
  const blob = Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]);
  return {
    line: `ssh-ed25519 ${blob.toString('base64')} root@web01`,
    fingerprint: `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`,
  };
}

test('/sshhostkeys: trust by public key, list, replace, forget; bad input answers 4xx in the ST format', async (t) => {
  const console_ = await startTestConsole();
  t.after(() => console_.close());
  const first = ed25519PublicKey();

  const trusted = await console_.request('POST', `${ST}/sshhostkeys`, { body: { Endpoint: 'Web01.example.com:2222', publicKey: first.line } });
  assert.equal(trusted.status, 200, trusted.text);
  assert.equal(trusted.json.endpoint, 'web01.example.com:2222');
  assert.equal(trusted.json.fingerprint, first.fingerprint);
  assert.equal(trusted.json.trusted, true);
  assert.equal(trusted.json.publicKey, first.line.split(' ').slice(0, 2).join(' '));
  assert.equal(new URL(trusted.json.links.self.href).pathname, `${ST}/sshhostkeys/${trusted.json.id}`);

  // A new key of the same type for the endpoint replaces the trust of the old one.
  const second = ed25519PublicKey();
  const replaced = await console_.request('POST', `${ST}/sshhostkeys`, { body: { endpoint: 'web01.example.com:2222', publicKey: second.line } });
  assert.equal(replaced.status, 200, replaced.text);
  const listed = await console_.request('GET', `${ST}/sshhostkeys?endpoint=WEB01.example.com:2222`);
  assert.deepEqual(listed.json.value.map((k: any) => [k.fingerprint, k.trusted]), [[first.fingerprint, false], [second.fingerprint, true]]);
  const one = await console_.request('GET', `${ST}/sshhostkeys/${trusted.json.id}`);
  assert.equal(one.json.trusted, false);

  const bad: Array<[unknown, number, string]> = [
    [{ fingerprint: first.fingerprint }, 400, 'endpoint'],
    [{ endpoint: 'web01:99999', fingerprint: first.fingerprint }, 400, 'endpoint'],
    [{ endpoint: 'web01' }, 400, 'fingerprint'],
    [{ endpoint: 'web01', fingerprint: 'MD5:aa:bb' }, 400, 'fingerprint'],
    [{ endpoint: 'web01', publicKey: 'ssh-ed25519 garbage' }, 400, 'publicKey'],
    [{ endpoint: 'web01', fingerprint: second.fingerprint, publicKey: first.line }, 400, 'fingerprint'],
    [{ endpoint: 'web01', fingerprint: first.fingerprint }, 404, 'fingerprint'], // never seen at that endpoint
  ];
  for (const [body, status, field] of bad) {
    const response = await console_.request('POST', `${ST}/sshhostkeys`, { body });
    assert.equal(response.status, status, `${JSON.stringify(body)}: ${response.text}`);
    assert.equal(response.json.field, field, JSON.stringify(body));
    assert.equal(typeof response.json.message, 'string');
  }
  assert.equal((await console_.request('GET', `${ST}/sshhostkeys/999999`)).status, 404);
  assert.equal((await console_.request('GET', `${ST}/sshhostkeys/abc`)).status, 400);
  assert.equal((await console_.request('GET', `${ST}/sshhostkeys`, { auth: null })).status, 401);
  assert.equal((await console_.request('DELETE', `${ST}/sshhostkeys/999999`)).status, 404);

  assert.equal((await console_.request('DELETE', `${ST}/sshhostkeys/${trusted.json.id}`)).status, 204);
  const after = await console_.request('GET', `${ST}/sshhostkeys`);
  assert.deepEqual(after.json.value.map((k: any) => k.fingerprint), [second.fingerprint]);
});
