/**
 * The Patch Management API's patches, assets, counts, QID lookup, asset UUIDs and patch catalog,
 * through real HTTP on both stores: every request shape qualysdk sends (no body at all, empty
 * body, QQL in the body or the query string, `attributes`, title-case platforms, the Windows
 * default query, bare JSON arrays), strict response shapes, QQL semantics against a known fleet,
 * search-after paging by header (more than a page, an exact multiple, the 10,000-record limit),
 * and clear 4xx answers in the `_error` format.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestConsole, type TestConsole } from '../support/console-fixture.js';
import {
  assertAssets, assertCatalogPatches, assertCount, assertPatches, assertPmError, assertQqlError, assertVulnerabilities,
  fixturePatchId, insertAssets, insertPatches, pageThrough,
} from '../support/pm-patch-asset-assertions.js';
import { recountPatchStatus } from '../../src/scans/patch-status-counts.js';

const PATCHES = '/pm/v2/patches';
const ASSETS = '/pm/v1/assets';

describe('PM patches and assets of a known fleet', () => {
  let c: TestConsole;
  const id = {
    openssl: fixturePatchId('openssl', '1.0-1'), curl: fixturePatchId('curl', '1.0-1'), linux: fixturePatchId('linux', '1.0-1'),
    tzdata: fixturePatchId('tzdata', '1.0-1'), bash: fixturePatchId('bash', '1.0-1'), vim: fixturePatchId('vim', '1.0-1'),
  };
  let machines: Record<'web1' | 'web2' | 'db1', { machineId: number; assetUuid: string }>;

  /** Sorted patch ids of a `POST /pm/v2/patches` answer (checked strictly first). */
  async function patchIds(body: unknown, query = 'platform=Linux'): Promise<string[]> {
    const response = await c.request('POST', `${PATCHES}?${query}`, { body });
    assert.equal(response.status, 200, response.text);
    assertPatches(response.json);
    return response.json.map((p) => p.id as string).sort();
  }

  async function assetNames(body: unknown, query = 'platform=Linux'): Promise<string[]> {
    const response = await c.request('POST', `${ASSETS}?${query}`, { body });
    assert.equal(response.status, 200, response.text);
    assertAssets(response.json);
    return response.json.map((a) => a.name as string).sort();
  }

  const ids = (...names: Array<keyof typeof id>) => names.map((name) => id[name]).sort();

  before(async () => {
    c = await startTestConsole();
    await insertPatches(c.running, [
      { source: 'openssl', severity: 'Critical', cves: ['CVE-2024-0001', 'CVE-2024-0002'], qids: [100001], publishedMs: Date.UTC(2024, 5, 1),
        packages: [{ packageName: 'libssl3', architecture: 'amd64' }, { packageName: 'libssl3', architecture: 'i386' }] },
      { source: 'curl', severity: 'Important', cves: ['CVE-2024-0003'], publishedMs: Date.UTC(2024, 8, 1),
        packages: [{ packageName: 'curl', architecture: 'amd64' }, { packageName: 'libcurl4', architecture: 'amd64' }] },
      { source: 'linux', severity: 'Critical', cves: ['CVE-2024-0004'], qids: [100002, 100003], rebootRequired: true, publishedMs: Date.UTC(2025, 0, 10),
        packages: [{ packageName: 'linux-image-amd64', architecture: 'amd64' }] },
      { source: 'tzdata', security: false, publishedMs: Date.UTC(2025, 1, 1), packages: [{ packageName: 'tzdata', architecture: 'all' }] },
      { source: 'bash', severity: 'Low', cves: ['CVE-2023-0005'], publishedMs: Date.UTC(2023, 4, 1) },
      { source: 'vim', severity: 'Moderate', cves: ['CVE-2024-0006'], publishedMs: Date.UTC(2024, 10, 1) },
    ]);
    const [web1, web2, db1] = await insertAssets(c.running, [
      { name: 'web1', patches: { [id.openssl]: 'Missing', [id.curl]: 'Installed', [id.linux]: 'InstalledPendingReboot', [id.tzdata]: 'Missing' } },
      { name: 'web2', patches: { [id.openssl]: 'Missing', [id.curl]: 'Missing', [id.bash]: 'Installed' } },
      { name: 'db1', os: 'Ubuntu 24.04.1 LTS', osIdentifier: 'ubuntu:24.04', architecture: 'arm64', scannedAt: '2025-03-01T08:30:00.000Z',
        patches: { [id.tzdata]: 'Installed', [id.bash]: 'Installed' } },
    ]);
    machines = { web1, web2, db1 };
    await c.running.db.kysely.insertInto('vulnerabilities').values([
      { qid: 100001, title: 'OpenSSL buffer overflow', severity: 5, vuln_type: 'VULNERABILITY', detected_ms: Date.UTC(2024, 5, 2), cves: JSON.stringify(['CVE-2024-0001', 'CVE-2024-0002']) },
      { qid: 100002, title: 'Linux kernel use-after-free', severity: 4, vuln_type: 'POTENTIAL', detected_ms: null, cves: '[]' },
    ]).execute();
  });

  after(async () => {
    await c?.close();
  });

  describe('POST /pm/v2/patches', () => {
    it('answers a POST with no body at all (what the SDK sends without kwargs) with every patch, strictly shaped, with live counts', async () => {
      const response = await c.request('POST', `${PATCHES}?pageSize=1000&platform=Linux`);
      assert.equal(response.status, 200, response.text);
      assertPatches(response.json);
      assert.equal(response.json.length, 6);
      assert.deepEqual(response.json.map((p) => p.id), [...Object.values(id)].sort(), 'in id order');
      assert.equal(response.headers.get('searchafter'), null, 'a short page carries no searchAfter');
      const byId = new Map(response.json.map((p) => [p.id, p]));
      const counts = Object.fromEntries(Object.entries(id).map(([name, patchId]) => [name, [byId.get(patchId)!.missingCount, byId.get(patchId)!.installedCount]]));
      assert.deepEqual(counts, { openssl: [2, 0], curl: [1, 1], linux: [0, 1], tzdata: [1, 1], bash: [0, 2], vim: [0, 0] },
        'missingCount/installedCount count the assets in each state (pending reboot counts as installed)');
      const openssl = byId.get(id.openssl)!;
      assert.equal(openssl.title, 'openssl 1.0-1 security update for bookworm');
      assert.equal(openssl.type, 'Security');
      assert.equal(openssl.platform, 'Linux');
      assert.equal(openssl.vendorSeverity, 'Critical');
      assert.equal(openssl.isSecurity, true);
      assert.deepEqual(openssl.cve, ['CVE-2024-0001', 'CVE-2024-0002']);
      assert.deepEqual(openssl.qid, [100001]);
      assert.deepEqual(openssl.product, ['openssl']);
      assert.equal(openssl.appFamily, 'openssl');
      assert.deepEqual(openssl.architecture, ['amd64', 'i386']);
      assert.deepEqual(openssl.packageDetails, [{ packageName: 'libssl3', architecture: 'amd64' }, { packageName: 'libssl3', architecture: 'i386' }]);
      assert.equal(openssl.publishedDate, Date.UTC(2024, 5, 1));
      assert.equal(openssl.modifiedDate, Date.UTC(2024, 5, 1) + 3_600_000);
      assert.equal(openssl.bulletin, 'DEB-bookworm-openssl-1.0-1');
      assert.equal(openssl.kb, 'openssl_1.0-1');
      assert.equal(byId.get(id.tzdata)!.type, 'NonSecurity');
      assert.equal(byId.get(id.tzdata)!.isSecurity, false);
      assert.equal(byId.get(id.linux)!.rebootRequired, true);
      assert.deepEqual(byId.get(id.tzdata)!.cve, []);
    });

    it('treats an empty JSON body, a body without QQL, and no platform like no body', async () => {
      const all = Object.values(id).sort();
      const empty = await c.request('POST', PATCHES, { rawBody: '', headers: { 'content-type': 'application/json' } });
      assert.equal(empty.status, 200, empty.text);
      assertPatches(empty.json);
      assert.deepEqual(empty.json.map((p) => p.id).sort(), all);
      assert.deepEqual(await patchIds({}, ''), all);
      assert.deepEqual(await patchIds({ query: '', havingQuery: '  ' }), all, 'empty QQL means no filter');
      assert.deepEqual(await patchIds(undefined, 'platform=linux'), all, 'platform is matched ignoring case');
    });

    it('answers Windows with [] after parsing its injected default query', async () => {
      assert.deepEqual(await patchIds({ query: 'patchStatus:[Missing,Installed] and isSuperseded:false' }, 'platform=Windows&pageSize=1000'), []);
      assert.deepEqual(await patchIds(undefined, 'platform=Windows'), []);
      const bad = await c.request('POST', `${PATCHES}?platform=Windows`, { body: { query: 'patchStatus:[Missing,Installed' } });
      assertQqlError(bad, 'query', 30, 'end of query');
    });

    it('filters with patch QQL: documented and inferred tokens, lists, ranges, dates, NOT', async () => {
      const cases: Array<[string, string[]]> = [
        ['vendorSeverity:Critical', ids('openssl', 'linux')],
        ['vendorSeverity:`Critical`', ids('openssl', 'linux')],
        ['vendorSeverity:5', ids('openssl', 'linux')],
        ['vendorSeverity:[Critical, Important]', ids('openssl', 'curl', 'linux')],
        ['isSecurity:false', ids('tzdata')],
        ['isSecurity:true and vendorSeverity:Low', ids('bash')],
        ['patchStatus:Missing', ids('openssl', 'curl', 'tzdata')],
        ['patchStatus:Installed', ids('curl', 'linux', 'tzdata', 'bash')],
        ['patchStatus:[Missing,Installed] and isSuperseded:false', ids('openssl', 'curl', 'linux', 'tzdata', 'bash')],
        ['NOT patchStatus:[Missing,Installed]', ids('vim')],
        ['cve:`CVE-2024-0003`', ids('curl')],
        ['cve:cve-2024-000', ids('openssl', 'curl', 'linux', 'vim')],
        ['qid:100002', ids('linux')],
        ['qid>100000 and qid<100003', ids('openssl', 'linux')],
        ['title:openssl', ids('openssl')],
        ['title:"security update" and not title:linux', ids('openssl', 'curl', 'bash', 'vim')],
        ['kb:`curl_1.0-1`', ids('curl')],
        ['bulletin:`DEB-bookworm-vim-1.0-1`', ids('vim')],
        ['publishedDate<2024-01-01', ids('bash')],
        ['publishedDate:[2024-06-01 .. 2024-12-31]', ids('openssl', 'curl', 'vim')],
        ['missingCount>=2', ids('openssl')],
        ['installedCount:0', ids('openssl', 'vim')],
        // Terms no zero count satisfies read only counted patches; the others include vim, which no machine has.
        ['missingCount>0', ids('openssl', 'curl', 'tzdata')],
        ['missingCount:[1..5] and installedCount>=1', ids('curl', 'tzdata')],
        ['installedCount>0 and vendorSeverity:Critical', ids('linux')],
        ['missingCount<1', ids('linux', 'bash', 'vim')],
        ['not missingCount>0', ids('linux', 'bash', 'vim')],
        ['rebootRequired:true', ids('linux')],
        ['architecture:i386', ids('openssl')],
        ['appFamily:`curl` or product:`bash`', ids('curl', 'bash')],
        ['type:NonSecurity', ids('tzdata')],
        ['vendor:Debian and platform:Linux and enabled:true', Object.values(id).sort()],
        ['platform:Windows', []],
        ['(vendorSeverity:Critical or vendorSeverity:Moderate) and not cve:CVE-2024-0004', ids('openssl', 'vim')],
      ];
      for (const [query, expected] of cases) assert.deepEqual(await patchIds({ query }), expected, query);
    });

    it('reads body keys in any case and QQL from the query string too', async () => {
      assert.deepEqual(await patchIds({ QUERY: 'vendorSeverity:Important' }), ids('curl'));
      assert.deepEqual(await patchIds(undefined, `platform=Linux&query=${encodeURIComponent('vendorSeverity:Important')}`), ids('curl'));
    });

    it('restricts to patches with an asset matching havingQuery; a patch query is then evaluated on that asset', async () => {
      assert.deepEqual(await patchIds({ havingQuery: 'name:`web1`' }), ids('openssl', 'curl', 'linux', 'tzdata'));
      assert.deepEqual(await patchIds({ query: 'patchStatus:Missing', havingQuery: 'name:`web1`' }), ids('openssl', 'tzdata'),
        'curl is missing on web2 but installed on web1');
      assert.deepEqual(await patchIds({ query: 'patchStatus:Installed', havingQuery: 'name:`web1`' }), ids('curl', 'linux'));
      assert.deepEqual(await patchIds({ query: 'vendorSeverity:Critical', havingQuery: 'name:web' }), ids('openssl', 'linux'));
      assert.deepEqual(await patchIds({ havingQuery: 'operatingSystem:ubuntu' }), ids('tzdata', 'bash'));
      assert.deepEqual(await patchIds({ havingQuery: 'missingPatchCount:0' }), ids('tzdata', 'bash'));
      assert.deepEqual(await patchIds({ query: 'vendorSeverity:Critical', havingQuery: 'tags.name:Servers' }), [], 'no asset has tags yet');
    });

    it('returns only the asked attributes', async () => {
      const response = await c.request('POST', `${PATCHES}?platform=Linux`, { body: { query: 'vendorSeverity:Critical', attributes: 'id,title,missingCount' } });
      assert.equal(response.status, 200, response.text);
      assertPatches(response.json, ['id', 'title', 'missingCount']);
      assert.deepEqual(response.json.map((p) => [p.title, p.missingCount]).sort(),
        [['linux 1.0-1 security update for bookworm', 0], ['openssl 1.0-1 security update for bookworm', 2]]);
      const withUnfilled = await c.request('POST', PATCHES, { body: { attributes: ' ID , vendorlink,cve' } });
      assert.equal(withUnfilled.status, 200, withUnfilled.text);
      assertPatches(withUnfilled.json, ['id', 'cve'], );
      const unknown = await c.request('POST', PATCHES, { body: { attributes: 'id,colour' } });
      assertPmError(unknown, 400, /attributes: "colour" is not a field/);
      assert.equal(unknown.json._error.field, 'attributes');
    });

    it('refuses bad input with 400 _error naming the field', async () => {
      assertQqlError(await c.request('POST', PATCHES, { body: { query: 'vendorSeverity:Bogus' } }), 'query', 15, 'Bogus');
      assertQqlError(await c.request('POST', PATCHES, { body: { query: 'colour:red' } }), 'query', 0, 'colour');
      assertQqlError(await c.request('POST', PATCHES, { body: { query: 'title:a title:b' } }), 'query', 8, 'title');
      assertQqlError(await c.request('POST', PATCHES, { body: { havingQuery: 'vendorSeverity:Critical' } }), 'havingQuery', 0, 'vendorSeverity');
      for (const [query, field] of [['pageSize=0', 'pageSize'], ['pageSize=10001', 'pageSize'], ['pageSize=ten', 'pageSize'], ['platform=Mac', 'platform']]) {
        const response = await c.request('POST', `${PATCHES}?${query}`);
        assertPmError(response, 400, new RegExp(field), '1001');
        assert.equal(response.json._error.field, field);
      }
      assertPmError(await c.request('POST', PATCHES, { body: ['vendorSeverity:Critical'] }), 400, /body must be a JSON object/);
      assertPmError(await c.request('POST', PATCHES, { body: { query: { vendorSeverity: 'Critical' } } }), 400, /query must be a string/);
      assertPmError(await c.request('POST', PATCHES, { rawBody: '{"query":', headers: { 'content-type': 'application/json' } }), 400, /not valid JSON/);
      assertPmError(await c.request('POST', PATCHES, { auth: null }), 401, /authentication required/);
    });
  });

  describe('GET /pm/v1/patches', () => {
    it('lists as POST /pm/v2/patches does, with everything in the query string, paged by the searchAfter header', async () => {
      const get = async (query: string, headers: Record<string, string> = {}) => {
        const response = await c.request('GET', `/pm/v1/patches?${query}`, { headers });
        assert.equal(response.status, 200, response.text);
        return response;
      };
      for (const [query, body] of [
        ['platform=Linux&query=vendorSeverity%3ACritical', { query: 'vendorSeverity:Critical' }],
        ['platform=Linux&havingQuery=status%3AEnabled+and+name%3Aweb2', { havingQuery: 'status:Enabled and name:web2' }],
        ['query=patchStatus%3AMissing&havingQuery=name%3A%60web1%60', { query: 'patchStatus:Missing', havingQuery: 'name:`web1`' }],
      ] as const) {
        const listed = await get(query);
        assertPatches(listed.json);
        assert.deepEqual(listed.json.map((p) => p.id as string).sort(), await patchIds(body), query);
      }
      const some = await get('platform=Linux&attributes=id%2CmissingCount&query=appFamily%3A%60openssl%60');
      assert.deepEqual(some.json, [{ id: id.openssl, missingCount: 2 }]);
      // Pages of two, walked by the header, give every patch once.
      const seen: string[] = [];
      let searchAfter: string | undefined;
      for (let page = 0; page < 10; page++) {
        const response = await get('platform=Linux&pageSize=2&attributes=id', searchAfter ? { searchAfter } : {});
        seen.push(...response.json.map((p: { id: string }) => p.id));
        searchAfter = response.headers.get('searchafter') ?? undefined;
        if (response.json.length < 2) break;
      }
      assert.deepEqual(seen.sort(), ids('openssl', 'curl', 'linux', 'tzdata', 'bash', 'vim'));
      assertQqlError(await c.request('GET', '/pm/v1/patches?query=vendorSeverity%3AUrgent'), 'query', 15, 'Urgent');
    });
  });

  describe('GET /pm/v1/patches/count', () => {
    it('counts what the listing returns, for platform, query and havingQuery sent as the SDK encodes them', async () => {
      const count = async (query: string) => {
        const response = await c.request('GET', `/pm/v1/patches/count?${query}`);
        assert.equal(response.status, 200, response.text);
        return assertCount(response.json, 'patches');
      };
      assert.equal(await count('platform=Linux'), 6);
      assert.equal(await count('platform=Windows'), 0);
      assert.equal(await count(''), 6);
      // requests' form encoding: space → +, ':' → %3A, '[' → %5B, ',' → %2C.
      assert.equal(await count('platform=Linux&query=patchStatus%3A%5BMissing%2CInstalled%5D+and+isSuperseded%3Afalse'), 5);
      assert.equal(await count('platform=Linux&query=vendorSeverity%3ACritical&havingQuery=name%3Aweb2'), 1);
      assert.equal(await count('platform=Linux&query=patchStatus%3AMissing&havingQuery=name%3A%60web1%60'), 2);
      assert.equal(await count('platform=Linux&query=&havingQuery='), 6, 'empty values are absent');
      // The spec's documented asset example `status:Enabled` as a havingQuery: patches some managed machine has.
      assert.equal(await count('platform=Linux&havingQuery=status%3AEnabled'), 5, 'vim applies to no machine');
      assert.equal(await count('platform=Linux&havingQuery=status%3ADisabled'), 0);
      assert.equal(await count('platform=Linux&query=vendorSeverity%3ACritical&havingQuery=status%3AEnabled+and+name%3Aweb2'), 1);
      assertQqlError(await c.request('GET', '/pm/v1/patches/count?platform=Linux&query=vendorSeverity%3A'), 'query', 15, 'end of query');
    });
  });

  describe('POST /pm/v1/assets', () => {
    it('lists the scanned machines with their current patch status', async () => {
      const response = await c.request('POST', `${ASSETS}?pageSize=400&platform=Linux`);
      assert.equal(response.status, 200, response.text);
      assertAssets(response.json);
      assert.deepEqual(response.json.map((a) => a.name), ['web1', 'web2', 'db1'], 'in machine id order');
      const [web1, web2, db1] = response.json;
      assert.equal(web1.id, machines.web1.assetUuid);
      assert.deepEqual([web1.missingPatchCount, web1.installedPatchCount, web1.nonSupersededMissingPatchCount], [2, 2, 2]);
      assert.deepEqual([web2.missingPatchCount, web2.installedPatchCount], [2, 1]);
      assert.deepEqual([db1.missingPatchCount, db1.installedPatchCount], [0, 2]);
      assert.equal(web1.operatingSystem, 'Debian GNU/Linux 12 (bookworm)');
      assert.equal(db1.operatingSystem, 'Ubuntu 24.04.1 LTS');
      assert.equal(db1.osIdentifier, 'ubuntu:24.04');
      assert.equal(db1.architecture, 'arm64');
      assert.equal(db1.scanDateTime, Date.parse('2025-03-01T08:30:00.000Z'));
      assert.equal(db1.platform, 'Linux');
      assert.deepEqual(db1.tags, []);
      assert.deepEqual(db1.interfaces, []);
      assert.deepEqual(response.json.map((a) => a.status), ['Enabled', 'Enabled', 'Enabled']);
    });

    it('filters with asset QQL in query and patch QQL in havingQuery', async () => {
      const cases: Array<[unknown, string[]]> = [
        [{ query: 'name:web' }, ['web1', 'web2']],
        [{ query: 'name:`web1`' }, ['web1']],
        [{ query: 'operatingSystem:ubuntu or osIdentifier:`debian:11`' }, ['db1']],
        [{ query: 'architecture:arm64' }, ['db1']],
        [{ query: 'missingPatchCount>0' }, ['web1', 'web2']],
        [{ query: 'installedPatchCount:[2..5]' }, ['db1', 'web1']],
        [{ query: 'patchStatus:Missing' }, ['web1', 'web2']],
        [{ query: 'scanDateTime>2025-02-15' }, ['db1']],
        [{ query: 'lastScanDate<2025-02-15' }, ['web1', 'web2']],
        [{ query: 'tags.name:Servers' }, []],
        [{ query: `id:\`${machines.web2.assetUuid}\`` }, ['web2']],
        // The documented `status:Enabled`: every managed machine.
        [{ query: 'status:Enabled' }, ['db1', 'web1', 'web2']],
        [{ query: 'status:Disabled' }, []],
        [{ query: 'status:enabled and name:db' }, ['db1']],
        [{ havingQuery: 'vendorSeverity:Critical' }, ['web1', 'web2']],
        [{ havingQuery: 'vendorSeverity:Critical and patchStatus:Installed' }, ['web1']],
        [{ havingQuery: 'cve:`CVE-2023-0005`' }, ['db1', 'web2']],
        [{ query: 'name:web', havingQuery: 'patchStatus:Installed and isSecurity:false' }, []],
        [{ havingQuery: 'patchStatus:Installed and isSecurity:false' }, ['db1']],
      ];
      for (const [body, expected] of cases) assert.deepEqual(await assetNames(body), expected, JSON.stringify(body));
      assert.deepEqual(await assetNames(undefined, 'platform=Windows'), []);
    });

    it('returns only the asked attributes, and refuses bad input naming the field', async () => {
      const response = await c.request('POST', ASSETS, { body: { attributes: 'id,name,missingPatchCount' } });
      assert.equal(response.status, 200, response.text);
      assertAssets(response.json, ['id', 'name', 'missingPatchCount']);
      assertPmError(await c.request('POST', `${ASSETS}?pageSize=401`), 400, /pageSize must be between 1 and 400/);
      assertQqlError(await c.request('POST', ASSETS, { body: { query: 'vendorSeverity:Critical' } }), 'query', 0, 'vendorSeverity');
      assertQqlError(await c.request('POST', ASSETS, { body: { havingQuery: 'name:web1' } }), 'havingQuery', 0, 'name');
      assertPmError(await c.request('POST', ASSETS, { body: { attributes: 'id,ipv6Address' } }), 400, /attributes: "ipv6Address"/);
    });

    it('GET /pm/v1/assets/count answers {"assets":{"count":N}}', async () => {
      const count = async (query: string) => {
        const response = await c.request('GET', `/pm/v1/assets/count?${query}`);
        assert.equal(response.status, 200, response.text);
        return assertCount(response.json, 'assets');
      };
      assert.equal(await count('platform=Linux'), 3);
      assert.equal(await count('platform=Windows'), 0);
      assert.equal(await count('query=name%3Aweb'), 2);
      assert.equal(await count('havingQuery=patchStatus%3AMissing+and+vendorSeverity%3AImportant'), 1);
      assert.equal(await count('query=status%3AEnabled'), 3);
      assert.equal(await count('query=status%3ADisabled'), 0);
      assertQqlError(await c.request('GET', '/pm/v1/assets/count?query=name%3A%28'), 'query', 6, 'end of query');
    });
  });

  describe('POST /pm/v1/assets/uuids', () => {
    it('maps machine ids, given as digit strings or numbers, to the asset UUIDs the asset listing uses', async () => {
      const response = await c.request('POST', '/pm/v1/assets/uuids', { body: [String(machines.web1.machineId), machines.db1.machineId, 999_999, 2 ** 40] });
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.json, {
        mappedAssets: [{ assetId: machines.web1.machineId, assetUuid: machines.web1.assetUuid }, { assetId: machines.db1.machineId, assetUuid: machines.db1.assetUuid }],
        unmappedAssets: [999_999, 2 ** 40],
      });
      const empty = await c.request('POST', '/pm/v1/assets/uuids', { body: [] });
      assert.deepEqual(empty.json, { mappedAssets: [], unmappedAssets: [] });
    });

    it('refuses a body that is not an array of whole numbers', async () => {
      assertPmError(await c.request('POST', '/pm/v1/assets/uuids'), 400, /JSON array of asset ids/);
      assertPmError(await c.request('POST', '/pm/v1/assets/uuids', { body: { assetIds: [1] } }), 400, /JSON array of asset ids/);
      const bad = await c.request('POST', '/pm/v1/assets/uuids', { body: [1, 'web1'] });
      assertPmError(bad, 400, /\[1\]: an asset id is a whole number/);
      assert.equal(bad.json._error.field, '[1]');
      // Past 2^53 a number cannot be read exactly: said so, not "not a whole number".
      assertPmError(await c.request('POST', '/pm/v1/assets/uuids', { body: [1, '99999999999999999999999'] }), 400, /^\[1\]: asset id 99999999999999999999999 is too large; asset ids are at most 9007199254740991$/);
      assertPmError(await c.request('POST', '/pm/v1/assets/uuids', { rawBody: '[9007199254740993]', headers: { 'content-type': 'application/json' } }), 400, /^\[0\]: asset id \d+ is too large/);
    });
  });

  describe('POST /pm/v1/vulnerabilities', () => {
    it('looks QIDs up; unknown ones are absent', async () => {
      const response = await c.request('POST', '/pm/v1/vulnerabilities', { body: { qids: ['100001', 100002, 424242] } });
      assert.equal(response.status, 200, response.text);
      assertVulnerabilities(response.json);
      assert.deepEqual(response.json, [
        { id: 100001, title: 'OpenSSL buffer overflow', cves: ['CVE-2024-0001', 'CVE-2024-0002'], detectedDate: Date.UTC(2024, 5, 2), severity: 5, vulnType: 'VULNERABILITY' },
        { id: 100002, title: 'Linux kernel use-after-free', cves: [], severity: 4, vulnType: 'POTENTIAL' },
      ]);
      assert.deepEqual((await c.request('POST', '/pm/v1/vulnerabilities', { body: { qids: [] } })).json, []);
    });

    it('refuses a missing or non-numeric qids', async () => {
      assertPmError(await c.request('POST', '/pm/v1/vulnerabilities', { body: {} }), 400, /qids is required/);
      assertPmError(await c.request('POST', '/pm/v1/vulnerabilities'), 400, /qids is required/);
      const bad = await c.request('POST', '/pm/v1/vulnerabilities', { body: { qids: ['100001', 'QID-99'] } });
      assertPmError(bad, 400, /qids\[1\] must be a positive whole number/);
    });
  });

  describe('patch catalog', () => {
    it('POST /pm/v1/patchcatalog/patches returns the asked patches in order; unknown ids are absent', async () => {
      const response = await c.request('POST', '/pm/v1/patchcatalog/patches?platform=Linux', { body: { patchUuid: [id.vim, 'no-such-patch', id.openssl, id.vim] } });
      assert.equal(response.status, 200, response.text);
      assertCatalogPatches(response.json);
      assert.deepEqual(response.json.map((p) => p.patchId), [id.vim, id.openssl]);
      const openssl = response.json[1];
      assert.equal(openssl.id, id.openssl);
      assert.deepEqual(openssl.packageDetails, [
        { packageName: 'libssl3', architecture: 'amd64', patchId: id.openssl }, { packageName: 'libssl3', architecture: 'i386', patchId: id.openssl },
      ]);
      assert.deepEqual(openssl.cve, ['CVE-2024-0001', 'CVE-2024-0002']);
      assert.deepEqual(openssl.qid, [100001]);
      assert.deepEqual(openssl.product, ['openssl']);
      assert.equal(openssl.syncDateTime, Date.UTC(2024, 5, 1) + 3_600_000);
      assert.equal(openssl.deleted, false);
    });

    it('honours attributes and platform, and refuses a missing patchUuid', async () => {
      const some = await c.request('POST', '/pm/v1/patchcatalog/patches?platform=Linux&attributes=patchId%2Ctitle', { body: { patchUuid: [id.curl] } });
      assert.equal(some.status, 200, some.text);
      assertCatalogPatches(some.json, ['patchId', 'title']);
      assert.deepEqual(some.json, [{ patchId: id.curl, title: 'curl 1.0-1 security update for bookworm' }]);
      const windows = await c.request('POST', '/pm/v1/patchcatalog/patches?platform=Windows', { body: { patchUuid: [id.curl] } });
      assert.deepEqual(windows.json, []);
      assertPmError(await c.request('POST', '/pm/v1/patchcatalog/patches?platform=Linux', { body: {} }), 400, /patchUuid is required/);
      assertPmError(await c.request('POST', '/pm/v1/patchcatalog/patches?platform=Linux'), 400, /patchUuid is required/);
      assertPmError(await c.request('POST', '/pm/v1/patchcatalog/patches', { body: { patchUuid: [{}] } }), 400, /patchUuid\[0\]/);
    });

    it('GET /pm/v1/patchcatalog/patch/packages pages from 0 and filters with QQL', async () => {
      const packages = async (query: string) => {
        const response = await c.request('GET', `/pm/v1/patchcatalog/patch/packages?${query}`);
        assert.equal(response.status, 200, response.text);
        assert.ok(Array.isArray(response.json));
        for (const item of response.json) assert.deepEqual(Object.keys(item).sort(), ['architecture', 'packageName']);
        return response.json as Array<{ packageName: string; architecture: string }>;
      };
      const both = [{ packageName: 'libssl3', architecture: 'amd64' }, { packageName: 'libssl3', architecture: 'i386' }];
      assert.deepEqual(await packages(`patchUuid=${id.openssl}`), both);
      assert.deepEqual(await packages(`patchUuid=${id.openssl}&pageNumber=0&pageSize=1`), [both[0]]);
      assert.deepEqual(await packages(`patchUuid=${id.openssl}&pageNumber=1&pageSize=1`), [both[1]]);
      assert.deepEqual(await packages(`patchUuid=${id.openssl}&pageNumber=2&pageSize=1`), [], 'past the end');
      assert.deepEqual(await packages(`patchUuid=${id.openssl}&filter=architecture%3Ai386`), [both[1]]);
      assert.deepEqual(await packages(`patchUuid=${id.curl}&filter=packageName%3Acurl&pageNumber=0&pageSize=10`),
        [{ packageName: 'curl', architecture: 'amd64' }, { packageName: 'libcurl4', architecture: 'amd64' }]);
      assertQqlError(await c.request('GET', `/pm/v1/patchcatalog/patch/packages?patchUuid=${id.openssl}&filter=arch%3Ai386`), 'filter', 0, 'arch');
      assertPmError(await c.request('GET', '/pm/v1/patchcatalog/patch/packages?patchUuid=00000000-0000-0000-0000-000000000000'), 404, /no patch/);
      assertPmError(await c.request('GET', '/pm/v1/patchcatalog/patch/packages'), 400, /patchUuid is required/);
      assertPmError(await c.request('GET', `/pm/v1/patchcatalog/patch/packages?patchUuid=${id.openssl}&pageNumber=-1`), 400, /pageNumber/);
    });

    it('GET /pm/v1/patchcatalog/patch/{id}/products names the source package', async () => {
      const response = await c.request('GET', `/pm/v1/patchcatalog/patch/${id.curl}/products`);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.json, [{ product: ['curl'] }]);
      assertPmError(await c.request('GET', '/pm/v1/patchcatalog/patch/00000000-0000-0000-0000-000000000000/products'), 404, /no patch/);
    });

    it('GET /pm/v1/patchcatalog/patch/products/vulnerability/count counts, per product, the QIDs some machine still misses', async () => {
      const counts = async (query: string) => {
        const response = await c.request('GET', `/pm/v1/patchcatalog/patch/products/vulnerability/count${query}`);
        assert.equal(response.status, 200, response.text);
        assert.ok(Array.isArray(response.json), response.text);
        // The client's ProductVulnCount takes these keys (it adds `severity` itself): exactly these.
        for (const entry of response.json) {
          assert.deepEqual(Object.keys(entry).sort(), ['name', 'patchableQIDCount', 'patchableQIDs', 'totalQIDCount', 'totalQIDs', 'type']);
        }
        return response.json as Array<Record<string, unknown>>;
      };
      // More QIDs for the test: curl (Important) is missing on web2; bash (Low) is installed everywhere.
      const extra = [{ patch_id: id.curl, qid: 100011 }, { patch_id: id.curl, qid: 100010 }, { patch_id: id.bash, qid: 100012 }];
      await c.running.db.kysely.insertInto('patch_qids').values(extra).execute();
      try {
        const openssl = { name: 'openssl', totalQIDCount: 1, patchableQIDCount: 1, type: 'Application', patchableQIDs: '100001', totalQIDs: '100001' };
        const curl = { name: 'curl', totalQIDCount: 2, patchableQIDCount: 2, type: 'Application', patchableQIDs: '100010,100011', totalQIDs: '100010,100011' };
        // As the client sends it: one severity a call, tagUUIDs empty. The linux patch is Critical
        // with QIDs too, but installed (pending a reboot) on its one machine: not counted.
        assert.deepEqual(await counts('?severityList=Critical&tagUUIDs='), [openssl]);
        assert.deepEqual(await counts('?severityList=Important'), [curl]);
        assert.deepEqual(await counts('?severityList=Low'), [], 'bash is installed wherever it applies');
        assert.deepEqual(await counts('?severityList=None'), []);
        // Several severities, or none (all): most QIDs first.
        assert.deepEqual(await counts('?severityList=critical%2CIMPORTANT'), [curl, openssl]);
        assert.deepEqual(await counts(''), [curl, openssl]);
        // Assets carry no tags: a tag filter keeps nothing.
        assert.deepEqual(await counts('?severityList=Critical&tagUUIDs=22222222-3333-4444-5555-666666666666'), []);
        // The kernel is counted as the operating system once a machine misses it.
        await c.running.db.kysely.updateTable('asset_patch_status').set({ state: 'Missing' })
          .where('machine_id', '=', machines.web1.machineId).where('patch_id', '=', id.linux).execute();
        await recountPatchStatus(c.running.db.kysely);
        assert.deepEqual(await counts('?severityList=Critical'), [
          { name: 'linux', totalQIDCount: 2, patchableQIDCount: 2, type: 'OS', patchableQIDs: '100002,100003', totalQIDs: '100002,100003' }, openssl,
        ]);
        assertPmError(await c.request('GET', '/pm/v1/patchcatalog/patch/products/vulnerability/count?severityList=Urgent'), 400, /severityList: "Urgent" is not a vendor severity/);
      } finally {
        await c.running.db.kysely.updateTable('asset_patch_status').set({ state: 'InstalledPendingReboot' })
          .where('machine_id', '=', machines.web1.machineId).where('patch_id', '=', id.linux).execute();
        await recountPatchStatus(c.running.db.kysely);
        await c.running.db.kysely.deleteFrom('patch_qids').where('qid', 'in', extra.map((row) => row.qid)).execute();
      }
    });
  });
});

describe('PM search-after paging and the 10,000-record limit', () => {
  let c: TestConsole;

  before(async () => {
    c = await startTestConsole();
    const generated = (vendor: string, count: number, offset = 0) => Array.from({ length: count }, (_, i) => ({
      source: `${vendor.toLowerCase()}-pkg${offset + i}`, vendor, severity: 'Moderate' as const,
    }));
    await insertPatches(c.running, [...generated('PagingA', 1234), ...generated('PagingB', 1000)]);
    await insertAssets(c.running, Array.from({ length: 450 }, (_, i) => ({ name: `gen-host-${String(i).padStart(4, '0')}` })));
  });

  after(async () => {
    await c?.close();
  });

  it('visits every patch once, in id order, over more records than a page', async () => {
    const { records, pageLengths } = await pageThrough(c, `${PATCHES}?platform=Linux&pageSize=500`, { query: 'vendor:`PagingA`' }, 500, (page) => assertPatches(page));
    assert.deepEqual(pageLengths, [500, 500, 234]);
    const ids = records.map((p) => p.id as string);
    assert.equal(new Set(ids).size, 1234, 'no patch twice');
    assert.deepEqual(ids, [...ids].sort(), 'in id order across pages');
    const stored = await c.running.db.kysely.selectFrom('patches').select('id').where('vendor', '=', 'PagingA').execute();
    assert.deepEqual([...ids].sort(), stored.map((r) => r.id).sort(), 'exactly the matching patches');
  });

  it('answers the extra request with [] when the total is an exact multiple of pageSize', async () => {
    const { records, pageLengths } = await pageThrough(c, `${PATCHES}?platform=Linux&pageSize=500`, { query: 'vendor:`PagingB`', attributes: 'id' }, 500, (page) => assertPatches(page, ['id']));
    assert.deepEqual(pageLengths, [500, 500, 0]);
    assert.equal(new Set(records.map((p) => p.id)).size, 1000);
  });

  it('pages assets the same way (default and maximum page 400)', async () => {
    const more = await pageThrough(c, ASSETS, undefined, 400, (page) => assertAssets(page));
    assert.deepEqual(more.pageLengths, [400, 50]);
    assert.equal(new Set(more.records.map((a) => a.id)).size, 450);
    const exact = await pageThrough(c, `${ASSETS}?pageSize=150&platform=Linux`, { attributes: 'id,name' }, 150, (page) => assertAssets(page, ['id', 'name']));
    assert.deepEqual(exact.pageLengths, [150, 150, 150, 0]);
    const names = exact.records.map((a) => a.name as string);
    assert.deepEqual(names, Array.from({ length: 450 }, (_, i) => `gen-host-${String(i).padStart(4, '0')}`), 'each asset once, in machine order');
  });

  it('refuses a searchAfter value it did not issue, naming the header', async () => {
    const first = await c.request('POST', `${PATCHES}?pageSize=10`);
    const patchCursor = first.headers.get('searchafter')!;
    assert.ok(patchCursor);
    const assetPage = await c.request('POST', `${ASSETS}?pageSize=10`);
    const assetCursor = assetPage.headers.get('searchafter')!;
    for (const [path, value] of [
      [PATCHES, 'not a cursor!'], [PATCHES, Buffer.from('{"a":1}').toString('base64url')], [PATCHES, Buffer.from('[0,"x"]').toString('base64url')],
      [PATCHES, assetCursor], [ASSETS, patchCursor],
    ]) {
      const response = await c.request('POST', path, { headers: { searchAfter: value } });
      assertPmError(response, 400, /searchAfter header is not valid/, '1001');
      assert.equal(response.json._error.field, 'searchAfter');
    }
  });

  it('stops at record 10,000 with error 2501, and answers [] when nothing lies beyond', async () => {
    await insertPatches(c.running, Array.from({ length: 10_001 }, (_, i) => ({ source: `limit-pkg${i}`, vendor: 'LimitA' })));
    const body = { query: 'vendor:`LimitA`', attributes: 'id' };
    const pages: number[] = [];
    let searchAfter: string | undefined;
    for (let i = 0; i < 2; i++) {
      const response = await c.request('POST', `${PATCHES}?platform=Linux&pageSize=5000`, { body, headers: searchAfter ? { searchAfter } : {} });
      assert.equal(response.status, 200, response.text);
      pages.push(response.json.length);
      searchAfter = response.headers.get('searchafter')!;
      assert.ok(searchAfter);
    }
    assert.deepEqual(pages, [5000, 5000]);
    const beyond = await c.request('POST', `${PATCHES}?platform=Linux&pageSize=5000`, { body, headers: { searchAfter: searchAfter! } });
    assertPmError(beyond, 400, /more than 10,000 records/, '2501');

    // A page that would run past the limit is cut there.
    const cut: number[] = [];
    searchAfter = undefined;
    for (;;) {
      const response = await c.request('POST', `${PATCHES}?platform=Linux&pageSize=3000`, { body, headers: searchAfter ? { searchAfter } : {} });
      if (response.status !== 200) {
        assertPmError(response, 400, /more than 10,000/, '2501');
        break;
      }
      cut.push(response.json.length);
      searchAfter = response.headers.get('searchafter')!;
      assert.ok(searchAfter, 'a page ending at the limit still points on, to the 2501');
      assert.ok(cut.length < 10);
    }
    assert.deepEqual(cut, [3000, 3000, 3000, 1000]);

    // Exactly 10,000 matching: the SDK's extra request gets [].
    const exactly = { query: `vendor:\`LimitA\` and not kb:\`limit-pkg0_1.0-1\``, attributes: 'id' };
    const lengths: number[] = [];
    searchAfter = undefined;
    for (let i = 0; i < 3; i++) {
      const response = await c.request('POST', `${PATCHES}?platform=Linux&pageSize=5000`, { body: exactly, headers: searchAfter ? { searchAfter } : {} });
      assert.equal(response.status, 200, response.text);
      lengths.push(response.json.length);
      searchAfter = response.headers.get('searchafter') ?? undefined;
    }
    assert.deepEqual(lengths, [5000, 5000, 0]);
    assert.equal(searchAfter, undefined);

    const counted = await c.request('GET', `/pm/v1/patches/count?query=${encodeURIComponent('vendor:`LimitA`')}`);
    assert.equal(assertCount(counted.json, 'patches'), 10_001, 'counting is not limited');
  });
});
