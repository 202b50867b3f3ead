import { constants, createDecipheriv, createPrivateKey, privateDecrypt, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { generate as generateCertificate } from 'selfsigned';

/**
 * The console's key pair for passwords sent encrypted (the password object's `SessionKey`
 * protection mode): clients fetch the certificate (`GET /configuration/certificate`), wrap a
 * fresh AES-128 key with its RSA public key (OAEP), and send the password as AES-128-CBC cipher
 * text of its UTF-16LE bytes. The private key and certificate are created once, in one file of
 * the data directory (mode 0600).
 */

export const AES128_CBC_ALGORITHM = 'http://www.w3.org/2001/04/xmlenc#aes128-cbc';

/** An encrypted password object that does not decrypt; `field` names the part at fault. */
export class PasswordDecryptionError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'PasswordDecryptionError';
  }
}

export interface EncryptedPassword {
  cipherText: Buffer;
  encryptedKey: Buffer;
  iv: Buffer;
}

const FILE_NAME = 'session-key.pem';

export class SessionKey {
  private constructor(private readonly privateKey: KeyObject, readonly certificate: X509Certificate) {}

  /** Reads the key pair from the data directory, creating it at first use. */
  static async fromDataDir(dataDir: string): Promise<SessionKey> {
    const path = join(dataDir, FILE_NAME);
    let pem: string;
    try {
      pem = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      pem = await createKeyFile(dataDir, path);
    }
    const key = pem.match(/-----BEGIN (?:RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA )?PRIVATE KEY-----/);
    const cert = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/);
    if (!key || !cert) throw new Error(`${path} does not hold a private key and a certificate; delete it to have a new pair created`);
    return new SessionKey(createPrivateKey(key[0]), new X509Certificate(cert[0]));
  }

  /** The certificate, DER-encoded, in base64 (the `derEncoded` of the certificate resource). */
  certificateDerBase64(): string {
    return this.certificate.raw.toString('base64');
  }

  /** Unwraps the AES key and decrypts the password (UTF-16LE text). */
  decrypt(password: EncryptedPassword): string {
    const aesKey = this.unwrapKey(password.encryptedKey);
    if (aesKey.length !== 16) throw new PasswordDecryptionError('sessionKey.encryptedKey', `the wrapped key must be a 16-byte AES-128 key; it holds ${aesKey.length} bytes`);
    if (password.iv.length !== 16) throw new PasswordDecryptionError('sessionKey.iv', `the IV must be 16 bytes; got ${password.iv.length}`);
    if (password.cipherText.length === 0 || password.cipherText.length % 16 !== 0) {
      throw new PasswordDecryptionError('cipherText', 'cipherText must be AES-128-CBC output: a non-empty multiple of 16 bytes');
    }
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-128-cbc', aesKey, password.iv);
      plain = Buffer.concat([decipher.update(password.cipherText), decipher.final()]);
    } catch {
      throw new PasswordDecryptionError('cipherText', 'cipherText does not decrypt with the wrapped key and IV (bad padding): check the key, the IV and the cipher mode (AES-128-CBC, PKCS#7 padding)');
    }
    if (plain.length % 2 !== 0) throw new PasswordDecryptionError('cipherText', 'the decrypted password is not UTF-16LE text (odd number of bytes)');
    return plain.toString('utf16le');
  }

  /** RSA-OAEP with SHA-1 (what .NET and most clients use), else with SHA-256. */
  private unwrapKey(encryptedKey: Buffer): Buffer {
    for (const oaepHash of ['sha1', 'sha256']) {
      try {
        return privateDecrypt({ key: this.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, encryptedKey);
      } catch {
        // try the next hash
      }
    }
    throw new PasswordDecryptionError('sessionKey.encryptedKey',
      'sessionKey.encryptedKey does not decrypt with this console\'s key: wrap the AES key with RSA-OAEP and the certificate from GET /configuration/certificate');
  }
}

async function createKeyFile(dataDir: string, path: string): Promise<string> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + 10);
  const pems = await generateCertificate([{ name: 'commonName', value: `${hostname()} session key` }], {
    keySize: 2048, algorithm: 'sha256', notAfterDate: notAfter,
    extensions: [{ name: 'basicConstraints', cA: false }, { name: 'keyUsage', keyEncipherment: true, dataEncipherment: true }],
  } as any);
  const content = `${pems.private.trim()}\n${pems.cert.trim()}\n`;
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    return content;
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFile(path, 'utf8');
    throw error;
  }
}
