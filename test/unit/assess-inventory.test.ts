import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { v5 as uuidV5 } from 'uuid';
import { assessInventory } from '../../src/assess/assess-inventory.js';
import { DEBIAN_PATCH_ID_NAMESPACE, patchIdOf } from '../../src/assess/patch-identity.js';
import type { Assessment, PatchFinding } from '../../src/assess/types.js';
import type { CatalogIndex, CatalogReleaseFacts, CatalogSnapshot } from '../../src/catalog/catalog-snapshot.js';
import { CatalogView } from '../../src/catalog/catalog-view.js';
import type { AptPackageRecord, AptSourceEntry } from '../../src/catalog/sources/apt-repo/types.js';
import type { InstalledPackage, Inventory } from '../../src/inventory/types.js';

// ---------------------------------------------------------------------------------------------
// Synthetic catalog and machines

const DEBIAN = 'http://deb.debian.org/debian';
const SECURITY = 'http://deb.debian.org/debian-security';

const RELEASES = {
  bookworm: { origin: 'Debian', label: 'Debian', suite: 'oldstable', codename: 'bookworm' },
  updates: { origin: 'Debian', label: 'Debian', suite: 'oldstable-updates', codename: 'bookworm-updates' },
  security: { origin: 'Debian', label: 'Debian-Security', suite: 'oldstable-security', codename: 'bookworm-security' },
  backports: {
    origin: 'Debian Backports',
    label: 'Debian Backports',
    suite: 'oldstable-backports',
    codename: 'bookworm-backports',
    notAutomatic: true,
    butAutomaticUpgrades: true,
  },
  experimental: {
    origin: 'Debian',
    label: 'Debian',
    suite: 'experimental',
    codename: 'rc-buggy',
    notAutomatic: true,
  },
} satisfies Record<string, Partial<CatalogReleaseFacts>>;

type ReleaseName = keyof typeof RELEASES;

const REPOSITORY: Record<ReleaseName, { uri: string; dist: string }> = {
  bookworm: { uri: DEBIAN, dist: 'bookworm' },
  updates: { uri: DEBIAN, dist: 'bookworm-updates' },
  security: { uri: SECURITY, dist: 'bookworm-security' },
  backports: { uri: DEBIAN, dist: 'bookworm-backports' },
  experimental: { uri: DEBIAN, dist: 'experimental' },
};

function releaseFacts(name: ReleaseName): CatalogReleaseFacts {
  return { notAutomatic: false, butAutomaticUpgrades: false, ...RELEASES[name] };
}

/** `name version arch [source [sourceVersion]]` */
function record(spec: string): AptPackageRecord {
  const [name, version, architecture, sourceName = name, sourceVersion = version] = spec.split(' ');
  return { package: name, version, architecture, sourceName, sourceVersion };
}

let nextIndexId = 1;

function index(
  release: ReleaseName,
  architecture: string,
  records: string[],
  overrides: Partial<CatalogIndex> = {},
): CatalogIndex {
  return {
    id: nextIndexId++,
    ...REPOSITORY[release],
    component: 'main',
    architecture,
    release: releaseFacts(release),
    packages: records.map(record),
    ...overrides,
  };
}

function snapshot(indexes: CatalogIndex[]): CatalogSnapshot {
  return { definitionVersion: '2026.11.22-1', definitionDate: '2026-11-22T10:19:00Z', indexes };
}

function source(release: ReleaseName, overrides: Partial<AptSourceEntry> = {}): AptSourceEntry {
  const { uri, dist } = REPOSITORY[release];
  return {
    type: 'deb',
    uri,
    suite: dist,
    components: ['main'],
    enabled: true,
    file: '/etc/apt/sources.list.d/debian.sources',
    ...overrides,
  };
}

/** `name version [arch [status]]`; source identity as in the status file of a plain package. */
function installed(spec: string): InstalledPackage {
  const [name, version, architecture = 'amd64', status = 'ii '] = spec.split(' ');
  return { name, version, architecture, status: status.padEnd(3, ' '), sourceName: name, sourceVersion: version };
}

function inventory(
  packages: string[],
  sources: AptSourceEntry[] = [source('bookworm'), source('updates'), source('security')],
  options: { foreign?: string[]; rebootRequired?: boolean } = {},
): Inventory {
  return {
    schemaVersion: 1,
    collectedAt: '2026-11-22T10:20:00Z',
    collector: 'local',
    host: { hostname: 'web1', fqdn: 'web1.example.org', domain: 'example.org' },
    os: {
      family: 'debian',
      id: 'debian',
      idLike: [],
      versionId: '12',
      versionCodename: 'bookworm',
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
    },
    kernel: { release: '6.1.0-41-amd64', version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1', machine: 'x86_64' },
    architecture: 'amd64',
    foreignArchitectures: options.foreign ?? [],
    packages: packages.map(installed),
    aptSources: sources,
    reboot: { required: options.rebootRequired ?? false, packages: [] },
  };
}

function assess(indexes: CatalogIndex[], machine: Inventory): Assessment {
  return assessInventory(machine, new CatalogView(snapshot(indexes)));
}

/** `name:arch installed → candidate` for every missing package, sorted. */
function upgrades(assessment: Assessment): string[] {
  return assessment.patches
    .filter((p) => p.state === 'Missing')
    .flatMap((p) => p.packages.map((k) => `${k.name}:${k.architecture} ${k.installedVersion} → ${k.candidateVersion}`))
    .sort();
}

function onlyPatch(assessment: Assessment): PatchFinding {
  assert.equal(assessment.patches.length, 1, JSON.stringify(assessment.patches, null, 2));
  return assessment.patches[0];
}

// ---------------------------------------------------------------------------------------------

describe('assessInventory: candidate selection (apt default pinning)', () => {
  it('reports a simple upgrade from the release as a non-security patch', () => {
    const result = assess([index('bookworm', 'amd64', ['curl 7.88.1-10+deb12u12 amd64'])], inventory(['curl 7.88.1-10+deb12u5']));
    const patch = onlyPatch(result);
    assert.deepEqual(patch, {
      patchId: uuidV5('bookworm/curl/7.88.1-10+deb12u12', DEBIAN_PATCH_ID_NAMESPACE),
      bulletinId: 'DEB-bookworm-curl-7.88.1-10+deb12u12',
      title: 'curl 7.88.1-10+deb12u12 update for bookworm',
      release: 'bookworm',
      sourceName: 'curl',
      sourceVersion: '7.88.1-10+deb12u12',
      patchType: 'NonSecurityPatch',
      vendorSeverity: 'None',
      cves: [],
      state: 'Missing',
      packages: [
        {
          name: 'curl',
          architecture: 'amd64',
          installedVersion: '7.88.1-10+deb12u5',
          candidateVersion: '7.88.1-10+deb12u12',
          suites: ['oldstable'],
        },
      ],
    });
    assert.equal(result.missingCount, 1);
    assert.equal(result.installedCount, 0);
  });

  it('makes a security patch when the candidate is in both the release and the security archive', () => {
    const result = assess(
      [
        index('bookworm', 'amd64', ['openssl 3.0.17-1~deb12u1 amd64']),
        index('security', 'amd64', ['openssl 3.0.17-1~deb12u1 amd64', 'openssl 3.0.16-1~deb12u1 amd64']),
      ],
      inventory(['openssl 3.0.15-1~deb12u1']),
    );
    const patch = onlyPatch(result);
    assert.equal(patch.patchType, 'SecurityPatch');
    assert.equal(patch.release, 'bookworm', 'the pocket is not part of the release');
    assert.equal(patch.bulletinId, 'DEB-bookworm-openssl-3.0.17-1~deb12u1');
    assert.equal(patch.title, 'openssl 3.0.17-1~deb12u1 security update for bookworm');
    assert.deepEqual(patch.packages[0].suites, ['oldstable', 'oldstable-security']);
    assert.equal(patch.packages[0].candidateVersion, '3.0.17-1~deb12u1');
  });

  it('recognises the legacy `<codename>/updates` security layout', () => {
    const result = assess(
      [
        index('security', 'amd64', ['bash 4.4-5+deb9u1 amd64'], {
          dist: 'stretch/updates',
          release: {
            origin: 'Debian',
            label: 'Debian-Security',
            suite: 'oldoldstable',
            codename: 'stretch',
            notAutomatic: false,
            butAutomaticUpgrades: false,
          },
        }),
      ],
      inventory(['bash 4.4-5'], [source('security', { suite: 'stretch/updates' })]),
    );
    const patch = onlyPatch(result);
    assert.equal(patch.patchType, 'SecurityPatch');
    assert.equal(patch.release, 'stretch');
  });

  // NotAutomatic (priority 1) never wins over the installed version (priority ≥ 100). Checked
  // with apt 2.6.1 on a lab repository: `apt list --upgradable` lists none of these.
  it('never upgrades from a NotAutomatic archive', () => {
    const indexes = [
      index('bookworm', 'amd64', ['fromrelease 1.0-1 amd64', 'fromexperimental 1.0-1 amd64']),
      index('experimental', 'amd64', ['fromrelease 3.0-1 amd64', 'fromexperimental 3.1-1 amd64', 'statusonly 3.0-1 amd64']),
    ];
    const sources = [source('bookworm'), source('experimental')];
    const result = assess(
      indexes,
      inventory(
        [
          'fromrelease 1.0-1', // installed from the release, newer in experimental
          'fromexperimental 3.0-1', // installed from experimental, newer there
          'statusonly 0.9-1', // installed version in no archive
        ],
        sources,
      ),
    );
    assert.deepEqual(upgrades(result), []);
    assert.equal(result.patches.length, 0);
  });

  // NotAutomatic + ButAutomaticUpgrades (priority 100) ties with the installed version, so a
  // higher backport wins only when nothing at 500 stands at or above the installed version.
  // Verified with apt 2.6.1: bpoinstalled → 2.1-1~bpo12+1, statusonly → 2.0-1~bpo12+1,
  // mainnewer → 2.1-1 (from the release), fromrelease not upgradable.
  it('follows ButAutomaticUpgrades the way apt does', () => {
    const indexes = [
      index('bookworm', 'amd64', ['fromrelease 1.0-1 amd64', 'bpoinstalled 1.0-1 amd64', 'mainnewer 2.1-1 amd64']),
      index('backports', 'amd64', [
        'fromrelease 2.0-1~bpo12+1 amd64',
        'bpoinstalled 2.0-1~bpo12+1 amd64',
        'bpoinstalled 2.1-1~bpo12+1 amd64',
        'statusonly 2.0-1~bpo12+1 amd64',
        'mainnewer 2.0-1~bpo12+1 amd64',
        'mainnewer 2.2-1~bpo12+1 amd64',
      ]),
    ];
    const result = assess(
      indexes,
      inventory(
        ['fromrelease 1.0-1', 'bpoinstalled 2.0-1~bpo12+1', 'statusonly 1.0-1', 'mainnewer 2.0-1~bpo12+1'],
        [source('bookworm'), source('backports')],
      ),
    );
    assert.deepEqual(upgrades(result), [
      'bpoinstalled:amd64 2.0-1~bpo12+1 → 2.1-1~bpo12+1',
      'mainnewer:amd64 2.0-1~bpo12+1 → 2.1-1',
      'statusonly:amd64 1.0-1 → 2.0-1~bpo12+1',
    ]);
    const backport = result.patches.find((p) => p.sourceName === 'bpoinstalled');
    assert.equal(backport?.release, 'bookworm-backports');
    assert.deepEqual(backport?.packages[0].suites, ['oldstable-backports']);
    assert.equal(result.patches.find((p) => p.sourceName === 'mainnewer')?.release, 'bookworm');
  });

  it('never downgrades an installed version newer than every archive', () => {
    const result = assess(
      [index('bookworm', 'amd64', ['tool 4.0-1 amd64']), index('security', 'amd64', ['tool 4.0-1+deb12u1 amd64'])],
      inventory(['tool 5.0-1', 'other 1:0.1-1']),
    );
    assert.deepEqual(result.patches, []);
  });

  it('compares versions the dpkg way, not as strings', () => {
    const result = assess(
      [index('bookworm', 'amd64', ['epochs 1:1.0-1 amd64', 'tilde 2.0~rc1-1 amd64', 'digits 1.10-1 amd64'])],
      inventory(['epochs 9.9-1', 'tilde 2.0-1', 'digits 1.9-1']),
    );
    assert.deepEqual(upgrades(result), ['digits:amd64 1.9-1 → 1.10-1', 'epochs:amd64 9.9-1 → 1:1.0-1']);
  });

  it('places installed versions the catalog does not list between the versions it does', () => {
    const view = new CatalogView(
      snapshot([
        index('bookworm', 'amd64', ['vim 2:9.0.1378-2+deb12u2 amd64', 'vim 2:9.0.1378-2 amd64']),
        index('experimental', 'amd64', ['vim 2:9.1.0-1 amd64']),
      ]),
    );
    const sources = [source('bookworm'), source('experimental')];
    const cases: [string, string[]][] = [
      ['2:9.0.1378-2+deb12u1', ['vim:amd64 2:9.0.1378-2+deb12u1 → 2:9.0.1378-2+deb12u2']],
      ['2:9.0.1000-1', ['vim:amd64 2:9.0.1000-1 → 2:9.0.1378-2+deb12u2']],
      ['2:9.0.1378-2+deb12u3', []], // between the release and experimental: stays
      ['2:9.2-1', []],
    ];
    // Twice, so the second pass runs on remembered positions.
    for (let pass = 0; pass < 2; pass++) {
      for (const [version, expected] of cases) {
        assert.deepEqual(upgrades(assessInventory(inventory([`vim ${version}`], sources), view)), expected, `${version}, pass ${pass}`);
      }
    }
  });

  it('treats another spelling of the same version (`1.0` / `1.0-0`) as the installed version', () => {
    const result = assess(
      [index('security', 'amd64', ['same 1.0-0 amd64']), index('bookworm', 'amd64', ['same 1.0 amd64'])],
      inventory(['same 1.0']),
    );
    assert.equal(result.missingCount, 0);
    const spelled = assess([index('security', 'amd64', ['same 1.0-0 amd64'])], inventory(['same 1.0']));
    const patch = onlyPatch(spelled);
    assert.equal(patch.state, 'Installed');
    assert.equal(patch.packages[0].installedVersion, '1.0');
    assert.equal(patch.packages[0].candidateVersion, '1.0-0');
  });

  it('ignores packages without an available version and those dpkg has no current version of', () => {
    const result = assess(
      [index('bookworm', 'amd64', ['removed 1.1-1 amd64', 'held 1.1-1 amd64', 'purged 1.1-1 amd64'])],
      inventory(['local-build 1.0-1', 'removed 1.0-1 amd64 rc', 'purged 1.0-1 amd64 un', 'held 1.0-1 amd64 hi']),
    );
    // A held package is still listed by `apt list --upgradable`.
    assert.deepEqual(upgrades(result), ['held:amd64 1.0-1 → 1.1-1']);
  });

  it('skips an installed package whose version dpkg would reject instead of failing the machine', () => {
    const result = assess(
      [index('bookworm', 'amd64', ['broken 1.1-1 amd64', 'fine 1.1-1 amd64'])],
      inventory(['broken 1:', 'fine 1.0-1']),
    );
    assert.deepEqual(upgrades(result), ['fine:amd64 1.0-1 → 1.1-1']);
  });
});

describe('assessInventory: architectures', () => {
  it('treats `all` and the native architecture as one package, as apt does', () => {
    const result = assess(
      [
        index('bookworm', 'amd64', [
          'docs 1.1-1 all', // all → all
          'becameany 1.1-1 amd64', // installed as all, now built per architecture
          'becameall 1.1-1 all', // installed as amd64, now architecture-independent
          'plain 1.0-1 amd64',
        ]),
      ],
      inventory(['docs 1.0-1 all', 'becameany 1.0-1 all', 'becameall 1.0-1 amd64', 'plain 1.0-1 amd64']),
    );
    // The architecture reported is the installed one, like `apt list --upgradable` prints it.
    assert.deepEqual(upgrades(result), [
      'becameall:amd64 1.0-1 → 1.1-1',
      'becameany:all 1.0-1 → 1.1-1',
      'docs:all 1.0-1 → 1.1-1',
    ]);
  });

  it('never offers an `all` version to a foreign-architecture package', () => {
    const indexes = [
      index('bookworm', 'amd64', ['arch-indep 1.1-1 all']),
      index('bookworm', 'i386', ['arch-indep 1.1-1 all']),
    ];
    const result = assess(indexes, inventory(['arch-indep 1.0-1 i386'], undefined, { foreign: ['i386'] }));
    assert.deepEqual(result.patches, []);
  });

  it('reports a package installed for two architectures once per architecture in one patch', () => {
    const indexes = [
      index('bookworm', 'amd64', ['libssl3 3.0.15-1~deb12u1 amd64 openssl']),
      index('bookworm', 'i386', ['libssl3 3.0.15-1~deb12u1 i386 openssl']),
      index('security', 'amd64', ['libssl3 3.0.17-1~deb12u1 amd64 openssl']),
      index('security', 'i386', ['libssl3 3.0.17-1~deb12u1 i386 openssl']),
    ];
    const result = assess(
      indexes,
      inventory(['libssl3 3.0.15-1~deb12u1 i386', 'libssl3 3.0.15-1~deb12u1 amd64'], undefined, { foreign: ['i386'] }),
    );
    const patch = onlyPatch(result);
    assert.equal(patch.sourceName, 'openssl');
    assert.equal(patch.patchType, 'SecurityPatch');
    assert.deepEqual(
      patch.packages.map((p) => `${p.name}:${p.architecture} ${p.candidateVersion}`),
      ['libssl3:amd64 3.0.17-1~deb12u1', 'libssl3:i386 3.0.17-1~deb12u1'],
    );
  });

  it('does not read indexes of an architecture the machine does not have', () => {
    const indexes = [index('bookworm', 'amd64', ['libz 1.0-1 amd64']), index('bookworm', 'i386', ['libz 1.1-1 i386'])];
    // i386 package left over after `dpkg --remove-architecture i386`
    const result = assess(indexes, inventory(['libz 1.0-1 i386']));
    assert.deepEqual(result.patches, []);
  });
});

describe('assessInventory: grouping into patches', () => {
  it('groups a binNMU under its source version', () => {
    const result = assess(
      [index('updates', 'amd64', ['libbar1 2.0-1+b1 amd64 bar 2.0-1'])],
      inventory(['libbar1 2.0-1'], [source('updates')]),
    );
    const patch = onlyPatch(result);
    assert.equal(patch.sourceName, 'bar');
    assert.equal(patch.sourceVersion, '2.0-1');
    assert.equal(patch.bulletinId, 'DEB-bookworm-bar-2.0-1');
    assert.equal(patch.packages[0].candidateVersion, '2.0-1+b1');
    assert.equal(patch.patchType, 'NonSecurityPatch');
  });

  it('groups the binaries of one source version and separates other sources and versions', () => {
    const indexes = [
      index('security', 'amd64', [
        'openssl 3.0.17-1~deb12u1 amd64',
        'libssl3 3.0.17-1~deb12u1 amd64 openssl',
        'libssl-dev 3.0.17-1~deb12u1 amd64 openssl',
        'libc6 2.36-9+deb12u10 amd64 glibc',
      ]),
      index('bookworm', 'amd64', ['openssl-provider-legacy 3.0.16-1~deb12u1 amd64 openssl']),
    ];
    const result = assess(
      indexes,
      inventory([
        'openssl 3.0.15-1~deb12u1',
        'libssl3 3.0.15-1~deb12u1',
        'libssl-dev 3.0.15-1~deb12u1',
        'libc6 2.36-9+deb12u9',
        'openssl-provider-legacy 3.0.15-1~deb12u1',
      ]),
    );
    assert.deepEqual(
      result.patches.map((p) => [p.bulletinId, p.patchType, p.packages.map((k) => k.name)]),
      [
        ['DEB-bookworm-glibc-2.36-9+deb12u10', 'SecurityPatch', ['libc6']],
        ['DEB-bookworm-openssl-3.0.16-1~deb12u1', 'NonSecurityPatch', ['openssl-provider-legacy']],
        ['DEB-bookworm-openssl-3.0.17-1~deb12u1', 'SecurityPatch', ['libssl-dev', 'libssl3', 'openssl']],
      ],
    );
    assert.equal(result.missingCount, 3);
  });

  it('ignores archives the machine does not use: other repositories, components, disabled and deb-src entries', () => {
    const indexes = [
      index('bookworm', 'amd64', ['nodejs 18.20.4+dfsg-1~deb12u1 amd64']),
      index('bookworm', 'amd64', ['nodejs 99.0-1 amd64'], { component: 'contrib' }),
      index('bookworm', 'amd64', ['nodejs 20.19.0-1nodesource1 amd64'], {
        uri: 'https://deb.nodesource.com/node_20.x',
        dist: 'nodistro',
        release: { origin: 'Node Source', label: 'Node Source', suite: 'nodistro', codename: 'nodistro', notAutomatic: false, butAutomaticUpgrades: false },
      }),
      index('security', 'amd64', ['nodejs 18.20.5+dfsg-1~deb12u1 amd64']),
      index('updates', 'amd64', ['nodejs 18.20.6+dfsg-1~deb12u1 amd64']),
    ];
    const nodesource = (overrides: Partial<AptSourceEntry>): AptSourceEntry =>
      source('bookworm', { uri: 'https://deb.nodesource.com/node_20.x', suite: 'nodistro', ...overrides });
    const result = assess(
      indexes,
      inventory(
        ['nodejs 18.20.4+dfsg-1~deb12u1'],
        [
          source('bookworm'),
          source('security', { enabled: false }),
          source('updates', { type: 'deb-src' }),
          nodesource({ architectures: ['arm64'] }),
        ],
      ),
    );
    assert.deepEqual(result.patches, []);

    // The same machine with the third-party repository configured (trailing slash tolerated).
    const withNodesource = assess(
      indexes,
      inventory(['nodejs 18.20.4+dfsg-1~deb12u1'], [source('bookworm'), nodesource({ uri: 'https://deb.nodesource.com/node_20.x/' })]),
    );
    assert.deepEqual(upgrades(withNodesource), ['nodejs:amd64 18.20.4+dfsg-1~deb12u1 → 20.19.0-1nodesource1']);
    assert.equal(onlyPatch(withNodesource).release, 'nodistro');
  });

  it('reports one package once when its candidate is in two indexes', () => {
    const result = assess(
      [
        index('bookworm', 'amd64', ['tzdata 2025b-0+deb12u1 all']),
        index('updates', 'amd64', ['tzdata 2025b-0+deb12u1 all']),
        index('updates', 'i386', ['tzdata 2025b-0+deb12u1 all']),
      ],
      inventory(['tzdata 2024a-0+deb12u1 all'], undefined, { foreign: ['i386'] }),
    );
    const patch = onlyPatch(result);
    assert.equal(patch.packages.length, 1);
    assert.deepEqual(patch.packages[0].suites, ['oldstable', 'oldstable-updates']);
    assert.equal(patch.patchType, 'NonSecurityPatch');
  });
});

describe('assessInventory: installed patches', () => {
  const indexes = (): CatalogIndex[] => [
    index('bookworm', 'amd64', ['openssl 3.0.15-1~deb12u1 amd64', 'libssl3 3.0.15-1~deb12u1 amd64 openssl', 'less 590-2.1~deb12u2 amd64', 'sed 4.9-1 amd64']),
    index('security', 'amd64', ['openssl 3.0.17-1~deb12u1 amd64', 'libssl3 3.0.17-1~deb12u1 amd64 openssl']),
    index('updates', 'amd64', ['tzdata 2025b-0+deb12u1 all']),
  ];

  it('reports security and updates versions that are installed and current', () => {
    const result = assess(
      indexes(),
      inventory(['openssl 3.0.17-1~deb12u1', 'libssl3 3.0.17-1~deb12u1', 'tzdata 2025b-0+deb12u1 all', 'sed 4.9-1']),
    );
    assert.deepEqual(
      result.patches.map((p) => [p.bulletinId, p.state, p.patchType, p.packages.map((k) => `${k.name} ${k.candidateVersion}`)]),
      [
        ['DEB-bookworm-openssl-3.0.17-1~deb12u1', 'Installed', 'SecurityPatch', ['libssl3 3.0.17-1~deb12u1', 'openssl 3.0.17-1~deb12u1']],
        ['DEB-bookworm-tzdata-2025b-0+deb12u1', 'Installed', 'NonSecurityPatch', ['tzdata 2025b-0+deb12u1']],
      ],
    );
    assert.equal(result.installedCount, 2);
    assert.equal(result.missingCount, 0);
    assert.deepEqual(result.patches[0].packages[0].suites, ['oldstable-security']);
  });

  it('keeps a partly applied patch missing, listing only the packages still to update', () => {
    const result = assess(indexes(), inventory(['openssl 3.0.15-1~deb12u1', 'libssl3 3.0.17-1~deb12u1']));
    const patch = onlyPatch(result);
    assert.equal(patch.state, 'Missing');
    assert.deepEqual(patch.packages.map((k) => k.name), ['openssl']);
    assert.equal(result.installedCount, 0);
  });
});

describe('assessInventory: assessment envelope and identity', () => {
  it('sorts patches by bulletin id and carries reboot state and definition version', () => {
    const result = assess(
      [index('bookworm', 'amd64', ['zlib1g 1:1.2.13.dfsg-1+b1 amd64 zlib 1:1.2.13.dfsg-1', 'apt 2.6.1 amd64', 'bash 5.2.15-2+b8 amd64 bash 5.2.15-2'])],
      inventory(['zlib1g 1:1.2.13.dfsg-1', 'bash 5.2.15-2+b7', 'apt 2.6.0'], undefined, { rebootRequired: true }),
    );
    assert.deepEqual(
      result.patches.map((p) => p.bulletinId),
      ['DEB-bookworm-apt-2.6.1', 'DEB-bookworm-bash-5.2.15-2', 'DEB-bookworm-zlib-1:1.2.13.dfsg-1'],
    );
    assert.equal(result.rebootRequired, true);
    assert.equal(result.definitionVersion, '2026.11.22-1');
    assert.equal(result.missingCount, 3);
  });

  it('gives a patch the same id in every run and a different id for another source version', () => {
    const catalog = [index('security', 'amd64', ['libxml2 2.9.14+dfsg-1.3~deb12u2 amd64'])];
    const first = onlyPatch(assess(catalog, inventory(['libxml2 2.9.14+dfsg-1.3~deb12u1'])));
    const second = onlyPatch(assess(catalog, inventory(['libxml2 2.9.14+dfsg-1.3~deb12u1'])));
    assert.equal(first.patchId, second.patchId);
    assert.match(first.patchId, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(first.patchId, uuidV5('bookworm/libxml2/2.9.14+dfsg-1.3~deb12u2', DEBIAN_PATCH_ID_NAMESPACE));

    const nextFix = onlyPatch(
      assess([index('security', 'amd64', ['libxml2 2.9.14+dfsg-1.3~deb12u3 amd64'])], inventory(['libxml2 2.9.14+dfsg-1.3~deb12u1'])),
    );
    assert.notEqual(nextFix.patchId, first.patchId);
    assert.notEqual(
      patchIdOf({ release: 'trixie', sourceName: 'libxml2', sourceVersion: '2.9.14+dfsg-1.3~deb12u2' }),
      first.patchId,
    );
  });

  it('does not change the inventory or the view between assessments', () => {
    const view = new CatalogView(snapshot([index('bookworm', 'amd64', ['curl 7.88.1-10+deb12u12 amd64'])]));
    const machine = inventory(['curl 7.88.1-10+deb12u5']);
    const before = JSON.stringify(machine);
    const first = assessInventory(machine, view);
    first.patches[0].packages[0].suites.push('tampered');
    const second = assessInventory(machine, view);
    assert.equal(JSON.stringify(machine), before);
    assert.deepEqual(second.patches[0].packages[0].suites, ['oldstable']);
  });
});
