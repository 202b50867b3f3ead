/**
 * The encrypted password object of the Security Controls API, built the way the documented
 * clients build it: a random AES-128-CBC key and IV, the UTF-16LE password encrypted with them,
 * the key wrapped with RSA-OAEP for the console's certificate (`GET /configuration/certificate`).
 */
import { constants, createCipheriv, publicEncrypt, randomBytes, type X509Certificate } from 'node:crypto';

export const AES128_CBC = 'http://www.w3.org/2001/04/xmlenc#aes128-cbc';

export interface PasswordEncryptionOptions {
  /** Send the cipher text as a JSON array of byte values (PowerShell's byte[]) instead of base64. */
  bytes?: boolean;
  /** OAEP digest; the documented clients use the default, SHA-1. */
  oaepHash?: string;
  /** A fixed AES key instead of a random one. */
  key?: Buffer;
}

export function encryptPasswordFor(certificate: Pick<X509Certificate, 'publicKey'>, password: string, options: PasswordEncryptionOptions = {}) {
  const key = options.key ?? randomBytes(16);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  const cipherText = Buffer.concat([cipher.update(Buffer.from(password, 'utf16le')), cipher.final()]);
  const encryptedKey = publicEncrypt({
    key: certificate.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: options.oaepHash ?? 'sha1',
  }, key);
  return {
    cipherText: options.bytes ? [...cipherText] : cipherText.toString('base64'),
    protectionMode: 'SessionKey',
    sessionKey: { algorithmIdentifier: AES128_CBC, encryptedKey: encryptedKey.toString('base64'), iv: iv.toString('base64') },
  };
}
