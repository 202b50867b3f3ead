import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assessInventory } from '../../src/assess/assess-inventory.js';
import {
  debianKernelAbiOf,
  debianKernelBuildVersion,
  debianRunningBuildVersion,
  applyRunningKernel,
  judgeRunningKernel,
  stateOfInstalledKernelFix,
} from '../../src/assess/running-kernel.js';
import type { PatchFinding } from '../../src/assess/types.js';
import type { CatalogIndex } from '../../src/catalog/catalog-snapshot.js';
import { CatalogView } from '../../src/catalog/catalog-view.js';
import type { InstalledPackage, Inventory, RunningKernelPackage } from '../../src/inventory/types.js';

/** `name version [source [sourceVersion]]`, installed (`ii `) on amd64. */
function pkg(spec: string): InstalledPackage {
  const [name, version, sourceName = name, sourceVersion = version] = spec.split(' ');
  return { name, version, architecture: 'amd64', status: 'ii ', sourceName, sourceVersion };
}

function machine(options: {
  family?: Inventory['os']['family'];
  id?: string;
  release: string;
  unameVersion: string;
  packages: InstalledPackage[];
  kernelPackage?: RunningKernelPackage;
  rebootRequired?: boolean;
}): Inventory {
  const family = options.family ?? 'debian';
  const security = 'http://deb.debian.org/debian-security';
  return {
    schemaVersion: 1,
    collectedAt: '2026-11-22T10:20:00Z',
    collector: 'ssh',
    host: { hostname: 'k1', fqdn: 'k1.example.org', domain: 'example.org' },
    os: { family, id: options.id ?? 'debian', idLike: [], versionId: '12', versionCodename: 'bookworm', prettyName: 'Test' },
    kernel: {
      release: options.release,
      version: options.unameVersion,
      machine: 'x86_64',
      ...(options.kernelPackage === undefined ? {} : { package: options.kernelPackage }),
    },
    architecture: 'amd64',
    foreignArchitectures: [],
    packages: options.packages,
    aptSources: family === 'debian'
      ? [{ type: 'deb', uri: security, suite: 'bookworm-security', components: ['main'], enabled: true, file: '/etc/apt/sources.list' }]
      : [],
    reboot: { required: options.rebootRequired ?? false, packages: [] },
  };
}

// Debian bookworm: the signed images come from linux-signed-amd64 (version 6.1.x+1), the rest of
// the kernel binaries from linux (6.1.x-1).
const OLD_IMAGE = 'linux-image-6.1.0-13-amd64 6.1.55+1 linux-signed-amd64 6.1.55+1';
const NEW_IMAGE = 'linux-image-6.1.0-18-amd64 6.1.76+1 linux-signed-amd64 6.1.76+1';
const NEW_META = 'linux-image-amd64 6.1.76+1 linux-signed-amd64 6.1.76+1';
const NEW_LIBC_DEV = 'linux-libc-dev 6.1.76-1 linux 6.1.76-1';
const OPENSSL = 'libssl3 3.0.11-1~deb12u2 openssl 3.0.11-1~deb12u2';

describe('Debian and Ubuntu kernel names and versions', () => {
  it('finds the kernel release of ABI image and modules packages, not of meta packages', () => {
    assert.equal(debianKernelAbiOf('linux-image-6.1.0-13-amd64'), '6.1.0-13-amd64');
    assert.equal(debianKernelAbiOf('linux-image-6.1.0-13-amd64-unsigned'), '6.1.0-13-amd64');
    assert.equal(debianKernelAbiOf('linux-image-6.1.0-13-cloud-amd64'), '6.1.0-13-cloud-amd64');
    assert.equal(debianKernelAbiOf('linux-image-unsigned-6.8.0-45-generic'), '6.8.0-45-generic');
    assert.equal(debianKernelAbiOf('linux-signed-image-4.4.0-21-generic'), '4.4.0-21-generic');
    assert.equal(debianKernelAbiOf('linux-modules-6.8.0-45-generic'), '6.8.0-45-generic');
    assert.equal(debianKernelAbiOf('linux-modules-extra-6.8.0-45-generic'), '6.8.0-45-generic');
    for (const notAbi of ['linux-image-amd64', 'linux-image-virtual', 'linux-image-generic-hwe-22.04', 'linux-libc-dev',
      'linux-headers-6.1.0-13-amd64', 'linux-image-6.1.0-13-amd64-dbg', 'linux-firmware']) {
      assert.equal(debianKernelAbiOf(notAbi), undefined, notAbi);
    }
  });

  it('reads the running build from uname -v and signed versions as the linux version', () => {
    assert.equal(debianRunningBuildVersion('6.1.0-13-amd64', '#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)'), '6.1.55-1');
    assert.equal(debianRunningBuildVersion('4.19.0-22-amd64', '#1 SMP Debian 4.19.260-1 (2022-09-29)'), '4.19.260-1');
    assert.equal(debianRunningBuildVersion('6.8.0-45-generic', '#45-Ubuntu SMP PREEMPT_DYNAMIC Fri Aug 30 12:02:04 UTC 2024'), '6.8.0-45.45');
    assert.equal(debianRunningBuildVersion('6.8.0-45-generic', '#45~22.04.1-Ubuntu SMP PREEMPT_DYNAMIC Wed Sep 11'), '6.8.0-45.45~22.04.1');
    assert.equal(debianRunningBuildVersion('6.18.44-custom', '#1 SMP PREEMPT_DYNAMIC @0'), undefined);
    assert.equal(debianKernelBuildVersion('6.1.76+1'), '6.1.76-1');
    assert.equal(debianKernelBuildVersion('6.10.6+1~bpo12+1'), '6.10.6-1~bpo12+1');
    assert.equal(debianKernelBuildVersion('6.1.76-1'), '6.1.76-1');
    assert.equal(debianKernelBuildVersion('6.8.0-45.45'), '6.8.0-45.45');
  });
});

describe('judgeRunningKernel', () => {
  it('Debian machine running its newest kernel, an older one kept on disk', () => {
    const judged = judgeRunningKernel(machine({
      release: '6.1.0-18-amd64',
      unameVersion: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)',
      packages: [pkg(OLD_IMAGE), pkg(NEW_IMAGE), pkg(NEW_META)],
    }));
    assert.deepEqual(judged.runningPackage, { name: 'linux-image-6.1.0-18-amd64', version: '6.1.76+1' });
    assert.equal(judged.runningVersion, '6.1.76-1');
    assert.deepEqual(judged.newerInstalled, [], 'the kept older kernel does not ask for a reboot');
  });

  it('Debian machine with a newer kernel installed that still runs the old one', () => {
    const judged = judgeRunningKernel(machine({
      release: '6.1.0-13-amd64',
      unameVersion: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)',
      packages: [pkg(OLD_IMAGE), pkg(NEW_IMAGE), pkg(NEW_META)],
    }));
    assert.deepEqual(judged.runningPackage, { name: 'linux-image-6.1.0-13-amd64', version: '6.1.55+1' });
    assert.deepEqual(judged.newerInstalled, [{ name: 'linux-image-6.1.0-18-amd64', version: '6.1.76+1' }]);
  });

  it('sees an image upgraded in place under the same ABI through uname -v', () => {
    const judged = judgeRunningKernel(machine({
      release: '6.1.0-18-amd64',
      unameVersion: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)',
      packages: [pkg('linux-image-6.1.0-18-amd64 6.1.77+1 linux-signed-amd64 6.1.77+1')],
    }));
    assert.deepEqual(judged.newerInstalled, [{ name: 'linux-image-6.1.0-18-amd64', version: '6.1.77+1' }]);
  });

  it('Ubuntu: uses the ABI and upload number; without uname -v detail, the running image version', () => {
    const packages = [
      pkg('linux-image-6.8.0-45-generic 6.8.0-45.45 linux-signed 6.8.0-45.45'),
      pkg('linux-image-6.8.0-48-generic 6.8.0-48.48 linux-signed 6.8.0-48.48'),
      pkg('linux-modules-6.8.0-48-generic 6.8.0-48.48 linux 6.8.0-48.48'),
      pkg('linux-image-generic 6.8.0-48.48 linux-meta 6.8.0-48.48'),
    ];
    const old = judgeRunningKernel(machine({ id: 'ubuntu', release: '6.8.0-45-generic', unameVersion: '#45-Ubuntu SMP PREEMPT_DYNAMIC', packages }));
    assert.equal(old.runningVersion, '6.8.0-45.45');
    assert.deepEqual(old.newerInstalled.map((k) => k.name), ['linux-image-6.8.0-48-generic']);
    assert.equal(stateOfInstalledKernelFix(old, 'linux-image-6.8.0-48-generic', '6.8.0-48.48'), 'InstalledPendingReboot');
    assert.equal(stateOfInstalledKernelFix(old, 'linux-image-generic', '6.8.0.48.48'), 'InstalledPendingReboot');
    const current = judgeRunningKernel(machine({ id: 'ubuntu', release: '6.8.0-48-generic', unameVersion: 'custom build', packages }));
    assert.equal(current.runningVersion, '6.8.0-48.48', 'falls back to the running image package');
    assert.deepEqual(current.newerInstalled, []);
    assert.equal(stateOfInstalledKernelFix(current, 'linux-image-6.8.0-48-generic', '6.8.0-48.48'), 'Installed');
    assert.equal(stateOfInstalledKernelFix(current, 'linux-image-generic', '6.8.0.48.48'), 'Installed', 'meta versions are not compared with images');
    assert.equal(stateOfInstalledKernelFix(current, 'linux-libc-dev', '6.8.0-50.51'), 'Installed');
  });

  it('knows nothing when the running kernel has no package and uname -v names no build (containers)', () => {
    const judged = judgeRunningKernel(machine({ release: '6.18.44-custom', unameVersion: '#1 SMP @0', packages: [pkg(NEW_IMAGE)] }));
    assert.equal(judged.runningPackage, undefined);
    assert.equal(judged.runningVersion, undefined);
    assert.deepEqual(judged.newerInstalled, []);
  });

  it('rpm: compares installed packages of the running kernel package name by EVR', () => {
    const core = (version: string): InstalledPackage => ({ name: 'kernel-core', version, architecture: 'x86_64', status: '', sourceName: 'kernel', sourceVersion: version });
    const judged = judgeRunningKernel(machine({
      family: 'rpm', id: 'rocky', release: '5.14.0-362.8.1.el9_3.x86_64', unameVersion: '#1 SMP PREEMPT_DYNAMIC',
      packages: [core('5.14.0-284.11.1.el9_2'), core('5.14.0-362.8.1.el9_3'), core('5.14.0-427.13.1.el9_4')],
      kernelPackage: { name: 'kernel-core', version: '5.14.0-362.8.1.el9_3', architecture: 'x86_64' },
    }));
    assert.deepEqual(judged.newerInstalled, [{ name: 'kernel-core', version: '5.14.0-427.13.1.el9_4' }]);
    assert.equal(stateOfInstalledKernelFix(judged, 'kernel-core', '5.14.0-427.13.1.el9_4'), 'InstalledPendingReboot');
    assert.equal(stateOfInstalledKernelFix(judged, 'kernel', '5.14.0-362.8.1.el9_3'), 'Installed');
    assert.equal(stateOfInstalledKernelFix(judged, 'kernel-modules-core', '5.14.0-427.13.1.el9_4'), 'InstalledPendingReboot');
    assert.equal(stateOfInstalledKernelFix(judged, 'kernel-tools', '5.14.0-427.13.1.el9_4'), 'Installed', 'userspace tools run without a reboot');
  });

  it('rpm: an installed advisory fix of the kernel is pending a reboot until the fixed kernel runs', () => {
    const core = (version: string): InstalledPackage => ({ name: 'kernel-core', version, architecture: 'x86_64', status: '', sourceName: 'kernel', sourceVersion: version });
    const finding = (bulletinId: string, name: string, fixed: string): PatchFinding => ({
      patchId: bulletinId, bulletinId, title: bulletinId, release: 'rocky-9', sourceName: name, sourceVersion: fixed, patchType: 'SecurityPatch',
      vendorSeverity: 'Important', cves: [], state: 'Installed',
      packages: [{ name, architecture: 'x86_64', installedVersion: '5.14.0-427.13.1.el9_4', candidateVersion: '5.14.0-427.13.1.el9_4', suites: [] }],
    });
    const running = (release: string, version: string) => judgeRunningKernel(machine({
      family: 'rpm', id: 'rocky', release, unameVersion: '#1 SMP PREEMPT_DYNAMIC',
      packages: [core('5.14.0-362.8.1.el9_3'), core('5.14.0-427.13.1.el9_4')],
      kernelPackage: { name: 'kernel-core', version, architecture: 'x86_64' },
    }));
    const patches = () => [
      finding('RLSA-2024:2394', 'kernel-core', '5.14.0-427.13.1.el9_4'),
      finding('RLSA-2024:0001', 'kernel-core', '5.14.0-362.8.1.el9_3'),
      finding('RLSA-2024:1111', 'kernel-tools', '5.14.0-427.13.1.el9_4'),
    ];
    const oldKernel = applyRunningKernel(patches(), running('5.14.0-362.8.1.el9_3.x86_64', '5.14.0-362.8.1.el9_3'));
    assert.deepEqual(oldKernel.map((p) => [p.bulletinId, p.state]), [
      ['RLSA-2024:2394', 'InstalledPendingReboot'], ['RLSA-2024:0001', 'Installed'], ['RLSA-2024:1111', 'Installed'],
    ]);
    const newKernel = applyRunningKernel(patches(), running('5.14.0-427.13.1.el9_4.x86_64', '5.14.0-427.13.1.el9_4'));
    assert.deepEqual(newKernel.map((p) => p.state), ['Installed', 'Installed', 'Installed']);
  });

  it('alpine: compares a fix with the package owning the running kernel', () => {
    const judged = judgeRunningKernel(machine({
      family: 'alpine', id: 'alpine', release: '6.6.30-0-lts', unameVersion: '#1-Alpine SMP PREEMPT_DYNAMIC',
      packages: [], kernelPackage: { name: 'linux-lts', version: '6.6.30-r0', architecture: 'x86_64' },
    }));
    assert.equal(stateOfInstalledKernelFix(judged, 'linux-lts', '6.6.31-r0'), 'InstalledPendingReboot');
    assert.equal(stateOfInstalledKernelFix(judged, 'linux-lts', '6.6.30-r0'), 'Installed');
    assert.equal(stateOfInstalledKernelFix(judged, 'musl', '1.2.5-r1'), 'Installed');
  });
});

// ---------------------------------------------------------------------------------------------
// Through the assessment: bookworm-security carries the kernel update and an openssl update.

const SECURITY_INDEX: CatalogIndex = {
  id: 1,
  uri: 'http://deb.debian.org/debian-security',
  dist: 'bookworm-security',
  component: 'main',
  architecture: 'amd64',
  release: { origin: 'Debian', label: 'Debian-Security', suite: 'oldstable-security', codename: 'bookworm-security', notAutomatic: false, butAutomaticUpgrades: false },
  packages: [NEW_IMAGE, NEW_META, NEW_LIBC_DEV, OPENSSL].map((spec) => {
    const [name, version, sourceName, sourceVersion] = spec.split(' ');
    return { package: name, version, architecture: 'amd64', sourceName, sourceVersion };
  }),
};

function statesOf(inventory: Inventory): { states: Record<string, string>; rebootRequired: boolean } {
  const assessment = assessInventory(inventory, new CatalogView({ definitionVersion: '1', definitionDate: '', indexes: [SECURITY_INDEX] }));
  return {
    states: Object.fromEntries(assessment.patches.map((p) => [`${p.sourceName} ${p.sourceVersion}`, p.state])),
    rebootRequired: assessment.rebootRequired,
  };
}

describe('assessInventory with the running kernel', () => {
  const packages = [pkg(OLD_IMAGE), pkg(NEW_IMAGE), pkg(NEW_META), pkg(NEW_LIBC_DEV), pkg(OPENSSL)];

  it('marks the installed kernel patch InstalledPendingReboot while the old kernel runs', () => {
    const result = statesOf(machine({ release: '6.1.0-13-amd64', unameVersion: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)', packages }));
    assert.deepEqual(result.states, {
      'linux-signed-amd64 6.1.76+1': 'InstalledPendingReboot',
      // linux-libc-dev is a userspace header package: it takes effect without a reboot.
      'linux 6.1.76-1': 'Installed',
      'openssl 3.0.11-1~deb12u2': 'Installed',
    });
    assert.equal(result.rebootRequired, true, 'a newer kernel than the running one is installed');
  });

  it('keeps it Installed once the fixed kernel runs, with no reboot asked for', () => {
    const result = statesOf(machine({ release: '6.1.0-18-amd64', unameVersion: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)', packages }));
    assert.deepEqual(result.states, {
      'linux-signed-amd64 6.1.76+1': 'Installed',
      'linux 6.1.76-1': 'Installed',
      'openssl 3.0.11-1~deb12u2': 'Installed',
    });
    assert.equal(result.rebootRequired, false);
  });

  it('keeps the machine-level reboot-required marker as it is', () => {
    const result = statesOf(machine({
      release: '6.1.0-18-amd64', unameVersion: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)', packages, rebootRequired: true,
    }));
    assert.equal(result.rebootRequired, true);
    assert.equal(result.states['linux-signed-amd64 6.1.76+1'], 'Installed');
  });
});
