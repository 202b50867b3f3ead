/**
 * `patchwarden advisories import` as users run it: a child process on the store of this test
 * pass, its summary on stdout, its exit status.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { advisoryQids } from '../../src/catalog/advisory-store.js';
import { readCatalogDefinition } from '../../src/catalog/catalog-store.js';
import { debianDla, debianDsa, updateinfoXml } from '../support/advisory-records.js';
import { openTestStore, testStore } from '../support/test-database.js';

const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function patchwarden(args: string[], dataDir: string, databaseUrl?: string): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  const result = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args, '--data-dir', dataDir, ...(databaseUrl ? ['--database-url', databaseUrl] : [])],
    { encoding: 'utf8', env, timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

it(`patchwarden advisories import prints a summary and imports incrementally (${testStore()})`, async (t) => {
  const { db, dataDir, databaseUrl } = await openTestStore(t, 'advisories-cli');
  const osv = join(dataDir, 'osv');
  mkdirSync(osv);
  writeFileSync(join(osv, 'DSA-5912-1.json'), JSON.stringify(debianDsa('DSA-5912-1', 'openssh', '1:9.2p1-2+deb12u6', ['CVE-2026-11111'])));
  writeFileSync(join(osv, 'DLA-4100-1.json'), JSON.stringify(debianDla('DLA-4100-1', 'openssl', '3.0.17-1~deb12u1', ['CVE-2026-20001'])));
  writeFileSync(join(osv, 'broken.json'), JSON.stringify({ summary: 'no id' }));

  const first = patchwarden(['advisories', 'import', 'osv', osv], dataDir, databaseUrl);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /^read 3: 2 new, 0 updated, 0 unchanged, 0 ignored, 1 invalid; 2 package fixes stored in [\d.]+ s$/m);
  assert.match(first.stdout, /^catalog definition is now 1\.0\.1$/m);
  assert.match(first.stdout, /skipped: .*broken\.json: an OSV record needs a string "id"/);
  assert.equal((await advisoryQids(db, ['DSA-5912-1', 'DLA-4100-1'])).size, 2);

  const again = patchwarden(['advisories', 'import', 'osv', osv, '--json'], dataDir, databaseUrl);
  assert.equal(again.status, 0, again.stderr);
  const summary = JSON.parse(again.stdout) as { unchanged: number; added: number; definitionVersion: string | null };
  assert.deepEqual([summary.added, summary.unchanged, summary.definitionVersion], [0, 2, null]);
  assert.equal((await readCatalogDefinition(db)).version, '1.0.1');

  const errata = join(dataDir, 'updateinfo.xml.gz');
  writeFileSync(errata, gzipSync(updateinfoXml([{
    id: 'ALSA-2026:1401', title: 'Moderate: tar security update', severity: 'Moderate', cves: ['CVE-2026-41003'], issued: '2026-04-01 00:00:00',
    packages: [{ name: 'tar', epoch: '2', version: '1.34', release: '7.el9', arch: 'x86_64' }],
  }])));
  const rpm = patchwarden(['advisories', 'import', 'updateinfo', errata, '--release', 'AlmaLinux:9'], dataDir, databaseUrl);
  assert.equal(rpm.status, 0, rpm.stderr);
  assert.match(rpm.stdout, /1 new/);

  const missing = patchwarden(['advisories', 'import', 'osv', join(dataDir, 'nowhere.zip')], dataDir, databaseUrl);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /patchwarden: .*nowhere\.zip cannot be read: ENOENT/);
  const wrongFeed = patchwarden(['advisories', 'import', 'oval', osv], dataDir, databaseUrl);
  assert.notEqual(wrongFeed.status, 0);
  assert.match(wrongFeed.stderr, /expected "osv" or "updateinfo"/);
  const releaseForOsv = patchwarden(['advisories', 'import', 'osv', osv, '--release', 'AlmaLinux:9'], dataDir, databaseUrl);
  assert.notEqual(releaseForOsv.status, 0);
  assert.match(releaseForOsv.stderr, /--release applies to updateinfo imports only/);
});
