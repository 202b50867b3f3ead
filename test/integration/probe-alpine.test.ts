import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collectInventory, InventoryCollectionError } from '../../src/inventory/collect.js';
import { LocalMachineShell } from '../../src/inventory/collectors/local.js';

const RUNNING = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();

const ALPINE_OS_RELEASE = `NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.1
PRETTY_NAME="Alpine Linux v3.19"
HOME_URL="https://alpinelinux.org/"
BUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"
`;

const REPOSITORIES = `https://dl-cdn.alpinelinux.org/alpine/v3.19/main
https://dl-cdn.alpinelinux.org/alpine/v3.19/community
#https://dl-cdn.alpinelinux.org/alpine/edge/main
@testing https://dl-cdn.alpinelinux.org/alpine/edge/testing
`;

/** One record of apk's installed database, with the fields apk writes (files simplified). */
function record(fields: {
  name: string; version: string; origin: string; arch?: string; dirs?: Record<string, string[]>; provides?: string;
}): string {
  const lines = [
    'C:Q1Hx4Ygm+uKtlhfzGVlHc0hBwTqzw=',
    `P:${fields.name}`,
    `V:${fields.version}`,
    `A:${fields.arch ?? 'x86_64'}`,
    'S:407278',
    'I:663552',
    `T:${fields.name} package`,
    'U:https://alpinelinux.org/',
    'L:MIT',
    `o:${fields.origin}`,
    'm:Natanael Copa <ncopa@alpinelinux.org>',
    't:1700153325',
    'c:bd6c8e6b4b3a6a8d8d1ba8e0a4d3d2f7c0c0a1b2',
    'D:so:libc.musl-x86_64.so.1',
    ...(fields.provides === undefined ? [] : [`p:${fields.provides}`]),
  ];
  for (const [dir, files] of Object.entries(fields.dirs ?? {})) {
    lines.push(`F:${dir}`, 'M:0:0:755');
    for (const file of files) lines.push(`R:${file}`, 'a:0:0:644', 'Z:Q1I8mLwPNF4sO6GqH2vWmfTMA3AFE=');
  }
  return `${lines.join('\n')}\n`;
}

function installedDatabase(kernelRelease: string): string {
  return [
    record({ name: 'musl', version: '1.2.4_git20230717-r4', origin: 'musl', provides: 'so:libc.musl-x86_64.so.1=1', dirs: { lib: ['ld-musl-x86_64.so.1'] } }),
    record({ name: 'busybox', version: '1.36.1-r15', origin: 'busybox', dirs: { bin: ['busybox'], 'etc/busybox-paths.d': [] } }),
    record({ name: 'libcrypto3', version: '3.1.4-r5', origin: 'openssl', dirs: { lib: ['libcrypto.so.3'] } }),
    record({ name: 'libssl3', version: '3.1.4-r5', origin: 'openssl', dirs: { lib: ['libssl.so.3'] } }),
    record({ name: 'alpine-baselayout-data', version: '3.4.3-r2', origin: 'alpine-baselayout', arch: 'x86_64', dirs: { etc: ['fstab', 'group'] } }),
    record({
      name: 'linux-lts', version: '6.6.30-r0', origin: 'linux-lts',
      dirs: {
        boot: ['vmlinuz-lts', 'System.map-lts'],
        lib: [],
        'lib/modules': [],
        [`lib/modules/${kernelRelease}`]: ['modules.order', 'modules.builtin'],
        [`lib/modules/${kernelRelease}/kernel/fs/ext4`]: ['ext4.ko.gz'],
      },
    }),
    // Other packages with a directory inside the kernel's module tree do not own the kernel.
    record({ name: 'zfs-lts', version: '6.6.30.2.2.4-r0', origin: 'zfs-lts', dirs: { [`lib/modules/${kernelRelease}/extra`]: ['zfs.ko.gz'] } }),
  ].join('\n');
}

async function alpineRoot(directory: string, kernelRelease: string): Promise<string> {
  await mkdir(path.join(directory, 'etc/apk'), { recursive: true });
  await mkdir(path.join(directory, 'lib/apk/db'), { recursive: true });
  await writeFile(path.join(directory, 'etc/os-release'), ALPINE_OS_RELEASE);
  await writeFile(path.join(directory, 'etc/apk/arch'), 'x86_64\n');
  await writeFile(path.join(directory, 'etc/apk/repositories'), REPOSITORIES);
  await writeFile(path.join(directory, 'lib/apk/db/installed'), installedDatabase(kernelRelease));
  return directory;
}

describe('the Alpine probe on a system root', () => {
  let work = '';
  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'pw-alpine-probe-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('reads packages with their origin from the installed database, with no apk binary', async () => {
    const root = await alpineRoot(path.join(work, 'current'), RUNNING);
    const problems: string[] = [];
    const inventory = await collectInventory(new LocalMachineShell(), { rootDirectory: root, onProblem: (p) => problems.push(p) });
    assert.deepEqual(problems, []);
    assert.deepEqual(inventory.os, { family: 'alpine', id: 'alpine', idLike: [], versionId: '3.19.1', versionCodename: '', prettyName: 'Alpine Linux v3.19' });
    assert.equal(inventory.architecture, 'x86_64');
    assert.deepEqual(
      inventory.packages.map((p) => `${p.name} ${p.version} ${p.architecture} ${p.sourceName} ${p.sourceVersion} [${p.status}]`),
      [
        'musl 1.2.4_git20230717-r4 x86_64 musl 1.2.4_git20230717-r4 []',
        'busybox 1.36.1-r15 x86_64 busybox 1.36.1-r15 []',
        'libcrypto3 3.1.4-r5 x86_64 openssl 3.1.4-r5 []',
        'libssl3 3.1.4-r5 x86_64 openssl 3.1.4-r5 []',
        'alpine-baselayout-data 3.4.3-r2 x86_64 alpine-baselayout 3.4.3-r2 []',
        'linux-lts 6.6.30-r0 x86_64 linux-lts 6.6.30-r0 []',
        'zfs-lts 6.6.30.2.2.4-r0 x86_64 zfs-lts 6.6.30.2.2.4-r0 []',
      ],
    );
    assert.deepEqual(inventory.repositories?.map((r) => `${r.file} [${r.id}] ${r.baseUrls.join(' ')}`), [
      '/etc/apk/repositories [] https://dl-cdn.alpinelinux.org/alpine/v3.19/main',
      '/etc/apk/repositories [] https://dl-cdn.alpinelinux.org/alpine/v3.19/community',
      '/etc/apk/repositories [testing] https://dl-cdn.alpinelinux.org/alpine/edge/testing',
    ]);
    assert.deepEqual(inventory.kernel.package, { name: 'linux-lts', version: '6.6.30-r0', architecture: 'x86_64' });
    assert.deepEqual(inventory.reboot, { required: false, packages: [], reasons: [] });
  });

  it('asks for a reboot when the kernel package was upgraded under the running kernel', async () => {
    const root = await alpineRoot(path.join(work, 'upgraded'), '6.6.31-0-lts');
    const inventory = await collectInventory(new LocalMachineShell(), { rootDirectory: root });
    assert.equal(inventory.kernel.package, undefined);
    assert.deepEqual(inventory.reboot, {
      required: true,
      packages: ['linux-lts'],
      reasons: [`linux-lts 6.6.30-r0 provides kernel 6.6.31-0-lts but ${RUNNING} is running`],
    });
  });

  it('fails clearly when the system has no apk database', async () => {
    const root = path.join(work, 'no-database');
    await mkdir(path.join(root, 'etc'), { recursive: true });
    await writeFile(path.join(root, 'etc/os-release'), ALPINE_OS_RELEASE);
    await assert.rejects(
      collectInventory(new LocalMachineShell(), { rootDirectory: root }),
      (error: unknown) => error instanceof InventoryCollectionError && /apk database .* was not found: this is not an apk-based machine/.test(error.message),
    );
  });
});
