import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEBIAN_PROBE_SCRIPT,
  DebianProbeOutputError,
  isInstalledDpkgStatus,
  parseDebianProbeOutput,
  parseDebianProbeOutputWithProblems,
} from '../../src/inventory/probes/debian.js';
import { osFamilyOf, osFromOsRelease, parseOsReleaseFields } from '../../src/inventory/probes/os-release.js';

describe('os-release', () => {
  it('unquotes double, single and unquoted values with backslash escapes', () => {
    const fields = parseOsReleaseFields(
      [
        '# a comment',
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
        "NAME='Single \"quoted\" \\n stays'",
        'ESCAPED="say \\"hi\\" costs \\$5 \\\\ and \\`x\\` but \\q stays"',
        'BARE=plain\\ value',
        'MIXED="a b"\'c d\'e',
        'TRAILING="x" # comment after the value',
        '',
        'not an assignment',
        'WINDOWS="crlf"\r',
      ].join('\n'),
    );
    assert.equal(fields.get('PRETTY_NAME'), 'Debian GNU/Linux 12 (bookworm)');
    assert.equal(fields.get('NAME'), 'Single "quoted" \\n stays');
    assert.equal(fields.get('ESCAPED'), 'say "hi" costs $5 \\ and `x` but \\q stays');
    assert.equal(fields.get('BARE'), 'plain value');
    assert.equal(fields.get('MIXED'), 'a bc de');
    assert.equal(fields.get('TRAILING'), 'x');
    assert.equal(fields.get('WINDOWS'), 'crlf');
    assert.equal(fields.size, 7);
  });

  it('maps ID and ID_LIKE to a package family', () => {
    assert.equal(osFamilyOf('debian', []), 'debian');
    assert.equal(osFamilyOf('ubuntu', ['debian']), 'debian');
    assert.equal(osFamilyOf('linuxmint', ['ubuntu', 'debian']), 'debian');
    assert.equal(osFamilyOf('rocky', ['rhel', 'centos', 'fedora']), 'rpm');
    assert.equal(osFamilyOf('opensuse-leap', ['suse', 'opensuse']), 'rpm');
    assert.equal(osFamilyOf('amzn', ['fedora']), 'rpm');
    assert.equal(osFamilyOf('alpine', []), 'alpine');
    assert.equal(osFamilyOf('arch', []), 'unknown');
  });

  it('builds the os part of an inventory, with fallbacks for old or sparse files', () => {
    assert.deepEqual(
      osFromOsRelease('NAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\nUBUNTU_CODENAME=jammy\n'),
      { family: 'debian', id: 'ubuntu', idLike: ['debian'], versionId: '22.04', versionCodename: 'jammy', prettyName: 'Ubuntu 22.04.4 LTS' },
    );
    assert.deepEqual(osFromOsRelease('ID=debian\nVERSION="8 (jessie)"\nVERSION_ID="8"\n'), {
      family: 'debian',
      id: 'debian',
      idLike: [],
      versionId: '8',
      versionCodename: 'jessie',
      prettyName: 'Linux',
    });
    assert.deepEqual(osFromOsRelease(''), { family: 'unknown', id: 'linux', idLike: [], versionId: '', versionCodename: '', prettyName: 'Linux' });
  });
});

describe('isInstalledDpkgStatus', () => {
  it('keeps every state apt gives a current version to', () => {
    for (const status of ['ii ', 'hi ', 'iU ', 'iF ', 'iH ', 'iW ', 'it ', 'ri ', 'iUR']) assert.ok(isInstalledDpkgStatus(status), status);
    for (const status of ['rc ', 'pc ', 'un ', 'pn ', '', 'i']) assert.ok(!isInstalledDpkgStatus(status), status);
  });
});

/** Builds a probe output the way the script prints it. */
function probeOutput(parts: {
  osRelease?: string[];
  hostname?: string;
  fqdn?: string;
  hostsEntry?: string;
  foreign?: string[];
  sources?: Array<[string, string[]]>;
  rebootRequired?: boolean;
  rebootPackages?: string[];
  packages?: string[];
  dpkgExit?: number;
  end?: boolean;
}): string {
  const lines: string[] = ['Welcome to the machine! (login banner)', '@@patchwarden:begin@@ 1'];
  lines.push('@@patchwarden:os-release@@', ...(parts.osRelease ?? ['ID=debian', 'VERSION_ID="12"', 'VERSION_CODENAME=bookworm']).map((l) => `|${l}`));
  lines.push('@@patchwarden:hostname@@', parts.hostname ?? 'web1');
  lines.push('@@patchwarden:fqdn@@', parts.fqdn ?? 'web1.dc1.example.com');
  if (parts.hostsEntry !== undefined) lines.push('@@patchwarden:hosts-entry@@', parts.hostsEntry);
  lines.push('@@patchwarden:kernel-release@@', '6.1.0-18-amd64');
  lines.push('@@patchwarden:kernel-version@@', '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)');
  lines.push('@@patchwarden:machine@@', 'x86_64');
  lines.push('@@patchwarden:dpkg-architecture@@', 'amd64');
  lines.push('@@patchwarden:dpkg-foreign-architectures@@', ...(parts.foreign ?? []));
  for (const [file, content] of parts.sources ?? []) lines.push(`@@patchwarden:apt-source@@ ${file}`, ...content.map((l) => `|${l}`));
  lines.push('@@patchwarden:reboot-required@@', parts.rebootRequired ? 'yes' : 'no');
  lines.push('@@patchwarden:reboot-required-pkgs@@', ...(parts.rebootPackages ?? []).map((l) => `|${l}`));
  lines.push('@@patchwarden:dpkg-packages@@', ...(parts.packages ?? ['bash\tamd64\tii \t5.2.15-2+b2\tbash\t5.2.15-2']));
  lines.push('@@patchwarden:dpkg-query-exit@@', String(parts.dpkgExit ?? 0));
  if (parts.end !== false) lines.push('@@patchwarden:end@@');
  return lines.join('\n') + '\n';
}

const AT = new Date('2024-03-01T12:00:00.000Z');

describe('parseDebianProbeOutput', () => {
  it('reads packages, keeping source identity and dropping config-files-only ones', () => {
    const inventory = parseDebianProbeOutput(
      probeOutput({
        packages: [
          'bash\tamd64\tii \t5.2.15-2+b2\tbash\t5.2.15-2', // binNMU: source version differs
          'libssl3\tamd64\tii \t3.0.11-1~deb12u2\topenssl\t3.0.11-1~deb12u2', // source name differs
          'bsdutils\tamd64\tii \t1:2.38.1-5+b1\tutil-linux\t2.38.1-5', // epoch only on the binary
          'oldpkg\tamd64\trc \t1.0-1\toldpkg\t1.0-1', // removed, config files left
          'purged\tamd64\tpn \t\t\t', // purged
          'libc6\ti386\thi \t2.36-9+deb12u4\tglibc\t2.36-9+deb12u4', // held, foreign arch
          'broken\tamd64\tiF \t2.0-1\t\t', // half-configured, no source fields
          'tzdata\tall\tii \t2024a-0+deb12u1\t\t', // empty source fields (old dpkg)
        ],
      }),
      'ssh',
      AT,
    );
    assert.deepEqual(inventory.packages, [
      { name: 'bash', architecture: 'amd64', version: '5.2.15-2+b2', status: 'ii ', sourceName: 'bash', sourceVersion: '5.2.15-2' },
      { name: 'libssl3', architecture: 'amd64', version: '3.0.11-1~deb12u2', status: 'ii ', sourceName: 'openssl', sourceVersion: '3.0.11-1~deb12u2' },
      { name: 'bsdutils', architecture: 'amd64', version: '1:2.38.1-5+b1', status: 'ii ', sourceName: 'util-linux', sourceVersion: '2.38.1-5' },
      { name: 'libc6', architecture: 'i386', version: '2.36-9+deb12u4', status: 'hi ', sourceName: 'glibc', sourceVersion: '2.36-9+deb12u4' },
      { name: 'broken', architecture: 'amd64', version: '2.0-1', status: 'iF ', sourceName: 'broken', sourceVersion: '2.0-1' },
      { name: 'tzdata', architecture: 'all', version: '2024a-0+deb12u1', status: 'ii ', sourceName: 'tzdata', sourceVersion: '2024a-0+deb12u1' },
    ]);
  });

  it('fills host, os, kernel, architectures and reboot state', () => {
    const inventory = parseDebianProbeOutput(
      probeOutput({ foreign: ['i386', 'arm64'], rebootRequired: true, rebootPackages: ['linux-image-6.1.0-18-amd64', 'libssl3', 'linux-image-6.1.0-18-amd64'] }),
      'local',
      AT,
    );
    assert.equal(inventory.schemaVersion, 1);
    assert.equal(inventory.collectedAt, '2024-03-01T12:00:00.000Z');
    assert.equal(inventory.collector, 'local');
    assert.deepEqual(inventory.host, { hostname: 'web1', fqdn: 'web1.dc1.example.com', domain: 'dc1.example.com' });
    assert.deepEqual(inventory.os, { family: 'debian', id: 'debian', idLike: [], versionId: '12', versionCodename: 'bookworm', prettyName: 'Linux' });
    assert.deepEqual(inventory.kernel, { release: '6.1.0-18-amd64', version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)', machine: 'x86_64' });
    assert.equal(inventory.architecture, 'amd64');
    assert.deepEqual(inventory.foreignArchitectures, ['i386', 'arm64']);
    assert.deepEqual(inventory.reboot, { required: true, packages: ['linux-image-6.1.0-18-amd64', 'libssl3'] });
    // A plain JSON value: survives a round trip unchanged.
    assert.deepEqual(JSON.parse(JSON.stringify(inventory)), inventory);
  });

  it('falls back from a failed hostname -f to the hosts entry, then to the hostname', () => {
    const fromHosts = parseDebianProbeOutput(probeOutput({ hostname: 'db2', fqdn: '', hostsEntry: '10.0.0.7      db2.corp.example db2' }), 'ssh', AT);
    assert.deepEqual(fromHosts.host, { hostname: 'db2', fqdn: 'db2.corp.example', domain: 'corp.example' });

    const bare = parseDebianProbeOutput(probeOutput({ hostname: 'db2', fqdn: '' }), 'ssh', AT);
    assert.deepEqual(bare.host, { hostname: 'db2', fqdn: 'db2', domain: '' });

    const localhostAnswer = parseDebianProbeOutput(probeOutput({ hostname: 'db2', fqdn: 'localhost.localdomain' }), 'ssh', AT);
    assert.deepEqual(localhostAnswer.host, { hostname: 'db2', fqdn: 'db2', domain: '' });
  });

  it('parses apt sources in apt order, ignores names apt ignores and reports bad lines', () => {
    const { inventory, problems } = parseDebianProbeOutputWithProblems(
      probeOutput({
        sources: [
          ['/etc/apt/sources.list.d/zz.list', ['deb [signed-by=/k.gpg] https://zz.example/apt stable main', 'deb https://zz.example/apt']],
          ['/etc/apt/sources.list.d/google.list.disabled-by-farm', ['deb https://packages.cloud.google.com/apt cloud-sdk main']],
          ['/etc/apt/sources.list.d/debian.sources', ['Types: deb', '# snapshot', 'URIs: http://deb.debian.org/debian', 'Suites: bookworm bookworm-updates', 'Components: main']],
          ['/etc/apt/sources.list', ['# empty but for a comment']],
          // A copied line that looks like a section line is data, not a new section.
          ['/etc/apt/sources.list.d/tricky.list', ['@@patchwarden:end@@', 'deb http://t.example/ s main']],
        ],
      }),
      'ssh',
      AT,
    );
    assert.deepEqual(
      inventory.aptSources.map((e) => `${e.file} ${e.uri} ${e.suite}`),
      [
        '/etc/apt/sources.list.d/debian.sources http://deb.debian.org/debian bookworm',
        '/etc/apt/sources.list.d/debian.sources http://deb.debian.org/debian bookworm-updates',
        '/etc/apt/sources.list.d/tricky.list http://t.example s',
        '/etc/apt/sources.list.d/zz.list https://zz.example/apt stable',
      ],
    );
    assert.deepEqual(inventory.aptSources[3].signedBy, ['/k.gpg']);
    assert.equal(problems.length, 2);
    assert.match(problems[0], /^\/etc\/apt\/sources\.list\.d\/tricky\.list:1: /);
    assert.match(problems[1], /^\/etc\/apt\/sources\.list\.d\/zz\.list:2: .*no suite/);
  });

  it('rejects output that is cut off, missing, or from a machine without dpkg', () => {
    assert.throws(() => parseDebianProbeOutput(probeOutput({ end: false }), 'ssh', AT), (e: unknown) => e instanceof DebianProbeOutputError && /cut off/.test(e.message));
    assert.throws(() => parseDebianProbeOutput('Permission denied\n', 'ssh', AT), DebianProbeOutputError);
    assert.throws(() => parseDebianProbeOutput(probeOutput({ packages: [], dpkgExit: 127 }), 'ssh', AT), /not a dpkg-based machine/);
    assert.throws(() => parseDebianProbeOutput(probeOutput({ dpkgExit: 2 }), 'ssh', AT), /exit status 2/);
    assert.throws(() => parseDebianProbeOutput(probeOutput({}).replace('@@patchwarden:begin@@ 1', '@@patchwarden:begin@@ 9'), 'ssh', AT), /format '9'/);
  });

  it('reports a malformed package line instead of inventing a package', () => {
    const { inventory, problems } = parseDebianProbeOutputWithProblems(
      probeOutput({ packages: ['bash\tamd64\tii \t5.2.15-2+b2\tbash\t5.2.15-2', 'garbage without tabs'] }),
      'ssh',
      AT,
    );
    assert.deepEqual(inventory.packages.map((p) => p.name), ['bash']);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /garbage without tabs/);
  });
});

describe('DEBIAN_PROBE_SCRIPT', () => {
  it('asks dpkg-query for the source identity with literal dpkg field references', () => {
    const format = "-f='${Package}\\t${Architecture}\\t${db:Status-Abbrev}\\t${Version}\\t${source:Package}\\t${source:Version}\\n'";
    assert.ok(DEBIAN_PROBE_SCRIPT.includes(format), format);
    assert.ok(DEBIAN_PROBE_SCRIPT.includes('/etc/apt/sources.list.d/*.sources'));
    assert.ok(DEBIAN_PROBE_SCRIPT.includes('/var/run/reboot-required.pkgs'));
  });
});
