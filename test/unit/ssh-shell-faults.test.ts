/**
 * How the SSH shell reports a session that goes wrong at each step. A real sshd cannot be made
 * to fail at a chosen step (killing a session as it starts races sshd's own answer), so the
 * server here is ssh2's own server implementation on loopback, scripted per test to refuse, drop
 * or stall at one point. The scans over a real sshd are in test/integration/scan-ssh-faults.test.ts.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import { SshCollectionError, SshMachineShell } from '../../src/inventory/collectors/ssh.js';
import { MachineShellTimeoutError } from '../../src/inventory/collectors/local.js';

const { Server, utils } = ssh2;
const HOST_KEY = utils.generateKeyPairSync('ed25519').private;

type ExecHandler = (
  exec: { accept: () => ssh2.ServerChannel; reject: () => void; command: string },
  connection: ssh2.Connection,
) => void;

/** A server accepting any password whose exec requests `onExec` answers; a shell connected to it. */
async function shellAgainst(t: TestContext, onExec: ExecHandler, options: { commandTimeoutMs?: number } = {}): Promise<SshMachineShell> {
  const server = new Server({ hostKeys: [HOST_KEY] }, (connection) => {
    connection.on('error', () => { /* the shell side hanging up is part of these tests */ });
    connection.on('authentication', (context) => (context.method === 'password' ? context.accept() : context.reject(['password'])));
    connection.on('ready', () => connection.on('session', (acceptSession) => {
      acceptSession().on('exec', (accept, reject, info) => onExec({ accept, reject, command: info.command }, connection));
    }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const shell = new SshMachineShell({
    host: '127.0.0.1', port: (server.address() as AddressInfo).port, username: 'probe', password: 'any',
    verifyHostKey: async () => ({ accept: true }), ...options,
  });
  t.after(() => {
    shell.close();
    server.close();
  });
  return shell;
}

/** The error a run fails with (the test fails when it succeeds). */
async function failureOf(run: Promise<unknown>): Promise<Error> {
  try {
    await run;
  } catch (error) {
    return error as Error;
  }
  assert.fail('the run succeeded');
}

test('a probe the server refuses to start is reported as refused, once the connection is seen to stay', async (t) => {
  const shell = await shellAgainst(t, (exec) => exec.reject());
  const error = await failureOf(shell.run('true'));
  assert.ok(error instanceof SshCollectionError);
  assert.equal(error.kind, 'dropped');
  assert.match(error.message, /^probe@127\.0\.0\.1:\d+ refused to start the probe: /);
});

test('a connection lost before the probe started is reported as lost, not as a refusal', async (t) => {
  const shell = await shellAgainst(t, (_exec, connection) => connection.end());
  const error = await failureOf(shell.run('true'));
  assert.ok(error instanceof SshCollectionError);
  assert.equal(error.kind, 'dropped');
  assert.match(error.message, /^the connection to probe@127\.0\.0\.1:\d+ was lost before the probe started$/);
});

test('a connection lost while the probe prints is reported with how much it had printed', async (t) => {
  const shell = await shellAgainst(t, (exec, connection) => {
    exec.accept().write('first line\n');
    setTimeout(() => connection.end(), 50);
  });
  const error = await failureOf(shell.run('true'));
  assert.ok(error instanceof SshCollectionError);
  assert.equal(error.kind, 'dropped');
  assert.match(error.message, /was lost while collecting \(after 11 bytes of output\)$/);
});

test('a session closed without an exit status is an error, not an empty success', async (t) => {
  const shell = await shellAgainst(t, (exec) => {
    const channel = exec.accept();
    channel.write('half');
    setTimeout(() => channel.close(), 50);
  });
  const error = await failureOf(shell.run('true'));
  assert.ok(error instanceof SshCollectionError);
  assert.equal(error.kind, 'dropped');
  assert.match(error.message, /ended without an exit status while collecting \(after 4 bytes of output\)$/);
});

test('the script goes to sh -s on standard input; output, errors and exit status come back', async (t) => {
  const shell = await shellAgainst(t, (exec) => {
    const channel = exec.accept();
    const input: Buffer[] = [];
    channel.on('data', (chunk: Buffer) => input.push(chunk));
    channel.on('end', () => {
      channel.write(`${exec.command}|${Buffer.concat(input).toString('utf8')}`);
      channel.stderr.write('warning\n');
      channel.exit(3);
      channel.end();
    });
  });
  const result = await shell.run('echo one\necho two\n');
  assert.deepEqual(result, { stdout: 'sh -s|echo one\necho two\n', stderr: 'warning\n', exitCode: 3 });
});

test('a probe killed by a signal exits 128 + its number', async (t) => {
  const shell = await shellAgainst(t, (exec) => {
    const channel = exec.accept();
    channel.exit('KILL');
    channel.end();
  });
  assert.equal((await shell.run('true')).exitCode, 137);
});

test('a probe that never ends is stopped at the command timeout', async (t) => {
  const shell = await shellAgainst(t, (exec) => { exec.accept(); }, { commandTimeoutMs: 300 });
  const error = await failureOf(shell.run('sleep 1000'));
  assert.ok(error instanceof MachineShellTimeoutError, `got ${error.name}: ${error.message}`);
});
