import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { CACHE_KEYS, REDIS } from '#caching/caching.constants';
import type { CacheKeys } from '#caching/cache-keys';
import type { ChangeRevision } from '#persistence/event-log.repository';
import { parseEffectiveEtag } from '#domain/view-order';
import { ViewHub, type ViewTopic } from './view-hub.service.js';
import { WatchMetrics } from './watch.metrics.js';

/** What one instance's watchers of one view hold: how many of them per ETag. */
interface InstanceReport {
  watchers: number;
  held: Record<string, number>;
  at: number;
}

export interface DeliveryStatus {
  etag: string | null;
  version: number | null;
  watchers: number;
  current: number;
  behind: number;
  instances: { instance: string; watchers: number; current: number; delivered?: number }[];
  /** With `?event=`: the change asked about, and how many watchers hold a view that has it. */
  change?: ChangeRevision;
  delivered?: number;
  pending?: number;
}

const REPORT_INTERVAL_MS = 1000;

/**
 * Each instance writes, about once a second, what its watchers of each view hold into
 * one Redis hash per view (field: the instance id) with a short TTL; a query adds the
 * fields up. An instance that stops reporting drops out when its entry ages past the TTL.
 */
@Injectable()
export class DeliveryReport implements OnModuleInit, OnApplicationShutdown {
  readonly instance = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private timer?: NodeJS.Timeout;
  private reported = new Set<string>();
  private reporting = false;

  constructor(
    private readonly hub: ViewHub,
    private readonly metrics: WatchMetrics,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CACHE_KEYS) private readonly keys: CacheKeys,
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.report(), REPORT_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(
      [...this.reported].map((key) => this.redis.hdel(key, this.instance).catch(() => undefined)),
    );
  }

  /** Writes this instance's entry for every watched view and removes those no longer watched. */
  async report(): Promise<void> {
    if (this.reporting) return;
    this.reporting = true;
    try {
      const ttlMs = this.config.watch.deliveryTtlSeconds * 1000;
      // One command per key, never a pipeline over several: on Redis Cluster the views'
      // keys lie in different slots, where a multi-key pipeline fails as a whole (the
      // cluster client pipelines the commands per node by itself).
      const writes: Promise<unknown>[] = [];
      const entries = new Map<string, InstanceReport>();
      let behind = 0;
      for (const topic of this.hub.watched()) {
        const entry = this.entryOf(topic);
        if (entry.watchers === 0) continue;
        behind += entry.watchers - (topic.frame?.etag ? (entry.held[topic.frame.etag] ?? 0) : 0);
        // A view's masked and opened topics share its ETags: one report adds both up.
        const key = this.keys.delivery(topic.slug, topic.env);
        entries.set(key, merged(entries.get(key), entry));
      }
      const now = new Set(entries.keys());
      for (const [key, entry] of entries) {
        writes.push(
          this.redis.hset(key, this.instance, JSON.stringify(entry)),
          this.redis.pexpire(key, ttlMs),
        );
      }
      for (const key of this.reported)
        if (!now.has(key)) writes.push(this.redis.hdel(key, this.instance));
      this.metrics.behind.set(behind);
      const settled = await Promise.allSettled(writes);
      // A failed write is tried again by the next report: keep the key to remove it then.
      this.reported = settled.some((s) => s.status === 'rejected')
        ? new Set([...now, ...this.reported])
        : now;
    } catch {
      // Redis away: the entries age out, and the next report writes them again.
    } finally {
      this.reporting = false;
    }
  }

  /**
   * Adds up every live instance's entry for the view whose current ETag is `etag`; with
   * `change`, also how many watchers hold a view that includes that change (its input's
   * revision at least the change's), "delivered to N of N".
   */
  async status(
    slug: string,
    env: string,
    current: { etag: string; version: number } | undefined,
    change?: ChangeRevision,
  ): Promise<DeliveryStatus> {
    const fields = await this.redis.hgetall(this.keys.delivery(slug, env));
    const oldest = Date.now() - this.config.watch.deliveryTtlSeconds * 1000;
    const status: DeliveryStatus = {
      etag: current?.etag ?? null,
      version: current?.version ?? null,
      watchers: 0,
      current: 0,
      behind: 0,
      instances: [],
    };
    for (const [instance, raw] of Object.entries(fields).sort(([a], [b]) => a.localeCompare(b))) {
      let entry: InstanceReport;
      try {
        entry = JSON.parse(raw) as InstanceReport;
      } catch {
        continue;
      }
      if (!(entry.at >= oldest) || !(entry.watchers > 0)) continue;
      const holding = current ? (entry.held[current.etag] ?? 0) : 0;
      status.watchers += entry.watchers;
      status.current += holding;
      if (change) {
        const delivered = deliveredOf(entry.held, change, current === undefined);
        status.delivered = (status.delivered ?? 0) + delivered;
        status.instances.push({ instance, watchers: entry.watchers, current: holding, delivered });
      } else {
        status.instances.push({ instance, watchers: entry.watchers, current: holding });
      }
    }
    status.behind = status.watchers - status.current;
    if (change) {
      status.change = change;
      status.delivered ??= 0;
      status.pending = status.watchers - status.delivered;
    }
    return status;
  }

  private entryOf(topic: ViewTopic): InstanceReport {
    const held: Record<string, number> = {};
    let watchers = 0;
    for (const subscriber of topic.subscribers) {
      const etag = subscriber.held(topic) ?? 'absent';
      held[etag] = (held[etag] ?? 0) + 1;
      watchers++;
    }
    return { watchers, held, at: Date.now() };
  }
}

function merged(a: InstanceReport | undefined, b: InstanceReport): InstanceReport {
  if (!a) return b;
  const held = { ...a.held };
  for (const [etag, count] of Object.entries(b.held)) held[etag] = (held[etag] ?? 0) + count;
  return { watchers: a.watchers + b.watchers, held, at: b.at };
}

/**
 * Watchers whose view includes `change`: its input's revision in their ETag is at least
 * the change's (both revisions only grow). Watchers told `absent` have it when the
 * service is absent now (the change was its delete, or one before it).
 */
function deliveredOf(
  held: Record<string, number>,
  change: ChangeRevision,
  absentNow: boolean,
): number {
  let delivered = 0;
  for (const [etag, count] of Object.entries(held)) {
    if (etag === 'absent') {
      if (absentNow) delivered += count;
      continue;
    }
    const revisions = parseEffectiveEtag(etag);
    if (revisions && revisions[change.input] >= change.revision) delivered += count;
  }
  return delivered;
}
