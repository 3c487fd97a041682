import { BoundedMemoryStore } from './bounded-memory-store.js';
import { SingleFlight } from './single-flight.js';
import { jitter, type VersionedRedisStore, type VersionedValue } from './versioned-redis.store.js';

export type CacheTier = 'l1' | 'l2' | 'db';

export interface CacheRead {
  value: VersionedValue;
  tier: CacheTier;
  /** Served from a copy that PostgreSQL could not confirm (it failed or is known down). */
  stale: boolean;
}

/** Hit and miss counts per tier, for Prometheus; `db` counts loads from the record. */
export interface CacheObserver {
  hit(tier: CacheTier): void;
  miss(tier: Exclude<CacheTier, 'db'>): void;
}

export interface L1Entry {
  value: VersionedValue;
  storedAt: number;
  expiresAt: number;
}

export interface TieredCacheOptions {
  /** Lifetime of a present value (jittered ±10 % so that entries filled together do not expire together). */
  ttlMs: number;
  /** Lifetime of "no such entity" for a slug that never existed (revision 0). */
  negativeTtlMs: number;
  /**
   * Lifetime of "deleted" (absent at a revision above 0). A fill that read PostgreSQL
   * more than half this long ago is not written to Redis, so it cannot outlive the
   * tombstone that refuses it.
   */
  tombstoneTtlMs: number;
  /** How long Redis is bypassed after a command failed (the circuit breaker). */
  l2CooldownMs?: number;
  /**
   * While Redis is unreachable no invalidation can arrive, so an L1 entry is trusted
   * only this long after it was stored; older ones are read again from PostgreSQL.
   */
  l1TtlWithoutRedisMs?: number;
  observer?: CacheObserver;
  onL2Error?: (error: unknown) => void;
  clock?: () => number;
}

export interface ReadOptions {
  /** PostgreSQL is known to be down: answer from an expired copy rather than wait for it to fail. */
  recordDown?: boolean;
  /** Not counted in the hit/miss statistics (a lookup that is part of another one). */
  uncounted?: boolean;
}

/** A read of one key that is under way; `floor` is the newest revision announced meanwhile. */
interface Watch {
  readers: number;
  floor: number;
}

/**
 * Memory, then Redis, then the loader (PostgreSQL), for values that carry a revision.
 *
 * - Redis writes go through the compare-and-set, so a slow fill loses against a newer
 *   refresh from the worker, and a fill that read before a delete loses against the
 *   tombstone.
 * - Concurrent misses of one key share one load (single flight).
 * - Memory only ever moves forward: an entry is never replaced by an older revision, and
 *   a read that was under way when a newer revision was announced is not kept (and is
 *   read again), so once an instance has heard of a change it does not answer with
 *   anything older.
 */
export class TieredCache {
  private readonly flights = new SingleFlight<VersionedValue>();
  private readonly watches = new Map<string, Watch>();
  /** Bumped by every invalidation without a revision: reads started before it are not kept. */
  private resets = 0;
  private l2OpenUntil = 0;
  private redisReachable = true;
  private readonly clock: () => number;
  private readonly counts = {
    l1Hits: 0,
    l1Misses: 0,
    l2Hits: 0,
    l2Misses: 0,
    l2Errors: 0,
    loads: 0,
    loadFailures: 0,
    staleServed: 0,
  };

  constructor(
    private readonly l1: BoundedMemoryStore<L1Entry> | undefined,
    private readonly l2: VersionedRedisStore | undefined,
    private readonly options: TieredCacheOptions,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /**
   * The fresh in-process value, synchronously and uncounted: the hot path answers
   * without a single await when it hits (and counts with `countHit`).
   */
  peekLocal(key: string): VersionedValue | undefined {
    const entry = this.l1?.get(key);
    if (entry === undefined) return undefined;
    const now = this.clock();
    if (entry.expiresAt <= now) return undefined;
    if (
      !this.redisReachable &&
      now - entry.storedAt >= (this.options.l1TtlWithoutRedisMs ?? 1000)
    ) {
      return undefined;
    }
    return entry.value;
  }

  /** The fresh in-process value without counting it as a use (audits). */
  inspectLocal(key: string): VersionedValue | undefined {
    const entry = this.l1?.peek(key);
    return entry && entry.expiresAt > this.clock() ? entry.value : undefined;
  }

  countHit(tier: CacheTier): void {
    if (tier === 'l1') this.counts.l1Hits++;
    this.options.observer?.hit(tier);
  }

  async get(
    key: string,
    load: () => Promise<VersionedValue>,
    options: ReadOptions = {},
  ): Promise<CacheRead> {
    const fresh = this.peekLocal(key);
    if (fresh) {
      if (!options.uncounted) this.countHit('l1');
      return { value: fresh, tier: 'l1', stale: false };
    }
    if (this.l1 && !options.uncounted) {
      this.counts.l1Misses++;
      this.options.observer?.miss('l1');
    }
    const watch = this.watch(key);
    const resets = this.resets;
    try {
      for (let attempt = 0; ; attempt++) {
        const read = await this.readThrough(key, load, options);
        if (read.stale) return read;
        const wanted = watch.floor;
        if (read.value.revision >= wanted) {
          if (resets === this.resets) this.putL1(key, read.value);
          return read;
        }
        // A newer revision was announced while this read was under way: what it found is
        // already outdated. Read once more (the worker refreshed Redis before announcing).
        if (attempt > 0) return read;
      }
    } finally {
      this.unwatch(key, watch);
    }
  }

  /** Drops the in-process copy of `key`; a read of it under way is not kept. */
  invalidateLocal(key: string): void {
    this.l1?.delete(key);
    this.resets++;
  }

  /** Drops the in-process copy if it is older than `revision`; reads under way must reach it. */
  invalidateLocalBelow(key: string, revision: number): void {
    const entry = this.l1?.peek(key);
    if (entry && entry.value.revision < revision) this.l1?.delete(key);
    const watch = this.watches.get(key);
    if (watch && watch.floor < revision) watch.floor = revision;
  }

  /** Drops every in-process copy (after a gap in the announcements, or on an admin's request). */
  clearLocal(): void {
    this.l1?.clear();
    this.resets++;
  }

  /**
   * Keeps `value` in memory unless memory holds a newer revision of it (memory never
   * moves backwards).
   */
  putL1(key: string, value: VersionedValue): void {
    if (!this.l1) return;
    const current = this.l1.peek(key);
    if (current && current.value.revision > value.revision) return;
    const now = this.clock();
    const bytes = 96 + key.length + (value.json?.length ?? 0);
    this.l1.set(key, { value, storedAt: now, expiresAt: now + this.ttlFor(value) }, bytes);
  }

  /**
   * The worker's refresh after a commit (and the admin rebuild): a compare-and-set with
   * no deadline, because what it writes was read after the change committed. Throws when
   * Redis fails, so that the caller can retry.
   */
  async putL2(key: string, value: VersionedValue): Promise<boolean> {
    if (!this.l2) return false;
    if (!this.redisReachable) throw new Error('Redis is unreachable');
    return (await this.l2.putIfNotOlder(key, value, this.ttlFor(value))) === 'written';
  }

  /** Tells the cache whether its Redis connection is up (wired to the client's events). */
  setRedisReachable(reachable: boolean): void {
    this.redisReachable = reachable;
    if (reachable) this.l2OpenUntil = 0;
  }

  /** The lifetime of an entry, jittered: long when present, short when absent. */
  ttlFor(value: VersionedValue): number {
    if (value.json !== undefined) return jitter(this.options.ttlMs);
    return jitter(value.revision > 0 ? this.options.tombstoneTtlMs : this.options.negativeTtlMs);
  }

  stats() {
    const ratio = (hits: number, misses: number) =>
      hits + misses === 0 ? 0 : hits / (hits + misses);
    const c = this.counts;
    return {
      l1: this.l1
        ? {
            enabled: true,
            ...this.l1.stats(),
            hits: c.l1Hits,
            misses: c.l1Misses,
            hitRatio: ratio(c.l1Hits, c.l1Misses),
          }
        : { enabled: false },
      l2: this.l2
        ? {
            enabled: true,
            reachable: this.redisReachable,
            circuitOpen: !this.l2Usable(),
            hits: c.l2Hits,
            misses: c.l2Misses,
            errors: c.l2Errors,
            hitRatio: ratio(c.l2Hits, c.l2Misses),
          }
        : { enabled: false },
      db: { loads: c.loads, failures: c.loadFailures, staleServed: c.staleServed },
    };
  }

  localKeys(): IterableIterator<string> {
    return this.l1?.keys() ?? [][Symbol.iterator]();
  }

  /** Redis, then the record; falls back to a copy PostgreSQL cannot confirm when it fails. */
  private async readThrough(
    key: string,
    load: () => Promise<VersionedValue>,
    options: ReadOptions,
  ): Promise<CacheRead> {
    const fromL2 = await this.readL2(key, options);
    const floor = this.watches.get(key)?.floor ?? 0;
    // An L2 value older than an announced change missed the worker's refresh: go on to PostgreSQL.
    if (fromL2 && fromL2.revision >= floor) return { value: fromL2, tier: 'l2', stale: false };
    if (options.recordDown) {
      const copy = this.bestCopy(key, fromL2);
      if (copy) return copy;
    }
    try {
      const loaded = await this.flights.run(key, () => this.loadAndFill(key, load));
      if (!options.uncounted) this.options.observer?.hit('db');
      return { value: loaded, tier: 'db', stale: false };
    } catch (error) {
      const copy = this.bestCopy(key, fromL2);
      if (copy) return copy;
      throw error;
    }
  }

  private bestCopy(key: string, fromL2: VersionedValue | undefined): CacheRead | undefined {
    const expired = this.l1?.peek(key)?.value;
    const best = !expired
      ? fromL2
      : !fromL2
        ? expired
        : fromL2.revision >= expired.revision
          ? fromL2
          : expired;
    if (!best) return undefined;
    this.counts.staleServed++;
    return { value: best, tier: best === fromL2 ? 'l2' : 'l1', stale: true };
  }

  private async loadAndFill(
    key: string,
    load: () => Promise<VersionedValue>,
  ): Promise<VersionedValue> {
    const startedAt = this.clock();
    this.counts.loads++;
    let value: VersionedValue;
    try {
      value = await load();
    } catch (error) {
      this.counts.loadFailures++;
      throw error;
    }
    if (!this.l2 || !this.l2Usable()) return value;
    const notAfter = startedAt + this.options.tombstoneTtlMs / 2;
    if (this.clock() > notAfter) return value;
    try {
      const put = await this.l2.putIfNotOlder(key, value, this.ttlFor(value), notAfter);
      if (put === 'newer') {
        // The worker got there first with a newer revision: answer with that one.
        const current = await this.l2.get(key);
        if (current && current.revision > value.revision) return current;
      }
    } catch (error) {
      this.tripL2(error);
    }
    return value;
  }

  private async readL2(key: string, options: ReadOptions): Promise<VersionedValue | undefined> {
    if (!this.l2 || !this.l2Usable()) return undefined;
    try {
      const value = await this.l2.get(key);
      if (!options.uncounted) {
        if (value) {
          this.counts.l2Hits++;
          this.options.observer?.hit('l2');
        } else {
          this.counts.l2Misses++;
          this.options.observer?.miss('l2');
        }
      }
      return value;
    } catch (error) {
      this.tripL2(error);
      return undefined;
    }
  }

  private l2Usable(): boolean {
    return this.redisReachable && this.clock() >= this.l2OpenUntil;
  }

  private tripL2(error: unknown): void {
    this.counts.l2Errors++;
    this.l2OpenUntil = this.clock() + (this.options.l2CooldownMs ?? 2000);
    this.options.onL2Error?.(error);
  }

  private watch(key: string): Watch {
    let watch = this.watches.get(key);
    if (!watch) this.watches.set(key, (watch = { readers: 0, floor: 0 }));
    watch.readers++;
    return watch;
  }

  private unwatch(key: string, watch: Watch): void {
    if (--watch.readers === 0 && this.watches.get(key) === watch) this.watches.delete(key);
  }
}
