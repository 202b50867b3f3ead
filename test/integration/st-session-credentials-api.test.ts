/**
 * Session credentials (`/sessioncredentials`) and the console certificate clients encrypt them
 * for (`GET /configuration/certificate`), over real HTTP: clear text and the encrypted password
 * object (RSA-OAEP-wrapped AES-128-CBC key; cipher text as base64 or a byte array), the 409/404
 * behaviour, per-user isolation, refused input, and no trace of a password on disk or in the store.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { ST, startTestConsole, type TestConsole } from '../support/console-fixture.js';
import { assertErrorResponse, assertShape, basicAuth, createUser } from '../support/st-wire-assertions.js';
import { certificateShape, sessionCredentialCreatedShape } from '../support/st-scan-resource-assertions.js';
import { testStore } from '../support/test-database.js';
import { encryptPasswordFor, type PasswordEncryptionOptions } from '../support/st-password-encryption.js';
import { SessionKey } from '../../src/scans/session-key.js';
import type { AuthenticatedUser } from '../../src/auth/users.js';

const PASSWORDS = ['Clear-Heron-7731', 'Encrypted-Ibis-\u00e9\u4e16-5512', 'Bytes-Avocet-2208', 'Sha256-Plover-9090', 'Operator-Crane-4141'];

let c: TestConsole;
let certificate: X509Certificate;
let admin: AuthenticatedUser;
let operator: AuthenticatedUser;
let operatorAuth: string;
const bodies: string[] = [];

async function call(method: string, path: string, options: { body?: unknown; auth?: string } = {}) {
  const response = await c.request(method, path, options);
  bodies.push(response.text);
  return response;
}

function encrypt(password: string, options: PasswordEncryptionOptions & { certificate?: X509Certificate } = {}) {
  return encryptPasswordFor(options.certificate ?? certificate, password, options);
}

async function expectStored(user: AuthenticatedUser, password: string | undefined): Promise<void> {
  const stored = c.running.services.sessionCredentials.get(user.id);
  assert.deepEqual(stored && { ...stored }, password === undefined ? undefined : { username: user.username, password });
}

before(async () => {
  c = await startTestConsole();
  admin = { id: (await c.running.db.kysely.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow()).id, username: 'admin', role: 'administrator' };
  operator = await createUser(c.running, 'operator', 'operator login pw');
  operatorAuth = basicAuth('operator', 'operator login pw');
});

after(async () => {
  await c?.close();
});

describe('GET /configuration/certificate', () => {
  it('answers the console\'s RSA certificate as base64 DER, the same every time and kept in the data directory (0600)', async () => {
    const response = await call('GET', `${ST}/configuration/certificate`);
    assert.equal(response.status, 200, response.text);
    assertShape(response.json, certificateShape, 'certificate');
    certificate = new X509Certificate(Buffer.from(response.json.derEncoded, 'base64'));
    assert.equal(certificate.publicKey.asymmetricKeyType, 'rsa');
    assert.ok((certificate.publicKey.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048);
    assert.ok(new Date(certificate.validTo) > new Date());
    const again = await call('GET', `${ST}/configuration/certificate`);
    assert.equal(again.json.derEncoded, response.json.derEncoded);
    const reopened = await SessionKey.fromDataDir(c.dataDir);
    assert.equal(reopened.certificateDerBase64(), response.json.derEncoded, 'created once, read back at the next start');
    assert.equal((await stat(join(c.dataDir, 'session-key.pem'))).mode & 0o777, 0o600);
    assert.equal((await c.request('GET', `${ST}/configuration/certificate`, { auth: null })).status, 401);
  });
});

describe('/sessioncredentials', () => {
  it('POST with clear text creates the caller\'s session credential: 201 {"created": true}', async () => {
    const response = await call('POST', `${ST}/sessioncredentials`, { body: { clearText: PASSWORDS[0], protectionMode: 'None' } });
    assert.equal(response.status, 201, response.text);
    assertShape(response.json, sessionCredentialCreatedShape, 'created');
    await expectStored(admin, PASSWORDS[0]);
  });

  it('POST again answers 409 and keeps the first one; DELETE then POST replaces it', async () => {
    const conflict = assertErrorResponse(await call('POST', `${ST}/sessioncredentials`, { body: { ClearText: 'other' } }), 409, /already exists/, /DELETE/);
    assert.equal(conflict.field, undefined);
    await expectStored(admin, PASSWORDS[0]);
    const deleted = await call('DELETE', `${ST}/sessioncredentials`);
    assert.equal(deleted.status, 204, deleted.text);
    await expectStored(admin, undefined);
    assertErrorResponse(await call('DELETE', `${ST}/sessioncredentials`), 404, /no session credential for admin/);
  });

  it('POST accepts the encrypted form: base64 cipher text, a byte array, and OAEP with SHA-256', async () => {
    for (const [password, options] of [[PASSWORDS[1], {}], [PASSWORDS[2], { bytes: true }], [PASSWORDS[3], { oaepHash: 'sha256' }]] as const) {
      const response = await call('POST', `${ST}/sessioncredentials`, { body: encrypt(password, options) });
      assert.equal(response.status, 201, response.text);
      assert.deepEqual(response.json, { created: true });
      await expectStored(admin, password);
      assert.equal((await call('DELETE', `${ST}/sessioncredentials`)).status, 204);
    }
  });

  it('keeps one session credential per user: another user\'s POST and DELETE do not touch the caller\'s', async () => {
    assert.equal((await call('POST', `${ST}/sessioncredentials`, { body: { clearText: PASSWORDS[0] } })).status, 201);
    assert.equal((await call('POST', `${ST}/sessioncredentials`, { body: encrypt(PASSWORDS[4]), auth: operatorAuth })).status, 201);
    await expectStored(operator, PASSWORDS[4]);
    assert.equal((await call('DELETE', `${ST}/sessioncredentials`, { auth: operatorAuth })).status, 204);
    await expectStored(operator, undefined);
    await expectStored(admin, PASSWORDS[0]);
    assertErrorResponse(await call('DELETE', `${ST}/sessioncredentials`, { auth: operatorAuth }), 404, /operator/);
  });

  it('refuses bad password objects with 400 naming the field, and stores nothing', async () => {
    const good = encrypt('x-password');
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const foreign = encrypt('x-password', { certificate: { publicKey: otherKey.publicKey } as unknown as X509Certificate });
    const wrongAes = encrypt('x-password');
    wrongAes.cipherText = Buffer.from('00112233445566778899aabbccddeeff', 'hex').toString('base64');
    const cases: Array<[unknown, string, RegExp]> = [
      [undefined, 'body', /password object/],
      [{}, 'clearText', /clearText .* is required/],
      [{ clearText: 42 }, 'clearText', /must be a string/],
      [{ clearText: '' }, 'clearText', /must not be empty/],
      [{ clearText: 'p'.repeat(8193) }, 'clearText', /at most 8192/],
      [{ clearText: 'a\u0000b' }, 'clearText', /NUL/],
      [{ clearText: 'a', cipherText: good.cipherText }, 'clearText', /not both/],
      [{ clearText: 'a', protectionMode: 'SessionKey' }, 'cipherText', /needs cipherText/],
      [{ ...good, protectionMode: 'Dpapi' }, 'protectionMode', /not supported/],
      [{ cipherText: good.cipherText }, 'sessionKey', /sessionKey is required/],
      [{ ...good, cipherText: 'not base64!' }, 'cipherText', /base64/],
      [{ ...good, cipherText: [1, 2, 300] }, 'cipherText', /cipherText\[2\] must be a byte value/],
      [{ ...good, cipherText: Buffer.alloc(15).toString('base64') }, 'cipherText', /multiple of 16/],
      [{ ...good, sessionKey: { ...good.sessionKey, algorithmIdentifier: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc' } }, 'sessionKey.algorithmIdentifier', /aes128-cbc/],
      [{ ...good, sessionKey: { ...good.sessionKey, iv: Buffer.alloc(8).toString('base64') } }, 'sessionKey.iv', /16 bytes/],
      [{ ...good, sessionKey: { ...good.sessionKey, iv: undefined } }, 'sessionKey.iv', /is required/],
      [{ ...good, sessionKey: { ...good.sessionKey, encryptedKey: Buffer.alloc(256, 7).toString('base64') } }, 'sessionKey.encryptedKey', /does not decrypt/],
      [foreign, 'sessionKey.encryptedKey', /GET \/configuration\/certificate/],
      [wrongAes, 'cipherText', /does not decrypt|not UTF-16LE/],
      [[1, 2], 'body', /password object/],
    ];
    for (const [body, field, pattern] of cases) {
      const error = assertErrorResponse(await call('POST', `${ST}/sessioncredentials`, { body, auth: operatorAuth }), 400, pattern);
      assert.equal(error.field, field, JSON.stringify(body)?.slice(0, 200));
      await expectStored(operator, undefined);
    }
  });

  it('never answers, writes to disk, or stores in the database any session password', async () => {
    const files = await filesUnder(c.dataDir);
    assert.ok(files.length > 0);
    const disk = Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
    const store = await storeText();
    for (const password of PASSWORDS) {
      for (const encoding of ['utf8', 'utf16le'] as const) assert.ok(!disk.includes(Buffer.from(password, encoding)), `${password} on disk (${encoding})`);
      assert.ok(!store.includes(password), `${password} in the ${testStore()} store`);
      for (const text of bodies) assert.ok(!text.includes(password), `a response carried ${password}`);
    }
  });
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : Promise.resolve([join(dir, e.name)]))));
  return nested.flat();
}

/** Every row of every table, as text (on SQLite the store's files are read above as well). */
async function storeText(): Promise<string> {
  const kysely = c.running.db.kysely;
  if (testStore() === 'sqlite') {
    const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(kysely);
    const parts: string[] = [];
    for (const { name } of tables.rows) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(kysely);
      for (const row of rows.rows) parts.push(JSON.stringify(row));
    }
    return parts.join('\n');
  }
  const tables = await sql<{ schema: string; name: string }>`select table_schema as schema, table_name as name from information_schema.tables
    where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`.execute(kysely);
  const parts: string[] = [];
  for (const { schema, name } of tables.rows) {
    const rows = await sql<{ row: string }>`select r::text as row from ${sql.table(`${schema}.${name}`)} as r`.execute(kysely);
    for (const { row } of rows.rows) parts.push(row);
  }
  return parts.join('\n');
}
