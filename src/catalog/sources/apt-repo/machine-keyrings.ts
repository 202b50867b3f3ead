/**
 * Verifying a remote machine's repositories with the machine's own apt keyrings. The probe
 * copies the keyrings its sources name in `signed-by` and apt's trusted keyrings; here each
 * entry's keyring paths are replaced by the keys copied from that machine (as embedded key
 * blocks), and entries without `signed-by` get the machine's trusted keys. A path that names
 * the console's files is never read for a remote machine.
 */
import { isEmbeddedKeyBlock, readKeyringKeys } from './release-signature.js';
import type { AptSourceEntry } from './types.js';

export interface MachineKeyring {
  path: string;
  /** The file's bytes, base64. */
  data: string;
}

export interface MachineKeyedEntries {
  /** Entries whose keys are all embedded; entries that cannot be verified are left out. */
  entries: AptSourceEntry[];
  /** One message per entry left out. */
  errors: string[];
}

function isTrustedKeyringPath(path: string): boolean {
  return path === '/etc/apt/trusted.gpg' || (path.startsWith('/etc/apt/trusted.gpg.d/') && /\.(gpg|asc)$/.test(path));
}

/** Rewrites a machine's entries so that they are verified with the keys copied from it. */
export async function withMachineKeyrings(entries: AptSourceEntry[], keyrings: MachineKeyring[]): Promise<MachineKeyedEntries> {
  const armoredByPath = new Map<string, Promise<string | undefined>>();
  const armored = (path: string): Promise<string | undefined> => {
    let result = armoredByPath.get(path);
    if (result === undefined) {
      const keyring = keyrings.find((k) => k.path === path);
      result = keyring === undefined ? Promise.resolve(undefined)
        : readKeyringKeys(Buffer.from(keyring.data, 'base64'), `${path} (copied from the machine)`)
          .then((keys) => (keys.length === 0 ? undefined : keys.map((key) => key.armor()).join('\n')), () => undefined);
      armoredByPath.set(path, result);
    }
    return result;
  };
  const trustedBlocks = (await Promise.all(keyrings.filter((k) => isTrustedKeyringPath(k.path)).map((k) => armored(k.path))))
    .filter((block): block is string => block !== undefined);

  const result: MachineKeyedEntries = { entries: [], errors: [] };
  for (const entry of entries) {
    if (!entry.enabled || entry.type !== 'deb' || entry.trusted) {
      result.entries.push(entry);
      continue;
    }
    if (entry.signedBy === undefined || entry.signedBy.length === 0) {
      if (trustedBlocks.length === 0) {
        result.errors.push(`${entry.uri} ${entry.suite} (${entry.file}): the machine has no readable trusted apt keyring to verify it with`);
      } else {
        result.entries.push({ ...entry, signedBy: trustedBlocks });
      }
      continue;
    }
    const keys: string[] = [];
    const missing: string[] = [];
    for (const source of entry.signedBy) {
      if (isEmbeddedKeyBlock(source)) {
        keys.push(source);
        continue;
      }
      const block = await armored(source);
      if (block === undefined) missing.push(source);
      else keys.push(block);
    }
    if (missing.length > 0) {
      result.errors.push(`${entry.uri} ${entry.suite} (${entry.file}): keyring ${missing.join(', ')} named in signed-by is not readable on the machine`);
    } else {
      result.entries.push({ ...entry, signedBy: keys });
    }
  }
  return result;
}
