import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startTestConsole, ST, waitForOperation } from '../support/console-fixture.js';
import { FULL_PATCH_SCAN_TEMPLATE_ID } from '../../src/scans/scan-templates.js';

test('a machine recorded without an asset UUID gets one at its next scan and becomes a PM asset', { timeout: 300_000 }, async (t) => {
  const console_ = await startTestConsole();
  t.after(() => console_.close());
  const name = execFileSync('hostname', { encoding: 'utf8' }).trim();
  // As a machine scanned before the Patch Management API existed was stored.
  await console_.running.db.kysely.insertInto('machines').values({
    name, dns_name: null, domain: null, os_name: null, last_scanned_at: null, last_inventory: null,
    created_at: new Date(0).toISOString(), asset_uuid: null, os_identifier: null, architecture: null,
  }).execute();
  const started = await console_.request('POST', `${ST}/patch/scans`, {
    body: { name: 'backfill', templateId: FULL_PATCH_SCAN_TEMPLATE_ID, endpointNames: ['localhost'] },
  });
  assert.equal(started.status, 202, started.text);
  assert.equal((await waitForOperation(console_, started.headers.get('operation-location')!, 240_000)).status, 'Succeeded');
  const row = await console_.running.db.kysely.selectFrom('machines').select(['id', 'asset_uuid']).where('name', '=', name).executeTakeFirstOrThrow();
  assert.match(row.asset_uuid ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const token = (await console_.request('POST', '/auth', { rawBody: 'username=admin&password=correct+horse+battery+staple', headers: { 'content-type': 'application/x-www-form-urlencoded' }, auth: null })).text;
  const assets = await console_.request('POST', '/pm/v1/assets?platform=Linux', { auth: `Bearer ${token}` });
  assert.equal(assets.status, 200, assets.text);
  assert.deepEqual(assets.json.map((a: { id: string }) => a.id), [row.asset_uuid]);

  // A later scan keeps the same UUID.
  const again = await console_.request('POST', `${ST}/patch/scans`, {
    body: { name: 'again', templateId: FULL_PATCH_SCAN_TEMPLATE_ID, endpointNames: ['localhost'] },
  });
  await waitForOperation(console_, again.headers.get('operation-location')!, 240_000);
  const after = await console_.running.db.kysely.selectFrom('machines').select('asset_uuid').where('id', '=', row.id).executeTakeFirstOrThrow();
  assert.equal(after.asset_uuid, row.asset_uuid);
});
