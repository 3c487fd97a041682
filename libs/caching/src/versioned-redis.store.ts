import type { Redis } from 'ioredis';

/**
 * Writes `value` at `revision` only if the key holds nothing newer: an older fill can
 * never overwrite a newer refresh, and a tombstone (empty value) keeps a deleted
 * entity from coming back through a racing fill until the tombstone expires.
 */
const PUT_IF_NEWER = `
local current = redis.call('HGET', KEYS[1], 'r')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'r', ARGV[1], 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

export interface VersionedValue {
  revision: number;
  /** The serialized value; undefined for an absent entity (negative entry or tombstone). */
  json?: string;
}

type RedisWithScripts = Redis & {
  wardenPutIfNewer(key: string, revision: number, data: string, ttlMs: number): Promise<number>;
};

/** The Redis tier: hashes of `r` (revision) and `d` (JSON, empty when absent). */
export class VersionedRedisStore {
  private readonly redis: RedisWithScripts;

  constructor(redis: Redis) {
    if (!('wardenPutIfNewer' in redis)) {
      redis.defineCommand('wardenPutIfNewer', { numberOfKeys: 1, lua: PUT_IF_NEWER });
    }
    this.redis = redis as RedisWithScripts;
  }

  async get(key: string): Promise<VersionedValue | undefined> {
    const [r, d] = await this.redis.hmget(key, 'r', 'd');
    if (r === null) return undefined;
    return { revision: Number(r), json: d ? d : undefined };
  }

  async putIfNewer(key: string, value: VersionedValue, ttlMs: number): Promise<boolean> {
    const written = await this.redis.wardenPutIfNewer(
      key,
      value.revision,
      value.json ?? '',
      Math.max(1, Math.round(ttlMs)),
    );
    return written === 1;
  }
}

/** Spreads expiries so entries filled together do not all expire together. */
export function jitter(ttlMs: number, spread = 0.2): number {
  return ttlMs * (1 - spread / 2 + Math.random() * spread);
}
