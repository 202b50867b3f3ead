import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAlpineProbeOutput } from '../../src/inventory/probes/alpine.js';
import { inventoryProbeScript, parseInventoryProbeOutput } from '../../src/inventory/probes/dispatch.js';
import { ProbeOutputError } from '../../src/inventory/probes/probe-output.js';
import { parseApkRepositories, parseRepoFile } from '../../src/inventory/probes/repo-file.js';
import { parseRpmProbeOutput, parseSourceRpmName } from '../../src/inventory/probes/rpm.js';

const AT = new Date('2026-11-22T12:00:00Z');

/** An rpm probe output: sections given as `[name, lines]`, between begin and end. */
function rpmOutput(sections: Array<[string, string[]]>, format = 'rpm-1'): string {
  const body = sections.flatMap(([name, lines]) => [`@@patchwarden:${name}@@`, ...lines]);
  return [`@@patchwarden:begin@@ ${format}`, ...body, '@@patchwarden:end@@', ''].join('\n');
}

const OS = ['|NAME="Red Hat Enterprise Linux"', '|ID="rhel"', '|ID_LIKE="fedora"', '|VERSION_ID="9.4"', '|PRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"'];
const KERNEL_LINES = (release: string): Array<[string, string[]]> => [
  ['os-release', OS], ['hostname', ['db1']], ['fqdn', ['db1.example.org']], ['kernel-release', [release]],
  ['kernel-version', ['#1 SMP PREEMPT_DYNAMIC']], ['machine', ['x86_64']], ['rpm-architecture', ['x86_64']],
];
const T = '\t';
const PACKAGES = [
  ['kernel-core', '(none)', '5.14.0', '362.8.1.el9_3', 'x86_64', 'kernel-5.14.0-362.8.1.el9_3.src.rpm', '1700000000', '(none)'].join(T),
  ['kernel-core', '(none)', '5.14.0', '427.13.1.el9_4', 'x86_64', 'kernel-5.14.0-427.13.1.el9_4.src.rpm', '1710000000', '(none)'].join(T),
  ['nodejs', '1', '18.20.2', '1.module+el9.4.0+21731+46b5c4ba', 'x86_64', 'nodejs-18.20.2-1.module+el9.4.0+21731+46b5c4ba.src.rpm', '1710000000', 'nodejs:18:9040020240412051326:rhel9'].join(T),
  ['gpg-pubkey', '(none)', 'fd431d51', '4ae0493b', '(none)', '(none)', '1700000000', '(none)'].join(T),
];

function parseRpm(extra: Array<[string, string[]]>, release = '5.14.0-362.8.1.el9_3.x86_64', packages = PACKAGES) {
  return parseRpmProbeOutput(rpmOutput([...KERNEL_LINES(release), ...extra, ['rpm-packages', packages], ['rpm-query-exit', ['0']]]), 'ssh', AT);
}

describe('SOURCERPM names', () => {
  it('splits name, version and release at the last two dashes', () => {
    assert.deepEqual(parseSourceRpmName('openssl-3.0.7-27.el9.src.rpm'), { name: 'openssl', version: '3.0.7', release: '27.el9' });
    assert.deepEqual(parseSourceRpmName('python-dns-tools-2.4.1-3.el9.src.rpm'), { name: 'python-dns-tools', version: '2.4.1', release: '3.el9' });
    assert.deepEqual(parseSourceRpmName('glibc-2.34-100.el9_4.2.nosrc.rpm'), { name: 'glibc', version: '2.34', release: '100.el9_4.2' });
    assert.equal(parseSourceRpmName('(none)'), undefined);
    assert.equal(parseSourceRpmName('broken.src.rpm'), undefined);
  });
});

describe('parseRpmProbeOutput', () => {
  it('builds EVRs, keeps modularity labels and drops signing keys', () => {
    const { inventory } = parseRpm([]);
    assert.deepEqual(inventory.packages.map((p) => `${p.name} ${p.version} ${p.sourceName} ${p.sourceVersion}`), [
      'kernel-core 5.14.0-362.8.1.el9_3 kernel 5.14.0-362.8.1.el9_3',
      'kernel-core 5.14.0-427.13.1.el9_4 kernel 5.14.0-427.13.1.el9_4',
      'nodejs 1:18.20.2-1.module+el9.4.0+21731+46b5c4ba nodejs 1:18.20.2-1.module+el9.4.0+21731+46b5c4ba',
    ]);
    assert.equal(inventory.packages[2].modularityLabel, 'nodejs:18:9040020240412051326:rhel9');
    assert.equal(inventory.packages[0].modularityLabel, undefined);
    assert.equal(inventory.packages[0].installedAt, '2023-11-14T22:13:20.000Z');
  });

  it('trusts needs-restarting -r when it answers, and lists the core packages it names', () => {
    const yes = parseRpm([
      ['needs-restarting', ['|Core libraries or services have been updated since boot-up:', '|  * kernel', '|  * systemd', '|', '|Reboot is required to fully utilize these updates.']],
      ['needs-restarting-exit', ['1']],
    ]);
    assert.deepEqual(yes.inventory.reboot, { required: true, packages: ['kernel', 'systemd'], reasons: ['needs-restarting -r: a reboot is required'] });
    // The tool says no: the newer kernel on disk (installed before this boot) is not a reboot signal.
    const no = parseRpm([['needs-restarting', ['|Reboot should not be necessary.']], ['needs-restarting-exit', ['0']]]);
    assert.deepEqual(no.inventory.reboot, { required: false, packages: [], reasons: [] });
    assert.equal(no.inventory.kernel.package?.version, '5.14.0-362.8.1.el9_3', 'found by its release when no image file answered');
  });

  it('falls back to comparing kernels when needs-restarting refuses or is missing', () => {
    const refused = parseRpm([['needs-restarting', ['|This command has to be run with superuser privileges']], ['needs-restarting-exit', ['1']]]);
    assert.equal(refused.problems.length, 1);
    assert.match(refused.problems[0], /needs-restarting -r gave no answer \(exit status 1\): This command has to be run/);
    assert.deepEqual(refused.inventory.reboot, {
      required: true, packages: ['kernel-core'], reasons: ['kernel-core 5.14.0-427.13.1.el9_4 is installed but 5.14.0-362.8.1.el9_3 is running'],
    });
    const newest = parseRpm([], '5.14.0-427.13.1.el9_4.x86_64');
    assert.deepEqual(newest.inventory.reboot, { required: false, packages: [], reasons: [] });
  });

  it('prefers the image owner the probe found, and reads SUSE signals and kernel naming', () => {
    const owner = parseRpm([['running-kernel-owner', [['kernel-core', '(none)', '5.14.0', '427.13.1.el9_4', 'x86_64'].join(T)]]], 'anything');
    assert.deepEqual(owner.inventory.kernel.package, { name: 'kernel-core', version: '5.14.0-427.13.1.el9_4', architecture: 'x86_64' });
    const suse = parseRpm(
      [['zypper-needs-rebooting', ['102']], ['reboot-needed-file', ['yes']]],
      '5.14.21-150500.55.39-default',
      [['kernel-default', '(none)', '5.14.21', '150500.55.39.1', 'x86_64', 'kernel-default-5.14.21-150500.55.39.1.nosrc.rpm', '1700000000', '(none)'].join(T)],
    );
    assert.equal(suse.inventory.kernel.package?.name, 'kernel-default');
    assert.deepEqual(suse.inventory.reboot.reasons, ['zypper needs-rebooting: a reboot is required', '/run/reboot-needed exists']);
  });

  it('rejects outputs of a machine without rpm, cut off, or of another format', () => {
    assert.throws(() => parseRpmProbeOutput(rpmOutput([['rpm-query-exit', ['127']]]), 'ssh', AT), /rpm was not found: this is not an rpm-based machine/);
    assert.throws(() => parseRpmProbeOutput(rpmOutput([['rpm-query-exit', ['0']]]).replace('@@patchwarden:end@@\n', ''), 'ssh', AT), /cut off/);
    assert.throws(() => parseRpmProbeOutput(rpmOutput([], 'rpm-0'), 'ssh', AT), (e: unknown) => e instanceof ProbeOutputError && /'rpm-0'/.test(e.message));
    const bad = parseRpm([], undefined, ['kernel-core\t5.14.0']);
    assert.deepEqual(bad.inventory.packages, []);
    assert.match(bad.problems[0], /rpm query line with 2 fields instead of 8/);
  });
});

describe('repository files', () => {
  it('reads dnf and zypper .repo files with defaults, continuations and comments', () => {
    const { repositories, problems } = parseRepoFile('/etc/yum.repos.d/x.repo', [
      '; comment', '[appstream]', 'name=AppStream', 'metalink=https://mirrors.fedoraproject.org/metalink?repo=fedora-$releasever',
      '[two]', 'baseurl=http://a.example.org/,http://b.example.org/', ' http://c.example.org/', 'enabled=False',
      'stray line', '[off]', 'enabled = no',
    ].join('\n'));
    assert.deepEqual(repositories.map((r) => [r.id, r.name, r.enabled, r.baseUrls, r.metalink !== '']), [
      ['appstream', 'AppStream', true, [], true],
      ['two', '', false, ['http://a.example.org/', 'http://b.example.org/', 'http://c.example.org/'], false],
      ['off', '', false, [], false],
    ]);
    assert.deepEqual(problems, ['/etc/yum.repos.d/x.repo:9: not a repository option: "stray line"']);
  });

  it('reads apk repository lines with tags and local paths', () => {
    assert.deepEqual(parseApkRepositories('/etc/apk/repositories', '# c\n/media/cdrom/apks\n@edge http://x.example.org/edge/main\n\n')
      .map((r) => [r.id, r.baseUrls[0]]), [['', '/media/cdrom/apks'], ['edge', 'http://x.example.org/edge/main']]);
  });
});

describe('Alpine probe output', () => {
  it('separates records even without a blank line and reports records without a version', () => {
    const output = ['@@patchwarden:begin@@ alpine-1', '@@patchwarden:kernel-release@@', '6.6.30-0-virt',
      '@@patchwarden:apk-installed@@ /lib/apk/db/installed', 'P:a', 'V:1.0-r0', 'P:b', 'V:2.0-r1', 'o:bsrc', '', 'P:c', '',
      '@@patchwarden:apk-installed-state@@', 'ok', '@@patchwarden:end@@', ''].join('\n');
    const { inventory, problems } = parseAlpineProbeOutput(output, 'ssh', AT);
    assert.deepEqual(inventory.packages.map((p) => `${p.name} ${p.version} ${p.sourceName}`), ['a 1.0-r0 a', 'b 2.0-r1 bsrc']);
    assert.deepEqual(problems, ['apk database record without a version (V:) for c']);
    assert.deepEqual(inventory.reboot, { required: false, packages: [], reasons: [] }, 'no kernel package: nothing to say');
  });
});

describe('the dispatching probe', () => {
  it('refuses an output that names no probe or an unknown one', () => {
    assert.throws(() => parseInventoryProbeOutput('login banner\n', 'ssh', AT), /names no probe/);
    assert.throws(() => parseInventoryProbeOutput('@@patchwarden:probe@@ plan9\n', 'ssh', AT), /unknown probe 'plan9'/);
  });

  it('quotes the root directory and refuses a relative one', () => {
    assert.match(inventoryProbeScript({ rootDirectory: "/mnt/it's here/" }), /^pw_root='\/mnt\/it'\\''s here'$/m);
    assert.throws(() => inventoryProbeScript({ rootDirectory: 'relative/path' }), /not an absolute path/);
  });

  it('records the family of the probe that ran when os-release reads otherwise', () => {
    const output = ['@@patchwarden:probe@@ unknown', '@@patchwarden:begin@@ other-1', '@@patchwarden:os-release@@', '|ID=debian',
      '@@patchwarden:end@@', ''].join('\n');
    const { inventory, problems } = parseInventoryProbeOutput(output, 'ssh', AT);
    assert.equal(inventory.os.family, 'unknown');
    assert.equal(inventory.os.id, 'debian');
    assert.deepEqual(problems, ["os-release reads as family 'debian' but the unknown probe ran; the inventory is recorded as unknown"]);
  });
});
