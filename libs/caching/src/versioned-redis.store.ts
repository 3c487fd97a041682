import { Cluster } from 'ioredis';
import { masters, type RedisConnection } from './redis-client.js';
import { ReplicationBarrier } from './replication-barrier.js';

/**
 * Writes `value` at `revision` unless the key holds a newer one: an older fill can never
 * overwrite a newer refresh, and a tombstone (empty value at the delete's revision)
 * keeps a deleted entity from coming back through a fill that read it before the delete.
 * An equal revision is rewritten (same state, fresh TTL), so a rebuild can repair a key.
 *
 * ARGV[4], when not 0, is the latest Redis time (ms) at which the write is still valid:
 * a fill is only as good as the moment it read PostgreSQL, and once it is older than a
 * tombstone's lifetime the tombstone that would have refused it may be gone. Checking
 * against Redis' own clock closes that gap even when the command sat in a socket.
 */
const PUT_IF_NOT_OLDER = `
local deadline = tonumber(ARGV[4])
if deadline > 0 then
  local now = redis.call('TIME')
  if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) > deadline then return -1 end
end
local current = redis.call('HGET', KEYS[1], 'r')
if current and tonumber(current) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'r', ARGV[1], 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

export interface VersionedValue {
  revision: number;
  /** The serialized value; undefined for an absent entity (negative entry or tombstone). */
  json?: string;
}

/** What a compare-and-set did: `newer` = the key holds a newer revision; `expired` = the fill was too old to write. */
export type PutResult = 'written' | 'newer' | 'expired';

type RedisWithScripts = RedisConnection & {
  wardenPutIfNotOlder(
    key: string,
    revision: number,
    data: string,
    ttlMs: number,
    notAfterMs: number,
  ): Promise<number>;
};

/** The Redis tier: hashes of `r` (revision) and `d` (JSON, empty when absent). */
export class VersionedRedisStore {
  private readonly redis: RedisWithScripts;
  private readonly replicas?: ReplicationBarrier;

  constructor(redis: RedisConnection) {
    if (redis instanceof Cluster) this.replicas = new ReplicationBarrier(redis);
    if (!('wardenPutIfNotOlder' in redis)) {
      redis.defineCommand('wardenPutIfNotOlder', { numberOfKeys: 1, lua: PUT_IF_NOT_OLDER });
    }
    this.redis = redis as RedisWithScripts;
  }

  async get(key: string): Promise<VersionedValue | undefined> {
    const [r, d] = await this.redis.hmget(key, 'r', 'd');
    return toValue(r, d);
  }

  /** One round trip for many keys (consistency scans); undefined where a key is absent. */
  async getMany(keys: readonly string[]): Promise<(VersionedValue | undefined)[]> {
    if (keys.length === 0) return [];
    // A cluster pipeline may only hold keys of one node; auto-pipelining groups them per node.
    if (this.redis instanceof Cluster) return Promise.all(keys.map((key) => this.get(key)));
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.hmget(key, 'r', 'd');
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, reply]) => {
      if (error) throw error;
      const [r, d] = reply as [string | null, string | null];
      return toValue(r, d);
    });
  }

  /**
   * The compare-and-set. `notAfterMs` (epoch ms, Redis clock) bounds how late a fill may
   * land; the worker's refresh after a commit passes none, and on a cluster waits until
   * its master's replica holds the write (see replication-barrier.ts).
   */
  async putIfNotOlder(
    key: string,
    value: VersionedValue,
    ttlMs: number,
    notAfterMs = 0,
  ): Promise<PutResult> {
    const result = await this.redis.wardenPutIfNotOlder(
      key,
      value.revision,
      value.json ?? '',
      Math.max(1, Math.round(ttlMs)),
      Math.round(notAfterMs),
    );
    if (result === 1 && notAfterMs === 0) await this.replicas?.reached();
    return result === 1 ? 'written' : result === 0 ? 'newer' : 'expired';
  }

  /**
   * Walks the keys matching `pattern` in batches (SCAN: never blocks Redis), on every
   * master of a cluster in turn (a replica holds copies of its master's keys only).
   */
  async *scan(pattern: string, batch = 500): AsyncGenerator<string[]> {
    for (const node of masters(this.redis)) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', batch);
        cursor = next;
        if (keys.length > 0) yield keys;
      } while (cursor !== '0');
    }
  }

  /** Deletes keys one command each: keys of different slots may not share a command in a cluster. */
  async remove(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.redis.unlink(key)));
  }
}

function toValue(r: string | null, d: string | null): VersionedValue | undefined {
  if (r === null) return undefined;
  return { revision: Number(r), json: d ? d : undefined };
}

/** Spreads expiries so entries filled together do not all expire together (avalanche). */
export function jitter(ttlMs: number, spread = 0.2): number {
  return ttlMs * (1 - spread / 2 + Math.random() * spread);
}
