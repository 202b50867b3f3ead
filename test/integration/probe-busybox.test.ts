import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { collectInventory, InventoryCollectionError } from '../../src/inventory/collect.js';
import { busyboxRootAvailable, ChrootMachineShell, makeBusyboxRoot } from '../support/busybox-root.js';
import { requireOrSkip } from '../support/required-service.js';

const RUNNING = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
const NEEDS = 'busybox (Debian package busybox) and root, to chroot into a busybox-only system';

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
}

const INSTALLED = [
  'C:Q1Hx4Ygm+uKtlhfzGVlHc0hBwTqzw=', 'P:musl', 'V:1.2.5-r0', 'A:x86_64', 'S:411323', 'I:654836', 'T:the musl c library (libc) implementation',
  'U:https://musl.libc.org/', 'L:MIT', 'o:musl', 'm:Natanael Copa <ncopa@alpinelinux.org>', 't:1717000000', 'c:0f5a6c9c', 'p:so:libc.musl-x86_64.so.1=1',
  'F:lib', 'R:ld-musl-x86_64.so.1', 'a:0:0:755', 'Z:Q1I8mLwPNF4sO6GqH2vWmfTMA3AFE=', '',
  'C:Q1y=', 'P:libcrypto3', 'V:3.3.2-r0', 'A:x86_64', 'o:openssl', 'F:usr/lib', 'R:libcrypto.so.3', '',
  'C:Q1z=', 'P:linux-virt', 'V:6.6.58-r0', 'A:x86_64', 'o:linux-lts', 'F:boot', 'R:vmlinuz-virt',
  `F:lib/modules/${RUNNING}`, 'R:modules.order', `F:lib/modules/${RUNNING}/kernel`, '', '',
].join('\n');

describe('the dispatching probe under busybox ash, with busybox applets only', () => {
  const work = mkdtemp(path.join(tmpdir(), 'pw-busybox-'));
  after(async () => {
    await rm(await work, { recursive: true, force: true });
  });

  it('collects an Alpine system from inside it', async (t) => {
    if (!requireOrSkip(t, busyboxRootAvailable(), NEEDS)) return;
    const root = path.join(await work, 'alpine');
    await makeBusyboxRoot(root);
    await writeFiles(root, {
      'etc/os-release': 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n',
      'etc/apk/arch': 'x86_64\n',
      'etc/apk/repositories': 'https://dl-cdn.alpinelinux.org/alpine/v3.20/main\n@edge https://dl-cdn.alpinelinux.org/alpine/edge/main\n',
      'lib/apk/db/installed': INSTALLED,
    });
    const problems: string[] = [];
    const inventory = await collectInventory(new ChrootMachineShell(root), { collector: 'local', onProblem: (p) => problems.push(p) });
    assert.deepEqual(problems, []);
    assert.deepEqual([inventory.os.family, inventory.os.id, inventory.os.versionId, inventory.architecture], ['alpine', 'alpine', '3.20.3', 'x86_64']);
    assert.deepEqual(inventory.packages.map((p) => `${p.name} ${p.version} ${p.sourceName}`),
      ['musl 1.2.5-r0 musl', 'libcrypto3 3.3.2-r0 openssl', 'linux-virt 6.6.58-r0 linux-lts']);
    assert.deepEqual(inventory.kernel.package, { name: 'linux-virt', version: '6.6.58-r0', architecture: 'x86_64' });
    assert.equal(inventory.kernel.release, RUNNING);
    assert.ok(inventory.host.hostname !== '', 'busybox hostname answered');
    assert.deepEqual(inventory.repositories?.map((r) => r.id), ['', 'edge']);
    assert.equal(inventory.reboot.required, false);
  });

  it('gives an unknown busybox system (Buildroot) an inventory without packages', async (t) => {
    if (!requireOrSkip(t, busyboxRootAvailable(), NEEDS)) return;
    const root = path.join(await work, 'buildroot');
    await makeBusyboxRoot(root);
    await writeFiles(root, { 'etc/os-release': 'NAME=Buildroot\nVERSION=2024.02.1\nID=buildroot\nVERSION_ID=2024.02.1\nPRETTY_NAME="Buildroot 2024.02.1"\n' });
    const inventory = await collectInventory(new ChrootMachineShell(root));
    assert.deepEqual([inventory.os.family, inventory.os.id, inventory.os.prettyName], ['unknown', 'buildroot', 'Buildroot 2024.02.1']);
    assert.deepEqual(inventory.packages, []);
  });

  it('says clearly that a system calling itself Rocky has no rpm', async (t) => {
    if (!requireOrSkip(t, busyboxRootAvailable(), NEEDS)) return;
    const root = path.join(await work, 'fake-rocky');
    await makeBusyboxRoot(root);
    await writeFiles(root, { 'etc/os-release': 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n' });
    // busybox has a small rpm applet of its own; this system has no rpm at all.
    await rm(path.join(root, 'bin/rpm'), { force: true });
    await assert.rejects(collectInventory(new ChrootMachineShell(root)),
      (error: unknown) => error instanceof InventoryCollectionError && /rpm was not found: this is not an rpm-based machine/.test(error.message));
  });
});
