import { BoundedMemoryStore } from './bounded-memory-store.js';
import { SingleFlight } from './single-flight.js';
import { jitter, type VersionedRedisStore, type VersionedValue } from './versioned-redis.store.js';

export type CacheTier = 'l1' | 'l2' | 'db';

export interface CacheRead {
  value: VersionedValue;
  tier: CacheTier;
  /** Served from an expired copy because the record could not be read. */
  stale: boolean;
}

interface L1Entry {
  value: VersionedValue;
  expiresAt: number;
}

export interface TieredCacheOptions {
  ttlMs: number;
  negativeTtlMs: number;
  /** How long Redis is bypassed after it failed (a circuit breaker). */
  l2CooldownMs?: number;
  onHit?: (tier: CacheTier) => void;
  onMiss?: (tier: Exclude<CacheTier, 'db'>) => void;
  onL2Error?: (error: unknown) => void;
}

/**
 * Memory, then Redis, then the loader (PostgreSQL), for values that carry a revision.
 * Fills into Redis go through the compare-and-set, so a slow fill racing a newer
 * refresh from the worker loses; concurrent misses of one key share one load.
 */
export class TieredCache {
  private readonly flights = new SingleFlight<VersionedValue>();
  private l2OpenUntil = 0;
  private readonly counts = { l1Hits: 0, l1Misses: 0, l2Hits: 0, l2Misses: 0, loads: 0 };

  constructor(
    private readonly l1: BoundedMemoryStore<L1Entry> | undefined,
    private readonly l2: VersionedRedisStore | undefined,
    private readonly options: TieredCacheOptions,
  ) {}

  /** Synchronous L1 lookup: the hot path answers without a single await when it hits. */
  peekFresh(key: string): VersionedValue | undefined {
    const entry = this.l1?.get(key);
    if (entry && entry.expiresAt > Date.now()) {
      this.counts.l1Hits++;
      this.options.onHit?.('l1');
      return entry.value;
    }
    return undefined;
  }

  async get(key: string, load: () => Promise<VersionedValue>): Promise<CacheRead> {
    const fresh = this.peekFresh(key);
    if (fresh) return { value: fresh, tier: 'l1', stale: false };
    if (this.l1) {
      this.counts.l1Misses++;
      this.options.onMiss?.('l1');
    }
    const fromL2 = await this.readL2(key);
    if (fromL2) {
      this.counts.l2Hits++;
      this.options.onHit?.('l2');
      this.putL1(key, fromL2);
      return { value: fromL2, tier: 'l2', stale: false };
    }
    try {
      const loaded = await this.flights.run(key, async () => {
        this.counts.loads++;
        const value = await load();
        await this.fillL2(key, value);
        return value;
      });
      this.options.onHit?.('db');
      this.putL1(key, loaded);
      return { value: loaded, tier: 'db', stale: false };
    } catch (error) {
      const expired = this.l1?.peek(key);
      if (expired) return { value: expired.value, tier: 'l1', stale: true };
      throw error;
    }
  }

  /** Drops the in-process copy (after the worker announced a change). */
  invalidateLocal(key: string): void {
    this.l1?.delete(key);
  }

  /** Drops the in-process copy only if it is older than `revision`. */
  invalidateLocalBelow(key: string, revision: number): void {
    const entry = this.l1?.peek(key);
    if (entry && entry.value.revision < revision) this.l1?.delete(key);
  }

  clearLocal(): void {
    this.l1?.clear();
  }

  /** The worker's refresh after a commit, and the API's fill after a miss. */
  async putL2(key: string, value: VersionedValue): Promise<boolean> {
    if (!this.l2) return false;
    const ttl = value.json === undefined ? this.options.negativeTtlMs : jitter(this.options.ttlMs);
    return this.l2.putIfNewer(key, value, ttl);
  }

  putL1(key: string, value: VersionedValue): void {
    if (!this.l1) return;
    const ttl = value.json === undefined ? this.options.negativeTtlMs : jitter(this.options.ttlMs);
    const bytes = 64 + key.length * 2 + (value.json?.length ?? 0) * 2;
    this.l1.set(key, { value, expiresAt: Date.now() + ttl }, bytes);
  }

  stats() {
    const l1 = this.l1?.stats();
    const ratio = (hits: number, misses: number) => (hits + misses === 0 ? 0 : hits / (hits + misses));
    return {
      l1: l1
        ? { enabled: true, ...l1, hits: this.counts.l1Hits, misses: this.counts.l1Misses, hitRatio: ratio(this.counts.l1Hits, this.counts.l1Misses) }
        : { enabled: false },
      l2: {
        enabled: Boolean(this.l2),
        hits: this.counts.l2Hits,
        misses: this.counts.l2Misses,
        hitRatio: ratio(this.counts.l2Hits, this.counts.l2Misses),
        circuitOpen: Date.now() < this.l2OpenUntil,
      },
      loads: this.counts.loads,
    };
  }

  localKeys(): IterableIterator<string> {
    return this.l1?.keys() ?? [][Symbol.iterator]();
  }

  private async readL2(key: string): Promise<VersionedValue | undefined> {
    if (!this.l2 || Date.now() < this.l2OpenUntil) return undefined;
    try {
      const value = await this.l2.get(key);
      if (!value) {
        this.counts.l2Misses++;
        this.options.onMiss?.('l2');
      }
      return value;
    } catch (error) {
      this.tripL2(error);
      return undefined;
    }
  }

  private async fillL2(key: string, value: VersionedValue): Promise<void> {
    if (!this.l2 || Date.now() < this.l2OpenUntil) return;
    try {
      await this.putL2(key, value);
    } catch (error) {
      this.tripL2(error);
    }
  }

  private tripL2(error: unknown): void {
    this.l2OpenUntil = Date.now() + (this.options.l2CooldownMs ?? 2000);
    this.options.onL2Error?.(error);
  }
}
