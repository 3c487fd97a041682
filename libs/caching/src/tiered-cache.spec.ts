import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { BoundedMemoryStore } from './bounded-memory-store.js';
import { createRedis } from './redis-client.js';
import { TieredCache, type L1Entry, type TieredCacheOptions } from './tiered-cache.js';
import { VersionedRedisStore, type VersionedValue } from './versioned-redis.store.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A point a test opens when it chooses: how a race is staged without sleeping. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

const present = (revision: number, name = `r${revision}`): VersionedValue => ({
  revision,
  json: JSON.stringify({ name }),
});

describe(TieredCache.name, () => {
  let redis: Redis;
  let store: VersionedRedisStore;
  const prefix = `warden:t-tiers-${randomBytes(4).toString('hex')}:`;
  let n = 0;
  const freshKey = () => `${prefix}svc:k${++n}`;
  const base: TieredCacheOptions = { ttlMs: 60_000, negativeTtlMs: 5_000, tombstoneTtlMs: 60_000 };

  /** Memory, and Redis unless `l2` is null (memory and the loader only). */
  const tiers = (
    options: Partial<TieredCacheOptions> = {},
    l2: VersionedRedisStore | null = store,
  ) =>
    new TieredCache(new BoundedMemoryStore<L1Entry>('lru', 10_000, 10_000_000), l2 ?? undefined, {
      ...base,
      ...options,
    });

  /** A loader that counts its calls and answers what the test says. */
  const counting = (answer: () => VersionedValue | Promise<VersionedValue>) => {
    const load = Object.assign(
      async () => {
        load.calls++;
        return answer();
      },
      { calls: 0 },
    );
    return load;
  };

  beforeAll(async () => {
    redis = new Redis(REDIS_URL);
    await redis.ping();
    store = new VersionedRedisStore(redis);
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  describe('get', () => {
    it('answers 200 concurrent misses of a cold key with one load, then from memory', async () => {
      const cache = tiers();
      const key = freshKey();
      const load = counting(() => present(1));
      const reads = await Promise.all(Array.from({ length: 200 }, () => cache.get(key, load)));
      expect(load.calls).toBe(1);
      expect(new Set(reads.map((r) => r.value.json)).size).toBe(1);
      expect(await store.get(key)).toEqual(present(1));
      expect((await cache.get(key, load)).tier).toBe('l1');
      expect(cache.stats().db.loads).toBe(1);
    });

    it('fills memory from Redis without loading when another instance filled Redis', async () => {
      const key = freshKey();
      await tiers().get(key, async () => present(4));
      const load = counting(() => present(4));
      const read = await tiers().get(key, load);
      expect(read).toMatchObject({ tier: 'l2', value: present(4) });
      expect(load.calls).toBe(0);
    });

    it('caches an absent slug negatively, for a short time, in both tiers', async () => {
      const cache = tiers();
      const key = freshKey();
      const load = counting(() => ({ revision: 0 }));
      await Promise.all(Array.from({ length: 50 }, () => cache.get(key, load)));
      for (let i = 0; i < 50; i++) await cache.get(key, load);
      expect(load.calls).toBe(1);
      expect(await redis.pttl(key)).toBeLessThanOrEqual(5_500);
    });

    it('reads a slug created after a negative lookup as soon as its creation is announced', async () => {
      const cache = tiers();
      const worker = tiers();
      const key = freshKey();
      expect((await cache.get(key, async () => ({ revision: 0 }))).value.json).toBeUndefined();
      await worker.putL2(key, present(1));
      cache.invalidateLocalBelow(key, 1);
      const load = counting(() => present(1));
      expect((await cache.get(key, load)).value).toEqual(present(1));
      expect(load.calls).toBe(0);
    });
  });

  describe('races', () => {
    it('a slow fill loses against a newer refresh from the worker, in Redis and in the answer', async () => {
      const cache = tiers();
      const worker = tiers();
      const key = freshKey();
      const read = gate();
      const release = gate();
      const reading = cache.get(key, async () => {
        read.open();
        await release.opened;
        return present(1, 'before');
      });
      await read.opened;
      await worker.putL2(key, present(2, 'after'));
      release.open();
      expect((await reading).value).toEqual(present(2, 'after'));
      expect(await store.get(key)).toEqual(present(2, 'after'));
      expect((await cache.get(key, async () => present(1, 'before'))).value).toEqual(
        present(2, 'after'),
      );
    });

    it('a fill that read the entity before its delete cannot bring it back', async () => {
      const cache = tiers();
      const worker = tiers();
      const key = freshKey();
      const read = gate();
      const release = gate();
      const reading = cache.get(key, async () => {
        read.open();
        await release.opened;
        return present(1, 'alive');
      });
      await read.opened;
      await worker.putL2(key, { revision: 2 });
      release.open();
      expect((await reading).value).toEqual({ revision: 2, json: undefined });
      expect(await store.get(key)).toEqual({ revision: 2, json: undefined });
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(50_000);
      expect((await tiers().get(key, async () => present(1, 'alive'))).value.json).toBeUndefined();
    });

    it('a fill older than half a tombstone lifetime is not written, judged by Redis clock', async () => {
      const longAgo = Date.now() - 10 * 60_000;
      const cache = tiers({ clock: () => longAgo });
      const key = freshKey();
      const read = await cache.get(key, async () => present(1, 'from long ago'));
      expect(read.value).toEqual(present(1, 'from long ago'));
      expect(await store.get(key)).toBeUndefined();
    });

    it('a fill that outlived half a tombstone lifetime on its own clock is not even sent', async () => {
      let now = Date.now();
      const cache = tiers({ clock: () => now });
      const key = freshKey();
      await cache.get(key, async () => {
        now += 31_000;
        return present(1);
      });
      expect(await store.get(key)).toBeUndefined();
    });

    it('a read under way when a newer revision is announced is read again and not kept', async () => {
      const cache = tiers({}, null);
      const key = freshKey();
      const read = gate();
      const release = gate();
      let record = present(1, 'before');
      const load = counting(async () => {
        const seen = record;
        read.open();
        await release.opened;
        return seen;
      });
      const first = cache.get(key, load);
      await read.opened;
      record = present(2, 'after');
      cache.invalidateLocalBelow(key, 2);
      // A read that starts after the announcement joins the load under way: it too must not see revision 1.
      const second = cache.get(key, load);
      release.open();
      expect((await first).value).toEqual(present(2, 'after'));
      expect((await second).value).toEqual(present(2, 'after'));
      expect(cache.inspectLocal(key)).toEqual(present(2, 'after'));
      expect(load.calls).toBe(2);
    });

    it('a read under way when its key is invalidated without a revision is answered but not kept', async () => {
      const cache = tiers({}, null);
      const key = freshKey();
      const read = gate();
      const release = gate();
      const reading = cache.get(key, async () => {
        read.open();
        await release.opened;
        return present(1);
      });
      await read.opened;
      cache.clearLocal();
      release.open();
      expect((await reading).value).toEqual(present(1));
      expect(cache.inspectLocal(key)).toBeUndefined();
    });

    it('memory never goes back to an older revision', () => {
      const cache = tiers();
      const key = freshKey();
      cache.putL1(key, present(3));
      cache.putL1(key, present(2));
      expect(cache.peekLocal(key)).toEqual(present(3));
    });
  });

  describe('failures', () => {
    it('reads through to the loader with no error while Redis refuses connections', async () => {
      const dead = createRedis({ redisUrl: 'redis://127.0.0.1:1', redisClusterNodes: [] }, 'dead');
      try {
        const cache = tiers({}, new VersionedRedisStore(dead));
        const load = counting(() => present(1));
        const read = await cache.get(freshKey(), load);
        expect(read).toMatchObject({ tier: 'db', stale: false, value: present(1) });
        expect(cache.stats().l2).toMatchObject({ circuitOpen: true });
      } finally {
        dead.disconnect();
      }
    });

    it('trusts memory only briefly while Redis is unreachable, since no invalidation can arrive', async () => {
      let now = Date.now();
      const cache = tiers({ clock: () => now, l1TtlWithoutRedisMs: 1_000 });
      const key = freshKey();
      const load = counting(() => present(1));
      await cache.get(key, load);
      cache.setRedisReachable(false);
      now += 1_100;
      expect(cache.peekLocal(key)).toBeUndefined();
      await cache.get(key, load);
      expect(load.calls).toBe(2);
      now += 500;
      expect(cache.peekLocal(key)).toEqual(present(1));
      now += 600;
      expect(cache.peekLocal(key)).toBeUndefined();
      cache.setRedisReachable(true);
      expect(cache.peekLocal(key)).toEqual(present(1));
    });

    it('serves an expired copy marked stale when PostgreSQL fails, and fails without one', async () => {
      let now = Date.now();
      const cache = tiers({ clock: () => now }, null);
      const key = freshKey();
      await cache.get(key, async () => present(1));
      now += 120_000;
      const failing = async (): Promise<VersionedValue> => {
        throw new Error('connection refused');
      };
      expect(await cache.get(key, failing)).toMatchObject({ stale: true, value: present(1) });
      await expect(cache.get(freshKey(), failing)).rejects.toThrow('connection refused');
      expect(cache.stats().db).toMatchObject({ failures: 2, staleServed: 1 });
    });

    it('answers from an expired copy at once when PostgreSQL is known down', async () => {
      let now = Date.now();
      const cache = tiers({ clock: () => now }, null);
      const key = freshKey();
      await cache.get(key, async () => present(1));
      now += 120_000;
      const never = counting(() => new Promise<VersionedValue>(() => undefined));
      expect(await cache.get(key, never, { recordDown: true })).toMatchObject({
        stale: true,
        value: present(1),
      });
      expect(never.calls).toBe(0);
    });
  });

  describe('ttlFor', () => {
    it('keeps tombstones longer than negative entries, both jittered', () => {
      const cache = tiers();
      for (let i = 0; i < 100; i++) {
        expect(cache.ttlFor({ revision: 0 })).toBeGreaterThanOrEqual(4_500);
        expect(cache.ttlFor({ revision: 0 })).toBeLessThanOrEqual(5_500);
        expect(cache.ttlFor({ revision: 7 })).toBeGreaterThanOrEqual(54_000);
        expect(cache.ttlFor(present(7))).toBeGreaterThanOrEqual(54_000);
      }
    });
  });
});
