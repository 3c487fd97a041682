/** What a reader without the `secrets` scope sees instead of a secret's value. */
export const SECRET_MASK = '***';

/**
 * A secret's value as Warden carries and stores it: the JSON of the value encrypted
 * with AES-256-GCM, each part in base64. The plaintext never travels or rests beside it.
 */
export interface EncryptedValue {
  alg: 'A256GCM';
  /** 96 random bits, new for every value encrypted. */
  iv: string;
  /** GCM's 128-bit authentication tag. */
  tag: string;
  ciphertext: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function isEncryptedValue(value: unknown): value is EncryptedValue {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    v.alg === 'A256GCM' &&
    Object.keys(v).length === 4 &&
    [v.iv, v.tag, v.ciphertext].every((part) => typeof part === 'string' && BASE64.test(part))
  );
}

/**
 * Decrypts a secret for a reader who may see it; undefined when it cannot (no key, or
 * not the key it was encrypted with). Readers without the scope get no opener.
 */
export type SecretOpener = (value: EncryptedValue) => { ok: true; value: unknown } | { ok: false };

/** How one class of readers sees secret values: masked, or opened. */
export type SecretAudience = 'masked' | 'revealed';

/** Anything that holds a configuration value: an entry, a version, a snapshot's item. */
export interface ValueHolder {
  value: unknown;
  secret?: boolean;
}

/** The value a reader sees: a secret's plaintext with an opener that can open it, else the mask. */
export function shownValue(holder: ValueHolder, open?: SecretOpener): unknown {
  if (holder.secret !== true) return holder.value;
  if (!open || !isEncryptedValue(holder.value)) return SECRET_MASK;
  const opened = open(holder.value);
  return opened.ok ? opened.value : SECRET_MASK;
}

/** The holder with the value a reader sees (the same object when it holds no secret). */
export function shown<T extends ValueHolder>(holder: T, open?: SecretOpener): T {
  return holder.secret === true ? { ...holder, value: shownValue(holder, open) } : holder;
}

/**
 * Any audited resource (a service, a policy, a config entry) as a reader sees it: only
 * configuration entries carry secrets, and only their `value` is hidden.
 */
export function shownResource(resource: unknown, open?: SecretOpener): unknown {
  if (resource === null || typeof resource !== 'object') return resource;
  const holder = resource as ValueHolder;
  return holder.secret === true && 'value' in holder ? shown(holder, open) : resource;
}

/** True when a value is the mask: an export made without the scope, which must not be imported. */
export function isMasked(holder: ValueHolder): boolean {
  return holder.secret === true && holder.value === SECRET_MASK;
}
