import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import canonicalize from 'canonicalize';
import { ConfigError } from '../config-error.js';

/**
 * Seal signatures (SPEC §8): Ed25519 over the JCS (RFC 8785) JSON of the seal's data without its
 * `signature`, with a key kept outside DATA_DIR (AUDIT_SIGNING_KEY_FILE, PKCS#8 PEM). Whoever can
 * write the event store can recompute every hash and seal; they cannot sign without the key, and
 * an auditor holding the public key sees the difference.
 */
const canonical = canonicalize as unknown as (value: unknown) => string;

/** The part of a seal that is signed: everything but the signature. */
export const signedBytes = (seal: Record<string, unknown>): Buffer => {
  const { signature: _s, ...rest } = seal;
  return Buffer.from(canonical(rest), 'utf8');
};

/** A public key's id: the first 16 hex of SHA-256 over its DER (SPKI) form. */
export const keyIdOf = (key: KeyObject): string => createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);

export interface SealSigner {
  keyId: string;
  publicKeyPem: string;
  /** base64 signature over `signedBytes(seal)`; the seal must already carry `keyId`. */
  sign(seal: Record<string, unknown>): string;
}

/** Reads the private key; throws ConfigError (AUDIT_SIGNING_KEY_FILE) when the file is missing or not an Ed25519 key. */
export function loadSigner(file: string): SealSigner {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ConfigError([{ field: 'AUDIT_SIGNING_KEY_FILE', en: `${file}: ${missing ? 'no such file' : 'not a private key in PEM'}`, zh: `${file}：${missing ? '找不到文件' : '不是 PEM 格式的私钥'}` }]);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError([{ field: 'AUDIT_SIGNING_KEY_FILE', en: `${file}: an Ed25519 key is needed, not ${key.asymmetricKeyType}`, zh: `${file}：须为 Ed25519 密钥，不是 ${key.asymmetricKeyType}` }]);
  }
  const publicKey = createPublicKey(key);
  return {
    keyId: keyIdOf(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (seal) => sign(null, signedBytes(seal), key).toString('base64'),
  };
}

/** A new key pair in PEM (the CLI's `audit-key`). */
export function generateSigningKey(): { privateKeyPem: string; publicKeyPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

/** A public key from PEM text (an auditor's copy). Throws when it is not an Ed25519 public key. */
export function readPublicKey(pem: string): { key: KeyObject; keyId: string } {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`an Ed25519 public key is needed, not ${key.asymmetricKeyType}`);
  return { key, keyId: keyIdOf(key) };
}

export const verifySeal = (seal: Record<string, unknown>, signature: string, key: KeyObject): boolean => {
  try {
    return verify(null, signedBytes(seal), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
};
