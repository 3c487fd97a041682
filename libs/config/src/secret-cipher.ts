import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptedValue, SecretOpener } from '#domain/secret-value';

type Env = Record<string, string | undefined>;

const KEY_HEX = /^[0-9a-fA-F]{64}$/;
/**
 * Outside production, without WARDEN_SECRETS_KEY, secrets are encrypted with this key so
 * that `npm run up` and the tests work as they are; production refuses to start on it.
 */
export const DEVELOPMENT_SECRETS_KEY = 'de7e10be'.repeat(8);

/**
 * WARDEN_SECRETS_KEY: 32 bytes as 64 hex characters. In production it may be left out
 * (a Warden without secrets), and then secret writes are refused; the development key
 * is refused there.
 */
export function loadSecretsKey(
  env: Env,
  production: boolean,
  problems: string[],
): Buffer | undefined {
  const raw = env.WARDEN_SECRETS_KEY;
  if (raw === undefined || raw === '') {
    return production ? undefined : Buffer.from(DEVELOPMENT_SECRETS_KEY, 'hex');
  }
  if (!KEY_HEX.test(raw)) {
    problems.push('WARDEN_SECRETS_KEY must be 32 bytes written as 64 hex characters');
    return undefined;
  }
  if (production && raw.toLowerCase() === DEVELOPMENT_SECRETS_KEY) {
    problems.push('WARDEN_SECRETS_KEY is the development key: set a key of your own in production');
  }
  return Buffer.from(raw, 'hex');
}

/** A secret write on a Warden that has no key: refused, never stored in the clear. */
export class SecretsKeyMissingError extends Error {
  constructor() {
    super('secret values cannot be stored: WARDEN_SECRETS_KEY is not set');
  }
}

/**
 * AES-256-GCM over the JSON of a configuration value: a random 96-bit IV per value and
 * the 128-bit tag stored beside the ciphertext, so a value encrypted under another key,
 * or altered, does not open.
 */
export class SecretCipher {
  constructor(private readonly key: Buffer | undefined) {
    if (key !== undefined && key.length !== 32) throw new Error('a secrets key is 32 bytes');
  }

  get canEncrypt(): boolean {
    return this.key !== undefined;
  }

  /** Throws SecretsKeyMissingError without a key. */
  encrypt(value: unknown): EncryptedValue {
    if (!this.key) throw new SecretsKeyMissingError();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([
      cipher.update(JSON.stringify(value ?? null), 'utf8'),
      cipher.final(),
    ]);
    return {
      alg: 'A256GCM',
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
  }

  /** The opener that readers with the `secrets` scope use: never throws. */
  readonly open: SecretOpener = (encrypted) => {
    if (!this.key) return { ok: false };
    try {
      // The tag's length is fixed: GCM would otherwise accept a truncated, forgeable tag.
      const decipher = createDecipheriv(
        'aes-256-gcm',
        this.key,
        Buffer.from(encrypted.iv, 'base64'),
        { authTagLength: 16 },
      );
      decipher.setAuthTag(Buffer.from(encrypted.tag, 'base64'));
      const plaintext = Buffer.concat([
        decipher.update(Buffer.from(encrypted.ciphertext, 'base64')),
        decipher.final(),
      ]).toString('utf8');
      return { ok: true, value: JSON.parse(plaintext) as unknown };
    } catch {
      return { ok: false };
    }
  };
}
