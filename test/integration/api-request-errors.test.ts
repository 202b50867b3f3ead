/**
 * Requests that go wrong before a route reads them, or in ways no single route owns, through real
 * HTTP: a path that is not valid percent-encoding, a path segment longer than the router takes,
 * a request head over the server's limit, a query string whose percent-encoding is not UTF-8, a
 * JSON body sent as text/plain, text holding half a UTF-16 surrogate pair, numbers past 2^53.
 * Each gets a 4xx in the error format of the API it was sent to — `{"_error": {...}}` under /pm,
 * `{"message": ...}` elsewhere — and none changes what is stored.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ST, startTestConsole, type TestConsole } from '../support/console-fixture.js';
import { assertPmError } from '../support/pm-job-assertions.js';
import { assertErrorResponse } from '../support/st-wire-assertions.js';
import { MAX_PATH_PARAMETER_LENGTH, MAX_REQUEST_HEAD_BYTES } from '../../src/api/request-line-errors.js';

/** A GET sent as is (no URL normalisation), for request heads larger than fetch would send. */
function rawGet(c: TestConsole, path: string): Promise<{ status: number; headers: Headers; json: unknown; text: string }> {
  const url = new URL(c.url);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: url.hostname, port: url.port, method: 'GET', path, headers: { authorization: c.basicAuth } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') headers.set(name, value);
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: response.statusCode ?? 0, headers, json, text });
      });
    });
    request.on('error', reject);
    request.end();
  });
}

describe('requests refused before any route reads them', () => {
  let c: TestConsole;
  let jobsBefore: unknown;

  const listJobs = async () => (await c.request('GET', '/pm/v1/deploymentjobs/summary?platform=Linux&pageSize=100')).json;

  before(async () => {
    c = await startTestConsole();
    const created = await c.request('POST', '/pm/v1/deploymentjob', {
      body: { name: 'Kept', platform: 'Linux', type: 'Install', scheduleType: 'On-demand', status: 'Disabled', timeout: -1 },
    });
    assert.equal(created.status, 201, created.text);
    jobsBefore = await listJobs();
  });

  after(async () => {
    // Nothing refused below may have changed the stored jobs.
    if (c) assert.deepEqual(await listJobs(), jobsBefore);
    await c?.close();
  });

  it('a path that is not valid percent-encoding: 400 in each API\'s own format', async () => {
    for (const bad of ['%ZZ', '%FF', '%C3']) {
      const pm = assertPmError(await c.request('GET', `/pm/v1/deploymentjob/${bad}/runs`), 400, /URL path is not valid percent-encoded UTF-8/);
      assert.equal(pm.errorCode, '1001');
      assertErrorResponse(await c.request('GET', `${ST}/patch/scans/${bad}`), 400, /URL path is not valid percent-encoded UTF-8/);
    }
  });

  it('a path segment longer than the router takes: 414 in the API\'s format; one at the limit reaches the route', async () => {
    const tooLong = 'a'.repeat(MAX_PATH_PARAMETER_LENGTH + 1);
    for (const path of [`/pm/v1/deploymentjob/${tooLong}/runs`, `/pm/v1/patchcatalog/patch/${tooLong}/products`]) {
      assert.equal(assertPmError(await c.request('GET', path), 414, /longer than 1,024 characters/).errorCode, '1001');
    }
    assertErrorResponse(await c.request('GET', `${ST}/patch/scans/${tooLong}`), 414, /longer than 1,024 characters/);
    const atLimit = 'a'.repeat(MAX_PATH_PARAMETER_LENGTH);
    assert.equal(assertPmError(await c.request('GET', `/pm/v1/deploymentjob/${atLimit}/runs`), 404).errorCode, '1404');
  });

  it('a GET whose QQL fills its 4,000 characters with non-ASCII letters is read; a head over the limit gets 431 in the API\'s format', async () => {
    // 3,000 × "é" percent-encoded is 18 KB of URL: over Node's default 16 KiB head.
    const long = await c.request('GET', `/pm/v1/patches/count?platform=Linux&query=${encodeURIComponent(`title:"${'é'.repeat(3000)}"`)}`);
    assert.equal(long.status, 200, long.text.slice(0, 300));
    assert.deepEqual(long.json, { patches: { count: 0 } });

    // Over the limit the path is never read, so the answer carries both formats: `_error` for
    // Patch Management clients, `message` for the others.
    const overLimit = 'x'.repeat(MAX_REQUEST_HEAD_BYTES + 1024);
    for (const path of [`/pm/v1/patches/count?platform=Linux&query=${overLimit}`, `${ST}/patch/scans?name=${overLimit}`]) {
      const response = await rawGet(c, path);
      assert.equal(response.status, 431, response.text);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const body = response.json as { _error: { errorCode: string; message: string; timestamp: number }; message: string };
      assert.deepEqual(Object.keys(body).sort(), ['_error', 'message']);
      assert.equal(body._error.errorCode, '1001');
      assert.match(body.message, /the request line and headers exceed 128 KiB/);
      assert.equal(body._error.message, body.message);
    }
    // The server still answers after closing those connections.
    assert.equal((await c.request('GET', '/health', { auth: null })).status, 200);
  });

  it('a query string whose percent-encoding is not UTF-8: 400 naming the parameter, not a QQL error about the raw text', async () => {
    const pm = assertPmError(await c.request('GET', '/pm/v1/patches/count?platform=Linux&query=title%3A%FF%FE'), 400, /^query parameter query is not valid percent-encoded UTF-8/);
    assert.equal(pm.errorCode, '1001');
    assert.equal(pm.field, 'query');
    assertPmError(await c.request('GET', '/pm/v1/deploymentjobs/summary?platform=Linux&filter=name%3A%C3'), 400, /query parameter filter is not valid/);
    const st = assertErrorResponse(await c.request('GET', `${ST}/patch/scans?name=%E2%82`), 400, /query parameter name is not valid percent-encoded UTF-8/);
    assert.equal(st.field, 'name');
    // Valid encodings, `+` for a space included, still go through.
    assert.equal((await c.request('GET', '/pm/v1/patches/count?platform=Linux&query=title%3A%22caf%C3%A9+au+lait%22')).status, 200);
    // Authentication comes first: without credentials the answer is 401 whatever the query says.
    assertPmError(await c.request('GET', '/pm/v1/patches/count?query=%FF', { auth: null }), 401);
  });

  it('a JSON body sent as text/plain gets the 415 every other non-JSON type gets', async () => {
    const response = await c.request('POST', '/pm/v2/patches?platform=Linux', { rawBody: '{"query":"isSecurity:true"}', headers: { 'content-type': 'text/plain' } });
    assert.equal(assertPmError(response, 415, /unsupported Content-Type "text\/plain"/).errorCode, '1415');
    assertPmError(await c.request('POST', '/pm/v1/deploymentjob', { rawBody: '{"name":"T"}', headers: { 'content-type': 'text/plain; charset=utf-8' } }), 415);
  });

  it('text holding half of a surrogate pair is refused, not stored as replacement characters', async () => {
    const job = { platform: 'Linux', type: 'Install', scheduleType: 'On-demand', status: 'Disabled', timeout: -1 };
    for (const name of ['\ud800', 'a\udc00b', 'x\ud83d']) {
      const error = assertPmError(await c.request('POST', '/pm/v1/deploymentjob', { body: { ...job, name } }), 400, /^name must be valid Unicode text; it holds an unpaired UTF-16 surrogate/);
      assert.equal(error.field, 'name');
    }
    assertPmError(await c.request('POST', '/pm/v1/deploymentjob', { body: { ...job, name: 'J', assetIds: ['\udfff'] } }), 400, /^assetIds\[0\] must be valid Unicode text/);
    // A whole pair is a character like any other.
    const created = await c.request('POST', '/pm/v1/deploymentjob', { body: { ...job, name: 'Deploy \ud83d\ude80' } });
    assert.equal(created.status, 201, created.text);
    const listed = await c.request('GET', `/pm/v1/deploymentjobs/summary?platform=Linux&filter=${encodeURIComponent(`id:${created.json.id}`)}`);
    assert.equal(listed.json[0].name, 'Deploy 🚀');
    await c.request('DELETE', '/pm/v1/deploymentjobs', { body: { ids: [created.json.id] } });
  });

  it('a whole number past 2^53 is out of range, and says so', async () => {
    const job = { name: 'J', platform: 'Linux', type: 'Install', scheduleType: 'On-demand', status: 'Disabled' };
    assertPmError(await c.request('POST', '/pm/v1/deploymentjob', {
      rawBody: JSON.stringify(job).replace('}', ',"timeout":1e20}'), headers: { 'content-type': 'application/json' },
    }), 400, /^timeout must be between -?\d+ and \d+; got 100000000000000000000$/);
    assertPmError(await c.request('GET', '/pm/v1/deploymentjobs/summary?platform=Linux&pageSize=99999999999999999999'), 400, /^pageSize must be between 1 and 10000/);
  });

  it('QQL over the engine\'s 4,000 characters gets the same 1002 answer however long it is, wherever it is sent', async () => {
    for (const length of [4001, 150_000, 1_100_000]) {
      const query = `title:${'a'.repeat(length - 6)}`;
      const error = assertPmError(await c.request('POST', '/pm/v2/patches?platform=Linux', { body: { query } }), 400, /at most 4000 characters/);
      assert.equal(error.errorCode, '1002', `${length} characters`);
      assert.equal(error.qql?.parameter, 'query');
      const job = { name: 'J', platform: 'Linux', type: 'Install', scheduleType: 'On-demand', status: 'Disabled', isDynamicPatchesQQL: true, dynamicQQLType: 1, dynamicPatchesQQL: query };
      const jobError = assertPmError(await c.request('POST', '/pm/v1/deploymentjob', { body: job }), 400, /at most 4000 characters/);
      assert.equal(jobError.errorCode, '1002', `job QQL of ${length} characters`);
    }
    const filter = assertPmError(await c.request('GET', `/pm/v1/deploymentjobs/summary?platform=Linux&filter=name%3A${'a'.repeat(5000)}`), 400, /at most 4000 characters/);
    assert.equal(filter.errorCode, '1002');
  });

  it('a path that exists under other methods: 405 with Allow in the API\'s format; an unknown path stays 404', async () => {
    const pm = await c.request('GET', '/pm/v1/deploymentjob');
    const pmError = assertPmError(pm, 405, /^GET is not allowed on \/pm\/v1\/deploymentjob; allowed: POST$/);
    assert.equal(pmError.errorCode, '1405');
    assert.equal(pm.headers.get('allow'), 'POST');
    // A path with parameters, the query string ignored; HEAD comes with every GET.
    const runs = await c.request('DELETE', '/pm/v1/deploymentjob/0c7c3d6a-0000-4000-8000-000000000001/runs?x=1');
    assert.equal(assertPmError(runs, 405).errorCode, '1405');
    assert.equal(runs.headers.get('allow'), 'GET, HEAD');
    // Two routes on one path (the listing and the older GET) answer together.
    const patches = await c.request('PUT', '/pm/v1/patches?platform=Linux');
    assertPmError(patches, 405);
    assert.equal(patches.headers.get('allow'), 'GET, HEAD');
    const st = await c.request('PATCH', `${ST}/patch/scans`);
    assertErrorResponse(st, 405, new RegExp(`^PATCH is not allowed on ${ST}/patch/scans; allowed: GET, HEAD, POST$`));
    assert.equal(st.headers.get('allow'), 'GET, HEAD, POST');
    const health = await c.request('POST', '/health', { auth: null });
    assert.equal(health.status, 405);
    assert.deepEqual(health.json, { message: 'POST is not allowed on /health; allowed: GET, HEAD' });
    assert.equal(health.headers.get('allow'), 'GET, HEAD');
    // Unknown paths, and the case and trailing slash the router forgives, as before.
    const unknown = await c.request('GET', '/pm/v1/no-such-thing');
    assert.equal(assertPmError(unknown, 404, /^no such resource: GET \/pm\/v1\/no-such-thing$/).errorCode, '1404');
    assert.equal(unknown.headers.get('allow'), null);
    assert.equal((await c.request('GET', '/PM/V1/DeploymentJob/')).headers.get('allow'), 'POST');
    assertErrorResponse(await c.request('GET', `${ST}/nothing-here`), 404, /^no such resource/);
    // Authentication still comes first.
    assertPmError(await c.request('GET', '/pm/v1/deploymentjob', { auth: null }), 401);
  });

  it('a bad QQL answer carries a timestamp like every other _error', async () => {
    const before = Date.now();
    const error = assertPmError(await c.request('GET', '/pm/v1/patches/count?platform=Linux&query=foo'), 400);
    assert.equal(error.errorCode, '1002');
    assert.ok(typeof error.timestamp === 'number' && error.timestamp >= before && error.timestamp <= Date.now(), `timestamp ${error.timestamp}`);
  });
});
