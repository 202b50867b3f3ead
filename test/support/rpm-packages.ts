/**
 * Real rpm packages for tests: writes spec files, builds binary packages with rpmbuild and
 * installs them into a system root directory with its own rpm database.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface RpmSubpackage {
  /** Full binary package name (built with `%package -n`). */
  name: string;
  files: string[];
}

export interface RpmSpec {
  /** Source package name. */
  name: string;
  epoch?: number;
  version: string;
  release: string;
  noarch?: boolean;
  /** Files of the binary package named like the source; without them no such package is built. */
  files?: string[];
  subpackages?: RpmSubpackage[];
}

/**
 * A public signing key (ed25519, "Test Signing <sign@example.org>", made for these tests only)
 * to import into an rpm database, where it appears as a `gpg-pubkey` package.
 */
export const TEST_SIGNING_KEY = `-----BEGIN PGP PUBLIC KEY BLOCK-----

mDMEawLk4hYJKwYBBAHaRw8BAQdAqKH3R4q9gM67waUNmVzsN/VLKms7a66V0mj7
82YLEty0H1Rlc3QgU2lnbmluZyA8c2lnbkBleGFtcGxlLm9yZz6IkAQTFggAOBYh
BDTv+wGfE7PTrK06ta/yac2atv8uBQJrAuTiAhsDBQsJCAcCBhUKCQgLAgQWAgMB
Ah4BAheAAAoJEK/yac2atv8uVz4BAPrI4O/q2cX3IMgYKRkT8uMSaZ9gLogMPUs4
OD6RTmXfAP9rfjkNo/OLdhGHrX0O5rVsJ9blj3ngwjmawFWl+XrDAA==
=9UOH
-----END PGP PUBLIC KEY BLOCK-----
`;

/** Whether rpm and rpmbuild can be run. */
export function rpmToolsAvailable(): boolean {
  return ['rpm', 'rpmbuild'].every((tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0);
}

function specText(spec: RpmSpec): string {
  const lines = [
    `Name: ${spec.name}`,
    ...(spec.epoch === undefined ? [] : [`Epoch: ${spec.epoch}`]),
    `Version: ${spec.version}`,
    `Release: ${spec.release}`,
    'Summary: test package',
    'License: MIT',
    ...(spec.noarch ? ['BuildArch: noarch'] : []),
    '%global debug_package %{nil}',
    '%global _build_id_links none',
    '%description',
    'test package',
  ];
  for (const sub of spec.subpackages ?? []) lines.push(`%package -n ${sub.name}`, 'Summary: sub', `%description -n ${sub.name}`, 'sub');
  const allFiles = [...(spec.files ?? []), ...(spec.subpackages ?? []).flatMap((sub) => sub.files)];
  lines.push('%install');
  for (const file of allFiles) {
    lines.push(`mkdir -p "%{buildroot}${path.posix.dirname(file)}"`, `echo '${spec.name}' > "%{buildroot}${file}"`);
  }
  if (spec.files !== undefined) lines.push('%files', ...spec.files);
  for (const sub of spec.subpackages ?? []) lines.push(`%files -n ${sub.name}`, ...sub.files);
  return `${lines.join('\n')}\n`;
}

/** Builds every spec; returns the paths of the binary packages, by file name. */
export async function buildRpms(workDirectory: string, specs: RpmSpec[]): Promise<Map<string, string>> {
  const topdir = path.join(workDirectory, 'rpmbuild');
  await mkdir(topdir, { recursive: true });
  for (const spec of specs) {
    const specFile = path.join(workDirectory, `${spec.name}-${spec.version}-${spec.release}.spec`);
    await writeFile(specFile, specText(spec));
    execFileSync('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${topdir}`, specFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  const built = new Map<string, string>();
  const rpmsDir = path.join(topdir, 'RPMS');
  for (const arch of await readdir(rpmsDir)) {
    for (const file of await readdir(path.join(rpmsDir, arch))) built.set(file, path.join(rpmsDir, arch, file));
  }
  return built;
}

/** `rpm` run on a system root with its database at `dbpath` inside it. */
export function rpmInRoot(root: string, dbpath: string, args: string[]): string {
  return execFileSync('rpm', ['--root', root, '--dbpath', dbpath, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Installs packages into `root` (files and database). `rpm -i`, so several versions of one
 * package (kernels) can be installed side by side.
 */
export function installRpms(root: string, dbpath: string, files: string[]): void {
  rpmInRoot(root, dbpath, ['-i', '--nodeps', '--noscripts', ...files]);
}
