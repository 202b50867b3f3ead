import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collectDebianInventory, collectInventory, InventoryCollectionError } from '../../src/inventory/collect.js';
import { LocalMachineShell } from '../../src/inventory/collectors/local.js';
import { requireOrSkip } from '../support/required-service.js';
import { buildRpms, installRpms, rpmInRoot, rpmToolsAvailable } from '../support/rpm-packages.js';

const RUNNING = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
const shell = new LocalMachineShell();

interface RpmSystem {
  label: string;
  osRelease: string;
  expectedOs: { id: string; versionId: string; prettyName: string };
  dbpath: string;
  kernelPackage: string;
  files?: Record<string, string>;
  reboot: { required: boolean; reasons: string[] };
}

const RPM_SYSTEMS: RpmSystem[] = [
  {
    label: 'Rocky Linux 9',
    osRelease: 'NAME="Rocky Linux"\nVERSION="9.3 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n',
    expectedOs: { id: 'rocky', versionId: '9.3', prettyName: 'Rocky Linux 9.3 (Blue Onyx)' },
    dbpath: '/var/lib/rpm', kernelPackage: 'kernel-core', reboot: { required: false, reasons: [] },
  },
  {
    label: 'AlmaLinux 9',
    osRelease: 'NAME="AlmaLinux"\nVERSION="9.4 (Seafoam Ocelot)"\nID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\nPLATFORM_ID="platform:el9"\nPRETTY_NAME="AlmaLinux 9.4 (Seafoam Ocelot)"\n',
    expectedOs: { id: 'almalinux', versionId: '9.4', prettyName: 'AlmaLinux 9.4 (Seafoam Ocelot)' },
    dbpath: '/var/lib/rpm', kernelPackage: 'kernel-core', reboot: { required: false, reasons: [] },
  },
  {
    label: 'Fedora 40 (database under /usr/lib/sysimage)',
    osRelease: 'NAME="Fedora Linux"\nVERSION="40 (Server Edition)"\nID=fedora\nVERSION_ID=40\nVERSION_CODENAME=""\nPLATFORM_ID="platform:f40"\nPRETTY_NAME="Fedora Linux 40 (Server Edition)"\n',
    expectedOs: { id: 'fedora', versionId: '40', prettyName: 'Fedora Linux 40 (Server Edition)' },
    dbpath: '/usr/lib/sysimage/rpm', kernelPackage: 'kernel-core', reboot: { required: false, reasons: [] },
  },
  {
    label: 'Amazon Linux 2023',
    osRelease: 'NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\nID_LIKE="fedora"\nVERSION_ID="2023"\nPLATFORM_ID="platform:al2023"\nPRETTY_NAME="Amazon Linux 2023.4.20240611"\n',
    expectedOs: { id: 'amzn', versionId: '2023', prettyName: 'Amazon Linux 2023.4.20240611' },
    dbpath: '/var/lib/rpm', kernelPackage: 'kernel', reboot: { required: false, reasons: [] },
  },
  {
    label: 'SUSE Linux Enterprise Server 15 SP5',
    osRelease: 'NAME="SLES"\nVERSION="15-SP5"\nVERSION_ID="15.5"\nPRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"\nID="sles"\nID_LIKE="suse"\nANSI_COLOR="0;32"\nCPE_NAME="cpe:/o:suse:sles:15:sp5"\n',
    expectedOs: { id: 'sles', versionId: '15.5', prettyName: 'SUSE Linux Enterprise Server 15 SP5' },
    dbpath: '/usr/lib/sysimage/rpm', kernelPackage: 'kernel-default',
    files: {
      'etc/zypp/repos.d/SLE-Module-Basesystem.repo':
        '[SLE-Module-Basesystem15-SP5-Updates]\nname=SLE-Module-Basesystem15-SP5-Updates\nenabled=1\nautorefresh=1\nbaseurl=https://updates.suse.com/SUSE/Updates/SLE-Module-Basesystem/15-SP5/x86_64/update/\ntype=rpm-md\n',
      'run/reboot-needed': '',
    },
    reboot: { required: true, reasons: ['/run/reboot-needed exists'] },
  },
];

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
}

describe('collectInventory picks the probe from os-release', () => {
  let work = '';
  let rpms = new Map<string, string>();

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'pw-collect-'));
    if (!rpmToolsAvailable()) return;
    rpms = await buildRpms(path.join(work, 'build'), [
      { name: 'openssl', epoch: 1, version: '3.0.7', release: '27', files: ['/usr/bin/openssl'], subpackages: [{ name: 'openssl-libs', files: ['/usr/lib64/libssl.so.3'] }] },
      { name: 'kernel', version: '6.1.94', release: '99.176.amzn2023', files: [`/boot/vmlinuz-${RUNNING}`] },
      { name: 'kernel', version: '5.14.0', release: '362.8.1.el9_3', subpackages: [{ name: 'kernel-core', files: [`/lib/modules/${RUNNING}/vmlinuz`] }] },
      { name: 'kernel-default', version: '5.14.21', release: '150500.55.39.1', files: [`/usr/lib/modules/${RUNNING}/vmlinuz`] },
    ]);
  });

  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  for (const system of RPM_SYSTEMS) {
    it(`${system.label}: the rpm probe, packages as rpm lists them`, async (t) => {
      if (!requireOrSkip(t, rpmToolsAvailable(), 'rpm and rpmbuild (Debian package rpm) are not installed')) return;
      const root = path.join(work, system.expectedOs.id);
      await writeFiles(root, { 'etc/os-release': system.osRelease, ...system.files });
      const kernelFile = [...rpms.keys()].find((file) => new RegExp(`^${system.kernelPackage}-\\d`).test(file));
      assert.ok(kernelFile, `built ${system.kernelPackage}`);
      const packages = [...rpms.entries()].filter(([file]) => file.startsWith('openssl')).map(([, p]) => p);
      installRpms(root, system.dbpath, [...packages, rpms.get(kernelFile)!]);

      const inventory = await collectInventory(shell, { rootDirectory: root });
      assert.deepEqual(
        { family: inventory.os.family, id: inventory.os.id, versionId: inventory.os.versionId, prettyName: inventory.os.prettyName },
        { family: 'rpm', ...system.expectedOs },
      );
      const listed = rpmInRoot(root, system.dbpath, ['-qa', '--queryformat', '%{NAME} %{EVR} %{ARCH}\\n']).split('\n').filter((l) => l !== '').sort();
      assert.equal(listed.length, 3);
      assert.deepEqual(inventory.packages.map((p) => `${p.name} ${p.version} ${p.architecture}`).sort(), listed);
      assert.equal(inventory.kernel.package?.name, system.kernelPackage);
      assert.deepEqual({ required: inventory.reboot.required, reasons: inventory.reboot.reasons }, system.reboot);
      const repoFiles = Object.keys(system.files ?? {}).filter((file) => file.endsWith('.repo')).map((file) => `/${file}`);
      assert.deepEqual([...new Set(inventory.repositories?.map((r) => r.file))], repoFiles);
    });
  }

  it('Alpine: the apk probe', async () => {
    const root = path.join(work, 'alpine');
    await writeFiles(root, {
      'etc/os-release': 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n',
      'etc/apk/arch': 'aarch64\n',
      'lib/apk/db/installed': 'C:Q1x=\nP:musl\nV:1.2.5-r0\nA:aarch64\no:musl\n\nC:Q1y=\nP:libssl3\nV:3.3.2-r0\nA:aarch64\no:openssl\n\n',
    });
    const inventory = await collectInventory(shell, { rootDirectory: root });
    assert.deepEqual([inventory.os.family, inventory.os.id, inventory.os.versionId, inventory.architecture], ['alpine', 'alpine', '3.20.3', 'aarch64']);
    assert.deepEqual(inventory.packages.map((p) => `${p.name} ${p.version} ${p.sourceName}`), ['musl 1.2.5-r0 musl', 'libssl3 3.3.2-r0 openssl']);
  });

  it('an unsupported OS still gets an inventory of family unknown', async () => {
    const root = path.join(work, 'arch');
    await writeFiles(root, { 'etc/os-release': 'NAME="Arch Linux"\nPRETTY_NAME="Arch Linux"\nID=arch\nBUILD_ID=rolling\n' });
    const inventory = await collectInventory(shell, { rootDirectory: root });
    assert.deepEqual(inventory.os, { family: 'unknown', id: 'arch', idLike: [], versionId: '', versionCodename: '', prettyName: 'Arch Linux' });
    assert.deepEqual(inventory.packages, []);
    assert.equal(inventory.kernel.release, RUNNING);
    assert.equal(inventory.host.hostname, execFileSync('hostname', { encoding: 'utf8' }).trim());
  });

  it('a system without os-release is an unknown Linux', async () => {
    const root = path.join(work, 'bare');
    await mkdir(root, { recursive: true });
    const inventory = await collectInventory(shell, { rootDirectory: root });
    assert.deepEqual([inventory.os.family, inventory.os.id, inventory.os.prettyName], ['unknown', 'linux', 'Linux']);
  });

  it('refuses a Debian system under a root directory with a clear error', async () => {
    const root = path.join(work, 'debian');
    await writeFiles(root, { 'usr/lib/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n' });
    await assert.rejects(collectInventory(shell, { rootDirectory: root }),
      (error: unknown) => error instanceof InventoryCollectionError && /Debian-family system under a root directory is not supported/.test(error.message));
  });

  it('on this Debian machine, gives what the Debian probe gives', async (t) => {
    const dpkg = execFileSync('sh', ['-c', 'command -v dpkg-query || true'], { encoding: 'utf8' }).trim() !== '';
    if (!requireOrSkip(t, dpkg, 'this machine is not a dpkg-based system')) return;
    const [any, debian] = await Promise.all([collectInventory(shell), collectDebianInventory(shell)]);
    assert.equal(any.os.family, 'debian');
    assert.ok(any.packages.length > 0);
    assert.deepEqual({ ...any, collectedAt: '' }, { ...debian, collectedAt: '' });
  });
});
