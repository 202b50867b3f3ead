import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Reads a secret kept as a file in the data directory, creating it (mode 0600, exclusive create
 * so two processes starting together agree on one value) when it does not exist yet.
 */
export async function readOrCreateSecretFile(dataDir: string, name: string, generate: () => Buffer): Promise<Buffer> {
  const path = join(dataDir, name);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(generate());
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const value = await readFile(path);
  if (value.length === 0) throw new Error(`secret file ${path} is empty; delete it to have a new one created`);
  return value;
}
