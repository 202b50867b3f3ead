/**
 * Authentication of the Security Controls console API, through real HTTP: HTTP Basic, bearer
 * tokens from `POST /auth`, and the 401 answers (JSON message + WWW-Authenticate) for every way
 * of getting it wrong.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ST, TEST_ADMIN_PASSWORD, startTestConsole, waitForOperation, type TestConsole } from '../support/console-fixture.js';
import { assertErrorResponse, assertScan, assertShape, basicAuth, createUser, listShape, scanShape, storedScanCounts } from '../support/st-wire-assertions.js';
import { TokenService } from '../../src/auth/tokens.js';
import { findUserByName } from '../../src/auth/users.js';
import { FULL_PATCH_SCAN_TEMPLATE_ID } from '../../src/scans/scan-templates.js';

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const OPERATOR_PASSWORD = 'another long passphrase';

let c: TestConsole;

before(async () => {
  c = await startTestConsole();
  await createUser(c.running, 'operator', OPERATOR_PASSWORD);
});

after(async () => {
  await c?.close();
});

/** Asks `POST /auth` for a token the way the Patch Management SDKs do (form fields). */
async function login(fields: Record<string, string>): Promise<{ status: number; contentType: string; text: string }> {
  const response = await fetch(new URL('/auth', c.url), { method: 'POST', body: new URLSearchParams(fields) });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

function assertUnauthorized(response: { status: number; headers: Headers; json: unknown; text: string }, ...patterns: RegExp[]): void {
  assertErrorResponse(response, 401, ...patterns);
  assert.match(response.headers.get('www-authenticate') ?? '', /^Basic realm="patchwarden"/);
}

describe('requests without usable credentials get 401 with a JSON message and WWW-Authenticate', () => {
  const scans = `${ST}/patch/scans`;

  it('no Authorization header, on every kind of route (including unknown ones)', async () => {
    for (const path of [scans, `${ST}/patch/scanTemplates`, `${ST}/configuration/version`, `${ST}/patch/productlevelgroups`,
      `${ST}/operations/01234567-89ab-cdef-0123-456789abcdef`, `${ST}/no/such/route`]) {
      assertUnauthorized(await c.request('GET', path, { auth: null }), /authentication required/);
    }
  });

  it('wrong password, unknown user, empty password', async () => {
    assertUnauthorized(await c.request('GET', scans, { auth: basicAuth('admin', 'wrong password') }), /invalid user name or password/);
    assertUnauthorized(await c.request('GET', scans, { auth: basicAuth('nobody', TEST_ADMIN_PASSWORD) }), /invalid user name or password/);
    assertUnauthorized(await c.request('GET', scans, { auth: basicAuth('admin', '') }), /invalid user name or password/);
    // A user name no account can have (PostgreSQL cannot even compare U+0000): still a plain 401.
    assertUnauthorized(await c.request('GET', scans, { auth: basicAuth('ad\u0000min', TEST_ADMIN_PASSWORD) }), /invalid user name or password/);
    // Another user's password does not open the admin account.
    assertUnauthorized(await c.request('GET', scans, { auth: basicAuth('admin', OPERATOR_PASSWORD) }), /invalid user name or password/);
  });

  it('malformed Basic credentials', async () => {
    for (const header of ['Basic', 'Basic ', `Basic ${Buffer.from('admin-without-colon').toString('base64')}`, 'Basic %%%not-base64%%%']) {
      assertUnauthorized(await c.request('GET', scans, { auth: header }), /malformed Basic credentials|invalid user name or password/);
    }
    assertUnauthorized(await c.request('GET', scans, { auth: `Basic ${Buffer.from('admin-without-colon').toString('base64')}` }), /malformed Basic credentials/);
  });

  it('an unknown scheme names the scheme', async () => {
    assertUnauthorized(await c.request('GET', scans, { auth: 'Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnag' }), /unsupported authorization scheme "negotiate"/);
    assertUnauthorized(await c.request('GET', scans, { auth: 'NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw==' }), /unsupported authorization scheme "ntlm"/);
    assertUnauthorized(await c.request('GET', scans, { auth: TEST_ADMIN_PASSWORD }), /unsupported authorization scheme/);
  });

  it('garbage, foreign-signed, expired, and orphaned bearer tokens', async () => {
    const admin = (await findUserByName(c.running.db, 'admin'))!;
    const otherDir = await mkdtemp(join(tmpdir(), 'patchwarden-foreign-key-'));
    let foreign: string;
    try {
      foreign = await (await TokenService.fromDataDir(otherDir)).issue(admin);
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
    const expired = await c.running.services.tokens.issue(admin, -10);
    const orphan = await c.running.services.tokens.issue({ id: 987_654, username: 'ghost', role: 'administrator' });
    const valid = await c.running.services.tokens.issue(admin);
    const [header, payload, signature] = valid.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: '2' })).toString('base64url')}.${signature}`;
    for (const token of ['', 'garbage', 'a.b.c', foreign, expired, orphan, tampered, `${valid}x`]) {
      assertUnauthorized(await c.request('GET', scans, { auth: `Bearer ${token}` }), /invalid or expired bearer token/);
    }
    // The untouched token works: the failures above are about the tokens, not the scheme.
    assert.equal((await c.request('GET', scans, { auth: `Bearer ${valid}` })).status, 200);
  });

  it('a refused request changes nothing', async () => {
    const before = await storedScanCounts(c.running);
    const refused = await c.request('POST', scans, {
      auth: basicAuth('admin', 'wrong'), body: { name: 'Should not exist', templateId: FULL_PATCH_SCAN_TEMPLATE_ID, endpointNames: ['remote-host.example'] },
    });
    assertUnauthorized(refused, /invalid user name or password/);
    const anonymous = await c.request('DELETE', `${scans}/01234567-89ab-cdef-0123-456789abcdef`, { auth: null });
    assertUnauthorized(anonymous);
    assert.deepEqual(await storedScanCounts(c.running), before);
  });
});

describe('accepted credentials', () => {
  it('HTTP Basic works, with the scheme in any case', async () => {
    for (const auth of [c.basicAuth, c.basicAuth.replace('Basic', 'basic'), c.basicAuth.replace('Basic', 'BASIC')]) {
      const response = await c.request('GET', `${ST}/patch/scans`, { auth });
      assert.equal(response.status, 200, response.text);
      assertShape(response.json, listShape(scanShape), 'scans');
    }
  });

  it('POST /auth answers 201 with exactly the JWT as text, and that token works as a Bearer', async () => {
    const answer = await login({ username: 'admin', password: TEST_ADMIN_PASSWORD, token: 'true', permissions: 'true' });
    assert.equal(answer.status, 201, answer.text);
    assert.match(answer.contentType, /^text\/plain/);
    assert.match(answer.text, JWT, 'the body is the bare token: three dot-separated base64url parts, no quotes, no newline');
    const claims = JSON.parse(Buffer.from(answer.text.split('.')[1], 'base64url').toString('utf8')) as { exp: number; iat: number; username: string };
    assert.equal(claims.username, 'admin');
    assert.ok(claims.exp > claims.iat);

    const list = await c.request('GET', `${ST}/patch/scans`, { auth: `Bearer ${answer.text}` });
    assert.equal(list.status, 200, list.text);
    assert.equal((await c.request('GET', `${ST}/patch/scans`, { auth: `bearer ${answer.text}` })).status, 200);
  });

  it('POST /auth refuses a wrong password (401) and missing fields (400), with JSON messages', async () => {
    for (const fields of [{ username: 'admin', password: 'nope' }, { username: 'ghost', password: TEST_ADMIN_PASSWORD }, { username: 'ad\u0000min', password: TEST_ADMIN_PASSWORD }]) {
      const answer = await login({ ...fields, token: 'true', permissions: 'true' });
      assert.equal(answer.status, 401);
      assert.match(answer.contentType, /^application\/json/);
      assert.match(JSON.parse(answer.text).message, /invalid user name or password/);
      assert.doesNotMatch(answer.text, JWT);
    }
    for (const fields of [{ username: 'admin' }, { password: TEST_ADMIN_PASSWORD }, {}] as Array<Record<string, string>>) {
      const answer = await login(fields);
      assert.equal(answer.status, 400);
      assert.match(JSON.parse(answer.text).message, /username and password/);
    }
  });

  it('GET /health answers anonymously', async () => {
    const response = await c.request('GET', '/health', { auth: null });
    assert.equal(response.status, 200);
    assert.deepEqual(response.json, { status: 'ok' });
  });

  it('the user of a scan is the caller, whichever way it authenticated', async () => {
    const token = (await login({ username: 'operator', password: OPERATOR_PASSWORD })).text;
    assert.match(token, JWT);
    const cases = [
      { auth: c.basicAuth, user: 'admin' },
      { auth: basicAuth('operator', OPERATOR_PASSWORD), user: 'operator' },
      { auth: `Bearer ${token}`, user: 'operator' },
    ];
    for (const { auth, user } of cases) {
      const started = await c.request('POST', `${ST}/patch/scans`, {
        auth, body: { name: `Scan by ${user}`, templateId: FULL_PATCH_SCAN_TEMPLATE_ID, endpointNames: ['remote-host.example'] },
      });
      assert.equal(started.status, 202, started.text);
      assertScan(started.json, c.url);
      assert.equal(started.json.user, user);
      await waitForOperation(c, started.headers.get('operation-location')!);
      // Read back by someone else: the user is stored, not taken from the reader.
      const other = user === 'admin' ? basicAuth('operator', OPERATOR_PASSWORD) : c.basicAuth;
      const read = await c.request('GET', `${ST}/patch/scans/${started.json.id}`, { auth: other });
      assert.equal(read.json.user, user);
    }
  });
});
