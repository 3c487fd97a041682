export const CONFIG_KEY_PATTERN = /^[a-zA-Z0-9._-]{1,128}$/;
export const MAX_CONFIG_VALUE_BYTES = 64 * 1024;

export interface ConfigEntryState {
  slug: string;
  env: string;
  key: string;
  /** A secret's value is its EncryptedValue (see secret-value.ts), never the plaintext. */
  value: unknown;
  description?: string;
  /** Present (true) only on a secret entry. */
  secret?: true;
}

export function jsonSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
