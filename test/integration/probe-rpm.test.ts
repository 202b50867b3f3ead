import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collectInventory } from '../../src/inventory/collect.js';
import { LocalMachineShell } from '../../src/inventory/collectors/local.js';
import type { Inventory } from '../../src/inventory/types.js';
import { requireOrSkip } from '../support/required-service.js';
import { buildRpms, installRpms, rpmInRoot, rpmToolsAvailable, TEST_SIGNING_KEY, type RpmSpec } from '../support/rpm-packages.js';
import { ROCKY_9_OS_RELEASE } from '../support/rpm-target.js';

const RUNNING = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
const NEWER_KERNEL = '5.14.0-427.13.1.el9_4.x86_64';

const SPECS: RpmSpec[] = [
  // An epoch, and a subpackage whose SOURCERPM is the main package's.
  { name: 'openssl', epoch: 1, version: '3.0.7', release: '27.el9', files: ['/usr/bin/openssl'],
    subpackages: [{ name: 'openssl-libs', files: ['/usr/lib64/libssl.so.3'] }] },
  // Dashes in the source name; the binary is named differently.
  { name: 'python-dns-tools', version: '2.4.1', release: '3.el9', noarch: true,
    subpackages: [{ name: 'python3-dns-tools', files: ['/usr/lib/python3.9/site-packages/dnstools.py'] }] },
  // An explicit epoch 0, and rpm's ~ in a version.
  { name: 'zero-epoch-tool', epoch: 0, version: '1.0', release: '1.el9', files: ['/usr/bin/zero-epoch-tool'] },
  { name: 'widget', version: '2.0~rc1', release: '3.el9', files: ['/usr/bin/widget'] },
  // The running kernel and a newer one installed beside it.
  { name: 'kernel', version: '5.14.0', release: '362.8.1.el9_3', subpackages: [{ name: 'kernel-core', files: [`/lib/modules/${RUNNING}/vmlinuz`] }] },
  { name: 'kernel', version: '5.14.0', release: '427.13.1.el9_4', subpackages: [{ name: 'kernel-core', files: [`/lib/modules/${NEWER_KERNEL}/vmlinuz`] }] },
];

const ROCKY_REPO = `[baseos]
name=Rocky Linux $releasever - BaseOS
mirrorlist=https://mirrors.rockylinux.org/mirrorlist?arch=$basearch&repo=BaseOS-$releasever
#baseurl=http://dl.rockylinux.org/$contentdir/$releasever/BaseOS/$basearch/os/
gpgcheck=1
enabled=1
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-Rocky-9

[local-mirror]
name = Local mirror
baseurl = http://mirror.example.org/rocky/9/BaseOS/x86_64/os/
    http://mirror2.example.org/rocky/9/BaseOS/x86_64/os/
enabled = 0
`;

describe('the rpm probe on a system root with real rpm packages', () => {
  let work = '';
  let root = '';
  let built = new Map<string, string>();
  let inventory: Inventory;
  const problems: string[] = [];

  before(async () => {
    if (!rpmToolsAvailable()) return;
    work = await mkdtemp(path.join(tmpdir(), 'pw-rpm-probe-'));
    root = path.join(work, 'root');
    built = await buildRpms(work, SPECS);
    await mkdir(path.join(root, 'etc/yum.repos.d'), { recursive: true });
    await writeFile(path.join(root, 'etc/os-release'), ROCKY_9_OS_RELEASE);
    await writeFile(path.join(root, 'etc/yum.repos.d/rocky.repo'), ROCKY_REPO);
    installRpms(root, '/var/lib/rpm', [...built.values()]);
    // An imported signing key shows up in `rpm -qa` as a gpg-pubkey package.
    await writeFile(path.join(work, 'key.asc'), TEST_SIGNING_KEY);
    rpmInRoot(root, '/var/lib/rpm', ['--import', path.join(work, 'key.asc')]);
    inventory = await collectInventory(new LocalMachineShell(), { rootDirectory: root, onProblem: (p) => problems.push(p) });
  });

  after(async () => {
    if (work !== '') await rm(work, { recursive: true, force: true });
  });

  it('lists what rpm -qa lists, with full EVRs, minus the signing keys', (t) => {
    if (!requireOrSkip(t, rpmToolsAvailable(), 'rpm and rpmbuild (Debian package rpm) are not installed')) return;
    const fromRpm = rpmInRoot(root, '/var/lib/rpm', ['-qa', '--queryformat', '%{NAME} %{EVR} %{ARCH}\\n'])
      .split('\n').filter((line) => line !== '');
    assert.ok(fromRpm.some((line) => line.startsWith('gpg-pubkey ')), 'the key was imported');
    const expected = fromRpm.filter((line) => !line.startsWith('gpg-pubkey ')).sort();
    assert.equal(expected.length, 7);
    assert.deepEqual(inventory.packages.map((p) => `${p.name} ${p.version} ${p.architecture}`).sort(), expected);
    assert.deepEqual(problems, []);
  });

  it('records epochs only where packages have one, and source identity from SOURCERPM', (t) => {
    if (!requireOrSkip(t, rpmToolsAvailable(), 'rpm and rpmbuild are not installed')) return;
    const byName = new Map(inventory.packages.map((p) => [`${p.name} ${p.version}`, p]));
    const libs = byName.get('openssl-libs 1:3.0.7-27.el9');
    assert.ok(libs);
    assert.equal(libs.epoch, 1);
    assert.equal(libs.sourceName, 'openssl');
    assert.equal(libs.sourceVersion, '1:3.0.7-27.el9');
    assert.equal(libs.status, '');
    assert.ok(libs.installedAt !== undefined && Math.abs(Date.parse(libs.installedAt) - Date.now()) < 600_000, 'install time is recent');

    const dns = byName.get('python3-dns-tools 2.4.1-3.el9');
    assert.ok(dns);
    assert.equal(dns.epoch, undefined);
    assert.deepEqual([dns.sourceName, dns.sourceVersion, dns.architecture], ['python-dns-tools', '2.4.1-3.el9', 'noarch']);

    const zero = byName.get('zero-epoch-tool 0:1.0-1.el9');
    assert.ok(zero, 'an explicit epoch 0 is kept, as rpm writes it in %{EVR}');
    assert.equal(zero.epoch, 0);
    const widget = byName.get('widget 2.0~rc1-3.el9');
    assert.ok(widget);
    assert.equal(widget.epoch, undefined);
    assert.equal(widget.sourceVersion, '2.0~rc1-3.el9');
  });

  it('finds the package of the running kernel and asks for a reboot into the newer one', (t) => {
    if (!requireOrSkip(t, rpmToolsAvailable(), 'rpm and rpmbuild are not installed')) return;
    const owner = rpmInRoot(root, '/var/lib/rpm', ['-qf', '--queryformat', '%{NAME} %{EVR}', `/lib/modules/${RUNNING}/vmlinuz`]);
    assert.equal(owner, 'kernel-core 5.14.0-362.8.1.el9_3');
    assert.deepEqual(inventory.kernel.package, { name: 'kernel-core', version: '5.14.0-362.8.1.el9_3', architecture: 'x86_64' });
    assert.equal(inventory.kernel.release, RUNNING);
    assert.deepEqual(inventory.reboot, {
      required: true,
      packages: ['kernel-core'],
      reasons: ['kernel-core 5.14.0-427.13.1.el9_4 is installed but 5.14.0-362.8.1.el9_3 is running'],
    });
  });

  it('reads the machine identity and repository files', (t) => {
    if (!requireOrSkip(t, rpmToolsAvailable(), 'rpm and rpmbuild are not installed')) return;
    assert.deepEqual(inventory.os, {
      family: 'rpm', id: 'rocky', idLike: ['rhel', 'centos', 'fedora'], versionId: '9.3', versionCodename: '', prettyName: 'Rocky Linux 9.3 (Blue Onyx)',
    });
    assert.equal(inventory.architecture, execFileSync('rpm', ['--eval', '%{_arch}'], { encoding: 'utf8' }).trim());
    assert.deepEqual(inventory.aptSources, []);
    assert.deepEqual(inventory.repositories, [
      {
        file: '/etc/yum.repos.d/rocky.repo', id: 'baseos', name: 'Rocky Linux $releasever - BaseOS', enabled: true, baseUrls: [],
        mirrorList: 'https://mirrors.rockylinux.org/mirrorlist?arch=$basearch&repo=BaseOS-$releasever', metalink: '',
      },
      {
        file: '/etc/yum.repos.d/rocky.repo', id: 'local-mirror', name: 'Local mirror', enabled: false,
        baseUrls: ['http://mirror.example.org/rocky/9/BaseOS/x86_64/os/', 'http://mirror2.example.org/rocky/9/BaseOS/x86_64/os/'],
        mirrorList: '', metalink: '',
      },
    ]);
  });

  it('without the newer kernel, the machine runs its newest kernel and needs no reboot', async (t) => {
    if (!requireOrSkip(t, rpmToolsAvailable(), 'rpm and rpmbuild are not installed')) return;
    const single = path.join(work, 'single-kernel');
    await mkdir(path.join(single, 'etc'), { recursive: true });
    await writeFile(path.join(single, 'etc/os-release'), ROCKY_9_OS_RELEASE);
    // The newer kernel is not installed here; an older one is kept.
    const older = await buildRpms(path.join(work, 'older'), [
      { name: 'kernel', version: '5.14.0', release: '284.11.1.el9_2', subpackages: [{ name: 'kernel-core', files: ['/lib/modules/5.14.0-284.11.1.el9_2.x86_64/vmlinuz'] }] },
    ]);
    const running = [...built.entries()].filter(([file]) => file.startsWith('kernel-core-5.14.0-362')).map(([, p]) => p);
    installRpms(single, '/var/lib/rpm', [...running, ...older.values()]);
    const machine = await collectInventory(new LocalMachineShell(), { rootDirectory: single });
    assert.deepEqual(machine.packages.map((p) => p.version).sort(), ['5.14.0-284.11.1.el9_2', '5.14.0-362.8.1.el9_3']);
    assert.equal(machine.kernel.package?.version, '5.14.0-362.8.1.el9_3');
    assert.deepEqual(machine.reboot, { required: false, packages: [], reasons: [] });
    assert.deepEqual(machine.repositories, []);
  });
});
