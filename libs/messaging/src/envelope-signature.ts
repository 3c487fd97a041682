import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries the API's HMAC of a message value. */
export const SIGNATURE_HEADER = 'x-warden-signature';

export type EventSource = 'api' | 'kafka';

/** Who published an event, as far as the worker can tell. */
export type Provenance =
  | { ok: true; source: EventSource; actorVerified: boolean }
  | { ok: false; reason: 'unsigned' | 'bad signature' };

export function signatureOf(value: string | Buffer, key: string): string {
  return `sha256=${createHmac('sha256', key).update(value).digest('hex')}`;
}

/**
 * An event signed with the shared key came from the API, whose actor is the token's
 * name; anything else came from an outside producer whose actor is only what it claims.
 * With `requireSigned` such events are refused instead.
 */
export function provenanceOf(
  value: Buffer | null,
  header: string | undefined,
  key: string,
  requireSigned: boolean,
): Provenance {
  if (header === undefined || value === null) {
    return requireSigned ? { ok: false, reason: 'unsigned' } : kafka();
  }
  const expected = Buffer.from(signatureOf(value, key));
  const given = Buffer.from(header);
  if (given.length === expected.length && timingSafeEqual(given, expected)) {
    return { ok: true, source: 'api', actorVerified: true };
  }
  return requireSigned ? { ok: false, reason: 'bad signature' } : kafka();
}

function kafka(): Provenance {
  return { ok: true, source: 'kafka', actorVerified: false };
}
