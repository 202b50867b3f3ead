import { LenientFields, WireRequestError } from '../wire-request.js';
import { AES128_CBC_ALGORITHM, PasswordDecryptionError, type SessionKey } from '../../scans/session-key.js';

/**
 * The password object of the Security Controls API (used by session credentials and stored
 * credentials): `{"clearText": "..."}`, or the password encrypted for this console:
 * `{"cipherText": <base64 or byte array>, "protectionMode": "SessionKey",
 *   "sessionKey": {"algorithmIdentifier": "...#aes128-cbc", "encryptedKey": <base64>, "iv": <base64>}}`.
 * Returns the password; clear text is kept exactly as sent (spaces may be part of it).
 */
/** Room for a private key kept as a credential's password (an OpenSSH RSA 4096 key is about 3,400 characters). */
export const MAX_PASSWORD_LENGTH = 8192;
/** UTF-16LE encrypted: two bytes a character, plus one AES block of padding. */
const MAX_CIPHER_BYTES = MAX_PASSWORD_LENGTH * 2 + 16;

export function readPasswordObject(value: unknown, prefix: string, sessionKey: SessionKey): string {
  const at = (name: string) => (prefix ? `${prefix}.${name}` : name);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WireRequestError(prefix || 'body', `${prefix || 'the body'} must be a password object such as {"clearText": "..."}`);
  }
  const fields = new LenientFields(value, 'body');
  const mode = fields.string('protectionMode', { maxLength: 64 });
  const cipherText = fields.raw('cipherText');
  const clearText = fields.raw('clearText');
  if (cipherText !== undefined && clearText !== undefined) {
    throw new WireRequestError(at('clearText'), `send either ${at('clearText')} or ${at('cipherText')}, not both`);
  }
  let password: string;
  if (cipherText !== undefined) {
    if (mode !== undefined && mode.toLowerCase() !== 'sessionkey') {
      throw new WireRequestError(at('protectionMode'), `${at('protectionMode')} "${mode}" is not supported; encrypt for this console's certificate and send "SessionKey"`);
    }
    password = decryptPassword(fields, at, cipherText, sessionKey);
  } else {
    if (mode !== undefined && mode !== '' && mode.toLowerCase() !== 'none') {
      throw new WireRequestError(at('cipherText'), `${at('protectionMode')} "${mode}" needs ${at('cipherText')} and ${at('sessionKey')}`);
    }
    if (clearText === undefined) throw new WireRequestError(at('clearText'), `${at('clearText')} (or ${at('cipherText')} with ${at('sessionKey')}) is required`);
    if (typeof clearText !== 'string') throw new WireRequestError(at('clearText'), `${at('clearText')} must be a string`);
    password = clearText;
  }
  if (password.length === 0) throw new WireRequestError(at('clearText'), 'the password must not be empty');
  if (password.length > MAX_PASSWORD_LENGTH) throw new WireRequestError(at('clearText'), `the password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  if (password.includes('\u0000')) throw new WireRequestError(at('clearText'), 'the password must not contain NUL (U+0000) characters');
  return password;
}

function decryptPassword(fields: LenientFields, at: (name: string) => string, cipherText: unknown, sessionKey: SessionKey): string {
  const rawKey = fields.raw('sessionKey');
  if (typeof rawKey !== 'object' || rawKey === null || Array.isArray(rawKey)) {
    throw new WireRequestError(at('sessionKey'), `${at('sessionKey')} is required with ${at('cipherText')}: {"algorithmIdentifier", "encryptedKey", "iv"}`);
  }
  const keyFields = new LenientFields(rawKey, 'body');
  const algorithm = keyFields.string('algorithmIdentifier', { maxLength: 256 });
  if (algorithm !== undefined && algorithm !== '' && algorithm !== AES128_CBC_ALGORITHM) {
    throw new WireRequestError(at('sessionKey.algorithmIdentifier'), `${at('sessionKey.algorithmIdentifier')} must be ${AES128_CBC_ALGORITHM}; got "${algorithm.slice(0, 80)}"`);
  }
  const encrypted = {
    cipherText: readBytes(cipherText, at('cipherText')),
    encryptedKey: readBytes(keyFields.raw('encryptedKey'), at('sessionKey.encryptedKey')),
    iv: readBytes(keyFields.raw('iv'), at('sessionKey.iv')),
  };
  try {
    return sessionKey.decrypt(encrypted);
  } catch (error) {
    if (error instanceof PasswordDecryptionError) throw new WireRequestError(at(error.field), error.message);
    throw error;
  }
}

/** Bytes sent as base64 text or as a JSON array of numbers 0..255 (how PowerShell sends byte[]). */
function readBytes(value: unknown, field: string): Buffer {
  if (value === undefined || value === null) throw new WireRequestError(field, `${field} is required`);
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.length === 0 || text.length > MAX_CIPHER_BYTES * 2 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) {
      throw new WireRequestError(field, `${field} must be base64 text (or a JSON array of byte values)`);
    }
    return Buffer.from(text, 'base64');
  }
  if (Array.isArray(value)) {
    if (value.length === 0 || value.length > MAX_CIPHER_BYTES) throw new WireRequestError(field, `${field} must hold between 1 and ${MAX_CIPHER_BYTES} bytes`);
    for (const [i, byte] of value.entries()) {
      if (typeof byte !== 'number' || !Number.isInteger(byte) || byte < 0 || byte > 255) {
        throw new WireRequestError(field, `${field}[${i}] must be a byte value 0..255; got ${JSON.stringify(byte)?.slice(0, 40)}`);
      }
    }
    return Buffer.from(value as number[]);
  }
  throw new WireRequestError(field, `${field} must be base64 text or a JSON array of byte values`);
}
