/**
 * OpenPGP verification of apt Release metadata with OpenPGP.js:
 * - `InRelease`: a cleartext-signed Release file;
 * - `Release` + `Release.gpg`: a detached signature over the Release bytes.
 *
 * Keys come from keyring files (binary `.gpg` keyrings: concatenated transferable public
 * keys; armored `.asc` files: one or more armored key blocks) or armored key blocks
 * embedded in a deb822 `Signed-By:` field.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as openpgp from 'openpgp';

/** Default trusted keys when an entry has no `Signed-By`: what apt reads. */
export const DEFAULT_SYSTEM_KEYRINGS: readonly string[] = ['/etc/apt/trusted.gpg', '/etc/apt/trusted.gpg.d'];

export type AptSignatureFailure =
  /** No usable keys (missing or unreadable keyring). */
  | 'keyring'
  /** The data carries no signature, or it is not in the expected OpenPGP form. */
  | 'unsigned'
  /** Signatures present but none verifies with the allowed keys. */
  | 'invalid';

export class AptSignatureError extends Error {
  override readonly name = 'AptSignatureError';
  constructor(
    readonly failure: AptSignatureFailure,
    message: string,
  ) {
    super(message);
  }
}

/** Result of a successful verification. */
export interface VerifiedRelease {
  /** The signed text (for InRelease: dash-unescaped cleartext; never text from outside the signature). */
  text: string;
  /** Key IDs (hex) of the signatures that verified. */
  goodSignatureKeyIds: string[];
}

const ARMORED_KEY_BLOCK = /-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/g;

/** Whether a `Signed-By` value is an embedded armored key rather than a file path. */
export function isEmbeddedKeyBlock(value: string): boolean {
  return value.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----');
}

/** Reads every key of a keyring given as bytes (binary keyring or armored text). */
export async function readKeyringKeys(data: Uint8Array | string, origin: string): Promise<openpgp.PublicKey[]> {
  const text = typeof data === 'string' ? data : undefined;
  const looksArmored =
    text !== undefined || Buffer.from(data as Uint8Array).subarray(0, 64).toString('latin1').trimStart().startsWith('-----BEGIN');
  const keys: openpgp.PublicKey[] = [];
  try {
    if (looksArmored) {
      const armored = text ?? Buffer.from(data as Uint8Array).toString('utf8');
      const blocks = armored.match(ARMORED_KEY_BLOCK) ?? [];
      if (blocks.length === 0) throw new Error('no armored public key block found');
      for (const block of blocks) {
        for (const key of await openpgp.readKeys({ armoredKeys: block })) keys.push(key.toPublic());
      }
    } else {
      for (const key of await openpgp.readKeys({ binaryKeys: data as Uint8Array })) keys.push(key.toPublic());
    }
  } catch (error) {
    throw new AptSignatureError('keyring', `cannot read keyring ${origin}: ${(error as Error).message}`);
  }
  return keys;
}

interface CachedKeyring {
  mtimeMs: number;
  size: number;
  keys: Promise<openpgp.PublicKey[]>;
}

/**
 * Loads keyring files and key blocks. Files are re-read only when their size or mtime
 * changes; concurrent requests for the same file share one read.
 */
export class KeyringStore {
  private readonly files = new Map<string, CachedKeyring>();
  private readonly blocks = new Map<string, Promise<openpgp.PublicKey[]>>();

  /** Keys of one `Signed-By` value: a keyring file path or an embedded armored block. */
  async load(source: string): Promise<openpgp.PublicKey[]> {
    if (isEmbeddedKeyBlock(source)) {
      let keys = this.blocks.get(source);
      if (keys === undefined) {
        keys = readKeyringKeys(source, 'embedded in Signed-By');
        this.blocks.set(source, keys);
        keys.catch(() => this.blocks.delete(source));
      }
      return keys;
    }
    return this.loadFile(source);
  }

  /** Keys of one keyring file. */
  async loadFile(path: string): Promise<openpgp.PublicKey[]> {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      throw new AptSignatureError('keyring', `keyring ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const cached = this.files.get(path);
    if (cached !== undefined && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.keys;
    const keys = readFile(path).then((bytes) => readKeyringKeys(bytes, path));
    this.files.set(path, { mtimeMs: info.mtimeMs, size: info.size, keys });
    keys.catch(() => this.files.delete(path));
    return keys;
  }

  /**
   * The system's trusted keys: each listed path is a keyring file, or a directory whose
   * `*.gpg` and `*.asc` files are keyrings (like `/etc/apt/trusted.gpg.d`). Missing paths
   * are skipped; an unreadable keyring file is an error.
   */
  async loadSystemKeys(paths: readonly string[]): Promise<openpgp.PublicKey[]> {
    const files: string[] = [];
    for (const path of paths) {
      let info;
      try {
        info = await stat(path);
      } catch {
        continue;
      }
      if (info.isDirectory()) {
        const names = (await readdir(path)).filter((name) => name.endsWith('.gpg') || name.endsWith('.asc')).sort();
        for (const name of names) files.push(join(path, name));
      } else {
        files.push(path);
      }
    }
    const keyrings = await Promise.all(files.map((file) => this.loadFile(file)));
    return keyrings.flat();
  }

  /** Keys allowed for an entry: its `Signed-By` keyrings, or else the system's trusted keys. */
  async keysFor(signedBy: readonly string[] | undefined, systemKeyrings: readonly string[]): Promise<openpgp.PublicKey[]> {
    if (signedBy !== undefined && signedBy.length > 0) {
      const keyrings = await Promise.all(signedBy.map((source) => this.load(source)));
      return keyrings.flat();
    }
    return this.loadSystemKeys(systemKeyrings);
  }
}

const CLEARSIGN_BEGIN = '-----BEGIN PGP SIGNED MESSAGE-----';
const SIGNATURE_END = '-----END PGP SIGNATURE-----';

/**
 * Checks that a clear-signed file has nothing but blanks around the armor (apt refuses
 * such files too; we never read that text, but it is a sign of tampering).
 */
function checkClearsignFraming(text: string, url: string): void {
  const begin = text.indexOf(CLEARSIGN_BEGIN);
  if (begin === -1) throw new AptSignatureError('unsigned', `${url} is not clear-signed (no "${CLEARSIGN_BEGIN}" line)`);
  if (text.slice(0, begin).trim().length > 0) {
    throw new AptSignatureError('invalid', `${url} has data before the signed message`);
  }
  const end = text.lastIndexOf(SIGNATURE_END);
  if (end === -1) throw new AptSignatureError('unsigned', `${url} has no signature block`);
  if (text.slice(end + SIGNATURE_END.length).trim().length > 0) {
    throw new AptSignatureError('invalid', `${url} has data after the signature`);
  }
}

async function collectGoodSignatures(
  signatures: Awaited<ReturnType<typeof openpgp.verify>>['signatures'],
  url: string,
  keyCount: number,
): Promise<string[]> {
  if (signatures.length === 0) throw new AptSignatureError('unsigned', `${url} carries no signature`);
  const good: string[] = [];
  const problems: string[] = [];
  for (const signature of signatures) {
    const keyId = signature.keyID.toHex();
    try {
      await signature.verified;
      good.push(keyId);
    } catch (error) {
      problems.push(`${keyId}: ${(error as Error).message}`);
    }
  }
  if (good.length === 0) {
    throw new AptSignatureError(
      'invalid',
      `no valid signature on ${url} from the ${keyCount} allowed key(s) (${problems.join('; ')})`,
    );
  }
  return good;
}

/** Verifies a clear-signed InRelease file and returns its signed text. */
export async function verifyClearsignedRelease(
  bytes: Uint8Array,
  keys: readonly openpgp.PublicKey[],
  options: { url: string; date?: Date },
): Promise<VerifiedRelease> {
  const armored = Buffer.from(bytes).toString('utf8');
  checkClearsignFraming(armored, options.url);
  if (keys.length === 0) throw new AptSignatureError('keyring', `no keys to verify ${options.url} with`);
  let message;
  try {
    message = await openpgp.readCleartextMessage({ cleartextMessage: armored });
  } catch (error) {
    throw new AptSignatureError('invalid', `${options.url} is not a readable clear-signed message: ${(error as Error).message}`);
  }
  const result = await openpgp.verify({ message, verificationKeys: [...keys], date: options.date ?? new Date() });
  const goodSignatureKeyIds = await collectGoodSignatures(result.signatures, options.url, keys.length);
  return { text: result.data, goodSignatureKeyIds };
}

/** Reads the signed text of a clear-signed file without verifying it (only for `trusted` entries). */
export async function readClearsignedTextUnverified(bytes: Uint8Array, url: string): Promise<string> {
  const armored = Buffer.from(bytes).toString('utf8');
  if (!armored.includes(CLEARSIGN_BEGIN)) {
    // Some trusted repositories publish an unsigned "InRelease"; take it as a plain Release.
    return armored;
  }
  try {
    const message = await openpgp.readCleartextMessage({ cleartextMessage: armored });
    return message.getText();
  } catch (error) {
    throw new AptSignatureError('invalid', `${url} is not a readable clear-signed message: ${(error as Error).message}`);
  }
}

/** Verifies `Release` bytes against the detached signature in `Release.gpg` (armored or binary). */
export async function verifyDetachedRelease(
  releaseBytes: Uint8Array,
  signatureBytes: Uint8Array,
  keys: readonly openpgp.PublicKey[],
  options: { url: string; signatureUrl: string; date?: Date },
): Promise<VerifiedRelease> {
  if (keys.length === 0) throw new AptSignatureError('keyring', `no keys to verify ${options.url} with`);
  let signature;
  try {
    const head = Buffer.from(signatureBytes).subarray(0, 64).toString('latin1').trimStart();
    signature = head.startsWith('-----BEGIN')
      ? await openpgp.readSignature({ armoredSignature: Buffer.from(signatureBytes).toString('utf8') })
      : await openpgp.readSignature({ binarySignature: signatureBytes });
  } catch (error) {
    throw new AptSignatureError('invalid', `${options.signatureUrl} is not a readable OpenPGP signature: ${(error as Error).message}`);
  }
  const message = await openpgp.createMessage({ binary: releaseBytes });
  const result = await openpgp.verify({
    message,
    signature,
    verificationKeys: [...keys],
    format: 'binary',
    date: options.date ?? new Date(),
  });
  const goodSignatureKeyIds = await collectGoodSignatures(result.signatures, options.url, keys.length);
  return { text: Buffer.from(releaseBytes).toString('utf8'), goodSignatureKeyIds };
}
