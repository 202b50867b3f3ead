/**
 * Real SSH targets on loopback for scan tests: debootstrapped Debian root filesystems (cached
 * under PATCHWARDEN_TEST_TARGETS_DIR), reached through an OpenSSH server of the test's own (own
 * config, own host key, own free port, own host name) whose users are each chrooted into one
 * root filesystem. Needs root, sshd, debootstrap and unshare.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);
const SUPPORT_DIR = dirname(fileURLToPath(import.meta.url));

export const TARGETS_DIR = process.env.PATCHWARDEN_TEST_TARGETS_DIR || '/var/cache/patchwarden-test-targets';
const SSHD = '/usr/sbin/sshd';

export type DebianSuite = 'bookworm' | 'trixie';

/** Why SSH targets cannot be built here, or undefined when they can. */
export function sshTargetsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'SSH targets need root (chroot users, debootstrap, sshd)';
  for (const tool of [SSHD, '/usr/sbin/debootstrap', '/usr/bin/unshare', '/usr/bin/ssh-keygen', '/usr/sbin/useradd', '/usr/bin/flock']) {
    if (!existsSync(tool)) return `SSH targets need ${tool} (apt-get install openssh-server openssh-client debootstrap util-linux passwd)`;
  }
  return undefined;
}

/**
 * The test users are system accounts, shared by every checkout and targets directory on this
 * machine, so their passwords are kept in one machine-wide place too: a checkout using another
 * targets directory must not give an account a password the others do not know.
 */
const TEST_USERS_DIR = '/var/lib/patchwarden-test-users';

/** Runs `command` holding a lock file of `dir` (builds and user changes are serialised). */
async function withLock(dir: string, name: string, command: string[]): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await run('flock', [join(dir, `${name}.lock`), ...command], { maxBuffer: 16 * 1024 * 1024, timeout: 30 * 60_000 });
}

function withTargetsLock(name: string, command: string[]): Promise<void> {
  return withLock(TARGETS_DIR, name, command);
}

/**
 * The root filesystem of a Debian suite (minbase, its own and its -updates and -security
 * sources configured, nothing upgraded), built on first use and cached.
 */
export async function debianRootfs(suite: DebianSuite): Promise<string> {
  const dest = join(TARGETS_DIR, 'rootfs', suite);
  if (!existsSync(join(dest, 'etc', 'os-release'))) {
    await withTargetsLock('build', ['sh', '-c', `[ -e "$1/etc/os-release" ] || sh "$2" "$3" "$1"`, 'sh', dest, join(SUPPORT_DIR, 'build-debian-target.sh'), suite]);
  }
  return dest;
}

/**
 * A copy of the bookworm root filesystem with sudo installed, where `user` (a test user, see
 * {@link testUserPassword}) may run anything as root after giving its password. Built once and
 * cached; the plain bookworm tree is left as it was.
 */
export async function bookwormRootfsWithSudo(user: string): Promise<string> {
  const plain = await debianRootfs('bookworm');
  await testUserPassword(user);
  const dest = join(TARGETS_DIR, 'rootfs', 'bookworm-sudo');
  if (!existsSync(join(dest, 'usr', 'bin', 'sudo'))) {
    await withTargetsLock('build', ['sh', '-c', [
      'set -e',
      '[ -e "$2/usr/bin/sudo" ] && exit 0',
      'rm -rf "$2.partial"',
      'cp -a "$1" "$2.partial"',
      'chroot "$2.partial" apt-get update -q >/dev/null',
      'DEBIAN_FRONTEND=noninteractive chroot "$2.partial" apt-get install -y -q --no-install-recommends sudo >/dev/null',
      'mv "$2.partial" "$2"',
    ].join('\n'), 'sh', plain, dest]);
  }
  // The user's account and password hash inside the tree, so that sudo there can check it.
  await withLock(TEST_USERS_DIR, 'users', ['sh', '-c', [
    'set -e',
    'grep -v "^$1:" "$2/etc/passwd" > "$2/etc/passwd.new" || true; grep "^$1:" /etc/passwd >> "$2/etc/passwd.new"; mv "$2/etc/passwd.new" "$2/etc/passwd"',
    'grep -v "^$1:" "$2/etc/shadow" > "$2/etc/shadow.new" || true; grep "^$1:" /etc/shadow >> "$2/etc/shadow.new"; mv "$2/etc/shadow.new" "$2/etc/shadow"',
    'chmod 640 "$2/etc/shadow"; chown root:shadow "$2/etc/shadow" 2>/dev/null || true',
    'printf "%s ALL=(root) ALL\\n" "$1" > "$2/etc/sudoers.d/patchwarden-test"; chmod 440 "$2/etc/sudoers.d/patchwarden-test"',
  ].join('\n'), 'sh', user, dest]);
  return dest;
}

/**
 * A root filesystem holding only a shell (dash and its libraries) and an os-release file: a
 * machine whose operating system the console does not know.
 */
export async function foreignRootfs(osRelease: string): Promise<string> {
  const dest = join(TARGETS_DIR, 'rootfs', 'foreign-os');
  const { stdout } = await run('ldd', ['/usr/bin/dash']);
  const libraries = [...stdout.matchAll(/(\/\S+)/g)].map((m) => m[1]);
  for (const file of ['/usr/bin/dash', ...libraries]) {
    await mkdir(join(dest, dirname(file)), { recursive: true });
    await copyFile(file, join(dest, file));
  }
  await mkdir(join(dest, 'bin'), { recursive: true });
  await copyFile('/usr/bin/dash', join(dest, 'bin', 'sh'));
  await chmod(join(dest, 'bin', 'sh'), 0o755);
  await mkdir(join(dest, 'etc'), { recursive: true });
  await writeFile(join(dest, 'etc', 'os-release'), osRelease);
  return dest;
}

export interface SshTargetUser {
  name: string;
  /** Directory the user is chrooted into (root-owned, as sshd requires). */
  chroot: string;
  /** Replaces whatever the client asks to run. */
  forceCommand?: string;
}

/** The password of a test user: random, created once and kept (0600) in the machine-wide users directory. */
export async function testUserPassword(name: string): Promise<string> {
  const file = join(TEST_USERS_DIR, name);
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    // created below
  }
  const password = randomBytes(18).toString('base64url');
  // Create the account (if missing) and set the password under the lock; the first writer wins.
  await withLock(TEST_USERS_DIR, 'users', ['sh', '-c', [
    'set -e',
    '[ -s "$2" ] || { umask 077; printf "%s\\n" "$3" > "$2"; }',
    'id -u "$1" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir / --shell /bin/sh "$1"',
    'printf "%s:%s\\n" "$1" "$(cat "$2")" | chpasswd',
  ].join('\n'), 'sh', name, file, password]);
  return (await readFile(file, 'utf8')).trim();
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** A port nothing listens on (checked just before it is returned). */
export async function closedPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!(await portAnswers(port))) return port;
  }
}

export interface SshServer {
  port: number;
  /** `127.0.0.1:<port>`, as a scan names it. */
  endpoint: string;
  hostname: string;
  /** `SHA256:...` of the host key, as `ssh-keygen -l` prints it. */
  fingerprint: () => string;
  /** The host key as an OpenSSH public key line (`ssh-ed25519 AAAA… comment`). */
  publicKeyLine: () => Promise<string>;
  /** Lets `user` log on with the key of this OpenSSH public key line. */
  authorizeKey(user: string, publicKeyLine: string): Promise<void>;
  /** Stops and starts the server on the same port; `newHostKey` first replaces its host key, `users` its users. */
  restart(options?: { newHostKey?: boolean; users?: SshTargetUser[] }): Promise<void>;
  stop(): Promise<void>;
}

export interface SshServerOptions {
  /** The machine name the targets report (the server runs in its own UTS namespace). */
  hostname: string;
  users: SshTargetUser[];
  /** Extra global sshd_config lines (e.g. `PasswordAuthentication no`), placed before the users' Match blocks. */
  extraConfig?: string[];
}

function sshdConfig(dir: string, port: number, users: SshTargetUser[], extraConfig: string[]): string {
  const lines = [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'ssh_host_ed25519_key')}`, `PidFile ${join(dir, 'sshd.pid')}`,
    ...extraConfig, 'UsePAM no', 'PermitRootLogin no', 'PasswordAuthentication yes', 'KbdInteractiveAuthentication no', 'PubkeyAuthentication yes',
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}/%u`, 'StrictModes no', 'LogLevel ERROR', 'MaxStartups 200:30:400', 'MaxAuthTries 3',
    'PrintMotd no', 'PrintLastLog no', 'Banner none', `AllowUsers ${users.map((u) => u.name).join(' ')}`,
  ];
  for (const user of users) {
    lines.push(`Match User ${user.name}`, `  ChrootDirectory ${user.chroot}`);
    if (user.forceCommand) lines.push(`  ForceCommand ${user.forceCommand}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Servers still running; stopped when the test process exits, whatever happened to the test. */
const runningServers = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of runningServers) child.kill('SIGTERM');
});

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited with status ${child.exitCode}: ${log()}`);
    if (await portAnswers(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port} within 15 s: ${log()}`);
}

/** Starts an OpenSSH server on a free loopback port with the given chrooted users. */
export async function startSshServer(options: SshServerOptions): Promise<SshServer> {
  const dir = await mkdtemp(join(tmpdir(), 'patchwarden-sshd-'));
  // sshd reads authorized_keys as the user logging on: the directories must be traversable.
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'authorized_keys'), { mode: 0o755 });
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const keyFile = join(dir, 'ssh_host_ed25519_key');
  let fingerprint = '';
  const newHostKey = async (): Promise<void> => {
    await rm(keyFile, { force: true });
    await rm(`${keyFile}.pub`, { force: true });
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', options.hostname, '-f', keyFile]);
    const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${keyFile}.pub`]);
    fingerprint = stdout.split(/\s+/)[1];
  };
  await newHostKey();
  await writeFile(join(dir, 'sshd_config'), sshdConfig(dir, port, options.users, options.extraConfig ?? []));
  await run(SSHD, ['-t', '-f', join(dir, 'sshd_config')]);

  let child: ChildProcess | undefined;
  let output = '';
  const start = async (): Promise<void> => {
    output = '';
    const started = spawn('unshare', ['--uts', 'sh', '-c', 'hostname "$1" && exec "$2" -D -e -f "$3"', 'sh', options.hostname, SSHD, join(dir, 'sshd_config')],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    started.stderr!.on('data', (chunk: Buffer) => { output = (output + chunk.toString()).slice(-4000); });
    child = started;
    runningServers.add(started);
    started.once('exit', () => runningServers.delete(started));
    await waitForPort(port, started, () => output);
  };
  const stopChild = async (): Promise<void> => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    current.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    port, endpoint: `127.0.0.1:${port}`, hostname: options.hostname, fingerprint: () => fingerprint,
    publicKeyLine: async () => (await readFile(`${keyFile}.pub`, 'utf8')).trim(),
    authorizeKey: (user, line) => writeFile(join(dir, 'authorized_keys', user), `${line.trim()}\n`),
    async restart(restartOptions = {}) {
      await stopChild();
      if (restartOptions.newHostKey) await newHostKey();
      if (restartOptions.users) await writeFile(join(dir, 'sshd_config'), sshdConfig(dir, port, restartOptions.users, options.extraConfig ?? []));
      await start();
    },
    async stop() {
      await stopChild();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs apt inside a root filesystem, as the machine's own apt would. */
export async function aptUpgradableInside(rootfs: string): Promise<Array<{ name: string; candidate: string; architecture: string }>> {
  await run('chroot', [rootfs, 'apt-get', 'update', '-q'], { maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 });
  const { stdout } = await run('chroot', [rootfs, 'apt', 'list', '--upgradable'], { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } });
  const result: Array<{ name: string; candidate: string; architecture: string }> = [];
  for (const line of stdout.split('\n')) {
    // e.g. "libc6/bookworm-security 2.36-9+deb12u10 amd64 [upgradable from: 2.36-9+deb12u9]"
    const match = /^([^/\s]+)\/\S+ (\S+) (\S+) \[upgradable from: [^\]]+\]$/.exec(line.trim());
    if (match) result.push({ name: match[1], candidate: match[2], architecture: match[3] });
  }
  return result;
}
