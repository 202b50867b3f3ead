import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readOrCreateSecretFile } from './secret-file.js';

const FORMAT = 'pwsec1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretDecryptionError';
  }
}

/**
 * Encrypts secrets at rest (stored credentials) with AES-256-GCM under a master key kept in the
 * data directory (`master.key`, mode 0600, created at first start). Each value gets a fresh
 * 96-bit IV; the `context` (e.g. the credential id) is bound as additional authenticated data,
 * so a ciphertext copied onto another row does not decrypt.
 */
export class SecretCipher {
  private constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the master key must be 32 bytes');
  }

  static async fromDataDir(dataDir: string): Promise<SecretCipher> {
    return new SecretCipher(await readOrCreateSecretFile(dataDir, 'master.key', () => randomBytes(32)));
  }

  /** For tests and key rotation tools. */
  static fromKey(key: Buffer): SecretCipher {
    return new SecretCipher(Buffer.from(key));
  }

  /** `pwsec1:<base64 of iv ‖ tag ‖ ciphertext>` */
  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${FORMAT}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  decrypt(stored: string, context: string): string {
    const prefix = `${FORMAT}:`;
    if (!stored.startsWith(prefix)) throw new SecretDecryptionError('not a value encrypted by this console');
    const raw = Buffer.from(stored.slice(prefix.length), 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretDecryptionError('encrypted value is truncated');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretDecryptionError('the value does not decrypt with this master key and context (wrong key, tampered, or moved)');
    }
  }
}
