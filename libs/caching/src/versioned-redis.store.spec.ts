import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { VersionedRedisStore, jitter } from './versioned-redis.store.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe(VersionedRedisStore.name, () => {
  let redis: Redis;
  let store: VersionedRedisStore;
  const prefix = `warden:t-store-${randomBytes(4).toString('hex')}:`;
  const key = (name: string) => `${prefix}${name}`;

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
    store = new VersionedRedisStore(redis);
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  describe('putIfNotOlder', () => {
    it('refuses an older revision and keeps the newer value', async () => {
      expect(await store.putIfNotOlder(key('a'), { revision: 5, json: '"five"' }, 60_000)).toBe(
        'written',
      );
      expect(await store.putIfNotOlder(key('a'), { revision: 4, json: '"four"' }, 60_000)).toBe(
        'newer',
      );
      expect(await store.get(key('a'))).toEqual({ revision: 5, json: '"five"' });
    });

    it('rewrites the same revision (a rebuild repairs a key) and sets its TTL', async () => {
      await store.putIfNotOlder(key('b'), { revision: 2, json: '"x"' }, 60_000);
      expect(await store.putIfNotOlder(key('b'), { revision: 2, json: '"y"' }, 30_000)).toBe(
        'written',
      );
      expect(await store.get(key('b'))).toEqual({ revision: 2, json: '"y"' });
      expect(await redis.pttl(key('b'))).toBeGreaterThan(25_000);
    });

    it('keeps a tombstone against a fill of the entity read before the delete', async () => {
      await store.putIfNotOlder(key('c'), { revision: 3 }, 60_000);
      expect(await store.putIfNotOlder(key('c'), { revision: 2, json: '"alive"' }, 60_000)).toBe(
        'newer',
      );
      expect(await store.get(key('c'))).toEqual({ revision: 3, json: undefined });
    });

    it('refuses a fill whose deadline has passed on the Redis clock', async () => {
      const [seconds] = await redis.time();
      const past = Number(seconds) * 1000 - 5_000;
      expect(
        await store.putIfNotOlder(key('d'), { revision: 1, json: '"late"' }, 60_000, past),
      ).toBe('expired');
      expect(await store.get(key('d'))).toBeUndefined();
      expect(
        await store.putIfNotOlder(
          key('d'),
          { revision: 1, json: '"on time"' },
          60_000,
          past + 60_000,
        ),
      ).toBe('written');
    });
  });

  it('reads many keys in one round trip and finds the keys of a pattern', async () => {
    await store.putIfNotOlder(key('scan:1'), { revision: 1, json: '1' }, 60_000);
    await store.putIfNotOlder(key('scan:2'), { revision: 2 }, 60_000);
    expect(await store.getMany([key('scan:1'), key('scan:2'), key('scan:none')])).toEqual([
      { revision: 1, json: '1' },
      { revision: 2, json: undefined },
      undefined,
    ]);
    const found: string[] = [];
    for await (const batch of store.scan(`${prefix}scan:*`, 1)) found.push(...batch);
    expect(found.sort()).toEqual([key('scan:1'), key('scan:2')]);
  });
});

describe(jitter.name, () => {
  it('spreads a TTL within ±10 %', () => {
    const values = Array.from({ length: 1000 }, () => jitter(10_000));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(9_000);
    expect(Math.max(...values)).toBeLessThanOrEqual(11_000);
    expect(new Set(values).size).toBeGreaterThan(900);
  });
});
