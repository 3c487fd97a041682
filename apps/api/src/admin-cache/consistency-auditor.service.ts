import { Inject, Injectable } from '@nestjs/common';
import { CACHE_KEYS, TIERED_CACHE } from '#caching/caching.constants';
import type { CacheKeys, ServiceKeyKind } from '#caching/cache-keys';
import type { TieredCache } from '#caching/tiered-cache';
import { VersionedRedisStore, type VersionedValue } from '#caching/versioned-redis.store';
import { ReadModelLoader } from '#caching/read-model.loader';
import { ProblemException } from '../http/problem.js';
import { RecordHealth } from '../read-model/record-health.service.js';
import { forEachBounded } from './bounded-concurrency.js';

const KINDS: readonly ServiceKeyKind[] = ['svc', 'snap'];
const AUDIT_CONCURRENCY = 6;

type Verdict = 'ok' | 'stale' | 'missing';

export interface TierAudit {
  checked: number;
  /** Entries whose revision or content differs from PostgreSQL, or that say "absent" of an entity that exists. */
  stale: number;
  /** Entries holding an entity that PostgreSQL no longer has. */
  missing: number;
  staleKeys: string[];
  missingKeys: string[];
}

export interface ConsistencyReport extends TierAudit {
  /** The same comparison for the fresh entries in this instance's memory. */
  local: TierAudit;
  durationMs: number;
}

/**
 * Compares cached entries with PostgreSQL. An entry that differs is read again from
 * both sides before it is reported, so a change that was being applied while the audit
 * ran (committed, Redis not yet refreshed) does not count as an inconsistency.
 */
@Injectable()
export class ConsistencyAuditor {
  constructor(
    @Inject(TIERED_CACHE) private readonly cache: TieredCache,
    @Inject(CACHE_KEYS) private readonly keys: CacheKeys,
    private readonly store: VersionedRedisStore,
    private readonly loader: ReadModelLoader,
    private readonly health: RecordHealth,
  ) {}

  async audit(sample?: number): Promise<ConsistencyReport> {
    if (this.health.down) {
      throw new ProblemException(
        503,
        'PostgreSQL is down: there is nothing to compare the caches with',
        {
          headers: { 'retry-after': '5' },
        },
      );
    }
    const started = Date.now();
    const redisKeys: string[] = [];
    for (const kind of KINDS) {
      for await (const batch of this.store.scan(this.keys.pattern(kind))) redisKeys.push(...batch);
    }
    redisKeys.push(this.keys.defaults());
    const chosen = sample === undefined ? redisKeys : pick(redisKeys, sample);
    const l2 = await this.compare(chosen, async (key) => (await this.store.getMany([key]))[0]);

    const localKeys = [...this.cache.localKeys()].filter(
      (key) => this.keys.parse(key) !== undefined || key === this.keys.defaults(),
    );
    const local = await this.compare(
      sample === undefined ? localKeys : pick(localKeys, sample),
      async (key) => this.cache.inspectLocal(key),
    );
    return { ...l2, local, durationMs: Date.now() - started };
  }

  private async compare(
    keys: readonly string[],
    cached: (key: string) => Promise<VersionedValue | undefined>,
  ): Promise<TierAudit> {
    const audit: TierAudit = { checked: 0, stale: 0, missing: 0, staleKeys: [], missingKeys: [] };
    await forEachBounded(keys, AUDIT_CONCURRENCY, async (key) => {
      let verdict = await this.judge(key, cached);
      if (verdict === 'absent') return;
      if (verdict !== 'ok') verdict = await this.judge(key, cached);
      if (verdict === 'absent') return;
      audit.checked++;
      if (verdict === 'stale') {
        audit.stale++;
        audit.staleKeys.push(key);
      } else if (verdict === 'missing') {
        audit.missing++;
        audit.missingKeys.push(key);
      }
    });
    audit.staleKeys.sort();
    audit.missingKeys.sort();
    return audit;
  }

  /** `absent`: the cache does not hold the key (expired or evicted since it was listed). */
  private async judge(
    key: string,
    cached: (key: string) => Promise<VersionedValue | undefined>,
  ): Promise<Verdict | 'absent'> {
    const held = await cached(key);
    if (!held) return 'absent';
    const record = await this.recordOf(key);
    if (!record) return 'absent';
    if (record.json === undefined) return held.json === undefined ? 'ok' : 'missing';
    if (held.json === undefined || held.revision !== record.revision) return 'stale';
    return sameContent(held.json, record.json) ? 'ok' : 'stale';
  }

  private async recordOf(key: string): Promise<VersionedValue | undefined> {
    if (key === this.keys.defaults()) return this.loader.defaults();
    const parsed = this.keys.parse(key);
    if (!parsed) return undefined;
    return parsed.kind === 'svc'
      ? this.loader.service(parsed.slug)
      : this.loader.snapshot(parsed.slug);
  }
}

/**
 * Equal documents, whatever the order of object members and of the policies and
 * configuration entries of a snapshot or of the defaults (sets, which PostgreSQL returns
 * in no particular order).
 */
function sameContent(a: string, b: string): boolean {
  if (a === b) return true;
  const normalise = (json: string) => {
    const value = JSON.parse(json) as { policies?: unknown[]; config?: unknown[] };
    for (const set of ['policies', 'config'] as const) {
      const items = value[set];
      if (Array.isArray(items))
        value[set] = items.map((item) => JSON.stringify(canonical(item))).sort();
    }
    return JSON.stringify(canonical(value));
  };
  return normalise(a) === normalise(b);
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** `count` distinct items at random (a partial Fisher–Yates shuffle). */
function pick<T>(items: readonly T[], count: number): T[] {
  const copy = [...items];
  const n = Math.min(count, copy.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(Math.random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, n);
}
