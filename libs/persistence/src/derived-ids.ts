import { createHash } from 'node:crypto';

/** Warden's namespace for name-based (RFC 9562 version 5) event ids. */
const NAMESPACE = Buffer.from('6f1c2a4e9b7d4c3a8e5f0a1b2c3d4e5f', 'hex');

/**
 * A UUID that is a function of `name`: the same name gives the same id on every
 * process, so an event published twice for the same reason is one event to the worker.
 */
export function derivedEventId(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The id of the event that applies a change request: whoever publishes it (an explicit
 * apply, the scheduler, a retry of either) publishes the same event, applied once.
 */
export function applyEventIdOf(changeRequestId: string): string {
  return derivedEventId(`change-request:${changeRequestId}:apply`);
}

/** The id of the `index`-th change that a `change-request.applied` event applies. */
export function changeEventIdOf(applyEventId: string, index: number): string {
  return derivedEventId(`${applyEventId}:change:${index}`);
}
