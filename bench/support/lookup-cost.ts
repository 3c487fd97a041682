import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { BoundedMemoryStore } from '#caching/bounded-memory-store';
import { TieredCache, type L1Entry } from '#caching/tiered-cache';
import type { VersionedValue } from '#caching/versioned-redis.store';
import { round } from './load.js';

export interface LookupCost {
  entries: number;
  /** Nanoseconds per lookup that hits memory. */
  nanosPerHit: {
    tieredPeek: number;
    tieredGet: number;
    cacheManagerGet: number;
  };
}

/**
 * What one in-memory hit costs through Warden's L1 (`peekLocal`, synchronous; `get`,
 * awaited) and through cache-manager 7's `get` over a Keyv in-memory store holding the
 * same entries: the figure behind keeping the hot path off cache-manager.
 */
export async function measureLookupCost(
  document: string,
  entries = 10_000,
  lookups = 500_000,
): Promise<LookupCost> {
  const value = (i: number): VersionedValue => ({ revision: i, json: document });
  const keys = Array.from({ length: entries }, (_, i) => `warden:eff:svc-${i}:prod`);
  const tiered = new TieredCache(
    new BoundedMemoryStore<L1Entry>('lru', entries * 2, 1 << 30),
    undefined,
    {
      ttlMs: 3_600_000,
      negativeTtlMs: 5_000,
      tombstoneTtlMs: 60_000,
    },
  );
  keys.forEach((key, i) => tiered.putL1(key, value(i)));
  const manager = createCache({ stores: [new Keyv()], ttl: 3_600_000 });
  for (let i = 0; i < entries; i++) await manager.set(keys[i], value(i));
  const never = () => Promise.reject(new Error('every lookup hits'));

  const perLookup = (started: bigint) =>
    round(Number(process.hrtime.bigint() - started) / lookups, 0);
  const timeSync = (lookup: (key: string) => unknown): number => {
    for (let i = 0; i < 50_000; i++) lookup(keys[i % entries]);
    const started = process.hrtime.bigint();
    for (let i = 0; i < lookups; i++) lookup(keys[i % entries]);
    return perLookup(started);
  };
  const timeAsync = async (lookup: (key: string) => Promise<unknown>): Promise<number> => {
    for (let i = 0; i < 50_000; i++) await lookup(keys[i % entries]);
    const started = process.hrtime.bigint();
    for (let i = 0; i < lookups; i++) await lookup(keys[i % entries]);
    return perLookup(started);
  };
  return {
    entries,
    nanosPerHit: {
      tieredPeek: timeSync((key) => tiered.peekLocal(key)),
      tieredGet: await timeAsync((key) => tiered.get(key, never)),
      cacheManagerGet: await timeAsync((key) => manager.get(key)),
    },
  };
}
