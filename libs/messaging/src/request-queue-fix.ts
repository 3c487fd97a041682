import { createRequire } from 'node:module';

/** The parts of kafkajs's per-connection request queue that its scheduling uses. */
export interface RequestQueueState {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
}

/** kafkajs's own interval for re-checking requests that wait (its CHECK_PENDING_REQUESTS_INTERVAL). */
const PENDING_CHECK_MS = 10;

/**
 * kafkajs 2.2.4's `RequestQueue.scheduleCheckPendingRequests`, without its idle loop: with
 * nothing pending and no throttle, `throttledUntil - Date.now()` is negative and the queue
 * re-arms a 1 ms timer after every check, forever (tulios/kafkajs#1556, #1704, unfixed
 * upstream). Each broker connection of the API then wakes the event loop ~1,000 times a
 * second: 44 ms of CPU per second measured on an idle API here, which the hot read paid
 * for in every request. A request that cannot be sent at once is pending, and a response
 * checks the queue again, so with neither pending nor throttled there is nothing to check.
 */
export function scheduleCheckPendingRequests(this: RequestQueueState): void {
  if (this.throttleCheckTimeoutId) return;
  let scheduleAt = this.throttledUntil - Date.now();
  if (this.pending.length > 0) scheduleAt = scheduleAt > 0 ? scheduleAt : PENDING_CHECK_MS;
  else if (scheduleAt <= 0) return;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, scheduleAt);
}

/** Puts the scheduling above into kafkajs's request queue (idempotent). */
export function fixRequestQueueIdleLoop(): void {
  const require = createRequire(import.meta.url);
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: { scheduleCheckPendingRequests: () => void };
  };
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
}
