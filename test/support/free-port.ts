/** A TCP port on 127.0.0.1 that nothing listened on a moment ago, for a server a test starts. */
import { createServer } from 'node:net';

/** Asks the system for a free loopback port and releases it at once. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
