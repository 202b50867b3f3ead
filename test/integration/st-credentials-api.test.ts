/**
 * Stored credentials (`/credentials`) through the Security Controls console API over real HTTP:
 * the create/list/get/replace/delete flow with strict shapes, refused input, isolation between
 * users, and the acceptance check that passwords exist only encrypted: never in any table of
 * the store, never in any response, yet recoverable by the service for the collector.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { ST, startTestConsole, type TestConsole } from '../support/console-fixture.js';
import {
  assertErrorResponse, assertLink, assertShape, bool, createUser, basicAuth, guid, href, listShape, nonEmptyStr, object, pathOf, str,
  arrayOf, type Shape,
} from '../support/st-wire-assertions.js';
import { testStore } from '../support/test-database.js';
import { encryptPasswordFor } from '../support/st-password-encryption.js';
import { SecretDecryptionError } from '../../src/secrets/secret-cipher.js';
import { findUserByName } from '../../src/auth/users.js';

interface CredentialWire {
  id: string;
  links: { self: { href: string } };
  name: string;
  ownerName: string;
  sharedWith: string[];
  sharedWithService: boolean;
  username: string;
}

const credentialShape: Shape = object({
  id: guid,
  links: object({ self: href }),
  name: nonEmptyStr,
  ownerName: nonEmptyStr,
  sharedWith: arrayOf(str),
  sharedWithService: bool,
  username: nonEmptyStr,
});

function assertCredential(value: unknown, consoleUrl: string): asserts value is CredentialWire {
  assertShape(value, credentialShape, 'credential');
  const credential = value as CredentialWire;
  assertLink(credential.links.self, consoleUrl, `credentials/${credential.id}`);
  assert.deepEqual(credential.sharedWith, []);
  assert.equal(credential.sharedWithService, false);
}

/** Fails when any object anywhere in `value` has a key named like "password". */
function assertNoPasswordKey(value: unknown, path = '$'): void {
  if (Array.isArray(value)) value.forEach((item, i) => assertNoPasswordKey(item, `${path}[${i}]`));
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      assert.ok(!/password/i.test(key), `${path}.${key}: a response must never carry a password field`);
      assertNoPasswordKey(inner, `${path}.${key}`);
    }
  }
}

// Distinctive, so a hit in the store or a response cannot be a coincidence.
const PASSWORDS = ['Zq7-kestrel-PLAINTEXT-9931', 'wombat\u00e9 spaced  pw 4477', 'Replaced-Osprey-8812', 'x'.repeat(8191) + 'Y',
  'Encrypted-Shrike-\u00e9\u4e16-6620', 'Bytes-Harrier-3307', 'Replaced-Encrypted-Merlin-1144'];
const SECOND_USER_PASSWORD = 'Other-User-Secret-5150';

let c: TestConsole;
const responseBodies: string[] = [];
let otherAuth: string;

async function call(method: string, path: string, options: { body?: unknown; auth?: string; rawBody?: string } = {}) {
  const response = await c.request(method, path, options);
  responseBodies.push(response.text);
  assertNoPasswordKey(response.json);
  return response;
}

async function create(body: unknown, auth?: string): Promise<CredentialWire> {
  const response = await call('POST', `${ST}/credentials`, { body, auth });
  assert.equal(response.status, 201, response.text);
  assertCredential(response.json, c.url);
  return response.json;
}

before(async () => {
  c = await startTestConsole();
  await createUser(c.running, 'operator2', 'second user login password');
  otherAuth = basicAuth('operator2', 'second user login password');
});

after(async () => {
  await c?.close();
});

describe('/credentials', () => {
  let first: CredentialWire;

  it('POST creates a credential (documented body) and answers it without the password', async () => {
    first = await create({ name: 'Sample Credential', userName: 'Admin', password: { ClearText: PASSWORDS[0] } });
    assert.equal(first.name, 'Sample Credential');
    assert.equal(first.username, 'Admin');
    assert.equal(first.ownerName, 'admin');
  });

  it('POST accepts keys in any case ("username", "clearText", "NAME")', async () => {
    const credential = await create({ NAME: 'lower-case keys', username: 'root', PASSWORD: { clearText: PASSWORDS[1] } });
    assert.equal(credential.username, 'root');
    assert.equal(credential.name, 'lower-case keys');
    await create({ name: 'longest password', userName: 'svc', password: { clearText: PASSWORDS[3] } });
  });

  it('GET /credentials/{id} answers the credential, also by its self link', async () => {
    const response = await call('GET', pathOf(first.links.self));
    assert.equal(response.status, 200, response.text);
    assertCredential(response.json, c.url);
    assert.deepEqual(response.json, first);
    const upper = await call('GET', `${ST}/credentials/${first.id.toUpperCase()}`);
    assert.equal(upper.status, 200);
    assert.deepEqual(upper.json, first);
  });

  it('GET /credentials/{name} answers the caller\'s credential of that name (the documented lookup by name)', async () => {
    const byName = await call('GET', `${ST}/credentials/${encodeURIComponent(first.name)}`);
    assert.equal(byName.status, 200, byName.text);
    assert.deepEqual(byName.json, first);
    const other = await call('GET', `${ST}/credentials/${encodeURIComponent('lower-case keys')}`);
    assert.equal(other.status, 200, other.text);
    assert.equal(other.json.name, 'lower-case keys');
    assert.notEqual(other.json.id, first.id);
    // Names match exactly: another case is another name.
    assertErrorResponse(await call('GET', `${ST}/credentials/${encodeURIComponent(first.name.toUpperCase())}`), 404, /no credential named/);
  });

  it('GET /credentials lists them in pages with a next link only while more follow, and filters by name', async () => {
    const all = await call('GET', `${ST}/credentials`);
    assert.equal(all.status, 200, all.text);
    assertShape(all.json, listShape(credentialShape, false), 'credentials');
    assert.deepEqual(all.json.value.map((x: CredentialWire) => x.name).sort(), ['Sample Credential', 'longest password', 'lower-case keys'].sort());
    for (const item of all.json.value) assertCredential(item, c.url);

    const page1 = await call('GET', `${ST}/credentials?count=2`);
    assertShape(page1.json, listShape(credentialShape, true), 'page1');
    assert.equal(page1.json.count, 2);
    const page2 = await call('GET', pathOf(page1.json.links.next));
    assertShape(page2.json, listShape(credentialShape, false), 'page2');
    assert.equal(page2.json.count, 1);
    const ids = [...page1.json.value, ...page2.json.value].map((x: CredentialWire) => x.id);
    assert.equal(new Set(ids).size, 3);

    const byName = await call('GET', `${ST}/credentials?name=${encodeURIComponent('Sample Credential')}`);
    assertShape(byName.json, listShape(credentialShape, false), 'byName');
    assert.deepEqual(byName.json.value, [first]);
    const none = await call('GET', `${ST}/credentials?name=nothing-like-this`);
    assert.deepEqual(none.json.value, []);
  });

  it('POST with a name the owner already uses answers 409', async () => {
    const response = await call('POST', `${ST}/credentials`, { body: { name: 'Sample Credential', userName: 'x', password: { clearText: 'p' } } });
    assertErrorResponse(response, 409, /already exists/);
  });

  it('PUT replaces name and user name, keeping the password when none is sent', async () => {
    const response = await call('PUT', pathOf(first.links.self), { body: { name: 'Renamed', userName: 'Administrator' } });
    assert.equal(response.status, 200, response.text);
    assertCredential(response.json, c.url);
    assert.equal(response.json.id, first.id);
    assert.equal(response.json.name, 'Renamed');
    assert.equal(response.json.username, 'Administrator');
    assert.equal(await c.running.services.credentials.decryptPassword(first.id), PASSWORDS[0]);
    const read = await call('GET', pathOf(first.links.self));
    assert.deepEqual(read.json, response.json);
  });

  it('PUT with a password replaces it; PUT to a name already taken answers 409', async () => {
    const response = await call('PUT', pathOf(first.links.self), { body: { name: 'Renamed', username: 'Administrator', password: { clearText: PASSWORDS[2] } } });
    assert.equal(response.status, 200, response.text);
    assert.equal(await c.running.services.credentials.decryptPassword(first.id), PASSWORDS[2]);
    const taken = await call('PUT', pathOf(first.links.self), { body: { name: 'lower-case keys', userName: 'a' } });
    assertErrorResponse(taken, 409, /already exists/);
  });

  it('POST and PUT accept the password encrypted for the console certificate (base64 or a byte array)', async () => {
    const certificateResponse = await call('GET', `${ST}/configuration/certificate`);
    assert.equal(certificateResponse.status, 200, certificateResponse.text);
    const certificate = new X509Certificate(Buffer.from(certificateResponse.json.derEncoded, 'base64'));
    const encrypted = await create({ name: 'encrypted', userName: 'svc', password: encryptPasswordFor(certificate, PASSWORDS[4]) });
    assert.equal(await c.running.services.credentials.decryptPassword(encrypted.id), PASSWORDS[4]);
    const bytes = await create({ name: 'encrypted bytes', userName: 'svc', password: encryptPasswordFor(certificate, PASSWORDS[5], { bytes: true }) });
    assert.equal(await c.running.services.credentials.decryptPassword(bytes.id), PASSWORDS[5]);
    const replaced = await call('PUT', pathOf(encrypted.links.self), { body: { name: 'encrypted', userName: 'svc', password: encryptPasswordFor(certificate, PASSWORDS[6]) } });
    assert.equal(replaced.status, 200, replaced.text);
    assert.equal(await c.running.services.credentials.decryptPassword(encrypted.id), PASSWORDS[6]);
    // A key wrapped for another certificate is refused, and the stored password stays as it was.
    const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const refused = await call('PUT', pathOf(encrypted.links.self), { body: { name: 'encrypted', userName: 'svc', password: encryptPasswordFor({ publicKey: foreign.publicKey }, 'never-stored') } });
    assert.equal(assertErrorResponse(refused, 400, /configuration\/certificate/).field, 'password.sessionKey.encryptedKey');
    assert.equal(await c.running.services.credentials.decryptPassword(encrypted.id), PASSWORDS[6]);
    for (const id of [encrypted.id, bytes.id]) assert.equal((await call('DELETE', `${ST}/credentials/${id}`)).status, 204);
  });

  it('refuses bad input with 400 and the field at fault', async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{ userName: 'a', password: { clearText: 'p' } }, 'name', /name is required/],
      [{ name: '  ', userName: 'a', password: { clearText: 'p' } }, 'name', /must not be empty/],
      [{ name: 'n'.repeat(256), userName: 'a', password: { clearText: 'p' } }, 'name', /at most 255/],
      [{ name: 'n', password: { clearText: 'p' } }, 'userName', /userName is required/],
      [{ name: 'n', userName: 'u'.repeat(256), password: { clearText: 'p' } }, 'userName', /at most 255/],
      [{ name: 'n', userName: 'a' }, 'password', /password is required/],
      [{ name: 'n', userName: 'a', password: 'plain' }, 'password', /must be a password object/],
      [{ name: 'n', userName: 'a', password: {} }, 'password.clearText', /clearText \(or password.cipherText with password.sessionKey\) is required/],
      [{ name: 'n', userName: 'a', password: { clearText: '' } }, 'password.clearText', /must not be empty/],
      [{ name: 'n', userName: 'a', password: { clearText: 'p'.repeat(8193) } }, 'password.clearText', /at most 8192/],
      [{ name: 'n', userName: 'a', password: { clearText: 42 } }, 'password.clearText', /must be a string/],
      [{ name: 'n', userName: 'a', password: { cipherText: 'AAAA', protectionMode: 'SessionKey', sessionKey: { encryptedKey: 'x', iv: 'y' } } },
        'password.sessionKey.encryptedKey', /base64/],
      [{ name: 'n', userName: 'a', password: { cipherText: 'AAAA' } }, 'password.sessionKey', /sessionKey is required/],
      [{ name: 'n', userName: 'a', password: { clearText: 'p', cipherText: 'AAAA' } }, 'password.clearText', /not both/],
      [[1, 2], 'body', /JSON object/],
    ];
    for (const [body, field, pattern] of cases) {
      const error = assertErrorResponse(await call('POST', `${ST}/credentials`, { body }), 400, pattern);
      assert.equal(error.field, field, JSON.stringify(body));
    }
    assertErrorResponse(await call('PUT', pathOf(first.links.self), { body: { name: 'x', userName: 'y', password: { clearText: '' } } }), 400, /must not be empty/);
    assertErrorResponse(await call('GET', `${ST}/credentials?count=0`), 400, /count/);
    assertErrorResponse(await call('GET', `${ST}/credentials?count=1001`), 400, /count/);
    assertErrorResponse(await call('GET', `${ST}/credentials/not-a-name-of-mine`), 404, /no credential named "not-a-name-of-mine"/);
    assertErrorResponse(await call('PUT', `${ST}/credentials/not-a-guid`, { body: { name: 'a', userName: 'b' } }), 400, /GUID/);
    assertErrorResponse(await call('DELETE', `${ST}/credentials/not-a-guid`), 400, /GUID/);
    const unknown = '0123abcd-0000-4000-8000-000000000000';
    assertErrorResponse(await call('GET', `${ST}/credentials/${unknown}`), 404, /does not exist/);
    assertErrorResponse(await call('PUT', `${ST}/credentials/${unknown}`, { body: { name: 'a', userName: 'b' } }), 404, /does not exist/);
    assertErrorResponse(await call('DELETE', `${ST}/credentials/${unknown}`), 404, /does not exist/);
    const unauthenticated = await c.request('GET', `${ST}/credentials`, { auth: null });
    assert.equal(unauthenticated.status, 401);
  });

  it('another user sees none of them (404), may reuse their names, and cannot change or delete them', async () => {
    const list = await call('GET', `${ST}/credentials`, { auth: otherAuth });
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.json.value, []);
    assertErrorResponse(await call('GET', pathOf(first.links.self), { auth: otherAuth }), 404, /does not exist/);
    assertErrorResponse(await call('PUT', pathOf(first.links.self), { auth: otherAuth, body: { name: 'mine', userName: 'me' } }), 404);
    assertErrorResponse(await call('DELETE', pathOf(first.links.self), { auth: otherAuth }), 404);
    const theirs = await create({ name: 'Renamed', userName: 'other', password: { clearText: SECOND_USER_PASSWORD } }, otherAuth);
    assert.equal(theirs.ownerName, 'operator2');
    const mine = await call('GET', `${ST}/credentials?name=Renamed`);
    assert.deepEqual(mine.json.value.map((x: CredentialWire) => x.id), [first.id]);
    const admin = await findUserByName(c.running.db, 'admin');
    assert.ok(admin);
    await assert.rejects(c.running.services.credentials.decryptPassword(theirs.id, admin), /does not exist/);
    assert.equal(await c.running.services.credentials.decryptPassword(theirs.id), SECOND_USER_PASSWORD);
  });

  it('stores passwords only encrypted: no table of the store holds any of them in clear text', async () => {
    const dump = await dumpStore(c);
    assert.ok(dump.includes('lower-case keys') && dump.includes('operator2'), 'the dump reads the credentials table');
    assert.ok(dump.includes('pwsec1:'), 'the dump holds the encrypted passwords');
    for (const password of [...PASSWORDS, SECOND_USER_PASSWORD]) {
      assert.ok(!dump.includes(password), `a password appears in clear text in the ${testStore()} store`);
    }
    // The pieces that are not whole passwords: a long run of one character is not distinctive.
    for (const fragment of ['kestrel-PLAINTEXT', 'wombat', 'Osprey', 'Other-User-Secret']) assert.ok(!dump.includes(fragment), fragment);
  });

  it('the service decrypts a password for its own row only: a ciphertext copied to another row does not decrypt', async () => {
    const all = await call('GET', `${ST}/credentials?count=1000`);
    const other = all.json.value.find((x: CredentialWire) => x.name === 'lower-case keys') as CredentialWire;
    assert.equal(await c.running.services.credentials.decryptPassword(other.id), PASSWORDS[1]);
    const kysely = c.running.db.kysely;
    const source = await kysely.selectFrom('credentials').select('encrypted_password').where('id', '=', first.id).executeTakeFirstOrThrow();
    await kysely.updateTable('credentials').set({ encrypted_password: source.encrypted_password }).where('id', '=', other.id).execute();
    await assert.rejects(c.running.services.credentials.decryptPassword(other.id), SecretDecryptionError);
    assert.equal(await c.running.services.credentials.decryptPassword(first.id), PASSWORDS[2]);
  });

  it('DELETE removes a credential (204), after which it is gone', async () => {
    const response = await call('DELETE', pathOf(first.links.self));
    assert.equal(response.status, 204, response.text);
    assert.equal(response.text, '');
    assertErrorResponse(await call('GET', pathOf(first.links.self)), 404);
    assertErrorResponse(await call('DELETE', pathOf(first.links.self)), 404);
    const list = await call('GET', `${ST}/credentials`);
    assert.ok(!list.json.value.some((x: CredentialWire) => x.id === first.id));
  });

  it('no response body of this suite ever carried a password', () => {
    assert.ok(responseBodies.length > 40, `checked ${responseBodies.length} bodies`);
    for (const text of responseBodies) {
      for (const password of [...PASSWORDS, SECOND_USER_PASSWORD]) assert.ok(!text.includes(password), `a response carried a password: ${text.slice(0, 200)}`);
    }
  });
});

/** Every row of every table as text, read straight from the store (not through the service). */
async function dumpStore(console_: TestConsole): Promise<string> {
  const parts: string[] = [];
  if (testStore() === 'sqlite') {
    const database = new SQLite(join(console_.dataDir, 'patchwarden.sqlite'), { readonly: true, fileMustExist: true });
    try {
      const tables = database.prepare("select name from sqlite_master where type = 'table'").all() as Array<{ name: string }>;
      assert.ok(tables.some((t) => t.name === 'credentials'));
      for (const { name } of tables) {
        for (const row of database.prepare(`select * from "${name.replaceAll('"', '""')}"`).all() as Array<Record<string, unknown>>) {
          for (const value of Object.values(row)) {
            if (typeof value === 'string') parts.push(value);
            else if (Buffer.isBuffer(value)) parts.push(value.toString('utf8'), value.toString('latin1'));
            else if (value !== null) parts.push(String(value));
          }
        }
      }
    } finally {
      database.close();
    }
  } else {
    const kysely = console_.running.db.kysely;
    const tables = await sql<{ schema: string; name: string }>`select table_schema as schema, table_name as name from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`.execute(kysely);
    assert.ok(tables.rows.some((t) => t.name === 'credentials'));
    for (const { schema, name } of tables.rows) {
      const rows = await sql<{ row: string }>`select r::text as row from ${sql.table(`${schema}.${name}`)} as r`.execute(kysely);
      for (const { row } of rows.rows) parts.push(row);
    }
  }
  return parts.join('\n');
}
