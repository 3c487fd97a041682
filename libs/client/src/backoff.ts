/**
 * Delay before reconnect attempt `failures` (0 = the first after a clean end): grows
 * exponentially to `maxMs` and is jittered over its upper half, so a fleet of clients
 * that lost the same server does not come back in one wave.
 */
export function reconnectDelay(
  failures: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(failures, 20));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
